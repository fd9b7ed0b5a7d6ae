//! Helpers shared by Tally's tests and benchmarks, so each test file builds identifiers, times and
//! keys the same way. Not for production code: every function panics on bad input, which is what a
//! test wants.
#![forbid(unsafe_code)]

pub mod postgres;
pub mod s3;

use tally_tlog::{KeyType, SignerKey};
use time::OffsetDateTime;

/// A GS1 key body with its mod-10 check digit appended.
pub fn with_check(body: &str) -> String {
    tally_gs1::with_check_digit(body).expect("test key body is all digits")
}

/// The `n`-th test GLN under GS1's example prefix 950600.
pub fn gln(n: u32) -> String {
    with_check(&format!("950600{n:06}"))
}

/// The canonical Digital Link of the `n`-th test SSCC (a pallet).
pub fn sscc(n: u32) -> String {
    format!(
        "https://id.gs1.org/00/{}",
        with_check(&format!("09506000{n:09}"))
    )
}

/// An RFC 3339 time.
pub fn t(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339 test time")
}

/// A deterministic key: the same name, role and seed give the same key in every run.
pub fn key(name: &str, kind: KeyType, seed: u8) -> SignerKey {
    SignerKey::from_seed(name, kind, &[seed; 32]).expect("valid test key name")
}

/// `len` bytes that look incompressible, the same for the same `seed` (a cheap xorshift): the
/// filler of a benchmark's entries, like the signatures and ciphertext of real ones.
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A benchmark's size from the environment variable `name` (`_` allowed as a digit separator:
/// `TALLY_BENCH_EVENTS=10_000`), else `default`.
pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}
