//! `tally device init|request|import|show`: this device's signing key, its enrolment request and
//! the certification its organisation issued.

use crate::error::{CliError, CliResult};
use crate::home::{client_error, device_key, now, passphrase, Home};
use crate::input;
use base64::Engine as _;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use tally_client::identity::{self, EnrolmentRequest};
use tally_tlog::VerifierKey;

/// This device's identity: make its key, ask to be certified, import the certification.
#[derive(Debug, Args)]
pub struct DeviceArgs {
    #[command(subcommand)]
    action: DeviceAction,
    #[command(flatten)]
    home: Home,
}

#[derive(Debug, Subcommand)]
enum DeviceAction {
    /// Make this device's signing key, sealed with a passphrase (Argon2id + XChaCha20-Poly1305);
    /// prints its public key. The passphrase needs at least 12 characters and must not be easy to
    /// guess (a few uncommon words do).
    Init {
        /// The key's name (no spaces or '+'), e.g. dock-3.shanghai-imports.
        #[arg(long)]
        name: String,
        /// File whose first line is the passphrase (else $TALLY_PASSPHRASE).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Print an enrolment request (signed by this device) for the organisation to certify.
    Request {
        /// The organisation's party GLN.
        #[arg(long, value_name = "GLN")]
        org: String,
        /// A business step asked for (repeat): shipping, receiving, packing, …
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// A place (GLN) asked for (repeat).
        #[arg(long = "place", required = true, value_name = "GLN")]
        places: Vec<String>,
        /// A name a person recognises.
        #[arg(long, default_value = "")]
        label: String,
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Import the certification (base64 entry, as `tally org certify` writes it).
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Show this device's key and certification.
    Show,
}

/// Reads an entry file: base64 text, or the raw entry bytes.
pub fn read_entry(path: &std::path::Path) -> CliResult<Vec<u8>> {
    let bytes = input::file(path)?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .unwrap_or(bytes))
}

/// Runs `tally device …`.
pub fn run(args: &DeviceArgs) -> CliResult {
    let db = args.home.db()?;
    let store = tally_client::LocalStore::open(&db).map_err(client_error)?;
    match &args.action {
        DeviceAction::Init {
            name,
            passphrase_file,
        } => {
            let pass = passphrase(passphrase_file.as_deref())?;
            // Before making the key, so a weak passphrase is refused with its reason at once
            // (`seal` checks it again).
            identity::check_passphrase(&pass).map_err(client_error)?;
            let key = identity::generate(name).map_err(client_error)?;
            let sealed = identity::seal(&key, &pass).map_err(client_error)?;
            store
                .create_device(
                    name,
                    &key.verifier().to_string(),
                    &sealed,
                    now().unix_timestamp(),
                )
                .map_err(client_error)?;
            outln!("{}", key.verifier());
            Ok(())
        }
        DeviceAction::Request {
            org,
            roles,
            places,
            label,
            passphrase_file,
        } => {
            let client = args.home.client()?;
            let key = device_key(&client, passphrase_file.as_deref())?;
            let request = EnrolmentRequest {
                device: key.verifier().to_string(),
                label: label.clone(),
                org: org.clone(),
                roles: roles.clone(),
                places: places.clone(),
            };
            let signed = identity::enrolment_request(&key, &request).map_err(client_error)?;
            input::stdout(&signed)
        }
        DeviceAction::Import { file } => {
            let row = store
                .device()
                .map_err(client_error)?
                .ok_or_else(|| client_error(tally_client::ClientError::NoDevice))?;
            let me = VerifierKey::parse(&row.public_key).map_err(CliError::bad_input)?;
            let entry = read_entry(file)?;
            let record = identity::check_certification(&entry, &me).map_err(client_error)?;
            store.set_certification(&entry).map_err(client_error)?;
            outln!(
                "imported: {}",
                serde_json::to_string(&record).map_err(CliError::bad_input)?
            );
            Ok(())
        }
        DeviceAction::Show => {
            let row = store
                .device()
                .map_err(client_error)?
                .ok_or_else(|| client_error(tally_client::ClientError::NoDevice))?;
            outln!("name {}\nkey {}", row.name, row.public_key);
            match row.certification {
                Some(c) => {
                    let e = tally_trust::Entry::decode(&c).map_err(CliError::bad_input)?;
                    outln!("certification {}", String::from_utf8_lossy(&e.payload));
                }
                None => outln!("certification none (import one with tally device import)"),
            }
            Ok(())
        }
    }
}
