//! Frame fusion for [`crate::Session`]: recent frames registered to the current one and combined
//! per pixel so that what moves between frames (a specular highlight sliding over a glossy
//! label as the hand tilts) is removed while what does not move (the printed code) stays.
//!
//! * **Registration**: global integer translation only. Each frame kept is registered to the
//!   previous one coarse to fine (SAD on a 4-level pyramid of 2×2 averages: ±5 px at ⅛ scale,
//!   then ±1 px at ¼, ½ and full scale), so positions chain; at fusion time every kept frame is
//!   refined once more against the current frame (±1 px at full scale). Saturated pixels are left
//!   out of every comparison (they are the highlight, which moves), and each frame's grey levels
//!   are first mapped onto the current frame's (see below), so an exposure change does not pull
//!   the match.
//! * **Exposure**: each frame's 5th and 60th grey-level percentiles (saturated pixels excluded)
//!   are mapped linearly onto the current frame's.
//! * **Combination**: per pixel, the minimum of the aligned, exposure-matched samples that are not
//!   saturated (255 where every sample is). A highlight only ever adds light, so the darkest
//!   sample is the one it missed; the minimum (unlike a median) also removes a highlight that
//!   covers a pixel in most frames of the window, as long as one frame saw the pixel uncovered.
//!   Its costs are small: sensor noise biases the fused frame slightly dark everywhere (about one
//!   noise σ), and a residual misregistration of at most half a pixel thickens dark modules by as
//!   much.
//!
//! Cost on a 720×540 frame (release): about 0.5 ms to keep a frame (pyramid and registration)
//! and 2-4 ms to fuse a window of 8; the decoder's first pass on the fused frame comes on top
//! (see the session docs for the measured per-frame figures).

use crate::gray::Gray;
use std::collections::VecDeque;

/// Grey levels at or above this are treated as saturated (highlight) and never compared or
/// fused.
const SATURATED: u8 = 250;

/// Frames smaller than this on either side are not fused (the pyramid would be too coarse).
const MIN_SIDE: usize = 64;

/// A kept frame: its pyramid (full, ½, ¼, ⅛), grey levels and position.
struct Kept {
    pyr: [Gray; 4],
    /// 5th and 60th percentiles of the unsaturated pixels.
    levels: (f32, f32),
    /// Where this frame's pixel (0, 0) lies in the first kept frame's coordinates: frame `i` at
    /// `p` shows what frame `j` shows at `p + pos_i - pos_j` (to a fraction of a pixel, so that
    /// the chain of registrations does not accumulate rounding).
    pos: (f32, f32),
}

/// A bounded ring of recent frames of one size.
#[derive(Default)]
pub(crate) struct Frames {
    ring: VecDeque<Kept>,
}

impl std::fmt::Debug for Frames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Frames({} kept)", self.ring.len())
    }
}

impl Frames {
    /// Keeps `g` as the newest frame (at most `window` are kept), registered to the previous
    /// one. A frame of another size starts the ring again.
    pub(crate) fn push(&mut self, g: &Gray, window: usize) {
        if g.w < MIN_SIDE || g.h < MIN_SIDE || window < 2 {
            self.ring.clear();
            return;
        }
        if self
            .ring
            .back()
            .is_some_and(|k| k.pyr[0].w != g.w || k.pyr[0].h != g.h)
        {
            self.ring.clear();
        }
        let half = g.downscale(2);
        let quarter = half.downscale(2);
        let eighth = quarter.downscale(2);
        let mut kept = Kept {
            pyr: [g.clone(), half, quarter, eighth],
            levels: levels(g),
            pos: (0.0, 0.0),
        };
        if let Some(prev) = self.ring.back() {
            let lut = lut(prev.levels, kept.levels);
            let d = register(&kept.pyr, &prev.pyr, &lut);
            kept.pos = (prev.pos.0 + d.0, prev.pos.1 + d.1);
        }
        self.ring.push_back(kept);
        while self.ring.len() > window {
            self.ring.pop_front();
        }
    }

    /// Frames kept.
    pub(crate) fn len(&self) -> usize {
        self.ring.len()
    }

