//! The decode pipeline: which engine sees which version of the frame, in which order.
//!
//! Order and membership come from measurement (see the crate docs and `benches/decode.rs`):
//! zxing-cpp on the frame as given reads most codes in a few milliseconds, so it always runs
//! first and, when it finds something, is the whole cost. Only frames where it finds nothing go
//! through the retry passes, cheapest and most productive first; the first pass that finds a
//! code ends the search.

use crate::engine::{self, Found};
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

/// Decodes one transformed frame; each result with the name of the pass that read it.
type Reader<'a> = dyn Fn(&Gray) -> Vec<(Found, &'static str)> + 'a;

fn run_retry(g: &Gray, r: Retry) -> Vec<(Found, &'static str)> {
    let name = pass_name(r);
    let (p, read): (Prep, &Reader<'_>) = match r {
        Retry::Rqrr(p) => (p, &|img: &Gray| {
            engine::rqrr::grids(img, None)
                .iter()
                .filter_map(|m| {
                    engine::rqrr::decode(m)
                        .map(|f| (f, name))
                        .or_else(|| {
                            crate::warp::resamplings(img, m)
                                .find_map(|r| engine::rqrr::decode(&r))
                                .map(|f| (f, warp_name(r)))
                        })
                        .or_else(|| {
                            crate::mesh::refinements(img, m)
                                .find_map(|r| engine::rqrr::decode(&r))
                                .map(|f| (f, mesh_name(r)))
                        })
                })
                .collect()
        }),
        #[cfg(feature = "zxing")]
        Retry::Zxing(p) => (p, &|img: &Gray| {
            engine::zxing::read(img, engine::zxing::Pass::DEFAULT)
                .into_iter()
                .map(|f| (f, name))
                .collect()
        }),
        #[cfg(feature = "zxing")]
        Retry::ZxingGlobal(p) => (p, &|img: &Gray| {
            engine::zxing::read(img, engine::zxing::Pass::GLOBAL)
                .into_iter()
                .map(|f| (f, name))
                .collect()
        }),
    };
    let Some((img, s)) = prep(g, p) else {
        return Vec::new();
    };
    read(&img)
        .into_iter()
        .map(|(f, n)| (scaled(f, s), n))
        .collect()
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

fn first_pass(g: &Gray) -> Vec<Hit> {
    #[cfg(feature = "zxing")]
    let found = engine::zxing::read(g, engine::zxing::Pass::DEFAULT);
    #[cfg(not(feature = "zxing"))]
    let found: Vec<Found> = engine::rqrr::grids(g, None)
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

fn retry_base(g: &Gray) -> (Gray, f32) {
    let mut base = g.clone();
    let mut s = 1.0;
    while base.max_side() > RETRY_MAX_SIDE {
        base = base.downscale(2);
        s *= 2.0;
    }
    (base, s)
}

/// Runs `strategy` over the frame.
pub(crate) fn run(g: &Gray, strategy: Strategy) -> Vec<Hit> {
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
        Strategy::RqrrOnly => engine::rqrr::grids(g, None)
            .iter()
            .filter_map(engine::rqrr::decode_with_rqrr)
            .map(|found| Hit {
                found,
                pass: "rqrr",
            })
            .collect(),
        Strategy::Pipeline => {
            let hits = first_pass(g);
            if !hits.is_empty() {
                return hits;
            }
            let (base, s) = retry_base(g);
            for &r in RETRIES {
                let found = run_retry(&base, r);
                if !found.is_empty() {
                    return found
                        .into_iter()
                        .map(|(f, pass)| Hit {
                            found: scaled(f, s),
                            pass,
                        })
                        .collect();
                }
            }
            Vec::new()
        }
        Strategy::Frame(n) => {
            let hits = first_pass(g);
            if !hits.is_empty() {
                return hits;
            }
            let (base, s) = retry_base(g);
            let r = RETRIES[n % RETRIES.len()];
            run_retry(&base, r)
                .into_iter()
                .map(|(f, pass)| Hit {
                    found: scaled(f, s),
                    pass,
                })
                .collect()
        }
    }
}
