//! Print-ready GS1 Digital Link labels for Tally: the QR Code alone as PNG, one label (QR plus
//! human-readable GTIN, lot, serial and expiry) as SVG, and sheets of many labels as SVG and PDF.
//!
//! * **Encoding**: the `qrcode` crate (pure Rust, no image feature: every renderer here draws
//!   the module matrix itself), mixed numeric/byte segments, **error correction Q by default**.
//!   Measured for Tally's URIs (issue #6): Q reads 8 points more often than M overall and 35 more under
//!   glare; the cost is size. (With the `qrcode` crate's mixed-mode
//!   segmentation, `https://id.gs1.org/01/09506000134352/10/LOT-2026-11/21/SER1001?17=281130`
//!   is version 5 at Q and version 4 at M: 2 mm wider at 0.5 mm modules.) `tally-scan`'s bench
//!   and round-trip tests use the same level.
//! * **Quiet zone**: 4 modules on every side, as ISO/IEC 18004 requires; the human-readable text
//!   sits below the quiet zone, never inside it.
//! * **SVG**: sizes in millimetres, the symbol as one path of per-row runs with
//!   `shape-rendering="crispEdges"`, text in a monospace font.
//! * **PDF**: `pdf-writer` (a small, dependency-free writer), A4 pages by default, the symbol as
//!   filled rectangles (vector, sharp at any printer resolution), text in the standard
//!   Helvetica font, as many pages as the labels need.
//! * **PNG**: the `image` crate's encoder, integer pixels per module (no resampling blur).
//!
//! Every URI is validated with `tally_gs1` before it is drawn: a label with a wrong check digit
//! is refused, not printed.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};
use qrcode::{EcLevel, QrCode};
use std::fmt::Write as _;
use tally_gs1::{DigitalLink, Gs1Fields};

/// Error correction level of the symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ec {
    L,
    M,
    /// The default: see the crate docs.
    #[default]
    Q,
    H,
}

impl Ec {
    fn level(self) -> EcLevel {
        match self {
            Ec::L => EcLevel::L,
            Ec::M => EcLevel::M,
            Ec::Q => EcLevel::Q,
            Ec::H => EcLevel::H,
        }
    }
}

/// Why a label cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// Not a valid GS1 Digital Link URI.
    #[error("not a valid GS1 Digital Link: {0}")]
    NotDigitalLink(#[from] tally_gs1::Error),
    /// Too long for a QR Code at this error correction level.
    #[error("{len}-byte URI does not fit a QR Code at error correction {ec:?}")]
    TooLong { len: usize, ec: Ec },
    /// A sheet with no labels, or options that leave no room for one.
    #[error("{0}")]
    Layout(String),
}

/// How a label is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelOptions {
    /// Error correction level (default Q).
    pub ec: Ec,
    /// Quiet zone in modules (default 4, the minimum the standard allows).
    pub quiet: u32,
    /// Module size in millimetres for SVG and PDF (default 0.5 mm: a version-5 symbol with its
    /// quiet zone is 22.5 mm wide, which phones read from 5-30 cm).
    pub module_mm: f32,
    /// Pixels per module for PNG (default 8).
    pub module_px: u32,
    /// Print the human-readable lines under the symbol (default true).
    pub text: bool,
}

impl Default for LabelOptions {
    fn default() -> Self {
        LabelOptions {
            ec: Ec::Q,
            quiet: 4,
            module_mm: 0.5,
            module_px: 8,
            text: true,
        }
    }
}

/// A sheet of labels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SheetOptions {
    /// How each label is drawn.
    pub label: LabelOptions,
    /// Page width and height in millimetres (default A4, 210 × 297).
    pub page_mm: [f32; 2],
    /// Page margin in millimetres (default 10).
    pub margin_mm: f32,
    /// Space between labels in millimetres (default 4).
    pub gap_mm: f32,
}

impl Default for SheetOptions {
    fn default() -> Self {
        SheetOptions {
            label: LabelOptions::default(),
            page_mm: [210.0, 297.0],
            margin_mm: 10.0,
            gap_mm: 4.0,
        }
    }
}

