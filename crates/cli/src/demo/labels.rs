//! The demo's label secrets: one per lot and per pallet, as a brand and a packer would print
//! them, so every event of both journeys is sealed for the holders of its labels.

use std::collections::BTreeMap;
use tally_client::capture::Handoff;
use tally_confidential::LabelSecret;

/// Each label's secret, by what the label is for (a lot, or a pallet's SSCC).
#[derive(Default)]
pub struct Labels {
    secrets: BTreeMap<String, LabelSecret>,
}

/// What a code's label secret belongs to: every unit of a lot carries the lot's, a pallet its own.
fn scope(code: &str) -> String {
    let code = LabelSecret::remove_from_link(code);
    let code = code.split('?').next().unwrap_or(&code);
    let scope = tally_trust::custody::lot_of(code).unwrap_or_else(|| code.to_owned());
    // Whatever host the label names: a look-alike link copies the real label's secret.
    tally_epcis::epc::canonical_gs1_uri(&scope).unwrap_or(scope)
}

impl Labels {
    /// `code` as its label prints it: with its lot's (or pallet's) secret, made on first use.
    pub fn label(&mut self, code: &str) -> String {
        let secret = self
            .secrets
            .entry(scope(code))
            .or_insert_with(|| LabelSecret::random(&mut rand_core::OsRng));
        secret.add_to_link(code)
    }

    /// Every code of `h` as scanned from its label.
    pub fn handoff(&mut self, h: &Handoff) -> Handoff {
        let mut h = h.clone();
        for c in h
            .items
            .iter_mut()
            .chain(&mut h.outputs)
            .chain(&mut h.parent)
        {
            *c = self.label(c);
        }
        for q in h.quantities.iter_mut().chain(&mut h.output_quantities) {
            q.class = self.label(&q.class);
        }
        h
    }

    /// Every secret made so far.
    pub fn all(&self) -> Vec<LabelSecret> {
        self.secrets.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_of_a_lot_share_its_label_and_a_pallet_has_its_own() {
        let mut l = Labels::default();
        let a = l.label("https://id.gs1.org/01/09506000100029/10/B1/21/C1?17=281231");
        let b = l.label("https://id.gs1.org/01/09506000100029/10/B1/21/C2");
        let lot = l.label("https://id.gs1.org/01/09506000100029/10/B1");
        let pallet = l.label("https://id.gs1.org/00/095060000000000017");
        let secret = |c: &str| LabelSecret::from_link(c).unwrap();
        assert!(a.starts_with("https://id.gs1.org/01/09506000100029/10/B1/21/C1?17=281231&tk="));
        assert_eq!(secret(&a), secret(&b));
        assert_eq!(secret(&a), secret(&lot));
        assert_ne!(secret(&a), secret(&pallet));
        assert_eq!(l.all().len(), 2);
        let elsewhere = l.label("https://brand.example/01/09506000100029/10/B1/21/C9");
        assert_eq!(secret(&elsewhere), secret(&a));
        // A code labelled twice keeps one secret.
        assert_eq!(l.label(&a), a);
    }
}
