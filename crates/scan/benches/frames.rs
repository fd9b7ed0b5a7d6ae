//! Camera-session benchmark over synthesised video: `cargo bench -p tally-scan --bench frames`.
//!
//! Every real photo of `../shared/qr-bench/real-photos/{jsqr-e2e,zxing-cpp-extra}` (with
//! `TALLY_FRAMES_SETS=zxing`, every fourth image of ZXing's black-box set instead; `=real,zxing`
//! both) is scaled to a camera
//! frame (longer side 720 px) and decoded once with the full pipeline; the labelled code's
//! corners place the synthetic highlight. Photos whose labelled code the pipeline does not read
//! at that size are counted and skipped. From each, one seeded 30-frame sequence (1 s at 30 fps)
//! per motion of `tally_scan::sequence` is decoded three ways:
//!
//! * **(a) single frames**: each frame alone through the full pipeline with the image budget
//!   (`Budget::IMAGE`); the sequence counts as read if any of its 30 frames is;
//! * **(b) session**: a `Session` without frame fusion (`frame_window: 0`), frames in order;
//! * **(c) session + fusion**: a `Session` with its defaults (frame fusion on).
//!
//! A sequence is read when a frame's codes (`Session::last_codes`) hold the expected text. The
//! table gives, per motion, sequences read by each, what fusion alone rescued (read by (c), not
//! by (b)) and lost, the median frames to the read, per-frame milliseconds of the sessions (frames
//! up to the read, or all 30), misreads (a code of another text; on multi-code photos only one
//! lying on the labelled code) and the share of single frames zxing-cpp reads alone.
//! `TALLY_BENCH_VERBOSE=1` lists each sequence.

#[path = "../tests/common/corpus.rs"]
mod corpus;

use std::path::Path;
use std::time::Instant;
use tally_scan::sequence::{self, Motion, CAMERA_SIDE};
use tally_scan::{decode_luma_report, Budget, Code, Session, SessionOptions, Strategy};

const SEED: u64 = 2026;
const FRAMES: usize = 30;

struct Still {
    name: String,
    w: u32,
    h: u32,
    luma: Vec<u8>,
    want: String,
    /// The labelled code's corners in the still.
    corners: [[f32; 2]; 4],
    /// Whether other codes of unknown text may be in view.
    multi: bool,
}

/// The stills: camera-sized, with the labelled code located; and how many were skipped.
fn stills(real: bool, zxing: bool) -> (Vec<Still>, Vec<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/qr-bench");
    let mut list = Vec::new();
    let photos = if real {
        corpus::subdirs(&root.join("real-photos"))
    } else {
        Vec::new()
    };
    for d in photos {
        let manifest = std::fs::read_to_string(d.join("manifest.json")).unwrap_or_default();
        for l in corpus::labelled(&d) {
            let (name, f, want, file) = (l.name(), l.path, l.want, l.file);
            // The manifest's entry for the image, to see whether it is tagged multi-code.
            let multi = manifest
                .split("\"image\"")
                .find(|e| e.contains(&format!("\"{file}\"")))
                .is_some_and(|e| e.contains("\"multi-code\""));
            list.push((name, f, want, multi));
        }
    }
    if zxing {
        for d in corpus::subdirs(&root.join("zxing-blackbox")) {
            for (i, l) in corpus::labelled(&d).into_iter().enumerate() {
                if i % 4 == 0 {
                    let name = l.name();
                    let multi = name.ends_with("qrcode-2/16.png");
                    list.push((name, l.path, l.want, multi));
                }
            }
        }
    }
    let (mut out, mut skipped) = (Vec::new(), Vec::new());
    for (name, f, want, multi) in list {
        let bytes = std::fs::read(&f).expect("readable image");
        let (w, h, luma) = tally_scan::load_luma(&bytes).expect("loadable image");
        let (w, h, luma) = sequence::scale_to(w, h, &luma, CAMERA_SIDE);
        let r = decode_luma_report(w, h, &luma, Strategy::Pipeline, Budget::IMAGE).unwrap();
        match r.codes.iter().find(|c| c.text == want) {
            Some(c) => out.push(Still {
                corners: c.corners,
                name,
                w,
                h,
                luma,
                want,
                multi,
            }),
            None => skipped.push(name),
        }
    }
    (out, skipped)
}

