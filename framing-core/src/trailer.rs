//! Checksum trailers: a CRC after the payload, checked before the frame is
//! returned.
//!
//! ```text
//! +---------+---------------+---------+
//! | header  |    payload    | trailer |   CRC of header + payload (Covers::Frame)
//! +---------+---------------+---------+   or of the payload alone (Covers::Payload)
//! ```
//!
//! CRC-32 is crc32fast's: the processor's carry-less multiply (PCLMULQDQ on
//! x86_64, PMULL on aarch64) where it has it, detected at run time with
//! framing-core's `std` feature (which framing-std turns on) or at compile
//! time without it, and a 16-table slicing loop elsewhere. CRC-32C is
//! crc-fast's with the `std` feature (SSE4.2 `crc32` and carry-less
//! multiply folding, ARMv8 CRC and PMULL, detected at run time: faster
//! than the crc32c crate at every length measured, 20 bytes included), the
//! `crc` crate's table without it. The CRC-16s are sliced by 16 with `std`
//! (`sliced`: our own tables, built at compile time, 8 KiB a polynomial;
//! the `crc` crate's `Table<16>` costs twice as much on a short frame),
//! and the `crc` crate's one 256-entry table without it, for flash; with
//! `std`, inputs of 512 bytes or more (`FOLD_FROM`) go to crc-fast's
//! folding instead, which beats the tables there. The `crc` crate's
//! catalogue entries are the reference every path is tested against.

use core::fmt;

use crc::{Algorithm, Crc};

/// A checksum algorithm a trailer can carry.
///
/// ```
/// use framing_core::Checksum;
///
/// // Every algorithm's catalogue check value, over "123456789".
/// assert_eq!(Checksum::Crc32.checksum(b"123456789"), 0xcbf4_3926);
/// assert_eq!(Checksum::Crc16Xmodem.checksum(b"123456789"), 0x31c3);
/// assert_eq!(Checksum::from_name("crc32c"), Some(Checksum::Crc32c));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Checksum {
    /// CRC-16/XMODEM (poly 0x1021, init 0): Python's
    /// `binascii.crc_hqx(data, 0)`. Check value 0x31c3.
    Crc16Xmodem,
    /// CRC-16/MODBUS (poly 0x8005 reflected, init 0xffff), as Modbus RTU
    /// sends it (little-endian). Check value 0x4b37.
    Crc16Modbus,
    /// CRC-16/CCITT-FALSE, the catalogue's CRC-16/IBM-3740 (poly 0x1021,
    /// init 0xffff). Check value 0x29b1.
    Crc16CcittFalse,
    /// CRC-32/ISO-HDLC: Python's `zlib.crc32`, Ethernet, zip, PNG. Check
    /// value 0xcbf43926.
    Crc32,
    /// CRC-32C (Castagnoli, the catalogue's CRC-32/ISCSI): iSCSI, ext4,
    /// SCTP. Check value 0xe3069283.
    Crc32c,
}

#[cfg_attr(not(feature = "std"), allow(dead_code))]
mod sliced;

/// The CRC-16s' catalogue entries, with the `crc` crate's one table (512
/// bytes): the computation without the `std` feature, for
/// microcontrollers' flash; with it, the parameters (and the tests'
/// reference) for [`sliced`]'s sixteen tables.
type Crc16 = Crc<u16>;

/// With `std`, CRC-16 inputs of at least this many bytes go to crc-fast's
/// folding (PCLMULQDQ on x86_64, PMULL on aarch64, detected at run time).
/// Below it crc-fast's per-call cost outweighs the folding: on the recorded
/// machine (BENCHMARKS.md) the sliced CRC-16 tables are as fast or faster
/// up to 384 bytes, crc-fast faster from 512 (at 4 KiB, CRC-16/XMODEM 167
/// ns against 1,001). CRC-32C folds at every length (see
/// [`Checksum::fold_from`]); CRC-32 stays on crc32fast, faster at every
/// length.
#[cfg(feature = "std")]
const FOLD_FROM: usize = 512;

static CRC16_XMODEM: Crc16 = Crc16::new(&crc::CRC_16_XMODEM);
static CRC16_MODBUS: Crc16 = Crc16::new(&crc::CRC_16_MODBUS);
static CRC16_CCITT_FALSE: Crc16 = Crc16::new(&crc::CRC_16_IBM_3740);
static CRC32: Crc<u32> = Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
static CRC32C: Crc<u32> = Crc::<u32>::new(&crc::CRC_32_ISCSI);

