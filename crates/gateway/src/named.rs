//! The routes of named queries and their subscriptions (see [`crate::subscriptions`]):
//! `GET|POST /queries`, `GET|DELETE /queries/{name}`, `GET /queries/{name}/events`,
//! `GET|POST /queries/{name}/subscriptions`, `GET|DELETE /queries/{name}/subscriptions/{id}`.

use crate::problem::problem;
use crate::query::{answer, document_for, internal, query_problem, Pairs};
use crate::read::Stories;
use crate::schedule::Schedule;
use crate::subscriptions::{self, check_dest, named, params_of, shown};
use crate::{percent_encode, Shared};
use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query as Params, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rand_core::RngCore as _;
use rusqlite::params;
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::sync::Arc;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/queries", get(list).post(create))
        .route("/queries/{name}", get(one).delete(remove))
        .route("/queries/{name}/events", get(events))
        .route(
            "/queries/{name}/subscriptions",
            get(subscriptions).post(subscribe),
        )
        .route(
            "/queries/{name}/subscriptions/{id}",
            get(subscription).delete(unsubscribe),
        )
}

fn bad(why: impl Into<String>) -> Response {
    problem(StatusCode::BAD_REQUEST, "ValidationException", why)
}

fn no_such(what: &str) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "NoSuchNameException",
        format!("no {what} by this name"),
    )
}

/// Runs `f` on the gateway's database off the async threads.
async fn db<T: Send + 'static>(
    shared: &Arc<Shared>,
    f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
) -> Result<T, Response> {
    let s = shared.clone();
    match tokio::task::spawn_blocking(move || s.jobs.with(f)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(internal(e.to_string())),
        Err(e) => Err(internal(e.to_string())),
    }
}

/// `POST /queries {"name", "query"}`: the query checked as `GET /events` would read it.
async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Ok(Value::Object(def)) = serde_json::from_slice::<Value>(&body) else {
        return bad("a query definition is a JSON object with name and query");
    };
    let (Some(Value::String(name)), Some(Value::Object(query))) =
        (def.get("name"), def.get("query"))
    else {
        return bad("a query definition has a name (a string) and a query (an object)");
    };
    if name.is_empty() || name.len() > 128 {
        return bad("a query's name is 1 to 128 characters");
    }
    if let Err(e) = subscriptions::query_of(query) {
        return query_problem(e);
    }
    let (name, text) = (name.clone(), Value::Object(query.clone()).to_string());
    let stored = name.clone();
    let inserted = db(&shared, move |db| {
        db.execute(
            "INSERT OR IGNORE INTO queries (name, query, created_at) VALUES (?1, ?2, ?3)",
            params![stored, text, crate::worker::now()],
        )
    })
    .await;
    match inserted {
        Ok(1) => {
            let location = format!("/queries/{}", percent_encode(&name));
            (StatusCode::CREATED, [(header::LOCATION, location)]).into_response()
        }
        Ok(_) => problem(
            StatusCode::CONFLICT,
            "ResourceAlreadyExistsException",
            format!("a query named {name:?} exists"),
        ),
        Err(r) => r,
    }
}

