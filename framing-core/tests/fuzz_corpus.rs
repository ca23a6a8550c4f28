//! Replays the checked-in fuzz corpus (`fuzz/corpus/<target>/`) and crash
//! regressions (`fuzz/regressions/<target>/`) through the same checks the
//! fuzz targets run, so `cargo test` covers them with no fuzzer installed.

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

#[path = "../../fuzz/src/checks.rs"]
mod checks;

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
    // The checks accept any bytes, even none.
    assert!(!checks::split_equivalence(&[]));
    assert!(!checks::roundtrip(&[]));
    assert!(!checks::format_parse(&[0xff]));
    let mut input = checks::Input::new(&[1, 2]);
    assert_eq!(input.u16(), 0x0102);
    assert_eq!(input.byte(), 0);
    assert!(input.is_empty());
    assert_eq!(input.take(3), &[] as &[u8]);
    assert_eq!(input.rest(), &[] as &[u8]);
}
