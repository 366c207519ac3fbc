//! What the patient is told and offered on the paths issue 17 is about, through the session
//! engine with the virtual card: the reader going away, consent as the national flow asks it,
//! the staff check only where it belongs, the lock guidance per offered method, more time.

mod engine_rig;

use myna_api::proto::{ConsentAnswer, ConsentItem, Method, Outcome, PrescriptionForm, Prompt, SessionAction};
use myna_card::secret::CollationB;
use myna_indicator::Signal;
use myna_kiosk::session::{Command, Event, Refusal, SessionConfig, StaffCheck};
use myna_virtual_card::{Profile, DEFAULT_COLLATION_B};

use engine_rig::{items, Rig};

#[test]
fn the_reader_going_away_while_idle_puts_the_kiosk_out_of_service_until_it_is_back() {
    let mut rig = Rig::default();
    assert_eq!(rig.prompt(), Prompt::PlaceCard);
    rig.event(Event::ReaderGone).unwrap();
    assert_eq!(rig.prompt(), Prompt::OutOfService, "not \"place your card\" on a kiosk that cannot read one");
    assert_eq!(rig.notice_codes(), ["READER_UNAVAILABLE"]);
    assert_eq!(rig.signals.last(), Some(&Signal::Offline));
    assert!(rig.results.is_empty(), "no session, no result");

    rig.event(Event::ReaderReady).unwrap();
    assert_eq!(rig.prompt(), Prompt::PlaceCard);
    assert!(rig.notice_codes().is_empty());
    assert_eq!(rig.signals.last(), Some(&Signal::Idle));
    rig.tap(Profile::Valid);
    assert!(matches!(rig.prompt(), Prompt::ChooseMethod { .. }), "{:?}", rig.prompt());
}

#[test]
fn a_session_the_reader_loss_cuts_ends_with_the_readers_code_not_card_removed() {
    for step in ["choose_method", "enter_pin", "consent", "take_card"] {
        let mut rig = Rig::default();
        rig.tap(Profile::Valid);
        if step != "choose_method" {
            rig.method(Method::Pin).unwrap();
        }
        if step == "consent" || step == "take_card" {
            rig.pin("1234", false).unwrap();
        }
        if step == "take_card" {
            rig.consent_all(true);
        }
        let before = rig.results.len();
        rig.event(Event::ReaderGone).unwrap();
        // pcscd reports the card gone after the reader: it changes nothing more.
        rig.remove();
        assert_eq!(rig.prompt(), Prompt::OutOfService, "{step}");
        assert_eq!(rig.notice_codes(), ["READER_UNAVAILABLE"], "{step}");
        if step == "take_card" {
            assert_eq!(rig.results.len(), before, "a finished session keeps its result");
            continue;
        }
        assert_eq!(rig.results.len(), before + 1, "{step}");
        let r = rig.last();
        assert_eq!(r.outcome, Outcome::Failed, "{step}");
        assert_eq!(r.error.as_ref().map(|e| e.code.as_str()), Some("READER_UNAVAILABLE"), "{step}");
        assert!(r.error.as_ref().unwrap().ja.contains("資格情報のお知らせ"), "the patient is sent to the fallback");
        assert!(r.auth.is_none() || step == "consent", "{step}");
    }
}

#[test]
fn a_card_on_a_reader_back_from_the_dead_starts_a_session() {
    let mut rig = Rig::default();
    rig.event(Event::ReaderGone).unwrap();
    // A reader that comes back with a card already on it: the card's arrival is proof enough.
    rig.tap(Profile::Valid);
    assert!(matches!(rig.prompt(), Prompt::ChooseMethod { .. }), "{:?}", rig.prompt());
}

fn asked(items: &[ConsentItem]) -> Rig {
    let cfg = SessionConfig { consent_items: items.to_vec(), ..SessionConfig::default() };
    let mut rig = Rig::new(cfg);
    rig.tap(Profile::Valid);
    rig.method(Method::Pin).unwrap();
    rig.pin("1234", false).unwrap();
    rig
}