/// The QR module matrix: `size × size`, row-major, `true` = dark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    pub size: usize,
    pub dark: Vec<bool>,
    /// Symbol version 1-40.
    pub version: i16,
}

impl Matrix {
    /// Whether module `(x, y)` is dark.
    pub fn get(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.size + x]
    }
}

/// A label's content: the URI to encode and the human-readable lines under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Encoded exactly as given (so a brand's own resolver stem is kept).
    pub uri: String,
    /// `GTIN 09506000134352`, `LOT …`, `SERIAL …`, `EXP 2028-11-30`, …
    pub lines: Vec<String>,
}

fn date(v: &str) -> String {
    // YYMMDD → 20YY-MM-DD (DD 00 = end of month, printed as the month alone).
    match (v.get(0..2), v.get(2..4), v.get(4..6)) {
        (Some(y), Some(m), Some("00")) => format!("20{y}-{m}"),
        (Some(y), Some(m), Some(d)) => format!("20{y}-{m}-{d}"),
        _ => v.to_owned(),
    }
}

impl Label {
    /// Validates `uri` as a GS1 Digital Link and derives the human-readable lines.
    pub fn new(uri: &str) -> Result<Label, LabelError> {
        let dl = DigitalLink::parse(uri)?;
        let mut lines = Vec::new();
        if let Some(g) = dl.gtin() {
            lines.push(format!("GTIN {g}"));
        }
        if let Some(s) = dl.sscc() {
            lines.push(format!("SSCC {s}"));
        }
        if let Some(l) = dl.lot() {
            lines.push(format!("LOT {l}"));
        }
        if let Some(s) = dl.serial() {
            lines.push(format!("SERIAL {s}"));
        }
        if let Some(e) = dl.get("17") {
            lines.push(format!("EXP {}", date(e)));
        }
        if let Some(b) = dl.get("15") {
            lines.push(format!("BEST BEFORE {}", date(b)));
        }
        if lines.is_empty() {
            lines.push(dl.canonical_uri());
        }
        Ok(Label {
            uri: uri.to_owned(),
            lines,
        })
    }
}

/// Encodes `uri` (validated as a Digital Link) at `ec`.
pub fn qr_matrix(uri: &str, ec: Ec) -> Result<Matrix, LabelError> {
    DigitalLink::parse(uri)?;
    let code = QrCode::with_error_correction_level(uri.as_bytes(), ec.level())
        .map_err(|_| LabelError::TooLong { len: uri.len(), ec })?;
    let version = match code.version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
    };
    Ok(Matrix {
        size: code.width(),
        dark: code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect(),
        version,
    })
}

/// The symbol alone as 8-bit grayscale pixels: `(side, pixels)`, quiet zone included.
pub fn qr_pixels(uri: &str, opts: &LabelOptions) -> Result<(u32, Vec<u8>), LabelError> {
    let m = qr_matrix(uri, opts.ec)?;
    let px = opts.module_px.max(1) as usize;
    let q = opts.quiet as usize;
    let side = (m.size + 2 * q) * px;
    let mut img = vec![255u8; side * side];
    for y in 0..m.size {
        for x in 0..m.size {
            if m.get(x, y) {
                for dy in 0..px {
                    let row = ((y + q) * px + dy) * side + (x + q) * px;
                    img[row..row + px].fill(0);
                }
            }
        }
    }
    Ok((side as u32, img))
}

/// The symbol alone as a PNG file, quiet zone included.
pub fn qr_png(uri: &str, opts: &LabelOptions) -> Result<Vec<u8>, LabelError> {
    let (side, px) = qr_pixels(uri, opts)?;
    let mut out = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut out),
        &px,
        side,
        side,
        image::ExtendedColorType::L8,
    )
    .map_err(|e| LabelError::Layout(format!("PNG encoding failed: {e}")))?;
    Ok(out)
}

/// Text line height and font size in millimetres.
const LINE_MM: f32 = 3.4;
const FONT_MM: f32 = 2.6;
/// Labels are at least this wide, so the text lines fit.
const MIN_WIDTH_MM: f32 = 34.0;

