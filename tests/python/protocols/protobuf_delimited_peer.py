"""Length-delimited protobuf (Java's writeDelimitedTo / parseDelimitedFrom,
C++'s SerializeDelimitedToOstream) with the protobuf package: messages of the
well-known types that ship with it (Struct, Timestamp, Any,
FileDescriptorProto: no protoc needed) serialized with SerializeToString,
each after its length as the library's own varint encoder writes it
(google.protobuf.internal.encoder._VarintBytes), sized for 1-, 2- and 3-byte
varints and an empty message. Read back with the library's varint decoder
and ParseFromString, each must equal the message written.

Frames (preset `protobuf-delimited`: no fixed header, a varint length):
fields [], payload = the serialized message. Both sides alike; the client
sends requests, the server replies.
"""

from common import check, frame, main, need, side


def build(messages):
    from google.protobuf.internal.decoder import _DecodeVarint32
    from google.protobuf.internal.encoder import _VarintBytes

    stream = b"".join(_VarintBytes(m.ByteSize()) + m.SerializeToString() for m in messages)
    frames = []
    pos = 0
    for m in messages:
        size, start = _DecodeVarint32(stream, pos)
        body = stream[start : start + size]
        back = type(m)()
        back.ParseFromString(body)
        check(back == m, f"{type(m).__name__} read back")
        frames.append(frame([], body, note=f"{type(m).__name__} ({start - pos}-byte varint)"))
        pos = start + size
    check(pos == len(stream), "messages end where the stream ends")
    return side(stream, frames)


def generate():
    need("google.protobuf", "protobuf")
    from google.protobuf import any_pb2, descriptor_pb2, struct_pb2, timestamp_pb2

    ts = timestamp_pb2.Timestamp(seconds=1764870000, nanos=123456789)
    request = struct_pb2.Struct()
    request.update({"method": "get", "path": "/items", "limit": 50, "tags": ["a", "b"], "deep": {"x": True}})
    big = descriptor_pb2.FileDescriptorProto(name="big.proto", package="framing.test")
    for i in range(400):
        msg = big.message_type.add(name=f"Message{i}")
        for j in range(4):
            msg.field.add(name=f"field_{j}", number=j + 1, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING)
    check(big.ByteSize() >= 1 << 14, "a message past 16 KiB: a 3-byte varint")
    wrapped = any_pb2.Any()
    wrapped.Pack(ts)
    reply = struct_pb2.Struct()
    reply.update({"items": [{"id": i, "name": "item %d" % i} for i in range(8)], "next": None})
    client = build([request, ts, struct_pb2.Struct(), big])
    server = build([reply, wrapped, timestamp_pb2.Timestamp(), struct_pb2.Struct(fields={"ok": struct_pb2.Value(bool_value=True)})])
    varints = {f["note"].split("(")[1][0] for f in client["frames"] + server["frames"]}
    check(varints == {"1", "2", "3"}, f"1-, 2- and 3-byte varints: {varints}")
    return {"client": client, "server": server}


if __name__ == "__main__":
    main("protobuf-delimited", "protobuf", generate)
