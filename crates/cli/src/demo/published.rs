//! The demo's dishonest operator, when its bookkeeper publishes its reads (`--publish`, to a
//! directory or an S3 bucket): clients read entries from the published entry bundles, so that is
//! where it rewrites one.

use crate::error::{CliError, CliResult};
use std::path::Path;
use std::sync::Arc;
use tally_bookkeeper::local;
use tally_bookkeeper::publish::Sink;
use tally_tlog::tiles::{decode_entry_bundle, encode_entry_bundle, TileKind, TilePath, TILE_WIDTH};

/// The published objects of one node as they were before the operator rewrote them.
pub(super) struct Original {
    sink: Option<Arc<dyn Sink>>,
    objects: Vec<(String, Vec<u8>)>,
}

/// Replaces entry `index` with `forged` in every bundle of `node` that holds it (the full
/// bundle and each partial one), if `node` publishes; returns the objects as they were.
pub(super) fn rewrite(net: &Path, node: &str, index: u64, forged: &[u8]) -> CliResult<Original> {
    let config = tally_bookkeeper::Config::load(&local::config_path(net, node))
        .map_err(CliError::bad_input)?;
    let Some(target) = config.publish else {
        return Ok(Original {
            sink: None,
            objects: Vec::new(),
        });
    };
    let sink = tally_bookkeeper::publish::open(&target).map_err(CliError::bad_input)?;
    let failed = |path: &str, e: &dyn std::fmt::Display| {
        CliError::bad_input(format!("{target}/{path}: {e}"))
    };
    let width = u64::from(TILE_WIDTH);
    let at = (index % width) as usize;
    let mut objects = Vec::new();
    for w in (at as u32 + 1)..=TILE_WIDTH {
        let path = TilePath {
            kind: TileKind::Entries,
            index: index / width,
            width: w,
        }
        .path();
        let Some(original) = sink.get(&path).map_err(|e| failed(&path, &e))? else {
            continue;
        };
        let mut entries: Vec<&[u8]> =
            decode_entry_bundle(&original).ok_or_else(|| failed(&path, &"not an entry bundle"))?;
        entries[at] = forged;
        let bundle =
            encode_entry_bundle(entries).ok_or_else(|| failed(&path, &"entry too long"))?;
        sink.put(&path, &bundle).map_err(|e| failed(&path, &e))?;
        objects.push((path, original));
    }
    Ok(Original {
        sink: Some(sink),
        objects,
    })
}

/// Puts the objects back.
pub(super) fn restore(original: Original) -> CliResult {
    let Some(sink) = original.sink else {
        return Ok(());
    };
    for (path, bytes) in original.objects {
        sink.put(&path, &bytes)
            .map_err(|e| CliError::bad_input(format!("{path}: {e}")))?;
    }
    Ok(())
}
