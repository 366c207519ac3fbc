//! The session engine driven with the virtual card through every path of a check-in: each
//! profile, each method, the last-try confirmation, lockout, face failure, staff check, consent,
//! every timeout, removal and cancel in every state. Assertions are on what the patient sees
//! (prompts, notices, indicator signals) and on the result reception software receives.

mod engine_rig;

use std::time::Duration;

use base64::Engine as _;
use myna_api::proto::{AuthEvidence, ConsentAnswer, ConsentItem, Method, Outcome, PrescriptionForm, Prompt};
use myna_card::cert::{Certificate, TrustAnchors};
use myna_card::secret::CollationB;
use myna_indicator::Signal;
use myna_kiosk::card_worker::CardWorker;
use myna_kiosk::session::{Command, Event, Refusal, SessionConfig, StaffCheck};
use myna_virtual_card::{CardOptions, Fault, FaultKind, Profile, VirtualCard, DEFAULT_COLLATION_B, TEST_PHOTO_JP2};

use engine_rig::{items, Rig};

#[test]
fn pin_check_in_from_tap_to_take_card() {
    let mut rig = Rig::default();
    rig.tap(Profile::Valid);
    // The staff check is a fallback (the default): not on the first screen.
    assert_eq!(rig.prompt(), Prompt::ChooseMethod { methods: vec![Method::Pin, Method::Face] });
    rig.method(Method::Pin).unwrap();
    assert_eq!(rig.prompt(), Prompt::EnterPin { tries_left: 3, last_try: false });
    rig.pin("1234", false).unwrap();
    match rig.prompt() {
        Prompt::Consent { item, index, total, allow_all, .. } => {
            assert_eq!((item, index, total, allow_all), (ConsentItem::Medication, 1, 2, true));
        }
        p => panic!("{p:?}"),
    }
    rig.cmd(Command::Consent(items(&[(ConsentItem::Medication, true)]))).unwrap();
    assert!(matches!(rig.prompt(), Prompt::Consent { item: ConsentItem::LimitAmount, index: 2, .. }));
    rig.cmd(Command::Consent(items(&[(ConsentItem::LimitAmount, false)]))).unwrap();
    assert_eq!(rig.prompt(), Prompt::TakeCard { outcome: Outcome::Verified });
    assert!(rig.notice_codes().contains(&"CHECKED_IN".to_string()));

    let r = rig.last().clone();
    assert_eq!(r.outcome, Outcome::Verified);
    assert_eq!(r.id, "s1");
    let card = r.card.as_ref().unwrap();
    assert_eq!(card.kind, "my_number_card");
    let cert_info = card.certificate.as_ref().unwrap();
    assert_eq!(cert_info.status, "valid");
    // The recorded signature is the card's, over the recorded challenge, by the recorded cert.
    let AuthEvidence::Pin { challenge, signature } = r.auth.as_ref().unwrap() else { panic!("{:?}", r.auth) };
    let b64 = base64::engine::general_purpose::STANDARD;
    let cert = Certificate::from_der(&b64.decode(&cert_info.der).unwrap()).unwrap();
    let challenge = b64.decode(challenge).unwrap();
    assert_eq!(challenge.len(), 32);
    cert.verify_signature(&challenge, &b64.decode(signature).unwrap()).unwrap();
    let consent = r.consent.as_ref().unwrap();
    assert!(consent.items[&ConsentItem::Medication]);
    assert!(!consent.items[&ConsentItem::LimitAmount]);
    assert_eq!(consent.answered_at, "2026-11-23T00:00:00.000Z");
    assert_eq!(consent.valid_until, "2026-11-24T00:00:00.000Z");

    rig.remove();
    assert_eq!(rig.prompt(), Prompt::PlaceCard);
    assert_eq!(
        rig.signals,
        [
            Signal::CardDetected,
            Signal::WaitingForPatient,
            Signal::WaitingForPatient,
            Signal::Working,
            Signal::WaitingForPatient,
            Signal::Success,
            Signal::Idle
        ]
    );
    assert_eq!(rig.results.len(), 1, "removal after the result records nothing more");
}

