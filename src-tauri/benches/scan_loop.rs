//! The camera scan loop's decoder throughput at 1280×720 (no camera on a build machine): RGBA
//! frames as the webview's canvas gives them, pushed through `tally_scan::Session` exactly as the
//! app's `scan_frame` command does (including the copy of the frame out of the IPC body).
//!
//! `cargo bench -p tally-app --bench scan_loop` prints frames per second for
//! * a frame with a label in view (a session per read, as each scan stops at its first read),
//! * a frame with no code (the worst case: the session's retry pass runs on every frame).

use std::time::Instant;
use tally_scan::Session;

const W: usize = 1280;
const H: usize = 720;

/// A 1280×720 RGBA frame: a mid-grey, slightly noisy background, and (optionally) a QR label of
/// ~300 px (4 px per module), as a can held 20 cm from a phone looks.
fn frame(with_code: bool) -> Vec<u8> {
    let mut rgba = vec![0u8; W * H * 4];
    let mut seed: u32 = 2026;
    for px in rgba.chunks_exact_mut(4) {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let v = 120 + (seed >> 28) as u8;
        px.copy_from_slice(&[v, v, v.saturating_sub(8), 255]);
    }
    if with_code {
        let opts = tally_label::LabelOptions {
            module_px: 4,
            ..Default::default()
        };
        let (side, luma) = tally_label::qr_pixels(
            "https://id.gs1.org/01/09506000134352/10/LOT-2026-11/21/SER1001?17=281130",
            &opts,
        )
        .unwrap();
        let (side, x0, y0) = (
            side as usize,
            (W - side as usize) / 2,
            (H - side as usize) / 2,
        );
        for y in 0..side {
            for x in 0..side {
                let v = luma[y * side + x];
                let i = ((y0 + y) * W + x0 + x) * 4;
                rgba[i..i + 4].copy_from_slice(&[v, v, v, 255]);
            }
        }
    }
    rgba
}

fn run(name: &str, with_code: bool, frames: usize) {
    let f = frame(with_code);
    let mut session = Session::new();
    let mut reads = 0;
    let start = Instant::now();
    for _ in 0..frames {
        let body = f.clone();
        if session
            .push_rgba(W as u32, H as u32, &body)
            .unwrap()
            .is_some()
        {
            reads += 1;
            session.reset();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "scan_loop/{name}: {frames} frames 1280x720 in {secs:.2} s = {:.1} frames/s ({:.1} ms/frame), {reads} reads",
        frames as f64 / secs,
        secs * 1000.0 / frames as f64
    );
    if with_code {
        assert_eq!(reads, frames, "every frame with a label must read");
    }
}

fn main() {
    // `cargo test --benches` runs this with --bench absent: keep it short then.
    let quick = !std::env::args().any(|a| a == "--bench");
    let n = if quick { 3 } else { 100 };
    run("label_in_view", true, n);
    run("no_code", false, n);
}
