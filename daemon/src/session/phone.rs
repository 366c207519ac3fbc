//! What differs when the token on the reader is a phone, or a token the kiosk does not know.
//!
//! - Android (`JPKIAPGPSETOKEN`): the user-auth certificate is read only after VERIFY of the
//!   phone's own PIN (スマホ用利用者証明用), so the session goes PIN counter → PIN prompt →
//!   VERIFY → read and check the certificate → SIGN, in one connection.
//! - iPhone (`JPKIAPIOSTOKEN`): authorised in Apple Wallet before it is held to the reader; the
//!   kiosk sends no VERIFY and asks it to SIGN. `6982` to SIGN means the wallet has not
//!   authorised: the patient authorises and taps again.
//! - Phones carry no card face (no face or staff check) and get no expiry grace.
//! - An unknown label answering the JPKI AP: treated as JPKI, with a notice; the label is
//!   logged so the next release can name it.

use myna_api::proto::Notice;
use myna_card::jpki::{CardKind, JpkiError};
use myna_indicator::Signal;

use super::state::{Engine, Phase};
use super::{Action, CardFacts, CardOp, Now};
use crate::catalogue::{self, notice_of};

impl Engine {
    pub(super) fn kind(&self) -> Option<&CardKind> {
        self.session.facts.as_ref().map(|f| &f.kind)
    }

    /// Notes what the kiosk must tell about the token itself, before any method is offered.
    pub(super) fn note_token(&mut self, facts: &CardFacts) {
        if let CardKind::UnknownJpki(label) = &facts.kind {
            // The label is public (EF 0006), not a secret: it tells the next release what to name.
            tracing::warn!(label = %label, "unknown token label answered the JPKI AP: treated as JPKI");
            self.add_guidance(catalogue::UNKNOWN_TOKEN.notice());
        }
    }

    /// An iPhone signs with no PIN: straight to the card operation.
    pub(super) fn sign_on_device(&mut self, now: Now) -> Vec<Action> {
        self.phase = Phase::Verifying;
        self.session.deadline = Some(now.mono + self.cfg.timeouts.card_operation);
        let challenge = self.session.challenge.take();
        vec![Action::Card(CardOp::SignAuthorised { challenge }), Action::Signal(Signal::Working), Action::Changed]
    }

    /// Shown on the PIN screen: an Android phone's PIN is the phone's own.
    pub(super) fn pin_screen_notices(&mut self) {
        if self.kind() == Some(&CardKind::Android) {
            self.session.notices.push(catalogue::PHONE_PIN.notice());
        }
    }

    /// A locked PIN: on a phone, face and staff are not offered, so the card's own lock text
    /// (which offers them) would mislead.
    pub(super) fn pin_locked_notice(&self) -> Notice {
        match self.kind() {
            Some(kind) if kind.is_smartphone() => catalogue::PHONE_PIN_LOCKED.notice(),
            _ => self.with_next_step(&catalogue::PIN_LOCKED),
        }
    }

    /// The card refused to SIGN for want of authorisation.
    pub(super) fn not_authorised_notice(&self) -> Notice {
        match self.kind() {
            Some(kind) if kind.authorised_on_device() => catalogue::PHONE_NOT_AUTHORISED.notice(),
            _ => notice_of(&JpkiError::PinNotVerified),
        }
    }
}
