//! Proofs computed from a log's static tiles (c2sp.org/tlog-tiles), sans-I/O.
//!
//! A log that publishes only files (its checkpoint, hash tiles and entry bundles, served by any web
//! server or CDN) answers no proof requests: the client builds the inclusion and consistency
//! proofs itself from the tiles, as Go's sumdb client does. The work is split in two so that the
//! caller does the fetching in between: [`TiledRead::tiles`] names every tile needed, and
//! [`TiledRead::prove`] builds the proofs from what was fetched.
//!
//! Hash tiles are read through `tlog_tiles`' `TileHashReader` (the port of Go's
//! `tlog.TileHashReader`), which checks the tiles that make up the tree's root against the
//! checkpoint's. It does not check every other tile against its parent (its loop over them starts
//! at the count of root *hashes*, not root tiles, as Go's does; Go relies on the proof check that
//! follows), so [`TiledRead::prove`] checks each inclusion proof it built, with the leaf hash the
//! tiles hold, against the root: a hash tile that a mirror altered is named here. An altered
//! entry bundle is left to the verdict, which names it as it names any log serving an entry its
//! checkpoint does not contain. That is a clearer error, not
//! the defence: the verdict checks every proof against the signed checkpoint anyway, and a forged
//! tile can only make this log's evidence unusable.

use crate::tiles::{decode_entry_bundle, TileKind, TilePath};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use thiserror::Error;
use tlog_tiles::{Hash, HashReader, Tile, TileHashReader, TileReader};

/// Tile height of c2sp.org/tlog-tiles: 2^8 = 256 hashes per full tile.
const HEIGHT: u8 = 8;

/// Why proofs could not be built from the tiles given.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TiledError {
    #[error("nothing to prove in an empty tree")]
    EmptyTree,
    #[error("entry {index} is not in the tree of size {size}")]
    NotInTree { index: u64, size: u64 },
    #[error("tile {0} is missing")]
    Missing(String),
    #[error("tile {0} has the wrong length")]
    WrongLength(String),
    #[error("the tiles do not hash to the checkpoint's root")]
    Inconsistent,
    #[error("entry bundle {0} is malformed")]
    BadBundle(String),
    #[error("tile proof: {0}")]
    Proof(String),
}

/// The proofs of some entries of one tree, and of the tree's consistency with an older one.
#[derive(Debug, Clone, PartialEq)]
pub struct Tiled {
    /// Each entry asked for: its index, its bytes and its inclusion proof.
    pub entries: Vec<(u64, Vec<u8>, Vec<Hash>)>,
    /// The consistency proof from the old size, when 0 < old < size.
    pub consistency: Option<Vec<Hash>>,
}

/// What one read of a tiled log asks for: entries `indices` of the tree of `size` leaves with
/// root `root` (the checkpoint's), and consistency from the tree of `old` leaves.
#[derive(Debug, Clone)]
pub struct TiledRead {
    size: u64,
    root: Hash,
    indices: Vec<u64>,
    old: u64,
}

impl TiledRead {
    /// Checks that every index lies in the tree. `old` outside `1..size` asks for no
    /// consistency proof.
    pub fn new(size: u64, root: Hash, indices: &[u64], old: u64) -> Result<Self, TiledError> {
        if size == 0 {
            return Err(TiledError::EmptyTree);
        }
        if let Some(&index) = indices.iter().find(|&&i| i >= size) {
            return Err(TiledError::NotInTree { index, size });
        }
        let indices: BTreeSet<u64> = indices.iter().copied().collect();
        Ok(Self {
            size,
            root,
            indices: indices.into_iter().collect(),
            old,
        })
    }

