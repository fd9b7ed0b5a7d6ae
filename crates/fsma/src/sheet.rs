//! The electronic sortable spreadsheet: one header row of KDE names, one row per record.
//!
//! XLSX is written with `rust_xlsxwriter` (a maintained port of the Python XlsxWriter, no
//! spreadsheet application needed), in memory (its constant-memory mode spills to temporary
//! files, and this crate touches no disk); the header is frozen and carries an autofilter, which
//! is what makes it sortable in any spreadsheet program. CSV (RFC 4180) carries the same cells for tools.

use crate::kde::Row;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// The columns, in order: the CTE, its date, the KDEs of §§ 1.1325–1.1355, then the proof.
pub const COLUMNS: &[&str] = &[
    "Critical Tracking Event",
    "Event Date",
    "Event Time (UTC)",
    "Traceability Lot Code",
    "Product Description",
    "Quantity",
    "Unit of Measure",
    "Location Description",
    "Immediate Previous Source",
    "Immediate Subsequent Recipient",
    "Traceability Lot Code Source",
    "Input Traceability Lot Codes",
    "Harvest or Catch Information",
    "Reference Document Type",
    "Reference Document Number",
    "Tally Event Hash ID",
    "Proven in Logs",
    "Inclusion Proof",
];

/// A row's cells, in [`COLUMNS`] order (the quantity as text, for CSV).
fn cells(r: &Row) -> [&str; 18] {
    [
        r.cte.name(),
        &r.date,
        &r.time,
        &r.tlc,
        &r.product,
        "",
        &r.uom,
        &r.location,
        &r.previous_source,
        &r.subsequent_recipient,
        &r.tlc_source,
        &r.inputs,
        &r.harvest,
        &r.document_type,
        &r.document_number,
        &r.hash_id,
        &r.logs,
        &r.proof,
    ]
}

/// The column of the quantity, written as a number.
const QUANTITY: usize = 5;

/// The records as CSV (RFC 4180: CRLF, fields quoted when they need it).
pub fn csv(rows: &[Row]) -> String {
    let mut out = line(COLUMNS.iter().copied());
    for r in rows {
        let quantity = r.quantity.to_string();
        let mut c = cells(r);
        c[QUANTITY] = &quantity;
        out.push_str(&line(c.into_iter()));
    }
    out
}

fn line<'a>(fields: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = fields
        .map(|f| {
            if f.contains([',', '"', '\r', '\n']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.to_owned()
            }
        })
        .collect();
    quoted.join(",") + "\r\n"
}

/// The records as an XLSX workbook of one sheet, `Traceability Records`, with a frozen,
/// filterable header.
pub fn xlsx(rows: &[Row]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("Traceability Records")?;
    for (c, name) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *name, &bold)?;
        sheet.set_column_width(c as u16, width(c))?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        for (c, text) in cells(r).iter().enumerate() {
            if c == QUANTITY {
                sheet.write_number(row, c as u16, r.quantity)?;
            } else if !text.is_empty() {
                sheet.write_string(row, c as u16, *text)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, rows.len() as u32, COLUMNS.len() as u16 - 1)?;
    book.save_to_buffer()
}

/// A column's width in characters: wide for descriptions, narrow for numbers.
fn width(c: usize) -> f64 {
    match c {
        1 | 5 | 6 => 12.0,
        0 | 2 | 3 | 13 | 14 | 16 => 24.0,
        _ => 40.0,
    }
}

/// `t` in RFC 3339, UTC.
pub(crate) fn utc(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}
