"""Netstrings (D. J. Bernstein: "12:hello world!,") written with pynetstring's
encode, read back with its streaming Decoder, fed in one-byte pieces: each
must be the string written. The empty string, binary data, a string holding
"," and ":" and digits, and one of 100000 bytes.

Frames (preset `netstring`): fields [], payload = the string (the length
digits, ':' and ',' are not in it). The client and the server send
different strings.
"""

from common import check, frame, main, need, side


def build(strings):
    pynetstring = need("pynetstring", "pynetstring")
    stream = b"".join(pynetstring.encode(s) for s in strings)
    check(pynetstring.encode(b"hello world!") == b"12:hello world!,", "the reference example")
    decoder = pynetstring.Decoder()
    back = []
    for i in range(len(stream)):
        back.extend(decoder.feed(stream[i : i + 1]))
    check(back == strings, "pynetstring's decoder read back every string")
    return side(stream, [frame([], s) for s in strings])


def generate():
    return {
        "client": build([b"hello world!", b"", b"3:abc,", bytes(range(256)), b"x" * 100000]),
        "server": build([b"ok", b"12:hello world!,", b"\x00" * 10, b""]),
    }


if __name__ == "__main__":
    main("netstring", "pynetstring", generate)
