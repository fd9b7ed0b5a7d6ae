//! Frame fusion in a camera session: a code that a moving specular highlight hides from every
//! single frame is read from the frames fused, and nothing is misread.

use std::time::Duration;
use tally_scan::sequence::{self, Motion};
use tally_scan::{decode_luma, synth, Budget, Code, Read, Session, SessionOptions};

const TEXT: &str = "https://id.gs1.org/01/09506000134352";

/// A printed label: the symbol at 5 px per module with its quiet zone, on a grey ground;
/// returns the frame side, its pixels and the symbol's outer corners.
fn label() -> (u32, Vec<u8>, [[f32; 2]; 4]) {
    let (n, dark) = synth::qr_modules(TEXT);
    let (m, side) = (5usize, 240usize);
    let origin = (side - n * m) / 2;
    let mut px = vec![110u8; side * side];
    let quiet = origin - 4 * m..origin + (n + 4) * m;
    for y in 0..side {
        for x in 0..side {
            if quiet.contains(&x) && quiet.contains(&y) {
                px[y * side + x] = 215;
            }
            let (u, v) = (x.wrapping_sub(origin) / m, y.wrapping_sub(origin) / m);
            if u < n && v < n && dark[v * n + u] {
                px[y * side + x] = 35;
            }
        }
    }
    let (a, b) = (origin as f32, (origin + n * m) as f32);
    (side as u32, px, [[a, a], [b, a], [b, b], [a, b]])
}

/// The session budget without its deadline, so that what an unoptimised test build reads does
/// not depend on the machine's speed.
const UNHURRIED: Budget = Budget {
    time: Duration::from_secs(600),
    ..Budget::FRAME
};

/// Pushes the frames into a session until it reads; the frame count at the read, and every code
/// any frame gave on the way.
fn session_read(frames: &[Vec<u8>], side: u32, frame_window: usize) -> (Option<Read>, Vec<Code>) {
    let mut session = Session::with_options(SessionOptions {
        frame_window,
        budget: UNHURRIED,
        ..SessionOptions::default()
    });
    let mut seen = Vec::new();
    for f in frames {
        let read = session.push_luma(side, side, f).unwrap();
        seen.extend_from_slice(session.last_codes());
        if read.is_some() {
            return (read, seen);
        }
    }
    (None, seen)
}

#[test]
fn fusion_reads_a_code_no_single_frame_reads() {
    let (side, still, corners) = label();
    // The label alone reads.
    assert!(decode_luma(side, side, &still)
        .iter()
        .any(|c| c.text == TEXT));
    // A highlight sliding over it, the hand shaking: 6 frames (0.2 s).
    let seq = sequence::sequence(side, side, &still, corners, Motion::Highlight, 4, 6);
    for (i, f) in seq.frames.iter().enumerate() {
        // Saturated over part of the symbol…
        assert!(f.iter().filter(|&&v| v == 255).count() > 1000, "frame {i}");
        // …so that no frame alone reads, through the whole pipeline.
        let codes = decode_luma(side, side, f);
        assert!(codes.is_empty(), "frame {i} read alone: {codes:?}");
    }
    // Nor does a session without frame fusion (first pass, retries, module voting).
    let (read, seen) = session_read(&seq.frames, side, 0);
    assert!(read.is_none() && seen.is_empty(), "{seen:?}");
    // With fusion the session reads it, from the fused frames, once three are kept.
    let (read, seen) = session_read(&seq.frames, side, 8);
    let read = read.expect("the fused frames read the code");
    assert_eq!(read.code.text, TEXT);
    assert!(read.fused);
    assert!(read.code.pass.ends_with("+frames"), "{}", read.code.pass);
    assert!((3..=6).contains(&read.frames), "{}", read.frames);
    // Nothing else was read on the way, and the corners lie on the symbol in the last frame.
    assert!(seen.iter().all(|c| c.text == TEXT), "{seen:?}");
    let c = read.code.center();
    assert!(
        (c[0] - 120.0).abs() < 20.0 && (c[1] - 120.0).abs() < 20.0,
        "{c:?}"
    );
}
