//! FSMA 204, the US FDA Food Traceability Rule (21 CFR part 1 subpart S), from Tally's logs.
//!
//! A firm (or an entitled regulator) that holds EPCIS 2.0 events proven in the logs turns them
//! into the rule's records: one row per Critical Tracking Event (CTE) and traceability lot, with
//! the Key Data Elements (KDEs) §§ 1.1325–1.1355 name, written as the "electronic sortable
//! spreadsheet" § 1.1455(c)(3)(ii) asks for (XLSX, with CSV beside it). Every row keeps the
//! event's CBV Event Hash ID, the logs that prove it and a link to an inclusion proof, so an
//! investigator can check any row against the logs.
//!
//! Sans-I/O: events in, rows and file bytes out.
//!
//! How EPCIS maps onto the rule (GS1's reading: a traceability lot code is a GTIN with its batch
//! or lot, AI (01)+(10); an SSCC stands for the lots packed into it):
//! - [`cte`]: which CTE an event is, from its CBV business step and what the lot's history shows
//!   (a receiving of a lot caught at sea is the first land-based receiving).
//! - [`kde`]: each CTE's KDEs from the event's items, quantities, locations, parties, ILMD and
//!   business transactions (the reference documents).
//! - [`sheet`]: the columns and the file formats.
//!
//! FDA publishes a template of this spreadsheet; its text was not available to us here. The
//! columns are therefore the KDE names of the rule itself, one column each, and the layout is
//! provisional until checked against FDA's file.
#![forbid(unsafe_code)]

pub mod cte;
mod event;
pub mod kde;
pub mod sheet;

pub use cte::Cte;
pub use kde::{records, Filter, Logged, Places, Row};
pub use sheet::{csv, xlsx, COLUMNS};
