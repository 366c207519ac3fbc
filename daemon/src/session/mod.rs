//! The check-in session: a state machine that does no I/O.
//!
//! The [`Engine`] takes [`Event`]s (card inserted or removed, card answers, commands from the
//! kiosk, face module, staff and reception, timer ticks) with the time injected ([`Now`]), and
//! returns [`Action`]s (card operations, indicator signals, a result to record, the photo for
//! the face module). One async driver performs them. Everything the patient sees comes from
//! [`Engine::view`].

mod certificate;
pub mod config;
mod consent;
mod extend;
mod methods;
mod phone;
mod service;
mod state;
mod transitions;
mod view;

use std::time::Instant;

use chrono::{DateTime, Utc};
use myna_api::proto::{ConsentAnswer, ConsentItem, Method, Notice, SessionResult};
use myna_card::jpki::{CardKind, FaceRead, JpkiError, PinStatus};
use myna_card::secret::{CollationB, FacePhoto, Pin};
use myna_indicator::Signal;

pub use config::{SessionConfig, StaffCheck, Timeouts};
pub use state::Engine;

use crate::card_check::{CardReport, CheckError};
use crate::catalogue::{self, Explained, Text};

/// The time, injected: monotonic for timeouts, wall clock only for stamps and certificate dates
/// (the Pi has no RTC; its wall clock may jump when NTP syncs).
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub mono: Instant,
    pub wall: DateTime<Utc>,
}

/// What the card told us before authentication.
#[derive(Debug, Clone)]
pub struct CardFacts {
    pub kind: CardKind,
    /// The checked certificate; `None` until after VERIFY on a token that keeps it behind
    /// the PIN (an Android phone).
    pub report: Option<CardReport>,
    pub pin: PinStatus,
}

/// Work for the card. The driver performs these in order on the card's connection.
#[derive(Debug)]
pub enum CardOp {
    /// Identify, read and check the certificate, read the PIN counter.
    Check,
    /// VERIFY the PIN then SIGN `challenge` (a fresh random 32 bytes when `None`), in one
    /// exclusive connection. With `read_certificate`, the certificate is read and checked
    /// between VERIFY and SIGN (a token that keeps it behind the PIN).
    VerifyPinAndSign { pin: Pin, challenge: Option<Vec<u8>>, read_certificate: Option<CardKind> },
    /// SIGN with no VERIFY: a phone authorised on the device itself (iPhone Wallet).
    SignAuthorised { challenge: Option<Vec<u8>> },
    /// Open the card face with 照合番号B, only while the card-face AP has more than `reserve`
    /// tries left (its counter is read first), read the photo and prove it (issuer signature,
    /// chip challenge) on the connection the certificate was read on.
    ReadPhoto { collation_b: CollationB, reserve: u8 },
    /// Disconnect with RESET: no verified state outlives the session.
    Release,
}

#[derive(Debug, Clone)]
pub struct PinSigned {
    pub challenge: Vec<u8>,
    pub signature: Vec<u8>,
    /// The certificate read after VERIFY, when the operation asked for it.
    pub report: Option<Box<CardReport>>,
}

/// The outcome of a [`CardOp`].
#[derive(Debug)]
pub enum CardAnswer {
    Checked(Result<Box<CardFacts>, CheckError>),
    PinSigned(Result<PinSigned, CheckError>),
    Photo(Result<FaceRead, JpkiError>),
}

/// What people and programs ask of the session through the API.
#[derive(Debug)]
pub enum Command {
    ChooseMethod(Method),
    SubmitPin {
        pin: Pin,
        confirm_last_try: bool,
    },
    FaceReference {
        collation_b: CollationB,
    },
    FaceVerdict {
        matched: bool,
        score: Option<f64>,
    },
    Visual {
        confirmed: bool,
        staff_id: String,
    },
    Consent(ConsentAnswer),
    Cancel,
    /// 「時間を延長」: more time for the step on screen, at most [`EXTENSIONS`] times.
    Extend,
    /// Reception supplies the nonce the card signs at the PIN check of the session it names,
    /// or, named none, of the next session that starts within [`CHALLENGE_FOR_NEXT`].
    Challenge(Vec<u8>),
}

