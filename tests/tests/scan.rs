//! `tally label` → `tally decode --json` through the real binary: single labels, a printed PDF
//! sheet scanned back page by page, bad inputs, and the image that makes rqrr panic.

use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;
use tally_e2e::{shared, tally};

const DL: &str = "https://id.gs1.org/01/09506000134352/10/LOT-2026-11/21/SER1001?17=281130";

fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn png_label_decodes_to_the_exact_uri() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("label.png");
    tally(
        &[
            "label",
            DL,
            "--format",
            "png",
            "--out",
            png.to_str().unwrap(),
        ],
        b"",
    )
    .expect(0);
    let run = tally(&["decode", "--json", png.to_str().unwrap()], b"").expect(0);
    let lines = json_lines(&run.out());
    assert_eq!(lines.len(), 1);
    let codes = lines[0]["codes"].as_array().unwrap();
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0]["text"], DL);
    assert_eq!(codes[0]["kind"], "digital-link");
    assert_eq!(codes[0]["canonical"], DL);
    assert_eq!(codes[0]["gs1"]["gtin"], "09506000134352");
    assert_eq!(codes[0]["corners"].as_array().unwrap().len(), 4);
    assert!(lines[0]["ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(lines[0]["path"], png.to_str().unwrap());
}

#[test]
fn pdf_sheet_prints_and_scans_back_every_label() {
    let dir = tempfile::tempdir().unwrap();
    let uris: Vec<String> = (0..45)
        .map(|i| {
            format!(
                "https://id.gs1.org/01/09506000134352/10/L{}/21/S{i:04}?17=281130",
                i % 3
            )
        })
        .collect();
    let list = dir.path().join("run.txt");
    std::fs::write(&list, format!("# print run 2026-11\n{}\n", uris.join("\n"))).unwrap();
    let pdf = dir.path().join("sheet.pdf");
    tally(
        &[
            "label",
            "--from",
            list.to_str().unwrap(),
            "--format",
            "sheet-pdf",
            "--out",
            pdf.to_str().unwrap(),
        ],
        b"",
    )
    .expect(0);
    // Rasterise at 200 dpi, as a print proof would be scanned (poppler-utils, see scripts/setup.sh).
    let prefix = dir.path().join("page");
    let st = Command::new("pdftoppm")
        .args(["-r", "200", "-gray", "-png"])
        .arg(&pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (poppler-utils) is installed by scripts/setup.sh");
    assert!(st.success());
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path().to_string_lossy().into_owned())
        .filter(|p| p.contains("page") && p.ends_with(".png"))
        .collect();
    pages.sort();
    assert_eq!(pages.len(), 2, "45 labels of 34 × 35 mm: 35 per A4 page");
    let mut args = vec!["decode".to_owned(), "--json".to_owned()];
    args.extend(pages.iter().cloned());
    let run = tally(&args, b"").expect(0);
    let got: BTreeSet<String> = json_lines(&run.out())
        .iter()
        .flat_map(|l| l["codes"].as_array().unwrap().clone())
        .map(|c| c["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, uris.iter().cloned().collect::<BTreeSet<_>>());
}

#[test]
fn svg_label_carries_the_human_readable_text() {
    let run = tally(&["label", DL], b"").expect(0);
    let svg = run.out();
    for line in [
        "GTIN 09506000134352",
        "LOT LOT-2026-11",
        "SERIAL SER1001",
        "EXP 2028-11-30",
    ] {
        assert!(svg.contains(&format!(">{line}<")), "{line}");
    }
}

#[test]
fn bad_labels_and_bad_images_are_refused() {
    // Wrong GTIN check digit: nothing is printed.
    let run = tally(&["label", "https://id.gs1.org/01/09506000134353/21/X"], b"").expect(2);
    assert!(run.stderr.contains("check digit"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    tally(&["label", DL, DL, "--format", "png"], b"").expect(2);
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.png");
    std::fs::write(&junk, b"not a picture").unwrap();
    let run = tally(&["decode", "--json", junk.to_str().unwrap()], b"").expect(2);
    assert!(json_lines(&run.out())[0]["error"].is_string());
}

#[test]
fn rqrr_panic_image_decodes_quietly() {
    let img = shared("qr-bench/zxing-blackbox/qrcode-6/7.png");
    let want = std::fs::read_to_string(shared("qr-bench/zxing-blackbox/qrcode-6/7.txt")).unwrap();
    for decoder in ["pipeline", "rqrr"] {
        let run = tally(
            &[
                "decode",
                "--json",
                "--decoder",
                decoder,
                img.to_str().unwrap(),
            ],
            b"",
        );
        assert!(
            !run.stderr.contains("panicked"),
            "{decoder}: {}",
            run.stderr
        );
        let lines = json_lines(&run.out());
        for c in lines[0]["codes"].as_array().unwrap() {
            assert_eq!(c["text"], want.as_str());
        }
        if decoder == "pipeline" {
            assert_eq!(run.code, Some(0));
        }
    }
}

#[test]
fn plain_url_is_shown_not_opened() {
    let dir = "qr-bench/zxing-blackbox/qrcode-1";
    let url = shared(&format!("{dir}/13.png"));
    let want = std::fs::read_to_string(shared(&format!("{dir}/13.txt"))).unwrap();
    assert!(want.starts_with("http"));
    let run = tally(&["decode", url.to_str().unwrap()], b"").expect(0);
    assert_eq!(
        run.out().trim_end(),
        format!(
            "{}: URL (not a GS1 Digital Link; not opened) {want:?}",
            url.display()
        )
    );
    let run = tally(&["decode", "--json", url.to_str().unwrap()], b"").expect(0);
    assert_eq!(json_lines(&run.out())[0]["codes"][0]["kind"], "plain-url");
    let other = shared(&format!("{dir}/1.png"));
    let run = tally(&["decode", "--json", other.to_str().unwrap()], b"").expect(0);
    let line = &json_lines(&run.out())[0];
    assert_eq!(line["codes"][0]["kind"], "other");
    assert!(line["codes"][0].get("canonical").is_none());
}
