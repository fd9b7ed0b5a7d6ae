//! zxing-cpp 3.1 through the `zxing-cpp` crate (bundled, statically linked).

use super::{Engine, Found};
use crate::charset::Charset;
use crate::gray::Gray;
use zxingcpp::{BarcodeFormat, Binarizer, ImageFormat, ImageView, TextMode};

/// One way of running zxing-cpp.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pass {
    pub binarizer: Binarizer,
    pub try_harder: bool,
    pub try_downscale: bool,
    pub pure: bool,
}

impl Pass {
    /// zxing-cpp's own defaults (try harder, rotate, invert, downscale, local-average binarizer).
    pub const DEFAULT: Pass = Pass {
        binarizer: Binarizer::LocalAverage,
        try_harder: true,
        try_downscale: true,
        pure: false,
    };
    /// A single clean symbol on a quiet background (re-rendered grids).
    pub const PURE: Pass = Pass {
        binarizer: Binarizer::FixedThreshold,
        try_harder: false,
        try_downscale: false,
        pure: true,
    };
    /// Default detection over a global-histogram binarization (better on smooth gradients).
    pub const GLOBAL: Pass = Pass {
        binarizer: Binarizer::GlobalHistogram,
        try_harder: true,
        try_downscale: true,
        pure: false,
    };
}

fn version_of(b: &zxingcpp::Barcode) -> u8 {
    b.extra_with_key("Version").trim().parse().unwrap_or(0)
}

/// Reads every QR Code zxing-cpp finds in `g`. Decoder panics and errors give an empty list.
pub(crate) fn read(g: &Gray, pass: Pass) -> Vec<Found> {
    crate::guard::contain(|| read_inner(g, pass)).unwrap_or_default()
}

fn read_inner(g: &Gray, pass: Pass) -> Vec<Found> {
    let Ok(view) = ImageView::from_slice(&g.px, g.w, g.h, ImageFormat::Lum) else {
        return Vec::new();
    };
    let reader = zxingcpp::read()
        // Model 2 only: `QRCode` also enables Micro QR, whose M1 symbols carry no error
        // correction and turn noise into false reads on preprocessed frames.
        .formats([BarcodeFormat::QRCodeModel2])
        .try_harder(pass.try_harder)
        .try_rotate(true)
        .try_invert(true)
        .try_downscale(pass.try_downscale)
        .is_pure(pass.pure)
        .binarizer(pass.binarizer)
        .text_mode(TextMode::Plain)
        .max_number_of_symbols(255);
    let Ok(codes) = reader.from(view) else {
        return Vec::new();
    };
    codes
        .into_iter()
        .filter(|b| b.is_valid())
        .map(|b| {
            let p = b.position();
            let c = |q: zxingcpp::PointI| [q.x as f32, q.y as f32];
            Found {
                text: b.text(),
                bytes: b.bytes(),
                corners: [
                    c(p.top_left),
                    c(p.top_right),
                    c(p.bottom_right),
                    c(p.bottom_left),
                ],
                symbology: b.symbology_identifier(),
                charset: Charset::Decoder,
                engine: Engine::ZxingCpp,
                version: version_of(&b),
            }
        })
        .collect()
}
