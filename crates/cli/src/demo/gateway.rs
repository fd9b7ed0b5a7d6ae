//! The demo's EPCIS gateways.
//!
//! A kept demo writes `DIR/gateway.json`: `tally gateway serve` for the processor against the
//! kept network, so that an ERP's EPCIS client can be pointed at it. With `--via-gateway`, every
//! organisation's journey events are captured through a gateway of its own (`POST /capture`)
//! instead of being recorded by its device: the shopper's verdicts must come out the same.
//!
//! A gateway gets a Tally home of its own (`NAME/client.db`, the network policy installed), the
//! organisation's certified device key sealed there under a random passphrase (the passphrase in
//! a file readable by its owner only, as a service's secret is), a random bearer token, and a
//! label book that already knows the labels given to it.

use super::{io, write};
use crate::error::{CliError, CliResult};
use crate::home::client_error;
use rand_core::RngCore as _;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tally_client::capture::Handoff;
use tally_client::{identity, Client, Limits};
use tally_tlog::SignerKey;

/// A gateway's config, written.
pub struct Written {
    pub config: PathBuf,
    pub token: String,
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand_core::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Writes `dir/NAME.json` and the home it names (`dir/NAME/`) for the organisation whose device
/// is `device`.
pub fn write_config(
    dir: &Path,
    name: &str,
    policy: &[u8],
    registry_secret: &tally_confidential::LabelSecret,
    device: &SignerKey,
    labels: &[String],
    now: i64,
) -> CliResult<Written> {
    let home = dir.join(name);
    std::fs::create_dir_all(&home).map_err(|e| io(&home, e))?;
    let db = home.join("client.db");
    Client::install_policy(&db, policy).map_err(client_error)?;
    let client = Client::open(&db, Limits::default()).map_err(client_error)?;
    (client.install_registry_secret(registry_secret)).map_err(client_error)?;
    let passphrase = random_hex(16);
    let sealed = identity::seal(device, &passphrase).map_err(client_error)?;
    let public = device.verifier().to_string();
    (client.store().map_err(client_error)?)
        .create_device("gateway", &public, &sealed, now)
        .map_err(client_error)?;
    write(
        &home.join("passphrase"),
        format!("{passphrase}\n").as_bytes(),
        0o600,
    )?;
    tally_gateway::learn_labels(&home.join("gateway.db"), labels).map_err(CliError::bad_input)?;
    let token = random_hex(24);
    // Relative to the config's own directory.
    let stem = Path::new(name)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let config = json!({
        "home": format!("{stem}/client.db"),
        "passphrase_file": format!("{stem}/passphrase"),
        "database": format!("{stem}/gateway.db"),
        "tokens": [token],
    });
    let path = dir.join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(&config).map_err(CliError::bad_input)?;
    write(&path, text.as_bytes(), 0o600)?;
    Ok(Written {
        config: path,
        token,
    })
}

/// One gateway per organisation, served in this process while the journeys are captured.
pub struct Fleet {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    /// Organisation id → the gateway's URL and token.
    gateways: HashMap<String, (String, String)>,
    /// Organisation id → the Event Hash IDs captured through its gateway.
    captured: HashMap<String, Vec<String>>,
    stop: Vec<tokio::sync::oneshot::Sender<()>>,
}

impl Fleet {
    /// Writes and starts a gateway for each organisation (`dir/gateways/ID.json`).
    pub fn start(
        dir: &Path,
        policy: &[u8],
        registry_secret: &tally_confidential::LabelSecret,
        orgs: &[(&str, &SignerKey)],
        now: i64,
    ) -> CliResult<Fleet> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(CliError::bad_input)?;
        let mut fleet = Fleet {
            rt,
            http: reqwest::Client::new(),
            gateways: HashMap::new(),
            captured: HashMap::new(),
            stop: Vec::new(),
        };
        for (id, device) in orgs {
            let w = write_config(
                dir,
                &format!("gateways/{id}"),
                policy,
                registry_secret,
                device,
                &[],
                now,
            )?;
            let config = tally_gateway::Config::load(&w.config).map_err(CliError::bad_input)?;
            let gateway = (fleet.rt)
                .block_on(tally_gateway::Gateway::bind(&config))
                .map_err(CliError::bad_input)?;
            let url = gateway.url();
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            fleet.rt.spawn(gateway.serve(async {
                let _ = stopped.await;
            }));
            fleet.stop.push(stop);
            fleet.gateways.insert(id.to_string(), (url, w.token));
        }
        Ok(fleet)
    }

