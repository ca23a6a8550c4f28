#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod adapter;
mod buffer;
pub mod decode;
#[cfg(feature = "embedded-io")]
#[cfg_attr(docsrs, doc(cfg(feature = "embedded-io")))]
pub mod embedded;
#[cfg(feature = "embedded-io-async")]
#[cfg_attr(docsrs, doc(cfg(feature = "embedded-io-async")))]
pub mod embedded_async;
mod encode;
pub mod format;
mod frame_encoder;
mod header;
mod layout;
pub mod protocols;
pub mod resp;
pub mod trailer;
mod typed;
mod value;
mod varint;
pub mod websocket;

pub use buffer::{Buffer, Full, SliceBuffer};
pub use decode::{DecodeError, DecodeErrorKind, Decoded, Decoder, Event, Recovery, StreamDecoder};
pub use encode::{EncodeError, Parts};
pub use format::{ByteOrder, Field, Format, FormatError, FormatErrorKind, Kind};
pub use frame_encoder::FrameEncoder;
pub use header::{Frame, Header};
pub use layout::{
    AsciiFault, Delimiter, Layout, LayoutBuilder, LayoutError, Oversize, Preface, Radix, Separator,
    DEFAULT_MAX_PAYLOAD, MAX_CONSTANTS, MAX_CONSTANTS_BYTES, MAX_CONSTANT_BYTES, MAX_DELIMITER,
    MAX_PREFACE,
};
pub use trailer::{Checksum, Covers};
pub use typed::{TypedHeader, U24};
pub use value::Value;

#[doc(hidden)]
pub use typed::__private;

/// `#[derive(Header)]`: see [`framing_derive::Header`]. Feature `derive`.
#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
pub use framing_derive::Header;

/// Re-exported so users name the same `heapless` version as the buffers.
pub use heapless;
