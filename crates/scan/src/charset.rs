//! Bytes to text for decoders that return raw bytes (rqrr).
//!
//! A QR byte segment carries no charset unless an ECI says so, and rqrr skips ECIs, so the text is
//! guessed the way ZXing does: valid UTF-8 is UTF-8 (every Digital Link is ASCII, so also UTF-8);
//! else valid Shift_JIS (what Kanji-mode segments produce and Japanese encoders write) is
//! Shift_JIS; else ISO-8859-1, the QR default, which accepts any byte. zxing-cpp does its own
//! charset handling including ECIs, and in the default build rqrr's grids are re-read by it.

/// The charset a payload's text was decoded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Charset {
    /// UTF-8 (includes plain ASCII).
    Utf8,
    /// Shift_JIS.
    ShiftJis,
    /// ISO-8859-1.
    Latin1,
    /// Decided by zxing-cpp (ECI or its own guess); the text is its output.
    Decoder,
}

/// Decodes `bytes` with the guessed charset.
pub fn guess_text(bytes: &[u8]) -> (String, Charset) {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (s.to_owned(), Charset::Utf8);
    }
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    if !had_errors {
        return (text.into_owned(), Charset::ShiftJis);
    }
    (
        bytes.iter().map(|&b| char::from(b)).collect(),
        Charset::Latin1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses() {
        assert_eq!(
            guess_text(b"https://id.gs1.org/01/09506000134352"),
            ("https://id.gs1.org/01/09506000134352".into(), Charset::Utf8)
        );
        // "日本" in Shift_JIS.
        assert_eq!(
            guess_text(&[0x93, 0xfa, 0x96, 0x7b]),
            ("日本".into(), Charset::ShiftJis)
        );
        // "café" in ISO-8859-1: a trailing 0xE9 is a Shift_JIS lead byte without its pair.
        let (t, c) = guess_text(&[b'c', b'a', b'f', 0xe9]);
        assert_eq!(c, Charset::Latin1);
        assert_eq!(t, "caf\u{e9}");
    }
}
