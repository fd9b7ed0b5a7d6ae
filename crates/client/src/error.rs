//! Why a client operation failed. A verdict that is not Verified is not an error: it is the answer.

use thiserror::Error;

/// A client operation could not be carried out.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The local database failed (I/O, corruption, locking).
    #[error("local database: {0}")]
    Database(#[from] rusqlite::Error),
    /// The local database was written by a newer version of Tally.
    #[error("local database schema {found} is newer than this build knows ({known})")]
    SchemaTooNew { found: u32, known: u32 },
    /// No network policy is installed yet.
    #[error("no network policy installed: install one first (tally policy install FILE)")]
    NoPolicy,
    /// A policy file that cannot define a network.
    #[error("policy: {0}")]
    Policy(#[from] tally_trust::PolicyError),
    /// The scanned or typed code is not a product this client can look up.
    #[error("{0}")]
    NotAProduct(String),
    /// No device key on this device yet.
    #[error("this device has no key yet: create one first (tally device init)")]
    NoDevice,
    /// The device already has a key; replacing it would orphan its certification.
    #[error("this device already has a key ({0}); reset local data to make a new one")]
    DeviceExists(String),
    /// The passphrase does not open the sealed device key (or the sealed key was altered).
    #[error("the passphrase does not unlock the device key")]
    WrongPassphrase,
    /// A sealed key or enrolment file that is not what it claims to be.
    #[error("{0}")]
    BadKeyFile(String),
    /// A certification that does not certify this device, or is not a certification.
    #[error("certification: {0}")]
    BadCertification(String),
    /// An event that could not be built or signed.
    #[error("event: {0}")]
    Event(String),
    /// A log entry that could not be made.
    #[error("entry: {0}")]
    Entry(#[from] tally_trust::EntryError),
    /// The HTTP client could not be built.
    #[error("http client: {0}")]
    Http(#[from] reqwest::Error),
}
