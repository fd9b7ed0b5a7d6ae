//! The commands the interface calls: each one adapts arguments, reads the clock, and calls
//! `tally-client` or `tally-scan`. Nothing here decides whether a product is genuine.

use crate::error::{CmdResult, CommandError};
use crate::state::AppState;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tally_client::audit::{Activity, Monitor, Trace};
use tally_client::capture::Handoff;
use tally_client::directory::Directory;
use tally_client::identity;
use tally_client::outbox::{FlushReport, Queued};
use tally_client::state::{OutboxItem, Scan};
use tally_client::verify::{labelled_product_key, product_key};
use tally_client::view::History;
use tally_tlog::VerifierKey;
use tally_trust::Record;
use tauri::ipc::{InvokeBody, Request};
use tauri::{AppHandle, Manager, State};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn blocking_failed(e: impl std::fmt::Display) -> CommandError {
    CommandError::new("internal", format!("background task failed: {e}"))
}

// ---- Settings -------------------------------------------------------------------------------

/// One bookkeeper of the installed policy.
#[derive(Debug, Serialize)]
pub struct BookkeeperInfo {
    pub name: String,
    pub operator: String,
    pub url: String,
}

/// The device's identity as the warehouse screens show it.
#[derive(Debug, Serialize)]
pub struct DeviceInfo {
    pub name: String,
    pub public_key: String,
    pub unlocked: bool,
    pub certification: Option<Certification>,
    /// Why the stored certification does not read as one for this device, if it does not.
    pub certification_problem: Option<String>,
}

/// A device's certification, as stored on it.
#[derive(Debug, Serialize)]
pub struct Certification {
    pub org: String,
    pub roles: Vec<String>,
    pub places: Vec<String>,
    pub valid_from: String,
    pub expires: String,
}

/// What the app shows before anything else: is there a policy, which role and language.
#[derive(Debug, Serialize)]
pub struct AppStatus {
    pub policy: bool,
    pub bookkeepers: Vec<BookkeeperInfo>,
    /// (k, n): logs that must agree, logs named.
    pub quorum: (usize, usize),
    pub witness_threshold: usize,
    pub role: Option<String>,
    pub lang: Option<String>,
    pub device: Option<DeviceInfo>,
    pub data_dir: String,
    /// Whether the network seals its events and registry.
    pub confidential: bool,
    /// Whether this device holds the network's registry secret (a member's).
    pub registry_secret: bool,
}

fn device_info(state: &AppState) -> CmdResult<Option<DeviceInfo>> {
    let Some(client) = state.client_opt() else {
        return Ok(None);
    };
    let Some(row) = client.store()?.device()? else {
        return Ok(None);
    };
    let (mut certification, mut problem) = (None, None);
    if let Some(entry) = &row.certification {
        let checked = VerifierKey::parse(&row.public_key)
            .map_err(|e| tally_client::ClientError::BadKeyFile(e.to_string()))
            .and_then(|k| identity::check_certification(entry, &k));
        match checked {
            Ok(Record::Certification {
                org,
                roles,
                places,
                valid_from,
                expires,
                ..
            }) => {
                let t = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
                certification = Some(Certification {
                    org,
                    roles,
                    places,
                    valid_from: t(valid_from),
                    expires: t(expires),
                });
            }
            Ok(_) => problem = Some("not a certification".into()),
            Err(e) => problem = Some(e.to_string()),
        }
    }
    Ok(Some(DeviceInfo {
        name: row.name,
        public_key: row.public_key,
        unlocked: state.unlocked(),
        certification,
        certification_problem: problem,
    }))
}

