//! `[session]`: the methods offered, the consent asked, attempts and timeouts.

use std::time::Duration;

use myna_api::proto::{ConsentItem, Method};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{has_duplicates, Check, ConfigError};
use crate::session::{SessionConfig, StaffCheck, Timeouts};

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSection {
    pub methods: Spanned<Vec<Method>>,
    pub consent_items: Spanned<Vec<ConsentItem>>,
    pub consent_all_shortcut: bool,
    /// `"fallback"` (default: only once PIN or face cannot be used) or `"always"`.
    pub staff_check: StaffCheck,
    pub face_attempts: Spanned<u8>,
    pub collation_b_misreads: Spanned<u8>,
    pub collation_b_reserve: Spanned<u8>,
    pub timeouts: TimeoutsSection,
}

impl Default for SessionSection {
    fn default() -> Self {
        let d = SessionConfig::default();
        SessionSection {
            methods: Spanned::new(0..0, d.methods),
            consent_items: Spanned::new(0..0, d.consent_items),
            consent_all_shortcut: d.consent_all_shortcut,
            staff_check: d.staff_check,
            face_attempts: Spanned::new(0..0, d.face_attempts),
            collation_b_misreads: Spanned::new(0..0, d.collation_b_misreads),
            collation_b_reserve: Spanned::new(0..0, d.collation_b_reserve),
            timeouts: TimeoutsSection::default(),
        }
    }
}

/// Timeouts in seconds.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimeoutsSection {
    pub card_operation_secs: Spanned<u64>,
    pub choose_method_secs: Spanned<u64>,
    pub pin_entry_secs: Spanned<u64>,
    pub face_check_secs: Spanned<u64>,
    pub staff_check_secs: Spanned<u64>,
    pub consent_secs: Spanned<u64>,
    pub take_card_secs: Spanned<u64>,
}

impl Default for TimeoutsSection {
    fn default() -> Self {
        let t = Timeouts::default();
        let s = |d: Duration| Spanned::new(0..0, d.as_secs());
        TimeoutsSection {
            card_operation_secs: s(t.card_operation),
            choose_method_secs: s(t.choose_method),
            pin_entry_secs: s(t.pin_entry),
            face_check_secs: s(t.face_check),
            staff_check_secs: s(t.staff_check),
            consent_secs: s(t.consent),
            take_card_secs: s(t.take_card),
        }
    }
}

impl SessionSection {
    pub(super) fn validate(&self, check: &Check) -> Result<(), ConfigError> {
        if self.methods.get_ref().is_empty() {
            return Err(
                check.err(self.methods.span(), "session.methods: enable at least one of \"pin\", \"face\", \"visual\"")
            );
        }
        if has_duplicates(self.methods.get_ref()) {
            return Err(check.err(self.methods.span(), "session.methods: a method is listed twice"));
        }
        if has_duplicates(self.consent_items.get_ref()) {
            return Err(check.err(self.consent_items.span(), "session.consent_items: an item is listed twice"));
        }
        check.range(&self.face_attempts, 1..=10, "session.face_attempts", "")?;
        check.range(&self.collation_b_misreads, 1..=5, "session.collation_b_misreads", "")?;
        check.range(&self.collation_b_reserve, 0..=9, "session.collation_b_reserve", "")?;
        let t = &self.timeouts;
        for (name, v) in [
            ("card_operation_secs", &t.card_operation_secs),
            ("choose_method_secs", &t.choose_method_secs),
            ("pin_entry_secs", &t.pin_entry_secs),
            ("face_check_secs", &t.face_check_secs),
            ("staff_check_secs", &t.staff_check_secs),
            ("consent_secs", &t.consent_secs),
            ("take_card_secs", &t.take_card_secs),
        ] {
            check.range(v, 1..=3600, &format!("session.timeouts.{name}"), " seconds")?;
        }
        Ok(())
    }

    /// What the session engine runs with.
    pub fn engine_config(&self) -> SessionConfig {
        let t = &self.timeouts;
        let secs = |v: &Spanned<u64>| Duration::from_secs(*v.get_ref());
        SessionConfig {
            methods: self.methods.get_ref().clone(),
            consent_items: self.consent_items.get_ref().clone(),
            consent_all_shortcut: self.consent_all_shortcut,
            staff_check: self.staff_check,
            face_attempts: *self.face_attempts.get_ref(),
            collation_b_misreads: *self.collation_b_misreads.get_ref(),
            collation_b_reserve: *self.collation_b_reserve.get_ref(),
            timeouts: Timeouts {
                card_operation: secs(&t.card_operation_secs),
                choose_method: secs(&t.choose_method_secs),
                pin_entry: secs(&t.pin_entry_secs),
                face_check: secs(&t.face_check_secs),
                staff_check: secs(&t.staff_check_secs),
                consent: secs(&t.consent_secs),
                take_card: secs(&t.take_card_secs),
            },
        }
    }
}
