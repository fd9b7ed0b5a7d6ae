//! The decode pipeline: which engine sees which version of the frame, in which order.
//!
//! Order and membership come from measurement (see the crate docs and `benches/decode.rs`):
//! zxing-cpp on the frame as given reads most codes in a few milliseconds, so it always runs
//! first and, when it finds something, is the whole cost. Only frames where it finds nothing go
//! through the retry passes, cheapest and most productive first; the first pass that finds a
//! code ends the search. Frames larger than a tile are read in tiles before the retry passes
//! (zxing-cpp alone cannot read a sheet of hundreds of labels in one call). Every pass after the
//! first runs within the frame's [`crate::Budget`].

use crate::budget::{Limit, Meter};
use crate::engine::{self, rqrr::Modules, Found};
use crate::gray::Gray;

/// Which decoders to run and how hard to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// The full pipeline: zxing-cpp first, then rqrr and the preprocessing retries
    /// (pure-Rust builds: rqrr and the retries).
    Pipeline,
    /// zxing-cpp once with its defaults, as a baseline (no results in pure-Rust builds).
    ZxingOnly,
    /// rqrr once on the frame with its own decoder, as a baseline.
    RqrrOnly,
    /// The per-frame work of a video [`crate::Session`]: the first pass, then retry pass
    /// number `n` (modulo the number of passes), so consecutive frames try different passes.
    /// (A session also reads its recent frames fused, between the two; see [`crate::session`].)
    Frame(usize),
}

/// One retry: a transformed frame and the engine that reads it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Retry {
    /// rqrr's detector on the frame (its grids decoded by zxing-cpp where available).
    Rqrr(Prep),
    /// zxing-cpp with its defaults on a transformed frame.
    #[cfg(feature = "zxing")]
    Zxing(Prep),
    /// zxing-cpp with the global-histogram binarizer.
    #[cfg(feature = "zxing")]
    ZxingGlobal(Prep),
}

impl Retry {
    fn prep(self) -> Prep {
        match self {
            Retry::Rqrr(p) => p,
            #[cfg(feature = "zxing")]
            Retry::Zxing(p) | Retry::ZxingGlobal(p) => p,
        }
    }
}

/// A transformation of the frame before decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prep {
    None,
    /// Bilinear ×2 (codes with 1-2 px modules), only for frames up to 1 MP.
    Up2,
    /// 2×2 box average (large, noisy frames).
    Down2,
    /// Percentile contrast stretch.
    Stretch,
    /// Local mean/variance normalisation (shadows, glare, low contrast).
    Normalize,
    /// Unsharp mask (defocus, motion blur).
    Sharpen,
    /// Gamma 2 (modules washed out by glare).
    Gamma,
    /// Light modules on a dark ground made dark on light (rqrr finds dark finder patterns only).
    #[cfg(not(feature = "zxing"))]
    Invert,
}

#[cfg(feature = "zxing")]
const RETRIES: &[Retry] = &[
    Retry::Rqrr(Prep::None),
    Retry::Zxing(Prep::Up2),
    Retry::ZxingGlobal(Prep::None),
    Retry::Zxing(Prep::Normalize),
    Retry::Zxing(Prep::Sharpen),
    Retry::Zxing(Prep::Stretch),
    Retry::Zxing(Prep::Down2),
    Retry::Zxing(Prep::Gamma),
    Retry::Rqrr(Prep::Sharpen),
    Retry::Rqrr(Prep::Normalize),
];

#[cfg(not(feature = "zxing"))]
const RETRIES: &[Retry] = &[
    // The first pass decoded rqrr's own sampling; this one resamples the grids it located.
    Retry::Rqrr(Prep::None),
    Retry::Rqrr(Prep::Up2),
    Retry::Rqrr(Prep::Sharpen),
    Retry::Rqrr(Prep::Normalize),
    Retry::Rqrr(Prep::Stretch),
    Retry::Rqrr(Prep::Down2),
    Retry::Rqrr(Prep::Gamma),
    Retry::Rqrr(Prep::Invert),
];