#[test]
fn fresh_challenges_differ_and_reception_challenges_are_signed() {
    let mut rig = Rig::default();
    let mut challenges = vec![];
    for _ in 0..2 {
        rig.tap(Profile::Valid);
        rig.method(Method::Pin).unwrap();
        rig.pin("1234", false).unwrap();
        rig.consent_all(true);
        let AuthEvidence::Pin { challenge, .. } = rig.last().auth.clone().unwrap() else { panic!() };
        challenges.push(challenge);
        rig.remove();
    }
    assert_ne!(challenges[0], challenges[1]);

    assert_eq!(rig.cmd(Command::Challenge(vec![1; 8])), Err(Refusal::BadChallenge));
    let nonce: Vec<u8> = (0..24).collect();
    rig.cmd(Command::Challenge(nonce.clone())).unwrap();
    rig.tap(Profile::Valid);
    rig.method(Method::Pin).unwrap();
    rig.pin("1234", false).unwrap();
    rig.consent_all(false);
    let AuthEvidence::Pin { challenge, .. } = rig.last().auth.clone().unwrap() else { panic!() };
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(challenge).unwrap(), nonce);
}

#[test]
fn refused_cards_end_with_guidance() {
    for (profile, code) in
        [(Profile::Expired, "CERT_EXPIRED"), (Profile::Juki, "JUKI_CARD"), (Profile::NotJpki, "NOT_MY_NUMBER_CARD")]
    {
        let mut rig = Rig::default();
        rig.tap(profile);
        assert_eq!(rig.prompt(), Prompt::TakeCard { outcome: Outcome::Failed }, "{profile}");
        let r = rig.last();
        assert_eq!(r.outcome, Outcome::Failed);
        let err = r.error.as_ref().unwrap();
        assert_eq!(err.code, code);
        assert!(!err.ja.is_empty() && !err.en.is_empty());
        assert_eq!(rig.signals, [Signal::CardDetected, Signal::Error], "{profile}");
        assert!(r.auth.is_none() && r.consent.is_none());
    }
}

#[test]
fn an_untrusted_chain_is_refused() {
    let mut jlis = TrustAnchors::default();
    jlis.add_pem(include_bytes!("../../jpki-ca/auth_ca_2023.pem")).unwrap();
    let mut rig = Rig::default();
    rig.worker = CardWorker::new(rig.slot.clone(), jlis);
    rig.tap(Profile::Valid);
    assert_eq!(rig.last().error.as_ref().unwrap().code, "CERT_UNTRUSTED");
}

#[test]
fn an_unreadable_card_fails_cleanly() {
    let mut rig = Rig::default();
    let card = VirtualCard::with_options(
        Profile::Valid,
        CardOptions { now: rig.wall, auth_cert_override: Some(vec![0x04; 64]), ..Default::default() },
    );
    rig.tap_card(card);
    assert_eq!(rig.last().outcome, Outcome::Failed);
    assert_eq!(rig.last().error.as_ref().unwrap().code, "CARD_UNREADABLE");
}

// Phones: see phone_flows.rs.

#[test]
fn expiring_soon_continues_with_a_renew_notice() {
    let mut rig = Rig::default();
    rig.tap(Profile::ExpiringSoon);
    rig.method(Method::Pin).unwrap();
    rig.pin("1234", false).unwrap();
    assert!(matches!(rig.prompt(), Prompt::Consent { item: ConsentItem::Medication, .. }));
    rig.consent_all(true);
    let r = rig.last();
    assert_eq!(r.outcome, Outcome::Verified);
    assert_eq!(r.card.as_ref().unwrap().certificate.as_ref().unwrap().status, "expiring_soon");
    assert_eq!(r.guidance.iter().map(|g| g.code.as_str()).collect::<Vec<_>>(), ["CERT_EXPIRING_SOON"]);
}

#[test]
fn grace_offers_no_medication_or_history_consent() {
    let cfg = SessionConfig {
        consent_items: vec![
            ConsentItem::Medication,
            ConsentItem::LimitAmount,
            ConsentItem::Diagnosis,
            ConsentItem::ElectronicPrescription,
        ],
        ..SessionConfig::default()
    };
    let mut rig = Rig::new(cfg);
    rig.tap(Profile::Grace);
    rig.method(Method::Pin).unwrap();
    rig.pin("1234", false).unwrap();
    assert!(matches!(rig.prompt(), Prompt::Consent { item: ConsentItem::LimitAmount, index: 1, total: 2, .. }));
    // Medication cannot be consented to in grace, even by a client that tries.
    assert_eq!(
        rig.cmd(Command::Consent(items(&[(ConsentItem::Medication, true)]))),
        Err(Refusal::NotAsked(ConsentItem::Medication))
    );
    rig.consent_all(true);
    // The prescription form is a choice of its own, not covered by まとめて同意.
    assert!(matches!(rig.prompt(), Prompt::Prescription { index: 2, total: 2, .. }), "{:?}", rig.prompt());
    rig.cmd(Command::Consent(ConsentAnswer::Prescription { prescription: PrescriptionForm::Paper })).unwrap();
    let r = rig.last();
    assert_eq!(r.outcome, Outcome::Verified);
    let consent = &r.consent.as_ref().unwrap().items;
    assert_eq!(
        consent.keys().copied().collect::<Vec<_>>(),
        [ConsentItem::LimitAmount, ConsentItem::ElectronicPrescription]
    );
    assert!(r.guidance.iter().any(|g| g.code == "CERT_GRACE"));
}