    /// Captures `handoff` (its codes as scanned, with their labels) through organisation `by`'s
    /// gateway and waits until every bookkeeper has logged it; returns a summary line.
    pub fn capture(&mut self, by: &str, handoff: &Handoff) -> CliResult<String> {
        let (url, token) = (self.gateways.get(by))
            .ok_or_else(|| CliError::bad_input(format!("no gateway for {by}")))?;
        let event = handoff.to_epcis().map_err(CliError::bad_input)?;
        let mut event: Value = serde_json::from_slice(&event).map_err(CliError::bad_input)?;
        event["tally:withhold"] = json!(handoff.withhold);
        let doc = json!({
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                         {"tally": "urn:tally:epcis:"}],
            "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": event["eventTime"],
            "epcisBody": {"eventList": [event]},
        });
        self.rt
            .block_on(async {
                let r = (self.http.post(format!("{url}/capture")))
                    .bearer_auth(token)
                    .header("content-type", "application/ld+json")
                    .body(doc.to_string())
                    .send()
                    .await
                    .map_err(CliError::bad_input)?;
                if r.status() != 202 {
                    let why = r.text().await.unwrap_or_default();
                    return Err(CliError::invalid(format!("{by}'s gateway refused: {why}")));
                }
                let job = (r.headers().get("location"))
                    .and_then(|l| l.to_str().ok())
                    .map(str::to_owned)
                    .ok_or_else(|| CliError::invalid("no capture job"))?;
                self.finished(url, token, &job).await
            })
            .map(|hash_id| {
                let summary = format!("captured via its EPCIS gateway, {hash_id}");
                self.captured
                    .entry(by.to_owned())
                    .or_default()
                    .push(hash_id);
                summary
            })
    }

    /// Reads every captured event back through its organisation's gateway (`GET /events`,
    /// answered from the bookkeepers and verified); how many. Fails if one is missing.
    pub fn read_back(&self) -> CliResult<usize> {
        let mut read = 0;
        for (by, ids) in &self.captured {
            let (url, token) = &self.gateways[by];
            let served = self.rt.block_on(async {
                let doc = self
                    .get(&format!("{url}/events?perPage=1000"), token)
                    .await?;
                let list = &doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"];
                let ids: Vec<String> = (list.as_array().into_iter().flatten())
                    .filter_map(|e| e["tally:proof"]["eventHashID"].as_str())
                    .map(str::to_owned)
                    .collect();
                CliResult::Ok(ids)
            })?;
            if let Some(missing) = ids.iter().find(|id| !served.contains(id)) {
                return Err(CliError::invalid(format!(
                    "{by}'s gateway does not serve {missing} back"
                )));
            }
            read += ids.len();
        }
        Ok(read)
    }

    /// A gateway's JSON answer to an authorised `GET`.
    async fn get(&self, url: &str, token: &str) -> CliResult<Value> {
        (self.http.get(url))
            .bearer_auth(token)
            .send()
            .await
            .map_err(CliError::bad_input)?
            .json()
            .await
            .map_err(CliError::bad_input)
    }

    /// Waits for a capture job to log its event; the event's Event Hash ID.
    async fn finished(&self, url: &str, token: &str, job: &str) -> CliResult<String> {
        for _ in 0..600 {
            let j = self.get(&format!("{url}{job}"), token).await?;
            if j["running"] == false {
                let e = &j["tally:events"][0];
                if j["success"] != true || e["status"] != "logged" {
                    return Err(CliError::invalid(format!("capture {job}: {j}")));
                }
                return Ok(e["eventHashID"].as_str().unwrap_or("").to_owned());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Err(CliError::invalid(format!("capture {job} did not finish")))
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for stop in self.stop.drain(..) {
            let _ = stop.send(());
        }
    }
}
