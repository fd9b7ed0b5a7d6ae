//! `tally`: verify and produce Tally's signed notes, checkpoints and Merkle proofs, and check GS1
//! identifiers and EPCIS documents, from the shell.
//!
//! A thin layer over the library crates: argument parsing, file and stdin I/O, the clock and exit
//! codes live here; every protocol rule lives in the libraries, so the CLI and a bookkeeper or app
//! can never disagree on what is valid.
#![forbid(unsafe_code)]

mod bookkeeper;
mod checkpoint;
mod decode;
mod epcis;
mod error;
mod gs1;
mod input;
mod keygen;
mod label;
mod network;
mod note;
mod proof;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Tally: verifiable provenance for food.
///
/// Exit status: 0 valid, 1 verification failed, 2 bad input or usage; on failure, one line on
/// stderr gives the reason.
#[derive(Debug, Parser)]
#[command(name = "tally", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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
    Decode(decode::DecodeArgs),
    Label(label::LabelArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Keygen(args) => keygen::run(args),
        Command::Note(cmd) => note::run(cmd),
        Command::Checkpoint(cmd) => checkpoint::run(cmd),
        Command::Proof(cmd) => proof::run(cmd),
        Command::Gs1(cmd) => gs1::run(cmd),
        Command::Epcis(cmd) => epcis::run(cmd),
        Command::Bookkeeper(cmd) => bookkeeper::run(cmd),
        Command::Network(cmd) => network::run(cmd),
        Command::Decode(args) => decode::run(args),
        Command::Label(args) => label::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tally: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
