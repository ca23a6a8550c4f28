"""DNS over TCP (RFC 1035 4.2.2, RFC 7766) with dnspython on both sides: the
client's queries and the server's responses (A, AAAA, MX, TXT past 255 bytes,
an NXDOMAIN, and a big response of 300 A records) are written with
dns.query.send_tcp, which puts the two-byte length before each message, over
a socket pair; the other end reads them back with dns.query.receive_tcp, and
each must be the message sent (ids, questions, answers).

Frames (preset `dns-tcp`: "!H"): fields [length], payload = the DNS message.

    python3 dns_tcp_peer.py parse SIDE   hex on stdin: length-prefixed
                                         messages; prints each one's id,
                                         question and answer count as
                                         dns.query.receive_tcp reads them
"""

import socket
import threading

from common import TIMEOUT, check, frame, main, need, read_to_end, side


def split(stream):
    out = []
    pos = 0
    while pos < len(stream):
        length = int.from_bytes(stream[pos : pos + 2], "big")
        out.append(frame([length], stream[pos + 2 : pos + 2 + length]))
        pos += 2 + length
    check(pos == len(stream), "messages end where the stream ends")
    return out


def carry(messages):
    """Writes `messages` with send_tcp into one end of a socket pair (from a
    thread), records the bytes at the other end, and reads them back with
    receive_tcp; returns the bytes."""
    import dns.query

    a, b = socket.socketpair()
    b.settimeout(TIMEOUT)
    errors = []

    def write():
        try:
            for m in messages:
                dns.query.send_tcp(a, m, expiration=None)
        except Exception as e:
            errors.append(e)
        a.close()

    writer = threading.Thread(target=write)
    writer.start()
    wire = bytearray()
    read_to_end(b, wire)
    b.close()
    writer.join(TIMEOUT)
    check(not errors, f"send_tcp: {errors}")
    back = read_back(bytes(wire))
    check(back == messages, "receive_tcp read back what send_tcp wrote")
    return bytes(wire)


def read_back(data):
    """The messages dns.query.receive_tcp reads from `data`."""
    import dns.query

    a, b = socket.socketpair()
    b.settimeout(TIMEOUT)
    out = []
    writer = threading.Thread(target=lambda: (a.sendall(data), a.close()))
    writer.start()
    while True:
        try:
            out.append(dns.query.receive_tcp(b, expiration=None)[0])
        except EOFError:
            break
    writer.join(TIMEOUT)
    b.close()
    return out


def generate():
    need("dns.message", "dnspython")
    import dns.flags
    import dns.message
    import dns.rcode
    import dns.rrset

    queries = [
        dns.message.make_query("example.com.", "A", id=0x1234),
        dns.message.make_query("example.com.", "AAAA", id=0x1235, use_edns=0, payload=4096),
        dns.message.make_query("mail.example.org.", "MX", id=0x1236, want_dnssec=True),
        dns.message.make_query("_spf.example.net.", "TXT", id=0x1237),
        dns.message.make_query("nowhere.invalid.", "A", id=0x1238),
        dns.message.make_query("many.example.com.", "A", id=0x1239),
    ]
    responses = []
    for q in queries:
        r = dns.message.make_response(q)
        name = q.question[0].name.to_text()
        kind = dns.rdatatype.to_text(q.question[0].rdtype)
        if name == "example.com." and kind == "A":
            r.answer.append(dns.rrset.from_text(name, 300, "IN", "A", "93.184.216.34"))
        elif kind == "AAAA":
            r.answer.append(dns.rrset.from_text(name, 300, "IN", "AAAA", "2606:2800:220:1:248:1893:25c8:1946"))
        elif kind == "MX":
            r.answer.append(dns.rrset.from_text(name, 3600, "IN", "MX", "10 mx1.example.org.", "20 mx2.example.org."))
        elif kind == "TXT":
            r.answer.append(dns.rrset.from_text(name, 60, "IN", "TXT", " ".join(['"v=spf1"'] + ['"' + "include:a.example.net " * 9 + '"'] * 3 + ['"-all"'])))
        elif name == "nowhere.invalid.":
            r.set_rcode(dns.rcode.NXDOMAIN)
        else:
            r.answer.append(dns.rrset.from_text(name, 30, "IN", "A", *[f"10.0.{i // 250}.{i % 250}" for i in range(300)]))
        responses.append(r)
    up = carry(queries)
    down = carry(responses)
    big = split(down)[-1]
    check(big["length"] > 4096, "a response past 4 KiB")
    return {"client": side(up, split(up)), "server": side(down, split(down))}


def parse(which, data):
    need("dns.message", "dnspython")
    return [{"id": m.id, "question": [q.to_text() for q in m.question], "answers": sum(len(r) for r in m.answer)} for m in read_back(data)]


if __name__ == "__main__":
    main("dns-tcp", "dnspython", generate, parse)
