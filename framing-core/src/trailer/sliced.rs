//! The CRC-16s sliced by 16: sixteen 256-entry tables a polynomial, built
//! at compile time, and a loop that folds sixteen input bytes into the
//! register with sixteen independent table reads.
//!
//! Why not the `crc` crate's own `Table<16>`: on a frame's 20 bytes it
//! costs 12 ns a call against this loop's 5-6 (x86_64, BENCHMARKS.md): it
//! takes the bytes it cannot slice by 16 one at a time, and goes through
//! its `Digest`. Here 16, 8 and 4 bytes are each one step, so a frame of
//! any length short of 16 is at most three table steps and three bytes.
//! The `crc` crate stays the reference every test holds this to.
//!
//! Register conventions, as the `crc` crate's: a non-reflected algorithm
//! keeps its register most significant bit first, a reflected one least
//! significant bit first (its bits reversed); neither includes `xorout`.

/// The sixteen tables of a CRC-16 with generator `poly` (normal form, as
/// the catalogue writes it): `t[k][x]` is the register after byte `x`
/// followed by `k` zero bytes, from a zero register. Reflected (`reflect`):
/// the same for the bit-reversed algorithm.
const fn tables(poly: u16, reflect: bool) -> [[u16; 256]; 16] {
    let mut t = [[0u16; 256]; 16];
    let rpoly = poly.reverse_bits();
    let mut x = 0;
    while x < 256 {
        let mut c = if reflect { x as u16 } else { (x as u16) << 8 };
        let mut bit = 0;
        while bit < 8 {
            c = if reflect {
                if c & 1 != 0 {
                    (c >> 1) ^ rpoly
                } else {
                    c >> 1
                }
            } else if c & 0x8000 != 0 {
                (c << 1) ^ poly
            } else {
                c << 1
            };
            bit += 1;
        }
        t[0][x] = c;
        x += 1;
    }
    let mut k = 1;
    while k < 16 {
        let mut x = 0;
        while x < 256 {
            let p = t[k - 1][x];
            t[k][x] = if reflect {
                (p >> 8) ^ t[0][(p & 0xff) as usize]
            } else {
                (p << 8) ^ t[0][(p >> 8) as usize]
            };
            x += 1;
        }
        k += 1;
    }
    t
}

/// Poly 0x1021, not reflected: CRC-16/XMODEM and CRC-16/CCITT-FALSE
/// (which differ only in their initial register).
static NORMAL_1021: [[u16; 256]; 16] = tables(0x1021, false);
/// Poly 0x8005, reflected: CRC-16/MODBUS.
static REFLECTED_8005: [[u16; 256]; 16] = tables(0x8005, true);

/// The register of CRC-16 poly 0x1021 (not reflected) after `bytes`.
#[inline]
pub(super) fn update_1021(reg: u16, bytes: &[u8]) -> u16 {
    update::<false>(&NORMAL_1021, reg, bytes)
}

/// The register of CRC-16 poly 0x8005 (reflected) after `bytes`.
#[inline]
pub(super) fn update_8005_reflected(reg: u16, bytes: &[u8]) -> u16 {
    update::<true>(&REFLECTED_8005, reg, bytes)
}

/// One step: the register after the `N` bytes of `w` (`N` is 4, 8 or 16),
/// table `t[N - 1 - i]` read for byte `i`. The register's two bytes
/// combine with the first two input bytes in the order they meet them.
///
/// The bytes the register does not touch are read and combined first, in
/// four independent chains, and the register's two reads last: a step
/// then waits on the register for two table reads and three xors, not for
/// sixteen xors in a row (256-byte inputs: 95 ns a call to 58-69).
#[inline(always)]
fn step<const R: bool, const N: usize>(t: &[[u16; 256]; 16], reg: u16, w: &[u8; N]) -> u16 {
    let mut acc = [0u16; 4];
    let mut i = 2;
    while i < N {
        acc[i % 4] ^= t[N - 1 - i][usize::from(w[i])];
        i += 1;
    }
    let x = if R {
        reg ^ u16::from_le_bytes([w[0], w[1]])
    } else {
        reg ^ u16::from_be_bytes([w[0], w[1]])
    };
    let (first, second) = if R {
        (x & 0xff, x >> 8)
    } else {
        (x >> 8, x & 0xff)
    };
    (acc[0] ^ acc[1])
        ^ (acc[2] ^ acc[3])
        ^ t[N - 1][usize::from(first)]
        ^ t[N - 2][usize::from(second)]
}

#[inline(always)]
fn update<const R: bool>(t: &[[u16; 256]; 16], mut reg: u16, mut bytes: &[u8]) -> u16 {
    while let Some((w, rest)) = bytes.split_first_chunk::<16>() {
        reg = step::<R, 16>(t, reg, w);
        bytes = rest;
    }
    if let Some((w, rest)) = bytes.split_first_chunk::<8>() {
        reg = step::<R, 8>(t, reg, w);
        bytes = rest;
    }
    if let Some((w, rest)) = bytes.split_first_chunk::<4>() {
        reg = step::<R, 4>(t, reg, w);
        bytes = rest;
    }
    for &b in bytes {
        reg = if R {
            (reg >> 8) ^ t[0][usize::from((reg as u8) ^ b)]
        } else {
            (reg << 8) ^ t[0][usize::from(((reg >> 8) as u8) ^ b)]
        };
    }
    reg
}
