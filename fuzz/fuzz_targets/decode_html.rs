//! Arbitrary bytes as an `outputRawFormat: html` response body: decoding must never panic,
//! hang or overflow the stack; it gives a JSON value or a decode error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Ok(value) = naftiko::__bench::decode_as("html", body) {
        // The value must serialize (and drop) without trouble too.
        let _ = serde_json::to_vec(&value);
    }
});
