//! An 8-bit grayscale frame and the few image operations the retry passes need.
//!
//! Each operation is a plain O(pixels) loop (box filters through integral images), written here
//! rather than pulled from `imageproc` because that crate would add nalgebra, rayon and ~40 s of
//! cold build for five loops. Every pass keeps the mapping back to the caller's coordinates
//! (`scale`), so corner points are always reported in the original frame.

/// A row-major 8-bit grayscale image.
#[derive(Clone, Debug)]
pub(crate) struct Gray {
    pub w: usize,
    pub h: usize,
    pub px: Vec<u8>,
}

/// Summed-area table with one extra row and column of zeros.
struct Integral {
    w1: usize,
    sum: Vec<u64>,
    sq: Option<Vec<u64>>,
}

impl Integral {
    fn new(g: &Gray, squares: bool) -> Self {
        let w1 = g.w + 1;
        let mut sum = vec![0u64; w1 * (g.h + 1)];
        let mut sq = squares.then(|| vec![0u64; w1 * (g.h + 1)]);
        for y in 0..g.h {
            let mut row = 0u64;
            let mut row_sq = 0u64;
            for x in 0..g.w {
                let v = u64::from(g.px[y * g.w + x]);
                row += v;
                sum[(y + 1) * w1 + x + 1] = sum[y * w1 + x + 1] + row;
                if let Some(sq) = sq.as_mut() {
                    row_sq += v * v;
                    sq[(y + 1) * w1 + x + 1] = sq[y * w1 + x + 1] + row_sq;
                }
            }
        }
        Integral { w1, sum, sq }
    }

    /// Sum (and sum of squares) over `[x0, x1) × [y0, y1)`.
    fn rect(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> (u64, u64) {
        let at = |t: &[u64]| {
            t[y1 * self.w1 + x1] + t[y0 * self.w1 + x0]
                - t[y0 * self.w1 + x1]
                - t[y1 * self.w1 + x0]
        };
        (at(&self.sum), self.sq.as_deref().map_or(0, at))
    }
}

impl Gray {
    pub fn new(w: usize, h: usize, px: Vec<u8>) -> Self {
        debug_assert_eq!(px.len(), w * h);
        Gray { w, h, px }
    }

    /// ITU-R BT.601 luma from interleaved 8-bit channels (RGB or RGBA), ignoring alpha.
    pub fn from_interleaved(w: usize, h: usize, data: &[u8], channels: usize) -> Self {
        let px = data
            .chunks_exact(channels)
            .take(w * h)
            .map(|p| {
                ((u32::from(p[0]) * 77 + u32::from(p[1]) * 150 + u32::from(p[2]) * 29) >> 8) as u8
            })
            .collect();
        Gray { w, h, px }
    }

    /// Averages `f × f` blocks (integer factor ≥ 2).
    pub fn downscale(&self, f: usize) -> Gray {
        let (w, h) = (self.w / f, self.h / f);
        let mut px = vec![0u8; w * h];
        let n = (f * f) as u32;
        for y in 0..h {
            for x in 0..w {
                let mut s = 0u32;
                for dy in 0..f {
                    let row = (y * f + dy) * self.w + x * f;
                    s += self.px[row..row + f]
                        .iter()
                        .map(|&v| u32::from(v))
                        .sum::<u32>();
                }
                px[y * w + x] = (s / n) as u8;
            }
        }
        Gray { w, h, px }
    }

    /// Bilinear upscale by an integer factor (for codes whose modules are 1-2 pixels wide).
    pub fn upscale(&self, f: usize) -> Gray {
        let (w, h) = (self.w * f, self.h * f);
        let mut px = vec![0u8; w * h];
        let inv = 1.0 / f as f32;
        for y in 0..h {
            let sy = ((y as f32 + 0.5) * inv - 0.5).max(0.0);
            let y0 = (sy as usize).min(self.h - 1);
            let y1 = (y0 + 1).min(self.h - 1);
            let fy = sy - y0 as f32;
            for x in 0..w {
                let sx = ((x as f32 + 0.5) * inv - 0.5).max(0.0);
                let x0 = (sx as usize).min(self.w - 1);
                let x1 = (x0 + 1).min(self.w - 1);
                let fx = sx - x0 as f32;
                let p = |xx: usize, yy: usize| f32::from(self.px[yy * self.w + xx]);
                let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
                let bot = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
                px[y * w + x] = (top * (1.0 - fy) + bot * fy + 0.5) as u8;
            }
        }
        Gray { w, h, px }
    }

    /// Global contrast stretch between the 1st and 99th percentiles.
    pub fn stretch(&self) -> Gray {
        let mut hist = [0usize; 256];
        for &v in &self.px {
            hist[usize::from(v)] += 1;
        }
        let n = self.px.len();
        let pct = |q: usize| {
            let target = n * q / 100;
            let mut acc = 0;
            for (i, &c) in hist.iter().enumerate() {
                acc += c;
                if acc > target {
                    return i;
                }
            }
            255
        };
        let (lo, hi) = (pct(1), pct(99));
        if hi <= lo + 1 {
            return self.clone();
        }
        let span = (hi - lo) as f32;
        let lut: Vec<u8> = (0..256)
            .map(|v: usize| ((v.saturating_sub(lo)) as f32 * 255.0 / span).min(255.0) as u8)
            .collect();
        Gray {
            w: self.w,
            h: self.h,
            px: self.px.iter().map(|&v| lut[usize::from(v)]).collect(),
        }
    }

