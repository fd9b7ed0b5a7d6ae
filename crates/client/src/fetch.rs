//! Talking to bookkeepers over HTTP (reqwest with rustls): the client's only network I/O.
//!
//! Every request goes to a URL of a bookkeeper named in the installed policy, never to anything a
//! scanned code names. Every answer is bounded in time ([`Limits::timeout`]) and size (a body over
//! the limit is cut off and refused, never buffered whole), and every failure is reported as a
//! [`FetchError`] that says what happened, so the verdict can say which bookkeeper was down, slow
//! or malformed. A bookkeeper's URLs are tried in the policy's order.

use base64::Engine as _;
use serde::Deserialize;
use std::time::Duration;
use tally_confidential::{LabelSecret, LABEL_SECRET_HEADER};
use tally_tlog::Hash;
use tally_trust::policy::Bookkeeper;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Bounds on every request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Whole request, connection to last byte.
    pub timeout: Duration,
    /// Connection set-up alone: a bookkeeper that is down is known quickly.
    pub connect_timeout: Duration,
    /// Largest answer body read.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
            max_body: 16 * 1024 * 1024,
        }
    }
}

/// Why a bookkeeper's answer could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("timed out")]
    Timeout,
    #[error("unreachable: {0}")]
    Unreachable(String),
    #[error("answered HTTP {status}: {message}")]
    Status { status: u16, message: String },
    #[error("answer larger than {0} bytes")]
    TooLarge(usize),
    #[error("malformed answer: {0}")]
    Malformed(String),
}

impl FetchError {
    /// Whether the bookkeeper could not be reached at all (down, refused, timed out, failing on
    /// its side), as opposed to answering something unusable.
    pub fn is_unreachable(&self) -> bool {
        match self {
            FetchError::Timeout | FetchError::Unreachable(_) => true,
            FetchError::Status { status, .. } => *status >= 500,
            FetchError::TooLarge(_) | FetchError::Malformed(_) => false,
        }
    }

    fn from_reqwest(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            FetchError::Timeout
        } else {
            // The chain of sources says "connection refused" and the like.
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg = s.to_string();
                src = s.source();
            }
            FetchError::Unreachable(msg)
        }
    }
}

/// One answer of a bookkeeper's `/submit-bundle`, per entry.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct BundleAnswer {
    #[serde(default)]
    pub index: Option<u64>,
    /// The leaf hash (base64) already logged at `index` for the same event serialised otherwise:
    /// bookkeepers log an event once, by its CBV 2.0 Event Hash ID.
    #[serde(default)]
    pub duplicate_of: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub status: Option<u16>,
}

/// A bookkeeper's answer to `/submit-bundle`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct BundleAnswers {
    /// The `tally/receipt-batch/v1` note for every entry with an index, in order.
    #[serde(default)]
    pub receipt: Option<String>,
    /// One per entry sent, in order.
    pub results: Vec<BundleAnswer>,
}

/// Most pages of one `/history` answer followed: with a bookkeeper's pages of up to 1,000
/// entries, far above any product's history and an organisation's activity of years.
pub const MAX_HISTORY_PAGES: usize = 100;

/// The fields of a `/history` page that say whether more follow.
#[derive(Deserialize)]
struct PageHead {
    size: u64,
    #[serde(default)]
    next: Option<u64>,
}

#[derive(Deserialize)]
struct ProofAnswer {
    proof: Vec<String>,
}

#[derive(Deserialize)]
struct LookupAnswer {
    indices: Vec<u64>,
    entries: Vec<String>,
    #[serde(default)]
    next: Option<u64>,
}

fn malformed(e: serde_json::Error) -> FetchError {
    FetchError::Malformed(e.to_string())
}

/// The HTTP client, shared by every request (connections are kept alive per bookkeeper).
#[derive(Debug, Clone)]
pub struct Http {
    pub(crate) client: reqwest::Client,
    limits: Limits,
}