    /// Every tile the proofs need (hash tiles, then the entry bundles holding the entries),
    /// each named once.
    pub fn tiles(&self) -> Vec<TilePath> {
        let recorder = Recorder::default();
        let hashes = TileHashReader::new(self.size, self.root, &recorder);
        // The recorder fails every read after noting what was asked: each proof is asked for on
        // its own, so that every one is noted.
        for &i in &self.indices {
            let _ = Self::leaf(i, &hashes);
            let _ = tlog_tiles::prove_record(self.size, i, &hashes);
        }
        if self.wants_consistency() {
            let _ = tlog_tiles::prove_tree(self.size, self.old, &hashes);
        }
        let mut paths: Vec<TilePath> = recorder.asked.take().into_iter().map(path_of).collect();
        let bundles: BTreeSet<u64> = self.indices.iter().map(|i| i / 256).collect();
        paths.extend(bundles.into_iter().map(|n| self.bundle(n)));
        let mut seen = BTreeSet::new();
        paths.retain(|p| seen.insert(p.path()));
        paths
    }

    fn wants_consistency(&self) -> bool {
        self.old > 0 && self.old < self.size
    }

    /// The proofs, from `fetched` tiles (keyed as [`tiles`](Self::tiles) names them).
    pub fn prove(&self, fetched: &HashMap<TilePath, Vec<u8>>) -> Result<Tiled, TiledError> {
        let reader = Fetched {
            tiles: fetched,
            error: RefCell::new(None),
        };
        let (proofs, consistency) = self.proofs(&reader).map_err(|e| {
            reader.error.take().unwrap_or_else(|| match e {
                tlog_tiles::tlog::Error::InconsistentTile => TiledError::Inconsistent,
                other => TiledError::Proof(other.to_string()),
            })
        })?;
        // Each proof is checked with the leaf hash the tiles hold: a tile that does not fit the
        // root is this read's error. The entry's bytes are not checked against that leaf here:
        // an altered entry is the verdict's to name (`tampered_entry`), as for any bookkeeper.
        let entries = self
            .indices
            .iter()
            .zip(proofs)
            .map(|(&index, (leaf, proof))| {
                crate::merkle::verify_inclusion(index, self.size, &leaf, &proof, &self.root)
                    .map_err(|_| TiledError::Inconsistent)?;
                Ok((index, self.entry(fetched, index)?, proof))
            })
            .collect::<Result<_, TiledError>>()?;
        Ok(Tiled {
            entries,
            consistency,
        })
    }

    /// The leaf hash and inclusion proof of every index, and the consistency proof, read
    /// through `tiles`.
    #[allow(clippy::type_complexity)]
    fn proofs(
        &self,
        tiles: &impl TileReader,
    ) -> Result<(Vec<(Hash, Vec<Hash>)>, Option<Vec<Hash>>), tlog_tiles::tlog::Error> {
        let hashes = TileHashReader::new(self.size, self.root, tiles);
        let proofs = self
            .indices
            .iter()
            .map(|&i| {
                Ok((
                    Self::leaf(i, &hashes)?,
                    tlog_tiles::prove_record(self.size, i, &hashes)?,
                ))
            })
            .collect::<Result<Vec<_>, tlog_tiles::tlog::Error>>()?;
        let consistency = self
            .wants_consistency()
            .then(|| tlog_tiles::prove_tree(self.size, self.old, &hashes))
            .transpose()?;
        Ok((proofs, consistency))
    }

    /// Leaf `index`'s hash, as the level-0 tile holds it.
    fn leaf(index: u64, hashes: &impl HashReader) -> Result<Hash, tlog_tiles::tlog::Error> {
        let leaf = hashes.read_hashes(&[tlog_tiles::stored_hash_index(0, index)])?;
        leaf.first()
            .copied()
            .ok_or(tlog_tiles::tlog::Error::BadMath)
    }

    /// The entry bundle numbered `n` as it stands in this tree (partial if it is the last).
    fn bundle(&self, n: u64) -> TilePath {
        TilePath::bundle(n, self.size)
    }

