//! The synthetic stress set: camera-like frames of GS1 Digital Link labels, generated from a
//! fixed seed (nothing is stored), one category per failure mode of real packaging.
//!
//! Each frame is 640×480 (a preview-resolution camera frame). A label (QR at error correction Q,
//! 4-module quiet zone, white) is placed on a textured background by a geometric model and then
//! degraded photometrically:
//!
//! | category | what |
//! |---|---|
//! | `nominal` | flat, rotated, mild sensor noise (the control) |
//! | `perspective` | the label plane tilted 35°-60° from the camera axis |
//! | `cylinder` | wrapped around a can: the symbol spans 70°-130° of the can's circumference, with Lambertian shading |
//! | `blur` | Gaussian defocus, σ = 0.35-0.6 module |
//! | `jpeg30` | small modules (2.3-3.2 px) and JPEG quality 30 |
//! | `low-contrast` | dark and light modules 12-30 grey levels apart |
//! | `glare` | a saturating specular highlight covering part of the symbol |
//! | `occlusion` | an opaque blob (a finger, a sticker) over 10-20% of the symbol |
//! | `combined` | perspective 20-40°, blur, glare, low contrast, noise and JPEG q40 together |
//!
//! Payloads are real-shaped Digital Link URIs (`https://id.gs1.org/01/<GTIN>/10/<lot>/21/<serial>?17=<date>`)
//! with valid GTIN check digits.

use crate::warp::Homography;
use qrcode::{EcLevel, QrCode};

/// A stress category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Nominal,
    Perspective,
    Cylinder,
    Blur,
    Jpeg30,
    LowContrast,
    Glare,
    Occlusion,
    Combined,
}

impl Category {
    /// Every category, in table order.
    pub const ALL: [Category; 9] = [
        Category::Nominal,
        Category::Perspective,
        Category::Cylinder,
        Category::Blur,
        Category::Jpeg30,
        Category::LowContrast,
        Category::Glare,
        Category::Occlusion,
        Category::Combined,
    ];

    /// The category's name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Category::Nominal => "nominal",
            Category::Perspective => "perspective",
            Category::Cylinder => "cylinder",
            Category::Blur => "blur",
            Category::Jpeg30 => "jpeg30",
            Category::LowContrast => "low-contrast",
            Category::Glare => "glare",
            Category::Occlusion => "occlusion",
            Category::Combined => "combined",
        }
    }
}

/// One generated frame.
#[derive(Debug, Clone)]
pub struct Sample {
    pub category: Category,
    pub width: u32,
    pub height: u32,
    /// 8-bit grayscale, row-major.
    pub luma: Vec<u8>,
    /// The exact payload.
    pub text: String,
    /// Where the symbol's outer corners (TL, TR, BR, BL of the module area) landed.
    pub corners: [[f32; 2]; 4],
}

/// SplitMix64: a small, fixed, well-distributed generator, so the set never depends on a
/// third-party RNG's version.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        let u = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        lo + (hi - lo) * u
    }
    /// Uniform integer in `[lo, hi]`.
    pub fn int(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f32 {
        let u1 = self.range(1e-6, 1.0);
        let u2 = self.range(0.0, 1.0);
        (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    }
}

/// A Digital Link URI with a valid GTIN, lot, serial and expiry, different for every `rng` state.
pub fn digital_link(rng: &mut Rng) -> String {
    let body: String = (0..13)
        .map(|i| {
            if i == 0 {
                '0'
            } else {
                char::from(b'0' + rng.int(0, 9) as u8)
            }
        })
        .collect();
    let check = tally_gs1::gs1_check_digit(&body).expect("13 digits");
    let lot = format!("LOT-{}-{:02}", rng.int(2024, 2028), rng.int(1, 12));
    let serial = format!("SER{}", rng.int(1000, 999_999));
    let date = format!(
        "{:02}{:02}{:02}",
        rng.int(26, 30),
        rng.int(1, 12),
        rng.int(1, 28)
    );
    format!("https://id.gs1.org/01/{body}{check}/10/{lot}/21/{serial}?17={date}")
}

/// The module matrix of `text` at error correction Q: `(size, dark)`, row-major.
pub fn qr_modules(text: &str) -> (usize, Vec<bool>) {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::Q)
        .expect("payload fits a QR Code");
    let n = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    (n, dark)
}

/// The label as a function of label coordinates `(u, v)` in modules, origin at the top-left
/// module; the quiet zone and everything beyond are white (the label's paper), and modules are
/// box-filtered over `aa` modules for anti-aliasing. Returns reflectance 0 (ink) … 1 (paper).
struct Label {
    n: usize,
    dark: Vec<bool>,
    quiet: f32,
}