/// A running checksum, for a frame whose bytes pass in pieces (the
/// streaming decoder). It is the register before the final xor: the
/// crate's `Digest` cannot be stored in a `Copy` state, so a piece resumes
/// from the register (`digest_with_initial` of it, bit-reversed for a
/// reflected algorithm) and returns the register again (`finalize` xor the
/// algorithm's `xorout`). That round trip is exact for algorithms whose
/// width is their word's and whose input and output reflection agree,
/// which every [`Checksum`] is (checked by a test over every split).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Running(u32);

impl Checksum {
    /// Every algorithm, in the order of the enum.
    pub const ALL: [Checksum; 5] = [
        Checksum::Crc16Xmodem,
        Checksum::Crc16Modbus,
        Checksum::Crc16CcittFalse,
        Checksum::Crc32,
        Checksum::Crc32c,
    ];

    /// The trailer's length in bytes: 2 or 4.
    pub const fn byte_len(self) -> usize {
        match self {
            Checksum::Crc16Xmodem | Checksum::Crc16Modbus | Checksum::Crc16CcittFalse => 2,
            Checksum::Crc32 | Checksum::Crc32c => 4,
        }
    }

    /// The name the command line uses: `crc16-xmodem`, `crc16-modbus`,
    /// `crc16-ccitt-false`, `crc32`, `crc32c`.
    pub const fn name(self) -> &'static str {
        match self {
            Checksum::Crc16Xmodem => "crc16-xmodem",
            Checksum::Crc16Modbus => "crc16-modbus",
            Checksum::Crc16CcittFalse => "crc16-ccitt-false",
            Checksum::Crc32 => "crc32",
            Checksum::Crc32c => "crc32c",
        }
    }

    /// The algorithm of that [`name`](Self::name), if any.
    pub fn from_name(name: &str) -> Option<Checksum> {
        Checksum::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The checksum of `bytes`.
    #[inline(always)]
    pub fn checksum(self, bytes: &[u8]) -> u32 {
        // One function an algorithm, in which its table and parameters are
        // constants: as fast as the `crc` crate called on its own.
        #[inline(never)]
        fn crc16_xmodem(bytes: &[u8]) -> u32 {
            Checksum::Crc16Xmodem.long_or(bytes, |b| Checksum::Crc16Xmodem.crc16(b))
        }
        #[inline(never)]
        fn crc16_modbus(bytes: &[u8]) -> u32 {
            Checksum::Crc16Modbus.long_or(bytes, |b| Checksum::Crc16Modbus.crc16(b))
        }
        #[inline(never)]
        fn crc16_ccitt_false(bytes: &[u8]) -> u32 {
            Checksum::Crc16CcittFalse.long_or(bytes, |b| Checksum::Crc16CcittFalse.crc16(b))
        }
        #[inline]
        fn crc32(bytes: &[u8]) -> u32 {
            crc32fast::hash(bytes)
        }
        #[inline]
        fn crc32c(bytes: &[u8]) -> u32 {
            // With `std`, folded at every length (`fold_from` is 0).
            Checksum::Crc32c.long_or(bytes, |b| CRC32C.checksum(b))
        }
        match self {
            Checksum::Crc16Xmodem => crc16_xmodem(bytes),
            Checksum::Crc16Modbus => crc16_modbus(bytes),
            Checksum::Crc16CcittFalse => crc16_ccitt_false(bytes),
            Checksum::Crc32 => crc32(bytes),
            Checksum::Crc32c => crc32c(bytes),
        }
    }

    /// A CRC-16's catalogue entry. (`self` is a CRC-16: the CRC-32s are
    /// never asked.)
    const fn catalogue16(self) -> &'static Crc16 {
        match self {
            Checksum::Crc16Modbus => &CRC16_MODBUS,
            Checksum::Crc16CcittFalse => &CRC16_CCITT_FALSE,
            Checksum::Crc16Xmodem | Checksum::Crc32 | Checksum::Crc32c => &CRC16_XMODEM,
        }
    }

    /// A CRC-16's checksum of `bytes`, short of crc-fast's folding: sliced
    /// by 16 with `std`, the `crc` crate's one table without.
    #[inline(always)]
    fn crc16(self, bytes: &[u8]) -> u32 {
        #[cfg(feature = "std")]
        return u32::from(
            self.register16(self.init16(), bytes) ^ self.catalogue16().algorithm.xorout,
        );
        #[cfg(not(feature = "std"))]
        return u32::from(self.catalogue16().checksum(bytes));
    }

    /// A CRC-16's register before any byte (see [`Running`]).
    #[inline(always)]
    fn init16(self) -> u16 {
        let alg = self.catalogue16().algorithm;
        if alg.refin {
            alg.init.reverse_bits()
        } else {
            alg.init
        }
    }

    /// A CRC-16's register after `bytes`, from `reg` (see [`Running`]).
    #[inline(always)]
    fn register16(self, reg: u16, bytes: &[u8]) -> u16 {
        #[cfg(feature = "std")]
        return match self {
            Checksum::Crc16Modbus => sliced::update_8005_reflected(reg, bytes),
            _ => sliced::update_1021(reg, bytes),
        };
        #[cfg(not(feature = "std"))]
        {
            let crc = self.catalogue16();
            let alg = crc.algorithm;
            // The crate reflects an initial value for a reflected algorithm.
            let mut digest =
                crc.digest_with_initial(if alg.refin { reg.reverse_bits() } else { reg });
            digest.update(bytes);
            digest.finalize() ^ alg.xorout
        }
    }

    /// The checksum of `bytes` by crc-fast's folding, if they are long
    /// enough for it to pay ([`FOLD_FROM`]) and it folds this algorithm;
    /// else by `short`. With a constant `self` the choice is one length
    /// comparison.
    #[inline(always)]
    fn long_or(self, bytes: &[u8], short: impl FnOnce(&[u8]) -> u32) -> u32 {
        #[cfg(feature = "std")]
        if bytes.len() >= self.fold_from() {
            if let Some(algorithm) = self.folding() {
                return fold(algorithm, bytes);
            }
        }
        short(bytes)
    }

    /// From how many bytes crc-fast's folding computes this algorithm
    /// (with [`folding`](Self::folding)): [`FOLD_FROM`] for the CRC-16s,
    /// 0 for CRC-32C, where crc-fast beats the crc32c crate's `crc32`
    /// instruction loop at every length (a 20-byte frame: 5.0 ns against
    /// 7.4; 4 KiB: 2x; BENCHMARKS.md).
    #[cfg(feature = "std")]
    const fn fold_from(self) -> usize {
        match self {
            Checksum::Crc32c => 0,
            _ => FOLD_FROM,
        }
    }

    /// crc-fast's name for this algorithm, if it is one crc-fast is used
    /// for (see [`fold_from`](Self::fold_from)).
    #[cfg(feature = "std")]
    const fn folding(self) -> Option<crc_fast::CrcAlgorithm> {
        use crc_fast::CrcAlgorithm as A;
        match self {
            Checksum::Crc16Xmodem => Some(A::Crc16Xmodem),
            Checksum::Crc16Modbus => Some(A::Crc16Modbus),
            Checksum::Crc16CcittFalse => Some(A::Crc16Ibm3740),
            Checksum::Crc32 => None,
            Checksum::Crc32c => Some(A::Crc32Iscsi),
        }
    }

    /// The register before any byte.
    pub(crate) fn start(self) -> Running {
        self.resume(Running(0), &[], true)
    }

    /// The register after `bytes` more.
    pub(crate) fn update(self, running: Running, bytes: &[u8]) -> Running {
        self.resume(running, bytes, false)
    }

    /// The checksum of everything the register has seen.
    pub(crate) fn finish(self, running: Running) -> u32 {
        running.0 ^ self.xorout()
    }

    fn xorout(self) -> u32 {
        match self {
            Checksum::Crc16Xmodem => u32::from(CRC16_XMODEM.algorithm.xorout),
            Checksum::Crc16Modbus => u32::from(CRC16_MODBUS.algorithm.xorout),
            Checksum::Crc16CcittFalse => u32::from(CRC16_CCITT_FALSE.algorithm.xorout),
            Checksum::Crc32 => CRC32.algorithm.xorout,
            Checksum::Crc32c => CRC32C.algorithm.xorout,
        }
    }

    fn resume(self, running: Running, bytes: &[u8], fresh: bool) -> Running {
        fn go16(c: Checksum, r: u32, bytes: &[u8], fresh: bool) -> u32 {
            // A CRC-16's register is its low 16 bits.
            let reg = if fresh { c.init16() } else { r as u16 };
            u32::from(c.register16(reg, bytes))
        }
        fn go32(crc: &Crc<u32>, r: u32, bytes: &[u8], fresh: bool) -> u32 {
            let alg: &Algorithm<u32> = crc.algorithm;
            let mut digest = if fresh {
                crc.digest()
            } else {
                crc.digest_with_initial(if alg.refin { r.reverse_bits() } else { r })
            };
            digest.update(bytes);
            digest.finalize() ^ alg.xorout
        }
        /// crc32fast resumes from a finished checksum: the register xor
        /// `xorout`.
        fn fast32(r: u32, bytes: &[u8], fresh: bool) -> u32 {
            let mut hasher = if fresh {
                crc32fast::Hasher::new()
            } else {
                crc32fast::Hasher::new_with_initial(r ^ CRC32.algorithm.xorout)
            };
            hasher.update(bytes);
            hasher.finalize() ^ CRC32.algorithm.xorout
        }
        let r = running.0;
        // crc-fast's state is the register (its checksum is the state xor
        // `xorout`), so a piece resumes from it as it is.
        #[cfg(feature = "std")]
        if bytes.len() >= self.fold_from() {
            if let Some(algorithm) = self.folding() {
                let mut digest = if fresh {
                    crc_fast::Digest::new(algorithm)
                } else {
                    crc_fast::Digest::new_with_init_state(algorithm, u64::from(r))
                };
                digest.update(bytes);
                // The checksum of a 16- or 32-bit algorithm fits its width.
                return Running(digest.finalize() as u32 ^ self.xorout());
            }
        }
        Running(match self {
            Checksum::Crc16Xmodem | Checksum::Crc16Modbus | Checksum::Crc16CcittFalse => {
                go16(self, r, bytes, fresh)
            }
            Checksum::Crc32 => fast32(r, bytes, fresh),
            // With `std`, crc-fast above, at every length.
            Checksum::Crc32c => go32(&CRC32C, r, bytes, fresh),
        })
    }
}

