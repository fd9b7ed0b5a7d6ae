//! Reading a log whose reads are published as static files (c2sp.org/tlog-tiles): its checkpoint,
//! entries and proofs come from the files, and only the question "which entries concern this
//! product" goes to the bookkeeper (`/history/indices`).
//!
//! The answer is the same [`LogEvidence`] a `/history` answer gives, so the verdict cannot tell
//! the two apart: the proofs are built here from the tiles (`tally_tlog::tiled`), and the verdict
//! checks them against the signed checkpoint as it checks a bookkeeper's. A mirror that alters a
//! file makes this log's answer malformed, never a product's verdict wrong.

use crate::evidence::MAX_HISTORY_ENTRIES;
use crate::fetch::{percent_encode, FetchError, Http, MAX_HISTORY_PAGES};
use futures_util::{stream, StreamExt as _, TryStreamExt as _};
use serde::Deserialize;
use std::collections::HashMap;
use tally_confidential::LabelSecret;
use tally_tlog::tiled::{Tiled, TiledRead};
use tally_tlog::Hash;
use tally_trust::policy::Bookkeeper;
use tally_trust::{LogEvidence, ProvenEntry};

/// Files fetched at once from a mirror: a product's history needs a few dozen.
const PARALLEL_FETCHES: usize = 16;

#[derive(Deserialize)]
struct IndicesPage {
    indices: Vec<u64>,
    #[serde(default)]
    next: Option<u64>,
}

impl Http {
    /// Bookkeeper `bk`'s evidence for `key`, read from its published files at `tiles`: the
    /// checkpoint, the entries `/history/indices` names in its tree, their inclusion proofs, and
    /// the consistency proof from the trusted size `old`.
    pub async fn tiled_history(
        &self,
        bk: &Bookkeeper,
        tiles: &str,
        key: &str,
        old: u64,
        secrets: &[LabelSecret],
    ) -> Result<LogEvidence, FetchError> {
        let base = tiles.trim_end_matches('/');
        let note = self.get_file(base, "checkpoint").await?;
        let checkpoint = tally_tlog::checkpoint::parse_unverified(&note).map_err(|_| {
            FetchError::Malformed("the published checkpoint is not a checkpoint".into())
        })?;
        let size = checkpoint.size();
        let mut evidence = LogEvidence {
            bookkeeper: bk.name.clone(),
            checkpoint: note,
            consistency: None,
            entries: Vec::new(),
        };
        if size == 0 {
            return Ok(evidence);
        }
        let indices = self.indices(bk, key, size, secrets).await?;
        let proved = self
            .prove_from(base, size, *checkpoint.hash(), &indices, old)
            .await?;
        evidence.consistency = proved.consistency;
        evidence.entries = proved
            .entries
            .into_iter()
            .map(|(index, bytes, proof)| ProvenEntry {
                index,
                bytes,
                proof,
            })
            .collect();
        Ok(evidence)
    }

    /// The consistency proof from the tree of `old` leaves to the tree of `size` leaves with root
    /// `root`, computed from the tiles published at `tiles` (0 < `old` < `size`).
    pub async fn tiled_consistency(
        &self,
        tiles: &str,
        size: u64,
        root: Hash,
        old: u64,
    ) -> Result<Vec<Hash>, FetchError> {
        let base = tiles.trim_end_matches('/');
        self.prove_from(base, size, root, &[], old)
            .await?
            .consistency
            .ok_or_else(|| FetchError::Malformed(format!("no consistency from {old} to {size}")))
    }

    /// Fetches the tiles that entries `indices` and consistency from `old` need in the tree of
    /// `size` leaves with root `root`, from `base`, and builds the proofs from them.
    async fn prove_from(
        &self,
        base: &str,
        size: u64,
        root: Hash,
        indices: &[u64],
        old: u64,
    ) -> Result<Tiled, FetchError> {
        let read = TiledRead::new(size, root, indices, old)
            .map_err(|e| FetchError::Malformed(e.to_string()))?;
        let files: HashMap<_, _> = stream::iter(read.tiles())
            .map(|path| async move { Ok((path, self.get_file(base, &path.path()).await?)) })
            .buffer_unordered(PARALLEL_FETCHES)
            .try_collect()
            .await?;
        read.prove(&files)
            .map_err(|e| FetchError::Malformed(e.to_string()))
    }

    /// Every page of `GET /history/indices?key=K&size=S`: the entries of `key` in the tree of
    /// `size` leaves, ascending.
    async fn indices(
        &self,
        bk: &Bookkeeper,
        key: &str,
        size: u64,
        secrets: &[LabelSecret],
    ) -> Result<Vec<u64>, FetchError> {
        let path = format!("/history/indices?key={}&size={size}", percent_encode(key));
        let mut all: Vec<u64> = Vec::new();
        let mut after: Option<u64> = None;
        for _ in 0..MAX_HISTORY_PAGES {
            let page_path = match after {
                None => path.clone(),
                Some(a) => format!("{path}&after={a}"),
            };
            let page: IndicesPage =
                serde_json::from_slice(&self.get_with(bk, &page_path, secrets).await?)
                    .map_err(|e| FetchError::Malformed(e.to_string()))?;
            if page
                .indices
                .iter()
                .any(|&i| all.last().is_some_and(|&l| i <= l))
            {
                return Err(FetchError::Malformed("indices do not ascend".into()));
            }
            all.extend(page.indices);
            if all.len() > MAX_HISTORY_ENTRIES {
                return Err(FetchError::Malformed(format!("{} entries", all.len())));
            }
            match page.next {
                None => return Ok(all),
                Some(n) if after.is_none_or(|a| n > a) => after = Some(n),
                Some(_) => return Err(FetchError::Malformed("pages do not advance".into())),
            }
        }
        Err(FetchError::Malformed(format!(
            "more than {MAX_HISTORY_PAGES} pages of indices"
        )))
    }

    /// `GET base/path` from a static mirror, with one retry on a broken connection.
    /// The object `path` (`checkpoint`, `tile/…`) of bookkeeper `bk`'s log: from its published
    /// files when the policy names them (`tiles`), else from the bookkeeper. Both are checked the
    /// same way by the caller, against the log's signed checkpoint, so a mirror is trusted for
    /// nothing more than the bookkeeper is.
    pub async fn published(&self, bk: &Bookkeeper, path: &str) -> Result<Vec<u8>, FetchError> {
        match &bk.tiles {
            Some(tiles) => self.get_file(tiles.trim_end_matches('/'), path).await,
            None => self.get(bk, &format!("/{path}")).await,
        }
    }

    async fn get_file(&self, base: &str, path: &str) -> Result<Vec<u8>, FetchError> {
        let url = format!("{base}/{path}");
        match self.send(self.client.get(&url)).await {
            Err(FetchError::Unreachable(_)) => self.send(self.client.get(&url)).await,
            other => other,
        }
    }
}
