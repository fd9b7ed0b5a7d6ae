//! `tally demo` end to end: every scenario gets the verdict and the reason it must have, and the
//! network it leaves (with --keep) answers the other commands as a shopper's and an auditor's
//! device would.

use serde_json::Value;
use tally_e2e::{path_str, tally, Guard};

#[test]
fn every_demo_scenario_gets_its_verdict_and_the_kept_network_serves_the_cli() {
    let guard = Guard::at("demo/net");
    let dir = guard.0.path().join("demo");
    let d = path_str(&dir);
    let run = tally(&["demo", "--dir", &d, "--keep"], b"").expect(0);
    let out = run.out();
    let net = path_str(&guard.dir());
    for section in [
        "Three bookkeepers",
        "Governance registers eleven organisations",
        "Labels printed as PNG",
        "Bookkeeper bk3 is down",
        "a serial the maker never issued",
        "too few to check",
        "rewrites a record",
        "restored from an old backup",
    ] {
        assert!(out.contains(section), "missing {section:?} in:\n{out}");
    }
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.join("demo.json")).unwrap()).unwrap();
    let results = summary["results"].as_array().unwrap();
    let expected = [
        ("can of formula", "verified", None),
        ("hoki fillets", "verified", None),
        ("cloned label", "warning", Some("already_sold")),
        ("recalled lot", "warning", Some("recalled")),
        (
            "temperature excursion",
            "warning",
            Some("cold_chain_excursion"),
        ),
        ("made-up serial", "failed", Some("unknown_serial")),
        (
            "look-alike address",
            "warning",
            Some("unregistered_resolver"),
        ),
        ("one bookkeeper down", "verified", Some("log_unreachable")),
        (
            "two bookkeepers down",
            "unverifiable",
            Some("too_few_bookkeepers"),
        ),
        ("tampered bookkeeper", "warning", Some("tampered_entry")),
        ("after the chiller reading", "verified", None),
        (
            "bookkeeper rolled back",
            "warning",
            Some("log_inconsistent"),
        ),
    ];
    assert_eq!(results.len(), expected.len());
    for (r, (scenario, status, warning)) in results.iter().zip(expected) {
        assert_eq!(r["scenario"], scenario);
        assert_eq!(r["status"], status, "{r}");
        let codes: Vec<&str> = r["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        match warning {
            Some(w) => assert!(codes.contains(&w), "{scenario}: {codes:?}"),
            None => assert!(codes.is_empty(), "{scenario}: {codes:?}"),
        }
        assert_eq!(r["ok"], true);
    }
    // The honest can's history runs from the farm to the Shanghai shop (16 steps); the hoki's from
    // the vessel to the fishmonger (11).
    assert_eq!(results[0]["steps"], 16);
    assert_eq!(results[1]["steps"], 11);

    // A fresh phone with the policy scans the printed labels.
    let home = path_str(&guard.0.path().join("phone"));
    let policy = summary["policy"].as_str().unwrap();
    tally(&["policy", "install", policy, "--home", &home], b"").expect(0);
    let png = |name: &str| {
        summary["labels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == name)
            .unwrap()["png"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let can = tally(
        &["scan", &png("milk-powder-can"), "--json", "--home", &home],
        b"",
    )
    .expect(0);
    let h: Value = serde_json::from_slice(&can.stdout).unwrap();
    let stages: Vec<&str> = h["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages.first(), Some(&"origin"));
    assert!(
        stages.contains(&"processing")
            && stages.contains(&"import")
            && stages.contains(&"cold_chain")
    );
    assert_eq!(h["steps"][0]["org"], "Waikato Valley Dairy Farm");
    let hoki = tally(
        &["scan", &png("hoki-fillets"), "--json", "--home", &home],
        b"",
    )
    .expect(0);
    let h: Value = serde_json::from_slice(&hoki.stdout).unwrap();
    let details = h["steps"][0]["details"].to_string();
    assert!(
        details.contains("Southern Star") && details.contains("catchArea"),
        "{details}"
    );
    let cloned = tally(&["scan", &png("cloned-can"), "--home", &home], b"").expect(3);
    assert!(cloned.out().contains("already sold"), "{}", cloned.out());
    tally(&["scan", &png("recalled-can"), "--home", &home], b"").expect(3);
    let fake = tally(&["scan", &png("fake-serial-can"), "--home", &home], b"").expect(1);
    assert!(fake.stderr.contains("never registered"), "{}", fake.stderr);
    let lookalike = tally(&["scan", &png("lookalike-can"), "--home", &home], b"").expect(3);
    assert!(
        lookalike.out().contains("paypa1-secure-login.example"),
        "{}",
        lookalike.out()
    );

    // Offline: the cached history, with its age.
    tally(&["network", "down", "--dir", &net], b"").expect(0);
    let offline = tally(&["scan", &png("milk-powder-can"), "--home", &home], b"").expect(0);
    assert!(
        offline
            .out()
            .contains("offline: showing the history verified on this device"),
        "{}",
        offline.out()
    );
    tally(
        &[
            "history",
            summary["labels"][0]["uri"].as_str().unwrap(),
            "--offline",
            "--home",
            &home,
        ],
        b"",
    )
    .expect(0);
    // The canonical form `tally` prints finds the same cached history.
    let printed = h_product(&can);
    tally(&["history", &printed, "--offline", "--home", &home], b"").expect(0);
    // A product this phone never checked: nothing to show, and that is not a verdict of fake.
    let never = tally(&["scan", &png("warm-fillets"), "--home", &home], b"").expect(4);
    assert!(never.out().contains("UNVERIFIABLE"), "{}", never.out());
    tally(&["network", "up", "--nodes", "3", "--dir", &net], b"").expect(0);

    // The auditor exports the can's evidence; anyone checks it again offline.
    let file = path_str(&guard.0.path().join("evidence.json"));
    let uri = summary["labels"][0]["uri"].as_str().unwrap().to_owned();
    tally(&["export", &uri, "--out", &file, "--home", &home], b"").expect(0);
    tally(&["network", "down", "--dir", &net], b"").expect(0);
    let checked = tally(&["check-evidence", &file, "--json", "--home", &home], b"").expect(0);
    let v: Value = serde_json::from_slice(&checked.stdout).unwrap();
    assert_eq!(v["status"], "verified");
    assert_eq!(v["steps"].as_array().unwrap().len(), 16);
    tally(
        &[
            "check-evidence",
            &path_str(&dir.join("demo.json")),
            "--home",
            &home,
        ],
        b"",
    )
    .expect(2);
    // Without an installed policy the file's own is used only when asked, with its fingerprint.
    let bare = path_str(&guard.0.path().join("no-policy"));
    tally(&["check-evidence", &file, "--home", &bare], b"").expect(2);
    let embedded = tally(
        &[
            "check-evidence",
            &file,
            "--embedded-policy",
            "--home",
            &bare,
        ],
        b"",
    )
    .expect(0);
    assert!(
        embedded.stderr.contains("fingerprint sha256:"),
        "{}",
        embedded.stderr
    );
}

/// The product key a `tally scan --json` answer names.
fn h_product(run: &tally_e2e::Run) -> String {
    let h: Value = serde_json::from_slice(&run.stdout).unwrap();
    h["product"].as_str().unwrap().to_owned()
}
