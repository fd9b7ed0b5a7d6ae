//! The EPCIS 2.0 REST capture interface: `OPTIONS|POST|GET /capture`, `GET /capture/{id}`; the
//! query routes ([`crate::query`]) behind the same authorisation.

use crate::jobs::{Behaviour, Job};
use crate::problem::{self, problem};
use crate::query::rfc3339;
use crate::worker::{self, Status};
use crate::Shared;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use subtle::ConstantTimeEq as _;
use tally_epcis::{ValidationError, MAX_DOCUMENT_BYTES};

/// Most events one capture takes (`GS1-EPCIS-Capture-Limit`).
pub const CAPTURE_LIMIT: usize = 10_000;
/// Most jobs a page of `GET /capture` lists.
const MAX_PER_PAGE: usize = 100;

const EPCIS_VERSION: &str = "2.0.0";
const CBV_VERSION: &str = "2.0.0";

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let authorised = Router::new()
        .route("/capture", get(list).post(capture).options(discover))
        .route("/capture/{id}", get(one))
        .merge(crate::query::routes())
        .merge(crate::named::routes())
        .route_layer(middleware::from_fn_with_state(shared.clone(), authorise));
    Router::new()
        .merge(authorised)
        // A resolver answers anyone who scanned a label: it reads nothing and proves nothing.
        .merge(crate::resolver::routes())
        .layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES))
        .with_state(shared)
}

/// Every request comes over a connection whose client certificate TLS verified (mTLS), or
/// carries one of the configured bearer tokens (compared in constant time).
async fn authorise(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let certified = req
        .extensions()
        .get::<crate::tls::ClientCertificate>()
        .is_some();
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let known = given.is_some_and(|g| {
        (shared.tokens.iter()).any(|t| bool::from(t.as_bytes().ct_eq(g.as_bytes())))
    });
    if !known && !certified {
        let mut r = problem(
            StatusCode::UNAUTHORIZED,
            "SecurityException",
            "a bearer token the gateway was configured with is required",
        );
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    if let Err(why) = negotiate(req.headers()) {
        return with_versions(problem(
            StatusCode::NOT_ACCEPTABLE,
            "NotAcceptableException",
            why,
        ));
    }
    with_versions(next.run(req).await)
}

/// Content negotiation: the gateway speaks JSON (JSON-LD) EPCIS 2.0.0 and CBV 2.0.0 only, so a
/// request that accepts neither JSON nor anything, or whose `GS1-EPCIS-Min/Max` or
/// `GS1-CBV-Min/Max` range leaves 2.0.0 out, gets 406 rather than something it cannot read.
fn negotiate(headers: &HeaderMap) -> Result<(), String> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(accept) = text(header::ACCEPT.as_str()) {
        let types = accept
            .split(',')
            .map(|t| t.split(';').next().unwrap_or("").trim());
        let json = [
            "*/*",
            "application/*",
            "application/json",
            "application/ld+json",
            problem::PROBLEM_JSON,
        ];
        if !types.clone().any(|t| json.contains(&t)) {
            return Err(format!(
                "this gateway answers in JSON (JSON-LD), not {accept}"
            ));
        }
    }
    for (min, max, version) in [
        ("GS1-EPCIS-Min", "GS1-EPCIS-Max", EPCIS_VERSION),
        ("GS1-CBV-Min", "GS1-CBV-Max", CBV_VERSION),
    ] {
        let ours = numbers(version);
        let low = text(min).map(numbers).is_some_and(|m| m > ours);
        let high = text(max).map(numbers).is_some_and(|m| m < ours);
        if low || high {
            return Err(format!("this gateway speaks {version} only ({min}, {max})"));
        }
    }
    Ok(())
}

/// A dotted version as numbers, for comparing ("2.0" < "2.0.1" < "2.1").
fn numbers(v: &str) -> Vec<u64> {
    let mut n: Vec<u64> = v
        .trim()
        .split('.')
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    while n.last() == Some(&0) {
        n.pop();
    }
    n
}

fn with_versions(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert("GS1-EPCIS-Version", HeaderValue::from_static(EPCIS_VERSION));
    h.insert("GS1-CBV-Version", HeaderValue::from_static(CBV_VERSION));
    r
}

