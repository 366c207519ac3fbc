//! How a test wants a virtual card to behave beyond its profile: secrets, latency, faults, and
//! the log of what it received.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::{DEFAULT_COLLATION_B, DEFAULT_PIN};

/// How a test wants the card to behave beyond its profile.
#[derive(Debug, Clone)]
pub struct CardOptions {
    pub pin: String,
    pub collation_b: String,
    /// "Now" for certificate dates: profiles place expiry relative to it.
    pub now: DateTime<Utc>,
    /// In process: the card is pulled away after this many APDUs (the next one fails).
    pub remove_after_apdus: Option<usize>,
    /// Whether card and reader take extended-length APDUs.
    pub extended_length: bool,
    /// Largest response the card returns to one extended READ BINARY.
    pub max_extended_response: usize,
    /// Replace EF `000A` content (tests: lying headers, garbage).
    pub auth_cert_override: Option<Vec<u8>>,
    /// Latency model: added to every APDU, and to SIGN on top (real cards: ~10 ms, ~400 ms).
    pub apdu_latency: Duration,
    pub sign_latency: Duration,
    /// A serial to tell certificates apart (different patients).
    pub serial: u64,
    /// A worn or broken card: misbehaves from some APDU on (fault-injection tests).
    pub fault: Option<Fault>,
    /// iPhone: whether the patient authorised in Wallet (Face ID / Touch ID) before holding
    /// the phone to the reader. Not authorised, SIGN answers `6982`.
    pub wallet_authorised: bool,
    /// Replace the profile's EF `0006` token label (a future token with a label we do not know).
    pub token_label: Option<String>,
    /// 照合番号B tries left on the card-face AP when the card is placed (10 when new).
    pub collation_b_tries: u8,
    /// A card issued with no photo: the card-face record holds an empty DF27.
    pub no_face_photo: bool,
    /// The card-face photo was replaced after the issuer signed the record (a forged face).
    pub tampered_photo: bool,
    /// The card-face files were copied onto another chip: its key is not the record's DF24.
    pub copied_chip: bool,
}

/// How a broken card misbehaves, from the APDU after `after_apdus` on (counted since the card
/// was placed, resets included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub after_apdus: usize,
    pub kind: FaultKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Stops answering. In process the transport reports [`TransportError::Timeout`] (what a
    /// reader driver says); on vpcd the card goes silent until it is taken away.
    Mute,
    /// Answers bytes that are no sensible response (wrong lengths, unknown status words).
    Garbage,
}

impl std::str::FromStr for FaultKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "mute" => Ok(FaultKind::Mute),
            "garbage" => Ok(FaultKind::Garbage),
            other => Err(format!("unknown fault {other:?} (mute, garbage)")),
        }
    }
}

impl Default for CardOptions {
    fn default() -> Self {
        CardOptions {
            pin: DEFAULT_PIN.into(),
            collation_b: DEFAULT_COLLATION_B.into(),
            now: Utc::now(),
            remove_after_apdus: None,
            extended_length: true,
            max_extended_response: 0xFFFF,
            auth_cert_override: None,
            apdu_latency: Duration::ZERO,
            sign_latency: Duration::ZERO,
            serial: 0x1000,
            fault: None,
            wallet_authorised: true,
            token_label: None,
            collation_b_tries: 10,
            no_face_photo: false,
            tampered_photo: false,
            copied_chip: false,
        }
    }
}

/// APDUs the card received, secrets masked, shared so tests can read it after handing the card
/// to a client.
#[derive(Debug, Clone, Default)]
pub struct ApduLog(Arc<Mutex<Vec<Vec<u8>>>>);

impl ApduLog {
    pub fn entries(&self) -> Vec<Vec<u8>> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.0.lock().map(|l| l.len()).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        if let Ok(mut l) = self.0.lock() {
            l.clear();
        }
    }

    /// DF names of every SELECT by name the card received.
    pub fn selected_aids(&self) -> Vec<Vec<u8>> {
        self.entries()
            .into_iter()
            .filter(|a| a.len() > 5 && a[1] == 0xA4 && a[2] == 0x04)
            .map(|a| a[5..5 + (a[4] as usize).min(a.len() - 5)].to_vec())
            .collect()
    }

    pub(crate) fn push(&self, apdu: &[u8]) {
        let mut entry = apdu.to_vec();
        // VERIFY data is a PIN or 照合番号B: the log keeps its length, never its value.
        if entry.len() > 5 && entry[1] == 0x20 {
            entry[5..].fill(b'*');
        }
        if let Ok(mut l) = self.0.lock() {
            l.push(entry);
        }
    }
}

/// A deterministic nonsense answer for the `n`th APDU: sometimes too short to hold a status
/// word, sometimes long, always ending in a status word no card sends.
pub(crate) fn garbage(n: usize) -> Vec<u8> {
    let mut x = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as u8
    };
    let len = match n % 4 {
        0 => 1,
        1 => 2,
        _ => usize::from(next()) + 3,
    };
    let mut out: Vec<u8> = (0..len).map(|_| next()).collect();
    if len >= 2 {
        out[len - 2] = 0x6A + (n % 5) as u8; // 6A..6E: never 61xx, 63Cx or 90 00
        out[len - 1] = next() | 0x01;
    }
    out
}
