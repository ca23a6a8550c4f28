"""TLS records with CPython's ssl (OpenSSL) on both sides, through MemoryBIOs:
a TLS 1.3 handshake with a fresh self-signed certificate (the openssl CLI, or
CPython's test certificate where that is missing), 40000 bytes from the
client (three records past the 16 KiB limit), a reply, and close_notify both
ways. OpenSSL's own message callback (SSLContext._msg_callback) reports the
5-byte header of every record each side writes; the split here must give
exactly those headers.

Frames (preset `tls`: "!BHH", length field 2): fields [content type, legacy
record version, length], payload = the record's fragment (encrypted after the
handshake).
"""

import os
import shutil
import subprocess
import sys
import tempfile

from common import Skip, check, frame, main, side

UPLOAD = bytes(range(256)) * 157 + b"x" * 8  # 40200 bytes


def certificate(folder):
    cert = os.path.join(folder, "cert.pem")
    key = os.path.join(folder, "key.pem")
    if shutil.which("openssl"):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=localhost", "-days", "2", "-keyout", key, "-out", cert],
            check=True,
            capture_output=True,
            timeout=30,
        )
        return cert, key
    for base in sys.path:
        candidate = os.path.join(base, "test", "certdata", "keycert.pem")
        if os.path.exists(candidate):
            return candidate, None
    raise Skip("no openssl CLI to make a certificate, and no CPython test certificate")


def split(stream):
    out = []
    pos = 0
    while pos < len(stream):
        kind = stream[pos]
        ver = int.from_bytes(stream[pos + 1 : pos + 3], "big")
        length = int.from_bytes(stream[pos + 3 : pos + 5], "big")
        out.append(frame([kind, ver, length], stream[pos + 5 : pos + 5 + length], note={20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data"}.get(kind)))
        pos += 5 + length
    check(pos == len(stream), "records end where the stream ends")
    return out


def generate():
    import ssl

    with tempfile.TemporaryDirectory() as folder:
        cert, key = certificate(folder)
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(cert, key)
        cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        cctx.check_hostname = False
        cctx.verify_mode = ssl.CERT_NONE
        for ctx in (sctx, cctx):
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    headers = {"client": [], "server": []}

    def recorder(name):
        def callback(conn, direction, version, content_type, msg_type, data):
            if direction == "write" and content_type == ssl._TLSContentType.HEADER:
                headers[name].append(bytes(data))

        return callback

    has_callback = hasattr(cctx, "_msg_callback")
    if has_callback:
        cctx._msg_callback = recorder("client")
        sctx._msg_callback = recorder("server")

    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client = cctx.wrap_bio(c_in, c_out, server_hostname="localhost")
    server = sctx.wrap_bio(s_in, s_out, server_side=True)
    up = bytearray()
    down = bytearray()

    def pump():
        moved = False
        data = c_out.read()
        if data:
            up.extend(data)
            s_in.write(data)
            moved = True
        data = s_out.read()
        if data:
            down.extend(data)
            c_in.write(data)
            moved = True
        return moved

    def step(obj, fn, *args):
        try:
            return getattr(obj, fn)(*args)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return None

    for _ in range(50):  # each turn moves at least one flight; a handshake takes three
        step(client, "do_handshake")
        step(server, "do_handshake")
        if not pump():
            break
    check(client.version() == "TLSv1.3", f"the handshake finished: {client.version()}")
    client.write(UPLOAD)
    pump()
    got = bytearray()
    for _ in range(50):
        chunk = step(server, "read", 1 << 16)
        if not chunk:
            break
        got += chunk
    check(bytes(got) == UPLOAD, f"the server read {len(got)} bytes")
    server.write(b"thanks for the %d bytes" % len(got))
    pump()
    reply = b""
    for _ in range(50):
        chunk = step(client, "read", 1 << 16)
        if chunk:
            reply += chunk
            break
        pump()
    check(reply == b"thanks for the %d bytes" % len(UPLOAD), f"the client read {reply!r}")
    step(client, "unwrap")
    pump()
    step(server, "unwrap")
    pump()
    up, down = bytes(up), bytes(down)
    client_frames, server_frames = split(up), split(down)
    if has_callback:
        check([bytes.fromhex(f"{f['fields'][0]:02x}{f['fields'][1]:04x}{f['fields'][2]:04x}") for f in client_frames] == headers["client"], "OpenSSL's record headers, client")
        check([bytes.fromhex(f"{f['fields'][0]:02x}{f['fields'][1]:04x}{f['fields'][2]:04x}") for f in server_frames] == headers["server"], "OpenSSL's record headers, server")
    check(client_frames[0]["fields"][0] == 22 and bytes.fromhex(client_frames[0]["payload_hex"])[0] == 1, "a ClientHello first")
    return {"client": side(up, client_frames), "server": side(down, server_frames)}


if __name__ == "__main__":
    import ssl

    main("tls", f"CPython ssl ({ssl.OPENSSL_VERSION})", generate)