async fn discover() -> Response {
    let limit = CAPTURE_LIMIT.to_string();
    let size = MAX_DOCUMENT_BYTES.to_string();
    (
        StatusCode::NO_CONTENT,
        [
            (header::ALLOW.as_str(), "OPTIONS, GET, POST"),
            ("GS1-EPCIS-Capture-Limit", limit.as_str()),
            ("GS1-EPCIS-Capture-File-Size-Limit", size.as_str()),
            // Both behaviours the binding defines (its enum names that "all").
            ("GS1-Capture-Error-Behaviour", "all"),
            ("GS1-EPCIS-Min", EPCIS_VERSION),
            ("GS1-EPCIS-Max", EPCIS_VERSION),
        ],
    )
        .into_response()
}

/// `POST /capture`: a valid document is stored as a job before `202` is answered.
async fn capture(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    if !matches!(media, Some("application/json" | "application/ld+json")) {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaTypeException",
            "an EPCIS document is sent as application/json or application/ld+json",
        );
    }
    let behaviour = match headers
        .get("GS1-Capture-Error-Behaviour")
        .map(|v| v.to_str().unwrap_or(""))
    {
        None | Some("rollback") => Behaviour::Rollback,
        Some("proceed") => Behaviour::Proceed,
        Some(other) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                format!("GS1-Capture-Error-Behaviour is rollback or proceed, not {other:?}"),
            )
        }
    };
    let events = match events_of(&body) {
        Ok(events) => events,
        Err(r) => return r,
    };
    let s = shared.clone();
    let mint = shared.client.policy().confidential;
    let created =
        tokio::task::spawn_blocking(move || s.jobs.create(behaviour, &events, worker::now(), mint))
            .await;
    match created {
        Ok(Ok(id)) => {
            shared.wake.notify_one();
            let location = format!("/capture/{id}");
            (StatusCode::ACCEPTED, [(header::LOCATION, location)]).into_response()
        }
        Ok(Err(e)) => internal(e.to_string()),
        Err(e) => internal(e.to_string()),
    }
}

/// The events of a valid document, each with the document's `@context` when it has none of
/// its own (what its namespaced fields are resolved with once it stands alone in a log).
#[allow(clippy::result_large_err)]
fn events_of(body: &[u8]) -> Result<Vec<Vec<u8>>, Response> {
    tally_epcis::validate_document(body).map_err(invalid)?;
    let doc = tally_epcis::Document::parse(body).map_err(|e| invalid(e.into()))?;
    if doc.events.len() > CAPTURE_LIMIT {
        return Err(problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "CaptureLimitExceededException",
            format!(
                "{} events in one capture; at most {CAPTURE_LIMIT}",
                doc.events.len()
            ),
        ));
    }
    let whole: Value = serde_json::from_slice(body)
        .map_err(|e| invalid(tally_epcis::ParseError::from(e).into()))?;
    let context = whole.get("@context");
    doc.events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut event: Map<String, Value> = serde_json::from_slice(&e.bytes)
                .map_err(|e| invalid(tally_epcis::ParseError::from(e).into()))?;
            withheld(&event, i)?;
            if let (Some(c), false) = (context, event.contains_key("@context")) {
                event.insert("@context".into(), c.clone());
            }
            serde_json::to_vec(&event).map_err(|e| internal(e.to_string()))
        })
        .collect()
}

/// Checks an event's `tally:withhold` (see [`worker::WITHHOLD`]): a list of member names.
#[allow(clippy::result_large_err)]
fn withheld(event: &Map<String, Value>, index: usize) -> Result<(), Response> {
    match event.get(worker::WITHHOLD) {
        None => Ok(()),
        Some(Value::Array(names)) if names.iter().all(Value::is_string) => Ok(()),
        Some(_) => {
            let at = format!("/epcisBody/eventList/{index}/{}", worker::WITHHOLD);
            let why = format!("{} is a list of the members to withhold", worker::WITHHOLD);
            let mut body = problem::body(StatusCode::BAD_REQUEST, "ValidationException", why, None);
            body["violations"] = json!([{"pointer": at, "message": "not a list of member names"}]);
            Err(problem::respond(StatusCode::BAD_REQUEST, body))
        }
    }
}

/// A `400` naming every schema violation by its JSON pointer in the document.
fn invalid(e: ValidationError) -> Response {
    let (detail, violations) = match &e {
        ValidationError::Parse(p) => (format!("not an EPCIS document: {p}"), vec![]),
        ValidationError::Schema(v) => (
            v.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
            v.iter()
                .map(|v| json!({"pointer": v.instance_path, "schema": v.schema_path, "message": v.message}))
                .collect(),
        ),
    };
    let mut body = problem::body(StatusCode::BAD_REQUEST, "ValidationException", detail, None);
    body["violations"] = Value::Array(violations);
    problem::respond(StatusCode::BAD_REQUEST, body)
}