impl Label {
    fn at(&self, u: f32, v: f32) -> Option<f32> {
        let q = self.quiet;
        let n = self.n as f32;
        if u < -q || v < -q || u >= n + q || v >= n + q {
            return None; // off the label: background
        }
        if u < 0.0 || v < 0.0 || u >= n || v >= n {
            return Some(1.0);
        }
        let (x, y) = (u as usize, v as usize);
        Some(if self.dark[y * self.n + x] { 0.0 } else { 1.0 })
    }
}

/// How frame pixels map back onto the label.
enum Geometry {
    /// Frame → unit square over the label's module area (`[0,1]²` = the symbol).
    Plane(Homography),
    /// A can: axis through `(cx, cy)` along direction `axis` (unit), radius `r` px; the
    /// symbol's centre faces the camera; `arc` = symbol width / radius.
    Cylinder {
        cx: f32,
        cy: f32,
        axis: [f32; 2],
        r: f32,
        arc: f32,
        height: f32,
    },
}

const W: usize = 640;
const H: usize = 480;

/// Generates the `index`-th frame of `category` for `seed`.
pub fn sample(category: Category, seed: u64, index: u64) -> Sample {
    let mut rng = Rng::new(
        seed ^ (category as u64 + 1).wrapping_mul(0x51_7cc1_b727_220a)
            ^ index.wrapping_mul(0x2545_f491_4f6c_dd1d),
    );
    let text = digital_link(&mut rng);
    let (n, dark) = qr_modules(&text);
    let label = Label {
        n,
        dark,
        quiet: 4.0,
    };
    let nf = n as f32;

    // Module size in frame pixels and placement.
    let module = match category {
        Category::Jpeg30 => rng.range(2.3, 3.2),
        Category::Cylinder => rng.range(5.0, 7.0),
        Category::Perspective | Category::Combined => rng.range(4.5, 7.0),
        _ => rng.range(3.5, 6.0),
    };
    let side = nf * module; // symbol side in px
    let cx = W as f32 / 2.0 + rng.range(-0.1, 0.1) * W as f32;
    let cy = H as f32 / 2.0 + rng.range(-0.1, 0.1) * H as f32;
    let rot = rng.range(0.0, std::f32::consts::TAU);

    let geometry = match category {
        Category::Perspective | Category::Combined => {
            let tilt = if category == Category::Perspective {
                rng.range(35.0, 60.0)
            } else {
                rng.range(20.0, 40.0)
            }
            .to_radians();
            let axis = rng.range(0.0, std::f32::consts::PI);
            plane(cx, cy, side, rot, tilt, axis, rng.range(1.6, 3.0))
        }
        Category::Cylinder => {
            let arc = rng.range(70.0, 130.0).to_radians();
            let r = side / arc;
            let a = rng.range(-0.35, 0.35)
                + if rng.int(0, 1) == 0 {
                    0.0
                } else {
                    std::f32::consts::FRAC_PI_2
                };
            Geometry::Cylinder {
                cx,
                cy,
                axis: [a.sin(), a.cos()],
                r,
                arc,
                height: side,
            }
        }
        _ => plane(cx, cy, side, rot, 0.0, 0.0, 100.0),
    };

    // Photometry: ink and paper levels, background.
    let (ink, paper) = match category {
        Category::LowContrast => {
            let mid = rng.range(90.0, 170.0);
            let d = rng.range(6.0, 15.0);
            (mid - d, mid + d)
        }
        Category::Combined => {
            let mid = rng.range(100.0, 150.0);
            let d = rng.range(25.0, 40.0);
            (mid - d, mid + d)
        }
        _ => (rng.range(15.0, 50.0), rng.range(190.0, 235.0)),
    };
    let bg_a = rng.range(40.0, 200.0);
    let bg_b = rng.range(40.0, 200.0);
    let bg_dir = rng.range(0.0, std::f32::consts::TAU);

    let mut img = vec![0f32; W * H];
    const SS: usize = 3; // supersampling per axis
    for y in 0..H {
        for x in 0..W {
            let mut acc = 0.0;
            for sy in 0..SS {
                for sx in 0..SS {
                    let fx = x as f32 + (sx as f32 + 0.5) / SS as f32;
                    let fy = y as f32 + (sy as f32 + 0.5) / SS as f32;
                    acc += shade(&geometry, &label, fx, fy, ink, paper).unwrap_or_else(|| {
                        let t =
                            ((fx * bg_dir.cos() + fy * bg_dir.sin()) / W as f32).clamp(0.0, 1.0);
                        bg_a * (1.0 - t) + bg_b * t
                    });
                }
            }
            img[y * W + x] = acc / (SS * SS) as f32;
        }
    }
    // Background texture (cardboard / print): coarse value noise.
    let tex = rng.range(4.0, 14.0);
    let cell = 9usize;
    let gw = W / cell + 2;
    let grid: Vec<f32> = (0..gw * (H / cell + 2))
        .map(|_| rng.normal() * tex)
        .collect();
    for y in 0..H {
        for x in 0..W {
            if shade(&geometry, &label, x as f32 + 0.5, y as f32 + 0.5, 0.0, 0.0).is_none() {
                img[y * W + x] += grid[(y / cell) * gw + x / cell];
            }
        }
    }

    let corners = geometry_corners(&geometry, nf);
    let module_px = module;
    match category {
        Category::Blur => gaussian(&mut img, module_px * rng.range(0.35, 0.6)),
        Category::Combined => gaussian(&mut img, module_px * rng.range(0.2, 0.35)),
        _ => gaussian(&mut img, 0.5),
    }
    if matches!(category, Category::Glare | Category::Combined) {
        // Specular highlight: an elongated saturating spot over the symbol.
        let (gx, gy) = lerp_quad(&corners, rng.range(0.2, 0.8), rng.range(0.2, 0.8));
        let s1 = side * rng.range(0.12, 0.22);
        let s2 = s1 * rng.range(1.0, 2.5);
        let a = rng.range(0.0, std::f32::consts::PI);
        let amp = if category == Category::Glare {
            rng.range(220.0, 330.0)
        } else {
            rng.range(90.0, 150.0)
        };
        for y in 0..H {
            for x in 0..W {
                let (dx, dy) = (x as f32 - gx, y as f32 - gy);
                let (u, v) = (dx * a.cos() + dy * a.sin(), -dx * a.sin() + dy * a.cos());
                let e = (-(u * u) / (2.0 * s2 * s2) - (v * v) / (2.0 * s1 * s1)).exp();
                img[y * W + x] += amp * e;
            }
        }
    }
    if category == Category::Occlusion {
        // An opaque ellipse (fingertip) or rectangle (sticker) over 10-20% of the symbol area.
        let frac = rng.range(0.10, 0.20);
        let area = frac * side * side;
        let aspect = rng.range(0.5, 2.0);
        let (a, b) = (
            (area * aspect / std::f32::consts::PI).sqrt(),
            (area / aspect / std::f32::consts::PI).sqrt(),
        );
        let (ox, oy) = lerp_quad(&corners, rng.range(0.25, 0.75), rng.range(0.25, 0.75));
        let ang = rng.range(0.0, std::f32::consts::PI);
        let tone = rng.range(90.0, 180.0);
        let ellipse = rng.int(0, 1) == 0;
        for y in 0..H {
            for x in 0..W {
                let (dx, dy) = (x as f32 - ox, y as f32 - oy);
                let (u, v) = (
                    dx * ang.cos() + dy * ang.sin(),
                    -dx * ang.sin() + dy * ang.cos(),
                );
                let inside = if ellipse {
                    (u / a).powi(2) + (v / b).powi(2) <= 1.0
                } else {
                    u.abs() <= a * 0.886 && v.abs() <= b * 0.886
                };
                if inside {
                    img[y * W + x] = tone + 6.0 * ((x / 3 + y / 5) % 3) as f32;
                }
            }
        }
    }
    let noise = match category {
        Category::LowContrast => rng.range(1.5, 3.0),
        Category::Combined => rng.range(3.0, 6.0),
        _ => rng.range(2.0, 5.0),
    };
    let mut luma: Vec<u8> = img
        .iter()
        .map(|&v| (v + noise * rng.normal()).clamp(0.0, 255.0) as u8)
        .collect();
    match category {
        Category::Jpeg30 => luma = jpeg(&luma, 30),
        Category::Combined => luma = jpeg(&luma, 40),
        _ => {}
    }
    Sample {
        category,
        width: W as u32,
        height: H as u32,
        luma,
        text,
        corners,
    }
}

