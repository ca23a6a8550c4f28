//! Judging a header against its layout: the length (signed, adjusted,
//! within the maximum) and the constants.

use super::error::HeaderFault;
use super::spec::Layout;
use crate::value;

impl Layout {
    /// Validates a header (`bytes` holds at least `header_len` bytes) and
    /// returns the payload length.
    #[inline(always)]
    pub(crate) fn check_header(&self, bytes: &[u8]) -> Result<u64, HeaderFault> {
        let raw = match self.length.read(bytes) {
            Some(v) => v,
            None => {
                return Err(HeaderFault::Constant {
                    index: usize::MAX,
                    found: 0,
                })
            }
        };
        self.check_length(bytes, raw)
    }

    /// Validates a header (`bytes` holds at least `header_len` bytes) whose
    /// raw length value (a field's bits, or a varint) is `raw`, and returns
    /// the payload length.
    #[inline(always)]
    pub(crate) fn check_length(&self, bytes: &[u8], raw: u64) -> Result<u64, HeaderFault> {
        let l = &self.length;
        if self.n_constants != 0 {
            self.check_constants(bytes)?;
        }
        let value = if l.signed {
            let v = value::sign_extend(raw, l.width);
            if v < 0 && self.adjust == 0 {
                return Err(HeaderFault::Negative(v));
            }
            i128::from(v)
        } else {
            i128::from(raw)
        };
        let payload = value + i128::from(self.adjust);
        if payload < 0 || payload > i128::from(u64::MAX) {
            // The value the header carried, not the adjusted one.
            return Err(HeaderFault::Adjust(value));
        }
        let payload = payload as u64;
        if payload > self.max_payload || payload > usize::MAX as u64 {
            return Err(HeaderFault::TooLong(payload));
        }
        Ok(payload)
    }

    #[cold]
    pub(crate) fn check_constants(&self, bytes: &[u8]) -> Result<(), HeaderFault> {
        let big = self.big();
        for c in self.constants() {
            if !c.matches(&self.pool, big, bytes) {
                let at = bytes.get(c.offset()..).unwrap_or(&[]);
                return Err(HeaderFault::Constant {
                    index: c.index(),
                    found: c.scalar(at, big),
                });
            }
        }
        Ok(())
    }

    /// The value constant `index` expects, as [`Constant::scalar`] gives it.
    pub(crate) fn expected_scalar(&self, index: usize) -> u64 {
        match self.constants().iter().find(|c| c.index() == index) {
            Some(c) => c.scalar(c.bytes(&self.pool), self.big()),
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    #[test]
    fn constants_match_as_values_not_bytes() {
        // `?`: any non-zero byte is true.
        let l = Layout::builder("<?H")
            .constant(0, Value::Bool(true))
            .build()
            .unwrap();
        assert_eq!(l.check_header(&[2, 5, 0]), Ok(5));
        assert_eq!(
            l.check_header(&[0, 5, 0]),
            Err(HeaderFault::Constant { index: 0, found: 0 })
        );
        // Floats: `-0.0 == 0.0`, a NaN constant matches any NaN, values are
        // stored rounded to the field.
        let l = Layout::builder(">dfeH")
            .constant(0, Value::Float(0.0))
            .constant(1, Value::Float(f64::NAN))
            .constant(2, Value::Float(0.1))
            .build()
            .unwrap();
        let mut h = [0u8; 16];
        h[..8].copy_from_slice(&(-0.0f64).to_be_bytes());
        h[8..12].copy_from_slice(&f32::from_bits(0xffc0_0001).to_bits().to_be_bytes());
        h[12..14].copy_from_slice(&value::f64_to_f16(0.1).unwrap().to_be_bytes());
        h[15] = 9;
        assert_eq!(l.check_header(&h), Ok(9));
        assert_eq!(
            l.constant(2),
            Some(Value::Float(value::f16_to_f64(
                value::f64_to_f16(0.1).unwrap()
            )))
        );
        h[12] ^= 1;
        assert_eq!(
            l.check_header(&h),
            Err(HeaderFault::Constant {
                index: 2,
                found: 0x2f66
            })
        );
        // `p`: the length byte is clamped to the room, padding is ignored.
        let l = Layout::builder("<4pB")
            .constant(0, Value::Bytes(b"abc"))
            .build()
            .unwrap();
        assert_eq!(l.constant(0), Some(Value::Bytes(b"abc")));
        assert_eq!(l.check_header(b"\xffabc\x01"), Ok(1));
        assert_eq!(
            l.check_header(b"\x02abc\x01"),
            Err(HeaderFault::Constant {
                index: 0,
                found: 0x0261_6263
            })
        );
        let l = Layout::builder("<4pB")
            .constant(0, Value::Bytes(b"a"))
            .build()
            .unwrap();
        assert_eq!(l.check_header(b"\x01azz\x01"), Ok(1));
        let mut out = [0xffu8; 5];
        assert_eq!(l.encode_header(1, &mut out), Ok(5));
        assert_eq!(&out, b"\x01a\0\0\x01");
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn negative_pointer_constants_are_kept_as_declared() {
        // `struct.pack` takes a negative `P`, `struct.unpack` reads it back
        // unsigned, so the constant (as declared) never matches a header.
        let l = Layout::builder("@PH")
            .length_field(1)
            .constant(0, Value::Int(-1))
            .build()
            .unwrap();
        assert_eq!(l.constant(0), Some(Value::Int(-1)));
        let mut h = [0u8; 10];
        assert_eq!(l.encode_header(3, &mut h), Ok(10));
        assert_eq!(h[..8], [0xff; 8]);
        assert_eq!(
            l.check_header(&h),
            Err(HeaderFault::Constant {
                index: 0,
                found: u64::MAX
            })
        );
    }

    #[test]
    fn header_check_covers_every_fault() {
        let l = Layout::builder("<hH")
            .length_field(0)
            .constant(1, Value::Int(7))
            .max_payload(100)
            .build()
            .unwrap();
        assert_eq!(l.check_header(&[5, 0, 7, 0]), Ok(5));
        assert_eq!(
            l.check_header(&[0xfe, 0xff, 7, 0]),
            Err(HeaderFault::Negative(-2))
        );
        assert_eq!(
            l.check_header(&[101, 0, 7, 0]),
            Err(HeaderFault::TooLong(101))
        );
        assert_eq!(
            l.check_header(&[5, 0, 8, 0]),
            Err(HeaderFault::Constant { index: 1, found: 8 })
        );
        let whole = Layout::builder("!I").length_adjust(-4).build().unwrap();
        assert_eq!(whole.check_header(&[0, 0, 0, 4]), Ok(0));
        assert_eq!(
            whole.check_header(&[0, 0, 0, 3]),
            Err(HeaderFault::Adjust(3))
        );
        let big = Layout::builder("!Q")
            .length_adjust(1)
            .max_payload(u64::MAX)
            .build()
            .unwrap();
        assert_eq!(
            big.check_header(&[0xff; 8]),
            Err(HeaderFault::Adjust(i128::from(u64::MAX)))
        );
    }
}