#[test]
fn wrong_pin_then_right() {
    let mut rig = Rig::default();
    rig.tap(Profile::Valid);
    rig.method(Method::Pin).unwrap();
    rig.pin("9999", false).unwrap();
    assert_eq!(rig.prompt(), Prompt::EnterPin { tries_left: 2, last_try: false });
    assert_eq!(rig.notice_codes(), ["PIN_WRONG"]);
    assert!(rig.results.is_empty());
    rig.pin("1234", false).unwrap();
    rig.consent_all(true);
    assert_eq!(rig.last().outcome, Outcome::Verified);
    assert_eq!(rig.slot.with_card(|c| c.pin_tries_left()).flatten(), Some(3), "a correct PIN resets the counter");
    assert_eq!(rig.verifies(), 2, "one VERIFY per submission, never a retry on the patient's behalf");
}

#[test]
fn the_last_try_needs_explicit_confirmation() {
    let mut rig = Rig::default();
    rig.tap(Profile::PinLastTry);
    rig.method(Method::Pin).unwrap();
    assert_eq!(rig.prompt(), Prompt::EnterPin { tries_left: 1, last_try: true });
    assert_eq!(rig.notice_codes(), ["PIN_LAST_TRY"]);
    assert_eq!(rig.signals.last(), Some(&Signal::Attention));
    assert_eq!(rig.pin("1234", false), Err(Refusal::LastTryNotConfirmed));
    assert_eq!(rig.verifies(), 0, "nothing reached the card");
    rig.pin("1234", true).unwrap();
    rig.consent_all(true);
    assert_eq!(rig.last().outcome, Outcome::Verified);
}

#[test]
fn wrong_pins_lead_to_the_last_try_warning() {
    let mut rig = Rig::default();
    rig.tap(Profile::Valid);
    rig.method(Method::Pin).unwrap();
    rig.pin("0000", false).unwrap();
    rig.pin("0001", false).unwrap();
    assert_eq!(rig.prompt(), Prompt::EnterPin { tries_left: 1, last_try: true });
    assert_eq!(rig.notice_codes(), ["PIN_WRONG", "PIN_LAST_TRY"]);
    assert_eq!(rig.pin("1234", false), Err(Refusal::LastTryNotConfirmed));
}

#[test]
fn lockout_offers_face_or_staff_and_staff_checks_in() {
    let mut rig = Rig::default();
    rig.tap(Profile::PinLastTry);
    rig.method(Method::Pin).unwrap();
    rig.pin("0000", true).unwrap();
    assert_eq!(rig.prompt(), Prompt::ChooseMethod { methods: vec![Method::Face, Method::Visual] });
    assert_eq!(rig.notice_codes(), ["PIN_LOCKED"]);
    let locked = &rig.engine.view(rig.now().mono).notices[0];
    assert!(locked.ja.contains("市区町村") && locked.ja.contains("コンビニ"), "{}", locked.ja);
    assert_eq!(rig.method(Method::Pin), Err(Refusal::MethodNotAllowed(Method::Pin)));
    rig.method(Method::Visual).unwrap();
    assert_eq!(rig.prompt(), Prompt::StaffCheck);
    assert_eq!(rig.signals.last(), Some(&Signal::WaitingForStaff));
    assert_eq!(rig.cmd(Command::Visual { confirmed: true, staff_id: "  ".into() }), Err(Refusal::StaffIdMissing));
    rig.cmd(Command::Visual { confirmed: true, staff_id: "nurse-07".into() }).unwrap();
    rig.consent_all(true);
    let r = rig.last();
    assert_eq!(r.outcome, Outcome::Verified);
    assert_eq!(r.auth, Some(AuthEvidence::Visual { staff_id: "nurse-07".into() }));
    assert!(r.guidance.iter().any(|g| g.code == "PIN_LOCKED"));
}

