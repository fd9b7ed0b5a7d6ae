//! Seeded video sequences synthesised from one still (a real photo or a generated label): what a
//! camera session sees in a second of hand-held video of a code that sits still in the scene.
//!
//! The still is first scaled so its longer side is [`CAMERA_SIDE`] px ([`scale_to`]); every frame
//! has that size. Each frame looks at the still through a hand-shaking camera (a damped random
//! walk of a few pixels in translation and a few tenths of a degree in rotation, bilinear
//! sampling, edges repeated) and adds, by [`Motion`]:
//!
//! | motion | what |
//! |---|---|
//! | `clean` | shake, a 3 % gain jitter and sensor noise only (the control) |
//! | `highlight` | as `clean`, plus a saturated soft-edged specular streak over the code that slides along an ellipse across it (a glossy label as the hand tilts): its flat core is 0.2-0.3 × 0.09-0.14 of the code's side (semi-axes), its path 0.25-0.4 of the side either way, one turn every 14-26 frames |
//! | `highlight_exposure` | as `highlight`, plus the camera's auto-exposure swinging the gain by a factor e^±0.4 every 12-24 frames |
//! | `shake_blur` | twice the shake, and motion blur along each frame's motion (2 px plus 1.5 × the frame's displacement) |
//!
//! The highlight is placed from the code's corners in the scaled still, which the caller takes
//! from decoding it once; it moves in scene coordinates, so the shake moves it with the code and
//! its own path moves it over the code. Sensor noise is near-Gaussian, σ = 2-3.5 grey levels.

use crate::synth::Rng;

/// The longer side of the frames, px (a camera preview between 640×480 and 800×600).
pub const CAMERA_SIDE: u32 = 720;

/// What changes between the frames of a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Motion {
    Clean,
    Highlight,
    HighlightExposure,
    ShakeBlur,
}

impl Motion {
    /// Every motion, control first.
    pub const ALL: [Motion; 4] = [
        Motion::Clean,
        Motion::Highlight,
        Motion::HighlightExposure,
        Motion::ShakeBlur,
    ];

    /// The motion's name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Motion::Clean => "clean",
            Motion::Highlight => "highlight",
            Motion::HighlightExposure => "highlight_exposure",
            Motion::ShakeBlur => "shake_blur",
        }
    }
}

/// A synthesised sequence: `frames` of `width × height` 8-bit grayscale.
#[derive(Debug, Clone)]
pub struct Sequence {
    pub motion: Motion,
    pub width: u32,
    pub height: u32,
    pub frames: Vec<Vec<u8>>,
}

/// `luma` (`w × h`) scaled so its longer side is `side` px: area averaging when shrinking,
/// bilinear when enlarging. Returns `(width, height, luma)`.
pub fn scale_to(w: u32, h: u32, luma: &[u8], side: u32) -> (u32, u32, Vec<u8>) {
    let (w, h) = (w as usize, h as usize);
    let f = f64::from(side) / w.max(h) as f64;
    let (ow, oh) = (
        ((w as f64 * f).round() as usize).max(1),
        ((h as f64 * f).round() as usize).max(1),
    );
    let mut out = vec![0u8; ow * oh];
    if f < 1.0 {
        let bounds = |o: usize, n: usize| {
            let a = ((o as f64 / f) as usize).min(n - 1);
            let b = (((o + 1) as f64 / f) as usize).clamp(a + 1, n);
            (a, b)
        };
        for oy in 0..oh {
            let (y0, y1) = bounds(oy, h);
            for ox in 0..ow {
                let (x0, x1) = bounds(ox, w);
                let mut s = 0u64;
                for y in y0..y1 {
                    s += luma[y * w + x0..y * w + x1]
                        .iter()
                        .map(|&v| u64::from(v))
                        .sum::<u64>();
                }
                out[oy * ow + ox] = (s / ((x1 - x0) * (y1 - y0)) as u64) as u8;
            }
        }
    } else {
        for oy in 0..oh {
            for ox in 0..ow {
                let x = ((ox as f64 + 0.5) / f - 0.5) as f32;
                let y = ((oy as f64 + 0.5) / f - 0.5) as f32;
                out[oy * ow + ox] = bilinear(luma, w, h, x, y).round() as u8;
            }
        }
    }
    (ow as u32, oh as u32, out)
}

