//! Containing third-party panics.
//!
//! rqrr 0.11 asserts inside `detect_grids` on some images (upstream WanzenBug/rqrr#54) and the
//! zxing-cpp wrapper `panic!`s on a few internal error paths, so every call into a decoder runs
//! under [`std::panic::catch_unwind`]. A caught panic still prints its message through the panic
//! hook, which is process-global; so the first call installs, once, a hook that stays silent
//! while *this thread* is inside a decoder (a thread-local flag) and hands every other panic to
//! the hook that was there before. Other threads and the application's own panics are untouched.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static INSIDE: Cell<u32> = const { Cell::new(0) };
}

static HOOK: Once = Once::new();

fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if INSIDE.with(Cell::get) == 0 {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into `None` without printing it.
pub(crate) fn contain<T>(f: impl FnOnce() -> T) -> Option<T> {
    install_hook();
    INSIDE.with(|c| c.set(c.get() + 1));
    let r = panic::catch_unwind(AssertUnwindSafe(f));
    INSIDE.with(|c| c.set(c.get() - 1));
    r.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_none_and_values_pass_through() {
        assert_eq!(contain(|| 7), Some(7));
        assert_eq!(contain(|| -> u8 { panic!("third-party bug") }), None);
        // Nested use keeps the counter balanced.
        assert_eq!(
            contain(|| contain(|| -> u8 { panic!("inner") })),
            Some(None)
        );
        assert_eq!(INSIDE.with(Cell::get), 0);
    }
}