#[test]
fn a_locked_card_offers_face_or_staff_from_the_start() {
    let mut rig = Rig::default();
    rig.tap(Profile::PinLocked);
    assert_eq!(rig.prompt(), Prompt::ChooseMethod { methods: vec![Method::Face, Method::Visual] });
    // The patient is told why there is no PIN choice, beside the choice itself.
    assert_eq!(rig.notice_codes(), vec!["PIN_LOCKED".to_string()]);
    rig.method(Method::Visual).unwrap();
    assert!(rig.notice_codes().is_empty(), "cleared once the patient chose");
    // A clinic that only offers PIN cannot check this patient in: a clear failure.
    let mut pin_only = Rig::new(SessionConfig { methods: vec![Method::Pin], ..SessionConfig::default() });
    pin_only.tap(Profile::PinLocked);
    assert_eq!(pin_only.last().outcome, Outcome::Failed);
    assert_eq!(pin_only.last().error.as_ref().unwrap().code, "PIN_LOCKED");
}

#[test]
fn a_face_only_card_has_no_pin_method() {
    let mut rig = Rig::default();
    rig.tap(Profile::NoPin);
    assert_eq!(rig.prompt(), Prompt::ChooseMethod { methods: vec![Method::Face, Method::Visual] });
    assert!(rig.last_guidance_codes().contains(&"PIN_NOT_SET".to_string()));
}

impl Rig {
    fn last_guidance_codes(&mut self) -> Vec<String> {
        self.cmd(Command::Cancel).unwrap();
        self.last().guidance.iter().map(|g| g.code.clone()).collect()
    }
}

fn collation() -> CollationB {
    CollationB::parse(DEFAULT_COLLATION_B).unwrap()
}

#[test]
fn face_check_gets_the_photo_once_then_matches() {
    let mut rig = Rig::default();
    rig.tap(Profile::Valid);
    rig.method(Method::Face).unwrap();
    assert_eq!(rig.prompt(), Prompt::FaceCheck { attempts_left: 3 });
    assert_eq!(rig.cmd(Command::FaceVerdict { matched: true, score: Some(0.99) }), Err(Refusal::PhotoFirst));
    rig.cmd(Command::FaceReference { collation_b: collation() }).unwrap();
    assert_eq!(rig.photos, [TEST_PHOTO_JP2.to_vec()]);
    assert_eq!(rig.cmd(Command::FaceReference { collation_b: collation() }), Err(Refusal::PhotoAlreadyGiven));
    rig.cmd(Command::FaceVerdict { matched: true, score: Some(0.97) }).unwrap();
    rig.consent_all(true);
    assert_eq!(rig.last().auth, Some(AuthEvidence::Face { score: Some(0.97) }));
    assert_eq!(rig.photos.len(), 1);
}

#[test]
fn a_misread_collation_b_can_be_retried() {
    let mut rig = Rig::default();
    rig.tap(Profile::Valid);
    rig.method(Method::Face).unwrap();
    rig.cmd(Command::FaceReference { collation_b: CollationB::parse("55010120349999").unwrap() }).unwrap();
    assert_eq!(rig.photo_refusals, ["COLLATION_B_RETRY"], "not \"the photo could not be read\": it is read again");
    assert!(rig.photos.is_empty());
    rig.cmd(Command::FaceReference { collation_b: collation() }).unwrap();
    assert_eq!(rig.photos.len(), 1);
}

#[test]
fn face_failure_then_pin() {
    let mut rig = Rig::default();
    rig.tap(Profile::Valid);
    rig.method(Method::Face).unwrap();
    rig.cmd(Command::FaceReference { collation_b: collation() }).unwrap();
    rig.cmd(Command::FaceVerdict { matched: false, score: Some(0.2) }).unwrap();
    assert_eq!(rig.prompt(), Prompt::FaceCheck { attempts_left: 2 });
    assert_eq!(rig.notice_codes(), ["FACE_RETRY"]);
    rig.cmd(Command::FaceVerdict { matched: false, score: Some(0.3) }).unwrap();
    rig.cmd(Command::FaceVerdict { matched: false, score: None }).unwrap();
    assert_eq!(rig.prompt(), Prompt::ChooseMethod { methods: vec![Method::Pin, Method::Visual] });
    assert_eq!(rig.notice_codes(), ["FACE_FAILED"]);
    assert_eq!(rig.method(Method::Face), Err(Refusal::MethodNotAllowed(Method::Face)));
    rig.method(Method::Pin).unwrap();
    rig.pin("1234", false).unwrap();
    rig.consent_all(true);
    let r = rig.last();
    assert_eq!(r.outcome, Outcome::Verified);
    assert!(matches!(r.auth, Some(AuthEvidence::Pin { .. })));
    assert!(r.guidance.iter().any(|g| g.code == "FACE_FAILED"));
}

#[test]
fn staff_can_reject() {
    let mut rig = staff_always();
    rig.tap(Profile::Valid);
    rig.method(Method::Visual).unwrap();
    rig.cmd(Command::Visual { confirmed: false, staff_id: "clerk-2".into() }).unwrap();
    assert_eq!(rig.last().outcome, Outcome::Failed);
    assert_eq!(rig.last().error.as_ref().unwrap().code, "VISUAL_REJECTED");
    assert_eq!(rig.signals.last(), Some(&Signal::Error));
}

