"""A Python peer for the length and trailer tests of tests/python_peers.rs:
HTTP/2-style frames (`struct.pack('!3sBBI', n.to_bytes(3, 'big'), type,
flags, stream)`), protobuf-delimited messages (an unsigned LEB128 length,
then the bytes) and frames with a `zlib.crc32` trailer, over a plain socket
on 127.0.0.1.

    python3 lengths_peer.py send-http2 COUNT SEED      listen, print the port,
    python3 lengths_peer.py send-delimited COUNT SEED  then send COUNT frames
    python3 lengths_peer.py send-crc COUNT SEED        in random pieces
    python3 lengths_peer.py recv-http2 COUNT           listen, print the port,
    python3 lengths_peer.py recv-delimited COUNT       read COUNT frames, report

`send-crc` sends frames of `struct.pack('>HI', 0xF00D, n) + payload +
struct.pack('>I', zlib.crc32(header + payload))`, of which frame CORRUPT has
a payload byte flipped after its trailer was computed, and JUNK follows
frame JUNK_AFTER; after the end it prints what a resynchronising reader
must report: `corrupt OFFSET LENGTH COMPUTED CARRIED` and `skipped OFFSET
BYTES`, then `sent COUNT`.

The `recv-*` modes parse with their own recv loop (short reads anywhere),
check every frame against the formulas below, and after the end of the
stream print one line per frame: `frame I LENGTH TYPE FLAGS STREAM CRC32` or
`frame I LENGTH VARINT_BYTES CRC32` (the CRC of the payload, `zlib.crc32`),
then `ok COUNT`.

The formulas (lengths, header values, payload bytes) are the Rust side's
too. Exit code 0 when all went well; 1 with a message on stderr otherwise.
"""

import random
import socket
import struct
import sys
import zlib

# HTTP/2: the first frames' lengths, then (i * 7919) % 300.
H2_SPECIAL = [0, 1, 255, 256, 16383, 16384, 65535, 65536, 100000]
# Delimited: lengths whose varints cross 127/128, 16383/16384 and 2**21.
DELIMITED_SPECIAL = [0, 1, 126, 127, 128, 129, 255, 300, 16382, 16383, 16384, 16385,
                     2**21 - 1, 2**21]
MAGIC = 0xF00D
CORRUPT = 17
JUNK_AFTER = 29
JUNK = bytes(range(7))

BASE = bytes(range(251))