/// The app's status: policy, bookkeepers, preferences, device.
#[tauri::command]
pub fn app_status(state: State<'_, AppState>) -> CmdResult<AppStatus> {
    let client = state.client_opt();
    let (bookkeepers, quorum, witness_threshold) = match &client {
        Some(c) => {
            let p = c.policy();
            (
                p.bookkeepers
                    .iter()
                    .map(|b| BookkeeperInfo {
                        name: b.name.clone(),
                        operator: b.operator.clone(),
                        url: b.urls.first().cloned().unwrap_or_default(),
                    })
                    .collect(),
                (p.log_quorum, p.bookkeepers.len()),
                p.witness_threshold,
            )
        }
        None => (vec![], (0, 0), 0),
    };
    let setting = |k: &str| {
        client
            .as_ref()
            .and_then(|c| c.store().ok()?.setting(k).ok().flatten())
    };
    Ok(AppStatus {
        policy: client.is_some(),
        bookkeepers,
        quorum,
        witness_threshold,
        role: setting("app.role"),
        lang: setting("app.lang"),
        device: device_info(&state)?,
        data_dir: state.db().display().to_string(),
        confidential: client.as_ref().is_some_and(|c| c.policy().confidential),
        registry_secret: client
            .as_ref()
            .is_some_and(|c| c.registry_secret().ok().flatten().is_some()),
    })
}

/// Installs the network's registry secret (the text of the file governance gave its members):
/// a warehouse device of a confidential network reads the sealed registry with it, and wraps its
/// events for the entitled recipients.
#[tauri::command]
pub fn install_registry_secret(state: State<'_, AppState>, text: String) -> CmdResult<AppStatus> {
    state
        .install_registry_secrets(&text)
        .map_err(|e| CommandError::new("bad_input", e))?;
    app_status(state)
}

/// Installs a network policy (the JSON text of a policy file).
#[tauri::command]
pub fn install_policy(state: State<'_, AppState>, json: String) -> CmdResult<AppStatus> {
    state.install_policy(json.as_bytes())?;
    app_status(state)
}

/// Remembers the chosen role (`consumer`, `warehouse`, `auditor`) or language (`en`, `zh`).
#[tauri::command]
pub fn set_preference(state: State<'_, AppState>, key: String, value: String) -> CmdResult<()> {
    let allowed = match key.as_str() {
        "role" => ["consumer", "warehouse", "auditor"].contains(&value.as_str()),
        "lang" => ["en", "zh"].contains(&value.as_str()),
        _ => false,
    };
    if !allowed {
        return Err(CommandError::new(
            "bad_input",
            format!("{key}={value} is not a preference"),
        ));
    }
    state
        .client()?
        .store()?
        .set_setting(&format!("app.{key}"), &value)?;
    Ok(())
}

/// Forgets all local data: policy, trust, scans, cached histories, outbox, device key.
#[tauri::command]
pub fn reset_data(state: State<'_, AppState>) -> CmdResult<AppStatus> {
    state.reset()?;
    app_status(state)
}

// ---- Scanning -------------------------------------------------------------------------------

/// A code found in a photo or a camera frame.
#[derive(Debug, Clone, Serialize)]
pub struct Decoded {
    /// The payload with its AIM prefix, as scanned.
    pub text: String,
    /// `digital_link`, `element_string`, `invalid_gs1`, `plain_url`, `other`.
    pub kind: &'static str,
    /// The canonical product key to verify, if the code names a product.
    pub product: Option<String>,
    /// The product key with its label's secret, if the code carries one: what a handoff
    /// records, so that its event is sealed for that label.
    pub label: Option<String>,
    /// Why it cannot be verified, if it cannot (a web address is never opened).
    pub problem: Option<String>,
}

