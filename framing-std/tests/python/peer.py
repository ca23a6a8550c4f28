"""A Python peer for tests/python_peers.rs, written like the classic socket
tutorial: a 4-byte native `struct.pack('i', len(msg))` header, then the
message, over a plain socket.

    python3 peer.py send COUNT SEED   listen, print the port, then send COUNT
                                      messages in random small pieces
    python3 peer.py recv COUNT        listen, print the port, then read and
                                      check COUNT messages, print "ok COUNT"

Exit code 0 when all went well; 1 with a message on stderr otherwise.
"""

import random
import socket
import struct
import sys


def message(i):
    """Message i; the Rust side has the same formula (tests/common/mod.rs)."""
    length = 70000 if i % 97 == 50 else (i * 7919) % 300
    return bytes((i * 31 + k) % 251 for k in range(length))


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


def send(count, seed):
    rng = random.Random(seed)
    conn = listen()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pending = b""
    for i in range(count):
        msg = message(i)
        header = struct.pack("i", len(msg))
        pending += header + msg
        # Random split points: small sends that cut headers and payloads.
        while len(pending) > 64:
            cut = rng.randint(1, 64) if rng.random() < 0.9 else rng.randint(65, 9000)
            conn.sendall(pending[:cut])
            pending = pending[cut:]
    while pending:
        cut = rng.randint(1, 64)
        conn.sendall(pending[:cut])
        pending = pending[cut:]
    conn.close()


def recv_exact(conn, n):
    """Exactly n bytes, looping over recv; None at a clean end before any."""
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            if not buf:
                return None
            raise EOFError("stream ended %d bytes into a %d-byte read" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def recv(count):
    conn = listen()
    size = struct.calcsize("i")
    for i in range(count):
        header = recv_exact(conn, size)
        if header is None:
            sys.exit("ended after %d of %d messages" % (i, count))
        (length,) = struct.unpack("i", header)
        payload = recv_exact(conn, length) if length else b""
        if payload != message(i):
            sys.exit("message %d differs: %d bytes, expected %d" % (i, len(payload or b""), len(message(i))))
    if recv_exact(conn, 1) is not None:
        sys.exit("bytes after the last message")
    conn.close()
    print("ok", count, flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(int(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1] == "recv":
        recv(int(sys.argv[2]))
    else:
        sys.exit("usage: peer.py send COUNT SEED | recv COUNT")