fn inside(p: [f32; 2], q: [[f32; 2]; 4]) -> bool {
    let side =
        |a: [f32; 2], b: [f32; 2]| (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
    let s: Vec<f32> = (0..4).map(|i| side(q[i], q[(i + 1) % 4])).collect();
    s.iter().all(|&v| v >= 0.0) || s.iter().all(|&v| v <= 0.0)
}

impl Still {
    fn misread(&self, c: &Code) -> bool {
        c.text != self.want && (!self.multi || inside(c.center(), self.corners))
    }
}

/// One way of decoding a sequence: frames to the read (1-based), misread, per-frame ms, and
/// (sessions) whether frame fusion read it.
#[derive(Default)]
struct Run {
    read_at: Option<usize>,
    misread: bool,
    ms: Vec<f64>,
    by_fusion: bool,
}

fn single_frames(s: &Still, seq: &sequence::Sequence) -> (Run, usize) {
    let mut run = Run::default();
    let mut zx = 0;
    for (t, f) in seq.frames.iter().enumerate() {
        let z = decode_luma_report(seq.width, seq.height, f, Strategy::ZxingOnly, Budget::IMAGE)
            .unwrap();
        zx += usize::from(z.codes.iter().any(|c| c.text == s.want));
        if run.read_at.is_some() {
            continue;
        }
        let t0 = Instant::now();
        let r = decode_luma_report(seq.width, seq.height, f, Strategy::Pipeline, Budget::IMAGE)
            .unwrap();
        run.ms.push(t0.elapsed().as_secs_f64() * 1e3);
        run.misread |= r.codes.iter().any(|c| s.misread(c));
        if r.codes.iter().any(|c| c.text == s.want) {
            run.read_at = Some(t + 1);
        }
    }
    (run, zx)
}

fn session(s: &Still, seq: &sequence::Sequence, options: SessionOptions) -> Run {
    let mut run = Run::default();
    let mut session = Session::with_options(options);
    for (t, f) in seq.frames.iter().enumerate() {
        let t0 = Instant::now();
        session.push_luma(seq.width, seq.height, f).unwrap();
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        if run.read_at.is_none() {
            run.ms.push(ms);
        }
        let codes = session.last_codes();
        run.misread |= codes.iter().any(|c| s.misread(c));
        if run.read_at.is_none() {
            if let Some(c) = codes.iter().find(|c| c.text == s.want) {
                run.read_at = Some(t + 1);
                run.by_fusion = c.pass.ends_with("+frames");
            }
        }
    }
    run
}

fn pct(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let verbose = std::env::var_os("TALLY_BENCH_VERBOSE").is_some();
    let sets = std::env::var("TALLY_FRAMES_SETS").unwrap_or_else(|_| "real".into());
    println!(
        "tally-scan frames bench (features: {}), one thread, seed {SEED}, {FRAMES} frames per sequence",
        if cfg!(feature = "zxing") {
            "zxing (default)"
        } else {
            "pure Rust"
        }
    );
    let t0 = Instant::now();
    let (stills, skipped) = stills(sets.contains("real"), sets.contains("zxing"));
    println!(
        "\n{} stills at {CAMERA_SIDE} px whose labelled code the pipeline reads; {} skipped (not read at that size): {skipped:?}",
        stills.len(),
        skipped.len()
    );
    let no_fusion = SessionOptions {
        frame_window: 0,
        ..SessionOptions::default()
    };
    println!("\n| motion | sequences | (a) single frames | (b) session | (c) session + fusion | fusion alone rescues | lost | frames to read a/b/c (median) | ms/frame (b) median/p90/max | ms/frame (c) median/p90/max | misreads a/b/c | zxing-cpp single-frame rate |");
    println!("|---|---:|---:|---:|---:|---:|---:|---|---|---|---|---:|");
    for motion in Motion::ALL {
        let (mut na, mut nb, mut nc, mut rescued, mut lost) = (0, 0, 0, 0, 0);
        let (mut fa, mut fb, mut fc) = (Vec::new(), Vec::new(), Vec::new());
        let (mut mb, mut mc) = (Vec::new(), Vec::new());
        let (mut xa, mut xb, mut xc) = (0, 0, 0);
        let (mut zx, mut frames) = (0, 0);
        for (i, s) in stills.iter().enumerate() {
            let seed = SEED ^ (i as u64).wrapping_mul(0x2545_f491_4f6c_dd1d);
            let seq = sequence::sequence(s.w, s.h, &s.luma, s.corners, motion, seed, FRAMES);
            let (a, z) = single_frames(s, &seq);
            let b = session(s, &seq, no_fusion);
            let c = session(s, &seq, SessionOptions::default());
            zx += z;
            frames += FRAMES;
            for (run, n, f, x) in [
                (&a, &mut na, &mut fa, &mut xa),
                (&b, &mut nb, &mut fb, &mut xb),
                (&c, &mut nc, &mut fc, &mut xc),
            ] {
                if let Some(t) = run.read_at {
                    *n += 1;
                    f.push(t as f64);
                }
                *x += usize::from(run.misread);
            }
            rescued += usize::from(c.read_at.is_some() && b.read_at.is_none());
            lost += usize::from(c.read_at.is_none() && b.read_at.is_some());
            mb.extend(&b.ms);
            mc.extend(&c.ms);
            if verbose {
                let f = |r: &Run| r.read_at.map_or("-".into(), |t| t.to_string());
                println!(
                    "{}: {}: a {} b {} c {}{} zxing frames {z}/{FRAMES}{}",
                    motion.name(),
                    s.name,
                    f(&a),
                    f(&b),
                    f(&c),
                    if c.by_fusion { " (fusion)" } else { "" },
                    if a.misread || b.misread || c.misread {
                        " MISREAD"
                    } else {
                        ""
                    }
                );
            }
        }
        let n = stills.len();
        println!(
            "| {} | {n} | {na} | {nb} | {nc} | {rescued} | {lost} | {:.0}/{:.0}/{:.0} | {:.1}/{:.1}/{:.1} | {:.1}/{:.1}/{:.1} | {xa}/{xb}/{xc} | {:.0}% |",
            motion.name(),
            pct(&mut fa, 0.5),
            pct(&mut fb, 0.5),
            pct(&mut fc, 0.5),
            pct(&mut mb, 0.5),
            pct(&mut mb, 0.9),
            pct(&mut mb, 1.0),
            pct(&mut mc, 0.5),
            pct(&mut mc, 0.9),
            pct(&mut mc, 1.0),
            100.0 * zx as f64 / frames.max(1) as f64
        );
    }
    println!("\n({:.0} s)", t0.elapsed().as_secs_f64());
}