fn decoded(code: &tally_scan::Code) -> Decoded {
    let text = code.aim_text();
    let (product, problem) = match product_key(&text) {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let label = product
        .as_ref()
        .and_then(|_| labelled_product_key(&text).ok())
        .filter(|l| Some(l) != product.as_ref());
    Decoded {
        kind: code.payload().kind(),
        text,
        product,
        label,
        problem,
    }
}

fn raw_body(request: &Request<'_>) -> CmdResult<Vec<u8>> {
    match request.body() {
        InvokeBody::Raw(b) => Ok(b.clone()),
        InvokeBody::Json(_) => Err(CommandError::new(
            "bad_input",
            "send the bytes as the raw invoke body",
        )),
    }
}

/// Decodes every QR code in an image file (PNG, JPEG, GIF), sent as the raw body.
#[tauri::command]
pub async fn decode_image(request: Request<'_>) -> CmdResult<Vec<Decoded>> {
    let bytes = raw_body(&request)?;
    tauri::async_runtime::spawn_blocking(move || {
        Ok(tally_scan::decode_image_bytes(&bytes)?
            .iter()
            .map(decoded)
            .collect())
    })
    .await
    .map_err(blocking_failed)?
}

/// Starts a new camera scan (forgets the previous session's frames and votes).
#[tauri::command]
pub fn scan_start(state: State<'_, AppState>) -> CmdResult<()> {
    state
        .scanner
        .lock()
        .map_err(|_| CommandError::new("internal", "scanner lock poisoned"))?
        .reset();
    Ok(())
}

/// What one camera frame gave.
#[derive(Debug, Serialize)]
pub struct FrameResult {
    /// The confident GS1 read that ends the scan, once there is one.
    pub read: Option<Decoded>,
    /// Other codes seen in this frame (a web address on a poster, …), never opened.
    pub others: Vec<Decoded>,
    pub frames: u64,
    /// Frames the decoder could process per second (its busy time only).
    pub fps: f64,
}

/// Feeds one RGBA camera frame (raw body; `x-width`/`x-height` headers) to the scanner session.
#[tauri::command]
pub async fn scan_frame(app: AppHandle, request: Request<'_>) -> CmdResult<FrameResult> {
    let header = |name: &str| -> CmdResult<u32> {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| CommandError::new("bad_input", format!("header {name} is required")))
    };
    let (width, height) = (header("x-width")?, header("x-height")?);
    let rgba = raw_body(&request)?;
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let mut session = state
            .scanner
            .lock()
            .map_err(|_| CommandError::new("internal", "scanner lock poisoned"))?;
        let read = session.push_rgba(width, height, &rgba)?;
        Ok(FrameResult {
            read: read.map(|r| decoded(&r.code)),
            others: session
                .last_codes()
                .iter()
                .filter(|c| !c.payload().is_gs1())
                .map(decoded)
                .collect(),
            frames: session.frames(),
            fps: session.frames_per_second(),
        })
    })
    .await
    .map_err(blocking_failed)?
}

// ---- Consumer -------------------------------------------------------------------------------

/// Verifies the product a code names against the policy's bookkeepers.
#[tauri::command]
pub async fn verify(state: State<'_, AppState>, code: String) -> CmdResult<History> {
    Ok(state.client()?.verify(&code, now()).await?)
}

/// The same verification read by an entitled recipient (a trading partner, an auditor, a
/// regulator): `recipient_key` is the text of its key file, held only for this call.
#[tauri::command]
pub async fn verify_as(
    state: State<'_, AppState>,
    code: String,
    recipient_key: String,
) -> CmdResult<History> {
    let me = recipient(&recipient_key)?;
    Ok(state.client()?.verify_as(&code, &me, now()).await?)
}

/// The recipient key in the text of the key file the user chose.
fn recipient(key_file: &str) -> CmdResult<tally_confidential::RecipientSecret> {
    tally_confidential::RecipientSecret::parse(key_file.trim())
        .map_err(|e| CommandError::new("bad_input", e.to_string()))
}

/// The latest scans on this device, newest first.
#[tauri::command]
pub fn recent_scans(state: State<'_, AppState>) -> CmdResult<Vec<Scan>> {
    Ok(state.client()?.store()?.scans(20)?)
}

// ---- Warehouse: identity --------------------------------------------------------------------

/// A passphrase refused for sealing a new key, with the reason the client gives.
fn weak_passphrase(e: tally_client::ClientError) -> CommandError {
    CommandError::new("weak_passphrase", e.to_string())
}

