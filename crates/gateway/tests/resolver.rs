//! The Digital Link resolver against a real network (see `common`): link sets that point to
//! the bookkeepers, a page that vouches for nothing, no token needed and no secret echoed.

mod common;

use common::*;
use serde_json::Value;
use tally_testnet::unit;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanned_link_resolves_to_the_bookkeepers_and_a_page_that_says_verify_in_the_app() {
    let g = start().await;
    let code = unit(2);
    let path = code.strip_prefix("https://id.gs1.org").unwrap();
    let secret = "tk=AAAAAAAAAAAAAAAAAAAAAA";
    // A link set, asked for by media type or by linkType, without a token.
    for (query, accept) in [
        (format!("?{secret}"), "application/linkset+json"),
        (format!("?linkType=all&{secret}"), "*/*"),
    ] {
        let r = (g.http.get(format!("{}{path}{query}", g.url)))
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{query}");
        assert_eq!(r.headers()["content-type"], "application/linkset+json");
        let link = r.headers()["link"].to_str().unwrap().to_owned();
        assert!(link.contains("rel=\"linkset\""), "{link}");
        let text = r.text().await.unwrap();
        assert!(!text.contains("tk="), "no label secret in a link: {text}");
        let set: Value = serde_json::from_str(&text).unwrap();
        let links = &set["linkset"][0];
        assert_eq!(links["anchor"], code);
        let trace = links["https://gs1.org/voc/traceability"]
            .as_array()
            .unwrap();
        assert_eq!(trace.len(), 3, "one per bookkeeper");
        for t in trace {
            let href = t["href"].as_str().unwrap();
            assert!(href.contains("/history?key="), "{href}");
            // Each points to a real bookkeeper's answer about the product.
            let answer = reqwest::get(href).await.unwrap();
            assert_eq!(answer.status(), 200, "{href}");
        }
        let certified = links["https://gs1.org/voc/certificationInfo"]
            .as_array()
            .unwrap();
        assert_eq!(certified.len(), 3);
        let registry = reqwest::get(certified[0]["href"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(registry.status(), 200);
        let epcis = links["https://gs1.org/voc/epcis"][0]["href"]
            .as_str()
            .unwrap();
        assert!(
            epcis.starts_with(&g.url) && epcis.ends_with("/events"),
            "{epcis}"
        );
    }
    // A phone's browser gets a page that tells it to verify in the app, in both languages.
    let r = g.http.get(format!("{}{path}", g.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = r.text().await.unwrap();
    assert!(page.contains("Verify this product in the Tally app"));
    assert!(page.contains("请用 Tally 应用验证此产品"));
    assert!(page.contains("cannot tell you whether"));
    // Not a product: not found. The EPCIS interface still needs its token.
    let r = g
        .http
        .get(format!("{}/01/123", g.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = g
        .http
        .get(format!("{}/events", g.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
