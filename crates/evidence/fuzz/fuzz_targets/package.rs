#![no_main]
//! Arbitrary bytes as a package: never a panic; an archive that reads writes back to an archive
//! that reads as the same files; and checking it (under its own policy, the path that trusts the
//! most of the input) returns an answer.

use libfuzzer_sys::fuzz_target;
use tally_evidence::{check, Archive};

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = Archive::from_tar(data) {
        assert_eq!(Archive::from_tar(&a.to_tar(0)).as_ref(), Ok(&a));
    }
    let _ = check(data, None, &[]);
});
