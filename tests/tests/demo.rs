//! `tally demo` end to end: every scenario gets the verdict and the reason it must have, and the
//! network it leaves (with --keep) answers the other commands as a shopper's and an auditor's
//! device would.

use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};
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
        "Governance registers thirteen organisations",
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
        ("altered label", "failed", Some("label_forged")),
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
    // The honest can's history runs from the farm to the Shanghai shop (18 steps, with the
    // laboratory's test and the customs clearance); the hoki's from the vessel to the fishmonger
    // (11).
    assert_eq!(results[0]["steps"], 18);
    assert_eq!(results[1]["steps"], 11);

    // What the bookkeepers serve anyone without a label names nothing of the trade; what they
    // serve the holder of one label opens with that label (and what it links to) and is about its
    // own chain only.
    for bk in summary["bookkeepers"].as_array().unwrap() {
        let url = bk["url"].as_str().unwrap();
        anonymous_crawl_finds_no_trade_data(url, &summary);
        a_label_opens_its_own_chain_only(url, &summary);
    }

    // A fresh phone with the policy scans the printed labels.
    let home = path_str(&guard.0.path().join("phone"));
    let policy = summary["policy"].as_str().unwrap();
    tally(&["policy", "install", policy, "--home", &home], b"").expect(0);

    // The entitled regulator reads the processor's sealed events from the whole logs; without
    // its key, the processor's activity is nothing anyone can read.
    let processor = summary["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "processor")
        .unwrap()["gln"]
        .as_str()
        .unwrap()
        .to_owned();
    let regulator = summary["regulator"]["key"].as_str().unwrap();
    let activity = |extra: &[&str]| -> Value {
        let mut args = vec!["activity", processor.as_str(), "--json", "--home", &home];
        args.extend(extra);
        serde_json::from_slice(&tally(&args, b"").expect(0).stdout).unwrap()
    };
    let read = activity(&["--as", regulator]);
    let steps: Vec<&str> = read["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["biz_step"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(steps.len(), 6, "{steps:?}");
    assert!(steps.contains(&"creating_class_instance") && steps.contains(&"holding"));
    assert_eq!(read["name"], "Canterbury Nutrition Ltd");
    // The regulator reads what the processor withheld from shoppers.
    let events = read["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["event"].as_str().unwrap().contains("DESADV-7741")),
        "{events:?}"
    );
    assert!(events.iter().all(|e| e["withheld"] == 0));
    assert_eq!(activity(&[])["events"].as_array().unwrap().len(), 0);
    // A field (`png`, `uri`) of the demo label `name`.
    let label = |name: &str, field: &str| {
        summary["labels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == name)
            .unwrap()[field]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let png = |name: &str| label(name, "png");
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
    // Three views of the same can: its holder reads neither trade document; the carrier, a
    // partner entitled to what was shipped to it, reads its bill of lading; the regulator both.
    let documents = |h: &Value| {
        let details = h["steps"].to_string();
        (
            details.contains("BOL-NZAKL-5521"),
            details.contains("DESADV-7741"),
        )
    };
    assert_eq!(documents(&h), (false, false), "the holder");
    let uri = label("milk-powder-can", "uri");
    let read_as = |who: &str| -> Value {
        let key = summary[who]["key"].as_str().unwrap();
        let args = ["history", &uri, "--as", key, "--json", "--home", &home];
        serde_json::from_slice(&tally(&args, b"").expect(0).stdout).unwrap()
    };
    let (partner, authority) = (read_as("partner"), read_as("regulator"));
    assert_eq!(documents(&partner), (true, false), "the partner");
    assert_eq!(documents(&authority), (true, true), "the regulator");
    for view in [&partner, &authority] {
        assert_eq!(view["status"], h["status"]);
        assert_eq!(view["steps"].as_array().unwrap().len(), stages.len());
    }
    // Every logged entry of the can's history as c2sp.org/tlog-proof files, one per log, each
    // checked offline against the installed policy; none proves another entry.
    let proofs = guard.0.path().join("proofs");
    let out = path_str(&proofs);
    tally(
        &["proof", "export", &uri, "--out", &out, "--home", &home],
        b"",
    )
    .expect(0);
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&proofs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tlog-proof"))
        .collect();
    files.sort();
    assert!(files.len() >= 3 * stages.len(), "{} proofs", files.len());
    let entry_of = |f: &std::path::Path| {
        let name = f.file_name().unwrap().to_str().unwrap();
        proofs.join(format!("{}.entry", name.split('.').next().unwrap()))
    };
    for f in &files {
        let (file, entry) = (path_str(f), path_str(&entry_of(f)));
        let ok = tally(
            &["proof", "verify", &file, "--entry", &entry, "--home", &home],
            b"",
        );
        assert!(ok.expect(0).out().contains("verified: entry"));
    }
    let (first, other) = (
        path_str(&files[0]),
        path_str(&entry_of(files.last().unwrap())),
    );
    tally(
        &[
            "proof", "verify", &first, "--entry", &other, "--home", &home,
        ],
        b"",
    )
    .expect(1);
    let entry = path_str(&entry_of(&files[0]));
    tally(
        &[
            "proof", "verify", &entry, "--entry", &entry, "--home", &home,
        ],
        b"",
    )
    .expect(2);
    // The same proofs under the c2sp.org/tlog-policy files the policy writes, one per log: each
    // proof checks under its own log's file and no other.
    let c2sp = guard.0.path().join("tlog-policies");
    tally(
        &["policy", "tlog", "--out", &path_str(&c2sp), "--home", &home],
        b"",
    )
    .expect(0);
    let bk_of = |f: &std::path::Path| f.to_str().unwrap().rsplit('.').nth(1).unwrap().to_owned();
    for f in [&files[0], files.last().unwrap()] {
        let (file, entry) = (path_str(f), path_str(&entry_of(f)));
        for bk in ["bk1", "bk2", "bk3"] {
            let tp = path_str(&c2sp.join(format!("{bk}.tlog-policy")));
            let run = tally(
                &[
                    "proof",
                    "verify",
                    &file,
                    "--entry",
                    &entry,
                    "--tlog-policy",
                    &tp,
                ],
                b"",
            );
            run.expect(if bk == bk_of(f) { 0 } else { 1 });
        }
    }
    // The regulator's own device: governance gave it the registry secret with its entitlement,
    // so it lists every registered organisation (the registry is sealed).
    let office = path_str(&guard.0.path().join("regulator"));
    let secret = summary["registry_secret"].as_str().unwrap();
    let install = ["policy", "install", policy, "--registry-secret", secret];
    tally(&[&install[..], &["--home", &office]].concat(), b"").expect(0);
    fsma_spreadsheet_from_the_logs(guard.0.path(), &office, regulator);
    evidence_package_checks_offline_with_other_tools(
        guard.0.path(),
        &uri,
        &home,
        policy,
        stages.len(),
    );
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
    assert_eq!(v["steps"].as_array().unwrap().len(), 18);
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

/// The demo's trade data: every product, lot, serial, pallet and business document its events
/// name, and the organisations and places (which only the sealed registry names).
const TRADE: &[&str] = &[
    "09506000100012",
    "09506000100029",
    "09506000200019",
    "09506000200026",
    "RAW-2611-A",
    "B2611-01",
    "B2611-02",
    "CATCH-2611-07",
    "F2611-07A",
    "F2611-07B",
    "C0001",
    "C0002",
    "C0101",
    "P001",
    "P101",
    "DESADV-7741",
    "BOL-NZAKL-5521",
    "CIQ-2611-0931",
    "IMO 9387421",
    // EPCIS itself: no event is served in any readable form.
    "bizStep",
    "epcList",
    "eventTime",
    "quantity",
    "readPoint",
    "sensorElementList",
];

/// Everything `url` serves a reader without a label — its checkpoint, every entry of its log,
/// its metrics and evidence, and `/lookup` and `/history` of every product, lot, pallet,
/// organisation and place of the demo — checked for the demo's trade data in every form a
/// reader could derive without a key: plain, base64, hex and base64 of its SHA-256, and as a
/// canonical Digital Link; and the registry's organisation names, GLNs and device keys.
fn anonymous_crawl_finds_no_trade_data(url: &str, summary: &Value) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let get = |path: String| -> Vec<u8> {
        rt.block_on(async {
            let r = reqwest::get(format!("{url}{path}")).await.unwrap();
            r.bytes().await.unwrap().to_vec()
        })
    };
    let checkpoint = String::from_utf8(get("/checkpoint".into())).unwrap();
    let size: u64 = checkpoint.lines().nth(1).unwrap().parse().unwrap();
    let (mut served, mut sealed) = (Vec::new(), 0);
    served.extend(checkpoint.as_bytes());
    for index in 0..size.div_ceil(256) {
        let width = (size - index * 256).min(256) as u32;
        let tile = tally_tlog::tiles::TilePath {
            kind: tally_tlog::tiles::TileKind::Entries,
            index,
            width,
        };
        let bundle = get(format!("/{}", tile.path()));
        for entry in tally_tlog::tiles::decode_entry_bundle(&bundle).unwrap() {
            // Events and registry records alike: nothing is logged in the clear.
            assert!(
                entry.starts_with(b"tally/sealed/v1\n"),
                "an entry in the clear: {:?}",
                tally_trust::Entry::decode(entry).map(|e| e.kind)
            );
            sealed += 1;
            served.extend(entry);
        }
    }
    assert!(
        sealed >= 30,
        "every event of both journeys is sealed: {sealed}"
    );
    served.extend(get("/metrics".into()));
    served.extend(get("/evidence".into()));
    let mut keys: Vec<String> = summary["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["uri"]
                .as_str()
                .unwrap()
                .split('?')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    for o in summary["orgs"].as_array().unwrap() {
        keys.push(o["gln"].as_str().unwrap().to_owned());
        keys.push(o["place"].as_str().unwrap().to_owned());
    }
    let lots: Vec<String> = keys
        .iter()
        .filter_map(|k| k.split_once("/21/").map(|(lot, _)| lot.to_owned()))
        .collect();
    for lot in lots {
        keys.push(format!("units:{lot}"));
        keys.push(format!("serials:{lot}"));
        keys.push(lot);
    }
    keys.push("registry".into());
    for k in &keys {
        let k = percent(k);
        for endpoint in ["lookup", "history"] {
            let body = get(format!("/{endpoint}?key={k}"));
            let v: Value = serde_json::from_slice(&body).unwrap();
            // Nothing answers a reader without a label or the registry secret: no event, no
            // registry record (the registry is sealed too), sealed or not.
            let entries = v["entries"].as_array().unwrap();
            assert!(
                entries.is_empty(),
                "{endpoint} {k} answers a reader without a label with {} entries",
                entries.len()
            );
            served.extend(body);
        }
    }
    let text = String::from_utf8_lossy(&served).into_owned();
    let mut names: Vec<String> = TRADE.iter().map(|s| s.to_string()).collect();
    names.extend(keys.iter().filter(|k| k.starts_with("https://")).cloned());
    for o in summary["orgs"].as_array().unwrap() {
        names.push(o["name"].as_str().unwrap().to_owned());
        names.push(o["gln"].as_str().unwrap().to_owned());
    }
    // A device key too (the brand's label printer's), as text and as its raw bytes.
    let printer = std::fs::read_to_string(summary["labelling"]["key"].as_str().unwrap()).unwrap();
    let printer = tally_tlog::SignerKey::parse(printer.trim())
        .unwrap()
        .verifier();
    let raw = printer.ed25519().to_bytes();
    names.push(printer.to_string());
    names.push(base64::engine::general_purpose::STANDARD.encode(raw));
    assert!(
        !served.windows(32).any(|w| w == raw),
        "{url} serves the label printer's key"
    );
    for name in names {
        for form in forms(&name) {
            assert!(!text.contains(&form), "{url} serves {name:?} as {form:?}");
        }
    }
}

/// The forms a reader can derive a string into without a key.
fn forms(s: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let digest = Sha256::digest(s.as_bytes());
    vec![
        s.to_owned(),
        b64.encode(s),
        url.encode(s),
        hex::encode(digest),
        b64.encode(digest),
        url.encode(digest),
    ]
}

/// `/history` of the can with the can's label: every sealed entry served opens with that label or
/// a secret an opened entry hands on, none is of the seafood chain, and without the header the
/// same request answers no event at all.
fn a_label_opens_its_own_chain_only(url: &str, summary: &Value) {
    let can = summary["labels"][0]["uri"].as_str().unwrap();
    assert!(can.contains("&tk=") || can.contains("?tk="), "{can}");
    let (key, secret) = can.split_once("tk=").unwrap();
    let key = key.trim_end_matches(['?', '&']);
    let key = percent(key);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let history = |label: Option<&str>| -> Value {
        rt.block_on(async {
            let mut r = reqwest::Client::new().get(format!("{url}/history?key={key}"));
            if let Some(l) = label {
                r = r.header("tally-label-secret", l);
            }
            r.send().await.unwrap().json().await.unwrap()
        })
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let sealed = |v: &Value| -> Vec<Vec<u8>> {
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| b64.decode(e["entry"].as_str().unwrap()).unwrap())
            .filter(|b| b.starts_with(b"tally/sealed/v1\n"))
            .collect()
    };
    assert!(sealed(&history(None)).is_empty());
    let served = sealed(&history(Some(secret)));
    assert!(served.len() >= 14, "the can's chain: {}", served.len());
    let mut secrets = vec![tally_confidential::LabelSecret::parse(secret).unwrap()];
    let mut opened: Vec<Vec<u8>> = Vec::new();
    let mut left = served;
    while !left.is_empty() {
        let before = left.len();
        left.retain(|b| match tally_confidential::open(b, &secrets) {
            Ok(o) => {
                secrets.extend(o.links);
                // The sealed registry records of its signers open as a holder's app opens them.
                if let Ok(e) = tally_trust::Entry::decode(&o.entry) {
                    secrets.extend(tally_trust::sealed_registry::opens_next(&e));
                }
                opened.push(o.entry);
                false
            }
            Err(_) => true,
        });
        assert!(
            left.len() < before,
            "{} entries served that this label cannot open",
            left.len()
        );
    }
    let text = String::from_utf8_lossy(&opened.concat()).into_owned();
    for seafood in [
        "09506000200019",
        "09506000200026",
        "CATCH-2611-07",
        "F2611-07A",
    ] {
        assert!(
            !text.contains(seafood),
            "the can's label reads the seafood chain: {seafood}"
        );
    }
    assert!(text.contains("B2611-01") && text.contains("RAW-2611-A"));
    // What the brand withheld from holders (the despatch advice, the bill of lading) is in no
    // form the holder can read; the import clearance it chose to show is.
    for withheld in ["DESADV-7741", "BOL-NZAKL-5521"] {
        for form in forms(withheld) {
            assert!(
                !text.contains(&form),
                "the can's holder reads the withheld {withheld} as {form}"
            );
        }
    }
    assert!(text.contains("CIQ-2611-0931"), "the shown import clearance");
    // The registry records of its own chain's participants, and no other: the customs
    // authority (certified by governance: its registration opens through the certification's
    // link), not the fish market of the seafood chain.
    let name = |id: &str| -> String {
        let orgs = summary["orgs"].as_array().unwrap();
        let o = orgs.iter().find(|o| o["id"] == id).unwrap();
        o["name"].as_str().unwrap().to_owned()
    };
    for id in ["processor", "customs"] {
        assert!(
            text.contains(&name(id)),
            "the can's holder reads who {id} is"
        );
    }
    assert!(
        !text.contains(&name("fishmonger")),
        "the can's holder reads a registration outside its chain"
    );
}

/// `s` percent-encoded for a query value (every byte but RFC 3986's unreserved ones).
fn percent(s: &str) -> String {
    s.bytes()
        .map(
            |b| match b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                true => (b as char).to_string(),
                false => format!("%{b:02X}"),
            },
        )
        .collect()
}

/// The can's court-ready package: `tally package` writes it, and then, with no bookkeeper asked,
/// `tally-verify` checks it under the policy alone; `tar` and `sha256sum` check its files; Go's
/// golang.org/x/mod checks every log's signature and every inclusion proof in it; `pdftotext`
/// reads its report in both languages; and one changed byte makes it fail, naming the file.
fn evidence_package_checks_offline_with_other_tools(
    dir: &std::path::Path,
    uri: &str,
    home: &str,
    policy: &str,
    steps: usize,
) {
    use std::process::Command;
    let tar = dir.join("can.tar");
    let made = tally(
        &["package", uri, "--out", &path_str(&tar), "--home", home],
        b"",
    )
    .expect(0);
    assert!(
        made.out().contains(&format!("{steps} steps")),
        "{}",
        made.out()
    );
    let verify = tally_e2e::workspace_bin("tally-verify");
    let checked = tally_e2e::run(&verify, &["--policy", policy, &path_str(&tar)], b"").expect(0);
    assert!(checked.out().starts_with("VERIFIED: "), "{}", checked.out());
    assert_eq!(
        checked.out().lines().filter(|l| l.contains(" by ")).count(),
        steps
    );

    let out = dir.join("unpacked");
    std::fs::create_dir_all(&out).unwrap();
    let ok = |c: &mut Command| assert!(c.status().unwrap().success(), "{c:?}");
    ok(Command::new("tar").arg("-xf").arg(&tar).arg("-C").arg(&out));
    let root = out.join("tally-evidence");
    ok(Command::new("sha256sum")
        .args(["-c", "--quiet", "SHA256SUMS"])
        .current_dir(&root));
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(root.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["steps"].as_array().unwrap().len(), steps);

    // Every proof, by Go's reference code: the log's signature on its checkpoint, then
    // tlog.CheckRecord of the entry's leaf hash, which `sha256sum` also gives as its file name.
    let policy_json: Value = serde_json::from_slice(&std::fs::read(policy).unwrap()).unwrap();
    let log_key = |bk: &str| {
        let all = policy_json["bookkeepers"].as_array().unwrap();
        let b = all.iter().find(|b| b["name"] == bk).unwrap();
        b["log_key"].as_str().unwrap().to_owned()
    };
    let Some(gobin) = tally_e2e::go::build_go_helper(dir) else {
        return;
    };
    let mut proofs = 0;
    for f in std::fs::read_dir(root.join("proofs")).unwrap() {
        let f = f.unwrap().path();
        let name = f.file_name().unwrap().to_str().unwrap().to_owned();
        let (leaf, bk) = name
            .trim_end_matches(".tlog-proof")
            .split_once('.')
            .unwrap();
        let entry = root.join("entries").join(format!("{leaf}.entry"));
        let (code, said) = tally_e2e::go::go(
            &gobin,
            &["checkproof", &log_key(bk), &path_str(&entry)],
            &std::fs::read(&f).unwrap(),
        );
        assert_eq!(
            code,
            0,
            "Go refused {name}: {}",
            String::from_utf8_lossy(&said)
        );
        proofs += 1;
        if proofs == 1 {
            let sum = Command::new("sh")
                .arg("-c")
                .arg(format!(
                    "(printf '\\0'; cat '{}') | sha256sum",
                    path_str(&entry)
                ))
                .output()
                .unwrap();
            assert!(
                String::from_utf8_lossy(&sum.stdout).starts_with(leaf),
                "{sum:?}"
            );
        }
    }
    assert!(proofs >= 3 * steps, "{proofs} proofs");

    // The report, as text a reader (or a search) gets from it, in both languages.
    let text = Command::new("pdftotext")
        .arg(root.join("report.pdf"))
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    for words in [
        "Tally evidence report",
        "证据报告",
        "Verified / 已验证",
        "如何验证",
        "Waikato Valley Dairy Farm",
    ] {
        assert!(text.contains(words), "{words:?} not in the report:\n{text}");
    }
    // The customs clearance and the laboratory's test are named as authorities' attestations.
    let joined = text.replace('\n', "");
    assert_eq!(joined.matches("官方机构证明").count(), 2, "{text}");
    assert!(text.contains("Shanghai Customs District"), "{text}");
    let authorities = manifest["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["authority"] == true);
    assert_eq!(authorities.count(), 2);
    for s in manifest["steps"].as_array().unwrap() {
        assert!(
            text.contains(s["leaf"].as_str().unwrap()),
            "{s} not in the report"
        );
    }

    // Policy lifetime through the commands: governance makes version 2 of the policy (a shorter
    // freshness bound). The same evidence is judged under version 2 when version 2 was already
    // in force when its checkpoints were cosigned, and under version 1 when it comes later.
    let governance = dir.join("demo/net/governance.key");
    let v1: Value = serde_json::from_slice(&std::fs::read(policy).unwrap()).unwrap();
    let mut v2 = v1.clone();
    v2["max_checkpoint_age_seconds"] = 900.into();
    let v2_path = dir.join("policy-v2.json");
    std::fs::write(&v2_path, v2.to_string()).unwrap();
    let fingerprint_of = |run: &tally_e2e::Run| {
        let out = run.out();
        out.split("policy sha256:")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    };
    let link = |from: &str, key: &std::path::Path, out: &std::path::Path| {
        let (v2, k, o) = (path_str(&v2_path), path_str(key), path_str(out));
        let args = [
            "policy",
            "link",
            policy,
            &v2,
            "--version",
            "2",
            "--valid-from",
            from,
        ];
        tally(&[&args[..], &["--key", &k, "--out", &o]].concat(), b"")
    };
    let mut judged = Vec::new();
    for (name, from) in [("past", "1000000000"), ("future", "4000000000")] {
        let history = dir.join(format!("history-{name}"));
        link(from, &governance, &history).expect(0);
        let (tar, h) = (
            path_str(&dir.join(format!("can-{name}.tar"))),
            path_str(&history),
        );
        let args = [
            "package",
            uri,
            "--out",
            &tar,
            "--history",
            &h,
            "--home",
            home,
        ];
        tally(&args, b"").expect(0);
        let run = tally_e2e::run(&verify, &["--policy", policy, &tar], b"").expect(0);
        judged.push(fingerprint_of(&run));
    }
    assert_ne!(
        judged[0], judged[1],
        "judged under version 2, then under version 1"
    );
    let v1_own = tally_e2e::run(&verify, &["--policy", policy, &path_str(&tar)], b"").expect(0);
    assert_eq!(judged[1], fingerprint_of(&v1_own));
    // Only governance makes a version.
    let stranger = dir.join("demo/keys/farm.key");
    link("1", &stranger, &dir.join("history-x")).expect(2);

    // One byte of one event changed in the archive: refused, and the file named.
    let mut bytes = std::fs::read(&tar).unwrap();
    let event = manifest["steps"][0]["event"].as_str().unwrap();
    let body = std::fs::read(root.join(event)).unwrap();
    let at = bytes
        .windows(body.len())
        .position(|w| w == body.as_slice())
        .unwrap();
    bytes[at + body.len() / 2] ^= 0x20;
    let altered = dir.join("altered.tar");
    std::fs::write(&altered, bytes).unwrap();
    let refused =
        tally_e2e::run(&verify, &["--policy", policy, &path_str(&altered)], b"").expect(1);
    assert!(
        refused.out().contains(&format!("{event} was altered")),
        "{}",
        refused.out()
    );
}

/// The FSMA 204 sortable spreadsheet of the whole demo, as the entitled regulator reads the logs:
/// written by `tally fsma`, read back by openpyxl (an XLSX reader that is not ours), with the
/// seafood lane's first land-based receiving, transformation and a withheld bill of lading in
/// it, and an inclusion-proof link that a bookkeeper answers. Without the regulator's key the
/// confidential logs yield no record at all.
fn fsma_spreadsheet_from_the_logs(dir: &std::path::Path, home: &str, regulator: &str) {
    use std::process::Command;
    let xlsx = path_str(&dir.join("fsma.xlsx"));
    let csv = path_str(&dir.join("fsma.csv"));
    let wrote = tally(
        &["fsma", "--as", regulator, "--out", &xlsx, "--home", home],
        b"",
    )
    .expect(0);
    assert!(
        wrote.out().contains("from 13 organisations"),
        "{}",
        wrote.out()
    );
    tally(
        &["fsma", "--as", regulator, "--out", &csv, "--home", home],
        b"",
    )
    .expect(0);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join("target/openapi-venv/bin/python");
    let read = Command::new(&python)
        .arg(root.join("tests/fsma/read_xlsx.py"))
        .arg(&xlsx)
        .output()
        .expect("the venv scripts/setup.sh makes");
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let book: Value = serde_json::from_slice(&read.stdout).unwrap();
    let sheet = &book["Traceability Records"];
    let rows = sheet["rows"].as_array().unwrap();
    let header: Vec<&str> = rows[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(header.join(","), csv_text.lines().next().unwrap());
    assert_eq!(
        rows.len(),
        csv_text.lines().count(),
        "the same records in both files"
    );
    assert_eq!(sheet["frozen"], "A2");
    assert_eq!(sheet["filter"], format!("A1:R{}", rows.len()));
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let cell = |r: &Value, name: &str| r[col(name)].as_str().unwrap_or("").to_owned();
    let find = |cte: &str, tlc: &str| {
        rows.iter()
            .find(|r| {
                cell(r, "Critical Tracking Event") == cte
                    && cell(r, "Traceability Lot Code").contains(tlc)
            })
            .unwrap_or_else(|| panic!("no {cte} of {tlc} in {rows:?}"))
    };
    let landed = find("First Land-Based Receiving", "(10)CATCH-2611-07");
    assert!(cell(landed, "Location Description").contains("Nelson Fish Landing"));
    assert!(cell(landed, "Immediate Previous Source").contains("FV Southern Star"));
    assert!(cell(landed, "Harvest or Catch Information").contains("catchArea: 81"));
    let made = find("Transformation", "(10)F2611-07A");
    assert!(cell(made, "Input Traceability Lot Codes").contains("CATCH-2611-07"));
    assert!(rows
        .iter()
        .any(|r| cell(r, "Reference Document Number") == "BOL-NZAKL-5521"));
    // The proof link of the landing is a bookkeeper's inclusion proof of that event.
    let link = cell(landed, "Inclusion Proof");
    let fetch = "import json, sys, urllib.request; print(len(json.load(urllib.request.urlopen(sys.argv[1]))['proof']))";
    let proof = Command::new(&python)
        .args(["-c", fetch, &link])
        .output()
        .unwrap();
    assert!(
        proof.status.success(),
        "{link}: {}",
        String::from_utf8_lossy(&proof.stderr)
    );
    // A request for one lot gets that lot's records only.
    let lot = path_str(&dir.join("catch.csv"));
    let args = [
        "fsma",
        "--as",
        regulator,
        "--lot",
        "CATCH-2611-07",
        "--out",
        &lot,
        "--home",
        home,
    ];
    tally(&args, b"").expect(0);
    let lot_rows: Vec<String> = std::fs::read_to_string(&lot)
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_owned)
        .collect();
    assert!(lot_rows.len() >= 4, "{lot_rows:?}");
    assert!(
        lot_rows.iter().all(|r| r.contains("(10)CATCH-2611-07")),
        "{lot_rows:?}"
    );
    assert!(
        lot_rows.iter().any(|r| r.starts_with("Transformation,")),
        "{lot_rows:?}"
    );
    // Without the regulator's key, the sealed logs give nothing to put in it.
    let public = path_str(&dir.join("public.csv"));
    let none = tally(&["fsma", "--out", &public, "--home", home], b"").expect(0);
    assert!(none.out().starts_with("wrote 0 records"), "{}", none.out());
}
