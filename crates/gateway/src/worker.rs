//! The worker: signs, seals and queues each captured job's events, flushes the outbox to every
//! bookkeeper, and notes what each one refused. It runs beside the routes and picks up, after a
//! restart, every job that was acknowledged but not yet queued or not yet delivered.

use crate::jobs::{Behaviour, Job, JobEvent, Outcome};
use crate::{GatewayError, Shared};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;
use tally_client::capture::{take_event_labels, Handoff};
use tally_client::outbox::CapturedEvent;
use tally_client::state::Delivery;

/// How often the outbox is flushed while a job is still being delivered.
const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// How old the registry a job's events are sealed for may be (see [`refresh_directory`]).
const DIRECTORY_AGE: Duration = Duration::from_secs(60);

/// Where one captured event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Stored, not yet signed.
    Pending,
    /// Could not be signed or sealed: see its error.
    Invalid,
    /// Not queued: another event of its `rollback` job was invalid.
    RolledBack,
    /// Queued; some bookkeeper has not answered yet.
    Sending,
    /// Every bookkeeper receipted it.
    Logged,
    /// Some bookkeeper refused it (the others answered).
    Refused,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Invalid => "invalid",
            Status::RolledBack => "rolled_back",
            Status::Sending => "sending",
            Status::Logged => "logged",
            Status::Refused => "refused",
        }
    }

    /// Whether nothing more will happen to it.
    pub fn is_final(self) -> bool {
        !matches!(self, Status::Pending | Status::Sending)
    }
}

/// Where `event` stands, given its deliveries.
pub fn status(event: &JobEvent, deliveries: &[Delivery]) -> Status {
    if event.error.is_some() {
        return Status::Invalid;
    }
    let Some(_) = &event.leaf else {
        return match event.event.is_empty() {
            true => Status::RolledBack,
            false => Status::Pending,
        };
    };
    let refused = |d: &Delivery| {
        (event.refused.as_deref()).is_some_and(|r| {
            r.lines()
                .any(|l| l.starts_with(&format!("{}: ", d.bookkeeper)))
        })
    };
    let answered = deliveries.iter().all(|d| d.receipt.is_some() || refused(d));
    match (answered, event.refused.is_some()) {
        (false, _) => Status::Sending,
        (true, false) => Status::Logged,
        (true, true) => Status::Refused,
    }
}

/// Runs the worker's two loops side by side: one signs, seals and queues the jobs that arrive,
/// the other sends the outbox to the bookkeepers. Side by side, the bookkeepers admit one job's
/// events while the next job is being signed (one after the other, a 50,000-event capture spent
/// a fifth of its time signing while every bookkeeper waited).
pub(crate) async fn run(shared: Arc<Shared>) {
    tokio::join!(
        repeat(&shared.wake, || queue_all(&shared)),
        repeat(&shared.queued, || send(&shared)),
    );
}

/// Runs `work` now, then again whenever `wake` is notified or [`FLUSH_EVERY`] has passed.
async fn repeat<F, W>(wake: &tokio::sync::Notify, mut work: W)
where
    W: FnMut() -> F,
    F: std::future::Future<Output = Result<(), GatewayError>>,
{
    loop {
        if let Err(e) = work().await {
            tracing::warn!("gateway worker: {e}");
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(FLUSH_EVERY) => {}
        }
    }
}

/// Queues every pending job, oldest first, waking the sender after each.
async fn queue_all(shared: &Arc<Shared>) -> Result<(), GatewayError> {
    // A job waits until the registry could be read once: sealed for no recipient, every
    // bookkeeper would refuse its events.
    if shared.jobs.has_pending()? && !refresh_directory(shared).await {
        return Ok(());
    }
    loop {
        let s = shared.clone();
        let queued = tokio::task::spawn_blocking(move || queue_next(&s))
            .await
            .map_err(|e| GatewayError::Worker(e.to_string()))??;
        if !queued {
            return Ok(());
        }
        shared.queued.notify_one();
    }
}

/// Flushes the outbox while some job is unfinished, notes refusals and finishes the jobs whose
/// every event is final.
async fn send(shared: &Arc<Shared>) -> Result<(), GatewayError> {
    let unfinished = shared.jobs.unfinished()?;
    if unfinished.is_empty() {
        return Ok(());
    }
    let report = shared.client.flush(now()).await?;
    for b in &report.bookkeepers {
        for leaf in &b.refused {
            let why = refusal(shared, leaf, &b.bookkeeper)?;
            shared.jobs.refused(leaf, &b.bookkeeper, &why)?;
        }
    }
    for job in shared.jobs.unfinished()? {
        if all_final(shared, &job)? {
            shared.jobs.finish(job.seq, now())?;
        }
    }
    Ok(())
}

