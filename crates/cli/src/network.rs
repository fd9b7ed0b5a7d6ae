//! `tally network up|down`: a local network of bookkeepers on 127.0.0.1, for the demo and the
//! end-to-end tests, run as real detached `tally bookkeeper serve` processes.
//!
//! Everything lives in one directory: `policy.json`, `governance.key`/`.pub`, and per node `bkN`
//! its keys, `bkN.json` (config), `bkN.db` (SQLite), `bkN.log` (stdout and stderr) and, while it
//! runs, `bkN.pid`. The directory is the network's whole state, so `up` on an existing one
//! restarts the stopped nodes with their keys and data instead of creating a new network.

use crate::error::{CliError, CliResult};
use clap::{Args, Subcommand};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use rand_core::OsRng;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tally_bookkeeper::local::{self, LocalNode};
use tally_tlog::{KeyType, SignerKey};
use tally_trust::policy::ColdChainRule;

/// Pause between two checks while waiting for nodes to become healthy or to stop.
const POLL: Duration = Duration::from_millis(100);
/// Checks before giving up: 60 s, far above an honest start or stop on a loaded machine.
const ATTEMPTS: u32 = 600;

/// Start or stop a local network of bookkeepers on 127.0.0.1.
#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    Up(UpArgs),
    Down(DownArgs),
    RotateSecret(RotateArgs),
}

/// As governance of a confidential network, rotate its registry secret: a new secret becomes the
/// first line of DIR/registry.secret, before the older ones. Restart the nodes (`down`, `up`) to
/// seal new records for it, and give the members the new file: a former member, who keeps only
/// the old secrets, reads nothing of the registry logged from then on.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The directory given to `tally network up --confidential`.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
}

/// Create (if DIR has no network yet) and start a local network of N bookkeepers on 127.0.0.1.
///
/// Each node runs as a detached `tally bookkeeper serve` logging to DIR/bkN.log; `up` waits until
/// every node answers /health (up to 60 s each), then prints the policy path and each node's URL.
///
/// A new network gets fresh keys (per node bkN a log key `bkN.tally.local/log` and a witness key;
/// one governance key in DIR/governance.key) and a policy in which each node is its own operator,
/// the log quorum is a majority (N/2+1), and each checkpoint needs the cosignatures of N/2 peers (so
/// a majority of operators vouches for it, and a minority of nodes down leaves the others'
/// checkpoints cosigned). On an existing DIR, only the stopped nodes are started again, with their
/// existing keys, ports and data.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// Number of bookkeepers (1 to 64).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub nodes: u16,
    /// Directory holding the network's keys, policy, configs, databases, logs and pid files.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Serve node bkN on port P+N-1 instead of on free ports chosen by the system.
    #[arg(long, value_name = "P")]
    pub base_port: Option<u16>,
    /// A cold-chain rule of a new network's policy: GTIN-PREFIX:MIN:MAX in °C (repeat).
    #[arg(long = "cold-chain", value_name = "PREFIX:MIN:MAX", value_parser = cold_chain_rule, allow_hyphen_values = true)]
    pub cold_chain: Vec<ColdChainRule>,
    /// A new network's policy logs sealed events only (devices must record from labelled codes).
    #[arg(long)]
    pub confidential: bool,
    /// Each node of a new network publishes its checkpoint, tiles and entry bundles (named as
    /// c2sp.org/tlog-tiles names them) under TARGET/bkN/: TARGET is a directory, for any web
    /// server to serve, or s3://BUCKET[/PREFIX], an S3-compatible bucket configured as the AWS
    /// tools are (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
    #[arg(long, value_name = "TARGET")]
    pub publish: Option<String>,
    /// With --publish: the URL a web server serves that DIR at. The policy tells clients to read
    /// bkN's checkpoint, entries and proofs from URL/bkN/, and to ask the node only which
    /// entries concern a product.
    #[arg(long, value_name = "URL", requires = "publish")]
    pub tiles_url: Option<String>,
    /// Keep a new network's logs in the PostgreSQL server at URL (postgres://USER@HOST:PORT/):
    /// node bkN in a database bkN there, created if missing (default: SQLite files in DIR).
    #[arg(long, value_name = "URL")]
    pub storage: Option<String>,
    /// Print nothing (for callers that report progress themselves).
    #[arg(skip)]
    pub quiet: bool,
}

