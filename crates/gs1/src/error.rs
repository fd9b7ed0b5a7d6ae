//! One error type for every parser in the crate.
//!
//! Messages name the AI, the position and what was expected, because the
//! people reading them are usually looking at a label that will not scan.

/// Defines [`LintError`] together with its GS1 Syntax Engine code, so that the
/// mapping to the reference implementation's `GS1_LINTER_*` codes is a single
/// table that cannot drift.
macro_rules! lint_errors {
    ($($variant:ident => $code:literal, $msg:literal;)*) => {
        /// A content ("linter") failure inside one AI value, named after the
        /// GS1 Barcode Syntax Tests.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum LintError {
            $(#[doc = $msg] $variant,)*
        }

        impl LintError {
            /// The reference code used by the GS1 Syntax Engine, e.g.
            /// `GS1_LINTER_INCORRECT_CHECK_DIGIT`.
            pub fn code(self) -> &'static str {
                match self { $(Self::$variant => concat!("GS1_LINTER_", $code),)* }
            }

            /// A human-readable description of the failure.
            pub fn message(self) -> &'static str {
                match self { $(Self::$variant => $msg,)* }
            }
        }
    };
}

lint_errors! {
    NonDigitCharacter => "NON_DIGIT_CHARACTER", "a non-digit character where only digits are allowed";
    InvalidCset82Character => "INVALID_CSET82_CHARACTER", "a character outside GS1 character set 82";
    InvalidCset39Character => "INVALID_CSET39_CHARACTER", "a character outside GS1 character set 39 (A-Z, 0-9, #, -, /)";
    InvalidCset64Character => "INVALID_CSET64_CHARACTER", "a character outside GS1 character set 64 (base64url)";
    InvalidCset64Padding => "INVALID_CSET64_PADDING", "invalid base64url '=' padding";
    InvalidCset32Character => "INVALID_CSET32_CHARACTER", "a check character outside GS1 character set 32";
    IncorrectCheckDigit => "INCORRECT_CHECK_DIGIT", "the GS1 check digit is incorrect";
    IncorrectCheckPair => "INCORRECT_CHECK_PAIR", "the alphanumeric check character pair is incorrect";
    TooShortForCheckPair => "TOO_SHORT_FOR_CHECK_PAIR", "too short to contain a check character pair";
    TooLongForCheckPairImplementation => "TOO_LONG_FOR_CHECK_PAIR_IMPLEMENTATION", "too long for the check character pair algorithm";
    TooShortForGcp => "TOO_SHORT_FOR_GCP", "too short to start with a GS1 Company Prefix";
    InvalidGcpPrefix => "INVALID_GCP_PREFIX", "does not start with a numeric GS1 Company Prefix";
    InvalidImportIdxCharacter => "INVALID_IMPORT_IDX_CHARACTER", "not a valid importer index character";
    ImporterIdxMustBeOneCharacter => "IMPORTER_IDX_MUST_BE_ONE_CHARACTER", "the importer index must be exactly one character";
    IllegalZeroValue => "ILLEGAL_ZERO_VALUE", "a value of zero is not allowed";
    NotZero => "NOT_ZERO", "the digit must be 0";
    IllegalZeroPrefix => "ILLEGAL_ZERO_PREFIX", "a leading zero is not allowed";
    NotZeroOrOne => "NOT_ZERO_OR_ONE", "the value must be 0 or 1";
    InvalidWindingDirection => "INVALID_WINDING_DIRECTION", "the winding direction must be 0, 1 or 9";
    NotIso3166 => "NOT_ISO3166", "not an ISO 3166 numeric country code";
    NotIso3166Or999 => "NOT_ISO3166_OR_999", "not an ISO 3166 numeric country code or 999";
    NotIso3166Alpha2 => "NOT_ISO3166_ALPHA2", "not an ISO 3166 alpha-2 country code";
    NotIso4217 => "NOT_ISO4217", "not an ISO 4217 numeric currency code";
    IbanTooShort => "IBAN_TOO_SHORT", "too short to be an IBAN";
    IbanTooLong => "IBAN_TOO_LONG", "too long to be an IBAN";
    InvalidIbanCharacter => "INVALID_IBAN_CHARACTER", "a character that is not allowed in an IBAN";
    IllegalIbanCountryCode => "ILLEGAL_IBAN_COUNTRY_CODE", "the IBAN does not start with an ISO 3166 alpha-2 country code";
    IncorrectIbanChecksum => "INCORRECT_IBAN_CHECKSUM", "the IBAN checksum is incorrect";
    IllegalMonth => "ILLEGAL_MONTH", "the month must be 01-12";
    IllegalDay => "ILLEGAL_DAY", "the day does not exist in that month";
    IllegalHour => "ILLEGAL_HOUR", "the hour must be 00-23";
    IllegalMinute => "ILLEGAL_MINUTE", "the minute must be 00-59";
    IllegalSecond => "ILLEGAL_SECOND", "the second must be 00-59";
    ZeroPieceNumber => "ZERO_PIECE_NUMBER", "the piece number must not be zero";
    ZeroTotalPieces => "ZERO_TOTAL_PIECES", "the total number of pieces must not be zero";
    PieceNumberExceedsTotal => "PIECE_NUMBER_EXCEEDS_TOTAL", "the piece number exceeds the total number of pieces";
    InvalidPercentSequence => "INVALID_PERCENT_SEQUENCE", "'%' must be followed by two hex digits";
    InvalidLatitude => "INVALID_LATITUDE", "the latitude is out of range";
    InvalidLongitude => "INVALID_LONGITUDE", "the longitude is out of range";
    NotHyphen => "NOT_HYPHEN", "the character must be '-'";
    InvalidBiologicalSexCode => "INVALID_BIOLOGICAL_SEX_CODE", "not an ISO 5218 sex code (0, 1, 2 or 9)";
    PositionInSequenceMalformed => "POSITION_IN_SEQUENCE_MALFORMED", "must have the form <position>/<total>";
    PositionExceedsEnd => "POSITION_EXCEEDS_END", "the position exceeds the total";
    RequiresNonDigitCharacter => "REQUIRES_NON_DIGIT_CHARACTER", "must contain at least one non-digit character";
    InvalidPackageType => "INVALID_PACKAGE_TYPE", "not a valid package type code";
    InvalidMediaType => "INVALID_MEDIA_TYPE", "not a valid AIDC media type";
    CouponMissingFormatCode => "COUPON_MISSING_FORMAT_CODE", "coupon: missing format code";
    CouponInvalidFormatCode => "COUPON_INVALID_FORMAT_CODE", "coupon: format code must be 0 or 1";
    CouponMissingFunderVli => "COUPON_MISSING_FUNDER_VLI", "coupon: missing funder ID length indicator";
    CouponInvalidFunderLength => "COUPON_INVALID_FUNDER_LENGTH", "coupon: funder ID length indicator must be 0-6";
    CouponTruncatedFunder => "COUPON_TRUNCATED_FUNDER", "coupon: funder ID is truncated";
    CouponTruncatedOfferCode => "COUPON_TRUNCATED_OFFER_CODE", "coupon: offer code is truncated";
    CouponMissingSerialNumberVli => "COUPON_MISSING_SERIAL_NUMBER_VLI", "coupon: missing serial number length indicator";
    CouponTruncatedSerialNumber => "COUPON_TRUNCATED_SERIAL_NUMBER", "coupon: serial number is truncated";
    CouponExcessData => "COUPON_EXCESS_DATA", "coupon: unexpected trailing data";
    CouponMissingGcpVli => "COUPON_MISSING_GCP_VLI", "coupon: missing GS1 Company Prefix length indicator";
    CouponInvalidGcpLength => "COUPON_INVALID_GCP_LENGTH", "coupon: GCP length indicator must be 0-6";
    CouponTruncatedGcp => "COUPON_TRUNCATED_GCP", "coupon: GS1 Company Prefix is truncated";
    CouponMissingSaveValueVli => "COUPON_MISSING_SAVE_VALUE_VLI", "coupon: missing save value length indicator";
    CouponInvalidSaveValueLength => "COUPON_INVALID_SAVE_VALUE_LENGTH", "coupon: save value length indicator must be 1-5";
    CouponTruncatedSaveValue => "COUPON_TRUNCATED_SAVE_VALUE", "coupon: save value is truncated";
    CouponMissing1stPurchaseRequirementVli => "COUPON_MISSING_1ST_PURCHASE_REQUIREMENT_VLI", "coupon: missing 1st purchase requirement length indicator";
    CouponInvalid1stPurchaseRequirementLength => "COUPON_INVALID_1ST_PURCHASE_REQUIREMENT_LENGTH", "coupon: 1st purchase requirement length indicator must be 1-5";
    CouponTruncated1stPurchaseRequirement => "COUPON_TRUNCATED_1ST_PURCHASE_REQUIREMENT", "coupon: 1st purchase requirement is truncated";
    CouponMissing1stPurchaseRequirementCode => "COUPON_MISSING_1ST_PURCHASE_REQUIREMENT_CODE", "coupon: missing 1st purchase requirement code";
    CouponInvalid1stPurchaseRequirementCode => "COUPON_INVALID_1ST_PURCHASE_REQUIREMENT_CODE", "coupon: 1st purchase requirement code must be 0-4 or 9";
    CouponTruncated1stPurchaseFamilyCode => "COUPON_TRUNCATED_1ST_PURCHASE_FAMILY_CODE", "coupon: 1st purchase family code is truncated";
    CouponMissingAdditionalPurchaseRulesCode => "COUPON_MISSING_ADDITIONAL_PURCHASE_RULES_CODE", "coupon: missing additional purchase rules code";
    CouponInvalidAdditionalPurchaseRulesCode => "COUPON_INVALID_ADDITIONAL_PURCHASE_RULES_CODE", "coupon: additional purchase rules code must be 0-3";
    CouponMissing2ndPurchaseRequirementVli => "COUPON_MISSING_2ND_PURCHASE_REQUIREMENT_VLI", "coupon: missing 2nd purchase requirement length indicator";
    CouponInvalid2ndPurchaseRequirementLength => "COUPON_INVALID_2ND_PURCHASE_REQUIREMENT_LENGTH", "coupon: 2nd purchase requirement length indicator must be 1-5";
    CouponTruncated2ndPurchaseRequirement => "COUPON_TRUNCATED_2ND_PURCHASE_REQUIREMENT", "coupon: 2nd purchase requirement is truncated";
    CouponMissing2ndPurchaseRequirementCode => "COUPON_MISSING_2ND_PURCHASE_REQUIREMENT_CODE", "coupon: missing 2nd purchase requirement code";
    CouponInvalid2ndPurchaseRequirementCode => "COUPON_INVALID_2ND_PURCHASE_REQUIREMENT_CODE", "coupon: 2nd purchase requirement code must be 0-4 or 9";
    CouponTruncated2ndPurchaseFamilyCode => "COUPON_TRUNCATED_2ND_PURCHASE_FAMILY_CODE", "coupon: 2nd purchase family code is truncated";
    CouponMissing2ndPurchaseGcpVli => "COUPON_MISSING_2ND_PURCHASE_GCP_VLI", "coupon: missing 2nd purchase GCP length indicator";
    CouponInvalid2ndPurchaseGcpLength => "COUPON_INVALID_2ND_PURCHASE_GCP_LENGTH", "coupon: 2nd purchase GCP length indicator must be 0-6 or 9";
    CouponTruncated2ndPurchaseGcp => "COUPON_TRUNCATED_2ND_PURCHASE_GCP", "coupon: 2nd purchase GCP is truncated";
    CouponMissing3rdPurchaseRequirementVli => "COUPON_MISSING_3RD_PURCHASE_REQUIREMENT_VLI", "coupon: missing 3rd purchase requirement length indicator";
    CouponInvalid3rdPurchaseRequirementLength => "COUPON_INVALID_3RD_PURCHASE_REQUIREMENT_LENGTH", "coupon: 3rd purchase requirement length indicator must be 1-5";
    CouponTruncated3rdPurchaseRequirement => "COUPON_TRUNCATED_3RD_PURCHASE_REQUIREMENT", "coupon: 3rd purchase requirement is truncated";
    CouponMissing3rdPurchaseRequirementCode => "COUPON_MISSING_3RD_PURCHASE_REQUIREMENT_CODE", "coupon: missing 3rd purchase requirement code";
    CouponInvalid3rdPurchaseRequirementCode => "COUPON_INVALID_3RD_PURCHASE_REQUIREMENT_CODE", "coupon: 3rd purchase requirement code must be 0-4 or 9";
    CouponTruncated3rdPurchaseFamilyCode => "COUPON_TRUNCATED_3RD_PURCHASE_FAMILY_CODE", "coupon: 3rd purchase family code is truncated";
    CouponMissing3rdPurchaseGcpVli => "COUPON_MISSING_3RD_PURCHASE_GCP_VLI", "coupon: missing 3rd purchase GCP length indicator";
    CouponInvalid3rdPurchaseGcpLength => "COUPON_INVALID_3RD_PURCHASE_GCP_LENGTH", "coupon: 3rd purchase GCP length indicator must be 0-6 or 9";
    CouponTruncated3rdPurchaseGcp => "COUPON_TRUNCATED_3RD_PURCHASE_GCP", "coupon: 3rd purchase GCP is truncated";
    CouponTooShortForExpirationDate => "COUPON_TOO_SHORT_FOR_EXPIRATION_DATE", "coupon: expiration date is truncated";
    CouponInvalidExpirationDate => "COUPON_INVALID_EXIPIRATION_DATE", "coupon: expiration date is not a valid YYMMDD date";
    CouponTooShortForStartDate => "COUPON_TOO_SHORT_FOR_START_DATE", "coupon: start date is truncated";
    CouponInvalidStartDate => "COUPON_INVALID_START_DATE", "coupon: start date is not a valid YYMMDD date";
    CouponExpirationBeforeStart => "COUPON_EXPIRATION_BEFORE_START", "coupon: expiration date is before the start date";
    CouponMissingRetailerGcpOrGlnVli => "COUPON_MISSING_RETAILER_GCP_OR_GLN_VLI", "coupon: missing retailer GCP/GLN length indicator";
    CouponInvalidRetailerGcpOrGlnLength => "COUPON_INVALID_RETAILER_GCP_OR_GLN_LENGTH", "coupon: retailer GCP/GLN length indicator must be 1-7";
    CouponTruncatedRetailerGcpOrGln => "COUPON_TRUNCATED_RETAILER_GCP_OR_GLN", "coupon: retailer GCP/GLN is truncated";
    CouponMissingSaveValueCode => "COUPON_MISSING_SAVE_VALUE_CODE", "coupon: missing save value code";
    CouponInvalidSaveValueCode => "COUPON_INVALID_SAVE_VALUE_CODE", "coupon: save value code must be 0, 1, 2, 5 or 6";
    CouponMissingSaveValueAppliesToItem => "COUPON_MISSING_SAVE_VALUE_APPLIES_TO_ITEM", "coupon: missing save-value-applies-to-item";
    CouponInvalidSaveValueAppliesToItem => "COUPON_INVALID_SAVE_VALUE_APPLIES_TO_ITEM", "coupon: save-value-applies-to-item must be 0-2";
    CouponMissingStoreCouponFlag => "COUPON_MISSING_STORE_COUPON_FLAG", "coupon: missing store coupon flag";
    CouponMissingDontMultiplyFlag => "COUPON_MISSING_DONT_MULTIPLY_FLAG", "coupon: missing don't-multiply flag";
    CouponInvalidDontMultiplyFlag => "COUPON_INVALID_DONT_MULTIPLY_FLAG", "coupon: don't-multiply flag must be 0 or 1";
}

