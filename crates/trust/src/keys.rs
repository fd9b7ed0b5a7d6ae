//! The lookup keys a bookkeeper indexes entries under, and a light client asks for: one place
//! for both sides of `/lookup` and `/history`.
//!
//! A product's own key is its canonical GS1 Digital Link (see `custody::product_ids`); the rest
//! are derived keys with a prefix, for what a canonical key cannot reach.

/// The key of every registration, certification and revocation.
pub const REGISTRY: &str = "registry";

/// The canonical Digital Link of a GTIN alone.
pub fn gtin_uri(gtin: &str) -> String {
    format!("https://id.gs1.org/01/{gtin}")
}

/// The events naming serialised units of `lot` (a canonical lot URI): the canonical unit key
/// (GTIN + serial) drops the lot, so this is how a lot is traced forward to its units.
pub fn units(lot: &str) -> String {
    format!("units:{lot}")
}

/// The commissioning events of serialised units of `scope` (a canonical lot URI, or a GTIN's
/// [`gtin_uri`]): the evidence that the brand serialises them.
pub fn serials(scope: &str) -> String {
    format!("serials:{scope}")
}

/// An event's identity in the log: its CBV 2.0 Event Hash ID.
pub fn identity(hash_id: &str) -> String {
    format!("event:{hash_id}")
}

/// Organisation `gln`'s registration.
pub fn registration(gln: &str) -> String {
    format!("reg:{gln}")
}

/// The certifications of a device's Ed25519 public key.
pub fn certification(device: &[u8; 32]) -> String {
    format!("cert:{}", hex::encode(device))
}

/// The revocations of an Ed25519 public key (a device's or an organisation's).
pub fn revocation(key: &[u8; 32]) -> String {
    format!("revoke:{}", hex::encode(key))
}
