//! What a clinic decides about sessions: methods, consent items, timeouts.

use std::time::Duration;

use myna_api::proto::{ConsentItem, Method};

#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    /// Authentication methods the clinic offers (a face method needs a face-check module).
    pub methods: Vec<Method>,
    /// Consent items asked, in this order.
    pub consent_items: Vec<ConsentItem>,
    /// Offer "consent to all" (まとめて同意).
    pub consent_all_shortcut: bool,
    /// When the staff check (`visual`, if in `methods`) is offered.
    pub staff_check: StaffCheck,
    /// Face mismatches allowed before offering PIN or staff instead.
    pub face_attempts: u8,
    /// Wrong 照合番号B the card is sent in one session before the face path ends (each spends
    /// one of the card-face AP's 10 tries, for good).
    pub collation_b_misreads: u8,
    /// The photo is not read once the card-face AP has this many 照合番号B tries or fewer left.
    pub collation_b_reserve: u8,
    pub timeouts: Timeouts,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            methods: vec![Method::Pin, Method::Face, Method::Visual],
            consent_items: vec![ConsentItem::Medication, ConsentItem::LimitAmount],
            consent_all_shortcut: true,
            staff_check: StaffCheck::Fallback,
            face_attempts: 3,
            collation_b_misreads: 2,
            collation_b_reserve: 5,
            timeouts: Timeouts::default(),
        }
    }
}

/// When the staff visual check is offered. The rules keep it for patients who can use neither
/// PIN nor face, so by default it is not on the first screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffCheck {
    /// Beside the other methods from the start.
    Always,
    /// Only once the PIN is locked or absent, the face check failed, or nothing else is left.
    #[default]
    Fallback,
}

/// How long each waiting state lasts before the session moves on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// A card operation in progress (reading, verifying, the photo).
    pub card_operation: Duration,
    pub choose_method: Duration,
    pub pin_entry: Duration,
    pub face_check: Duration,
    pub staff_check: Duration,
    /// Per consent question; a timeout answers "not consented".
    pub consent: Duration,
    /// After the result: the card left on the reader is ignored after this.
    pub take_card: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            card_operation: Duration::from_secs(20),
            choose_method: Duration::from_secs(60),
            pin_entry: Duration::from_secs(60),
            face_check: Duration::from_secs(90),
            staff_check: Duration::from_secs(300),
            consent: Duration::from_secs(60),
            take_card: Duration::from_secs(30),
        }
    }
}