fn verified_rig() -> Rig {
    let mut rig = Rig::default();
    rig.tap(Profile::Valid);
    rig.method(Method::Pin).unwrap();
    rig.pin("1234", false).unwrap();
    rig
}

#[test]
fn consent_all_some_none_and_timeout() {
    let mut rig = verified_rig();
    rig.consent_all(true);
    assert!(rig.last().consent.as_ref().unwrap().items.values().all(|v| *v));

    let mut rig = verified_rig();
    rig.consent_all(false);
    assert!(rig.last().consent.as_ref().unwrap().items.values().all(|v| !*v));
    assert_eq!(rig.last().outcome, Outcome::Verified);

    let mut rig = verified_rig();
    rig.cmd(Command::Consent(items(&[(ConsentItem::LimitAmount, true), (ConsentItem::Medication, false)]))).unwrap();
    let c = &rig.last().consent.as_ref().unwrap().items;
    assert_eq!((c[&ConsentItem::Medication], c[&ConsentItem::LimitAmount]), (false, true));

    // Silence is not consent: after one answer, the timeout records the rest as "no".
    let mut rig = verified_rig();
    rig.cmd(Command::Consent(items(&[(ConsentItem::Medication, true)]))).unwrap();
    rig.advance(Duration::from_secs(59));
    assert!(rig.results.is_empty());
    rig.advance(Duration::from_secs(2));
    let r = rig.last();
    assert_eq!(r.outcome, Outcome::Verified);
    let c = &r.consent.as_ref().unwrap().items;
    assert_eq!((c[&ConsentItem::Medication], c[&ConsentItem::LimitAmount]), (true, false));

    // Cancel during consent: nothing unanswered becomes yes.
    let mut rig = verified_rig();
    rig.cmd(Command::Cancel).unwrap();
    assert_eq!(rig.last().outcome, Outcome::Cancelled);
    assert!(rig.last().consent.as_ref().unwrap().items.values().all(|v| !*v));
}

#[test]
fn consent_all_can_be_switched_off() {
    let mut rig = Rig::new(SessionConfig { consent_all_shortcut: false, ..SessionConfig::default() });
    rig.tap(Profile::Valid);
    rig.method(Method::Pin).unwrap();
    rig.pin("1234", false).unwrap();
    assert!(matches!(rig.prompt(), Prompt::Consent { allow_all: false, .. }));
    assert_eq!(rig.cmd(Command::Consent(ConsentAnswer::All { all: true })), Err(Refusal::AllNotOffered));
    rig.consent_all(false);
    assert_eq!(rig.last().outcome, Outcome::Verified);
}

#[test]
fn no_consent_items_finishes_after_authentication() {
    let mut rig = Rig::new(SessionConfig { consent_items: vec![], ..SessionConfig::default() });
    rig.tap(Profile::Valid);
    rig.method(Method::Pin).unwrap();
    rig.pin("1234", false).unwrap();
    assert_eq!(rig.last().outcome, Outcome::Verified);
    assert!(rig.last().consent.is_none());
}

/// Drives a fresh session to each waiting state.
/// A clinic that offers the staff check from the first screen.
fn staff_always() -> Rig {
    Rig::new(SessionConfig { staff_check: StaffCheck::Always, ..SessionConfig::default() })
}

fn reach(state: &str) -> Rig {
    let mut rig = if state == "staff" { staff_always() } else { Rig::default() };
    if state == "reading" {
        rig.hold_card_ops = true;
        rig.tap(Profile::Valid);
        return rig;
    }
    rig.tap(Profile::Valid);
    match state {
        "choose" => {}
        "pin" => rig.method(Method::Pin).unwrap(),
        "verifying" => {
            rig.method(Method::Pin).unwrap();
            rig.hold_card_ops = true;
            rig.pin("1234", false).unwrap();
        }
        "face" => rig.method(Method::Face).unwrap(),
        "photo" => {
            rig.method(Method::Face).unwrap();
            rig.cmd(Command::FaceReference { collation_b: collation() }).unwrap();
        }
        "reading photo" => {
            rig.method(Method::Face).unwrap();
            rig.hold_card_ops = true;
            rig.cmd(Command::FaceReference { collation_b: collation() }).unwrap();
        }
        "staff" => rig.method(Method::Visual).unwrap(),
        "consent" => {
            rig.method(Method::Pin).unwrap();
            rig.pin("1234", false).unwrap();
        }
        s => panic!("{s}"),
    }
    rig
}

