//! What `serve` and `tap` print, and the options that choose it: one line
//! per frame with its time, connection, direction, index and byte offset;
//! JSON, text or a hexdump; colour; a snap length; and filters that choose
//! which frames are printed (never which are forwarded).

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use anstyle::{AnsiColor, Style};
use clap::Args;
use framing_core::{Format, Frame, Recovery, Value};
use serde_json::{json, Map, Value as Json};

use crate::options::{parse_field, Constant};
use crate::show;
use crate::Fail;

/// How `serve` and `tap` print frames.
#[derive(Args, Debug, Clone)]
pub struct ShowArgs {
    /// Print frames as JSON lines, with the keys "ts" (RFC 3339, UTC),
    /// "conn" (the connection's number, from 1), "peer", "dir" ("up":
    /// from the client, "down": from the upstream), "index" (the frame's
    /// number in its direction, from 1), "offset" (its first byte's offset
    /// in its direction), and "text" beside "payload_hex" when the payload
    /// is UTF-8.
    #[arg(long)]
    pub json: bool,
    /// Print each payload as a hexdump (offset, hex and ASCII columns)
    /// under its frame's line.
    #[arg(long, conflicts_with = "json")]
    pub hexdump: bool,
    /// Colour the direction of each line: `auto` when stdout is a terminal
    /// and NO_COLOR is unset, `always`, or `never`.
    #[arg(long, value_name = "WHEN", value_parser = ["auto", "always", "never"],
          default_value = "auto")]
    pub color: String,
    /// Print at most BYTES of each payload (as tcpdump's snap length);
    /// "length" keeps the payload's length and "caplen" says how much is
    /// shown.
    #[arg(long, value_name = "BYTES")]
    pub snaplen: Option<usize>,
    /// Print only frames whose header value N equals VALUE (written as for
    /// --field). Repeatable: all must match.
    #[arg(long = "match", value_name = "N=VALUE")]
    pub matches: Vec<String>,
    /// Print only frames with a payload of at least BYTES.
    #[arg(long, value_name = "BYTES")]
    pub min_len: Option<u64>,
    /// Print only frames with a payload of at most BYTES.
    #[arg(long, value_name = "BYTES")]
    pub max_len: Option<u64>,
}

/// A line for the printer: made, or made by the printer thread (with what
/// it will weigh in the queue, in bytes).
pub(crate) enum Line {
    Ready(Vec<u8>),
    Later(usize, Box<dyn FnOnce() -> Vec<u8> + Send>),
}

/// A direction of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    /// From the client (to the upstream, or to `serve`).
    Up,
    /// From the upstream, back to the client.
    Down,
}

impl Dir {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Dir::Up => "up",
            Dir::Down => "down",
        }
    }

    fn index(self) -> usize {
        match self {
            Dir::Up => 0,
            Dir::Down => 1,
        }
    }
}

/// The connection and direction a line is about.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ctx {
    pub(crate) conn: u64,
    pub(crate) peer: SocketAddr,
    pub(crate) dir: Dir,
    /// When the line's bytes were seen: a capture's time (`decode
    /// --pcap`); `None`: now.
    pub(crate) at: Option<SystemTime>,
}

/// How lines are printed and which, ready to use.
#[derive(Debug)]
pub(crate) struct View {
    pub(crate) json: bool,
    hexdump: bool,
    color: bool,
    snaplen: Option<usize>,
    /// The --match values, per direction.
    matches: [Vec<(usize, Constant)>; 2],
    min_len: u64,
    max_len: u64,
    /// Whether each direction is printed (--dir).
    shown: [bool; 2],
}

impl View {
    /// The view for `args`; `formats` are the header formats up and down
    /// (`None` for a framing without a header), `dir` the --dir choice.
    pub(crate) fn new(
        args: &ShowArgs,
        formats: [Option<&Format>; 2],
        dir: Option<&str>,
    ) -> Result<View, Fail> {
        let shown = match dir {
            Some("up") => [true, false],
            Some("down") => [false, true],
            _ => [true, true],
        };
        let mut matches = [Vec::new(), Vec::new()];
        for (i, format) in formats.iter().enumerate() {
            if !shown[i] {
                continue;
            }
            for spec in &args.matches {
                let Some(format) = format else {
                    return Err(Fail::Usage(format!(
                        "invalid --match {spec:?}: this framing has no header values"
                    )));
                };
                let parsed = parse_field(spec, format).map_err(|e| match e {
                    Fail::Usage(m) | Fail::Data(m) => {
                        Fail::Usage(m.replacen("--field", "--match", 1))
                    }
                })?;
                matches[i].push(parsed);
            }
        }
        let color = match args.color.as_str() {
            "always" => true,
            "never" => false,
            _ => std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal(),
        };
        Ok(View {
            json: args.json,
            hexdump: args.hexdump,
            color,
            snaplen: args.snaplen,
            matches,
            min_len: args.min_len.unwrap_or(0),
            max_len: args.max_len.unwrap_or(u64::MAX),
            shown,
        })
    }

