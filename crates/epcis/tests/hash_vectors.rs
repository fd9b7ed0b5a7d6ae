//! CBV 2.0 Event Hash ID against the published vectors (one `.hashes` /
//! `.prehashes` line per event, in document order).

use tally_epcis::{event_hash_id, prehash_string, Document};

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/gs1/epcis/hash-vectors"
);
const EPCIS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/gs1/epcis");

/// Check one document; returns (events checked, failures as messages).
fn check(jsonld: &str, hashes: &str, prehashes: Option<&str>) -> (usize, Vec<String>) {
    let bytes = std::fs::read(jsonld).unwrap_or_else(|e| panic!("{jsonld}: {e}"));
    let doc = Document::parse(&bytes).unwrap_or_else(|e| panic!("{jsonld}: {e}"));
    let want_hashes: Vec<String> = std::fs::read_to_string(hashes)
        .unwrap_or_else(|e| panic!("{hashes}: {e}"))
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let want_pre: Option<Vec<String>> = prehashes.map(|p| {
        std::fs::read_to_string(p)
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    });
    assert_eq!(doc.events.len(), want_hashes.len(), "{jsonld}: event count");
    let mut failures = Vec::new();
    for (i, ev) in doc.events.iter().enumerate() {
        let pre = prehash_string(&ev.bytes, &doc.context).unwrap_or_else(|e| format!("ERROR {e}"));
        let id = event_hash_id(&ev.bytes, &doc.context).unwrap_or_else(|e| format!("ERROR {e}"));
        let pre_ok = want_pre.as_ref().is_none_or(|w| w.get(i) == Some(&pre));
        if id != want_hashes[i] || !pre_ok {
            let wp = want_pre
                .as_ref()
                .and_then(|w| w.get(i))
                .cloned()
                .unwrap_or_default();
            failures.push(format!(
                "{jsonld} event {i}:\n  want {}\n  got  {id}\n  want pre {wp}\n  got  pre {pre}",
                want_hashes[i]
            ));
        }
    }
    (doc.events.len(), failures)
}

#[test]
fn all_hash_vectors() {
    let mut names: Vec<String> = std::fs::read_dir(VECTORS)
        .expect("hash-vectors dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".jsonld").map(str::to_string))
        .collect();
    names.sort();
    assert_eq!(names.len(), 19);
    let (mut total, mut failures) = (0, Vec::new());
    for n in &names {
        let pre = format!("{VECTORS}/{n}.prehashes");
        let pre = std::path::Path::new(&pre).exists().then_some(pre);
        let (count, f) = check(
            &format!("{VECTORS}/{n}.jsonld"),
            &format!("{VECTORS}/{n}.hashes"),
            pre.as_deref(),
        );
        total += count;
        failures.extend(f);
    }
    // 36 events with pre-hash lines + 1 (epcisDocHavingEventWithComment) with hashes only.
    assert_eq!(total, 37);
    assert!(
        failures.is_empty(),
        "{} of {total} vectors fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn milk_powder_example() {
    let (count, failures) = check(
        &format!("{EPCIS}/example-milk-powder-shipping.jsonld"),
        &format!("{EPCIS}/example-milk-powder-shipping.hashes"),
        Some(&format!("{EPCIS}/example-milk-powder-shipping.prehashes")),
    );
    assert_eq!(count, 1);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