    /// Entry `index`, from its bundle among `fetched`.
    fn entry(
        &self,
        fetched: &HashMap<TilePath, Vec<u8>>,
        index: u64,
    ) -> Result<Vec<u8>, TiledError> {
        let path = self.bundle(index / 256);
        let data = fetched
            .get(&path)
            .ok_or_else(|| TiledError::Missing(path.path()))?;
        let entries = decode_entry_bundle(data)
            .filter(|e| e.len() == path.width as usize)
            .ok_or_else(|| TiledError::BadBundle(path.path()))?;
        Ok(entries[(index % 256) as usize].to_vec())
    }
}

/// The C2SP path of a `tlog_tiles` hash tile (height 8).
fn path_of(tile: Tile) -> TilePath {
    TilePath {
        kind: TileKind::Hashes(tile.level()),
        index: tile.level_index(),
        width: tile.width(),
    }
}

/// A tile reader that notes what is asked and answers nothing.
#[derive(Default)]
struct Recorder {
    asked: RefCell<Vec<Tile>>,
}

impl TileReader for Recorder {
    fn height(&self) -> u8 {
        HEIGHT
    }

    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::tlog::Error> {
        self.asked.borrow_mut().extend_from_slice(tiles);
        Err(tlog_tiles::tlog::Error::InvalidTile)
    }

    fn save_tiles(&self, _: &[Tile], _: &[Vec<u8>]) {}
}

/// A tile reader over fetched tiles; it keeps the first error it met, for a precise message.
struct Fetched<'a> {
    tiles: &'a HashMap<TilePath, Vec<u8>>,
    error: RefCell<Option<TiledError>>,
}

