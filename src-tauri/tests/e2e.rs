//! End-to-end: the real app binary in a real window (WebKitGTK under Xvfb, driven through
//! WebKitWebDriver) against a real local bookkeeper network with the demo data.
//!
//! One test walks the screens in order, each phase asserting what a person would check, with a
//! screenshot of every screen under `<target>/app-e2e/` (look at them):
//! 1. first start without a policy → install the policy file;
//! 2. open the milk-powder can's label photo → Verified, the journey from its origin, evidence;
//! 3. the cloned can's label → Warning "already sold";
//! 4. switch to Chinese and back;
//! 5. warehouse: import the device key, its certification and the network's registry secret,
//!    record a receipt of an inbound item,
//!    see every bookkeeper's receipt, then see the step in the item's history;
//! 6. auditor: bookkeepers' status, trace, activity, evidence export; a forked bookkeeper raises
//!    the alert with both checkpoints;
//! 7. with two bookkeepers gone, a product never checked here is Unverifiable (its own colour and
//!    words), in English and Chinese — as are Verified, Warning and Failed.

mod support;

use std::path::{Path, PathBuf};
use support::display::Display;
use support::net::Demo;
use support::webdriver::Session;

fn app_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tally-app"))
}

fn tally_binary() -> PathBuf {
    let p = app_binary().with_file_name("tally");
    assert!(
        p.exists(),
        "{} is missing: build every binary first (cargo build --workspace --bins)",
        p.display()
    );
    p
}

fn screens_dir() -> PathBuf {
    // target/<profile>/tally-app → target/app-e2e
    let dir = app_binary()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("app-e2e");
    // Only this run's screenshots.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Shots {
    dir: PathBuf,
    n: usize,
}

impl Shots {
    fn take(&mut self, s: &Session, name: &str) {
        self.n += 1;
        s.screenshot(&self.dir.join(format!("{:02}-{name}.png", self.n)));
    }

    /// The whole page, however long: the window is made as tall as the page for the shot.
    fn full(&mut self, s: &Session, name: &str) {
        self.n += 1;
        let height = s
            .script("return document.documentElement.scrollHeight;", vec![])
            .as_u64()
            .unwrap_or(900)
            .clamp(600, 3800);
        s.resize(1100, height as u32 + 40);
        s.screenshot(&self.dir.join(format!("{:02}-{name}-full.png", self.n)));
        s.resize(1100, 860);
    }
}

fn args(data: &Path, demo: Option<&Demo>) -> Vec<String> {
    let mut a = vec!["--data-dir".to_owned(), data.display().to_string()];
    if let Some(d) = demo {
        a.extend(["--policy".to_owned(), d.policy.display().to_string()]);
    }
    a
}

/// Sets a `<select>`'s value as a person choosing an option would.
fn select(s: &Session, css: &str, value: &str) {
    s.wait(&format!("{css} option[value='{value}']"));
    s.script(
        "const [css, v] = arguments; const el = document.querySelector(css); el.value = v;
         el.dispatchEvent(new Event('change', { bubbles: true })); return el.value;",
        vec![css.into(), value.into()],
    );
}

fn attr_all(s: &Session, css: &str, attr: &str) -> Vec<String> {
    s.script(
        "const [css, a] = arguments; return [...document.querySelectorAll(css)].map(e => e.getAttribute(a));",
        vec![css.into(), attr.into()],
    )
    .as_array()
    .cloned()
    .unwrap_or_default()
    .iter()
    .map(|v| v.as_str().unwrap_or_default().to_owned())
    .collect()
}

fn base64_of(path: &Path) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(path).unwrap())
}

