//! `framing dissector`: a Wireshark Lua dissector for a layout.
//!
//! The script registers a protocol whose PDUs Wireshark's TCP reassembly
//! cuts out with `dissect_tcp_pdus`: the fixed part is the header (and the
//! first byte of a varint length, or an ASCII length's first digit and end
//! bytes), the length function reads the length value as the layout does
//! (an integer field or an `Ns` field of 1 to 8 bytes, in the header's
//! byte order, plus --length-adjust; or the varint after the header; or
//! the ASCII digits after it, decimal or hex, at most --ascii-max-digits,
//! then the --length-end bytes). Each header value is a named field
//! (`NAME.vN`, or `NAME.up.vN` / `NAME.down.vN` when the two directions'
//! layouts differ), with the payload (`NAME.payload`, `NAME.length`), the
//! trailer (`NAME.trailer`) and the frame end (`NAME.frame_end`).
//! Constants and the frame end are checked: a mismatch is expert info
//! (`NAME.constant`), as is a length outside 0..=--max-payload or a
//! malformed varint or ASCII length (`NAME.bad_length`) and a trailer that
//! is not the checksum of what it covers (`NAME.bad_checksum`; the five
//! CRCs computed bit by bit with Wireshark's `bit` library, in the
//! trailer's byte order, learnt by encoding a trailer).
//!
//! The direction: frames to the server's port are "up" (the client's
//! layout), the others "down". The server's port is --port if given (the
//! script then registers itself on it), else the port Wireshark matched
//! (`-d tcp.port==N,NAME`, or Decode As).
//!
//! A fixed preface (HTTP/2's, AMQP's) is a PDU of its own, `NAME.preface`,
//! where a direction's bytes start with it. What comes first in a
//! direction is kept per TCP stream and direction (learnt on the first
//! pass, in stream order; a packet dissected again starts where it did
//! then): a preface that ends at given bytes (--preface-until) is
//! `NAME.preface`, a first frame with its own layout (--first-header,
//! PostgreSQL's StartupMessage) has the fields `NAME[.up].first.vN`, and
//! after a malformed length or preface the rest of that direction is shown
//! as not dissected, where `decode --pcap` stops too.
//!
//! RESP (`--framing resp`, the redis preset; Wireshark 4.0 has no RESP
//! dissector): each top-level value is a PDU, its end found by walking it
//! as the decoder does (type bytes, decimal lengths, `-1` nulls, `\r\n`
//! line ends, bulk bodies skipped by their length, aggregates and
//! attributes counted, at most 32 deep, no value past --max-frame); its
//! bytes are `NAME.payload` and its type `NAME.resp`, a malformed value is
//! `NAME.bad_length` with decode's reason. Lines (`--framing lines`, any
//! --delimiter) end at the delimiter, shown as `NAME.frame_end`; a line
//! longer than --max-frame is `NAME.bad_length`. Refused, with the
//! reason: COBS and SLIP (the payload is unstuffed), lines with a trailer
//! or --discard-oversize (decode resyncs or skips), and WebSocket frames
//! (Wireshark has its own dissector).

use std::fmt::Write as _;

use clap::Args;
use framing_core::{Checksum, Covers, Delimiter, Kind, Layout, Oversize, Preface, Value};

use crate::options::{DownHeaderArgs, HeaderArgs, Side};
use crate::Fail;

/// `framing dissector`'s own options.
#[derive(Args, Debug, Clone)]
pub struct DissectorArgs {
    /// The protocol's name in Wireshark: its filter prefix (`NAME.v0`,
    /// `NAME.payload`) and the name `-d tcp.port==N,NAME` takes. Lowercase
    /// letters, digits and `_`. Default: `framing`, or `framing_PROTOCOL`
    /// with --protocol.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The server's TCP port: the script registers itself on it, and frames
    /// sent to it are "up". Without it, use `-d tcp.port==N,NAME` (tshark)
    /// or Decode As (Wireshark).
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    #[command(flatten)]
    pub down: DownHeaderArgs,
}

/// Lua string literal of `s` (ASCII printable kept, the rest escaped).
fn lua_str(s: &str) -> String {
    lua_bytes(s.as_bytes())
}

/// Lua string literal of the bytes `s` (ASCII printable kept, the rest
/// escaped).
fn lua_bytes(s: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in s {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:03}");
            }
        }
    }
    out.push('"');
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What kind of Lua reader and ProtoField a header value gets.
struct Plan {
    /// `uint`, `int`, `float`, `bool` or `bytes`.
    read: &'static str,
    /// The ProtoField constructor and its extra arguments.
    field: String,
}