    /// Whether lines of `dir` are printed at all.
    pub(crate) fn shows(&self, dir: Dir) -> bool {
        self.shown[dir.index()]
    }

    /// Whether `frame` passes the filters.
    fn selects(&self, dir: Dir, frame: &Frame<'_>) -> bool {
        let len = frame.payload().len() as u64;
        if len < self.min_len || len > self.max_len || !self.shows(dir) {
            return false;
        }
        let header = frame.header();
        self.matches[dir.index()]
            .iter()
            .all(|(n, want)| header.value(*n).is_some_and(|v| equals(want, &v)))
    }

    /// What a text line starts with: `TS #CONN PEER DIR: `.
    pub(crate) fn prefix(&self, ctx: &Ctx, ts: &str) -> String {
        let dir = ctx.dir.name();
        if self.color {
            let style = Style::new().fg_color(Some(
                match ctx.dir {
                    Dir::Up => AnsiColor::Green,
                    Dir::Down => AnsiColor::Cyan,
                }
                .into(),
            ));
            format!("{ts} #{} {} {style}{dir}{style:#}: ", ctx.conn, ctx.peer)
        } else {
            format!("{ts} #{} {} {dir}: ", ctx.conn, ctx.peer)
        }
    }

    /// The keys every JSON line of `ctx` gets.
    pub(crate) fn keys(obj: &mut Map<String, Json>, ctx: &Ctx, ts: String) {
        obj.insert("ts".into(), json!(ts));
        obj.insert("conn".into(), json!(ctx.conn));
        obj.insert("peer".into(), json!(ctx.peer.to_string()));
        obj.insert("dir".into(), json!(ctx.dir.name()));
    }

    /// The line for a frame (`index` from 1, `offset` of its first byte in
    /// its direction), or `None` when the filters leave it out. What is
    /// cheap is done here; the payload's hex, text and hexdump, which cost
    /// in proportion to it, are made by the printer thread
    /// ([`Line::Later`]), so that printing never slows forwarding.
    pub(crate) fn frame_line(
        &self,
        ctx: &Ctx,
        frame: &Frame<'_>,
        index: u64,
        offset: u64,
    ) -> Option<Line> {
        if !self.selects(ctx.dir, frame) {
            return None;
        }
        let ts = stamp(ctx);
        let whole = frame.payload().len();
        // One copy of what is shown (a masked WebSocket payload unmasked in
        // it), not of the whole payload first.
        let mut shown = frame.payload()[..self.snaplen.unwrap_or(usize::MAX).min(whole)].to_vec();
        if let Some(head) = frame.websocket() {
            head.unmask(0, &mut shown);
        }
        // What the line will weigh in the printer's queue.
        let cost = 256 + 4 * shown.len();
        if self.json {
            let mut obj = Map::new();
            show::kind_keys(frame, &mut obj);
            obj.insert("length".into(), json!(whole));
            if !frame.trailer().is_empty() {
                obj.insert("trailer".into(), json!(show::hex(frame.trailer())));
            }
            Self::keys(&mut obj, ctx, ts);
            obj.insert("index".into(), json!(index));
            obj.insert("offset".into(), json!(offset));
            Some(Line::Later(
                cost,
                Box::new(move || {
                    obj.insert("payload_hex".into(), json!(show::hex(&shown)));
                    let cut = shown.len() < whole;
                    if cut {
                        obj.insert("caplen".into(), json!(shown.len()));
                    }
                    if let Some(text) = text(&shown, cut) {
                        obj.insert("text".into(), json!(text));
                    }
                    let mut line = Json::Object(obj).to_string().into_bytes();
                    line.push(b'\n');
                    line
                }),
            ))
        } else {
            let mut s = self.prefix(ctx, &ts);
            s.push_str(&show::human_head(frame, index, offset));
            let trailer = frame.trailer().to_vec();
            let hexdump = self.hexdump;
            Some(Line::Later(
                cost,
                Box::new(move || {
                    s.push_str(&show::human_payload(&shown, whole, &trailer));
                    if hexdump && !shown.is_empty() {
                        let cfg = pretty_hex::HexConfig {
                            title: false,
                            group: 2,
                            ..Default::default()
                        };
                        for row in pretty_hex::config_hex(&shown, cfg).lines() {
                            s.push_str("\n    ");
                            s.push_str(row);
                        }
                    }
                    s.push('\n');
                    s.into_bytes()
                }),
            ))
        }
    }

    /// The line for a recovery report (what --resync or --discard-oversize
    /// skipped), in order with the frames.
    pub(crate) fn report_line(&self, ctx: &Ctx, report: &Recovery) -> Option<Line> {
        if !self.shows(ctx.dir) {
            return None;
        }
        let ts = stamp(ctx);
        let mut line = if self.json {
            let mut extra = Map::new();
            Self::keys(&mut extra, ctx, ts);
            let extra: Vec<(&str, Json)> =
                extra.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            show::recovery_json(report, &extra)
        } else {
            format!("{}{report}", self.prefix(ctx, &ts))
        };
        line.push('\n');
        Some(Line::Ready(line.into_bytes()))
    }

