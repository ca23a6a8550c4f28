//! The protocol presets (`--protocol NAME`, issue 22) against each
//! protocol's real implementation: for every preset and side, a generator in
//! tests/python/protocols/ has the library itself (paho-mqtt, pymodbus,
//! kafka-python, h2, py-amqp and pika, pg8000, CPython's ssl, dnspython,
//! protobuf, rfc5424-logging-handler, pynetstring, wsproto, redis-py) produce
//! the bytes of a realistic exchange and say what the frames are; `framing
//! decode --protocol NAME --from SIDE --json` must print exactly those
//! frames, from a file and from stdin in random pieces. HTTP/2 and
//! PostgreSQL also run live through `framing tap --protocol NAME`, and
//! `framing encode --protocol NAME` output is read back by the library for
//! MQTT, DNS over TCP, Kafka and the HTTP/2 server side.
//!
//! The interpreter: `FRAMING_PYTHON` (set by .ci/run), else
//! target/pyenv/bin/python3 (the venv .ci/run makes), else `python3` on
//! PATH; without one the tests fail under CI and are skipped otherwise. A
//! library that is not installed (pip could not install it) and a preset
//! that `framing protocols` does not list yet are skipped with a message
//! naming them; a mismatch is always a failure. Every wait is bounded.

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, OnceLock};
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

use common::BIN;

const LIMIT: Duration = Duration::from_secs(60);
const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/protocols");

/// Waits for `child` within [`LIMIT`], killing it if it overstays.
fn finish(child: Child, what: &str) -> Output {
    common::finish_within(child, LIMIT, what)
}

/// Runs `cmd` with `input` on stdin, written whole or, with `seed`, in
/// random pieces of 1 to 3000 bytes, each flushed on its own.
fn run(mut cmd: Command, input: &[u8], seed: Option<u64>, what: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = thread::spawn(move || {
        let mut rest = &input[..];
        let mut state = seed.unwrap_or(0) | 1;
        while !rest.is_empty() {
            let n = match seed {
                None => rest.len(),
                Some(_) => {
                    // xorshift64: pieces from 1 to 3000 bytes.
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let n = if state.is_multiple_of(4) { 3000 } else { 40 };
                    1 + (state >> 8) as usize % n
                }
            };
            let n = n.min(rest.len());
            if stdin.write_all(&rest[..n]).is_err() || stdin.flush().is_err() {
                return; // the reader stopped early: its output says why
            }
            rest = &rest[n..];
        }
    });
    let out = finish(child, what);
    writer.join().unwrap();
    out
}

/// The names `framing protocols` lists (the first word of each line);
/// empty while the command does not exist.
fn listed() -> &'static HashSet<String> {
    static NAMES: OnceLock<HashSet<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let out = Command::new(BIN)
            .arg("protocols")
            .stdin(Stdio::null())
            .output()
            .expect("run framing protocols");
        if !out.status.success() {
            return HashSet::new();
        }
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_string)
            .collect()
    })
}

