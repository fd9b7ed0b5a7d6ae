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
/// address (see `serve`). A front end (`reads_only`) refuses every write with 503.
pub(crate) fn router(shared: Arc<Shared>, submissions_per_ip: usize, reads_only: bool) -> Router {
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
    let writes = match reads_only {
        true => Router::new()
            .route("/submit", post(crate::front::refuse))
            .route("/submit-bundle", post(crate::front::refuse))
            .route("/add-checkpoint", post(crate::front::refuse)),
        false => writes(submissions_per_ip),
    };
    reads.merge(writes).with_state(shared)
}

/// The endpoints that write: submissions and the witness's.
fn writes(submissions_per_ip: usize) -> Router<Arc<Shared>> {
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
        .route(
            "/add-checkpoint",
            post(witness::add_checkpoint)
                .layer(DefaultBodyLimit::max(tally_witness::MAX_BODY_SIZE)),
        )
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