    /// Local normalisation: each pixel minus the mean of a `2r+1` window, divided by that window's
    /// standard deviation (floored at `min_sd`), re-centred at 128. It flattens shadows and glare
    /// gradients and lifts low-contrast modules to full contrast, which a fixed-window binarizer
    /// then separates cleanly.
    pub fn local_normalize(&self, r: usize, min_sd: f32) -> Gray {
        let ii = Integral::new(self, true);
        let mut px = vec![0u8; self.px.len()];
        for y in 0..self.h {
            let y0 = y.saturating_sub(r);
            let y1 = (y + r + 1).min(self.h);
            for x in 0..self.w {
                let x0 = x.saturating_sub(r);
                let x1 = (x + r + 1).min(self.w);
                let n = ((x1 - x0) * (y1 - y0)) as f64;
                let (s, sq) = ii.rect(x0, y0, x1, y1);
                let mean = s as f64 / n;
                let var = (sq as f64 / n - mean * mean).max(0.0);
                let sd = (var.sqrt() as f32).max(min_sd);
                let v = (f32::from(self.px[y * self.w + x]) - mean as f32) / sd;
                px[y * self.w + x] = (128.0 + v * 60.0).clamp(0.0, 255.0) as u8;
            }
        }
        Gray {
            w: self.w,
            h: self.h,
            px,
        }
    }

    /// Box blur of radius `r` (mean of a `2r+1` window).
    pub fn box_blur(&self, r: usize) -> Gray {
        let ii = Integral::new(self, false);
        let mut px = vec![0u8; self.px.len()];
        for y in 0..self.h {
            let y0 = y.saturating_sub(r);
            let y1 = (y + r + 1).min(self.h);
            for x in 0..self.w {
                let x0 = x.saturating_sub(r);
                let x1 = (x + r + 1).min(self.w);
                let n = ((x1 - x0) * (y1 - y0)) as u64;
                px[y * self.w + x] = (ii.rect(x0, y0, x1, y1).0 / n) as u8;
            }
        }
        Gray {
            w: self.w,
            h: self.h,
            px,
        }
    }

    /// Unsharp mask: `p + amount × (p − blur_r(p))`, which steepens the module edges of a
    /// defocused code so the binarizer's threshold falls between modules again.
    pub fn sharpen(&self, r: usize, amount: f32) -> Gray {
        let b = self.box_blur(r);
        let px = self
            .px
            .iter()
            .zip(&b.px)
            .map(|(&p, &q)| {
                (f32::from(p) + amount * (f32::from(p) - f32::from(q))).clamp(0.0, 255.0) as u8
            })
            .collect();
        Gray {
            w: self.w,
            h: self.h,
            px,
        }
    }

    /// Gamma curve (γ > 1 darkens mid-tones, which recovers dark modules washed out by glare).
    pub fn gamma(&self, g: f32) -> Gray {
        let lut: Vec<u8> = (0..256)
            .map(|v| ((v as f32 / 255.0).powf(g) * 255.0 + 0.5) as u8)
            .collect();
        Gray {
            w: self.w,
            h: self.h,
            px: self.px.iter().map(|&v| lut[usize::from(v)]).collect(),
        }
    }

    /// The negative (light-on-dark codes).
    #[cfg(not(feature = "zxing"))]
    pub fn invert(&self) -> Gray {
        Gray {
            w: self.w,
            h: self.h,
            px: self.px.iter().map(|&v| 255 - v).collect(),
        }
    }

    /// The `w × h` window at `(x, y)` (which must lie inside the frame).
    #[cfg(feature = "zxing")]
    pub fn crop(&self, x: usize, y: usize, w: usize, h: usize) -> Gray {
        let px = (y..y + h)
            .flat_map(|r| &self.px[r * self.w + x..r * self.w + x + w])
            .copied()
            .collect();
        Gray { w, h, px }
    }

    /// Longer side in pixels.
    pub fn max_side(&self) -> usize {
        self.w.max(self.h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downscale_and_upscale_keep_flat_images_flat() {
        let g = Gray::new(8, 6, vec![100; 48]);
        let d = g.downscale(2);
        assert_eq!((d.w, d.h), (4, 3));
        assert!(d.px.iter().all(|&v| v == 100));
        let u = g.upscale(3);
        assert_eq!((u.w, u.h), (24, 18));
        assert!(u.px.iter().all(|&v| v == 100));
    }

    #[test]
    fn local_normalize_lifts_low_contrast() {
        // A 2-level checkerboard of 120/136 becomes far apart after normalisation.
        let (w, h) = (32, 32);
        let px = (0..w * h)
            .map(|i| {
                if ((i % w) / 4 + (i / w) / 4) % 2 == 0 {
                    120
                } else {
                    136
                }
            })
            .collect();
        let n = Gray::new(w, h, px).local_normalize(6, 2.0);
        let (lo, hi) = (
            n.px.iter().min().copied().unwrap(),
            n.px.iter().max().copied().unwrap(),
        );
        assert!(hi - lo > 100, "{lo}..{hi}");
    }

    #[test]
    fn stretch_maps_percentiles_to_full_range() {
        let px: Vec<u8> = (0..1000).map(|i| 100 + (i % 50) as u8).collect();
        let s = Gray::new(100, 10, px).stretch();
        assert!(s.px.contains(&0));
        assert!(s.px.contains(&255));
    }
}
