//! `#[derive(Header)]`'s `FORMAT` agrees with CPython's `struct`: for
//! generated structs covering every accepted field type, every byte order,
//! every length type, padding and constants, python3 checks that
//! `struct.calcsize(FORMAT)` is the header size and that
//! `struct.pack(FORMAT, *values)` is the header the encoder wrote (and
//! `struct.unpack` gives the values back), where the values are those the
//! derived reader read from it; the reader gives back what was encoded.
//!
//! The interpreter: `FRAMING_PYTHON` (set by .ci/run), else the workspace's
//! `target/pyenv`, else `python3` on the PATH. Without one the test says it
//! skipped, unless `CI` is set, where it fails.
#![cfg(feature = "derive")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use framing_core::{TypedHeader, U24};
use serde_json::{json, Value as Json};

/// A deterministic value of each field type, from a seed.
trait Sample: Copy + PartialEq + std::fmt::Debug {
    fn sample(seed: u64) -> Self;
    /// The value as the checker's JSON: `["i", "digits"]`, `["b", bool]`,
    /// `["f", "f64 bits in hex"]`, `["s", "hex"]`.
    fn json(&self) -> Json;
}

/// A 64-bit mix of the seed (splitmix64's finaliser).
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

macro_rules! sample_int {
    ($($t:ty),*) => {$(
        impl Sample for $t {
            fn sample(seed: u64) -> Self {
                // Extremes now and then, else anything.
                match seed % 5 {
                    0 => <$t>::MIN,
                    1 => <$t>::MAX,
                    _ => mix(seed) as $t,
                }
            }
            fn json(&self) -> Json {
                json!(["i", self.to_string()])
            }
        }
    )*};
}

sample_int!(i8, u8, i16, u16, i32, u32, i64, u64);

impl Sample for bool {
    fn sample(seed: u64) -> Self {
        mix(seed) & 1 == 1
    }
    fn json(&self) -> Json {
        json!(["b", self])
    }
}

impl Sample for f32 {
    fn sample(seed: u64) -> Self {
        // Finite, not NaN (NaN is unequal to itself), of every magnitude.
        let v = f32::from_bits(mix(seed) as u32);
        if v.is_finite() {
            v
        } else {
            -0.0
        }
    }
    fn json(&self) -> Json {
        json!(["f", format!("{:016x}", f64::from(*self).to_bits())])
    }
}

impl Sample for f64 {
    fn sample(seed: u64) -> Self {
        let v = f64::from_bits(mix(seed));
        if v.is_finite() {
            v
        } else {
            1e-300
        }
    }
    fn json(&self) -> Json {
        json!(["f", format!("{:016x}", self.to_bits())])
    }
}

impl<const N: usize> Sample for [u8; N] {
    fn sample(seed: u64) -> Self {
        let mut a = [0u8; N];
        for (i, b) in a.iter_mut().enumerate() {
            *b = mix(seed ^ (i as u64 * 7919)) as u8;
        }
        a
    }
    fn json(&self) -> Json {
        json!([
            "s",
            self.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ])
    }
}

impl Sample for U24 {
    fn sample(seed: u64) -> Self {
        U24::new(mix(seed) as u32 & 0xff_ffff).unwrap()
    }
    /// Never called: a `U24`'s bytes depend on the byte order
    /// ([`LenJson`]).
    fn json(&self) -> Json {
        unreachable!("a U24's JSON needs the byte order")
    }
}

/// A length field's value as the checker's JSON, in the header's byte
/// order (`struct` packs a `U24` as the `3s` bytes).
trait LenJson {
    fn len_json(&self, order: &str) -> Json;
}

macro_rules! len_json_as_sample {
    ($($t:ty),*) => {$(
        impl LenJson for $t {
            fn len_json(&self, _: &str) -> Json {
                self.json()
            }
        }
    )*};
}

len_json_as_sample!(
    i8, u8, i16, u16, i32, u32, i64, u64, [u8; 1], [u8; 2], [u8; 3], [u8; 5], [u8; 8]
);

impl LenJson for U24 {
    fn len_json(&self, order: &str) -> Json {
        let bytes = match order {
            "big" | "network" => self.to_be_bytes(),
            "little" => self.to_le_bytes(),
            _ => self.to_ne_bytes(),
        };
        bytes.json()
    }
}

/// What one case contributes: the checker's record, after the Rust-side
/// checks.
type Case = fn(u64) -> Json;

