//! Labels signed by the brand (GS1 AI 8030), end to end with real processes: `tally label --sign`
//! prints a PDF, poppler rasterises it, `tally decode` and `tally scan` read it back, and the
//! phone's verdict names the brand; a label with one changed character fails, online and with
//! every bookkeeper down; an unsigned label still scans, and says it is unsigned; a copied valid
//! label is still caught by the already-sold rule.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use tally_e2e::{path_str, tally, warning_codes, Guard};

/// Prints `uris` as one-label PDFs (signed with `key` if given), rasterises each at 300 dpi and
/// returns the PNGs.
fn print(dir: &Path, name: &str, uri: &str, key: Option<&str>) -> PathBuf {
    let pdf = dir.join(format!("{name}.pdf"));
    let mut args = vec!["label", uri, "--format", "sheet-pdf"];
    if let Some(k) = key {
        args.extend(["--sign", k]);
    }
    let out = path_str(&pdf);
    args.extend(["--out", &out]);
    tally(&args, b"").expect(0);
    let prefix = dir.join(name);
    let st = Command::new("pdftoppm")
        .args(["-r", "300", "-gray", "-png", "-singlefile"])
        .arg(&pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (poppler-utils) is installed by scripts/setup.sh");
    assert!(st.success());
    dir.join(format!("{name}.png"))
}

fn decoded(png: &Path) -> String {
    let run = tally(&["decode", "--json", &path_str(png)], b"").expect(0);
    let line: Value = serde_json::from_str(run.out().lines().next().unwrap()).unwrap();
    line["codes"][0]["text"].as_str().unwrap().to_owned()
}

fn scan(png: &Path, home: &str, code: i32) -> Value {
    let run = tally(&["scan", &path_str(png), "--json", "--home", home], b"").expect(code);
    serde_json::from_str(run.out().lines().next().unwrap()).unwrap()
}

/// `uri` without its `8030=` parameter.
/// Asserts `h` is failed for its label's signature.
fn forged(h: &Value) {
    assert_eq!(h["status"], "failed");
    let codes = warning_codes(h);
    assert!(codes.contains(&"label_forged".to_owned()), "{codes:?}");
}

fn unsigned(uri: &str) -> String {
    let (base, query) = uri.split_once('?').unwrap();
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.starts_with("8030="))
        .collect();
    format!("{base}?{}", kept.join("&"))
}

#[test]
fn a_signed_label_round_trips_through_print_and_a_changed_one_fails_even_offline() {
    let guard = Guard::at("demo/net");
    let dir = guard.0.path().join("demo");
    tally(&["demo", "--dir", &path_str(&dir), "--keep"], b"").expect(0);
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.join("demo.json")).unwrap()).unwrap();
    let label = |name: &str| -> Value {
        summary["labels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == name)
            .unwrap()
            .clone()
    };
    let can = label("milk-powder-can")["uri"].as_str().unwrap().to_owned();
    assert!(can.contains("&8030="), "{can}");
    let printer = summary["labelling"]["key"].as_str().unwrap();
    let brand = summary["labelling"]["name"].as_str().unwrap();
    let work = guard.0.path().join("print");
    std::fs::create_dir_all(&work).unwrap();

    // The brand prints the can's label: the same signed link the demo made (Ed25519 is
    // deterministic), through PDF, 300 dpi, and the decoder.
    let plain = unsigned(&can);
    let signed_png = print(&work, "signed", &plain, Some(printer));
    assert_eq!(decoded(&signed_png), can);
    // One character of the data changed (the serial), the brand's signature kept.
    let altered = can.replace("/21/C0001", "/21/C0002");
    assert_ne!(altered, can);
    let altered_png = print(&work, "altered", &altered, None);
    assert_eq!(decoded(&altered_png), altered);
    let unsigned_png = print(&work, "unsigned", &plain, None);

    let home = path_str(&guard.0.path().join("phone"));
    let policy = summary["policy"].as_str().unwrap();
    tally(&["policy", "install", policy, "--home", &home], b"").expect(0);
    let h = scan(&signed_png, &home, 0);
    assert_eq!(h["status"], "verified");
    assert_eq!(h["label"]["state"], "signed", "{}", h["label"]);
    assert_eq!(h["label"]["name"], brand);
    let h = scan(&altered_png, &home, 1);
    forged(&h);
    assert_eq!(h["label"]["state"], "forged");
    let h = scan(&unsigned_png, &home, 0);
    assert_eq!(h["status"], "verified");
    assert_eq!(h["label"]["state"], "unsigned");
    let text = tally(&["scan", &path_str(&unsigned_png), "--home", &home], b"").expect(0);
    assert!(text.out().contains("label: unsigned"), "{}", text.out());
    // A copied genuine label: its signature is the brand's, the sale already logged catches it.
    let cloned = PathBuf::from(label("cloned-can")["png"].as_str().unwrap());
    let h = scan(&cloned, &home, 3);
    assert_eq!(h["label"]["state"], "signed");
    assert!(
        warning_codes(&h).contains(&"already_sold".to_owned()),
        "{:?}",
        warning_codes(&h)
    );

    // Every bookkeeper down: the phone kept the brand's labelling keys from the registry it read.
    tally(&["network", "down", "--dir", &path_str(&guard.dir())], b"").expect(0);
    forged(&scan(&altered_png, &home, 1));
    let run = tally(
        &["history", &altered, "--offline", "--json", "--home", &home],
        b"",
    );
    forged(&serde_json::from_str(run.expect(1).out().lines().next().unwrap()).unwrap());
    let h = scan(&signed_png, &home, 0);
    assert_eq!(h["source"], "cached");
    assert_eq!(h["label"]["state"], "signed");
    // A phone that never read the registry cannot tell offline: it says so, never "verified".
    let fresh = path_str(&guard.0.path().join("fresh"));
    tally(&["policy", "install", policy, "--home", &fresh], b"").expect(0);
    let h = scan(&altered_png, &fresh, 4);
    assert_eq!(h["label"]["state"], "unchecked");
}
