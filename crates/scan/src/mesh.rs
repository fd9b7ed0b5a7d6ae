//! Local (mesh) refinement of a located symbol's module grid.
//!
//! A wrinkled label (printed on fabric, crumpled paper, a soft pouch) is neither one
//! perspective plane nor a cylinder: each fold shifts the modules near it by a fraction of a
//! module in its own direction, so any single global model misplaces whole patches of modules.
//! When rqrr has located a symbol (its size and perspective) that no global model reads, the
//! grid is refined locally from the picture itself. Module boundaries are edges, so within a
//! window a few modules wide the edge energy across each axis is periodic with the module pitch,
//! and the phase of its first Fourier component says how far the true boundaries sit from the
//! ones the current model predicts. Those shifts, measured on a lattice of control points over
//! the symbol rectified through the current model, are known only modulo one module: they are
//! unwrapped outward from the finder patterns (where rqrr's perspective is right by
//! construction), weighted by how periodic each window is, smoothed, and added to a
//! displacement field; the modules are sampled again through it, and the estimate is repeated
//! with smaller windows. Each refinement is only a hypothesis that Reed-Solomon accepts or
//! rejects (two rounds, about a millisecond each for a version-3 symbol).

use crate::engine::rqrr::Modules;
use crate::gray::Gray;
use crate::warp::{bilinear, sample, Homography};

/// Rectified pixels per module (3, 4 and 6 read the same codes in the bench; 4 is cheap and
/// leaves the period well above the Nyquist limit).
const K: usize = 4;
/// Margin around the symbol in the rectified frame, in modules.
const MARGIN: usize = 2;

/// (control step, window radius) per round, in modules: the first round corrects shifts of
/// more than half a module (through the unwrapping), the second the local ones.
const ROUNDS: [(f64, f64); 2] = [(4.0, 5.0), (2.0, 3.0)];

/// A displacement field over module coordinates, defined on a lattice of control points
/// `step` modules apart and interpolated bilinearly.
#[derive(Clone)]
struct Field {
    /// Control points per side.
    c: usize,
    step: f64,
    dx: Vec<f64>,
    dy: Vec<f64>,
}

impl Field {
    fn zero(n: usize, step: f64) -> Field {
        let c = (n as f64 / step).ceil() as usize + 1;
        Field {
            c,
            step,
            dx: vec![0.0; c * c],
            dy: vec![0.0; c * c],
        }
    }

    /// The displacement at module coordinates `(u, v)`.
    fn at(&self, u: f64, v: f64) -> (f64, f64) {
        let last = (self.c - 1) as f64;
        let fu = (u / self.step).clamp(0.0, last);
        let fv = (v / self.step).clamp(0.0, last);
        let (i0, j0) = ((fu as usize).min(self.c - 2), (fv as usize).min(self.c - 2));
        let (tu, tv) = (fu - i0 as f64, fv - j0 as f64);
        let lerp = |t: &[f64]| {
            let a = t[j0 * self.c + i0] * (1.0 - tu) + t[j0 * self.c + i0 + 1] * tu;
            let b = t[(j0 + 1) * self.c + i0] * (1.0 - tu) + t[(j0 + 1) * self.c + i0 + 1] * tu;
            a * (1.0 - tv) + b * tv
        };
        (lerp(&self.dx), lerp(&self.dy))
    }

    /// The same field on a lattice with a different step.
    fn resampled(&self, n: usize, step: f64) -> Field {
        let mut f = Field::zero(n, step);
        for j in 0..f.c {
            for i in 0..f.c {
                let (dx, dy) = self.at(i as f64 * step, j as f64 * step);
                f.dx[j * f.c + i] = dx;
                f.dy[j * f.c + i] = dy;
            }
        }
        f
    }
}

/// The symbol (plus margin) resampled to `K` pixels per module through the perspective and
/// the displacement field: a frame where a correct model shows a regular grid.
fn rectify(g: &Gray, h: &Homography, n: usize, f: &Field) -> (usize, Vec<f32>) {
    let side = (n + 2 * MARGIN) * K;
    let s = 1.0 / (n as f64 + 1.0);
    let mut r = vec![0f32; side * side];
    for y in 0..side {
        let v = (y as f64 + 0.5) / K as f64 - MARGIN as f64;
        for x in 0..side {
            let u = (x as f64 + 0.5) / K as f64 - MARGIN as f64;
            let (dx, dy) = f.at(u, v);
            let (px, py) = h.map((u + dx) * s, (v + dy) * s);
            r[y * side + x] = bilinear(g, px, py);
        }
    }
    (side, r)
}

