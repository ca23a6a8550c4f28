"""MQTT 3.1.1 with paho-mqtt as the client, against a small broker here.

The paho client connects, subscribes, publishes (QoS 0 and 1, payloads
sized for 1-, 2- and 3-byte remaining lengths) and disconnects; the broker
side answers CONNACK, SUBACK, PUBACK and PUBLISHes to the client. The broker's
packets are hand-built here and proven by paho itself: it must accept the
CONNACK, report the SUBACK's granted QoS, and deliver each PUBLISH with its
topic and payload.

Frames (preset `mqtt`: "!B" then a varint remaining length of at most 4
bytes): fields [first byte], payload = variable header + payload.

    python3 mqtt.py              the exchange, as JSON (common.py)
    python3 mqtt.py parse N      hex on stdin: bytes a broker sends after
                                 CONNACK; prints the N messages paho delivers
"""

import threading
import traceback

from common import check, frame, listener, main, need, read_exactly, read_to_end, side, TIMEOUT

BIG = bytes(range(256)) * 80  # 20480 bytes: a 3-byte remaining length
MEDIUM = b"m" * 300  # a 2-byte remaining length


def read_packet(sock):
    first = read_exactly(sock, 1)
    raw = bytearray(first)
    length = 0
    for i in range(4):
        b = read_exactly(sock, 1)[0]
        raw.append(b)
        length |= (b & 0x7F) << (7 * i)
        if not b & 0x80:
            break
    else:
        raise AssertionError("a remaining length over 4 bytes")
    return bytes(raw) + read_exactly(sock, length)


def split(stream):
    """The packets of `stream`: (first byte, body, bytes of the varint)."""
    out = []
    pos = 0
    while pos < len(stream):
        first = stream[pos]
        length = 0
        for i in range(4):
            b = stream[pos + 1 + i]
            length |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                break
        start = pos + 2 + i
        out.append((first, stream[start : start + length], i + 1))
        pos = start + length
    check(pos == len(stream), "packets end where the stream ends")
    return out


def remaining(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def publish(topic, payload, qos=0, mid=0):
    body = len(topic).to_bytes(2, "big") + topic.encode()
    if qos:
        body += mid.to_bytes(2, "big")
    body += payload
    return bytes([0x30 | (qos << 1)]) + remaining(len(body)) + body


def run(extra=b"", expect=0):
    mqtt = need("paho.mqtt.client", "paho-mqtt")
    server = listener()
    port = server.getsockname()[1]
    up = bytearray()
    down = bytearray()
    errors = []

    # What the broker sends, once each client packet has arrived.
    deliveries = [publish("news/short", b"hello"), publish("news/medium", MEDIUM), publish("news/big", BIG)]

    def broker():
        try:
            conn, _ = server.accept()
            conn.settimeout(TIMEOUT)

            def send(b):
                down.extend(b)
                conn.sendall(b)

            while True:
                packet = read_packet(conn)
                up.extend(packet)
                kind = packet[0] >> 4
                if kind == 1:  # CONNECT
                    send(b"\x20\x02\x00\x00")
                    if extra:
                        send(extra)
                elif kind == 8:  # SUBSCRIBE: packet id after the varint
                    body = split(packet)[0][1]
                    send(b"\x90\x03" + body[:2] + b"\x01")
                    for d in deliveries:
                        send(d)
                elif kind == 3:  # PUBLISH
                    qos = (packet[0] >> 1) & 3
                    if qos == 1:
                        body = split(packet)[0][1]
                        tlen = int.from_bytes(body[:2], "big")
                        send(b"\x40\x02" + body[2 + tlen : 4 + tlen])
                elif kind == 12:  # PINGREQ
                    send(b"\xd0\x00")
                elif kind == 14:  # DISCONNECT
                    rest = bytearray()
                    read_to_end(conn, rest)
                    up.extend(rest)
                    break
            conn.close()
        except Exception as e:
            errors.append(f"broker: {e!r}")
            traceback.print_exc()

    thread = threading.Thread(target=broker)
    thread.start()

    connected = threading.Event()
    subscribed = threading.Event()
    got = []
    got_all = threading.Event()
    granted = []
    wanted = expect if extra else len(deliveries)

    def on_connect(client, userdata, flags, reason_code, properties):
        check(not reason_code.is_failure, f"CONNACK: {reason_code}")
        connected.set()

    def on_subscribe(client, userdata, mid, reason_codes, properties):
        granted.extend(int(r.value) for r in reason_codes)
        subscribed.set()

    def on_message(client, userdata, msg):
        got.append({"topic": msg.topic, "payload_hex": msg.payload.hex(), "qos": msg.qos})
        if len(got) >= wanted:
            got_all.set()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="framing-interop", protocol=mqtt.MQTTv311)
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.username_pw_set("user", "secret")
    client.will_set("clients/framing", b"gone", qos=1)
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    try:
        check(connected.wait(TIMEOUT), "paho did not accept the CONNACK")
        if extra:
            check(got_all.wait(TIMEOUT) if wanted else True, f"paho delivered {len(got)} of {wanted}")
            return got
        client.subscribe("news/#", qos=1)
        check(subscribed.wait(TIMEOUT), "paho did not take the SUBACK")
        check(got_all.wait(TIMEOUT), f"paho delivered {len(got)} of {wanted} messages")
        infos = [
            client.publish("sensors/t", b"21.5", qos=0),
            client.publish("sensors/log", MEDIUM, qos=1),
            client.publish("sensors/blob", BIG, qos=1),
        ]
        for info in infos:
            info.wait_for_publish(TIMEOUT)
            check(info.is_published(), "a publish was not acknowledged")
    finally:
        client.disconnect()
        client.loop_stop()
        thread.join(TIMEOUT)
        server.close()
    check(not errors, "; ".join(errors))
    check(granted == [1], f"SUBACK granted {granted}")
    check(
        [(g["topic"], g["payload_hex"]) for g in got]
        == [("news/short", b"hello".hex()), ("news/medium", MEDIUM.hex()), ("news/big", BIG.hex())],
        "paho delivered what the broker published",
    )
    return bytes(up), bytes(down)


NAMES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 8: "SUBSCRIBE", 9: "SUBACK", 12: "PINGREQ", 13: "PINGRESP", 14: "DISCONNECT"}


def frames(stream):
    out = []
    for first, body, _ in split(stream):
        out.append(frame([first], body, note=NAMES.get(first >> 4, str(first >> 4))))
    return out


def generate():
    up, down = run()
    client = frames(up)
    kinds = [f["note"] for f in client]
    check(kinds[0] == "CONNECT" and kinds[-1] == "DISCONNECT", f"client packets {kinds}")
    check(bytes.fromhex(client[0]["payload_hex"])[:6] == b"\x00\x04MQTT", "CONNECT names MQTT")
    check(kinds.count("PUBLISH") == 3, "three publishes")
    check(max(s for _, _, s in split(up)) == 3, "a 3-byte remaining length")
    return {"client": side(up, client), "server": side(down, frames(down))}


def parse(which, data):
    count = sum(1 for first, _, _ in split(data) if first >> 4 == 3)
    return run(extra=data, expect=count)


if __name__ == "__main__":
    main("mqtt", "paho-mqtt", generate, parse)