    /// The line for a preface: `{"preface_hex": ...}` with the keys, or
    /// `preface: N bytes ...`.
    pub(crate) fn preface_line(&self, ctx: &Ctx, bytes: &[u8]) -> Option<Line> {
        if !self.shows(ctx.dir) {
            return None;
        }
        let ts = stamp(ctx);
        let mut line = if self.json {
            let mut extra = Map::new();
            Self::keys(&mut extra, ctx, ts);
            let extra: Vec<(&str, Json)> =
                extra.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            show::preface_json(bytes, &extra)
        } else {
            format!("{}{}", self.prefix(ctx, &ts), show::preface_human(bytes))
        };
        line.push('\n');
        Some(Line::Ready(line.into_bytes()))
    }

    /// The line saying what stopped the printing of a direction, and where.
    pub(crate) fn error_line(&self, ctx: &Ctx, why: &str, offset: Option<u64>) -> Option<Vec<u8>> {
        if !self.shows(ctx.dir) {
            return None;
        }
        let ts = stamp(ctx);
        let mut line = if self.json {
            let mut obj = Map::new();
            obj.insert("error".into(), json!(why));
            if let Some(offset) = offset {
                obj.insert("offset".into(), json!(offset));
            }
            Self::keys(&mut obj, ctx, ts);
            Json::Object(obj).to_string()
        } else {
            format!("{}error: {why} (forwarding goes on)", self.prefix(ctx, &ts))
        };
        line.push('\n');
        Some(line.into_bytes())
    }
}

/// The line's time (`ctx.at`, else now), RFC 3339 in UTC with microseconds.
pub(crate) fn stamp(ctx: &Ctx) -> String {
    humantime::format_rfc3339_micros(ctx.at.unwrap_or_else(SystemTime::now)).to_string()
}

/// `bytes` as text if they are UTF-8 (`cut`: they are the start of a longer
/// payload, so a character cut at the end is left out).
fn text(bytes: &[u8], cut: bool) -> Option<&str> {
    match std::str::from_utf8(bytes) {
        Ok(t) => Some(t),
        Err(e) if cut && e.error_len().is_none() => {
            std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()
        }
        Err(_) => None,
    }
}

/// Whether header value `v` is the --match constant `want`.
fn equals(want: &Constant, v: &Value<'_>) -> bool {
    match (want, v) {
        (Constant::Int(a), Value::Int(b)) => a == b,
        (Constant::Bool(a), Value::Bool(b)) => a == b,
        (Constant::Float(a), Value::Float(b)) => a == b,
        (Constant::Bytes(a), Value::Bytes(b)) => a.as_slice() == *b,
        _ => false,
    }
}

/// Counts for the summary at the end, per direction.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Connections accepted and served.
    pub(crate) connections: AtomicU64,
    /// Connections refused at accept.
    pub(crate) refused: AtomicU64,
    frames: [AtomicU64; 2],
    bytes: [AtomicU64; 2],
    failed: [AtomicU64; 2],
}

impl Stats {
    /// Counts `bytes` read in direction `dir` for one item: a frame
    /// (header, payload and trailer; `frame` is true), or a preface or the
    /// bytes a recovery report skipped (only their bytes count).
    pub(crate) fn item(&self, dir: Dir, bytes: u64, frame: bool) {
        let i = dir.index();
        self.frames[i].fetch_add(u64::from(frame), Ordering::Relaxed);
        self.bytes[i].fetch_add(bytes, Ordering::Relaxed);
    }

    /// Counts a direction that ended in an error.
    pub(crate) fn failed(&self, dir: Dir) {
        self.failed[dir.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// The summary, one line: connections, then each direction in `dirs`.
    pub(crate) fn summary(&self, dirs: &[Dir]) -> String {
        let mut s = format!(
            "summary: {} connections, {} refused",
            self.connections.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed)
        );
        for dir in dirs {
            let i = dir.index();
            s.push_str(&format!(
                "; {}: {} frames ({} bytes), {} ended in an error",
                dir.name(),
                self.frames[i].load(Ordering::Relaxed),
                self.bytes[i].load(Ordering::Relaxed),
                self.failed[i].load(Ordering::Relaxed)
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_given_for_utf8_and_a_cut_character_is_left_out() {
        assert_eq!(text(b"hi", false), Some("hi"));
        assert_eq!(text(b"\xff", false), None);
        // "é" is c3 a9: cut after c3.
        assert_eq!(text(b"a\xc3", true), Some("a"));
        assert_eq!(text(b"a\xc3", false), None);
    }

    #[test]
    fn match_compares_by_kind() {
        assert!(equals(&Constant::Int(7), &Value::Int(7)));
        assert!(!equals(&Constant::Int(7), &Value::Int(8)));
        assert!(!equals(&Constant::Int(1), &Value::Bool(true)));
        assert!(equals(
            &Constant::Bytes(b"ab".to_vec()),
            &Value::Bytes(b"ab")
        ));
    }
}
