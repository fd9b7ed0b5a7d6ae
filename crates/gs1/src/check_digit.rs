//! The GS1 mod-10 check digit shared by GTIN, GLN, SSCC, GRAI, GSRN, ...

/// Computes the GS1 check digit for `body` (the digits *without* the check
/// digit): weights 3,1,3,... from the rightmost body digit, check digit is
/// `(10 - sum mod 10) mod 10`. Returns `None` if `body` is empty or contains a
/// non-digit, so callers never have to pre-validate untrusted input.
pub fn gs1_check_digit(body: &str) -> Option<u8> {
    if body.is_empty() {
        return None;
    }
    let mut sum: u32 = 0;
    for (i, b) in body.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        let d = u32::from(b - b'0');
        sum += if i % 2 == 0 { d * 3 } else { d };
    }
    // `sum % 10` is below 10, so the result fits in a u8.
    Some(((10 - sum % 10) % 10) as u8)
}

/// `body` with its GS1 check digit appended (`None` if `body` is not all digits).
pub fn with_check_digit(body: &str) -> Option<String> {
    gs1_check_digit(body).map(|d| format!("{body}{d}"))
}

/// True if `full` is all digits, at least two long, and its last digit is the
/// GS1 check digit of the preceding ones.
pub fn is_valid_check_digit(full: &str) -> bool {
    match full.as_bytes().split_last() {
        Some((&last, body)) if !body.is_empty() && last.is_ascii_digit() => {
            // `body` is a prefix of a &str ending before an ASCII byte, so it is valid UTF-8.
            std::str::from_utf8(body)
                .ok()
                .and_then(gs1_check_digit)
                .is_some_and(|c| c == last - b'0')
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(gs1_check_digit("0950600013435"), Some(2));
        assert!(is_valid_check_digit("09506000134352"));
        assert!(!is_valid_check_digit("09506000134353"));
        assert!(is_valid_check_digit("006141411234567890"));
        assert_eq!(gs1_check_digit(""), None);
        assert_eq!(gs1_check_digit("12a"), None);
        assert!(!is_valid_check_digit("5"));
        assert_eq!(
            with_check_digit("0950600013435").as_deref(),
            Some("09506000134352")
        );
        assert_eq!(with_check_digit("95060x"), None);
    }
}
