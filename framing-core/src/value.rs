//! Typed header values: reading them from bytes (with `nom`) and writing them
//! back exactly as CPython's `struct.pack` does.

use core::fmt;

use nom::bytes::complete::take;
use nom::number::{complete as num, Endianness};
use nom::{IResult, Parser};

use crate::format::{ByteOrder, Field, Kind};

/// One header value, as `struct.unpack` would return it.
///
/// Integers of every width are widened to `i128`, so `Q` and `q` values both fit.
/// `c`, `s` and `p` values borrow the header bytes (for `p`, the string after
/// its length byte).
///
/// `From` every integer up to 64 bits (and `i128`, `usize`, `isize`),
/// `bool`, `f32`, `f64` and byte strings, so a value can be written as the
/// Rust value it is:
///
/// ```
/// use framing_core::{Layout, Value};
///
/// assert_eq!(Value::from(1u8), Value::Int(1));
/// assert_eq!(Value::from(-2i64), Value::Int(-2));
/// assert_eq!(Value::from(true), Value::Bool(true));
/// assert_eq!(Value::from(0.5f32), Value::Float(0.5));
/// assert_eq!(Value::from(&b"ab"[..]), Value::from(b"ab"));
///
/// // magic u16, version u8, length u32
/// let layout = Layout::builder("!HBI")
///     .length_field(2)
///     .constant(0, 0xCAFEu16.into())
///     .build()?;
/// let mut out = [0u8; 16];
/// let n = layout.encode_with(b"hi", &[(1, 3u8.into())], &mut out)?;
/// assert_eq!(&out[..n], b"\xca\xfe\x03\0\0\0\x02hi");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `From` is not `const`: in a `const` layout, write the variant
/// (`.constant(0, Value::Int(0xCAFE))`).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Value<'a> {
    /// `b B h H i I l L q Q n N P`.
    Int(i128),
    /// `?`.
    Bool(bool),
    /// `e f d`, widened to `f64` exactly.
    Float(f64),
    /// `c s p`.
    Bytes(&'a [u8]),
}

impl Value<'_> {
    /// The integer, if this is one.
    pub const fn as_int(&self) -> Option<i128> {
        match *self {
            Value::Int(v) => Some(v),
            _ => None,
        }
    }
}

// `From` each integer type: `Value::Int`, widened exactly.
macro_rules! value_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value<'_> {
            /// `Value::Int`, widened exactly.
            #[inline]
            fn from(v: $t) -> Self {
                Value::Int(v as i128)
            }
        }
    )*};
}

value_from_int!(u8, u16, u32, u64, usize, i8, i16, i32, i64, i128, isize);

impl From<bool> for Value<'_> {
    /// `Value::Bool`.
    #[inline]
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<f32> for Value<'_> {
    /// `Value::Float`, widened exactly.
    #[inline]
    fn from(v: f32) -> Self {
        Value::Float(f64::from(v))
    }
}

impl From<f64> for Value<'_> {
    /// `Value::Float`.
    #[inline]
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl<'a> From<&'a [u8]> for Value<'a> {
    /// `Value::Bytes`, for `c`, `s` and `p` fields.
    #[inline]
    fn from(v: &'a [u8]) -> Self {
        Value::Bytes(v)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Value<'a> {
    /// `Value::Bytes`: a byte string literal (`b"ab".into()`).
    #[inline]
    fn from(v: &'a [u8; N]) -> Self {
        Value::Bytes(v)
    }
}

impl fmt::Display for Value<'_> {
    /// Integers and booleans as Python prints them, floats with `{:?}`, bytes
    /// as lowercase hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Float(v) => write!(f, "{v:?}"),
            Value::Bytes(b) => {
                for x in b {
                    write!(f, "{x:02x}")?;
                }
                Ok(())
            }
        }
    }
}

fn endian(big: bool) -> Endianness {
    if big {
        Endianness::Big
    } else {
        Endianness::Little
    }
}

