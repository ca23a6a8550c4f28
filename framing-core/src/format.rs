//! Python `struct` format strings: the grammar, sizes, offsets and alignment.
//!
//! [`Format::parse`] is a `const fn`, so a format written in a `const` item is
//! checked by the compiler. The rules are CPython's (`Modules/_struct.c`):
//!
//! | prefix | byte order | sizes | alignment |
//! |---|---|---|---|
//! | `@` (or none) | native | native C | native C |
//! | `=` | native | standard | none |
//! | `<` | little-endian | standard | none |
//! | `>`, `!` | big-endian | standard | none |
//!
//! Native means the target's C ABI (`core::ffi::c_long` and friends), which on
//! x86_64 Linux is exactly what CPython computes there.

use core::fmt;

/// The most value-producing items a format may hold. Consecutive numeric
/// items with the same code count once (`"HHH"` is one item, like `"3H"`);
/// pad bytes and zero-count numeric items count zero.
pub const MAX_ITEMS: usize = 32;

/// The largest header a format may describe, in bytes.
pub const MAX_HEADER_LEN: usize = 65_535;

/// Byte order and size mode, from a format's first character.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ByteOrder {
    /// `@` or no prefix: native order, native sizes, native alignment.
    Native,
    /// `=`: native order, standard sizes, no alignment.
    NativeStandard,
    /// `<`: little-endian, standard sizes, no alignment.
    Little,
    /// `>`: big-endian, standard sizes, no alignment.
    Big,
    /// `!`: network order (big-endian), standard sizes, no alignment.
    Network,
}

impl ByteOrder {
    /// Whether values are stored most significant byte first.
    pub const fn is_big_endian(self) -> bool {
        match self {
            ByteOrder::Native | ByteOrder::NativeStandard => cfg!(target_endian = "big"),
            ByteOrder::Little => false,
            ByteOrder::Big | ByteOrder::Network => true,
        }
    }

    /// Whether sizes and alignment are the target's native C ones (`@`).
    pub const fn is_native_size(self) -> bool {
        matches!(self, ByteOrder::Native)
    }

    /// The prefix character that selects this order.
    pub const fn prefix(self) -> char {
        match self {
            ByteOrder::Native => '@',
            ByteOrder::NativeStandard => '=',
            ByteOrder::Little => '<',
            ByteOrder::Big => '>',
            ByteOrder::Network => '!',
        }
    }
}

/// What a format code stores and what `struct.unpack` returns for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Kind {
    /// `c`: one byte, returned as a 1-byte string.
    Char,
    /// `b h i l q n`: a two's-complement signed integer.
    Signed,
    /// `B H I L Q N P`: an unsigned integer.
    Unsigned,
    /// `?`: a boolean (any non-zero byte is true).
    Bool,
    /// `e f d`: an IEEE-754 float of 2, 4 or 8 bytes.
    Float,
    /// `s`: a fixed-length byte string; the repeat count is its length.
    Bytes,
    /// `p`: a Pascal string: a length byte, then up to `count - 1` bytes.
    Pascal,
}

impl Kind {
    /// Whether values of this kind are integers (and so may hold a length).
    pub const fn is_integer(self) -> bool {
        matches!(self, Kind::Signed | Kind::Unsigned)
    }
}

/// One value of a parsed format: what `struct.unpack` returns at `index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Field {
    /// Position in the tuple `struct.unpack` returns.
    pub index: usize,
    /// The format character (`b'H'`, `b's'`, ...).
    pub code: u8,
    /// What the value is.
    pub kind: Kind,
    /// Byte offset of the value inside the header.
    pub offset: usize,
    /// Size in bytes (for `s` and `p`, the repeat count).
    pub size: usize,
}

