//! Reading stored hashes from SQLite, for proofs and for appending.

use rusqlite::{params_from_iter, Connection};
use tlog_tiles::tlog::Error as TreeError;
use tlog_tiles::{Hash, HashReader};

/// Most hashes read by one statement; `tlog_tiles` asks for O(log n) at a time, far fewer.
const CHUNK: usize = 64;

/// Reads the stored hashes at `indexes` (any order, repeats allowed) with one cached statement per
/// call, so a proof costs one query (one read transaction) rather than one per hash.
///
/// The statement is a `UNION ALL` of rowid lookups, one per index, rather than `idx IN (…)`: SQLite
/// answers an `IN` list by first building and sorting a temporary index of its values, which cost
/// more than the lookups themselves; the union is a straight run of B-tree seeks whose rows come
/// back in the order asked.
pub(crate) fn read(conn: &Connection, indexes: &[u64]) -> Result<Vec<Hash>, TreeError> {
    let mut found = Vec::with_capacity(indexes.len());
    for chunk in indexes.chunks(CHUNK) {
        let mut stmt = conn.prepare_cached(&select_each(chunk.len())).map_err(db)?;
        let mut rows = stmt.query(params_from_iter(chunk)).map_err(db)?;
        // Each lookup yields its row or none: a row for another index than the next one asked
        // means that one is not stored (and an exhausted answer means the rest are not).
        for &want in chunk {
            let row = rows
                .next()
                .map_err(db)?
                .ok_or(TreeError::IndexesNotInTree)?;
            if row.get::<_, u64>(0).map_err(db)? != want {
                return Err(TreeError::IndexesNotInTree);
            }
            found.push(Hash(row.get(1).map_err(db)?));
        }
    }
    Ok(found)
}

fn select_each(n: usize) -> String {
    let one = "SELECT idx, hash FROM hashes WHERE idx = ?";
    let mut sql = String::with_capacity(n * (one.len() + 16));
    for k in 1..=n {
        if k > 1 {
            sql.push_str(" UNION ALL ");
        }
        sql.push_str(one);
        sql.push_str(&k.to_string());
    }
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
