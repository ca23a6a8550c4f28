//! What comes once, before the first frame: a [`Preface`] of fixed bytes,
//! or one that ends at given bytes.

use super::delimiter::Separator;

/// The longest preface
/// ([`LayoutBuilder::preface`](crate::LayoutBuilder::preface),
/// [`LayoutBuilder::preface_until`](crate::LayoutBuilder::preface_until)):
/// HTTP/2's connection preface takes 24 bytes, AMQP's protocol header 8, an
/// HTTP/1.1 Upgrade request a few hundred.
pub const MAX_PREFACE: usize = 64 * 1024;

/// Bytes once at the start of the stream, before the first frame: a
/// protocol's greeting, checked and handed out by the decoders
/// ([`Decoded::Preface`](crate::Decoded::Preface)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Preface {
    /// These bytes exactly (1 to [`MAX_PREFACE`]): HTTP/2's
    /// `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`. Every writer writes them before
    /// its first frame.
    Fixed(&'static [u8]),
    /// Any bytes up to and including the first occurrence of `end`, at
    /// most `max` bytes in all: an HTTP/1.1 Upgrade request or response
    /// (`end` = `\r\n\r\n`) before WebSocket frames. What they are is the
    /// application's: writers write none.
    Until {
        /// The bytes that end the preface (1 to 8).
        end: Separator,
        /// The most bytes the preface may take, `end` included.
        max: u32,
    },
}

impl Preface {
    /// The most bytes the preface takes: what a decoder's buffer must hold.
    pub const fn max_len(&self) -> usize {
        match *self {
            Preface::Fixed(p) => p.len(),
            Preface::Until { max, .. } => max as usize,
        }
    }
}
