//! What the demo's operators do to a stopped bookkeeper's log, in whichever store it keeps it (a
//! SQLite file, or a PostgreSQL database with `--storage`): read every entry, rewrite one in place
//! (a dishonest operator: the tree's hashes left as they were), keep a backup and put it back (a
//! careless one).

use super::io;
use crate::error::{CliError, CliResult};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tally_bookkeeper::local;
use tally_logstore::{Location, LogStore as _, Store};

/// A stopped bookkeeper's log.
pub(super) struct Log {
    at: Location,
    node: String,
}

/// A copy of a log, to put back later.
pub(super) enum Backup {
    /// SQLite files in this directory.
    Files(PathBuf),
    /// A PostgreSQL database of this name on the log's server.
    Database(String),
}

impl Log {
    /// The log of `node` of the local network in `net`, as its config names it.
    pub(super) fn of(net: &Path, node: &str) -> CliResult<Log> {
        let config = tally_bookkeeper::Config::load(&local::config_path(net, node))
            .map_err(CliError::bad_input)?;
        Ok(Log {
            at: config.location().map_err(CliError::bad_input)?,
            node: node.to_owned(),
        })
    }

    /// Every entry, with its index.
    pub(super) fn entries(&self) -> CliResult<Vec<(i64, Vec<u8>)>> {
        let store = Store::open(&self.at).map_err(|e| self.error(e))?;
        let size = store.size().map_err(|e| self.error(e))?;
        let entries = store.entries(0..size).map_err(|e| self.error(e))?;
        Ok((0..).zip(entries).collect())
    }

    /// Replaces entry `index`'s bytes, and nothing else.
    pub(super) fn set_entry(&self, index: i64, data: &[u8]) -> CliResult {
        let sql = "UPDATE entries SET data = $1 WHERE idx = $2";
        match &self.at {
            Location::Sqlite(db) => rusqlite::Connection::open(db)
                .and_then(|c| c.execute(sql, rusqlite::params![data, index]))
                .map(drop)
                .map_err(|e| io(db, e)),
            Location::Postgres(url) => postgres::Client::connect(url, postgres::NoTls)
                .and_then(|mut c| c.execute(sql, &[&data, &index]))
                .map(drop)
                .map_err(|e| self.error(e)),
        }
    }

    /// Copies the log aside as backup `name` (under `dir` for SQLite files).
    pub(super) fn backup(&self, dir: &Path, name: &str) -> CliResult<Backup> {
        match &self.at {
            Location::Sqlite(db) => {
                let copy = dir.join(format!("{name}-{}", self.node));
                std::fs::create_dir_all(&copy).map_err(|e| io(&copy, e))?;
                copy_files(db, &copy.join(file_name(db)))?;
                Ok(Backup::Files(copy))
            }
            Location::Postgres(url) => {
                let copy = format!("{}_{name}", self.node);
                self.admin(
                    url,
                    &[
                        format!("DROP DATABASE IF EXISTS \"{copy}\""),
                        format!("CREATE DATABASE \"{copy}\" TEMPLATE \"{}\"", self.node),
                    ],
                )?;
                Ok(Backup::Database(copy))
            }
        }
    }

    /// Puts `backup` back in place of the log.
    pub(super) fn restore(&self, backup: &Backup) -> CliResult {
        match (&self.at, backup) {
            (Location::Sqlite(db), Backup::Files(dir)) => copy_files(&dir.join(file_name(db)), db),
            (Location::Postgres(url), Backup::Database(copy)) => self.admin(
                url,
                &[
                    format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.node),
                    format!("CREATE DATABASE \"{}\" TEMPLATE \"{copy}\"", self.node),
                ],
            ),
            _ => Err(CliError::bad_input("a backup of another kind of store")),
        }
    }

    /// Runs `statements` on the server's `postgres` database. A copy needs its source free of
    /// connections, and a closed store's connections close on threads of their own: retried for
    /// a while.
    fn admin(&self, url: &str, statements: &[String]) -> CliResult {
        let admin = tally_logstore::postgres::with_database(url, "postgres")
            .ok_or_else(|| CliError::bad_input(format!("{url} is not a postgres:// URL")))?;
        let mut last = None;
        for _ in 0..100 {
            let done = postgres::Client::connect(&admin, postgres::NoTls)
                .and_then(|mut c| statements.iter().try_for_each(|s| c.batch_execute(s)));
            match done {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(self.error(last.map_or_else(String::new, |e| e.to_string())))
    }

    fn error(&self, e: impl std::fmt::Display) -> CliError {
        CliError::bad_input(format!("{}'s log: {e}", self.node))
    }
}

fn file_name(db: &Path) -> String {
    db.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Copies a SQLite database file with its `-wal` and `-shm` (one missing at the source is
/// removed at the destination).
fn copy_files(from: &Path, to: &Path) -> CliResult {
    for suffix in ["", "-wal", "-shm"] {
        let src = PathBuf::from(format!("{}{suffix}", from.display()));
        let dst = PathBuf::from(format!("{}{suffix}", to.display()));
        let _ = std::fs::remove_file(&dst);
        if src.exists() {
            std::fs::copy(&src, &dst).map_err(|e| io(&src, e))?;
        }
    }
    Ok(())
}