#[test]
fn consent_to_all_after_an_explicit_no_keeps_the_no() {
    let mut rig = asked(&[ConsentItem::Medication, ConsentItem::LimitAmount, ConsentItem::Diagnosis]);
    rig.cmd(Command::Consent(items(&[(ConsentItem::Medication, false)]))).unwrap();
    assert!(matches!(rig.prompt(), Prompt::Consent { item: ConsentItem::LimitAmount, index: 2, .. }));
    rig.consent_all(true);
    let r = rig.last();
    assert_eq!(r.outcome, Outcome::Verified);
    let c = &r.consent.as_ref().unwrap().items;
    assert!(!c[&ConsentItem::Medication], "the patient's いいえ stands: {c:?}");
    assert!(c[&ConsentItem::LimitAmount] && c[&ConsentItem::Diagnosis], "{c:?}");
}

#[test]
fn consent_to_all_never_chooses_the_prescription_form_which_is_a_choice() {
    for (form, electronic) in [(PrescriptionForm::Electronic, true), (PrescriptionForm::Paper, false)] {
        let mut rig = asked(&[ConsentItem::Medication, ConsentItem::ElectronicPrescription, ConsentItem::LimitAmount]);
        rig.consent_all(true);
        assert!(rig.results.is_empty(), "まとめて同意 does not answer the prescription form");
        match rig.prompt() {
            Prompt::Prescription { question_ja, choices, index, total, .. } => {
                assert_eq!(choices, [PrescriptionForm::Electronic, PrescriptionForm::Paper]);
                assert_eq!((index, total), (2, 3));
                assert!(!question_ja.contains("はい") && !question_ja.contains("いいえ"), "{question_ja}");
            }
            p => panic!("{p:?}"),
        }
        // The view offers the consent command for the choice, nothing else new.
        let view = rig.engine.view(rig.now().mono);
        assert!(view.allowed_actions.contains(&SessionAction::Consent), "{:?}", view.allowed_actions);
        rig.cmd(Command::Consent(ConsentAnswer::Prescription { prescription: form })).unwrap();
        let c = &rig.last().consent.as_ref().unwrap().items;
        assert_eq!(c[&ConsentItem::ElectronicPrescription], electronic, "{form:?}");
        assert!(c[&ConsentItem::Medication] && c[&ConsentItem::LimitAmount]);
    }

    // Declining everything leaves the prescription form to be chosen too.
    let mut rig = asked(&[ConsentItem::Medication, ConsentItem::ElectronicPrescription]);
    rig.consent_all(false);
    assert!(matches!(rig.prompt(), Prompt::Prescription { .. }), "{:?}", rig.prompt());

    // A prescription answer where the clinic does not ask it is refused.
    let mut rig = asked(&[ConsentItem::Medication]);
    let answer = ConsentAnswer::Prescription { prescription: PrescriptionForm::Paper };
    assert_eq!(rig.cmd(Command::Consent(answer)), Err(Refusal::NotAsked(ConsentItem::ElectronicPrescription)));
}

