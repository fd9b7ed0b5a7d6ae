//! c2sp.org/tlog-tiles resource paths and entry bundles.
//!
//! `tlog_tiles` 0.2 prints Go's older `tile/8/L/N` paths, so the C2SP forms are written here:
//! `tile/<L>/<N>[.p/<W>]` for hash tiles and `tile/entries/<N>[.p/<W>]` for entry bundles, where N is
//! split into 3-digit groups, all but the last prefixed by `x` (1234067 → `x001/x234/067`).

use thiserror::Error;

/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u32 = 256;

/// What a tile path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TileKind {
    /// A hash tile at this level (0 = leaf hashes).
    Hashes(u8),
    /// An entry bundle.
    Entries,
}

/// A parsed tile path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TilePath {
    pub kind: TileKind,
    /// Tile index within its level.
    pub index: u64,
    /// Number of hashes or entries: 1..=256; 256 is a full tile.
    pub width: u32,
}

/// A path that is not a C2SP tile path.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("not a tlog-tiles path: {0:?}")]
pub struct BadTilePath(pub String);

/// Writes `N` as 3-digit groups, each but the last prefixed with `x`.
fn encode_index(mut n: u64) -> String {
    let mut out = format!("{:03}", n % 1000);
    while n >= 1000 {
        n /= 1000;
        out = format!("x{:03}/{out}", n % 1000);
    }
    out
}

impl TilePath {
    /// The path relative to the log prefix, e.g. `tile/0/x001/234.p/7`.
    pub fn path(&self) -> String {
        let level = match self.kind {
            TileKind::Hashes(l) => l.to_string(),
            TileKind::Entries => "entries".to_owned(),
        };
        let partial = if self.width == TILE_WIDTH {
            String::new()
        } else {
            format!(".p/{}", self.width)
        };
        format!("tile/{level}/{}{partial}", encode_index(self.index))
    }

    /// Entry bundle `n` as it stands in the tree of `size` leaves: full, or partial if it is the
    /// last (`n` must be below `size.div_ceil(256)`).
    pub fn bundle(n: u64, size: u64) -> Self {
        let width = u64::from(TILE_WIDTH);
        TilePath {
            kind: TileKind::Entries,
            index: n,
            // At most 256, so the conversion cannot fail.
            width: u32::try_from(size.saturating_sub(n * width).min(width)).unwrap_or(TILE_WIDTH),
        }
    }

    /// Whether the tile is full: full tiles never change and can be cached forever.
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// Parses a path produced by [`TilePath::path`]; rejects every other spelling, so that one tile has
    /// exactly one URL (and one cache entry).
    pub fn parse(path: &str) -> Result<Self, BadTilePath> {
        let bad = || BadTilePath(path.chars().take(80).collect());
        let rest = path.strip_prefix("tile/").ok_or_else(bad)?;
        let (level, rest) = rest.split_once('/').ok_or_else(bad)?;
        let kind = if level == "entries" {
            TileKind::Entries
        } else {
            let l: u8 = parse_decimal(level).ok_or_else(bad)?;
            if l > 63 {
                return Err(bad());
            }
            TileKind::Hashes(l)
        };
        let (groups, width) = match rest.split_once(".p/") {
            Some((g, w)) => {
                let w: u32 = parse_decimal(w).ok_or_else(bad)?;
                if w == 0 || w >= TILE_WIDTH {
                    return Err(bad());
                }
                (g, w)
            }
            None => (rest, TILE_WIDTH),
        };
        let parts: Vec<&str> = groups.split('/').collect();
        let (last, init) = parts.split_last().ok_or_else(bad)?;
        let mut index: u64 = 0;
        for (i, g) in init
            .iter()
            .map(|g| g.strip_prefix('x'))
            .chain([Some(*last)])
            .enumerate()
        {
            let g = g.ok_or_else(bad)?;
            if g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let v: u64 = g.parse().map_err(|_| bad())?;
            // A leading group of 000 would give a second spelling of the same index.
            if i == 0 && v == 0 && !init.is_empty() {
                return Err(bad());
            }
            index = index
                .checked_mul(1000)
                .and_then(|x| x.checked_add(v))
                .ok_or_else(bad)?;
        }
        Ok(Self { kind, index, width })
    }
}

/// Parses a canonical decimal (no sign, no leading zeros).
fn parse_decimal<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// Encodes entries as an entry bundle: each entry prefixed by its 2-byte big-endian length.
///
/// Returns `None` if an entry is longer than 65,535 bytes (the format cannot carry it).
pub fn encode_entry_bundle<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&u16::try_from(e.len()).ok()?.to_be_bytes());
        out.extend_from_slice(e);
    }
    Some(out)
}

/// Splits an entry bundle back into entries; `None` if it is truncated.
pub fn decode_entry_bundle(mut data: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (len, rest) = data.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_be_bytes(*len));
        if rest.len() < len {
            return None;
        }
        let (entry, rest) = rest.split_at(len);
        out.push(entry);
        data = rest;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_paths() {
        let t = TilePath {
            kind: TileKind::Hashes(0),
            index: 1234067,
            width: 256,
        };
        assert_eq!(t.path(), "tile/0/x001/x234/067");
        let e = TilePath {
            kind: TileKind::Entries,
            index: 7,
            width: 3,
        };
        assert_eq!(e.path(), "tile/entries/007.p/3");
        for p in [t, e] {
            assert_eq!(TilePath::parse(&p.path()), Ok(p));
        }
    }

    #[test]
    fn rejects_second_spellings() {
        for p in [
            "tile/0/67",
            "tile/0/x000/067",
            "tile/00/067",
            "tile/0/067.p/256",
            "tile/0/067.p/0",
            "tile/0/067.p/07",
            "tile/8/0/067",
            "tile/64/000",
            "tile/0/x1/067",
            "tile/entries/",
            "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
        ] {
            assert!(TilePath::parse(p).is_err(), "{p}");
        }
    }

    #[test]
    fn entry_bundles_round_trip() {
        let entries: Vec<&[u8]> = vec![b"a", b"", b"hello"];
        let b = encode_entry_bundle(entries.iter().copied()).unwrap();
        assert_eq!(b, b"\x00\x01a\x00\x00\x00\x05hello");
        assert_eq!(decode_entry_bundle(&b), Some(entries));
        assert_eq!(decode_entry_bundle(&b[..b.len() - 1]), None);
    }
}