/// How often a session may ask for more time (「時間を延長」), whatever the step. Each time
/// the step's deadline moves on by the step's own time, but never to more than twice that
/// time from now: a patient who walked away still times out, at most a few minutes later.
pub const EXTENSIONS: u8 = 3;

/// How long a challenge that names no session waits for the next session to start: reception
/// sent it for the patient about to check in, not for whoever comes much later.
pub const CHALLENGE_FOR_NEXT: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Debug)]
pub enum Event {
    /// A card arrived; the driver names the session it starts.
    CardInserted {
        session_id: String,
    },
    CardRemoved,
    /// The answer to a card operation, tagged with the session that asked for it: an answer
    /// that arrives after its session ended must not touch the next one.
    Card {
        session: Option<String>,
        answer: CardAnswer,
    },
    /// A command for the session `session` names (the API's `If-Match`). A command for
    /// another session is refused and changes nothing: a late cancel must not end the next
    /// patient's session. Only a challenge may name none (it is then for the next session).
    Command {
        session: Option<String>,
        command: Command,
    },
    /// The reader is gone (pcscd stopped, reader unplugged): out of service at once, and a
    /// session in progress ends with `READER_UNAVAILABLE`.
    ReaderGone,
    /// The reader is back.
    ReaderReady,
    /// The driver's timer fired at (or after) [`Engine::deadline`].
    Tick,
}

#[derive(Debug)]
pub enum Action {
    Card(CardOp),
    Signal(Signal),
    /// A finished session, to be made durable and announced.
    Record(Box<SessionResult>),
    /// The face photo for the module that asked; handed over once, never stored.
    PhotoReady(FacePhoto),
    /// The photo could not be read; tell the module why.
    PhotoRefused(Notice),
    /// The view changed: publish it.
    Changed,
}

/// A command that does not fit the session now. Nothing happened on the card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the session is not waiting for {0}")]
    NotWaiting(&'static str),
    #[error("method {0:?} is not available for this card")]
    MethodNotAllowed(Method),
    #[error("one PIN try is left: the kiosk must confirm the last try")]
    LastTryNotConfirmed,
    #[error("the face photo was already handed over in this session")]
    PhotoAlreadyGiven,
    #[error("ask for the reference photo before reporting a verdict")]
    PhotoFirst,
    #[error("consent item {0:?} is not asked in this session")]
    NotAsked(ConsentItem),
    #[error("consent to all is not offered")]
    AllNotOffered,
    #[error("a challenge is 16 to 64 bytes")]
    BadChallenge,
    #[error("a staff identifier is required")]
    StaffIdMissing,
    #[error("the command names another session")]
    SessionMismatch,
    #[error("the command names no session")]
    SessionRequired,
    #[error("the time was already extended as often as allowed")]
    ExtendLimit,
}

impl Explained for Refusal {
    fn text(&self) -> &'static Text {
        match self {
            Refusal::NotWaiting(_) => &catalogue::NOT_WAITING,
            Refusal::MethodNotAllowed(_) => &catalogue::METHOD_NOT_ALLOWED,
            Refusal::LastTryNotConfirmed => &catalogue::LAST_TRY_NOT_CONFIRMED,
            Refusal::PhotoAlreadyGiven => &catalogue::PHOTO_ALREADY_GIVEN,
            Refusal::PhotoFirst => &catalogue::PHOTO_FIRST,
            Refusal::NotAsked(_) => &catalogue::CONSENT_ITEM_NOT_ASKED,
            Refusal::AllNotOffered => &catalogue::CONSENT_ALL_NOT_OFFERED,
            Refusal::BadChallenge => &catalogue::CHALLENGE_FORMAT,
            Refusal::StaffIdMissing => &catalogue::STAFF_ID_REQUIRED,
            Refusal::SessionMismatch => &catalogue::SESSION_MISMATCH,
            Refusal::SessionRequired => &catalogue::SESSION_REQUIRED,
            Refusal::ExtendLimit => &catalogue::EXTEND_LIMIT_REACHED,
        }
    }
}
