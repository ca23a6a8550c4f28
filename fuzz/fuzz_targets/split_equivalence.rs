#![no_main]
//! `split_equivalence`: see `framing_fuzz::checks::split_equivalence` for the property.

use libfuzzer_sys::{fuzz_target, Corpus};

fuzz_target!(|data: &[u8]| -> Corpus {
    // Inputs that describe no layout are kept out of the corpus.
    if framing_fuzz::checks::split_equivalence(data) {
        Corpus::Keep
    } else {
        Corpus::Reject
    }
});