fn store_new_key(
    state: &AppState,
    key: tally_tlog::SignerKey,
    passphrase: &str,
) -> CmdResult<Option<DeviceInfo>> {
    identity::check_passphrase(passphrase).map_err(weak_passphrase)?;
    let client = state.client()?;
    let sealed = identity::seal(&key, passphrase)?;
    client.store()?.create_device(
        key.name(),
        &key.verifier().to_string(),
        &sealed,
        now().unix_timestamp(),
    )?;
    state.set_key(key);
    device_info(state)
}

/// Makes this device's key, sealed with `passphrase`, and keeps it unlocked for the session.
#[tauri::command]
pub async fn device_create(
    state: State<'_, AppState>,
    name: String,
    passphrase: String,
) -> CmdResult<Option<DeviceInfo>> {
    let key = identity::generate(&name)?;
    store_new_key(&state, key, &passphrase)
}

/// Imports an existing signer key (`PRIVATE+KEY+…`), sealed with `passphrase`.
#[tauri::command]
pub async fn device_import(
    state: State<'_, AppState>,
    key: String,
    passphrase: String,
) -> CmdResult<Option<DeviceInfo>> {
    let key = tally_tlog::SignerKey::parse(key.trim())
        .map_err(|e| CommandError::new("bad_key", format!("not a signer key: {e}")))?;
    store_new_key(&state, key, &passphrase)
}

/// Unlocks the sealed device key for this session.
#[tauri::command]
pub async fn device_unlock(
    state: State<'_, AppState>,
    passphrase: String,
) -> CmdResult<Option<DeviceInfo>> {
    let row = state
        .client()?
        .store()?
        .device()?
        .ok_or(tally_client::ClientError::NoDevice)?;
    let key = identity::unseal(&row.sealed_key, &passphrase)?;
    state.set_key(key);
    device_info(&state)
}

/// Forgets the unlocked key (the sealed one stays).
#[tauri::command]
pub fn device_lock(state: State<'_, AppState>) -> CmdResult<Option<DeviceInfo>> {
    state.lock_key();
    device_info(&state)
}

/// The signed enrolment request to hand to the organisation (text).
#[tauri::command]
pub fn enrolment_request(
    state: State<'_, AppState>,
    label: String,
    org: String,
    roles: Vec<String>,
    places: Vec<String>,
) -> CmdResult<String> {
    let key = state.key()?;
    let request = identity::EnrolmentRequest {
        device: key.verifier().to_string(),
        label,
        org,
        roles,
        places,
    };
    let signed = identity::enrolment_request(&key, &request)?;
    Ok(String::from_utf8_lossy(&signed).into_owned())
}

/// Imports the certification the organisation issued (the entry, base64).
#[tauri::command]
pub fn device_certify(
    state: State<'_, AppState>,
    certification: String,
) -> CmdResult<Option<DeviceInfo>> {
    let client = state.client()?;
    let row = client
        .store()?
        .device()?
        .ok_or(tally_client::ClientError::NoDevice)?;
    let compact: String = certification.split_whitespace().collect();
    let entry = B64.decode(compact).map_err(|_| {
        CommandError::new("bad_certification", "the certification is not base64 text")
    })?;
    let device = VerifierKey::parse(&row.public_key)
        .map_err(|e| CommandError::new("bad_key", e.to_string()))?;
    identity::check_certification(&entry, &device)?;
    client.store()?.set_certification(&entry)?;
    device_info(&state)
}

// ---- Warehouse: handoffs --------------------------------------------------------------------

/// The registered organisations and their places (the last one read when offline).
#[tauri::command]
pub async fn directory(state: State<'_, AppState>) -> CmdResult<Directory> {
    Ok(state.client()?.directory(now().unix_timestamp()).await?)
}