fn cold_chain_rule(s: &str) -> Result<ColdChainRule, String> {
    let bad = || format!("{s:?}: want GTIN-PREFIX:MIN:MAX, e.g. 0950600:-1:4");
    let mut parts = s.splitn(3, ':');
    let (Some(prefix), Some(min), Some(max)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    Ok(ColdChainRule {
        gtin_prefix: prefix.to_owned(),
        min_celsius: min.parse().map_err(|_| bad())?,
        max_celsius: max.parse().map_err(|_| bad())?,
    })
}

/// Stop every running node of the local network in DIR.
///
/// Sends SIGTERM (a clean stop), waits up to 60 s for each node, and removes their pid files.
/// Exit 1 if a node did not stop in time.
#[derive(Debug, Args)]
pub struct DownArgs {
    /// The directory given to `tally network up`.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Stop only this node (repeat), e.g. bk2; `up` starts it again.
    #[arg(long = "node", value_name = "NAME")]
    pub only: Vec<String>,
    /// Print nothing.
    #[arg(skip)]
    pub quiet: bool,
}

/// Runs `tally network …`.
pub fn run(cmd: &NetworkCommand) -> CliResult {
    match cmd {
        NetworkCommand::Up(args) => up(args).map(drop),
        NetworkCommand::Down(args) => down(args),
        NetworkCommand::RotateSecret(args) => {
            local::rotate_registry_secret(&args.dir).map_err(CliError::bad_input)?;
            let path = local::registry_secret_path(&args.dir);
            outln!(
                "rotated the registry secret: {} (the nodes use it once restarted; give members this file)",
                path.display()
            );
            Ok(())
        }
    }
}

fn node_name(i: usize) -> String {
    format!("bk{}", i + 1)
}

fn pid_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.pid"))
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::bad_input(format!("{}: {e}", path.display()))
}

/// Creates (if needed) and starts the network in `args.dir`; returns each node's name and address.
pub fn up(args: &UpArgs) -> CliResult<Vec<(String, SocketAddr)>> {
    let n = usize::from(args.nodes);
    let dir = &args.dir;
    let fresh = !local::policy_path(dir).is_file();
    if fresh {
        let publish = match &args.publish {
            Some(target) => Some(local::Publish {
                target: publish_target(target)?,
                url: args.tiles_url.clone(),
            }),
            None => None,
        };
        let options = Options {
            base_port: args.base_port,
            cold_chain: &args.cold_chain,
            confidential: args.confidential,
            publish: publish.as_ref(),
            storage: args.storage.as_deref(),
        };
        create(dir, n, &options)?;
    }
    // Absolute, so the pid check in `down` matches the serve command line from any directory.
    let dir = &dir.canonicalize().map_err(|e| io_error(dir, e))?;
    if !fresh {
        let existing = (0..)
            .take_while(|&i| local::config_path(dir, &node_name(i)).is_file())
            .count();
        if existing != n {
            return Err(CliError::bad_input(format!(
                "{} already holds a network of {existing} nodes, not {n}",
                dir.display()
            )));
        }
    }
    let exe = std::env::current_exe().map_err(CliError::bad_input)?;
    let mut starting: Vec<(String, SocketAddr, Option<Child>)> = Vec::new();
    for i in 0..n {
        let name = node_name(i);
        let config_path = local::config_path(dir, &name);
        let config = tally_bookkeeper::Config::load(&config_path).map_err(CliError::bad_input)?;
        let child = match read_pid(dir, &name)? {
            Some(pid) if running(pid, &config_path) => None,
            _ => Some(spawn(&exe, dir, &name, &config_path)?),
        };
        starting.push((name, config.listen, child));
    }
    for (name, addr, child) in &mut starting {
        wait_healthy(dir, name, *addr, child.as_mut())?;
    }
    if !args.quiet {
        outln!("policy {}", local::policy_path(dir).display());
        for (name, addr, child) in &starting {
            let state = if child.is_some() {
                "started"
            } else {
                "already running"
            };
            outln!("{name} http://{addr} {state}");
        }
    }
    Ok(starting
        .into_iter()
        .map(|(name, addr, _)| (name, addr))
        .collect())
}

/// What a new network is made with, beyond its size.
struct Options<'a> {
    base_port: Option<u16>,
    cold_chain: &'a [ColdChainRule],
    confidential: bool,
    publish: Option<&'a local::Publish>,
    storage: Option<&'a str>,
}