def payload(i, n):
    """Byte k of payload i is (i * 31 + k) % 251."""
    start = (i * 31) % 251
    return (BASE * (n // 251 + 2))[start:start + n]


def h2_length(i):
    return H2_SPECIAL[i] if i < len(H2_SPECIAL) else (i * 7919) % 300


def h2_fields(i):
    """(type, flags, stream): the stream id uses all 32 bits."""
    return i % 10, (i * 37) % 256, (i * 2654435761) % 2**32


def delimited_length(i):
    return DELIMITED_SPECIAL[i] if i < len(DELIMITED_SPECIAL) else (i * 7919) % 300


def crc_length(i):
    return (i * 7919) % 300


def leb128(n):
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        if not n:
            out.append(low)
            return bytes(out)
        out.append(low | 0x80)


def h2_frame(i):
    n = h2_length(i)
    kind, flags, stream = h2_fields(i)
    return struct.pack("!3sBBI", n.to_bytes(3, "big"), kind, flags, stream) + payload(i, n)


def listen():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    print(server.getsockname()[1], flush=True)
    server.settimeout(10)
    conn, _client = server.accept()
    conn.settimeout(10)
    server.close()
    return conn


def send_in_pieces(conn, data, rng):
    """Random cuts (mostly small, some large), one socket.send a piece,
    each resumed after a short write."""
    at = 0
    while at < len(data):
        cut = rng.randint(1, 64) if rng.random() < 0.9 else rng.randint(65, 9000)
        piece = memoryview(data)[at:at + cut]
        at += len(piece)
        while piece:
            sent = conn.send(piece)
            piece = piece[sent:]


def send(mode, count, seed):
    rng = random.Random(seed)
    report = []
    if mode == "send-http2":
        wire = b"".join(h2_frame(i) for i in range(count))
    elif mode == "send-delimited":
        wire = b"".join(leb128(delimited_length(i)) + payload(i, delimited_length(i))
                        for i in range(count))
    else:
        parts = []
        offset = 0
        for i in range(count):
            body = payload(i, crc_length(i))
            header = struct.pack(">HI", MAGIC, len(body))
            carried = zlib.crc32(header + body)
            if i == CORRUPT:
                assert body, "the corrupt frame needs a payload"
                flipped = bytearray(body)
                flipped[len(body) // 2] ^= 0x40
                body = bytes(flipped)
                length = len(header) + len(body) + 4
                report.append("corrupt %d %d %d %d" % (offset, length,
                                                       zlib.crc32(header + body), carried))
            frame = header + body + struct.pack(">I", carried)
            parts.append(frame)
            offset += len(frame)
            if i == JUNK_AFTER:
                parts.append(JUNK)
                report.append("skipped %d %d" % (offset, len(JUNK)))
                offset += len(JUNK)
        wire = b"".join(parts)
    conn = listen()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    send_in_pieces(conn, wire, rng)
    conn.close()
    for line in report:
        print(line)
    print("sent", count, flush=True)


class Reader:
    """Bytes from a socket, whatever sizes recv returns."""

    def __init__(self, conn):
        self.conn = conn
        self.buf = bytearray()
        self.eof = False

    def fill(self, n):
        """At least n bytes buffered; False if the stream ends first."""
        while len(self.buf) < n:
            if self.eof:
                return False
            chunk = self.conn.recv(65536)  # a timeout raises
            if chunk:
                self.buf += chunk
            else:
                self.eof = True
        return True

    def take(self, n):
        if not self.fill(n):
            raise EOFError("stream ended %d bytes into a %d-byte read" % (len(self.buf), n))
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def at_end(self):
        return not self.fill(1)


def read_varint(reader):
    value = 0
    for i in range(10):
        (byte,) = reader.take(1)
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, i + 1
    raise ValueError("a varint longer than 10 bytes")


def recv(mode, count):
    conn = listen()
    reader = Reader(conn)
    lines = []
    for i in range(count):
        if reader.at_end():
            sys.exit("ended after %d of %d frames" % (i, count))
        if mode == "recv-http2":
            raw, kind, flags, stream = struct.unpack("!3sBBI", reader.take(9))
            n = int.from_bytes(raw, "big")
            body = reader.take(n)
            if (n, body) != (h2_length(i), payload(i, h2_length(i))):
                sys.exit("frame %d: %d bytes differ from the expected %d" % (i, n, h2_length(i)))
            if (kind, flags, stream) != h2_fields(i):
                sys.exit("frame %d: header %r, expected %r" % (i, (kind, flags, stream), h2_fields(i)))
            lines.append("frame %d %d %d %d %d %d" % (i, n, kind, flags, stream, zlib.crc32(body)))
        else:
            n, used = read_varint(reader)
            body = reader.take(n)
            if (n, body) != (delimited_length(i), payload(i, delimited_length(i))):
                sys.exit("message %d: %d bytes differ from the expected %d"
                         % (i, n, delimited_length(i)))
            if used != len(leb128(n)):
                sys.exit("message %d: a %d-byte varint for %d" % (i, used, n))
            lines.append("frame %d %d %d %d" % (i, n, used, zlib.crc32(body)))
    if not reader.at_end():
        sys.exit("bytes after the last frame")
    conn.close()
    for line in lines:
        print(line)
    print("ok", count, flush=True)


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode in ("send-http2", "send-delimited", "send-crc") and len(sys.argv) == 4:
        send(mode, int(sys.argv[2]), int(sys.argv[3]))
    elif mode in ("recv-http2", "recv-delimited") and len(sys.argv) == 3:
        recv(mode, int(sys.argv[2]))
    else:
        sys.exit(__doc__)
