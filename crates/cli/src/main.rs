//! `tally`: verify and produce Tally's signed notes, checkpoints and Merkle proofs, and check GS1
//! identifiers and EPCIS documents, from the shell.
//!
//! A thin layer over the library crates: argument parsing, file and stdin I/O, the clock and exit
//! codes live here; every protocol rule lives in the libraries, so the CLI and a bookkeeper or app
//! can never disagree on what is valid.
#![forbid(unsafe_code)]

/// `println!` that never panics: a closed stdout (`tally … | head`) ends the output quietly.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` that never panics.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that never panics: with stderr closed, the exit code still tells the outcome.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod audit;
mod bookkeeper;
mod checkpoint;
mod decode;
mod demo;
mod device;
mod epcis;
mod error;
mod fsma;
mod gateway;
mod gs1;
mod home;
mod input;
mod keygen;
mod label;
mod network;
mod note;
mod org;
mod outbox;
mod package;
mod policy;
mod proof;
mod record;
mod scan;
mod show;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mimalloc rather than the system allocator: a serving bookkeeper allocates many small,
/// short-lived objects from several threads (see the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Tally: verifiable provenance for food.
///
/// Exit status: 0 valid, 1 verification failed, 2 bad input or usage, 3 verified with warnings, 4
/// unverifiable (too few bookkeepers could be checked); on failure, one line on stderr gives the
/// reason.
#[derive(Debug, Parser)]
#[command(name = "tally", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Demo(demo::DemoArgs),
    Scan(scan::ScanArgs),
    History(scan::HistoryArgs),
    Record(Box<record::RecordArgs>),
    Outbox(outbox::OutboxArgs),
    Device(device::DeviceArgs),
    Org(org::OrgArgs),
    Policy(policy::PolicyArgs),
    Monitor(audit::MonitorArgs),
    Trace(audit::TraceArgs),
    Activity(audit::ActivityArgs),
    Export(audit::ExportArgs),
    CheckEvidence(audit::CheckEvidenceArgs),
    Package(package::PackageArgs),
    Fsma(Box<fsma::FsmaArgs>),
    Keygen(keygen::KeygenArgs),
    #[command(subcommand)]
    Note(note::NoteCommand),
    #[command(subcommand)]
    Checkpoint(checkpoint::CheckpointCommand),
    #[command(subcommand)]
    Proof(proof::ProofCommand),
    #[command(subcommand)]
    Gs1(gs1::Gs1Command),
    #[command(subcommand)]
    Epcis(epcis::EpcisCommand),
    #[command(subcommand)]
    Bookkeeper(bookkeeper::BookkeeperCommand),
    #[command(subcommand)]
    Network(network::NetworkCommand),
    #[command(subcommand)]
    Gateway(gateway::GatewayCommand),
    Decode(decode::DecodeArgs),
    Label(label::LabelArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Scan(args) => scan::scan(args),
        Command::History(args) => scan::history(args),
        Command::Record(args) => record::run(args),
        Command::Outbox(args) => outbox::run(args),
        Command::Device(args) => device::run(args),
        Command::Org(args) => org::run(args),
        Command::Policy(args) => policy::run(args),
        Command::Monitor(args) => audit::monitor(args),
        Command::Trace(args) => audit::trace(args),
        Command::Activity(args) => audit::activity(args),
        Command::Export(args) => audit::export(args),
        Command::CheckEvidence(args) => audit::check_evidence(args),
        Command::Package(args) => package::run(args),
        Command::Fsma(args) => fsma::run(args),
        Command::Keygen(args) => keygen::run(args),
        Command::Note(cmd) => note::run(cmd),
        Command::Checkpoint(cmd) => checkpoint::run(cmd),
        Command::Proof(cmd) => proof::run(cmd),
        Command::Gs1(cmd) => gs1::run(cmd),
        Command::Epcis(cmd) => epcis::run(cmd),
        Command::Bookkeeper(cmd) => bookkeeper::run(cmd),
        Command::Network(cmd) => network::run(cmd),
        Command::Gateway(cmd) => gateway::run(cmd),
        Command::Decode(args) => decode::run(args),
        Command::Label(args) => label::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("tally: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
