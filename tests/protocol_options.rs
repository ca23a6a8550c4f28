//! The issue-22 CLI contract: prefaces, a first frame with its own header,
//! frame-end bytes, ASCII lengths, a varint byte limit, and the named
//! protocols, through `framing encode` and `framing decode --json`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_framing"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run framing");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// The JSON lines of `decode --json`, parsed.
fn decode(args: &[&str], wire: &[u8]) -> Vec<serde_json::Value> {
    let mut all = vec!["decode", "--json"];
    all.extend_from_slice(args);
    let out = run(&all, wire);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn encode(args: &[&str], payloads: &[&str]) -> Vec<u8> {
    let mut all = vec!["encode", "--hex"];
    all.extend_from_slice(args);
    all.extend_from_slice(payloads);
    let out = run(&all, b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn a_preface_prints_first_and_is_written_once() {
    let opts = [
        "--header",
        "!BHI",
        "--length-field",
        "2",
        "--frame-end",
        "ce",
        "--preface",
        "414d515000000901",
    ];
    let wire = encode(&opts, &["616263", ""]);
    assert_eq!(&wire[..8], b"AMQP\x00\x00\x09\x01");
    assert_eq!(
        &wire[8..],
        b"\x00\x00\x00\x00\x00\x00\x03abc\xce\x00\x00\x00\x00\x00\x00\x00\xce"
    );
    let lines = decode(&opts, &wire);
    assert_eq!(lines[0]["preface_hex"], "414d515000000901");
    assert_eq!(lines[1]["payload_hex"], "616263");
    assert_eq!(lines[1]["offset"], 8);
    assert_eq!(lines[2]["offset"], 19);
    assert_eq!(lines.len(), 3);
    // The same through --protocol.
    assert_eq!(encode(&["--protocol", "amqp091"], &["616263", ""]), wire);
    assert_eq!(decode(&["--protocol", "amqp091"], &wire), lines);
    // A bad frame end is an error naming it; the frame before it printed.
    let mut bad = wire.clone();
    *bad.last_mut().unwrap() = 0xcf;
    let out = run(&["decode", "--json", "--protocol", "amqp091"], &bad);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("frame-end byte 0 is 0xcf, expected 0xce")
    );
}

#[test]
fn a_preface_until_given_bytes_and_ascii_lengths() {
    let mut wire = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    wire.extend_from_slice(b"5:hello,0:,");
    let lines = decode(
        &[
            "--header",
            "",
            "--ascii-length",
            "dec",
            "--length-end",
            "3a",
            "--frame-end",
            "2c",
            "--preface-until",
            "0d0a0d0a",
        ],
        &wire,
    );
    assert_eq!(
        lines[0]["preface_hex"],
        "474554202f20485454502f312e310d0a486f73743a20780d0a0d0a"
    );
    assert_eq!(lines[1]["payload_hex"], "68656c6c6f");
    assert_eq!(lines[2]["length"], 0);
    assert_eq!(
        encode(&["--protocol", "netstring"], &["68656c6c6f"]),
        b"5:hello,"
    );
    // Octet counting, and a length with no digits.
    assert_eq!(encode(&["--protocol", "syslog-octet"], &["6869"]), b"2 hi");
    let out = run(&["decode", "--protocol", "syslog-octet"], b"2 hix1");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ASCII length has no digits"));
}

#[test]
fn a_first_frame_has_its_own_header() {
    let opts = [
        "--header",
        "!cI",
        "--length-field",
        "1",
        "--length-adjust",
        "-4",
        "--first-header",
        "!I",
        "--first-length-adjust",
        "-4",
    ];
    let startup = b"\x00\x00\x00\x08\x04\xd2\x16\x2f";
    let query = b"Q\x00\x00\x00\x06;\x00";
    let lines = decode(&opts, &[&startup[..], query].concat());
    assert_eq!(lines[0]["fields"], serde_json::json!([8]));
    assert_eq!(lines[0]["payload_hex"], "04d2162f");
    assert_eq!(lines[1]["fields"], serde_json::json!(["51", 6]));
    assert_eq!(
        decode(&["--protocol", "postgres"], &[&startup[..], query].concat()),
        lines
    );
    // The server side has no startup message.
    let server = decode(&["--protocol", "postgres", "--from", "server"], query);
    assert_eq!(server[0]["fields"], serde_json::json!(["51", 6]));
}

#[test]
fn an_mqtt_length_takes_at_most_four_bytes() {
    let out = run(
        &["decode", "--header", "!B", "--varint-max-bytes", "4"],
        b"\x30\xff\xff\xff\xff\x01",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let lines = decode(&["--protocol", "mqtt"], b"\x30\x02hi\xc0\x00");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["fields"], serde_json::json!([0x30]));
}

#[test]
fn protocols_are_listed_and_unknown_ones_refused() {
    let out = run(&["protocols"], b"");
    assert!(out.status.success());
    let names: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    for name in [
        "mqtt",
        "modbus-tcp",
        "kafka",
        "http2",
        "amqp091",
        "postgres",
        "tls",
        "dns-tcp",
        "protobuf-delimited",
        "syslog-octet",
        "netstring",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
    let out = run(&["decode", "--protocol", "nope"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown --protocol"));
}