/// Signs a handoff with the unlocked device key and queues it for every bookkeeper. Its time is
/// now; the interface sends the rest (`capture::Handoff` without `time`).
#[tauri::command]
pub async fn record_handoff(state: State<'_, AppState>, handoff: Value) -> CmdResult<Queued> {
    let key = state.key()?;
    let at = now();
    let mut handoff = handoff;
    let obj = handoff
        .as_object_mut()
        .ok_or_else(|| CommandError::new("bad_handoff", "a handoff is an object"))?;
    obj.insert(
        "time".into(),
        Value::String(
            at.format(&Rfc3339)
                .map_err(|e| CommandError::new("internal", e.to_string()))?,
        ),
    );
    let handoff: Handoff = serde_json::from_value(handoff)
        .map_err(|e| CommandError::new("bad_handoff", e.to_string()))?;
    Ok(state
        .client()?
        .record(&key, &handoff, at.unix_timestamp())?)
}

/// Sends what is due in the outbox to every bookkeeper (`retry`: everything, now).
#[tauri::command]
pub async fn flush(state: State<'_, AppState>, retry: bool) -> CmdResult<FlushReport> {
    let client = state.client()?;
    let at = now().unix_timestamp();
    if retry {
        client.store()?.retry_now(at)?;
    }
    Ok(client.flush(at).await?)
}

/// The outbox, newest first, with each bookkeeper's receipt.
#[tauri::command]
pub fn outbox(state: State<'_, AppState>) -> CmdResult<Vec<OutboxItem>> {
    Ok(state.client()?.store()?.outbox(100)?)
}

// ---- Auditor --------------------------------------------------------------------------------

/// One round of monitoring every bookkeeper.
#[tauri::command]
pub async fn monitor(state: State<'_, AppState>) -> CmdResult<Monitor> {
    Ok(state.client()?.monitor(now().unix_timestamp()).await?)
}

/// Traces a lot or item back and forward.
#[tauri::command]
pub async fn trace(state: State<'_, AppState>, code: String) -> CmdResult<Trace> {
    Ok(state.client()?.trace(&code, now()).await?)
}

/// What the logs prove about one organisation.
#[tauri::command]
pub async fn activity(state: State<'_, AppState>, gln: String) -> CmdResult<Activity> {
    let gln = gln.trim().to_owned();
    if gln.len() != 13 || !gln.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CommandError::new("bad_input", "a GLN has 13 digits"));
    }
    Ok(state.client()?.activity(&gln).await?)
}

/// What an entitled recipient (an auditor, a regulator) reads of one organisation: its sealed
/// events, from every bookkeeper's whole log, with the recipient key the user chose (never kept).
#[tauri::command]
pub async fn activity_as(
    state: State<'_, AppState>,
    gln: String,
    recipient_key: String,
) -> CmdResult<Activity> {
    let me = recipient(&recipient_key)?;
    Ok(state.client()?.activity_as(&me, gln.trim()).await?)
}

/// Where an evidence export was written.
#[derive(Debug, Serialize, Deserialize)]
pub struct Exported {
    pub path: String,
    pub product: String,
    pub bookkeepers: usize,
    pub bytes: usize,
}

/// A file name for `product`'s evidence: letters, digits, `-` and `_` only, then `.ext`.
pub fn export_name(product: &str, at: i64, ext: &str) -> String {
    let tail = product
        .split("id.gs1.org/")
        .nth(1)
        .unwrap_or(product)
        .split('?')
        .next()
        .unwrap_or_default();
    let safe: String = tail
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(80)
        .collect();
    format!("tally-evidence-{}-{at}.{ext}", safe.trim_matches('-'))
}

/// Exports a product's evidence (entries, proofs, checkpoints, policy, verdict) to a file in
/// the app's exports folder.
#[tauri::command]
pub async fn export_evidence(state: State<'_, AppState>, code: String) -> CmdResult<Exported> {
    let at = now();
    let file = state.client()?.export(&code, at).await?;
    let json = serde_json::to_vec_pretty(&file)
        .map_err(|e| CommandError::new("internal", e.to_string()))?;
    let dir = state.exports();
    std::fs::create_dir_all(&dir).map_err(|e| CommandError::new("io", e.to_string()))?;
    let path = dir.join(export_name(&file.product, at.unix_timestamp(), "json"));
    std::fs::write(&path, &json).map_err(|e| CommandError::new("io", e.to_string()))?;
    Ok(Exported {
        path: path.display().to_string(),
        product: file.product,
        bookkeepers: file.answers.len(),
        bytes: json.len(),
    })
}