/// Parses one field's value from `input`, which starts at the field.
pub(crate) fn parse_value<'a>(
    field: &Field,
    big: bool,
    input: &'a [u8],
) -> IResult<&'a [u8], Value<'a>> {
    let e = endian(big);
    let int = |v: i128| Value::Int(v);
    match (field.kind, field.size) {
        (Kind::Signed, 1) => num::i8.map(|v| int(v.into())).parse(input),
        (Kind::Signed, 2) => num::i16(e).map(|v| int(v.into())).parse(input),
        (Kind::Signed, 4) => num::i32(e).map(|v| int(v.into())).parse(input),
        (Kind::Signed, _) => num::i64(e).map(|v| int(v.into())).parse(input),
        (Kind::Unsigned, 1) => num::u8.map(|v| int(v.into())).parse(input),
        (Kind::Unsigned, 2) => num::u16(e).map(|v| int(v.into())).parse(input),
        (Kind::Unsigned, 4) => num::u32(e).map(|v| int(v.into())).parse(input),
        (Kind::Unsigned, _) => num::u64(e).map(|v| int(v.into())).parse(input),
        (Kind::Bool, _) => num::u8.map(|v| Value::Bool(v != 0)).parse(input),
        (Kind::Float, 2) => num::u16(e)
            .map(|v| Value::Float(f16_to_f64(v)))
            .parse(input),
        (Kind::Float, 4) => num::f32(e).map(|v| Value::Float(v.into())).parse(input),
        (Kind::Float, _) => num::f64(e).map(Value::Float).parse(input),
        (Kind::Char | Kind::Bytes, n) => take(n).map(Value::Bytes).parse(input),
        (Kind::Pascal, n) => {
            let (rest, all) = take(n).parse(input)?;
            // CPython: the length byte, clamped to the room after it.
            let len = all.first().map_or(0, |&l| usize::from(l).min(n - 1));
            Ok((rest, Value::Bytes(all.get(1..1 + len).unwrap_or(&[]))))
        }
    }
}

/// How to read an unsigned integer field: its width and byte order, decided
/// once per layout so the hot path is one jump, not a chain of tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Uint {
    U8,
    Be16,
    Le16,
    Be24,
    Le24,
    Be32,
    Le32,
    Be64,
    Le64,
    /// Any other width from 1 to 8 (an `Ns` length field of 5, 6 or 7 bytes).
    Be(u8),
    Le(u8),
}

impl Uint {
    /// The reader for `width` bytes (1 to 8) in the given order.
    pub(crate) const fn new(width: usize, big: bool) -> Uint {
        match (width, big) {
            (1, _) => Uint::U8,
            (2, true) => Uint::Be16,
            (2, false) => Uint::Le16,
            (3, true) => Uint::Be24,
            (3, false) => Uint::Le24,
            (4, true) => Uint::Be32,
            (4, false) => Uint::Le32,
            (8, true) => Uint::Be64,
            (8, false) => Uint::Le64,
            (n, true) => Uint::Be(n as u8),
            (n, false) => Uint::Le(n as u8),
        }
    }

