//! A small Tally network in memory for tests and benchmarks: real keys, real signatures, real
//! Merkle logs (one `MemoryStore` per bookkeeper), real cosigned checkpoints.
#![allow(dead_code)]

use serde_json::{json, Value};
// Not every test binary uses every helper.
#[allow(unused_imports)]
pub use tally_testkit::{gln, key, sscc, t, with_check};
use tally_tlog::{note, Checkpoint, KeyType, MemoryStore, SignerKey};
use tally_trust::{Entry, LogEvidence, Policy, ProvenEntry, Record};

pub const GTIN: &str = "09506000134352";

/// The time the verdict tests judge at.
pub const NOW: &str = "2026-06-01T00:00:00Z";

/// When the test witnesses cosign: a minute before [`NOW`], well within the policy's freshness.
pub fn cosigned_at() -> u64 {
    (t(NOW).unix_timestamp() - 60) as u64
}

pub fn unit(serial: u32) -> String {
    format!("https://id.gs1.org/01/{GTIN}/10/LOT1/21/{serial}")
}

pub fn lot() -> String {
    format!("https://id.gs1.org/01/{GTIN}/10/LOT1")
}

pub struct Bookkeeper {
    pub log: SignerKey,
    pub witness: SignerKey,
    pub store: MemoryStore,
    pub entries: Vec<Vec<u8>>,
}

pub struct Net {
    pub policy: Policy,
    pub gov: SignerKey,
    pub bks: Vec<Bookkeeper>,
    pub orgs: Vec<(String, SignerKey)>,
}

pub struct Event<'a> {
    pub kind: &'a str,
    pub action: Option<&'a str>,
    pub time: &'a str,
    pub step: &'a str,
    pub disposition: Option<&'a str>,
    pub epcs: Vec<String>,
    pub place: String,
    pub ship_to: Option<String>,
    pub extra: Value,
}

impl<'a> Event<'a> {
    pub fn object(time: &'a str, step: &'a str, epcs: Vec<String>, place: &str) -> Self {
        Event {
            kind: "ObjectEvent",
            action: Some("OBSERVE"),
            time,
            step,
            disposition: None,
            epcs,
            place: place.to_owned(),
            ship_to: None,
            extra: json!({}),
        }
    }

    pub fn json(&self) -> Vec<u8> {
        let mut v = json!({
            "type": self.kind,
            "eventTime": self.time,
            "eventTimeZoneOffset": "+00:00",
            "bizStep": self.step,
            "readPoint": {"id": format!("https://id.gs1.org/414/{}", self.place)},
        });
        let m = v.as_object_mut().unwrap();
        if let Some(a) = self.action {
            m.insert("action".into(), json!(a));
        }
        if let Some(d) = self.disposition {
            m.insert("disposition".into(), json!(d));
        }
        match self.kind {
            "AggregationEvent" => {
                m.insert("parentID".into(), json!(self.epcs[0]));
                m.insert("childEPCs".into(), json!(self.epcs[1..]));
            }
            "TransformationEvent" if !self.epcs.is_empty() => {
                m.insert("inputEPCList".into(), json!([self.epcs[0]]));
                m.insert("outputEPCList".into(), json!(self.epcs[1..]));
            }
            "TransformationEvent" => {}
            _ => {
                m.insert("epcList".into(), json!(self.epcs));
            }
        }
        if let Some(to) = &self.ship_to {
            m.insert(
                "destinationList".into(),
                json!([{"type": "possessing_party", "destination": format!("https://id.gs1.org/417/{to}")}]),
            );
        }
        if let Value::Object(extra) = &self.extra {
            for (k, val) in extra {
                m.insert(k.clone(), val.clone());
            }
        }
        serde_json::to_vec(&v).unwrap()
    }
}

impl Net {
    /// `n` bookkeepers run by `n` operators; quorum `k`; each checkpoint needs `w` peer cosignatures.
    pub fn new(n: usize, k: usize, w: usize) -> Net {
        let gov = key("gov.tally.example", KeyType::Ed25519, 200);
        let bks: Vec<Bookkeeper> = (0..n)
            .map(|i| Bookkeeper {
                log: key(
                    &format!("bk{i}.tally.example/log"),
                    KeyType::Ed25519,
                    100 + i as u8,
                ),
                witness: key(
                    &format!("bk{i}.tally.example/witness"),
                    KeyType::Cosignature,
                    150 + i as u8,
                ),
                store: MemoryStore::new(),
                entries: vec![],
            })
            .collect();
        let policy = json!({
            "network": "tally.example",
            "governance": [gov.verifier().to_string()],
            "bookkeepers": bks.iter().enumerate().map(|(i, b)| json!({
                "name": format!("bk{i}"),
                "operator": format!("Operator {i}"),
                "log_key": b.log.verifier().to_string(),
                "witness_key": b.witness.verifier().to_string(),
                "urls": [format!("http://127.0.0.1:{}", 7000 + i)],
            })).collect::<Vec<_>>(),
            "log_quorum": k,
            "witness_threshold": w,
            "cold_chain": [{"gtin_prefix": "0950600013", "min_celsius": 0.0, "max_celsius": 25.0}],
        });
        let policy = Policy::parse(policy.to_string().as_bytes()).unwrap();
        Net {
            policy,
            gov,
            bks,
            orgs: vec![],
        }
    }

