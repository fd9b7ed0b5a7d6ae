//! The evidence package against its forgers: built from a real (in-memory) network's signed
//! logs, it checks offline; any change to a signed byte, a proof, the manifest's claims or the
//! keys it is judged under is caught and named, even when the forger rewrites SHA256SUMS.

#[path = "../../trust/tests/common/mod.rs"]
mod common;

use common::*;
use sha2::{Digest, Sha256};
use tally_evidence::report::Font;
use tally_evidence::{build, check, Archive, ArchiveError, Export, PackageError};
use tally_trust::{LogEvidence, Status};

/// The font the report is set in: Debian's fonts-wqy-microhei (installed by scripts/setup.sh).
const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

fn font() -> Font {
    let data = std::fs::read(FONT).expect("fonts-wqy-microhei (scripts/setup.sh installs it)");
    Font::new(data, 0).unwrap()
}

/// An honest journey of unit 1001 in three logs, and its package.
fn honest() -> (Chain, Vec<LogEvidence>, Vec<u8>) {
    let mut chain = Chain::new();
    chain.journey(false);
    let logs = chain.net.all_evidence();
    let tar = package(&chain, &logs);
    (chain, logs, tar)
}

fn package(chain: &Chain, logs: &[LogEvidence]) -> Vec<u8> {
    let font = font();
    let (tar, _) = build(&Export {
        product: &unit(1001),
        exported_at: t(NOW),
        policy: &chain.net.policy,
        logs,
        secrets: &[],
        font: &font,
        history: &[],
    });
    tar
}

/// The package with `edit` applied to its files, then SHA256SUMS rewritten to match, as a
/// forger who knows the format would.
fn forged(tar: &[u8], edit: impl FnOnce(&mut Archive)) -> Vec<u8> {
    let mut a = Archive::from_tar(tar).unwrap();
    edit(&mut a);
    let sums: String = a
        .files
        .iter()
        .filter(|(p, _)| *p != "SHA256SUMS")
        .map(|(p, b)| format!("{}  {p}\n", hex::encode(Sha256::digest(b))))
        .collect();
    a.files.insert("SHA256SUMS".into(), sums.into_bytes());
    a.to_tar(0)
}

fn first(a: &Archive, prefix: &str) -> String {
    a.files
        .keys()
        .find(|p| p.starts_with(prefix))
        .unwrap()
        .clone()
}

#[test]
fn an_honest_package_checks_offline_with_its_whole_timeline() {
    let (chain, logs, tar) = honest();
    let c = check(&tar, Some(&chain.net.policy), &[]).unwrap();
    assert_eq!(
        c.verdict.status,
        Status::Verified,
        "{:?}",
        c.verdict.reasons
    );
    assert_eq!(c.manifest.verdict, "verified");
    assert_eq!(c.manifest.steps.len(), c.verdict.timeline.len());
    assert!(c.manifest.steps.len() >= 4);
    let served: usize = logs.iter().map(|l| l.entries.len()).sum();
    assert_eq!(c.proofs, served, "one proof per entry per log");
    // The registry records that certified each signer are in it, with proofs.
    let kinds: Vec<&str> = c.manifest.records.iter().map(|r| r.kind.as_str()).collect();
    assert!(kinds.contains(&"registration") && kinds.contains(&"certification"));
    assert!(c.manifest.records.iter().all(|r| r.proofs.len() == 3));
    // Every step's event file is the payload its device signed.
    let a = Archive::from_tar(&tar).unwrap();
    for s in &c.manifest.steps {
        let entry = tally_trust::Entry::decode(&a.files[&s.entry]).unwrap();
        assert_eq!(entry.payload, a.files[&s.event]);
    }
    // The embedded policy gives the same verdict (for a reader who knows its fingerprint).
    let own = check(&tar, None, &[]).unwrap();
    assert_eq!(own.policy_fingerprint, c.policy_fingerprint);
    // Deterministic: the same evidence makes the same bytes.
    assert_eq!(tar, package(&chain, &logs));
}

#[test]
fn a_changed_byte_is_named_by_sha256sums() {
    let (chain, _, tar) = honest();
    let mut a = Archive::from_tar(&tar).unwrap();
    let event = first(&a, "events/");
    a.files.get_mut(&event).unwrap()[10] ^= 1;
    let err = check(&a.to_tar(0), Some(&chain.net.policy), &[]).unwrap_err();
    assert_eq!(err, PackageError::Altered(event));
    let mut a = Archive::from_tar(&tar).unwrap();
    a.files.remove("labels.txt");
    a.files.remove(&first(&a, "proofs/"));
    let err = check(&a.to_tar(0), Some(&chain.net.policy), &[]).unwrap_err();
    assert!(matches!(err, PackageError::Missing(_)), "{err}");
}