/// Bilinear sample at `(x, y)`, edges repeated.
fn bilinear(px: &[u8], w: usize, h: usize, x: f32, y: f32) -> f32 {
    let x = x.clamp(0.0, (w - 1) as f32);
    let y = y.clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (x as usize, y as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let p = |xx: usize, yy: usize| f32::from(px[yy * w + xx]);
    let top = p(x0, y0) + (p(x1, y0) - p(x0, y0)) * fx;
    let bot = p(x0, y1) + (p(x1, y1) - p(x0, y1)) * fx;
    top + (bot - top) * fy
}

/// Near-Gaussian unit noise from one draw (sum of four uniforms, variance-corrected).
fn noise(rng: &mut Rng) -> f32 {
    let r = rng.next_u64();
    let s: f32 = (0..4)
        .map(|k| ((r >> (16 * k)) & 0xffff) as f32 / 65535.0)
        .sum();
    (s - 2.0) * 1.732
}

/// `count` frames of the still `luma` (`w × h`, already camera-sized, see [`scale_to`]) whose
/// code has outer corners `corners`, moved and lit as `motion` says, from `seed`.
pub fn sequence(
    w: u32,
    h: u32,
    luma: &[u8],
    corners: [[f32; 2]; 4],
    motion: Motion,
    seed: u64,
    count: usize,
) -> Sequence {
    let (wu, hu) = (w as usize, h as usize);
    let mut rng = Rng::new(seed ^ (motion as u64 + 1).wrapping_mul(0x9e6c_63d0_676a_9a99));
    let c = [
        corners.iter().map(|p| p[0]).sum::<f32>() / 4.0,
        corners.iter().map(|p| p[1]).sum::<f32>() / 4.0,
    ];
    let dist = |a: [f32; 2], b: [f32; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    let side = (0..4)
        .map(|i| dist(corners[i], corners[(i + 1) % 4]))
        .sum::<f32>()
        / 4.0;
    let shake = if motion == Motion::ShakeBlur {
        2.0
    } else {
        1.0
    };
    let sigma = rng.range(2.0, 3.5);
    // The highlight: path along an ellipse over the code, streak across the path's direction.
    let dir = rng.range(0.0, std::f32::consts::PI);
    let (ux, uy) = (dir.cos(), dir.sin());
    let (pa, pb) = (side * rng.range(0.25, 0.4), side * rng.range(0.0, 0.15));
    let turn = std::f32::consts::TAU / rng.range(14.0, 26.0);
    let phase = rng.range(0.0, std::f32::consts::TAU);
    let (ha, hb) = (side * rng.range(0.2, 0.3), side * rng.range(0.09, 0.14));
    let amp = rng.range(300.0, 450.0);
    let expo_turn = std::f32::consts::TAU / rng.range(12.0, 24.0);
    let expo_phase = rng.range(0.0, std::f32::consts::TAU);
    let highlight = matches!(motion, Motion::Highlight | Motion::HighlightExposure);

    let (mut pos, mut vel, mut rot) = ([0f32; 2], [0f32; 2], 0f32);
    let mut frames = Vec::with_capacity(count);
    for t in 0..count {
        vel = [
            0.6 * vel[0] + shake * rng.normal(),
            0.6 * vel[1] + shake * rng.normal(),
        ];
        pos = [
            (pos[0] + vel[0]).clamp(-12.0 * shake, 12.0 * shake),
            (pos[1] + vel[1]).clamp(-12.0 * shake, 12.0 * shake),
        ];
        rot = (0.9 * rot + 0.0015 * rng.normal()).clamp(-0.006, 0.006);
        let mut gain = 1.0 + 0.03 * rng.normal();
        if motion == Motion::HighlightExposure {
            gain *= (0.4 * (expo_turn * t as f32 + expo_phase).sin()).exp();
        }
        let a = turn * t as f32 + phase;
        let (along, across) = (pa * a.cos(), pb * a.sin());
        let hc = [
            c[0] + along * ux - across * uy + rng.range(-1.0, 1.0),
            c[1] + along * uy + across * ux + rng.range(-1.0, 1.0),
        ];
        // Motion blur: samples along this frame's displacement.
        let (blur, taps) = if motion == Motion::ShakeBlur {
            let len = 2.0 + 1.5 * (vel[0].hypot(vel[1]));
            let n = vel[0].hypot(vel[1]).max(1e-3);
            ([vel[0] / n * len, vel[1] / n * len], 7)
        } else {
            ([0.0, 0.0], 1)
        };
        let (sr, cr) = rot.sin_cos();
        let mut f = vec![0u8; wu * hu];
        for y in 0..hu {
            for x in 0..wu {
                // Frame pixel → scene (still) point: rotation about the code, then the shake.
                let (dx, dy) = (x as f32 - c[0], y as f32 - c[1]);
                let sx = c[0] + cr * dx - sr * dy + pos[0];
                let sy = c[1] + sr * dx + cr * dy + pos[1];
                let v = if taps == 1 {
                    bilinear(luma, wu, hu, sx, sy)
                } else {
                    (0..taps)
                        .map(|k| {
                            let s = k as f32 / (taps - 1) as f32 - 0.5;
                            bilinear(luma, wu, hu, sx + s * blur[0], sy + s * blur[1])
                        })
                        .sum::<f32>()
                        / taps as f32
                };
                let mut v = v * gain;
                if highlight {
                    // Elliptic radius in the streak's frame (long axis across the path).
                    let (ex, ey) = (sx - hc[0], sy - hc[1]);
                    let (p, q) = (ex * ux + ey * uy, -ex * uy + ey * ux);
                    let d = ((p / hb).powi(2) + (q / ha).powi(2)).sqrt();
                    if d < 4.0 {
                        let e = (d - 1.0).max(0.0);
                        v += amp * (-e * e / (2.0 * 0.3 * 0.3)).exp();
                    }
                }
                f[y * wu + x] = (v + sigma * noise(&mut rng)).round().clamp(0.0, 255.0) as u8;
            }
        }
        frames.push(f);
    }
    Sequence {
        motion,
        width: w,
        height: h,
        frames,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_and_sequences_are_deterministic() {
        let still: Vec<u8> = (0..200 * 100).map(|i| (i % 200) as u8).collect();
        let (w, h, s) = scale_to(200, 100, &still, 100);
        assert_eq!((w, h), (100, 50));
        assert_eq!(s[10], 20); // the mean of columns 20 and 21 of rows 0 and 1, rounded down
        let (w2, h2, _) = scale_to(200, 100, &still, 300);
        assert_eq!((w2, h2), (300, 150));
        let corners = [[30.0, 10.0], [70.0, 10.0], [70.0, 40.0], [30.0, 40.0]];
        let a = sequence(w, h, &s, corners, Motion::Highlight, 5, 3);
        let b = sequence(w, h, &s, corners, Motion::Highlight, 5, 3);
        assert_eq!(a.frames, b.frames);
        assert_eq!(a.frames.len(), 3);
        // The highlight saturates part of the code in every frame.
        assert!(a.frames.iter().all(|f| f.contains(&255)));
        let clean = sequence(w, h, &s, corners, Motion::Clean, 5, 3);
        assert!(clean.frames.iter().all(|f| f.iter().all(|&v| v < 240)));
    }
}