/// `bytes`' checksum by crc-fast's folding: out of line, the long inputs'
/// path only.
#[cfg(feature = "std")]
#[inline(never)]
fn fold(algorithm: crc_fast::CrcAlgorithm, bytes: &[u8]) -> u32 {
    // The checksum of a 16- or 32-bit algorithm fits its width.
    crc_fast::checksum(algorithm, bytes) as u32
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which bytes a trailer's checksum covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Covers {
    /// The header (with a varint length, if any) and the payload: the
    /// default.
    #[default]
    Frame,
    /// The payload alone.
    Payload,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        let want = [0x31c3, 0x4b37, 0x29b1, 0xcbf4_3926, 0xe306_9283];
        for (c, want) in Checksum::ALL.into_iter().zip(want) {
            assert_eq!(c.checksum(b"123456789"), want, "{c}");
            assert_eq!(Checksum::from_name(c.name()), Some(c));
        }
        assert_eq!(Checksum::from_name("crc64"), None);
    }

    /// crc32fast (its fast path where the processor has one) gives what
    /// the `crc` crate's table gives, at every length around its block
    /// sizes, whole and resumed.
    #[test]
    fn crc32_fast_path_equals_the_table() {
        let data: [u8; 700] = core::array::from_fn(|i| (i * 131 + 7) as u8);
        for n in (0..=data.len()).step_by(3) {
            let bytes = &data[..n];
            assert_eq!(
                Checksum::Crc32.checksum(bytes),
                CRC32.checksum(bytes),
                "{n} bytes"
            );
            let c = Checksum::Crc32;
            let r = c.update(c.update(c.start(), &bytes[..n / 2]), &bytes[n / 2..]);
            assert_eq!(c.finish(r), CRC32.checksum(bytes), "{n} bytes in two");
        }
    }

    /// CRC-32C (crc-fast's SSE4.2 `crc32` and folding with the `std`
    /// feature, the table without) gives what the `crc` crate's table gives.
    #[test]
    fn crc32c_equals_the_table() {
        let data: [u8; 700] = core::array::from_fn(|i| (i * 131 + 7) as u8);
        for n in (0..=data.len()).step_by(3) {
            let bytes = &data[..n];
            assert_eq!(
                Checksum::Crc32c.checksum(bytes),
                CRC32C.checksum(bytes),
                "{n} bytes"
            );
            let c = Checksum::Crc32c;
            let r = c.update(c.update(c.start(), &bytes[..n / 2]), &bytes[n / 2..]);
            assert_eq!(c.finish(r), CRC32C.checksum(bytes), "{n} bytes in two");
        }
    }

    /// The `crc` crate's table for `c`: the reference every fast path is
    /// held to.
    fn table(c: Checksum, bytes: &[u8]) -> u32 {
        match c {
            Checksum::Crc16Xmodem => u32::from(CRC16_XMODEM.checksum(bytes)),
            Checksum::Crc16Modbus => u32::from(CRC16_MODBUS.checksum(bytes)),
            Checksum::Crc16CcittFalse => u32::from(CRC16_CCITT_FALSE.checksum(bytes)),
            Checksum::Crc32 => CRC32.checksum(bytes),
            Checksum::Crc32c => CRC32C.checksum(bytes),
        }
    }

    /// Every algorithm gives the table's answer on both sides of the
    /// switch to crc-fast's folding (with `std`, from `FOLD_FROM` bytes),
    /// whole and resumed in pieces that fall on either side of it: the
    /// register carries from one path to the other.
    #[test]
    fn long_inputs_equal_the_table_whole_and_resumed() {
        let data: [u8; 2100] = core::array::from_fn(|i| (i * 131 + 7) as u8);
        for c in Checksum::ALL {
            for n in (0..=data.len()).step_by(37).chain([511, 512, 513, 1024]) {
                let bytes = &data[..n];
                let want = table(c, bytes);
                assert_eq!(c.checksum(bytes), want, "{c}, {n} bytes");
                for cut in [1, 100, 511, 512, 600].into_iter().filter(|&k| k <= n) {
                    let r = c.update(c.update(c.start(), &bytes[..cut]), &bytes[cut..]);
                    assert_eq!(c.finish(r), want, "{c}, {n} bytes cut at {cut}");
                    let r = c.update(c.start(), &bytes[..n - cut]);
                    let r = c.update(r, &bytes[n - cut..]);
                    assert_eq!(c.finish(r), want, "{c}, {n} bytes cut {cut} from the end");
                }
            }
        }
    }

    /// The sixteen-table loop (the CRC-16s' path with `std`, tested here
    /// with or without it) gives the `crc` crate's register at every
    /// length around its 16-, 8- and 4-byte steps, from every kind of
    /// register, at every alignment.
    #[test]
    fn sliced_crc16s_equal_the_table_from_any_register() {
        let data: [u8; 120] = core::array::from_fn(|i| (i * 131 + 7) as u8);
        for c in [
            Checksum::Crc16Xmodem,
            Checksum::Crc16Modbus,
            Checksum::Crc16CcittFalse,
        ] {
            let crc = c.catalogue16();
            let alg = crc.algorithm;
            for reg in [0u16, 0xffff, 0x1234, 0x8001, c.init16()] {
                for from in 0..4 {
                    for n in 0..=data.len() - from {
                        let bytes = &data[from..from + n];
                        let mut digest = crc.digest_with_initial(if alg.refin {
                            reg.reverse_bits()
                        } else {
                            reg
                        });
                        digest.update(bytes);
                        let want = digest.finalize() ^ alg.xorout;
                        let got = if alg.refin {
                            sliced::update_8005_reflected(reg, bytes)
                        } else {
                            sliced::update_1021(reg, bytes)
                        };
                        assert_eq!(got, want, "{c} from {reg:#06x}, {n} bytes at {from}");
                    }
                }
            }
        }
    }

    #[test]
    fn running_equals_whole_at_every_split() {
        let data: [u8; 40] = core::array::from_fn(|i| (i * 37 + 11) as u8);
        for c in Checksum::ALL {
            assert_eq!(c.finish(c.start()), c.checksum(&[]), "{c} empty");
            for n in 0..=data.len() {
                for m in n..=data.len() {
                    let r = c.update(c.start(), &data[..n]);
                    let r = c.update(r, &data[n..m]);
                    let r = c.update(r, &data[m..]);
                    assert_eq!(c.finish(r), c.checksum(&data), "{c} split at {n}, {m}");
                }
            }
        }
    }
}
