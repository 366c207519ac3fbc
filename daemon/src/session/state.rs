//! What a session knows: the phase it is in, the facts gathered, and the engine that holds them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use chrono::{DateTime, Utc};
use myna_api::proto::{AuthEvidence, ConsentItem, Method, Notice, Outcome};
use myna_card::cert::Validity;

use super::{CardFacts, SessionConfig};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Phase {
    /// No card.
    Idle,
    /// Card operation `Check` in flight.
    Reading,
    ChooseMethod,
    EnterPin,
    /// `VerifyPinAndSign` in flight.
    Verifying,
    Face {
        photo: PhotoState,
    },
    Staff,
    Consent {
        asked: Vec<ConsentItem>,
    },
    /// Result recorded; waiting for the card to leave.
    Done {
        outcome: Outcome,
    },
    /// The card was left on the reader past the take-card timeout: ignored until removed.
    Stale,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PhotoState {
    NotGiven,
    /// The card is reading it; the face check's own deadline resumes afterwards.
    Reading {
        face_deadline: Option<Instant>,
    },
    Given,
}

/// Everything one session knows. Holds no secret: PIN, 照合番号B and photo pass through
/// actions and are dropped (wiped) by whoever performs them.
#[derive(Debug, Default)]
pub(super) struct Session {
    pub(super) id: String,
    pub(super) started_at: Option<DateTime<Utc>>,
    pub(super) facts: Option<CardFacts>,
    /// Methods ruled out during this session (locked PIN, face failed).
    pub(super) excluded: BTreeSet<Method>,
    pub(super) pin_tries: Option<u8>,
    pub(super) face_failures: u8,
    /// Wrong 照合番号B sent to the card in this session (each spent a card-face AP try).
    pub(super) collation_b_misreads: u8,
    pub(super) auth: Option<AuthEvidence>,
    pub(super) consent: BTreeMap<ConsentItem, bool>,
    /// Shown beside the current prompt.
    pub(super) notices: Vec<Notice>,
    /// Kept in the result.
    pub(super) guidance: Vec<Notice>,
    pub(super) deadline: Option<Instant>,
    /// 「時間を延長」 used so far.
    pub(super) extensions: u8,
    /// Reception's nonce for this session's PIN check; ends with the session.
    pub(super) challenge: Option<Vec<u8>>,
    /// What the card proved so far (PIN signature, card-face photo and chip); in the result.
    pub(super) proof: myna_api::proto::CardProof,
}

pub struct Engine {
    pub(super) cfg: SessionConfig,
    pub(super) phase: Phase,
    pub(super) session: Session,
    /// A reception-supplied nonce that named no session, for the next session that starts
    /// before the instant given with it; dropped after.
    pub(super) next_challenge: Option<(Vec<u8>, Instant)>,
    /// Set while results cannot be recorded: no new session starts.
    pub(super) out_of_service: Option<Notice>,
    /// Set while there is no reader (kept apart from the journal's reason: the reader coming
    /// back must not hide a journal that still cannot be written).
    pub(super) reader_down: Option<Notice>,
    /// Set when a certificate was not yet valid (the kiosk's clock is wrong): the idle screen
    /// is out of service with clock guidance, yet the next card is still read, so a clock put
    /// right (NTP) brings the kiosk back with no restart. Cleared by a usable certificate.
    pub(super) clock_suspect: Option<Notice>,
    /// A reloaded configuration, taken up when the next session starts.
    pub(super) next_cfg: Option<SessionConfig>,
}

impl Engine {
    pub fn new(cfg: SessionConfig) -> Self {
        Engine {
            cfg,
            phase: Phase::Idle,
            session: Session::default(),
            next_challenge: None,
            out_of_service: None,
            reader_down: None,
            clock_suspect: None,
            next_cfg: None,
        }
    }

    /// A reloaded configuration (SIGHUP). A session in progress keeps the rules it started
    /// with — its timeouts and consent questions must not change under the patient — so
    /// the new ones apply from the next card.
    pub fn reconfigure(&mut self, cfg: SessionConfig) {
        self.next_cfg = Some(cfg);
    }

    /// While set, cards are not read and the screen says why (e.g. the journal is unusable).
    pub fn set_out_of_service(&mut self, reason: Option<Notice>) {
        self.out_of_service = reason;
    }

    pub fn config(&self) -> &SessionConfig {
        &self.cfg
    }

    /// When the driver must send [`Event::Tick`].
    pub fn deadline(&self) -> Option<Instant> {
        self.session.deadline
    }

    /// Whether a session is in progress (a result is still to come).
    pub fn in_progress(&self) -> bool {
        !matches!(self.phase, Phase::Idle | Phase::Done { .. } | Phase::Stale)
    }

    pub fn session_id(&self) -> Option<&str> {
        (!matches!(self.phase, Phase::Idle | Phase::Stale)).then_some(self.session.id.as_str())
    }

    /// Items asked in this session: in grace, no medication or medical-history sharing.
    pub(super) fn consent_items(&self) -> Vec<ConsentItem> {
        let grace =
            self.session.facts.as_ref().and_then(|f| f.report.as_ref()).is_some_and(|r| r.validity == Validity::Grace);
        self.cfg.consent_items.iter().copied().filter(|i| !(grace && i.is_medical_history())).collect()
    }
}
