#![no_main]
//! `format_parse`: see `framing_fuzz::checks::format_parse` for the property.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Rejected formats are as interesting as accepted ones: keep both.
    framing_fuzz::checks::format_parse(data);
});
