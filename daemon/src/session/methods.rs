//! Which ways to authenticate a session offers, and what a patient is told about the ones
//! left when one stops working (a locked PIN, a failed face check): only methods that are
//! really offered here, for this card.

use myna_api::proto::{Method, Notice};
use myna_card::jpki::{CardKind, PinStatus};

use super::state::Engine;
use super::StaffCheck;
use crate::catalogue::{self, Text};

impl Engine {
    /// The methods the clinic enables, the card allows and the session has not ruled out. The
    /// staff check joins them per [`StaffCheck`].
    pub(super) fn methods(&self) -> Vec<Method> {
        let Some(facts) = &self.session.facts else { return vec![] };
        let physical_card = facts.kind == CardKind::MyNumberCard;
        let usable = |m: &Method| {
            self.cfg.methods.contains(m)
                && !self.session.excluded.contains(m)
                && match m {
                    // An iPhone is authorised on the phone; the kiosk never asks its PIN.
                    Method::Pin => {
                        !facts.kind.authorised_on_device() && matches!(facts.pin, PinStatus::TriesLeft(n) if n > 0)
                    }
                    // A phone carries no card face: no photo to compare, by camera or by staff.
                    Method::Face | Method::Visual => physical_card,
                }
        };
        let own: Vec<Method> = [Method::Pin, Method::Face].into_iter().filter(usable).collect();
        let pin_gone =
            !matches!(facts.pin, PinStatus::TriesLeft(n) if n > 0) || self.session.excluded.contains(&Method::Pin);
        let face_failed = self.session.excluded.contains(&Method::Face);
        let staff = usable(&Method::Visual)
            && match self.cfg.staff_check {
                StaffCheck::Always => true,
                StaffCheck::Fallback => pin_gone || face_failed || own.is_empty(),
            };
        // In the clinic's order.
        self.cfg.methods.iter().copied().filter(|m| own.contains(m) || (*m == Method::Visual && staff)).collect()
    }

    /// `why` followed by what the patient can do now, built from the methods still offered.
    pub(super) fn with_next_step(&self, why: &Text) -> Notice {
        let phone = self.session.facts.as_ref().is_some_and(|f| f.kind != CardKind::MyNumberCard);
        let next = match self.methods().as_slice() {
            [] if phone => &catalogue::NEXT_USE_THE_CARD,
            [] => &catalogue::NEXT_ASK_AT_DESK,
            [only] => match only {
                Method::Pin => &catalogue::NEXT_PIN,
                Method::Face => &catalogue::NEXT_FACE,
                Method::Visual => &catalogue::NEXT_STAFF,
            },
            more => match (more.contains(&Method::Pin), more.contains(&Method::Face)) {
                (true, true) => &catalogue::NEXT_CHOOSE,
                (true, false) => &catalogue::NEXT_PIN_OR_STAFF,
                (false, _) => &catalogue::NEXT_FACE_OR_STAFF,
            },
        };
        why.followed_by(next)
    }
}