fn plane(cx: f32, cy: f32, side: f32, rot: f32, tilt: f32, axis: f32, dist_sides: f32) -> Geometry {
    // Symbol corners in its own plane (centred, px), rotated in-plane, tilted about `axis`, and
    // projected by a pinhole camera `dist_sides` symbol sides away (focal length = distance, so
    // the untilted symbol keeps its size).
    let d = f64::from(side * dist_sides);
    let half = f64::from(side) / 2.0;
    let (sr, cr) = (f64::from(rot).sin(), f64::from(rot).cos());
    let (ax, ay) = (f64::from(axis).cos(), f64::from(axis).sin());
    let (st, ct) = (f64::from(tilt).sin(), f64::from(tilt).cos());
    let project = |u: f64, v: f64| -> [f64; 2] {
        let (x, y) = (u * cr - v * sr, u * sr + v * cr);
        // Rodrigues rotation about the in-plane axis (ax, ay, 0).
        let dot = x * ax + y * ay;
        let (px, py, pz) = (
            x * ct + ax * dot * (1.0 - ct),
            y * ct + ay * dot * (1.0 - ct),
            (ax * y - ay * x) * st,
        );
        let z = d + pz;
        [f64::from(cx) + d * px / z, f64::from(cy) + d * py / z]
    };
    let quad = [
        project(-half, -half),
        project(half, -half),
        project(half, half),
        project(-half, half),
    ];
    Geometry::Plane(Homography::square_to_quad(quad).inverse())
}