/// A struct of every field type in an order that needs native alignment,
/// with padding, for one byte order.
macro_rules! every_type {
    ($name:ident, $order:tt) => {
        #[derive(framing_core::Header, Clone, Copy, Debug, PartialEq)]
        #[framing(byte_order = $order)]
        struct $name {
            a: i8,
            b: u64,
            c: u8,
            d: i16,
            #[framing(pad = 3)]
            e: bool,
            f: f64,
            g: u16,
            h: f32,
            #[framing(pad_after = 1)]
            i: i32,
            j: [u8; 3],
            k: u32,
            l: i64,
            m: [u8; 1],
            n: f32,
            #[framing(length)]
            len: u32,
            o: [u8; 0],
            p: bool,
        }

        impl $name {
            fn case(seed: u64) -> Json {
                let s = |k: u64| seed * 100 + k;
                let v = $name {
                    a: Sample::sample(s(1)),
                    b: Sample::sample(s(2)),
                    c: Sample::sample(s(3)),
                    d: Sample::sample(s(4)),
                    e: Sample::sample(s(5)),
                    f: Sample::sample(s(6)),
                    g: Sample::sample(s(7)),
                    h: Sample::sample(s(8)),
                    i: Sample::sample(s(9)),
                    j: Sample::sample(s(10)),
                    k: Sample::sample(s(11)),
                    l: Sample::sample(s(12)),
                    m: Sample::sample(s(13)),
                    n: Sample::sample(s(14)),
                    len: 0,
                    o: [],
                    p: Sample::sample(s(15)),
                };
                let payload = vec![7u8; (seed % 40) as usize];
                let mut out = [0u8; 512];
                let n = v.encode(&payload, &mut out).unwrap();
                assert_eq!(&out[n - payload.len()..n], &payload[..]);
                let back = $name::from_bytes(&out[..n]).unwrap();
                assert_eq!(
                    back,
                    $name {
                        len: payload.len() as u32,
                        ..v
                    }
                );
                let values = vec![
                    back.a.json(),
                    back.b.json(),
                    back.c.json(),
                    back.d.json(),
                    back.e.json(),
                    back.f.json(),
                    back.g.json(),
                    back.h.json(),
                    back.i.json(),
                    back.j.json(),
                    back.k.json(),
                    back.l.json(),
                    back.m.json(),
                    back.n.json(),
                    back.len.json(),
                    back.o.json(),
                    back.p.json(),
                ];
                record::<$name>(&out[..$name::SIZE], values)
            }
        }
    };
}

every_type!(EveryNative, "native");
every_type!(EveryNativeStd, "native_std");
every_type!(EveryLittle, "little");
every_type!(EveryBig, "big");
every_type!(EveryNetwork, "network");

/// A struct whose length field is of type `$len`, with a constant of each
/// kind, for one byte order.
macro_rules! length_type {
    ($name:ident, $order:tt, $len:ty, $adjust:expr) => {
        #[derive(framing_core::Header, Clone, Copy, Debug, PartialEq)]
        #[framing(byte_order = $order, max_payload = 100)]
        struct $name {
            #[framing(constant = 0x7e)]
            sync: u8,
            #[framing(constant = true)]
            flag: bool,
            #[framing(pad = 1, constant = -1.5)]
            scale: f64,
            #[framing(constant = b"ID")]
            tag: [u8; 3],
            kind: i16,
            #[framing(length, adjust = $adjust)]
            len: $len,
            #[framing(pad_after = 2)]
            id: u8,
        }

        impl $name {
            fn case(seed: u64) -> Json {
                let zero: $len = Sample::sample(5 * 7); // anything: the encoder sets it
                let v = $name {
                    sync: 0,
                    flag: false,
                    scale: 0.0,
                    tag: [0; 3],
                    kind: Sample::sample(seed),
                    len: zero,
                    id: Sample::sample(seed + 1),
                };
                let payload = vec![1u8; 10 + (seed % 91) as usize];
                let mut out = [0u8; 256];
                let n = v.encode(&payload, &mut out).unwrap();
                let back = $name::from_bytes(&out[..n]).unwrap();
                let view = $name::view(&out[..n]).unwrap();
                assert_eq!(view.get(), back);
                assert_eq!(
                    (back.sync, back.flag, back.scale, back.tag, back.kind, back.id),
                    (0x7e, true, -1.5, *b"ID\0", v.kind, v.id)
                );
                assert_eq!(
                    framing_core::Header::new_checked(&out[..n], &$name::LAYOUT)
                        .unwrap()
                        .length_value(),
                    payload.len() as i128 - ($adjust)
                );
                let values = vec![
                    back.sync.json(),
                    back.flag.json(),
                    back.scale.json(),
                    back.tag.json(),
                    back.kind.json(),
                    back.len.len_json($order),
                    back.id.json(),
                ];
                record::<$name>(&out[..$name::SIZE], values)
            }
        }
    };
}

