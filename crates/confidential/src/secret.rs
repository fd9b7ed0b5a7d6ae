//! The label secret: the capability a product's label carries.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand_core::CryptoRngCore;
use std::fmt;
use subtle::ConstantTimeEq as _;
use thiserror::Error;
use zeroize::Zeroize;

/// The Digital Link query parameter that carries a label's secret. GS1 Digital Link lets a link
/// carry non-GS1 parameters beside its AIs (they must not be all digits, so they cannot be
/// mistaken for an AI); a resolver that does not know this one ignores it.
pub const LABEL_PARAMETER: &str = "tk";

/// 128 random bits: enough that no one can guess a label's secret, short enough (22 characters)
/// to leave a QR code small.
#[derive(Clone)]
pub struct LabelSecret([u8; 16]);

impl Drop for LabelSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("a label secret is 22 base64url characters (16 bytes)")]
    Malformed,
}

impl LabelSecret {
    pub const LEN: usize = 16;

    /// A new secret for a lot or a pallet.
    pub fn random(rng: &mut impl CryptoRngCore) -> Self {
        let mut b = [0; 16];
        rng.fill_bytes(&mut b);
        LabelSecret(b)
    }

    pub fn from_bytes(b: [u8; 16]) -> Self {
        LabelSecret(b)
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Parses the text form (base64url, no padding), as a label prints it.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let text = text.trim();
        let bytes = zeroize::Zeroizing::new(
            (text.len() == 22)
                .then(|| URL_SAFE_NO_PAD.decode(text).ok())
                .flatten()
                .ok_or(SecretError::Malformed)?,
        );
        let b: [u8; 16] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| SecretError::Malformed)?;
        Ok(LabelSecret(b))
    }

    /// The secret a Digital Link carries in its [`LABEL_PARAMETER`], if any (the first one).
    pub fn from_link(link: &str) -> Option<Self> {
        let query = link.split_once('?')?.1;
        let query = query.split('#').next().unwrap_or(query);
        query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| *k == LABEL_PARAMETER)
            .and_then(|(_, v)| Self::parse(v).ok())
    }

    /// `link` with this secret as its [`LABEL_PARAMETER`] (any earlier one replaced).
    pub fn add_to_link(&self, link: &str) -> String {
        let mut params = other_params(link);
        params.push(format!("{LABEL_PARAMETER}={self}"));
        let base = link.split_once('?').map_or(link, |(b, _)| b);
        format!("{base}?{}", params.join("&"))
    }

    /// `link` without any [`LABEL_PARAMETER`]: what an event may name (a product, never the
    /// capability to read about it).
    pub fn remove_from_link(link: &str) -> String {
        let Some((base, _)) = link.split_once('?') else {
            return link.to_owned();
        };
        let params = other_params(link);
        match params.is_empty() {
            true => base.to_owned(),
            false => format!("{base}?{}", params.join("&")),
        }
    }
}

/// The query parameters of `link` other than [`LABEL_PARAMETER`], in order.
fn other_params(link: &str) -> Vec<String> {
    let query = link.split_once('?').map_or("", |(_, q)| q);
    query
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some(LABEL_PARAMETER))
        .map(str::to_owned)
        .collect()
}

impl PartialEq for LabelSecret {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for LabelSecret {}

impl fmt::Display for LabelSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(self.0))
    }
}

/// Never printed by accident: a secret in a log line is a secret lost.
impl fmt::Debug for LabelSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LabelSecret(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_and_links() {
        let s = LabelSecret::from_bytes([7; 16]);
        assert_eq!(s.to_string().len(), 22);
        assert_eq!(LabelSecret::parse(&s.to_string()), Ok(s.clone()));
        assert_eq!(LabelSecret::parse("short"), Err(SecretError::Malformed));
        assert_eq!(
            LabelSecret::parse(&format!("{s}AA")),
            Err(SecretError::Malformed)
        );
        let link = s.add_to_link("https://id.gs1.org/01/09506000134352/10/L1?linkType=gs1:pip");
        assert_eq!(
            link,
            format!("https://id.gs1.org/01/09506000134352/10/L1?linkType=gs1:pip&tk={s}")
        );
        assert_eq!(LabelSecret::from_link(&link), Some(s.clone()));
        let other = LabelSecret::from_bytes([9; 16]);
        assert_eq!(
            LabelSecret::from_link(&other.add_to_link(&link)),
            Some(other)
        );
        assert_eq!(
            LabelSecret::from_link("https://id.gs1.org/01/09506000134352"),
            None
        );
        assert_eq!(format!("{s:?}"), "LabelSecret(…)");
        assert_eq!(
            LabelSecret::remove_from_link(&link),
            "https://id.gs1.org/01/09506000134352/10/L1?linkType=gs1:pip"
        );
        assert_eq!(
            LabelSecret::remove_from_link(
                &s.add_to_link("https://id.gs1.org/00/095060000000000017")
            ),
            "https://id.gs1.org/00/095060000000000017"
        );
    }
}