/// Reflectance-to-grey of the label at frame point `(x, y)`, `None` off the label.
fn shade(g: &Geometry, label: &Label, x: f32, y: f32, ink: f32, paper: f32) -> Option<f32> {
    let n = label.n as f32;
    let (u, v, light) = match *g {
        Geometry::Plane(h) => {
            let (s, t) = h.map(f64::from(x), f64::from(y));
            (s as f32 * n, t as f32 * n, 1.0)
        }
        Geometry::Cylinder {
            cx,
            cy,
            axis,
            r,
            arc,
            height,
        } => {
            // Coordinates across (a) and along (b) the can's axis.
            let (dx, dy) = (x - cx, y - cy);
            let b = dx * axis[0] + dy * axis[1];
            let a = dx * axis[1] - dy * axis[0];
            if a.abs() >= r {
                return None;
            }
            let phi = (a / r).asin(); // 0 faces the camera
            let s = phi / arc + 0.5; // 0..1 across the symbol
            let t = b / height + 0.5;
            (s * n, t * n, 0.55 + 0.45 * phi.cos())
        }
    };
    let refl = label.at(u, v)?;
    Some((ink + (paper - ink) * refl) * light)
}

fn geometry_corners(g: &Geometry, n: f32) -> [[f32; 2]; 4] {
    let unit = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)];
    match *g {
        Geometry::Plane(h) => {
            let f = h.inverse();
            unit.map(|(s, t)| {
                let (x, y) = f.map(s, t);
                [x as f32, y as f32]
            })
        }
        Geometry::Cylinder {
            cx,
            cy,
            axis,
            r,
            arc,
            height,
        } => unit.map(|(s, t)| {
            let phi = (s as f32 - 0.5) * arc;
            let a = r * phi.sin();
            let b = (t as f32 - 0.5) * height;
            let _ = n;
            [
                cx + b * axis[0] + a * axis[1],
                cy + b * axis[1] - a * axis[0],
            ]
        }),
    }
}

fn lerp_quad(c: &[[f32; 2]; 4], s: f32, t: f32) -> (f32, f32) {
    let top = [
        c[0][0] + (c[1][0] - c[0][0]) * s,
        c[0][1] + (c[1][1] - c[0][1]) * s,
    ];
    let bot = [
        c[3][0] + (c[2][0] - c[3][0]) * s,
        c[3][1] + (c[2][1] - c[3][1]) * s,
    ];
    (
        top[0] + (bot[0] - top[0]) * t,
        top[1] + (bot[1] - top[1]) * t,
    )
}

/// Separable Gaussian blur in place.
fn gaussian(img: &mut [f32], sigma: f32) {
    if sigma < 0.3 {
        return;
    }
    let r = (3.0 * sigma).ceil() as isize;
    let k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|v| v / sum).collect();
    let mut tmp = vec![0f32; img.len()];
    for y in 0..H {
        for x in 0..W {
            let mut a = 0.0;
            for (i, kv) in k.iter().enumerate() {
                let xx = (x as isize + i as isize - r).clamp(0, W as isize - 1) as usize;
                a += kv * img[y * W + xx];
            }
            tmp[y * W + x] = a;
        }
    }
    for y in 0..H {
        for x in 0..W {
            let mut a = 0.0;
            for (i, kv) in k.iter().enumerate() {
                let yy = (y as isize + i as isize - r).clamp(0, H as isize - 1) as usize;
                a += kv * tmp[yy * W + x];
            }
            img[y * W + x] = a;
        }
    }
}

