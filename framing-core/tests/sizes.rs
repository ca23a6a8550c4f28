//! Sizes of the types users embed: a `Layout` is copied into every decoder
//! and often kept in a `static`, so it must stay small on small targets.

use framing_core::{Format, Layout};

#[test]
fn layout_is_at_most_512_bytes() {
    let size = core::mem::size_of::<Layout>();
    println!(
        "Layout is {size} bytes; the goal is at most 512 (Format is {} bytes)",
        core::mem::size_of::<Format>()
    );
    assert!(
        size <= 512,
        "Layout is {size} bytes; the goal is at most 512"
    );
}
