//! A real PostgreSQL server for tests and benchmarks (Debian's `postgresql`, installed by
//! `scripts/setup.sh`): a temporary cluster (`initdb`) on a free port of 127.0.0.1, run by an
//! unprivileged user — the `postgres` system user when the tests run as root, since the server
//! refuses to run as root — and stopped and removed when dropped.

use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running PostgreSQL server with a superuser `tally` (trust authentication on loopback).
pub struct Postgres {
    child: std::sync::Mutex<Child>,
    _dir: tempfile::TempDir,
    pub port: u16,
}

impl Postgres {
    /// Creates a cluster in a temporary directory and starts its server.
    pub fn start() -> Postgres {
        Self::start_in(None)
    }

    /// [`Postgres::start`], with the temporary directory under `parent` if given (a disk with
    /// room for a large database).
    pub fn start_in(parent: Option<PathBuf>) -> Postgres {
        let dir = match parent {
            Some(parent) => tempfile::tempdir_in(parent),
            None => tempfile::tempdir(),
        }
        .expect("tempdir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("data dir");
        let owner = owner();
        if let Some((uid, gid)) = owner {
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
            nix::unistd::chown(&data, Some(uid.into()), Some(gid.into())).expect("chown");
        }
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        let initdb = as_owner(Command::new(bin("initdb")), owner)
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "tally",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .output()
            .expect("initdb (apt install postgresql; scripts/setup.sh does)");
        assert!(
            initdb.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&initdb.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log");
        let child = as_owner(Command::new(bin("postgres")), owner)
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-k"])
            .arg(&data)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("postgres");
        let server = Postgres {
            child: std::sync::Mutex::new(child),
            _dir: dir,
            port,
        };
        for _ in 0..600 {
            if off_runtime(|| {
                postgres::Client::connect(&server.url("postgres"), postgres::NoTls).is_ok()
            }) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("postgres did not start; see {}", server.log().display());
    }

    /// The URL of database `name` on this server.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://tally@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates database `name` and returns its URL.
    pub fn database(&self, name: &str) -> String {
        let admin = self.url("postgres");
        off_runtime(|| {
            postgres::Client::connect(&admin, postgres::NoTls)
                .expect("connect")
                .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .expect("create database")
        });
        self.url(name)
    }

    /// Replaces database `to` with a copy of database `from` (`CREATE DATABASE … TEMPLATE`): a
    /// backup, or its restore. Neither may have open connections; a store's connections close
    /// on threads of their own, so a copy that finds one is retried for a while.
    pub fn copy(&self, from: &str, to: &str) {
        let admin = self.url("postgres");
        let sql = format!(
            "DROP DATABASE IF EXISTS \"{to}\"; CREATE DATABASE \"{to}\" TEMPLATE \"{from}\""
        );
        for _ in 0..100 {
            let done = off_runtime(|| {
                let mut c = postgres::Client::connect(&admin, postgres::NoTls).expect("connect");
                // Two statements: DROP DATABASE cannot run inside a transaction block.
                let (drop, create) = sql.split_once("; ").expect("two statements");
                c.batch_execute(drop).and_then(|()| c.batch_execute(create))
            });
            if done.is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("could not copy database {from} to {to}");
    }

    /// Drops database `name` and creates it again, empty.
    pub fn recreate(&self, name: &str) {
        let admin = self.url("postgres");
        off_runtime(|| {
            let mut c = postgres::Client::connect(&admin, postgres::NoTls).expect("connect");
            c.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .and_then(|()| c.batch_execute(&format!("CREATE DATABASE \"{name}\"")))
                .expect("recreate database")
        });
    }

    fn log(&self) -> PathBuf {
        self._dir.path().join("server.log")
    }
}

impl Postgres {
    /// Stops the server: SIGINT, PostgreSQL's fast shutdown (it ends its sessions and background
    /// processes), and waits for it. For a server held where it is never dropped (a static).
    pub fn stop(&self) {
        let Ok(mut child) = self.child.lock() else {
            return;
        };
        if let Ok(None) = child.try_wait() {
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
            let _ = child.wait();
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs `f` on a thread of its own: the synchronous `postgres` client runs a runtime of its own,
/// which tokio refuses to start on a thread that drives async tasks (an async test's).
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().expect("postgres client thread"))
}

/// The user that runs the server: the `postgres` system user when this process is root.
fn owner() -> Option<(u32, u32)> {
    if !nix::unistd::Uid::effective().is_root() {
        return None;
    }
    let user = nix::unistd::User::from_name("postgres")
        .ok()
        .flatten()
        .expect("a postgres system user (Debian's postgresql package creates it)");
    Some((user.uid.as_raw(), user.gid.as_raw()))
}

fn as_owner(mut command: Command, owner: Option<(u32, u32)>) -> Command {
    if let Some((uid, gid)) = owner {
        command.uid(uid).gid(gid).env("HOME", "/tmp");
    }
    command
}

/// A server program: from the newest of Debian's `/usr/lib/postgresql/<version>/bin`, else `PATH`.
fn bin(name: &str) -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.exists())
        .collect();
    versions.sort_by_key(|p| version_of(p));
    versions.pop().unwrap_or_else(|| PathBuf::from(name))
}

fn version_of(bin: &Path) -> u32 {
    bin.ancestors()
        .nth(2)
        .and_then(|v| v.file_name())
        .and_then(|v| v.to_str())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
