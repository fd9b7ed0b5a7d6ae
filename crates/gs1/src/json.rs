//! The serde view printed by `tally gs1 parse`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ai::AiValue;
use crate::element_string::to_bracketed;

/// One AI in the JSON view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AiJson {
    /// AI digits.
    pub ai: String,
    /// Dictionary title.
    pub title: String,
    /// Value.
    pub value: String,
}

/// JSON view of parsed GS1 data:
/// `{"uri": ..., "element_string": "(01)...", "ais": [...], "other_params": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gs1Json {
    /// Canonical Digital Link URI, or `null` when the data has no primary key.
    pub uri: Option<String>,
    /// Bracketed element string.
    pub element_string: String,
    /// AIs in source order.
    pub ais: Vec<AiJson>,
    /// Non-AI query parameters (sorted by name; a repeated name keeps its
    /// last value).
    pub other_params: BTreeMap<String, String>,
}

impl Gs1Json {
    pub(crate) fn new(
        uri: Option<String>,
        ais: &[AiValue],
        other_params: BTreeMap<String, String>,
    ) -> Self {
        Gs1Json {
            uri,
            element_string: to_bracketed(ais),
            ais: ais
                .iter()
                .map(|a| AiJson {
                    ai: a.ai().into(),
                    title: a.title().into(),
                    value: a.value().into(),
                })
                .collect(),
            other_params,
        }
    }
}
