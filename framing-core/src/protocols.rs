//! A catalogue of real protocols' framings, one [`Layout`] per side: what
//! the client sends, and what the server sends (the same layout where both
//! sides frame alike). Each is checked against the protocol's own
//! implementation by the project's interop tests (`tests/protocols.rs`,
//! with the libraries from PyPI as the peers).
//!
//! ```
//! use framing_core::{protocols, Decoded, Decoder};
//!
//! let http2 = protocols::find("http2").unwrap();
//! let mut decoder = Decoder::new(http2.client, framing_core::heapless::Vec::<u8, 64>::new());
//! let mut wire: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";
//! assert!(matches!(decoder.decode(&mut wire)?, Some(Decoded::Preface(_))));
//! let settings = decoder.decode(&mut wire)?.and_then(Decoded::frame).unwrap();
//! assert_eq!(settings.int(1), Some(4)); // SETTINGS
//! # Ok::<(), framing_core::DecodeError>(())
//! ```

use crate::layout::{Layout, Radix};
use crate::value::Value;
use crate::websocket::Masking;

/// Redis (RESP2 and RESP3): each top-level value is a frame, commands and
/// replies alike, up to 512 MiB (Redis's `proto-max-bulk-len`) and its
/// lines.
pub static REDIS: Layout = Layout::resp()
    .max_payload(512 * 1024 * 1024 + 64 * 1024)
    .build_or_panic();

/// WebSocket, client side: the HTTP/1.1 Upgrade request (up to its blank
/// line), then masked frames.
pub static WEBSOCKET_CLIENT: Layout = Layout::websocket()
    .websocket_masking(Masking::Required)
    .preface_until(b"\r\n\r\n", 16 * 1024)
    .max_payload(1 << 30)
    .build_or_panic();

/// WebSocket, server side: the 101 response (up to its blank line), then
/// unmasked frames.
pub static WEBSOCKET_SERVER: Layout = Layout::websocket()
    .websocket_masking(Masking::Forbidden)
    .preface_until(b"\r\n\r\n", 16 * 1024)
    .max_payload(1 << 30)
    .build_or_panic();

/// A protocol's framing, per side.
#[derive(Clone, Copy, Debug)]
pub struct Protocol {
    /// Its name, as `--protocol` takes it.
    pub name: &'static str,
    /// What the client sends.
    pub client: &'static Layout,
    /// What the server sends.
    pub server: &'static Layout,
    /// The `framing` command's options it stands for, client side (then
    /// server side, where they differ).
    pub options: &'static str,
    /// The specification it follows.
    pub spec: &'static str,
}

/// MQTT (3.1.1 and 5.0): a fixed header byte (packet type and flags), then
/// the remaining length, a varint of at most 4 bytes.
pub static MQTT: Layout = Layout::builder("!B")
    .varint_max_bytes(4)
    .max_payload(268_435_455)
    .build_or_panic();

/// Modbus TCP: the MBAP header (transaction, protocol 0, length counting
/// the unit id and the PDU, unit id), then the PDU.
pub static MODBUS_TCP: Layout = Layout::builder("!HHHB")
    .length_field(2)
    .length_adjust(-1)
    .constant(1, Value::Int(0))
    .max_payload(253)
    .build_or_panic();

/// Kafka: a signed 32-bit size before every request and response.
pub static KAFKA: Layout = Layout::builder("!i")
    .max_payload(100 * 1024 * 1024)
    .build_or_panic();

