#!/usr/bin/env python3
"""Writes the checked-in seed corpus, fuzz/corpus/<target>/seed-*.

Each seed is a fuzz input in the byte encoding that fuzz/src/checks.rs reads
(see its module doc); this script spells that encoding out. Run it from
anywhere: `python3 fuzz/seeds.py`. The fuzzer and the replay test
(framing-core/tests/fuzz_corpus.rs) only need the files it writes.
"""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIXES = ["", "@", "=", "<", ">", "!"]
CODES = "xcbB?hHiIlLqQnNefdspP"


def spec(prefix, tokens, length=0, adjust=None, constants=(), template=b"",
         max_payload=None, discard=False, resync=False):
    """A layout spec. tokens: [(code, count or None)]; length: which integer
    field (0 = first); adjust: None, "header", ("i8", n) or ("i64", n);
    constants: field indices whose values `template` (a header) holds;
    max_payload: None (8 MiB), "max", ("u8", n) or ("u16", n)."""
    out = bytes([PREFIXES.index(prefix), len(tokens)])
    for code, count in tokens:
        out += bytes([CODES.index(code), 0 if count is None else 128 + count])
    out += bytes([length])
    if adjust is None:
        out += b"\x00"
    elif adjust == "header":
        out += b"\x01"
    elif adjust[0] == "i8":
        out += b"\x02" + struct.pack("b", adjust[1])
    else:
        out += b"\x03" + struct.pack(">q", adjust[1])
    out += bytes([len(constants)])
    if constants:
        out += template + bytes(constants)
    if max_payload is None:
        out += b"\x00"
    elif max_payload == "max":
        out += b"\x01"
    elif max_payload[0] == "u8":
        out += bytes([2, max_payload[1]])
    else:
        out += b"\x03" + struct.pack(">H", max_payload[1])
    return out + bytes([int(discard) | 2 * int(resync)])


def split(layout, stream, chunks=(), buffer=("big",)):
    """A split_equivalence input: buffer is ("big",), ("header+", n),
    ("bytes", n) or ("64",)."""
    kinds = {"big": 0, "header+": 1, "bytes": 2, "64": 3}
    extra = buffer[1] if len(buffer) > 1 else 0
    return layout + bytes([kinds[buffer[0]], extra, len(chunks)]) + bytes(chunks) + stream


def frame(payload, values=(), short=False):
    """A roundtrip frame. values (at most 3): (index, kind, bytes), kind one of
    "field" (field-sized bytes), "i64", "i128", "f64", "bool", "bytes"."""
    n = len(payload)
    out = bytes([n]) if n < 224 else b"\xe0" + struct.pack(">H", n)
    out += payload + bytes([len(values) | (0x80 if short else 0)])
    sel = {"field": 0, "i64": 5, "i128": 6, "f64": 7, "bool": 8, "bytes": 9}
    for index, kind, data in values:
        out += bytes([index, sel[kind]])
        out += bytes([len(data)]) + data if kind == "bytes" else data
    return out


def reads(layout, stream, steps=(), read_size=64, owned=False):
    """A std_reader input. steps: "int" (Interrupted), "block" (WouldBlock)
    or n (a read of at most n bytes, 1..=64)."""
    code = []
    for st in steps:
        code.append(0 if st == "int" else 1 if st == "block" else 4 * (st - 1) + 2)
    return layout + bytes([read_size - 1, int(owned), len(code)]) + bytes(code) + stream


def embedded(layout, stream, steps=(), read_size=64, buffer=("big",), owned=False,
             stream_extra=0):
    """An embedded_reader input. read_size: 1..=64, or one of the large sizes
    65, 100, 256, 1024; steps: "int" (Interrupted) or n (a read of at most n
    bytes, 1..=64), repeated; buffer: the FrameReader's decoder buffer, as
    for split; stream_extra: 0-3 bytes more than a header for the
    StreamReader's decoder."""
    kinds = {"big": 0, "header+": 1, "bytes": 2, "64": 3}
    extra = buffer[1] if len(buffer) > 1 else 0
    large = [65, 100, 256, 1024]
    if read_size <= 64:
        size = read_size - 1
    else:
        # The large sizes are picked by r % 4 for r >= 192.
        size = next(r for r in range(192, 256) if r % 4 == large.index(read_size))
    code = [0 if st == "int" else 4 * (st - 1) + 1 for st in steps]
    return (layout + bytes([kinds[buffer[0]], extra, size, int(owned) | 2 * stream_extra, len(code)])
            + bytes(code) + stream)


def roundtrip(layout, frames):
    return layout + bytes([len(frames)]) + b"".join(frames)


