//! Scanner sessions over a camera's video frames.
//!
//! A phone camera gives 15-30 frames a second of the same label, each a little different (focus
//! hunting, hand shake, a highlight sliding over a glossy can). A [`Session`] uses that:
//!
//! * **Per-frame work is bounded**: each frame gets zxing-cpp's first pass and *one* retry pass,
//!   a different one on each frame ([`Strategy::Frame`](crate::Strategy::Frame)), so the whole
//!   retry list is covered over consecutive frames at the cost of about two passes per frame;
//!   frame fusion, the retry and the module voting run within [`SessionOptions::budget`]
//!   ([`Budget::FRAME`], 30 ms), each started only while the time lasts.
//! * **Frame fusion** (`fuse.rs`): a highlight slides over a glossy label as the hand tilts,
//!   while the print stays where it is on the label, so every part of the code is seen unlit in
//!   some frame even when no single frame shows all of it. A frame whose first pass reads nothing
//!   is kept (the last [`SessionOptions::frame_window`], 8 by default: a quarter of a second),
//!   registered to the previous kept frame (global translation, coarse to fine on a pyramid,
//!   saturated pixels ignored, grey levels matched for exposure changes); from the third kept
//!   frame on, the kept frames are aligned to the current one and combined per pixel by the
//!   minimum of their unsaturated samples (a highlight only adds light: the darkest aligned
//!   sample is the one it missed), and the first pass reads that fused frame before the frame's
//!   retry pass runs. What it reads is Reed-Solomon-checked like any other read, has the pass
//!   `zxing+frames` (pure Rust: `rqrr+frames`) and sets [`Read::fused`]. On 30-frame sequences
//!   synthesised from the 62 real photos the pipeline reads at 720 px (`benches/frames.rs`;
//!   hand shake, noise, a moving saturated highlight over the code), sessions read 53 of 62
//!   with fusion against 10 without it (and 12 when every frame gets the whole image pipeline
//!   with its 2 s), 54 against 12 with exposure swings too, no misread, a median of 4 frames to
//!   the read; on the controls (no highlight; motion blur) fusion changes nothing (61/61,
//!   50/50). It costs about 5 ms on an unread 720×540 frame (2 ms to keep and register it,
//!   1.5 ms to fuse 8, 1 ms for the first pass on the fused frame) and nothing on a frame whose
//!   first pass reads.
//! * **Module voting across frames**: when rqrr locates a symbol but Reed-Solomon cannot correct
//!   it, its sampled module grid is kept; once a few frames have given grids of the same size,
//!   each module takes the majority value and the fused grid is decoded. Damage that moves
//!   between frames (glare, noise, blur) is outvoted. It needs rqrr to locate the symbol in
//!   each frame, and sessions with it but without frame fusion read 10 of the 62 highlight
//!   sequences below.
//! * **Stops at the first confident GS1 read**: a payload that decoded with error correction and
//!   is a valid GS1 Digital Link or element string (check digits included) ends the session
//!   (optionally only after `agreement` frames gave the same text). Non-GS1 codes are reported
//!   in [`Session::last_codes`] but never end it.

use crate::budget::{Budget, Limit, Meter};
use crate::engine::{self, rqrr::Modules};
use crate::fuse::Frames;
use crate::gray::Gray;
use crate::pipeline;
use crate::{classify, Code, Payload, ScanError};
use std::collections::HashMap;
use std::time::Duration;

/// Tuning of a [`Session`].
#[derive(Debug, Clone, Copy)]
pub struct SessionOptions {
    /// How many frames must give the same GS1 text before it is reported (1: the first read).
    pub agreement: u32,
    /// How many recent undecodable grids of one size take part in a vote (≥ 3).
    pub fusion_window: usize,
    /// How many recent unread frames are registered and fused per pixel (see the module docs);
    /// below 2, frames are not fused.
    pub frame_window: usize,
    /// The retry work allowed per frame (default [`Budget::FRAME`]); module voting counts as
    /// retry work.
    pub budget: Budget,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            agreement: 1,
            fusion_window: 7,
            frame_window: FRAME_WINDOW,
            budget: Budget::FRAME,
        }
    }
}

