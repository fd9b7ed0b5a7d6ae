//! `tally proof inclusion|consistency`: RFC 9162 Merkle proofs, checked by `tally_tlog::merkle`.

use crate::error::{CliError, CliResult};
use crate::input;
use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use clap::{Args, Subcommand};
use tally_tlog::{merkle, Hash};

/// Check Merkle tree proofs (RFC 6962 / RFC 9162). Hashes are standard base64 of 32 bytes.
#[derive(Debug, Subcommand)]
pub enum ProofCommand {
    Inclusion(InclusionArgs),
    Consistency(ConsistencyArgs),
}

/// Check that a leaf hash is at INDEX in the tree of SIZE leaves with root ROOT.
///
/// Exit 0 if it is, 1 if the proof does not verify (with the reason), 2 if an argument is malformed.
#[derive(Debug, Args)]
pub struct InclusionArgs {
    /// Tree size (number of leaves).
    #[arg(long)]
    size: u64,
    /// Root hash of the tree (base64).
    #[arg(long, value_parser = parse_hash)]
    root: Hash,
    /// Leaf index, from 0.
    #[arg(long)]
    index: u64,
    /// The leaf hash, SHA-256(0x00 ‖ data) (base64).
    #[arg(long, value_parser = parse_hash)]
    leaf_hash: Hash,
    /// Comma-separated base64 hashes, or '-' for an empty proof.
    #[arg(long, value_name = "B64,B64,...|-", value_parser = parse_proof)]
    proof: Proof,
}

/// Check that the tree of SIZE leaves with root ROOT extends the tree of OLD_SIZE with OLD_ROOT.
///
/// Exit 0 if it does, 1 if the proof does not verify (with the reason; an old size of 0 proves
/// nothing and is refused), 2 if an argument is malformed.
#[derive(Debug, Args)]
pub struct ConsistencyArgs {
    /// Size of the older tree.
    #[arg(long)]
    old_size: u64,
    /// Root hash of the older tree (base64).
    #[arg(long, value_parser = parse_hash)]
    old_root: Hash,
    /// Size of the newer tree.
    #[arg(long)]
    size: u64,
    /// Root hash of the newer tree (base64).
    #[arg(long, value_parser = parse_hash)]
    root: Hash,
    /// Comma-separated base64 hashes, or '-' for an empty proof.
    #[arg(long, value_name = "B64,B64,...|-", value_parser = parse_proof)]
    proof: Proof,
}

/// A list of proof hashes, parsed up front so a malformed one is a usage error (exit 2).
#[derive(Debug, Clone)]
pub struct Proof(Vec<Hash>);

/// Runs `tally proof ...`.
pub fn run(cmd: &ProofCommand) -> CliResult {
    match cmd {
        ProofCommand::Inclusion(a) => {
            merkle::verify_inclusion(a.index, a.size, &a.leaf_hash, &a.proof.0, &a.root)
                .map_err(CliError::invalid)?;
            input::stdout(
                format!(
                    "inclusion verified: leaf {} in tree of size {}\n",
                    a.index, a.size
                )
                .as_bytes(),
            )
        }
        ProofCommand::Consistency(a) => {
            merkle::verify_consistency(a.old_size, a.size, &a.old_root, &a.root, &a.proof.0)
                .map_err(CliError::invalid)?;
            input::stdout(
                format!(
                    "consistency verified: size {} extends size {}\n",
                    a.size, a.old_size
                )
                .as_bytes(),
            )
        }
    }
}

/// Parses one base64 hash, saying whether the encoding or the length is wrong.
fn parse_hash(s: &str) -> Result<Hash, String> {
    let bytes = B64
        .decode(s)
        .map_err(|e| format!("{s:?} is not standard base64: {e}"))?;
    let arr: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| format!("{s:?} is {} bytes, a hash is 32", bytes.len()))?;
    Ok(Hash(arr))
}

/// Parses `B64,B64,...` or `-` (the empty proof; an empty argument is refused as a likely mistake).
fn parse_proof(s: &str) -> Result<Proof, String> {
    match s {
        "-" => Ok(Proof(Vec::new())),
        "" => Err("empty proof argument; use '-' for an empty proof".into()),
        _ => s
            .split(',')
            .map(parse_hash)
            .collect::<Result<_, _>>()
            .map(Proof),
    }
}