SPLIT = {
    # "!I": two frames and half a third, cut inside headers and payloads.
    "net-u32": split(spec("!", [("I", None)]),
                     b"\0\0\0\x05hello\0\0\0\x02hi\0\0\0\x04ab", chunks=[3, 0, 5, 1]),
    # The README's "<HBxI": magic, version, whole-frame length; a bad magic.
    "magic-version": split(
        spec("<", [("H", None), ("B", None), ("x", None), ("I", None)], length=2, adjust="header",
             constants=[0, 1], template=b"\xfe\xca\x01\x00\x00\x00\x00\x00"),
        b"\xfe\xca\x01\x00\x0d\x00\x00\x00hello\xad\xde\x01\x00\x08\x00\x00\x00",
        chunks=[7, 9]),
    # Resynchronisation on a 0xCAFE magic after three lost bytes.
    "resync": split(
        spec(">", [("H", 2)], length=1, constants=[0], template=b"\xca\xfe\0\0",
             max_payload=("u8", 16), resync=True),
        b"\xca\xfe\x00\x01A\x01\x02\xca\xca\xfe\x00\x02BC\xca\xfe", chunks=[6, 1]),
    # Oversized payloads skipped under the discard policy, with resync too.
    "discard": split(
        spec("<", [("B", None), ("H", None)], length=1, constants=[0], template=b"\x7e\0\0",
             max_payload=("u8", 4), discard=True, resync=True),
        b"\x7e\x02\x00ok\x7e\x09\x00123456789\x7e\x01\x00!\x00\x7e", chunks=[4, 4, 4]),
    # A negative signed length, with a small buffer.
    "negative": split(spec("!", [("i", None)], max_payload=("u8", 10)),
                      b"\x00\x00\x00\x01a\x00\x00\x00\x00\xff\xff\xff\xfe", chunks=[2, 5],
                      buffer=("header+", 2)),
    # Native "@bi" (padding before i); frames larger than the buffer.
    "native-too-large": split(spec("@", [("b", None), ("i", None)], length=1),
                              b"\x00\x00\x00\x00\x02\x00\x00\x00hi\x01\x00\x00\x00\x09\x00\x00\x00123456789",
                              buffer=("header+", 4)),
    # A buffer smaller than the header.
    "buffer-too-small": split(spec("<", [("Q", None)]), b"\0" * 8, buffer=("bytes", 3)),
    # Many kinds around a Q length with a large adjust; stream ends truncated.
    "kinds-truncated": split(
        spec("=", [("e", None), ("?", None), ("s", 3), ("Q", None), ("p", 4)],
             adjust=("i64", -5), max_payload="max"),
        b"\x00\x3c\x01abc" + struct.pack("=Q", 7) + b"\x02xyz" + b"12" + b"\0\0\x01",
        chunks=[1, 1, 1, 1, 9]),
}

ROUNDTRIP = {
    "net-u32": roundtrip(spec("!", [("I", None)]),
                         [frame(b"hello"), frame(b""), frame(bytes(range(256)) * 2)]),
    # Every value fixed: giving one is an error; a frame that counts itself.
    "magic-version": roundtrip(
        spec("<", [("H", None), ("B", None), ("x", None), ("I", None)], length=2, adjust="header",
             constants=[0, 1], template=b"\xfe\xca\x01\x00\x00\x00\x00\x00"),
        [frame(b"hello"), frame(b"x", [(0, "field", b"\x01\x02")]), frame(b"")]),
    # Extra values: one that fits, one out of range, one of the wrong type,
    # one past the last field, and an output buffer one byte short.
    "type-flags-len": roundtrip(
        spec("!", [("B", 2), ("H", None)], length=2),
        [frame(b"ab", [(0, "field", b"\x07"), (1, "i64", struct.pack(">q", 200))]),
         frame(b"cd", [(1, "i64", struct.pack(">q", 256))]),
         frame(b"ef", [(0, "bool", b"\x01")]),
         frame(b"gh", [(3, "i64", struct.pack(">q", 1))]),
         frame(b"ij", short=True)]),
    # A signed byte length: 127 fits, 128 does not; a small max_payload.
    "i8-length": roundtrip(spec(">", [("b", None)], max_payload=("u16", 200)),
                           [frame(b"a" * 127), frame(b"b" * 128), frame(b"c" * 201)]),
    # Floats, bools, strings, Pascal strings and a pointer, natively laid out.
    "native-kinds": roundtrip(
        spec("@", [("?", None), ("e", None), ("s", 4), ("p", 3), ("P", None), ("I", None)],
             length=1),
        [frame(b"z", [(0, "bool", b"\x01"), (1, "field", b"\x00\x3c"), (2, "bytes", b"ab")]),
         frame(b"", [(3, "bytes", b"xy")]),
         frame(b"", [(1, "f64", struct.pack(">d", 70000.0)), (4, "i64", struct.pack(">q", -1))]),
         frame(b"", [(1, "f64", struct.pack(">d", 1.0001)), (4, "i64", struct.pack(">q", -1))]),
         frame(b"", [(3, "bytes", b"xyz")]),
         frame(b"", [(5, "i64", struct.pack(">q", 1))])]),
    # A standard-size float that overflows f32 is refused.
    "float-overflow": roundtrip(
        spec("<", [("f", None), ("H", None)]),
        [frame(b"ok", [(0, "f64", struct.pack(">d", 1.5))]),
         frame(b"no", [(0, "f64", struct.pack(">d", 1e300))]),
         frame(b"", [(0, "i128", b"\x7f" + b"\xff" * 15)])]),
}

