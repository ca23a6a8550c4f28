"""AMQP 0-9-1 with two real implementations: py-amqp (Celery's client) connects
to a small broker here whose frames are pika's (pika.spec methods marshalled
by pika.frame), and the broker reads every client frame with pika's
decode_frame. The client logs in, opens a channel, publishes a 10000-byte
message (split into body frames by frame_max 4096), consumes, receives a
delivery (method, header, two body frames) and a heartbeat, and closes.

Frames (preset `amqp091`): the client side starts with the protocol header
"AMQP\\x00\\x00\\x09\\x01"; then "!BHI" frames: fields [type, channel, size],
payload = the frame's payload, each followed by the frame-end byte 0xCE (not
in the payload). The server side: the frames alone.
"""

import struct
import threading
import traceback

from common import TIMEOUT, check, frame, listener, main, need, read_exactly, side

HEADER = b"AMQP\x00\x00\x09\x01"
BODY = bytes(range(256)) * 39 + b"0123456789012345"  # 10000 bytes
DELIVERED = b"d" * 5000


def split(stream):
    import pika.frame

    out = []
    pos = 0
    while pos < len(stream):
        kind, channel, size = struct.unpack_from("!BHI", stream, pos)
        payload = stream[pos + 7 : pos + 7 + size]
        check(stream[pos + 7 + size] == 0xCE, "the frame-end byte")
        used, parsed = pika.frame.decode_frame(stream[pos : pos + 8 + size])
        check(used == 8 + size and parsed is not None, "pika reads the frame")
        check(parsed.frame_type == kind and parsed.channel_number == channel, "pika agrees")
        name = getattr(getattr(parsed, "method", None), "NAME", type(parsed).__name__)
        out.append(frame([kind, channel, size], payload, note=name))
        pos += 8 + size
    return out


def generate():
    need("pika", "pika")
    amqp = need("amqp", "amqp")
    import pika.frame
    import pika.spec as spec

    server = listener()
    port = server.getsockname()[1]
    up = bytearray()
    down = bytearray()
    errors = []

    def serve():
        try:
            conn, _ = server.accept()
            conn.settimeout(TIMEOUT)
            up.extend(read_exactly(conn, 8))
            check(bytes(up) == HEADER, "py-amqp's protocol header")

            def send(*frames):
                for f in frames:
                    b = f.marshal()
                    down.extend(b)
                    conn.sendall(b)

            def receive():
                head = read_exactly(conn, 7)
                size = struct.unpack("!I", head[3:])[0]
                raw = head + read_exactly(conn, size + 1)
                up.extend(raw)
                used, parsed = pika.frame.decode_frame(raw)
                check(used == len(raw), "a whole frame")
                return parsed

            M = pika.frame.Method
            send(M(0, spec.Connection.Start(server_properties={"product": "framing-broker", "capabilities": {"publisher_confirms": True, "consumer_cancel_notify": True}}, mechanisms="PLAIN AMQPLAIN")))
            while True:
                f = receive()
                if f.frame_type == 8:  # heartbeat
                    continue
                if f.frame_type != 1:  # header and body frames need no answer
                    continue
                m = f.method
                if isinstance(m, spec.Connection.StartOk):
                    check(m.response in (b"\x00guest\x00secret", "\x00guest\x00secret"), f"PLAIN response {m.response!r}")
                    send(M(0, spec.Connection.Tune(channel_max=2047, frame_max=4096, heartbeat=0)))
                elif isinstance(m, spec.Connection.Open):
                    send(M(0, spec.Connection.OpenOk()))
                elif isinstance(m, spec.Channel.Open):
                    send(M(f.channel_number, spec.Channel.OpenOk()))
                elif isinstance(m, spec.Queue.Declare):
                    send(M(f.channel_number, spec.Queue.DeclareOk(queue=m.queue, message_count=0, consumer_count=0)))
                elif isinstance(m, spec.Basic.Consume):
                    ch = f.channel_number
                    send(
                        M(ch, spec.Basic.ConsumeOk(consumer_tag=m.consumer_tag or "ctag-1")),
                        pika.frame.Heartbeat(),
                        M(ch, spec.Basic.Deliver(consumer_tag=m.consumer_tag or "ctag-1", delivery_tag=1, exchange="", routing_key=m.queue)),
                        pika.frame.Header(ch, len(DELIVERED), spec.BasicProperties(content_type="application/octet-stream", delivery_mode=2, headers={"x-test": 1})),
                        pika.frame.Body(ch, DELIVERED[:4088]),
                        pika.frame.Body(ch, DELIVERED[4088:]),
                    )
                elif isinstance(m, spec.Basic.Ack):
                    pass
                elif isinstance(m, spec.Channel.Close):
                    send(M(f.channel_number, spec.Channel.CloseOk()))
                elif isinstance(m, spec.Connection.Close):
                    send(M(0, spec.Connection.CloseOk()))
                    break
            conn.close()
        except Exception as e:
            errors.append(f"broker: {e!r}")
            traceback.print_exc()

    thread = threading.Thread(target=serve)
    thread.start()
    got = []
    try:
        conn = amqp.Connection(host=f"127.0.0.1:{port}", userid="guest", password="secret", login_method="PLAIN", connect_timeout=TIMEOUT, read_timeout=TIMEOUT, write_timeout=TIMEOUT, heartbeat=0)
        conn.connect()
        ch = conn.channel()
        ch.queue_declare("jobs", durable=True, auto_delete=False)
        ch.basic_publish(amqp.Message(BODY, content_type="application/octet-stream", delivery_mode=2), exchange="", routing_key="jobs")

        def on_message(message):
            got.append(message)
            message.channel.basic_ack(message.delivery_tag)

        ch.basic_consume("jobs", callback=on_message, consumer_tag="ctag-1")
        for _ in range(10):
            if got:
                break
            conn.drain_events(timeout=TIMEOUT)
        ch.close()
        conn.close()
    finally:
        thread.join(TIMEOUT)
        server.close()
    check(not errors, "; ".join(errors))
    check(len(got) == 1 and got[0].body == DELIVERED, "py-amqp got the delivery whole")
    check(got[0].properties.get("application_headers") == {"x-test": 1}, f"py-amqp read the header frame {got[0].properties}")
    up, down = bytes(up), bytes(down)
    client = split(up[8:])
    check(sum(1 for f in client if f["fields"][0] == 3) == 3, "the 10000-byte message in three body frames")
    check(b"".join(bytes.fromhex(f["payload_hex"]) for f in client if f["fields"][0] == 3) == BODY, "the published body")
    return {"client": side(up, client, preface=HEADER), "server": side(down, split(down))}


if __name__ == "__main__":
    main("amqp091", "amqp", generate)
