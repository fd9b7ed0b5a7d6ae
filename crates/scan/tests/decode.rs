//! The pipeline on public and synthetic images: exact texts, corner positions, no misreads, no
//! panics.

#[path = "common/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::time::Duration;
use tally_scan::synth::{self, Category};
use tally_scan::{
    decode_image_bytes_with, decode_image_report, decode_luma_report, Budget, Code, Payload,
    ScanError, Session, SessionOptions, Strategy,
};

/// The image budget without its deadline: its 2 s are for release builds, an unoptimised test
/// build on a busy machine can need more on the slowest images, and what a test reads must not
/// depend on the machine's speed (`tests/budget.rs` tests the limits).
const UNHURRIED: Budget = Budget {
    time: Duration::from_secs(600),
    ..Budget::IMAGE
};

fn decode_image_bytes(bytes: &[u8]) -> Result<Vec<Code>, ScanError> {
    Ok(decode_image_report(bytes, Strategy::Pipeline, UNHURRIED)?.codes)
}

/// `../shared` beside the repository (crates/scan → ../../../shared).
fn blackbox() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/qr-bench/zxing-blackbox")
}

/// The ZXing image that holds a second, inner code beside the labelled one.
const DOUBLE_QR: (&str, &str) = (
    "qrcode-2/16.png",
    "[内側QRコード]\r\n\r\n*ダブルQR*\r\nhttp://d-qr.net/ex/",
);

fn images() -> Vec<(String, Vec<u8>, String)> {
    corpus::subdirs(&blackbox())
        .iter()
        .flat_map(|d| corpus::labelled(d))
        .map(|l| (l.name(), std::fs::read(&l.path).unwrap(), l.want))
        .collect()
}

