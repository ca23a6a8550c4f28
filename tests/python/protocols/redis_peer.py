"""Redis (RESP3, with the RESP2 types) with redis-py as the client (protocol=3)
against a small server here answering with canned replies of every RESP3
type: a map (HELLO), simple strings, a 100 KB bulk string, null, integers,
a set, a double, a boolean, a big number, a verbatim string, an error and
nested arrays. redis-py must return exactly the values sent (its own RESP3
parser reads them); the server reads redis-py's commands (arrays of bulk
strings, as redis-py's pack_command writes them) and checks their words.

Frames (`--framing resp`, preset `redis`): one frame per top-level value,
payload = the value's bytes as on the wire; "resp" = "array" for commands
(and array replies), "bulk" for bulk strings; other types carry their
type's name in "note" only (the CLI's names are its own).
"""

import threading
import traceback

from common import TIMEOUT, check, endpoint, main, need, read_exactly, side

BIG = bytes(range(256)) * 400  # 102400 bytes
NAMES = {b"*": "array", b"$": "bulk", b"+": "simple", b"-": "error", b":": "integer", b"_": "null", b",": "double", b"#": "boolean", b"(": "big number", b"=": "verbatim", b"%": "map", b"~": "set", b">": "push", b"|": "attribute", b"!": "blob error"}


def value_end(data, pos):
    """The end of the RESP value at `pos`."""
    kind = data[pos : pos + 1]
    eol = data.index(b"\r\n", pos)
    head = data[pos + 1 : eol]
    if kind in b"$=!":
        n = int(head)
        return eol + 2 if n < 0 else eol + 2 + n + 2
    if kind in b"*~>%|":
        n = int(head)
        count = max(n, 0) * (2 if kind in b"%|" else 1)
        end = eol + 2
        for _ in range(count):
            end = value_end(data, end)
        return end
    return eol + 2


def split(stream):
    out = []
    pos = 0
    while pos < len(stream):
        end = value_end(stream, pos)
        value = stream[pos:end]
        f = {"length": len(value), "payload_hex": value.hex(), "note": NAMES[value[:1]]}
        if value[:1] in (b"*", b"$"):
            f["resp"] = NAMES[value[:1]]
        out.append(f)
        pos = end
    check(pos == len(stream), "values end where the stream ends")
    return out


def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def read_command(conn):
    line = b""
    while not line.endswith(b"\r\n"):
        c = conn.recv(1)
        if not c:
            return None, b""
        line += c
    check(line[:1] == b"*", f"a command is an array: {line!r}")
    raw = line
    words = []
    for _ in range(int(line[1:-2])):
        head = b""
        while not head.endswith(b"\r\n"):
            head += read_exactly(conn, 1)
        check(head[:1] == b"$", "of bulk strings")
        body = read_exactly(conn, int(head[1:-2]) + 2)
        raw += head + body
        words.append(body[:-2])
    return words, raw


REPLIES = {
    b"SET": b"+OK\r\n",
    b"INCRBY": b":-42\r\n",
    b"SMEMBERS": b"~3\r\n$1\r\na\r\n$1\r\nb\r\n:7\r\n",
    b"ZSCORE": b",3.25\r\n",
    b"HGETALL": b"%2\r\n$4\r\nname\r\n$5\r\nalice\r\n$3\r\nage\r\n:30\r\n",
    b"X.BOOL": b"#t\r\n",
    b"X.BIG": b"(3492890328409238509324850943850943825024385\r\n",
    b"X.VERBATIM": b"=15\r\ntxt:Some string\r\n",
    b"X.NESTED": b"*3\r\n:1\r\n*2\r\n+two\r\n*1\r\n$5\r\nthree\r\n*-1\r\n",
    b"X.EMPTY": b"*0\r\n",
    b"X.NOPE": b"-ERR unknown command 'X.NOPE'\r\n",
    b"CLIENT": b"+OK\r\n",
    b"PING": b"+PONG\r\n",
}


def generate(tap=False):
    redis = need("redis", "redis")
    server, port = endpoint(tap)
    up = bytearray()
    down = bytearray()
    errors = []
    seen = []

    def serve():
        try:
            conn, _ = server.accept()
            conn.settimeout(TIMEOUT)
            while True:
                words, raw = read_command(conn)
                if words is None:
                    break
                up.extend(raw)
                seen.append(words)
                name = words[0].upper()
                if name == b"HELLO":
                    reply = b"%7\r\n" + b"".join(
                        bulk(k) + v
                        for k, v in [
                            (b"server", bulk(b"redis")),
                            (b"version", bulk(b"7.4.0")),
                            (b"proto", b":3\r\n"),
                            (b"id", b":12\r\n"),
                            (b"mode", bulk(b"standalone")),
                            (b"role", bulk(b"master")),
                            (b"modules", b"*0\r\n"),
                        ]
                    )
                elif name == b"GET":
                    reply = bulk(BIG) if words[1] == b"blob" else b"_\r\n"
                else:
                    reply = REPLIES.get(name, b"-ERR unknown command\r\n")
                down.extend(reply)
                conn.sendall(reply)
            conn.close()
        except Exception as e:
            errors.append(f"server: {e!r}")
            traceback.print_exc()

    thread = threading.Thread(target=serve)
    thread.start()
    r = redis.Redis(host="127.0.0.1", port=port, protocol=3, socket_timeout=TIMEOUT, decode_responses=False)
    try:
        check(r.set("blob", BIG) is True, "SET")
        check(r.get("blob") == BIG, "GET: the 100 KB bulk string")
        check(r.get("missing") is None, "GET: null")
        check(r.incrby("n", 5) == -42, "INCRBY")
        check(r.smembers("s") == {b"a", b"b", 7}, "SMEMBERS: a set")
        check(r.zscore("z", "m") == 3.25, "ZSCORE: a double")
        check(r.hgetall("h") == {b"name": b"alice", b"age": 30}, "HGETALL: a map")
        check(r.execute_command("X.BOOL") is True, "a boolean")
        check(r.execute_command("X.BIG") == 3492890328409238509324850943850943825024385, "a big number")
        verbatim = r.execute_command("X.VERBATIM")
        check(verbatim in (b"Some string", "Some string"), f"a verbatim string {verbatim!r}")
        nested = r.execute_command("X.NESTED")
        # redis-py's RESP3 parser returns the null array "*-1" as [].
        check(nested[:2] in ([1, [b"two", [b"three"]]], [1, ["two", [b"three"]]]) and nested[2] in (None, []), f"nested arrays {nested!r}")
        check(r.execute_command("X.EMPTY") == [], "an empty array")
        try:
            r.execute_command("X.NOPE")
            check(False, "an error reply raises")
        except redis.ResponseError as e:
            check("unknown command" in str(e), f"the error {e}")
    finally:
        r.close()
        thread.join(TIMEOUT)
        server.close()
    check(not errors, "; ".join(errors))
    check(seen[0][0].upper() == b"HELLO" and seen[0][1] == b"3", f"HELLO 3 first: {seen[0]}")
    check([b"SET", b"blob", BIG] in seen, "the SET command's words")
    return {"client": side(up, split(bytes(up))), "server": side(down, split(bytes(down)))}


if __name__ == "__main__":
    main("redis", "redis", generate, tap=lambda: generate(tap=True))