/// A laid-out label: symbol and text positions in millimetres from the label's top-left.
struct Layout {
    matrix: Matrix,
    width: f32,
    height: f32,
    /// Left edge of the symbol's module area, top edge of it.
    qr_x: f32,
    qr_y: f32,
    module: f32,
    lines: Vec<String>,
    text_y: f32,
}

fn layout(label: &Label, opts: &LabelOptions) -> Result<Layout, LabelError> {
    let matrix = qr_matrix(&label.uri, opts.ec)?;
    let module = opts.module_mm;
    if module <= 0.0 || !module.is_finite() {
        return Err(LabelError::Layout("module size must be positive".into()));
    }
    let q = opts.quiet as f32 * module;
    let qr_side = matrix.size as f32 * module + 2.0 * q;
    let width = qr_side.max(MIN_WIDTH_MM);
    let lines = if opts.text {
        label.lines.clone()
    } else {
        Vec::new()
    };
    let text_h = if lines.is_empty() {
        0.0
    } else {
        lines.len() as f32 * LINE_MM + 1.0
    };
    Ok(Layout {
        width,
        height: qr_side + text_h,
        qr_x: (width - qr_side) / 2.0 + q,
        qr_y: q,
        module,
        text_y: qr_side,
        lines,
        matrix,
    })
}

fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            c if (c as u32) < 0x20 => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// SVG elements of one label at offset `(ox, oy)` mm.
fn svg_label(out: &mut String, l: &Layout, ox: f32, oy: f32) {
    let _ = writeln!(
        out,
        r##"<rect x="{ox:.3}" y="{oy:.3}" width="{:.3}" height="{:.3}" fill="#fff"/>"##,
        l.width, l.height
    );
    let mut d = String::new();
    let n = l.matrix.size;
    for y in 0..n {
        let mut x = 0;
        while x < n {
            if !l.matrix.get(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < n && l.matrix.get(x, y) {
                x += 1;
            }
            let _ = write!(
                d,
                "M{:.3} {:.3}h{:.3}v{:.3}h-{:.3}z",
                ox + l.qr_x + start as f32 * l.module,
                oy + l.qr_y + y as f32 * l.module,
                (x - start) as f32 * l.module,
                l.module,
                (x - start) as f32 * l.module
            );
        }
    }
    let _ = writeln!(
        out,
        r##"<path d="{d}" fill="#000" shape-rendering="crispEdges"/>"##
    );
    for (i, line) in l.lines.iter().enumerate() {
        let _ = writeln!(
            out,
            r##"<text x="{:.3}" y="{:.3}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="{FONT_MM}" text-anchor="middle" fill="#000">{}</text>"##,
            ox + l.width / 2.0,
            oy + l.text_y + (i as f32 + 1.0) * LINE_MM - 0.6,
            xml_escape(line)
        );
    }
}

fn svg_doc(w: f32, h: f32, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.3}mm\" height=\"{h:.3}mm\" viewBox=\"0 0 {w:.3} {h:.3}\">\n{body}</svg>\n"
    )
}

/// One label as a standalone SVG document (millimetre units).
pub fn label_svg(label: &Label, opts: &LabelOptions) -> Result<String, LabelError> {
    let l = layout(label, opts)?;
    let mut body = String::new();
    svg_label(&mut body, &l, 0.0, 0.0);
    Ok(svg_doc(l.width, l.height, &body))
}