STD = {
    # Short reads, interrupted and would-block reads across two frames.
    "net-u32": reads(spec("!", [("I", None)]), b"\0\0\0\x05hello\0\0\0\x02hi",
                     steps=[1, "int", 2, "block", 3, "int", "block", 1, 5], read_size=4),
    # Owned frames; resynchronisation across reads; a truncated end.
    "resync-owned": reads(
        spec(">", [("H", 2)], length=1, constants=[0], template=b"\xca\xfe\0\0",
             max_payload=("u8", 16), resync=True),
        b"\xca\xfe\x00\x01A\x01\x02\xca\xca\xfe\x00\x02BC\xca\xfe\x00",
        steps=[6, "block", 1, 1, "int", 2], read_size=3, owned=True),
    # Discarded oversize payloads, read one byte at a time.
    "discard": reads(spec("<", [("H", None)], max_payload=("u8", 4), discard=True),
                     b"\x02\x00ok\x09\x00123456789\x01\x00!", read_size=1),
    # A fatal error: the reader repeats it.
    "negative": reads(spec("!", [("i", None)]), b"\x00\x00\x00\x01a\xff\xff\xff\xfe",
                      steps=["block", "block", 2]),
}

# "<BH": a 0x7e marker, a u16 length.
MARKED = dict(tokens=[("B", None), ("H", None)], length=1, constants=[0], template=b"\x7e\0\0")

EMBEDDED = {
    # Short reads, interrupted, across frames, into a 7-byte read buffer.
    "net-u32": embedded(spec("!", [("I", None)]), b"\0\0\0\x05hello\0\0\0\x02hi\0\0\0\x00",
                        steps=[1, "int", 2, 3, "int", "int", 1, 5], read_size=7),
    # Regression: the report of 2 bytes skipped consumed them, and the
    # readers fed them again forever; "ok" and "z" follow it.
    "resync-skipped": embedded(spec("<", resync=True, **MARKED),
                               b"\x00\x01\x7e\x02\x00ok\x7e\x01\x00z",
                               steps=[1, 2, "int", 3], read_size=3, buffer=("bytes", 16)),
    # Regression: an oversized frame discarded before a good one.
    "discard-then-good": embedded(spec("<", max_payload=("u8", 4), discard=True, **MARKED),
                                  b"\x7e\x06\x00toobig\x7e\x02\x00ok",
                                  steps=[2, "int", 1], read_size=4, buffer=("bytes", 16), owned=True),
    # Frames longer than the read buffer, assembled in the decoder's.
    "assembled": embedded(spec("<", [("H", None)]), b"\x0a\x001234567890\x03\x00abc\x01\x00!",
                          steps=[3], read_size=5, buffer=("header+", 12), stream_extra=2),
    # A truncated end and a large read buffer.
    "truncated": embedded(spec(">", [("H", None)]), b"\x00\x02hi\x00\x05abc",
                          steps=[1, 64], read_size=256),
    # A frame too large for the decoder's buffer.
    "too-large": embedded(spec("<", [("H", None)]), b"\x02\x00hi\x09\x00123456789",
                          read_size=1, buffer=("header+", 4)),
}

FORMATS = {
    "net-u32": b"!I",
    "bad-char": b"<HZ",
    "native-align": b"@bi",
    "every-code": b"cbB?hHiIlLqQnNefdspP",
    "spaces": b"< H  I",
    "counts": b"=2s0i3x4H",
    "native-only": b"<n",
    "count-without-code": b"<12",
    "too-long": b"70000x",
    "overflow": b"99999999999999999999999x",
    "whitespace-pascal": b"\t@ 10p 2e\n",
    "no-integer": b">4sd",
    "not-utf8": b"!\xffI",
}


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, "seed-" + name), "wb") as f:
            f.write(data)


write("split_equivalence", SPLIT)
write("roundtrip", ROUNDTRIP)
write("format_parse", FORMATS)
write("std_reader", STD)
write("embedded_reader", EMBEDDED)
