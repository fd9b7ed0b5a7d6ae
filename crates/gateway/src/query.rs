//! The EPCIS 2.0 REST query interface: `GET /events` with the `SimpleEventQuery` parameters,
//! `/events/{eventID}`, the per-resource event lists (`/epcs/{epc}/events`,
//! `/bizSteps/{bizStep}/events`, …) and the collections that name them (`/eventTypes`,
//! `/bizSteps`, `/bizLocations`, `/readPoints`, `/dispositions`, `/epcs`).
//!
//! Every answer is read from the bookkeepers and verified by the light client first (see
//! [`crate::read`]); the query language is `tally_epcis::query`. Results come `perPage` at a
//! time (default 30, at most [`MAX_PER_PAGE`]) in the order asked, else by event time and Event
//! Hash ID, so that pages do not overlap; a `Link: rel="next"` names the next page, whose token
//! holds the offset and a digest of the query it belongs to.

use crate::problem::problem;
use crate::read::{self, Served};
use crate::{percent_encode as encode, Shared};
use axum::extract::{Path, Query as Params, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::sync::Arc;
use tally_epcis::query::{Query, QueryError};
use time::format_description::well_known::Rfc3339;

/// Most events one page carries.
pub const MAX_PER_PAGE: usize = 1000;
const DEFAULT_PER_PAGE: usize = 30;

/// The JSON-LD context of every query document: EPCIS 2.0's, and Tally's prefix for the proof
/// status each event carries.
fn context() -> Value {
    json!([
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        {"tally": "urn:tally:epcis:"}
    ])
}

/// The resources whose values list their events: path segment and query parameter.
const RESOURCES: [(&str, &str); 5] = [
    ("eventTypes", "eventType"),
    ("bizSteps", "EQ_bizStep"),
    ("bizLocations", "EQ_bizLocation"),
    ("readPoints", "EQ_readPoint"),
    ("dispositions", "EQ_disposition"),
];

pub(crate) fn routes() -> Router<Arc<Shared>> {
    let mut r = Router::new()
        .route("/events", get(events))
        .route("/events/{id}", get(one))
        .route("/epcs", get(|s: State<Arc<Shared>>| collection(s, "epcs")))
        .route(
            "/epcs/{epc}/events",
            get(|s: State<Arc<Shared>>, p: Path<String>, q: Params<Pairs>| {
                by(s, p, q, "MATCH_anyEPC")
            }),
        );
    for (resource, param) in RESOURCES {
        r = r
            .route(
                &format!("/{resource}"),
                get(move |s: State<Arc<Shared>>| collection(s, resource)),
            )
            .route(
                &format!("/{resource}/{{value}}/events"),
                get(
                    move |s: State<Arc<Shared>>, p: Path<String>, q: Params<Pairs>| {
                        by(s, p, q, param)
                    },
                ),
            );
    }
    r
}

pub(crate) type Pairs = Vec<(String, String)>;

async fn events(State(shared): State<Arc<Shared>>, Params(params): Params<Pairs>) -> Response {
    answer(&shared, params, "/events", SIMPLE).await
}

/// A resource's events: its value as the matching query parameter, with any others given.
async fn by(
    State(shared): State<Arc<Shared>>,
    Path(value): Path<String>,
    Params(mut params): Params<Pairs>,
    param: &'static str,
) -> Response {
    if params.iter().any(|(n, _)| n == param) {
        let why = format!("{param} is the path's own");
        return query_problem(QueryError::Parameter {
            name: param.into(),
            why,
        });
    }
    let path = match param {
        "MATCH_anyEPC" => format!("/epcs/{}/events", encode(&value)),
        _ => {
            let resource = RESOURCES
                .iter()
                .find(|(_, p)| *p == param)
                .map_or("", |r| r.0);
            format!("/{resource}/{}/events", encode(&value))
        }
    };
    params.push((param.to_owned(), value));
    answer(&shared, params, &path, SIMPLE).await
}

/// `GET /events/{eventID}`: the event whose `eventID`, or else whose Event Hash ID, it is.
async fn one(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    // An event this gateway captured is read through the products it names; any other, through
    // every product the label book knows.
    let s = shared.clone();
    let wanted = id.clone();
    let own = match tokio::task::spawn_blocking(move || s.jobs.products_of_event(&wanted)).await {
        Ok(Ok(codes)) => codes,
        Ok(Err(e)) => return internal(e.to_string()),
        Err(e) => return internal(e.to_string()),
    };
    let all = match own.is_empty() {
        false => read::read(&shared, own).await,
        true => match everything(&shared).await {
            Ok(all) => all,
            Err(r) => return r,
        },
    };
    let found: Vec<Served> = all
        .into_iter()
        .filter(|s| s.hash_id == id || s.event.common().event_id.as_deref() == Some(&id))
        .collect();
    if found.is_empty() {
        return problem(
            StatusCode::NOT_FOUND,
            "NoSuchNameException",
            "no event with this eventID or Event Hash ID is proven by the bookkeepers",
        );
    }
    axum::Json(document(found)).into_response()
}

/// `GET /eventTypes`, `/bizSteps`, …: the values the proven events hold.
async fn collection(State(shared): State<Arc<Shared>>, resource: &'static str) -> Response {
    let all = match everything(&shared).await {
        Ok(all) => all,
        Err(r) => return r,
    };
    let mut members = BTreeSet::new();
    for s in &all {
        let c = s.event.common();
        let bare = |w: Option<&str>, raw: &Option<String>| w.map(str::to_owned).or(raw.clone());
        match resource {
            "eventTypes" => {
                members.insert(s.event.type_name().to_owned());
            }
            "bizSteps" => members.extend(bare(s.event.biz_step(), &c.biz_step)),
            "dispositions" => members.extend(bare(s.event.disposition(), &c.disposition)),
            "bizLocations" => members.extend(c.biz_location.as_ref().map(|l| l.id.clone())),
            "readPoints" => members.extend(c.read_point.as_ref().map(|l| l.id.clone())),
            _ => members.extend(s.event.identifiers().iter().map(|i| strip_label(i))),
        }
    }
    let body = json!({"@context": context(), "type": "Collection", "member": members});
    axum::Json(body).into_response()
}

/// Every proven event of every product the label book knows.
async fn everything(shared: &Arc<Shared>) -> Result<Vec<Served>, Response> {
    let codes = products(shared).await?;
    Ok(read::read(shared, codes).await)
}

async fn products(shared: &Arc<Shared>) -> Result<Vec<String>, Response> {
    let s = shared.clone();
    match tokio::task::spawn_blocking(move || s.jobs.products()).await {
        Ok(Ok(codes)) => Ok(codes),
        Ok(Err(e)) => Err(internal(e.to_string())),
        Err(e) => Err(internal(e.to_string())),
    }
}

/// The page of events `params` asks for, served under `path` as the answer to `name`.
pub(crate) async fn answer(
    shared: &Arc<Shared>,
    params: Pairs,
    path: &str,
    name: &str,
) -> Response {
    let (page, rest) = match Page::take(params) {
        Ok(p) => p,
        Err(e) => return query_problem(e),
    };
    let query = match Query::parse(rest.iter().map(|(n, v)| (n.as_str(), v.as_str()))) {
        Ok(q) => q,
        Err(e) => return query_problem(e),
    };
    let fingerprint = fingerprint(&rest);
    if page.token.as_ref().is_some_and(|(_, f)| *f != fingerprint) {
        return query_problem(QueryError::Parameter {
            name: "nextPageToken".into(),
            why: "this token belongs to another query".into(),
        });
    }
    let codes = match products(shared).await {
        Ok(c) => c.into_iter().filter(|c| query.may_concern(c)).collect(),
        Err(r) => return r,
    };
    let mut served = read::read(shared, codes).await;
    served.sort_by(|a, b| time_of(a).cmp(&time_of(b)).then(a.hash_id.cmp(&b.hash_id)));
    let selected = match query.select(served, |s| &s.event) {
        Ok(s) => s,
        Err(e) => return query_problem(e),
    };
    let from = page
        .token
        .map_or(0, |(offset, _)| offset)
        .min(selected.len());
    let to = (from + page.per_page).min(selected.len());
    let more = to < selected.len();
    let chosen: Vec<Served> = selected.into_iter().skip(from).take(to - from).collect();
    let mut r = axum::Json(document_for(chosen, name)).into_response();
    if more {
        let mut next: Pairs = rest;
        next.push(("perPage".into(), page.per_page.to_string()));
        next.push(("nextPageToken".into(), format!("{to}.{fingerprint}")));
        let query: Vec<String> = next
            .iter()
            .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
            .collect();
        let link = format!("<{path}?{}>; rel=\"next\"", query.join("&"));
        if let Ok(v) = HeaderValue::from_str(&link) {
            r.headers_mut().insert(header::LINK, v);
        }
    }
    r
}

fn time_of(s: &Served) -> Option<time::OffsetDateTime> {
    s.event.event_time_utc().ok()
}

/// Paging, taken out of the query's own parameters.
struct Page {
    per_page: usize,
    /// Offset, and the fingerprint of the query it was given for.
    token: Option<(usize, String)>,
}

impl Page {
    fn take(params: Pairs) -> Result<(Page, Pairs), QueryError> {
        let mut page = Page {
            per_page: DEFAULT_PER_PAGE,
            token: None,
        };
        let mut rest = Vec::new();
        for (name, value) in params {
            match name.as_str() {
                "perPage" => {
                    page.per_page = value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_PER_PAGE).contains(n))
                        .ok_or_else(|| bad(&name, format!("1 to {MAX_PER_PAGE}")))?;
                }
                "nextPageToken" => {
                    let token = value
                        .split_once('.')
                        .and_then(|(o, f)| Some((o.parse().ok()?, f.to_owned())));
                    page.token =
                        Some(token.ok_or_else(|| bad(&name, "not a token this gateway gave"))?);
                }
                _ => rest.push((name, value)),
            }
        }
        Ok((page, rest))
    }
}

