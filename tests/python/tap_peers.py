"""A Python client and server that talk through `framing tap`, for tests/tap.rs.

    python3 tap_peers.py SEED

Listens on 127.0.0.1:0 and prints the port (the tap's upstream); reads the
tap's port from stdin; connects to it. Both sides then send frames packed
with `struct.pack('<HBxI', 0xCAFE, version, len(payload))`, in random
pieces, some of 1 MiB, with a corrupt frame (magic 0xDEAD) in the middle:

- the client sends its frames, then half-closes, and reads to the end;
- the server sends its frames while it reads the client's, and one more
  frame once it has read the client's end (so the half-close must cross
  the tap), then closes.

Checks that each side received exactly the bytes the other sent, and
prints one JSON object: per direction ("up": client to server, "down"),
the frames in order ({"fields", "length", "payload_hex"}, as `framing decode --json`
prints them), the offset and length of the corrupt frame, and the total.
Exit code 0 when all went well; 1 with a message on stderr otherwise.
"""

import json
import random
import socket
import struct
import sys
import threading

HEADER = "<HBxI"


def frame(magic, version, payload):
    return struct.pack(HEADER, magic, version, len(payload)) + payload


def stream(rng, count, corrupt_at, big):
    """`count` frames with a corrupt one before frame `corrupt_at`; frames
    listed in `big` carry 1 MiB. Returns the bytes and what to expect."""
    out = bytearray()
    frames = []
    corrupt = None
    for i in range(count):
        if i == corrupt_at:
            # A wrong magic number; its payload has no 0xFE byte, so a
            # resynchronising decoder finds no false header in it.
            body = b"z" * 300
            corrupt = {"offset": len(out), "length": 8 + len(body)}
            out += frame(0xDEAD, 1, body)
        size = (1 << 20) if i in big else rng.randint(0, 3000)
        payload = rng.randbytes(size)
        version = rng.randint(0, 255)
        frames.append(
            {"fields": [0xCAFE, version, size], "length": size, "payload_hex": payload.hex()}
        )
        out += frame(0xCAFE, version, payload)
    return bytes(out), frames, corrupt


def send_in_pieces(sock, data, rng):
    view = memoryview(data)
    while view:
        cut = rng.randint(1, 64) if rng.random() < 0.7 else rng.randint(65, 200000)
        sock.sendall(view[:cut])
        view = view[cut:]


def read_all(sock, into):
    while True:
        chunk = sock.recv(1 << 16)
        if not chunk:
            return
        into += chunk


def main():
    seed = int(sys.argv[1])
    rng = random.Random(seed)
    up, up_frames, up_corrupt = stream(rng, 40, 17, {5, 30})
    down, down_frames, down_corrupt = stream(rng, 30, 11, {3, 20})
    last = frame(0xCAFE, 9, b"after your end")
    down_frames.append(
        {"fields": [0xCAFE, 9, 14], "length": 14, "payload_hex": b"after your end".hex()}
    )

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(20)
    print(server.getsockname()[1], flush=True)
    tap_port = int(sys.stdin.readline())

    got_up = bytearray()
    got_down = bytearray()
    errors = []

    def serve():
        try:
            conn, _ = server.accept()
            conn.settimeout(20)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            reader = threading.Thread(target=read_all, args=(conn, got_up))
            reader.start()
            send_in_pieces(conn, down, random.Random(seed + 1))
            reader.join()
            # The client's end came through the tap: one more frame.
            conn.sendall(last)
            conn.close()
        except Exception as e:  # reported below
            errors.append(f"server: {e!r}")

    server_thread = threading.Thread(target=serve)
    server_thread.start()
    client = socket.create_connection(("127.0.0.1", tap_port), timeout=20)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = threading.Thread(target=read_all, args=(client, got_down))
    reader.start()
    send_in_pieces(client, up, random.Random(seed + 2))
    client.shutdown(socket.SHUT_WR)
    reader.join()
    server_thread.join()
    client.close()

    if errors:
        sys.exit("; ".join(errors))
    if bytes(got_up) != up:
        sys.exit(f"the server got {len(got_up)} bytes, not the {len(up)} the client sent")
    if bytes(got_down) != down + last:
        sys.exit(f"the client got {len(got_down)} bytes, not the {len(down + last)} sent")
    json.dump(
        {
            "up": {"frames": up_frames, "corrupt": up_corrupt, "bytes": len(up)},
            "down": {"frames": down_frames, "corrupt": down_corrupt, "bytes": len(down) + len(last)},
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