    /// Writes the low bytes of `v` at `offset`; `false` past the end of `out`.
    #[inline(always)]
    pub(crate) fn write(self, out: &mut [u8], offset: usize, v: u64) -> bool {
        let Some(o) = out.get_mut(offset..) else {
            return false;
        };
        fn put<const N: usize>(o: &mut [u8], bytes: [u8; N]) -> bool {
            match o.first_chunk_mut::<N>() {
                Some(dst) => {
                    *dst = bytes;
                    true
                }
                None => false,
            }
        }
        match self {
            Uint::U8 => put(o, [v as u8]),
            Uint::Be16 => put(o, (v as u16).to_be_bytes()),
            Uint::Le16 => put(o, (v as u16).to_le_bytes()),
            Uint::Be24 => put(o, [(v >> 16) as u8, (v >> 8) as u8, v as u8]),
            Uint::Le24 => put(o, [v as u8, (v >> 8) as u8, (v >> 16) as u8]),
            Uint::Be32 => put(o, (v as u32).to_be_bytes()),
            Uint::Le32 => put(o, (v as u32).to_le_bytes()),
            Uint::Be64 => put(o, v.to_be_bytes()),
            Uint::Le64 => put(o, v.to_le_bytes()),
            Uint::Be(n) => match o.get_mut(..usize::from(n)) {
                Some(dst) => {
                    dst.copy_from_slice(&v.to_be_bytes()[8 - usize::from(n)..]);
                    true
                }
                None => false,
            },
            Uint::Le(n) => match o.get_mut(..usize::from(n)) {
                Some(dst) => {
                    dst.copy_from_slice(&v.to_le_bytes()[..usize::from(n)]);
                    true
                }
                None => false,
            },
        }
    }

    /// Reads the integer at `offset`, or `None` past the end of `bytes`.
    #[inline(always)]
    pub(crate) fn read(self, bytes: &[u8], offset: usize) -> Option<u64> {
        let b = bytes.get(offset..)?;
        Some(match self {
            Uint::U8 => u64::from(*b.first()?),
            Uint::Be16 => u64::from(u16::from_be_bytes(*b.first_chunk()?)),
            Uint::Le16 => u64::from(u16::from_le_bytes(*b.first_chunk()?)),
            Uint::Be24 => {
                let [x, y, z] = *b.first_chunk()?;
                u64::from(u32::from_be_bytes([0, x, y, z]))
            }
            Uint::Le24 => {
                let [x, y, z] = *b.first_chunk()?;
                u64::from(u32::from_le_bytes([x, y, z, 0]))
            }
            Uint::Be32 => u64::from(u32::from_be_bytes(*b.first_chunk()?)),
            Uint::Le32 => u64::from(u32::from_le_bytes(*b.first_chunk()?)),
            Uint::Be64 => u64::from_be_bytes(*b.first_chunk()?),
            Uint::Le64 => u64::from_le_bytes(*b.first_chunk()?),
            Uint::Be(n) => b
                .get(..usize::from(n))?
                .iter()
                .fold(0, |v, &x| v << 8 | u64::from(x)),
            Uint::Le(n) => b
                .get(..usize::from(n))?
                .iter()
                .rev()
                .fold(0, |v, &x| v << 8 | u64::from(x)),
        })
    }
}

/// Sign-extends the low `width` bytes of `raw`.
#[inline(always)]
pub(crate) const fn sign_extend(raw: u64, width: usize) -> i64 {
    let shift = 64 - 8 * width as u32;
    ((raw << shift) as i64) >> shift
}

/// The range of an integer field of `width` bytes.
pub(crate) const fn int_range(signed: bool, width: usize) -> (i128, i128) {
    let bits = 8 * width as u32;
    if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    }
}

/// Why a value cannot be written into a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PutError {
    /// The value is not of the field's kind.
    Type,
    /// The value does not fit the field (integer range, float overflow,
    /// byte string too long, `c` not exactly one byte).
    Range,
}

