//! `AddCheckpoint::parse`: the accepted form, and a precise error for every malformed body.

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use proptest::prelude::*;
use tally_tlog::{note, Checkpoint, KeyType, NoteError, SignerKey, EMPTY_ROOT};
use tally_witness::{AddCheckpoint, RequestError, MAX_BODY_SIZE, MAX_PROOF_LINES};

fn signed_checkpoint() -> Vec<u8> {
    let key = SignerKey::from_seed("example.com/log", KeyType::Ed25519, &[1; 32]).unwrap();
    let text = Checkpoint::new("example.com/log", 0, EMPTY_ROOT, "")
        .unwrap()
        .to_bytes();
    note::sign(&text, &[key], 0).unwrap()
}

/// `head` (the `old` line and proof lines, each with its newline), the blank line, the note.
fn with_note(head: &str) -> Vec<u8> {
    let mut b = format!("{head}\n").into_bytes();
    b.extend_from_slice(&signed_checkpoint());
    b
}

fn hash_line(byte: u8) -> String {
    format!("{}\n", B64.encode([byte; 32]))
}

fn err(body: &[u8]) -> RequestError {
    AddCheckpoint::parse(body).unwrap_err()
}

#[test]
fn a_well_formed_body_parses_into_its_parts() {
    let head = format!("old 12\n{}{}", hash_line(1), hash_line(2));
    let req = AddCheckpoint::parse(&with_note(&head)).unwrap();
    assert_eq!(req.old(), 12);
    assert_eq!(req.proof().len(), 2);
    assert_eq!(req.proof()[1].0, [2; 32]);
    assert_eq!(req.origin(), "example.com/log");
    assert_eq!(req.note(), signed_checkpoint());
}

#[test]
fn old_zero_and_the_largest_u64_parse() {
    assert_eq!(
        AddCheckpoint::parse(&with_note("old 0\n")).unwrap().old(),
        0
    );
    let max = format!("old {}\n", u64::MAX);
    assert_eq!(
        AddCheckpoint::parse(&with_note(&max)).unwrap().old(),
        u64::MAX
    );
}

#[test]
fn sixty_three_proof_lines_parse_and_sixty_four_do_not() {
    let mut head = String::from("old 1\n");
    for i in 0..MAX_PROOF_LINES {
        head.push_str(&hash_line(i as u8));
    }
    let req = AddCheckpoint::parse(&with_note(&head)).unwrap();
    assert_eq!(req.proof().len(), 63);
    head.push_str(&hash_line(0));
    assert_eq!(err(&with_note(&head)), RequestError::TooManyProofLines);
}

#[test]
fn a_body_over_the_limit_is_rejected_before_parsing() {
    let body = vec![b'x'; MAX_BODY_SIZE + 1];
    assert_eq!(
        err(&body),
        RequestError::TooLarge {
            len: MAX_BODY_SIZE + 1,
            max: MAX_BODY_SIZE
        }
    );
}

#[test]
fn a_body_without_the_blank_line_is_truncated() {
    for body in [
        &b""[..],
        b"old 0",
        b"old 0\n",
        b"old 1\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n",
        b"old 1\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
    ] {
        assert_eq!(err(body), RequestError::Truncated, "{body:?}");
    }
}

#[test]
fn a_first_line_other_than_old_is_rejected() {
    for head in ["", "Old 1\n", "old1\n", "new 1\n", " old 1\n", "old\t1\n"] {
        let body = with_note(head);
        // An empty head makes the blank line the first line.
        assert_eq!(err(&body), RequestError::BadOldLine, "{head:?}");
    }
}

#[test]
fn an_old_size_that_is_not_canonical_decimal_is_rejected() {
    for head in [
        "old \n",
        "old 01\n",
        "old 00\n",
        "old -1\n",
        "old +1\n",
        "old 1 \n",
        "old  1\n",
        "old 1\r\n",
        "old 0x10\n",
        "old 1e3\n",
        "old ١\n",
        "old 18446744073709551616\n",
        "old 99999999999999999999999\n",
    ] {
        assert_eq!(err(&with_note(head)), RequestError::BadOldSize, "{head:?}");
    }
}