#[test]
fn the_prescription_answer_is_wire_shaped_as_documented() {
    let a: ConsentAnswer = serde_json::from_str(r#"{"prescription":"paper"}"#).unwrap();
    assert_eq!(a, ConsentAnswer::Prescription { prescription: PrescriptionForm::Paper });
    let a: ConsentAnswer = serde_json::from_str(r#"{"all":true}"#).unwrap();
    assert_eq!(a, ConsentAnswer::All { all: true });
    assert!(serde_json::from_str::<ConsentAnswer>(r#"{"prescription":"yes"}"#).is_err());
}

fn clinic(methods: &[Method], staff_check: StaffCheck) -> Rig {
    Rig::new(SessionConfig { methods: methods.to_vec(), staff_check, ..SessionConfig::default() })
}

const ALL_METHODS: [Method; 3] = [Method::Pin, Method::Face, Method::Visual];

fn methods_offered(rig: &Rig) -> Vec<Method> {
    match rig.prompt() {
        Prompt::ChooseMethod { methods } => methods,
        Prompt::EnterPin { .. } => vec![Method::Pin],
        Prompt::FaceCheck { .. } => vec![Method::Face],
        Prompt::StaffCheck => vec![Method::Visual],
        p => panic!("{p:?}"),
    }
}

#[test]
fn the_staff_check_is_offered_only_as_a_fallback_by_default() {
    assert_eq!(SessionConfig::default().staff_check, StaffCheck::Fallback);
    // A card whose PIN and face both work: no staff check on the first screen.
    let mut rig = clinic(&ALL_METHODS, StaffCheck::Fallback);
    rig.tap(Profile::Valid);
    assert_eq!(methods_offered(&rig), [Method::Pin, Method::Face]);
    // Offered always where the clinic says so.
    let mut rig = clinic(&ALL_METHODS, StaffCheck::Always);
    rig.tap(Profile::Valid);
    assert_eq!(methods_offered(&rig), ALL_METHODS);
    // A locked or absent PIN: face or staff.
    for profile in [Profile::PinLocked, Profile::NoPin] {
        let mut rig = clinic(&ALL_METHODS, StaffCheck::Fallback);
        rig.tap(profile);
        assert_eq!(methods_offered(&rig), [Method::Face, Method::Visual], "{profile}");
    }
    // A face check that failed: PIN or staff.
    let mut rig = clinic(&ALL_METHODS, StaffCheck::Fallback);
    rig.tap(Profile::Valid);
    rig.method(Method::Face).unwrap();
    rig.cmd(Command::FaceReference { collation_b: CollationB::parse(DEFAULT_COLLATION_B).unwrap() }).unwrap();
    for _ in 0..3 {
        rig.cmd(Command::FaceVerdict { matched: false, score: None }).unwrap();
    }
    assert_eq!(methods_offered(&rig), [Method::Pin, Method::Visual]);
    // A PIN that locks during the session: the staff check joins the face check.
    let mut rig = clinic(&ALL_METHODS, StaffCheck::Fallback);
    rig.tap(Profile::PinLastTry);
    rig.method(Method::Pin).unwrap();
    rig.pin("9999", true).unwrap();
    assert_eq!(methods_offered(&rig), [Method::Face, Method::Visual]);
    // A clinic with the PIN and the staff check: a working PIN goes straight to the PIN.
    let mut rig = clinic(&[Method::Pin, Method::Visual], StaffCheck::Fallback);
    rig.tap(Profile::Valid);
    assert_eq!(rig.prompt(), Prompt::EnterPin { tries_left: 3, last_try: false });
    // A clinic with the staff check only still checks patients in.
    let mut rig = clinic(&[Method::Visual], StaffCheck::Fallback);
    rig.tap(Profile::Valid);
    assert_eq!(rig.prompt(), Prompt::StaffCheck);
}

/// The lock guidance the patient reads once the PIN is locked on `profile` at this clinic.
fn lock_guidance(methods: &[Method], profile: Profile) -> String {
    let mut rig = clinic(methods, StaffCheck::Fallback);
    rig.tap(profile);
    if rig.engine.in_progress() && matches!(rig.prompt(), Prompt::EnterPin { .. }) {
        for wrong in ["9990", "9991", "9992"] {
            rig.pin(wrong, true).unwrap();
        }
    }
    let view = rig.engine.view(rig.now().mono);
    // A phone's own PIN has its own lock text (PHONE_PIN_LOCKED): the card's reset advice does
    // not apply to it.
    let locked = view
        .notices
        .iter()
        .chain(rig.results.iter().flat_map(|r| r.error.iter()))
        .find(|n| n.code == "PIN_LOCKED" || n.code == "PHONE_PIN_LOCKED");
    let locked = locked.unwrap_or_else(|| panic!("{profile}: {view:?} {:?}", rig.results));
    if locked.code == "PIN_LOCKED" {
        assert!(locked.ja.contains("市区町村"), "{}", locked.ja);
    }
    format!("{} / {}", locked.ja, locked.en)
}

#[test]
fn the_lock_guidance_names_only_the_methods_offered() {
    let text = lock_guidance(&ALL_METHODS, Profile::PinLocked);
    assert!(text.contains("顔認証か、職員による本人確認") && text.contains("face check, or a staff member"), "{text}");
    // A PIN-only clinic: nothing left but the desk, no promise of face or staff.
    let text = lock_guidance(&[Method::Pin], Profile::PinLocked);
    assert!(!text.contains("顔認証") && !text.contains("職員"), "{text}");
    assert!(text.contains("受付にお申し出ください"), "{text}");
    // PIN and staff: the staff check, not the face check.
    let text = lock_guidance(&[Method::Pin, Method::Visual], Profile::PinLocked);
    assert!(text.contains("職員") && !text.contains("顔認証"), "{text}");
    // A phone whose PIN locks: neither face nor staff works on a phone; the card itself does.
    let text = lock_guidance(&ALL_METHODS, Profile::Android);
    assert!(!text.contains("顔認証") && !text.contains("職員"), "a phone: {text}");
    assert!(text.contains("マイナンバーカード本体"), "a phone: {text}");
}

fn deadline_secs(rig: &Rig) -> u64 {
    rig.engine.view(rig.now().mono).deadline_ms.unwrap().div_ceil(1000)
}

fn allowed(rig: &Rig) -> Vec<SessionAction> {
    rig.engine.view(rig.now().mono).allowed_actions
}

#[test]
fn more_time_on_any_step_is_given_and_bounded() {
    use std::time::Duration;
    // Each waiting step: the extend action is offered and moves the deadline on.
    type Reach = fn(&mut Rig);
    let steps: [(&str, Reach, u64); 4] = [
        ("choose_method", |_| {}, 60),
        ("enter_pin", |r| r.method(Method::Pin).unwrap(), 60),
        ("face_check", |r| r.method(Method::Face).unwrap(), 90),
        (
            "consent",
            |r| {
                r.method(Method::Pin).unwrap();
                r.pin("1234", false).unwrap();
            },
            60,
        ),
    ];
    for (step, reach, secs) in steps {
        let mut rig = Rig::default();
        rig.tap(Profile::Valid);
        reach(&mut rig);
        rig.advance(Duration::from_secs(secs - 10));
        assert_eq!(deadline_secs(&rig), 10, "{step}");
        assert!(allowed(&rig).contains(&SessionAction::Extend), "{step}: {:?}", allowed(&rig));
        rig.cmd(Command::Extend).unwrap();
        assert_eq!(deadline_secs(&rig), 10 + secs, "{step}: one step's time more");
        // Past the old deadline the patient is still there.
        rig.advance(Duration::from_secs(secs));
        assert!(rig.results.is_empty(), "{step}: extended, not timed out");
        assert!(rig.engine.in_progress(), "{step}");
    }

    // Bounded: never more than twice the step's time ahead, and only EXTENSIONS times.
    let mut rig = Rig::default();
    rig.tap(Profile::Valid);
    rig.method(Method::Pin).unwrap();
    rig.cmd(Command::Extend).unwrap();
    assert_eq!(deadline_secs(&rig), 120, "60 s left + 60 s");
    rig.cmd(Command::Extend).unwrap();
    assert_eq!(deadline_secs(&rig), 120, "capped at twice the step's time from now");
    rig.cmd(Command::Extend).unwrap();
    assert_eq!(rig.cmd(Command::Extend), Err(Refusal::ExtendLimit));
    assert!(!allowed(&rig).contains(&SessionAction::Extend));
    // The patient who walked away still times out.
    rig.advance(Duration::from_secs(121));
    assert_eq!(rig.last().outcome, Outcome::TimedOut);

    // Not while the card works, and not once finished: the card's bound stays.
    let mut rig = Rig::default();
    rig.hold_card_ops = true;
    rig.tap(Profile::Valid);
    assert_eq!(rig.cmd(Command::Extend), Err(Refusal::NotWaiting("extend")));
    assert!(!allowed(&rig).contains(&SessionAction::Extend));
    let mut rig = Rig::default();
    rig.tap(Profile::Expired);
    assert_eq!(rig.cmd(Command::Extend), Err(Refusal::NotWaiting("extend")));
}

#[test]
fn the_grace_notice_says_until_when_the_card_works_and_what_is_not_shared() {
    let mut rig = Rig::default();
    rig.tap(Profile::Grace);
    let grace = rig.engine.view(rig.now().mono).notices.into_iter().find(|n| n.code == "CERT_GRACE").unwrap();
    let not_after = rig.engine.view(rig.now().mono).card.unwrap().certificate.unwrap().not_after;
    let not_after = chrono::DateTime::parse_from_rfc3339(&not_after).unwrap().with_timezone(&chrono::Utc);
    // The last second of the grace, on Japan's calendar.
    let last = (myna_card::cert::grace_end(not_after) - chrono::TimeDelta::seconds(1))
        .with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap());
    let ja_date = last.format("%Y年%-m月%-d日").to_string();
    assert!(grace.ja.contains(&format!("{ja_date}までは保険証として使えます")), "{}", grace.ja);
    assert!(grace.ja.contains("お薬"), "{}", grace.ja);
    assert!(grace.en.contains(&last.format("until %-d %B %Y").to_string()), "{}", grace.en);
    assert!(!grace.ja.contains('{') && !grace.en.contains('{'));
}
