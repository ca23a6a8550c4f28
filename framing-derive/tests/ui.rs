//! Misuse of `#[derive(Header)]` is a compile error at the field: the
//! cases in `tests/ui`, each with the error it must give (`.stderr`;
//! regenerate with `TRYBUILD=overwrite cargo test -p framing-derive --test ui`
//! and review the diff).

#[test]
fn misuse_is_a_compile_error() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
