//! Reading stored hashes from SQLite, for proofs and for appending.

use rusqlite::{params_from_iter, Connection};
use tlog_tiles::tlog::Error as TreeError;
use tlog_tiles::{Hash, HashReader};

/// Most hashes read by one statement; `tlog_tiles` asks for O(log n) at a time, far fewer.
const CHUNK: usize = 256;

/// Reads the stored hashes at `indexes` (any order, repeats allowed) with one cached
/// `SELECT … WHERE idx IN (…)` per call, so a proof costs one query rather than one per hash.
pub(crate) fn read(conn: &Connection, indexes: &[u64]) -> Result<Vec<Hash>, TreeError> {
    let mut found: Vec<(u64, [u8; 32])> = Vec::with_capacity(indexes.len());
    for chunk in indexes.chunks(CHUNK) {
        let sql = select_in(chunk.len());
        let mut stmt = conn.prepare_cached(&sql).map_err(db)?;
        let rows = stmt
            .query_map(params_from_iter(chunk), |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db)?;
        for row in rows {
            found.push(row.map_err(db)?);
        }
    }
    found.sort_unstable_by_key(|(i, _)| *i);
    indexes
        .iter()
        .map(|i| {
            found
                .binary_search_by_key(i, |(j, _)| *j)
                .map(|k| Hash(found[k].1))
                .map_err(|_| TreeError::IndexesNotInTree)
        })
        .collect()
}

fn select_in(n: usize) -> String {
    let mut sql = String::with_capacity(48 + 2 * n);
    sql.push_str("SELECT idx, hash FROM hashes WHERE idx IN (?");
    for _ in 1..n {
        sql.push_str(",?");
    }
    sql.push(')');
    sql
}

/// `tlog_tiles` errors have no database variant; keep the database's message.
fn db(e: rusqlite::Error) -> TreeError {
    TreeError::InvalidInput(format!("log store database: {e}"))
}

/// The hashes a batch is appending, over the hashes already stored, so each new leaf's subtree hashes
/// can be computed before anything is written.
pub(crate) struct Overlay<'a> {
    pub(crate) conn: &'a Connection,
    /// Stored-hash index of `new[0]`.
    pub(crate) base: u64,
    pub(crate) new: Vec<Hash>,
}

impl HashReader for Overlay<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TreeError> {
        let old: Vec<u64> = indexes.iter().copied().filter(|&i| i < self.base).collect();
        let mut old = read(self.conn, &old)?.into_iter();
        indexes
            .iter()
            .map(|&i| {
                if i < self.base {
                    old.next()
                } else {
                    usize::try_from(i - self.base)
                        .ok()
                        .and_then(|k| self.new.get(k).copied())
                }
                .ok_or(TreeError::IndexesNotInTree)
            })
            .collect()
    }
}