    /// The kept frames aligned to the newest one and combined per pixel (minimum of the
    /// unsaturated samples), in the newest frame's coordinates and grey levels.
    pub(crate) fn fused(&self) -> Option<Gray> {
        let cur = self.ring.back()?;
        let (w, h) = (cur.pyr[0].w, cur.pyr[0].h);
        let mut out = vec![255u8; w * h];
        for k in &self.ring {
            let lut = lut(k.levels, cur.levels);
            let dx = (cur.pos.0 - k.pos.0).round() as i32;
            let dy = (cur.pos.1 - k.pos.1).round() as i32;
            let src = &k.pyr[0].px;
            // Rows and columns of the current frame whose shifted position lies inside frame k.
            let x0 = (-dx).clamp(0, w as i32) as usize;
            let x1 = (w as i32 - dx).clamp(0, w as i32) as usize;
            let y0 = (-dy).clamp(0, h as i32) as usize;
            let y1 = (h as i32 - dy).clamp(0, h as i32) as usize;
            if x0 >= x1 {
                continue;
            }
            for y in y0..y1 {
                let sy = (y as i32 + dy) as usize;
                let sx0 = (x0 as i32 + dx) as usize;
                let row = &src[sy * w + sx0..sy * w + sx0 + (x1 - x0)];
                let dst = &mut out[y * w + x0..y * w + x1];
                for (o, &s) in dst.iter_mut().zip(row) {
                    if s < SATURATED {
                        *o = (*o).min(lut[usize::from(s)]);
                    }
                }
            }
        }
        Some(Gray::new(w, h, out))
    }
}

/// 5th and 60th percentiles of the unsaturated pixels.
fn levels(g: &Gray) -> (f32, f32) {
    let mut hist = [0usize; 256];
    for &v in &g.px {
        hist[usize::from(v)] += 1;
    }
    let n: usize = hist[..usize::from(SATURATED)].iter().sum();
    let pct = |q: usize| {
        let target = n * q / 100;
        let mut acc = 0;
        for (i, &c) in hist[..usize::from(SATURATED)].iter().enumerate() {
            acc += c;
            if acc > target {
                return i as f32;
            }
        }
        f32::from(SATURATED)
    };
    (pct(5), pct(60))
}

/// The grey-level map from a frame with `from` levels onto one with `to` levels (identity when
/// either frame is too flat to tell).
fn lut(from: (f32, f32), to: (f32, f32)) -> [u8; 256] {
    let (fs, ts) = (from.1 - from.0, to.1 - to.0);
    let (a, b) = if fs < 8.0 || ts < 8.0 {
        (1.0, 0.0)
    } else {
        let a = ts / fs;
        (a, to.0 - a * from.0)
    };
    let mut t = [0u8; 256];
    for (v, o) in t.iter_mut().enumerate() {
        *o = (a * v as f32 + b).round().clamp(0.0, 254.0) as u8;
    }
    t
}

/// The shift `(dx, dy)` (full-scale pixels, to a tenth of a pixel or so) such that `cur` at
/// `p` shows what `other` shows at `p + (dx, dy)`: searched ±5 px at ⅛ scale, then ±1 px at every
/// finer level, and refined below the pixel by a parabola through the full-scale costs.
fn register(cur: &[Gray; 4], other: &[Gray; 4], lut: &[u8; 256]) -> (f32, f32) {
    let mut best = (0, 0);
    let mut r = 5;
    let mut costs = [[f32::INFINITY; 3]; 3];
    let mut last_centre = best;
    for l in (0..4).rev() {
        let centre = best;
        last_centre = centre;
        // `other` in `cur`'s grey levels, saturated pixels marked 255 (the map stops at 254).
        let mapped = Gray::new(
            other[l].w,
            other[l].h,
            other[l]
                .px
                .iter()
                .map(|&v| {
                    if v < SATURATED {
                        lut[usize::from(v)]
                    } else {
                        255
                    }
                })
                .collect(),
        );
        let mut best_cost = f32::INFINITY;
        let mut grid = [[f32::INFINITY; 3]; 3];
        for dy in -r..=r {
            for dx in -r..=r {
                let d = (centre.0 + dx, centre.1 + dy);
                if let Some(c) = sad(&cur[l], &mapped, d) {
                    if r == 1 {
                        grid[(dy + 1) as usize][(dx + 1) as usize] = c;
                    }
                    // Ties go to the smaller shift.
                    let c = c + 1e-3 * (d.0.abs() + d.1.abs()) as f32;
                    if c < best_cost {
                        best_cost = c;
                        best = d;
                    }
                }
            }
        }
        if l > 0 {
            best = (best.0 * 2, best.1 * 2);
        } else {
            costs = grid;
        }
        r = 1;
    }
    // Below the pixel: the minimum of the parabola through the three costs around the best
    // shift, per axis, when the best shift is the centre of the last search (else the integer).
    let sub = |m: f32, c0: f32, p: f32| {
        let den = m - 2.0 * c0 + p;
        if den > 1e-6 && m.is_finite() && p.is_finite() {
            (0.5 * (m - p) / den).clamp(-0.5, 0.5)
        } else {
            0.0
        }
    };
    let (mut fx, mut fy) = (best.0 as f32, best.1 as f32);
    if best == last_centre {
        fx += sub(costs[1][0], costs[1][1], costs[1][2]);
        fy += sub(costs[0][1], costs[1][1], costs[2][1]);
    }
    (fx, fy)
}