    pub fn append(&mut self, which: &[usize], entry: &[u8]) {
        for &i in which {
            let b = &mut self.bks[i];
            b.store.append(entry).unwrap();
            b.entries.push(entry.to_vec());
        }
    }

    pub fn append_all(&mut self, entry: &[u8]) {
        let all: Vec<usize> = (0..self.bks.len()).collect();
        self.append(&all, entry);
    }

    /// Registers an organisation (governance-signed) and returns its key.
    pub fn register(&mut self, org_gln: &str, name: &str, seed: u8) -> SignerKey {
        let k = key(&format!("org-{org_gln}"), KeyType::Ed25519, seed);
        let r = Record::Registration {
            gln: org_gln.to_owned(),
            name: name.to_owned(),
            country: "NZ".into(),
            key: k.verifier().to_string(),
            domains: vec![],
            prefixes: vec![],
        };
        let e = Entry::sign(r.kind(), r.to_payload(), None, &self.gov).unwrap();
        self.append_all(&e.encode());
        self.orgs.push((org_gln.to_owned(), k.clone()));
        k
    }

    /// Certifies a device of `org` for `roles` at `places` for 2026.
    pub fn certify(
        &mut self,
        org: &SignerKey,
        org_gln: &str,
        roles: &[&str],
        places: &[&str],
        seed: u8,
    ) -> SignerKey {
        let d = key(&format!("device-{seed}"), KeyType::Ed25519, seed);
        let r = Record::Certification {
            org: org_gln.to_owned(),
            device: d.verifier().to_string(),
            roles: roles.iter().map(|s| s.to_string()).collect(),
            places: places.iter().map(|s| s.to_string()).collect(),
            valid_from: t("2026-01-01T00:00:00Z"),
            expires: t("2027-01-01T00:00:00Z"),
        };
        let e = Entry::sign(r.kind(), r.to_payload(), None, org).unwrap();
        self.append_all(&e.encode());
        d
    }

    pub fn record(&mut self, device: &SignerKey, ev: &Event) -> Entry {
        let e = Entry::sign_event(&ev.json(), device).unwrap();
        self.append_all(&e.encode());
        e
    }

    /// Bookkeeper `i`'s checkpoint, signed and cosigned by every peer witness.
    pub fn checkpoint(&self, i: usize) -> Vec<u8> {
        self.checkpoint_cosigned_at(i, cosigned_at())
    }

    /// [`Net::checkpoint`] with the witnesses' timestamps at `when` (Unix seconds).
    pub fn checkpoint_cosigned_at(&self, i: usize, when: u64) -> Vec<u8> {
        let b = &self.bks[i];
        let size = b.store.size();
        let cp = Checkpoint::new(b.log.name(), size, b.store.root(size).unwrap(), "").unwrap();
        let signed = note::sign(&cp.to_bytes(), std::slice::from_ref(&b.log), 0).unwrap();
        let peers: Vec<SignerKey> = self
            .bks
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, p)| p.witness.clone())
            .collect();
        note::add_signatures(&signed, &peers, when).unwrap()
    }

    /// What bookkeeper `i` would answer: its checkpoint and every entry with a proof.
    pub fn evidence(&self, i: usize) -> LogEvidence {
        self.evidence_cosigned_at(i, cosigned_at())
    }

    /// [`Net::evidence`] under a checkpoint cosigned at `when`.
    pub fn evidence_cosigned_at(&self, i: usize, when: u64) -> LogEvidence {
        let b = &self.bks[i];
        let size = b.store.size();
        LogEvidence {
            bookkeeper: format!("bk{i}"),
            checkpoint: self.checkpoint_cosigned_at(i, when),
            consistency: None,
            entries: b
                .entries
                .iter()
                .enumerate()
                .map(|(idx, bytes)| ProvenEntry {
                    index: idx as u64,
                    bytes: bytes.clone(),
                    proof: b.store.inclusion_proof(idx as u64, size).unwrap(),
                })
                .collect(),
        }
    }

    pub fn all_evidence(&self) -> Vec<LogEvidence> {
        (0..self.bks.len()).map(|i| self.evidence(i)).collect()
    }
}