/// Positions of the labels on pages: `(page, x, y)` in mm from the page's top-left.
fn place(layouts: &[Layout], opts: &SheetOptions) -> Result<Vec<(usize, f32, f32)>, LabelError> {
    if layouts.is_empty() {
        return Err(LabelError::Layout(
            "a sheet needs at least one label".into(),
        ));
    }
    let [pw, ph] = opts.page_mm;
    let (m, gap) = (opts.margin_mm, opts.gap_mm);
    let cell_w = layouts.iter().map(|l| l.width).fold(0.0, f32::max);
    let cell_h = layouts.iter().map(|l| l.height).fold(0.0, f32::max);
    let cols = ((pw - 2.0 * m + gap) / (cell_w + gap)).floor();
    let rows = ((ph - 2.0 * m + gap) / (cell_h + gap)).floor();
    if cols < 1.0 || rows < 1.0 {
        return Err(LabelError::Layout(format!(
            "a {cell_w:.1}×{cell_h:.1} mm label does not fit a {pw}×{ph} mm page with {m} mm margins"
        )));
    }
    let (cols, rows) = (cols as usize, rows as usize);
    Ok((0..layouts.len())
        .map(|i| {
            let page = i / (cols * rows);
            let k = i % (cols * rows);
            (
                page,
                m + (k % cols) as f32 * (cell_w + gap),
                m + (k / cols) as f32 * (cell_h + gap),
            )
        })
        .collect())
}

/// Many labels on one SVG page per sheet page; pages are stacked vertically in one document
/// (each page's area is outlined in light grey for cutting and checking).
pub fn sheet_svg(labels: &[Label], opts: &SheetOptions) -> Result<String, LabelError> {
    let layouts: Vec<Layout> = labels
        .iter()
        .map(|l| layout(l, &opts.label))
        .collect::<Result<_, _>>()?;
    let spots = place(&layouts, opts)?;
    let pages = spots.iter().map(|s| s.0).max().unwrap_or(0) + 1;
    let [pw, ph] = opts.page_mm;
    let mut body = String::new();
    for p in 0..pages {
        let _ = writeln!(
            body,
            r##"<rect x="0" y="{:.3}" width="{pw}" height="{ph}" fill="#fff" stroke="#ccc" stroke-width="0.2"/>"##,
            p as f32 * ph
        );
    }
    for (l, &(page, x, y)) in layouts.iter().zip(&spots) {
        svg_label(&mut body, l, x, y + page as f32 * ph);
    }
    Ok(svg_doc(pw, ph * pages as f32, &body))
}