/// Creates DIR with fresh keys, the policy and the configs of an `n`-node network.
fn create(dir: &Path, n: usize, options: &Options) -> CliResult {
    let base_port = options.base_port;
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let ports = match base_port {
        Some(p) => (0..n)
            .map(|i| {
                u16::try_from(i)
                    .ok()
                    .and_then(|i| p.checked_add(i))
                    .ok_or_else(|| CliError::bad_input("--base-port leaves no room for N ports"))
            })
            .collect::<CliResult<Vec<u16>>>()?,
        None => free_ports(n)?,
    };
    let key = |name: String, kind| SignerKey::generate(&mut OsRng, &name, kind);
    let mut nodes = Vec::with_capacity(n);
    for (i, port) in ports.into_iter().enumerate() {
        let name = node_name(i);
        nodes.push(LocalNode {
            log_key: key(format!("{name}.{}/log", local::NETWORK), KeyType::Ed25519)
                .map_err(CliError::bad_input)?,
            witness_key: key(
                format!("{name}.{}/witness", local::NETWORK),
                KeyType::Cosignature,
            )
            .map_err(CliError::bad_input)?,
            name,
            port,
        });
    }
    let governance =
        key(format!("gov.{}", local::NETWORK), KeyType::Ed25519).map_err(CliError::bad_input)?;
    for (file, bytes, mode) in [
        (
            "governance.key",
            governance.to_secret_string().into_bytes(),
            0o600,
        ),
        (
            "governance.pub",
            format!("{}\n", governance.verifier()).into_bytes(),
            0o644,
        ),
    ] {
        let path = dir.join(file);
        local::write_file(&path, &bytes, mode).map_err(|e| io_error(&path, e))?;
    }
    // The policy is written last: its presence marks DIR as a complete network.
    local::write_network(
        dir,
        &governance.verifier(),
        &nodes,
        options.cold_chain,
        options.confidential,
        options.publish,
        options.storage,
    )
    .map_err(CliError::bad_input)?;
    Ok(())
}

/// An S3 target as given; a directory created and made absolute (the nodes run elsewhere).
fn publish_target(target: &str) -> CliResult<String> {
    if target.starts_with("s3://") {
        return Ok(target.to_owned());
    }
    let dir = Path::new(target);
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let dir = dir.canonicalize().map_err(|e| io_error(dir, e))?;
    Ok(dir.display().to_string())
}

/// `n` distinct free ports of 127.0.0.1: all bound at once (so the system gives distinct ones),
/// then released for the nodes to bind.
fn free_ports(n: usize) -> CliResult<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::bad_input(format!("cannot find a free port: {e}")))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::bad_input(format!("cannot find a free port: {e}")))
}

/// Starts `tally bookkeeper serve` for `name`, detached (its own process group, so a Ctrl-C in
/// the shell that ran `up` does not stop it) with stdout and stderr appended to DIR/name.log, and
/// records its pid.
fn spawn(exe: &Path, dir: &Path, name: &str, config: &Path) -> CliResult<Child> {
    let log_path = dir.join(format!("{name}.log"));
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| io_error(&log_path, e))?;
    let err_log = log.try_clone().map_err(|e| io_error(&log_path, e))?;
    let mut command = Command::new(exe);
    command
        .args(["bookkeeper", "serve", "--config"])
        .arg(config)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err_log);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let child = command
        .spawn()
        .map_err(|e| CliError::bad_input(format!("cannot start {name}: {e}")))?;
    let pid_file = pid_path(dir, name);
    local::write_file(&pid_file, format!("{}\n", child.id()).as_bytes(), 0o644)
        .map_err(|e| io_error(&pid_file, e))?;
    Ok(child)
}

/// Polls `GET /health` until it answers 200; fails early if the node we just started exited. The
/// nodes already up keep running either way: a second `up` retries, `down` stops them.
fn wait_healthy(
    dir: &Path,
    name: &str,
    addr: SocketAddr,
    mut child: Option<&mut Child>,
) -> CliResult {
    for _ in 0..ATTEMPTS {
        if health_ok(addr) {
            return Ok(());
        }
        if let Some(child) = child.as_deref_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                let _ = std::fs::remove_file(pid_path(dir, name));
                return Err(CliError::invalid(format!(
                    "{name} exited ({status}); see {}",
                    dir.join(format!("{name}.log")).display()
                )));
            }
        }
        std::thread::sleep(POLL);
    }
    Err(CliError::invalid(format!(
        "{name} did not answer http://{addr}/health in time; see {}",
        dir.join(format!("{name}.log")).display()
    )))
}