/// JPEG round trip at `quality` through the `image` crate's encoder and decoder.
fn jpeg(luma: &[u8], quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    image::ImageEncoder::write_image(enc, luma, W as u32, H as u32, image::ExtendedColorType::L8)
        .expect("JPEG encoding of a valid buffer");
    image::load_from_memory_with_format(&out, image::ImageFormat::Jpeg)
        .expect("own JPEG decodes")
        .to_luma8()
        .into_raw()
}

/// The whole set: `per_category` frames of every category.
pub fn stress_set(seed: u64, per_category: u64) -> Vec<Sample> {
    Category::ALL
        .iter()
        .flat_map(|&c| (0..per_category).map(move |i| sample(c, seed, i)))
        .collect()
}

/// Encodes a frame as PNG (to look at a sample).
pub fn to_png(s: &Sample) -> Vec<u8> {
    png(s.width, s.height, &s.luma)
}

/// A sheet of many labels in one image.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub width: u32,
    pub height: u32,
    /// 8-bit grayscale, row-major.
    pub luma: Vec<u8>,
    /// The payload of every label, row by row.
    pub texts: Vec<String>,
}

impl Sheet {
    /// Encodes the sheet as PNG (a flat sheet compresses to about 1 MB at 6840×6840).
    pub fn to_png(&self) -> Vec<u8> {
        png(self.width, self.height, &self.luma)
    }
}

/// `cols × cols` clean labels of `px × px` pixels each (the symbol at error correction Q with
/// its 4-module quiet zone, scaled to fill the label), each a Digital Link with its own serial
/// (`https://id.gs1.org/01/09506000134352/21/S<i>`). A print proof of a sheet of labels, and the
/// shape of an image that makes a decoder work hard: hundreds of symbols in one frame.
pub fn sheet(cols: usize, px: usize) -> Sheet {
    labels(cols, px, false)
}

/// [`sheet`] with a third of every symbol's data modules inverted: finder, timing, alignment
/// and format patterns intact, so detectors locate every symbol, and no symbol decodes. The
/// worst case for the retry passes, which try hardest on symbols they locate but cannot read.
pub fn damaged_sheet(cols: usize, px: usize) -> Sheet {
    labels(cols, px, true)
}

fn labels(cols: usize, px: usize, damaged: bool) -> Sheet {
    let side = cols * px;
    let mut luma = vec![255u8; side * side];
    let texts: Vec<String> = (0..cols * cols)
        .map(|i| format!("https://id.gs1.org/01/09506000134352/21/S{i}"))
        .collect();
    for (i, text) in texts.iter().enumerate() {
        let (n, mut dark) = qr_modules(text);
        if damaged {
            for (k, d) in dark.iter_mut().enumerate() {
                let (x, y) = (k % n, k / n);
                *d ^= is_data_module(n, x, y) && (7 * x + 13 * y) % 3 == 0;
            }
        }
        let span = n + 8; // modules across the label, quiet zone included
        let (x0, y0) = ((i % cols) * px, (i / cols) * px);
        for y in 0..px {
            let v = (y * span / px).checked_sub(4).filter(|&v| v < n);
            for x in 0..px {
                let u = (x * span / px).checked_sub(4).filter(|&u| u < n);
                if let (Some(u), Some(v)) = (u, v) {
                    if dark[v * n + u] {
                        luma[(y0 + y) * side + x0 + x] = 0;
                    }
                }
            }
        }
    }
    Sheet {
        width: side as u32,
        height: side as u32,
        luma,
        texts,
    }
}

/// Outside the finder patterns with their separators and format information, the timing
/// patterns and the one alignment pattern of versions 2-6.
fn is_data_module(n: usize, x: usize, y: usize) -> bool {
    let corner = (y < 9 && (x < 9 || x + 8 >= n)) || (x < 9 && y + 8 >= n);
    let align = n > 21 && x.abs_diff(n - 7) <= 2 && y.abs_diff(n - 7) <= 2;
    !(corner || align || x == 6 || y == 6)
}

fn png(width: u32, height: u32, luma: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut out),
        luma,
        width,
        height,
        image::ExtendedColorType::L8,
    )
    .expect("PNG encoding of a valid buffer");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_valid_payloads() {
        let a = sample(Category::Combined, 7, 3);
        let b = sample(Category::Combined, 7, 3);
        assert_eq!(a.luma, b.luma);
        assert_eq!(a.text, b.text);
        assert_ne!(sample(Category::Combined, 7, 4).text, a.text);
        let dl = tally_gs1::DigitalLink::parse(&a.text).expect("valid Digital Link");
        assert_eq!(dl.canonical_uri(), a.text);
    }
}
