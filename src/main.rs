//! The `framing` command (work in progress).

fn main() {}
