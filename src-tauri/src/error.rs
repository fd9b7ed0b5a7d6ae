//! What a command answers when it cannot do what was asked: a stable code the interface
//! translates, and the English message.

use serde::Serialize;
use tally_client::ClientError;

/// A command's failure, as the interface receives it (`{code, message}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
}

impl CommandError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        CommandError {
            code,
            message: message.into(),
        }
    }
}

impl From<ClientError> for CommandError {
    fn from(e: ClientError) -> Self {
        let code = match &e {
            ClientError::NoPolicy => "no_policy",
            ClientError::Policy(_) => "bad_policy",
            ClientError::NotAProduct(_) => "not_a_product",
            ClientError::NoDevice => "no_device",
            ClientError::DeviceExists(_) => "device_exists",
            ClientError::WrongPassphrase => "wrong_passphrase",
            ClientError::BadKeyFile(_) => "bad_key",
            ClientError::BadCertification(_) => "bad_certification",
            ClientError::Event(_) | ClientError::Entry(_) => "bad_handoff",
            _ => "internal",
        };
        CommandError::new(code, e.to_string())
    }
}

impl From<tally_scan::ScanError> for CommandError {
    fn from(e: tally_scan::ScanError) -> Self {
        CommandError::new("bad_image", e.to_string())
    }
}

/// A command's result.
pub type CmdResult<T> = Result<T, CommandError>;
