//! The header options every subcommand shares, and how they become a
//! [`Layout`]. `--field N=VALUE` is parsed with `nom`.

use clap::Args;
use framing_core::{ByteOrder, Checksum, Covers, Format, Kind, Layout, Oversize, Value};
use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take_while};
use nom::character::complete::{char, digit1, hex_digit1};
use nom::combinator::{all_consuming, map_res, opt, recognize};
use nom::sequence::{pair, separated_pair};
use nom::{IResult, Parser};

use crate::Fail;

/// How frames look on the wire.
#[derive(Args, Debug, Clone)]
pub struct HeaderArgs {
    /// The fixed header as a Python `struct` format string (byte-order prefix
    /// `@ = < > !`, codes `x c b B ? h H i I l L q Q n N e f d s p P` with
    /// repeat counts), laid out exactly as CPython's `struct` does here.
    #[arg(long = "header", value_name = "FMT", default_value = "!I")]
    pub format: String,

    /// Which header value holds the payload length: an index into the tuple
    /// `struct.unpack(FMT, header)` returns. Default: the only integer value.
    /// An integer, or an `Ns` field of 1 to 8 bytes read as an unsigned
    /// integer in the header's byte order (a 3-byte length is `3s`: HTTP/2
    /// is `--header '!3sBBI' --length-field 0`).
    #[arg(long, value_name = "N", conflicts_with = "varint")]
    pub length_field: Option<usize>,
    /// How frames are delimited: `length` (a header with a length, the
    /// default), or, for serial links, `cobs` (COBS-stuffed, ending with a
    /// zero byte), `slip` (RFC 1055) or `lines` (ending with `\n`, or the
    /// bytes of --delimiter), or `resp` (Redis's RESP2/RESP3: each top-level
    /// value is a frame, its bytes as on the wire; JSON adds "resp", the
    /// value's type), or `websocket` (RFC 6455 frames, masked or not: JSON
    /// adds "fin", "rsv", "opcode", "masked", and "payload_hex" is the
    /// payload unmasked; `encode` writes FIN + binary unless `--field 0=N`
    /// sets the first byte). These have no header of the --header kind:
    /// --header and its options do not apply.
    #[arg(long, value_name = "KIND", value_parser = ["length", "cobs", "slip", "lines", "resp", "websocket"],
          default_value = "length")]
    pub framing: String,
    /// With `--framing lines`: the delimiter, as hex bytes (1 to 8), e.g.
    /// `0d0a` for CRLF lines.
    #[arg(long, value_name = "HEX")]
    pub delimiter: Option<String>,
    /// With --framing cobs|slip|lines|resp: the largest payload accepted
    /// (decoded, without its trailer); longer frames are an error, or with
    /// --discard-oversize skipped to the next delimiter and reported (not
    /// for resp, where every bad value is an error).
    #[arg(long, value_name = "BYTES")]
    pub max_frame: Option<u64>,
    /// The payload length is an unsigned LEB128 varint (protobuf's) right
    /// after the header; `--header ''` for none (a protobuf-delimited
    /// stream).
    #[arg(long)]
    pub varint: bool,
    /// A checksum trailer after the payload, checked when decoding, written
    /// when encoding.
    #[arg(long, value_name = "CRC", value_parser = [
        "crc32", "crc32c", "crc16-xmodem", "crc16-modbus", "crc16-ccitt-false",
    ])]
    pub trailer: Option<String>,
    /// What the trailer's checksum covers: the header and the payload, or
    /// the payload alone.
    #[arg(long, value_name = "WHAT", value_parser = ["frame", "payload"], default_value = "frame",
          requires = "trailer")]
    pub trailer_covers: String,
    /// The trailer's byte order, when it is not the header's.
    #[arg(long, value_name = "ORDER", value_parser = ["big", "little"], requires = "trailer")]
    pub trailer_byte_order: Option<String>,

    /// Payload length = length value + K. A length that counts the whole
    /// frame uses K = -(header size).
    #[arg(
        long,
        value_name = "K",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    pub length_adjust: i64,

    /// Header value N is a constant (magic number, version): written when
    /// encoding, checked when decoding. VALUE is an integer (decimal or 0x
    /// hex), true/false for `?`, a number for `e f d`, hex bytes for `c s p`.
    /// Repeatable.
    #[arg(long = "field", value_name = "N=VALUE")]
    pub fields: Vec<String>,

    /// Largest payload accepted, in bytes; a frame announcing more is an
    /// error and nothing of that size is allocated.
    #[arg(long, value_name = "BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_payload: u64,

    /// Decoding: skip the payload of a frame over --max-payload, report it,
    /// and go on with the next frame (default: stop with an error).
    #[arg(long)]
    pub discard_oversize: bool,

    /// Decoding: after a bad header, skip forward to the next valid one
    /// (found by its --field constants, so at least one is needed), report
    /// the bytes skipped, and go on (default: stop with an error).
    #[arg(long)]
    pub resync: bool,

    /// A named protocol's framing instead of the header options (see
    /// `framing protocols`): mqtt, modbus-tcp, kafka, http2, amqp091,
    /// postgres, tls, dns-tcp, protobuf-delimited, syslog-octet, netstring.
    /// With it, --field N=VALUE sets header value N when encoding.
    #[arg(long, value_name = "NAME")]
    pub protocol: Option<String>,
    /// With --protocol: which side's frames, those the client sends or those
    /// the server sends. `tap` decodes the client side up and the server
    /// side down; `send` writes the client side and reads the server side.
    #[arg(long, value_name = "SIDE", value_parser = ["client", "server"], default_value = "client")]
    pub from: String,
    /// Fixed bytes (hex) once before the first frame: checked and printed
    /// as {"preface_hex": ...} when decoding, written when encoding.
    #[arg(long, value_name = "HEX", conflicts_with = "preface_until")]
    pub preface: Option<String>,
    /// A preface of any bytes up to and including these (hex, 1 to 8 bytes:
    /// 0d0a0d0a ends an HTTP/1.1 request), at most --preface-max bytes;
    /// printed when decoding, not written when encoding.
    #[arg(long, value_name = "HEX")]
    pub preface_until: Option<String>,
    /// The longest --preface-until, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 8192)]
    pub preface_max: usize,
    /// The first frame has its own header format (PostgreSQL's startup
    /// message: '!I'); the frames after it have --header.
    #[arg(long, value_name = "FMT")]
    pub first_header: Option<String>,
    /// --length-field for the first frame.
    #[arg(long, value_name = "N", requires = "first_header")]
    pub first_length_field: Option<usize>,
    /// --length-adjust for the first frame.
    #[arg(
        long,
        value_name = "K",
        allow_negative_numbers = true,
        requires = "first_header"
    )]
    pub first_length_adjust: Option<i64>,
    /// Constant bytes (hex, 1 to 8) after every payload and trailer,
    /// outside the length: AMQP's ce, a netstring's 2c.
    #[arg(long, value_name = "HEX")]
    pub frame_end: Option<String>,
    /// The length is ASCII digits after the header, decimal or hex, ended
    /// by --length-end: netstrings, RFC 6587 octet counting, chunk sizes.
    #[arg(long, value_name = "RADIX", value_parser = ["dec", "hex"], requires = "length_end",
          conflicts_with_all = ["varint", "length_field"])]
    pub ascii_length: Option<String>,
    /// With --ascii-length: the bytes (hex, 1 to 8) that end the digits.
    #[arg(long, value_name = "HEX", requires = "ascii_length")]
    pub length_end: Option<String>,
    /// With --ascii-length: the most digits (default 20, 16 in hex).
    #[arg(long, value_name = "N", requires = "ascii_length")]
    pub ascii_max_digits: Option<usize>,
    /// The length is a varint (as --varint) of at most N bytes (MQTT: 4).
    #[arg(long, value_name = "N", conflicts_with = "length_field")]
    pub varint_max_bytes: Option<usize>,
}

