#!/usr/bin/env python3
"""Generate test vectors for Python `struct` format-string layouts.

Writes JSON Lines (one object per line, keys sorted) to stdout, or to the
path given with ``-o``.  Only the stdlib is used; every layout this script
computes by itself is checked against the real ``struct`` module before
anything is written.  Output is deterministic (fixed seed, no set/hash
iteration order).

Regenerate (from the repository root):

    python3 framing-core/tests/vectors/gen_struct_vectors.py \
        > framing-core/tests/vectors/struct_vectors.jsonl

Must run on CPython 3.11 on x86_64 Linux (LP64, little endian): native
sizes/alignments and a few CPython-version-specific behaviours (the '0p'
bug gh-124248, NaN handling of 'e') are baked into the vectors.
See README.md in this directory for the record schema.
"""

import argparse
import json
import platform
import random
import re
import struct
import sys

SEED = 0x5EED_2024
SSIZE_MAX = 2**63 - 1
# Past this many values, a "format" record carries no "items" list.
MAX_ITEMS = 4096
# unpack/pack records only for formats no larger than this many bytes.
MAX_DATA_SIZE = 4096
# Empirical offset verification only for formats no larger than this.
MAX_VERIFY_SIZE = 1 << 16
N_RANDOM_FORMATS = 250

PREFIXES = ["", "@", "=", "<", ">", "!"]
ALL_CODES = "xcbB?hHiIlLqQnNefdspP"
NATIVE_ONLY = "nNP"
# Py_ISSPACE: space, \t, \n, \v, \f, \r (NOT the other str.isspace() chars)
WHITESPACE = " \t\n\x0b\x0c\r"

# code -> (size, alignment) for native mode ('@' or no prefix) on x86_64
# Linux (LP64), per the struct docs + the C ABI.  x/c/b/B/s/p/? never pad.
NATIVE = {
    "x": (1, 1), "c": (1, 1), "b": (1, 1), "B": (1, 1), "?": (1, 1),
    "h": (2, 2), "H": (2, 2), "i": (4, 4), "I": (4, 4),
    "l": (8, 8), "L": (8, 8), "q": (8, 8), "Q": (8, 8),
    "n": (8, 8), "N": (8, 8), "e": (2, 2), "f": (4, 4), "d": (8, 8),
    "s": (1, 1), "p": (1, 1), "P": (8, 8),
}
# standard sizes ('=', '<', '>', '!'); no alignment ever; no n/N/P.
STANDARD = {
    "x": 1, "c": 1, "b": 1, "B": 1, "?": 1, "h": 2, "H": 2, "i": 4, "I": 4,
    "l": 4, "L": 4, "q": 8, "Q": 8, "e": 2, "f": 4, "d": 8, "s": 1, "p": 1,
}
INT_CODES = "bBhHiIlLqQnNP"
FLOAT_CODES = "efd"


def int_range(code, native):
    if code == "P":
        return -(2**63), 2**64 - 1  # PyLong_AsVoidPtr accepts both signednesses
    size = NATIVE[code][0] if native else STANDARD[code]
    bits = 8 * size
    if code in "bhilqn":
        return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return 0, 2**bits - 1


def exc_name(e):
    return "struct.error" if type(e) is struct.error else type(e).__name__


def f64_bits(v):
    return struct.pack(">d", v).hex()


def f64(hexbits):
    return struct.unpack(">d", bytes.fromhex(hexbits))[0]


def enc(v):
    """JSON encoding of one Python value (see README)."""
    if isinstance(v, bool):
        return {"t": "bool", "v": v}
    if isinstance(v, int):
        assert -(2**127) <= v < 2**127, v  # keep everything inside i128
        return {"t": "int", "v": v}
    if isinstance(v, float):
        return {"t": "float", "bits": f64_bits(v)}
    if isinstance(v, (bytes, bytearray)):
        return {"t": "bytes", "hex": bytes(v).hex()}
    raise TypeError(type(v))