/// A parsed `struct` format string: byte order, fields and total size.
///
/// ```
/// use framing_core::Format;
///
/// const F: Format = match Format::parse("@bi") {
///     Ok(f) => f,
///     Err(e) => panic!("{}", e.message()),
/// };
/// assert_eq!(F.size(), 8); // `i` is aligned to 4, as CPython says
/// assert_eq!(F.field(1).unwrap().offset, 4);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Format {
    // Stored compactly (a layout embeds its format): item `k` of `n_items` is
    // a run of `codes[k]` at `offsets[k]`. `counts[k]` is the number of values
    // in the run, except for `s`/`p`, where the run is one value and
    // `counts[k]` is its length in bytes. Kind and size follow from the code
    // and the byte order; unused slots stay zero, so equality and hashing see
    // only the format itself. Every count and offset is at most
    // `MAX_HEADER_LEN`, so `u16` holds them.
    order: ByteOrder,
    n_items: u8,
    size: u16,
    n_values: u32,
    codes: [u8; MAX_ITEMS],
    counts: [u16; MAX_ITEMS],
    offsets: [u16; MAX_ITEMS],
}

/// Why a format string was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FormatErrorKind {
    /// A character that is not a format code (CPython: "bad char in struct format").
    BadChar(u8),
    /// `n`, `N` or `P` used with a standard-size prefix (`= < > !`).
    NativeOnly(u8),
    /// A repeat count at the end with no code after it.
    CountWithoutCode,
    /// A repeat count or the total size overflowed.
    TooLarge,
    /// More than [`MAX_ITEMS`] value-producing items.
    TooManyItems,
    /// The header would be larger than [`MAX_HEADER_LEN`] bytes.
    HeaderTooLong,
}

/// An invalid format string: what was wrong and at which byte position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FormatError {
    position: usize,
    kind: FormatErrorKind,
}

impl FormatError {
    /// Byte position in the format string where the problem was found.
    pub const fn position(&self) -> usize {
        self.position
    }

    /// What was wrong.
    pub const fn kind(&self) -> FormatErrorKind {
        self.kind
    }

    /// The reason as a static sentence fragment, usable in `const` panics.
    pub const fn message(&self) -> &'static str {
        match self.kind {
            FormatErrorKind::BadChar(_) => "bad char in struct format",
            FormatErrorKind::NativeOnly(_) => {
                "codes n, N and P are only allowed with native byte order '@'"
            }
            FormatErrorKind::CountWithoutCode => "repeat count given without format specifier",
            FormatErrorKind::TooLarge => "total struct size too long",
            FormatErrorKind::TooManyItems => "too many items in struct format (at most 32)",
            FormatErrorKind::HeaderTooLong => "header longer than 65535 bytes",
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid struct format at position {}: ", self.position)?;
        match self.kind {
            FormatErrorKind::BadChar(c) if c.is_ascii_graphic() || c == b' ' => {
                write!(f, "bad char {:?} in struct format", c as char)
            }
            FormatErrorKind::BadChar(c) => write!(f, "bad byte 0x{c:02x} in struct format"),
            FormatErrorKind::NativeOnly(c) => write!(
                f,
                "code {:?} is only allowed with native byte order '@'",
                c as char
            ),
            _ => f.write_str(self.message()),
        }
    }
}

impl core::error::Error for FormatError {}

/// Size, alignment and kind of a code under a byte order, or `None`.
const fn code_info(code: u8, native: bool) -> Option<(Kind, usize, usize)> {
    use core::ffi::{c_double, c_float, c_int, c_long, c_longlong, c_short};
    use core::mem::{align_of, size_of};
    macro_rules! n {
        ($kind:expr, $t:ty, $std:expr) => {
            if native {
                Some(($kind, size_of::<$t>(), align_of::<$t>()))
            } else {
                Some(($kind, $std, 1))
            }
        };
    }
    match code {
        b'x' => Some((Kind::Char, 1, 1)), // kind unused for padding
        b'c' => Some((Kind::Char, 1, 1)),
        b'b' => Some((Kind::Signed, 1, 1)),
        b'B' => Some((Kind::Unsigned, 1, 1)),
        b'?' => Some((Kind::Bool, 1, 1)),
        b'h' => n!(Kind::Signed, c_short, 2),
        b'H' => n!(Kind::Unsigned, c_short, 2),
        b'i' => n!(Kind::Signed, c_int, 4),
        b'I' => n!(Kind::Unsigned, c_int, 4),
        b'l' => n!(Kind::Signed, c_long, 4),
        b'L' => n!(Kind::Unsigned, c_long, 4),
        b'q' => n!(Kind::Signed, c_longlong, 8),
        b'Q' => n!(Kind::Unsigned, c_longlong, 8),
        b'e' => n!(Kind::Float, u16, 2),
        b'f' => n!(Kind::Float, c_float, 4),
        b'd' => n!(Kind::Float, c_double, 8),
        b's' => Some((Kind::Bytes, 1, 1)),
        b'p' => Some((Kind::Pascal, 1, 1)),
        b'n' if native => Some((Kind::Signed, size_of::<isize>(), align_of::<isize>())),
        b'N' if native => Some((Kind::Unsigned, size_of::<usize>(), align_of::<usize>())),
        b'P' if native => Some((Kind::Unsigned, size_of::<usize>(), align_of::<usize>())),
        _ => None,
    }
}