/// Frames larger than this (longer side) are halved before the retry passes, which look for
/// codes that are hard rather than small; the first pass always sees full resolution.
const RETRY_MAX_SIDE: usize = 2048;

/// A result with the name of the pass that produced it.
pub(crate) struct Hit {
    pub found: Found,
    pub pass: &'static str,
}

fn prep(g: &Gray, p: Prep) -> Option<(Gray, f32)> {
    Some(match p {
        Prep::None => (g.clone(), 1.0),
        Prep::Up2 if g.w * g.h <= 1 << 20 => (g.upscale(2), 0.5),
        Prep::Up2 => return None,
        Prep::Down2 if g.w >= 400 && g.h >= 400 => (g.downscale(2), 2.0),
        Prep::Down2 => return None,
        Prep::Stretch => (g.stretch(), 1.0),
        Prep::Normalize => (
            g.local_normalize((g.max_side() / 40).clamp(8, 32), 4.0),
            1.0,
        ),
        Prep::Sharpen => (g.sharpen(2, 1.5), 1.0),
        Prep::Gamma => (g.gamma(2.0), 1.0),
        #[cfg(not(feature = "zxing"))]
        Prep::Invert => (g.invert(), 1.0),
    })
}

fn pass_name(r: Retry) -> &'static str {
    match r {
        Retry::Rqrr(Prep::None) => "rqrr",
        Retry::Rqrr(Prep::Up2) => "rqrr+up2",
        Retry::Rqrr(Prep::Down2) => "rqrr+down2",
        Retry::Rqrr(Prep::Stretch) => "rqrr+stretch",
        Retry::Rqrr(Prep::Normalize) => "rqrr+normalize",
        Retry::Rqrr(Prep::Sharpen) => "rqrr+sharpen",
        Retry::Rqrr(Prep::Gamma) => "rqrr+gamma",
        #[cfg(not(feature = "zxing"))]
        Retry::Rqrr(Prep::Invert) => "rqrr+invert",
        #[cfg(feature = "zxing")]
        Retry::Zxing(p) => match p {
            Prep::None => "zxing",
            Prep::Up2 => "zxing+up2",
            Prep::Down2 => "zxing+down2",
            Prep::Stretch => "zxing+stretch",
            Prep::Normalize => "zxing+normalize",
            Prep::Sharpen => "zxing+sharpen",
            Prep::Gamma => "zxing+gamma",
        },
        #[cfg(feature = "zxing")]
        Retry::ZxingGlobal(p) => match p {
            Prep::None => "zxing-global",
            _ => "zxing-global+prep",
        },
    }
}

fn scaled(mut f: Found, s: f32) -> Found {
    if s != 1.0 {
        for c in &mut f.corners {
            c[0] *= s;
            c[1] *= s;
        }
    }
    f
}

fn run_retry(g: &Gray, r: Retry, meter: &mut Meter) -> Vec<(Found, &'static str)> {
    let Some((img, s)) = prep(g, r.prep()) else {
        return Vec::new();
    };
    let found = match r {
        Retry::Rqrr(_) => read_rqrr(&img, r, meter),
        #[cfg(feature = "zxing")]
        Retry::Zxing(_) => read_zxing(&img, engine::zxing::Pass::DEFAULT, pass_name(r)),
        #[cfg(feature = "zxing")]
        Retry::ZxingGlobal(_) => read_zxing(&img, engine::zxing::Pass::GLOBAL, pass_name(r)),
    };
    found.into_iter().map(|(f, n)| (scaled(f, s), n)).collect()
}

#[cfg(feature = "zxing")]
fn read_zxing(
    img: &Gray,
    pass: engine::zxing::Pass,
    name: &'static str,
) -> Vec<(Found, &'static str)> {
    engine::zxing::read(img, pass)
        .into_iter()
        .map(|f| (f, name))
        .collect()
}

