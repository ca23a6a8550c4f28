#!/usr/bin/env python3
"""Generate test vectors for lengths no `struct` code describes and for
checksum trailers, built the way a Python peer builds them.

* `Ns` lengths: `struct.pack(fmt, n.to_bytes(N, order), ...)` (HTTP/2's
  `!3sBBI` frame header, and other widths and byte orders).
* LEB128 varint lengths (protobuf's delimited streams), from the reference
  encoder below.
* CRCs: `zlib.crc32`, `binascii.crc_hqx`, and a generic bitwise CRC (width,
  poly, init, refin, refout, xorout) that this script checks against both
  and against the catalogue check values before it uses it for CRC-32C,
  CRC-16/MODBUS and CRC-16/CCITT-FALSE.
* Whole frames with trailers.

Writes JSON Lines (keys sorted, one object per line) to
`length_vectors.jsonl` next to this script, or to the path given with `-o`
(`-o -` for stdout). Only the stdlib is used; the output is deterministic
(fixed seed, no hash-order iteration) and does not depend on the machine:
every format has an explicit byte-order prefix, or is empty and has an
explicit trailer byte order. Regenerate from the repository root:

    python3 framing-core/tests/vectors/gen_length_vectors.py

See README.md in this directory for the record schema. Read by
framing-core/tests/length_vectors.rs.
"""

import argparse
import binascii
import json
import os
import random
import struct
import sys
import zlib

SEED = 0x1E46_7A11
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUTPUT = os.path.join(HERE, "length_vectors.jsonl")

# The Rocksoft model of each algorithm, and its catalogue check value (the
# CRC of b"123456789"), from the CRC RevEng catalogue.
#   name: (width, poly, init, refin, refout, xorout, check)
CATALOGUE = {
    "crc16-xmodem": (16, 0x1021, 0x0000, False, False, 0x0000, 0x31C3),
    "crc16-modbus": (16, 0x8005, 0xFFFF, True, True, 0x0000, 0x4B37),
    "crc16-ccitt-false": (16, 0x1021, 0xFFFF, False, False, 0x0000, 0x29B1),
    "crc32": (32, 0x04C11DB7, 0xFFFFFFFF, True, True, 0xFFFFFFFF, 0xCBF43926),
    "crc32c": (32, 0x1EDC6F41, 0xFFFFFFFF, True, True, 0xFFFFFFFF, 0xE3069283),
}
ALGORITHMS = sorted(CATALOGUE)


# --- CRCs --------------------------------------------------------------------

def reflect(value, width):
    out = 0
    for _ in range(width):
        out = (out << 1) | (value & 1)
        value >>= 1
    return out


def crc_generic(name, data):
    """Bit by bit, straight from the model: no table, no library."""
    width, poly, init, refin, refout, xorout, _check = CATALOGUE[name]
    mask = (1 << width) - 1
    top = 1 << (width - 1)
    crc = init
    for byte in data:
        if refin:
            byte = reflect(byte, 8)
        crc ^= byte << (width - 8)
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & mask if crc & top else (crc << 1) & mask
    if refout:
        crc = reflect(crc, width)
    return crc ^ xorout


def crc_stdlib(name, data):
    """The stdlib's value, where the stdlib has the algorithm."""
    if name == "crc32":
        return zlib.crc32(data)
    if name == "crc16-xmodem":
        return binascii.crc_hqx(data, 0)
    if name == "crc16-ccitt-false":
        # crc_hqx is CRC-CCITT, unreflected, with the initial value given.
        return binascii.crc_hqx(data, 0xFFFF)
    return None


def crc(name, data):
    """The checksum a Python peer sends: the stdlib's where there is one
    (zlib, binascii), else the generic one. Both agree (checked)."""
    generic = crc_generic(name, data)
    stdlib = crc_stdlib(name, data)
    assert stdlib is None or stdlib == generic, (name, data.hex(), stdlib, generic)
    return generic if stdlib is None else stdlib


def check_crcs(samples):
    for name in ALGORITHMS:
        check = CATALOGUE[name][6]
        assert crc_generic(name, b"123456789") == check, name
        std = crc_stdlib(name, b"123456789")
        assert std is None or std == check, name
    assert zlib.crc32(b"123456789") == 0xCBF43926
    assert binascii.crc_hqx(b"123456789", 0) == 0x31C3
    for data in samples:
        assert crc_generic("crc32", data) == zlib.crc32(data), data.hex()
        assert crc_generic("crc16-xmodem", data) == binascii.crc_hqx(data, 0), data.hex()
        assert crc_generic("crc16-ccitt-false", data) == binascii.crc_hqx(data, 0xFFFF)
        # zlib's running form: the CRC of a split string resumes from the first part's.
        cut = len(data) // 3
        assert zlib.crc32(data[cut:], zlib.crc32(data[:cut])) == zlib.crc32(data)