/// One refinement round: measures the local boundary phase in windows of radius `radius`
/// modules around each control point of `f` and adds the (smoothed) shifts to it.
fn refine(g: &Gray, h: &Homography, n: usize, f: &mut Field, radius: f64) {
    let (side, r) = rectify(g, h, n, f);
    // Edge energy across each axis (central differences).
    let mut ex = vec![0f32; side * side];
    let mut ey = vec![0f32; side * side];
    for y in 1..side - 1 {
        for x in 1..side - 1 {
            let i = y * side + x;
            ex[i] = (r[i + 1] - r[i - 1]).abs();
            ey[i] = (r[i + side] - r[i - side]).abs();
        }
    }
    // Phase of each rectified column / row at the module frequency; a boundary between modules
    // u and u+1 is at rectified x + 0.5 = (u + 1 + MARGIN) K, i.e. phase 0.
    let w = std::f64::consts::TAU / K as f64;
    let cs: Vec<(f64, f64)> = (0..side)
        .map(|x| {
            let a = w * (x as f64 + 0.5);
            (a.cos(), a.sin())
        })
        .collect();
    let rad = (radius * K as f64) as isize;
    let sigma2 = 2.0 * (radius * K as f64 / 2.0).powi(2);
    // Gaussian window weights, indexed by offset from the control point.
    let wts: Vec<f64> = (-rad..=rad)
        .flat_map(|dy| (-rad..=rad).map(move |dx| (-((dx * dx + dy * dy) as f64) / sigma2).exp()))
        .collect();
    let c = f.c;
    let mut mx = vec![(0f64, 0f64); c * c];
    let mut my = vec![(0f64, 0f64); c * c];
    for j in 0..c {
        for i in 0..c {
            let cx = ((i as f64 * f.step + MARGIN as f64) * K as f64) as isize;
            let cy = ((j as f64 * f.step + MARGIN as f64) * K as f64) as isize;
            let (mut sxr, mut sxi, mut sx) = (0.0, 0.0, 0.0);
            let (mut syr, mut syi, mut sy) = (0.0, 0.0, 0.0);
            for y in (cy - rad).max(1)..(cy + rad + 1).min(side as isize - 1) {
                let wrow = &wts[((y - cy + rad) * (2 * rad + 1)) as usize..];
                for x in (cx - rad).max(1)..(cx + rad + 1).min(side as isize - 1) {
                    let wt = wrow[(x - cx + rad) as usize];
                    let i = y as usize * side + x as usize;
                    let (gx, gy) = (f64::from(ex[i]) * wt, f64::from(ey[i]) * wt);
                    let (xc, xs) = cs[x as usize];
                    let (yc, ys) = cs[y as usize];
                    sxr += gx * xc;
                    sxi += gx * xs;
                    sx += gx;
                    syr += gy * yc;
                    syi += gy * ys;
                    sy += gy;
                }
            }
            // Shift (modules) of the observed boundaries and its weight: the periodic part of
            // the edge energy (coherent windows count, flat or noisy ones barely).
            let shift = |re: f64, im: f64, tot: f64| {
                let mag = (re * re + im * im).sqrt();
                if tot <= 0.0 || mag <= 0.0 {
                    return (0.0, 0.0);
                }
                let phase = im.atan2(re);
                (phase / std::f64::consts::TAU, mag * (mag / tot))
            };
            mx[j * c + i] = shift(sxr, sxi, sx);
            my[j * c + i] = shift(syr, syi, sy);
        }
    }
    let seed = |k: usize| {
        let (u, v) = ((k % c) as f64 * f.step, (k / c) as f64 * f.step);
        let (lo, hi) = (8.0, n as f64 - 8.0);
        // On a finder: top-left, top-right or bottom-left corner.
        (v <= lo && (u <= lo || u >= hi)) || (u <= lo && v >= hi)
    };
    unwrap_phases(&mut mx, c, &seed);
    unwrap_phases(&mut my, c, &seed);
    // Smooth each component with its weights over the 3×3 control neighbourhood.
    let smooth = |m: &[(f64, f64)]| -> Vec<f64> {
        (0..c * c)
            .map(|k| {
                let (i, j) = ((k % c) as isize, (k / c) as isize);
                let (mut s, mut ws) = (0.0, 0.0);
                for dj in -1..=1isize {
                    for di in -1..=1isize {
                        let (ii, jj) = (i + di, j + dj);
                        if ii < 0 || jj < 0 || ii >= c as isize || jj >= c as isize {
                            continue;
                        }
                        let (d, wt) = m[jj as usize * c + ii as usize];
                        let wt = wt * if di == 0 && dj == 0 { 2.0 } else { 1.0 };
                        s += d * wt;
                        ws += wt;
                    }
                }
                if ws > 0.0 {
                    s / ws
                } else {
                    0.0
                }
            })
            .collect()
    };
    let (sx, sy) = (smooth(&mx), smooth(&my));
    for k in 0..c * c {
        // Boundaries seen at +δ mean the true grid is δ further on.
        f.dx[k] += sx[k];
        f.dy[k] += sy[k];
    }
}

