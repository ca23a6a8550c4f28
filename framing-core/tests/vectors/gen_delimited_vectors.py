#!/usr/bin/env python3
"""Generate test vectors for framings without a length: COBS, SLIP and
delimited lines, with and without a CRC trailer.

The encoders and decoders below are written from the sources, not from the
crate:

* COBS: Cheshire and Baker, "Consistent Overhead Byte Stuffing", IEEE/ACM
  Transactions on Networking 7(2), 1999. A frame is cut into blocks; each
  block is a code byte n followed by n - 1 non-zero bytes, and stands for
  those bytes followed by a zero, except a block of code 0xFF (254 bytes,
  no zero) and the last block. The paper's encoder closes a block at each
  zero and when its code reaches 0xFF, and always writes the last block's
  code at the end, so 254 non-zero bytes encode as FF <254 bytes> 01.
  Wikipedia's table (and the C code in that article) leaves that final
  01 block out when the input ends exactly at a full block: FF <254 bytes>.
  Both decode to the same bytes. Every COBS record's `encoded_hex` follows
  the paper; `wikipedia_hex` is set (to the article's form) only where the
  two differ.
* SLIP: RFC 1055. END = 0xC0 ends a packet; END and ESC (0xDB) inside it
  are sent as ESC ESC_END (0xDB 0xDC) and ESC ESC_ESC (0xDB 0xDD). The
  RFC's send_packet also sends an END first, to flush line noise; the
  crate does not. `encoded_hex` has the trailing END only, `rfc1055_hex`
  the RFC's form (a leading END too). The RFC's recv_packet skips an END
  with no bytes before it, so an empty packet cannot be sent.
* Lines: payload, trailer (none here), then the delimiter (`\\n` or
  `\\r\\n`); the frame ends at the first delimiter, so a frame must not
  contain it (`line_refused` records).
* Trailers (COBS and SLIP only): `binascii.crc_hqx(payload, 0)`
  (CRC-16/XMODEM) and `zlib.crc32(payload)`, written `little` or `big`
  endian after the payload, then stuffed or escaped with it.

If the PyPI `cobs` package is importable (`import cobs.cobs`; it is not
installed by this script), its encoding of every COBS body is recorded too
(`pypi_cobs_hex`, with the delimiter), and the summary says so
(`pypi_cobs`).

Writes JSON Lines (keys sorted, one object per line) to
`delimited_vectors.jsonl` next to this script, or to the path given with
`-o` (`-o -` for stdout). Only the stdlib is used; the output is
deterministic (fixed seed, no hash-order iteration) and does not depend on
the machine (every trailer has an explicit byte order). Regenerate from the
repository root:

    python3 framing-core/tests/vectors/gen_delimited_vectors.py

See README.md in this directory for the record schema. Read by
framing-core/tests/delimited_vectors.rs.
"""

import argparse
import binascii
import json
import os
import random
import sys
import zlib

SEED = 0xDE11_0C0B
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUTPUT = os.path.join(HERE, "delimited_vectors.jsonl")

try:  # Optional: recorded only if already installed.
    import cobs.cobs as pypi_cobs  # type: ignore
except Exception:  # noqa: BLE001 - any import failure means "skip"
    pypi_cobs = None


# --- COBS (Cheshire and Baker) -----------------------------------------------

def cobs_encode(data, final_block_after_full=True):
    """COBS-encode `data` (without the delimiter).

    The paper's StuffData: a block is closed (its code written in the place
    kept for it) at each zero and as soon as its code reaches 0xFF; at the
    end the last block is closed. With `final_block_after_full` False, the
    Wikipedia article's variant: a block closed at 0xFF by the very last
    byte is the last block (no empty 01 block after it).
    """
    out = bytearray([0])  # the place kept for the first code
    code_at = 0
    code = 1
    for i, byte in enumerate(data):
        if byte == 0:
            out[code_at] = code
            code_at = len(out)
            out.append(0)
            code = 1
            continue
        out.append(byte)
        code += 1
        if code == 0xFF:
            out[code_at] = code
            if not final_block_after_full and i == len(data) - 1:
                return bytes(out)
            code_at = len(out)
            out.append(0)
            code = 1
    out[code_at] = code
    return bytes(out)