fn plan(kind: Kind, code: u8, size: usize, is_length: bool) -> Plan {
    let uint = |size: usize| match size {
        1 => "uint8",
        2 => "uint16",
        3 => "uint24",
        4 => "uint32",
        _ => "uint64",
    };
    match kind {
        _ if is_length => Plan {
            read: "uint",
            field: format!("ProtoField.{}", uint(size)),
        },
        Kind::Unsigned => Plan {
            read: "uint",
            field: format!("ProtoField.{}", uint(size)),
        },
        Kind::Signed => Plan {
            read: "int",
            field: format!(
                "ProtoField.{}",
                match size {
                    1 => "int8",
                    2 => "int16",
                    3 => "int24",
                    4 => "int32",
                    _ => "int64",
                }
            ),
        },
        Kind::Bool => Plan {
            read: "uint",
            field: "ProtoField.uint8".into(),
        },
        Kind::Float if code == b'f' || code == b'd' => Plan {
            read: "float",
            field: if code == b'f' {
                "ProtoField.float".into()
            } else {
                "ProtoField.double".into()
            },
        },
        _ => Plan {
            read: "bytes",
            field: "ProtoField.bytes".into(),
        },
    }
}

/// The Lua table describing one direction's layout, and its field
/// declarations (`prefix`: `NAME.` or `NAME.up.`).
fn side(layout: &Layout, var: &str, prefix: &str, which: &str) -> Result<(String, String), Fail> {
    let refuse = |what: &str| {
        Err(Fail::Usage(format!(
            "framing dissector: {which}: {what} is not supported (the dissector finds each \
             frame's end from a fixed \
             header, a varint or ASCII length, a RESP value or a line's delimiter)"
        )))
    };
    let resp = layout.delimiter() == Some(Delimiter::Resp);
    // Lines: the frame ends at the delimiter, shown as the frame end.
    let lines = match layout.delimiter() {
        Some(Delimiter::Bytes(end)) => Some(end),
        _ => None,
    };
    if layout.delimiter().is_some() && !resp && lines.is_none() {
        return refuse("a stuffed framing (--framing cobs|slip: the payload is unstuffed)");
    }
    if lines.is_some() && layout.trailer().is_some() {
        return refuse("a trailer on lines (a bad one resyncs at the next delimiter)");
    }
    if lines.is_some() && layout.oversize() == Oversize::Discard {
        return refuse("--discard-oversize on lines");
    }
    if layout.websocket_masking().is_some() {
        return refuse(
            "WebSocket frames (Wireshark dissects them itself: its websocket dissector)",
        );
    }
    // The first frame's own layout: a table of its own (`first`), its
    // fields `PREFIX.first.vN`.
    let (mut decls, first) = match layout.first_frame() {
        Some(first) => {
            if first.first_frame().is_some() || first.preface().is_some() {
                return refuse("a first frame with a preface or a first frame of its own");
            }
            let (d, t) = side(
                first,
                &format!("{var}_FIRST"),
                &format!("{prefix}first."),
                &format!("{which} first frame"),
            )?;
            (d, Some(t))
        }
        None => (String::new(), None),
    };
    let format = layout.format();
    let le = !format.byte_order().is_big_endian();
    // The fewest bytes a frame's head takes: the header, and a varint's
    // first byte or an ASCII length's first digit and end bytes.
    let suffix_min = match layout.ascii_length() {
        Some((_, end, _)) => 1 + end.len(),
        None => usize::from(layout.has_varint_length()),
    };
    let mut table = first.unwrap_or_default();
    let _ = write!(
        table,
        "local {var} = {{\n  header_len = {},\n  min_len = {},\n",
        layout.header_len(),
        (layout.header_len() + suffix_min).max(1)
    );
    let _ = writeln!(
        table,
        "  first = {},",
        if layout.first_frame().is_some() {
            format!("{var}_FIRST")
        } else {
            "nil".into()
        }
    );
    table.push_str("  fields = {\n");
    for field in format.fields() {
        let is_length = layout.length_field() == Some(field.index);
        let p = plan(field.kind, field.code, field.size, is_length);
        let fvar = format!("{var}_v{}", field.index);
        let label = format!(
            "Value {} ('{}'{})",
            field.index,
            field.code as char,
            if is_length { ", the length" } else { "" }
        );
        let _ = writeln!(
            decls,
            "local {fvar} = {}({}, {})",
            p.field,
            lua_str(&format!("{prefix}v{}", field.index)),
            lua_str(&label)
        );
        let constant = match layout.constant(field.index) {
            None => "nil".to_string(),
            Some(Value::Int(v)) => lua_str(&v.to_string()),
            Some(Value::Bool(v)) => lua_str(if v { "1" } else { "0" }),
            Some(Value::Float(v)) => lua_str(&v.to_string()),
            Some(Value::Bytes(b)) => lua_str(&hex(b)),
            // A value a later framing-core may add: not checked by the dissector.
            Some(_) => "nil".to_string(),
        };
        let _ = writeln!(
            table,
            "    {{ field = {fvar}, index = {}, offset = {}, size = {}, read = \"{}\", constant = {constant} }},",
            field.index, field.offset, field.size, p.read,
        );
    }
    table.push_str("  },\n");
    match layout.length_field().and_then(|i| format.field(i)) {
        Some(f) => {
            let _ = writeln!(
                table,
                "  length = {{ offset = {}, size = {}, signed = {} }},",
                f.offset,
                f.size,
                f.kind == Kind::Signed
            );
        }
        None => table.push_str("  length = nil,\n"),
    }
    let _ = writeln!(table, "  le = {le},");
    let _ = writeln!(table, "  varint = {},", layout.has_varint_length());
    let _ = writeln!(
        table,
        "  varint_max = {},",
        layout.varint_max_bytes().unwrap_or(10)
    );
    // RESP: each top-level value a frame, found by walking it.
    let _ = writeln!(table, "  resp = {resp},");
    match lines {
        Some(end) => {
            let _ = writeln!(
                table,
                "  lines = {{ stop = {} }},",
                lua_bytes(end.as_bytes())
            );
        }
        None => table.push_str("  lines = nil,\n"),
    }
    match layout.ascii_length() {
        Some((radix, end, max_digits)) => {
            let _ = writeln!(
                table,
                "  ascii = {{ base = {}, stop = {}, stop_len = {}, max_digits = {max_digits} }},",
                radix.base(),
                lua_str(&hex(end)),
                end.len()
            );
        }
        None => table.push_str("  ascii = nil,\n"),
    }
    let _ = writeln!(table, "  adjust = {},", layout.length_adjust());
    // Lua 5.2 numbers are doubles: exact to 2^53.
    let _ = writeln!(
        table,
        "  max_payload = {},",
        layout.max_payload().min(1 << 53)
    );
    let _ = writeln!(table, "  trailer_len = {},", layout.trailer_len());
    let _ = writeln!(
        table,
        "  trailer_name = {},",
        lua_str(layout.trailer().map(|c| c.name()).unwrap_or(""))
    );
    if let Some(checksum) = layout.trailer() {
        // (poly, init, xorout, reflected), the CRC catalogue's.
        let (poly, init, xorout, reflected) = match checksum {
            Checksum::Crc16Xmodem => (0x1021u32, 0u32, 0u32, false),
            Checksum::Crc16Modbus => (0xA001, 0xFFFF, 0, true),
            Checksum::Crc16CcittFalse => (0x1021, 0xFFFF, 0, false),
            Checksum::Crc32 => (0xEDB8_8320, 0xFFFF_FFFF, 0xFFFF_FFFF, true),
            Checksum::Crc32c => (0x82F6_3B78, 0xFFFF_FFFF, 0xFFFF_FFFF, true),
            _ => {
                return Err(Fail::Usage(format!(
                    "framing dissector: {which}: the trailer {} is not supported",
                    checksum.name()
                )))
            }
        };
        let _ = writeln!(
            table,
            "  crc = {{ poly = {poly:#x}, init = {init:#x}, xorout = {xorout:#x}, reflected = \
             {reflected}, payload_only = {}, little = {} }},",
            layout.trailer_covers() == Covers::Payload,
            trailer_is_little_endian(layout, checksum)
        );
    }
    // Lines: the delimiter is the frame end.
    let frame_end = lines
        .as_ref()
        .map(|end| end.as_bytes())
        .or(layout.frame_end())
        .unwrap_or(&[]);
    let _ = writeln!(table, "  frame_end = {},", lua_str(&hex(frame_end)));
    // A fixed preface: its bytes, recognised where a PDU starts with them.
    let _ = writeln!(
        table,
        "  preface = {},",
        lua_str(&hex(layout.preface_bytes().unwrap_or(&[])))
    );
    // A preface that ends at given bytes: those bytes (raw, for
    // string.find) and the most it takes.
    match layout.preface() {
        Some(Preface::Until { end, max }) => {
            let _ = writeln!(
                table,
                "  upto = {{ stop = {}, max = {max} }},",
                lua_bytes(end.as_bytes())
            );
        }
        _ => table.push_str("  upto = nil,\n"),
    }
    let _ = writeln!(
        table,
        "  preface_len = {},",
        layout.preface_bytes().map_or(0, <[u8]>::len)
    );
    let _ = writeln!(table, "  frame_end_len = {},", frame_end.len());
    table.push_str("}\n");
    Ok((decls, table))
}

