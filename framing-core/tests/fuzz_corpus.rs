//! Replays the checked-in fuzz corpus (`fuzz/corpus/<target>/`) and crash
//! regressions (`fuzz/regressions/<target>/`) through the same checks the
//! fuzz targets run, so `cargo test` covers them with no fuzzer installed.

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

#[path = "../../fuzz/src/checks.rs"]
mod checks;

#[cfg(feature = "embedded-io")]
#[path = "../../fuzz/src/embedded_checks.rs"]
mod embedded_checks;

/// Every file in `fuzz/<kind>/<target>/`, sorted; none if there is no such
/// directory.
fn files(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
        .join(target);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `check` on every corpus and regression file of `target`; fails
/// naming each file whose check panicked. Returns (files, exercised).
fn replay(target: &str, check: fn(&[u8]) -> bool) -> (usize, usize) {
    let corpus = files("corpus", target);
    assert!(
        !corpus.is_empty(),
        "no corpus files for {target} in fuzz/corpus/{target}/"
    );
    let all: Vec<PathBuf> = corpus
        .into_iter()
        .chain(files("regressions", target))
        .collect();
    let mut failed = Vec::new();
    let mut exercised = 0;
    for path in &all {
        let data = match fs::read(path) {
            Ok(data) => data,
            // A fuzzer running at the same time may replace corpus files.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("cannot read {}: {e}", path.display()),
        };
        match panic::catch_unwind(AssertUnwindSafe(|| check(&data))) {
            Ok(true) => exercised += 1,
            Ok(false) => {}
            Err(_) => failed.push(path.display().to_string()),
        }
    }
    assert!(
        failed.is_empty(),
        "{target}: the check failed on {failed:?}"
    );
    (all.len(), exercised)
}

#[test]
fn split_equivalence_corpus() {
    let (files, exercised) = replay("split_equivalence", checks::split_equivalence);
    assert!(exercised > 0, "none of {files} files built a layout");
}

#[test]
fn roundtrip_corpus() {
    let (files, exercised) = replay("roundtrip", checks::roundtrip);
    assert!(exercised > 0, "none of {files} files built a layout");
}

#[test]
fn format_parse_corpus() {
    let (files, accepted) = replay("format_parse", checks::format_parse);
    assert!(accepted > 0, "none of {files} formats was accepted");
    assert!(accepted < files, "every format was accepted: add a bad one");
}

#[test]
fn inputs_past_their_end_read_as_zeros() {
    // The checks accept any bytes, even none: no bytes describe the empty
    // format with a varint length (a protobuf-delimited stream), and no
    // frames.
    assert!(checks::split_equivalence(&[]));
    assert!(checks::roundtrip(&[]));
    assert!(!checks::format_parse(&[0xff]));
    #[cfg(feature = "embedded-io")]
    assert!(embedded_checks::embedded_reader(&[]));
    let mut input = checks::Input::new(&[1, 2]);
    assert_eq!(input.u16(), 0x0102);
    assert_eq!(input.byte(), 0);
    assert!(input.is_empty());
    assert_eq!(input.take(3), &[] as &[u8]);
    assert_eq!(input.rest(), &[] as &[u8]);
}

#[cfg(feature = "embedded-io")]
#[test]
fn embedded_reader_corpus() {
    let (files, exercised) = replay("embedded_reader", embedded_checks::embedded_reader);
    assert!(exercised > 0, "none of {files} files built a layout");
}

/// `<BH`: a 0x7e marker (value 0, a constant), a u16 length (value 1), as
/// `fuzz/seeds.py` spells it; `policies` is its last byte (1 discard,
/// 2 resync), preceded by a maximum payload of `max` bytes.
#[cfg(feature = "embedded-io")]
fn marked_spec(max: u8, policies: u8) -> Vec<u8> {
    // "<BH", kind 0 (the length a field, no trailer), length field 1, no
    // adjust, one constant: 0x7e in field 0.
    let mut spec = vec![3, 2, 3, 0, 6, 0, 0, 1, 0, 1, 0x7e, 0, 0, 0];
    spec.extend_from_slice(&[2, max, policies]);
    spec
}

/// An `embedded_reader` input: `spec`, a decoder buffer of 16 bytes, a read
/// buffer of `read_size` bytes (1..=64), shared layout, `steps` as encoded
/// bytes, then `wire`.
#[cfg(feature = "embedded-io")]
fn embedded_input(spec: &[u8], read_size: usize, steps: &[u8], wire: &[u8]) -> Vec<u8> {
    let mut input = spec.to_vec();
    input.extend_from_slice(&[2, 16, (read_size - 1) as u8, 0, steps.len() as u8]);
    input.extend_from_slice(steps);
    input.extend_from_slice(wire);
    input
}

/// Regression: a recovery report consumed bytes and the embedded readers
/// fed them again, so they never got past it. Every read buffer size, with
/// and without short and interrupted reads.
#[cfg(feature = "embedded-io")]
#[test]
fn embedded_readers_go_on_after_a_report() {
    use checks::Out;
    use framing_core::Recovery;

    let frame = |len: u8, payload: &[u8]| Out::Frame {
        header: vec![0x7e, len, 0],
        payload: payload.to_vec(),
    };
    // Steps: reads of at most 1, 2 and 3 bytes, an `Interrupted` between.
    let scripts: [&[u8]; 3] = [&[], &[1, 0, 5, 9], &[0, 1]];

    // Resynchronising: 2 bytes skipped, then "ok" and "z".
    let spec = marked_spec(255, 2);
    let wire = b"\x00\x01\x7e\x02\x00ok\x7e\x01\x00z";
    let layout = checks::Spec::parse(&mut checks::Input::new(&spec))
        .and_then(|s| s.build(s.max_payload))
        .expect("the spec builds");
    assert!(layout.resyncs());
    assert_eq!(
        checks::run_whole(layout, 16, &[wire]),
        [
            Out::Recovered(Recovery::Skipped {
                offset: 0,
                bytes: 2
            }),
            frame(2, b"ok"),
            frame(1, b"z"),
        ]
    );
    for read_size in 1..=wire.len() + 1 {
        for steps in scripts {
            let input = embedded_input(&spec, read_size, steps, wire);
            assert!(
                embedded_checks::embedded_reader(&input),
                "read size {read_size}"
            );
        }
    }

    // Discarding: an oversized frame (6 > 4 bytes), then "ok".
    let spec = marked_spec(4, 1);
    let wire = b"\x7e\x06\x00toobig\x7e\x02\x00ok";
    let layout = checks::Spec::parse(&mut checks::Input::new(&spec))
        .and_then(|s| s.build(s.max_payload))
        .expect("the spec builds");
    assert_eq!(layout.oversize(), framing_core::Oversize::Discard);
    assert_eq!(
        checks::run_whole(layout, 16, &[wire]),
        [
            Out::Recovered(Recovery::Discarded {
                offset: 0,
                length: 6
            }),
            frame(2, b"ok"),
        ]
    );
    for read_size in 1..=wire.len() + 1 {
        for steps in scripts {
            let input = embedded_input(&spec, read_size, steps, wire);
            assert!(
                embedded_checks::embedded_reader(&input),
                "read size {read_size}"
            );
        }
    }
}
