"""Redis with a REAL redis-server (Debian's package, where it installs) on
the server side, through `framing tap --protocol redis` (tap mode only):
this script starts redis-server on a free port, prints that port, reads the
tap's, then sends commands packed by redis-py (`Connection.pack_command`,
what redis-py writes) over a socket to the tap, reads each reply whole
(RESP2 and, after HELLO 3, RESP3 values of every kind the commands give:
simple strings, integers, bulk strings, nulls, arrays, maps, sets,
doubles), and reports the bytes each way split into values as the
frames the tap must print. redis-py's own RESP parser reads every reply
too, so a reply framing splits wrongly would fail here first.
"""

import shutil
import socket
import subprocess
import sys

from common import TIMEOUT, Skip, check, connect, main, need, side
from redis_peer import split, value_end

COMMANDS = [
    ["PING"],
    ["SET", "greeting", "hello"],
    ["GET", "greeting"],
    ["GET", "missing"],
    ["SET", "blob", bytes(range(256)) * 300],
    ["STRLEN", "blob"],
    ["INCRBY", "n", "41"],
    ["RPUSH", "list", "a", "b", "c"],
    ["LRANGE", "list", "0", "-1"],
    ["HSET", "h", "name", "alice", "age", "30"],
    ["HGETALL", "h"],
    ["HELLO", "3"],
    ["HGETALL", "h"],
    ["SADD", "s", "x", "y"],
    ["SMEMBERS", "s"],
    ["ZADD", "z", "2.5", "m"],
    ["ZSCORE", "z", "m"],
    ["GET", "missing"],
    ["NOSUCHCOMMAND"],
    ["MULTI"],
    ["INCR", "n"],
    ["EXEC"],
]


def start_server():
    exe = shutil.which("redis-server")
    if exe is None:
        raise Skip("redis-server is not installed (Debian: apt-get install redis-server)")
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    # Its log says when it listens (bounded by the lines it prints).
    for _ in range(200):
        line = proc.stdout.readline()
        if not line:
            break
        if b"Ready to accept connections" in line:
            return proc, port
    proc.kill()
    raise AssertionError("redis-server did not start")


def exchange():
    redis = need("redis", "redis")
    from redis.connection import Connection

    proc, port = start_server()
    try:
        print(port, flush=True)
        tap_port = int(sys.stdin.readline())
        sock = connect(tap_port)
        sock.settimeout(TIMEOUT)
        packer = Connection()
        up = bytearray()
        down = bytearray()
        for cmd in COMMANDS:
            packed = b"".join(packer.pack_command(*cmd))
            up += packed
            sock.sendall(packed)
            start = len(down)
            while True:
                try:
                    end = value_end(down, start)
                    if end <= len(down):
                        break
                except (ValueError, IndexError):
                    pass
                chunk = sock.recv(1 << 16)
                check(chunk != b"", f"redis-server closed after {cmd[0]}")
                down += chunk
        sock.close()
    finally:
        proc.terminate()
        proc.wait(TIMEOUT)
    replies = split(bytes(down))
    check(len(replies) == len(COMMANDS), f"{len(replies)} replies to {len(COMMANDS)} commands")
    check(bytes.fromhex(replies[1]["payload_hex"]) == b"+OK\r\n", "SET: +OK")
    check(bytes.fromhex(replies[2]["payload_hex"]) == b"$5\r\nhello\r\n", "GET: the bulk string")
    check(replies[12]["payload_hex"].startswith("25"), "HGETALL after HELLO 3: a RESP3 map")
    check(bytes.fromhex(replies[18]["payload_hex"]).startswith(b"-ERR"), "an error reply")
    return {"client": side(up, split(bytes(up))), "server": side(down, replies)}


def generate():
    raise Skip("tap mode only: run with `tap`")


if __name__ == "__main__":
    main("redis", "redis", generate, tap=exchange)
