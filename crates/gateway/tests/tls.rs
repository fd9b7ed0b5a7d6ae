//! HTTPS and mutual TLS: with a client CA, a client's certificate is its credential, and a
//! connection without one, or with one from another CA, never reaches HTTP; with TLS alone, the
//! bearer token is still required.

mod common;

use common::*;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, SanType,
};
use serde_json::json;
use std::path::Path;

/// A CA: its certificate (PEM), and what signs with it.
struct Ca {
    pem: String,
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    let cert = p.self_signed(&key).unwrap();
    Ca {
        pem: cert.pem(),
        cert,
        key,
    }
}

/// A leaf certificate and its key (PEM) issued by `ca`, for a server (127.0.0.1) or a client.
fn leaf(ca: &Ca, name: &str, server: bool) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    if server {
        p.subject_alt_names
            .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    } else {
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    }
    let cert = p.signed_by(&key, &ca.cert, &ca.key).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// A client trusting `ca` for the server, presenting `identity` (certificate and key PEM) if any.
fn client(ca: &Ca, identity: Option<&(String, String)>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem.as_bytes()).unwrap());
    if let Some((cert, key)) = identity {
        let pem = format!("{cert}{key}");
        b = b.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
    }
    b.build().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_certificate_from_the_client_ca_is_the_credential_and_nothing_else_connects() {
    let certs = tempfile::tempdir().unwrap();
    let (server_ca, client_ca, rogue_ca) = (ca("server CA"), ca("client CA"), ca("rogue CA"));
    let (cert, key) = leaf(&server_ca, "gateway", true);
    let tls = json!({
        "cert": write(certs.path(), "gateway.pem", &cert),
        "key": write(certs.path(), "gateway.key", &key),
        "client_ca": write(certs.path(), "clients.pem", &client_ca.pem),
    });
    let g = start_full(json!({}), json!({"tokens": [], "tls": tls})).await;
    assert!(g.url.starts_with("https://127.0.0.1:"), "{}", g.url);
    let url = format!("{}/eventTypes", g.url);

    // The ERP's certificate: served without any token.
    let erp = leaf(&client_ca, "erp.dairy.example", false);
    let r = client(&server_ca, Some(&erp))
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.json::<serde_json::Value>().await.is_ok());
    // A capture over mTLS is taken like one with a token, and its job is read back.
    let doc = document(&[commissioning(1, &g.net.parties.place)]);
    let r = client(&server_ca, Some(&erp))
        .post(format!("{}/capture", g.url))
        .header("content-type", "application/ld+json")
        .body(doc)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let job = r.headers()["location"].to_str().unwrap().to_owned();
    let r = client(&server_ca, Some(&erp))
        .get(format!("{}{job}", g.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // No certificate, or one from another CA: the handshake fails, no HTTP status at all.
    for who in [None, Some(leaf(&rogue_ca, "intruder", false))] {
        let err = client(&server_ca, who.as_ref()).get(&url).send().await;
        assert!(err.is_err(), "{who:?}: {err:?}");
    }
    // A server certificate presented as a client's (wrong key usage) is refused too.
    let wrong_use = leaf(&client_ca, "not-a-client", true);
    assert!(client(&server_ca, Some(&wrong_use))
        .get(&url)
        .send()
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn https_without_a_client_ca_still_requires_the_bearer_token() {
    let certs = tempfile::tempdir().unwrap();
    let server_ca = ca("server CA");
    let (cert, key) = leaf(&server_ca, "gateway", true);
    let tls = json!({
        "cert": write(certs.path(), "gateway.pem", &cert),
        "key": write(certs.path(), "gateway.key", &key),
    });
    let g = start_full(json!({}), json!({ "tls": tls })).await;
    let url = format!("{}/eventTypes", g.url);
    let http = client(&server_ca, None);
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    let r = http.get(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // Plain HTTP to the HTTPS port is not served.
    let plain = g.url.replace("https://", "http://");
    let r = reqwest::get(format!("{plain}/eventTypes")).await;
    assert!(r.is_err() || r.unwrap().status() != 200);
}

#[test]
fn a_config_without_tokens_needs_a_client_ca_and_bad_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = |v: serde_json::Value| {
        let p = dir.path().join("g.json");
        std::fs::write(&p, v.to_string()).unwrap();
        tally_gateway::Config::load(&p)
    };
    let base = json!({"home": "c.db", "passphrase_file": "p", "database": "g.db"});
    let mut no_tokens = base.clone();
    no_tokens["tokens"] = json!([]);
    assert!(matches!(
        cfg(no_tokens.clone()),
        Err(tally_gateway::ConfigError::Tokens)
    ));
    no_tokens["tls"] = json!({"cert": "a.pem", "key": "a.key"});
    assert!(matches!(
        cfg(no_tokens.clone()),
        Err(tally_gateway::ConfigError::Tokens)
    ));
    no_tokens["tls"]["client_ca"] = json!("ca.pem");
    let c = cfg(no_tokens).unwrap();
    let tls = c.tls.unwrap();
    assert_eq!(tls.cert, dir.path().join("a.pem"));
    // A missing certificate file is named when the gateway builds its TLS.
    let Err(err) = tls.acceptor() else {
        panic!("no certificate files, yet an acceptor");
    };
    let err = err.to_string();
    assert!(err.contains("a.pem"), "{err}");
}
