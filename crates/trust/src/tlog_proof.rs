//! Checking a [c2sp.org/tlog-proof](https://c2sp.org/tlog-proof) file against the network's
//! policy, offline (the format itself is `tally_tlog::tlog_proof`). The four steps of the
//! specification: the leaf hash of the entry given out of band (RFC 6962: SHA-256(0x00 ‖ entry));
//! the checkpoint's origin must be one of the policy's logs and carry that log's signature; the
//! cosignatures of the policy's witnesses must reach its threshold, counted by independent
//! operator as every verdict counts them; the inclusion proof must bind the leaf to the signed root.
//! The `extra` line is unauthenticated and never read here.

use crate::policy::Policy;
use tally_tlog::{checkpoint, leaf_hash, merkle, TlogProof};
use thiserror::Error;

/// What a proof that checks says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proven {
    /// The bookkeeper whose log holds the entry.
    pub bookkeeper: String,
    pub operator: String,
    pub index: u64,
    /// The size of the signed tree it is proven in.
    pub size: u64,
    /// The witnesses (key names) whose cosignatures verified, in note order.
    pub cosigners: Vec<String>,
    /// How many distinct other operators they are: what the threshold counts.
    pub independent: usize,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProofCheckError {
    #[error("the checkpoint's origin {0:?} is none of the policy's logs")]
    UnknownLog(String),
    #[error("the checkpoint is not validly signed by {log}'s key: {why}")]
    Signature { log: String, why: String },
    #[error("{independent} independent cosignatures, the policy requires {required}")]
    UnderCosigned { independent: usize, required: usize },
    #[error("the inclusion proof does not bind this entry to the signed root: {0}")]
    Inclusion(String),
}

/// Checks `proof` for the entry whose bytes are `entry`, under `policy`.
pub fn check(policy: &Policy, proof: &TlogProof, entry: &[u8]) -> Result<Proven, ProofCheckError> {
    let origin = proof
        .checkpoint
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or_default();
    let origin = String::from_utf8_lossy(origin).into_owned();
    let bk = policy
        .bookkeepers
        .iter()
        .find(|b| b.log_key.name() == origin)
        .ok_or_else(|| ProofCheckError::UnknownLog(origin.clone()))?;
    let witnesses = policy.witnesses_for(&bk.name);
    let v = checkpoint::verify(&proof.checkpoint, &bk.log_key, &witnesses, 0).map_err(|e| {
        ProofCheckError::Signature {
            log: bk.name.clone(),
            why: e.to_string(),
        }
    })?;
    let keys = v.cosigners.iter().map(|c| &c.key);
    let independent = policy.independent_cosigners(&bk.name, keys);
    if independent < policy.witness_threshold {
        return Err(ProofCheckError::UnderCosigned {
            independent,
            required: policy.witness_threshold,
        });
    }
    let (size, root) = (v.checkpoint.size(), v.checkpoint.hash());
    merkle::verify_inclusion(proof.index, size, &leaf_hash(entry), &proof.proof, root)
        .map_err(|e| ProofCheckError::Inclusion(e.to_string()))?;
    Ok(Proven {
        bookkeeper: bk.name.clone(),
        operator: bk.operator.clone(),
        index: proof.index,
        size,
        cosigners: v
            .cosigners
            .iter()
            .map(|c| c.key.name().to_owned())
            .collect(),
        independent,
    })
}