/// Quality-guided phase unwrapping: measured shifts are known only modulo one module; starting
/// from the control points on the finder patterns (where the located perspective is right by
/// construction), each next point, the most confident one beside those already placed, takes
/// the whole-module alternative nearest to its placed neighbours' weighted mean.
fn unwrap_phases(m: &mut [(f64, f64)], c: usize, seed: &dyn Fn(usize) -> bool) {
    /// A frontier point, ordered by its weight (then index, for a total order).
    struct Next(f64, usize);
    impl PartialEq for Next {
        fn eq(&self, o: &Self) -> bool {
            self.cmp(o) == std::cmp::Ordering::Equal
        }
    }
    impl Eq for Next {}
    impl PartialOrd for Next {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Next {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            self.0.total_cmp(&o.0).then(self.1.cmp(&o.1))
        }
    }
    let neighbours = |k: usize| {
        let (i, j) = (k % c, k / c);
        [
            (i > 0).then(|| k - 1),
            (i + 1 < c).then(|| k + 1),
            (j > 0).then(|| k - c),
            (j + 1 < c).then(|| k + c),
        ]
        .into_iter()
        .flatten()
    };
    let mut placed: Vec<bool> = (0..c * c).map(seed).collect();
    let mut heap = std::collections::BinaryHeap::new();
    for k in (0..c * c).filter(|&k| placed[k]) {
        for q in neighbours(k).filter(|&q| !placed[q]) {
            heap.push(Next(m[q].1, q));
        }
    }
    while let Some(Next(_, k)) = heap.pop() {
        if placed[k] {
            continue;
        }
        let (mut s, mut ws) = (0.0, 0.0);
        for q in neighbours(k).filter(|&q| placed[q]) {
            let w = m[q].1.max(1e-9);
            s += m[q].0 * w;
            ws += w;
        }
        let pred = s / ws;
        let d = m[k].0;
        m[k].0 = if m[k].1 > 0.0 {
            d + (pred - d).round()
        } else {
            pred
        };
        placed[k] = true;
        for q in neighbours(k).filter(|&q| !placed[q]) {
            heap.push(Next(m[q].1, q));
        }
    }
}

/// Locally refined samplings of a located symbol, coarse to fine.
pub(crate) fn refinements<'a>(g: &'a Gray, m: &'a Modules) -> impl Iterator<Item = Modules> + 'a {
    let n = m.size;
    let h = Homography::square_to_quad(m.quad);
    let mut f = Field::zero(n, ROUNDS[0].0);
    let mut k = 0;
    std::iter::from_fn(move || {
        let &(step, radius) = ROUNDS.get(k)?;
        k += 1;
        if (f.step - step).abs() > 1e-9 {
            f = f.resampled(n, step);
        }
        refine(g, &h, n, &mut f, radius);
        Some(sample(g, m, &|u, v| {
            let (dx, dy) = f.at(u, v);
            (u + dx, v + dy)
        }))
    })
}

#[cfg(all(test, feature = "synth"))]
mod tests {
    use super::*;
    use crate::engine::rqrr::decode;

    const TEXT: &str = "https://id.gs1.org/01/09506000134352/10/LOT-7/21/4711";
    const PX: f64 = 6.0;
    const QUIET: f64 = 4.0;