/// Whether `layout` writes its trailer little-endian: learnt by writing one
/// (the order is the header's unless --trailer-byte-order says otherwise,
/// and the layout does not tell it otherwise).
fn trailer_is_little_endian(layout: &Layout, checksum: Checksum) -> bool {
    let mut out = [0u8; 64];
    let sum = checksum.checksum(b"\x01");
    let n = layout.trailer_len();
    match layout.encode_trailer(&[], b"\x01", &mut out) {
        Ok(_) => out[..n] == sum.to_le_bytes()[..n],
        Err(_) => false,
    }
}

/// The script's fixed part: reading values, the length, the tree.
const BODY: &str = r#"
local function read(tvb, offset, size, kind, le)
  local r = tvb(offset, size)
  if kind == "uint" then
    if size <= 4 then
      if le then return r:le_uint() else return r:uint() end
    end
    if le then return r:le_uint64() else return r:uint64() end
  elseif kind == "int" then
    if size <= 4 then
      if le then return r:le_int() else return r:int() end
    end
    if le then return r:le_int64() else return r:int64() end
  elseif kind == "float" then
    if le then return r:le_float() else return r:float() end
  end
  return nil
end

-- The value as the text a constant is written in, for the check.
local function text(tvb, offset, size, kind, le)
  if kind == "bytes" then return tvb(offset, size):bytes():tohex(true) end
  local v = read(tvb, offset, size, kind, le)
  if type(v) == "number" then return string.format("%.17g", v) end
  return tostring(v)
