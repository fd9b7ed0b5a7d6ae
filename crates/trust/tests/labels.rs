//! Labels signed by the brand (GS1 AI 8030): who may sign a product's labels, and the verdict on
//! a forged one, attacked from every side a counterfeiter or a rogue member can reach.

mod common;

use common::*;
use tally_tlog::{KeyType, SignerKey};
use tally_trust::label::{check, LabelCheck, LABELLING};
use tally_trust::{
    verify, Entry, LabelSigner, Reason, Record, Registry, Request, Status, TrustState,
};

/// The brand that owns [`GTIN`]'s company prefix.
const PREFIX: &str = "9506000134";

/// Registers an organisation with `prefixes` (signed by `signer`, governance unless a test says
/// otherwise) and returns its key.
fn register(
    net: &mut Net,
    gln: &str,
    prefixes: &[&str],
    seed: u8,
    signer: &SignerKey,
) -> SignerKey {
    let k = key(&format!("org-{gln}"), KeyType::Ed25519, seed);
    let r = Record::Registration {
        gln: gln.into(),
        name: format!("Org {gln}"),
        country: "NZ".into(),
        key: k.verifier().to_string(),
        domains: vec![],
        prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
    };
    let e = Entry::sign(r.kind(), r.to_payload(), None, signer).unwrap();
    net.append_all(&e.encode());
    k
}

fn registry(net: &Net) -> Registry {
    let entries: Vec<Entry> = net.bks[0]
        .entries
        .iter()
        .map(|b| Entry::decode(b).unwrap())
        .collect();
    let refs: Vec<&Entry> = entries.iter().collect();
    Registry::build(&net.policy, &refs)
}

fn revoke(net: &mut Net, target: &SignerKey, by: &SignerKey) {
    let r = Record::Revocation {
        key: target.verifier().to_string(),
        since: t("2026-04-01T00:00:00Z"),
        reason: "printer stolen".into(),
    };
    net.append_all(
        &Entry::sign(r.kind(), r.to_payload(), None, by)
            .unwrap()
            .encode(),
    );
}

/// A network whose brand (gln 40) owns [`PREFIX`] and has one labelling device; a second member
/// (gln 41) owns another prefix and certifies a labelling device too.
struct Brands {
    net: Net,
    brand: SignerKey,
    printer: SignerKey,
    rogue_printer: SignerKey,
}

fn brands() -> Brands {
    let mut net = Net::new(3, 2, 1);
    let gov = net.gov.clone();
    let brand = register(&mut net, &gln(40), &[PREFIX], 90, &gov);
    let printer = net.certify(&brand, &gln(40), &[LABELLING], &[&gln(40)], 91);
    let rogue = register(&mut net, &gln(41), &["9506000999"], 92, &gov);
    let rogue_printer = net.certify(&rogue, &gln(41), &[LABELLING], &[&gln(41)], 93);
    Brands {
        net,
        brand,
        printer,
        rogue_printer,
    }
}

fn label(serial: u32, signer: &SignerKey) -> String {
    tally_digsig::sign(&format!("{}?17=281130", unit(serial)), signer).unwrap()
}

#[test]
fn the_brands_labelling_key_signs_its_labels_and_nobody_elses_does() {
    let b = brands();
    let signers = registry(&b.net).label_signers();
    assert_eq!(signers.len(), 2, "{signers:?}");
    let genuine = label(1001, &b.printer);
    assert_eq!(
        check(&genuine, &signers),
        LabelCheck::Signed {
            org: gln(40),
            name: format!("Org {}", gln(40))
        }
    );
    // A certified member signing labels of a product under someone else's prefix: forged.
    let by_rogue = label(1001, &b.rogue_printer);
    assert!(matches!(check(&by_rogue, &signers), LabelCheck::Forged { org, .. } if org == gln(40)));
    // The brand's organisation key itself is not a labelling device.
    assert!(matches!(
        check(&label(1001, &b.brand), &signers),
        LabelCheck::Forged { .. }
    ));
    // A counterfeiter's own key.
    let own = key("counterfeiter", KeyType::Ed25519, 99);
    assert!(matches!(
        check(&label(1001, &own), &signers),
        LabelCheck::Forged { .. }
    ));
}

#[test]
fn changed_label_data_fail_and_unsigned_labels_pass_as_unsigned() {
    let b = brands();
    let signers = registry(&b.net).label_signers();
    let genuine = label(1001, &b.printer);
    for (from, to) in [
        ("17=281130", "17=291130"),
        ("/21/1001", "/21/1002"),
        ("/10/LOT1", "/10/LOT2"),
    ] {
        let altered = genuine.replace(from, to);
        assert!(
            matches!(check(&altered, &signers), LabelCheck::Forged { .. }),
            "{altered}"
        );
    }
    assert_eq!(check(&unit(1001), &signers), LabelCheck::Unsigned);
    let broken = format!("{}?8030=AAAA", unit(1001));
    assert!(matches!(
        check(&broken, &signers),
        LabelCheck::Malformed { .. }
    ));
}