fn bad(name: &str, why: impl Into<String>) -> QueryError {
    QueryError::Parameter {
        name: name.into(),
        why: why.into(),
    }
}

/// A digest of a query's parameters, whatever their order.
fn fingerprint(params: &Pairs) -> String {
    let mut sorted = params.clone();
    sorted.sort();
    let mut h = Sha256::new();
    for (n, v) in sorted {
        h.update(n.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..8])
}

/// The query every unnamed answer is to.
const SIMPLE: &str = "SimpleEventQuery";

/// An `EPCISQueryDocument` of `events`, the answer to `SimpleEventQuery`.
fn document(events: Vec<Served>) -> Value {
    document_for(events, SIMPLE)
}

/// An `EPCISQueryDocument` of `events`, the answer to the query named `name`.
pub(crate) fn document_for(events: Vec<Served>, name: &str) -> Value {
    let created = time::OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    let list: Vec<Value> = events.into_iter().map(|s| Value::Object(s.json)).collect();
    json!({
        "@context": context(),
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": created,
        "epcisBody": {"queryResults": {
            "queryName": name,
            "resultsBody": {"eventList": list},
        }},
    })
}

pub(crate) fn query_problem(e: QueryError) -> Response {
    let status = match e {
        QueryError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        QueryError::Parameter { .. } => StatusCode::BAD_REQUEST,
    };
    problem(status, e.exception(), e.to_string())
}

pub(crate) fn internal(why: String) -> Response {
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "ImplementationException",
        why,
    )
}

/// A code as listed: without the label secret that opens its story.
fn strip_label(code: &str) -> String {
    tally_confidential::LabelSecret::remove_from_link(code)
}

/// Unix seconds as RFC 3339.
pub(crate) fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}
