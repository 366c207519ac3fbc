//! Certificate edge cases through the session engine with the virtual card: the grace period's
//! last day, a certificate not yet valid (the kiosk's clock), a card with no user-authentication
//! certificate.

mod engine_rig;

use chrono::TimeDelta;
use engine_rig::Rig;
use myna_api::proto::{Method, Outcome, Prompt};
use myna_kiosk::session::Command;
use myna_virtual_card::Profile;

#[test]
fn grace_names_its_last_day_in_the_notice_and_the_certificate_info() {
    let mut rig = Rig::default();
    // The rig's day is 2026-11-23 (JST); the grace profile expired 20 days before: 2026-11-03.
    rig.tap(Profile::Grace);
    let view = rig.engine.view(rig.start);
    let cert = view.card.unwrap().certificate.unwrap();
    assert_eq!(cert.grace_until.as_deref(), Some("2027-02-28"), "end of the third month after November");
    let grace = view.notices.iter().find(|n| n.code == "CERT_GRACE").expect("grace notice");
    assert!(grace.ja.contains("2027年2月28日まで"), "{}", grace.ja);
    assert!(grace.en.contains("until 28 February 2027"), "{}", grace.en);
}

#[test]
fn a_phone_has_no_grace_until() {
    let mut rig = Rig::default();
    rig.tap(Profile::Iphone);
    let cert = rig.engine.view(rig.start).card.unwrap().certificate.unwrap();
    assert_eq!(cert.grace_until, None);
}

#[test]
fn a_certificate_not_yet_valid_puts_the_kiosk_out_of_service() {
    let mut rig = Rig::default();
    // The kiosk's clock is a year behind the certificate's issue.
    let wall = rig.wall;
    rig.tap_with(Profile::Valid, |o| o.now = wall + TimeDelta::days(3 * 365));
    assert_eq!(rig.last().error.as_ref().unwrap().code, "CERT_NOT_YET_VALID");
    rig.remove();
    assert_eq!(rig.prompt(), Prompt::OutOfService);
    assert_eq!(rig.notice_codes(), ["CERT_NOT_YET_VALID"]);
    // The next card is still read: once the clock is right, the kiosk is back by itself.
    rig.tap(Profile::Valid);
    assert_eq!(rig.prompt(), Prompt::ChooseMethod { methods: vec![Method::Pin, Method::Face] });
    rig.cmd(Command::Cancel).unwrap();
    rig.remove();
    assert_eq!(rig.prompt(), Prompt::PlaceCard);
}

#[test]
fn a_card_without_a_user_auth_certificate_is_sent_to_the_municipal_office() {
    let mut rig = Rig::default();
    // An erased EF 000A: only FF filler where the certificate would be.
    rig.tap_with(Profile::Valid, |o| o.auth_cert_override = Some(vec![0xFF; 64]));
    assert_eq!(rig.last().outcome, Outcome::Failed);
    let error = rig.last().error.clone().unwrap();
    assert_eq!(error.code, "CERT_NOT_ISSUED");
    assert!(error.ja.contains("市区町村"), "{}", error.ja);
}