#[test]
fn zxing_blackbox_set_exact_texts_and_no_misreads() {
    let all = images();
    assert_eq!(all.len(), 179);
    let mut read = 0;
    for (name, bytes, want) in &all {
        let codes = decode_image_bytes(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        for c in &codes {
            let extra = (name.as_str(), c.text.as_str()) == DOUBLE_QR;
            assert!(
                c.text == *want || extra,
                "{name}: misread {:?}, want {want:?}",
                c.text
            );
        }
        read += usize::from(codes.iter().any(|c| c.text == *want));
    }
    // Measured 177/179 with zxing-cpp (zxing-cpp alone: 165) and 168/179 in the pure-Rust build
    // (rqrr alone: 111). The two misses: qrcode-4/30 (rqrr locates a wrong perspective) and the
    // artistic qrcode-2/13, whose symbol decodes to "…photography…" against the expected
    // "…photograph…" wherever it decodes at all; no pass may return that.
    let floor = if cfg!(feature = "zxing") { 177 } else { 168 };
    assert!(read >= floor, "read {read}/179, expected at least {floor}");
}

#[test]
fn rqrr_panic_image_is_contained() {
    // rqrr 0.11 asserts inside detect_grids on this image (rqrr#54).
    let bytes = std::fs::read(blackbox().join("qrcode-6/7.png")).unwrap();
    let want = std::fs::read_to_string(blackbox().join("qrcode-6/7.txt")).unwrap();
    let alone = decode_image_bytes_with(&bytes, Strategy::RqrrOnly).unwrap();
    assert!(alone.iter().all(|c| c.text == want));
    if cfg!(feature = "zxing") {
        let codes = decode_image_bytes(&bytes).unwrap();
        assert_eq!(
            codes.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(),
            [want.as_str()]
        );
    }
}

#[test]
fn non_ascii_payloads_match_the_expected_text_in_both_decoders() {
    // Japanese (Shift_JIS or UTF-8 bytes, with or without ECI) and ISO-8859-1 payloads: rqrr
    // returns raw bytes, so its text depends on tally-scan's charset guess.
    let (mut pipeline, mut rqrr) = (0, 0);
    for (name, bytes, want) in images().iter().filter(|(_, _, w)| !w.is_ascii()) {
        for c in decode_image_bytes_with(bytes, Strategy::RqrrOnly).unwrap() {
            if (name.as_str(), c.text.as_str()) == DOUBLE_QR {
                continue;
            }
            assert_eq!(&c.text, want, "{name}: rqrr text ({:?})", c.charset);
            rqrr += 1;
        }
        let codes = decode_image_bytes(bytes).unwrap();
        pipeline += usize::from(codes.iter().any(|c| c.text == *want));
    }
    assert!(rqrr >= 5, "rqrr read {rqrr} non-ASCII payloads");
    assert!(pipeline >= rqrr, "pipeline {pipeline} < rqrr {rqrr}");
}

fn dist(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

#[test]
fn synthetic_frames_give_exact_uris_and_corners() {
    for c in [
        Category::Nominal,
        Category::Perspective,
        Category::Jpeg30,
        Category::LowContrast,
    ] {
        let mut read = 0;
        for i in 0..6 {
            let s = synth::sample(c, 99, i);
            let codes =
                decode_luma_report(s.width, s.height, &s.luma, Strategy::Pipeline, UNHURRIED)
                    .unwrap()
                    .codes;
            for code in &codes {
                assert_eq!(code.text, s.text, "{} #{i}: misread", c.name());
                // The canonical Digital Link is the URI itself (id.gs1.org, canonical order).
                assert!(
                    matches!(code.payload(), Payload::DigitalLink { ref canonical, .. } if *canonical == s.text)
                );
                let side = dist(s.corners[0], s.corners[2]) / std::f32::consts::SQRT_2;
                let n = synth::qr_modules(&s.text).0 as f32;
                for (got, want) in code.corners.iter().zip(s.corners) {
                    assert!(
                        dist(*got, want) < 1.5 * side / n,
                        "{} #{i}: corners {:?}, want {:?}",
                        c.name(),
                        code.corners,
                        s.corners
                    );
                }
            }
            read += usize::from(!codes.is_empty());
        }
        assert!(read >= 5, "{}: read {read}/6", c.name());
    }
}

/// A light-on-dark code (a screen, an engraving) reads in both builds: zxing-cpp tries the
/// negative itself, the pure-Rust pipeline has a pass on the negative frame.
#[test]
fn light_on_dark_codes_are_read() {
    for i in 0..3 {
        let s = synth::sample(Category::Nominal, 7, i);
        let negative: Vec<u8> = s.luma.iter().map(|&v| 255 - v).collect();
        let codes = decode_luma_report(s.width, s.height, &negative, Strategy::Pipeline, UNHURRIED)
            .unwrap()
            .codes;
        assert_eq!(codes.len(), 1, "#{i}: {codes:?}");
        assert_eq!(codes[0].text, s.text, "#{i}");
        let side = dist(s.corners[0], s.corners[2]) / std::f32::consts::SQRT_2;
        let n = synth::qr_modules(&s.text).0 as f32;
        for (got, want) in codes[0].corners.iter().zip(s.corners) {
            assert!(
                dist(*got, want) < 1.5 * side / n,
                "#{i}: {:?}",
                codes[0].corners
            );
        }
    }
}

#[test]
fn session_stops_at_the_first_gs1_read() {
    let mut session = Session::with_options(SessionOptions {
        budget: UNHURRIED,
        ..SessionOptions::default()
    });
    // A plain URL frame never ends the session.
    let plain = tally_label_free_png("https://example.com/");
    let r = session.push_luma(plain.0, plain.0, &plain.1).unwrap();
    assert!(r.is_none());
    assert!(matches!(
        session.last_codes().first().map(|c| c.payload()),
        Some(Payload::PlainUrl(_))
    ));
    // Then the camera finds the can.
    let mut got = None;
    for i in 0..12 {
        let s = synth::sample(Category::Glare, 5, i);
        if let Some(read) = session.push_luma(s.width, s.height, &s.luma).unwrap() {
            assert_eq!(read.code.text, s.text);
            assert!(read.payload.is_gs1());
            got = Some(read);
            break;
        }
    }
    let read = got.expect("a glare frame is read within 12 frames");
    assert_eq!(read.frames, session.frames());
    assert!(session.frames_per_second() > 0.0);
    // Later frames return the same read without decoding.
    let s = synth::sample(Category::Nominal, 1, 0);
    let again = session
        .push_luma(s.width, s.height, &s.luma)
        .unwrap()
        .unwrap();
    assert_eq!(again.code.text, read.code.text);
    session.reset();
    assert!(session.result().is_none());
}

/// A plain QR of `text` (not a Digital Link, so `tally-label` refuses it) from the synth module
/// matrix, 4 px per module.
fn tally_label_free_png(text: &str) -> (u32, Vec<u8>) {
    let (n, dark) = synth::qr_modules(text);
    let side = (n + 8) * 4;
    let mut px = vec![255u8; side * side];
    for y in 0..n {
        for x in 0..n {
            if dark[y * n + x] {
                for dy in 0..4 {
                    let row = ((y + 4) * 4 + dy) * side + (x + 4) * 4;
                    px[row..row + 4].fill(0);
                }
            }
        }
    }
    (side as u32, px)
}