length_type!(LenU8, "little", u8, 0);
length_type!(LenI8, "big", i8, 0);
length_type!(LenU16, "network", u16, -2);
length_type!(LenI16, "native", i16, 0);
length_type!(LenU32, "native_std", u32, 3);
length_type!(LenI32, "little", i32, -20);
length_type!(LenU64, "big", u64, 0);
length_type!(LenI64, "native", i64, 1);
length_type!(Len1s, "network", [u8; 1], 0);
length_type!(Len2s, "little", [u8; 2], 0);
length_type!(Len3sBig, "big", [u8; 3], 0);
length_type!(Len3sLittle, "little", [u8; 3], 0);
length_type!(Len3sNative, "native", [u8; 3], -9);
length_type!(Len5s, "native_std", [u8; 5], 0);
length_type!(Len8s, "network", [u8; 8], 0);
length_type!(LenU24Big, "big", U24, 0);
length_type!(LenU24Network, "network", U24, -4);
length_type!(LenU24Little, "little", U24, 0);
length_type!(LenU24Native, "native", U24, 2);
length_type!(LenU24NativeStd, "native_std", U24, 0);

/// One record for the checker.
fn record<T: TypedHeader>(header: &[u8], values: Vec<Json>) -> Json {
    assert_eq!(header.len(), T::SIZE);
    json!({
        "format": T::FORMAT,
        "size": T::SIZE,
        "header": header.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        "values": values,
    })
}

const CHECKER: &str = r#"
import json, struct, sys
def value(v):
    t, x = v
    if t == "i": return int(x)
    if t == "b": return x
    if t == "f": return struct.unpack("<d", bytes.fromhex(x)[::-1])[0]
    return bytes.fromhex(x)
bad = n = 0
for line in sys.stdin:
    r = json.loads(line)
    n += 1
    fmt, header = r["format"], bytes.fromhex(r["header"])
    values = [value(v) for v in r["values"]]
    problems = []
    if struct.calcsize(fmt) != r["size"]:
        problems.append(f"calcsize {struct.calcsize(fmt)} != {r['size']}")
    try:
        packed = struct.pack(fmt, *values)
        if packed != header:
            problems.append(f"pack {packed.hex()} != encoder {header.hex()}")
        back = list(struct.unpack(fmt, header))
        if [struct.pack(fmt[0] + "d", x) if isinstance(x, float) else x for x in back] != \
           [struct.pack(fmt[0] + "d", x) if isinstance(x, float) else x for x in values]:
            problems.append(f"unpack {back} != {values}")
    except struct.error as e:
        problems.append(f"struct.error {e}")
    if problems:
        bad += 1
        print(fmt, "; ".join(problems))
print(f"checked {n} headers, {bad} disagree")
sys.exit(1 if bad else 0)
"#;

/// The interpreter, or `None` (a failure under CI).
fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FRAMING_PYTHON") {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "FRAMING_PYTHON={} is not a file", p.display());
        return Some(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/pyenv/bin/python3");
    if venv.is_file() {
        return Some(venv);
    }
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("python3"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "no python3 (FRAMING_PYTHON, target/pyenv or PATH), and CI is set: \
             the derive's FORMAT must be checked against CPython"
        );
    }
    found
}

#[test]
fn derived_formats_agree_with_cpython_struct() {
    let cases: &[Case] = &[
        EveryNative::case,
        EveryNativeStd::case,
        EveryLittle::case,
        EveryBig::case,
        EveryNetwork::case,
        LenU8::case,
        LenI8::case,
        LenU16::case,
        LenI16::case,
        LenU32::case,
        LenI32::case,
        LenU64::case,
        LenI64::case,
        Len1s::case,
        Len2s::case,
        Len3sBig::case,
        Len3sLittle::case,
        Len3sNative::case,
        Len5s::case,
        Len8s::case,
        LenU24Big::case,
        LenU24Network::case,
        LenU24Little::case,
        LenU24Native::case,
        LenU24NativeStd::case,
    ];
    // Formats as expected, before Python is asked.
    assert_eq!(EveryNetwork::FORMAT, "!bQBh3x?dHfix3sIq1sfI0s?");
    assert_eq!(EveryNative::FORMAT, "@bQBh3x?dHfix3sIq1sfI0s?");
    assert_eq!(Len3sBig::FORMAT, ">B?xd3sh3sB2x");
    assert_eq!(LenU24Big::FORMAT, Len3sBig::FORMAT);
    let mut input = Vec::new();
    let mut n = 0;
    for case in cases {
        for seed in 0..25 {
            let mut line = serde_json::to_vec(&case(seed)).unwrap();
            line.push(b'\n');
            input.extend_from_slice(&line);
            n += 1;
        }
    }
    let Some(python) = python() else {
        eprintln!(
            "skipped: no python3 to check {n} derived headers against CPython's struct \
             (set FRAMING_PYTHON, or CI to make this a failure)"
        );
        return;
    };
    let mut child = Command::new(&python)
        .args(["-c", CHECKER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{} disagrees:\n{stdout}{}",
        python.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("checked {n} headers, 0 disagree")),
        "{stdout}"
    );
    eprintln!("{}", stdout.trim());
}
