#![no_main]
//! Arbitrary text as a scanned code: never a panic; a code that names a product names it in
//! canonical Digital Link form (on id.gs1.org, which is never fetched: it is a lookup key).

use libfuzzer_sys::fuzz_target;
use tally_client::verify::product_key;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(key) = product_key(text) {
            assert!(key.starts_with("https://id.gs1.org/"), "{key}");
        }
    }
});