const WAITING: [&str; 9] =
    ["reading", "choose", "pin", "verifying", "face", "photo", "reading photo", "staff", "consent"];

/// The states where the card is working: their deadline is the card operation's.
const CARD_WORKING: [&str; 3] = ["reading", "verifying", "reading photo"];

#[test]
fn every_waiting_state_times_out() {
    for state in WAITING {
        let mut rig = reach(state);
        let left = rig.engine.time_left(rig.now().mono).unwrap();
        rig.advance(left.saturating_sub(Duration::from_millis(1)));
        assert!(rig.results.is_empty(), "{state}: no result before the deadline");
        rig.advance(Duration::from_millis(2));
        let r = rig.last();
        let expected = if state == "consent" { Outcome::Verified } else { Outcome::TimedOut };
        assert_eq!(r.outcome, expected, "{state}");
        if CARD_WORKING.contains(&state) {
            // The patient is told the card stopped answering, not that they were too slow.
            assert_eq!(r.error.as_ref().unwrap().code, "CARD_TIMEOUT", "{state}");
            assert_eq!(left, SessionConfig::default().timeouts.card_operation, "{state}: the card operation's bound");
        } else if state != "consent" {
            assert_eq!(r.error.as_ref().unwrap().code, "TIMED_OUT", "{state}");
        }
        assert_eq!(rig.results.len(), 1, "{state}");
        // Then the take-card timeout: the kiosk is ready for the next patient.
        rig.advance(Duration::from_secs(31));
        assert_eq!(rig.prompt(), Prompt::PlaceCard, "{state}");
        assert_eq!(rig.signals.last(), Some(&Signal::Idle), "{state}");
    }
}

#[test]
fn a_photo_read_that_ends_gives_the_face_check_its_own_time_back() {
    let mut rig = reach("face");
    let face_left = rig.engine.time_left(rig.now().mono).unwrap();
    rig.hold_card_ops = true;
    rig.cmd(Command::FaceReference { collation_b: collation() }).unwrap();
    assert_eq!(rig.engine.time_left(rig.now().mono), Some(SessionConfig::default().timeouts.card_operation));
    // The card answers after 2 s: the face check goes on with what it had left.
    rig.advance(Duration::from_secs(2));
    rig.hold_card_ops = false;
    rig.release_held();
    assert_eq!(rig.photos.len(), 1);
    assert_eq!(rig.engine.time_left(rig.now().mono), Some(face_left - Duration::from_secs(2)));
}

/// A worn card that stops answering or answers nonsense from any APDU of a PIN or face
/// check-in on: each session ends with a result and guidance, never as verified from a
/// broken answer, and the next card checks in.
#[test]
fn a_card_that_goes_mute_or_talks_garbage_at_any_apdu_ends_cleanly() {
    for kind in [FaultKind::Mute, FaultKind::Garbage] {
        for method in [Method::Pin, Method::Face] {
            let mut rig = Rig::default();
            for after_apdus in 0..40 {
                let fault = Some(Fault { after_apdus, kind });
                let card = VirtualCard::with_options(
                    Profile::Valid,
                    CardOptions { now: rig.wall, fault, ..Default::default() },
                );
                let log = card.log();
                let before = rig.results.len();
                rig.tap_card(card);
                let _ = rig.method(method);
                if method == Method::Face {
                    let _ = rig.cmd(Command::FaceReference { collation_b: collation() });
                    if !rig.photos.is_empty() {
                        let _ = rig.cmd(Command::FaceVerdict { matched: true, score: Some(0.9) });
                    }
                } else {
                    let _ = rig.pin("1234", false);
                }
                let _ = rig.cmd(Command::Consent(ConsentAnswer::All { all: true }));
                // Whatever is still waiting ends at its deadline.
                rig.advance(Duration::from_secs(120));
                assert_eq!(rig.results.len(), before + 1, "{kind:?} {method:?} after {after_apdus}: one result");
                let r = rig.last().clone();
                let sent = log.len();
                if r.outcome == Outcome::Verified {
                    assert!(sent <= after_apdus, "{kind:?} {method:?}: verified with a broken answer at {after_apdus}");
                } else {
                    let code = &r.error.as_ref().or(r.guidance.last()).expect("a reason for the patient").code;
                    assert!(!code.is_empty(), "{kind:?} {method:?} after {after_apdus}: {r:?}");
                    assert!(r.auth.is_none() || r.outcome != Outcome::Failed, "{r:?}");
                }
                rig.photos.clear();
                rig.remove();
            }
            // The next, healthy card checks in as usual.
            rig.tap(Profile::Valid);
            rig.method(Method::Pin).unwrap();
            rig.pin("1234", false).unwrap();
            rig.consent_all(true);
            assert_eq!(rig.last().outcome, Outcome::Verified, "{kind:?} {method:?}: the next card");
        }
    }
}

