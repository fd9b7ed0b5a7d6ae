//! `tally demo`: the whole system, headless, on this machine.
//!
//! It starts three bookkeepers on 127.0.0.1 (real processes, SQLite), has governance register
//! the thirteen organisations of a milk-powder chain (New Zealand to Shanghai) and a seafood chain,
//! each organisation certify a device through an enrolment request, and the devices record both
//! journeys as signed EPCIS 2.0 events, sent through a durable outbox to every bookkeeper. It prints
//! the products' labels as PNG, decodes those images back, verifies each product as a shopper's
//! phone would — a fresh client that trusts only the policy — and prints the timelines. Then the
//! failure cases, each with its verdict: one bookkeeper down, a label copied from a unit already
//! sold, a recalled lot, a cold-chain excursion, a made-up serial of a real batch, a genuine
//! can's data behind a look-alike web address, one bookkeeper down, two down (too few to
//! check: Unverifiable, not Failed), a bookkeeper serving a tampered record, and one restored
//! from an old backup (a rollback, set aside). The demo checks every verdict against what it
//! must be and exits 1 if one differs.
//!
//! With `--keep` the network stays up with its data and `DIR/demo.json` describes it (policy,
//! labels, a certified warehouse device), for the app and for trying the other commands.

mod gateway;
mod labels;
mod operator;
mod published;
mod story;

use crate::error::{CliError, CliResult};
use crate::home::{block_on, client_error, now};
use crate::network::{self, DownArgs, UpArgs};
use crate::show;
use base64::Engine as _;
use clap::Args;
use serde_json::json;
use std::path::{Path, PathBuf};
use story::{Org, Product, Signature};
use tally_client::identity::{self, EnrolmentRequest};
use tally_client::view::History;
use tally_client::{Client, Limits};
use tally_tlog::SignerKey;
use tally_trust::policy::ColdChainRule;
use tally_trust::{Entry, Record, Status};
use time::Duration;

/// Run the headless demo: a local network of three bookkeepers, two supply chains recorded and
/// verified end to end, then the failure cases, each with its verdict.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory for the network, keys, client state and labels (must not exist yet). Default: a
    /// temporary directory, removed at the end unless --keep.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Leave the network running with the demo data; DIR/demo.json describes it. Stop it with
    /// `tally network down --dir DIR/net`.
    #[arg(long)]
    keep: bool,
    /// Capture the journeys through each organisation's EPCIS 2.0 gateway (POST /capture, served
    /// in this process) instead of recording them with its device; every verdict must be the same.
    #[arg(long)]
    via_gateway: bool,
    /// Serve the bookkeepers on ports P, P+1, P+2 instead of free ports.
    #[arg(long, value_name = "P")]
    base_port: Option<u16>,
    /// Each bookkeeper publishes its checkpoint, tiles and entry bundles under PUBLISH/bkN/,
    /// a directory or s3://BUCKET[/PREFIX] (as `tally network up --publish`).
    #[arg(long, value_name = "PUBLISH")]
    publish: Option<String>,
    /// With --publish: the URL a web server serves PUBLISH at; every verification of the demo
    /// then reads checkpoints, entries and proofs from those files (as `--tiles-url` of
    /// `tally network up`).
    #[arg(long, value_name = "URL", requires = "publish")]
    tiles_url: Option<String>,
    /// Keep the bookkeepers' logs in the PostgreSQL server at URL, node bkN in a database bkN
    /// there (as `tally network up --storage`); its dishonest and careless operators then work
    /// on those databases.
    #[arg(long, value_name = "URL")]
    storage: Option<String>,
}

/// One checked scenario.
struct Outcome {
    scenario: String,
    product: String,
    expect: Status,
    expect_warning: Option<&'static str>,
    history: History,
}

impl Outcome {
    fn ok(&self) -> bool {
        self.history.status == self.expect
            && self
                .expect_warning
                .is_none_or(|w| self.history.warnings.iter().any(|x| x.code == w))
    }
}

fn say(text: &str) {
    outln!("\n\x1b[1m== {text}\x1b[0m");
}