fn internal(why: String) -> Response {
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "ImplementationException",
        why,
    )
}

async fn one(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let s = shared.clone();
    let found = tokio::task::spawn_blocking(move || -> Result<Option<Value>, String> {
        let job = s.jobs.job(&id).map_err(|e| e.to_string())?;
        job.map(|j| document(&s, &j)).transpose()
    })
    .await;
    match found {
        Ok(Ok(Some(doc))) => axum::Json(doc).into_response(),
        Ok(Ok(None)) => problem(
            StatusCode::NOT_FOUND,
            "NoSuchNameException",
            "no capture job with this ID",
        ),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e.to_string()),
    }
}

#[derive(Deserialize)]
struct Page {
    #[serde(rename = "perPage")]
    per_page: Option<usize>,
    #[serde(rename = "nextPageToken")]
    next_page_token: Option<String>,
}

/// `GET /capture`: the jobs, oldest first, `perPage` at a time with a `Link: rel="next"`.
async fn list(State(shared): State<Arc<Shared>>, Query(page): Query<Page>) -> Response {
    let per_page = page.per_page.unwrap_or(30).clamp(1, MAX_PER_PAGE);
    let after: i64 = match page.next_page_token.as_deref().map(str::parse) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                "nextPageToken is one this gateway gave",
            )
        }
    };
    let s = shared.clone();
    let listed =
        tokio::task::spawn_blocking(move || -> Result<(Vec<Value>, Option<i64>), String> {
            let jobs = s
                .jobs
                .list(after, per_page + 1)
                .map_err(|e| e.to_string())?;
            let more = (jobs.len() > per_page).then(|| jobs[per_page - 1].seq);
            let docs = jobs.iter().take(per_page).map(|j| document(&s, j));
            Ok((docs.collect::<Result<_, _>>()?, more))
        })
        .await;
    match listed {
        Ok(Ok((docs, more))) => {
            let mut r = axum::Json(docs).into_response();
            if let Some(token) = more {
                let link =
                    format!("</capture?perPage={per_page}&nextPageToken={token}>; rel=\"next\"");
                if let Ok(v) = HeaderValue::from_str(&link) {
                    r.headers_mut().insert(header::LINK, v);
                }
            }
            r
        }
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e.to_string()),
    }
}

/// A job as the binding's `CaptureJob`, with each event's Tally status in `tally:events`.
fn document(shared: &Shared, job: &Job) -> Result<Value, String> {
    let mut errors = Vec::new();
    let mut events = Vec::new();
    for e in &job.events {
        let deliveries = match &e.leaf {
            Some(leaf) => (shared.client.store())
                .and_then(|s| s.deliveries(leaf))
                .map_err(|e| e.to_string())?,
            None => Vec::new(),
        };
        let status = worker::status(e, &deliveries);
        let at = format!("/epcisBody/eventList/{}", e.ordinal);
        let why = match status {
            Status::Invalid => e.error.clone(),
            Status::Refused => e.refused.clone(),
            _ => None,
        };
        if let Some(why) = why {
            let kind = "ValidationException";
            errors.push(problem::body(StatusCode::BAD_REQUEST, kind, why, Some(&at)));
        }
        let deliveries: Vec<Value> = deliveries
            .iter()
            .map(|d| {
                json!({
                    "bookkeeper": d.bookkeeper,
                    "logIndex": d.index,
                    "receipt": d.receipt.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok()),
                    "error": d.last_error,
                })
            })
            .collect();
        events.push(json!({
            "index": e.ordinal,
            "status": status.name(),
            "eventHashID": e.hash_id,
            "leaf": e.leaf,
            "labels": e.labels,
            "deliveries": deliveries,
        }));
    }
    let failed = job
        .events
        .iter()
        .any(|e| e.error.is_some() || e.refused.is_some());
    let mut doc = json!({
        "captureID": job.id,
        "createdAt": rfc3339(job.created_at),
        "running": job.state == "pending" || (job.state == "queued" && job.finished_at.is_none()),
        "success": !failed && job.state != "rejected",
        "captureErrorBehaviour": job.behaviour.name(),
        "errors": errors,
        "tally:events": events,
    });
    if let Some(f) = job.finished_at {
        doc["finishedAt"] = json!(rfc3339(f));
    }
    Ok(doc)
}
