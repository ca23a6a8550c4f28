"""Kafka's wire protocol with kafka-python's protocol classes: its
KafkaProtocol (the client's connection state machine) encodes ApiVersions and
Metadata requests (classic and flexible versions, one asking for 301 topics);
the broker's
classes encoded with their headers, and KafkaProtocol.receive_bytes must
match each to its request by correlation id. The broker side reads each
request back with the request class's own decode.

Frames (preset `kafka`: "!i" size prefix): fields [size], payload = the
request or response (header included).

    python3 kafka.py parse client   hex on stdin: requests `framing encode` wrote;
                                    prints each one's api key, version,
                                    correlation id, client id (decoded by
                                    kafka-python's request header)
"""

import io
import struct

from common import check, frame, main, need, side


def split(stream, names):
    out = []
    pos = 0
    while pos < len(stream):
        (size,) = struct.unpack_from("!i", stream, pos)
        out.append(frame([size], stream[pos + 4 : pos + 4 + size], note=names[len(out)]))
        pos += 4 + size
    check(pos == len(stream), "frames end where the stream ends")
    return out


def generate():
    need("kafka.protocol.parser", "kafka-python")
    from kafka.protocol.metadata import ApiVersionsRequest, ApiVersionsResponse, MetadataRequest, MetadataResponse
    from kafka.protocol.parser import KafkaProtocol

    proto = KafkaProtocol(client_id="framing-interop")
    topics = ["events"] + [f"topic-{i:04}" for i in range(300)]
    requests = [
        ApiVersionsRequest[0](),
        ApiVersionsRequest[3](client_software_name="kafka-python", client_software_version="3.0"),
        MetadataRequest[1](topics=[MetadataRequest.MetadataRequestTopic(name="events")]),
        MetadataRequest[12](topics=[MetadataRequest.MetadataRequestTopic(name=t) for t in topics], allow_auto_topic_creation=False),
    ]
    ids = [proto.send_request(r) for r in requests]
    up = proto.send_bytes()

    # The broker: read each request back, answer it.
    def api_versions(version):
        return ApiVersionsResponse[version](
            error_code=0,
            api_keys=[ApiVersionsResponse.ApiVersion(api_key=k, min_version=0, max_version=m) for k, m in [(0, 11), (1, 16), (3, 12), (18, 3)]],
            throttle_time_ms=0,
        )

    def metadata(version, names):
        return MetadataResponse[version](
            throttle_time_ms=0,
            brokers=[MetadataResponse.MetadataResponseBroker(node_id=1, host="127.0.0.1", port=9092, rack=None)],
            cluster_id="framing-cluster",
            controller_id=1,
            topics=[
                MetadataResponse.MetadataResponseTopic(
                    error_code=0,
                    name=n,
                    is_internal=False,
                    partitions=[
                        MetadataResponse.MetadataResponseTopic.MetadataResponsePartition(
                            error_code=0, partition_index=p, leader_id=1, leader_epoch=0, replica_nodes=[1], isr_nodes=[1], offline_replicas=[]
                        )
                        for p in range(2)
                    ],
                )
                for n in names
            ],
        )

    responses = [api_versions(0), api_versions(3), metadata(1, ["events"]), metadata(12, topics)]
    down = b""
    pos = 0
    for req, cid, resp in zip(requests, ids, responses):
        (size,) = struct.unpack_from("!i", up, pos)
        body = up[pos + 4 : pos + 4 + size]
        back = type(req).decode(body, version=req.API_VERSION, header=True)
        check(back.header.correlation_id == cid and back.header.client_id == "framing-interop", "request header")
        check(back.header.request_api_key == req.API_KEY and back.header.request_api_version == req.API_VERSION, "api key")
        pos += 4 + size
        resp.with_header(correlation_id=cid)
        down += resp.encode(framed=True, header=True)
    check(pos == len(up), "requests end where the stream ends")
    got = proto.receive_bytes(down)
    check([cid for cid, _ in got] == ids, "kafka-python matched every response")
    check(len(got[3][1].topics) == len(topics), "the big metadata response")
    names = [f"{type(r).__name__} v{r.API_VERSION}" for r in requests]
    return {
        "client": side(up, split(up, names)),
        "server": side(down, split(down, [n.replace("Request", "Response") for n in names])),
    }


def parse(which, data):
    need("kafka.protocol.parser", "kafka-python")
    from kafka.protocol.api_header import RequestHeader

    out = []
    pos = 0
    while pos < len(data):
        (size,) = struct.unpack_from("!i", data, pos)
        body = data[pos + 4 : pos + 4 + size]
        check(len(body) == size, "a whole request")
        h = RequestHeader.decode(io.BytesIO(body))
        out.append({"api_key": h.request_api_key, "api_version": h.request_api_version, "correlation_id": h.correlation_id, "client_id": h.client_id})
        pos += 4 + size
    return out


if __name__ == "__main__":
    main("kafka", "kafka-python", generate, parse)
