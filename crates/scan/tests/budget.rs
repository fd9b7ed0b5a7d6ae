//! The retry budget: images built to be expensive return what was read, and say which limit cut
//! the search short. No test depends on the machine's speed: where reading depends on time, the
//! time budget is made generous and the limit asserted is a count, not a duration.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;
use tally_scan::synth::{self, Category};
use tally_scan::{decode_image_report, decode_luma_report, Budget, Limit, Report, Session};
use tally_scan::{SessionOptions, Strategy};

/// A budget whose time never runs out in a test, so what is read does not depend on the machine.
const UNHURRIED: Budget = Budget {
    time: Duration::from_secs(600),
    hard_symbols: 8,
};

/// ZXing's `qrcode-4/06.png`: a code on wrinkled fabric that only mesh refinement of the symbol
/// rqrr locates reads.
fn fabric() -> (Vec<u8>, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/qr-bench/zxing-blackbox/qrcode-4");
    let read = |f: &str| std::fs::read(dir.join(f)).expect("../shared beside the repository");
    (read("06.png"), String::from_utf8(read("06.txt")).unwrap())
}

fn decode_sheet(sheet: &synth::Sheet, budget: Budget) -> Report {
    decode_image_report(&sheet.to_png(), Strategy::Pipeline, budget).expect("a valid PNG")
}

#[test]
fn a_sheet_of_361_labels_is_read_whole_and_without_misreads() {
    // 19×19 labels of 360 px in one 6840×6840 PNG: zxing-cpp alone reads none of them in one
    // call; the tiles read every one. The pure-Rust build refuses the frame as too crowded for
    // rqrr (which would take minutes) and reads nothing.
    let sheet = synth::sheet(19, 360);
    let report = decode_sheet(&sheet, UNHURRIED);
    let texts: Vec<&str> = report.codes.iter().map(|c| c.text.as_str()).collect();
    let distinct: HashSet<&str> = texts.iter().copied().collect();
    assert_eq!(distinct.len(), texts.len(), "a label reported twice");
    assert!(texts.iter().all(|t| sheet.texts.iter().any(|s| s == t)));
    if cfg!(feature = "zxing") {
        assert_eq!(texts.len(), 361);
        assert_eq!(report.limit, None);
    } else {
        assert_eq!(report.limit, Some(Limit::Crowded));
    }
}

#[test]
fn a_sheet_of_unreadable_symbols_stops_at_the_budget() {
    // Every symbol located and none decodable: the worst case for the retry passes, which used
    // to try each one through every resampling. With the default image budget the search stops
    // (out of time, or refusing the crowded frame to rqrr) and reports nothing misread.
    let report = decode_sheet(&synth::damaged_sheet(19, 360), Budget::IMAGE);
    assert_eq!(report.codes, Vec::new());
    assert!(
        matches!(report.limit, Some(Limit::Time | Limit::Crowded)),
        "{:?}",
        report.limit
    );
}

#[test]
fn unread_symbols_beyond_the_bound_are_not_resampled() {
    let (png, want) = fabric();
    let none = Budget {
        hard_symbols: 0,
        ..UNHURRIED
    };
    let skipped = decode_image_report(&png, Strategy::Pipeline, none).unwrap();
    assert_eq!(skipped.codes, Vec::new());
    assert_eq!(skipped.limit, Some(Limit::HardSymbols));
    let read = decode_image_report(&png, Strategy::Pipeline, UNHURRIED).unwrap();
    assert_eq!(read.limit, None);
    let texts: Vec<&str> = read.codes.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, [want.as_str()]);
    assert!(
        read.codes[0].pass.ends_with("mesh"),
        "{}",
        read.codes[0].pass
    );
}

#[test]
fn a_zero_time_budget_runs_the_first_pass_only() {
    let zero = Budget {
        time: Duration::ZERO,
        hard_symbols: 8,
    };
    let (png, _) = fabric();
    let cut = decode_image_report(&png, Strategy::Pipeline, zero).unwrap();
    assert_eq!(cut.codes, Vec::new());
    assert_eq!(cut.limit, Some(Limit::Time));
    // A clean frame is read by the first pass, which always runs, and nothing was cut.
    let s = synth::sample(Category::Nominal, 1, 0);
    let clean = decode_luma_report(s.width, s.height, &s.luma, Strategy::Pipeline, zero).unwrap();
    assert_eq!(clean.codes.len(), 1);
    assert_eq!(clean.codes[0].text, s.text);
    assert_eq!(clean.limit, None);
}

#[test]
fn a_session_frame_reports_what_cut_its_retry_short() {
    let (png, _) = fabric();
    let (w, h, luma) = tally_scan::load_luma(&png).unwrap();
    let mut session = Session::with_options(SessionOptions {
        budget: Budget {
            time: Duration::ZERO,
            hard_symbols: 2,
        },
        ..SessionOptions::default()
    });
    assert!(session.push_luma(w, h, &luma).unwrap().is_none());
    assert_eq!(session.last_limit(), Some(Limit::Time));
}