/// Which side of a protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// Bytes from hex for an option, kept for the life of the process (a
/// layout holds its preface by reference).
fn leaked_hex(option: &str, hex: &str, max: usize) -> Result<&'static [u8], Fail> {
    hex_bytes(hex)
        .filter(|b| (1..=max).contains(&b.len()))
        .map(|b| &*Box::leak(b.into_boxed_slice()))
        .ok_or_else(|| Fail::Usage(format!("invalid {option} {hex:?}: 1 to {max} bytes of hex")))
}

impl HeaderArgs {
    /// The side --from names.
    pub fn side(&self) -> Side {
        if self.from == "server" {
            Side::Server
        } else {
            Side::Client
        }
    }

    /// Builds the layout of the side --from names, or a usage error naming
    /// what is wrong.
    pub fn layout(&self) -> Result<Layout, Fail> {
        self.layout_of(self.side())
    }

    /// Builds the layout of `side` (which matters only with --protocol).
    pub fn layout_of(&self, side: Side) -> Result<Layout, Fail> {
        match &self.protocol {
            Some(name) => self.protocol_layout(name, side),
            None => self.own_layout(),
        }
    }

    /// With --protocol, the --field values an encoder writes in the
    /// header fields that are neither the length nor constants (without
    /// it, --field declares constants, in the layout).
    pub fn field_values(&self, layout: &Layout) -> Result<Vec<(usize, Constant)>, Fail> {
        let websocket = layout.websocket_masking().is_some();
        if self.protocol.is_none() && !websocket {
            return Ok(Vec::new());
        }
        let mut values = self
            .fields
            .iter()
            .map(|spec| parse_field(spec, layout.format()))
            .collect::<Result<Vec<_>, _>>()?;
        // A WebSocket frame's first byte: FIN + binary unless given.
        if websocket && !values.iter().any(|(i, _)| *i == 0) {
            values.push((0, Constant::Int(0x82)));
        }
        Ok(values)
    }

