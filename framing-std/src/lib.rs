#![doc = include_str!("../README.md")]
#![doc = "\n## The echo example\n\n`examples/echo.rs` in full: a server and a client \
    (`cargo run -p framing-std --example echo`). Compiled with these docs, so \
    it stays in step with the API.\n\n```no_run"]
#![doc = include_str!("../examples/echo.rs")]
#![doc = "```"]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(feature = "tokio", feature = "futures"))]
mod async_adapters;
mod buffer;
#[cfg(any(feature = "tokio", feature = "futures"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "tokio", feature = "futures"))))]
pub mod codec;
pub mod error;
mod frame;
#[cfg(feature = "futures")]
#[cfg_attr(docsrs, doc(cfg(feature = "futures")))]
pub mod futures;
mod net;
mod read;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio;
mod write;

#[cfg(any(feature = "tokio", feature = "futures"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "tokio", feature = "futures"))))]
pub use codec::{FrameCodec, FramesOnly, Message};
pub use frame::{FrameStorage, OwnedFrame, ReadBytes};
pub use net::FramedStream;
pub use read::{FrameReader, StreamReader, DEFAULT_READ_CAPACITY};
pub use write::{FrameWriter, DEFAULT_HIGH_WATER_MARK, DEFAULT_WRITE_CAPACITY};

/// The core crate, re-exported so one dependency is enough.
pub use framing_core;
/// What building any layout names: delimiters (COBS, SLIP, lines),
/// checksum trailers, byte orders, the format and its errors, the limits;
/// and the streaming encoder of delimited frames.
pub use framing_core::{
    ByteOrder, Checksum, Covers, Delimiter, Field, Format, FormatError, FormatErrorKind,
    FrameEncoder, Kind, Separator, DEFAULT_MAX_PAYLOAD, MAX_CONSTANTS, MAX_CONSTANTS_BYTES,
    MAX_CONSTANT_BYTES, MAX_DELIMITER,
};
pub use framing_core::{
    DecodeError, DecodeErrorKind, Decoded, EncodeError, Event, Frame, Header, Layout,
    LayoutBuilder, LayoutError, Oversize, Recovery, Value,
};

/// The workspace README's examples, run as doctests with this crate's.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct WorkspaceReadme;
