//! The namespace prefixes a JSON-LD `@context` declares.
//!
//! Why: extension members are written as CURIEs (`"example:myField"`) whose
//! meaning depends on the *document's* context; the Event Hash ID uses the
//! expanded `{namespace}localName`, so a single event cannot be hashed
//! without the context of the document it came in.

use serde_json::Value;

/// Prefix declarations of a JSON-LD `@context` (string entries such as the
/// EPCIS context URL are remote contexts and declare nothing here).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonLdContext {
    /// `(prefix, namespace IRI)`; a later declaration wins, as in JSON-LD.
    prefixes: Vec<(String, String)>,
}

impl JsonLdContext {
    /// Read the prefixes of an `@context` value (a string, object or array).
    pub fn from_value(context: &Value) -> Self {
        let mut c = JsonLdContext::default();
        c.extend(context);
        c
    }

    /// This context followed by `context` (e.g. an event's own `@context`).
    pub fn merged_with(&self, context: &Value) -> Self {
        let mut c = self.clone();
        c.extend(context);
        c
    }

    /// Declare `prefix` as `iri` (later declarations win).
    pub fn with_prefix(mut self, prefix: &str, iri: &str) -> Self {
        self.prefixes.push((prefix.to_string(), iri.to_string()));
        self
    }

    /// The namespace IRI of `prefix`, if declared.
    pub fn namespace(&self, prefix: &str) -> Option<&str> {
        self.prefixes
            .iter()
            .rev()
            .find(|(p, _)| p == prefix)
            .map(|(_, iri)| iri.as_str())
    }

    fn extend(&mut self, context: &Value) {
        match context {
            Value::Array(items) => items.iter().for_each(|i| self.extend(i)),
            Value::Object(map) => {
                for (k, v) in map {
                    // Term definitions that are objects (`{"@id": …}`) and
                    // keywords (`@vocab`, `@version`) are not plain prefixes.
                    if let (false, Some(iri)) = (k.starts_with('@'), v.as_str()) {
                        self.prefixes.push((k.clone(), iri.to_string()));
                    }
                }
            }
            _ => {}
        }
    }
}
