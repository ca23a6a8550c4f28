//! The properties the fuzz targets assert. `checks` and `embedded_checks`
//! are shared, by `#[path]`, with the replay test
//! `framing-core/tests/fuzz_corpus.rs`; `std_checks` needs `framing-std` as
//! well.

pub mod checks;
pub mod embedded_checks;
pub mod std_checks;
