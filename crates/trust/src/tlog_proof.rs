//! Checking a [c2sp.org/tlog-proof](https://c2sp.org/tlog-proof) file against the network's
//! policy, offline. The check itself is the specification's, under the
//! [c2sp.org/tlog-policy](https://c2sp.org/tlog-policy) this policy writes for the proof's log
//! ([`Policy::tlog_policy`]): one path, so that a proof checks here exactly when it checks with
//! any other verifier given that file.

use crate::policy::Policy;
use tally_tlog::tlog_proof::ProofCheckError;
use tally_tlog::TlogProof;

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

/// Checks `proof` for the entry whose bytes are `entry`, under `policy`.
pub fn check(policy: &Policy, proof: &TlogProof, entry: &[u8]) -> Result<Proven, ProofCheckError> {
    let origin = proof.origin();
    let bk = policy
        .bookkeepers
        .iter()
        .find(|b| b.log_key.name() == origin)
        .ok_or(ProofCheckError::UnknownLog(origin))?;
    let v = proof.check(&policy.tlog_policy(&bk.name), entry)?;
    let keys = v.cosigners.iter().map(|c| &c.key);
    Ok(Proven {
        bookkeeper: bk.name.clone(),
        operator: bk.operator.clone(),
        index: proof.index,
        size: v.checkpoint.size(),
        cosigners: v
            .cosigners
            .iter()
            .map(|c| c.key.name().to_owned())
            .collect(),
        independent: policy.independent_cosigners(&bk.name, keys),
    })
}
