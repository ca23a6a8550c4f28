#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod buffer;
pub mod error;
mod net;
mod read;
mod write;

pub use net::FramedStream;
pub use read::{FrameReader, OwnedFrame, StreamReader, DEFAULT_READ_CAPACITY};
pub use write::{FrameWriter, DEFAULT_WRITE_CAPACITY};

/// The core crate, re-exported so one dependency is enough.
pub use framing_core;
pub use framing_core::{
    DecodeError, DecodeErrorKind, EncodeError, Event, Frame, Header, Layout, LayoutBuilder,
    LayoutError, Oversize, Value,
};
