//! Labels signed by the brand (GS1 AI 8030, see `tally_digsig`): who may sign a product's
//! labels, and what the signature on a scanned label says.
//!
//! A label's signer is found in the registry, not in the label (90 characters hold a signature
//! and nothing more): a device certified for the [`LABELLING`] role by an organisation whose
//! registration (signed by governance) lists the GS1 company prefix of the product. So a member
//! of the network cannot sign labels for another brand's products, whatever it certifies its own
//! devices for.
//!
//! A label carries no time, so a labelling certification's validity period does not limit it
//! (labels outlive the printer that made them); a revoked key's signatures are reported as such,
//! since labels printed after a key was stolen cannot be told from those printed before.
//!
//! The check needs only the signers, so a device runs it offline with the signers it kept from
//! the last registry it read: a forged label fails without any bookkeeper.

use crate::registry::{company_digits, Registry};
use crate::verdict::Reason;
use serde::{Deserialize, Serialize};
use tally_tlog::VerifierKey;
use time::format_description::well_known::Rfc3339;

/// The role a device is certified for to sign its organisation's labels.
pub const LABELLING: &str = "labelling";

/// A key that may sign labels, with whose labels: what a device keeps for offline checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelSigner {
    /// The organisation's party GLN.
    pub org: String,
    pub name: String,
    /// The GS1 company prefixes governance registered for it.
    pub prefixes: Vec<String>,
    /// The device's verifier key.
    pub key: String,
    /// When the key or its organisation was revoked (RFC 3339), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
}

impl LabelSigner {
    fn covers(&self, digits: &str) -> bool {
        self.prefixes.iter().any(|p| digits.starts_with(p.as_str()))
    }
}

impl Registry {
    /// Every key certified for [`LABELLING`] by an organisation with registered prefixes.
    pub fn label_signers(&self) -> Vec<LabelSigner> {
        let mut out: Vec<LabelSigner> = Vec::new();
        for d in self.devices() {
            let Some(org) = self.org(&d.org) else {
                continue;
            };
            if org.prefixes.is_empty() || !d.roles.iter().any(|r| r == LABELLING) {
                continue;
            }
            let revoked = [d.key.ed25519().as_bytes(), org.key.ed25519().as_bytes()]
                .into_iter()
                .filter_map(|k| self.revoked_since(k))
                .min()
                .and_then(|t| t.format(&Rfc3339).ok());
            let signer = LabelSigner {
                org: org.gln.clone(),
                name: org.name.clone(),
                prefixes: org.prefixes.clone(),
                key: d.key.to_string(),
                revoked,
            };
            if !out.contains(&signer) {
                out.push(signer);
            }
        }
        out
    }
}

/// What a scanned label's signature says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LabelCheck {
    /// The label carries no signature (most labels; nothing wrong with that).
    #[default]
    Unsigned,
    /// Signed by a labelling key of the product's brand: the label's data are the brand's.
    Signed { org: String, name: String },
    /// Signed by a labelling key the brand or governance has since revoked.
    SignerRevoked {
        org: String,
        name: String,
        since: String,
    },
    /// A signature no labelling key of the product's brand made: the label's data were changed,
    /// or the label was made by someone else.
    Forged { org: String, name: String },
    /// A signature that is not one (wrong length, not base64url): not a label the brand printed.
    Malformed { detail: String },
    /// A signature, but no labelling key of the product's brand is known here (the brand signs
    /// none, or this device has not read the registry yet): it cannot be checked.
    Unchecked,
}

/// Checks the signature a scanned `code` carries against the labelling keys in `signers`.
pub fn check(code: &str, signers: &[LabelSigner]) -> LabelCheck {
    let signed = match tally_digsig::read(code) {
        Ok(Some(signed)) => signed,
        Ok(None) | Err(tally_digsig::DigsigError::NotGs1(_)) => return LabelCheck::Unsigned,
        Err(e) => {
            return LabelCheck::Malformed {
                detail: e.to_string(),
            }
        }
    };
    let Some(digits) = company_digits(signed.canonical()) else {
        return LabelCheck::Unchecked;
    };
    let brand: Vec<&LabelSigner> = signers.iter().filter(|s| s.covers(digits)).collect();
    let Some(first) = brand.first() else {
        return LabelCheck::Unchecked;
    };
    let by = brand
        .iter()
        .find(|s| VerifierKey::parse(&s.key).is_ok_and(|k| signed.verify(k.ed25519())));
    match by {
        Some(s) => match &s.revoked {
            Some(since) => LabelCheck::SignerRevoked {
                org: s.org.clone(),
                name: s.name.clone(),
                since: since.clone(),
            },
            None => LabelCheck::Signed {
                org: s.org.clone(),
                name: s.name.clone(),
            },
        },
        None => LabelCheck::Forged {
            org: first.org.clone(),
            name: first.name.clone(),
        },
    }
}

/// The reason a label check adds to the verdict: a forged label fails the product, a revoked
/// signer warns; a good signature, none, or one that cannot be checked adds none.
pub fn reason(check: &LabelCheck) -> Option<Reason> {
    match check {
        LabelCheck::Forged { org, name } => Some(Reason::LabelForged {
            org: Some(org.clone()),
            name: Some(name.clone()),
        }),
        LabelCheck::Malformed { .. } => Some(Reason::LabelForged {
            org: None,
            name: None,
        }),
        LabelCheck::SignerRevoked { org, name, since } => Some(Reason::LabelSignerRevoked {
            org: org.clone(),
            name: name.clone(),
            since: since.clone(),
        }),
        LabelCheck::Signed { .. } | LabelCheck::Unsigned | LabelCheck::Unchecked => None,
    }
}