end

-- The checksum of `len` bytes of `tvb` from `offset`, as hex digits in the
-- trailer's byte order (`bit` is Wireshark's BitOp library).
local function crc(c, tvb, offset, len, digits)
  local sum = c.init
  local data = ""
  if len > 0 then data = tvb:raw(offset, len) end
  for i = 1, len do
    local byte = string.byte(data, i)
    if c.reflected then
      sum = bit.bxor(sum, byte)
      for _ = 1, 8 do
        if bit.band(sum, 1) ~= 0 then
          sum = bit.bxor(bit.rshift(sum, 1), c.poly)
        else
          sum = bit.rshift(sum, 1)
        end
      end
    else
      sum = bit.bxor(sum, bit.lshift(byte, 8))
      for _ = 1, 8 do
        if bit.band(sum, 0x8000) ~= 0 then
          sum = bit.band(bit.bxor(bit.lshift(sum, 1), c.poly), 0xffff)
        else
          sum = bit.band(bit.lshift(sum, 1), 0xffff)
        end
      end
    end
  end
  local hex = bit.tohex(bit.bxor(sum, c.xorout), digits)
  if c.little then
    local swapped = ""
    for i = digits - 1, 1, -2 do swapped = swapped .. string.sub(hex, i, i + 1) end
    hex = swapped
  end
  return hex
end

-- The varint after the header: its value and its size, or nil and the
-- bytes it needs at least (or false when it is too long).
local function varint(tvb, offset, max)
  local value, shift = 0, 1
  for i = 0, max - 1 do
    if offset + i >= tvb:len() then return nil, i + 1 end
    local b = tvb(offset + i, 1):uint()
    value = value + (b % 128) * shift
    shift = shift * 128
    if b < 128 then return value, i + 1 end
  end
  return nil, false
end

-- The value of the byte `b` as a digit in `base`, or nil.
local function digit(b, base)
  if b >= 48 and b <= 57 then return b - 48 end
  if base == 16 then
    if b >= 97 and b <= 102 then return b - 87 end
    if b >= 65 and b <= 70 then return b - 55 end
  end
  return nil
end

-- The ASCII length after the header: its value and its size, or nil and
-- nil (more bytes needed) or nil and what is wrong.
local function ascii(a, tvb, offset)
  local value, digits = 0, 0
  while true do
    if offset + digits >= tvb:len() then return nil, nil end
    local b = tvb(offset + digits, 1):uint()
    local d = digit(b, a.base)
    if d == nil then
      if digits == 0 then
        return nil, string.format("the ASCII length has no digits (0x%02x came first)", b)
      end
      break
    end
    if digits == a.max_digits then
      return nil, "the ASCII length has more than " .. a.max_digits .. " digits"
    end
    -- Past 2^53 the double is inexact, but such a length is refused anyway.
    value = value * a.base + d
    digits = digits + 1
  end
  local at = offset + digits
  for k = 0, a.stop_len - 1 do
    if at + k >= tvb:len() then return nil, nil end
    local b = tvb(at + k, 1):uint()
    if string.format("%02x", b) ~= string.sub(a.stop, 2 * k + 1, 2 * k + 2) then
      return nil, string.format("the ASCII length is followed by 0x%02x, not its end bytes %s", b, a.stop)
    end
  end
  return value, digits + a.stop_len
end

-- RESP: what follows each type byte: a line, a bulk body, an aggregate
-- of this many values per count, or an attribute.
local RESP = {
  [43] = "simple", [45] = "error", [58] = "integer", [95] = "null", [44] = "double",
  [35] = "boolean", [40] = "big_number", [36] = "bulk", [33] = "bulk_error",
  [61] = "verbatim", [42] = "array", [126] = "set", [62] = "push", [37] = "map",
  [124] = "attribute",
}
local RESP_SHAPE = {
  bulk = "bulk", bulk_error = "bulk", verbatim = "bulk", array = 1, set = 1, push = 1,
  map = 2, attribute = "attribute",
}
local RESP_MAX_DEPTH = 32

