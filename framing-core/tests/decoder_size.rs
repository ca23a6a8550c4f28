//! A decoder over a shared layout costs its buffer plus a few words.

use core::mem::size_of;

use framing_core::{Decoder, Layout};

#[test]
fn a_decoder_over_a_shared_layout_is_its_buffer_and_a_few_words() {
    type Small = Decoder<&'static Layout, heapless::Vec<u8, 64>>;
    let size = size_of::<Small>();
    println!(
        "size_of::<Decoder<&'static Layout, heapless::Vec<u8, 64>>>() = {size} \
         (buffer {}, layout {})",
        size_of::<heapless::Vec<u8, 64>>(),
        size_of::<Layout>()
    );
    assert!(size <= 160, "{size} bytes");
}