/// HTTP/2, client side: the connection preface, then frames (a 24-bit
/// length, type, flags, stream id).
pub static HTTP2_CLIENT: Layout = Layout::builder("!3sBBI")
    .length_field(0)
    .max_payload(16_777_215)
    .preface(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    .build_or_panic();

/// HTTP/2, server side: frames from the first byte.
pub static HTTP2_SERVER: Layout = Layout::builder("!3sBBI")
    .length_field(0)
    .max_payload(16_777_215)
    .build_or_panic();

/// AMQP 0-9-1, client side: the protocol header, then frames (type,
/// channel, size), each ended by the frame-end octet 0xCE.
pub static AMQP091_CLIENT: Layout = Layout::builder("!BHI")
    .length_field(2)
    .frame_end(&[0xCE])
    .preface(b"AMQP\x00\x00\x09\x01")
    .build_or_panic();

/// AMQP 0-9-1, server side: frames ended by 0xCE.
pub static AMQP091_SERVER: Layout = Layout::builder("!BHI")
    .length_field(2)
    .frame_end(&[0xCE])
    .build_or_panic();

/// PostgreSQL's startup message (and SSLRequest, CancelRequest): an
/// untyped length counting itself.
pub static POSTGRES_STARTUP: Layout = Layout::builder("!I")
    .length_adjust(-4)
    .max_payload(10_000)
    .build_or_panic();

/// PostgreSQL, client side: the startup message, then typed messages (a
/// type byte, a length counting itself).
pub static POSTGRES_CLIENT: Layout = Layout::builder("!cI")
    .length_field(1)
    .length_adjust(-4)
    .max_payload(1 << 30)
    .first_frame(&POSTGRES_STARTUP)
    .build_or_panic();

/// PostgreSQL, server side: typed messages from the first byte.
pub static POSTGRES_SERVER: Layout = Layout::builder("!cI")
    .length_field(1)
    .length_adjust(-4)
    .max_payload(1 << 30)
    .build_or_panic();

/// TLS records: content type, version, length (at most 2^14 + 2048).
pub static TLS: Layout = Layout::builder("!BHH")
    .length_field(2)
    .max_payload(18_432)
    .build_or_panic();

/// DNS over TCP: a 16-bit length before every message.
pub static DNS_TCP: Layout = Layout::builder("!H").build_or_panic();

/// Protobuf messages written with `writeDelimitedTo`: a varint length.
pub static PROTOBUF_DELIMITED: Layout = Layout::builder("").varint_length().build_or_panic();

/// Syslog over TCP with octet counting (RFC 6587 3.4.1): the length in
/// decimal, a space, the message.
pub static SYSLOG_OCTET: Layout = Layout::builder("")
    .ascii_length(Radix::Decimal, b" ")
    .ascii_max_digits(10)
    .build_or_panic();

/// Netstrings: the length in decimal, `:`, the bytes, `,`.
pub static NETSTRING: Layout = Layout::builder("")
    .ascii_length(Radix::Decimal, b":")
    .frame_end(b",")
    .build_or_panic();

/// Every protocol of the catalogue.
pub static ALL: &[Protocol] = &[
    Protocol {
        name: "mqtt",
        client: &MQTT,
        server: &MQTT,
        options: "--header '!B' --varint-max-bytes 4 --max-payload 268435455",
        spec: "MQTT 3.1.1 / 5.0, 2.2 (fixed header, remaining length)",
    },
    Protocol {
        name: "modbus-tcp",
        client: &MODBUS_TCP,
        server: &MODBUS_TCP,
        options:
            "--header '!HHHB' --length-field 2 --length-adjust -1 --field 1=0 --max-payload 253",
        spec: "Modbus Messaging on TCP/IP Implementation Guide v1.0b, 3.1.3 (MBAP header)",
    },
    Protocol {
        name: "kafka",
        client: &KAFKA,
        server: &KAFKA,
        options: "--header '!i' --max-payload 104857600",
        spec: "Kafka protocol guide (request and response size)",
    },
    Protocol {
        name: "http2",
        client: &HTTP2_CLIENT,
        server: &HTTP2_SERVER,
        options: "--header '!3sBBI' --length-field 0 --max-payload 16777215 \
                  --preface 505249202a20485454502f322e300d0a0d0a534d0d0a0d0a (client)",
        spec: "RFC 9113, 3.4 (connection preface) and 4.1 (frame format)",
    },
    Protocol {
        name: "amqp091",
        client: &AMQP091_CLIENT,
        server: &AMQP091_SERVER,
        options: "--header '!BHI' --length-field 2 --frame-end ce \
                  --preface 414d515000000901 (client)",
        spec: "AMQP 0-9-1, 4.2.2 (protocol header) and 4.2.3 (general frame format)",
    },
    Protocol {
        name: "postgres",
        client: &POSTGRES_CLIENT,
        server: &POSTGRES_SERVER,
        options: "--header '!cI' --length-field 1 --length-adjust -4 --max-payload 1073741824 \
                  --first-header '!I' --first-length-field 0 --first-length-adjust -4 (client)",
        spec: "PostgreSQL protocol, 55.7 (message formats: StartupMessage, then typed messages)",
    },
    Protocol {
        name: "websocket",
        client: &WEBSOCKET_CLIENT,
        server: &WEBSOCKET_SERVER,
        options: "--framing websocket --preface-until 0d0a0d0a --preface-max 16384 \
                  --max-payload 1073741824 (client frames masked, server frames not)",
        spec: "RFC 6455, 4 (opening handshake) and 5.2 (base framing protocol)",
    },
    Protocol {
        name: "redis",
        client: &REDIS,
        server: &REDIS,
        options: "--framing resp --max-frame 536936448",
        spec: "Redis serialization protocol specification (RESP2 and RESP3)",
    },
    Protocol {
        name: "tls",
        client: &TLS,
        server: &TLS,
        options: "--header '!BHH' --length-field 2 --max-payload 18432",
        spec: "RFC 8446, 5.1 (record layer)",
    },
    Protocol {
        name: "dns-tcp",
        client: &DNS_TCP,
        server: &DNS_TCP,
        options: "--header '!H'",
        spec: "RFC 1035, 4.2.2 (TCP usage); RFC 7766",
    },
    Protocol {
        name: "protobuf-delimited",
        client: &PROTOBUF_DELIMITED,
        server: &PROTOBUF_DELIMITED,
        options: "--header '' --varint",
        spec: "protobuf writeDelimitedTo / parseDelimitedFrom (a varint length)",
    },
    Protocol {
        name: "syslog-octet",
        client: &SYSLOG_OCTET,
        server: &SYSLOG_OCTET,
        options: "--header '' --ascii-length dec --length-end 20 --ascii-max-digits 10",
        spec: "RFC 6587, 3.4.1 (octet counting)",
    },
    Protocol {
        name: "netstring",
        client: &NETSTRING,
        server: &NETSTRING,
        options: "--header '' --ascii-length dec --length-end 3a --frame-end 2c",
        spec: "D. J. Bernstein, netstrings (1997)",
    },
];

/// The protocol named `name`, if the catalogue has it.
pub fn find(name: &str) -> Option<&'static Protocol> {
    ALL.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for (i, p) in ALL.iter().enumerate() {
            assert!(ALL[..i].iter().all(|q| q.name != p.name), "{}", p.name);
            assert_eq!(find(p.name).map(|q| q.name), Some(p.name));
        }
        assert!(find("nope").is_none());
    }
}