/// Writes `value` into `out` (at least `field`'s bytes) as `struct.pack`
/// would under `order`. `out` must be zeroed: unused bytes of `s`/`p` are left
/// as they are.
pub(crate) const fn put_value(
    field: &Field,
    order: ByteOrder,
    value: &Value<'_>,
    out: &mut [u8],
) -> Result<(), PutError> {
    let big = order.is_big_endian();
    match (field.kind, *value) {
        (Kind::Signed | Kind::Unsigned, Value::Int(v)) => {
            let (mut lo, hi) = int_range(matches!(field.kind, Kind::Signed), field.size);
            if field.code == b'P' {
                // CPython packs a pointer from any value a C intptr_t or
                // uintptr_t can hold, and unpacks it unsigned.
                lo = int_range(true, field.size).0;
            }
            if v < lo || v > hi {
                return Err(PutError::Range);
            }
            put_uint(v as u64, field.size, big, out);
            Ok(())
        }
        (Kind::Bool, Value::Bool(b)) => {
            out[0] = b as u8;
            Ok(())
        }
        (Kind::Float, Value::Float(x)) => {
            match field.size {
                2 => match f64_to_f16(x) {
                    Some(bits) => put_uint(bits as u64, 2, big, out),
                    None => return Err(PutError::Range),
                },
                4 => {
                    let y = x as f32;
                    // CPython's native `f` is a plain C cast: no overflow check.
                    if y.is_infinite() && !x.is_infinite() && !order.is_native_size() {
                        return Err(PutError::Range);
                    }
                    put_uint(y.to_bits() as u64, 4, big, out)
                }
                _ => put_uint(x.to_bits(), 8, big, out),
            }
            Ok(())
        }
        (Kind::Char, Value::Bytes(b)) => {
            if b.len() != 1 {
                return Err(PutError::Range);
            }
            out[0] = b[0];
            Ok(())
        }
        (Kind::Bytes, Value::Bytes(b)) => {
            if b.len() > field.size {
                return Err(PutError::Range);
            }
            let mut i = 0;
            while i < b.len() {
                out[i] = b[i];
                i += 1;
            }
            Ok(())
        }
        (Kind::Pascal, Value::Bytes(b)) => {
            if field.size == 0 {
                return if b.is_empty() {
                    Ok(())
                } else {
                    Err(PutError::Range)
                };
            }
            if b.len() > field.size - 1 || b.len() > 255 {
                return Err(PutError::Range);
            }
            out[0] = b.len() as u8;
            let mut i = 0;
            while i < b.len() {
                out[1 + i] = b[i];
                i += 1;
            }
            Ok(())
        }
        _ => Err(PutError::Type),
    }
}

/// Writes the low `width` bytes of `v` into `out[..width]`.
pub(crate) const fn put_uint(v: u64, width: usize, big: bool, out: &mut [u8]) {
    let mut i = 0;
    while i < width {
        let shift = if big { 8 * (width - 1 - i) } else { 8 * i };
        out[i] = (v >> shift) as u8;
        i += 1;
    }
}

/// IEEE-754 binary16 to binary64 (exact), as CPython's `PyFloat_Unpack2`.
pub(crate) const fn f16_to_f64(h: u16) -> f64 {
    let sign = ((h as u64) & 0x8000) << 48;
    let exp = ((h >> 10) & 0x1f) as u64;
    let frac = (h & 0x3ff) as u64;
    let bits = match (exp, frac) {
        (0, 0) => 0,
        (0, _) => {
            // Subnormal: normalise the fraction into binary64's wider exponent.
            let lead = 63 - frac.leading_zeros() as u64; // 0..=9
            let e = lead + 1023 - 24;
            (e << 52) | ((frac << (52 - lead)) & 0x000f_ffff_ffff_ffff)
        }
        (0x1f, 0) => 0x7ff0_0000_0000_0000,
        // CPython returns the standard quiet NaN with the sign kept.
        (0x1f, _) => 0x7ff8_0000_0000_0000,
        _ => ((exp + 1023 - 15) << 52) | (frac << 42),
    };
    f64::from_bits(sign | bits)
}

