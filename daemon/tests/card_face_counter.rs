//! The card-face application's own counter (照合番号B, 10 tries that survive across sessions
//! and clinics) through the session engine with the virtual card: misreads are capped per
//! session, the counter is read before any VERIFY and a card with few tries left is not
//! touched, a card without a photo ends the face path. What is counted is what reached the card.

mod engine_rig;

use engine_rig::Rig;
use myna_api::proto::{Method, Prompt};
use myna_kiosk::session::{Command, Refusal, SessionConfig};
use myna_virtual_card::{Profile, DEFAULT_COLLATION_B};

const MISREAD: &str = "55010120349999";

fn at_face(rig: &mut Rig) {
    rig.cmd(Command::ChooseMethod(Method::Face)).unwrap();
    assert!(matches!(rig.prompt(), Prompt::FaceCheck { .. }));
}

#[test]
fn a_module_that_keeps_misreading_sends_at_most_two_wrong_ones_to_the_card() {
    let mut rig = Rig::default();
    rig.tap(Profile::Valid);
    at_face(&mut rig);
    rig.face_reference(MISREAD).unwrap();
    assert_eq!(rig.photo_refusals, ["COLLATION_B_RETRY"], "the first misread may be retried");
    rig.face_reference(MISREAD).unwrap();
    // The second ends the face path: PIN or staff instead.
    assert_eq!(rig.photo_refusals, ["COLLATION_B_RETRY", "COLLATION_B_MISREADS"]);
    assert_eq!(rig.prompt(), Prompt::ChooseMethod { methods: vec![Method::Pin, Method::Visual] });
    for _ in 0..5 {
        assert_eq!(rig.face_reference(MISREAD), Err(Refusal::NotWaiting("face/reference")));
    }
    assert_eq!(rig.verifies(), 2, "wrong 照合番号B that reached the card");
    let card = rig.take_card();
    // The card kept count: 8 of its 10 tries are left, for the next clinic too.
    let mut rig = Rig::default();
    rig.retap(card);
    at_face(&mut rig);
    rig.face_reference(DEFAULT_COLLATION_B).unwrap();
    assert_eq!(rig.photos.len(), 1);
}

#[test]
fn the_misread_limit_is_configurable() {
    let mut rig = Rig::new(SessionConfig { collation_b_misreads: 1, ..SessionConfig::default() });
    rig.tap(Profile::Valid);
    at_face(&mut rig);
    rig.face_reference(MISREAD).unwrap();
    assert_eq!(rig.photo_refusals, ["COLLATION_B_MISREADS"]);
    assert_eq!(rig.verifies(), 1);
}

#[test]
fn few_tries_left_on_the_card_face_means_no_verify_at_all() {
    // Sessions at other clinics left 5 tries: the kiosk keeps them (default reserve 5).
    let mut rig = Rig::default();
    rig.tap_with(Profile::Valid, |o| o.collation_b_tries = 5);
    at_face(&mut rig);
    rig.face_reference(DEFAULT_COLLATION_B).unwrap();
    assert_eq!(rig.photo_refusals, ["COLLATION_B_TRIES_LOW"]);
    assert_eq!(rig.photos.len(), 0);
    assert_eq!(rig.verifies(), 0, "no 照合番号B was sent to the card");
    assert_eq!(rig.prompt(), Prompt::ChooseMethod { methods: vec![Method::Pin, Method::Visual] });
    // The counter itself was read (an empty VERIFY spends nothing).
    assert!(rig.apdus().iter().any(|a| a[1] == 0x20 && a.len() == 4));

    // One more try left than the reserve: the photo is read.
    let mut rig = Rig::default();
    rig.tap_with(Profile::Valid, |o| o.collation_b_tries = 6);
    at_face(&mut rig);
    rig.face_reference(DEFAULT_COLLATION_B).unwrap();
    assert_eq!((rig.photos.len(), rig.photo_refusals.len()), (1, 0));
}

#[test]
fn a_card_without_a_photo_ends_the_face_path_and_offers_pin_or_staff() {
    let mut rig = Rig::default();
    rig.tap_with(Profile::Valid, |o| o.no_face_photo = true);
    at_face(&mut rig);
    rig.face_reference(DEFAULT_COLLATION_B).unwrap();
    assert_eq!(rig.photo_refusals, ["FACE_PHOTO_MISSING"]);
    assert_eq!(rig.prompt(), Prompt::ChooseMethod { methods: vec![Method::Pin, Method::Visual] });
    assert!(rig.notice_codes().contains(&"FACE_PHOTO_MISSING".to_string()));
}
