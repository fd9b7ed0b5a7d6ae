//! Resampling a located symbol under a curved-surface model.
//!
//! zxing-cpp and rqrr both sample a symbol through one perspective transform, which is exact
//! for a flat label and wrong for a label wrapped around a can: across the can, modules near the
//! symbol's edges are compressed by the cosine of the surface angle, and a transform fitted to
//! the three finder patterns misplaces the middle columns by a module or more. When rqrr has
//! located a symbol (its finders, size and perspective) but neither decoder can read it, the
//! symbol is sampled again from the grey image under cylinder hypotheses: the module
//! coordinate across the can's axis is remapped by `sin` so that the finder centres stay put
//! and the middle bulges as a cylinder's would, for several arc angles and for either symbol
//! axis. Each sample is thresholded against the local mean of its 7×7 module neighbourhood
//! (which absorbs the can's shading) and decoded; Reed-Solomon decides which hypothesis is
//! right, so a wrong one costs a fraction of a millisecond and never a misread.

use crate::engine::rqrr::Modules;
use crate::gray::Gray;

/// 3×3 homography `p' ~ H p`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Homography([f64; 9]);

impl Homography {
    /// The map taking the unit-square corners (0,0),(1,0),(1,1),(0,1) to `q`.
    pub(crate) fn square_to_quad(q: [[f64; 2]; 4]) -> Homography {
        let [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = q;
        let dx1 = x1 - x2;
        let dx2 = x3 - x2;
        let dy1 = y1 - y2;
        let dy2 = y3 - y2;
        let sx = x0 - x1 + x2 - x3;
        let sy = y0 - y1 + y2 - y3;
        let den = dx1 * dy2 - dx2 * dy1;
        let g = (sx * dy2 - dx2 * sy) / den;
        let h = (dx1 * sy - sx * dy1) / den;
        Homography([
            x1 - x0 + g * x1,
            x3 - x0 + h * x3,
            x0,
            y1 - y0 + g * y1,
            y3 - y0 + h * y3,
            y0,
            g,
            h,
            1.0,
        ])
    }

    #[cfg(any(test, feature = "synth"))]
    pub(crate) fn inverse(&self) -> Homography {
        let m = self.0;
        let a = m[4] * m[8] - m[5] * m[7];
        let b = m[5] * m[6] - m[3] * m[8];
        let c = m[3] * m[7] - m[4] * m[6];
        let det = m[0] * a + m[1] * b + m[2] * c;
        Homography([
            a / det,
            (m[2] * m[7] - m[1] * m[8]) / det,
            (m[1] * m[5] - m[2] * m[4]) / det,
            b / det,
            (m[0] * m[8] - m[2] * m[6]) / det,
            (m[2] * m[3] - m[0] * m[5]) / det,
            c / det,
            (m[1] * m[6] - m[0] * m[7]) / det,
            (m[0] * m[4] - m[1] * m[3]) / det,
        ])
    }

    pub(crate) fn map(&self, x: f64, y: f64) -> (f64, f64) {
        let m = self.0;
        let w = m[6] * x + m[7] * y + m[8];
        (
            (m[0] * x + m[1] * y + m[2]) / w,
            (m[3] * x + m[4] * y + m[5]) / w,
        )
    }
}

/// Arc angles (degrees) the symbol may span around a can, in the order tried.
const ARCS: [f64; 6] = [50.0, 80.0, 105.0, 130.0, 150.0, 30.0];

/// `u` (module coordinate, 0..n) remapped for a symbol spanning `arc` radians of a cylinder,
/// keeping the finder-pattern centres (3.5 and n−3.5) fixed.
fn cylinder(u: f64, n: f64, arc: f64) -> f64 {
    let half = n / 2.0;
    let c = half - 3.5;
    half + c * (arc * (u - half) / n).sin() / (arc * c / n).sin()
}

pub(crate) fn bilinear(g: &Gray, x: f64, y: f64) -> f32 {
    let x = x.clamp(0.0, (g.w - 1) as f64);
    let y = y.clamp(0.0, (g.h - 1) as f64);
    let (x0, y0) = (x as usize, y as usize);
    let (x1, y1) = ((x0 + 1).min(g.w - 1), (y0 + 1).min(g.h - 1));
    let (fx, fy) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
    let p = |xx: usize, yy: usize| f32::from(g.px[yy * g.w + xx]);
    let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
    let bot = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
    top * (1.0 - fy) + bot * fy
}

/// Samples the `n × n` module centres of `m` from `g` through rqrr's perspective, remapping
/// the module coordinates `(u, v)` by `f` first, and thresholds each against its local mean.
pub(crate) fn sample(g: &Gray, m: &Modules, f: &dyn Fn(f64, f64) -> (f64, f64)) -> Modules {
    let n = m.size;
    let h = Homography::square_to_quad(m.quad);
    let s = 1.0 / (n as f64 + 1.0);
    let mut val = vec![0f32; n * n];
    for j in 0..n {
        for i in 0..n {
            let (u, v) = f(i as f64 + 0.5, j as f64 + 0.5);
            let (x, y) = h.map(u * s, v * s);
            // Average of the centre and four points a quarter module away (noise, JPEG).
            let (xa, ya) = h.map((u + 0.25) * s, v * s);
            let (xb, yb) = h.map(u * s, (v + 0.25) * s);
            let (dx1, dy1, dx2, dy2) = (xa - x, ya - y, xb - x, yb - y);
            val[j * n + i] = (bilinear(g, x, y) * 2.0
                + bilinear(g, x + dx1, y + dy1)
                + bilinear(g, x - dx1, y - dy1)
                + bilinear(g, x + dx2, y + dy2)
                + bilinear(g, x - dx2, y - dy2))
                / 6.0;
        }
    }
    const R: usize = 3;
    let mut dark = vec![false; n * n];
    for j in 0..n {
        for i in 0..n {
            let (j0, j1) = (j.saturating_sub(R), (j + R + 1).min(n));
            let (i0, i1) = (i.saturating_sub(R), (i + R + 1).min(n));
            let mut sum = 0.0;
            for jj in j0..j1 {
                sum += val[jj * n + i0..jj * n + i1].iter().sum::<f32>();
            }
            let mean = sum / ((j1 - j0) * (i1 - i0)) as f32;
            dark[j * n + i] = val[j * n + i] < mean;
        }
    }
    Modules {
        size: n,
        dark,
        corners: m.corners,
        quad: m.quad,
    }
}

/// Re-samplings of a located symbol: flat (grey-level sampling instead of rqrr's binarized
/// one), then each cylinder hypothesis along either symbol axis.
pub(crate) fn resamplings<'a>(g: &'a Gray, m: &'a Modules) -> impl Iterator<Item = Modules> + 'a {
    let n = m.size as f64;
    std::iter::once(sample(g, m, &|u, v| (u, v))).chain(ARCS.iter().flat_map(move |&deg| {
        let arc = deg.to_radians();
        [
            sample(g, m, &|u, v| (cylinder(u, n, arc), v)),
            sample(g, m, &|u, v| (u, cylinder(v, n, arc))),
        ]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homography_round_trip() {
        let q = [[10.0, 20.0], [200.0, 30.0], [220.0, 210.0], [5.0, 190.0]];
        let h = Homography::square_to_quad(q);
        for (i, (s, t)) in [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
            .into_iter()
            .enumerate()
        {
            let (x, y) = h.map(s, t);
            assert!((x - q[i][0]).abs() < 1e-6 && (y - q[i][1]).abs() < 1e-6);
            let (s2, t2) = h.inverse().map(x, y);
            assert!((s2 - s).abs() < 1e-9 && (t2 - t).abs() < 1e-9);
        }
    }

    #[test]
    fn cylinder_map_keeps_finder_centres_and_bulges_the_middle() {
        let n = 41.0;
        let arc = 120f64.to_radians();
        assert!((cylinder(3.5, n, arc) - 3.5).abs() < 1e-9);
        assert!((cylinder(n - 3.5, n, arc) - (n - 3.5)).abs() < 1e-9);
        assert!((cylinder(n / 2.0, n, arc) - n / 2.0).abs() < 1e-9);
        // The middle of a can faces the camera and looks wider than a flat fit through the
        // finders predicts: modules between the centre and a finder lie further out.
        assert!(cylinder(10.0, n, arc) < 10.0);
        assert!(cylinder(31.0, n, arc) > 31.0);
    }
}