/// Reads the registry again when the last read is older than [`DIRECTORY_AGE`]: a sealed event
/// must be wrapped for every recipient entitled to it, and bookkeepers refuse one that is not
/// (`recipients_mismatch`), so the events of a job are sealed for a registry read recently. When
/// too few bookkeepers answer, the last registry read stands. Whether there is one at all.
pub(crate) async fn refresh_directory(shared: &Shared) -> bool {
    let last = *shared
        .directory_read
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if last.is_some_and(|t| t.elapsed() < DIRECTORY_AGE) {
        return true;
    }
    match shared.client.directory(now()).await {
        Ok(d) if d.live => {
            *shared
                .directory_read
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = Some(std::time::Instant::now());
            return true;
        }
        Ok(_) => {
            tracing::warn!("too few bookkeepers served the registry; sealing for the last read")
        }
        Err(e) => tracing::warn!("the registry could not be read: {e}"),
    }
    matches!(shared.client.cached_directory(), Ok(Some(_)))
}

/// Queues the oldest pending job's events; false if there was none.
fn queue_next(shared: &Shared) -> Result<bool, GatewayError> {
    let Some(job) = shared.jobs.next_pending()? else {
        return Ok(false);
    };
    let events: Vec<CapturedEvent> = job.events.iter().map(|e| captured(&e.event)).collect();
    let now = now();
    let outcomes = match job.behaviour {
        Behaviour::Rollback => match shared.client.record_events(&shared.device, &events, now) {
            Ok(queued) => queued_outcomes(&events, queued),
            Err((Some(bad), e)) => (0..events.len())
                .map(|i| match i == bad {
                    true => Outcome::Failed(e.to_string()),
                    false => Outcome::RolledBack,
                })
                .collect(),
            Err((None, e)) => return Err(e.into()),
        },
        Behaviour::Proceed => {
            let mut outcomes = Vec::with_capacity(events.len());
            for e in &events {
                let one = std::slice::from_ref(e);
                outcomes.push(
                    match shared.client.record_events(&shared.device, one, now) {
                        Ok(queued) => queued_outcomes(one, queued).remove(0),
                        Err((Some(_), why)) => Outcome::Failed(why.to_string()),
                        Err((None, why)) => return Err(why.into()),
                    },
                );
            }
            outcomes
        }
    };
    shared.jobs.settle(job.seq, &outcomes, now)?;
    Ok(true)
}

fn queued_outcomes(
    events: &[CapturedEvent],
    queued: Vec<tally_client::outbox::Queued>,
) -> Vec<Outcome> {
    events
        .iter()
        .zip(queued)
        .map(|(e, q)| Outcome::Queued {
            json: e.json.clone(),
            leaf: q.leaf,
            hash_id: q.hash_id,
        })
        .collect()
}

/// The extension member by which a captured event names the members to keep from label holders
/// (as `tally record --withhold` does; absent, the business transactions are kept; `[]` shows
/// everything). The gateway takes it out before signing: it is an instruction, not a fact.
pub const WITHHOLD: &str = "tally:withhold";

/// A stored event as the client records it: its label secrets taken out of its codes, its
/// withholding instruction taken out. An event the capture accepted is a JSON object; anything
/// else is left for the signing to refuse.
fn captured(stored: &[u8]) -> CapturedEvent {
    let mut event: Map<String, Value> = serde_json::from_slice(stored).unwrap_or_default();
    let labels = take_event_labels(&mut event);
    // Checked at capture (a list of member names, see `routes::withheld`).
    let withhold = match event.remove(WITHHOLD) {
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Handoff::default_withheld(),
    };
    let text = |k: &str| {
        event
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let summary = format!("{} {} (EPCIS capture)", text("type"), text("bizStep"));
    CapturedEvent {
        json: serde_json::to_vec(&event).unwrap_or_default(),
        labels,
        withhold,
        summary,
    }
}

/// Why `bookkeeper` refused the entry `leaf`, as the outbox kept it.
fn refusal(shared: &Shared, leaf: &str, bookkeeper: &str) -> Result<String, GatewayError> {
    let deliveries = shared.client.store()?.deliveries(leaf)?;
    Ok(deliveries
        .into_iter()
        .find(|d| d.bookkeeper == bookkeeper)
        .and_then(|d| d.last_error)
        .unwrap_or_else(|| "refused".into()))
}

/// Whether every event of `job` is final. Asked from the last event back: events are sent in
/// order, so while a job is being delivered its last event is the first found unfinished (from
/// the front, every poll read the deliveries of all the events already logged).
fn all_final(shared: &Shared, job: &Job) -> Result<bool, GatewayError> {
    for e in job.events.iter().rev() {
        let deliveries = match &e.leaf {
            Some(leaf) => shared.client.store()?.deliveries(leaf)?,
            None => Vec::new(),
        };
        if !status(e, &deliveries).is_final() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The worker reads the clock: it is the edge.
pub(crate) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