/// rqrr's grids of `img`, each decoded as sampled, else resampled. Resampling costs up to ~15
/// hypotheses per grid, so only the first [`Budget::hard_symbols`](crate::Budget) unread grids
/// of the pass get it, and none once the time is up.
fn read_rqrr(img: &Gray, r: Retry, meter: &mut Meter) -> Vec<(Found, &'static str)> {
    let (mut out, mut hard) = (Vec::new(), 0);
    for m in engine::rqrr::grids(img, meter) {
        if meter.out_of_time() {
            break;
        }
        if let Some(f) = engine::rqrr::decode(&m) {
            out.push((f, pass_name(r)));
        } else if hard == meter.hard_symbols() {
            meter.hit(Limit::HardSymbols);
        } else {
            hard += 1;
            out.extend(resample(img, &m, r, meter));
        }
    }
    out
}

/// A located grid that did not decode as sampled: sampled again from the grey image flat and
/// under the cylinder models, then through mesh refinement; the time is checked between
/// hypotheses.
fn resample(img: &Gray, m: &Modules, r: Retry, meter: &mut Meter) -> Option<(Found, &'static str)> {
    let curved = crate::warp::resamplings(img, m)
        .take_while(|_| !meter.out_of_time())
        .find_map(|s| engine::rqrr::decode(&s));
    if let Some(f) = curved {
        return Some((f, warp_name(r)));
    }
    crate::mesh::refinements(img, m)
        .take_while(|_| !meter.out_of_time())
        .find_map(|s| engine::rqrr::decode(&s))
        .map(|f| (f, mesh_name(r)))
}

/// The pass name of a rqrr grid that only decoded after local (mesh) refinement.
fn mesh_name(r: Retry) -> &'static str {
    match r {
        Retry::Rqrr(Prep::None) => "rqrr+mesh",
        Retry::Rqrr(Prep::Up2) => "rqrr+up2+mesh",
        Retry::Rqrr(Prep::Sharpen) => "rqrr+sharpen+mesh",
        Retry::Rqrr(Prep::Normalize) => "rqrr+normalize+mesh",
        _ => "rqrr+prep+mesh",
    }
}

/// The pass name of a rqrr grid that only decoded after grey-level or curved resampling.
fn warp_name(r: Retry) -> &'static str {
    match r {
        Retry::Rqrr(Prep::None) => "rqrr+resample",
        Retry::Rqrr(Prep::Sharpen) => "rqrr+sharpen+resample",
        Retry::Rqrr(Prep::Normalize) => "rqrr+normalize+resample",
        _ => "rqrr+prep+resample",
    }
}

/// zxing-cpp on the frame as given, never cut short; in pure-Rust builds rqrr, whose detector
/// the meter may refuse a crowded frame.
#[cfg_attr(feature = "zxing", allow(unused_variables))]
pub(crate) fn first_pass(g: &Gray, meter: &mut Meter) -> Vec<Hit> {
    #[cfg(feature = "zxing")]
    let found = engine::zxing::read(g, engine::zxing::Pass::DEFAULT);
    #[cfg(not(feature = "zxing"))]
    let found: Vec<Found> = engine::rqrr::grids(g, meter)
        .iter()
        .filter_map(engine::rqrr::decode)
        .collect();
    let pass = if cfg!(feature = "zxing") {
        "zxing"
    } else {
        "rqrr"
    };
    found.into_iter().map(|found| Hit { found, pass }).collect()
}

