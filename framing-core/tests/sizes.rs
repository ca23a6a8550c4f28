//! Sizes of the types users embed: a `Layout` is copied into every decoder
//! and often kept in a `static`, so it must stay small on small targets.

use framing_core::{Format, Layout};

// 504 bytes before issue 22, 552 after: a preface (a `&'static` slice, or
// ending at up to 8 bytes), the first frame's layout (a reference), the
// frame end and an ASCII length's end (8 bytes each) cost 48 bytes.
#[test]
fn layout_is_at_most_576_bytes() {
    let size = core::mem::size_of::<Layout>();
    println!(
        "Layout is {size} bytes; the goal is at most 576 (Format is {} bytes)",
        core::mem::size_of::<Format>()
    );
    assert!(
        size <= 576,
        "Layout is {size} bytes; the goal is at most 576"
    );
}
