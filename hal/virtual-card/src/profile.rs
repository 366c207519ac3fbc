//! The virtual card's profiles: one per kind of card a kiosk meets at the counter.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// A healthy マイナ保険証, certificate valid for years.
    Valid,
    /// Certificate expires within three months.
    ExpiringSoon,
    /// Certificate expired last month: in the grace period.
    Grace,
    /// Certificate expired beyond the grace period.
    Expired,
    /// One PIN try left.
    PinLastTry,
    /// PIN locked.
    PinLocked,
    /// 顔認証マイナンバーカード: no usable PIN.
    NoPin,
    /// Old 住基カード: JPKI AP with the old token label.
    Juki,
    /// Android smartphone certificate.
    Android,
    /// iPhone smartphone certificate.
    Iphone,
    /// A Type B card without the JPKI AP (e.g. a transit or bank card).
    NotJpki,
}

impl Profile {
    pub const ALL: [Profile; 11] = [
        Profile::Valid,
        Profile::ExpiringSoon,
        Profile::Grace,
        Profile::Expired,
        Profile::PinLastTry,
        Profile::PinLocked,
        Profile::NoPin,
        Profile::Juki,
        Profile::Android,
        Profile::Iphone,
        Profile::NotJpki,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Valid => "valid",
            Profile::ExpiringSoon => "expiring-soon",
            Profile::Grace => "grace",
            Profile::Expired => "expired",
            Profile::PinLastTry => "pin-last-try",
            Profile::PinLocked => "pin-locked",
            Profile::NoPin => "no-pin",
            Profile::Juki => "juki",
            Profile::Android => "android",
            Profile::Iphone => "iphone",
            Profile::NotJpki => "not-jpki",
        }
    }

    /// The EF `0006` label, or `None` for a card without the JPKI AP.
    pub fn token_label(self) -> Option<&'static str> {
        match self {
            Profile::NotJpki => None,
            Profile::Juki => Some("JPKIAPICCTOKEN"),
            Profile::Android => Some("JPKIAPGPSETOKEN"),
            Profile::Iphone => Some("JPKIAPIOSTOKEN"),
            _ => Some("JPKIAPICCTOKEN2"),
        }
    }

    /// PIN tries left when the card is handed out.
    pub fn initial_pin_tries(self) -> u8 {
        match self {
            Profile::PinLastTry => 1,
            Profile::PinLocked => 0,
            _ => 3,
        }
    }

    pub fn has_pin(self) -> bool {
        self != Profile::NoPin
    }

    /// Whether the physical card has the card-face AP (phones do not carry the photo).
    pub fn has_card_face(self) -> bool {
        !matches!(self, Profile::NotJpki | Profile::Juki | Profile::Android | Profile::Iphone)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown card profile {0:?}; known: valid, expiring-soon, grace, expired, pin-last-try, pin-locked, no-pin, juki, android, iphone, not-jpki")]
pub struct UnknownProfile(pub String);

impl FromStr for Profile {
    type Err = UnknownProfile;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| UnknownProfile(s.to_string()))
    }
}