    /// A named protocol's layout for `side`.
    fn protocol_layout(&self, name: &str, side: Side) -> Result<Layout, Fail> {
        let protocol = framing_core::protocols::find(name).ok_or_else(|| {
            let names: Vec<&str> = framing_core::protocols::ALL
                .iter()
                .map(|p| p.name)
                .collect();
            Fail::Usage(format!(
                "unknown --protocol {name:?}: one of {} (see `framing protocols`)",
                names.join(", ")
            ))
        })?;
        let layout = match side {
            Side::Client => *protocol.client,
            Side::Server => *protocol.server,
        };
        Ok(layout)
    }

    /// The layout the header options describe.
    fn own_layout(&self) -> Result<Layout, Fail> {
        let usage = |e: &dyn std::fmt::Display| Fail::Usage(format!("invalid header options: {e}"));
        let format = Format::parse(&self.format)
            .map_err(|e| Fail::Usage(format!("invalid --header {:?}: {e}", self.format)))?;
        let oversize = if self.discard_oversize {
            Oversize::Discard
        } else {
            Oversize::Fail
        };
        let mut builder = match self.framing.as_str() {
            "length" => {
                if self.delimiter.is_some() || self.max_frame.is_some() {
                    return Err(Fail::Usage(
                        "--delimiter and --max-frame go with --framing cobs|slip|lines|resp".into(),
                    ));
                }
                Layout::builder(&self.format)
            }
            "cobs" => Layout::cobs(),
            "slip" => Layout::slip(),
            "resp" => Layout::resp(),
            "websocket" => Layout::websocket(),
            _ => {
                let bytes = match &self.delimiter {
                    Some(hex) => hex_bytes(hex)
                        .filter(|b| (1..=framing_core::MAX_DELIMITER).contains(&b.len()))
                        .ok_or_else(|| {
                            Fail::Usage(format!(
                                "invalid --delimiter {hex:?}: 1 to 8 bytes of hex, e.g. 0d0a"
                            ))
                        })?,
                    None => b"\n".to_vec(),
                };
                Layout::delimited(&bytes)
            }
        };
        let delimited = !matches!(self.framing.as_str(), "length" | "websocket");
        if self.framing != "length"
            && (self.length_field.is_some()
                || self.varint
                || (!self.fields.is_empty() && self.framing != "websocket"))
        {
            return Err(Fail::Usage(format!(
                "--framing {} has no header: --length-field, --varint and --field do not apply",
                self.framing
            )));
        }
        if self.delimiter.is_some() && self.framing != "lines" {
            return Err(Fail::Usage("--delimiter goes with --framing lines".into()));
        }
        builder = builder
            .length_adjust(if self.framing != "length" {
                0
            } else {
                self.length_adjust
            })
            .max_payload(match self.max_frame {
                Some(max) => max,
                None => self.max_payload,
            })
            .on_oversize(oversize)
            // Delimited frames always go on at the next delimiter, except
            // RESP's, whose values have values inside.
            .resync(self.resync || (delimited && self.framing != "resp"));
        if let Some(n) = self.length_field {
            builder = builder.length_field(n);
        }
        if self.varint {
            builder = builder.varint_length();
        }
        if let Some(max) = self.varint_max_bytes {
            builder = builder.varint_max_bytes(max);
        }
        if let (Some(radix), Some(end)) = (&self.ascii_length, &self.length_end) {
            let end = hex_bytes(end)
                .ok_or_else(|| Fail::Usage(format!("invalid --length-end {end:?}: hex bytes")))?;
            let radix = if radix == "hex" {
                framing_core::Radix::Hex
            } else {
                framing_core::Radix::Decimal
            };
            builder = builder.ascii_length(radix, &end);
            if let Some(max) = self.ascii_max_digits {
                builder = builder.ascii_max_digits(max);
            }
        }
        if let Some(end) = &self.frame_end {
            let end = hex_bytes(end)
                .ok_or_else(|| Fail::Usage(format!("invalid --frame-end {end:?}: hex bytes")))?;
            builder = builder.frame_end(&end);
        }
        if let Some(hex) = &self.preface {
            builder = builder.preface(leaked_hex("--preface", hex, framing_core::MAX_PREFACE)?);
        }
        if let Some(hex) = &self.preface_until {
            let end = leaked_hex("--preface-until", hex, framing_core::MAX_DELIMITER)?;
            builder = builder.preface_until(end, self.preface_max);
        }
        if let Some(first) = &self.first_header {
            let mut b = Layout::builder(first)
                .length_adjust(self.first_length_adjust.unwrap_or(0))
                .max_payload(self.max_payload);
            if let Some(n) = self.first_length_field {
                b = b.length_field(n);
            }
            let first = b
                .build()
                .map_err(|e| Fail::Usage(format!("invalid --first-header {first:?}: {e}")))?;
            builder = builder.first_frame(Box::leak(Box::new(first)));
        }
        if let Some(name) = &self.trailer {
            let checksum = Checksum::from_name(name)
                .ok_or_else(|| Fail::Usage(format!("unknown --trailer {name:?}")))?;
            builder =
                builder
                    .trailer(checksum)
                    .trailer_covers(if self.trailer_covers == "payload" {
                        Covers::Payload
                    } else {
                        Covers::Frame
                    });
            match self.trailer_byte_order.as_deref() {
                Some("big") => builder = builder.trailer_byte_order(ByteOrder::Big),
                Some("little") => builder = builder.trailer_byte_order(ByteOrder::Little),
                _ => {}
            }
        }
        let mut storage = Vec::new();
        // A WebSocket layout's --field values are what `encode` writes.
        for spec in self.fields.iter().filter(|_| self.framing != "websocket") {
            storage.push(parse_field(spec, &format)?);
        }
        for (index, value) in &storage {
            builder = builder.constant(*index, value.as_value());
        }
        builder.build().map_err(|e| usage(&e))
    }
}