/// binary64 to binary16 as CPython's `PyFloat_Pack2`: round half to even,
/// `None` where CPython raises "float too large to pack with e format".
pub(crate) const fn f64_to_f16(x: f64) -> Option<u16> {
    let bits = x.to_bits();
    let sign = ((bits >> 48) & 0x8000) as u16;
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let mant = bits & 0x000f_ffff_ffff_ffff;
    if exp == 0x7ff {
        // CPython packs every NaN as the quiet NaN with the sign kept.
        return Some(sign | if mant == 0 { 0x7c00 } else { 0x7e00 });
    }
    if exp == 0 {
        // Zero or a binary64 subnormal: far below half the smallest binary16.
        return Some(sign);
    }
    let e = exp - 1023;
    let m = mant | (1u64 << 52);
    // Number of low bits of `m` to round away, so that the result counts
    // units of the binary16 mantissa (normal) or of 2^-24 (subnormal).
    let shift: u32 = if e >= -14 { 42 } else { (28 - e) as u32 };
    if shift >= 64 {
        return Some(sign);
    }
    let mut q = m >> shift;
    let rem = m & ((1u64 << shift) - 1);
    let half = 1u64 << (shift - 1);
    if rem > half || (rem == half && q & 1 == 1) {
        q += 1;
    }
    if e >= -14 {
        let mut e16 = e + 15;
        if q == 2048 {
            q = 1024;
            e16 += 1;
        }
        if e16 >= 31 {
            return None;
        }
        Some(sign | ((e16 as u16) << 10) | (q as u16 - 1024))
    } else {
        // Subnormal; a carry into 1024 is exactly the smallest normal.
        Some(sign | q as u16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_floats_round_trip_and_round_like_cpython() {
        for (x, bits) in [
            (0.0, 0x0000),
            (-0.0, 0x8000),
            (1.0, 0x3c00),
            (-2.0, 0xc000),
            (65504.0, 0x7bff),
            (5.960464477539063e-8, 0x0001),
            (6.103515625e-5, 0x0400),
            (f64::INFINITY, 0x7c00),
            (1.0009765625, 0x3c01),
            // Halfway between 1.0 and 1.0009765625: ties to even.
            (1.00048828125, 0x3c00),
            (2.9802322387695312e-8, 0x0000),
        ] {
            assert_eq!(f64_to_f16(x), Some(bits), "{x}");
            if x == x {
                let back = f16_to_f64(bits);
                assert!(
                    back == x || bits == 0 || bits == 0x3c00,
                    "{x} -> {bits:#x} -> {back}"
                );
            }
        }
        assert_eq!(f64_to_f16(65520.0), None);
        assert_eq!(f64_to_f16(1e300), None);
        assert_eq!(f64_to_f16(65519.99), Some(0x7bff));
        assert_eq!(f64_to_f16(f64::NAN), Some(0x7e00));
        assert!(f16_to_f64(0x7e00).is_nan());
    }

    #[test]
    fn rust_values_convert_to_their_variant_exactly() {
        assert_eq!(Value::from(u64::MAX), Value::Int(i128::from(u64::MAX)));
        assert_eq!(Value::from(i64::MIN), Value::Int(i128::from(i64::MIN)));
        assert_eq!(Value::from(usize::MAX).as_int(), Some(usize::MAX as i128));
        assert_eq!(Value::from(-1isize), Value::Int(-1));
        assert_eq!(Value::from(0xCAFEu16), Value::Int(0xCAFE));
        assert_eq!(Value::from(-5i8), Value::Int(-5));
        assert_eq!(Value::from(i128::MIN), Value::Int(i128::MIN));
        assert_eq!(Value::from(false), Value::Bool(false));
        assert_eq!(Value::from(0.1f32), Value::Float(f64::from(0.1f32)));
        assert_eq!(Value::from(0.1f64), Value::Float(0.1));
        let bytes: Value<'_> = b"abc".into();
        assert_eq!(bytes, Value::Bytes(b"abc"));
        assert_eq!(Value::from(&b"abc"[..]), bytes);
    }

    #[test]
    fn sign_extension() {
        assert_eq!(sign_extend(0xff, 1), -1);
        assert_eq!(sign_extend(0x7fff, 2), 32767);
        assert_eq!(sign_extend(0x8000_0000, 4), -2_147_483_648);
        assert_eq!(sign_extend(u64::MAX, 8), -1);
    }
}