impl TileReader for Fetched<'_> {
    fn height(&self) -> u8 {
        HEIGHT
    }

    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::tlog::Error> {
        let mut out = Vec::with_capacity(tiles.len());
        for &tile in tiles {
            let path = path_of(tile);
            let data = self.tiles.get(&path).ok_or_else(|| {
                self.error.replace(Some(TiledError::Missing(path.path())));
                tlog_tiles::tlog::Error::InvalidTile
            })?;
            if data.len() != tile.width() as usize * 32 {
                self.error
                    .replace(Some(TiledError::WrongLength(path.path())));
                return Err(tlog_tiles::tlog::Error::InvalidTile);
            }
            out.push(data.clone());
        }
        Ok(out)
    }

    fn save_tiles(&self, _: &[Tile], _: &[Vec<u8>]) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{consistency_proof, inclusion_proof};
    use crate::MemoryStore;

    /// A store of `n` entries, and each tile of it as a static publisher would write it.
    fn published(n: u64) -> (MemoryStore, Vec<Vec<u8>>, HashMap<TilePath, Vec<u8>>) {
        let mut store = MemoryStore::new();
        let entries: Vec<Vec<u8>> = (0..n).map(|i| format!("entry {i}").into_bytes()).collect();
        for e in &entries {
            store.append(e).unwrap();
        }
        let mut tiles = HashMap::new();
        for tile in Tile::new_tiles(HEIGHT, 0, n) {
            let data = tile.read_data(&store).unwrap();
            tiles.insert(path_of(tile), data);
        }
        let read =
            TiledRead::new(n, store.root(n).unwrap(), &(0..n).collect::<Vec<_>>(), 0).unwrap();
        for b in 0..n.div_ceil(256) {
            let path = read.bundle(b);
            let first = (b * 256) as usize;
            let bundle = crate::tiles::encode_entry_bundle(
                entries[first..first + path.width as usize]
                    .iter()
                    .map(Vec::as_slice),
            )
            .unwrap();
            tiles.insert(path, bundle);
        }
        (store, entries, tiles)
    }

    #[test]
    fn proofs_from_tiles_match_the_stores_own() {
        for n in [1u64, 2, 255, 256, 257, 513, 70_000] {
            let (store, entries, tiles) = published(n);
            let root = store.root(n).unwrap();
            let indices: Vec<u64> = [0, n / 3, n / 2, n - 1].into();
            for old in [0, 1, n / 2, n] {
                let read = TiledRead::new(n, root, &indices, old).unwrap();
                let asked = read.tiles();
                assert!(asked.iter().all(|p| tiles.contains_key(p)), "n={n}");
                let got = read.prove(&tiles).unwrap();
                for (index, bytes, proof) in &got.entries {
                    assert_eq!(bytes, &entries[*index as usize]);
                    assert_eq!(proof, &inclusion_proof(&store, *index, n).unwrap());
                }
                let want = (old > 0 && old < n).then(|| consistency_proof(&store, old, n).unwrap());
                assert_eq!(got.consistency, want, "n={n} old={old}");
            }
        }
    }

    #[test]
    fn only_the_tiles_asked_for_are_needed() {
        let n = 70_000;
        let (store, _, all) = published(n);
        let read = TiledRead::new(n, store.root(n).unwrap(), &[12_345], 600).unwrap();
        let asked: HashMap<TilePath, Vec<u8>> = read
            .tiles()
            .into_iter()
            .map(|p| (p, all[&p].clone()))
            .collect();
        assert!(asked.len() < 12, "{} tiles for one entry", asked.len());
        read.prove(&asked).unwrap();
    }

    #[test]
    fn an_altered_missing_or_cut_tile_is_named() {
        let n = 1000;
        let (store, _, tiles) = published(n);
        let read = TiledRead::new(n, store.root(n).unwrap(), &[700], 0).unwrap();
        for path in read.tiles() {
            let mut altered = tiles.clone();
            let data = altered.get_mut(&path).unwrap();
            // A hash tile's last hash, or entry 700's last byte: in bundle 2 each entry is
            // "entry NNN" (9 bytes) after its 2-byte length.
            let at = match path.kind {
                TileKind::Entries => (700 - 512) * 11 + 10,
                TileKind::Hashes(_) => data.len() - 1,
            };
            data[at] ^= 1;
            match (path.kind, read.prove(&altered)) {
                (TileKind::Hashes(_), Err(TiledError::Inconsistent)) => {}
                // The entry as the mirror altered it, with the proof of the logged one: the
                // verdict sees an entry its checkpoint does not contain.
                (TileKind::Entries, Ok(got)) => {
                    let (_, bytes, proof) = &got.entries[0];
                    assert_eq!(bytes, b"entry 701");
                    assert_eq!(proof, &inclusion_proof(&store, 700, n).unwrap());
                }
                (_, other) => panic!("{}: {other:?}", path.path()),
            }
            // A bundle's first length prefix, made too long for it.
            let mut bad = tiles.clone();
            if path.kind == TileKind::Entries {
                bad.get_mut(&path).unwrap()[0] ^= 0x80;
                assert_eq!(read.prove(&bad), Err(TiledError::BadBundle(path.path())));
            }
            let mut missing = tiles.clone();
            missing.remove(&path);
            assert_eq!(read.prove(&missing), Err(TiledError::Missing(path.path())));
            let mut cut = tiles.clone();
            cut.get_mut(&path).unwrap().pop();
            assert!(matches!(
                read.prove(&cut),
                Err(TiledError::WrongLength(_) | TiledError::BadBundle(_))
            ));
        }
        let wrong_root = TiledRead::new(n, Hash([9; 32]), &[700], 0).unwrap();
        assert_eq!(wrong_root.prove(&tiles), Err(TiledError::Inconsistent));
    }

    #[test]
    fn reads_outside_the_tree_are_refused() {
        assert_eq!(
            TiledRead::new(0, Hash([0; 32]), &[], 0).err(),
            Some(TiledError::EmptyTree)
        );
        assert_eq!(
            TiledRead::new(5, Hash([0; 32]), &[5], 0).err(),
            Some(TiledError::NotInTree { index: 5, size: 5 })
        );
    }
}