/// `tap`'s header options for the frames coming back from the upstream
/// ("down"), where they differ from those sent to it.
#[derive(Args, Debug, Clone, Default)]
pub struct DownHeaderArgs {
    /// The header format of frames from the upstream, if not --header's.
    /// With it, --field, --length-field and --length-adjust apply only up;
    /// give the --down-* ones for down.
    #[arg(id = "down_format", long = "down-header", value_name = "FMT")]
    pub format: Option<String>,

    /// --length-field for frames from the upstream.
    #[arg(id = "down_length_field", long = "down-length-field", value_name = "N")]
    pub length_field: Option<usize>,

    /// --length-adjust for frames from the upstream.
    #[arg(
        id = "down_length_adjust",
        long = "down-length-adjust",
        value_name = "K",
        allow_negative_numbers = true
    )]
    pub length_adjust: Option<i64>,

    /// --field for frames from the upstream (repeatable); replaces the
    /// --field list down.
    #[arg(id = "down_fields", long = "down-field", value_name = "N=VALUE")]
    pub fields: Vec<String>,

    /// --max-payload for frames from the upstream.
    #[arg(
        id = "down_max_payload",
        long = "down-max-payload",
        value_name = "BYTES"
    )]
    pub max_payload: Option<u64>,

    /// --discard-oversize for frames from the upstream only.
    #[arg(id = "down_discard_oversize", long = "down-discard-oversize")]
    pub discard_oversize: bool,

    /// --resync for frames from the upstream only.
    #[arg(id = "down_resync", long = "down-resync")]
    pub resync: bool,
}