/// One HTTP/1.1 `GET /health`; true on a 200 answer.
fn health_ok(addr: SocketAddr) -> bool {
    let answer = || -> std::io::Result<String> {
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        write!(
            s,
            "GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )?;
        let mut head = [0u8; 12];
        s.read_exact(&mut head)?;
        Ok(String::from_utf8_lossy(&head).into_owned())
    };
    answer().is_ok_and(|head| head.starts_with("HTTP/1.1 200"))
}

/// Stops every node of the network in `args.dir` (SIGTERM, then waits).
pub fn down(args: &DownArgs) -> CliResult {
    let dir = &args.dir;
    if !local::policy_path(dir).is_file() {
        return Err(CliError::bad_input(format!(
            "{} holds no network (no policy.json)",
            dir.display()
        )));
    }
    let dir = &dir.canonicalize().map_err(|e| io_error(dir, e))?;
    let mut stopping = Vec::new();
    let say = |line: String| {
        if !args.quiet {
            outln!("{line}");
        }
    };
    for i in (0..).take_while(|&i| local::config_path(dir, &node_name(i)).is_file()) {
        let name = node_name(i);
        if !args.only.is_empty() && !args.only.contains(&name) {
            continue;
        }
        let config = local::config_path(dir, &name);
        match read_pid(dir, &name)? {
            Some(pid) if running(pid, &config) => {
                // ESRCH means it exited meanwhile, which is what we want.
                let _ = kill(pid, Signal::SIGTERM);
                stopping.push((name, pid, config));
            }
            Some(_) => {
                remove_pid(dir, &name)?;
                say(format!("{name} was not running"));
            }
            None => say(format!("{name} was not running")),
        }
    }
    let mut stuck = Vec::new();
    for (name, pid, config) in stopping {
        if (0..ATTEMPTS).any(|_| {
            let stopped = !running(pid, &config);
            if !stopped {
                std::thread::sleep(POLL);
            }
            stopped
        }) {
            remove_pid(dir, &name)?;
            say(format!("{name} stopped"));
        } else {
            stuck.push(format!("{name} (pid {pid})"));
        }
    }
    if stuck.is_empty() {
        Ok(())
    } else {
        Err(CliError::invalid(format!(
            "did not stop after SIGTERM: {}",
            stuck.join(", ")
        )))
    }
}

/// The pid recorded for `name`, if any; a pid file that does not hold a positive pid is refused
/// (signalling pid 0 or -1 would hit whole process groups).
fn read_pid(dir: &Path, name: &str) -> CliResult<Option<Pid>> {
    let path = pid_path(dir, name);
    match std::fs::read_to_string(&path) {
        Ok(text) => match text.trim().parse::<i32>() {
            Ok(pid) if pid > 0 => Ok(Some(Pid::from_raw(pid))),
            _ => Err(io_error(&path, "not a process id")),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(&path, e)),
    }
}

fn remove_pid(dir: &Path, name: &str) -> CliResult {
    let path = pid_path(dir, name);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error(&path, e)),
        _ => Ok(()),
    }
}

/// Whether `pid` is a live bookkeeper serving `config`. Where /proc exists (Linux) a zombie counts
/// as stopped (its parent may never reap it) and a pid reused by another program is not ours, so
/// `down` never signals a stranger.
fn running(pid: Pid, config: &Path) -> bool {
    if kill(pid, None).is_err() {
        return false;
    }
    let proc_dir = Path::new("/proc").join(pid.to_string());
    if let Ok(stat) = std::fs::read_to_string(proc_dir.join("stat")) {
        // The state follows the parenthesised command name, which may itself contain ") ".
        if stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z'))
        {
            return false;
        }
    }
    match std::fs::read(proc_dir.join("cmdline")) {
        Ok(cmdline) => cmdline
            .split(|&b| b == 0)
            .any(|arg| arg == config.as_os_str().as_encoded_bytes()),
        Err(_) => true,
    }
}
