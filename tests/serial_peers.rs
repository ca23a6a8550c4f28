//! SLIP and COBS against their own implementations from PyPI (`sliplib`
//! and `cobs`, installed by .ci/run into the interpreter the protocol tests
//! use): frames the library encodes, with and without a leading END for
//! SLIP, are what `framing decode` prints; frames `framing encode` writes
//! are what the library decodes. A library not installed is skipped with a
//! message (pip may not reach it), a mismatch is always a failure; without
//! an interpreter the tests fail under CI and are skipped otherwise.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{json_lines, run_fed, BIN};

/// How long any one child may run.
const LIMIT: Duration = Duration::from_secs(60);

/// Payloads with every byte SLIP and COBS treat specially, an empty one
/// left out (SLIP cannot carry it), one longer than a COBS block.
fn payloads() -> Vec<Vec<u8>> {
    vec![
        b"hello".to_vec(),
        b"a\xc0b\xdbc\xdc\xdd".to_vec(),
        b"\x00\x00zero\x00".to_vec(),
        (0..=255u8).cycle().take(600).collect(),
        b"\xc0".to_vec(),
        b"plain text, no escape".to_vec(),
    ]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `code` with `python`, `input` on its stdin: its stdout, or `None`
/// when it says the library is missing.
fn python_run(python: &Path, code: &str, input: &[u8], what: &str) -> Option<Vec<u8>> {
    let mut command = Command::new(python);
    command.arg("-c").arg(code);
    let out = run_fed(command, input, LIMIT, what);
    if out.status.code() == Some(3) {
        eprintln!("skipped {what}: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

/// `framing ARGS` with `input` on stdin: its stdout.
fn framing(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut command = Command::new(BIN);
    command.args(args);
    let out = run_fed(command, input, LIMIT, "framing");
    assert!(
        out.status.success(),
        "framing {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A library's output, one hex payload a line.
fn lines(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The payloads `framing decode --framing NAME --json` reads in `wire`.
fn decoded(name: &str, wire: &[u8]) -> Vec<String> {
    let out = framing(&["decode", "--framing", name, "--json"], wire);
    json_lines(&String::from_utf8_lossy(&out))
        .iter()
        .map(|f| f["payload_hex"].as_str().expect("a frame").to_string())
        .collect()
}

/// The payloads, one hex line each, for `framing encode --hex`.
fn hex_lines() -> Vec<u8> {
    payloads()
        .iter()
        .map(|p| format!("{}\n", hex(p)))
        .collect::<String>()
        .into_bytes()
}

const SLIPLIB_ENCODE: &str = r#"
import sys
try:
    import sliplib
except ImportError as e:
    sys.stderr.write(f"sliplib not installed: {e}"); sys.exit(3)
lead = sys.argv[1] == "lead" if len(sys.argv) > 1 else False
out = b""
for line in sys.stdin.read().split():
    frame = sliplib.Driver().send(bytes.fromhex(line))
    if lead and not frame.startswith(b"\xc0"):
        frame = b"\xc0" + frame
    out += frame
sys.stdout.buffer.write(out)
"#;

const SLIPLIB_DECODE: &str = r#"
import sys
try:
    import sliplib
except ImportError as e:
    sys.stderr.write(f"sliplib not installed: {e}"); sys.exit(3)
d = sliplib.Driver()
got = d.receive(sys.stdin.buffer.read())
if got is None:  # sliplib 0.7: messages are taken with get()
    got = []
    while (m := d.get(block=False)) is not None and m != b"":
        got.append(m)
for m in got:
    print(m.hex())
"#;

#[test]
fn slip_frames_sliplib_sends_are_decoded_and_ours_are_what_sliplib_receives() {
    let Some(python) = common::python() else {
        return;
    };
    let want: Vec<String> = payloads().iter().map(|p| hex(p)).collect();
    for lead in ["", "lead"] {
        // sliplib's frames, and each begun with an END as well (RFC 1055).
        let code = format!("import sys; sys.argv = ['', {lead:?}]\n{SLIPLIB_ENCODE}");
        let Some(wire) = python_run(&python, &code, &hex_lines(), "sliplib encode") else {
            return;
        };
        assert_eq!(decoded("slip", &wire), want, "sliplib's frames ({lead:?})");
    }
    // Ours, read by sliplib.
    let wire = framing(&["encode", "--hex", "--framing", "slip"], &hex_lines());
    let Some(out) = python_run(&python, SLIPLIB_DECODE, &wire, "sliplib decode") else {
        return;
    };
    assert_eq!(lines(&out), want, "our frames as sliplib reads them");
}

const COBS_ENCODE: &str = r#"
import sys
try:
    from cobs import cobs
except ImportError as e:
    sys.stderr.write(f"cobs not installed: {e}"); sys.exit(3)
sys.stdout.buffer.write(b"".join(cobs.encode(bytes.fromhex(l)) + b"\0" for l in sys.stdin.read().split()))
"#;

const COBS_DECODE: &str = r#"
import sys
try:
    from cobs import cobs
except ImportError as e:
    sys.stderr.write(f"cobs not installed: {e}"); sys.exit(3)
for frame in sys.stdin.buffer.read().split(b"\0")[:-1]:
    print(cobs.decode(frame).hex())
"#;

#[test]
fn cobs_frames_the_cobs_package_encodes_are_decoded_and_ours_are_what_it_decodes() {
    let Some(python) = common::python() else {
        return;
    };
    let want: Vec<String> = payloads().iter().map(|p| hex(p)).collect();
    let Some(wire) = python_run(&python, COBS_ENCODE, &hex_lines(), "cobs encode") else {
        return;
    };
    assert_eq!(decoded("cobs", &wire), want, "the cobs package's frames");
    let wire = framing(&["encode", "--hex", "--framing", "cobs"], &hex_lines());
    let Some(out) = python_run(&python, COBS_DECODE, &wire, "cobs decode") else {
        return;
    };
    assert_eq!(
        lines(&out),
        want,
        "our frames as the cobs package reads them"
    );
}
