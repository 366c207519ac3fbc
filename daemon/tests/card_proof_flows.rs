//! What a result says the card proved, through the session engine and the card worker on the
//! virtual card: a genuine card face, a tampered photo and files copied onto another chip,
//! each ending in a face, PIN or staff check. The photo, the chip proof and the certificate
//! come over one connection, and the card's 個人番号 is never approached.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use myna_api::proto::{CardProof, ConsentAnswer, Method, Outcome, Prompt, ProofCheck, SessionResult};
use myna_card::jpki::{aid, ef};
use myna_card::secret::{CollationB, Pin};
use myna_card::transport::{CardTransport, TransportError};
use myna_kiosk::card_worker::{CardWorker, Connector};
use myna_kiosk::session::{Action, CardAnswer, CardOp, Command, Engine, Event, Now, SessionConfig, StaffCheck};
use myna_virtual_card::{
    test_trust_anchors, ApduLog, CardOptions, Profile, VirtualCard, VirtualSlot, DEFAULT_COLLATION_B, TEST_PHOTO_JP2,
};

/// The virtual slot, counting connections: photo and certificate must share one.
#[derive(Clone)]
struct Counted {
    slot: VirtualSlot,
    connects: Arc<AtomicUsize>,
}

impl Connector for Counted {
    fn connect(&mut self) -> Result<Box<dyn CardTransport + Send>, TransportError> {
        self.connects.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(self.slot.connect()?))
    }
}

struct Rig {
    engine: Engine,
    worker: CardWorker<Counted>,
    connector: Counted,
    log: ApduLog,
    start: Instant,
    wall: DateTime<Utc>,
    results: Vec<SessionResult>,
    photos: Vec<Vec<u8>>,
    refusals: Vec<String>,
}

impl Rig {
    /// A session started on a valid card with `options` (photo tampered, files copied).
    fn tap(options: CardOptions) -> Rig {
        let slot = VirtualSlot::new();
        let wall = DateTime::parse_from_rfc3339("2026-11-23T09:00:00+09:00").unwrap().with_timezone(&Utc);
        let card = VirtualCard::with_options(Profile::Valid, CardOptions { now: wall, ..options });
        let log = card.log();
        slot.tap(card);
        let connector = Counted { slot, connects: Arc::default() };
        let mut rig = Rig {
            // Staff offered from the first screen too: these tests end sessions by each method.
            engine: Engine::new(SessionConfig { staff_check: StaffCheck::Always, ..SessionConfig::default() }),
            worker: CardWorker::new(connector.clone(), test_trust_anchors()),
            connector,
            log,
            start: Instant::now(),
            wall,
            results: vec![],
            photos: vec![],
            refusals: vec![],
        };
        rig.event(Event::CardInserted { session_id: "s1".into() });
        assert_eq!(rig.prompt(), Prompt::ChooseMethod { methods: vec![Method::Pin, Method::Face, Method::Visual] });
        rig
    }

    fn now(&self) -> Now {
        Now { mono: self.start + Duration::from_secs(1), wall: self.wall }
    }

    fn event(&mut self, e: Event) {
        let actions = self.engine.handle(e, self.now()).unwrap();
        let mut queue: VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            match action {
                Action::Card(op) => {
                    if let Some(answer) = self.worker.perform(op, self.wall) {
                        let event = Event::Card { session: Some("s1".into()), answer };
                        queue.extend(self.engine.handle(event, self.now()).unwrap());
                    }
                }
                Action::Record(r) => self.results.push(*r),
                Action::PhotoReady(p) => self.photos.push(p.expose().to_vec()),
                Action::PhotoRefused(n) => self.refusals.push(n.code),
                Action::Signal(_) | Action::Changed => {}
            }
        }
    }

    fn cmd(&mut self, command: Command) {
        self.event(Event::Command { session: Some("s1".into()), command });
    }

    fn prompt(&self) -> Prompt {
        self.engine.view(self.now().mono).prompt
    }

    fn face_reference(&mut self) {
        self.cmd(Command::ChooseMethod(Method::Face));
        self.cmd(Command::FaceReference { collation_b: CollationB::parse(DEFAULT_COLLATION_B).unwrap() });
    }

    fn finish_with(&mut self, method: Method) -> SessionResult {
        match method {
            Method::Face => self.cmd(Command::FaceVerdict { matched: true, score: Some(0.98) }),
            Method::Pin => {
                self.cmd(Command::ChooseMethod(Method::Pin));
                self.cmd(Command::SubmitPin { pin: Pin::parse("1234").unwrap(), confirm_last_try: false });
            }
            Method::Visual => {
                self.cmd(Command::ChooseMethod(Method::Visual));
                self.cmd(Command::Visual { confirmed: true, staff_id: "nurse-7".into() });
            }
        }
        self.cmd(Command::Consent(ConsentAnswer::All { all: true }));
        let r = self.results.pop().expect("a result");
        assert_eq!(r.outcome, Outcome::Verified);
        r
    }

    /// Photo, chip proof and certificate on one connection; never 照合番号A, EF 0005 or the
    /// 入力補助AP.
    fn assert_one_card_and_no_my_number(&self) {
        assert_eq!(self.connector.connects.load(Ordering::SeqCst), 1, "one connection for the whole session");
        let entries = self.log.entries();
        for fid in [ef::FACE_MY_NUMBER, ef::FACE_COLLATION_A] {
            let select = [&[0x00, 0xA4, 0x02, 0x0C, 0x02][..], &fid.to_be_bytes()].concat();
            assert!(!entries.iter().any(|a| a.as_slice() == select.as_slice()), "selected EF {fid:04X}");
        }
        assert!(!self.log.selected_aids().iter().any(|a| a == aid::TEXT_INPUT_HELPER), "selected the 入力補助AP");
    }
}