#[test]
fn a_prefix_counts_only_when_governance_registered_it() {
    let mut b = brands();
    // A member registered by a non-governance key, claiming the brand's prefix, is rejected.
    let impostor_key = key("impostor", KeyType::Ed25519, 94);
    let impostor = register(&mut b.net, &gln(42), &[PREFIX], 95, &impostor_key);
    let reg = registry(&b.net);
    assert!(reg.org(&gln(42)).is_none());
    assert!(!reg.rejected.is_empty());
    let forged = b
        .net
        .certify(&impostor, &gln(42), &[LABELLING], &[&gln(42)], 96);
    let signers = registry(&b.net).label_signers();
    assert!(matches!(
        check(&label(1001, &forged), &signers),
        LabelCheck::Forged { .. }
    ));
    // A member's device certified for other roles only cannot sign labels either.
    let brand = b.brand.clone();
    let shipper = b
        .net
        .certify(&brand, &gln(40), &["shipping"], &[&gln(40)], 97);
    let signers = registry(&b.net).label_signers();
    assert!(matches!(
        check(&label(1001, &shipper), &signers),
        LabelCheck::Forged { .. }
    ));
}

#[test]
fn a_revoked_labelling_key_warns_and_an_unknown_brand_is_unchecked() {
    let mut b = brands();
    let genuine = label(1001, &b.printer);
    let brand = b.brand.clone();
    let printer = b.printer.clone();
    revoke(&mut b.net, &printer, &brand);
    let signers = registry(&b.net).label_signers();
    assert!(matches!(
        check(&genuine, &signers),
        LabelCheck::SignerRevoked { since, .. } if since == "2026-04-01T00:00:00Z"
    ));
    // No labelling key known for the product's brand (a device that never read the registry).
    assert_eq!(check(&genuine, &[]), LabelCheck::Unchecked);
    let other: Vec<LabelSigner> = signers.into_iter().filter(|s| s.org != gln(40)).collect();
    assert_eq!(check(&genuine, &other), LabelCheck::Unchecked);
}

#[test]
fn a_bad_prefix_is_refused_at_registration() {
    let mut net = Net::new(3, 2, 1);
    let gov = net.gov.clone();
    register(&mut net, &gln(40), &["95x6"], 90, &gov);
    register(&mut net, &gln(41), &["950"], 91, &gov);
    let reg = registry(&net);
    assert!(reg.org(&gln(40)).is_none() && reg.org(&gln(41)).is_none());
    assert_eq!(reg.rejected.len(), 2);
}

/// The whole verdict: the logs prove the history, the kept signers check the label.
#[test]
fn the_verdict_fails_a_forged_label_on_a_genuine_history() {
    let mut c = Chain::new();
    c.journey(false);
    let gov = c.net.gov.clone();
    let brand = register(&mut c.net, &gln(40), &[PREFIX], 90, &gov);
    let printer = c
        .net
        .certify(&brand, &gln(40), &[LABELLING], &[&gln(40)], 91);
    let signers = registry(&c.net).label_signers();
    let logs = c.net.all_evidence();
    let state = TrustState::default();
    let run = |code: &str, kept: &[LabelSigner]| {
        verify(&Request {
            label: Some(code),
            label_signers: kept,
            ..Request::online(&c.net.policy, &unit(1001), &logs, &state, t(NOW))
        })
    };
    let genuine = label(1001, &printer);
    let v = run(&genuine, &signers);
    assert_eq!(v.status, Status::Verified, "{:?}", v.reasons);
    assert!(matches!(v.label, LabelCheck::Signed { .. }));
    let altered = genuine.replace("17=281130", "17=291130");
    let v = run(&altered, &signers);
    assert_eq!(v.status, Status::Failed);
    assert!(v
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::LabelForged { org: Some(o), .. } if *o == gln(40))));
    // The unsigned label of the same unit is verified, and says so.
    let v = run(&unit(1001), &signers);
    assert_eq!(v.status, Status::Verified);
    assert_eq!(v.label, LabelCheck::Unsigned);
    // Offline: no log answered, the kept signers alone fail the altered label.
    let v = verify(&Request {
        label: Some(&altered),
        label_signers: &signers,
        unreachable: &["bk0".into(), "bk1".into(), "bk2".into()],
        ..Request::online(&c.net.policy, &unit(1001), &[], &state, t(NOW))
    });
    assert_eq!(v.status, Status::Failed, "{:?}", v.reasons);
}
