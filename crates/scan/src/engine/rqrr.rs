//! rqrr 0.11 (pure Rust): capstone detection, grid sampling and decoding.
//!
//! Grids are copied out of rqrr as plain module matrices ([`Modules`]) so they can be decoded
//! by rqrr, re-read by zxing-cpp (which handles ECI, FNC1/GS1 and charsets that rqrr rejects),
//! or fused across video frames.

use super::{Engine, Found};
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

/// Locates and samples every grid rqrr finds; rqrr's own adaptive threshold, or `binary`
/// (`true` = dark) when the caller has binarized the image itself.
pub(crate) fn grids(g: &Gray, binary: Option<&[bool]>) -> Vec<Modules> {
    crate::guard::contain(|| {
        let mut img = match binary {
            Some(b) => rqrr::PreparedImage::prepare_from_bitmap(g.w, g.h, |x, y| b[y * g.w + x]),
            None => rqrr::PreparedImage::prepare_from_greyscale(g.w, g.h, |x, y| g.px[y * g.w + x]),
        };
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
