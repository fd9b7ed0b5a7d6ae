//! Mapping over many items on every core, and over few on this thread.
//!
//! A long history (a lot's thousand events) is checked on every core with rayon. Handing work to
//! rayon's pool costs a thread wake-up, about as much as a hundred proofs or a few events: a
//! phone's scan of a twenty-event history, made of several such maps, was a millisecond slower
//! for it. Below [`PARALLEL_FROM`] items the map runs here.

use rayon::prelude::*;

/// Fewest items worth handing to the pool.
pub const PARALLEL_FROM: usize = 128;

/// `items` mapped by `f`, in order.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    if items.len() < PARALLEL_FROM {
        items.iter().map(f).collect()
    } else {
        items.par_iter().map(f).collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn few_and_many_items_map_in_order() {
        for n in [0, 1, super::PARALLEL_FROM - 1, super::PARALLEL_FROM, 5_000] {
            let items: Vec<usize> = (0..n).collect();
            let doubled = super::map(&items, |i| 2 * i);
            assert_eq!(doubled, (0..n).map(|i| 2 * i).collect::<Vec<_>>());
        }
    }
}
