//! FSMA 204 records read from the logs: organisations' events, each counted only when k
//! operators' logs prove it ([`Client::activity`], [`Client::activity_as`]), made into the rule's
//! records by `tally_fsma`, with the registry's names for every GLN and a link to each event's
//! inclusion proof. The CLI (`tally fsma`) and the app's auditor screen share it.

use crate::audit::ActivityEvent;
use crate::{Client, ClientError};
use std::collections::BTreeMap;
use tally_confidential::RecipientSecret;
use tally_fsma::{Filter, Logged, Places, Row};

/// The records asked for, and what they were made from.
#[derive(Debug, Clone)]
pub struct Records {
    pub rows: Vec<Row>,
    /// Distinct events read (by Event Hash ID).
    pub events: usize,
    pub organisations: usize,
}

impl Client {
    /// The records of `orgs` (party GLNs; every registered organisation if empty), read as
    /// `me` when given (an entitled recipient: sealed events and withheld documents), that
    /// `filter` asks for. `progress(done, total)` is called after each organisation.
    pub async fn fsma_records(
        &self,
        orgs: &[String],
        me: Option<&RecipientSecret>,
        filter: &Filter,
        now: i64,
        progress: &mut (dyn FnMut(usize, usize) + Send),
    ) -> Result<Records, ClientError> {
        let directory = self.directory(now).await?;
        let mut places = Places::new();
        for org in &directory.orgs {
            let name = format!("{} ({})", org.name, org.country);
            places.insert(org.gln.clone(), name.clone());
            for p in &org.places {
                places.entry(p.clone()).or_insert_with(|| name.clone());
            }
        }
        let orgs: Vec<String> = match orgs.is_empty() {
            true => directory.orgs.iter().map(|o| o.gln.clone()).collect(),
            false => orgs.to_vec(),
        };
        let mut events: BTreeMap<String, ActivityEvent> = BTreeMap::new();
        for (i, gln) in orgs.iter().enumerate() {
            let activity = match me {
                Some(me) => self.activity_as(me, gln).await?,
                None => self.activity(gln).await?,
            };
            for e in activity.events {
                events.entry(e.hash_id.clone()).or_insert(e);
            }
            progress(i + 1, orgs.len());
        }
        // Read after the events, so that every event read is inside these checkpoints.
        let sizes = self.monitor(now).await?;
        let proofs: BTreeMap<String, (String, u64)> = sizes
            .logs
            .into_iter()
            .filter_map(|l| Some((l.name, (l.url, l.size?))))
            .collect();
        let links: Vec<String> = events
            .values()
            .map(|e| {
                let log = e.bookkeepers.iter().find_map(|b| proofs.get(b));
                log.map(|(url, size)| {
                    format!(
                        "{url}/proof/inclusion?hash={}&size={size}",
                        crate::fetch::percent_encode(&e.leaf)
                    )
                })
                .unwrap_or_default()
            })
            .collect();
        let logged: Vec<Logged> = events
            .values()
            .zip(&links)
            .map(|(e, proof)| Logged {
                event: &e.event,
                hash_id: &e.hash_id,
                logs: &e.bookkeepers,
                proof,
            })
            .collect();
        Ok(Records {
            rows: tally_fsma::records(&logged, &places, filter),
            events: events.len(),
            organisations: orgs.len(),
        })
    }
}
