//! Phones and unusual tokens through the session engine with the virtual card: the Android
//! order (PIN counter → PIN → VERIFY → certificate → SIGN), the iPhone authorised in its wallet
//! (no PIN, no VERIFY), no face or staff for a phone, no grace for a phone, an unknown token
//! label. Assertions are on what the patient sees, what reception receives and what reached the
//! card.

mod engine_rig;

use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use engine_rig::Rig;
use myna_api::proto::{AuthEvidence, ConsentAnswer, Method, Outcome, Prompt};
use myna_card::cert::Certificate;
use myna_kiosk::session::{Command, Refusal};
use myna_virtual_card::Profile;

fn is_verify_with_data(a: &[u8]) -> bool {
    a[1] == 0x20 && a.len() > 5
}

fn position(apdus: &[Vec<u8>], what: impl Fn(&[u8]) -> bool) -> usize {
    apdus.iter().position(|a| what(a)).expect("the APDU was sent")
}

fn selects_ef(fid: u16) -> impl Fn(&[u8]) -> bool {
    move |a: &[u8]| a[1] == 0xA4 && a[2] == 0x02 && a.len() >= 7 && a[5..7] == fid.to_be_bytes()
}

#[test]
fn android_reads_its_certificate_only_after_its_own_pin() {
    let mut rig = Rig::default();
    rig.tap(Profile::Android);
    // Straight to the PIN (no face, no staff for a phone), saying it is the phone's own PIN.
    assert_eq!(rig.prompt(), Prompt::EnterPin { tries_left: 3, last_try: false });
    assert!(rig.notice_codes().contains(&"PHONE_PIN".to_string()), "{:?}", rig.notice_codes());
    assert_eq!(rig.cmd(Command::ChooseMethod(Method::Face)), Err(Refusal::NotWaiting("method")));
    // Nothing has asked for the certificate yet: the view has the kind but no certificate.
    let card = rig.engine.view(rig.start).card.unwrap();
    assert_eq!((card.kind.as_str(), card.certificate.is_none()), ("android", true));
    assert!(!rig.apdus().iter().any(|a| selects_ef(0x000A)(a)), "000A selected before the PIN");

    rig.pin("1234", true).unwrap();
    rig.cmd(Command::Consent(ConsentAnswer::All { all: true })).unwrap();
    let r = rig.last().clone();
    assert_eq!(r.outcome, Outcome::Verified, "{:?}", r.error);
    let cert_info = r.card.as_ref().unwrap().certificate.clone().expect("certificate read after VERIFY");
    let AuthEvidence::Pin { challenge, signature } = r.auth.unwrap() else { panic!("PIN evidence") };
    let b64 = base64::engine::general_purpose::STANDARD;
    let cert = Certificate::from_der(&b64.decode(cert_info.der).unwrap()).unwrap();
    cert.verify_signature(&b64.decode(challenge).unwrap(), &b64.decode(signature).unwrap()).unwrap();

    // The order at the card: PIN counter, VERIFY, certificate, SIGN.
    let apdus = rig.apdus();
    let counter = position(&apdus, |a| a[1] == 0x20 && a.len() == 4);
    let verify = position(&apdus, is_verify_with_data);
    let cert_read = position(&apdus, selects_ef(0x000A));
    let sign = position(&apdus, |a| a[1] == 0x2A);
    assert!(counter < verify && verify < cert_read && cert_read < sign, "{counter} {verify} {cert_read} {sign}");
}

#[test]
fn a_wrong_phone_pin_asks_again_with_the_phone_pin_notice_and_a_locked_one_sends_to_the_card() {
    let mut rig = Rig::default();
    rig.tap(Profile::Android);
    rig.pin("9999", true).unwrap();
    assert_eq!(rig.prompt(), Prompt::EnterPin { tries_left: 2, last_try: false });
    assert_eq!(rig.notice_codes(), ["PIN_WRONG", "PHONE_PIN"]);
    rig.pin("9999", true).unwrap();
    rig.pin("9999", true).unwrap();
    // Locked: no face or staff check to fall back on for a phone; the card itself is the way.
    assert_eq!(rig.last().outcome, Outcome::Failed);
    assert_eq!(rig.last().error.as_ref().unwrap().code, "PHONE_PIN_LOCKED");
}

