"""Shared helpers for the protocol generators (tests/protocols.rs).

Each generator uses a protocol's REAL implementation (from PyPI, or CPython's
own) to produce the bytes each side of a realistic exchange sends, and prints
one JSON object:

    {"protocol": NAME, "library": "paho-mqtt 2.2.0",
     "sides": {"client": SIDE, "server": SIDE}}

where SIDE is {"stream_hex": ..., "frames": [FRAME...], "preface_hex": ...
(only when the side starts with one)} or {"skip": "why"}, and FRAME holds
what the library says the frame is, with the keys `framing decode --json`
prints: "fields" (the fixed header's values in order; null where the test
must not compare, integers, or lowercase hex for byte fields), "length"
(the payload's length), "payload_hex"; WebSocket frames "fin", "opcode",
"masked"; RESP frames "resp". A "note" key names the message for people.

When the library cannot be imported the whole object is
{"protocol": NAME, "skip": "LIBRARY is not installed (...)"}.

Other modes, per generator (see each one's docstring): `parse SIDE`
reads hex on stdin (bytes `framing encode` wrote) and prints what the
library makes of them; `tap` runs the exchange over sockets through a
proxy whose port it reads on stdin after printing its own server's port.
"""

import importlib
import json
import socket
import sys

TIMEOUT = 10


class Skip(Exception):
    """The library is missing: the generator prints a skip record."""


def need(module, pip_name):
    """Imports `module` or raises Skip naming the PyPI package."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise Skip(f"{pip_name} is not installed ({e})")


def version(dist):
    try:
        from importlib.metadata import version as v

        return f"{dist} {v(dist)}"
    except Exception:
        return dist


def frame(fields, payload, note=None, **extra):
    out = {"fields": list(fields), "length": len(payload), "payload_hex": bytes(payload).hex()}
    out.update(extra)
    if note:
        out["note"] = note
    return out


def side(stream, frames, preface=None):
    out = {"stream_hex": bytes(stream).hex(), "frames": frames}
    if preface is not None:
        out["preface_hex"] = bytes(preface).hex()
    return out


def check(condition, message):
    """An assertion that survives `python -O`: the generator's own proof."""
    if not condition:
        raise AssertionError(message)


def varint(data, pos, limit=10):
    """An unsigned LEB128 varint at `pos`: (value, next position)."""
    value = 0
    for i in range(limit):
        b = data[pos + i]
        value |= (b & 0x7F) << (7 * i)
        if not b & 0x80:
            return value, pos + i + 1
    raise ValueError(f"varint longer than {limit} bytes at {pos}")


def read_exactly(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError(f"the peer closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def read_to_end(sock, into, limit=64 << 20):
    while len(into) < limit:
        chunk = sock.recv(1 << 16)
        if not chunk:
            return
        into += chunk
    raise AssertionError("more than 64 MiB: giving up")


def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(TIMEOUT)
    return server


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def endpoint(tap):
    """A listening server socket and the port its client should connect to:
    the server's own, or, with `tap`, the proxy's: the server's port is
    printed first and the proxy's read back from stdin."""
    server = listener()
    port = server.getsockname()[1]
    if tap:
        print(port, flush=True)
        port = int(sys.stdin.readline())
    return server, port


def main(protocol, dist, generate, parse=None, tap=None):
    args = sys.argv[1:]
    try:
        if args[:1] == ["parse"]:
            data = bytes.fromhex(sys.stdin.read().strip())
            out = {"protocol": protocol, "parsed": parse(args[1] if len(args) > 1 else "client", data)}
        elif args[:1] == ["tap"]:
            out = {"protocol": protocol, "library": version(dist), "sides": tap()}
        else:
            out = {"protocol": protocol, "library": version(dist), "sides": generate()}
    except Skip as e:
        out = {"protocol": protocol, "skip": str(e)}
    json.dump(out, sys.stdout)
    print()