def cobs_decode(enc):
    """Decode one COBS frame (no delimiter): blocks of a code n and n - 1
    bytes, each followed by a zero unless its code is 0xFF or it is the
    last one. Accepts both final-block conventions."""
    if not enc:
        raise ValueError("an empty COBS frame")
    out = bytearray()
    i = 0
    while i < len(enc):
        code = enc[i]
        if code == 0:
            raise ValueError(f"a zero code at {i}")
        block = enc[i + 1:i + code]
        if len(block) != code - 1 or 0 in block:
            raise ValueError(f"a bad block at {i}")
        out += block
        i += code
        if code < 0xFF and i < len(enc):
            out.append(0)
    return bytes(out)


def cobs_frames(stream):
    """The frames of a byte stream: COBS blocks, each frame ended by 00;
    a 00 with no frame before it is skipped."""
    frames = []
    for part in stream.split(b"\x00")[:-1]:
        if part:
            frames.append(cobs_decode(part))
    return frames


# Wikipedia, "Consistent Overhead Byte Stuffing", section "Encoding
# examples": (row, unencoded, encoded as the table shows it, 00 included).
def _r(a, b):
    return bytes(range(a, b + 1))


WIKIPEDIA_TABLE = [
    (1, bytes.fromhex("00"), bytes.fromhex("010100")),
    (2, bytes.fromhex("0000"), bytes.fromhex("01010100")),
    (3, bytes.fromhex("001100"), bytes.fromhex("0102110100")),
    (4, bytes.fromhex("11220033"), bytes.fromhex("031122023300")),
    (5, bytes.fromhex("11223344"), bytes.fromhex("051122334400")),
    (6, bytes.fromhex("11000000"), bytes.fromhex("021101010100")),
    # 01 02 03 ... FD FE -> FF 01 02 03 ... FD FE 00
    (7, _r(0x01, 0xFE), b"\xff" + _r(0x01, 0xFE) + b"\x00"),
    # 00 01 02 ... FC FD FE -> 01 FF 01 02 ... FC FD FE 00
    (8, _r(0x00, 0xFE), b"\x01\xff" + _r(0x01, 0xFE) + b"\x00"),
    # 01 02 03 ... FD FE FF -> FF 01 02 03 ... FD FE 02 FF 00
    (9, _r(0x01, 0xFF), b"\xff" + _r(0x01, 0xFE) + b"\x02\xff\x00"),
    # 02 03 04 ... FE FF 00 -> FF 02 03 04 ... FE FF 01 01 00
    (10, _r(0x02, 0xFF) + b"\x00", b"\xff" + _r(0x02, 0xFF) + b"\x01\x01\x00"),
    # 03 04 05 ... FF 00 01 -> FE 03 04 05 ... FF 02 01 00
    (11, _r(0x03, 0xFF) + b"\x00\x01", b"\xfe" + _r(0x03, 0xFF) + b"\x02\x01\x00"),
]
# Rows where the article leaves out the paper's final 01 block.
WIKIPEDIA_OMITS_FINAL_BLOCK = (7, 8)


def check_cobs():
    for row, dec, table in WIKIPEDIA_TABLE:
        paper = cobs_encode(dec) + b"\x00"
        wiki = cobs_encode(dec, final_block_after_full=False) + b"\x00"
        assert wiki == table, (row, wiki.hex(), table.hex())
        if row in WIKIPEDIA_OMITS_FINAL_BLOCK:
            assert paper == table[:-1] + b"\x01\x00", row
        else:
            assert paper == table, row
        assert cobs_decode(paper[:-1]) == dec and cobs_decode(wiki[:-1]) == dec, row
    # The paper: the empty packet is one block of code 01; a maximal run
    # is FF; no zero ever appears in the encoding.
    assert cobs_encode(b"") == b"\x01"
    assert cobs_encode(b"\x01" * 508) == (b"\xff" + b"\x01" * 254) * 2 + b"\x01"
    rng = random.Random(1)
    for n in range(0, 800, 7):
        data = bytes(rng.choice((0, 0, 1, 0xFF, rng.randrange(256))) for _ in range(n))
        for final in (True, False):
            enc = cobs_encode(data, final)
            assert 0 not in enc and cobs_decode(enc) == data
            assert len(enc) <= n + n // 254 + 1
    # Concatenated frames, with stray delimiters between them.
    frames = [b"", b"\x00", b"ab", _r(1, 254)]
    stream = b"\x00" + b"".join(cobs_encode(f) + b"\x00\x00" for f in frames)
    assert cobs_frames(stream) == frames
    if pypi_cobs is not None:
        for _row, dec, _table in WIKIPEDIA_TABLE:
            assert pypi_cobs.decode(pypi_cobs.encode(dec)) == dec


