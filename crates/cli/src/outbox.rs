//! `tally outbox [list|flush]`: the entries recorded on this device and their receipts.

use crate::error::CliResult;
use crate::home::{block_on, client_error, now, Home};
use crate::{input, show};
use clap::{Args, Subcommand};

/// Show or send the outbox: entries signed on this device, with each bookkeeper's receipt.
#[derive(Debug, Args)]
pub struct OutboxArgs {
    #[command(subcommand)]
    action: Option<OutboxAction>,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(flatten)]
    home: Home,
}

#[derive(Debug, Subcommand)]
enum OutboxAction {
    /// List the entries, newest first, with the receipts still missing (the default).
    List {
        /// Most entries shown.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Send everything not yet receipted to every bookkeeper now, ignoring retry delays.
    Flush,
}

/// Runs `tally outbox`.
pub fn run(args: &OutboxArgs) -> CliResult {
    let client = args.home.client()?;
    match args
        .action
        .as_ref()
        .unwrap_or(&OutboxAction::List { limit: 50 })
    {
        OutboxAction::List { limit } => {
            let items = client
                .store()
                .map_err(client_error)?
                .outbox(*limit)
                .map_err(client_error)?;
            if args.json {
                show::json(&items)
            } else {
                input::stdout(show::outbox(&items).as_bytes())
            }
        }
        OutboxAction::Flush => {
            let t = now().unix_timestamp();
            client
                .store()
                .map_err(client_error)?
                .retry_now(t)
                .map_err(client_error)?;
            let started = std::time::Instant::now();
            let (pending, _) = client
                .store()
                .map_err(client_error)?
                .pending_counts()
                .map_err(client_error)?;
            errln!(
                "sending {pending} entries to {} bookkeepers",
                client.policy().bookkeepers.len()
            );
            let report = block_on(client.flush_with_progress(t, &|d| {
                errln!("  {}: {} receipted so far", d.bookkeeper, d.receipted)
            }))?
            .map_err(client_error)?;
            if args.json {
                show::json(&report)
            } else {
                input::stdout(show::flush(&report).as_bytes())?;
                errln!("flushed in {:.2} s", started.elapsed().as_secs_f64());
                Ok(())
            }
        }
    }
}
