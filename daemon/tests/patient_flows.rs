//! What the patient is told and offered on the paths issue 17 is about, through the session
//! engine with the virtual card: the reader going away, consent as the national flow asks it,
//! the staff check only where it belongs, the lock guidance per offered method, more time.

mod engine_rig;

use myna_api::proto::{ConsentAnswer, ConsentItem, Method, Outcome, PrescriptionForm, Prompt, SessionAction};
use myna_indicator::Signal;
use myna_kiosk::session::{Command, Event, Refusal, SessionConfig};
use myna_virtual_card::Profile;

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
        let mut rig =
            asked(&[ConsentItem::Medication, ConsentItem::ElectronicPrescription, ConsentItem::LimitAmount]);
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