#[test]
fn an_authorised_iphone_checks_in_with_no_pin_and_no_verify() {
    let mut rig = Rig::default();
    rig.tap(Profile::Iphone);
    // No PIN pad: the card signed at once; the patient is at consent.
    assert!(matches!(rig.prompt(), Prompt::Consent { .. }), "{:?}", rig.prompt());
    assert_eq!(rig.pin("1234", true), Err(Refusal::NotWaiting("pin")));
    rig.cmd(Command::Consent(ConsentAnswer::All { all: true })).unwrap();
    let r = rig.last().clone();
    assert_eq!(r.outcome, Outcome::Verified, "{:?}", r.error);
    assert_eq!(r.card.as_ref().unwrap().kind, "iphone");
    // The signature over the challenge is the proof, by the certificate read from the phone.
    let cert_info = r.card.as_ref().unwrap().certificate.clone().unwrap();
    let AuthEvidence::Pin { challenge, signature } = r.auth.unwrap() else { panic!("signature evidence") };
    let b64 = base64::engine::general_purpose::STANDARD;
    let cert = Certificate::from_der(&b64.decode(cert_info.der).unwrap()).unwrap();
    cert.verify_signature(&b64.decode(challenge).unwrap(), &b64.decode(signature).unwrap()).unwrap();
    assert!(!rig.apdus().iter().any(|a| a[1] == 0x20), "a VERIFY reached the iPhone");
}

#[test]
fn an_iphone_not_authorised_is_told_to_authorise_and_tap_again() {
    let mut rig = Rig::default();
    rig.tap_with(Profile::Iphone, |o| o.wallet_authorised = false);
    assert_eq!(rig.prompt(), Prompt::TakeCard { outcome: Outcome::Failed });
    assert_eq!(rig.last().error.as_ref().unwrap().code, "PHONE_NOT_AUTHORISED");
    assert!(rig.notice_codes().contains(&"PHONE_NOT_AUTHORISED".to_string()));
    rig.remove();
    // Authorised now, tapped again: checked in.
    rig.tap(Profile::Iphone);
    rig.cmd(Command::Consent(ConsentAnswer::All { all: true })).unwrap();
    assert_eq!(rig.last().outcome, Outcome::Verified);
}

#[test]
fn an_expired_phone_certificate_gets_no_grace_and_its_own_guidance() {
    for profile in [Profile::Iphone, Profile::Android] {
        let mut rig = Rig::default();
        // Issued so that the certificate expired 20 days ago: a card would be in grace.
        rig.tap_with(profile, |o| o.now = rig_wall() - TimeDelta::days(365 * 3 + 20));
        if profile == Profile::Android {
            rig.pin("1234", true).unwrap();
        }
        assert_eq!(rig.last().outcome, Outcome::Failed, "{profile}");
        assert_eq!(rig.last().error.as_ref().unwrap().code, "PHONE_CERT_EXPIRED", "{profile}");
    }
    // The same dates on a card: grace, with its notice.
    let mut rig = Rig::default();
    rig.tap_with(Profile::Valid, |o| o.now = rig_wall() - TimeDelta::days(365 * 3 + 20));
    assert!(rig.notice_codes().contains(&"CERT_GRACE".to_string()), "{:?}", rig.notice_codes());
}

#[test]
fn an_unknown_token_label_is_treated_as_jpki_with_a_notice() {
    let mut rig = Rig::default();
    rig.tap_with(Profile::Valid, |o| o.token_label = Some("JPKIAPGPSETOKEN2".into()));
    assert_eq!(rig.prompt(), Prompt::EnterPin { tries_left: 3, last_try: false });
    assert!(rig.notice_codes().contains(&"UNKNOWN_TOKEN".to_string()), "{:?}", rig.notice_codes());
    rig.pin("1234", true).unwrap();
    rig.cmd(Command::Consent(ConsentAnswer::All { all: true })).unwrap();
    let r = rig.last();
    assert_eq!(r.outcome, Outcome::Verified);
    assert_eq!(r.card.as_ref().unwrap().kind, "unknown_jpki");
    assert!(r.guidance.iter().any(|g| g.code == "UNKNOWN_TOKEN"));
}

fn rig_wall() -> DateTime<Utc> {
    Rig::default().wall
}
