//! Stable codes for what went wrong with a card, for reception software to branch on.
//!
//! The card crate returns data: errors name a [`Code`], and the daemon's catalogue gives every
//! code its Japanese and English text. Codes never change once released.

use std::fmt;

/// Declares [`Code`] with its wire strings, and [`Code::ALL`] from the same list so the
/// daemon's completeness test cannot miss a new code.
macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $wire:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$doc])* $name,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$name),*];

            /// The code as reception software sees it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$name => $wire,)*
                }
            }
        }
    };
}

codes! {
    /// The card left the reader during an exchange.
    CardRemoved = "CARD_REMOVED",
    NoCard = "NO_CARD",
    /// No reader, or no PC/SC service.
    ReaderUnavailable = "READER_UNAVAILABLE",
    CardTimeout = "CARD_TIMEOUT",
    /// The card answered, but not in a way the kiosk can use.
    CardUnreadable = "CARD_UNREADABLE",
    /// No JPKI application on the card.
    NotMyNumberCard = "NOT_MY_NUMBER_CARD",
    PinLocked = "PIN_LOCKED",
    /// Wrong PIN, and the next wrong one locks it.
    PinLastTry = "PIN_LAST_TRY",
    PinWrong = "PIN_WRONG",
    /// A face-only card: it has no usable PIN.
    PinNotSet = "PIN_NOT_SET",
    /// Collation number B was wrong or is locked: no photo from the card face.
    FaceReferenceFailed = "FACE_REFERENCE_FAILED",
    CertUnreadable = "CERT_UNREADABLE",
    /// The certificate does not chain to a configured trust anchor.
    CertUntrusted = "CERT_UNTRUSTED",
    PinFormat = "PIN_FORMAT",
    CollationBFormat = "COLLATION_B_FORMAT",
    /// The card-face AP has so few 照合番号B tries left that the kiosk will not spend one: its
    /// counter (10 tries) survives across sessions and clinics.
    CollationBTriesLow = "COLLATION_B_TRIES_LOW",
    /// The card-face record holds no photo (DF27 absent or empty).
    FacePhotoMissing = "FACE_PHOTO_MISSING",
    /// No user-authentication certificate on the card (never issued, or revoked and erased).
    CertNotIssued = "CERT_NOT_ISSUED",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares with the wire string, as reception software would.
impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_strings_are_distinct_upper_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'), "{s}");
            assert_eq!(*code, s);
        }
    }
}
