//! What the session does with the certificate's standing: renew and grace notices, and a
//! certificate that cannot be used (a clock that is wrong puts the idle screen out of service).

use myna_api::proto::Outcome;
use myna_card::cert::Validity;

use super::state::Engine;
use super::{Action, Now};
use crate::card_check::{CardReport, CheckError};
use crate::catalogue::{self, notice_of};

impl Engine {
    pub(super) fn validity_guidance(&mut self, report: &CardReport) {
        match report.validity {
            Validity::ExpiringSoon => self.add_guidance(catalogue::CERT_EXPIRING_SOON.notice()),
            Validity::Grace => {
                match super::view::grace_until(report) {
                    Some(last) => self.add_guidance(catalogue::CERT_GRACE.notice_until(
                        &last.format("%Y年%-m月%-d日").to_string(),
                        &last.format("%-d %B %Y").to_string(),
                    )),
                    None => self.add_guidance(catalogue::CERT_GRACE.notice()),
                }
            }
            _ => {}
        }
    }

    /// The card or its certificate cannot be used. A certificate not yet valid means the
    /// kiosk's clock is wrong (a Pi without RTC): every later card would fail the same way, so
    /// the idle screen says the kiosk is out of service and to check the clock.
    pub(super) fn check_failed(&mut self, e: CheckError, now: Now) -> Vec<Action> {
        let notice = notice_of(&e);
        if matches!(e, CheckError::NotUsable { validity: "not_yet_valid", .. }) {
            tracing::error!("a certificate is not yet valid: the system clock is probably wrong");
            self.clock_suspect = Some(notice.clone());
        }
        self.finish(Outcome::Failed, Some(notice), now)
    }
}
