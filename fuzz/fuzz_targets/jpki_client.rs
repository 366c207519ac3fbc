//! The JPKI client and the daemon's card worker against a card whose every answer comes from
//! the fuzzer: identify, read and check the certificate, the PIN counter, VERIFY + SIGN, and
//! the card-face record behind 照合番号B, exactly as a session runs them; then the session
//! engine takes the worker's answers (certificate facts, signature, photo) into its view and
//! its result, as the driver feeds them.
#![no_main]

use std::collections::VecDeque;
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use myna_api::proto::{ConsentAnswer, Method};
use myna_card::jpki::{CertSlot, JpkiClient};
use myna_card::secret::{CollationB, Pin};
use myna_kiosk::card_worker::CardWorker;
use myna_kiosk::session::{Action, CardOp, Command, Engine, Event, Now, SessionConfig};
use myna_kiosk_fuzz::{
    assert_not_shown, fixed_now, selects_text_input_helper, Script, ScriptedCard, FUZZ_COLLATION_B, FUZZ_PIN,
};
use myna_virtual_card::test_trust_anchors;

fuzz_target!(|data: &[u8]| {
    let script = Script::parse(data);
    let anchors = test_trust_anchors();
    let now = fixed_now();

    // The daemon's path: one worker, the operations of a session in order, one card.
    let card = ScriptedCard::new(script.clone());
    let mut worker = CardWorker::new(card.clone(), anchors.clone());
    // `secret_holders`: Debug of what carries a secret and of the errors next to it (any
    // secret there is a leak). `shown`: everything else too, certificate text included, where
    // a 4-digit PIN could turn up by chance (a serial in hex) but 14 digits cannot.
    let mut secret_holders = String::new();
    let mut shown = String::new();
    for op in [
        CardOp::Check,
        CardOp::VerifyPinAndSign {
            pin: Pin::parse(FUZZ_PIN).unwrap(),
            challenge: Some(vec![0xC5; 32]),
            read_certificate: None,
        },
        CardOp::ReadPhoto { collation_b: CollationB::parse(FUZZ_COLLATION_B).unwrap(), reserve: 5 },
        CardOp::Release,
    ] {
        secret_holders += &format!("{op:?}");
        if let Some(answer) = worker.perform(op, now) {
            shown += &format!("{answer:?}");
        }
    }

    // The session engine on the same answers: a PIN session (flags bit 1 clear) or a face one.
    let now_at = Now { mono: Instant::now(), wall: now };
    let mut engine = Engine::new(SessionConfig::default());
    let engine_card = ScriptedCard::new(script.clone());
    let mut worker = CardWorker::new(engine_card.clone(), test_trust_anchors());
    let pin_flow = data.first().is_some_and(|f| f & 2 == 0);
    let mut commands: VecDeque<Command> = if pin_flow {
        VecDeque::from([
            Command::Challenge(vec![0x3C; 32]),
            Command::ChooseMethod(Method::Pin),
            Command::SubmitPin { pin: Pin::parse(FUZZ_PIN).unwrap(), confirm_last_try: true },
            Command::Consent(ConsentAnswer::All { all: true }),
        ])
    } else {
        VecDeque::from([
            Command::ChooseMethod(Method::Face),
            Command::FaceReference { collation_b: CollationB::parse(FUZZ_COLLATION_B).unwrap() },
            Command::FaceVerdict { matched: true, score: Some(0.9) },
            Command::Consent(ConsentAnswer::All { all: true }),
        ])
    };
    let mut events = VecDeque::from([Event::CardInserted { session_id: "s-fuzz".into() }]);
    let mut steps = 0;
    while steps < 32 {
        steps += 1;
        let event = match events.pop_front() {
            Some(e) => e,
            None => match commands.pop_front() {
                Some(c) => {
                    secret_holders += &format!("{c:?}");
                    Event::Command { session: Some("s-fuzz".into()), command: c }
                }
                None => break,
            },
        };
        let Ok(actions) = engine.handle(event, now_at) else { continue };
        for action in actions {
            match action {
                Action::Card(op) => {
                    secret_holders += &format!("{op:?}");
                    if let Some(answer) = worker.perform(op, now) {
                        shown += &format!("{answer:?}");
                        events.push_back(Event::Card { session: engine.session_id().map(str::to_string), answer });
                    }
                }
                Action::Record(result) => {
                    shown += &serde_json::to_string(&result).expect("results serialise");
                }
                Action::PhotoReady(photo) => shown += &format!("{photo:?}"),
                Action::PhotoRefused(n) => shown += &serde_json::to_string(&n).expect("notices serialise"),
                Action::Signal(_) | Action::Changed => {}
            }
        }
        shown += &serde_json::to_string(&engine.view(now_at.mono)).expect("views serialise");
    }
    let _ = engine.handle(Event::CardRemoved, now_at);

    // The client's other public reads, on a fresh replay of the same answers.
    let mut client = JpkiClient::new(ScriptedCard::new(script));
    let kind = client.identify();
    let ca = client.read_certificate(CertSlot::UserAuthCa);
    shown += &format!("{kind:?}{ca:?}");
    if let Ok(der) = ca {
        assert!(der.len() <= myna_card::jpki::MAX_CERT_LEN);
    }
    let pin = client.pin_status();
    let verify = client.verify_pin(&Pin::parse(FUZZ_PIN).unwrap());
    let sign = client.sign_digest_info(&[0x30, 0x31, 0x30, 0x0D]);
    let photo = client
        .read_face_photo(&CollationB::parse(FUZZ_COLLATION_B).unwrap(), anchors.face_cas(), &[0u8; 32])
        .map(|read| read.photo);
    shown += &format!("{pin:?}{sign:?}{photo:?}");
    secret_holders += &format!("{verify:?}");
    if let Ok(photo) = photo {
        assert!(photo.len() <= myna_card::jpki::MAX_FACE_RECORD_LEN);
    }
    if let Err(e) = &verify {
        secret_holders += &e.to_string();
    }

    // Secrets never reach a Debug or error text; the 個人番号 AP is never selected.
    assert_not_shown(&secret_holders, FUZZ_PIN, data);
    assert_not_shown(&secret_holders, FUZZ_COLLATION_B, data);
    assert_not_shown(&shown, FUZZ_COLLATION_B, data);
    for apdu in card.sent().iter().chain(&engine_card.sent()).chain(&client.transport().sent()) {
        assert!(!selects_text_input_helper(apdu), "selected the 個人番号 AP");
    }
});
