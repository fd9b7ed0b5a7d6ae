//! A [`Sink`] on an S3-compatible object store (AWS S3, SeaweedFS, MinIO, Garage, Ceph RGW…).
//!
//! Requests are signed with AWS Signature Version 4 by `rusty-s3`, a sans-I/O S3 library: it
//! turns an action into a presigned URL, and any HTTP client sends it (here reqwest's blocking
//! client, on the publisher's blocking thread). The alternatives were the AWS SDK, whose client
//! and runtime weigh more than the rest of this server, and `object_store` or `rust-s3`, which
//! bring their own async stacks. The signing is what must follow AWS's spec byte for byte, and
//! `rusty-s3` is tested against it; two requests (PUT and GET an object) need nothing more.
//!
//! Configuration follows the AWS CLI and SDKs, so an operator's existing settings apply:
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION` (or `AWS_DEFAULT_REGION`, else
//! `us-east-1`), and `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` for a store other than AWS
//! (addressed path-style, as such stores expect).

use super::Sink;
use crate::error::ServeError;
use rusty_s3::{Bucket, Credentials, S3Action as _, UrlStyle};
use std::io::{Error, ErrorKind};
use std::time::Duration;

/// How long a presigned request stays valid: it is sent at once.
const SIGNED_FOR: Duration = Duration::from_secs(60);
/// Timeout of one request to the store.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A bucket, and the prefix under it that this log's objects go under.
pub struct S3Bucket {
    bucket: Bucket,
    credentials: Credentials,
    prefix: String,
    http: reqwest::blocking::Client,
}

impl S3Bucket {
    /// The bucket `location` names (`BUCKET[/PREFIX]`, as after `s3://`), with the endpoint,
    /// region and credentials of the environment (see the module docs).
    pub fn from_env(location: &str) -> Result<Self, ServeError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".into());
        let endpoint = var("AWS_ENDPOINT_URL_S3").or_else(|| var("AWS_ENDPOINT_URL"));
        let (Some(key), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"))
        else {
            return Err(bad(
                location,
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to publish to S3",
            ));
        };
        Self::new(location, endpoint.as_deref(), &region, (&key, &secret))
    }

    /// The bucket `location` names at `endpoint` (AWS's own for `None`), written with the access
    /// key and secret `(key, secret)`.
    pub fn new(
        location: &str,
        endpoint: Option<&str>,
        region: &str,
        (key, secret): (&str, &str),
    ) -> Result<Self, ServeError> {
        let credentials = Credentials::new(key, secret);
        let (name, prefix) = location.split_once('/').unwrap_or((location, ""));
        let (url, style) = match endpoint {
            Some(url) => (url.to_owned(), UrlStyle::Path),
            None => (
                format!("https://s3.{region}.amazonaws.com"),
                UrlStyle::VirtualHost,
            ),
        };
        let url = url
            .parse()
            .map_err(|e| bad(location, format!("endpoint {url}: {e}")))?;
        let bucket = Bucket::new(url, style, name.to_owned(), region.to_owned())
            .map_err(|e| bad(location, e))?;
        let http = reqwest::blocking::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| bad(location, e))?;
        Ok(Self {
            bucket,
            credentials,
            prefix: prefix.trim_matches('/').to_owned(),
            http,
        })
    }

    /// The object key of `path` under this log's prefix.
    fn key(&self, path: &str) -> String {
        match self.prefix.is_empty() {
            true => path.to_owned(),
            false => format!("{}/{path}", self.prefix),
        }
    }
}

impl Sink for S3Bucket {
    fn put(&self, path: &str, data: &[u8]) -> std::io::Result<()> {
        let key = self.key(path);
        let url = self
            .bucket
            .put_object(Some(&self.credentials), &key)
            .sign(SIGNED_FOR);
        // Every object but the checkpoint is immutable once written (a partial tile is too: a
        // wider one has another name), so caches may keep it; the checkpoint must be fresh.
        let cache = match path == "checkpoint" {
            true => "no-cache",
            false => "public, max-age=31536000, immutable",
        };
        let answer = self
            .http
            .put(url)
            .header(reqwest::header::CACHE_CONTROL, cache)
            .body(data.to_vec())
            .send()
            .map_err(|e| Error::other(format!("PUT {key}: {e}")))?;
        refused(&key, answer).map(|_| ())
    }

    fn get(&self, path: &str) -> std::io::Result<Option<Vec<u8>>> {
        let key = self.key(path);
        let url = self
            .bucket
            .get_object(Some(&self.credentials), &key)
            .sign(SIGNED_FOR);
        let answer = self
            .http
            .get(url)
            .send()
            .map_err(|e| Error::other(format!("GET {key}: {e}")))?;
        if answer.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let body = refused(&key, answer)?
            .bytes()
            .map_err(|e| Error::other(format!("GET {key}: {e}")))?;
        Ok(Some(body.to_vec()))
    }
}

/// The answer if it is a success; else an error carrying the store's status and message.
fn refused(
    key: &str,
    answer: reqwest::blocking::Response,
) -> std::io::Result<reqwest::blocking::Response> {
    let status = answer.status();
    if status.is_success() {
        return Ok(answer);
    }
    let body = answer.text().unwrap_or_default();
    let kind = match status.as_u16() {
        401 | 403 => ErrorKind::PermissionDenied,
        _ => ErrorKind::Other,
    };
    Err(Error::new(
        kind,
        format!(
            "{key}: the object store answered {status}: {}",
            first(&body)
        ),
    ))
}

/// The first 200 characters of an error body (S3's XML error names its code first).
fn first(body: &str) -> &str {
    body.char_indices()
        .nth(200)
        .map_or(body, |(i, _)| &body[..i])
}

fn bad(location: &str, reason: impl std::fmt::Display) -> ServeError {
    ServeError::Config {
        path: format!("s3://{location}"),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::S3Bucket;

    #[test]
    fn objects_go_under_the_prefix_the_location_names() {
        let at = |location: &str| {
            S3Bucket::new(
                location,
                Some("http://127.0.0.1:9"),
                "us-east-1",
                ("k", "s"),
            )
            .unwrap()
        };
        assert_eq!(at("tiles").key("checkpoint"), "checkpoint");
        assert_eq!(
            at("tiles/logs/bk1").key("tile/0/000"),
            "logs/bk1/tile/0/000"
        );
        assert_eq!(
            at("tiles/logs/bk1/").key("checkpoint"),
            "logs/bk1/checkpoint"
        );
        assert!(S3Bucket::new("tiles", Some("not a url"), "us-east-1", ("k", "s")).is_err());
        assert_eq!(super::super::under("s3://tiles/", "bk1"), "s3://tiles/bk1");
        assert_eq!(super::super::under("/srv/pub", "bk2"), "/srv/pub/bk2");
    }
}
