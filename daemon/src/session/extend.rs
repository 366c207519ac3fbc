//! 「時間を延長」: a patient who needs longer (an elderly patient, one who looks for their
//! glasses) asks for more time on the step on screen. Bounded, so a kiosk left alone still
//! times out: at most [`EXTENSIONS`] times a session, each moving the deadline on by the step's
//! own time, and never to more than twice that time from now.

use std::time::Duration;

use myna_api::proto::SessionAction;

use super::state::{Engine, Phase, PhotoState};
use super::{Action, Now, Refusal, EXTENSIONS};

type Handled = Result<Vec<Action>, Refusal>;

impl Engine {
    /// The step's own time, where the patient is the one who is slow; `None` where the card
    /// or nobody is waited for (reading, verifying, finished).
    fn step_time(&self) -> Option<Duration> {
        let t = &self.cfg.timeouts;
        Some(match &self.phase {
            Phase::ChooseMethod => t.choose_method,
            Phase::EnterPin => t.pin_entry,
            Phase::Face { photo: PhotoState::NotGiven | PhotoState::Given } => t.face_check,
            Phase::Staff => t.staff_check,
            Phase::Consent { .. } => t.consent,
            _ => return None,
        })
    }

    pub(super) fn extend(&mut self, now: Now) -> Handled {
        let Some(step) = self.step_time() else { return Err(Refusal::NotWaiting("extend")) };
        if self.session.extensions >= EXTENSIONS {
            return Err(Refusal::ExtendLimit);
        }
        self.session.extensions += 1;
        let from = self.session.deadline.unwrap_or(now.mono).max(now.mono);
        self.session.deadline = Some((from + step).min(now.mono + 2 * step));
        Ok(vec![Action::Changed])
    }

    /// Whether `extend` fits now (for `allowed_actions`).
    pub(super) fn can_extend(&self) -> Option<SessionAction> {
        (self.step_time().is_some() && self.session.extensions < EXTENSIONS).then_some(SessionAction::Extend)
    }
}
