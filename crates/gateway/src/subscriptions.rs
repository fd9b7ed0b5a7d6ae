//! Named queries and their webhook subscriptions (EPCIS 2.0 REST binding, `/queries`): a
//! client names a query once (`POST /queries`), reads it (`GET /queries/{name}/events`) and
//! subscribes to it (`POST /queries/{name}/subscriptions` with `"stream": true`): every event
//! that comes to match it afterwards, verified like any query answer, is posted to its `dest`
//! as an `EPCISQueryDocument` naming the subscription.
//!
//! Delivery is at least once and survives a restart: an event counts as notified only once the
//! `dest` answered 2xx to a document that held it, and that is written to the gateway's
//! database; anything else is posted again on the next round, whatever happened in between.
//! With a `signatureToken` (the binding's schema calls it `secret`), each post carries
//! `GS1-Signature: sha256=<hex>`, the HMAC-SHA256 of the body under the token (the binding
//! leaves the scheme to the implementation and names HMAC-SHA256 as one).
//!
//! A WebSocket subscription (`GET /queries/{name}/events?stream=true` with `Upgrade:
//! websocket`) gets the same documents as text messages for as long as it stays connected: it
//! is live, so nothing is kept for it, and a client that reconnects reads what it missed with
//! `GET /queries/{name}/events`.
//!
//! A scheduled subscription (`"schedule": {"hour": "1", "minute": "5"}`, see [`crate::schedule`])
//! is posted the events that came to match since its last run when its schedule comes round,
//! and an empty document then too if it asked for `reportIfEmpty`; a run whose post fails is
//! tried again every round until its `dest` acknowledges it.
//!
//! Not supported, refused with a reason: the schedule parameters of a WebSocket (a live
//! connection streams), and destinations in plain `http://` other than loopback.

use crate::query::{self, document_for};
use crate::read;
use crate::schedule::Schedule;
use crate::Shared;
use hmac::{Hmac, Mac};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Map, Value};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;
use tally_epcis::query::{Query, QueryError};

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS queries (
    name TEXT PRIMARY KEY,
    -- The EPCIS query as the client named it (a JSON object).
    query TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS subscriptions (
    id TEXT PRIMARY KEY,
    query TEXT NOT NULL REFERENCES queries (name) ON DELETE CASCADE,
    dest TEXT NOT NULL,
    token TEXT,
    created_at INTEGER NOT NULL,
    notified_at INTEGER,
    -- A scheduled subscription's schedule (a JSON object), NULL for a stream.
    schedule TEXT,
    report_if_empty INTEGER NOT NULL DEFAULT 0,
    -- When it last ran (UNIX seconds): what its schedule counts from.
    ran_at INTEGER
);
-- The events a subscription's dest has acknowledged (or that matched when it was created).
CREATE TABLE IF NOT EXISTS notified (
    subscription TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    hash_id TEXT NOT NULL,
    PRIMARY KEY (subscription, hash_id)
) WITHOUT ROWID;
";

/// Brings a subscriptions table made before scheduled subscriptions up to date.
pub(crate) fn migrate(db: &Connection) -> rusqlite::Result<()> {
    let columns: Vec<String> = db
        .prepare("SELECT name FROM pragma_table_info('subscriptions')")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for (name, declared) in [
        ("schedule", "TEXT"),
        ("report_if_empty", "INTEGER NOT NULL DEFAULT 0"),
        ("ran_at", "INTEGER"),
    ] {
        if !columns.iter().any(|c| c == name) {
            db.execute_batch(&format!(
                "ALTER TABLE subscriptions ADD COLUMN {name} {declared}"
            ))?;
        }
    }
    Ok(())
}

/// How often each subscription's query is run again.
pub const NOTIFY_EVERY: Duration = Duration::from_secs(1);
/// How long a `dest` may take to answer.
const DEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A named query's parameters as the query language reads them: lists pipe-delimited.
pub(crate) fn params_of(query: &Map<String, Value>) -> Result<Vec<(String, String)>, QueryError> {
    query
        .iter()
        .map(|(name, v)| {
            let text = |v: &Value| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            };
            let value = match v {
                Value::Array(items) => items
                    .iter()
                    .map(text)
                    .collect::<Option<Vec<_>>>()
                    .map(|v| v.join("|")),
                other => text(other),
            };
            let why = "a value is a string, a number or a list of them";
            value
                .map(|value| (name.clone(), value))
                .ok_or_else(|| QueryError::Parameter {
                    name: name.clone(),
                    why: why.into(),
                })
        })
        .collect()
}

