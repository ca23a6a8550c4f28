"""WebSocket (RFC 6455) with wsproto on both sides, in memory: the client's
HTTP/1.1 Upgrade request and the server's 101 answer, then text and binary
messages of 0, 5, 125, 126, 65535 and 65536 bytes (every length encoding),
a message in three fragments, ping/pong and the closing handshake, both
ways. The client's frames are masked (wsproto picks the keys), the server's
are not. Each side's wsproto must report exactly the messages the other
sent; the frames are split here per RFC 6455 5.2, and their number per
message checked against what wsproto reports.

Frames (`--framing websocket`, preset `websocket`): each side starts with
its handshake (ending at the blank line) as the preface; then frames with
"fin", "opcode", "masked" and the UNMASKED payload in "payload_hex" (no
"fields" compared).
"""

from common import check, main, need, side

SIZES = [0, 5, 125, 126, 65535, 65536]


def split(stream):
    out = []
    pos = 0
    while pos < len(stream):
        b0, b1 = stream[pos], stream[pos + 1]
        fin, opcode, masked, n = bool(b0 & 0x80), b0 & 0x0F, bool(b1 & 0x80), b1 & 0x7F
        check(b0 & 0x70 == 0, "no RSV bits: no extension")
        pos += 2
        if n == 126:
            n = int.from_bytes(stream[pos : pos + 2], "big")
            check(n >= 126, "minimal length encoding")
            pos += 2
        elif n == 127:
            n = int.from_bytes(stream[pos : pos + 8], "big")
            check(n >= 1 << 16, "minimal length encoding")
            pos += 8
        key = b""
        if masked:
            key = stream[pos : pos + 4]
            pos += 4
        payload = bytes(stream[pos : pos + n])
        if masked:
            payload = bytes(c ^ key[i % 4] for i, c in enumerate(payload))
        pos += n
        out.append({"fin": fin, "opcode": opcode, "masked": masked, "length": n, "payload_hex": payload.hex()})
    check(pos == len(stream), "frames end where the stream ends")
    return out


def messages(conn_events):
    """(kind, data) per complete message, from wsproto's events."""
    from wsproto import events as ev

    out = []
    parts = []
    for e in conn_events:
        if isinstance(e, (ev.TextMessage, ev.BytesMessage)):
            parts.append(e.data.encode() if isinstance(e.data, str) else bytes(e.data))
            if e.message_finished:
                out.append(("text" if isinstance(e, ev.TextMessage) else "binary", b"".join(parts)))
                parts = []
        elif isinstance(e, ev.Ping):
            out.append(("ping", bytes(e.payload)))
        elif isinstance(e, ev.Pong):
            out.append(("pong", bytes(e.payload)))
        elif isinstance(e, ev.CloseConnection):
            out.append(("close", e.code))
    return out


def generate():
    need("wsproto", "wsproto")
    from wsproto import ConnectionType, WSConnection
    from wsproto import events as ev

    client = WSConnection(ConnectionType.CLIENT)
    server = WSConnection(ConnectionType.SERVER)
    up_preface = client.send(ev.Request(host="127.0.0.1:8080", target="/chat?room=1", subprotocols=["chat.v1"]))
    server.receive_data(up_preface)
    requests = list(server.events())
    check(isinstance(requests[0], ev.Request) and requests[0].target == "/chat?room=1", "wsproto's server read the Upgrade")
    down_preface = server.send(ev.AcceptConnection(subprotocol="chat.v1"))
    client.receive_data(down_preface)
    accepted = list(client.events())
    check(isinstance(accepted[0], ev.AcceptConnection) and accepted[0].subprotocol == "chat.v1", "wsproto's client read the 101")

    def talk(conn, tag):
        out = b""
        sent = []
        for i, size in enumerate(SIZES):
            data = bytes((i * 7 + j) % 256 for j in range(size))
            out += conn.send(ev.BytesMessage(data=data))
            sent.append(("binary", data))
        text = f"{tag}: héllo ☃"
        out += conn.send(ev.TextMessage(data=text))
        sent.append(("text", text.encode()))
        pieces = [f"{tag} frag one ", "two ", "three"]
        for k, p in enumerate(pieces):
            out += conn.send(ev.TextMessage(data=p, message_finished=k == len(pieces) - 1))
        sent.append(("text", "".join(pieces).encode()))
        out += conn.send(ev.Ping(payload=tag.encode()))
        sent.append(("ping", tag.encode()))
        return out, sent

    up, up_sent = talk(client, "client")
    server.receive_data(up)
    server_got = messages(server.events())
    check(server_got == up_sent, "wsproto's server read the client's messages")
    down, down_sent = talk(server, "server")
    down += server.send(ev.Pong(payload=b"client"))
    down_sent.append(("pong", b"client"))
    client.receive_data(down)
    client_got = messages(client.events())
    check(client_got == down_sent, "wsproto's client read the server's messages")
    # The client pongs the server's ping and closes; the server answers the close.
    tail = client.send(ev.Pong(payload=b"server")) + client.send(ev.CloseConnection(code=1000, reason="bye"))
    server.receive_data(tail)
    closing = messages(server.events())
    check(closing == [("pong", b"server"), ("close", 1000)], f"the close reached the server: {closing}")
    down_tail = server.send(ev.CloseConnection(code=1000, reason="bye"))
    client.receive_data(down_tail)
    check(messages(client.events()) == [("close", 1000)], "the close reached the client")
    up += tail
    down += down_tail
    client_frames, server_frames = split(up), split(down)
    check(all(f["masked"] for f in client_frames) and not any(f["masked"] for f in server_frames), "clients mask, servers do not")
    check(len(client_frames) == len(SIZES) + 1 + 3 + 1 + 2, f"{len(client_frames)} client frames")
    check(up_preface.endswith(b"\r\n\r\n") and down_preface.startswith(b"HTTP/1.1 101"), "the handshakes")
    return {
        "client": side(up_preface + up, client_frames, preface=up_preface),
        "server": side(down_preface + down, server_frames, preface=down_preface),
    }


def parse(which, data):
    """The messages wsproto reads from frames of side `which` (after a
    handshake it makes itself): a server reads a client's frames, a client
    a server's. [kind, hex of the data] per message."""
    need("wsproto", "wsproto")
    from wsproto import ConnectionType, WSConnection
    from wsproto import events as ev

    client = WSConnection(ConnectionType.CLIENT)
    server = WSConnection(ConnectionType.SERVER)
    server.receive_data(client.send(ev.Request(host="127.0.0.1", target="/")))
    list(server.events())
    client.receive_data(server.send(ev.AcceptConnection()))
    list(client.events())
    reader = server if which == "client" else client
    reader.receive_data(data)
    return [[kind, bytes(d).hex() if isinstance(d, (bytes, bytearray)) else d] for kind, d in messages(reader.events())]


if __name__ == "__main__":
    main("websocket", "wsproto", generate, parse=parse)