/// Runs `tests/python/protocols/SCRIPT` with `args` and `input`; its JSON.
fn script(python: &Path, name: &str, args: &[&str], input: &[u8]) -> Value {
    let mut cmd = Command::new(python);
    cmd.arg("-u").arg(format!("{SCRIPTS}/{name}")).args(args);
    let out = run(cmd, input, None, name);
    assert!(
        out.status.success(),
        "{name} {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{name} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The python interpreter and the generator's report for `protocol`, or
/// `None` (with a message) when the preset is not listed yet, there is no
/// interpreter, or the library is missing.
fn prepare(protocol: &str) -> Option<(PathBuf, Value)> {
    let python = common::python()?;
    if !listed().contains(protocol) {
        eprintln!(
            "skipped {protocol}: `framing protocols` does not list it (yet); \
             the check runs once the preset exists"
        );
        return None;
    }
    let report = script(&python, &generator(protocol), &[], b"");
    if let Some(why) = report["skip"].as_str() {
        eprintln!("skipped {protocol}: {why} (.ci/run installs it; see its pip step)");
        return None;
    }
    Some((python, report))
}

fn generator(protocol: &str) -> String {
    format!("{}_peer.py", protocol.replace('-', "_"))
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex {s:?}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 160 {
        format!("{}...({} chars)", &s[..160], s.len())
    } else {
        s
    }
}

/// A header value as the library gives it against the one printed: equal,
/// or the same unsigned number once as an integer and once as hex bytes
/// (big-endian), as a `3s` length or a `c` byte may print.
fn field_matches(expected: &Value, got: &Value) -> bool {
    if expected == got {
        return true;
    }
    let as_number = |v: &Value| -> Option<u128> {
        match v {
            Value::Number(n) => n.as_u64().map(u128::from),
            Value::String(s) if !s.is_empty() && s.len() <= 32 => u128::from_str_radix(s, 16).ok(),
            _ => None,
        }
    };
    match (expected, got) {
        (Value::Number(_), Value::String(_)) | (Value::String(_), Value::Number(_)) => {
            as_number(expected).is_some() && as_number(expected) == as_number(got)
        }
        _ => false,
    }
}

/// Compares the JSON lines `got` (without keys the caller removed) with
/// the library's view of one side: the preface line, then every frame, key
/// by key for the keys the library gives ("note" excepted; "fields" entries
/// that are null are not compared).
fn compare(what: &str, side: &Value, got: &[Value]) {
    let mut got = got;
    if let Some(preface) = side.get("preface_hex") {
        let first = got
            .first()
            .unwrap_or_else(|| panic!("{what}: nothing printed, expected the preface"));
        assert_eq!(
            first.get("preface_hex"),
            Some(preface),
            "{what}: the first line is the preface, got {}",
            short(first)
        );
        got = &got[1..];
    }
    let frames = side["frames"].as_array().unwrap();
    for (i, (want, line)) in frames.iter().zip(got).enumerate() {
        let note = want["note"].as_str().unwrap_or("");
        for (key, value) in want.as_object().unwrap() {
            match key.as_str() {
                "note" => {}
                "fields" => {
                    let printed = line["fields"].as_array().unwrap_or_else(|| {
                        panic!("{what}: frame {i} ({note}) has no fields: {}", short(line))
                    });
                    let wanted = value.as_array().unwrap();
                    assert_eq!(
                        printed.len(),
                        wanted.len(),
                        "{what}: frame {i} ({note}): fields {} printed, the library says {}",
                        short(&line["fields"]),
                        short(value)
                    );
                    for (k, (w, p)) in wanted.iter().zip(printed).enumerate() {
                        assert!(
                            w.is_null() || field_matches(w, p),
                            "{what}: frame {i} ({note}): field {k} printed {p}, the library says {w}"
                        );
                    }
                }
                _ => assert!(
                    line.get(key) == Some(value),
                    "{what}: frame {i} ({note}): {key} printed {}, the library says {}",
                    short(line.get(key).unwrap_or(&Value::Null)),
                    short(value)
                ),
            }
        }
    }
    assert_eq!(
        got.len(),
        frames.len(),
        "{what}: {} frames printed, the library sent {} (first extra: {})",
        got.len(),
        frames.len(),
        got.get(frames.len()).map(short).unwrap_or_default()
    );
}

fn json_lines(out: &Output, what: &str) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: {e}: {l}")))
        .collect()
}

/// `framing decode --protocol NAME --from SIDE --json` on each side's
/// stream: from a file, then from stdin in random pieces.
fn decode_all(protocol: &str, report: &Value) {
    let sides = report["sides"].as_object().unwrap();
    assert!(!sides.is_empty(), "{protocol}: the generator gave no side");
    for (name, side) in sides {
        if let Some(why) = side["skip"].as_str() {
            eprintln!("skipped {protocol} --from {name}: {why}");
            continue;
        }
        let stream = unhex(side["stream_hex"].as_str().unwrap());
        let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{protocol}-{name}.bin"));
        std::fs::write(&file, &stream).unwrap();
        let mut runs = vec![(None, Some(file.clone()))];
        runs.extend([1u64, 2].map(|seed| (Some(seed), None)));
        for (seed, path) in runs {
            let what = format!(
                "decode --protocol {protocol} --from {name} ({})",
                seed.map_or("a file".to_string(), |s| format!(
                    "stdin in pieces, seed {s}"
                ))
            );
            let mut cmd = Command::new(BIN);
            cmd.args(["decode", "--protocol", protocol, "--from", name, "--json"]);
            if let Some(p) = &path {
                cmd.arg(p);
            }
            let input = if path.is_some() { &[][..] } else { &stream[..] };
            let out = run(cmd, input, seed, &what);
            assert!(
                out.status.success(),
                "{what} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            compare(&what, side, &json_lines(&out, &what));
        }
        let _ = std::fs::remove_file(&file);
    }
}

/// `framing encode --protocol NAME --from SIDE` with `fields` as --field
/// options and `payloads` as hex arguments: the bytes written.
fn encode(protocol: &str, side: &str, fields: &[(usize, String)], payloads: &[&str]) -> Vec<u8> {
    let mut cmd = Command::new(BIN);
    cmd.args(["encode", "--protocol", protocol, "--from", side, "--hex"]);
    for (i, v) in fields {
        cmd.arg("--field").arg(format!("{i}={v}"));
    }
    // Long payloads go as hex lines on stdin (an argument is at most 128 KiB).
    let long = payloads.iter().map(|p| p.len()).sum::<usize>() > 64 * 1024;
    let lines = if long {
        payloads.join("\n") + "\n"
    } else {
        cmd.args(payloads);
        String::new()
    };
    let what = format!("encode --protocol {protocol} --from {side}");
    let out = run(cmd, lines.as_bytes(), None, &what);
    assert!(
        out.status.success(),
        "{what} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Each of `side`'s frames encoded on its own with its header values
/// (those at `indices`) as --field options: together they must be the
/// library's stream, byte for byte.
fn encode_each(protocol: &str, name: &str, side: &Value, indices: &[usize]) -> Vec<u8> {
    let mut all = Vec::new();
    for (i, f) in side["frames"].as_array().unwrap().iter().enumerate() {
        let fields: Vec<(usize, String)> = indices
            .iter()
            .map(|&k| {
                let v = &f["fields"][k];
                let v = match v {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s.clone(),
                    other => panic!("field {k} is {other}"),
                };
                (k, v)
            })
            .collect();
        let bytes = encode(
            protocol,
            name,
            &fields,
            &[f["payload_hex"].as_str().unwrap()],
        );
        // Only the first frame of a side carries its preface.
        let bytes = match side.get("preface_hex").and_then(Value::as_str) {
            Some(p) if i > 0 => bytes[p.len() / 2..].to_vec(),
            _ => bytes,
        };
        all.extend(bytes);
    }
    all
}

/// [`encode_each`] on every side the generator gave: the library's stream,
/// byte for byte.
fn encode_matches(protocol: &str, report: &Value, indices: &[usize]) {
    for (name, side) in report["sides"].as_object().unwrap() {
        if side.get("skip").is_some() {
            continue;
        }
        let want = unhex(side["stream_hex"].as_str().unwrap());
        assert_bytes(
            &format!("encode --protocol {protocol} --from {name}"),
            &encode_each(protocol, name, side, indices),
            &want,
        );
    }
}

fn assert_bytes(what: &str, got: &[u8], want: &[u8]) {
    if got != want {
        let at = got
            .iter()
            .zip(want)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(want.len()));
        panic!(
            "{what}: {} bytes written, the library's stream has {}; first difference at byte {at}",
            got.len(),
            want.len()
        );
    }
}

/// Runs `name` in tap mode through `framing tap --protocol PROTOCOL`: the
/// script prints its server's port, gets the tap's, runs the exchange and
/// prints its report; the tap's lines per direction must be the report's
/// frames (client side up, server side down).
fn through_tap(python: &Path, protocol: &str) {
    through_tap_with(python, protocol, &generator(protocol));
}

/// [`through_tap`] with the script `name`.
fn through_tap_with(python: &Path, protocol: &str, name: &str) {
    let script = format!("{SCRIPTS}/{name}");
    let mut peers = Command::new(python)
        .arg("-u")
        .arg(&script)
        .arg("tap")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the peers");
    let mut stdout = BufReader::new(peers.stdout.take().unwrap());
    let mut port = String::new();
    stdout.read_line(&mut port).expect("the server's port");
    if port.trim().starts_with('{') {
        let report: Value = serde_json::from_str(&port).unwrap();
        let _ = finish(peers, "the peers");
        eprintln!("skipped {protocol} through tap: {}", report["skip"]);
        return;
    }
    let Ok(port) = port.trim().parse::<u16>() else {
        let out = finish(peers, "the peers");
        panic!(
            "the {protocol} peers printed {port:?}, not a port: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let mut tap = Command::new(BIN)
        .args(["tap", "--once", "--listen", "127.0.0.1:0", "--upstream"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--protocol", protocol, "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn framing tap");
    let mut stderr = BufReader::new(tap.stderr.take().unwrap());
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = stderr.read_line(&mut line);
        let _ = tx.send(line);
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        eprint!("{rest}");
    });
    let line = rx.recv_timeout(LIMIT).expect("tap printed its address");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|l| l.split(',').next())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    let tap_port = addr.rsplit(':').next().unwrap().to_string();
    writeln!(peers.stdin.take().unwrap(), "{tap_port}").unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut report = String::new();
        let _ = stdout.read_to_string(&mut report);
        let _ = tx.send(report);
    });
    let peers = finish(peers, "the peers");
    let report = rx.recv_timeout(LIMIT).unwrap();
    let out = finish(tap, "framing tap");
    assert!(
        peers.status.success(),
        "the {protocol} peers through the tap: {}",
        String::from_utf8_lossy(&peers.stderr)
    );
    let report: Value = serde_json::from_str(&report).expect("the peers' report");
    assert!(
        out.status.success(),
        "framing tap --protocol {protocol}: {} {}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    let lines = json_lines(&out, "tap");
    for (dir, side) in [("up", "client"), ("down", "server")] {
        let mine: Vec<Value> = lines
            .iter()
            .filter(|v| v["dir"] == dir)
            .map(|v| {
                let mut v = v.clone();
                let obj = v.as_object_mut().unwrap();
                obj.remove("dir");
                let peer = obj.remove("peer").expect("a peer key");
                assert!(peer.as_str().unwrap().starts_with("127.0.0.1:"), "{peer}");
                v
            })
            .collect();
        compare(
            &format!("tap --protocol {protocol}, {dir}"),
            &report["sides"][side],
            &mine,
        );
    }
}

// One test per preset: each runs its generator, then decode on each side.

#[test]
fn mqtt_paho() {
    let Some((python, report)) = prepare("mqtt") else {
        return;
    };
    decode_all("mqtt", &report);
    // encode: the broker's packets, each with its first byte, byte for
    // byte; then PUBLISHes with 1-, 2- and 3-byte remaining lengths read by
    // a paho client.
    let server = &report["sides"]["server"];
    let want = unhex(server["stream_hex"].as_str().unwrap());
    assert_bytes(
        "encode --protocol mqtt --from server",
        &encode_each("mqtt", "server", server, &[0]),
        &want,
    );
    let publish = |topic: &str, body: &[u8]| {
        let mut p = (topic.len() as u16).to_be_bytes().to_vec();
        p.extend_from_slice(topic.as_bytes());
        p.extend_from_slice(body);
        p.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let bodies: Vec<Vec<u8>> = [5usize, 300, 20000]
        .iter()
        .map(|&n| (0..n).map(|i| (i % 251) as u8).collect())
        .collect();
    let payloads: Vec<String> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| publish(&format!("t/{i}"), b))
        .collect();
    let refs: Vec<&str> = payloads.iter().map(String::as_str).collect();
    let bytes = encode("mqtt", "server", &[(0, "0x30".into())], &refs);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let parsed = script(
        &python,
        "mqtt_peer.py",
        &["parse", "server"],
        hex.as_bytes(),
    );
    let want: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
            json!({"topic": format!("t/{i}"), "payload_hex": h, "qos": 0})
        })
        .collect();
    assert_eq!(
        parsed["parsed"],
        Value::Array(want),
        "paho read what encode wrote"
    );
    // MQTT's remaining length has at most 4 bytes: a fifth is malformed
    // (MQTT 3.1.1 section 2.2.3), an error rather than a frame.
    let mut cmd = Command::new(BIN);
    cmd.args(["decode", "--protocol", "mqtt", "--json"]);
    let out = run(
        cmd,
        b"\x30\xff\xff\xff\xff\x01",
        None,
        "decode a 5-byte length",
    );
    assert!(
        !out.status.success() && out.stdout.is_empty(),
        "a 5-byte remaining length must be an error: {} {}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn modbus_tcp_pymodbus() {
    let Some((_, report)) = prepare("modbus-tcp") else {
        return;
    };
    decode_all("modbus-tcp", &report);
    // encode: each side's frames with their transaction and unit ids, byte
    // for byte what pymodbus sent.
    encode_matches("modbus-tcp", &report, &[0, 3]);
}

#[test]
fn kafka_kafka_python() {
    let Some((python, report)) = prepare("kafka") else {
        return;
    };
    decode_all("kafka", &report);
    // encode: the requests' bytes, byte for byte, read back by kafka-python.
    let client = &report["sides"]["client"];
    let payloads: Vec<&str> = client["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["payload_hex"].as_str().unwrap())
        .collect();
    let bytes = encode("kafka", "client", &[], &payloads);
    let stream = client["stream_hex"].as_str().unwrap();
    assert_bytes("encode --protocol kafka", &bytes, &unhex(stream));
    let parsed = script(
        &python,
        "kafka_peer.py",
        &["parse", "client"],
        stream.as_bytes(),
    );
    assert_eq!(parsed["parsed"].as_array().unwrap().len(), payloads.len());
    assert!(parsed["parsed"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["client_id"] == "framing-interop"));
}

#[test]
fn http2_h2() {
    let Some((python, report)) = prepare("http2") else {
        return;
    };
    decode_all("http2", &report);
    through_tap(&python, "http2");
    // encode: the server's frames, each with its type, flags and stream
    // id, byte for byte; then read by an h2 client that sent the requests.
    let server = &report["sides"]["server"];
    let want = unhex(server["stream_hex"].as_str().unwrap());
    let bytes = encode_each("http2", "server", server, &[1, 2, 3]);
    assert_bytes("encode --protocol http2 --from server", &bytes, &want);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let parsed = script(
        &python,
        "http2_peer.py",
        &["parse", "server"],
        hex.as_bytes(),
    );
    let events: Vec<&str> = parsed["parsed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    for wanted in [
        "RemoteSettingsChanged",
        "ResponseReceived",
        "DataReceived",
        "StreamEnded",
    ] {
        assert!(events.contains(&wanted), "h2 read {events:?}, no {wanted}");
    }
    // The client side: encode writes the preface before the first frame.
    let client = &report["sides"]["client"];
    let want = unhex(client["stream_hex"].as_str().unwrap());
    let bytes = encode_each("http2", "client", client, &[1, 2, 3]);
    assert_bytes("encode --protocol http2 --from client", &bytes, &want);
}

#[test]
fn amqp091_py_amqp_and_pika() {
    let Some((_, report)) = prepare("amqp091") else {
        return;
    };
    decode_all("amqp091", &report);
    // encode: each frame with its type and channel (the protocol header
    // first from the client, the frame end after each), byte for byte.
    encode_matches("amqp091", &report, &[0, 1]);
}

#[test]
fn postgres_pg8000() {
    let Some((python, report)) = prepare("postgres") else {
        return;
    };
    decode_all("postgres", &report);
    through_tap(&python, "postgres");
}

#[test]
fn tls_cpython_ssl() {
    let Some((_, report)) = prepare("tls") else {
        return;
    };
    decode_all("tls", &report);
    // encode: each record with its content type and version, byte for byte.
    encode_matches("tls", &report, &[0, 1]);
}

#[test]
fn dns_tcp_dnspython() {
    let Some((python, report)) = prepare("dns-tcp") else {
        return;
    };
    decode_all("dns-tcp", &report);
    // encode: the responses byte for byte, read back by dnspython.
    let server = &report["sides"]["server"];
    let payloads: Vec<&str> = server["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["payload_hex"].as_str().unwrap())
        .collect();
    let bytes = encode("dns-tcp", "server", &[], &payloads);
    let stream = server["stream_hex"].as_str().unwrap();
    assert_bytes("encode --protocol dns-tcp", &bytes, &unhex(stream));
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let parsed = script(
        &python,
        "dns_tcp_peer.py",
        &["parse", "server"],
        hex.as_bytes(),
    );
    let ids: Vec<u64> = parsed["parsed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect();
    assert_eq!(
        ids,
        (0x1234..0x1234 + payloads.len() as u64).collect::<Vec<_>>()
    );
}

#[test]
fn protobuf_delimited_protobuf() {
    let Some((_, report)) = prepare("protobuf-delimited") else {
        return;
    };
    decode_all("protobuf-delimited", &report);
    encode_matches("protobuf-delimited", &report, &[]);
}

#[test]
fn syslog_octet_rfc5424_logging_handler() {
    let Some((_, report)) = prepare("syslog-octet") else {
        return;
    };
    decode_all("syslog-octet", &report);
    encode_matches("syslog-octet", &report, &[]);
}

#[test]
fn netstring_pynetstring() {
    let Some((_, report)) = prepare("netstring") else {
        return;
    };
    decode_all("netstring", &report);
    encode_matches("netstring", &report, &[]);
}

#[test]
fn websocket_wsproto() {
    let Some((python, report)) = prepare("websocket") else {
        return;
    };
    decode_all("websocket", &report);
    // encode: what each side writes, read by wsproto on the other side: a
    // client's frames masked (a fresh key each), a server's not; text and
    // binary messages of every length form, a ping.
    let sizes = [0usize, 5, 125, 126, 65_535, 65_536];
    let payloads: Vec<String> = sizes
        .iter()
        .map(|&n| {
            (0..n)
                .map(|i| format!("{:02x}", (i * 13 % 256) as u8))
                .collect()
        })
        .collect();
    // Too long for arguments: hex lines on stdin.
    let lines = payloads.join("\n") + "\n";
    for side in ["client", "server"] {
        let mut cmd = Command::new(BIN);
        cmd.args(["encode", "--protocol", "websocket", "--from", side, "--hex"]);
        let what = format!("encode --protocol websocket --from {side} (stdin)");
        let out = run(cmd, lines.as_bytes(), None, &what);
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut wire = out.stdout;
        wire.extend(encode(
            "websocket",
            side,
            &[(0, "0x81".into())],
            &["686920e29883"],
        ));
        wire.extend(encode(
            "websocket",
            side,
            &[(0, "0x89".into())],
            &["70696e67"],
        ));
        let masked = wire[1] & 0x80 != 0;
        assert_eq!(masked, side == "client", "{side} frames masked: {masked}");
        let hex: String = wire.iter().map(|b| format!("{b:02x}")).collect();
        let parsed = script(
            &python,
            "websocket_peer.py",
            &["parse", side],
            hex.as_bytes(),
        );
        let mut want: Vec<Value> = payloads.iter().map(|p| json!(["binary", p])).collect();
        want.push(json!(["text", "686920e29883"]));
        want.push(json!(["ping", "70696e67"]));
        assert_eq!(
            parsed["parsed"],
            Value::Array(want),
            "wsproto read what encode --protocol websocket --from {side} wrote"
        );
    }
}

#[test]
fn redis_redis_py() {
    let Some((python, report)) = prepare("redis") else {
        return;
    };
    decode_all("redis", &report);
    // encode: each value as it is (a RESP frame is its bytes), byte for
    // byte both ways.
    encode_matches("redis", &report, &[]);
    through_tap(&python, "redis");
    // A real redis-server's replies (where Debian's package installs).
    through_tap_with(&python, "redis", "redis_server_peer.py");
}
