#![no_main]
//! `std_reader`: see `framing_fuzz::std_checks::std_reader` for the property.

use libfuzzer_sys::{fuzz_target, Corpus};

fuzz_target!(|data: &[u8]| -> Corpus {
    // Inputs that describe no layout are kept out of the corpus.
    if framing_fuzz::std_checks::std_reader(data) {
        Corpus::Keep
    } else {
        Corpus::Reject
    }
});