fn io(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::bad_input(format!("{}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8], mode: u32) -> CliResult {
    tally_bookkeeper::local::write_file(path, bytes, mode).map_err(|e| io(path, e))
}

/// Runs `tally demo`.
pub fn run(args: &DemoArgs) -> CliResult {
    let (dir, temporary) = match &args.dir {
        Some(d) if d.exists() => {
            return Err(CliError::bad_input(format!(
                "{} already exists: give a new directory",
                d.display()
            )))
        }
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("tally-demo-{}", std::process::id())),
            !args.keep,
        ),
    };
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let net = dir.join("net");
    let result = demo(args, &dir, &net);
    if !args.keep || result.is_err() {
        let _ = network::down(&DownArgs {
            dir: net.clone(),
            only: vec![],
            quiet: true,
        });
        if temporary {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    result
}

fn demo(args: &DemoArgs, dir: &Path, net: &Path) -> CliResult {
    say("1. Three bookkeepers, each its own operator, on 127.0.0.1");
    let nodes = network::up(&UpArgs {
        nodes: 3,
        dir: net.to_path_buf(),
        base_port: args.base_port,
        cold_chain: vec![ColdChainRule {
            gtin_prefix: story::FISH_PREFIX.into(),
            min_celsius: -1.0,
            max_celsius: 4.0,
        }],
        confidential: true,
        publish: args.publish.clone(),
        tiles_url: args.tiles_url.clone(),
        storage: args.storage.clone(),
        quiet: true,
    })?;
    for (name, addr) in &nodes {
        outln!(
            "{name}  http://{addr}  (SQLite: {}/{name}.db)",
            net.display()
        );
    }
    let policy_path = tally_bookkeeper::local::policy_path(net);
    let policy = crate::input::file(&policy_path)?;
    outln!(
        "policy {}: an event counts when the logs of 2 of 3 operators prove it; each checkpoint needs 1 cosignature of another operator",
        policy_path.display()
    );

    // The office that sends the records and the devices' events (one outbox for all: it is only
    // the transport; every entry is signed by its own party).
    let desk_db = dir.join("desk.db");
    Client::install_policy(&desk_db, &policy).map_err(client_error)?;
    let desk = Client::open(&desk_db, Limits::default()).map_err(client_error)?;
    // The network seals its registry: governance gives its members the registry secret.
    let registry_secret =
        crate::input::registry_secrets(&tally_bookkeeper::local::registry_secret_path(net))?
            .remove(0);
    (desk.install_registry_secret(&registry_secret)).map_err(client_error)?;
    let governance = crate::input::signer_key(&net.join("governance.key"))?;

    say("2. Governance registers thirteen organisations; each certifies a device, and governance certifies those of the two authorities (a laboratory, customs)");
    let orgs = story::orgs();
    // Whole seconds: event times are shown, and compared, to the second.
    let t = now().replace_nanosecond(0).map_err(CliError::bad_input)?;
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).map_err(|e| io(&keys, e))?;
    let mut records = Vec::new();
    let mut devices: Vec<(SignerKey, Entry)> = Vec::new();
    for o in &orgs {
        let org_key = identity::generate(&format!("{}.demo", o.id)).map_err(client_error)?;
        write(
            &keys.join(format!("{}.key", o.id)),
            org_key.to_secret_string().as_bytes(),
            0o600,
        )?;
        let reg = Record::Registration {
            gln: o.gln.clone(),
            name: o.name.into(),
            country: o.country.into(),
            key: org_key.verifier().to_string(),
            domains: vec![],
            prefixes: match o.id == story::BRAND {
                true => vec![story::BRAND_PREFIX.into()],
                false => vec![],
            },
        };
        records.push((
            Entry::sign(reg.kind(), reg.to_payload(), None, &governance)
                .map_err(CliError::bad_input)?,
            format!("registration of {}", o.name),
        ));
        let device = identity::generate(&format!("{}-device.demo", o.id)).map_err(client_error)?;
        let request = EnrolmentRequest {
            device: device.verifier().to_string(),
            label: format!("{} scanner", o.name),
            org: o.gln.clone(),
            roles: o.roles.iter().map(|r| r.to_string()).collect(),
            places: vec![o.place.clone()],
        };
        let signed = identity::enrolment_request(&device, &request).map_err(client_error)?;
        let checked = identity::open_enrolment_request(&signed).map_err(client_error)?;
        // An authority's device is certified by governance itself, not by its organisation.
        let certifier = if o.authority { &governance } else { &org_key };
        let cert = identity::certify(
            certifier,
            &checked,
            t - Duration::days(120),
            t + Duration::days(365),
        )
        .map_err(client_error)?;
        records.push((cert.clone(), format!("certification of {}", request.label)));
        outln!(
            "  {:<32} {}  GLN {}  device certified for {}",
            o.name,
            o.country,
            o.gln,
            o.roles.join(", ")
        );
        devices.push((device, cert));
    }
    // The food-safety regulator: governance entitles it to read every sealed event. The carrier,
    // a trading partner: the events at its depot or shipped to it.
    let carrier = orgs.iter().find(|o| o.id == "carrier");
    let carrier = carrier.ok_or_else(|| CliError::bad_input("no carrier org"))?;
    let regulator = entitle(
        &keys,
        "regulator",
        REGULATOR,
        vec![],
        &governance,
        &mut records,
    )?;
    let scope = vec![carrier.gln.clone(), carrier.place.clone()];
    let partner = entitle(
        &keys,
        "partner",
        carrier.name,
        scope,
        &governance,
        &mut records,
    )?;
    let total_records = records.len();
    desk.queue(records, t.unix_timestamp())
        .map_err(client_error)?;
    // Devices wrap each event for the entitled recipients of the registry they last read.
    block_on(desk.flush(t.unix_timestamp()))?.map_err(client_error)?;
    wait_cosigned(&desk, total_records as u64)?;
    block_on(desk.directory(t.unix_timestamp()))?.map_err(client_error)?;

    say("3. The devices record both journeys as signed EPCIS 2.0 events");
    let device_of = |id: &str| {
        orgs.iter()
            .position(|o| o.id == id)
            .map(|i| &devices[i].0)
            .ok_or_else(|| CliError::bad_input(format!("no demo org {id}")))
    };
    let actions = story::journeys(&orgs, t);
    // Every code as scanned from its label: each event is sealed for the holders of its labels.
    let mut book = labels::Labels::default();
    let mut fleet = match args.via_gateway {
        true => {
            let each: Vec<(&str, &SignerKey)> = (orgs.iter().zip(&devices))
                .map(|(o, (d, _))| (o.id, d))
                .collect();
            Some(gateway::Fleet::start(
                dir,
                &policy,
                &registry_secret,
                &each,
                t.unix_timestamp(),
            )?)
        }
        false => None,
    };
    for a in &actions {
        let handoff = book.handoff(&a.handoff);
        let summary = match &mut fleet {
            Some(f) => f.capture(a.by, &handoff)?,
            None => {
                (desk.record(device_of(a.by)?, &handoff, t.unix_timestamp()))
                    .map_err(client_error)?
                    .summary
            }
        };
        outln!(
            "  {}  {:<28} {}",
            a.handoff.time.date(),
            org_name(&orgs, a.by),
            summary
        );
    }
    let total = (total_records + actions.len()) as u64;
    let report = block_on(desk.flush(t.unix_timestamp()))?.map_err(client_error)?;
    if report.pending_deliveries > 0 {
        return Err(CliError::invalid(format!(
            "the bookkeepers did not take every entry: {}",
            show::flush(&report)
        )));
    }
    outln!(
        "  {total} entries sent; {} receipts, each checked against its bookkeeper's key",
        report
            .bookkeepers
            .iter()
            .map(|b| b.receipted)
            .sum::<usize>()
    );
    wait_cosigned(&desk, total)?;
    if let Some(f) = fleet {
        let n = f.read_back()?;
        outln!(
            "  {n} events read back through the gateways' EPCIS queries, each proven by the logs"
        );
    }

    say("4. Labels printed as PNG (GS1 Digital Link, error correction Q); the processor signs its cans' labels (GS1 AI 8030)");
    let brand = orgs.iter().position(|o| o.id == story::BRAND);
    let brand = brand.ok_or_else(|| CliError::bad_input("no brand org"))?;
    let products: Vec<Product> = story::products(t)
        .into_iter()
        .map(|p| {
            let uri = book.label(&p.uri);
            let uri = match p.signature {
                Signature::Unsigned => uri,
                Signature::Brand => sign_label(&uri, &devices[brand].0)?,
                Signature::Altered => story::later_expiry(&sign_label(&uri, &devices[brand].0)?),
            };
            Ok(Product { uri, ..p })
        })
        .collect::<CliResult<_>>()?;
    let secrets = book.all();
    let labels = dir.join("labels");
    std::fs::create_dir_all(&labels).map_err(|e| io(&labels, e))?;
    for p in &products {
        let png = tally_label::qr_png(&p.uri, &tally_label::LabelOptions::default())
            .map_err(CliError::bad_input)?;
        let path = labels.join(format!("{}.png", p.name));
        write(&path, &png, 0o644)?;
        outln!("  {}  {}", path.display(), p.uri);
    }

    // The shopper's phone: a fresh client that trusts only the policy.
    let consumer_db = dir.join("consumer.db");
    Client::install_policy(&consumer_db, &policy).map_err(client_error)?;
    let phone = Client::open(&consumer_db, Limits::default()).map_err(client_error)?;
    let mut outcomes = Vec::new();
    let scan = |p: &Product, scenario: &str, expect, warning, outcomes: &mut Vec<Outcome>| {
        let h = scan_label(&phone, &labels.join(format!("{}.png", p.name)))?;
        out!("{}", show::history(&h, now().unix_timestamp(), false));
        outcomes.push(Outcome {
            scenario: scenario.into(),
            product: p.name.into(),
            expect,
            expect_warning: warning,
            history: h,
        });
        CliResult::Ok(())
    };
    let product = |name: &str| products.iter().find(|p| p.name == name).cloned();
    let (Some(can), Some(hoki), Some(cloned), Some(recalled), Some(warm)) = (
        product("milk-powder-can"),
        product("hoki-fillets"),
        product("cloned-can"),
        product("recalled-can"),
        product("warm-fillets"),
    ) else {
        return Err(CliError::bad_input("demo products missing"));
    };
    let (Some(fake), Some(lookalike), Some(altered)) = (
        product("fake-serial-can"),
        product("lookalike-can"),
        product("altered-label-can"),
    ) else {
        return Err(CliError::bad_input("demo products missing"));
    };

    say("5. A shopper in Shanghai scans the can of infant formula (label image decoded)");
    scan(
        &can,
        "can of formula",
        Status::Verified,
        None,
        &mut outcomes,
    )?;
    say("6. A shopper in Wellington scans the hoki fillets");
    scan(&hoki, "hoki fillets", Status::Verified, None, &mut outcomes)?;

    say("7. A copied label: the unit it was copied from was already sold");
    scan(
        &cloned,
        "cloned label",
        Status::Warning,
        Some("already_sold"),
        &mut outcomes,
    )?;
    say("8. A can of the batch the processor recalled");
    scan(
        &recalled,
        "recalled lot",
        Status::Warning,
        Some("recalled"),
        &mut outcomes,
    )?;
    say("9. Fillets of the lot that warmed to 9.4 °C in the cold store");
    scan(
        &warm,
        "temperature excursion",
        Status::Warning,
        Some("cold_chain_excursion"),
        &mut outcomes,
    )?;

    say("10. A counterfeit can: the real batch number, a serial the maker never issued");
    scan(
        &fake,
        "made-up serial",
        Status::Failed,
        Some("unknown_serial"),
        &mut outcomes,
    )?;
    say("11. A genuine can's signed label with its best-before date pushed a year later: the brand's signature (GS1 AI 8030) no longer matches");
    scan(
        &altered,
        "altered label",
        Status::Failed,
        Some("label_forged"),
        &mut outcomes,
    )?;
    say("12. A genuine can's data behind a look-alike web address");
    scan(
        &lookalike,
        "look-alike address",
        Status::Warning,
        Some("unregistered_resolver"),
        &mut outcomes,
    )?;

    say("13. Bookkeeper bk3 is down: the other two still prove every event (2 of 3)");
    network::down(&DownArgs {
        dir: net.to_path_buf(),
        only: vec!["bk3".into()],
        quiet: true,
    })?;
    scan(
        &can,
        "one bookkeeper down",
        Status::Verified,
        Some("partly_reachable"),
        &mut outcomes,
    )?;
    say("14. Bookkeepers bk2 and bk3 are down: too few to check — not the same as a fake");
    network::down(&DownArgs {
        dir: net.to_path_buf(),
        only: vec!["bk2".into()],
        quiet: true,
    })?;
    scan(
        &can,
        "two bookkeepers down",
        Status::Unverifiable,
        Some("too_few_bookkeepers"),
        &mut outcomes,
    )?;
    restart(net)?;

    say("15. Bookkeeper bk2's operator rewrites a record in its database (the carrier's temperatures)");
    let tampered = tamper(net, "bk2", "transporting", &secrets)?;
    scan(
        &can,
        "tampered bookkeeper",
        Status::Warning,
        Some("tampered_entry"),
        &mut outcomes,
    )?;
    restore(net, "bk2", tampered)?;

    say("16. Bookkeeper bk2 is restored from an old backup: a rollback, set aside; 2 of 3 still agree");
    let backup = snapshot(net, dir, "bk2", "backup")?;
    let fishmonger = orgs
        .iter()
        .position(|o| o.id == story::WAREHOUSE)
        .ok_or_else(|| CliError::bad_input("no warehouse org"))?;
    let reading =
        story::chiller_reading(&orgs[fishmonger], now().replace_nanosecond(0).unwrap_or(t));
    desk.record(
        &devices[fishmonger].0,
        &book.handoff(&reading),
        t.unix_timestamp(),
    )
    .map_err(client_error)?;
    block_on(desk.flush(t.unix_timestamp()))?.map_err(client_error)?;
    wait_cosigned(&desk, total + 1)?;
    scan(
        &hoki,
        "after the chiller reading",
        Status::Verified,
        None,
        &mut outcomes,
    )?;
    let current = snapshot(net, dir, "bk2", "current")?;
    put_back(net, "bk2", &backup)?;
    scan(
        &hoki,
        "bookkeeper rolled back",
        Status::Warning,
        Some("log_inconsistent"),
        &mut outcomes,
    )?;
    put_back(net, "bk2", &current)?;

    say("17. The food-safety regulator and a trading partner read what they are entitled to");
    let processor = orgs
        .iter()
        .find(|o| o.id == "processor")
        .ok_or_else(|| CliError::bad_input("no processor org"))?;
    let read = block_on(desk.activity_as(&regulator, &processor.gln))?.map_err(client_error)?;
    let expected = actions.iter().filter(|a| a.by == "processor").count();
    outln!(
        "  {} of {} events of {} read from the three whole logs ({})",
        read.events.len(),
        expected,
        processor.name,
        read.by_step
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // What the processor withheld from shoppers (its despatch advice) the regulator reads; the
    // shopper's can showed the same step with one field withheld.
    let despatch = "DESADV-7741";
    let regulator_reads = read.events.iter().any(|e| e.event.contains(despatch));
    let shopper_sees = outcomes
        .iter()
        .find(|o| o.scenario == "can of formula")
        .is_some_and(|o| {
            o.history.steps.iter().any(|s| s.withheld > 0)
                && !o
                    .history
                    .steps
                    .iter()
                    .any(|s| s.evidence.event.contains(despatch))
        });
    outln!(
        "  the despatch advice {despatch}: the regulator reads it {}; the shopper's can shows it withheld {}",
        if regulator_reads { "(yes)" } else { "(NO)" },
        if shopper_sees { "(yes)" } else { "(NO)" },
    );
    // The same can read by the regulator: the same verdict, the despatch advice on its step.
    let reads =
        |s: &tally_client::view::StepView, what: &str| s.details.iter().any(|d| d.1.contains(what));
    let audited = block_on(desk.verify_as(&book.label(&can.uri), &regulator, now()))?;
    let audited = audited.map_err(client_error)?;
    let can_read =
        audited.status == Status::Verified && audited.steps.iter().any(|s| reads(s, despatch));
    outln!(
        "  the can read by the regulator: {:?}, the despatch advice on its shipment {}",
        audited.status,
        if can_read { "(yes)" } else { "(NO)" },
    );
    // The carrier, a trading partner entitled to the events at its depot or shipped to it, reads
    // the bill of lading of the shipment it took, and not the despatch advice between two others.
    let bill = "BOL-NZAKL-5521";
    let as_partner = block_on(desk.verify_as(&book.label(&can.uri), &partner, now()))?;
    let as_partner = as_partner.map_err(client_error)?;
    let partner_ok = as_partner.status == Status::Verified
        && as_partner.steps.iter().any(|s| reads(s, bill))
        && !as_partner.steps.iter().any(|s| reads(s, despatch))
        && as_partner.steps.iter().any(|s| s.withheld > 0);
    outln!(
        "  the can read by the carrier, a partner: {:?}, the bill of lading {bill} shown, the despatch advice kept private {}",
        as_partner.status,
        if partner_ok { "(yes)" } else { "(NO)" },
    );
    let regulator_ok =
        read.events.len() == expected && regulator_reads && shopper_sees && can_read && partner_ok;

    say("Summary");
    let mut failed = 0;
    for o in &outcomes {
        let mark = if o.ok() { "ok " } else { "DIFFERENT" };
        if !o.ok() {
            failed += 1;
        }
        outln!(
            "  {mark}  {:<24} {:<18} {:?}{}",
            o.scenario,
            o.product,
            o.history.status,
            o.expect_warning
                .map(|w| format!(" ({w})"))
                .unwrap_or_default()
        );
    }
    let held: Vec<String> = story::packs()[1..3].iter().map(|p| book.label(p)).collect();
    outln!(
        "  {}  {:<24} {:<18} {} events",
        if regulator_ok { "ok " } else { "DIFFERENT" },
        "regulator reads",
        "processor",
        read.events.len()
    );
    if !regulator_ok {
        failed += 1;
    }
    let gateway = match args.keep {
        true => Some(keep_gateway(
            dir,
            &policy,
            &registry_secret,
            &orgs,
            &devices,
            &products,
        )?),
        false => None,
    };
    write_summary(
        dir, net, &orgs, &devices, &products, &held, &outcomes, &nodes, gateway,
    )?;
    if args.keep {
        outln!(
            "\nThe network keeps running: {}/demo.json describes it; stop it with `tally network down --dir {}`.",
            dir.display(),
            net.display()
        );
        outln!(
            "The processor's EPCIS 2.0 gateway: tally gateway serve --config {}",
            dir.join("gateway.json").display()
        );
    }
    if failed > 0 {
        return Err(CliError::invalid(format!(
            "{failed} scenario(s) did not give the expected verdict"
        )));
    }
    Ok(())
}

/// The organisation whose EPCIS gateway a kept demo configures.
const GATEWAY_ORG: &str = "processor";

/// Writes the kept network's gateway config for [`GATEWAY_ORG`]; what demo.json says of it.
fn keep_gateway(
    dir: &Path,
    policy: &[u8],
    registry_secret: &tally_confidential::LabelSecret,
    orgs: &[Org],
    devices: &[(SignerKey, Entry)],
    products: &[Product],
) -> CliResult<serde_json::Value> {
    let i = orgs
        .iter()
        .position(|o| o.id == GATEWAY_ORG)
        .ok_or_else(|| CliError::bad_input("no gateway org"))?;
    let links: Vec<String> = products.iter().map(|p| p.uri.clone()).collect();
    let g = gateway::write_config(
        dir,
        "gateway",
        policy,
        registry_secret,
        &devices[i].0,
        &links,
        now().unix_timestamp(),
    )?;
    Ok(json!({
        "config": g.config,
        "token": g.token,
        "org": orgs[i].gln,
        "place": orgs[i].place,
    }))
}

/// The recipient governance entitles to read every sealed event.
const REGULATOR: &str = "Food Safety Authority";

/// A new recipient key, written to `keys/{file}.key`, and governance's entitlement of it to read
/// the sealed events in `scope` (company prefixes; none: every event), added to `records`.
fn entitle(
    keys: &Path,
    file: &str,
    recipient: &str,
    scope: Vec<String>,
    governance: &tally_tlog::SignerKey,
    records: &mut Vec<(Entry, String)>,
) -> CliResult<tally_confidential::RecipientSecret> {
    let me = tally_confidential::RecipientSecret::generate(&mut rand_core::OsRng);
    let path = keys.join(format!("{file}.key"));
    write(&path, me.to_secret_string().as_bytes(), 0o600)?;
    let what = match scope.is_empty() {
        true => "every sealed event".to_owned(),
        false => format!("the sealed events naming {}", scope.join(", ")),
    };
    let record = Record::Entitlement {
        recipient: recipient.into(),
        key: me.public().to_string(),
        scope,
    };
    let entry = Entry::sign(record.kind(), record.to_payload(), None, governance);
    records.push((
        entry.map_err(CliError::bad_input)?,
        format!("entitlement of {recipient}"),
    ));
    outln!("  {recipient:<32} entitled to read {what}");
    Ok(me)
}

fn org_name<'a>(orgs: &'a [Org], id: &'a str) -> &'a str {
    orgs.iter().find(|o| o.id == id).map_or(id, |o| o.name)
}

/// `uri` signed by the brand's labelling device (GS1 AI 8030).
fn sign_label(uri: &str, device: &SignerKey) -> CliResult<String> {
    tally_digsig::sign(uri, device).map_err(|e| CliError::bad_input(format!("{uri}: {e}")))
}

/// Decodes the label image and verifies the product it names, as the app does with a photo.
fn scan_label(phone: &Client, png: &Path) -> CliResult<History> {
    let bytes = crate::input::file(png)?;
    let codes = tally_scan::decode_image_bytes(&bytes).map_err(|e| io(png, e))?;
    let code = codes
        .iter()
        .find_map(|c| match c.payload() {
            // The link as printed: the verdict checks the host it points to.
            tally_scan::Payload::DigitalLink { uri, .. } => Some(uri.clone()),
            p => p.canonical().map(str::to_owned),
        })
        .ok_or_else(|| io(png, "no GS1 code decoded"))?;
    outln!("  decoded {}", code);
    block_on(phone.verify(&code, now()))?.map_err(client_error)
}

/// Waits until every bookkeeper serves a checkpoint of `total` entries with the cosignatures the
/// policy requires (up to 2 minutes).
fn wait_cosigned(client: &Client, total: u64) -> CliResult {
    for _ in 0..1200 {
        let m = block_on(client.monitor(now().unix_timestamp()))?.map_err(client_error)?;
        if m.logs
            .iter()
            .all(|l| l.size == Some(total) && l.problem.is_none())
        {
            outln!(
                "  every bookkeeper's log holds all {total} entries, under a cosigned checkpoint"
            );
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(CliError::invalid(
        "the bookkeepers did not converge on a cosigned checkpoint in 2 minutes",
    ))
}

/// Starts the stopped nodes of the demo network again, with their data and ports.
fn restart(net: &Path) -> CliResult {
    network::up(&UpArgs {
        nodes: 3,
        dir: net.to_path_buf(),
        base_port: None,
        cold_chain: vec![],
        confidential: false,
        publish: None,
        tiles_url: None,
        storage: None,
        quiet: true,
    })
    .map(drop)
}

/// Stops `node`, copies its log aside as backup `name` (SQLite files under `DIR/<name>-<node>/`,
/// or a PostgreSQL database), starts it again; returns the copy.
fn snapshot(net: &Path, dir: &Path, node: &str, name: &str) -> CliResult<operator::Backup> {
    with_stopped(net, node, |log| log.backup(dir, name))
}

/// Stops `node`, puts the backup `from` in place of its log, starts it again.
fn put_back(net: &Path, node: &str, from: &operator::Backup) -> CliResult {
    with_stopped(net, node, |log| log.restore(from))
}

/// An entry replaced in a stopped bookkeeper's database: its index and original bytes, and the
/// published files rewritten with it.
struct Tampered {
    index: i64,
    original: Vec<u8>,
    files: published::Original,
}

/// Stops `node`, runs `edit` on its log, and starts it again.
fn with_stopped<T>(
    net: &Path,
    node: &str,
    edit: impl FnOnce(&operator::Log) -> CliResult<T>,
) -> CliResult<T> {
    network::down(&DownArgs {
        dir: net.to_path_buf(),
        only: vec![node.into()],
        quiet: true,
    })?;
    let out = edit(&operator::Log::of(net, node)?)?;
    restart(net)?;
    Ok(out)
}

/// Rewrites, in `node`'s database, the first event with business step `step` (its temperatures
/// raised by 10 °C; the signature and the tree's hashes left as they were, as a dishonest operator
/// would), restarting the node around it.
///
/// A sealed entry is opened with the demo's label secrets and sealed again for the same labels
/// (an operator who kept what it was shown at admission could do as much).
fn tamper(
    net: &Path,
    node: &str,
    step: &str,
    secrets: &[tally_confidential::LabelSecret],
) -> CliResult<Tampered> {
    let t = with_stopped(net, node, |log| {
        for (index, data) in log.entries()? {
            let Some((mut e, seal)) = opened(&data, secrets) else {
                continue;
            };
            let text = String::from_utf8_lossy(&e.payload).into_owned();
            let forged = text.replace("\"value\":2", "\"value\":3");
            if text.contains(&format!("\"bizStep\":\"{step}\"")) && forged != text {
                e.payload = forged.into_bytes();
                let bytes = match seal {
                    None => e.encode(),
                    Some((labels, links)) => tally_confidential::seal(
                        &e.encode(),
                        &labels,
                        &links,
                        &mut rand_core::OsRng,
                    )
                    .map_err(CliError::bad_input)?,
                };
                log.set_entry(index, &bytes)?;
                return Ok((index, data, bytes));
            }
        }
        Err(CliError::bad_input(format!(
            "{node}: no {step} event to tamper with"
        )))
    })?;
    let (index, original, forged) = t;
    let files = published::rewrite(net, node, index as u64, &forged)?;
    outln!("  {node}: entry {index} rewritten, {node} restarted");
    Ok(Tampered {
        index,
        original,
        files,
    })
}

/// Who a sealed entry is sealed for and what it links to.
type Seal = (
    Vec<tally_confidential::LabelSecret>,
    Vec<tally_confidential::LabelSecret>,
);

/// A logged entry, opened with `secrets` if sealed, with what it was sealed for.
fn opened(
    data: &[u8],
    secrets: &[tally_confidential::LabelSecret],
) -> Option<(Entry, Option<Seal>)> {
    if !tally_confidential::is_sealed(data) {
        return Entry::decode(data).ok().map(|e| (e, None));
    }
    let labels: Vec<_> = secrets
        .iter()
        .filter(|s| tally_confidential::open(data, std::slice::from_ref(s)).is_ok())
        .cloned()
        .collect();
    let inside = tally_confidential::open(data, &labels).ok()?;
    let entry = Entry::decode(&inside.entry).ok()?;
    Some((entry, Some((labels, inside.links))))
}

/// Puts the original entry back (the operator is caught and restores its log).
fn restore(net: &Path, node: &str, t: Tampered) -> CliResult {
    with_stopped(net, node, |log| log.set_entry(t.index, &t.original))?;
    published::restore(t.files)
}

/// Writes DIR/demo.json: the policy, the labels with their expected verdicts, the brand's labelling
/// device key (keys/labelling.key), a certified warehouse device (the fishmonger's) with its key
/// and certification files, the bookkeepers, the results, and (kept) the processor's gateway.
#[allow(clippy::too_many_arguments)]
fn write_summary(
    dir: &Path,
    net: &Path,
    orgs: &[Org],
    devices: &[(SignerKey, Entry)],
    products: &[Product],
    held: &[String],
    outcomes: &[Outcome],
    nodes: &[(String, std::net::SocketAddr)],
    gateway: Option<serde_json::Value>,
) -> CliResult {
    let w = orgs
        .iter()
        .position(|o| o.id == story::WAREHOUSE)
        .ok_or_else(|| CliError::bad_input("no warehouse org"))?;
    let (key, cert) = &devices[w];
    let key_path = dir.join("warehouse.key");
    let cert_path = dir.join("warehouse.cert");
    write(&key_path, key.to_secret_string().as_bytes(), 0o600)?;
    let cert_text = base64::engine::general_purpose::STANDARD.encode(cert.encode());
    write(&cert_path, format!("{cert_text}\n").as_bytes(), 0o644)?;
    let coldstore = orgs.iter().find(|o| o.id == "coldstore");
    let brand = orgs
        .iter()
        .position(|o| o.id == story::BRAND)
        .ok_or_else(|| CliError::bad_input("no brand org"))?;
    let printer_path = dir.join("keys").join("labelling.key");
    write(
        &printer_path,
        devices[brand].0.to_secret_string().as_bytes(),
        0o600,
    )?;
    let labels: Vec<_> = products
        .iter()
        .map(|p| {
            let first = outcomes.iter().find(|o| o.product == p.name);
            json!({
                "name": p.name,
                "what": p.what,
                "uri": p.uri,
                "png": dir.join("labels").join(format!("{}.png", p.name)),
                "expect": first.map(|o| status_word(o.expect)),
                "warning": first.and_then(|o| o.expect_warning),
            })
        })
        .collect();
    let results: Vec<_> = outcomes
        .iter()
        .map(|o| {
            json!({
                "scenario": o.scenario,
                "product": o.product,
                "expect": status_word(o.expect),
                "expect_warning": o.expect_warning,
                "status": status_word(o.history.status),
                "warnings": o.history.warnings.iter().map(|w| &w.code).collect::<Vec<_>>(),
                "steps": o.history.steps.len(),
                "ok": o.ok(),
            })
        })
        .collect();
    let summary = json!({
        "policy": tally_bookkeeper::local::policy_path(net),
        "registry_secret": tally_bookkeeper::local::registry_secret_path(net),
        "labels": labels,
        "warehouse": {
            "org": orgs[w].gln,
            "org_name": orgs[w].name,
            "place": orgs[w].place,
            "counterparty": coldstore.map(|o| o.gln.clone()),
            "device_key": key_path,
            "certification": cert_path,
            "items": held,
        },
        "orgs": orgs.iter().map(|o| json!({"id": o.id, "name": o.name, "gln": o.gln, "place": o.place, "country": o.country})).collect::<Vec<_>>(),
        "labelling": {"org": orgs[brand].gln, "name": orgs[brand].name, "prefix": story::BRAND_PREFIX, "key": printer_path},
        "regulator": {"recipient": REGULATOR, "key": dir.join("keys").join("regulator.key")},
        "partner": {"recipient": org_name(orgs, "carrier"), "key": dir.join("keys").join("partner.key")},
        "bookkeepers": nodes.iter().map(|(name, addr)| json!({"name": name, "url": format!("http://{addr}"), "dir": net})).collect::<Vec<_>>(),
        "results": results,
        "gateway": gateway,
    });
    let path = dir.join("demo.json");
    write(
        &path,
        serde_json::to_string_pretty(&summary)
            .map_err(CliError::bad_input)?
            .as_bytes(),
        0o644,
    )
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Verified => "verified",
        Status::Warning => "warning",
        Status::Unverifiable => "unverifiable",
        Status::Failed => "failed",
    }
}
