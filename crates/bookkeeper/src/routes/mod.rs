//! The HTTP interface: one module per concern, assembled into one router.

mod lookup;
mod reads;
mod submit;
mod witness;

use crate::serve::{fair_submissions, Submissions};
use crate::shared::Shared;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

pub(crate) use submit::MAX_BUNDLE_ENTRIES;

/// Every endpoint of a bookkeeper; at most `submissions_per_ip` submissions at once from one
/// address (see `serve`). A front end admits submissions for its sequencer and refuses witness
/// requests; a sequencer also takes its front ends' admitted entries (`/sequence`).
pub(crate) fn router(shared: Arc<Shared>, submissions_per_ip: usize, front_end: bool) -> Router {
    let reads = Router::new()
        .route("/checkpoint", get(reads::checkpoint))
        .route("/tile/{*path}", get(reads::tile))
        .route("/proof/inclusion", get(reads::inclusion))
        .route("/proof/consistency", get(reads::consistency))
        .route("/lookup", get(lookup::lookup))
        .route("/history", get(lookup::history))
        .route("/history/indices", get(lookup::history_indices))
        .route("/health", get(reads::health))
        .route("/metrics", get(reads::metrics))
        .route("/evidence", get(reads::evidence));
    let role = match front_end {
        true => Router::new().route("/add-checkpoint", post(crate::front::refuse)),
        false => Router::new()
            .route(
                "/add-checkpoint",
                post(witness::add_checkpoint)
                    .layer(DefaultBodyLimit::max(tally_witness::MAX_BODY_SIZE)),
            )
            .route(
                "/sequence",
                post(crate::front::sequence).layer(DefaultBodyLimit::max(SEQUENCE_BYTES)),
            ),
    };
    reads
        .merge(submissions(submissions_per_ip))
        .merge(role)
        .with_state(shared)
}

/// Most bytes of a `/sequence` body: a bundle's entries, base64, with their opened forms and keys.
const SEQUENCE_BYTES: usize = 4 * submit::MAX_BUNDLE_BYTES;

/// The submission endpoints.
fn submissions(submissions_per_ip: usize) -> Router<Arc<Shared>> {
    let fair = axum::middleware::from_fn_with_state(
        Submissions::new(submissions_per_ip),
        fair_submissions,
    );
    Router::new()
        .route(
            "/submit",
            post(submit::submit)
                .layer(DefaultBodyLimit::max(tally_trust::entry::MAX_ENTRY_BYTES))
                .layer(fair.clone()),
        )
        .route(
            "/submit-bundle",
            post(submit::submit_bundle)
                .layer(DefaultBodyLimit::max(submit::MAX_BUNDLE_BYTES))
                .layer(fair),
        )
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