/// Many labels as a PDF, as many pages as needed (vector symbols, Helvetica text).
pub fn sheet_pdf(labels: &[Label], opts: &SheetOptions) -> Result<Vec<u8>, LabelError> {
    const PT: f32 = 72.0 / 25.4;
    let layouts: Vec<Layout> = labels
        .iter()
        .map(|l| layout(l, &opts.label))
        .collect::<Result<_, _>>()?;
    let spots = place(&layouts, opts)?;
    let pages = spots.iter().map(|s| s.0).max().unwrap_or(0) + 1;
    let [pw, ph] = opts.page_mm;

    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let font = Ref::new(3);
    let page_ids: Vec<Ref> = (0..pages).map(|p| Ref::new(4 + 2 * p as i32)).collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(pages as i32);
    pdf.type1_font(font)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    for (p, &page_id) in page_ids.iter().enumerate() {
        let content_id = Ref::new(page_id.get() + 1);
        let mut c = Content::new();
        // PDF's origin is bottom-left; layout is top-left in mm.
        let y_of = |top_mm: f32| (ph - top_mm) * PT;
        for (l, &(page, x, y)) in layouts.iter().zip(&spots) {
            if page != p {
                continue;
            }
            c.set_fill_gray(0.0);
            let n = l.matrix.size;
            for row in 0..n {
                let mut col = 0;
                while col < n {
                    if !l.matrix.get(col, row) {
                        col += 1;
                        continue;
                    }
                    let start = col;
                    while col < n && l.matrix.get(col, row) {
                        col += 1;
                    }
                    let left = x + l.qr_x + start as f32 * l.module;
                    let bottom = y + l.qr_y + (row + 1) as f32 * l.module;
                    c.rect(
                        left * PT,
                        y_of(bottom),
                        (col - start) as f32 * l.module * PT,
                        l.module * PT,
                    );
                }
            }
            c.fill_nonzero();
            for (i, line) in l.lines.iter().enumerate() {
                let size = FONT_MM * PT;
                // Helvetica's average glyph is about 0.55 em wide: centre approximately.
                let text_w = line.chars().count() as f32 * size * 0.55;
                let bytes: Vec<u8> = line
                    .chars()
                    .map(|ch| if ch.is_ascii() { ch as u8 } else { b'?' })
                    .collect();
                c.begin_text();
                c.set_font(Name(b"F1"), size);
                c.next_line(
                    (x + l.width / 2.0) * PT - text_w / 2.0,
                    y_of(y + l.text_y + (i as f32 + 1.0) * LINE_MM - 0.6),
                );
                c.show(Str(&bytes));
                c.end_text();
            }
        }
        let mut page = pdf.page(page_id);
        page.parent(tree)
            .media_box(Rect::new(0.0, 0.0, pw * PT, ph * PT))
            .contents(content_id);
        page.resources().fonts().pair(Name(b"F1"), font);
        drop(page);
        pdf.stream(content_id, &c.finish());
    }
    Ok(pdf.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DL: &str = "https://id.gs1.org/01/09506000134352/10/LOT-2026-11/21/SER1001?17=281130";

    #[test]
    fn human_readable_lines() {
        let l = Label::new(DL).unwrap();
        assert_eq!(
            l.lines,
            [
                "GTIN 09506000134352",
                "LOT LOT-2026-11",
                "SERIAL SER1001",
                "EXP 2028-11-30"
            ]
        );
    }

    #[test]
    fn refuses_bad_check_digits() {
        assert!(matches!(
            Label::new("https://id.gs1.org/01/09506000134353/21/X"),
            Err(LabelError::NotDigitalLink(_))
        ));
        assert!(qr_png("https://example.com/", &LabelOptions::default()).is_err());
    }

    #[test]
    fn q_is_the_default_and_keeps_the_version_of_m_for_this_uri() {
        let q = qr_matrix(DL, Ec::default()).unwrap();
        let m = qr_matrix(DL, Ec::M).unwrap();
        assert_eq!(Ec::default(), Ec::Q);
        // The qrcode crate segments the URI (digits in numeric mode): version 5 at Q, 4 at M.
        assert_eq!((q.version, m.version), (5, 4));
        assert_eq!(q.size, 37);
    }

    #[test]
    fn svg_and_pdf_are_well_formed_and_complete() {
        let labels: Vec<Label> = (0..30)
            .map(|i| Label::new(&format!("https://id.gs1.org/01/09506000134352/21/S{i}")).unwrap())
            .collect();
        let svg = sheet_svg(&labels, &SheetOptions::default()).unwrap();
        assert!(svg.starts_with("<?xml"));
        assert_eq!(svg.matches("<path ").count(), 30);
        assert_eq!(svg.matches(">SERIAL S29<").count(), 1);
        let pdf = sheet_pdf(&labels, &SheetOptions::default()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
        // Labels of 34 × 30.3 mm (two text lines): 5 columns × 8 rows = 40 per A4 page.
        assert_eq!(pages, 1);
        let many: Vec<Label> = (0..41).map(|_| labels[0].clone()).collect();
        let text = String::from_utf8_lossy(&sheet_pdf(&many, &SheetOptions::default()).unwrap())
            .into_owned();
        assert_eq!(
            text.matches("/Type /Page").count() - text.matches("/Type /Pages").count(),
            2
        );
        let one = label_svg(&labels[0], &LabelOptions::default()).unwrap();
        assert!(one.contains("GTIN 09506000134352"));
    }

    #[test]
    fn png_has_the_quiet_zone() {
        let opts = LabelOptions {
            module_px: 4,
            ..LabelOptions::default()
        };
        let (side, px) = qr_pixels(DL, &opts).unwrap();
        let m = qr_matrix(DL, Ec::Q).unwrap();
        assert_eq!(side as usize, (m.size + 8) * 4);
        // The first 16 rows and columns are white.
        for y in 0..16 {
            assert!(px[y * side as usize..(y + 1) * side as usize]
                .iter()
                .all(|&v| v == 255));
        }
        // The top-left finder's corner module is dark.
        assert_eq!(px[16 * side as usize + 16], 0);
    }
}
