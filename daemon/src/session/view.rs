//! What the kiosk screen, reception and the journal see of a session: the live view and the
//! result.

use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use myna_api::proto::{
    self, AuthEvidence, CardInfo, CardProof, CertStatus, CertificateInfo, ConsentItem, ConsentRecord, Notice, Outcome,
    PrescriptionForm, Prompt, SessionAction, SessionResult, SessionView,
};
use myna_card::cert::{grace_last_day, Validity};
use myna_card::jpki::CardKind;

use super::state::{Engine, Phase, PhotoState};
use super::CardFacts;
use crate::card_check::CardReport;

/// How long a consent answer stands (the national rule: the day of the visit).
const CONSENT_VALIDITY: TimeDelta = TimeDelta::hours(24);

impl Engine {
    pub(super) fn result(&self, outcome: Outcome, error: Option<Notice>, wall: DateTime<Utc>) -> SessionResult {
        let s = &self.session;
        let consent = (s.auth.is_some() && !s.consent.is_empty()).then(|| ConsentRecord {
            items: s.consent.clone(),
            answered_at: stamp(wall),
            valid_until: stamp(wall + CONSENT_VALIDITY),
        });
        SessionResult {
            id: s.id.clone(),
            seq: 0,
            outcome,
            started_at: stamp(s.started_at.unwrap_or(wall)),
            finished_at: stamp(wall),
            card: s.facts.as_ref().map(card_info),
            auth: if outcome == Outcome::Verified || s.auth.is_some() { s.auth.clone() } else { None },
            proof: CardProof { holder_verified_by: s.auth.as_ref().map(AuthEvidence::method), ..s.proof },
            consent,
            guidance: s.guidance.clone(),
            error,
        }
    }

    /// What the kiosk screen and reception see now.
    pub fn view(&self, now: Instant) -> SessionView {
        let s = &self.session;
        let prompt = match &self.phase {
            Phase::Idle | Phase::Stale if !self.service_problems().is_empty() => Prompt::OutOfService,
            Phase::Idle | Phase::Stale => Prompt::PlaceCard,
            Phase::Reading => Prompt::Reading,
            Phase::ChooseMethod => Prompt::ChooseMethod { methods: self.methods() },
            Phase::EnterPin => {
                let tries_left = s.pin_tries.unwrap_or(0);
                Prompt::EnterPin { tries_left, last_try: tries_left == 1 }
            }
            Phase::Verifying => Prompt::Verifying,
            Phase::Face { .. } => {
                Prompt::FaceCheck { attempts_left: self.cfg.face_attempts.saturating_sub(s.face_failures) }
            }
            Phase::Staff => Prompt::StaffCheck,
            Phase::Consent { asked } => self.consent_prompt(asked),
            Phase::Done { outcome } => Prompt::TakeCard { outcome: *outcome },
        };
        use SessionAction as A;
        let mut allowed = match &self.phase {
            Phase::Idle | Phase::Stale | Phase::Done { .. } => vec![],
            Phase::Reading | Phase::Verifying => vec![A::Cancel],
            Phase::ChooseMethod => vec![A::Method, A::Cancel],
            Phase::EnterPin => vec![A::Pin, A::Cancel],
            Phase::Face { photo: PhotoState::NotGiven } => vec![A::FaceReference, A::Cancel],
            Phase::Face { photo: PhotoState::Reading { .. } } => vec![A::Cancel],
            Phase::Face { photo: PhotoState::Given } => vec![A::FaceVerdict, A::Cancel],
            Phase::Staff => vec![A::Visual, A::Cancel],
            Phase::Consent { .. } => vec![A::Consent, A::Cancel],
        };
        allowed.extend(self.can_extend());
        allowed.push(A::Challenge);
        SessionView {
            id: self.session_id().map(str::to_string),
            prompt,
            allowed_actions: allowed,
            pin_tries_left: s.pin_tries,
            deadline_ms: s.deadline.map(|d| d.saturating_duration_since(now).as_millis() as u64),
            notices: match &self.phase {
                Phase::Idle | Phase::Stale if !self.service_problems().is_empty() => self.service_problems(),
                _ => s.notices.clone(),
            },
            card: s.facts.as_ref().map(card_info),
        }
    }

    /// The first item not answered yet: a consent question, or the prescription choice.
    fn consent_prompt(&self, asked: &[ConsentItem]) -> Prompt {
        let index = asked.iter().position(|i| !self.session.consent.contains_key(i)).unwrap_or(0);
        let item = asked[index];
        let (ja, en) = item.question();
        let (question_ja, question_en, index, total) = (ja.into(), en.into(), index + 1, asked.len());
        if !item.is_information() {
            let choices = PrescriptionForm::ALL.to_vec();
            return Prompt::Prescription { question_ja, question_en, choices, index, total };
        }
        Prompt::Consent { item, question_ja, question_en, index, total, allow_all: self.cfg.consent_all_shortcut }
    }

    /// Time until the deadline, for the driver's timer.
    pub fn time_left(&self, now: Instant) -> Option<Duration> {
        self.session.deadline.map(|d| d.saturating_duration_since(now))
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn card_info(f: &CardFacts) -> CardInfo {
    CardInfo { kind: wire_kind(&f.kind), certificate: f.report.as_ref().map(certificate_info) }
}

/// The last day of grace, for a token that has one (phones have none).
pub(super) fn grace_until(r: &CardReport) -> Option<chrono::NaiveDate> {
    (!r.kind.is_smartphone()).then(|| grace_last_day(r.certificate.not_after))
}

fn certificate_info(r: &CardReport) -> CertificateInfo {
    let c = &r.certificate;
    let mut chain = vec![c.issuer.clone()];
    if r.chain.anchor_subject != c.issuer {
        chain.push(r.chain.anchor_subject.clone());
    }
    CertificateInfo {
        der: base64::engine::general_purpose::STANDARD.encode(&c.der),
        serial: c.serial.clone(),
        subject: c.subject.clone(),
        issuer: c.issuer.clone(),
        not_before: stamp(c.not_before),
        not_after: stamp(c.not_after),
        status: wire_status(r.validity),
        chain,
        grace_until: grace_until(r).map(|d| d.format("%Y-%m-%d").to_string()),
    }
}

fn wire_kind(kind: &CardKind) -> proto::CardKind {
    use proto::CardKind as W;
    match kind {
        CardKind::MyNumberCard => W::MyNumberCard,
        CardKind::Android => W::Android,
        CardKind::Iphone => W::Iphone,
        CardKind::Juki => W::Juki,
        CardKind::UnknownJpki(_) => W::UnknownJpki,
        CardKind::NotJpki => W::NotJpki,
    }
}

fn wire_status(v: Validity) -> CertStatus {
    match v {
        Validity::Valid => CertStatus::Valid,
        Validity::ExpiringSoon => CertStatus::ExpiringSoon,
        Validity::Grace => CertStatus::Grace,
        Validity::Expired => CertStatus::Expired,
        Validity::NotYetValid => CertStatus::NotYetValid,
    }
}