/// Tiles of the full-resolution frame for zxing-cpp, when one call over the whole of a large
/// frame read nothing. zxing-cpp keeps at most 256 candidate triples of finder patterns per
/// call, and on a sheet of hundreds of labels the triples across neighbouring labels crowd out
/// the real ones: it reads all 64 labels of an 8×8 sheet of 360-px labels, 74 of 12×12 and none
/// of 19×19, and all 361 from these tiles (1.2 s at 6840×6840). Tiles of 2048 px, 1536 apart,
/// hold every symbol up to 512 px whole in at least one tile; larger symbols are left to the
/// retry passes on the whole (reduced) frame.
#[cfg(feature = "zxing")]
fn tiles(g: &Gray, meter: &mut Meter) -> Vec<Hit> {
    const TILE: usize = 2048;
    const STEP: usize = 1536;
    let origins = |len: usize| {
        let last = len.saturating_sub(TILE);
        (0..last)
            .step_by(STEP)
            .chain(std::iter::once(last))
            .collect::<Vec<_>>()
    };
    if g.max_side() <= TILE {
        return Vec::new();
    }
    let (w, h) = (g.w.min(TILE), g.h.min(TILE));
    let mut hits = Vec::new();
    for y in origins(g.h) {
        for x in origins(g.w) {
            if meter.out_of_time() {
                return hits;
            }
            let found = engine::zxing::read(&g.crop(x, y, w, h), engine::zxing::Pass::DEFAULT);
            hits.extend(found.into_iter().map(|f| Hit {
                found: shifted(f, x as f32, y as f32),
                pass: "zxing+tiles",
            }));
        }
    }
    hits
}

#[cfg(feature = "zxing")]
fn shifted(mut f: Found, dx: f32, dy: f32) -> Found {
    for c in &mut f.corners {
        c[0] += dx;
        c[1] += dy;
    }
    f
}

fn retry_base(g: &Gray) -> (Gray, f32) {
    let mut base = g.clone();
    let mut s = 1.0;
    while base.max_side() > RETRY_MAX_SIDE {
        base = base.downscale(2);
        s *= 2.0;
    }
    (base, s)
}

fn hits(found: Vec<(Found, &'static str)>, s: f32) -> Vec<Hit> {
    found
        .into_iter()
        .map(|(f, pass)| Hit {
            found: scaled(f, s),
            pass,
        })
        .collect()
}

/// Runs `strategy` over the frame within the budget of `meter`.
pub(crate) fn run(g: &Gray, strategy: Strategy, meter: &mut Meter) -> Vec<Hit> {
    match strategy {
        Strategy::ZxingOnly => {
            #[cfg(feature = "zxing")]
            return engine::zxing::read(g, engine::zxing::Pass::DEFAULT)
                .into_iter()
                .map(|found| Hit {
                    found,
                    pass: "zxing",
                })
                .collect();
            #[cfg(not(feature = "zxing"))]
            return Vec::new();
        }
        Strategy::RqrrOnly => engine::rqrr::grids(g, meter)
            .iter()
            .filter_map(engine::rqrr::decode_with_rqrr)
            .map(|found| Hit {
                found,
                pass: "rqrr",
            })
            .collect(),
        Strategy::Pipeline => pipeline(g, meter),
        Strategy::Frame(n) => {
            let first = first_pass(g, meter);
            if !first.is_empty() || meter.out_of_time() {
                return first;
            }
            frame_retry(g, n, meter)
        }
    }
}

/// Retry pass number `n` (modulo the number of passes) of [`Strategy::Frame`], on its own.
pub(crate) fn frame_retry(g: &Gray, n: usize, meter: &mut Meter) -> Vec<Hit> {
    let (base, s) = retry_base(g);
    hits(run_retry(&base, RETRIES[n % RETRIES.len()], meter), s)
}

/// The first pass, then (if it read nothing) the tiles and the retry passes in order until one
/// reads something or the time is up.
fn pipeline(g: &Gray, meter: &mut Meter) -> Vec<Hit> {
    let first = first_pass(g, meter);
    if !first.is_empty() {
        return first;
    }
    #[cfg(feature = "zxing")]
    {
        let tiled = tiles(g, meter);
        if !tiled.is_empty() {
            return tiled;
        }
    }
    let (base, s) = retry_base(g);
    for &r in RETRIES {
        if meter.out_of_time() {
            break;
        }
        let found = run_retry(&base, r, meter);
        if !found.is_empty() {
            return hits(found, s);
        }
    }
    Vec::new()
}