#[test]
fn a_proof_line_that_is_not_a_base64_hash_is_named_by_number() {
    let good = hash_line(7);
    let cases = [
        "not base64!\n".to_string(),
        format!("{}\n", B64.encode([1u8; 31])),
        format!("{}\n", B64.encode([1u8; 33])),
        // Unpadded.
        format!("{}\n", B64.encode([1u8; 32]).trim_end_matches('=')),
        // Non-zero trailing bits: decodes leniently elsewhere, not canonical base64.
        "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQF=\n".to_string(),
        format!("{}\r\n", B64.encode([1u8; 32])),
        " \n".to_string(),
    ];
    for bad in cases {
        let head = format!("old 3\n{good}{bad}");
        assert_eq!(
            err(&with_note(&head)),
            RequestError::BadProofLine { line: 2 },
            "{bad:?}"
        );
    }
}

#[test]
fn a_note_that_is_not_a_signed_note_is_rejected() {
    let malformed = |rest: &[u8]| {
        let mut b = b"old 0\n\n".to_vec();
        b.extend_from_slice(rest);
        assert!(
            matches!(
                err(&b),
                RequestError::MalformedNote(NoteError::Malformed(_))
            ),
            "{:?}",
            String::from_utf8_lossy(rest)
        );
    };
    malformed(b"");
    malformed(b"example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
    malformed(b"example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n");
    malformed(
        b"example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\nnot a signature\n",
    );
    let mut with_control = signed_checkpoint();
    with_control.insert(3, 0x07);
    malformed(&with_control);
    let mut not_utf8 = signed_checkpoint();
    not_utf8.insert(3, 0xff);
    malformed(&not_utf8);
}

#[test]
fn a_signed_note_that_is_not_a_checkpoint_is_rejected() {
    let key = SignerKey::from_seed("example.com/log", KeyType::Ed25519, &[1; 32]).unwrap();
    let mut checked = 0;
    for text in [
        &b"hello\n"[..],
        b"example.com/log\n01\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        b"example.com/log\n1\nnot a hash\n",
        b"\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
    ] {
        let Ok(note) = note::sign(text, std::slice::from_ref(&key), 0) else {
            continue; // signed_note refuses to sign some of these texts at all
        };
        let mut body = b"old 0\n\n".to_vec();
        body.extend_from_slice(&note);
        assert_eq!(
            err(&body),
            RequestError::MalformedCheckpoint,
            "{:?}",
            String::from_utf8_lossy(text)
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} texts could be signed");
}

#[test]
fn errors_read_well() {
    assert_eq!(
        RequestError::BadProofLine { line: 2 }.to_string(),
        "consistency-proof line 2 is not a base64-encoded 32-byte hash"
    );
    assert_eq!(
        RequestError::TooManyProofLines.to_string(),
        "more than 63 consistency-proof lines"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = AddCheckpoint::parse(&body);
    }

    /// Arbitrary head lines in front of a valid note, and a valid body cut or corrupted at any
    /// point: never a panic, and whatever parses keeps the note byte for byte.
    #[test]
    fn mutated_bodies_never_panic(head in "(old [0-9]{0,21}\n)?([A-Za-z0-9+/=]{0,46}\n){0,3}\n?",
                                  cut in any::<prop::sample::Index>(),
                                  flip in any::<prop::sample::Index>(), bit in 0u8..8) {
        let body = with_note(&head);
        if let Ok(req) = AddCheckpoint::parse(&body) {
            prop_assert!(body.ends_with(req.note()));
        }
        let _ = AddCheckpoint::parse(&body[..cut.index(body.len() + 1)]);
        let mut flipped = body.clone();
        let i = flip.index(flipped.len());
        flipped[i] ^= 1 << bit;
        let _ = AddCheckpoint::parse(&flipped);
    }
}
