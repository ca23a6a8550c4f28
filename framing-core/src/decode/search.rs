//! Byte searches for the delimited states: a byte, one of two bytes, a
//! byte string, and a byte string that may have begun in bytes already
//! seen. Portable word-at-a-time code, no `unsafe`.

/// Bytes whose value is `x` in every byte.
const fn splat(x: u8) -> u64 {
    u64::from_le_bytes([x; 8])
}

/// The first position of byte `a` or `b` in `hay` (SLIP's END and ESC):
/// memchr's `memchr2` (SIMD) for long haystacks, as [`find1`], else eight
/// bytes a step, with the "has a zero byte" test on each word.
#[inline]
pub(super) fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    if hay.len() >= MEMCHR_FROM {
        return memchr::memchr2(a, b, hay);
    }
    find2_words(hay, a, b)
}

/// [`find2`] by words alone.
#[inline]
fn find2_words(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    const LO: u64 = splat(0x01);
    const HI: u64 = splat(0x80);
    let (wa, wb) = (splat(a), splat(b));
    let mut rest = hay;
    while let Some((w, tail)) = rest.split_first_chunk::<8>() {
        let x = u64::from_le_bytes(*w);
        let (xa, xb) = (x ^ wa, x ^ wb);
        let zero = ((xa.wrapping_sub(LO) & !xa) | (xb.wrapping_sub(LO) & !xb)) & HI;
        if zero != 0 {
            // The lowest flagged byte is a true match (borrows only run
            // upwards from it).
            let at = hay.len() - rest.len();
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        rest = tail;
    }
    let at = hay.len() - rest.len();
    rest.iter().position(|&x| x == a || x == b).map(|p| at + p)
}

/// Haystacks at least this long go to `memchr` (SIMD); shorter ones are
/// searched word by word here, where memchr's setup costs more than it
/// saves. (Searching the first 64 bytes by words before handing the rest
/// to memchr was measured too: COBS 4 KiB frames went from 1.09x to 1.41x
/// a memcpy, and short lines gained nothing.)
const MEMCHR_FROM: usize = 64;

/// The first position of byte `x` in `hay`: memchr for long haystacks,
/// else a word test sixteen bytes at a time.
#[inline]
pub(crate) fn find1(hay: &[u8], x: u8) -> Option<usize> {
    if hay.len() >= MEMCHR_FROM {
        return memchr::memchr(x, hay);
    }
    find1_words(hay, x)
}

/// [`find1`] by words alone.
#[inline]
fn find1_words(hay: &[u8], x: u8) -> Option<usize> {
    const LO: u64 = splat(0x01);
    const HI: u64 = splat(0x80);
    let wx = splat(x);
    let flag = |w: [u8; 8]| {
        let v = u64::from_le_bytes(w) ^ wx;
        v.wrapping_sub(LO) & !v & HI
    };
    let mut rest = hay;
    while let Some((w, tail)) = rest.split_first_chunk::<16>() {
        let (a, b) = w.split_at(8);
        let fa = flag(a.try_into().unwrap_or([0; 8]));
        let fb = flag(b.try_into().unwrap_or([0; 8]));
        if fa | fb != 0 {
            let at = hay.len() - rest.len();
            // The lowest flagged byte of the first flagged word matches.
            return Some(if fa != 0 {
                at + (fa.trailing_zeros() / 8) as usize
            } else {
                at + 8 + (fb.trailing_zeros() / 8) as usize
            });
        }
        rest = tail;
    }
    let at = hay.len() - rest.len();
    find1_short(rest, x).map(|p| at + p)
}

/// [`find1`] in fewer than sixteen bytes: two overlapping words (of eight
/// bytes, or four below eight), the second looked at only when the first
/// has no match, so the lowest flagged byte of either is a true match.
/// Small chunks (a UART's, a socket's first read) search here on every
/// call.
#[inline]
fn find1_short(hay: &[u8], x: u8) -> Option<usize> {
    const LO: u64 = splat(0x01);
    const HI: u64 = splat(0x80);
    let n = hay.len();
    let flag = |v: u64, lo: u64, hi: u64| {
        let v = v ^ (splat(x) & (lo * 0xff));
        v.wrapping_sub(lo) & !v & hi
    };
    let (first, last, width) =
        if let (Some(a), Some(b)) = (hay.first_chunk::<8>(), hay.last_chunk::<8>()) {
            let (a, b) = (u64::from_le_bytes(*a), u64::from_le_bytes(*b));
            (flag(a, LO, HI), flag(b, LO, HI), 8)
        } else if let (Some(a), Some(b)) = (hay.first_chunk::<4>(), hay.last_chunk::<4>()) {
            let (lo, hi) = (LO & 0xffff_ffff, HI & 0xffff_ffff);
            let (a, b) = (u32::from_le_bytes(*a), u32::from_le_bytes(*b));
            (flag(a.into(), lo, hi), flag(b.into(), lo, hi), 4)
        } else {
            return hay.iter().position(|&b| b == x);
        };
    if first != 0 {
        return Some((first.trailing_zeros() / 8) as usize);
    }
    (last != 0).then(|| n - width + (last.trailing_zeros() / 8) as usize)
}

/// Whether `data`, 8 to 16 bytes (a short COBS frame's one block), holds
/// a zero: [`find1_short`]'s two overlapping words without the position
/// (`None` for any other length, which [`find1`] searches).
#[inline(always)]
pub(super) fn has_zero_short(data: &[u8]) -> Option<bool> {
    const LO: u64 = splat(0x01);
    const HI: u64 = splat(0x80);
    if data.len() > 16 {
        return None;
    }
    let (a, b) = (data.first_chunk::<8>()?, data.last_chunk::<8>()?);
    let flag = |w: &[u8; 8]| {
        let v = u64::from_le_bytes(*w);
        v.wrapping_sub(LO) & !v & HI
    };
    Some(flag(a) | flag(b) != 0)
}

/// The first position of `sep` in `hay`.
#[inline]
pub(super) fn find(hay: &[u8], sep: &[u8]) -> Option<usize> {
    let (&first, tail) = sep.split_first()?;
    if tail.is_empty() {
        return find1(hay, first);
    }
    let mut from = 0;
    while let Some(p) = find1(&hay[from..], first) {
        let i = from + p;
        if hay[i + 1..].starts_with(tail) {
            return Some(i);
        }
        if hay.len() - i < sep.len() {
            return None;
        }
        from = i + 1;
    }
    None
}

/// Where a byte-string delimiter `sep` ends, in `rest`, after bytes that
/// end with its first `m` bytes (pending: not yet known to be data).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SepFind {
    /// The delimiter ends `consumed` bytes into `rest`; the frame's data
    /// is the first `pending` pending bytes, then `rest[..data]`.
    End {
        pending: usize,
        data: usize,
        consumed: usize,
    },
    /// No delimiter ends in `rest`: `pending` pending bytes and
    /// `rest[..data]` are data, and the bytes after them, the delimiter's
    /// first `matched` bytes, pending.
    More {
        pending: usize,
        data: usize,
        matched: usize,
    },
}