/// Writes `bytes` to the app's exports folder as `name`.
fn write_export(state: &AppState, name: &str, bytes: &[u8]) -> CmdResult<String> {
    let io = |e: std::io::Error| CommandError::new("io", e.to_string());
    let dir = state.exports();
    std::fs::create_dir_all(&dir).map_err(io)?;
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(io)?;
    Ok(path.display().to_string())
}

/// Where a court-ready evidence package was written, and what it holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct Packaged {
    pub path: String,
    pub product: String,
    pub steps: usize,
    /// verified, warning, unverifiable or failed.
    pub verdict: tally_trust::Status,
    pub bytes: usize,
}

/// Makes a product's court-ready evidence package (`tally_evidence`: events, C2SP proofs,
/// registry records, policy, a PDF report in English and Chinese) in the exports folder; it
/// checks offline with `tally-verify`. The report is set in a system font covering Chinese.
#[tauri::command]
pub async fn export_package(state: State<'_, AppState>, code: String) -> CmdResult<Packaged> {
    let font = tally_evidence::files::system_font().ok_or_else(|| {
        CommandError::new(
            "no_font",
            "no font covering Chinese is installed for the report",
        )
    })?;
    let at = now();
    let (tar, verdict) = state.client()?.package(&code, at, &font, &[]).await?;
    let name = export_name(&verdict.product, at.unix_timestamp(), "tar");
    Ok(Packaged {
        path: write_export(&state, &name, &tar)?,
        product: verdict.product.clone(),
        steps: verdict.timeline.len(),
        verdict: verdict.status,
        bytes: tar.len(),
    })
}

/// Where an FSMA 204 spreadsheet was written, and what it holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct FsmaExported {
    pub path: String,
    pub records: usize,
    pub events: usize,
    pub organisations: usize,
}

/// How far an FSMA 204 export is: organisations read of all.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

/// Writes the FSMA 204 sortable spreadsheet (XLSX) of every registered organisation's events
/// the logs prove, for `lot` if given, read as the entitled recipient whose key file's text is
/// `recipient_key` if given (never kept). Reports progress on `on_progress`, a channel of this
/// call alone (no event permission is granted to the window).
#[tauri::command]
pub async fn export_fsma(
    state: State<'_, AppState>,
    lot: Option<String>,
    recipient_key: Option<String>,
    on_progress: tauri::ipc::Channel<Progress>,
) -> CmdResult<FsmaExported> {
    let me = recipient_key.as_deref().map(recipient).transpose()?;
    let filter = tally_fsma::Filter {
        lot: lot.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()),
        ..tally_fsma::Filter::default()
    };
    let at = now().unix_timestamp();
    let mut progress = |done, total| {
        let _ = on_progress.send(Progress { done, total });
    };
    let client = state.client()?;
    let records = client
        .fsma_records(&[], me.as_ref(), &filter, at, &mut progress)
        .await?;
    let book = tally_fsma::xlsx(&records.rows)
        .map_err(|e| CommandError::new("internal", e.to_string()))?;
    Ok(FsmaExported {
        path: write_export(&state, &format!("tally-fsma204-{at}.xlsx"), &book)?,
        records: records.rows.len(),
        events: records.events,
        organisations: records.organisations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_names_are_safe_file_names() {
        let n = export_name(
            "https://id.gs1.org/01/09506000134352/10/LOT/21/../../x?17=281130",
            7,
            "json",
        );
        assert_eq!(
            n,
            "tally-evidence-01-09506000134352-10-LOT-21-------x-7.json"
        );
        assert!(!n.contains('/'));
    }
}
