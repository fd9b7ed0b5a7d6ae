//! rqrr 0.11 (pure Rust): capstone detection, grid sampling and decoding.
//!
//! Grids are copied out of rqrr as plain module matrices ([`Modules`]) so they can be decoded
//! by rqrr, re-read by zxing-cpp (which handles ECI, FNC1/GS1 and charsets that rqrr rejects),
//! or fused across video frames.

use super::{Engine, Found};
use crate::budget::{Limit, Meter};
use crate::charset::guess_text;
use crate::gray::Gray;
use rqrr::BitGrid;

/// A sampled QR symbol: `size × size` modules, `true` = dark, plus its outer corners.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Modules {
    pub size: usize,
    pub dark: Vec<bool>,
    /// The symbol's outer corners, TL, TR, BR, BL.
    pub corners: [[f32; 2]; 4],
    /// rqrr's perspective, as the images of module coordinates (0,0), (n+1,0), (n+1,n+1),
    /// (0,n+1) (which is what rqrr reports as a grid's bounds).
    pub quad: [[f64; 2]; 4],
}

impl BitGrid for Modules {
    fn size(&self) -> usize {
        self.size
    }
    fn bit(&self, y: usize, x: usize) -> bool {
        self.dark[y * self.size + x]
    }
}

/// The most finder patterns (estimated) in a frame handed to rqrr's detector. Its grouping
/// tries every plausible triple of finder patterns, each on a fresh copy of the whole frame, so
/// its cost grows faster than the square of their number. Measured on sheets of labels: 0.02 s
/// for 12 finder patterns, 0.06 s for 27, 0.15-0.3 s for 75 (0.2-3 MP), 1 s for 192 and 400 s
/// for 1,083 (361 labels in 2.9 MP). The busiest frame of the ZXing, synthetic and real-photo
/// sets, after any preprocessing, estimates 6.5. At 40 (about 13 symbols) rqrr stays near
/// 0.1 s; more crowded frames are left to zxing-cpp, which reads them in tiles.
const MAX_FINDERS: f64 = 40.0;

/// Locates and samples every grid rqrr finds, with its own adaptive threshold; nothing (and
/// [`Limit::Crowded`] recorded) for a frame too crowded with finder patterns for its detector.
pub(crate) fn grids(g: &Gray, meter: &mut Meter) -> Vec<Modules> {
    if finder_estimate(g) > MAX_FINDERS {
        meter.hit(Limit::Crowded);
        return Vec::new();
    }
    crate::guard::contain(|| {
        let mut img =
            rqrr::PreparedImage::prepare_from_greyscale(g.w, g.h, |x, y| g.px[y * g.w + x]);
        img.detect_grids()
            .into_iter()
            .map(|grid| {
                let n = grid.grid.size();
                let mut dark = Vec::with_capacity(n * n);
                for y in 0..n {
                    for x in 0..n {
                        dark.push(grid.grid.bit(y, x));
                    }
                }
                let c = |p: rqrr::Point| [f64::from(p.x), f64::from(p.y)];
                let quad = [
                    c(grid.bounds[0]),
                    c(grid.bounds[1]),
                    c(grid.bounds[2]),
                    c(grid.bounds[3]),
                ];
                let h = crate::warp::Homography::square_to_quad(quad);
                let e = n as f64 / (n as f64 + 1.0);
                let corners = [(0.0, 0.0), (e, 0.0), (e, e), (0.0, e)].map(|(u, v)| {
                    let (x, y) = h.map(u, v);
                    [x as f32, y as f32]
                });
                Modules {
                    size: n,
                    dark,
                    corners,
                    quad,
                }
            })
            .collect()
    })
    .unwrap_or_default()
}

/// About how many finder patterns rqrr's detector will see. Every other row is thresholded
/// against the mean of a window an eighth of the width wide (as rqrr's moving average is) and
/// scanned for dark-light-dark-light-dark runs in the proportions 1:1:3:1:1 within rqrr's
/// tolerance, and each hit is confirmed by the same profile down the column through its centre
/// (texture rarely shows it both ways; a finder pattern does). A pattern `w` pixels wide shows
/// the profile on the ~3w/7 rows through its centre, half of them scanned, so each confirmed hit
/// counts 14/(3w). One pass over half the pixels (about 1 ms for 640×480).
fn finder_estimate(g: &Gray) -> f64 {
    let r = (g.w / 16).max(1);
    let mut prefix = vec![0u64; g.w + 1];
    // The row's dark pixels and a light one after them.
    let mut dark = vec![false; g.w + 1];
    let mut total = 0.0;
    for y in (0..g.h).step_by(2) {
        let row = &g.px[y * g.w..(y + 1) * g.w];
        let mut acc = 0;
        for (p, &v) in prefix[1..].iter_mut().zip(row) {
            acc += u64::from(v);
            *p = acc;
        }
        // `v` is dark at `x` when below 95% of its window's mean (sum × 95 against count × 100).
        let window = |x: usize| {
            let (a, b) = (x.saturating_sub(r), (x + r + 1).min(g.w));
            ((b - a) as u64 * 100, (prefix[b] - prefix[a]) * 95)
        };
        for (x, (d, &v)) in dark.iter_mut().zip(row).enumerate() {
            let (n, sum) = window(x);
            *d = u64::from(v) * n < sum;
        }
        // The last five run lengths, oldest first; the row starts and ends on light.
        let (mut runs, mut len, mut prev) = ([0usize; 5], 0, false);
        for (x, &d) in dark.iter().enumerate() {
            if d == prev {
                len += 1;
                continue;
            }
            runs = [runs[1], runs[2], runs[3], runs[4], len];
            (len, prev) = (1, d);
            if !d && finder_profile(runs) {
                let w: usize = runs.iter().sum();
                let cx = x - runs[4] - runs[3] - runs[2].div_ceil(2);
                let (n, sum) = window(cx);
                let column = column_runs(g, cx, y, w, |v| u64::from(v) * n < sum);
                if finder_profile(column) {
                    total += 14.0 / (3.0 * w as f64);
                }
            }
        }
    }
    total
}