/// A confident GS1 read.
#[derive(Debug, Clone)]
pub struct Read {
    /// The code as decoded.
    pub code: Code,
    /// Its classification (always [`Payload::DigitalLink`] or [`Payload::ElementString`]).
    pub payload: Payload,
    /// Frames pushed up to and including the one that completed the read.
    pub frames: u64,
    /// Whether it came from several frames (module voting, or frames fused per pixel: the
    /// code's `pass` ends in `+frames`) rather than from one frame.
    pub fused: bool,
}

/// A scanner session: push frames until one returns a [`Read`].
#[derive(Debug, Default)]
pub struct Session {
    options: SessionOptions,
    frames: u64,
    busy: Duration,
    votes: HashMap<String, u32>,
    grids: HashMap<usize, Vec<Modules>>,
    ring: Frames,
    last: Vec<Code>,
    last_limit: Option<Limit>,
    done: Option<Read>,
}

impl Session {
    /// A session with default options.
    pub fn new() -> Self {
        Session::default()
    }

    /// A session with the given options.
    pub fn with_options(options: SessionOptions) -> Self {
        Session {
            options,
            ..Session::default()
        }
    }

    /// Pushes an RGBA frame; returns the read once the session has one (and on every later
    /// frame until [`Session::reset`]).
    pub fn push_rgba(
        &mut self,
        width: u32,
        height: u32,
        rgba: &[u8],
    ) -> Result<Option<Read>, ScanError> {
        crate::check(width, height, rgba.len(), 4)?;
        Ok(self.push(Gray::from_interleaved(
            width as usize,
            height as usize,
            rgba,
            4,
        )))
    }

    /// Pushes an 8-bit grayscale frame; see [`Session::push_rgba`].
    pub fn push_luma(
        &mut self,
        width: u32,
        height: u32,
        luma: &[u8],
    ) -> Result<Option<Read>, ScanError> {
        crate::check(width, height, luma.len(), 1)?;
        Ok(self.push(Gray::new(width as usize, height as usize, luma.to_vec())))
    }

    fn push(&mut self, g: Gray) -> Option<Read> {
        if let Some(done) = &self.done {
            return Some(done.clone());
        }
        let mut meter = Meter::start(self.options.budget);
        let read = self.process(&g, &mut meter);
        self.busy += meter.elapsed();
        self.last_limit = meter.limit();
        if read.is_some() {
            self.done.clone_from(&read);
        }
        read
    }

    fn process(&mut self, g: &Gray, meter: &mut Meter) -> Option<Read> {
        self.frames += 1;
        let n = usize::try_from(self.frames - 1).unwrap_or(0);
        // The first pass on the frame; when it reads nothing, the fused recent frames; when
        // they read nothing either, this frame's retry pass (the time allowing).
        let mut hits = pipeline::first_pass(g, meter);
        let mut fused = false;
        if hits.is_empty() && self.options.frame_window >= 2 {
            self.ring.push(g, self.options.frame_window);
            if self.ring.len() >= MIN_FUSED && !meter.out_of_time() {
                if let Some(f) = self.ring.fused() {
                    hits = pipeline::first_pass(&f, meter);
                    for h in &mut hits {
                        h.pass = fused_name(h.pass);
                    }
                    fused = !hits.is_empty();
                }
            }
        }
        if hits.is_empty() && !meter.out_of_time() {
            hits = pipeline::frame_retry(g, n, meter);
        }
        self.last = hits
            .into_iter()
            .map(|h| crate::to_code(h.found, h.pass))
            .collect();
        for code in &self.last {
            let payload = code.payload();
            if !payload.is_gs1() {
                continue;
            }
            let v = self.votes.entry(code.aim_text()).or_insert(0);
            *v += 1;
            if *v >= self.options.agreement {
                return Some(Read {
                    code: code.clone(),
                    payload,
                    frames: self.frames,
                    fused,
                });
            }
        }
        if !self.last.is_empty() || meter.out_of_time() {
            return None;
        }
        self.fuse(g, meter)
    }

