#![no_main]
//! Arbitrary bytes as a c2sp.org/tlog-policy file: never a panic; a policy that parses writes out
//! to a file that parses to the same policy, and evaluating its quorum terminates.

use libfuzzer_sys::fuzz_target;
use tally_tlog::TlogPolicy;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = TlogPolicy::parse(data) {
        assert_eq!(TlogPolicy::parse(&p.to_bytes()).as_ref(), Ok(&p));
        let _ = p.quorum_met(&p.witness_keys());
    }
});