impl Http {
    /// A client with these limits.
    pub fn new(limits: Limits) -> Result<Self, reqwest::Error> {
        Ok(Http {
            client: reqwest::Client::builder()
                .timeout(limits.timeout)
                .connect_timeout(limits.connect_timeout)
                // A bookkeeper never redirects; following one would let it send us elsewhere.
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            limits,
        })
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// GET `path` (with its query) from bookkeeper `bk`: the body of a 200 answer.
    pub async fn get(&self, bk: &Bookkeeper, path: &str) -> Result<Vec<u8>, FetchError> {
        self.each_url(bk, |base| self.client.get(format!("{base}{path}")))
            .await
    }

    /// GET presenting label secrets (in a header, never in the URL, which proxies and access
    /// logs keep): how a holder asks for its product's sealed entries.
    pub(crate) async fn get_with(
        &self,
        bk: &Bookkeeper,
        path: &str,
        secrets: &[LabelSecret],
    ) -> Result<Vec<u8>, FetchError> {
        if secrets.is_empty() {
            return self.get(bk, path).await;
        }
        let header = secrets
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        self.each_url(bk, |base| {
            self.client
                .get(format!("{base}{path}"))
                .header(LABEL_SECRET_HEADER, &header)
        })
        .await
    }

    /// POST `body` to `path` of bookkeeper `bk`: the body of a 200 answer.
    pub async fn post(
        &self,
        bk: &Bookkeeper,
        path: &str,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, FetchError> {
        self.each_url(bk, |base| {
            self.client
                .post(format!("{base}{path}"))
                .header("content-type", "application/octet-stream")
                .body(body.clone())
        })
        .await
    }

    /// Tries the bookkeeper's URLs in order until one answers (any HTTP answer ends the search:
    /// only a failure to connect means another URL may do better).
    async fn each_url(
        &self,
        bk: &Bookkeeper,
        request: impl Fn(&str) -> reqwest::RequestBuilder,
    ) -> Result<Vec<u8>, FetchError> {
        let mut last = FetchError::Unreachable("no URL".into());
        for url in &bk.urls {
            let base = url.trim_end_matches('/');
            // One retry on a broken connection: a pooled keep-alive connection to a bookkeeper
            // that restarted fails once before a fresh one is opened. Every request here is
            // idempotent (reads; submissions answer a repeat with the original receipt).
            let mut answer = self.send(request(base)).await;
            if matches!(answer, Err(FetchError::Unreachable(_))) {
                answer = self.send(request(base)).await;
            }
            match answer {
                Err(e @ (FetchError::Unreachable(_) | FetchError::Timeout)) => last = e,
                other => return other,
            }
        }
        Err(last)
    }

    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Vec<u8>, FetchError> {
        let mut response = request.send().await.map_err(FetchError::from_reqwest)?;
        let status = response.status();
        // A declared length over the limit is refused before any of the body is read; an
        // undeclared one is counted as it arrives.
        if response
            .content_length()
            .is_some_and(|n| n > self.limits.max_body as u64)
        {
            return Err(FetchError::TooLarge(self.limits.max_body));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(FetchError::from_reqwest)? {
            if body.len() + chunk.len() > self.limits.max_body {
                return Err(FetchError::TooLarge(self.limits.max_body));
            }
            body.extend_from_slice(&chunk);
        }
        if status != reqwest::StatusCode::OK {
            let message = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_owned))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
            return Err(FetchError::Status {
                status: status.as_u16(),
                message,
            });
        }
        Ok(body)
    }

    /// `GET /history?key=K&old=N`, every page of it: the answer as one JSON document, the later
    /// pages' entries (asked for with `after` and the first page's `size`, so that they prove
    /// against the same checkpoint) appended to the first's (parse with
    /// `evidence::parse_history`). A bookkeeper that pages backwards, or past
    /// [`MAX_HISTORY_PAGES`], answered something malformed.
    pub async fn history(
        &self,
        bk: &Bookkeeper,
        key: &str,
        old: u64,
        secrets: &[LabelSecret],
    ) -> Result<Vec<u8>, FetchError> {
        let key = percent_encode(key);
        let first = self
            .get_with(bk, &format!("/history?key={key}&old={old}"), secrets)
            .await?;
        let head: PageHead = serde_json::from_slice(&first).map_err(malformed)?;
        let Some(mut after) = head.next else {
            return Ok(first);
        };
        let mut merged: serde_json::Value = serde_json::from_slice(&first).map_err(malformed)?;
        for _ in 1..MAX_HISTORY_PAGES {
            let path = format!("/history?key={key}&size={}&after={after}", head.size);
            let mut page: serde_json::Value =
                serde_json::from_slice(&self.get_with(bk, &path, secrets).await?)
                    .map_err(malformed)?;
            let next = page["next"].as_u64();
            let entries = match page["entries"].take() {
                serde_json::Value::Array(e) => e,
                _ => return Err(FetchError::Malformed("a page without entries".into())),
            };
            if entries
                .iter()
                .any(|e| e["index"].as_u64().is_none_or(|i| i <= after))
            {
                return Err(FetchError::Malformed(
                    "a page repeats earlier entries".into(),
                ));
            }
            if let Some(all) = merged["entries"].as_array_mut() {
                all.extend(entries);
            }
            match next {
                Some(n) if n > after => after = n,
                Some(_) => return Err(FetchError::Malformed("pages do not advance".into())),
                None => {
                    merged["next"] = serde_json::Value::Null;
                    return serde_json::to_vec(&merged).map_err(malformed);
                }
            }
        }
        Err(FetchError::Malformed(format!(
            "more than {MAX_HISTORY_PAGES} pages of history"
        )))
    }

    /// The latest cosigned checkpoint note: published (see [`Http::published`]) or `GET
    /// /checkpoint`.
    pub async fn checkpoint(&self, bk: &Bookkeeper) -> Result<Vec<u8>, FetchError> {
        self.published(bk, "checkpoint").await
    }

    /// `GET /proof/consistency?old=A&size=B`.
    pub async fn consistency(
        &self,
        bk: &Bookkeeper,
        old: u64,
        size: u64,
    ) -> Result<Vec<Hash>, FetchError> {
        let body = self
            .get(bk, &format!("/proof/consistency?old={old}&size={size}"))
            .await?;
        let answer: ProofAnswer =
            serde_json::from_slice(&body).map_err(|e| FetchError::Malformed(e.to_string()))?;
        answer
            .proof
            .iter()
            .map(|h| {
                B64.decode(h)
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .map(Hash)
                    .ok_or_else(|| FetchError::Malformed("a proof hash is not 32 bytes".into()))
            })
            .collect()
    }

    /// `GET /lookup?key=K`: indices and entry bytes, every page of them (at most
    /// [`MAX_HISTORY_PAGES`]).
    pub async fn lookup(
        &self,
        bk: &Bookkeeper,
        key: &str,
        secrets: &[LabelSecret],
    ) -> Result<Vec<(u64, Vec<u8>)>, FetchError> {
        let mut out: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut after: Option<u64> = None;
        for _ in 0..MAX_HISTORY_PAGES {
            let path = match after {
                None => format!("/lookup?key={}", percent_encode(key)),
                Some(a) => format!("/lookup?key={}&after={a}", percent_encode(key)),
            };
            let answer: LookupAnswer =
                serde_json::from_slice(&self.get_with(bk, &path, secrets).await?)
                    .map_err(malformed)?;
            if answer.indices.len() != answer.entries.len() {
                return Err(FetchError::Malformed("indices and entries differ".into()));
            }
            if answer
                .indices
                .iter()
                .any(|&i| after.is_some_and(|a| i <= a))
            {
                return Err(FetchError::Malformed(
                    "a page repeats earlier entries".into(),
                ));
            }
            for (i, e) in answer.indices.into_iter().zip(answer.entries) {
                let bytes = B64
                    .decode(e)
                    .map_err(|_| FetchError::Malformed("an entry is not base64".into()))?;
                out.push((i, bytes));
            }
            match answer.next {
                Some(n) if after.is_none_or(|a| n > a) => after = Some(n),
                Some(_) => return Err(FetchError::Malformed("pages do not advance".into())),
                None => return Ok(out),
            }
        }
        Err(FetchError::Malformed(format!(
            "more than {MAX_HISTORY_PAGES} pages"
        )))
    }

    /// `POST /submit-bundle`: the bundle's receipt and one answer per entry, in order.
    pub async fn submit_bundle(
        &self,
        bk: &Bookkeeper,
        entries: &[&[u8]],
    ) -> Result<BundleAnswers, FetchError> {
        let bundle = tally_tlog::tiles::encode_entry_bundle(entries.iter().copied())
            .ok_or_else(|| FetchError::Malformed("an entry is too large for a bundle".into()))?;
        let body = self.post(bk, "/submit-bundle", bundle).await?;
        let answers: BundleAnswers =
            serde_json::from_slice(&body).map_err(|e| FetchError::Malformed(e.to_string()))?;
        if answers.results.len() != entries.len() {
            return Err(FetchError::Malformed(format!(
                "{} answers for {} entries",
                answers.results.len(),
                entries.len()
            )));
        }
        Ok(answers)
    }
}

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::percent_encode;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            percent_encode("https://id.gs1.org/01/09506000134352/21/A+B c"),
            "https%3A%2F%2Fid.gs1.org%2F01%2F09506000134352%2F21%2FA%2BB%20c"
        );
    }
}
