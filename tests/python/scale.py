#!/usr/bin/env python3
"""serve and tap at scale on 127.0.0.1 (issue 26), for BENCHMARKS.md.

    cargo build --release
    python3 tests/python/scale.py [--idle 10000] [--slow 1000]

Raises its own RLIMIT_NOFILE (as root, the hard limit too), then:
  1. serve --echo with N idle connections: threads and RSS of the server
     (/proc/PID/status), and a good client's round trip meanwhile;
  2. the same through tap (to a serve --echo upstream): the tap's threads
     and RSS, and the round trip through it;
  3. M slowloris clients (a header announcing 1 MiB, then a byte every
     200 ms) against serve --frame-timeout 2: how many were closed, by
     what, and how long it took; a good client's round trip meanwhile.
Prints one JSON object of figures. Every wait is bounded.
"""

import argparse
import json
import os
import resource
import selectors
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "target", "release", "framing")


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, hard), max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


class Proc:
    """A framing process; its stderr lines kept, stdout drained."""

    def __init__(self, args):
        self.p = subprocess.Popen([BIN] + args, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        first = self.p.stderr.readline().decode()
        assert first.startswith("listening on "), first
        host, port = first.split()[2].rstrip(",").rsplit(":", 1)
        self.addr = (host, int(port))
        self.lines = []
        threading.Thread(target=self._err, daemon=True).start()
        threading.Thread(target=self._out, daemon=True).start()

    def _err(self):
        for line in self.p.stderr:
            self.lines.append(line.decode().rstrip("\n"))

    def _out(self):
        while self.p.stdout.read(1 << 16):
            pass

    def status(self):
        fields = {}
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                fields[k] = v.strip()
        return {
            "threads": int(fields["Threads"]),
            "rss_mib": round(int(fields["VmRSS"].split()[0]) / 1024, 1),
            "rss_peak_mib": round(int(fields["VmHWM"].split()[0]) / 1024, 1),
        }

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def frame(payload):
    return struct.pack("!I", len(payload)) + payload


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def round_trips(addr, count=200):
    s = socket.create_connection(addr, timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times = []
    msg = frame(b"ping" * 8)
    # The first round trip waits for the connection to be accepted (behind
    # every connection before it) and, through tap, connected upstream:
    # reported apart.
    t = time.perf_counter()
    s.sendall(msg)
    recv_exact(s, len(msg))
    first = (time.perf_counter() - t) * 1000
    for _ in range(count):
        t = time.perf_counter()
        s.sendall(msg)
        recv_exact(s, len(msg))
        times.append((time.perf_counter() - t) * 1000)
    s.close()
    return {"first_ms": round(first, 3),
            "median_ms": round(statistics.median(times), 3),
            "max_ms": round(max(times), 3), "count": count}


def open_idle(addr, n):
    socks = []
    for i in range(n):
        s = socket.socket()
        s.settimeout(10)
        s.connect(addr)
        socks.append(s)
    return socks


def alive(socks):
    """How many of socks the far side has not closed (no byte expected)."""
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    closed = sum(1 for _ in sel.select(timeout=0.5))
    sel.close()
    return len(socks) - closed


def descriptors(proc):
    return len(os.listdir(f"/proc/{proc.p.pid}/fd"))


def wait_held(holder, n, limit=120):
    """Until `holder` has at least `n` descriptors open (every idle
    connection accepted, and through a tap connected upstream): how long
    it took."""
    start = time.time()
    while descriptors(holder) < n and time.time() - start < limit:
        time.sleep(0.01)  # polling /proc: a measurement script, not a test
    return round(time.time() - start, 2)


def idle_run(proc, n, holder=None):
    before = time.time()
    socks = open_idle(proc.addr, n)
    opened = time.time() - before
    # The round trips are measured once every idle connection is held
    # (by the server: accepted; through the tap: connected upstream too),
    # so that they measure a good client among N idle ones, not the tail
    # of the burst that opened them (reported as "seconds_to_hold").
    held = wait_held(holder or proc, n)
    rt = round_trips(proc.addr)
    st = proc.status()
    result = {"connections": n, **st, "round_trip": rt,
              "seconds_to_open": round(opened, 2),
              "seconds_to_hold": held,
              "still_open": alive(socks),
              "log_lines": len(proc.lines)}
    for s in socks:
        s.close()
    return result


def slowloris(n, frame_timeout):
    serve = Proc(["serve", "--echo", "--listen", "127.0.0.1:0",
                  "--max-connections", str(n + 100),
                  "--frame-timeout", str(frame_timeout), "--idle-timeout", "600"])
    socks = open_idle(serve.addr, n)
    start = time.time()
    for s in socks:
        s.sendall(struct.pack("!I", 1 << 20))
    open_socks = list(socks)
    good = None
    closed_at = []
    # A byte each every 200 ms, until the server closes them (bounded).
    for _ in range(int((frame_timeout + 10) / 0.2)):
        if good is None and time.time() - start > frame_timeout / 2:
            good = round_trips(serve.addr, 100)
        still = []
        for s in open_socks:
            try:
                s.send(b"x")
                still.append(s)
            except OSError:
                closed_at.append(time.time() - start)
        open_socks = still
        if not open_socks:
            break
        time.sleep(0.2)  # the attacker's pace, not a synchronisation
    st = serve.status()
    slow_lines = sum("slow frame" in l for l in serve.lines)
    serve.stop()
    for s in socks:
        s.close()
    return {"clients": n, "frame_timeout_s": frame_timeout,
            "closed": n - len(open_socks), "logged_slow_frame": slow_lines,
            "closed_after_s": [round(min(closed_at), 2), round(max(closed_at), 2)]
            if closed_at else None,
            "round_trip_meanwhile": good, **st}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--slow", type=int, default=1000)
    args = ap.parse_args()
    limit = raise_nofile(4 * args.idle + 1000)
    out = {"nofile": limit}

    serve = Proc(["serve", "--echo", "--listen", "127.0.0.1:0",
                  "--max-connections", str(args.idle + 100), "--idle-timeout", "600"])
    out["serve_idle"] = idle_run(serve, args.idle)

    tap = Proc(["tap", "--listen", "127.0.0.1:0",
                "--upstream", "%s:%d" % serve.addr,
                "--max-connections", str(args.idle + 100), "--idle-timeout", "600"])
    # Two descriptors a tapped connection: under a hard limit below
    # 2 x N, the tap warns and fits what it can; measure with that many
    # (less one for the good client).
    n = args.idle
    time.sleep(0.5)  # let the warning, if any, be read (not a sync point)
    for line in tap.lines:
        if "does not fit" in line:
            n = min(n, int(line.split("at most ")[1].split()[0]) - 1)
            out["tap_warning"] = line
    out["tap_idle"] = idle_run(tap, n, holder=serve)
    out["tap_idle"]["serve_upstream"] = serve.status()
    tap.stop()
    serve.stop()

    out["slowloris"] = slowloris(args.slow, 2)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    sys.exit(main())
