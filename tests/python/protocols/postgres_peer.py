"""PostgreSQL's frontend/backend protocol (v3) with pg8000 as the client,
against a small server here that speaks the backend side: it reads the
untyped StartupMessage, answers AuthenticationCleartextPassword, checks the
password, then AuthenticationOk, ParameterStatus, BackendKeyData,
ReadyForQuery; it answers pg8000's extended-query messages (Parse, Describe,
Bind, Execute, Sync) and a simple Query with real-looking results. pg8000
(ssl_context=False: no SSLRequest, whose answer is a bare "N" byte, not a
message) must return the rows the server sent; the server reads pg8000's
messages by their own lengths.

Frames (preset `postgres`): the client side's first message is untyped "!I"
(length including itself, adjust -4): fields [length], payload = protocol
version + parameters; then typed "!cI" (adjust -4): fields [type byte as hex,
length], payload = the message body. The server side: "!cI" from the first.

    python3 postgres_peer.py       the exchange (JSON, see common.py)
    python3 postgres_peer.py tap   the same through a proxy (see common.py)
"""

import struct
import threading
import traceback

from common import TIMEOUT, check, endpoint, frame, main, need, read_exactly, side


def msg(kind, body=b""):
    return kind + struct.pack("!I", len(body) + 4) + body


def cstr(s):
    return s.encode() + b"\x00"


def row_description(columns):
    body = struct.pack("!H", len(columns))
    for name, oid, size in columns:
        body += cstr(name) + struct.pack("!IhIhih", 0, 0, oid, size, -1, 0)
    return msg(b"T", body)


def data_row(values):
    body = struct.pack("!H", len(values))
    for v in values:
        if v is None:
            body += struct.pack("!i", -1)
        else:
            body += struct.pack("!i", len(v)) + v
    return msg(b"D", body)


def split(stream, untyped_first):
    out = []
    pos = 0
    if untyped_first:
        (length,) = struct.unpack_from("!I", stream, 0)
        out.append(frame([length], stream[4:length], note="StartupMessage"))
        pos = length
    while pos < len(stream):
        kind = stream[pos : pos + 1]
        (length,) = struct.unpack_from("!I", stream, pos + 1)
        out.append(frame([kind.hex(), length], stream[pos + 5 : pos + 1 + length], note=kind.decode()))
        pos += 1 + length
    check(pos == len(stream), "messages end where the stream ends")
    return out


def exchange(tap=False):
    native = need("pg8000.native", "pg8000")
    server, port = endpoint(tap)
    up = bytearray()
    down = bytearray()
    errors = []
    startup = {}

    def serve():
        try:
            conn, _ = server.accept()
            conn.settimeout(TIMEOUT)

            def send(*messages):
                b = b"".join(messages)
                down.extend(b)
                conn.sendall(b)

            def receive():
                kind = conn.recv(1)
                if not kind:
                    return None, None
                head = read_exactly(conn, 4)
                body = read_exactly(conn, struct.unpack("!I", head)[0] - 4)
                up.extend(kind + head + body)
                return kind, body

            head = read_exactly(conn, 4)
            rest = read_exactly(conn, struct.unpack("!I", head)[0] - 4)
            up.extend(head + rest)
            (proto,) = struct.unpack_from("!I", rest)
            check(proto == 196608, f"protocol 3.0, not {proto}")
            parts = rest[4:].split(b"\x00")
            startup.update(dict(zip(parts[0:-2:2], parts[1:-2:2])))
            send(msg(b"R", struct.pack("!I", 3)))  # cleartext password
            kind, body = receive()
            check(kind == b"p" and body == b"secret\x00", f"the password message {kind} {body}")
            send(
                msg(b"R", struct.pack("!I", 0)),
                *[msg(b"S", cstr(k) + cstr(v)) for k, v in [("server_version", "16.4"), ("server_encoding", "UTF8"), ("client_encoding", "UTF8"), ("DateStyle", "ISO, MDY"), ("integer_datetimes", "on"), ("TimeZone", "UTC")]],
                msg(b"K", struct.pack("!II", 4242, 0xDEADBEEF)),
                msg(b"Z", b"I"),
            )
            batch = []
            while True:
                kind, body = receive()
                if kind is None or kind == b"X":
                    break
                if kind == b"Q":
                    send(
                        row_description([("n", 23, 4), ("word", 25, -1)]),
                        *[data_row([str(i).encode(), (b"w" * i) if i % 4 else None]) for i in range(1, 9)],
                        data_row([b"9", b"z" * 3000]),
                        msg(b"C", cstr("SELECT 9")),
                        msg(b"Z", b"I"),
                    )
                elif kind == b"S":
                    out = []
                    for k, b in batch:
                        if k == b"P":
                            out.append(msg(b"1"))
                        elif k == b"B":
                            out.append(msg(b"2"))
                        elif k == b"D" and b[:1] == b"S":
                            out.append(msg(b"t", struct.pack("!HI", 1, 23)))
                            out.append(row_description([("answer", 23, 4)]))
                        elif k == b"D":
                            out.append(row_description([("answer", 23, 4)]))
                        elif k == b"E":
                            out.append(data_row([b"42"]))
                            out.append(msg(b"C", cstr("SELECT 1")))
                        elif k == b"C":
                            out.append(msg(b"3"))
                    send(*out, msg(b"Z", b"I"))
                    batch = []
                else:
                    batch.append((kind, body))
            conn.close()
        except Exception as e:
            errors.append(f"server: {e!r}")
            traceback.print_exc()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        con = native.Connection("alice", host="127.0.0.1", port=port, database="shop", password="secret", timeout=TIMEOUT, application_name="framing-interop", ssl_context=False)
        check(con.parameter_statuses.get("server_version") == "16.4", f"pg8000 read ParameterStatus {con.parameter_statuses}")
        rows = con.run("SELECT :x::int + 41 AS answer", x=1)
        check(rows == [[42]], f"pg8000 read {rows}")
        simple = con.execute_simple("SELECT n, word FROM words").rows
        check(simple == [[i, "w" * i if i % 4 else None] for i in range(1, 9)] + [[9, "z" * 3000]], "pg8000 read the simple query's rows")
        con.close()
    finally:
        thread.join(TIMEOUT)
        server.close()
    check(not errors, "; ".join(errors))
    check(startup.get(b"user") == b"alice" and startup.get(b"database") == b"shop", f"the startup parameters {startup}")
    up, down = bytes(up), bytes(down)
    return {"client": side(up, split(up, True)), "server": side(down, split(down, False))}


if __name__ == "__main__":
    main("postgres", "pg8000", exchange, tap=lambda: exchange(tap=True))
