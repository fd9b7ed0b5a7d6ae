//! Typesetting the report: A4 pages of wrapped lines in one embedded, subsetted font.
//!
//! The font is written as PDF's composite font for Unicode text (a Type0 font with Identity-H
//! encoding over a CID font whose CIDs are the subset's glyph ids), with a ToUnicode map, so that
//! the text can be searched, copied and extracted (`pdftotext`) in both languages.

use super::text::{fixed_chars, lines, Line};
use crate::manifest::Manifest;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use std::collections::BTreeMap;
use subsetter::GlyphRemapper;
use thiserror::Error;
use ttf_parser::{Face, GlyphId};

const PAGE: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 50.0;

/// A typeface for the report: TrueType or OpenType (a collection's face by index), covering
/// Latin and Chinese.
pub struct Font {
    data: Vec<u8>,
    index: u32,
}

/// Why bytes cannot set the report.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FontError {
    #[error("not a TrueType or OpenType font: {0}")]
    Parse(String),
    #[error("the font has no glyph for {0:?}: the report needs one that covers Chinese")]
    Missing(char),
}

impl Font {
    /// Face `index` of the font file `data` (0 unless it is a collection, `.ttc`), if it covers
    /// every character of the report's fixed words.
    pub fn new(data: Vec<u8>, index: u32) -> Result<Font, FontError> {
        let face = Face::parse(&data, index).map_err(|e| FontError::Parse(e.to_string()))?;
        if let Some(c) = fixed_chars()
            .chars()
            .find(|&c| !c.is_whitespace() && face.glyph_index(c).is_none())
        {
            return Err(FontError::Missing(c));
        }
        Ok(Font { data, index })
    }

    fn face(&self) -> Face<'_> {
        Face::parse(&self.data, self.index).expect("checked by Font::new")
    }
}

/// `report.pdf` for the package `m` describes.
pub fn pdf(m: &Manifest, font: &Font) -> Vec<u8> {
    let mut set = Setter::new(font.face());
    for line in lines(m) {
        set.line(&line);
    }
    set.finish(font)
}

/// Lays lines out on pages, recording the glyphs it uses.
struct Setter<'f> {
    face: Face<'f>,
    remap: GlyphRemapper,
    /// Subset glyph id → (the character it shows, advance in font units).
    used: BTreeMap<u16, (char, u16)>,
    pages: Vec<Content>,
    y: f32,
}

impl<'f> Setter<'f> {
    fn new(face: Face<'f>) -> Self {
        Setter {
            face,
            remap: GlyphRemapper::new(),
            used: BTreeMap::new(),
            pages: vec![Content::new()],
            y: PAGE.1 - MARGIN,
        }
    }

    fn line(&mut self, line: &Line) {
        let (text, size, indent) = match line {
            Line::Title(t) => (t.as_str(), 16.0, 0.0),
            Line::Heading(t) => (t.as_str(), 12.5, 0.0),
            Line::Text(t) => (t.as_str(), 9.5, 0.0),
            Line::Detail(t) => (t.as_str(), 8.0, 18.0),
            Line::Gap => return self.y -= 8.0,
            Line::Space => return self.y -= 3.0,
        };
        if matches!(line, Line::Heading(_)) {
            self.y -= 4.0;
        }
        for row in self.wrap(text, size, PAGE.0 - 2.0 * MARGIN - indent) {
            self.show(&row, size, MARGIN + indent);
        }
    }

    /// Width of `s` at `size` points.
    fn width(&self, s: &str, size: f32) -> f32 {
        let units: u32 = s.chars().map(|c| u32::from(self.advance(c))).sum();
        units as f32 * size / f32::from(self.face.units_per_em())
    }

    fn advance(&self, c: char) -> u16 {
        let g = self.face.glyph_index(c).unwrap_or(GlyphId(0));
        self.face.glyph_hor_advance(g).unwrap_or(0)
    }