/// Draws the label PNG (arguments[0], base64) at ~300 px on a 1280×720 canvas and pushes
/// `arguments[1]` frames through `scan_frame`, each in a new scan session; answers the reads and
/// the frames per second of the whole path (canvas read-back, IPC, decode).
const SCAN_LOOP: &str = r##"
const [b64, frames, done] = arguments;
(async () => {
  const img = new Image();
  img.src = "data:image/png;base64," + b64;
  await img.decode();
  const c = document.createElement("canvas");
  c.width = 1280; c.height = 720;
  const ctx = c.getContext("2d", { willReadFrequently: true });
  ctx.fillStyle = "#8a8a84"; ctx.fillRect(0, 0, 1280, 720);
  ctx.drawImage(img, 490, 210, 300, 300 * img.height / img.width);
  const invoke = window.__TAURI_INTERNALS__.invoke;
  let reads = 0, decoder_fps = 0;
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) {
    const d = ctx.getImageData(0, 0, 1280, 720);
    await invoke("scan_start");
    const r = await invoke("scan_frame", new Uint8Array(d.data.buffer), { headers: { "x-width": "1280", "x-height": "720" } });
    if (r.read && r.read.product) reads++;
    decoder_fps = r.fps;
  }
  const ms = performance.now() - t0;
  done({ reads, frames, ms_per_frame: ms / frames, fps: 1000 * frames / ms, decoder_fps });
})().catch((e) => done({ error: String(e) }));
"##;

/// Switches to Chinese, waits for the verdict word, takes a shot, and switches back.
fn in_chinese(s: &Session, word: &str, shots: &mut Shots, name: &str) {
    s.click("#lang-toggle");
    s.wait_text("#verdict-word", word);
    shots.full(s, name);
    s.click("#lang-toggle");
    s.wait("#verdict-word");
}