/// Whether `code` is a string code (`s`, `p`): one value per run, whose
/// repeat count is its size.
const fn is_string(code: u8) -> bool {
    matches!(code, b's' | b'p')
}

/// Kind and size of one value of a valid, non-string code.
const fn value_info(code: u8, native: bool) -> (Kind, usize) {
    match code_info(code, native) {
        Some((kind, size, _)) => (kind, size),
        None => (Kind::Char, 0),
    }
}

/// The kind of a valid value code (not `x`).
pub(crate) const fn kind_of(code: u8) -> Kind {
    match code {
        b's' => Kind::Bytes,
        b'p' => Kind::Pascal,
        // Kinds do not depend on the size mode.
        _ => value_info(code, true).0,
    }
}

const fn err(position: usize, kind: FormatErrorKind) -> Result<Format, FormatError> {
    Err(FormatError { position, kind })
}

/// CPython's `Py_ISSPACE`.
const fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

impl Format {
    /// Parses a format string with CPython's grammar and layout rules.
    ///
    /// # Errors
    /// A [`FormatError`] naming the byte position and the reason.
    pub const fn parse(format: &str) -> Result<Format, FormatError> {
        let s = format.as_bytes();
        let mut i = 0;
        let order = match s.first() {
            Some(b'@') => ByteOrder::Native,
            Some(b'=') => ByteOrder::NativeStandard,
            Some(b'<') => ByteOrder::Little,
            Some(b'>') => ByteOrder::Big,
            Some(b'!') => ByteOrder::Network,
            _ => ByteOrder::Native,
        };
        if !s.is_empty() && matches!(s[0], b'@' | b'=' | b'<' | b'>' | b'!') {
            i = 1;
        }
        let native = order.is_native_size();
        let mut f = Format {
            order,
            n_items: 0,
            size: 0,
            n_values: 0,
            codes: [0; MAX_ITEMS],
            counts: [0; MAX_ITEMS],
            offsets: [0; MAX_ITEMS],
        };
        let mut size: usize = 0;
        let mut n_values: usize = 0;
        while i < s.len() {
            let c = s[i];
            if is_space(c) {
                i += 1;
                continue;
            }
            let start = i;
            let mut count: usize = 1;
            if c.is_ascii_digit() {
                count = 0;
                while i < s.len() && s[i].is_ascii_digit() {
                    count = match count.checked_mul(10) {
                        Some(v) => match v.checked_add((s[i] - b'0') as usize) {
                            Some(v) => v,
                            None => return err(start, FormatErrorKind::TooLarge),
                        },
                        None => return err(start, FormatErrorKind::TooLarge),
                    };
                    i += 1;
                }
                if i == s.len() {
                    return err(start, FormatErrorKind::CountWithoutCode);
                }
            }
            let code = s[i];
            let (_, item_size, align) = match code_info(code, native) {
                Some(info) => info,
                None if matches!(code, b'n' | b'N' | b'P') => {
                    return err(i, FormatErrorKind::NativeOnly(code))
                }
                None => return err(i, FormatErrorKind::BadChar(code)),
            };
            // Native alignment applies before every item, even a zero count.
            if native && align > 1 && !size.is_multiple_of(align) {
                size += align - size % align;
            }
            let bytes = match count.checked_mul(item_size) {
                Some(b) => b,
                None => return err(start, FormatErrorKind::TooLarge),
            };
            let offset = size;
            size = match size.checked_add(bytes) {
                Some(v) => v,
                None => return err(start, FormatErrorKind::TooLarge),
            };
            if size > MAX_HEADER_LEN {
                return err(start, FormatErrorKind::HeaderTooLong);
            }
            let values = match code {
                b'x' => 0,
                b's' | b'p' => 1,
                _ => count,
            };
            if values > 0 {
                let n = f.n_items as usize;
                // A run continues the previous one if it has the same
                // (non-string) code and follows it with no padding between.
                let merge = n > 0
                    && f.codes[n - 1] == code
                    && !is_string(code)
                    && f.offsets[n - 1] as usize + f.counts[n - 1] as usize * item_size == offset;
                if merge {
                    // The run's bytes end within the header: the count fits.
                    f.counts[n - 1] += count as u16;
                } else if n == MAX_ITEMS {
                    return err(start, FormatErrorKind::TooManyItems);
                } else {
                    f.codes[n] = code;
                    // Both are at most `size <= MAX_HEADER_LEN` (checked above).
                    f.counts[n] = count as u16;
                    f.offsets[n] = offset as u16;
                    f.n_items += 1;
                }
                n_values += values;
            }
            i += 1;
        }
        f.size = size as u16;
        f.n_values = n_values as u32;
        Ok(f)
    }