async fn list(State(shared): State<Arc<Shared>>) -> Response {
    let all = db(&shared, |db| {
        let mut stmt = db.prepare("SELECT name, query FROM queries ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.collect::<Result<Vec<_>, _>>()
    })
    .await;
    match all {
        Ok(all) => {
            let list: Vec<Value> = all
                .into_iter()
                .map(|(name, q)| json!({"name": name, "query": serde_json::from_str::<Value>(&q).unwrap_or(Value::Null)}))
                .collect();
            axum::Json(list).into_response()
        }
        Err(r) => r,
    }
}

async fn stored(shared: &Arc<Shared>, name: String) -> Result<Map<String, Value>, Response> {
    let found = db(shared, move |db| named(db, &name)).await?;
    found.ok_or_else(|| no_such("query"))
}

async fn one(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    match stored(&shared, name.clone()).await {
        // The binding's schema for this answer is a list of definitions (of this one query).
        Ok(query) => axum::Json(json!([{"name": name, "query": query}])).into_response(),
        Err(r) => r,
    }
}

async fn remove(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    match db(&shared, move |db| {
        db.execute("DELETE FROM queries WHERE name = ?1", [name])
    })
    .await
    {
        Ok(0) => no_such("query"),
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r,
    }
}

/// `GET /queries/{name}/events`: the named query's answer, paged as `GET /events`.
/// With `Upgrade: websocket`, a live subscription instead (see [`stream`]).
async fn events(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    Params(paging): Params<Pairs>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let query = match stored(&shared, name.clone()).await {
        Ok(q) => q,
        Err(r) => return r,
    };
    if let Ok(ws) = ws {
        return stream(shared, name, query, &paging, ws).await;
    }
    let mut params = match params_of(&query) {
        Ok(p) => p,
        Err(e) => return query_problem(e),
    };
    params.extend(
        paging
            .into_iter()
            .filter(|(n, _)| n == "perPage" || n == "nextPageToken"),
    );
    let path = format!("/queries/{}/events", percent_encode(&name));
    answer(&shared, params, &path, &name).await
}

/// The binding's schedule parameters of a WebSocket subscription (not supported: a live
/// connection streams).
const SCHEDULE: [&str; 6] = [
    "second",
    "minute",
    "hour",
    "dayOfMonth",
    "month",
    "dayOfWeek",
];

/// A WebSocket subscription: `?stream=true`; each round's new matches as one text message, an
/// `EPCISQueryDocument` naming this connection as its subscription.
async fn stream(
    shared: Arc<Shared>,
    name: String,
    query: Map<String, Value>,
    params: &Pairs,
    ws: WebSocketUpgrade,
) -> Response {
    if params.iter().any(|(n, _)| SCHEDULE.contains(&n.as_str())) {
        return bad("a WebSocket subscription streams: scheduled ones are webhooks (POST /queries/{name}/subscriptions with a schedule)");
    }
    if !params.iter().any(|(n, v)| n == "stream" && v == "true") {
        return bad("a WebSocket subscription sets stream=true");
    }
    // A stream tells of events from now on.
    let seen = match subscriptions::matching(&shared, &query, &mut Stories::new()).await {
        Ok(now) => now.into_iter().map(|e| e.hash_id).collect(),
        Err(why) => return internal(why),
    };
    ws.on_upgrade(move |socket| push(shared, name, query, seen, socket))
}

async fn push(
    shared: Arc<Shared>,
    name: String,
    query: Map<String, Value>,
    mut seen: HashSet<String>,
    mut socket: WebSocket,
) {
    let mut random = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut random);
    let id = hex::encode(random);
    loop {
        tokio::select! {
            got = socket.recv() => match got {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => continue,
            },
            () = tokio::time::sleep(subscriptions::NOTIFY_EVERY) => {}
        }
        let Ok(now) = subscriptions::matching(&shared, &query, &mut Stories::new()).await else {
            continue;
        };
        let fresh: Vec<_> = now
            .into_iter()
            .filter(|e| !seen.contains(&e.hash_id))
            .collect();
        if fresh.is_empty() {
            continue;
        }
        let ids: Vec<String> = fresh.iter().map(|e| e.hash_id.clone()).collect();
        let mut doc = document_for(fresh, &name);
        doc["epcisBody"]["queryResults"]["subscriptionID"] = json!(id);
        if socket
            .send(Message::Text(doc.to_string().into()))
            .await
            .is_err()
        {
            return;
        }
        seen.extend(ids);
    }
}

