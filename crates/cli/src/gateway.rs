//! `tally gateway serve`: an organisation's EPCIS 2.0 gateway (capture and query over the
//! standard REST binding) until SIGTERM or Ctrl-C.

use crate::bookkeeper::shutdown_signal;
use crate::error::{CliError, CliResult};
use clap::{Args, Subcommand};
use std::io::Write as _;
use std::path::PathBuf;

/// Run an organisation's EPCIS 2.0 gateway.
#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    Serve(ServeArgs),
}

/// Serve the EPCIS 2.0 REST binding for one organisation: captured events are signed with its
/// certified device key, sealed for their labels and sent to every bookkeeper; queries are
/// answered from the bookkeepers' logs, verified first. Prints its URL on the first line of
/// standard output; logs go to stderr (RUST_LOG, default info).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The gateway's config file (JSON: home, passphrase_file, database, tokens, listen).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

/// Runs `tally gateway …`.
pub fn run(cmd: &GatewayCommand) -> CliResult {
    match cmd {
        GatewayCommand::Serve(args) => serve(args),
    }
}

fn serve(args: &ServeArgs) -> CliResult {
    crate::bookkeeper::log_to_stderr();
    let config = tally_gateway::Config::load(&args.config).map_err(CliError::bad_input)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::bad_input)?;
    runtime.block_on(async {
        let gateway = tally_gateway::Gateway::bind(&config)
            .await
            .map_err(CliError::bad_input)?;
        let mut out = std::io::stdout();
        // A closed stdout must not stop the gateway: the URL is a convenience.
        let _ = writeln!(out, "{}", gateway.url()).and_then(|()| out.flush());
        gateway.serve(shutdown_signal()).await;
        Ok(())
    })
}