impl DownHeaderArgs {
    /// The header options down: `up`'s, with these over them.
    pub fn over(&self, up: &HeaderArgs) -> HeaderArgs {
        // A different format makes up's field indexes meaningless.
        let fresh = self.format.is_some();
        HeaderArgs {
            format: self.format.clone().unwrap_or_else(|| up.format.clone()),
            length_field: self
                .length_field
                .or(if fresh { None } else { up.length_field }),
            length_adjust: self
                .length_adjust
                .unwrap_or(if fresh { 0 } else { up.length_adjust }),
            fields: if fresh || !self.fields.is_empty() {
                self.fields.clone()
            } else {
                up.fields.clone()
            },
            max_payload: self.max_payload.unwrap_or(up.max_payload),
            discard_oversize: self.discard_oversize || up.discard_oversize,
            resync: self.resync || up.resync,
            // The framing, the length's kind and the trailer are the
            // protocol's, the same both ways.
            framing: up.framing.clone(),
            delimiter: up.delimiter.clone(),
            max_frame: up.max_frame,
            varint: up.varint,
            varint_max_bytes: up.varint_max_bytes,
            ascii_length: up.ascii_length.clone(),
            length_end: up.length_end.clone(),
            ascii_max_digits: up.ascii_max_digits,
            frame_end: up.frame_end.clone(),
            // What comes first is the client's: the upstream's replies
            // have their own (none unless a protocol says so).
            preface: None,
            preface_until: None,
            preface_max: up.preface_max,
            first_header: None,
            first_length_field: None,
            first_length_adjust: None,
            protocol: up.protocol.clone(),
            from: "server".into(),
            trailer: up.trailer.clone(),
            trailer_covers: up.trailer_covers.clone(),
            trailer_byte_order: up.trailer_byte_order.clone(),
        }
    }
}

/// A `--field` value, owning its bytes until the layout copies them.
#[derive(Debug, Clone, PartialEq)]
pub enum Constant {
    Int(i128),
    Bool(bool),
    Float(f64),
    Bytes(Vec<u8>),
}