    /// The header size in bytes (`struct.calcsize`).
    pub const fn size(&self) -> usize {
        self.size as usize
    }

    /// How many values `struct.unpack` returns.
    pub const fn value_count(&self) -> usize {
        self.n_values as usize
    }

    /// The byte order and size mode.
    pub const fn byte_order(&self) -> ByteOrder {
        self.order
    }

    /// Number of values in item `k`.
    const fn item_values(&self, k: usize) -> usize {
        if is_string(self.codes[k]) {
            1
        } else {
            self.counts[k] as usize
        }
    }

    /// The field of value `within` of item `k`, whose first value is `first`.
    const fn item_field(&self, k: usize, first: usize, within: usize) -> Field {
        let code = self.codes[k];
        let (kind, size) = if is_string(code) {
            (kind_of(code), self.counts[k] as usize)
        } else {
            value_info(code, self.order.is_native_size())
        };
        Field {
            index: first + within,
            code,
            kind,
            offset: self.offsets[k] as usize + within * size,
            size,
        }
    }

    /// The field that holds value `index`, or `None` past the last value.
    pub const fn field(&self, index: usize) -> Option<Field> {
        let mut first = 0;
        let mut k = 0;
        while k < self.n_items as usize {
            let values = self.item_values(k);
            if index < first + values {
                return Some(self.item_field(k, first, index - first));
            }
            first += values;
            k += 1;
        }
        None
    }

    /// All fields in order: one per value `struct.unpack` returns.
    pub fn fields(&self) -> Fields<'_> {
        Fields {
            format: self,
            item: 0,
            first: 0,
            within: 0,
        }
    }
}

/// Iterator over a format's [`Field`]s, from [`Format::fields`].
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    format: &'a Format,
    /// The current item.
    item: usize,
    /// Index of the current item's first value.
    first: usize,
    /// Position of the next value within the current item.
    within: usize,
}

impl Iterator for Fields<'_> {
    type Item = Field;

    fn next(&mut self) -> Option<Field> {
        let f = self.format;
        if self.item >= usize::from(f.n_items) {
            return None;
        }
        let field = f.item_field(self.item, self.first, self.within);
        self.within += 1;
        let values = f.item_values(self.item);
        if self.within == values {
            self.item += 1;
            self.first += values;
            self.within = 0;
        }
        Some(field)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = if self.item < usize::from(self.format.n_items) {
            self.format.value_count() - self.first - self.within
        } else {
            0
        };
        (left, Some(left))
    }
}

