//! A GS1 Digital Link resolver for the organisation's products (GS1-Conformant Resolver
//! standard, link sets per RFC 9264): `GET /01/{gtin}…` (and the other primary keys) answers,
//! without a token, with
//!
//! - the product's link set (`application/linkset+json`) when asked for it (`Accept`, or
//!   `?linkType=linkset` / `all`): `gs1:traceability` to each bookkeeper's `/history` of the
//!   product (what the light client reads and verifies), `gs1:certificationInfo` to each one's
//!   registry (who is certified to sign which steps where), `gs1:epcis` to this gateway's EPCIS
//!   query of it (for partners with a token), and `gs1:defaultLink` to the page below;
//! - else a plain HTML page for a phone's browser, in English and Chinese, telling the shopper to
//!   verify the code in the Tally app: this page is served by one organisation and proves
//!   nothing, so it says nothing about the product.
//!
//! Nothing here reads the logs, and a label secret (`tk`) in the request is never echoed into a
//! link: the links name the product only.

use crate::{percent_encode as encode, Shared};
use axum::extract::{OriginalUri, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The GS1 primary keys whose Digital Links resolve here (AI of the first path segment).
const PRIMARY_KEYS: [&str; 8] = ["01", "00", "414", "417", "8003", "8004", "8006", "8010"];

const LINKSET: &str = "application/linkset+json";

pub(crate) fn routes() -> Router<Arc<Shared>> {
    let mut r = Router::new();
    for ai in PRIMARY_KEYS {
        r = r.route(&format!("/{ai}/{{*rest}}"), get(resolve));
    }
    r
}

async fn resolve(
    State(shared): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let asked = format!("https://id.gs1.org{}", uri.path());
    let Ok(product) = tally_client::verify::product_key(&asked) else {
        let why = "not a GS1 Digital Link of a product";
        return (StatusCode::NOT_FOUND, why).into_response();
    };
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let wants_linkset = accept.contains(LINKSET)
        || matches!(
            params.get("linkType").map(String::as_str),
            Some("linkset" | "all")
        );
    let base = host_base(&headers);
    let self_link = format!("{base}{}", uri.path());
    let link_header =
        format!("<{self_link}?linkType=linkset>; rel=\"linkset\"; type=\"{LINKSET}\"");
    let mut r = match wants_linkset {
        true => (
            [(header::CONTENT_TYPE, LINKSET)],
            linkset(&shared, &product, &base, &self_link).to_string(),
        )
            .into_response(),
        false => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page(&product),
        )
            .into_response(),
    };
    if let Ok(v) = header::HeaderValue::from_str(&link_header) {
        r.headers_mut().insert(header::LINK, v);
    }
    r
}

/// Where this gateway was reached, for absolute links (`Host`, else loopback).
fn host_base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// A link to each bookkeeper's `/history` of `key` (percent-encoded), titled by its operator.
fn histories(shared: &Shared, key: &str, title: impl Fn(&str) -> String) -> Vec<Value> {
    (shared.client.policy().bookkeepers.iter())
        .filter_map(|bk| {
            let url = bk.urls.first()?;
            Some(json!({
                "href": format!("{}/history?key={key}", url.trim_end_matches('/')),
                "title": title(&bk.operator),
                "type": "application/json",
            }))
        })
        .collect()
}

/// The RFC 9264 link set of `product`.
fn linkset(shared: &Shared, product: &str, base: &str, self_link: &str) -> Value {
    let code = encode(product);
    let traceability = histories(shared, &code, |operator| {
        format!("Custody log kept by {operator} (verified by the Tally app, not by this page)")
    });
    let mut links = Map::new();
    links.insert("anchor".into(), json!(product));
    links.insert(
        "https://gs1.org/voc/traceability".into(),
        json!(traceability),
    );
    let registries = histories(shared, "registry", |operator| {
        format!("Who is certified for which steps and places, as {operator} logs it")
    });
    links.insert(
        "https://gs1.org/voc/certificationInfo".into(),
        json!(registries),
    );
    links.insert(
        "https://gs1.org/voc/epcis".into(),
        json!([{
            "href": format!("{base}/epcs/{code}/events"),
            "title": "EPCIS 2.0 events, verified from the bookkeepers (bearer token)",
            "type": "application/ld+json",
        }]),
    );
    links.insert(
        "https://gs1.org/voc/defaultLink".into(),
        json!([{"href": self_link, "title": "Verify this product in the Tally app", "type": "text/html"}]),
    );
    json!({"linkset": [links]})
}

/// The page a phone's browser shows: what to do, and nothing to believe.
fn page(product: &str) -> String {
    let code = escape(product);
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Verify in the Tally app</title></head><body>\
<h1>Verify this product in the Tally app</h1>\
<p>Scan the code with the Tally app: it checks the product's history itself, against several \
independent bookkeepers. This web page is served by one company and cannot tell you whether \
the product is genuine.</p>\
<h1 lang=\"zh\">请用 Tally 应用验证此产品</h1>\
<p lang=\"zh\">请用 Tally 应用扫描此码：应用会向多个独立的记账方核验产品的全部记录。本网页由一家公司提供，\
无法告诉您产品是否为正品。</p>\
<p><code>{code}</code></p></body></html>\n"
    )
}

fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '&' => "&amp;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            c => c.to_string(),
        })
        .collect()
}