#[test]
fn configured_timeouts_are_used() {
    let mut cfg = SessionConfig::default();
    cfg.timeouts.pin_entry = Duration::from_secs(5);
    let mut rig = Rig::new(cfg);
    rig.tap(Profile::Valid);
    rig.method(Method::Pin).unwrap();
    assert_eq!(rig.engine.view(rig.now().mono).deadline_ms, Some(5_000));
    rig.advance(Duration::from_secs(5));
    assert_eq!(rig.last().outcome, Outcome::TimedOut);
}

#[test]
fn removal_in_every_state_ends_as_card_removed() {
    for state in WAITING {
        let mut rig = reach(state);
        rig.remove();
        let r = rig.last();
        assert_eq!(r.outcome, Outcome::CardRemoved, "{state}");
        assert_eq!(r.error.as_ref().unwrap().code, "CARD_REMOVED", "{state}");
        assert_eq!(rig.prompt(), Prompt::PlaceCard, "{state}");
        assert_eq!(rig.results.len(), 1, "{state}");
        // A card answer arriving after the removal changes nothing.
        rig.hold_card_ops = false;
        rig.tap(Profile::Valid);
        assert!(matches!(rig.prompt(), Prompt::ChooseMethod { .. }), "{state}: the next card checks in");
    }
}

#[test]
fn removal_during_a_card_operation_is_card_removed() {
    // The card leaves after 6 APDUs: in the middle of reading the certificate.
    let mut rig = Rig::default();
    let card = VirtualCard::with_options(
        Profile::Valid,
        CardOptions { now: rig.wall, remove_after_apdus: Some(6), extended_length: false, ..Default::default() },
    );
    rig.tap_card(card);
    assert_eq!(rig.last().outcome, Outcome::CardRemoved);
    assert_eq!(rig.prompt(), Prompt::PlaceCard);
}

#[test]
fn cancel_from_every_state() {
    for state in WAITING {
        let mut rig = reach(state);
        rig.cmd(Command::Cancel).unwrap();
        assert_eq!(rig.last().outcome, Outcome::Cancelled, "{state}");
        assert!(matches!(rig.prompt(), Prompt::TakeCard { outcome: Outcome::Cancelled }));
        assert_eq!(rig.cmd(Command::Cancel), Err(Refusal::NotWaiting("cancel")));
    }
    // Idle, there is no session to name: a cancel for any session is for another one.
    let mut idle = Rig::default();
    assert_eq!(idle.cmd_for(Some("s-gone".into()), Command::Cancel), Err(Refusal::SessionMismatch));
    assert_eq!(idle.cmd(Command::Cancel), Err(Refusal::SessionRequired));
}

#[test]
fn a_command_for_another_session_changes_nothing() {
    let mut rig = reach("choose");
    let own = rig.engine.session_id().map(str::to_string);
    for cmd in [Command::Cancel, Command::ChooseMethod(Method::Pin), Command::Challenge(vec![7; 32])] {
        assert_eq!(rig.cmd_for(Some("s-earlier".into()), cmd), Err(Refusal::SessionMismatch));
    }
    assert_eq!(rig.cmd_for(None, Command::Cancel), Err(Refusal::SessionRequired));
    assert!(matches!(rig.prompt(), Prompt::ChooseMethod { .. }));
    assert_eq!(rig.engine.session_id().map(str::to_string), own);
    assert!(rig.results.is_empty());
}

#[test]
fn commands_out_of_turn_are_refused_without_touching_the_card() {
    let mut rig = reach("choose");
    let before = rig.slot.with_card(|c| c.log().len()).unwrap();
    assert_eq!(rig.pin("1234", false), Err(Refusal::NotWaiting("pin")));
    assert_eq!(rig.cmd(Command::Consent(ConsentAnswer::All { all: true })), Err(Refusal::NotWaiting("consent")));
    assert_eq!(rig.cmd(Command::Visual { confirmed: true, staff_id: "x".into() }), Err(Refusal::NotWaiting("visual")));
    assert_eq!(rig.slot.with_card(|c| c.log().len()).unwrap(), before);
}

#[test]
fn the_view_lists_the_allowed_actions() {
    let rig = reach("pin");
    let view = rig.engine.view(rig.now().mono);
    assert_eq!(view.allowed_actions, ["pin", "cancel", "extend", "challenge"]);
    assert_eq!(view.pin_tries_left, Some(3));
    assert_eq!(view.id.as_deref(), Some("s1"));
    assert_eq!(view.card.unwrap().certificate.unwrap().status, "valid");
}