impl ExactSizeIterator for Fields<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! size {
        ($($fmt:expr => $size:expr),* $(,)?) => {$(
            assert_eq!(Format::parse($fmt).unwrap().size(), $size, "calcsize({:?})", $fmt);
        )*};
    }

    #[test]
    fn sizes_match_cpython_on_x86_64() {
        size! {
            "" => 0, "!I" => 4, "<HHI" => 8, "@bi" => 8, "=bi" => 5, "b0i" => 4,
            "bq" => 16, "?d" => 16, "hbi" => 8, "xe" => 4, "3x" => 3, "10s" => 10,
            "0s" => 0, "< H  I" => 6, "@l" => 8, "<l" => 4, "P" => 8, "cbB?hHiIlLqQnNefdspP" => 96,
        }
    }

    #[test]
    fn rejects_like_cpython() {
        let e = Format::parse("<HZ").unwrap_err();
        assert_eq!(
            (e.position(), e.kind()),
            (2, FormatErrorKind::BadChar(b'Z'))
        );
        assert_eq!(
            Format::parse("H<").unwrap_err().kind(),
            FormatErrorKind::BadChar(b'<')
        );
        assert_eq!(
            Format::parse("<12").unwrap_err(),
            FormatError {
                position: 1,
                kind: FormatErrorKind::CountWithoutCode
            }
        );
        assert_eq!(
            Format::parse("2 H").unwrap_err().kind(),
            FormatErrorKind::BadChar(b' ')
        );
        assert_eq!(
            Format::parse("<n").unwrap_err().kind(),
            FormatErrorKind::NativeOnly(b'n')
        );
        assert_eq!(
            Format::parse("99999999999999999999999x")
                .unwrap_err()
                .kind(),
            FormatErrorKind::TooLarge
        );
        assert_eq!(
            Format::parse("70000x").unwrap_err().kind(),
            FormatErrorKind::HeaderTooLong
        );
    }

    #[test]
    fn runs_merge_and_fields_expand() {
        let f = Format::parse("<HH2Hx4sB").unwrap();
        assert_eq!(f.n_items, 3);
        assert_eq!(f.value_count(), 6);
        let offsets: heapless::Vec<(u8, usize, usize), 8> =
            f.fields().map(|x| (x.code, x.offset, x.size)).collect();
        assert_eq!(
            &offsets[..],
            &[
                (b'H', 0, 2),
                (b'H', 2, 2),
                (b'H', 4, 2),
                (b'H', 6, 2),
                (b's', 9, 4),
                (b'B', 13, 1)
            ]
        );
        assert_eq!(f.field(4).unwrap().offset, 9);
        assert_eq!(f.field(6), None);
        assert_eq!(f.fields().len(), 6);
    }

    #[test]
    fn long_runs_and_empty_strings() {
        let f = Format::parse("<0s65000BxH0p").unwrap();
        assert_eq!(f.value_count(), 65_003);
        assert_eq!(f.size(), 65_003);
        let at = |i: usize| f.field(i).map(|x| (x.code, x.offset, x.size));
        assert_eq!(at(0), Some((b's', 0, 0)));
        assert_eq!(at(1), Some((b'B', 0, 1)));
        assert_eq!(at(65_000), Some((b'B', 64_999, 1)));
        assert_eq!(at(65_001), Some((b'H', 65_001, 2)));
        assert_eq!(at(65_002), Some((b'p', 65_003, 0)));
        assert_eq!(at(65_003), None);
        let mut it = f.fields().skip(65_000);
        assert_eq!(it.size_hint(), (3, Some(3)));
        assert_eq!(it.next().map(|x| x.index), Some(65_000));
        assert_eq!(it.len(), 2);
        assert_eq!(Format::parse("65535B").unwrap().size(), 65_535);
        assert_eq!(
            Format::parse("@b2H").unwrap(),
            Format::parse("@bHH").unwrap()
        );
        assert_ne!(Format::parse("<H").unwrap(), Format::parse(">H").unwrap());
    }

    #[test]
    fn too_many_items_is_an_error_not_a_panic() {
        let mut s = heapless::String::<200>::new();
        for _ in 0..40 {
            s.push_str("bh").unwrap();
        }
        assert_eq!(
            Format::parse(&s).unwrap_err().kind(),
            FormatErrorKind::TooManyItems
        );
    }
}
