#![no_main]
//! `roundtrip`: see `framing_fuzz::checks::roundtrip` for the property.

use libfuzzer_sys::{fuzz_target, Corpus};

fuzz_target!(|data: &[u8]| -> Corpus {
    // Inputs that describe no layout are kept out of the corpus.
    if framing_fuzz::checks::roundtrip(data) {
        Corpus::Keep
    } else {
        Corpus::Reject
    }
});