def same_value(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return f64_bits(a) == f64_bits(b)
    return a == b


# ---------------------------------------------------------------------------
# Independent model of CPython's format parser (Modules/_struct.c prepare_s)
# ---------------------------------------------------------------------------

class Layout:
    def __init__(self, fmt, order, native, size, nvalues, items, zero_p):
        self.fmt = fmt
        self.order = order          # '@', '=', '<', '>', '!'
        self.native = native
        self.big = order in ">!"
        self.size = size
        self.nvalues = nvalues
        self.items = items          # list of (code, offset, size) or None
        self.zero_p = zero_p        # offsets of '0p' fields (CPython bug)


class ModelError(Exception):
    def __init__(self, exc, msg):
        super().__init__(msg)
        self.exc = exc
        self.msg = msg


def model(fmt):
    """Parse fmt by the documented rules; return Layout or raise ModelError."""
    try:
        fmt.encode("ascii")
    except UnicodeEncodeError as e:
        raise ModelError("UnicodeEncodeError", str(e))
    if "\0" in fmt:
        raise ModelError("struct.error", "embedded null character")
    order, s = "@", fmt
    if s and s[0] in "@=<>!":
        order, s = s[0], s[1:]
    native = order == "@"
    overflow = ModelError("struct.error", "total struct size too long")
    size = nvalues = 0
    items = []
    zero_p = []
    i = 0
    while i < len(s):
        c = s[i]
        i += 1
        if c in WHITESPACE:
            continue
        if "0" <= c <= "9":
            num = ord(c) - 48
            while i < len(s) and "0" <= s[i] <= "9":
                d = ord(s[i]) - 48
                if num >= SSIZE_MAX // 10 and (
                        num > SSIZE_MAX // 10 or d > SSIZE_MAX % 10):
                    raise overflow
                num = num * 10 + d
                i += 1
            if i == len(s):
                raise ModelError("struct.error",
                                 "repeat count given without format specifier")
            c = s[i]
            i += 1
        else:
            num = 1
        if native:
            if c not in NATIVE:
                raise ModelError("struct.error", "bad char in struct format")
            itemsize, align = NATIVE[c]
        else:
            if c not in STANDARD:
                raise ModelError("struct.error", "bad char in struct format")
            itemsize, align = STANDARD[c], 1
        # alignment is applied even when the repeat count is 0 ('b0i')
        if align > 1 and size > 0:
            extra = (align - 1) - (size - 1) % align
            if extra > SSIZE_MAX - size:
                raise overflow
            size += extra
        if num > (SSIZE_MAX - size) // itemsize:
            raise overflow
        if c in "sp":
            nvalues += 1
            if items is not None:
                items.append((c, size, num))
            if c == "p" and num == 0:
                zero_p.append(size)
        elif c != "x":
            nvalues += num
            if nvalues > MAX_ITEMS:
                items = None
            if items is not None:
                items.extend((c, size + j * itemsize, itemsize)
                             for j in range(num))
        size += num * itemsize
    return Layout(fmt, order, native, size, nvalues, items, zero_p)


# ---------------------------------------------------------------------------
# Empirical verification of the model against the real struct module
# ---------------------------------------------------------------------------

E_MARK = struct.unpack(">e", b"\x41\x41")[0]  # 2.626953125
F_MARK = struct.unpack(">f", b"\x41\x41\x41\x41")[0]
D_MARK = f64("4141414141414141")


def zero_value(code, n):
    if code in INT_CODES:
        return 0
    if code == "?":
        return False
    if code in FLOAT_CODES:
        return 0.0
    if code == "c":
        return b"\x00"
    return b""  # s, p


def marker_value(code, n, native):
    """A value whose packed form has every byte of the field nonzero
    (where that is possible)."""
    if code in INT_CODES:
        lo, hi = int_range(code, native)
        return -1 if lo < 0 and code != "P" else hi
    if code == "?":
        return True
    if code == "c":
        return b"\xff"
    if code == "e":
        return E_MARK
    if code == "f":
        return F_MARK
    if code == "d":
        return D_MARK
    if code == "s":
        return b"\xff" * n
    if code == "p":
        return b"\xff" * max(n - 1, 0)
    raise ValueError(code)


def marker_span(code, n):
    """Bytes of the field that the marker changes vs the zero value."""
    if code == "?":
        return 1  # True packs as 0x01 in the first (only) byte
    if code == "p":
        return n if n >= 2 else 0
    return n


def single_fmt(lay, code, n):
    return lay.order + (str(n) if code in "sp" else "") + code


def verify(lay, rng):
    fmt = lay.fmt
    assert struct.calcsize(fmt) == lay.size, (fmt, lay.size)
    # nvalues: the argument-count check happens before any allocation
    try:
        struct.pack(fmt, *([None] if lay.nvalues == 0 else []))
        raise AssertionError("pack arg-count check did not fire for %r" % fmt)
    except struct.error as e:
        m = re.fullmatch(r"pack expected (\d+) items for packing \(got \d+\)",
                         str(e))
        assert m and int(m.group(1)) == lay.nvalues, (fmt, str(e))
    if lay.size > MAX_VERIFY_SIZE or lay.items is None:
        return
    items = lay.items
    assert len(items) == lay.nvalues
    offs = [o for _, o, _ in items]
    assert offs == sorted(offs)
    for code, off, n in items:
        assert 0 <= off and off + n <= lay.size, (fmt, code, off, n)
        if not lay.native:
            continue
        assert off % NATIVE[code][1] == 0, (fmt, code, off)
    # (1) every value of unpack() equals unpack_from(<single code>, offset)
    if not lay.zero_p:  # '0p' makes CPython 3.11 unpack raise SystemError
        raw = rng.randbytes(lay.size)
        vals = struct.unpack(fmt, raw)
        assert len(vals) == len(items)
        for (code, off, n), v in zip(items, vals):
            w = struct.unpack_from(single_fmt(lay, code, n), raw, off)[0]
            assert same_value(v, w), (fmt, code, off, v, w)
    # (2) changing value k changes exactly bytes [off, off+span)
    zeros = [zero_value(c, n) for c, _, n in items]
    marks = [marker_value(c, n, lay.native) for c, _, n in items]
    base = struct.pack(fmt, *zeros)
    assert len(base) == lay.size
    for k, (code, off, n) in enumerate(items):
        vals = list(zeros)
        vals[k] = marks[k]
        got = struct.pack(fmt, *vals)
        diff = [j for j in range(lay.size) if got[j] != base[j]]
        span = marker_span(code, n)
        assert diff == list(range(off, off + span)), (fmt, k, code, off, diff)
    # (3) pack_into of each field at its offset reproduces pack() of the lot
    buf = bytearray(lay.size)
    for (code, off, n), v in zip(items, marks):
        if code == "p" and n == 0:
            continue
        struct.pack_into(single_fmt(lay, code, n), buf, off, v)
    # CPython 3.11 bug gh-124248: a '0p' field writes 0xff at its offset;
    # a later field starting at the same offset overwrites it.
    for zoff in lay.zero_p:
        if zoff < lay.size and not any(o == zoff and n > 0
                                       for _, o, n in items):
            buf[zoff] = 0xFF
    assert bytes(buf) == struct.pack(fmt, *marks), (fmt, buf.hex())


# ---------------------------------------------------------------------------
# Value pools
# ---------------------------------------------------------------------------

def fx(s):
    return float.fromhex(s)


NAN = f64("7ff8000000000000")
NEG_NAN = f64("fff8000000000000")
NAN_PAYLOAD = f64("7ff8000000000123")
SNAN = f64("7ff0000000000001")
NEG_SNAN = f64("fff4000000000001")
INF = float("inf")

GENERIC_FLOATS = [
    0.0, -0.0, 1.0, -1.0, 0.1, 1 / 3, 3.141592653589793, -1e3,
    INF, -INF, NAN, NEG_NAN, NAN_PAYLOAD, SNAN, NEG_SNAN,
]
D_FLOATS = GENERIC_FLOATS + [
    -1e8, 5e-324, fx("0x0.fffffffffffffp-1022"), fx("0x1p-1022"),
    fx("0x1.fffffffffffffp+1023"), -fx("0x1.fffffffffffffp+1023"), 1e16,
    2.0**53 + 2,
]
F_FLOATS = GENERIC_FLOATS + [
    fx("0x1.fffffep+127"),            # FLT_MAX
    -fx("0x1.fffffep+127"),
    fx("0x1.fffffefffffffp+127"),     # just below the tie -> FLT_MAX
    fx("0x1p-126"),                   # FLT_MIN
    fx("0x1p-149"),                   # min subnormal
    fx("0x1.fffffcp-127"),            # max subnormal
    fx("0x1p-150"),                   # tie -> 0
    fx("0x1.8p-150"),                 # -> min subnormal
    fx("0x1.000001p+0"),              # tie -> 1.0 (even)
    fx("0x1.000003p+0"),              # tie -> up
    16777217.0,                       # tie -> 16777216
    1e-50, 5e-324, 0.2, -1e8,
]
E_FLOATS = GENERIC_FLOATS + [
    65504.0, -65504.0,
    fx("0x1.ffdffffffffffp+15"),     # largest value that still packs
    fx("0x1p-14"),                    # min normal
    fx("0x1p-24"),                    # min subnormal
    fx("0x1.ff8p-15"),                # max subnormal
    fx("0x1p-25"),                    # tie -> 0
    fx("0x1.8p-25"),                  # -> min subnormal
    fx("0x1.8p-24"),                  # tie 1.5 ulp -> 2 ulp (even)
    fx("0x1.002p+0"),                 # tie -> 1.0
    fx("0x1.006p+0"),                 # tie -> up
    2049.0, 2051.0, 1e-10, 5e-324, 0.2, 1e4,
]
FLOAT_POOL = {"e": E_FLOATS, "f": F_FLOATS, "d": D_FLOATS}
INT_FOR_FLOAT = {"e": [0, 3, -7, 65504, 2049],
                 "f": [0, 3, -7, 2**24 + 1, 2**64],
                 "d": [0, 3, -7, 2**53 + 1, -(2**63), 2**64 + 3]}

# Too large for the standard (or half) float encoders -> OverflowError
E_OVERFLOW = [65520.0, -65520.0, fx("0x1.ffep+15"), 1e5, 1e300,
              fx("0x1.fffffffffffffp+1023"), 65520, 10**6]
F_OVERFLOW = [fx("0x1.ffffffp+127"), 3.5e38, -1e39, 1e300,
              fx("0x1.fffffffffffffp+1023")]

HALF_SPECIAL = [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x7BFF, 0xFBFF,
                0x3C00, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFE00, 0x7FFF,
                0xFC01, 0x3555]
FLOAT_SPECIAL = [0x00000000, 0x80000000, 0x00000001, 0x007FFFFF, 0x00800000,
                 0x7F7FFFFF, 0xFF7FFFFF, 0x3F800000, 0x7F800000, 0xFF800000,
                 0x7FC00000, 0x7F800001, 0x7FFFFFFF, 0xFFC00001, 0x3EAAAAAB]
DOUBLE_SPECIAL = [0x0, 0x8000000000000000, 0x1, 0x000FFFFFFFFFFFFF,
                  0x0010000000000000, 0x7FEFFFFFFFFFFFFF, 0x3FF0000000000000,
                  0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000,
                  0x7FF0000000000001, 0xFFF8000000000001, 0x7FFFFFFFFFFFFFFF,
                  0x3FD5555555555555]
BOOL_BYTES = [0x00, 0x01, 0x02, 0x7F, 0x80, 0xFF]


def to_bytes(u, n, big):
    return u.to_bytes(n, "big" if big else "little")


def special_field_bytes(code, n, lay, rng):
    """Interesting raw bytes for one field, or None to keep random bytes."""
    big = lay.big
    if code == "?":
        return bytes([rng.choice(BOOL_BYTES)])
    if code == "e":
        return to_bytes(rng.choice(HALF_SPECIAL), 2, big)
    if code == "f":
        return to_bytes(rng.choice(FLOAT_SPECIAL), 4, big)
    if code == "d":
        return to_bytes(rng.choice(DOUBLE_SPECIAL), 8, big)
    if code in INT_CODES:
        pat = rng.choice(["00", "ff", "min", "max"])
        if pat == "00":
            return bytes(n)
        if pat == "ff":
            return b"\xff" * n
        top = 0x80 if pat == "min" else 0x7F
        fill = 0x00 if pat == "min" else 0xFF
        u = (top << (8 * n - 8)) | (int.from_bytes(bytes([fill]) * (n - 1),
                                                   "big") if n > 1 else 0)
        return to_bytes(u, n, big)
    if code == "p" and n >= 1:
        ln = rng.choice([0, n - 1, n, n + 1, n + 7, 255, rng.randrange(256)])
        return bytes([min(ln, 255)]) + rng.randbytes(n - 1)
    return None


def rand_bytes_for(lay, rng):
    buf = bytearray(rng.randbytes(lay.size))
    for code, off, n in lay.items:
        if rng.random() < 0.6:
            sb = special_field_bytes(code, n, lay, rng)
            if sb is not None:
                assert len(sb) == n
                buf[off:off + n] = sb
    return bytes(buf)


def rand_pack_value(code, n, native, rng):
    r = rng.random()
    if code in INT_CODES:
        lo, hi = int_range(code, native)
        if r < 0.08:
            return rng.choice([True, False])
        if r < 0.4:
            cands = [lo, hi, 0, lo + 1, hi - 1, 1] + ([-1] if lo < 0 else [])
            return rng.choice(cands)
        return rng.randint(lo, hi)
    if code == "?":
        return rng.choice([True, False, True, False, 0, 1, 2, -1, 0.0, -0.0,
                           1.5, NAN, b"", b"\x00", b"a"])
    if code == "c":
        return bytes([rng.randrange(256)])
    if code in FLOAT_CODES:
        if r < 0.1:
            return rng.choice(INT_FOR_FLOAT[code])
        if r < 0.25:
            return rng.uniform(-1000.0, 1000.0)
        return rng.choice(FLOAT_POOL[code])
    if code == "s":
        return rng.randbytes(rng.randint(0, n + 3))
    if code == "p":
        return rng.randbytes(rng.randint(0, n + 3))
    raise ValueError(code)


# ---------------------------------------------------------------------------
# Record builders
# ---------------------------------------------------------------------------

class Gen:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.records = []
        self.layouts = {}   # fmt -> Layout or None (invalid); insertion order

    def emit(self, rec):
        self.records.append(rec)

    def bug_tag(self, rec, lay):
        if lay.zero_p:
            rec["cpython_bug"] = "gh-124248"
        return rec

    # -- format -------------------------------------------------------------
    def add_format(self, fmt):
        """Emit the format record (once per fmt) plus default unpack/pack
        records.  Returns the Layout, or None for invalid formats."""
        if fmt in self.layouts:
            return self.layouts[fmt]
        try:
            lay = model(fmt)
            merr = None
        except ModelError as e:
            lay, merr = None, e
        try:
            size = struct.calcsize(fmt)
            cerr = None
        except Exception as e:  # noqa: BLE001 - record whatever CPython raises
            size, cerr = None, e
        if merr is not None:
            assert cerr is not None, ("model rejects, CPython accepts", fmt)
            assert (exc_name(cerr), str(cerr)) == (merr.exc, merr.msg), \
                (fmt, exc_name(cerr), str(cerr), merr.exc, merr.msg)
            self.layouts[fmt] = None
            self.emit({"kind": "format", "fmt": fmt, "ok": False,
                       "error": str(cerr), "exc": exc_name(cerr)})
            return None
        assert cerr is None, ("model accepts, CPython rejects", fmt, cerr)
        assert size == lay.size
        verify(lay, self.rng)
        self.layouts[fmt] = lay
        rec = {"kind": "format", "fmt": fmt, "ok": True, "size": lay.size,
               "nvalues": lay.nvalues}
        if lay.items is not None:
            rec["items"] = [{"code": c, "offset": o, "size": n}
                            for c, o, n in lay.items]
        self.emit(rec)
        if lay.size <= MAX_DATA_SIZE:
            self.add_unpack(lay, rand_bytes_for(lay, self.rng))
            self.add_pack(lay, [rand_pack_value(c, n, lay.native, self.rng)
                                for c, _, n in lay.items])
        return lay

    def layout(self, fmt):
        lay = self.add_format(fmt)
        assert lay is not None, fmt
        return lay

    # -- unpack -------------------------------------------------------------
    def add_unpack(self, lay, raw):
        try:
            vals = struct.unpack(lay.fmt, raw)
        except Exception as e:  # noqa: BLE001
            assert lay.zero_p or len(raw) != lay.size, (lay.fmt, e)
            self.emit(self.bug_tag(
                {"kind": "unpack_error", "fmt": lay.fmt, "bytes_hex": raw.hex(),
                 "error": str(e), "exc": exc_name(e)}, lay))
            return
        assert len(raw) == lay.size and not lay.zero_p
        self.emit({"kind": "unpack", "fmt": lay.fmt, "bytes_hex": raw.hex(),
                   "values": [enc(v) for v in vals]})

    # -- pack ---------------------------------------------------------------
    def add_pack(self, lay, vals):
        packed = struct.pack(lay.fmt, *vals)
        assert len(packed) == lay.size
        self.emit(self.bug_tag(
            {"kind": "pack", "fmt": lay.fmt, "values": [enc(v) for v in vals],
             "packed_hex": packed.hex()}, lay))

    def add_pack_error(self, fmt, vals):
        lay = self.layout(fmt)
        try:
            struct.pack(fmt, *vals)
        except Exception as e:  # noqa: BLE001
            self.emit(self.bug_tag(
                {"kind": "pack_error", "fmt": fmt,
                 "values": [enc(v) for v in vals],
                 "error": str(e), "exc": exc_name(e)}, lay))
            return
        raise AssertionError("pack unexpectedly succeeded: %r %r" % (fmt, vals))


# ---------------------------------------------------------------------------
# Format lists
# ---------------------------------------------------------------------------

HANDPICKED_VALID = [
    "", " ", "   ", "\t\n", "@", "=", "<", ">", "!", "<   ",
    "0s", "0p", "0i", "b0i", "3x", "10s", "2H", "0x", "b0x", "0c",
    "< H  I", "<H ", " H", "H ", "\tH\n", "\x0bH\x0c", "\rH", "2H 3s",
    "bi", "ci", "bq", "?d", "hbi", "x e", "bP", "bn", "bN", "be", "bf", "bd",
    "b?", "bh", "bxi", "xi", "i0s", "b0s", "b0p", "3sI", "hb0q", "b0ib",
    "@bi", "=bi", "<bi", ">bi", "!bi", "@x e", "<x e",
    "0x10s",                   # '0x' (no padding) then '10s'
    "4s4s", "1p", "2p", "5p", "255p", "256p", "300p", "1s", "12s",
    "0p0p", "0px", "x0p", "b0p3x", "0pb", "<0p", "b0pi", "0p1p", "3s0p2x",
    "4096s", "4096x", "4097s", "5000x",
    "iiii", "4i", "i 3i", "qQnN", "PPP", "2P", "@5e", "c?c?", "3c", "5?",
    "lL", "<lL", "=lL", "hHiIlLqQ", "<hHiIlLqQ", ">bBhHiIlLqQefd",
    "!?cs", "=e f d", "ed", "hd", "fd", "@if", "ic", "ihq",
    "2147483648s", "4294967296x", "9223372036854775807x",
    "<9223372036854775807s", "b9223372036854775806x",
    "<9223372036854775807x0i", "1152921504606846975q",
    "<2305843009213693951i", "<2305843009213693951i3x",
]

HANDPICKED_INVALID = [
    "z", "<Z", "Z", "a", "A", "g", "j", "k", "o", "O", "r", "t", "u", "v",
    "w", "y", "F", "D", "E", "S", "X", "#", "%", "$", "*", ".", ",", ";",
    "H<", "<<H", "@<H", "<@", "<!", "h!", "i@", "iH=",
    "3", "<12", "0", "H 2", "2H3", "H9223372036854775807",
    "2 H", "2\tH", "3 ", " <H", "\t<H", "-1i", "+1i", "1.5i", "1_0s",
    "<n", ">n", "!n", "=n", "<N", "=P", "<2n", "<bn",
    "\x1cH", "\x1fH", "H\x00", "\x00", "H\x00H",
    "H\u00e9", "\u00a0H", "\u20ac",
    "99999999999999999999x", "9223372036854775808x", "H99999999999999999999",
    "9223372036854775807xb", "b9223372036854775807x",
    "@9223372036854775807x0i", "9223372036854775806x0i", "9223372036854775807xi",
    "1152921504606846976q", "<2305843009213693952i", "<1152921504606846976d",
    "2305843009213693952i", "4611686018427387904h", "<4611686018427387904e",
    "z99999999999999999999x", "99999999999999999999z",
]


def random_format(rng):
    prefix = rng.choice(PREFIXES)
    codes = ALL_CODES if prefix in ("", "@") else \
        "".join(c for c in ALL_CODES if c not in NATIVE_ONLY)
    parts = []
    for _ in range(rng.randint(1, 8)):
        c = rng.choice(codes)
        cnt = rng.randint(0, 12) if c in "sp" else rng.randint(0, 5)
        if cnt == 1 and rng.random() < 0.6:
            tok = c
        else:
            tok = "%d%s" % (cnt, c)
        parts.append(tok)
    out = prefix
    for j, tok in enumerate(parts):
        if j and rng.random() < 0.15:
            out += rng.choice([" ", "  ", "\t", "\n"])
        out += tok
    if rng.random() < 0.05:
        out += " "
    return out


def build():
    g = Gen()
    rng = g.rng

    # 1. hand-picked valid / invalid formats
    for fmt in HANDPICKED_VALID:
        assert g.add_format(fmt) is not None, fmt
    for fmt in HANDPICKED_INVALID:
        assert g.add_format(fmt) is None, fmt

    # 2. every code under every prefix, counts implicit-1, explicit 0 and 3
    for p in PREFIXES:
        for c in ALL_CODES:
            for cnt in ("", "0", "1", "3"):
                if cnt == "1" and c not in "sp":
                    continue
                g.add_format(p + cnt + c)

    # 3. native alignment: every pair, and alignment-only zero counts
    for a in ["b", "x", "?", "3s", "5p", "h", "e", "i"]:
        for c in ALL_CODES:
            g.add_format(a + c)
    for c in ALL_CODES:
        for p in ("", "<"):
            g.add_format(p + "b0" + c)
        g.add_format("b0" + c + "b")

    # 4. random valid formats
    made = 0
    while made < N_RANDOM_FORMATS:
        fmt = random_format(rng)
        if fmt in g.layouts:
            continue
        assert g.add_format(fmt) is not None, fmt
        made += 1

    # 5. integer boundaries: pack min/max/0/-1, pack_error min-1/max+1,
    #    unpack of boundary bit patterns
    for p in PREFIXES:
        native = p in ("", "@")
        for c in INT_CODES:
            if c in NATIVE_ONLY and not native:
                continue
            lo, hi = int_range(c, native)
            lay = g.layout("%s4%s" % (p, c))
            g.add_pack(lay, [lo, hi, 0, -1 if lo < 0 else 1])
            lay2 = g.layout("%s3%s" % (p, c))
            g.add_pack(lay2, [lo + 1, hi - 1, True])
            g.add_pack_error(p + c, [lo - 1])
            g.add_pack_error(p + c, [hi + 1])
            n = lay.size // 4
            pats = [bytes(n), b"\xff" * n,
                    to_bytes(1 << (8 * n - 1), n, lay.big),
                    to_bytes((1 << (8 * n - 1)) - 1, n, lay.big)]
            g.add_unpack(lay, b"".join(pats))
    # bigger-than-range values and non-integers
    for p in ("", "<", ">"):
        for c in "bBhHiIlLqQ":
            g.add_pack_error(p + c, [2**64])
            g.add_pack_error(p + c, [-(2**64)])
            g.add_pack_error(p + c, [1.0])
        g.add_pack_error(p + "i", [b"\x01"])
        g.add_pack_error(p + "Q", [NAN])
    for c in NATIVE_ONLY:
        g.add_pack_error(c, [2.0])
        g.add_pack_error(c, [2**65])

    # 6. floats: specials/rounding per code and prefix, overflow errors
    for p in PREFIXES:
        native = p in ("", "@")
        for c in FLOAT_CODES:
            pool = FLOAT_POOL[c]
            lay = g.layout("%s%d%s" % (p, len(pool), c))
            g.add_pack(lay, pool)
            ints = INT_FOR_FLOAT[c] + [True]
            g.add_pack(g.layout("%s%d%s" % (p, len(ints), c)), ints)
            spec = {"e": (HALF_SPECIAL, 2), "f": (FLOAT_SPECIAL, 4),
                    "d": (DOUBLE_SPECIAL, 8)}[c]
            lay = g.layout("%s%d%s" % (p, len(spec[0]), c))
            big = p in (">", "!")
            g.add_unpack(lay, b"".join(to_bytes(u, spec[1], big)
                                       for u in spec[0]))
            g.add_pack_error(p + c, [b"\x00" * 8])
            g.add_pack_error(p + c, [b""])
        for v in E_OVERFLOW:
            g.add_pack_error(p + "e", [v])
        if native:
            # native 'f' is a plain C cast: no overflow check, gives +-inf
            lay = g.layout("%s%df" % (p, len(F_OVERFLOW)))
            g.add_pack(lay, F_OVERFLOW)
        else:
            for v in F_OVERFLOW:
                g.add_pack_error(p + "f", [v])

    # 7. bool truthiness, chars, bytes
    for p in PREFIXES:
        tv = [True, False, 0, 1, 2, -1, 2**64, 0.0, -0.0, 0.5, NAN, INF,
              b"", b"\x00", b"ab"]
        g.add_pack(g.layout("%s%d?" % (p, len(tv))), tv)
        g.add_unpack(g.layout("%s%d?" % (p, len(BOOL_BYTES))),
                     bytes(BOOL_BYTES))
        g.add_pack(g.layout(p + "3c"), [b"\x00", b"a", b"\xff"])
        g.add_pack_error(p + "c", [b""])
        g.add_pack_error(p + "c", [b"ab"])
        g.add_pack_error(p + "c", [65])
        g.add_pack_error(p + "c", [b"\x00\x00\x00"])
        g.add_pack_error(p + "s", [1])
        g.add_pack_error(p + "3s", [1.5])
        g.add_pack_error(p + "p", [0])
        g.add_pack_error(p + "5p", [True])

    # 8. s / p: short, exact, long (silently truncated), pascal length bytes
    for p in ("", "<", ">"):
        for n in (0, 1, 2, 3, 5, 10):
            for ln in sorted({0, max(n - 1, 0), n, n + 1, n + 4}):
                data = bytes((0x41 + j) % 256 for j in range(ln))
                g.add_pack(g.layout("%s%ds" % (p, n)), [data])
                g.add_pack(g.layout("%s%dp" % (p, n)), [data])
    for n in (254, 255, 256, 257, 300):
        for ln in sorted({0, 200, 254, 255, 256, n - 1, n, n + 5}):
            g.add_pack(g.layout("%dp" % n), [b"\x61" * ln])
        for lb in (0, 1, 200, 254, 255):
            g.add_unpack(g.layout("%dp" % n),
                         bytes([lb]) + bytes((j % 251) + 1 for j in range(n - 1)))
    for n in (1, 2, 3, 5, 8):
        for lb in sorted({0, 1, n - 1, n, n + 1, 100, 255}):
            g.add_unpack(g.layout("%dp" % n),
                         bytes([lb]) + bytes(0x61 + j for j in range(n - 1)))
    g.add_unpack(g.layout("b3pb"), bytes([0x7F, 0xFF, 0x62, 0x63, 0x80]))
    g.add_unpack(g.layout("<1p1p1p"), b"\x01\xff\x00")
    # '0p' (CPython 3.11 bug gh-124248)
    for fmt in ("0p", "0px", "x0p", "b0p3x", "0pb", "<0p", "0p0p", "3s0p2x",
                "b0pi", "0p1p"):
        lay = g.layout(fmt)
        vals_sets = [[b""], [b"x"], [b"abc"]] if lay.nvalues == 1 else None
        if vals_sets is None:
            vals_sets = [[zero_value(c, n) for c, _, n in lay.items],
                         [marker_value(c, n, lay.native)
                          for c, _, n in lay.items]]
        for vals in vals_sets:
            g.add_pack(lay, vals)
        g.add_unpack(lay, bytes(range(1, lay.size + 1)))

    # 9. argument count errors, wrong buffer sizes
    for fmt, vals in [("ii", [1]), ("ii", [1, 2, 3]), ("x", [1]), ("", [0]),
                      ("0i", [1]), ("3s", [b"a", b"b"]), ("<2h", []),
                      ("4x2s", [b"a", b"b"]), ("3c", [b"abc"])]:
        g.add_pack_error(fmt, vals)
    g.add_pack(g.layout("0s"), [b"abc"])
    for fmt in ("i", "<q", "3s", "bi", "", "x e"):
        lay = g.layout(fmt)
        g.add_unpack(lay, bytes(range(lay.size + 1)))
        if lay.size:
            g.add_unpack(lay, bytes(range(lay.size - 1)))

    return g


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", help="write here instead of stdout")
    ap.add_argument("--allow-other-python", action="store_true",
                    help="do not insist on CPython 3.11 / x86_64 Linux")
    args = ap.parse_args()
    if not args.allow_other_python:
        ok = (platform.python_implementation() == "CPython"
              and sys.version_info[:2] == (3, 11)
              and platform.machine() in ("x86_64", "AMD64")
              and sys.platform.startswith("linux"))
        if not ok:
            sys.exit("gen_struct_vectors.py: needs CPython 3.11 on x86_64 "
                     "Linux (got %s %s on %s/%s); use --allow-other-python "
                     "to override" % (platform.python_implementation(),
                                      platform.python_version(), sys.platform,
                                      platform.machine()))
    # the native table must agree with this interpreter
    assert sys.byteorder == "little"
    for c, (size, align) in NATIVE.items():
        assert struct.calcsize(c) == size, c
        if align > 1:
            assert struct.calcsize("b" + c) == align + size, c
    for c, size in STANDARD.items():
        assert struct.calcsize("<" + c) == size, c

    g = build()
    lines = [json.dumps(r, sort_keys=True, allow_nan=False,
                        separators=(",", ":")) for r in g.records]
    text = "\n".join(lines) + "\n"
    if args.output:
        with open(args.output, "w", encoding="ascii", newline="\n") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
