"""HTTP/2 with h2 on both sides, over a socket on 127.0.0.1 (directly, or
through `framing tap` in tap mode): an h2 client POSTs 40000 bytes and GETs a
page (two streams), pings, and closes with GOAWAY; an h2 server answers both.
Each side's h2 must accept every frame the other sent (no protocol error, the
bodies arrive whole); the frames are then named by hyperframe (h2's own frame
layer) from the bytes each side sent.

Frames (preset `http2`): the client side starts with the 24-byte preface
"PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n"; then "!3sBBI" frames: fields
[length (null: not compared), type, flags, stream id with the R bit],
payload = the frame's payload. The server side has no preface.

    python3 http2_peer.py              the exchange (JSON, see common.py)
    python3 http2_peer.py tap          the same through a proxy: prints the
                                       server's port, reads the proxy's
    python3 http2_peer.py parse server hex on stdin: frames a server sent
                                       (after the client's preface); prints
                                       the events an h2 client that sent
                                       the exchange's two requests reports
"""

import threading
import traceback

from common import TIMEOUT, check, endpoint, frame, main, need, read_to_end, side

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
UPLOAD = bytes(range(251)) * 160  # 40160 bytes: several DATA frames
PAGE = b"<html>" + b"x" * 20000 + b"</html>"
TYPES = {0: "DATA", 1: "HEADERS", 2: "PRIORITY", 3: "RST_STREAM", 4: "SETTINGS", 5: "PUSH_PROMISE", 6: "PING", 7: "GOAWAY", 8: "WINDOW_UPDATE", 9: "CONTINUATION"}


def frames_of(stream):
    """Splits `stream` into frames, each checked by hyperframe."""
    from hyperframe.frame import Frame

    out = []
    pos = 0
    while pos < len(stream):
        header = stream[pos : pos + 9]
        parsed, length = Frame.parse_frame_header(memoryview(header))
        body = stream[pos + 9 : pos + 9 + length]
        check(len(body) == length, "a whole frame")
        parsed.parse_body(memoryview(body))
        kind, flags, sid = header[3], header[4], int.from_bytes(header[5:9], "big")
        check(parsed.type == kind and parsed.stream_id == sid & 0x7FFFFFFF, "hyperframe agrees")
        check(int.from_bytes(header[:3], "big") == length, "the length")
        out.append(frame([None, kind, flags, sid], body, note=f"{type(parsed).__name__} {sorted(parsed.flags)}"))
        pos += 9 + length
    return out


def exchange(tap=False):
    need("h2.connection", "h2")
    import h2.config
    import h2.connection
    import h2.events

    server, port = endpoint(tap)
    up = bytearray()
    down = bytearray()
    errors = []
    served = {}

    def serve():
        try:
            conn, _ = server.accept()
            conn.settimeout(TIMEOUT)
            h2s = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
            h2s.initiate_connection()
            h2s.increment_flow_control_window(1 << 20)

            def flush():
                data = h2s.data_to_send()
                down.extend(data)
                conn.sendall(data)

            flush()
            bodies = {}
            done = False
            while not done:
                data = conn.recv(1 << 16)
                if not data:
                    break
                for event in h2s.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        bodies[event.stream_id] = [dict(event.headers), bytearray()]
                    elif isinstance(event, h2.events.DataReceived):
                        bodies[event.stream_id][1] += event.data
                        h2s.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        headers, body = bodies[event.stream_id]
                        served[headers[":path"]] = bytes(body)
                        reply = PAGE if headers[":method"] == "GET" else b"stored %d bytes" % len(body)
                        h2s.send_headers(event.stream_id, [(":status", "200"), ("content-type", "text/html"), ("content-length", str(len(reply)))])
                        view = reply
                        while view:
                            n = min(len(view), h2s.max_outbound_frame_size, h2s.local_flow_control_window(event.stream_id))
                            check(n > 0, "the server's window is open")
                            h2s.send_data(event.stream_id, view[:n], end_stream=n == len(view))
                            view = view[n:]
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        done = True
                flush()
            conn.shutdown(2)
            conn.close()
        except Exception as e:
            errors.append(f"server: {e!r}")
            traceback.print_exc()

    thread = threading.Thread(target=serve)
    thread.start()
    sock = None
    try:
        import socket

        sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        h2c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        h2c.initiate_connection()
        h2c.increment_flow_control_window(1 << 20)

        def flush():
            data = h2c.data_to_send()
            up.extend(data)
            sock.sendall(data)

        base = [(":scheme", "http"), (":authority", f"127.0.0.1:{port}")]
        h2c.send_headers(1, [(":method", "POST"), (":path", "/upload")] + base + [("content-length", str(len(UPLOAD)))])
        pending = UPLOAD
        h2c.send_headers(3, [(":method", "GET"), (":path", "/index.html")] + base, end_stream=True)
        h2c.ping(b"framing!")
        flush()
        responses = {1: [None, bytearray(), False], 3: [None, bytearray(), False]}
        while not all(r[2] for r in responses.values()):
            while pending and h2c.local_flow_control_window(1) > 0:
                n = min(len(pending), h2c.max_outbound_frame_size, h2c.local_flow_control_window(1))
                h2c.send_data(1, pending[:n], end_stream=n == len(pending))
                pending = pending[n:]
            flush()
            data = sock.recv(1 << 16)
            check(data, "the server closed early")
            for event in h2c.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    responses[event.stream_id][0] = dict(event.headers)
                elif isinstance(event, h2.events.DataReceived):
                    responses[event.stream_id][1] += event.data
                    h2c.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    responses[event.stream_id][2] = True
        h2c.close_connection()
        flush()
        sock.shutdown(1)
        rest = bytearray()
        read_to_end(sock, rest)
    finally:
        if sock:
            sock.close()
        thread.join(TIMEOUT)
        server.close()
    check(not errors, "; ".join(errors))
    check(served == {"/upload": UPLOAD, "/index.html": b""}, "the server got both requests whole")
    check(responses[1][1] == b"stored %d bytes" % len(UPLOAD) and responses[3][1] == PAGE, "the client got both responses")
    check(responses[3][0][":status"] == "200", "status 200")
    up, down = bytes(up), bytes(down)
    check(up.startswith(PREFACE), "the client starts with the preface")
    client = frames_of(up[len(PREFACE) :])
    server_frames = frames_of(down)
    kinds = {f["fields"][1] for f in client}
    check({0, 1, 4, 6, 7} <= kinds, f"client frame types {kinds}")
    return {"client": side(up, client, preface=PREFACE), "server": side(down, server_frames)}


def parse(which, data):
    need("h2.connection", "h2")
    import h2.config
    import h2.connection

    check(which == "server", "parses what a server sent")
    h2c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    h2c.initiate_connection()
    # The requests of the exchange, so the server's responses have streams.
    base = [(":scheme", "http"), (":authority", "127.0.0.1")]
    h2c.send_headers(1, [(":method", "POST"), (":path", "/upload")] + base)
    h2c.send_headers(3, [(":method", "GET"), (":path", "/index.html")] + base, end_stream=True)
    events = h2c.receive_data(data)
    return [{"event": type(e).__name__, **({"data_hex": bytes(e.data).hex()} if hasattr(e, "data") and isinstance(e.data, bytes) else {})} for e in events]


if __name__ == "__main__":
    main("http2", "h2", exchange, parse, tap=lambda: exchange(tap=True))
