//! Asking the peers, as C2SP tlog-witnesses, to cosign this log's checkpoints.

use crate::shared::{Peer, Shared};
use base64::Engine as _;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tally_tlog::Hash;
use tokio::task::JoinSet;

/// How long one peer may take to cosign before the checkpoint is served without its cosignature.
const COSIGN_TIMEOUT: Duration = Duration::from_secs(5);

/// Per peer: the size it last cosigned for this log, and its cosignature line of the current
/// checkpoint.
///
/// Kept in memory: after a restart the first request says `old 0`, the peer answers 409 with the
/// size it holds, and the retry proves consistency from there.
pub(crate) struct Cosigner {
    peers: Vec<PeerState>,
}

struct PeerState {
    peer: Peer,
    cosigned_size: u64,
    line: Option<(u64, String)>,
    /// Its line is due for a fresh timestamp.
    stale: bool,
}

impl Cosigner {
    pub fn new(peers: &[Peer]) -> Self {
        Self {
            peers: peers
                .iter()
                .map(|p| PeerState {
                    peer: p.clone(),
                    cosigned_size: 0,
                    line: None,
                    stale: false,
                })
                .collect(),
        }
    }

    /// Asks every peer again at the next [`Cosigner::gather`], for a fresh timestamp; the lines
    /// they gave before stay until they answer.
    pub fn refresh(&mut self) {
        for p in &mut self.peers {
            p.stale = true;
        }
    }

    /// Sends the checkpoint of `size` to every peer that has not cosigned it yet, and returns the
    /// note with every cosignature line of this size, and whether some peer is still missing.
    pub async fn gather(
        &mut self,
        shared: &Arc<Shared>,
        size: u64,
        signed: &[u8],
    ) -> (Vec<u8>, bool) {
        let mut requests = JoinSet::new();
        for (i, p) in self.peers.iter().enumerate() {
            if !p.stale && p.line.as_ref().is_some_and(|(n, _)| *n == size) {
                continue;
            }
            let proof = proof_from(shared, p.cosigned_size, size).await;
            let shared = Arc::clone(shared);
            let (http, url, signed) = (
                shared.http.clone(),
                format!("{}/add-checkpoint", p.peer.url),
                signed.to_vec(),
            );
            let old = p.cosigned_size;
            requests.spawn(async move {
                let first = post(&http, &url, request_body(old, &proof, &signed)).await;
                let answer = match first {
                    Answer::Conflict(held) if held <= size => {
                        let proof = match prove(&shared, held, size).await {
                            Some(p) => p,
                            None => return (i, Answer::Failed("no proof".into())),
                        };
                        post(&http, &url, request_body(held, &proof, &signed)).await
                    }
                    other => other,
                };
                (i, answer)
            });
        }
        while let Some(done) = requests.join_next().await {
            let Ok((i, answer)) = done else { continue };
            let p = &mut self.peers[i];
            match answer {
                Answer::Cosigned(line) => {
                    // A bad cosignature from a known witness key would make clients reject the
                    // whole note, so only lines that verify are attached.
                    let note = [signed, line.as_bytes()].concat();
                    let log = shared.log_key.verifier();
                    let witness = std::slice::from_ref(&p.peer.witness_key);
                    if tally_tlog::checkpoint::verify(&note, &log, witness, 1).is_ok() {
                        p.cosigned_size = size;
                        p.line = Some((size, line));
                        p.stale = false;
                    } else {
                        tracing::warn!(peer = %p.peer.name, "peer sent a cosignature that does not verify");
                    }
                }
                Answer::Conflict(held) => {
                    p.cosigned_size = held;
                    tracing::warn!(peer = %p.peer.name, held, size, "peer holds a larger checkpoint of this log");
                }
                Answer::Failed(reason) => {
                    tracing::warn!(peer = %p.peer.name, %reason, size, "peer did not cosign");
                }
            }
        }
        let mut note = signed.to_vec();
        let lines: BTreeMap<&str, &str> = self
            .peers
            .iter()
            .filter_map(|p| match &p.line {
                Some((n, line)) if *n == size => Some((p.peer.name.as_str(), line.as_str())),
                _ => None,
            })
            .collect();
        for line in lines.values() {
            note.extend_from_slice(line.as_bytes());
        }
        let missing = lines.len() < self.peers.len() || self.peers.iter().any(|p| p.stale);
        (note, missing)
    }
}

enum Answer {
    Cosigned(String),
    Conflict(u64),
    Failed(String),
}

/// The consistency proof from `old` to `size` (empty from 0 or to the same size).
async fn proof_from(shared: &Arc<Shared>, old: u64, size: u64) -> Vec<Hash> {
    prove(shared, old, size).await.unwrap_or_default()
}

async fn prove(shared: &Arc<Shared>, old: u64, size: u64) -> Option<Vec<Hash>> {
    if old == 0 || old >= size {
        return Some(Vec::new());
    }
    shared
        .with_reader(move |s| Ok(tally_tlog::store::consistency_proof(s, old, size)))
        .await
        .ok()?
        .ok()
}

/// The body of a C2SP `add-checkpoint` request.
pub(crate) fn request_body(old: u64, proof: &[Hash], signed: &[u8]) -> Vec<u8> {
    let mut body = format!("old {old}\n").into_bytes();
    for h in proof {
        body.extend_from_slice(
            base64::engine::general_purpose::STANDARD
                .encode(h.0)
                .as_bytes(),
        );
        body.push(b'\n');
    }
    body.push(b'\n');
    body.extend_from_slice(signed);
    body
}

async fn post(http: &reqwest::Client, url: &str, body: Vec<u8>) -> Answer {
    let response = match http
        .post(url)
        .timeout(COSIGN_TIMEOUT)
        .body(body)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => return Answer::Failed(e.to_string()),
    };
    let status = response.status();
    let text = match response.text().await {
        Ok(t) => t,
        Err(e) => return Answer::Failed(e.to_string()),
    };
    match status.as_u16() {
        200 if text.starts_with('\u{2014}')
            && text.ends_with('\n')
            && text.lines().count() == 1 =>
        {
            Answer::Cosigned(text)
        }
        409 => match text.trim_end().parse() {
            Ok(held) => Answer::Conflict(held),
            Err(_) => Answer::Failed(format!("409 without a size: {text:?}")),
        },
        _ => Answer::Failed(format!("{status}: {}", text.trim_end())),
    }
}
