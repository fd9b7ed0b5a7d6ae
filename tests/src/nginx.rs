//! A real nginx (Debian's `nginx-light`, installed by `scripts/setup.sh`) for the tests of static
//! reads: started on a free port of 127.0.0.1 with a configuration and logs of its own in a
//! temporary directory, stopped when dropped.
//!
//! Run as root, nginx's workers read as `nobody`: the served directory and its parents are made
//! world-readable (they are a test's temporary directory of public log files).

use std::io::Read as _;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running nginx.
pub struct Nginx {
    child: Child,
    work: PathBuf,
    pub port: u16,
    root: PathBuf,
}

/// A location that passes requests to a bookkeeper: exactly `path` at `prefix` + `path`, all
/// else under `prefix` refused (403).
pub struct Proxy {
    pub prefix: String,
    pub path: String,
    pub upstream: String,
}

impl Nginx {
    /// Serves `root` (files as they are) from `http://127.0.0.1:PORT/`, with its own files in
    /// `work`.
    pub fn serve(root: &Path, work: &Path) -> Nginx {
        std::fs::create_dir_all(work).unwrap();
        for dir in root
            .ancestors()
            .take_while(|d| d.starts_with(std::env::temp_dir()))
        {
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        configure(work, root, port, &[]);
        let child = Command::new(nginx())
            .args(["-e", "stderr", "-c"])
            .arg(work.join("nginx.conf"))
            .arg("-p")
            .arg(work)
            .stdin(Stdio::null())
            .spawn()
            .expect("nginx (apt install nginx-light; scripts/setup.sh does)");
        crate::poll("nginx to listen", || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Nginx {
            child,
            work: work.to_owned(),
            port,
            root: root.to_owned(),
        }
    }

    /// The access log: one line per request, `METHOD PATH STATUS`.
    pub fn requests(&self) -> Vec<String> {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(self.work.join("access.log")) {
            let _ = f.read_to_string(&mut text);
        }
        text.lines().map(str::to_owned).collect()
    }

    /// Adds `proxies` to the configuration and reloads it (a new worker answers every request
    /// after the old ones finish: polled until one does).
    pub fn reload_with(&mut self, proxies: &[Proxy]) {
        configure(&self.work, &self.root, self.port, proxies);
        let status = Command::new(nginx())
            .args(["-e", "stderr", "-c"])
            .arg(self.work.join("nginx.conf"))
            .arg("-p")
            .arg(&self.work)
            .args(["-s", "reload"])
            .status()
            .unwrap();
        assert!(status.success(), "nginx -s reload");
        if let Some(p) = proxies.first() {
            let probe = format!("{}/nothing", p.prefix);
            crate::poll("nginx to load the proxies", || {
                self.status_of(&probe) == 403
            });
        }
    }

    /// The status of a plain GET of `path`.
    pub fn status_of(&self, path: &str) -> u16 {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return 0;
        };
        use std::io::Write as _;
        let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n");
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
    }
}

/// Writes `work/nginx.conf`: `root` served on `port`, and the `proxies`.
fn configure(work: &Path, root: &Path, port: u16, proxies: &[Proxy]) {
    let w = work.display();
    let locations: String = proxies
        .iter()
        .map(|p| {
            format!(
                "location = {prefix}{path} {{ proxy_pass {up}{path}; }}\n    location {prefix}/ {{ return 403; }}\n    ",
                prefix = p.prefix,
                path = p.path,
                up = p.upstream.trim_end_matches('/'),
            )
        })
        .collect();
    let conf = format!(
        "daemon off;\nworker_processes auto;\npid {w}/nginx.pid;\nerror_log {w}/error.log;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  log_format short '$request_method $uri $status';\n  access_log {w}/access.log short;\n  \
         client_body_temp_path {w}/body;\n  proxy_temp_path {w}/proxy;\n  fastcgi_temp_path {w}/fastcgi;\n  \
         uwsgi_temp_path {w}/uwsgi;\n  scgi_temp_path {w}/scgi;\n  default_type application/octet-stream;\n  \
         server {{\n    listen 127.0.0.1:{port};\n    root {root};\n    {locations}\n  }}\n}}\n",
                root = root.display(),
    );
    std::fs::write(work.join("nginx.conf"), conf).unwrap();
}

/// Debian installs nginx in /usr/sbin, which a non-root PATH may lack.
fn nginx() -> PathBuf {
    let sbin = PathBuf::from("/usr/sbin/nginx");
    if sbin.exists() {
        sbin
    } else {
        PathBuf::from("nginx")
    }
}

impl Drop for Nginx {
    /// SIGTERM: the master stops its workers and exits (a SIGKILL would leave them running).
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = self.child.wait();
    }
}