#[test]
fn the_app_verifies_records_and_audits_against_a_real_network() {
    let work = tempfile::tempdir().unwrap();
    let mut demo = Demo::start(&tally_binary(), &work.path().join("demo"));
    let display = Display::start(work.path());
    eprintln!(
        "display {} driver port {}",
        display.display, display.driver_port
    );
    let mut shots = Shots {
        dir: screens_dir(),
        n: 0,
    };
    let data = work.path().join("app-data");

    // 1. First start: no policy yet; install it from its file, as a person would.
    {
        let s = Session::start(display.driver_port, &app_binary(), &args(&data, None));
        s.wait("#setup-title");
        shots.take(&s, "setup-no-policy");
        let policy = std::fs::read(&demo.policy).unwrap();
        s.choose_file("#policy-input", "policy.json", &policy);
        s.wait("#role-consumer");
        s.wait("#scan-title");
    }

    // Every later run opens on the installed policy (the start-up option is then a no-op).
    let s = Session::start(
        display.driver_port,
        &app_binary(),
        &args(&data, Some(&demo)),
    );
    s.wait("#scan-title");
    shots.take(&s, "consumer-scan");

    // 2. The genuine can: open its label photo.
    let can = demo.label("milk-powder-can").clone();
    assert_eq!(can.expect, "verified");
    s.choose_file(
        "#consumer-photo",
        "can.png",
        &std::fs::read(&can.png).unwrap(),
    );
    s.wait("#verdict[data-status]");
    let status = attr_all(&s, "#verdict", "data-status");
    assert_eq!(
        status,
        ["verified"],
        "{}",
        s.text_of("#verdict").unwrap_or_default()
    );
    assert_eq!(s.text_of("#verdict-word").as_deref(), Some("Verified"));
    let stages = attr_all(&s, "li.step", "data-stage");
    assert!(stages.len() >= 2, "a journey of several steps: {stages:?}");
    assert_eq!(
        stages[0], "origin",
        "the journey starts at its origin: {stages:?}"
    );
    let gtin = can.uri.split("/01/").nth(1).unwrap()[..14].to_owned();
    s.wait_text("#verdict", &gtin);
    // The brand signed this label (GS1 AI 8030); the verdict says whose signature it carries.
    s.wait_text(
        "#label-check[data-state='signed']",
        "Canterbury Nutrition Ltd",
    );
    shots.take(&s, "consumer-verified");
    shots.full(&s, "consumer-verified");
    // Each step opens to its evidence: the bookkeepers that hold it, checkpoint sizes, cosigners.
    s.click("li.step:first-child summary");
    let evidence = s.wait_text("li.step:first-child .evidence", "checkpoint");
    for bk in &demo.bookkeepers[..2] {
        assert!(evidence.contains(&bk.name), "{evidence}");
    }
    assert!(evidence.contains("cosigned by"), "{evidence}");
    shots.take(&s, "consumer-step-evidence");
    // The shopper's view of what the brand withheld: the processor's despatch advice is kept
    // private on its shipping step, named as such (not counted: decoys hide how many), never
    // shown.
    s.script(
        "document.querySelectorAll('li.step details').forEach(d => { d.open = true; });",
        vec![],
    );
    let private = s.wait_text("li.step dd.withheld", "kept private");
    assert!(!private.chars().any(|c| c.is_ascii_digit()), "{private}");
    let page = s.text_of("#timeline").unwrap_or_default();
    assert!(!page.contains("DESADV-7741"), "{page}");
    assert!(
        page.contains("CIQ-2611-0931"),
        "the import clearance is shown: {page}"
    );
    // The laboratory's test and the customs clearance: attestations by authorities that the
    // network's governance certified, marked as such on their steps.
    let inspections = stages.iter().filter(|s| *s == "inspection").count();
    assert_eq!(inspections, 2, "{stages:?}");
    let badge = s
        .text_of("li.step[data-stage='inspection'] .step-authority")
        .unwrap_or_default();
    assert!(badge.contains("Attested by an authority"), "{badge}");
    shots.full(&s, "consumer-withheld");
    // The same can read by the carrier, a trading partner entitled to what was shipped to it: the
    // bill of lading of its shipment shown, the despatch advice between two others still private;
    // then by the regulator, entitled to everything: nothing private. The verdict is the same.
    let open_all = "document.querySelectorAll('li.step details').forEach(d => { d.open = true; });";
    // For the shots: only the steps that carry a document or a private field, without their JSON.
    let open_documents = "document.querySelectorAll('li.step > details').forEach(d => { \
        d.open = !!d.querySelector(\"dd.withheld, dd.detail[data-name='document']\"); }); \
        document.querySelectorAll('li.step details details').forEach(d => { d.open = false; });";
    for (who, key, private) in [
        ("partner", &demo.partner_key, true),
        ("regulator", &demo.regulator_key, false),
    ] {
        let file = format!("{who}.key");
        s.choose_file("#view-recipient-file", &file, &std::fs::read(key).unwrap());
        s.wait("#views[data-view='recipient']");
        s.script(open_all, vec![]);
        s.wait_text("#timeline", "BOL-NZAKL-5521");
        assert_eq!(s.text_of("#verdict-word").as_deref(), Some("Verified"));
        let page = s.text_of("#timeline").unwrap_or_default();
        assert_eq!(page.contains("DESADV-7741"), !private, "{who}: {page}");
        assert_eq!(page.contains("kept private"), private, "{who}: {page}");
        assert_eq!(
            attr_all(&s, "li.step", "data-stage"),
            stages,
            "{who}: the same steps"
        );
        s.script(open_documents, vec![]);
        shots.full(&s, &format!("consumer-as-{who}"));
        s.click("#view-holder");
        s.wait("#views[data-view='holder']");
    }
    s.click("#lang-toggle");
    s.choose_file(
        "#view-recipient-file",
        "partner.key",
        &std::fs::read(&demo.partner_key).unwrap(),
    );
    s.wait_text("#view-note", "授权接收方");
    s.script(open_all, vec![]);
    s.wait_text("li.step dd.withheld", "保密");
    s.wait_text(
        "li.step[data-stage='inspection'] .step-authority",
        "官方机构",
    );
    s.script(open_documents, vec![]);
    shots.full(&s, "consumer-as-partner-zh");
    s.click("#view-holder");
    s.click("#lang-toggle");
    s.wait_text("#view-note", "holding this label");
    s.script(
        "document.querySelectorAll('li.step details').forEach(d => { d.open = false; });",
        vec![],
    );
    // The camera loop's path without a camera: a 1280×720 frame with the label in view, drawn on
    // a canvas, read back as RGBA and sent through IPC to the Rust scanner session, as the
    // viewfinder does for each camera frame. Every frame must read; the rate is reported.
    let loop_result = s.script_async(SCAN_LOOP, vec![base64_of(&can.png).into(), 20.into()]);
    eprintln!("scan loop in the webview: {loop_result}");
    assert_eq!(loop_result["reads"], 20, "{loop_result}");
    std::fs::write(shots.dir.join("scan-loop.json"), loop_result.to_string()).unwrap();
    // A phone-sized window.
    s.resize(390, 844);
    shots.take(&s, "consumer-verified-phone");
    s.resize(1100, 860);

    // 3. The cloned can: the warning, in plain words.
    let clone = demo.label("cloned-can").clone();
    s.click("#scan-again");
    s.choose_file(
        "#consumer-photo",
        "clone.png",
        &std::fs::read(&clone.png).unwrap(),
    );
    s.wait("#verdict[data-status='warning']");
    let codes = attr_all(&s, "li.warn-item", "data-code");
    let expected = clone
        .warning
        .clone()
        .unwrap_or_else(|| "already_sold".into());
    assert_eq!(expected, "already_sold");
    assert!(codes.contains(&expected), "{codes:?}");
    s.wait_text("#warnings", "sold");
    shots.take(&s, "consumer-cloned-warning");

    // 4. Chinese, switchable at any time, and back.
    s.click("#lang-toggle");
    s.wait_text("#verdict-word", "警告");
    s.wait_text("#role-consumer", "消费者");
    s.wait_text("#warnings", "售出");
    shots.take(&s, "consumer-cloned-warning-zh");
    s.click("#lang-toggle");
    s.wait_text("#verdict-word", "Warning");

    // Every other label of the demo gives the verdict (and the warning) the demo expects: the
    // seafood journey, the recalled lot, the cold-chain excursion (marked on the chart).
    for label in demo.labels.clone() {
        if label.name == can.name || label.name == clone.name {
            continue;
        }
        s.click("#scan-again");
        s.choose_file(
            "#consumer-photo",
            "label.png",
            &std::fs::read(&label.png).unwrap(),
        );
        s.wait(&format!("#verdict[data-status='{}']", label.expect));
        if let Some(code) = &label.warning {
            s.wait(&format!("li.warn-item[data-code='{code}']"));
            if code == "cold_chain_excursion" {
                s.wait("#cold-chain circle.pt.excursion");
                s.wait("#cold-chain .excursion-item");
            }
        }
        if label.expect == "verified" {
            assert_eq!(attr_all(&s, "li.step", "data-stage")[0], "origin");
        }
        // A counterfeiter cannot sign: its own label is unsigned; a genuine signed label with
        // its data changed is forged, and the verdict says so first.
        match label.name.as_str() {
            "fake-serial-can" => {
                s.wait("#label-check[data-state='unsigned']");
            }
            "altered-label-can" => {
                s.wait("#label-check[data-state='forged']");
                s.wait_text("#verdict .verdict-sentence", "signature");
            }
            _ => {}
        }
        shots.full(&s, &format!("consumer-{}", label.name));
        // Each kind of verdict in Chinese too.
        if let Some(word) = match label.name.as_str() {
            "hoki-fillets" => Some("已验证"),
            "fake-serial-can" | "altered-label-can" => Some("未通过验证"),
            _ => None,
        } {
            in_chinese(&s, word, &mut shots, &format!("consumer-{}-zh", label.name));
        }
    }

    // 5. Warehouse: enrol with the demo's certified device key, record a receipt.
    let wh = demo.warehouse.clone();
    s.click("#role-warehouse");
    s.wait("#device-title");
    shots.take(&s, "warehouse-device-none");
    s.type_into("#device-pass", "correct horse battery");
    s.choose_file(
        "#device-key-file",
        "warehouse.key",
        &std::fs::read(&wh.device_key).unwrap(),
    );
    s.wait_text("#device-lock-state", "Unlocked");
    s.choose_file(
        "#cert-file",
        "warehouse.cert",
        &std::fs::read(&wh.certification).unwrap(),
    );
    s.wait_text("#certified-for", "receiving");
    // The network seals its registry: until the device holds the registry secret governance
    // gave its members, it can neither list the members nor wrap for the regulator.
    s.wait("#registry-secret-state[data-installed='false']");
    shots.take(&s, "warehouse-device-certified");
    s.choose_file(
        "#registry-secret-file",
        "registry.secret",
        &std::fs::read(&demo.registry_secret).unwrap(),
    );
    s.wait("#registry-secret-state[data-installed='true']");
    shots.take(&s, "warehouse-device-member");
    s.click("#wh-tab-record");
    s.click("#step-receive");
    let item = wh.items.first().expect("an inbound item").clone();
    s.type_into("#item-input", &item);
    s.click("#item-add");
    s.wait_text("#items-count", "1");
    select(&s, "#counterparty-select", &wh.counterparty);
    select(&s, "#place-select", &wh.place);
    shots.take(&s, "warehouse-record");
    s.click("#review-button");
    s.wait("#review");
    shots.take(&s, "warehouse-review");
    s.click("#sign-send");
    s.wait("#outbox-list");
    s.wait(".outbox-item[data-state='delivered']");
    let receipts = s
        .text_of(".outbox-item[data-state='delivered'] .receipts")
        .unwrap_or_default();
    for bk in &demo.bookkeepers {
        assert!(receipts.contains(&bk.name), "{receipts}");
    }
    shots.take(&s, "warehouse-outbox-delivered");
    // The handoff is now part of the item's verified history.
    s.click("#role-consumer");
    s.wait("#scan-title");
    s.wait_until("the receipt in the item's history", || {
        s.type_into("#code-input", &item);
        s.click("#code-check");
        s.wait("#verdict[data-status]");
        let glns = attr_all(&s, "li.step", "data-org-gln");
        if glns.last() == Some(&wh.org) {
            Some(())
        } else {
            s.click("#scan-again");
            std::thread::sleep(std::time::Duration::from_millis(500));
            None
        }
    });
    let stages = attr_all(&s, "li.step", "data-stage");
    assert!(
        ["receiving", "import"].contains(&stages.last().unwrap().as_str()),
        "{stages:?}"
    );
    shots.take(&s, "consumer-history-after-handoff");

    // 6. Auditor.
    s.click("#role-auditor");
    s.wait("#log-table");
    for bk in &demo.bookkeepers {
        s.wait(&format!("#log-table tr[data-bookkeeper='{}']", bk.name));
    }
    s.wait("#no-alerts");
    shots.take(&s, "auditor-status");
    s.click("#au-tab-trace");
    s.type_into("#trace-input", &can.uri);
    s.click("#trace-button");
    s.wait("#trace-result #verdict");
    shots.take(&s, "auditor-trace");
    s.click("#au-tab-activity");
    select(&s, "#activity-org", &wh.org);
    s.click("#activity-button");
    s.wait_text("#activity-result", "events");
    // Without an entitlement, a confidential network's activity shows nothing sealed.
    s.wait("#activity-count[data-n='0']");
    shots.take(&s, "auditor-activity");
    // As the entitled regulator (its key file chosen), the same organisation's sealed events.
    s.choose_file(
        "#recipient-key-file",
        "regulator.key",
        &std::fs::read(&demo.regulator_key).unwrap(),
    );
    s.wait("#reading-as[data-recipient='yes']");
    s.click("#activity-button");
    s.wait("#activity-count:not([data-n='0'])");
    shots.take(&s, "auditor-activity-as-regulator");
    s.click("#au-tab-export");
    s.type_into("#export-input", &can.uri);
    s.click("#export-button");
    let done = s.wait_text("#export-done", "tally-evidence-");
    let path = done
        .split_whitespace()
        .find(|w| w.contains("tally-evidence-"))
        .unwrap();
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(file["format"], "tally-evidence/v1");
    shots.take(&s, "auditor-export");
    // The court-ready package of the same can, which tally-verify checks with the policy alone.
    s.type_into("#package-input", &can.uri);
    s.click("#package-button");
    let done = s.wait_text("#package-done", ".tar");
    assert_eq!(attr_all(&s, "#package-done", "data-verdict"), ["verified"]);
    let tar = done
        .split_whitespace()
        .find(|w| w.ends_with(".tar"))
        .unwrap();
    let verify = tally_binary().with_file_name("tally-verify");
    let checked = std::process::Command::new(&verify)
        .arg("--policy")
        .arg(&demo.policy)
        .arg(tar)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&checked.stdout);
    assert!(
        checked.status.success() && said.starts_with("VERIFIED"),
        "{said}"
    );
    // The FSMA 204 spreadsheet, read as the regulator, with its progress bar (recorded as it
    // changes: it is gone once the file is written).
    s.choose_file(
        "#fsma-key-file",
        "regulator.key",
        &std::fs::read(&demo.regulator_key).unwrap(),
    );
    s.wait("#fsma-reading-as[data-recipient='yes']");
    s.script(
        "window.__progress = []; new MutationObserver(() => { const p = document.getElementById('fsma-progress'); \
         if (p) window.__progress.push([p.value, p.max]); }).observe(document.body, \
         {subtree: true, childList: true, attributes: true});",
        vec![],
    );
    s.click("#fsma-button");
    let done = s.wait_text("#fsma-done", ".xlsx");
    let book = done
        .split_whitespace()
        .find(|w| w.ends_with(".xlsx"))
        .unwrap();
    assert_eq!(&std::fs::read(book).unwrap()[..2], b"PK", "an XLSX file");
    let seen = s.script("return window.__progress;", vec![]);
    let seen = seen.as_array().cloned().unwrap_or_default();
    let orgs = demo.orgs.len() as f64;
    assert!(
        seen.iter()
            .any(|p| p[1].as_f64() == Some(orgs) && p[0].as_f64() > Some(0.0)),
        "the progress bar counted the {orgs} organisations: {seen:?}"
    );
    shots.full(&s, "auditor-exports");

    // A forked bookkeeper: once this device trusts its checkpoint, it shows another tree of the
    // same size, signed with its key and cosigned. The monitor must raise the alert.
    s.click("#au-tab-status");
    let target = demo.bookkeepers[0].clone();
    s.wait_until("the monitor to trust the current checkpoint", || {
        let (_, note) = support::net::http_get(&format!("{}/checkpoint", target.url));
        let size = String::from_utf8_lossy(&note)
            .lines()
            .nth(1)
            .unwrap_or("")
            .to_owned();
        s.click("#check-now");
        std::thread::sleep(std::time::Duration::from_millis(700));
        let shown = attr_all(
            &s,
            &format!("tr[data-bookkeeper='{}']", target.name),
            "data-size",
        );
        (shown.first() == Some(&size)).then_some(())
    });
    let size = demo.fork_bookkeeper(&target.name);
    s.click("#check-now");
    s.wait("#alert-banner");
    s.wait(".alert-item[data-kind='fork']");
    let alert = s.text_of(".alert-item").unwrap();
    assert!(
        alert.contains(&target.name) && alert.contains(&size.to_string()),
        "{alert}"
    );
    s.click(".alert-item summary");
    s.wait_text(".alert-item", "Contradicting checkpoint");
    shots.take(&s, "auditor-fork-alert");

    // The forked bookkeeper no longer serves histories: a shopper still gets the verdict of the
    // other two, told that only 2 of 3 bookkeepers could be reached.
    s.click("#role-consumer");
    s.type_into("#code-input", &can.uri);
    s.click("#code-check");
    s.wait("li.warn-item[data-code='partly_reachable']");
    s.wait_text("#warnings", "Only 2 of 3");
    shots.take(&s, "consumer-one-bookkeeper-down");

    // A second bookkeeper down: a product this device never checked cannot be checked now. That
    // is its own verdict, not "not verified".
    let second = demo.bookkeepers[1].name.clone();
    demo.stop_bookkeeper(&second);
    s.click("#scan-again");
    let never = wh.items.get(1).expect("a second item").clone();
    s.type_into("#code-input", &never);
    s.click("#code-check");
    s.wait("#verdict[data-status='unverifiable']");
    s.wait("li.warn-item[data-code='too_few_bookkeepers']");
    assert_eq!(
        s.text_of("#verdict-word").as_deref(),
        Some("Cannot check now")
    );
    shots.take(&s, "consumer-unverifiable");
    in_chinese(&s, "暂时无法核验", &mut shots, "consumer-unverifiable-zh");

    // Settings.
    s.click("#open-settings");
    s.wait("#settings-screen");
    shots.take(&s, "settings");
    drop(s);
    drop(display);
    drop(demo);
}