impl Constant {
    pub(crate) fn as_value(&self) -> Value<'_> {
        match self {
            Constant::Int(v) => Value::Int(*v),
            Constant::Bool(v) => Value::Bool(*v),
            Constant::Float(v) => Value::Float(*v),
            Constant::Bytes(b) => Value::Bytes(b),
        }
    }
}

/// Parses `N=VALUE` for a field of `format`.
pub fn parse_field(spec: &str, format: &Format) -> Result<(usize, Constant), Fail> {
    let bad = |why: String| Fail::Usage(format!("invalid --field {spec:?}: {why}"));
    let (index, value) = all_consuming(separated_pair(
        map_res(digit1, str::parse::<usize>),
        char('='),
        take_while(|_| true),
    ))
    .parse(spec)
    .map(|(_, v)| v)
    .map_err(|_: nom::Err<nom::error::Error<&str>>| bad("expected N=VALUE".into()))?;
    let field = format.field(index).ok_or_else(|| {
        bad(format!(
            "the header has {} values, so N must be below that",
            format.value_count()
        ))
    })?;
    let parsed = match field.kind {
        Kind::Signed | Kind::Unsigned => integer(value).map(Constant::Int),
        Kind::Bool => boolean(value).map(Constant::Bool),
        Kind::Float => value.trim().parse::<f64>().ok().map(Constant::Float),
        Kind::Char | Kind::Bytes | Kind::Pascal => hex_bytes(value).map(Constant::Bytes),
        kind => {
            return Err(bad(format!(
                "field {index} ('{}') holds a {kind:?}, which --field cannot set",
                field.code as char
            )))
        }
    };
    let constant = parsed.ok_or_else(|| {
        bad(format!(
            "{value:?} is not {} for field {index} ('{}')",
            match field.kind {
                Kind::Signed | Kind::Unsigned => "an integer (decimal or 0x hex)",
                Kind::Bool => "true or false",
                Kind::Float => "a number",
                _ => "hex bytes",
            },
            field.code as char
        ))
    })?;
    Ok((index, constant))
}

/// `-?(0x<hex>|<decimal>)` as an i128.
pub fn integer(s: &str) -> Option<i128> {
    fn parser(s: &str) -> IResult<&str, i128> {
        let hex = map_res(
            pair(
                opt(char('-')),
                nom::sequence::preceded(tag_no_case("0x"), hex_digit1),
            ),
            |(neg, digits): (Option<char>, &str)| {
                i128::from_str_radix(digits, 16).map(|v| if neg.is_some() { -v } else { v })
            },
        );
        let dec = map_res(recognize(pair(opt(char('-')), digit1)), str::parse::<i128>);
        alt((hex, dec)).parse(s)
    }
    all_consuming(parser).parse(s).ok().map(|(_, v)| v)
}

fn boolean(s: &str) -> Option<bool> {
    let r: IResult<&str, &str> = all_consuming(alt((tag("true"), tag("false")))).parse(s);
    r.ok().map(|(_, v)| v == "true")
}

/// Hex digits in pairs (an optional `0x` prefix), as bytes.
pub fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_values_parse_by_kind() {
        let f = Format::parse("<H?d4sI").unwrap();
        assert_eq!(
            parse_field("0=0xCAFE", &f).unwrap(),
            (0, Constant::Int(0xCAFE))
        );
        assert_eq!(parse_field("0=-12", &f).unwrap(), (0, Constant::Int(-12)));
        assert_eq!(
            parse_field("1=true", &f).unwrap(),
            (1, Constant::Bool(true))
        );
        assert_eq!(parse_field("2=1.5", &f).unwrap(), (2, Constant::Float(1.5)));
        assert_eq!(
            parse_field("3=52494646", &f).unwrap(),
            (3, Constant::Bytes(b"RIFF".to_vec()))
        );
        for bad in ["0=abc", "1=yes", "3=abc", "9=1", "x=1", "0", "=1", "0=0x"] {
            assert!(matches!(parse_field(bad, &f), Err(Fail::Usage(_))), "{bad}");
        }
    }
}
