//! The demo's world: the organisations of two real-world supply chains, their devices' roles, and
//! the custody events of both journeys, as data.
//!
//! Milk powder, New Zealand to Shanghai: a Waikato dairy farm collects raw milk; a Canterbury
//! processor receives it and transforms it into two powder batches, fills cans and stacks them on
//! a pallet; an exporter ships the pallet through a carrier that logs the container's temperature;
//! a Shanghai importer clears it and a Shanghai retailer unpacks it and sells one can. The
//! processor then recalls the second batch.
//!
//! Seafood, within New Zealand: a fishing vessel lands a catch of hoki (vessel, catch area, gear
//! and dates as CBV master data); the first land-based receiver and a processor take it in; the
//! processor fillets it into two lots of packs; a cold store keeps them, and its sensor shows the
//! second lot warming to 9.4 °C; a Wellington fishmonger receives the packs.
//!
//! Identifiers are under GS1's example company prefix 950600, with real check digits.

use serde_json::{json, Map, Value};
use tally_client::capture::{Handoff, Quantity, Reading, Step};
use time::{Duration, OffsetDateTime, UtcOffset};

/// A GS1 key body (all digits here) with its check digit appended.
fn with_check(body: &str) -> String {
    tally_gs1::with_check_digit(body).unwrap_or_default()
}

/// The `n`-th demo GLN.
pub fn gln(n: u32) -> String {
    with_check(&format!("950600{n:06}"))
}

/// A demo GTIN-14 from its 5-digit item reference.
pub fn gtin(item: u32) -> String {
    with_check(&format!("09506000{item:05}"))
}

/// The demo pallet's SSCC Digital Link.
pub fn sscc(serial: u32) -> String {
    format!(
        "https://id.gs1.org/00/{}",
        with_check(&format!("09506000{serial:09}"))
    )
}

pub const MILK: u32 = 10001;
pub const FORMULA: u32 = 10002;
pub const CATCH: u32 = 20001;
pub const FILLET: u32 = 20002;

/// Cold-chain rule of the demo policy: chilled fish products, −1 … 4 °C.
pub const FISH_PREFIX: &str = "095060002";

fn lot(item: u32, lot: &str) -> String {
    format!("https://id.gs1.org/01/{}/10/{lot}", gtin(item))
}

/// A serialised unit of a lot.
pub fn unit(item: u32, lot_code: &str, serial: &str) -> String {
    format!("{}/21/{serial}", lot(item, lot_code))
}

/// One organisation of the demo: who it is, where it works, what its device may sign.
pub struct Org {
    /// Short name, also its key's and device's name stem.
    pub id: &'static str,
    pub name: &'static str,
    pub country: &'static str,
    pub gln: String,
    pub place: String,
    /// CBV business steps its device is certified for.
    pub roles: &'static [&'static str],
    /// UTC offset of its local time (events carry it).
    pub offset_hours: i8,
    /// An authority (customs, a laboratory): governance itself certifies its device, and its
    /// attestations count without custody.
    pub authority: bool,
}