    /// Keeps the grids rqrr locates but cannot decode, and decodes their per-module majority.
    fn fuse(&mut self, g: &Gray, meter: &mut Meter) -> Option<Read> {
        let window = self.options.fusion_window.max(3);
        for m in engine::rqrr::grids(g, meter) {
            if meter.out_of_time() {
                break;
            }
            if let Some(found) = engine::rqrr::decode(&m) {
                let code = crate::to_code(found, "rqrr");
                let payload = code.payload();
                self.last.push(code.clone());
                if payload.is_gs1() {
                    return Some(Read {
                        code,
                        payload,
                        frames: self.frames,
                        fused: false,
                    });
                }
                continue;
            }
            let pool = self.grids.entry(m.size).or_default();
            pool.push(m);
            if pool.len() > window {
                pool.remove(0);
            }
            if pool.len() < 3 {
                continue;
            }
            let fused = majority(pool);
            if let Some(found) = engine::rqrr::decode(&fused) {
                let code = crate::to_code(found, "fusion");
                let payload = classify(&code.aim_text());
                self.last.push(code.clone());
                if payload.is_gs1() {
                    return Some(Read {
                        code,
                        payload,
                        frames: self.frames,
                        fused: true,
                    });
                }
            }
        }
        None
    }

    /// Frames pushed since the start or the last reset.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Frames processed per second of decoding time (the scanner's own throughput, excluding
    /// the time the camera takes to deliver frames). 0 before the first frame.
    pub fn frames_per_second(&self) -> f64 {
        let s = self.busy.as_secs_f64();
        if self.frames == 0 || s == 0.0 {
            0.0
        } else {
            self.frames as f64 / s
        }
    }

    /// Every code read in the last frame, GS1 or not.
    pub fn last_codes(&self) -> &[Code] {
        &self.last
    }

    /// What cut the last frame's retry work short, if anything.
    pub fn last_limit(&self) -> Option<Limit> {
        self.last_limit
    }

    /// The read, once there is one.
    pub fn result(&self) -> Option<&Read> {
        self.done.as_ref()
    }

    /// Forgets everything (frames, votes, grids, the read) for the next product.
    pub fn reset(&mut self) {
        *self = Session::with_options(self.options);
    }
}

/// Frames kept for per-pixel fusion by default: about a quarter of a second at 30 frames per
/// second, long enough for a highlight to slide off the modules it covers.
const FRAME_WINDOW: usize = 8;

/// Fewest kept frames that are fused.
const MIN_FUSED: usize = 3;

/// The pass name of a code read on fused frames.
fn fused_name(pass: &'static str) -> &'static str {
    if pass == "zxing" {
        "zxing+frames"
    } else {
        "rqrr+frames"
    }
}

/// Per-module majority of same-size grids; ties go to the most recent grid. The corners are
/// the most recent grid's.
fn majority(pool: &[Modules]) -> Modules {
    let last = pool.last().expect("pool is not empty");
    let n = pool.len();
    let dark = (0..last.dark.len())
        .map(|i| {
            let d = pool.iter().filter(|m| m.dark[i]).count();
            if 2 * d == n {
                last.dark[i]
            } else {
                2 * d > n
            }
        })
        .collect();
    Modules {
        size: last.size,
        dark,
        corners: last.corners,
        quad: last.quad,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_outvotes_damage_that_moves() {
        let truth: Vec<bool> = (0..441).map(|i| (i * 7 + i / 21) % 3 == 0).collect();
        let damaged = |k: usize| {
            let mut d = truth.clone();
            // A different third of the modules flipped in each frame.
            for (i, v) in d.iter_mut().enumerate() {
                if i % 3 == k {
                    *v = !*v;
                }
            }
            Modules {
                size: 21,
                dark: d,
                corners: [[0.0; 2]; 4],
                quad: [[0.0; 2]; 4],
            }
        };
        let fused = majority(&[damaged(0), damaged(1), damaged(2)]);
        assert_eq!(fused.dark, truth);
    }

    #[test]
    fn empty_frames_and_bad_buffers() {
        let mut s = Session::new();
        assert!(s.push_luma(64, 64, &[200; 64 * 64]).unwrap().is_none());
        assert_eq!(s.frames(), 1);
        assert!(s.frames_per_second() > 0.0);
        assert!(s.push_luma(64, 64, &[0; 10]).is_err());
        assert_eq!(s.frames(), 1);
        s.reset();
        assert_eq!(s.frames(), 0);
        assert_eq!(s.frames_per_second(), 0.0);
    }
}