#[test]
fn forgeries_that_rewrite_sha256sums_are_still_caught() {
    let (chain, _, tar) = honest();
    let policy = Some(&chain.net.policy);
    // An event's text edited (say, a later date): it is no longer what any entry signed.
    let edited = forged(&tar, |a| {
        let event = first(a, "events/");
        let text = String::from_utf8(a.files[&event].clone()).unwrap();
        a.files
            .insert(event, text.replace("2026-03", "2026-05").into_bytes());
    });
    assert!(matches!(
        check(&edited, policy, &[]),
        Err(PackageError::Mismatch { .. })
    ));
    // An entry's bytes edited: its name (leaf hash) no longer fits.
    let entry = forged(&tar, |a| {
        let e = first(a, "entries/");
        let bytes = a.files.get_mut(&e).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
    });
    let err = check(&entry, policy, &[]).unwrap_err();
    assert!(
        matches!(err, PackageError::Malformed { ref file, .. } if file.starts_with("entries/")),
        "{err}"
    );
    // The manifest claims a better verdict than the evidence gives.
    let claim = |verdict: &str| {
        forged(&tar, |a| {
            let mut m: serde_json::Value =
                serde_json::from_slice(&a.files["manifest.json"]).unwrap();
            m["verdict"] = verdict.into();
            a.files
                .insert("manifest.json".into(), serde_json::to_vec(&m).unwrap());
        })
    };
    let err = check(&claim("failed"), policy, &[]).unwrap_err();
    assert!(matches!(err, PackageError::Mismatch { .. }), "{err}");
    // A step's proofs dropped from two of three logs: the step is no longer proven by k logs,
    // and the evidence's own verdict (not the manifest's) says so.
    let thin = forged(&tar, |a| {
        let m: tally_evidence::Manifest =
            serde_json::from_slice(&a.files["manifest.json"]).unwrap();
        for p in m.steps[1].proofs.values().skip(1) {
            a.files.remove(p);
        }
    });
    let err = check(&thin, policy, &[]).unwrap_err();
    assert!(matches!(err, PackageError::Mismatch { .. }), "{err}");
}

#[test]
fn a_package_of_a_forgers_own_logs_fails_under_the_real_policy() {
    let (chain, _, _) = honest();
    // The same journey in a network of the forger's own keys: complete and self-consistent.
    let mut fake = Chain::new_with(forger_net());
    fake.journey(false);
    let fake_tar = package(&fake, &fake.net.all_evidence());
    // Its logs carry the real logs' names, not their signatures: none can be used, so the
    // evidence proves nothing, and the package's claim to be verified is refused.
    let err = check(&fake_tar, Some(&chain.net.policy), &[]).unwrap_err();
    assert!(
        matches!(err, PackageError::Mismatch { ref found, .. } if found == "unverifiable"),
        "{err}"
    );
    // Under its own embedded policy it "checks": which is why that needs the fingerprint.
    let own = check(&fake_tar, None, &[]).unwrap();
    assert_ne!(
        own.policy_fingerprint,
        format!("sha256:{}", chain.net.policy.fingerprint())
    );
}

/// A network like [`Net::new`]'s, with different keys.
fn forger_net() -> Net {
    let mut n = Net::new(3, 2, 1);
    for (i, b) in n.bks.iter_mut().enumerate() {
        b.log = key(
            &format!("bk{i}.tally.example/log"),
            tally_tlog::KeyType::Ed25519,
            220 + i as u8,
        );
        b.witness = key(
            &format!("bk{i}.tally.example/witness"),
            tally_tlog::KeyType::Cosignature,
            240 + i as u8,
        );
    }
    let policy = n.policy.to_json();
    let mut v: serde_json::Value = serde_json::from_str(&policy).unwrap();
    for (i, b) in n.bks.iter().enumerate() {
        v["bookkeepers"][i]["log_key"] = b.log.verifier().to_string().into();
        v["bookkeepers"][i]["witness_key"] = b.witness.verifier().to_string().into();
    }
    n.policy = tally_trust::Policy::parse(v.to_string().as_bytes()).unwrap();
    n
}

#[test]
fn a_crafted_archive_is_refused_before_anything_is_read() {
    let (chain, _, tar) = honest();
    assert!(matches!(
        check(&tar[..tar.len() / 2], Some(&chain.net.policy), &[]),
        Err(PackageError::Archive(_)) | Err(PackageError::Missing(_))
    ));
    assert!(matches!(
        check(
            b"not a tar at all, just some bytes that go on",
            Some(&chain.net.policy),
            &[]
        ),
        Err(PackageError::Archive(ArchiveError::Tar(_))) | Err(PackageError::Missing(_))
    ));
}
