//! How much work the retry passes may do on one frame or file, and the one place this crate
//! reads the clock.
//!
//! The first pass always runs to completion; every retry pass, tile and located symbol after it
//! is started only while the [`Budget`] lasts, so an image built to be expensive (hundreds of
//! symbols, each tried through every resampling) costs the budget and not minutes. What was
//! decoded before the budget ran out is returned, with the [`Limit`] that cut the search short.

use std::time::{Duration, Instant};

/// The retry passes' allowance for one frame or file (see the crate docs for the figures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Wall-clock time from the start of the decoding. The first pass runs to completion even
    /// past it; the time is checked before every retry pass, between tiles and between located
    /// symbols, so a decoder call already running finishes (the overshoot is one call).
    pub time: Duration,
    /// How many located symbols per pass that no decoder reads as sampled are tried under the
    /// curved-surface and mesh models (about 15 hypotheses each); the rest are skipped.
    pub hard_symbols: usize,
}

impl Budget {
    /// For an image file or a photo: 2 s and 8 hard symbols per pass.
    pub const IMAGE: Budget = Budget {
        time: Duration::from_secs(2),
        hard_symbols: 8,
    };
    /// For a camera frame of a [`crate::Session`]: 30 ms (a frame's interval at 30 frames per
    /// second) and 2 hard symbols per pass.
    pub const FRAME: Budget = Budget {
        time: Duration::from_millis(30),
        hard_symbols: 2,
    };
}

impl Default for Budget {
    fn default() -> Self {
        Budget::IMAGE
    }
}

/// What cut a search short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Limit {
    /// [`Budget::time`] ran out before every retry pass had run.
    Time,
    /// A pass located more unread symbols than [`Budget::hard_symbols`].
    HardSymbols,
    /// A frame held too many finder patterns for rqrr's detector, whose grouping copies the
    /// whole frame for every candidate triple; it was not run (see `engine::rqrr`).
    Crowded,
}

/// A budget being spent: the clock since the decoding started and the first limit hit.
#[derive(Debug)]
pub(crate) struct Meter {
    start: Instant,
    budget: Budget,
    limit: Option<Limit>,
}

impl Meter {
    pub(crate) fn start(budget: Budget) -> Meter {
        Meter {
            start: Instant::now(),
            budget,
            limit: None,
        }
    }

    /// Whether the time is up; records [`Limit::Time`] when it is.
    pub(crate) fn out_of_time(&mut self) -> bool {
        let out = self.start.elapsed() >= self.budget.time;
        if out {
            self.hit(Limit::Time);
        }
        out
    }

    /// Records that `limit` cut the search short (the first one is kept).
    pub(crate) fn hit(&mut self, limit: Limit) {
        self.limit.get_or_insert(limit);
    }

    pub(crate) fn hard_symbols(&self) -> usize {
        self.budget.hard_symbols
    }

    pub(crate) fn limit(&self) -> Option<Limit> {
        self.limit
    }

    /// Time since the decoding started.
    pub(crate) fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_budget_is_out_of_time_and_keeps_the_first_limit() {
        let mut m = Meter::start(Budget {
            time: Duration::ZERO,
            hard_symbols: 0,
        });
        assert_eq!(m.limit(), None);
        m.hit(Limit::Crowded);
        assert!(m.out_of_time());
        assert_eq!(m.limit(), Some(Limit::Crowded));
        assert!(!Meter::start(Budget::IMAGE).out_of_time());
    }
}