/// The five runs down column `x` through the dark pixel at row `y` (ring, gap, stone, gap,
/// ring, as a finder pattern's centre column shows them), each way at most `w` pixels long,
/// thresholded as the hit's own row was (the light is about even over one finder pattern).
fn column_runs(g: &Gray, x: usize, y: usize, w: usize, dark: impl Fn(u8) -> bool) -> [usize; 5] {
    // The stone's rest, the gap and the ring from `y` one way (`y` itself not counted).
    let walk = |step: fn(usize) -> Option<usize>| {
        let (mut runs, mut k, mut at) = ([0usize; 3], 0, y);
        for _ in 0..w {
            let Some(next) = step(at).filter(|&n| n < g.h) else {
                break;
            };
            if dark(g.px[next * g.w + x]) != (k % 2 == 0) {
                k += 1;
                if k == 3 {
                    break;
                }
            }
            runs[k] += 1;
            at = next;
        }
        runs
    };
    let up = walk(|y| y.checked_sub(1));
    let down = walk(|y| y.checked_add(1));
    [up[2], up[1], up[0] + 1 + down[0], down[1], down[2]]
}

/// rqrr's test of five runs (dark first) against 1:1:3:1:1.
fn finder_profile(runs: [usize; 5]) -> bool {
    let avg = (runs[0] + runs[1] + runs[3] + runs[4]) / 4;
    let err = avg * 3 / 4;
    avg > 0
        && [1, 1, 3, 1, 1]
            .iter()
            .zip(runs)
            .all(|(k, r)| r + err >= k * avg && r <= k * avg + err)
}

/// Decodes sampled modules: zxing-cpp first where it is built in (full mode support), rqrr's
/// decoder otherwise or when zxing-cpp refuses.
pub(crate) fn decode(m: &Modules) -> Option<Found> {
    #[cfg(feature = "zxing")]
    if let Some(f) = decode_with_zxing(m) {
        return Some(f);
    }
    decode_with_rqrr(m)
}

/// rqrr's decoder: Reed-Solomon correction and the numeric, alphanumeric, byte and Kanji modes
/// (it rejects FNC1/GS1 and structured-append segments).
pub(crate) fn decode_with_rqrr(m: &Modules) -> Option<Found> {
    let (meta, bytes) = crate::guard::contain(|| {
        let mut bytes = Vec::new();
        let meta = rqrr::Grid::new(m.clone()).decode_to(&mut bytes).ok()?;
        Some((meta, bytes))
    })??;
    let (text, charset) = guess_text(&bytes);
    Some(Found {
        text,
        bytes,
        corners: m.corners,
        symbology: String::new(),
        charset,
        engine: Engine::Rqrr,
        version: u8::try_from(meta.version.0).unwrap_or(0),
    })
}

/// Renders the modules as a clean image and lets zxing-cpp decode it as a pure symbol.
#[cfg(feature = "zxing")]
fn decode_with_zxing(m: &Modules) -> Option<Found> {
    const SCALE: usize = 3;
    const QUIET: usize = 4;
    let side = (m.size + 2 * QUIET) * SCALE;
    let mut px = vec![255u8; side * side];
    for y in 0..m.size {
        for x in 0..m.size {
            if m.dark[y * m.size + x] {
                for dy in 0..SCALE {
                    let row = ((y + QUIET) * SCALE + dy) * side + (x + QUIET) * SCALE;
                    px[row..row + SCALE].fill(0);
                }
            }
        }
    }
    let img = Gray::new(side, side, px);
    let mut found = super::zxing::read(&img, super::zxing::Pass::PURE)
        .into_iter()
        .next()?;
    found.corners = m.corners;
    found.engine = Engine::RqrrGridZxing;
    Some(found)
}

#[cfg(all(test, feature = "synth"))]
mod tests {
    use super::*;

    #[test]
    fn finder_estimate_counts_the_finder_patterns_of_a_sheet_and_not_noise() {
        let s = crate::synth::sheet(3, 360);
        let g = Gray::new(s.width as usize, s.height as usize, s.luma);
        let k = finder_estimate(&g);
        assert!((24.0..33.0).contains(&k), "{k} for 27 finder patterns");
        let half = finder_estimate(&g.downscale(4));
        assert!((24.0..33.0).contains(&half), "{half} at 2.5 px per module");
        let mut rng = crate::synth::Rng::new(3);
        let noise: Vec<u8> = (0..640 * 480).map(|_| rng.int(0, 255) as u8).collect();
        let n = finder_estimate(&Gray::new(640, 480, noise));
        assert!(n < MAX_FINDERS / 4.0, "{n} in noise");
        assert_eq!(finder_estimate(&Gray::new(64, 64, vec![255; 64 * 64])), 0.0);
    }
}
