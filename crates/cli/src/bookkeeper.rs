//! `tally bookkeeper serve`: run a bookkeeper until SIGTERM or Ctrl-C.

use crate::error::{CliError, CliResult};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Run a Tally bookkeeper node.
#[derive(Debug, Subcommand)]
pub enum BookkeeperCommand {
    Serve(ServeArgs),
}

/// Serve a bookkeeper (HTTP) as its JSON config file describes; logs go to stderr (filter with
/// RUST_LOG, default info). SIGTERM or Ctrl-C stops it gracefully: no new connections, requests in
/// flight finish, and every receipt already sent stays valid (entries are durable before receipts).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The bookkeeper's config file (JSON: name, listen, database, policy, log_key, witness_key,
    /// checkpoint_interval_ms, max_batch).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Serve on ADDR instead of the config's `listen` (a second process of the same bookkeeper).
    #[arg(long, value_name = "ADDR")]
    listen: Option<std::net::SocketAddr>,
    /// Serve as a front end of the config's bookkeeper: its reads, from the database its
    /// sequencer writes (PostgreSQL, or a SQLite file on this machine), and its submissions,
    /// checked here and handed to the sequencer at the policy's address; witness requests answer
    /// 503. Without it, a second process of a bookkeeper whose log is in PostgreSQL waits as a
    /// standby, and takes over as the sequencer when the first dies.
    #[arg(long)]
    front_end: bool,
}

/// Runs `tally bookkeeper …`.
pub fn run(cmd: &BookkeeperCommand) -> CliResult {
    match cmd {
        BookkeeperCommand::Serve(args) => serve(args),
    }
}

fn serve(args: &ServeArgs) -> CliResult {
    log_to_stderr();
    let mut config = tally_bookkeeper::Config::load(&args.config).map_err(CliError::bad_input)?;
    config.listen = args.listen.unwrap_or(config.listen);
    config.front_end |= args.front_end;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::bad_input)?;
    runtime
        .block_on(tally_bookkeeper::run(config, shutdown_signal()))
        .map_err(CliError::bad_input)
}

/// Logs to stderr, filtered by RUST_LOG (default info).
pub(crate) fn log_to_stderr() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Fails only if a subscriber is already installed, which then logs instead.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only help a terminal; `tally network up` sends the logs to files.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Completes on SIGTERM (how service managers and `kill` stop a process) or Ctrl-C.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}
