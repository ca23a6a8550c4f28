//! How frames are printed: one JSON object per line (`--json`), or a line a
//! person can read.

use std::borrow::Cow;
use std::fmt::Write as _;

use framing_core::resp::RespType;
use framing_core::{Delimiter, Frame, Recovery, Value};
use serde_json::{json, Map, Value as Json};

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// A header value as JSON: integers as integers, `?` as a boolean, floats as
/// numbers (`"nan"`, `"inf"`, `"-inf"` as strings), bytes as lowercase hex.
pub fn value_json(v: &Value<'_>) -> Json {
    match *v {
        Value::Int(i) => match (i64::try_from(i), u64::try_from(i)) {
            (Ok(x), _) => json!(x),
            (_, Ok(x)) => json!(x),
            _ => json!(i.to_string()), // wider than any struct code; unreachable
        },
        Value::Bool(b) => json!(b),
        Value::Float(f) if f.is_nan() => json!("nan"),
        Value::Float(f) if f == f64::INFINITY => json!("inf"),
        Value::Float(f) if f == f64::NEG_INFINITY => json!("-inf"),
        Value::Float(f) => json!(f),
        Value::Bytes(b) => json!(hex(b)),
        // A value a later framing-core may add: its debug form.
        ref other => json!(format!("{other:?}")),
    }
}

/// A header's values as JSON ([`value_json`]), except that an `Ns` length
/// field (a 3-byte length, say) is its integer, as the layout reads it.
pub fn fields_json(header: &framing_core::Header<'_>) -> Vec<Json> {
    let length = header.layout().length_field();
    header
        .values()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Bytes(_) if Some(i) == length => value_json(&Value::Int(header.length_value())),
            v => value_json(&v),
        })
        .collect()
}

/// A frame's payload as the user means it: unmasked for a masked
/// WebSocket frame (a copy), else as it is.
pub fn payload<'a>(frame: &Frame<'a>) -> Cow<'a, [u8]> {
    match frame.websocket() {
        Some(head) if head.mask.is_some() => {
            let mut bytes = frame.payload().to_vec();
            head.unmask(0, &mut bytes);
            Cow::Owned(bytes)
        }
        _ => Cow::Borrowed(frame.payload()),
    }
}

/// The keys a frame's framing kind adds: `"resp"` (the value's type) for
/// RESP frames; `"fields"` for frames with a header, and `"fin"`,
/// `"rsv"`, `"opcode"`, `"masked"` for WebSocket frames.
pub fn kind_keys(frame: &Frame<'_>, obj: &mut Map<String, Json>) {
    if let Some(head) = frame.websocket() {
        obj.insert("fin".into(), json!(head.fin));
        obj.insert("rsv".into(), json!(head.rsv));
        obj.insert("opcode".into(), json!(head.opcode));
        obj.insert("masked".into(), json!(head.mask.is_some()));
    }
    match frame.header().layout().delimiter() {
        // Delimited frames have no header, so no fields.
        Some(Delimiter::Resp) => {
            if let Some(t) = RespType::of(frame.payload()) {
                obj.insert("resp".into(), json!(t.name()));
            }
        }
        Some(_) => {}
        None => {
            obj.insert("fields".into(), Json::Array(fields_json(&frame.header())));
        }
    }
}

/// One JSON line (without the newline) for a frame, with extra keys.
pub fn json_line(frame: &Frame<'_>, extra: &[(&str, Json)]) -> String {
    let mut obj = Map::new();
    kind_keys(frame, &mut obj);
    let payload = payload(frame);
    obj.insert("length".into(), json!(payload.len()));
    obj.insert("payload_hex".into(), json!(hex(&payload)));
    if let Ok(text) = std::str::from_utf8(&payload) {
        obj.insert("text".into(), json!(text));
    }
    if !frame.trailer().is_empty() {
        obj.insert("trailer".into(), json!(hex(frame.trailer())));
    }
    for (k, v) in extra {
        obj.insert((*k).into(), v.clone());
    }
    Json::Object(obj).to_string()
}

/// A preface as one JSON object: `{"preface_hex": "..."}`.
pub fn preface_json(bytes: &[u8], extra: &[(&str, Json)]) -> String {
    let mut obj = Map::new();
    obj.insert("preface_hex".into(), json!(hex(bytes)));
    for (k, v) in extra {
        obj.insert((*k).into(), v.clone());
    }
    Json::Object(obj).to_string()
}

/// A readable line for a preface: `preface: 24 bytes "PRI * HTTP/2.0..."`.
pub fn preface_human(bytes: &[u8]) -> String {
    format!("preface: {} bytes {}", bytes.len(), readable(bytes))
}

/// Bytes as quoted text when they are printable UTF-8, else `0x` hex.
fn readable(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(|c| c.is_control() && c != '\t') => format!("{text:?}"),
        _ => format!("0x{}", hex(bytes)),
    }
}

