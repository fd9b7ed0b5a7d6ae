//! A sealed submission: what a device sends a bookkeeper so that it can check a sealed entry
//! before logging it.
//!
//! ```text
//! magic    "tally/sealed-submission/v1\n"
//! secrets  u8 n ‖ n × 16 bytes      one per wrap of the entry, in its order
//! to       u8 r ‖ r × 64 bytes      one per recipient wrap, in its order: the recipient's X25519
//!                                   key ‖ the seed of its wrap's ephemeral key
//! withheld 32 bytes                 the key of the entry's withheld part
//! entry    the rest                 the sealed entry, exactly as it is to be logged
//! ```
//! A bookkeeper cannot validate what it cannot read (signature, certification, schema, custody),
//! so the labels' secrets and the withheld part's key travel with the entry, over TLS, to each
//! bookkeeper; it checks the whole event (withheld members too), checks that it is wrapped for every entitled recipient, files it under keys made with
//! the secrets, and logs only the sealed bytes. What it then serves reveals nothing to a reader
//! without a label or an entitlement.

use crate::seal::{RecipientSeed, Sealed, WithheldKey, MAX_WRAPS};
use crate::{LabelSecret, RecipientKey};
use thiserror::Error;

const MAGIC: &[u8] = b"tally/sealed-submission/v1\n";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub secrets: Vec<LabelSecret>,
    /// Each entitled recipient the entry is wrapped for, with its wrap's seed.
    pub recipients: Vec<(RecipientKey, RecipientSeed)>,
    pub withheld_key: WithheldKey,
    pub sealed: Vec<u8>,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SubmissionError {
    #[error("the sealed submission is truncated")]
    Truncated,
    #[error("a sealed submission carries 1 to {MAX_WRAPS} label secrets")]
    Secrets,
    #[error("a sealed submission names at most {MAX_WRAPS} recipients, each a valid X25519 key")]
    Recipients,
}

impl Submission {
    /// Seals `contents` for `labels` and `recipients` ([`crate::seal_for`]): the submission of
    /// it, with what its bookkeeper needs to check it.
    pub fn seal(
        contents: &crate::Contents,
        labels: &[LabelSecret],
        recipients: &[RecipientKey],
        rng: &mut impl rand_core::CryptoRngCore,
    ) -> Result<Self, crate::SealError> {
        let sealed = crate::seal_for(contents, labels, recipients, rng)?;
        Ok(Submission {
            secrets: labels.to_vec(),
            recipients: recipients.iter().cloned().zip(sealed.seeds).collect(),
            withheld_key: sealed.withheld_key,
            sealed: sealed.bytes,
        })
    }

    /// Whether `body` is a sealed submission (rather than a plain entry).
    pub fn is(body: &[u8]) -> bool {
        body.starts_with(MAGIC)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(
            MAGIC.len()
                + 2
                + 16 * self.secrets.len()
                + 64 * self.recipients.len()
                + 32
                + self.sealed.len(),
        );
        b.extend_from_slice(MAGIC);
        b.push(self.secrets.len() as u8);
        for s in &self.secrets {
            b.extend_from_slice(s.as_bytes());
        }
        b.push(self.recipients.len() as u8);
        for (key, seed) in &self.recipients {
            b.extend_from_slice(key.as_bytes());
            b.extend_from_slice(seed);
        }
        b.extend_from_slice(&self.withheld_key);
        b.extend_from_slice(&self.sealed);
        b
    }

    pub fn decode(body: &[u8]) -> Result<Self, SubmissionError> {
        let rest = body.strip_prefix(MAGIC).ok_or(SubmissionError::Truncated)?;
        let (&n, mut rest) = rest.split_first().ok_or(SubmissionError::Truncated)?;
        if n == 0 || usize::from(n) > MAX_WRAPS {
            return Err(SubmissionError::Secrets);
        }
        let mut secrets = Vec::with_capacity(n.into());
        for _ in 0..n {
            let (s, r) = rest
                .split_first_chunk::<16>()
                .ok_or(SubmissionError::Truncated)?;
            secrets.push(LabelSecret::from_bytes(*s));
            rest = r;
        }
        let (&r, mut rest) = rest.split_first().ok_or(SubmissionError::Truncated)?;
        if usize::from(r) > MAX_WRAPS {
            return Err(SubmissionError::Recipients);
        }
        let mut recipients = Vec::with_capacity(r.into());
        for _ in 0..r {
            let (pair, more) = rest
                .split_first_chunk::<64>()
                .ok_or(SubmissionError::Truncated)?;
            let (key, seed) = pair.split_at(32);
            let key = RecipientKey::from_bytes(key.try_into().expect("32 bytes"))
                .map_err(|_| SubmissionError::Recipients)?;
            recipients.push((key, seed.try_into().expect("32 bytes")));
            rest = more;
        }
        let (withheld_key, rest) = rest
            .split_first_chunk::<32>()
            .ok_or(SubmissionError::Truncated)?;
        Ok(Submission {
            secrets,
            recipients,
            withheld_key: *withheld_key,
            sealed: rest.to_vec(),
        })
    }

    /// The sealed entry, parsed.
    pub fn entry(&self) -> Result<Sealed<'_>, crate::SealError> {
        Sealed::parse(&self.sealed)
    }

    /// The recipients it names.
    pub fn recipient_keys(&self) -> Vec<RecipientKey> {
        self.recipients.iter().map(|(k, _)| k.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;

    #[test]
    fn round_trip_and_the_bookkeepers_check() {
        let labels = [
            LabelSecret::from_bytes([1; 16]),
            LabelSecret::from_bytes([2; 16]),
        ];
        let auditor = crate::RecipientSecret::generate(&mut OsRng);
        let contents = crate::Contents {
            entry: b"entry",
            ..Default::default()
        };
        let sub = Submission::seal(&contents, &labels, &[auditor.public()], &mut OsRng).unwrap();
        let body = sub.encode();
        assert!(Submission::is(&body));
        let back = Submission::decode(&body).unwrap();
        assert_eq!(back, sub);
        assert_eq!(back.recipient_keys(), vec![auditor.public()]);
        let opened =
            back.entry()
                .unwrap()
                .open_exact(&back.secrets, &back.recipients, &back.withheld_key);
        assert_eq!(opened.unwrap().entry, b"entry");
        assert_eq!(
            Submission::decode(&body[..MAGIC.len() + 5]),
            Err(SubmissionError::Truncated)
        );
        let mut none = MAGIC.to_vec();
        none.push(0);
        assert_eq!(Submission::decode(&none), Err(SubmissionError::Secrets));
    }
}