    /// `text` in rows no wider than `max`: broken after spaces and between Chinese characters,
    /// and inside a word (a hash, a key) only when it alone is too wide.
    fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut rows = vec![String::new()];
        for word in words(text) {
            let row = rows.last_mut().expect("never empty");
            let joined = format!("{row}{word}");
            if self.width(joined.trim_end(), size) <= max || row.is_empty() {
                *row = joined;
            } else {
                rows.push(word.trim_start().to_owned());
            }
            while self.width(rows.last().expect("never empty").trim_end(), size) > max {
                let row = rows.pop().expect("never empty");
                let cut = self.fit(&row, size, max);
                rows.push(row[..cut].to_owned());
                rows.push(row[cut..].to_owned());
            }
        }
        rows
    }

    /// The longest prefix of `s` (at least one character) that fits `max`, as a byte index.
    fn fit(&self, s: &str, size: f32, max: f32) -> usize {
        let mut end = s.chars().next().map_or(0, char::len_utf8);
        for (i, c) in s.char_indices().skip(1) {
            if self.width(&s[..i + c.len_utf8()], size) > max {
                break;
            }
            end = i + c.len_utf8();
        }
        end
    }

    /// Writes one row at the current line, on a new page when this one is full.
    fn show(&mut self, row: &str, size: f32, x: f32) {
        self.y -= size * 1.35;
        if self.y < MARGIN {
            self.pages.push(Content::new());
            self.y = PAGE.1 - MARGIN - size * 1.35;
        }
        let mut bytes = Vec::with_capacity(row.len() * 2);
        for c in row.chars() {
            let g = self.face.glyph_index(c).unwrap_or(GlyphId(0));
            let new = self.remap.remap(g.0);
            let advance = self.advance(c);
            self.used.entry(new).or_insert((c, advance));
            bytes.extend(new.to_be_bytes());
        }
        let page = self.pages.last_mut().expect("never empty");
        page.begin_text();
        page.set_font(Name(b"F1"), size);
        page.next_line(x, self.y);
        page.show(Str(&bytes));
        page.end_text();
    }

    /// The document: pages, then the font subset and its metrics.
    fn finish(self, font: &Font) -> Vec<u8> {
        let mut pdf = Pdf::new();
        let (catalog, tree, type0, cid, descriptor, file, cmap) = (
            Ref::new(1),
            Ref::new(2),
            Ref::new(3),
            Ref::new(4),
            Ref::new(5),
            Ref::new(6),
            Ref::new(7),
        );
        let page_ids: Vec<Ref> = (0..self.pages.len())
            .map(|p| Ref::new(8 + 2 * p as i32))
            .collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(page_ids.len() as i32);
        for (content, &id) in self.pages.into_iter().zip(&page_ids) {
            let content_id = Ref::new(id.get() + 1);
            let mut page = pdf.page(id);
            page.parent(tree)
                .media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1))
                .contents(content_id);
            page.resources().fonts().pair(Name(b"F1"), type0);
            page.finish();
            pdf.stream(content_id, &content.finish());
        }
        let name = base_name(&self.face);
        let base = Name(name.as_bytes());
        pdf.type0_font(type0)
            .base_font(base)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);
        let info = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        let cff = self.face.tables().cff.is_some();
        let em = f32::from(self.face.units_per_em());
        let per_mille = |units: f32| units * 1000.0 / em;
        let mut c = pdf.cid_font(cid);
        c.subtype(if cff {
            CidFontType::Type0
        } else {
            CidFontType::Type2
        })
        .base_font(base)
        .system_info(info)
        .font_descriptor(descriptor)
        .default_width(0.0);
        if !cff {
            c.cid_to_gid_map_predefined(Name(b"Identity"));
        }
        let mut widths = c.widths();
        for (&gid, &(_, adv)) in &self.used {
            widths.consecutive(gid, [per_mille(f32::from(adv))]);
        }
        widths.finish();
        c.finish();
        let b = self.face.global_bounding_box();
        let mut d = pdf.font_descriptor(descriptor);
        d.name(base)
            .flags(FontFlags::SYMBOLIC)
            .bbox(Rect::new(
                per_mille(f32::from(b.x_min)),
                per_mille(f32::from(b.y_min)),
                per_mille(f32::from(b.x_max)),
                per_mille(f32::from(b.y_max)),
            ))
            .italic_angle(0.0)
            .ascent(per_mille(f32::from(self.face.ascender())))
            .descent(per_mille(f32::from(self.face.descender())))
            .cap_height(per_mille(f32::from(
                self.face.capital_height().unwrap_or(self.face.ascender()),
            )))
            .stem_v(80.0);
        if cff {
            d.font_file3(file);
        } else {
            d.font_file2(file);
        }
        d.finish();
        let subset = subsetter::subset(&font.data, font.index, &self.remap)
            .expect("a font that parsed subsets");
        let packed = miniz_oxide::deflate::compress_to_vec_zlib(&subset, 6);
        let mut stream = pdf.stream(file, &packed);
        stream.filter(Filter::FlateDecode);
        if cff {
            stream.pair(Name(b"Subtype"), Name(b"OpenType"));
        }
        stream.finish();
        let mut map = UnicodeCmap::new(Name(b"Tally-UCS"), info);
        for (&gid, &(ch, _)) in &self.used {
            map.pair(gid, ch);
        }
        pdf.cmap(cmap, &map.finish());
        pdf.finish()
    }
}

/// The words of `text`, each with the spaces after it; every Chinese character is a word of its
/// own (Chinese breaks between any two characters).
fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        let next = chars.peek().map(|&(j, n)| (j, n));
        let wide = |c: char| c > '\u{2E7F}';
        let ends = match next {
            None => true,
            Some((_, n)) => (c == ' ' && n != ' ') || wide(c) || wide(n),
        };
        if ends {
            let end = next.map_or(text.len(), |(j, _)| j);
            out.push(&text[start..end]);
            start = end;
        }
    }
    out
}

/// The subset's PostScript name: a six-letter tag (the PDF rule for subsets) and the face's own.
fn base_name(face: &Face) -> String {
    let own = face
        .names()
        .into_iter()
        .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
        .find_map(|n| {
            n.to_string()
                .or_else(|| String::from_utf8(n.name.to_vec()).ok())
        })
        .unwrap_or_else(|| "Font".into());
    let clean: String = own.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("TALLYR+{clean}")
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn words_break_after_spaces_and_around_chinese() {
        assert_eq!(words("a bc  d"), ["a ", "bc  ", "d"]);
        assert_eq!(words("x 已验证 y"), ["x ", "已", "验", "证", " ", "y"]);
        assert_eq!(words(""), Vec::<&str>::new());
    }
}