# --- LEB128 --------------------------------------------------------------------

def leb128(n):
    """Unsigned LEB128, minimal: 7 bits a byte, least significant first."""
    assert 0 <= n < 2**64
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def leb128_decode(data):
    """(value, bytes used) of the varint at the start of data."""
    value = 0
    for i, byte in enumerate(data[:10]):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, i + 1
    raise ValueError("unterminated varint")


def check_leb128():
    known = {
        0: "00", 1: "01", 127: "7f", 128: "8001", 300: "ac02",
        16383: "ff7f", 16384: "808001", 2**64 - 1: "ff" * 9 + "01",
    }
    for n, want in known.items():
        assert leb128(n).hex() == want, n
    for shift in range(64):
        for n in (2**shift - 1, 2**shift, 2**shift + 1):
            if n >= 2**64:
                continue
            enc = leb128(n)
            assert len(enc) == max(1, -(-n.bit_length() // 7)), n
            assert leb128_decode(enc + b"\x55") == (n, len(enc)), n


# --- Layouts and frames --------------------------------------------------------

def order_of(fmt):
    """The byte order of a format with an explicit standard prefix."""
    if fmt[:1] in ("<",):
        return "little"
    if fmt[:1] in (">", "!"):
        return "big"
    return None  # native: only used with no Ns field and an explicit trailer order


def typed(v):
    if isinstance(v, bytes):
        return {"hex": v.hex(), "t": "bytes"}
    assert isinstance(v, int) and not isinstance(v, bool)
    return {"t": "int", "v": v}


class Layout:
    def __init__(self, name, fmt, length_field=None, varint=False, constants=(),
                 trailer=None, covers=None, trailer_order=None):
        assert (length_field is None) == varint
        assert (trailer is None) == (covers is None)
        assert trailer_order is None or trailer is not None
        self.name = name
        self.fmt = fmt
        self.length_field = length_field
        self.varint = varint
        self.constants = dict(constants)
        self.trailer = trailer
        self.covers = covers
        self.trailer_order = trailer_order
        self.size = struct.calcsize(fmt)
        self.nvalues = len(struct.unpack(fmt, bytes(self.size)))
        if trailer is not None and trailer_order is None:
            assert order_of(fmt) is not None, "a native trailer order would vary by machine"
        if length_field is not None:
            self.ns = self.code(length_field)
        else:
            self.ns = None

    def code(self, index):
        """(code, size) of value `index`, for the formats used here."""
        items = []
        count = ""
        for ch in self.fmt.lstrip("<>!=@"):
            if ch.isdigit():
                count += ch
                continue
            n = int(count) if count else 1
            count = ""
            if ch == "s":
                items.append(("s", n))
            elif ch != "x":
                items.extend([(ch, struct.calcsize("<" + ch))] * n)
        return items[index]

    def spec(self):
        return {
            "constants": [[i, typed(v)] for i, v in sorted(self.constants.items())],
            "covers": self.covers,
            "format": self.fmt,
            "length_field": self.length_field,
            "layout": self.name,
            "trailer": self.trailer,
            "trailer_order": self.trailer_order,
            "varint": self.varint,
        }

    def free_fields(self):
        return [i for i in range(self.nvalues)
                if i != self.length_field and i not in self.constants]

    def head(self, n, free):
        """struct.pack of the header for a payload of n bytes, and the
        varint after it; `free` gives the other values, by index."""
        values = [None] * self.nvalues
        for i, v in self.constants.items():
            values[i] = v
        for i in self.free_fields():
            values[i] = free[i]
        if self.length_field is not None:
            code, size = self.ns
            if code == "s":
                values[self.length_field] = n.to_bytes(size, order_of(self.fmt))
            else:
                values[self.length_field] = n
        head = struct.pack(self.fmt, *values)
        if self.varint:
            head += leb128(n)
        return head

    def trailer_bytes(self, head, payload):
        covered = head + payload if self.covers == "frame" else payload
        value = crc(self.trailer, covered)
        width = CATALOGUE[self.trailer][0] // 8
        order = self.trailer_order or order_of(self.fmt)
        return value, value.to_bytes(width, order)

    def parse(self, frame):
        """An independent reading of one whole frame: (values, n, payload,
        trailer)."""
        values = struct.unpack(self.fmt, frame[:self.size])
        at = self.size
        if self.varint:
            n, used = leb128_decode(frame[at:])
            at += used
        else:
            raw = values[self.length_field]
            n = int.from_bytes(raw, order_of(self.fmt)) if isinstance(raw, bytes) else raw
        payload = frame[at:at + n]
        return values, n, payload, frame[at + n:]


class Generator:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.records = []

    def add(self, kind, **fields):
        fields["kind"] = kind
        self.records.append(fields)

    def random_bytes(self, n):
        return bytes(self.rng.getrandbits(8) for _ in range(n))

    def random_free(self, layout):
        free = {}
        for i in layout.free_fields():
            code, size = layout.code(i)
            if code == "s":
                free[i] = self.random_bytes(size)
            else:
                bits = 8 * size
                lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if code.islower() else (0, 2**bits - 1)
                free[i] = self.rng.choice([lo, hi, self.rng.randint(lo, hi), self.rng.randint(lo, hi)])
        return free

    def frame(self, layout, payload, free=None):
        free = self.random_free(layout) if free is None else free
        n = len(payload)
        head = layout.head(n, free)
        trailer_value, trailer = (None, b"")
        if layout.trailer is not None:
            trailer_value, trailer = layout.trailer_bytes(head, payload)
        frame = head + payload + trailer
        values, got_n, got_payload, got_trailer = layout.parse(frame)
        assert (got_n, got_payload, got_trailer) == (n, payload, trailer), layout.name
        for i, v in layout.constants.items():
            assert values[i] == v
        self.add("frame", frame_hex=frame.hex(), head_hex=head.hex(), length=n,
                 payload_hex=payload.hex(), trailer_hex=trailer.hex(),
                 trailer_value=trailer_value, values=[typed(v) for v in values],
                 **layout.spec())

    def header(self, layout, n):
        """A head announcing n payload bytes, with no payload: for lengths
        too long to store."""
        assert layout.trailer is None
        head = layout.head(n, self.random_free(layout))
        values = struct.unpack(layout.fmt, head[:layout.size])
        if layout.varint:
            assert leb128_decode(head[layout.size:]) == (n, len(head) - layout.size)
        self.add("header", head_hex=head.hex(), length=n,
                 values=[typed(v) for v in values], **layout.spec())

    def length_error(self, layout, n):
        """A length the field cannot hold: Python refuses to build it."""
        try:
            layout.head(n, self.random_free(layout))
        except (OverflowError, struct.error) as e:
            self.add("length_error", length=n, python_error="%s: %s" % (type(e).__name__, e),
                     **layout.spec())
            return
        raise AssertionError("%s holds %d" % (layout.name, n))

    def crcs(self):
        fixed = [b"", b"\x00", b"\xff", b"123456789",
                 b"The quick brown fox jumps over the lazy dog",
                 bytes(range(256)), b"\x00" * 32, b"\xff" * 32]
        randoms = [self.random_bytes(n) for n in (1, 2, 3, 7, 64, 100, 500, 1000)]
        samples = fixed + randoms
        check_crcs(samples)
        for name in ALGORITHMS:
            self.add("crc", algo=name, data_hex=b"123456789".hex(),
                     source="catalogue check value", value=CATALOGUE[name][6])
        sources = {"crc32": "zlib.crc32(data)", "crc16-xmodem": "binascii.crc_hqx(data, 0)"}
        for data in samples:
            for name in ALGORITHMS:
                self.add("crc", algo=name, data_hex=data.hex(),
                         source=sources.get(name, "generic bitwise CRC"),
                         value=crc(name, data))

    def build(self):
        check_leb128()
        self.crcs()
        r = self.random_bytes

        # `Ns` lengths, as Python peers write them with int.to_bytes.
        http2 = Layout("http2", "!3sBBI", length_field=0)
        for n in (0, 1, 2, 5, 17, 100, 255, 256):
            self.frame(http2, r(n))
        # A SETTINGS ack and a DATA frame with END_STREAM on stream 2**31-1.
        self.frame(http2, b"", free={1: 4, 2: 1, 3: 0})
        self.frame(http2, b"hello", free={1: 0, 2: 1, 3: 2**31 - 1})
        for n in (16383, 16384, 65535, 65536, 2**24 - 1):
            self.header(http2, n)
        self.length_error(http2, 2**24)

        le3 = Layout("le3", "<3sH", length_field=0)
        for n in (0, 1, 255, 256):
            self.frame(le3, r(n))
        for n in (65535, 65536, 2**24 - 1):
            self.header(le3, n)
        self.length_error(le3, 2**24)

        be5 = Layout("be5", ">5s", length_field=0)
        for n in (0, 1, 255, 256):
            self.frame(be5, r(n))
        for n in (65535, 65536, 2**32, 2**40 - 1):
            self.header(be5, n)
        self.length_error(be5, 2**40)

        le7 = Layout("le7", "<7s", length_field=0)
        for n in (0, 1, 255, 256):
            self.frame(le7, r(n))
        for n in (65535, 65536, 2**48 + 5, 2**56 - 1):
            self.header(le7, n)
        self.length_error(le7, 2**56)

        net1 = Layout("net1", "!1s", length_field=0)
        for n in (0, 1, 255):
            self.frame(net1, r(n))
        self.length_error(net1, 256)

        magic = Layout("magic_le3", "<4s3s", length_field=1, constants={0: b"FRM1"})
        for n in (0, 3, 256):
            self.frame(magic, r(n))
        self.header(magic, 65536)

        be8 = Layout("be8", ">B8s", length_field=1)
        for n in (0, 1, 300):
            self.frame(be8, r(n))
        for n in (2**32, 2**63, 2**64 - 1):
            self.header(be8, n)

        # Varints after the header: protobuf-delimited, and after constants.
        delimited = Layout("delimited", "", varint=True)
        for n in (0, 1, 127, 128, 255, 300):
            self.frame(delimited, r(n))
        for n in (16383, 16384, 2**21 - 1, 2**21, 2**28, 2**35, 2**63, 2**64 - 1):
            self.header(delimited, n)

        beef = Layout("beef_varint", "<HB", varint=True, constants={0: 0xBEEF})
        for n in (0, 5, 128):
            self.frame(beef, r(n))
        for n in (16384, 2**35):
            self.header(beef, n)

        # Trailers.
        t = Layout("beef_crc32", "<HB", length_field=1, constants={0: 0xBEEF},
                   trailer="crc32", covers="frame")
        for n in (0, 1, 7, 100, 255):
            self.frame(t, r(n))
        t = Layout("xmodem_payload", "!I", length_field=0, trailer="crc16-xmodem",
                   covers="payload")
        for n in (0, 1, 300):
            self.frame(t, r(n))
        self.frame(t, b"123456789")  # its trailer is the check value, 31 c3
        t = Layout("delimited_crc32c", "", varint=True, trailer="crc32c", covers="frame",
                   trailer_order="little")
        for n in (0, 1, 127, 128, 300):
            self.frame(t, r(n))
        t = Layout("http2_modbus", "!3sBBI", length_field=0, trailer="crc16-modbus",
                   covers="frame", trailer_order="little")
        for n in (0, 4, 256):
            self.frame(t, r(n))
        t = Layout("ccitt_false", ">H", length_field=0, trailer="crc16-ccitt-false",
                   covers="frame")
        for n in (0, 1, 100):
            self.frame(t, r(n))
        t = Layout("crc32_payload_big", "<I", length_field=0, trailer="crc32",
                   covers="payload", trailer_order="big")
        for n in (0, 1, 64):
            self.frame(t, r(n))
        self.frame(t, b"123456789")  # cb f4 39 26
        t = Layout("magic_crc32c_payload", "!BH", length_field=1, constants={0: 0x7E},
                   trailer="crc32c", covers="payload")
        for n in (0, 3, 200):
            self.frame(t, r(n))
        t = Layout("varint_modbus", ">HB", varint=True, constants={0: 0xCAFE},
                   trailer="crc16-modbus", covers="frame")
        for n in (0, 2, 129):
            self.frame(t, r(n))

        counts = {}
        for rec in self.records:
            counts[rec["kind"]] = counts.get(rec["kind"], 0) + 1
        # Last, so a truncated file is noticed.
        self.add("summary", counts=counts, records=len(self.records))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", default=DEFAULT_OUTPUT,
                    help="write here (default: length_vectors.jsonl next to this script; - for stdout)")
    args = ap.parse_args()
    g = Generator()
    g.build()
    text = "".join(json.dumps(rec, sort_keys=True, allow_nan=False, separators=(",", ":")) + "\n"
                   for rec in g.records)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="ascii", newline="\n") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