impl std::fmt::Display for LintError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// Every way parsing or converting GS1 data can fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("input is {len} bytes long; at most {max} bytes are accepted")]
    InputTooLong { len: usize, max: usize },
    #[error("input is empty")]
    Empty,
    #[error("no known GS1 Application Identifier at position {pos} (found {found:?})")]
    UnknownAi { pos: usize, found: String },
    #[error("AI ({ai}) has an empty value")]
    EmptyValue { ai: String },
    #[error("AI ({ai}) value {value:?} is too short: {len} characters, at least {min} expected")]
    ValueTooShort {
        ai: String,
        value: String,
        len: usize,
        min: usize,
    },
    #[error("AI ({ai}) value {value:?} is too long: {len} characters, at most {max} allowed")]
    ValueTooLong {
        ai: String,
        value: String,
        len: usize,
        max: usize,
    },
    #[error("AI ({ai}) value {value:?}, position {pos}: {kind} ({code})", code = kind.code())]
    Lint {
        ai: String,
        value: String,
        pos: usize,
        kind: LintError,
    },
    #[error("AI ({ai}) appears more than once with different values")]
    ConflictingDuplicate { ai: String },
    #[error("AI ({ai}) appears more than once in the Digital Link URI")]
    DuplicateAi { ai: String },
    #[error("AI ({ai}) must be accompanied by {expected}")]
    MissingRequiredAi { ai: String, expected: String },
    #[error("AI ({ai}) must not be used together with AI ({other})")]
    MutuallyExclusiveAis { ai: String, other: String },
    #[error("bracketed element string is malformed at position {pos}: {reason}")]
    MalformedBracketed { pos: usize, reason: &'static str },
    #[error("character {ch:?} at position {pos} is not permitted in a URI")]
    IllegalUriCharacter { pos: usize, ch: char },
    #[error("the URI scheme must be http:// or https:// (all lower or all upper case)")]
    BadScheme,
    #[error("the URI has no host or no path")]
    MissingHostOrPath,
    #[error("character {ch:?} is not permitted in the URI host")]
    IllegalHostCharacter { ch: char },
    #[error("no GS1 primary key (such as /01/<GTIN> or /00/<SSCC>) found in the URI path")]
    NoPrimaryKey,
    #[error("no GS1 primary key in the URI path, and its last segment is not a valid compressed GS1 Digital Link: {reason}")]
    InvalidCompressedUri { reason: String },
    #[error("AI ({ai}) has an empty value in the URI path")]
    EmptyPathValue { ai: String },
    #[error("AI ({ai}) has an empty value in the URI query")]
    EmptyQueryValue { ai: String },
    #[error("the percent-decoded value of AI ({ai}) contains a NUL or non-ASCII byte")]
    IllegalDecodedByte { ai: String },
    #[error("query parameter {param:?} is numeric but is not a known AI")]
    UnknownAiInQuery { param: String },
    #[error("path AIs ({sequence}) are not a valid key/qualifier sequence for primary key ({key}); allowed qualifier orders: {expected}")]
    InvalidKeyQualifierSequence {
        key: String,
        sequence: String,
        expected: String,
    },
    #[error("AI ({ai}) is not permitted as a GS1 Digital Link query attribute")]
    NotDlAttribute { ai: String },
    #[error("AI ({ai}) is a key qualifier and must be in the URI path, not in the query")]
    QualifierInQuery { ai: String },
    #[error("cannot build a GS1 Digital Link URI: no AI in the data is a primary key")]
    NoPrimaryKeyInData,
    #[error("unrecognised scan payload: {reason}")]
    UnrecognisedPayload { reason: &'static str },
    #[error("{what} {value:?} is invalid: {reason}")]
    InvalidIdentifier {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
}