/// The parties of a milk-powder supply chain, registered and certified.
pub struct Chain {
    pub net: Net,
    pub farm: String,
    pub processor: String,
    pub exporter: String,
    pub importer: String,
    pub retailer: String,
    pub farm_dev: SignerKey,
    pub proc_dev: SignerKey,
    pub exp_dev: SignerKey,
    pub imp_dev: SignerKey,
    pub ret_dev: SignerKey,
}

pub const ALL_STEPS: &[&str] = &[
    "commissioning",
    "creating_class_instance",
    "shipping",
    "receiving",
    "packing",
    "unpacking",
    "retail_selling",
    "sensor_reporting",
    "storing",
    "recalling",
];

impl Chain {
    pub fn new() -> Chain {
        Chain::new_with(Net::new(3, 2, 1))
    }

    pub fn new_with(mut net: Net) -> Chain {
        let (farm, processor, exporter, importer, retailer) =
            (gln(1), gln(2), gln(3), gln(4), gln(5));
        let mut devs = vec![];
        for (i, g) in [&farm, &processor, &exporter, &importer, &retailer]
            .into_iter()
            .enumerate()
        {
            let org = net.register(g, &format!("Org {i}"), 10 + i as u8);
            devs.push(net.certify(&org, g, ALL_STEPS, &[g], 30 + i as u8));
        }
        let mut d = devs.into_iter();
        Chain {
            net,
            farm,
            processor,
            exporter,
            importer,
            retailer,
            farm_dev: d.next().unwrap(),
            proc_dev: d.next().unwrap(),
            exp_dev: d.next().unwrap(),
            imp_dev: d.next().unwrap(),
            ret_dev: d.next().unwrap(),
        }
    }

    /// A normal journey of unit 1001: commissioned at the processor, packed onto a pallet, shipped to
    /// the importer, received, unpacked, and (optionally) sold.
    pub fn journey(&mut self, sell: bool) {
        let u = unit(1001);
        let (p, i, r) = (
            self.processor.clone(),
            self.importer.clone(),
            self.retailer.clone(),
        );
        let mut c = Event::object(
            "2026-03-01T08:00:00Z",
            "commissioning",
            vec![u.clone(), unit(1002)],
            &p,
        );
        c.action = Some("ADD");
        let dev = self.proc_dev.clone();
        self.net.record(&dev, &c);
        let mut pack = Event::object(
            "2026-03-01T09:00:00Z",
            "packing",
            vec![sscc(1), u.clone(), unit(1002)],
            &p,
        );
        pack.kind = "AggregationEvent";
        pack.action = Some("ADD");
        self.net.record(&dev, &pack);
        let mut ship = Event::object("2026-03-02T10:00:00Z", "shipping", vec![sscc(1)], &p);
        ship.ship_to = Some(i.clone());
        ship.extra = json!({"sensorElementList": [{"sensorMetadata": {"time": "2026-03-02T12:00:00Z"},
            "sensorReport": [{"type": "Temperature", "value": 18.5, "uom": "CEL"}]}]});
        self.net.record(&dev, &ship);
        let idev = self.imp_dev.clone();
        self.net.record(
            &idev,
            &Event::object("2026-03-20T10:00:00Z", "receiving", vec![sscc(1)], &i),
        );
        let mut unpack = Event::object(
            "2026-03-20T11:00:00Z",
            "unpacking",
            vec![sscc(1), u.clone(), unit(1002)],
            &i,
        );
        unpack.kind = "AggregationEvent";
        unpack.action = Some("DELETE");
        self.net.record(&idev, &unpack);
        let mut ship2 = Event::object("2026-03-21T10:00:00Z", "shipping", vec![u.clone()], &i);
        ship2.ship_to = Some(r.clone());
        self.net.record(&idev, &ship2);
        let rdev = self.ret_dev.clone();
        self.net.record(
            &rdev,
            &Event::object("2026-03-22T10:00:00Z", "receiving", vec![u.clone()], &r),
        );
        if sell {
            self.journey_sale();
        }
    }

    /// The retailer sells unit 1001.
    pub fn journey_sale(&mut self) {
        let r = self.retailer.clone();
        let mut s = Event::object(
            "2026-04-01T10:00:00Z",
            "retail_selling",
            vec![unit(1001)],
            &r,
        );
        s.disposition = Some("retail_sold");
        let rdev = self.ret_dev.clone();
        self.net.record(&rdev, &s);
    }
}
