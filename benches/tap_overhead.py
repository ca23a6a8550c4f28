"""What `framing tap` adds to a connection on loopback: the round trip of a
small frame, and the throughput of a bulk transfer, each measured directly
and through the tap (printing to /dev/null), one run beside the other.

    cargo build --release
    python3 benches/tap_overhead.py target/release/framing

127.0.0.1 only.
"""

import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

FRAME_PAYLOAD = 64 * 1024
TOTAL = 512 * 1024 * 1024
ROUND_TRIPS = 2000


def listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    return s


def echo_server(sock):
    conn, _ = sock.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        data = conn.recv(1 << 16)
        if not data:
            break
        conn.sendall(data)
    conn.close()


def sink_server(sock, result):
    conn, _ = sock.accept()
    total = 0
    while True:
        data = conn.recv(1 << 20)
        if not data:
            break
        total += len(data)
    result.append((total, time.perf_counter()))
    conn.close()


def start_tap(binary, upstream_port):
    tap = subprocess.Popen(
        [binary, "tap", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream_port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = tap.stderr.readline()
    port = int(line.split(",")[0].rsplit(":", 1)[1])
    threading.Thread(target=lambda: [print("  tap:", l.strip()) for l in tap.stderr], daemon=True).start()
    return tap, port


def latency(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    frame = struct.pack("!I", 5) + b"hello"
    times = []
    for _ in range(ROUND_TRIPS):
        t = time.perf_counter()
        s.sendall(frame)
        got = b""
        while len(got) < len(frame):
            got += s.recv(64)
        times.append((time.perf_counter() - t) * 1e6)
    s.close()
    return statistics.median(times), sorted(times)[int(len(times) * 0.99) - 1]


def throughput(port, result):
    frame = struct.pack("!I", FRAME_PAYLOAD) + bytes(range(256)) * (FRAME_PAYLOAD // 256)
    batch = frame * 16
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    start = time.perf_counter()
    sent = 0
    while sent < TOTAL:
        s.sendall(batch)
        sent += len(batch)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)  # the end, once the sink has closed
    s.close()
    while not result:
        time.sleep(0.01)
    total, end = result[0]
    assert total == sent, (total, sent)
    return total / (end - start) / 1e6


def run(binary, via_tap):
    what = "through the tap" if via_tap else "direct"
    # Latency, against an echo server.
    up = listener()
    threading.Thread(target=echo_server, args=(up,), daemon=True).start()
    tap = None
    port = up.getsockname()[1]
    if via_tap:
        tap, port = start_tap(binary, port)
    median, p99 = latency(port)
    if tap:
        tap.kill()
        tap.wait()
    # Throughput, into a sink.
    up = listener()
    result = []
    threading.Thread(target=sink_server, args=(up, result), daemon=True).start()
    port = up.getsockname()[1]
    if via_tap:
        tap, port = start_tap(binary, port)
    mbps = throughput(port, result)
    if tap:
        time.sleep(0.5)  # let the tap print its summary of the connection
        tap.kill()
        tap.wait()
    print(
        f"{what}: round trip of a 9-byte frame median {median:.1f} us, p99 {p99:.1f} us; "
        f"{TOTAL >> 20} MiB in 64 KiB frames at {mbps:.0f} MB/s",
        flush=True,
    )


def main():
    binary = sys.argv[1]
    run(binary, False)
    run(binary, True)


if __name__ == "__main__":
    main()
