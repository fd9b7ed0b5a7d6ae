//! Verifying a scanned product: ask every bookkeeper at once, let the core judge, remember.

use crate::evidence::parse_history;
use crate::fetch::FetchError;
use crate::view::{self, FetchReport, History, Source};
use crate::{Client, ClientError};
use std::time::Instant;
use tally_confidential::{LabelSecret, RecipientSecret};
use tally_trust::{LabelCheck, LabelSigner, LogEvidence, Reason, Request};
use time::OffsetDateTime;

/// The product a scanned or typed code names, as the canonical GS1 Digital Link (keeping the lot
/// and serial: a recall of the lot concerns the unit). Anything else — a plain web address, text,
/// a code without a product key — is refused with what it is; nothing is ever fetched from it.
pub fn product_key(code: &str) -> Result<String, ClientError> {
    let scan = tally_gs1::parse_scan_payload(code.trim().as_bytes()).map_err(|e| {
        let shown = printable(&code.chars().take(80).collect::<String>());
        if code.starts_with("http://") || code.starts_with("https://") {
            ClientError::NotAProduct(format!(
                "{shown} is a web address, not a GS1 Digital Link of a product ({e}); it was not opened"
            ))
        } else {
            ClientError::NotAProduct(format!("{shown:?} is not a GS1 product code: {e}"))
        }
    })?;
    let link = scan
        .to_digital_link()
        .map_err(|e| ClientError::NotAProduct(format!("the code has no product key: {e}")))?;
    Ok(link.canonical_uri())
}

/// The label secret a scanned code carries (none, or one): what opens its product's sealed
/// entries.
pub(crate) fn labels_of(code: &str) -> Vec<LabelSecret> {
    LabelSecret::from_link(code.trim()).into_iter().collect()
}

/// [`product_key`], keeping the label's secret if the code carries one: what a handoff records,
/// so that its event is sealed for that label (see `Handoff::take_labels`).
pub fn labelled_product_key(code: &str) -> Result<String, ClientError> {
    let product = product_key(code)?;
    Ok(match LabelSecret::from_link(code.trim()) {
        Some(secret) => secret.add_to_link(&product),
        None => product,
    })
}

/// Scanned text made safe to print: control characters (a terminal's escape sequences among
/// them) as `\u{…}` escapes, everything else as it is.
pub fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = match c.is_control() {
                true => c.escape_unicode().collect(),
                false => vec![c],
            };
            escaped
        })
        .collect()
}

/// The host a scanned Digital Link points to (lower case, no port), if the code is a web
/// address: the verdict flags one that no organisation of the product registered.
pub fn link_host(code: &str) -> Option<String> {
    let code = code.trim();
    // A scanner's AIM symbology prefix (`]Q1`) comes before the link.
    let code = match code.strip_prefix(']') {
        Some(rest) => rest.get(2..)?,
        None => code,
    };
    let scheme = code.find("://")?;
    if !matches!(
        code[..scheme].to_ascii_lowercase().as_str(),
        "http" | "https"
    ) {
        return None;
    }
    let authority = code[scheme + 3..].split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => host.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// What a verification keeps on this device, beyond what protects every later read (trusted
/// checkpoints, inconsistencies), and what stands in when no bookkeeper answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// A scan: kept for offline viewing, and the kept history stands in.
    Scan,
    /// A recipient's read: not kept; the holder's kept history stands in.
    Read,
    /// A service's read: not kept, and nothing stands in.
    Nothing,
}

/// The key a verified history is cached under: the product's canonical GS1 identity (a unit's
/// GTIN and serial, whatever lot or data attributes the label adds), which is also what `tally`
/// prints, so either form finds it.
fn cache_key(product: &str) -> String {
    tally_epcis::epc::canonical_gs1_uri(product).unwrap_or_else(|| product.to_owned())
}

impl Client {
    /// Verifies the history of the product `code` names (a Digital Link, an element string, a
    /// scanner payload) against every bookkeeper of the policy, concurrently.
    ///
    /// The checkpoints it proves consistent become trusted, a fork or rollback is recorded with
    /// its evidence, and the history is kept for offline viewing. When no bookkeeper answers, the
    /// last history verified on this device is returned as [`Source::Cached`], with its age.
    pub async fn verify(&self, code: &str, now: OffsetDateTime) -> Result<History, ClientError> {
        self.read(code, now, None, Keep::Scan).await
    }

    /// The same verification for a service that answers others (the EPCIS gateway): the
    /// checkpoints it proves are trusted and any fork or rollback recorded as for a scan, but
    /// the history is not kept for offline viewing, and with no bookkeeper answering there is
    /// no kept history to fall back on ([`Source::Offline`]).
    pub async fn check(&self, code: &str, now: OffsetDateTime) -> Result<History, ClientError> {
        self.read(code, now, None, Keep::Nothing).await
    }

