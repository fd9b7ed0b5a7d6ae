#![no_main]
//! Arbitrary bytes as an `add-checkpoint` body: parsing and the decision never panic, against no
//! stored state and against a stored state, and a body that parses keeps its note byte for byte.

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;
use tally_tlog::{Hash, KeyType, SignerKey};
use tally_witness::{AddCheckpoint, Latest, LogConfig, Outcome, Witness};

const ORIGIN: &str = "example.com/log";

static WITNESS: LazyLock<Witness> = LazyLock::new(|| {
    let log = SignerKey::from_seed(ORIGIN, KeyType::Ed25519, &[1; 32]).unwrap();
    let key = SignerKey::from_seed("example.com/witness", KeyType::Cosignature, &[2; 32]).unwrap();
    let logs = vec![LogConfig {
        origin: ORIGIN.into(),
        key: log.verifier(),
    }];
    Witness::new(key, logs).unwrap()
});

fuzz_target!(|data: &[u8]| {
    let req = match AddCheckpoint::parse(data) {
        Ok(req) => req,
        Err(e) => {
            let out = Outcome::from(e);
            assert_eq!(out.status(), 400);
            return;
        }
    };
    assert!(data.ends_with(req.note()));
    assert!(req.proof().len() <= tally_witness::MAX_PROOF_LINES);
    let stored = Latest {
        size: req.old(),
        root: Hash([7; 32]),
        note: data.to_vec(),
    };
    for state in [None, Some(&stored)] {
        let out = WITNESS.add_checkpoint(&req, state, 1);
        let _ = (out.status(), out.content_type(), out.body());
        if let Outcome::Cosigned { new_state, .. } = &out {
            assert!(new_state.size >= state.map_or(0, |s| s.size));
        }
    }
});