/// A recovery report as one JSON object: `{"recovered":"skipped","offset":B,"bytes":N}`
/// or `{"recovered":"discarded","offset":B,"length":N}`.
pub fn recovery_json(report: &Recovery, extra: &[(&str, Json)]) -> String {
    let mut obj = Map::new();
    match *report {
        Recovery::Skipped { offset, bytes } => {
            obj.insert("recovered".into(), json!("skipped"));
            obj.insert("offset".into(), json!(offset));
            obj.insert("bytes".into(), json!(bytes));
        }
        Recovery::Discarded { offset, length } => {
            obj.insert("recovered".into(), json!("discarded"));
            obj.insert("offset".into(), json!(offset));
            obj.insert("length".into(), json!(length));
        }
        Recovery::Corrupt {
            offset,
            length,
            computed,
            carried,
        } => {
            obj.insert("recovered".into(), json!("corrupt"));
            obj.insert("offset".into(), json!(offset));
            obj.insert("length".into(), json!(length));
            obj.insert("computed".into(), json!(format!("{computed:x}")));
            obj.insert("carried".into(), json!(format!("{carried:x}")));
        }
        _ => {
            obj.insert("recovered".into(), json!(report.to_string()));
            obj.insert("offset".into(), json!(report.offset()));
        }
    }
    for (k, v) in extra {
        obj.insert((*k).into(), v.clone());
    }
    Json::Object(obj).to_string()
}

/// A readable line: `frame N at byte B: H[0]=51966 I[1]=5 | 5 bytes "hello"`.
pub fn human_line(frame: &Frame<'_>, number: u64, offset: u64) -> String {
    human_line_snap(frame, number, offset, None)
}

/// [`human_line`] showing at most `snaplen` bytes of the payload (then
/// `... (N of M bytes shown)`), as tcpdump's snap length.
pub fn human_line_snap(
    frame: &Frame<'_>,
    number: u64,
    offset: u64,
    snaplen: Option<usize>,
) -> String {
    let whole = payload(frame);
    let shown = &whole[..snaplen.unwrap_or(usize::MAX).min(whole.len())];
    let mut s = human_head(frame, number, offset);
    s.push_str(&human_payload(shown, whole.len(), frame.trailer()));
    s
}

/// The start of [`human_line`]: `frame N at byte B: H[0]=51966 I[1]=5`.
pub fn human_head(frame: &Frame<'_>, number: u64, offset: u64) -> String {
    let header = frame.header();
    let format = header.layout().format();
    let mut s = format!("frame {number} at byte {offset}:");
    let length = header.layout().length_field();
    for (field, value) in format.fields().zip(header.values()) {
        let _ = write!(s, " {}[{}]=", field.code as char, field.index);
        match value {
            // An `Ns` length: the number it carries.
            Value::Bytes(_) if Some(field.index) == length => {
                let _ = write!(s, "{}", header.length_value());
            }
            Value::Bytes(b) => {
                let _ = write!(s, "0x{}", hex(b));
            }
            v => {
                let _ = write!(s, "{v}");
            }
        }
    }
    if let Some(head) = frame.websocket() {
        let _ = write!(
            s,
            " fin={} rsv={} opcode={} masked={}",
            u8::from(head.fin),
            head.rsv,
            head.opcode,
            u8::from(head.mask.is_some())
        );
    } else if let Some(t) = RespType::of(frame.payload())
        .filter(|_| header.layout().delimiter() == Some(Delimiter::Resp))
    {
        let _ = write!(s, " resp={}", t.name());
    } else if frame.header().layout().has_varint_length() {
        let _ = write!(s, " varint={}", frame.header().length_value());
    } else if frame.header().layout().ascii_length().is_some() {
        let _ = write!(s, " length={}", frame.header().length_value());
    }
    s
}

/// The rest of [`human_line`], from the payload's first `shown` bytes of
/// `whole`: ` | 5 bytes "hello"`, and the trailer.
pub fn human_payload(shown: &[u8], whole: usize, trailer: &[u8]) -> String {
    let mut s = format!(" | {whole} bytes");
    if !shown.is_empty() {
        let _ = write!(s, " {}", readable(shown));
    }
    if shown.len() < whole {
        let _ = write!(s, " ... ({} of {whole} bytes shown)", shown.len());
    }
    if !trailer.is_empty() {
        let _ = write!(s, " | trailer 0x{}", hex(trailer));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use framing_core::{Decoder, Layout};

    #[test]
    fn a_3_byte_length_prints_as_its_number() {
        let layout = Layout::builder("!3sB").length_field(0).build().unwrap();
        let mut d = Decoder::new(layout, framing_core::heapless::Vec::<u8, 300>::new());
        let mut input: &[u8] = &[&[0, 1, 2, 9][..], &[b'x'; 258][..]].concat();
        let frame = d.decode(&mut input).unwrap().unwrap().frame().unwrap();
        assert_eq!(
            fields_json(&frame.header()),
            [serde_json::json!(258), serde_json::json!(9)]
        );
        assert!(human_head(&frame, 1, 0).ends_with("s[0]=258 B[1]=9"));
    }

    #[test]
    fn frames_print_as_the_contract_says() {
        let layout = Layout::builder("<H?eI").length_field(3).build().unwrap();
        let mut d = Decoder::new(layout, framing_core::heapless::Vec::<u8, 64>::new());
        let mut input: &[u8] = b"\xfe\xca\x01\x00\x7c\x02\x00\x00\x00\x00\xff";
        let frame = d.decode(&mut input).unwrap().unwrap().frame().unwrap();
        assert_eq!(
            json_line(&frame, &[]),
            r#"{"fields":[51966,true,"inf",2],"length":2,"payload_hex":"00ff"}"#
        );
        assert_eq!(
            human_line(&frame, 1, 0),
            "frame 1 at byte 0: H[0]=51966 ?[1]=True e[2]=inf I[3]=2 | 2 bytes 0x00ff"
        );
    }
}
