#![no_main]
//! `embedded_reader`: see `framing_fuzz::embedded_checks::embedded_reader` for the property.

use libfuzzer_sys::{fuzz_target, Corpus};

fuzz_target!(|data: &[u8]| -> Corpus {
    // Inputs that describe no layout are kept out of the corpus.
    if framing_fuzz::embedded_checks::embedded_reader(data) {
        Corpus::Keep
    } else {
        Corpus::Reject
    }
});
