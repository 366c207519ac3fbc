//! What kind of JPKI token answered, by its EF `0006` label, and what that means for the flow
//! (phones keep their certificate behind the PIN, or are authorised on the device).

/// What kind of JPKI token answered, by the label in EF `0006`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardKind {
    /// `JPKIAPICCTOKEN2`
    MyNumberCard,
    /// `JPKIAPGPSETOKEN`: a smartphone certificate on Android.
    Android,
    /// `JPKIAPIOSTOKEN`: a smartphone certificate on iPhone.
    Iphone,
    /// `JPKIAPICCTOKEN`: the old Basic Resident Register card, not a health-insurance card.
    Juki,
    /// The JPKI AP answered but with a label we do not know.
    UnknownJpki(String),
    /// No JPKI AP at all.
    NotJpki,
}

impl CardKind {
    pub fn from_label(label: &str) -> CardKind {
        match label {
            "JPKIAPICCTOKEN2" => CardKind::MyNumberCard,
            "JPKIAPGPSETOKEN" => CardKind::Android,
            "JPKIAPIOSTOKEN" => CardKind::Iphone,
            "JPKIAPICCTOKEN" => CardKind::Juki,
            other => CardKind::UnknownJpki(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            CardKind::MyNumberCard => "my_number_card",
            CardKind::Android => "android",
            CardKind::Iphone => "iphone",
            CardKind::Juki => "juki",
            CardKind::UnknownJpki(_) => "unknown_jpki",
            CardKind::NotJpki => "not_jpki",
        }
    }

    /// Smartphone certificates get no expiry grace.
    pub fn is_smartphone(&self) -> bool {
        matches!(self, CardKind::Android | CardKind::Iphone)
    }

    /// Whether this token can serve as a My Number health-insurance card at all. An unknown
    /// label that answers the JPKI AP is a newer token (a new card generation, Google Wallet's
    /// card), not "not a My Number card": the daemon treats it as JPKI with a notice.
    pub fn is_health_insurance_capable(&self) -> bool {
        matches!(self, CardKind::MyNumberCard | CardKind::Android | CardKind::Iphone | CardKind::UnknownJpki(_))
    }

    /// An Android phone keeps EF `000A` behind the phone's own PIN (public clients VERIFY
    /// EF `0018` first for `JPKIAPGPSETOKEN`): the certificate is read after VERIFY.
    pub fn certificate_needs_pin(&self) -> bool {
        matches!(self, CardKind::Android)
    }

    /// An iPhone is authorised in Apple Wallet (Face ID / Touch ID) before it is held to the
    /// reader; readers ask no PIN for it. Assumed, not captured: the kiosk sends it no VERIFY
    /// and signs directly (see hardware.md).
    pub fn authorised_on_device(&self) -> bool {
        matches!(self, CardKind::Iphone)
    }
}