/// Every organisation, milk chain first.
pub fn orgs() -> Vec<Org> {
    let o = |id, name, country, n: u32, roles, offset_hours| Org {
        id,
        name,
        country,
        gln: gln(n),
        place: gln(n + 50),
        roles,
        offset_hours,
        authority: false,
    };
    let authority = |id, name, country, n, offset_hours| Org {
        authority: true,
        ..o(id, name, country, n, &["inspecting"], offset_hours)
    };
    vec![
        o(
            "farm",
            "Waikato Valley Dairy Farm",
            "NZ",
            1,
            &["commissioning", "shipping"],
            13,
        ),
        o(
            "processor",
            "Canterbury Nutrition Ltd",
            "NZ",
            2,
            &[
                "labelling",
                "receiving",
                "creating_class_instance",
                "commissioning",
                "packing",
                "shipping",
                "holding",
            ],
            13,
        ),
        o(
            "exporter",
            "Kiwi Dairy Exports Ltd",
            "NZ",
            3,
            &["receiving", "shipping"],
            13,
        ),
        o(
            "carrier",
            "Pacific Reefer Lines",
            "NZ",
            4,
            &["receiving", "transporting", "shipping"],
            13,
        ),
        o(
            "importer",
            "Shanghai Bright Imports Co.",
            "CN",
            5,
            &["receiving", "shipping"],
            8,
        ),
        o(
            "retailer",
            "FreshMart Jing'an",
            "CN",
            6,
            &["receiving", "unpacking", "retail_selling"],
            8,
        ),
        o(
            "vessel",
            "FV Southern Star",
            "NZ",
            11,
            &["commissioning", "shipping"],
            13,
        ),
        o(
            "landing",
            "Nelson Fish Landing",
            "NZ",
            12,
            &["receiving", "shipping"],
            13,
        ),
        o(
            "fishproc",
            "Tasman Seafood Processing",
            "NZ",
            13,
            &["receiving", "creating_class_instance", "shipping"],
            13,
        ),
        o(
            "coldstore",
            "Polar Cold Store Nelson",
            "NZ",
            14,
            &["receiving", "storing", "shipping"],
            13,
        ),
        o(
            "fishmonger",
            "Wellington Harbour Fish Market",
            "NZ",
            15,
            &[
                "receiving",
                "storing",
                "shipping",
                "packing",
                "unpacking",
                "retail_selling",
            ],
            13,
        ),
        authority("lab", "AsureQuality Laboratory Auckland", "NZ", 7, 13),
        authority("customs", "Shanghai Customs District", "CN", 8, 8),
    ]
}

/// One recorded handoff: which organisation's device signs it.
pub struct Action {
    pub by: &'static str,
    pub handoff: Handoff,
}

/// A product the demo scans, and what its verdict must be.
#[derive(Clone)]
pub struct Product {
    pub name: &'static str,
    pub uri: String,
    pub what: &'static str,
    /// Whether the brand's signature (GS1 AI 8030) is on the label.
    pub signature: Signature,
}

/// The brand's signature on a demo label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signature {
    /// None: the fish, and the counterfeiter's own label.
    Unsigned,
    /// Signed by the processor's labelling device, as it prints its cans' labels.
    Brand,
    /// A genuine signed label whose best-before date was changed after signing.
    Altered,
}

/// `uri` with the year of its best-before date (AI 17, `YYMMDD`) one later: what a forger who
/// relabels old stock changes.
pub fn later_expiry(uri: &str) -> String {
    let Some((head, tail)) = uri.split_once("17=") else {
        return uri.to_owned();
    };
    let year: u32 = tail.get(..2).and_then(|y| y.parse().ok()).unwrap_or(0);
    format!(
        "{head}17={:02}{}",
        (year + 1) % 100,
        tail.get(2..).unwrap_or("")
    )
}

/// The brand whose labels the demo signs, and the GS1 company prefix governance registers for
/// it: the milk and formula GTINs (`0 9506000100 0x c`).
pub const BRAND: &str = "processor";
pub const BRAND_PREFIX: &str = "9506000100";

pub const MILK_LOT: &str = "RAW-2611-A";
pub const BATCH_1: &str = "B2611-01";
pub const BATCH_2: &str = "B2611-02";
pub const CATCH_LOT: &str = "CATCH-2611-07";
pub const FILLET_A: &str = "F2611-07A";
pub const FILLET_B: &str = "F2611-07B";

/// The cans: four of batch 1, two of batch 2; all on the pallet.
pub fn cans() -> Vec<String> {
    let mut v: Vec<String> = (1..=4)
        .map(|i| unit(FORMULA, BATCH_1, &format!("C{i:04}")))
        .collect();
    v.extend((101..=102).map(|i| unit(FORMULA, BATCH_2, &format!("C{i:04}"))));
    v
}

