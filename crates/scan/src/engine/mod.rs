//! The two decoders behind one result type. Every call runs under [`crate::guard::contain`].

use crate::charset::Charset;

pub(crate) mod rqrr;
#[cfg(feature = "zxing")]
pub(crate) mod zxing;

/// Which decoder produced a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// zxing-cpp 3.1 (C++), the primary detector.
    ZxingCpp,
    /// rqrr 0.11 sampled and decoded the grid (pure Rust).
    Rqrr,
    /// rqrr located and sampled the grid; zxing-cpp decoded the sampled modules.
    RqrrGridZxing,
}

/// A decoded symbol in the coordinates of the image the engine saw.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub text: String,
    pub bytes: Vec<u8>,
    /// Top-left, top-right, bottom-right, bottom-left outer corners of the symbol.
    pub corners: [[f32; 2]; 4],
    /// AIM symbology identifier (`]Q1`, `]Q3`, …), empty if the engine cannot tell.
    pub symbology: String,
    pub charset: Charset,
    pub engine: Engine,
    /// Symbol version (1-40), 0 if unknown.
    pub version: u8,
}
