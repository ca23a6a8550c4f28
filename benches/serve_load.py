"""How `framing serve` holds up against clients that cost it without
giving it work: idle connections, and slowloris senders (a header
announcing 8 MiB, then a byte a second). Prints the server's threads and
resident memory under each, and a good client's echo round trip meanwhile.

    cargo build --release
    python3 benches/serve_load.py target/release/framing [IDLE] [SLOW]

Linux only (reads /proc/PID/status). 127.0.0.1 only.
"""

import socket
import statistics
import struct
import subprocess
import sys
import threading
import time


def status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["Threads"]), int(fields["VmRSS"].split()[0]) / 1024


def settle(pid, seconds=3.0):
    """Threads and RSS once the thread count has stopped moving."""
    last = None
    deadline = time.monotonic() + 30
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        now = status(pid)
        if last is None or now[0] != last[0]:
            stable_since = time.monotonic()
        elif time.monotonic() - stable_since >= seconds:
            return now
        last = now
        time.sleep(0.2)
    return last


def round_trips(addr, count=200):
    """A good client's echo round trips, in milliseconds."""
    s = socket.create_connection(addr, timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    frame = struct.pack("!I", 5) + b"hello"
    times = []
    for _ in range(count):
        t = time.perf_counter()
        s.sendall(frame)
        got = b""
        while len(got) < len(frame):
            chunk = s.recv(64)
            if not chunk:
                raise RuntimeError("the server closed the good client")
            got += chunk
        times.append((time.perf_counter() - t) * 1000)
    s.close()
    return times


def report(what, pid, addr):
    threads, rss = settle(pid)
    rtt = round_trips(addr)
    print(
        f"{what}: {threads} threads, RSS {rss:.1f} MiB; good client round trip "
        f"median {statistics.median(rtt):.3f} ms, p99 {sorted(rtt)[int(len(rtt) * 0.99) - 1]:.3f} ms, "
        f"max {max(rtt):.3f} ms",
        flush=True,
    )


def main():
    binary = sys.argv[1]
    idle_count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    slow_count = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    server = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--echo"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = server.stderr.readline()
    host, port = line.strip().removeprefix("listening on ").rsplit(":", 1)
    addr = (host, int(port))
    threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()
    try:
        report("serve, no load", server.pid, addr)

        idle = [socket.create_connection(addr, timeout=10) for _ in range(idle_count)]
        report(f"serve, {idle_count} idle connections", server.pid, addr)
        for s in idle:
            s.close()
        settle(server.pid)

        slow = []
        for _ in range(slow_count):
            s = socket.create_connection(addr, timeout=10)
            s.sendall(struct.pack("!I", 8 << 20))
            slow.append(s)
        stop = threading.Event()

        def trickle():
            while not stop.wait(1.0):
                for s in slow:
                    try:
                        s.send(b"x")
                    except OSError:
                        pass

        trickler = threading.Thread(target=trickle)
        trickler.start()
        started = time.monotonic()
        report(f"serve, {slow_count} slowloris connections", server.pid, addr)
        # --frame-timeout (30 s by default) closes them, however they trickle.
        while status(server.pid)[0] > 2 and time.monotonic() - started < 60:
            time.sleep(0.2)
        threads, rss = status(server.pid)
        print(
            f"serve, slowloris closed by --frame-timeout after {time.monotonic() - started:.1f} s: "
            f"{threads} threads, RSS {rss:.1f} MiB",
            flush=True,
        )
        stop.set()
        trickler.join()
        for s in slow:
            s.close()
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