/// The fillet packs: three of lot A, one of lot B.
pub fn packs() -> Vec<String> {
    let mut v: Vec<String> = (1..=3)
        .map(|i| unit(FILLET, FILLET_A, &format!("P{i:03}")))
        .collect();
    v.push(unit(FILLET, FILLET_B, "P101"));
    v
}

/// When the milk leaves the farm.
fn milk_start(now: OffsetDateTime) -> OffsetDateTime {
    now - Duration::days(45)
}

/// When the hoki is caught.
fn catch_start(now: OffsetDateTime) -> OffsetDateTime {
    now - Duration::days(10)
}

/// The formula's expiry date: 30 months after production.
fn expiry(now: OffsetDateTime) -> time::Date {
    (milk_start(now) + Duration::days(913)).date()
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The labels the demo prints and scans (the cans' Digital Links carry their expiry, AI 17).
pub fn products(now: OffsetDateTime) -> Vec<Product> {
    let cans = cans();
    let packs = packs();
    let e = expiry(now);
    let ai17 = format!(
        "?17={:02}{:02}{:02}",
        e.year() % 100,
        u8::from(e.month()),
        e.day()
    );

    vec![
        Product {
            name: "milk-powder-can",
            uri: format!("{}{ai17}", cans[0]),
            what: "a can of infant formula on a Shanghai shelf",
            signature: Signature::Brand,
        },
        Product {
            name: "hoki-fillets",
            uri: packs[0].clone(),
            what: "a pack of hoki fillets at a Wellington fishmonger",
            signature: Signature::Unsigned,
        },
        Product {
            name: "cloned-can",
            uri: format!("{}{ai17}", cans[1]),
            what: "a label copied from a can already sold",
            signature: Signature::Brand,
        },
        Product {
            name: "recalled-can",
            uri: format!("{}{ai17}", cans[4]),
            what: "a can of the recalled batch",
            signature: Signature::Brand,
        },
        Product {
            name: "warm-fillets",
            uri: packs[3].clone(),
            what: "a pack of the fillet lot that warmed up in the cold store",
            signature: Signature::Unsigned,
        },
        Product {
            name: "fake-serial-can",
            uri: format!("{}{ai17}", unit(FORMULA, BATCH_1, "C9977")),
            what: "a counterfeit can: the real batch number with a serial the maker never issued",
            signature: Signature::Unsigned,
        },
        Product {
            name: "lookalike-can",
            uri: format!(
                "https://paypa1-secure-login.example/01/{}/10/{BATCH_1}/21/C0003{ai17}",
                gtin(FORMULA)
            ),
            what: "a genuine can's data behind a look-alike web address",
            signature: Signature::Brand,
        },
        Product {
            name: "altered-label-can",
            uri: format!("{}{ai17}", cans[0]),
            what: "a genuine can's signed label with its best-before date pushed a year later",
            signature: Signature::Altered,
        },
    ]
}

/// The warehouse worker the app's warehouse role is set up as (the fishmonger's receiving dock),
/// with packs it holds and may sell or repack.
pub const WAREHOUSE: &str = "fishmonger";

fn quantity(class: String, q: f64, uom: &str) -> Quantity {
    Quantity {
        class,
        quantity: q,
        uom: Some(uom.into()),
    }
}

fn ilmd(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Both journeys, in the order they happen. `now` anchors the times: the milk leaves the farm
/// 45 days ago, the hoki was caught 10 days ago.
pub fn journeys(orgs: &[Org], now: OffsetDateTime) -> Vec<Action> {
    let org = |id: &str| orgs.iter().find(|o| o.id == id).expect("demo org");
    let start = milk_start(now);
    let nz = UtcOffset::from_hms(13, 0, 0).unwrap_or(UtcOffset::UTC);
    let expires = expiry(now).to_string();
    let cans = cans();
    let packs = packs();
    let pallet = sscc(1);
    let at = |base: OffsetDateTime, hours: i64, who: &Org| {
        (base + Duration::hours(hours))
            .to_offset(UtcOffset::from_hms(who.offset_hours, 0, 0).unwrap_or(UtcOffset::UTC))
    };
    let mut actions = Vec::new();
    let mut add = |by: &'static str,
                   step: Step,
                   hours: i64,
                   base: OffsetDateTime,
                   f: &dyn Fn(&mut Handoff)| {
        let o = org(by);
        let mut h = Handoff {
            step,
            time: at(base, hours, o),
            items: vec![],
            quantities: vec![],
            parent: None,
            outputs: vec![],
            output_quantities: vec![],
            place: o.place.clone(),
            org: o.gln.clone(),
            counterparty: None,
            documents: vec![],
            readings: vec![],
            ilmd: Map::new(),
            withhold: Handoff::default_withheld(),
        };
        f(&mut h);
        actions.push(Action { by, handoff: h });
    };
    let reading = |base: OffsetDateTime, hours: i64, celsius: f64| Reading {
        time: base + Duration::hours(hours),
        celsius,
    };
    let milk = || vec![quantity(lot(MILK, MILK_LOT), 20_000.0, "LTR")];
    let (farm, processor, exporter, carrier, importer) = (
        org("farm").gln.clone(),
        org("processor").gln.clone(),
        org("exporter").gln.clone(),
        org("carrier").gln.clone(),
        org("importer").gln.clone(),
    );
    let retailer = org("retailer").gln.clone();

    // Milk powder.
    add("farm", Step::Commission, 0, start, &|h| {
        h.quantities = milk();
        h.ilmd = ilmd(json!({
            "cbvmda:countryOfOrigin": "NZ",
            "cbvmda:harvestStartDate": rfc3339((start - Duration::hours(5)).to_offset(nz)),
            "cbvmda:harvestEndDate": rfc3339((start - Duration::hours(2)).to_offset(nz)),
        }));
    });
    add("farm", Step::Ship, 2, start, &|h| {
        h.quantities = milk();
        h.counterparty = Some(processor.clone());
        h.readings = vec![reading(start, 2, 3.8)];
    });
    add("processor", Step::Receive, 5, start, &|h| {
        h.quantities = milk();
        h.counterparty = Some(farm.clone());
        h.readings = vec![reading(start, 5, 4.1)];
    });
    add("processor", Step::Transform, 30, start, &|h| {
        h.quantities = milk();
        h.output_quantities = vec![
            quantity(lot(FORMULA, BATCH_1), 1_200.0, "KGM"),
            quantity(lot(FORMULA, BATCH_2), 1_200.0, "KGM"),
        ];
        h.ilmd = ilmd(json!({
            "cbvmda:countryOfOrigin": "NZ",
            "cbvmda:itemExpirationDate": expires,
        }));
    });
    add("processor", Step::Commission, 40, start, &|h| {
        h.items = cans.clone();
        h.ilmd = ilmd(json!({"cbvmda:itemExpirationDate": expires}));
    });
    // A laboratory, certified by governance itself, attests the batch's test.
    add("lab", Step::Inspect, 41, start, &|h| {
        h.quantities = vec![quantity(lot(FORMULA, BATCH_1), 1_200.0, "KGM")];
        h.documents = vec![(
            "cert".into(),
            "urn:example:asurequality:test-report:AQ-2611-0417".into(),
        )];
        h.withhold = vec![];
    });
    add("processor", Step::Pack, 42, start, &|h| {
        h.parent = Some(pallet.clone());
        h.items = cans.clone();
    });
    add("processor", Step::Ship, 48, start, &|h| {
        h.items = vec![pallet.clone()];
        h.counterparty = Some(exporter.clone());
        h.documents = vec![(
            "desadv".into(),
            "urn:epcglobal:cbv:bt:9506000000029:DESADV-7741".into(),
        )];
    });
    add("exporter", Step::Receive, 53, start, &|h| {
        h.items = vec![pallet.clone()];
        h.counterparty = Some(processor.clone());
    });
    add("exporter", Step::Ship, 96, start, &|h| {
        h.items = vec![pallet.clone()];
        h.counterparty = Some(carrier.clone());
        h.documents = vec![(
            "bol".into(),
            "urn:epcglobal:cbv:bt:9506000000043:BOL-NZAKL-5521".into(),
        )];
    });
    add("carrier", Step::Receive, 100, start, &|h| {
        h.items = vec![pallet.clone()];
        h.counterparty = Some(exporter.clone());
    });
    add("carrier", Step::Transport, 340, start, &|h| {
        h.items = vec![pallet.clone()];
        h.readings = vec![
            reading(start, 150, 19.5),
            reading(start, 250, 22.8),
            reading(start, 340, 21.1),
        ];
    });
    add("carrier", Step::Ship, 352, start, &|h| {
        h.items = vec![pallet.clone()];
        h.counterparty = Some(importer.clone());
    });
    add("importer", Step::Receive, 356, start, &|h| {
        h.items = vec![pallet.clone()];
        h.counterparty = Some(carrier.clone());
    });
    // Customs, an authority, inspects the pallet and clears it: what a shopper of imported
    // formula looks for, so shown to every holder.
    add("customs", Step::Inspect, 358, start, &|h| {
        h.items = vec![pallet.clone()];
        h.documents = vec![(
            "cert".into(),
            "urn:example:cn-customs:clearance:CIQ-2611-0931".into(),
        )];
        h.withhold = vec![];
    });
    add("importer", Step::Ship, 430, start, &|h| {
        h.items = vec![pallet.clone()];
        h.counterparty = Some(retailer.clone());
    });
    add("retailer", Step::Receive, 436, start, &|h| {
        h.items = vec![pallet.clone()];
        h.counterparty = Some(importer.clone());
    });
    add("retailer", Step::Unpack, 437, start, &|h| {
        h.parent = Some(pallet.clone());
        h.items = cans.clone();
    });
    add("retailer", Step::Sell, 700, start, &|h| {
        h.items = vec![cans[1].clone()];
    });
    add("processor", Step::Recall, 800, start, &|h| {
        h.quantities = vec![quantity(lot(FORMULA, BATCH_2), 1_200.0, "KGM")];
        h.place = org("processor").place.clone();
    });

    // Seafood.
    let sea = catch_start(now);
    let (vessel, landing, fishproc, coldstore) = (
        org("vessel").gln.clone(),
        org("landing").gln.clone(),
        org("fishproc").gln.clone(),
        org("coldstore").gln.clone(),
    );
    let fishmonger = org("fishmonger").gln.clone();
    let catch = || vec![quantity(lot(CATCH, CATCH_LOT), 850.0, "KGM")];
    add("vessel", Step::Commission, 0, sea, &|h| {
        h.quantities = catch();
        // Shoppers see the vessel, the catch area and the gear; the exact hours it fished tell
        // competitors where and when it finds hoki, so its partners and the regulator read them.
        h.withhold = vec![
            "cbvmda:harvestStartDate".into(),
            "cbvmda:harvestEndDate".into(),
        ];
        h.readings = vec![reading(sea, 0, 0.4)];
        h.ilmd = ilmd(json!({
            "cbvmda:countryOfOrigin": "NZ",
            "cbvmda:speciesForFisheryStatisticsPurposesName": "Hoki (Macruronus novaezelandiae)",
            "cbvmda:productionMethodForFishAndSeafoodCode": "MARINE_FISHERY",
            "cbvmda:harvestStartDate": rfc3339((sea - Duration::hours(6)).to_offset(nz)),
            "cbvmda:harvestEndDate": rfc3339((sea - Duration::minutes(30)).to_offset(nz)),
            "cbvmda:vesselCatchInformationList": {"cbvmda:vesselCatchInformation": [{
                "cbvmda:vesselName": "Southern Star",
                "cbvmda:vesselID": "IMO 9387421",
                "cbvmda:vesselFlagState": "NZ",
                "cbvmda:catchArea": "81",
                "cbvmda:fishingGearTypeCode": "OTM",
            }]},
        }));
    });
    add("vessel", Step::Ship, 20, sea, &|h| {
        h.quantities = catch();
        h.counterparty = Some(landing.clone());
        h.readings = vec![reading(sea, 20, 0.6)];
    });
    add("landing", Step::Receive, 22, sea, &|h| {
        h.quantities = catch();
        h.counterparty = Some(vessel.clone());
        h.readings = vec![reading(sea, 22, 0.8)];
    });
    add("landing", Step::Ship, 25, sea, &|h| {
        h.quantities = catch();
        h.counterparty = Some(fishproc.clone());
    });
    add("fishproc", Step::Receive, 27, sea, &|h| {
        h.quantities = catch();
        h.counterparty = Some(landing.clone());
        h.readings = vec![reading(sea, 27, 1.1)];
    });
    add("fishproc", Step::Transform, 33, sea, &|h| {
        h.quantities = catch();
        h.outputs = packs.clone();
        h.readings = vec![reading(sea, 33, 1.9)];
        h.ilmd = ilmd(json!({
            "cbvmda:countryOfOrigin": "NZ",
            "cbvmda:preservationTechniqueCode": "CHILLED",
            "cbvmda:bestBeforeDate": (sea + Duration::days(15)).date().to_string(),
        }));
    });
    add("fishproc", Step::Ship, 36, sea, &|h| {
        h.items = packs.clone();
        h.counterparty = Some(coldstore.clone());
        h.readings = vec![reading(sea, 36, 1.4)];
    });
    add("coldstore", Step::Receive, 38, sea, &|h| {
        h.items = packs.clone();
        h.counterparty = Some(fishproc.clone());
        h.readings = vec![reading(sea, 38, 1.2)];
    });
    add("coldstore", Step::Store, 80, sea, &|h| {
        h.items = packs[..3].to_vec();
        h.readings = vec![
            reading(sea, 50, 0.9),
            reading(sea, 65, 1.3),
            reading(sea, 80, 1.0),
        ];
    });
    add("coldstore", Step::Store, 81, sea, &|h| {
        h.items = vec![packs[3].clone()];
        // The door of the chamber holding lot B was left open overnight.
        h.readings = vec![
            reading(sea, 50, 1.1),
            reading(sea, 65, 9.4),
            reading(sea, 80, 2.2),
        ];
    });
    add("coldstore", Step::Ship, 120, sea, &|h| {
        h.items = packs.clone();
        h.counterparty = Some(fishmonger.clone());
        h.readings = vec![reading(sea, 120, 1.6)];
    });
    add("fishmonger", Step::Receive, 123, sea, &|h| {
        h.items = packs.clone();
        h.counterparty = Some(coldstore.clone());
        h.readings = vec![reading(sea, 123, 2.0)];
    });
    actions
}

/// The fishmonger's chiller reading of the first pack, at `now`: one more entry in every log.
pub fn chiller_reading(fishmonger: &Org, now: OffsetDateTime) -> Handoff {
    Handoff {
        step: Step::Store,
        time: now,
        items: vec![packs()[0].clone()],
        quantities: vec![],
        parent: None,
        outputs: vec![],
        output_quantities: vec![],
        place: fishmonger.place.clone(),
        org: fishmonger.gln.clone(),
        counterparty: None,
        documents: vec![],
        readings: vec![Reading {
            time: now,
            celsius: 1.8,
        }],
        ilmd: Map::new(),
        withhold: Handoff::default_withheld(),
    }
}