#[inline]
pub(super) fn sep_find(sep: &[u8], m: usize, rest: &[u8]) -> SepFind {
    if let ([b], 0) = (sep, m) {
        // One byte: nothing pending, no partial match to keep.
        return match find1(rest, *b) {
            Some(p) => SepFind::End {
                pending: 0,
                data: p,
                consumed: p + 1,
            },
            None => SepFind::More {
                pending: 0,
                data: rest.len(),
                matched: 0,
            },
        };
    }
    // A delimiter beginning in the pending bytes, earliest first.
    for j in 0..m {
        let have = m - j;
        if sep[j..m] != sep[..have] {
            continue;
        }
        let need = &sep[have..];
        if rest.len() >= need.len() {
            if rest.starts_with(need) {
                return SepFind::End {
                    pending: j,
                    data: 0,
                    consumed: need.len(),
                };
            }
        } else if need.starts_with(rest) {
            return SepFind::More {
                pending: j,
                data: 0,
                matched: have + rest.len(),
            };
        }
    }
    match find(rest, sep) {
        Some(p) => SepFind::End {
            pending: m,
            data: p,
            consumed: p + sep.len(),
        },
        None => {
            // The longest end of `rest` that may begin a delimiter.
            let k = (1..sep.len())
                .rev()
                .find(|&k| k <= rest.len() && rest.ends_with(&sep[..k]))
                .unwrap_or(0);
            SepFind::More {
                pending: m,
                data: rest.len() - k,
                matched: k,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_search_finds_what_the_byte_search_finds() {
        let hay: [u8; 40] = core::array::from_fn(|i| (i * 37 % 251) as u8);
        for from in 0..hay.len() {
            for (a, b) in [
                (0u8, 0u8),
                (0x80, 0x80),
                (hay[from], 0xc0),
                (0x01, 0xff),
                (hay[from], hay[from]),
            ] {
                let want = hay[from..].iter().position(|&x| x == a || x == b);
                assert_eq!(find2(&hay[from..], a, b), want, "{a} {b} from {from}");
            }
        }
        assert_eq!(find(b"ab\r\r\nc", b"\r\n"), Some(3));
        let long: [u8; 100] = core::array::from_fn(|i| (i * 29 % 253) as u8 + 1);
        for from in 0..long.len() {
            for x in [0u8, 1, 0x80, 0xff, long[from], long[long.len() - 1]] {
                let want = long[from..].iter().position(|&b| b == x);
                assert_eq!(find1(&long[from..], x), want, "{x} from {from}");
                // Two bytes, by memchr2 from 64 bytes on and by words below.
                let y = long[(from + 7) % long.len()];
                let want = long[from..].iter().position(|&b| b == x || b == y);
                assert_eq!(find2(&long[from..], x, y), want, "{x} {y} from {from}");
            }
        }
        assert_eq!(find(b"ab\r", b"\r\n"), None);
        // The two-word zero test: exactly a byte search's answer from 8 to
        // 16 bytes, a zero at every position or none, beside bytes that
        // borrow; other lengths left to the search.
        for n in 0..=20usize {
            for fill in [0x01u8, 0x7f, 0x80, 0xff] {
                for zero in (0..n).map(Some).chain([None]) {
                    let mut data = [fill; 20];
                    if let Some(z) = zero {
                        data[z] = 0;
                    }
                    let data = &data[..n];
                    let want = (8..=16).contains(&n).then(|| data.contains(&0));
                    assert_eq!(has_zero_short(data), want, "{n} {fill} {zero:?}");
                }
            }
        }
        // Every short length, every position, every byte that matters.
        for n in 0..20 {
            let hay = &long[..n];
            for x in [0u8, long[0], long[n.saturating_sub(1)], long[n / 2], 0xff] {
                let want = hay.iter().position(|&b| b == x);
                assert_eq!(find1(hay, x), want, "{x} in {n} bytes");
            }
        }
        // Bytes just above and below the one sought (the word test's
        // borrows), and repeats of it.
        for n in 1..20usize {
            for at in 0..n {
                for fill in [0x00u8, 0x01, 0x7f, 0x80, 0xfe, 0xff] {
                    let mut hay = [fill; 20];
                    hay[at] = 0x80;
                    if at + 1 < n {
                        hay[at + 1] = 0x80;
                    }
                    let want = hay[..n].iter().position(|&b| b == 0x80);
                    assert_eq!(find1(&hay[..n], 0x80), want, "{n} {at} {fill}");
                    let want = hay[..n].iter().position(|&b| b == 0x81);
                    assert_eq!(find1(&hay[..n], 0x81), want, "{n} {at} {fill}");
                }
            }
        }
    }
}
