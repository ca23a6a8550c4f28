//! Replays the checked-in corpus of the `std_reader` fuzz target (see
//! `fuzz/README.md`), so `cargo test --workspace` runs its check with no
//! fuzzer installed.

#[allow(dead_code)]
#[path = "../../fuzz/src/checks.rs"]
mod checks;
#[path = "../../fuzz/src/std_checks.rs"]
mod std_checks;

#[test]
fn std_reader_corpus_replays() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut replayed = 0;
    for kind in ["corpus", "regressions"] {
        let Ok(dir) = std::fs::read_dir(root.join(kind).join("std_reader")) else {
            continue;
        };
        for entry in dir {
            let path = entry.unwrap().path();
            match std::fs::read(&path) {
                Ok(data) => {
                    std_checks::std_reader(&data);
                }
                // A fuzzer running at the same time may replace corpus files.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => panic!("cannot read {}: {e}", path.display()),
            }
            replayed += 1;
        }
    }
    assert!(
        replayed > 0,
        "no std_reader corpus found under {}",
        root.display()
    );
}