/// A named query as the query language reads it.
pub(crate) fn query_of(query: &Map<String, Value>) -> Result<Query, QueryError> {
    let params = params_of(query)?;
    Query::parse(params.iter().map(|(n, v)| (n.as_str(), v.as_str())))
}

/// A stored named query.
pub(crate) fn named(db: &Connection, name: &str) -> rusqlite::Result<Option<Map<String, Value>>> {
    let text: Option<String> = db
        .query_row("SELECT query FROM queries WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// A subscription as the binding shows it (never its token).
pub(crate) fn shown(db: &Connection, query: &str, id: &str) -> rusqlite::Result<Option<Value>> {
    db.query_row(
        "SELECT dest, created_at, notified_at, schedule, report_if_empty FROM subscriptions
         WHERE query = ?1 AND id = ?2",
        params![query, id],
        |r| {
            let mut v = json!({
                "subscriptionID": id,
                "queryName": query,
                "dest": r.get::<_, String>(0)?,
                "createdAt": query::rfc3339(r.get(1)?),
            });
            match r.get::<_, Option<String>>(3)? {
                Some(schedule) => {
                    v["schedule"] = serde_json::from_str(&schedule).unwrap_or(Value::Null);
                    v["reportIfEmpty"] = json!(r.get::<_, bool>(4)?);
                }
                None => v["stream"] = json!(true),
            }
            if let Some(at) = r.get::<_, Option<i64>>(2)? {
                v["lastNotifiedAt"] = json!(query::rfc3339(at));
            }
            Ok(v)
        },
    )
    .optional()
}

/// Whether `dest` may receive events: `https://`, or `http://` to loopback.
pub(crate) fn check_dest(dest: &str) -> Result<(), String> {
    let loopback = [
        "http://127.",
        "http://localhost:",
        "http://localhost/",
        "http://[::1]",
    ];
    if dest.starts_with("https://") || loopback.iter().any(|p| dest.starts_with(p)) {
        Ok(())
    } else {
        Err(format!(
            "dest must be an https:// URL (http:// only to loopback), not {dest:?}"
        ))
    }
}

/// Posts every subscription's new events until the gateway stops.
pub(crate) async fn run(shared: Arc<Shared>) {
    let http = match reqwest::Client::builder().timeout(DEST_TIMEOUT).build() {
        Ok(h) => h,
        Err(e) => return tracing::error!("subscriptions: no HTTP client: {e}"),
    };
    loop {
        if let Err(e) = notify_all(&shared, &http).await {
            tracing::warn!("subscriptions: {e}");
        }
        tokio::time::sleep(NOTIFY_EVERY).await;
    }
}

struct Subscription {
    id: String,
    query: String,
    dest: String,
    token: Option<String>,
    /// A scheduled one's schedule (as stored), whether it reports empty runs, and its last run.
    schedule: Option<String>,
    report_if_empty: bool,
    ran_at: i64,
}

async fn notify_all(shared: &Arc<Shared>, http: &reqwest::Client) -> Result<(), String> {
    let all = shared.jobs.with(|db| {
        let mut stmt = db.prepare(
            "SELECT id, query, dest, token, schedule, report_if_empty,
               COALESCE(ran_at, created_at)
             FROM subscriptions ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Subscription {
                id: r.get(0)?,
                query: r.get(1)?,
                dest: r.get(2)?,
                token: r.get(3)?,
                schedule: r.get(4)?,
                report_if_empty: r.get(5)?,
                ran_at: r.get(6)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()
    });
    // Each product's story is verified once a round, whatever number of subscriptions read it.
    let mut round = read::Stories::new();
    for s in all.map_err(|e| e.to_string())? {
        if let Err(e) = notify(shared, http, &s, &mut round).await {
            tracing::warn!("subscription {} to {}: {e}", s.id, s.dest);
        }
    }
    Ok(())
}

/// The verified events of `query` not yet notified to `subscription`.
pub(crate) async fn unseen(
    shared: &Arc<Shared>,
    subscription: &str,
    query: &Map<String, Value>,
    round: &mut read::Stories,
) -> Result<Vec<read::Served>, String> {
    let matched = matching(shared, query, round).await?;
    let seen = shared.jobs.with(|db| {
        let mut stmt =
            db.prepare("SELECT 1 FROM notified WHERE subscription = ?1 AND hash_id = ?2")?;
        matched
            .iter()
            .map(|s| stmt.exists(params![subscription, s.hash_id]))
            .collect::<Result<Vec<bool>, _>>()
    });
    let seen = seen.map_err(|e| e.to_string())?;
    Ok(matched
        .into_iter()
        .zip(seen)
        .filter(|(_, s)| !s)
        .map(|(e, _)| e)
        .collect())
}

/// The verified events that match the named query `query` now.
pub(crate) async fn matching(
    shared: &Arc<Shared>,
    query: &Map<String, Value>,
    round: &mut read::Stories,
) -> Result<Vec<read::Served>, String> {
    let q = query_of(query).map_err(|e| e.to_string())?;
    let codes: Vec<String> = shared
        .jobs
        .products()
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|c| q.may_concern(c))
        .collect();
    q.select(read::read_in(shared, codes, round).await, |s| &s.event)
        .map_err(|e| e.to_string())
}

/// Marks `hash_ids` as notified to `subscription`.
pub(crate) fn mark(
    shared: &Shared,
    subscription: &str,
    hash_ids: &[String],
    now: i64,
) -> Result<(), String> {
    shared
        .jobs
        .with(|db| {
            let tx = db.unchecked_transaction()?;
            for h in hash_ids {
                tx.execute(
                    "INSERT OR IGNORE INTO notified (subscription, hash_id) VALUES (?1, ?2)",
                    params![subscription, h],
                )?;
            }
            // Told is also run: a schedule counts its next run from here.
            tx.execute(
                "UPDATE subscriptions SET notified_at = ?2, ran_at = ?2 WHERE id = ?1",
                params![subscription, now],
            )?;
            tx.commit()
        })
        .map_err(|e| e.to_string())
}

async fn notify(
    shared: &Arc<Shared>,
    http: &reqwest::Client,
    s: &Subscription,
    round: &mut read::Stories,
) -> Result<(), String> {
    let query = shared
        .jobs
        .with(|db| named(db, &s.query))
        .map_err(|e| e.to_string())?
        .ok_or("its query is gone")?;
    let now = time::OffsetDateTime::now_utc();
    if let Some(spec) = &s.schedule {
        let schedule = serde_json::from_str::<Map<String, Value>>(spec)
            .map_err(|e| e.to_string())
            .and_then(|spec| Schedule::parse(&spec))?;
        let last =
            time::OffsetDateTime::from_unix_timestamp(s.ran_at).map_err(|e| e.to_string())?;
        if !schedule.due(last, now) {
            return Ok(());
        }
    }
    let fresh = unseen(shared, &s.id, &query, round).await?;
    let report = s.schedule.is_some() && s.report_if_empty;
    if fresh.is_empty() && !report {
        return ran(shared, s, now.unix_timestamp());
    }
    let ids: Vec<String> = fresh.iter().map(|e| e.hash_id.clone()).collect();
    let mut doc = document_for(fresh, &s.query);
    doc["epcisBody"]["queryResults"]["subscriptionID"] = json!(s.id);
    let body = doc.to_string();
    let mut request = http
        .post(&s.dest)
        .header("content-type", "application/ld+json")
        .header("GS1-EPCIS-Version", "2.0.0");
    if let Some(token) = &s.token {
        request = request.header("GS1-Signature", format!("sha256={}", sign(token, &body)));
    }
    let answer = request.body(body).send().await.map_err(|e| e.to_string())?;
    if !answer.status().is_success() {
        return Err(format!("answered {}", answer.status()));
    }
    mark(shared, &s.id, &ids, now.unix_timestamp())
}

/// Records that a scheduled subscription ran at `at` and had nothing to tell (a stream's empty
/// rounds are not recorded).
fn ran(shared: &Shared, s: &Subscription, at: i64) -> Result<(), String> {
    if s.schedule.is_none() {
        return Ok(());
    }
    shared
        .jobs
        .with(|db| {
            db.execute(
                "UPDATE subscriptions SET ran_at = ?2 WHERE id = ?1",
                params![s.id, at],
            )
        })
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// HMAC-SHA256 of `body` under `token`, hex.
pub fn sign(token: &str, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}
