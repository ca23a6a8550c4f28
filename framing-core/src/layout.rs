//! What a header is: a [`Format`], which value holds the length, how the
//! length maps to the payload, which values are constants, and the limits and
//! recovery policies the decoder applies.
//!
//! `layout/spec.rs` holds the [`Layout`] value and its accessors,
//! `layout/builder.rs` the builder and the checks it makes,
//! `layout/constant.rs` the constants and their pool, `layout/delimiter.rs`
//! the delimiters, `layout/suffix.rs` a length after the header (a varint,
//! ASCII digits), `layout/preface.rs` the bytes before the first frame,
//! `layout/check.rs` header validation and `layout/error.rs` the errors.
//! They import one another as a tree, no two files each other (the errors
//! import only the limits they quote); this file only declares them and
//! re-exports the names.

mod builder;
mod check;
mod constant;
mod delimiter;
mod error;
mod preface;
mod spec;
mod suffix;

pub use builder::LayoutBuilder;
pub use constant::{MAX_CONSTANTS, MAX_CONSTANTS_BYTES, MAX_CONSTANT_BYTES};
pub use delimiter::{Delimiter, Separator, MAX_DELIMITER};
pub(crate) use error::HeaderFault;
pub use error::{AsciiFault, LayoutError};
pub use preface::{Preface, MAX_PREFACE};
pub use spec::{Layout, Oversize, DEFAULT_MAX_PAYLOAD};
pub use suffix::Radix;
pub(crate) use suffix::{Read, Suffix};
