//! The consent step: the items a patient is asked, and how their answers (one by one, or all
//! at once where the clinic offers it) land in the session.

use myna_api::proto::{ConsentAnswer, ConsentItem, Outcome, PrescriptionForm};
use myna_indicator::Signal;

use super::state::{Engine, Phase};
use super::{Action, Now, Refusal};

type Handled = Result<Vec<Action>, Refusal>;

impl Engine {
    pub(super) fn start_consent(&mut self, now: Now) -> Vec<Action> {
        let asked = self.consent_items();
        self.session.notices.clear();
        if asked.is_empty() {
            return self.finish(Outcome::Verified, None, now);
        }
        self.phase = Phase::Consent { asked };
        self.session.deadline = Some(now.mono + self.cfg.timeouts.consent);
        vec![Action::Signal(Signal::WaitingForPatient), Action::Changed]
    }

    pub(super) fn consent(&mut self, answer: ConsentAnswer, asked: &[ConsentItem], now: Now) -> Handled {
        match answer {
            ConsentAnswer::All { all } => {
                if all && !self.cfg.consent_all_shortcut {
                    return Err(Refusal::AllNotOffered);
                }
                // まとめて同意 as the national flow has it: the information items still open.
                // An explicit answer stands, and the prescription form is asked on its own.
                for item in asked.iter().filter(|i| i.is_information()) {
                    self.session.consent.entry(*item).or_insert(all);
                }
            }
            ConsentAnswer::Prescription { prescription } => {
                let item = ConsentItem::ElectronicPrescription;
                if !asked.contains(&item) {
                    return Err(Refusal::NotAsked(item));
                }
                self.session.consent.insert(item, prescription == PrescriptionForm::Electronic);
            }
            ConsentAnswer::Items(items) => {
                if let Some(item) = items.keys().find(|i| !asked.contains(i)) {
                    return Err(Refusal::NotAsked(*item));
                }
                self.session.consent.extend(items);
            }
        }
        if asked.iter().all(|i| self.session.consent.contains_key(i)) {
            return Ok(self.finish(Outcome::Verified, None, now));
        }
        self.session.deadline = Some(now.mono + self.cfg.timeouts.consent);
        Ok(vec![Action::Changed])
    }

    /// Silence is not consent: every unanswered item becomes "no".
    pub(super) fn close_consent(&mut self, asked: &[ConsentItem]) {
        for item in asked {
            self.session.consent.entry(*item).or_insert(false);
        }
    }
}