fn proof(by: Method, pin: ProofCheck, chip: ProofCheck, photo: ProofCheck) -> CardProof {
    CardProof { holder_verified_by: Some(by), pin_signature: pin, chip_challenge: chip, photo_signature: photo }
}

use ProofCheck::{Failed, NotChecked, Verified};

#[test]
fn a_genuine_card_face_proves_photo_and_chip_in_the_face_result() {
    let mut rig = Rig::tap(CardOptions::default());
    rig.face_reference();
    assert_eq!(rig.photos, [TEST_PHOTO_JP2.to_vec()]);
    let r = rig.finish_with(Method::Face);
    assert_eq!(r.proof, proof(Method::Face, NotChecked, Verified, Verified));
    rig.assert_one_card_and_no_my_number();
}

#[test]
fn a_tampered_photo_never_reaches_the_face_module_and_a_staff_result_says_so() {
    let mut rig = Rig::tap(CardOptions { tampered_photo: true, ..CardOptions::default() });
    rig.face_reference();
    assert!(rig.photos.is_empty(), "a forged photo went to the face module");
    assert_eq!(rig.refusals, ["PHOTO_SIGNATURE_INVALID"]);
    // Face check is over for this card: PIN or staff.
    assert_eq!(rig.prompt(), Prompt::ChooseMethod { methods: vec![Method::Pin, Method::Visual] });
    let r = rig.finish_with(Method::Visual);
    assert_eq!(r.proof, proof(Method::Visual, NotChecked, NotChecked, Failed));
    assert!(r.guidance.iter().any(|g| g.code == "PHOTO_SIGNATURE_INVALID"));
    rig.assert_one_card_and_no_my_number();
}

#[test]
fn copied_files_on_another_chip_are_refused_and_a_pin_result_says_so() {
    let mut rig = Rig::tap(CardOptions { copied_chip: true, ..CardOptions::default() });
    rig.face_reference();
    assert!(rig.photos.is_empty(), "the photo of a copied card went to the face module");
    assert_eq!(rig.refusals, ["CARD_FACE_CHIP_FAILED"]);
    let r = rig.finish_with(Method::Pin);
    assert_eq!(r.proof, proof(Method::Pin, Verified, Failed, Verified));
    assert!(r.guidance.iter().any(|g| g.code == "CARD_FACE_CHIP_FAILED"));
    rig.assert_one_card_and_no_my_number();
}

#[test]
fn a_staff_check_alone_says_the_card_proved_nothing() {
    let mut rig = Rig::tap(CardOptions::default());
    let r = rig.finish_with(Method::Visual);
    assert_eq!(r.proof, proof(Method::Visual, NotChecked, NotChecked, NotChecked));
}

#[test]
fn a_failed_session_names_no_holder() {
    let mut rig = Rig::tap(CardOptions::default());
    rig.cmd(Command::Cancel);
    let r = rig.results.pop().unwrap();
    assert_eq!(r.outcome, Outcome::Cancelled);
    assert_eq!(r.proof, CardProof::default());
    assert_eq!(serde_json::to_value(r.proof).unwrap()["holder_verified_by"], serde_json::Value::Null);
}

#[test]
fn the_photo_is_never_read_on_a_connection_of_its_own() {
    // Without the session's check first there is no connection: the photo read must not open
    // one (it could be another card than the certificate came from).
    let connector = Counted { slot: VirtualSlot::new(), connects: Arc::default() };
    connector.slot.tap(VirtualCard::new(Profile::Valid));
    let mut worker = CardWorker::new(connector.clone(), test_trust_anchors());
    let op = CardOp::ReadPhoto { collation_b: CollationB::parse(DEFAULT_COLLATION_B).unwrap(), reserve: 5 };
    match worker.perform(op, Utc::now()) {
        Some(CardAnswer::Photo(Err(e))) => assert_eq!(e.to_string(), "the card was removed"),
        other => panic!("{other:?}"),
    }
    assert_eq!(connector.connects.load(Ordering::SeqCst), 0);
}