/// Mean absolute difference between `a` at `p` and `other` (already in `a`'s grey levels, 255
/// where saturated) at `p + d`, over the overlap where neither is saturated; on pairs of rows
/// every four rows for frames 200 px wide or more (half the rows, adjacent ones, so that edges
/// at every row parity count). `None` when less than a quarter of the frame is compared.
fn sad(a: &Gray, other: &Gray, d: (i32, i32)) -> Option<f32> {
    let (w, h) = (a.w as i32, a.h as i32);
    let (x0, x1) = ((-d.0).max(0), (w - d.0).min(w));
    let (y0, y1) = ((-d.1).max(0), (h - d.1).min(h));
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let sparse = a.w >= 200;
    let (mut sum, mut n, mut rows) = (0u64, 0u64, 0u64);
    for y in y0..y1 {
        if sparse && y % 4 >= 2 {
            continue;
        }
        rows += 1;
        let ra = &a.px[(y * w + x0) as usize..(y * w + x1) as usize];
        let o = (y + d.1) * w + d.0;
        let rb = &other.px[(o + x0) as usize..(o + x1) as usize];
        let (mut s, mut k) = (0u32, 0u32);
        for (&p, &q) in ra.iter().zip(rb) {
            let ok = p < SATURATED && q != 255;
            s += if ok { u32::from(p.abs_diff(q)) } else { 0 };
            k += u32::from(ok);
        }
        sum += u64::from(s);
        n += u64::from(k);
    }
    let compared = n * (y1 - y0) as u64 / rows.max(1);
    (4 * compared >= (w * h) as u64 && n > 0).then(|| sum as f32 / n as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured frame shifted by `(sx, sy)` with a saturated disc at `(hx, hy)`.
    fn frame(sx: i32, sy: i32, hx: f32, hy: f32) -> Gray {
        let (w, h) = (160usize, 120usize);
        let px = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as i32 + sx, (i / w) as i32 + sy);
                let cell = ((x.div_euclid(6) * 73_856_093) ^ (y.div_euclid(6) * 19_349_663)) as u32;
                let v = if cell.wrapping_mul(2_654_435_761) >> 31 == 1 {
                    30
                } else {
                    200
                };
                let (dx, dy) = ((i % w) as f32 - hx, (i / w) as f32 - hy);
                if dx * dx + dy * dy < 400.0 {
                    255
                } else {
                    v
                }
            })
            .collect();
        Gray::new(w, h, px)
    }

    #[test]
    fn registers_shifts_and_removes_a_moving_highlight() {
        let mut f = Frames::default();
        let shifts = [(0, 0), (3, -2), (5, 1), (2, 4)];
        for (k, &(sx, sy)) in shifts.iter().enumerate() {
            f.push(&frame(sx, sy, 40.0 + 25.0 * k as f32, 60.0), 8);
        }
        assert_eq!(f.len(), 4);
        let pos: Vec<(i32, i32)> = f
            .ring
            .iter()
            .map(|k| (k.pos.0.round() as i32, k.pos.1.round() as i32))
            .collect();
        assert_eq!(pos, shifts);
        let fused = f.fused().unwrap();
        let clean = frame(2, 4, -100.0, -100.0);
        // Inside the current frame's highlight the fused frame shows the code; only the band the
        // other frames never saw (the right edge, beyond their shifted extent) may differ.
        let wrong = (0..fused.px.len())
            .filter(|&i| (i % 160) < 150 && (i / 160) < 110)
            .filter(|&i| fused.px[i].abs_diff(clean.px[i]) > 10)
            .count();
        assert_eq!(wrong, 0);
    }
}