    /// The same verification read by an entitled recipient (an auditor, a regulator): the same
    /// verdict, its steps showing the members the brand withheld from label holders where they
    /// are wrapped for `me`. The checkpoints it proves are trusted as for any scan, but the
    /// history is not kept as this device's scan: its shopper view stays a holder's.
    pub async fn verify_as(
        &self,
        code: &str,
        me: &RecipientSecret,
        now: OffsetDateTime,
    ) -> Result<History, ClientError> {
        self.read(code, now, Some(me), Keep::Read).await
    }

    async fn read(
        &self,
        code: &str,
        now: OffsetDateTime,
        reader: Option<&RecipientSecret>,
        keep: Keep,
    ) -> Result<History, ClientError> {
        let product = product_key(code)?;
        let host = link_host(code);
        let secrets = labels_of(code);
        let state = self.store()?.trust_state()?;
        let mut requests = tokio::task::JoinSet::new();
        for bk in &self.policy.bookkeepers {
            let old = state.logs.get(bk.log_key.name()).map_or(0, |t| t.size);
            let (http, bk, key) = (self.http.clone(), bk.clone(), product.clone());
            let secrets = secrets.clone();
            requests.spawn(async move {
                let started = Instant::now();
                let answer = match &bk.tiles {
                    Some(tiles) => http.tiled_history(&bk, tiles, &key, old, &secrets).await,
                    None => http
                        .history(&bk, &key, old, &secrets)
                        .await
                        .and_then(|body| {
                            parse_history(&bk.name, &body, old)
                                .map_err(|e| FetchError::Malformed(e.0))
                        }),
                };
                (bk.name, answer, started.elapsed().as_millis() as u64)
            });
        }
        // While the bookkeepers answer: the keys the label's own signature is checked with.
        let signers = self.label_signers(code, now).await?;
        let (mut logs, mut unreachable, mut fetches) = (Vec::new(), Vec::new(), Vec::new());
        let mut malformed: Vec<(String, String)> = Vec::new();
        while let Some(done) = requests.join_next().await {
            let Ok((name, answer, ms)) = done else {
                continue;
            };
            let error = match answer {
                Ok(evidence) => {
                    logs.push(evidence);
                    None
                }
                Err(e) if e.is_unreachable() => {
                    unreachable.push(name.clone());
                    Some(e.to_string())
                }
                Err(e) => {
                    malformed.push((name.clone(), e.to_string()));
                    Some(e.to_string())
                }
            };
            fetches.push(FetchReport {
                bookkeeper: name,
                error,
                ms,
            });
        }
        // Policy order, so a verdict does not depend on which answer came first.
        let order = |name: &str| self.policy.bookkeepers.iter().position(|b| b.name == name);
        logs.sort_by_key(|l: &LogEvidence| order(&l.bookkeeper));
        unreachable.sort_by_key(|n| order(n));
        malformed.sort_by_key(|(n, _)| order(n));
        let verdict = tally_trust::verify(&Request {
            unreachable: &unreachable,
            malformed: &malformed,
            host: host.as_deref(),
            secrets: &secrets,
            reader,
            label: Some(code),
            label_signers: &signers,
            ..Request::online(&self.policy, &product, &logs, &state, now)
        });
        let at = now.unix_timestamp();
        if logs.is_empty() {
            let kept = match keep {
                Keep::Nothing => None,
                _ => self.store()?.cached_history(&cache_key(&product))?,
            };
            if let Some(cached) = kept {
                if let Ok(mut h) = serde_json::from_str::<History>(&cached.verdict) {
                    h.source = Source::Cached;
                    h.checked_at = cached.verified_at;
                    return Ok(view::with_label(h, &verdict.label));
                }
            }
            return Ok(view::history(
                &verdict,
                &self.policy,
                &fetches,
                Source::Offline,
                at,
            ));
        }
        let history = view::history(&verdict, &self.policy, &fetches, Source::Live, at);
        let inconsistencies: Vec<_> = verdict
            .reasons
            .iter()
            .filter_map(|r| match r {
                Reason::LogInconsistent { log, evidence } => Some((log.clone(), evidence.clone())),
                _ => None,
            })
            .collect();
        if keep != Keep::Scan {
            let updates = &verdict.trust_updates;
            self.store()?
                .record_monitoring(updates, &inconsistencies, at)?;
            return Ok(history);
        }
        let json =
            serde_json::to_string(&history).map_err(|e| ClientError::Event(e.to_string()))?;
        self.store()?.record_verification(
            &cache_key(&product),
            status_word(&history),
            &json,
            &verdict.trust_updates,
            &inconsistencies,
            at,
        )?;
        Ok(history)
    }

