//! Static reads: the log published as files — its checkpoint, hash tiles and entry bundles, named
//! as c2sp.org/tlog-tiles names them — so that any web server or CDN serves every read a light
//! client needs but the per-product index (`/history/indices`), and reads never reach the
//! sequencer's machine.
//!
//! After each checkpoint the log signs, or re-publishes with more cosignatures, the publisher
//! writes the tiles that changed since the last checkpoint it published, then the checkpoint: a
//! reader that sees a checkpoint finds every tile it needs. Each file is written whole under a
//! temporary name, flushed and renamed, so neither a reader nor a crash ever sees half a file.
//! A tile's bytes never change (a partial tile `….p/W` is the same whenever it is written), and
//! partial tiles are kept: a client holding an older checkpoint still reads them.
//!
//! [`Sink`] is the one narrow interface a store of objects implements: a [`Directory`], or an
//! S3-compatible bucket ([`s3::S3Bucket`]). [`open`] picks one from the config's `publish`.

mod s3;

use crate::error::{ApiError, ServeError};
use crate::shared::{Shared, Signed};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tally_logstore::changed_tiles;

pub use s3::S3Bucket;

/// Where a failed publication is retried after.
const RETRY: Duration = Duration::from_secs(1);

/// A store of immutable objects (and the one mutable `checkpoint`). Its calls block: make them on
/// a blocking thread.
pub trait Sink: Send + Sync + 'static {
    /// Writes `data` at `path` (relative, `/`-separated), replacing any earlier object whole.
    fn put(&self, path: &str, data: &[u8]) -> std::io::Result<()>;
    /// The object at `path`, if there is one.
    fn get(&self, path: &str) -> std::io::Result<Option<Vec<u8>>>;
}

/// The sink a config's `publish` names: `s3://BUCKET[/PREFIX]` (see [`S3Bucket::from_env`]), else
/// a directory. Blocks (an S3 client starts its own threads): call it on a blocking thread.
pub fn open(target: &str) -> Result<Arc<dyn Sink>, ServeError> {
    Ok(match target.strip_prefix("s3://") {
        Some(location) => Arc::new(S3Bucket::from_env(location)?),
        None => Arc::new(Directory::new(Path::new(target))),
    })
}

/// `target`/`name`: where node `name` of a local network publishes, under a directory or an S3
/// prefix alike.
pub fn under(target: &str, name: &str) -> String {
    format!("{}/{name}", target.trim_end_matches('/'))
}

/// Objects as files under a directory (world-readable, as a web server needs them).
pub struct Directory {
    root: PathBuf,
}

impl Directory {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
        }
    }
}

impl Sink for Directory {
    fn put(&self, path: &str, data: &[u8]) -> std::io::Result<()> {
        let target = self.root.join(path);
        let dir = target.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir)?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let temp = dir.join(format!(".{name}.tmp"));
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(data)?;
        file.sync_data()?;
        std::fs::rename(&temp, &target)
    }

    fn get(&self, path: &str) -> std::io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.root.join(path)) {
            Ok(data) => Ok(Some(data)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Publishes every checkpoint the log serves, and the tiles under it, until the task is stopped.
pub(crate) async fn run(shared: Arc<Shared>, sink: Arc<dyn Sink>) {
    // What an earlier run published (the same log's, or nothing): its tiles need not be written
    // again. A checkpoint larger than the log is another log's, and everything is written.
    let reading = Arc::clone(&sink);
    let mut published = tokio::task::spawn_blocking(move || published_size(&*reading))
        .await
        .ok()
        .flatten();
    let mut last_note = None;
    loop {
        match shared.latest() {
            Some(latest) if last_note.as_ref() != Some(&latest.note) => {
                let from = published.filter(|&p| p <= latest.size).unwrap_or(0);
                match publish(&shared, &sink, from, &latest).await {
                    Ok(()) => {
                        published = Some(latest.size);
                        last_note = Some(latest.note);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, size = latest.size, "could not publish the checkpoint's tiles; retrying");
                        tokio::time::sleep(RETRY).await;
                        continue;
                    }
                }
            }
            _ => {}
        }
        shared.checkpoint_signed.notified().await;
    }
}

/// The size of the checkpoint already published, if one is.
fn published_size(sink: &dyn Sink) -> Option<u64> {
    let note = sink.get("checkpoint").ok()??;
    tally_tlog::checkpoint::parse_unverified(&note)
        .ok()
        .map(|c| c.size())
}

/// Writes the tiles that changed from the tree of `from` leaves to `latest`'s, then its note.
async fn publish(
    shared: &Arc<Shared>,
    sink: &Arc<dyn Sink>,
    from: u64,
    latest: &Signed,
) -> Result<(), ApiError> {
    let (shared2, sink, latest) = (Arc::clone(shared), Arc::clone(sink), latest.clone());
    tokio::task::spawn_blocking(move || {
        // A read connection per tile, never held while the sink writes (an S3 request takes
        // milliseconds; the proofs and lookups share those connections).
        for tile in changed_tiles(from, latest.size) {
            let data = shared2
                .read(|s| Ok(s.tile(tile, latest.size)?))?
                .ok_or_else(|| ApiError::internal(format!("{} is not in the tree", tile.path())))?;
            sink.put(&tile.path(), &data).map_err(ApiError::internal)?;
        }
        sink.put("checkpoint", &latest.note)
            .map_err(ApiError::internal)
    })
    .await
    .map_err(ApiError::internal)?
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_tlog::tiles::TilePath;

    #[test]
    fn a_growing_tree_publishes_each_tile_it_changed() {
        let paths = |from, to| -> Vec<String> {
            changed_tiles(from, to).iter().map(TilePath::path).collect()
        };
        assert_eq!(paths(0, 3), ["tile/0/000.p/3", "tile/entries/000.p/3"]);
        assert_eq!(paths(3, 3), Vec::<String>::new());
        assert_eq!(
            paths(3, 257),
            [
                "tile/0/000",
                "tile/0/001.p/1",
                "tile/1/000.p/1",
                "tile/entries/000",
                "tile/entries/001.p/1"
            ]
        );
        // Past a full tile: only what the new entries touch.
        assert_eq!(paths(512, 513), ["tile/0/002.p/1", "tile/entries/002.p/1"]);
    }

    #[test]
    fn a_directory_replaces_objects_whole_and_reads_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let sink = Directory::new(dir.path());
        assert_eq!(sink.get("checkpoint").unwrap(), None);
        sink.put("tile/0/x001/234.p/7", b"one").unwrap();
        sink.put("tile/0/x001/234.p/7", b"two").unwrap();
        assert_eq!(
            sink.get("tile/0/x001/234.p/7").unwrap().as_deref(),
            Some(&b"two"[..])
        );
        let left: Vec<_> = std::fs::read_dir(dir.path().join("tile/0/x001/234.p"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["7"], "no temporary file is left behind");
    }
}
