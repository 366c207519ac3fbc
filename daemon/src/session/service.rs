//! Whether the kiosk can take patients now: a reader to read cards with, a journal to record
//! results in. Without either the screen says "out of service" with the reason and where to go.

use myna_api::proto::{Notice, Outcome};
use myna_indicator::Signal;

use super::state::{Engine, Phase};
use super::{Action, Now};
use crate::catalogue;

impl Engine {
    /// The reader went away. A session it cuts ends with the reader's code (the patient is told
    /// where to go instead), and the screen goes out of service at once, not back to "place your
    /// card" on a kiosk that cannot read one.
    pub(super) fn reader_gone(&mut self, now: Now) -> Vec<Action> {
        let why = catalogue::READER_UNAVAILABLE.notice();
        self.reader_down = Some(why.clone());
        let mut actions = vec![];
        if self.in_progress() {
            actions.extend(self.finish(Outcome::Failed, Some(why), now));
        }
        // No card can be on a reader that is gone: nobody is left to take it.
        if !matches!(self.phase, Phase::Idle) {
            self.become_idle();
        }
        actions.extend([Action::Signal(Signal::Offline), Action::Changed]);
        actions
    }

    pub(super) fn reader_ready(&mut self) -> Vec<Action> {
        if self.reader_down.take().is_none() {
            return vec![];
        }
        let signal = if self.out_of_service.is_some() { Signal::Error } else { Signal::Idle };
        vec![Action::Signal(signal), Action::Changed]
    }

    /// Why no session can start now, reader first: empty while the kiosk works.
    pub(super) fn service_problems(&self) -> Vec<Notice> {
        self.reader_down.iter().chain(self.out_of_service.iter()).chain(self.clock_suspect.iter()).cloned().collect()
    }
}