    /// `TEXT` rendered at `PX` pixels per module, each pixel's module coordinates displaced by
    /// `amp` modules along sine waves of `wave` modules (a wrinkled label), with a little blur
    /// from 3×3 supersampling.
    fn wrinkled(amp: f64, wave: f64) -> (Gray, Modules, Vec<bool>) {
        let (n, truth) = crate::synth::qr_modules(TEXT);
        let side = ((n as f64 + 2.0 * QUIET) * PX) as usize;
        let tau = std::f64::consts::TAU;
        let mut px = vec![0u8; side * side];
        for y in 0..side {
            for x in 0..side {
                let mut ink = 0.0;
                for (sx, sy) in (0..9).map(|k| (k % 3, k / 3)) {
                    let (xf, yf) = (
                        x as f64 + (sx as f64 + 0.5) / 3.0,
                        y as f64 + (sy as f64 + 0.5) / 3.0,
                    );
                    let (u0, v0) = (xf / PX - QUIET, yf / PX - QUIET);
                    let u = u0 + amp * (tau * v0 / wave).sin() * (tau * u0 / (1.7 * wave)).cos();
                    let v = v0 + amp * (tau * u0 / wave).sin() * (tau * v0 / (1.3 * wave)).cos();
                    let (i, j) = (u.floor(), v.floor());
                    let dark = i >= 0.0
                        && j >= 0.0
                        && (i as usize) < n
                        && (j as usize) < n
                        && truth[j as usize * n + i as usize];
                    ink += if dark { 1.0 } else { 0.0 };
                }
                px[y * side + x] = (230.0 - 200.0 * ink / 9.0) as u8;
            }
        }
        let g = Gray::new(side, side, px);
        // The grid as a located symbol: the undisplaced perspective (module (u, v) at pixel
        // ((u + QUIET) PX, (v + QUIET) PX)), as rqrr reports it.
        let at = |u: f64| (u + QUIET) * PX;
        let e = n as f64 + 1.0;
        let quad = [
            [at(0.0), at(0.0)],
            [at(e), at(0.0)],
            [at(e), at(e)],
            [at(0.0), at(e)],
        ];
        let m = Modules {
            size: n,
            dark: vec![false; n * n],
            corners: [[0.0; 2]; 4],
            quad,
        };
        (g, m, truth)
    }

    fn errors(a: &Modules, truth: &[bool]) -> usize {
        a.dark.iter().zip(truth).filter(|(a, b)| a != b).count()
    }

    #[test]
    fn refinement_reads_a_wrinkled_symbol_that_flat_sampling_cannot() {
        // Half a module of displacement on an 11-module wave: about 60 module errors through
        // the flat model and every cylinder hypothesis fails; refined, none.
        let (g, m, truth) = wrinkled(0.5, 11.0);
        let flat: Vec<Modules> = crate::warp::resamplings(&g, &m).collect();
        assert!(flat.iter().all(|r| decode(r).is_none()));
        assert!(
            errors(&flat[0], &truth) > 40,
            "{}",
            errors(&flat[0], &truth)
        );
        let refined: Vec<Modules> = refinements(&g, &m).collect();
        assert_eq!(refined.len(), ROUNDS.len());
        let best = refined.iter().map(|r| errors(r, &truth)).min().unwrap();
        assert!(best < 5, "{best} module errors after refinement");
        let read = refined
            .iter()
            .find_map(decode)
            .expect("refined grid decodes");
        assert_eq!(read.text, TEXT);
    }

    #[test]
    fn refinement_keeps_a_flat_symbol_flat() {
        let (g, m, truth) = wrinkled(0.0, 11.0);
        for r in refinements(&g, &m) {
            assert_eq!(errors(&r, &truth), 0);
        }
    }

    #[test]
    fn refinement_of_noise_reads_nothing() {
        let (g, m, _) = wrinkled(0.0, 11.0);
        let mut rng = crate::synth::Rng::new(7);
        let noise = Gray::new(
            g.w,
            g.h,
            (0..g.w * g.h).map(|_| rng.int(0, 256) as u8).collect(),
        );
        assert!(refinements(&noise, &m).all(|r| decode(&r).is_none()));
    }

    #[test]
    fn unwrapping_follows_a_ramp_past_half_a_module() {
        // Shifts growing by 0.3 modules per control point from a seed in the corner: measured
        // modulo one module, placed back on the ramp.
        let c = 6;
        let mut m: Vec<(f64, f64)> = (0..c * c)
            .map(|k| {
                let d = 0.3 * ((k % c) + (k / c)) as f64;
                (d - d.round(), 1.0)
            })
            .collect();
        unwrap_phases(&mut m, c, &|k| k == 0);
        for (k, (d, _)) in m.iter().enumerate() {
            let want = 0.3 * ((k % c) + (k / c)) as f64;
            assert!((d - want).abs() < 1e-9, "{k}: {d} want {want}");
        }
    }
}