    /// The labelling keys to check `code`'s signature (GS1 AI 8030) with: those kept from the
    /// registry read last, or, when none of them made the signature, the registry read again
    /// now (a brand's new labelling key; with no bookkeeper answering, the kept ones stand).
    async fn label_signers(
        &self,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<LabelSigner>, ClientError> {
        let kept = self.kept_label_signers()?;
        match tally_trust::label::check(code, &kept) {
            LabelCheck::Forged { .. } | LabelCheck::Unchecked => {
                self.read_label_signers(code, now).await
            }
            _ => Ok(kept),
        }
    }

    /// The labelling keys read from the registry now. A device of a confidential network that
    /// is no member (a shopper's phone) cannot read the sealed registry: it reads the records of
    /// the brand that owns `code`'s company prefix, which the prefix opens, and keeps their keys
    /// beside the others (see `tally_trust::sealed_registry`).
    async fn read_label_signers(
        &self,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<LabelSigner>, ClientError> {
        if !self.policy.confidential || self.registry_secret()?.is_some() {
            return Ok(self.directory(now.unix_timestamp()).await?.label_signers);
        }
        let candidates = tally_trust::sealed_registry::prefix_candidates(&product_key(code)?);
        let Some((records, _)) = self.read_registry(candidates, true).await else {
            return self.kept_label_signers();
        };
        let refs: Vec<&tally_trust::Entry> = records.iter().collect();
        let read = tally_trust::Registry::build(&self.policy, &refs).label_signers();
        let mut learned = self.learned_label_signers()?;
        learned.retain(|l| !read.iter().any(|r| r.key == l.key));
        learned.extend(read);
        if let Ok(json) = serde_json::to_string(&learned) {
            self.store()?.set_setting(LEARNED_SIGNERS, &json)?;
        }
        self.kept_label_signers()
    }

    /// The last history verified on this device for the product `code` names, if any, as
    /// [`Source::Cached`].
    pub fn cached(&self, code: &str) -> Result<Option<History>, ClientError> {
        let product = product_key(code)?;
        let kept = self.kept_label_signers()?;
        let label = tally_trust::label::check(code, &kept);
        Ok(self
            .store()?
            .cached_history(&cache_key(&product))?
            .and_then(|c| {
                let mut h = serde_json::from_str::<History>(&c.verdict).ok()?;
                h.source = Source::Cached;
                h.checked_at = c.verified_at;
                Some(view::with_label(h, &label))
            }))
    }

    /// The labelling keys kept from the registry read last, and those a phone read by prefix.
    fn kept_label_signers(&self) -> Result<Vec<LabelSigner>, ClientError> {
        let mut kept = self
            .cached_directory()?
            .map(|d| d.label_signers)
            .unwrap_or_default();
        let learned = self.learned_label_signers()?;
        kept.retain(|k| !learned.iter().any(|l| l.key == k.key));
        kept.extend(learned);
        Ok(kept)
    }

    /// The labelling keys read by company prefix (see [`Client::read_label_signers`]).
    fn learned_label_signers(&self) -> Result<Vec<LabelSigner>, ClientError> {
        Ok(self
            .store()?
            .setting(LEARNED_SIGNERS)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default())
    }
}

/// The setting under which the labelling keys read by company prefix are kept.
const LEARNED_SIGNERS: &str = "label_signers";

fn status_word(h: &History) -> &'static str {
    match h.status {
        tally_trust::Status::Verified => "verified",
        tally_trust::Status::Warning => "warning",
        tally_trust::Status::Unverifiable => "unverifiable",
        tally_trust::Status::Failed => "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::product_key;

    #[test]
    fn codes_become_canonical_product_keys_and_other_text_is_refused() {
        let k = product_key("https://brand.example/01/09506000134352/10/LOT-1/21/S1?17=281130")
            .unwrap();
        assert_eq!(
            k,
            "https://id.gs1.org/01/09506000134352/10/LOT-1/21/S1?17=281130"
        );
        let es = product_key("]Q3010950600013435210LOT-1\u{1d}21S1").unwrap();
        assert_eq!(es, "https://id.gs1.org/01/09506000134352/10/LOT-1/21/S1");
        let err = product_key("https://evil.example/login")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("web address") && err.contains("not opened"),
            "{err}"
        );
        assert!(product_key("hello").is_err());
        // A wrong check digit is refused, not looked up.
        assert!(product_key("https://id.gs1.org/01/09506000134353/21/S1").is_err());
    }

    #[test]
    fn control_characters_of_a_scanned_code_are_escaped() {
        assert_eq!(super::printable("ok\u{1b}[2J\u{7}é"), "ok\\u{1b}[2J\\u{7}é");
        let err = product_key("https://evil.example/\u{1b}]0;pwned\u{7}")
            .unwrap_err()
            .to_string();
        assert!(!err.chars().any(char::is_control), "{err:?}");
    }

    #[test]
    fn the_host_a_link_points_to_is_read_without_port_or_user() {
        use super::link_host;
        assert_eq!(
            link_host("https://Paypa1-Secure-Login.example/01/09506000134352/21/S1").as_deref(),
            Some("paypa1-secure-login.example")
        );
        assert_eq!(
            link_host("HTTP://user@brand.example:8080/01/x").as_deref(),
            Some("brand.example")
        );
        assert_eq!(link_host("]Q3010950600013435221S1"), None);
        assert_eq!(
            link_host("]Q1https://brand.example/01/09506000134352/21/S1").as_deref(),
            Some("brand.example")
        );
        assert_eq!(link_host("urn:epc:id:sgtin:0614141.107346.2017"), None);
    }
}
