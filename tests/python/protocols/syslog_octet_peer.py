"""Syslog over TCP with octet counting (RFC 6587 3.4.1: "MSG-LEN SP
SYSLOG-MSG") from rfc5424-logging-handler (Rfc5424SysLogHandler with
framing=FRAMING_OCTET_COUNTING) to a small collector here: RFC 5424 messages
with structured data, a UTF-8 message (with its BOM), a message with
newlines inside (what octet counting is for) and an 8000-byte one. Each
message is read back with syslog-rfc5424-parser (a second implementation),
where installed, and its text must be the one logged.

Frames (preset `syslog-octet`): fields [], payload = the syslog message (the
length digits and the space are not in it). One way: only a client side.
"""

import logging
import socket
import threading
import traceback

from common import TIMEOUT, check, frame, listener, main, need, read_to_end, side

TEXTS = [
    "service started",
    "héllo wörld, ünïcode: \u2603",
    "a stack trace\nline 2\n  line 3\n",
    "x" * 8000,
]


def split(stream):
    out = []
    pos = 0
    while pos < len(stream):
        space = stream.index(b" ", pos)
        digits = stream[pos:space]
        check(digits.isdigit() and not digits.startswith(b"0"), f"MSG-LEN {digits!r}")
        n = int(digits)
        out.append(frame([], stream[space + 1 : space + 1 + n]))
        pos = space + 1 + n
    check(pos == len(stream), "messages end where the stream ends")
    return out


def generate():
    rfc5424 = need("rfc5424logging", "rfc5424-logging-handler")
    server = listener()
    port = server.getsockname()[1]
    up = bytearray()
    errors = []

    def collect():
        try:
            conn, _ = server.accept()
            conn.settimeout(TIMEOUT)
            read_to_end(conn, up)
            conn.close()
        except Exception as e:
            errors.append(f"collector: {e!r}")
            traceback.print_exc()

    thread = threading.Thread(target=collect)
    thread.start()
    handler = rfc5424.Rfc5424SysLogHandler(
        address=("127.0.0.1", port),
        socktype=socket.SOCK_STREAM,
        framing=rfc5424.FRAMING_OCTET_COUNTING,
        hostname="host1",
        appname="framing",
        procid=4242,
        structured_data={"origin@32473": {"ip": "127.0.0.1", "software": "interop"}},
        enterprise_id=32473,
    )
    log = logging.getLogger("framing-interop")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    log.addHandler(handler)
    try:
        log.info(TEXTS[0])
        log.warning(TEXTS[1])
        log.error(TEXTS[2])
        log.debug(TEXTS[3], extra={"msgid": "BIG"})
    finally:
        log.removeHandler(handler)
        handler.close()
        thread.join(TIMEOUT)
        server.close()
    check(not errors, "; ".join(errors))
    frames = split(bytes(up))
    check(len(frames) == len(TEXTS), f"{len(frames)} messages")
    try:
        from syslog_rfc5424_parser import SyslogMessage
    except ImportError:
        SyslogMessage = None
    for f, text in zip(frames, TEXTS):
        raw = bytes.fromhex(f["payload_hex"])
        check(raw.startswith(b"<") and raw.endswith(text.encode()), "the message ends with its text")
        if SyslogMessage is not None:
            parsed = SyslogMessage.parse(raw.decode("utf-8"))
            check(parsed.appname == "framing" and parsed.msg.lstrip("\ufeff") == text, f"syslog-rfc5424-parser read {parsed.msg[:40]!r}")
        f["note"] = text[:20]
    return {"client": side(up, frames)}


if __name__ == "__main__":
    main("syslog-octet", "rfc5424-logging-handler", generate)
