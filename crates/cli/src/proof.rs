//! `tally proof inclusion|consistency`: RFC 9162 Merkle proofs, checked by `tally_tlog::merkle`;
//! `tally proof export|verify`: c2sp.org/tlog-proof files, checked by `tally_trust::tlog_proof`.

use crate::error::{CliError, CliResult};
use crate::home::{block_on, client_error, now, Home};
use crate::input;
use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use tally_tlog::{leaf_hash, merkle, Hash, TlogPolicy, TlogProof};
use tally_trust::tlog_proof;

/// Merkle tree proofs (RFC 6962 / RFC 9162; hashes are standard base64 of 32 bytes) and
/// c2sp.org/tlog-proof files.
#[derive(Debug, Subcommand)]
pub enum ProofCommand {
    Inclusion(InclusionArgs),
    Consistency(ConsistencyArgs),
    Export(ExportArgs),
    Verify(VerifyArgs),
}

/// Write, for every entry of a product's history and every bookkeeper that logs it, a
/// c2sp.org/tlog-proof file: `DIR/<leaf>.<bookkeeper>.tlog-proof`, next to the entry's bytes as
/// logged, `DIR/<leaf>.entry` (sealed for the label when the network is confidential; `<leaf>` is
/// the first 8 bytes of its RFC 6962 leaf hash, hex). Each proof checks offline with `tally proof
/// verify` and the policy, or with any C2SP verifier given the log and witness keys.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The product's GS1 Digital Link, as scanned (its label secret opens a confidential history).
    #[arg(value_name = "CODE")]
    code: String,
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    home: Home,
}

/// Check a c2sp.org/tlog-proof file for an entry, offline, under the installed policy (or
/// --policy FILE, or a c2sp.org/tlog-policy file with --tlog-policy): the log's signature, the
/// witnesses' quorum, the inclusion proof.
///
/// Exit 0 if it checks, 1 if it does not (with the reason), 2 if a file is malformed.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The entry's bytes as logged.
    #[arg(long, value_name = "FILE")]
    entry: PathBuf,
    /// Check under this policy file instead of the installed one.
    #[arg(long, value_name = "FILE", conflicts_with = "tlog_policy")]
    policy: Option<PathBuf>,
    /// Check under this c2sp.org/tlog-policy file (`tally policy tlog` writes one per log).
    #[arg(long, value_name = "FILE")]
    tlog_policy: Option<PathBuf>,
    #[command(flatten)]
    home: Home,
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
        ProofCommand::Export(a) => export(a),
        ProofCommand::Verify(a) => verify(a),
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

/// Runs `tally proof export`.
fn export(a: &ExportArgs) -> CliResult {
    let client = a.home.client()?;
    let file = block_on(client.export(&a.code, now()))?.map_err(client_error)?;
    std::fs::create_dir_all(&a.out).map_err(|e| io_error(&a.out, e))?;
    let (mut proofs, mut entries) = (0, std::collections::BTreeSet::new());
    for name in file.answers.keys() {
        let log = file.answer(name).expect("a name of the file's answers");
        let log = log.map_err(|e| CliError::invalid(format!("{name}: {}", e.0)))?;
        for e in &log.entries {
            let stem = hex::encode(&leaf_hash(&e.bytes).0[..8]);
            let proof = TlogProof {
                extra: None,
                index: e.index,
                proof: e.proof.clone(),
                checkpoint: log.checkpoint.clone(),
            };
            write(
                &a.out.join(format!("{stem}.{name}.tlog-proof")),
                &proof.to_bytes(),
            )?;
            if entries.insert(stem.clone()) {
                write(&a.out.join(format!("{stem}.entry")), &e.bytes)?;
            }
            proofs += 1;
        }
    }
    outln!(
        "wrote {proofs} proofs of {} entries from {} bookkeepers to {}",
        entries.len(),
        file.answers.len(),
        a.out.display()
    );
    Ok(())
}

/// Runs `tally proof verify`.
fn verify(a: &VerifyArgs) -> CliResult {
    let text = input::file(&a.file)?;
    let proof = TlogProof::parse(&text)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", a.file.display())))?;
    let entry = input::file(&a.entry)?;
    if let Some(path) = &a.tlog_policy {
        return verify_c2sp(&proof, &entry, path, &a.file);
    }
    let policy = match &a.policy {
        Some(p) => tally_trust::Policy::parse(&input::file(p)?).map_err(CliError::bad_input)?,
        None => a.home.client()?.policy().clone(),
    };
    let p = tlog_proof::check(&policy, &proof, &entry)
        .map_err(|e| CliError::invalid(format!("{}: {e}", a.file.display())))?;
    outln!(
        "verified: entry {} of {}'s log ({}), in its tree of {} entries, cosigned by {} ({} independent)",
        p.index,
        p.bookkeeper,
        p.operator,
        p.size,
        p.cosigners.join(", "),
        p.independent
    );
    Ok(())
}

/// `tally proof verify --tlog-policy`: the check under a C2SP policy file alone.
fn verify_c2sp(proof: &TlogProof, entry: &[u8], path: &Path, file: &Path) -> CliResult {
    let c2sp = TlogPolicy::parse(&input::file(path)?)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))?;
    let v = proof
        .check(&c2sp, entry)
        .map_err(|e| CliError::invalid(format!("{}: {e}", file.display())))?;
    let by: Vec<&str> = v.cosigners.iter().map(|c| c.key.name()).collect();
    outln!(
        "verified under {}: entry {} of {}, in its tree of {} entries, cosigned by {}",
        path.display(),
        proof.index,
        v.checkpoint.origin(),
        v.checkpoint.size(),
        by.join(", ")
    );
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> CliResult {
    std::fs::write(path, bytes).map_err(|e| io_error(path, e))
}

fn io_error(path: &Path, e: std::io::Error) -> CliError {
    CliError::bad_input(format!("{}: {e}", path.display()))
}