# --- SLIP (RFC 1055) -----------------------------------------------------------

END, ESC, ESC_END, ESC_ESC = 0xC0, 0xDB, 0xDC, 0xDD


def slip_encode(data, leading_end=False):
    """RFC 1055's send_packet, with or without its leading END."""
    out = bytearray([END] if leading_end else [])
    for byte in data:
        if byte == END:
            out += bytes([ESC, ESC_END])
        elif byte == ESC:
            out += bytes([ESC, ESC_ESC])
        else:
            out.append(byte)
    out.append(END)
    return bytes(out)


def slip_frames(stream):
    """RFC 1055's recv_packet, in a loop: an END ends a packet, unless no
    byte came before it (then it is skipped). An ESC followed by anything
    but ESC_END or ESC_ESC is an error here (the RFC keeps the byte)."""
    frames = []
    cur = bytearray()
    i = 0
    while i < len(stream):
        byte = stream[i]
        i += 1
        if byte == END:
            if cur:
                frames.append(bytes(cur))
            cur = bytearray()
        elif byte == ESC:
            nxt = stream[i]
            i += 1
            if nxt == ESC_END:
                cur.append(END)
            elif nxt == ESC_ESC:
                cur.append(ESC)
            else:
                raise ValueError(f"ESC then {nxt:#x}")
        else:
            cur.append(byte)
    assert not cur, "an unterminated packet"
    return frames


def check_slip():
    assert slip_encode(b"\xc0") == bytes([ESC, ESC_END, END])
    assert slip_encode(b"\xdb") == bytes([ESC, ESC_ESC, END])
    # ESC_END and ESC_ESC alone are data; after an ESC they are escapes.
    assert slip_encode(b"\xdc\xdd") == b"\xdc\xdd\xc0"
    assert slip_encode(b"\xdb\xdc") == bytes([ESC, ESC_ESC, ESC_END, END])
    assert slip_encode(b"\xc0\xdb") == bytes([ESC, ESC_END, ESC, ESC_ESC, END])
    assert slip_encode(b"ab", leading_end=True) == b"\xc0ab\xc0"
    assert slip_encode(b"") == b"\xc0"
    assert slip_frames(b"\xc0\xc0") == []
    rng = random.Random(2)
    for n in range(0, 600, 5):
        data = bytes(rng.choice((END, ESC, ESC_END, ESC_ESC, rng.randrange(256))) for _ in range(n))
        enc = slip_encode(data)
        assert END not in enc[:-1]
        assert slip_frames(enc) == ([data] if data else [])
        assert slip_frames(slip_encode(data, leading_end=True)) == ([data] if data else [])


# --- Lines --------------------------------------------------------------------

def line_encode(data, delim):
    frame = data + delim
    at = frame.find(delim)
    if at != len(data):
        raise ValueError(at)
    return frame


def line_frames(stream, delim):
    parts = stream.split(delim)
    assert parts[-1] == b""
    return parts[:-1]


def check_lines():
    assert line_encode(b"hi", b"\n") == b"hi\n"
    assert line_encode(b"a\rb\r", b"\r\n") == b"a\rb\r\r\n"
    assert line_frames(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n", b"\r\n") == [
        b"GET / HTTP/1.0", b"Host: x", b""]
    for bad, delim in ((b"a\nb", b"\n"), (b"a\r\nb", b"\r\n")):
        try:
            line_encode(bad, delim)
        except ValueError:
            continue
        raise AssertionError(bad)


# --- CRCs ---------------------------------------------------------------------

