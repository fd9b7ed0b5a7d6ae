//! Receipts: a bookkeeper's signed promise that an entry will appear in a checkpoint.
//!
//! A receipt is a C2SP signed note, signed with the log key (so anyone holding the policy can check
//! it, with the same code that checks checkpoints), whose text is:
//!
//! ```text
//! tally/receipt/v1
//! <origin>                  the log's origin (its key name)
//! <leaf hash, base64>       RFC 6962 leaf hash of the entry: its identity in every log
//! <index>                   the entry's leaf index in this log
//! <unix time>               when the receipt was issued, in seconds
//! <max delay seconds>       the entry is in a signed checkpoint within this many seconds of <unix time>
//! ```
//!
//! The entry is durable before the receipt is issued. A checkpoint of size greater than `<index>`
//! issued after `<unix time>` + `<max delay>` that does not include the leaf at `<index>` proves the
//! bookkeeper broke its promise. Resubmitting an entry returns a receipt for the same index and leaf
//! hash, with the time of the resubmission.

use tally_tlog::{note, Hash, NoteError, SignerKey};

/// The receipt format's first line.
pub const RECEIPT_HEADER: &str = "tally/receipt/v1";

/// The receipt text (before signing).
pub fn text(origin: &str, leaf: &Hash, index: u64, now: u64, max_delay: u64) -> String {
    format!("{RECEIPT_HEADER}\n{origin}\n{leaf}\n{index}\n{now}\n{max_delay}\n")
}

/// Signs a receipt with the log key.
pub fn sign(
    key: &SignerKey,
    leaf: &Hash,
    index: u64,
    now: u64,
    max_delay: u64,
) -> Result<Vec<u8>, NoteError> {
    note::sign(
        text(key.name(), leaf, index, now, max_delay).as_bytes(),
        std::slice::from_ref(key),
        0,
    )
}

/// The promised delay for a checkpoint interval: two intervals (one may just have started, and
/// gathering cosignatures takes part of the next), rounded up to whole seconds.
pub fn max_delay_seconds(checkpoint_interval_ms: u64) -> u64 {
    (checkpoint_interval_ms.saturating_mul(2))
        .div_ceil(1000)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_tlog::{KeyType, VerifierKey};

    #[test]
    fn receipt_is_a_note_signed_by_the_log_key() {
        let key = SignerKey::from_seed("bk.example/log", KeyType::Ed25519, &[9; 32]).unwrap();
        let leaf = tally_tlog::leaf_hash(b"entry");
        let signed = sign(&key, &leaf, 7, 1_800_000_000, 2).unwrap();
        let verifier: VerifierKey = key.verifier();
        let opened = note::open(&signed, &[verifier]).unwrap();
        assert_eq!(
            opened.text,
            format!("tally/receipt/v1\nbk.example/log\n{leaf}\n7\n1800000000\n2\n").into_bytes()
        );
    }

    #[test]
    fn max_delay_covers_two_intervals_in_whole_seconds() {
        assert_eq!(max_delay_seconds(1000), 2);
        assert_eq!(max_delay_seconds(100), 1);
        assert_eq!(max_delay_seconds(1600), 4);
    }
}