/// `POST /queries/{name}/subscriptions`: a webhook for the events that come to match it.
async fn subscribe(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let query = match stored(&shared, name.clone()).await {
        Ok(q) => q,
        Err(r) => return r,
    };
    let Ok(Value::Object(req)) = serde_json::from_slice::<Value>(&body) else {
        return bad("a subscription is a JSON object with dest and stream");
    };
    let Some(dest) = req.get("dest").and_then(Value::as_str).map(str::to_owned) else {
        return bad("a subscription names its dest");
    };
    if let Err(why) = check_dest(&dest) {
        return bad(why);
    }
    let schedule = match (req.get("schedule"), req.get("stream")) {
        (Some(Value::Object(spec)), None) => match Schedule::parse(spec) {
            Ok(_) => Some(Value::Object(spec.clone()).to_string()),
            Err(why) => return bad(why),
        },
        (None, Some(Value::Bool(true))) => None,
        (Some(_), Some(_)) => {
            return bad("a subscription either streams or follows a schedule, not both")
        }
        (Some(_), None) => {
            return bad("a schedule is an object such as {\"hour\": \"1\", \"minute\": \"5\"}")
        }
        (None, _) => {
            return bad("a subscription sets \"stream\": true or gives a \"schedule\"");
        }
    };
    let report_if_empty = match req.get("reportIfEmpty") {
        None => false,
        Some(Value::Bool(b)) if schedule.is_some() => *b,
        Some(Value::Bool(_)) => return bad("reportIfEmpty is for scheduled subscriptions"),
        Some(_) => return bad("reportIfEmpty is true or false"),
    };
    // The binding's prose and examples call the client's key `signatureToken`, its schema
    // requires `secret`: either is the key the deliveries are signed with.
    let token = (req.get("signatureToken").or_else(|| req.get("secret")))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut random = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut random);
    let id = hex::encode(random);
    // A subscription tells of events from now on: those that match already are taken as told.
    let existing = match subscriptions::unseen(&shared, &id, &query, &mut Stories::new()).await {
        Ok(e) => e,
        Err(why) => return internal(why),
    };
    let (sub, q, now) = (id.clone(), name.clone(), crate::worker::now());
    let created = db(&shared, move |db| {
        db.execute(
            "INSERT INTO subscriptions (id, query, dest, token, created_at, schedule, report_if_empty, ran_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5)",
            params![sub, q, dest, token, now, schedule, report_if_empty],
        )
    })
    .await;
    if let Err(r) = created {
        return r;
    }
    let seen: Vec<String> = existing.into_iter().map(|e| e.hash_id).collect();
    if let Err(why) = subscriptions::mark(&shared, &id, &seen, now) {
        return internal(why);
    }
    let (sub, q) = (id.clone(), name.clone());
    match db(&shared, move |db| shown(db, &q, &sub)).await {
        Ok(Some(v)) => {
            let location = format!("/queries/{}/subscriptions/{id}", percent_encode(&name));
            (
                StatusCode::CREATED,
                [(header::LOCATION, location)],
                axum::Json(v),
            )
                .into_response()
        }
        Ok(None) => internal("the subscription vanished".into()),
        Err(r) => r,
    }
}

async fn subscriptions(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    if let Err(r) = stored(&shared, name.clone()).await {
        return r;
    }
    let all = db(&shared, move |db| {
        let ids: Vec<String> = db
            .prepare("SELECT id FROM subscriptions WHERE query = ?1 ORDER BY created_at, id")?
            .query_map([&name], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.iter()
            .filter_map(|id| shown(db, &name, id).transpose())
            .collect::<Result<Vec<_>, _>>()
    })
    .await;
    match all {
        Ok(all) => axum::Json(all).into_response(),
        Err(r) => r,
    }
}

async fn subscription(
    State(shared): State<Arc<Shared>>,
    Path((name, id)): Path<(String, String)>,
) -> Response {
    match db(&shared, move |db| shown(db, &name, &id)).await {
        Ok(Some(v)) => axum::Json(v).into_response(),
        Ok(None) => no_such("subscription"),
        Err(r) => r,
    }
}

async fn unsubscribe(
    State(shared): State<Arc<Shared>>,
    Path((name, id)): Path<(String, String)>,
) -> Response {
    let deleted = db(&shared, move |db| {
        db.execute(
            "DELETE FROM subscriptions WHERE query = ?1 AND id = ?2",
            params![name, id],
        )
    })
    .await;
    match deleted {
        Ok(0) => no_such("subscription"),
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r,
    }
}