CRCS = {
    "crc16-xmodem": (2, lambda d: binascii.crc_hqx(d, 0)),
    "crc32": (4, lambda d: zlib.crc32(d) & 0xFFFFFFFF),
}


def check_crcs():
    # Catalogue check values (CRC RevEng), over b"123456789".
    assert CRCS["crc16-xmodem"][1](b"123456789") == 0x31C3
    assert CRCS["crc32"][1](b"123456789") == 0xCBF43926


def trailer_bytes(algo, order, payload):
    width, fn = CRCS[algo]
    value = fn(payload)
    return value, value.to_bytes(width, order)


# --- Records ------------------------------------------------------------------

class Generator:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.records = []

    def add(self, kind, **fields):
        rec = {"kind": kind}
        rec.update(fields)
        self.records.append(rec)

    # Payloads: bytes the framings treat specially, often.
    def payload(self, n, alphabet=(0x00, 0xC0, 0xDB, 0xDC, 0xDD, 0x01, 0xFF)):
        rng = self.rng
        mode = rng.randrange(4)
        out = bytearray()
        while len(out) < n:
            if mode == 0:  # uniform
                out.append(rng.randrange(256))
            elif mode == 1:  # mostly special bytes
                out.append(rng.choice(alphabet) if rng.random() < 0.7 else rng.randrange(256))
            elif mode == 2:  # runs of one byte
                out += bytes([rng.choice(alphabet + (rng.randrange(256),))]) * rng.randrange(1, 40)
            else:  # long non-zero stretches, the odd zero
                out.append(0 if rng.random() < 0.01 else rng.randrange(1, 256))
        return bytes(out[:n])

    def lengths(self):
        # Block edges (COBS: 254), trailer widths around them, and random.
        fixed = [0, 1, 2, 3, 4, 250, 251, 252, 253, 254, 255, 256, 507, 508, 509, 510, 600]
        return fixed + sorted(self.rng.randrange(0, 601) for _ in range(23))

    def cobs(self, payload, source, trailer=None, order=None, row=None):
        tv, tb = (None, b"") if trailer is None else trailer_bytes(trailer, order, payload)
        body = payload + tb
        enc = cobs_encode(body) + b"\x00"
        wiki = cobs_encode(body, final_block_after_full=False) + b"\x00"
        assert cobs_frames(enc) == [body] and cobs_frames(wiki) == [body]
        rec = dict(payload_hex=payload.hex(), encoded_hex=enc.hex(),
                   wikipedia_hex=None if wiki == enc else wiki.hex(),
                   trailer=trailer, trailer_order=order,
                   trailer_hex=tb.hex(), trailer_value=tv,
                   source=source, wikipedia_row=row)
        if pypi_cobs is not None:
            rec["pypi_cobs_hex"] = (bytes(pypi_cobs.encode(body)) + b"\x00").hex()
            assert cobs_frames(bytes.fromhex(rec["pypi_cobs_hex"])) == [body]
        self.add("cobs", **rec)

    def slip(self, payload, source, trailer=None, order=None):
        tv, tb = (None, b"") if trailer is None else trailer_bytes(trailer, order, payload)
        body = payload + tb
        enc = slip_encode(body)
        rfc = slip_encode(body, leading_end=True)
        want = [body] if body else []
        assert slip_frames(enc) == want and slip_frames(rfc) == want
        self.add("slip", payload_hex=payload.hex(), encoded_hex=enc.hex(),
                 rfc1055_hex=rfc.hex(), trailer=trailer, trailer_order=order,
                 trailer_hex=tb.hex(), trailer_value=tv, source=source,
                 skipped=not body)

    def line(self, payload, delim, source):
        enc = line_encode(payload, delim)
        assert line_frames(enc, delim) == [payload]
        self.add("line", delimiter_hex=delim.hex(), payload_hex=payload.hex(),
                 encoded_hex=enc.hex(), source=source)

    def line_refused(self, payload, delim):
        at = (payload + delim).find(delim)
        assert at < len(payload)
        self.add("line_refused", delimiter_hex=delim.hex(), payload_hex=payload.hex(), at=at)

    def build(self):
        # COBS: the Wikipedia table, block edges, then random payloads.
        for row, dec, _table in WIKIPEDIA_TABLE:
            self.cobs(dec, f"wikipedia table row {row}", row=row)
        for n in (0, 253, 254, 255, 508, 509):
            self.cobs(b"\x5a" * n, "edge: a run without zeros")
        self.cobs(b"\x00" * 300, "edge: zeros only")
        for n in self.lengths():
            self.cobs(self.payload(n), "random")

        # SLIP: the RFC's special bytes, then random payloads.
        for p in (b"", b"\xc0", b"\xdb", b"\xdb\xdc", b"\xdb\xdd", b"\xdc\xdd",
                  b"\xc0\xc0", b"\xdb\xdb", b"\x01\xc0\x02\xdb\x03", b"\xc0" * 300):
            self.slip(p, "edge: RFC 1055 escapes")
        for n in self.lengths():
            self.slip(self.payload(n), "random")

        # Lines.
        for delim in (b"\n", b"\r\n"):
            for p in (b"", b"hello", b"\r", b"a\rb\r", b"\n\r", b"\x00\xff" * 4):
                if (p + delim).find(delim) == len(p):
                    self.line(p, delim, "edge")
            for n in [0, 1, 255, 600] + [self.rng.randrange(0, 601) for _ in range(16)]:
                p = self.payload(n, alphabet=(0x0A, 0x0D, 0x00, 0xC0, 0xDB))
                # Keep the line breaks that are data: a lone \n in a CRLF
                # line, any \r; move the rest.
                if delim == b"\n":
                    p = p.replace(b"\n", b"\x0b")
                while delim in p:
                    p = p.replace(b"\r\n", b"\n\r")
                self.line(p, delim, "random")
            for p in (delim, b"x" + delim + b"y", b"x" + delim[:1]):
                if (p + delim).find(delim) < len(p):
                    self.line_refused(p, delim)
        # "x=" + "==": the first "==" starts inside the frame.
        self.line_refused(b"x=", b"==")
        self.line(b"x=y", b"==", "edge")

        # Trailers for COBS and SLIP: random payloads, and payloads found
        # (deterministically) so that the trailer holds the bytes the
        # framing must stuff or escape, or that it ends a 254-byte run.
        for algo in sorted(CRCS):
            for order in ("big", "little"):
                width = CRCS[algo][0]
                edge = [b"", b"123456789"]
                for want in (0x00, 0xC0, 0xDB):
                    edge.append(self.find(lambda p, w=want: w in trailer_bytes(algo, order, p)[1]))
                # Payload and trailer: exactly 254 and 508 non-zero bytes.
                for total in (254, 508):
                    edge.append(self.find(
                        lambda p: 0 not in trailer_bytes(algo, order, p)[1],
                        n=total - width, nonzero=True))
                for p in edge:
                    self.cobs(p, "edge", algo, order)
                    self.slip(p, "edge", algo, order)
                for n in (1, 253, 600) + tuple(self.rng.randrange(0, 601) for _ in range(4)):
                    p = self.payload(n)
                    self.cobs(p, "random", algo, order)
                    self.slip(p, "random", algo, order)

        counts = {}
        for rec in self.records:
            counts[rec["kind"]] = counts.get(rec["kind"], 0) + 1
        # Last, so a truncated file is noticed.
        self.add("summary", counts=counts, records=len(self.records),
                 pypi_cobs=pypi_cobs is not None,
                 wikipedia_omits_final_block=list(WIKIPEDIA_OMITS_FINAL_BLOCK))

    def find(self, pred, n=None, nonzero=False):
        """The first payload from the generator that satisfies `pred`."""
        for _ in range(100000):
            size = self.rng.randrange(1, 40) if n is None else n
            if nonzero:
                p = bytes(self.rng.randrange(1, 256) for _ in range(size))
            else:
                p = bytes(self.rng.randrange(256) for _ in range(size))
            if pred(p):
                return p
        raise AssertionError("no payload found")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", default=DEFAULT_OUTPUT,
                    help="write here (default: delimited_vectors.jsonl next to this script; - for stdout)")
    args = ap.parse_args()
    check_cobs()
    check_slip()
    check_lines()
    check_crcs()
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
