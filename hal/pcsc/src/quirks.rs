//! Reader-model differences, in one place, keyed by the name pcscd reports.

/// Readers that must only get short APDUs. Others are offered extended-length READ BINARY
/// first; the JPKI client falls back to short reads, once per connection, if it is refused.
const SHORT_APDUS_ONLY: &[&str] = &[
    // ACS documents short APDUs only for the ACR122U (PN532-based).
    "ACR122",
];

/// Name parts that mark a contactless (PICC) reader when no reader is configured.
pub const CONTACTLESS_HINTS: &[&str] =
    &["contactless", "picc", "nfc", "rc-s300", "rc-s380", "pasori", "acr1252", "acr1552", "acr122"];

pub fn extended_length(reader: &str) -> bool {
    !SHORT_APDUS_ONLY.iter().any(|q| reader.to_ascii_lowercase().contains(&q.to_ascii_lowercase()))
}

pub fn looks_contactless(reader: &str) -> bool {
    let name = reader.to_ascii_lowercase();
    CONTACTLESS_HINTS.iter().any(|h| name.contains(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_only_readers_are_matched_by_name() {
        assert!(!extended_length("ACS ACR122U PICC Interface 00 00"));
        assert!(extended_length("Sony FeliCa RC-S300/P 00 00"));
    }

    #[test]
    fn contactless_hints() {
        assert!(looks_contactless("ACS ACR1252 Dual Reader [ACR1252 Dual Reader PICC] 00 00"));
        assert!(!looks_contactless("Gemalto PC Twin Reader 00 00"));
    }
}