-- A value of an aggregate ended (the stack holds the values each open
-- aggregate still owes, the frame's one value at the bottom): whether the
-- frame ends.
local function resp_done(stack)
  while true do
    stack[#stack] = stack[#stack] - 1
    if stack[#stack] > 0 then return false end
    table.remove(stack)
    if #stack == 0 then return true end
  end
end

-- The RESP value at `offset`: its length in bytes, or nil (more bytes
-- needed), or nil and what is wrong (as decode says it).
local function resp_len(side, tvb, offset)
  local n = tvb:len()
  local at = offset
  local stack = { 1 }
  local function crlf(pos)
    if pos >= n then return nil end
    local b = tvb(pos, 1):uint()
    if b ~= 13 then return nil, string.format("a line does not end with \\r\\n (0x%02x came)", b) end
    if pos + 1 >= n then return nil end
    b = tvb(pos + 1, 1):uint()
    if b ~= 10 then return nil, string.format("a line does not end with \\r\\n (0x%02x came)", b) end
    return true
  end
  while true do
    if at >= n then return nil end
    local byte = tvb(at, 1):uint()
    local kind = RESP[byte]
    if kind == nil then return nil, string.format("0x%02x is not a RESP type byte", byte) end
    at = at + 1
    local shape = RESP_SHAPE[kind]
    local ended
    if shape == nil then
      -- A line: up to its \r\n.
      while true do
        if at >= n then return nil end
        if tvb(at, 1):uint() == 13 then break end
        at = at + 1
      end
      local ok, why = crlf(at)
      if not ok then return nil, why end
      at = at + 2
      ended = resp_done(stack)
    else
      local value, digits, neg = 0, 0, false
      while true do
        if at >= n then return nil end
        local b = tvb(at, 1):uint()
        if b >= 48 and b <= 57 then
          if digits == 19 then return nil, "a length has more than 19 digits" end
          value = value * 10 + b - 48
          digits = digits + 1
          if not neg and at - offset + value > side.max_payload then
            return nil, string.format("a length announces more than %.0f bytes", side.max_payload)
          end
        elseif b == 45 and digits == 0 and not neg then
          neg = true
        elseif b == 63 and digits == 0 and not neg then
          return nil, "a streamed string or aggregate (not supported)"
        elseif b == 13 and digits > 0 then
          break
        else
          return nil, string.format("a length is not decimal digits (0x%02x came)", b)
        end
        at = at + 1
      end
      -- `-1` is RESP2's null bulk string or array, and nothing else.
      if neg and not ((byte == 36 or byte == 42) and value == 1 and digits == 1) then
        return nil, "a length is not decimal digits (0x2d came)"
      end
      local ok, why = crlf(at)
      if not ok then return nil, why end
      at = at + 2
      if neg then
        ended = resp_done(stack)
      elseif shape == "bulk" then
        if at + value >= n then return nil end
        ok, why = crlf(at + value)
        if not ok then return nil, why end
        at = at + value + 2
        ended = resp_done(stack)
      else
        local values = value
        if shape == "attribute" then
          -- Its pairs, then the value it annotates, still owed.
          values = 2 * value
          stack[#stack] = stack[#stack] + 1
        else
          values = shape * value
        end
        if values == 0 then
          ended = resp_done(stack)
        else
          table.insert(stack, values)
          if #stack - 1 > RESP_MAX_DEPTH then
            return nil, "aggregates nest deeper than " .. RESP_MAX_DEPTH
          end
        end
      end
    end
    if ended then return at - offset end
  end
end

-- The head's length and the payload's, or nil and why (nil, nil: more
-- bytes needed).
local function lengths(side, tvb, offset)
  local head = side.header_len
  if tvb:len() - offset < head then return nil, nil end
  local n
  if side.lines then
    -- The payload is what comes before the delimiter, searched in
    -- growing windows up to the longest frame and the delimiter.
    local stop = side.lines.stop
    local limit = side.max_payload + #stop
    local want = 256
    while true do
      local len = math.min(tvb:len() - offset, want, limit)
      local at = nil
      if len > 0 then at = string.find(tvb:raw(offset, len), stop, 1, true) end
      if at then
        n = at - 1
        break
      end
      if len >= limit then
        return nil, string.format("a line longer than %.0f bytes (no delimiter)", side.max_payload)
      end
      if len < want then return nil, nil end
      want = want * 4
    end
  elseif side.resp then
    -- The whole value is the payload.
    local why
    n, why = resp_len(side, tvb, offset)
    if n == nil then return nil, why end
    return 0, n
  elseif side.ascii then
    local size
    n, size = ascii(side.ascii, tvb, offset + head)
    if n == nil then return nil, size end
    head = head + size
  elseif side.length then
    local l = side.length
    n = read(tvb, offset + l.offset, l.size, "uint", side.le)
    if type(n) ~= "number" then n = tonumber(tostring(n)) end
    if l.signed and n >= 2 ^ (8 * l.size - 1) then n = n - 2 ^ (8 * l.size) end
  elseif side.varint then
    local size
    n, size = varint(tvb, offset + head, side.varint_max)
    if n == nil then
      if size == false then return nil, "the varint length is longer than " .. side.varint_max .. " bytes" end
      return nil, nil
    end
    head = head + size
  else
    n = 0
  end
  local payload = n + side.adjust
  if payload < 0 or payload > side.max_payload then
    return nil, string.format("payload length %.0f is outside 0..%.0f", payload, side.max_payload)
  end
  return head, payload
end

local function direction(pinfo)
  local server = PORT
  if server == 0 then server = pinfo.match_uint end
  if pinfo.dst_port == server then return "up", UP end
  return "down", DOWN
end

-- Whether the bytes at `offset` are the preface (true), its start (nil:
-- more bytes needed), or not it (false).
local function at_preface(side, tvb, offset)
  if side.preface_len == 0 then return false end
  local n = math.min(side.preface_len, tvb:len() - offset)
  if n <= 0 then return false end
  if tvb(offset, n):bytes():tohex(true) ~= string.sub(side.preface, 1, 2 * n) then return false end
  if n < side.preface_len then return nil end
  return true
end

-- A preface that ends at given bytes, at `offset`: its length, or nil
-- (more bytes needed), or nil and true (no end in its first `max` bytes).
local function upto_len(side, tvb, offset)
  local u = side.upto
  local n = math.min(tvb:len() - offset, u.max)
  if n <= 0 then return nil end
  local at = string.find(tvb:raw(offset, n), u.stop, 1, true)
  if at then return at - 1 + #u.stop end
  if n >= u.max then return nil, true end
  return nil
end

-- Where each direction of each TCP stream is: "preface" (a preface that
-- ends at given bytes comes first), "first" (the first frame, in its own
-- layout), "frames", or "broken" (after a malformed length or preface,
-- where decode stops too: the rest is not dissected). Learnt on the first
-- pass, in stream order; a packet dissected again (Wireshark's GUI)
-- starts each of its calls where that call started the first time.
local F_STREAM = Field.new("tcp.stream")
local streams = {}
local starts = {}
local seen = { number = -1, calls = 0 }
local STATE = { stage = "frames" }

-- A new capture (or the same one read again): its streams are new.
function proto.init()
  streams = {}
  starts = {}
  seen = { number = -1, calls = 0 }
end

local function initial(side)
  if side.upto then return "preface" end
  if side.first then return "first" end
  return "frames"
end

-- The layout a frame at `stage` has.
local function layout_of(side, stage)
  if stage == "first" then return side.first end
  return side
end

local function pdu_len(tvb, pinfo, offset)
  local _, side = direction(pinfo)
  local stage = STATE.stage
  if stage == "broken" then return tvb:len() - offset end
  if stage == "preface" then
    local n, bad = upto_len(side, tvb, offset)
    if n ~= nil then return n end
    if bad then return tvb:len() - offset end
    return 0
  end
  local preface = at_preface(side, tvb, offset)
  if preface == nil then return 0 end
  if preface then return side.preface_len end
  local lay = layout_of(side, stage)
  local head, payload = lengths(lay, tvb, offset)
  if head == nil then
    if payload == nil then return 0 end
    -- A bad length: the rest is shown as one PDU, with the error.
    return tvb:len() - offset
  end
  return head + payload + lay.trailer_len + lay.frame_end_len
end

local function dissect_pdu(tvb, pinfo, tree)
  local dir, side = direction(pinfo)
  local stage = STATE.stage
  pinfo.cols.protocol = NAME
  if stage == "broken" then
    tree:add(proto, tvb(), NAME .. " (" .. dir .. ", not dissected: after a malformed length or preface)")
    pinfo.cols.info:append(" " .. dir .. ": not dissected")
    return tvb:len()
  end
  if stage == "preface" then
    local n, bad = upto_len(side, tvb, 0)
    local item = tree:add(proto, tvb(), NAME .. " (" .. dir .. ", preface)")
    local preface_item = item:add(F_PREFACE, tvb(0, n or tvb:len()))
    if n == nil then
      preface_item:add_proto_expert_info(E_LENGTH, "the preface has no end bytes in its first " ..
        side.upto.max .. " bytes")
      STATE.stage = "broken"
    else
      STATE.stage = side.first and "first" or "frames"
    end
    pinfo.cols.info:append(" " .. dir .. ": preface")
    return n or tvb:len()
  end
  if tvb:len() == side.preface_len and at_preface(side, tvb, 0) then
    local item = tree:add(proto, tvb(), NAME .. " (" .. dir .. ", preface)")
    item:add(F_PREFACE, tvb())
    pinfo.cols.info:append(" " .. dir .. ": preface")
    return tvb:len()
  end
  local lay = layout_of(side, stage)
  local label = dir
  if stage == "first" then label = dir .. ", first frame" end
  local item = tree:add(proto, tvb(), NAME .. " (" .. label .. ")")
  local head, payload = lengths(lay, tvb, 0)
  for _, f in ipairs(lay.fields) do
    if f.offset + f.size > tvb:len() then break end
    local r = tvb(f.offset, f.size)
    local v = read(tvb, f.offset, f.size, f.read, lay.le)
    local field_item
    if v == nil then field_item = item:add(f.field, r) else field_item = item:add(f.field, r, v) end
    if f.constant ~= nil then
      local got = text(tvb, f.offset, f.size, f.read, lay.le)
      if got ~= f.constant then
        field_item:add_proto_expert_info(E_CONSTANT, string.format(
          "value %d is %s, expected the constant %s", f.index, got, f.constant))
      end
    end
  end
  if head == nil then
    item:add_proto_expert_info(E_LENGTH, payload or "cut short")
    STATE.stage = "broken"
    pinfo.cols.info:append(" " .. dir .. ": malformed")
    return tvb:len()
  end
  if stage == "first" then STATE.stage = "frames" end
  local at = head
  -- The length's bytes: an ASCII or varint length's, else the head's
  -- (RESP: the value's).
  local length_range = tvb(0, math.max(head, 1))
  if head > lay.header_len then length_range = tvb(lay.header_len, head - lay.header_len) end
  item:add(F_LENGTH, length_range, UInt64.new(payload))
  if payload > 0 then item:add(F_PAYLOAD, tvb(at, payload)) end
  if lay.resp then item:add(F_RESP, tvb(0, 1), RESP[tvb(0, 1):uint()]) end
  at = at + payload
  if lay.trailer_len > 0 then
    local r = tvb(at, lay.trailer_len)
    local trailer_item = item:add(F_TRAILER, r)
    trailer_item:append_text(" (" .. lay.trailer_name .. ")")
    local from, len = 0, at
    if lay.crc.payload_only then from, len = head, payload end
    local want = crc(lay.crc, tvb, from, len, 2 * lay.trailer_len)
    local got = r:bytes():tohex(true)
    if got ~= want then
      trailer_item:add_proto_expert_info(E_CHECKSUM, "the " .. lay.trailer_name ..
        " checksum is " .. got .. ", the bytes give " .. want)
    end
    at = at + lay.trailer_len
  end
  if lay.frame_end_len > 0 then
    local r = tvb(at, lay.frame_end_len)
    local end_item = item:add(F_FRAME_END, r)
    if r:bytes():tohex(true) ~= lay.frame_end then
      end_item:add_proto_expert_info(E_CONSTANT, "the frame end is " .. r:bytes():tohex(true) ..
        ", expected " .. lay.frame_end)
    end
    at = at + lay.frame_end_len
  end
  pinfo.cols.info:append(" " .. label .. ": " .. payload .. " bytes")
  return at
end

function proto.dissector(tvb, pinfo, tree)
  pinfo.cols.info:clear()
  pinfo.cols.info:set(NAME)
  local dir, side = direction(pinfo)
  if seen.number ~= pinfo.number then seen.number, seen.calls = pinfo.number, 0 end
  seen.calls = seen.calls + 1
  local call = pinfo.number .. ":" .. seen.calls
  local key
  if pinfo.visited then
    STATE.stage = starts[call] or initial(side)
  else
    local stream = F_STREAM()
    key = (stream and tostring(stream.value) or "?") .. ":" .. dir
    STATE.stage = streams[key] or initial(side)
    starts[call] = STATE.stage
  end
  -- The fixed part: the header, and a varint length's first byte or an
  -- ASCII length's first digit and end (the fewest of this stage's and the
  -- next's: pdu_len asks for more when it needs it).
  local min = 1
  if STATE.stage == "first" then
    min = math.min(side.first.min_len, side.min_len)
  elseif STATE.stage == "frames" then
    min = side.min_len
  end
  dissect_tcp_pdus(tvb, tree, min, pdu_len, dissect_pdu, true)
  if key then streams[key] = STATE.stage end
  return tvb:len()
end

local tcp_port = DissectorTable.get("tcp.port")
tcp_port:add_for_decode_as(proto)
if PORT ~= 0 then
  tcp_port:add(PORT, proto)
end
"#;

/// `framing dissector`.
pub fn dissector(header: &HeaderArgs, args: &DissectorArgs, argv: &[String]) -> Result<(), Fail> {
    let up = header.layout_of(Side::Client)?;
    let down = args.down.over(header).layout().map_err(|e| match e {
        Fail::Usage(m) => Fail::Usage(format!("down: {m}")),
        other => other,
    })?;
    let name = match &args.name {
        Some(n) => n.clone(),
        None => match &header.protocol {
            Some(p) => format!("framing_{}", p.replace('-', "_")),
            None => "framing".into(),
        },
    };
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        || !name.as_bytes()[0].is_ascii_lowercase()
    {
        return Err(Fail::Usage(format!(
            "invalid --name {name:?}: lowercase letters, digits and _, starting with a letter"
        )));
    }
    let same = up == down;
    let (up_decls, up_table) = side(
        &up,
        "UP",
        &if same {
            format!("{name}.")
        } else {
            format!("{name}.up.")
        },
        "up",
    )?;
    let (down_decls, down_table) = if same {
        (String::new(), "local DOWN = UP\n".to_string())
    } else {
        side(&down, "DOWN", &format!("{name}.down."), "down")?
    };
    let mut lua = String::new();
    let _ = writeln!(
        lua,
        "-- A Wireshark dissector generated by `framing dissector{}`.",
        argv.iter()
            .map(|a| {
                let shown: String = a
                    .chars()
                    .map(|c| if c.is_control() { '?' } else { c })
                    .collect();
                format!(" {shown}")
            })
            .collect::<String>()
    );
    lua.push_str(
        "-- Load it with `tshark -X lua_script:THIS_FILE` or `wireshark -X lua_script:THIS_FILE`,\n\
         -- or copy it to Wireshark's personal Lua plugins folder.\n",
    );
    let _ = writeln!(lua, "local NAME = {}", lua_str(&name));
    let _ = writeln!(lua, "local PORT = {}", args.port.unwrap_or(0));
    let _ = writeln!(
        lua,
        "local proto = Proto(NAME, {})",
        lua_str(&format!("{name} frames (framing)"))
    );
    lua.push_str(&up_decls);
    lua.push_str(&down_decls);
    let _ = writeln!(
        lua,
        "local F_LENGTH = ProtoField.uint64({}, \"Payload length\")",
        lua_str(&format!("{name}.length"))
    );
    let _ = writeln!(
        lua,
        "local F_PAYLOAD = ProtoField.bytes({}, \"Payload\")",
        lua_str(&format!("{name}.payload"))
    );
    let _ = writeln!(
        lua,
        "local F_TRAILER = ProtoField.bytes({}, \"Trailer\")",
        lua_str(&format!("{name}.trailer"))
    );
    let _ = writeln!(
        lua,
        "local F_FRAME_END = ProtoField.bytes({}, \"Frame end\")",
        lua_str(&format!("{name}.frame_end"))
    );
    let _ = writeln!(
        lua,
        "local F_PREFACE = ProtoField.bytes({}, \"Preface\")",
        lua_str(&format!("{name}.preface"))
    );
    let _ = writeln!(
        lua,
        "local F_RESP = ProtoField.string({}, \"RESP type\")",
        lua_str(&format!("{name}.resp"))
    );
    let _ = writeln!(
        lua,
        "local E_CONSTANT = ProtoExpert.new({}, \"A constant differs\", expert.group.MALFORMED, \
         expert.severity.ERROR)",
        lua_str(&format!("{name}.constant"))
    );
    let _ = writeln!(
        lua,
        "local E_LENGTH = ProtoExpert.new({}, \"A bad length\", expert.group.MALFORMED, \
         expert.severity.ERROR)",
        lua_str(&format!("{name}.bad_length"))
    );
    let _ = writeln!(
        lua,
        "local E_CHECKSUM = ProtoExpert.new({}, \"A bad checksum\", expert.group.CHECKSUM, \
         expert.severity.ERROR)",
        lua_str(&format!("{name}.bad_checksum"))
    );
    lua.push_str(&up_table);
    lua.push_str(&down_table);
    // Every field of both sides, once.
    lua.push_str(
        "local all = { F_LENGTH, F_PAYLOAD, F_TRAILER, F_FRAME_END, F_PREFACE, F_RESP }\n",
    );
    lua.push_str(
        "for _, s in ipairs({ UP, UP.first or false, DOWN ~= UP and DOWN or false, \
         DOWN ~= UP and DOWN.first or false }) do\n  \
         if s then for _, f in ipairs(s.fields) do table.insert(all, f.field) end end\nend\n",
    );
    lua.push_str("proto.fields = all\n");
    lua.push_str("proto.experts = { E_CONSTANT, E_LENGTH, E_CHECKSUM }\n");
    lua.push_str(BODY);
    print!("{lua}");
    Ok(())
}