#[test]
fn a_second_card_without_a_removal_closes_the_first_session() {
    let mut rig = reach("pin");
    rig.tap(Profile::Valid);
    assert_eq!(rig.results.len(), 1);
    assert_eq!(rig.last().outcome, Outcome::CardRemoved);
    assert_eq!(rig.engine.session_id(), Some("s2"));
}

#[test]
fn no_secret_reaches_a_log_or_a_result() {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    const PIN: &str = "7359";
    const WRONG: &str = "8264";
    const COLLATION: &str = "61073120351357";
    let mut rig = Rig::default();
    tracing::subscriber::with_default(subscriber, || {
        let card = VirtualCard::with_options(
            Profile::Valid,
            CardOptions { now: rig.wall, pin: PIN.into(), collation_b: COLLATION.into(), ..Default::default() },
        );
        rig.tap_card(card);
        rig.method(Method::Face).unwrap();
        rig.cmd(Command::FaceReference { collation_b: CollationB::parse(COLLATION).unwrap() }).unwrap();
        for _ in 0..3 {
            rig.cmd(Command::FaceVerdict { matched: false, score: None }).unwrap();
        }
        rig.method(Method::Pin).unwrap();
        rig.pin(WRONG, false).unwrap();
        rig.pin(PIN, false).unwrap();
        rig.consent_all(true);
        tracing::debug!(view = ?rig.engine.view(rig.now().mono), "final view");
    });
    assert_eq!(rig.last().outcome, Outcome::Verified);
    assert_eq!(rig.photos.len(), 1, "the photo went to the face module");
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("final view"), "the capture works");
    let results = serde_json::to_string(&rig.results).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let photo_b64 = b64.encode(TEST_PHOTO_JP2);
    for haystack in [&logs, &results] {
        for secret in [PIN, WRONG, COLLATION, &photo_b64[..40], &hex::encode(&TEST_PHOTO_JP2[..32])] {
            assert!(!haystack.contains(secret), "secret {secret} leaked");
        }
        assert!(!haystack.as_bytes().windows(32).any(|w| w == &TEST_PHOTO_JP2[..32]));
    }
}

#[test]
fn a_late_answer_from_an_ended_session_does_not_touch_the_next() {
    use myna_card::jpki::JpkiError;
    use myna_card::transport::TransportError;
    use myna_kiosk::card_check::CheckError;
    use myna_kiosk::session::CardAnswer;
    let mut rig = reach("reading");
    rig.remove();
    rig.hold_card_ops = false;
    rig.tap(Profile::Valid);
    assert!(matches!(rig.prompt(), Prompt::ChooseMethod { .. }));
    // The first session's check finally fails because its card left.
    let late = CardAnswer::Checked(Err(CheckError::Card(JpkiError::Transport(TransportError::CardRemoved))));
    rig.event(Event::Card { session: Some("s1".into()), answer: late }).unwrap();
    assert!(matches!(rig.prompt(), Prompt::ChooseMethod { .. }));
    assert_eq!(rig.engine.session_id(), Some("s2"));
    assert_eq!(rig.results.len(), 1);
}

/// Review finding 7: whatever ends the session while the photo is being read (cancel, the
/// card operation's timeout, removal) answers the waiting face/reference once, with why; the
/// photo that comes late is never handed out.
#[test]
fn a_session_that_ends_during_the_photo_read_answers_the_face_reference_once() {
    type End = fn(&mut Rig);
    let ends: [(&str, End, &str); 3] = [
        ("cancel", |r| r.cmd(Command::Cancel).unwrap(), "CANCELLED"),
        ("timeout", |r| r.advance(SessionConfig::default().timeouts.card_operation), "CARD_TIMEOUT"),
        ("removal", |r| r.remove(), "CARD_REMOVED"),
    ];
    for (what, end, code) in ends {
        let mut rig = reach("face");
        rig.hold_card_ops = true;
        rig.cmd(Command::FaceReference { collation_b: collation() }).unwrap();
        assert!(rig.photo_refusals.is_empty(), "{what}");
        end(&mut rig);
        assert_eq!(rig.photo_refusals, [code], "{what}");
        assert_eq!(rig.results.len(), 1, "{what}");
        // The card answers late: dropped, nobody is answered twice.
        rig.hold_card_ops = false;
        rig.release_held();
        assert!(rig.photos.is_empty(), "{what}: a late photo was handed out");
        assert_eq!(rig.photo_refusals.len(), 1, "{what}");
    }
}
