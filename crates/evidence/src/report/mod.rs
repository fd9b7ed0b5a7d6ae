//! What a package says to people: `README.txt` (how to check it, with standard tools or with
//! `tally-verify`) and `report.pdf` (the timeline, who signed each step, which logs and witnesses
//! vouch for it, the hashes, and the same steps), both in English and Chinese.
//!
//! The report is typeset here, on `pdf-writer`, with the given font subsetted into the file
//! (typst's `subsetter`): a court's copy must render the same on every reader, years later, so
//! nothing is left to a viewer's fonts. A general layout engine (typst, krilla) was the
//! alternative; a report of lines and headings does not need one, and each would add a
//! dependency tree the size of this workspace's.

mod pdf;
mod text;

pub use pdf::{pdf, Font, FontError};
pub use text::readme;
