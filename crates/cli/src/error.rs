//! The CLI's one error type: a one-line reason plus the exit code a script acts on.
//!
//! Exit codes are the tool's contract with scripts: 0 valid, 1 verification failed, 2 bad input or
//! usage (clap's own usage errors also exit 2), 3 verified with warnings (a product history that
//! is genuine but needs attention: recalled, already sold, a bookkeeper that misbehaved), 4
//! unverifiable (too few bookkeepers could be checked: no evidence either way). Keeping "the
//! data is bad" apart from "the question was malformed", and both apart from "could not check",
//! lets an auditor's script tell a forged note from a typo from an outage.

use std::fmt;

/// Why a command did not succeed.
#[derive(Debug)]
pub enum CliError {
    /// The input was well-formed but did not verify (exit 1).
    Invalid(String),
    /// The input could not be read or parsed, or the arguments make no sense (exit 2).
    BadInput(String),
    /// Verified, with warnings (exit 3).
    Warning(String),
    /// Could not be checked: too little of the network answered usably (exit 4).
    Unverifiable(String),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Invalid(_) => 1,
            CliError::BadInput(_) => 2,
            CliError::Warning(_) => 3,
            CliError::Unverifiable(_) => 4,
        }
    }

    /// Shorthand for [`CliError::Invalid`] from anything printable.
    pub fn invalid(reason: impl fmt::Display) -> Self {
        CliError::Invalid(reason.to_string())
    }

    /// Shorthand for [`CliError::BadInput`] from anything printable.
    pub fn bad_input(reason: impl fmt::Display) -> Self {
        CliError::BadInput(reason.to_string())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line only: scripts and logs take the first line of stderr as the reason.
        let reason = match self {
            CliError::Invalid(r) => r,
            CliError::BadInput(r) => r,
            CliError::Warning(r) => r,
            CliError::Unverifiable(r) => r,
        };
        f.write_str(&reason.replace('\n', " "))
    }
}

/// Result of a command.
pub type CliResult<T = ()> = Result<T, CliError>;
