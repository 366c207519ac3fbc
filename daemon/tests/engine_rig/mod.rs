//! The session engine with the virtual card in a slot and the time in hand: the rig the
//! engine-level flow tests share (session_flows, patient_flows, phone_flows, certificate_flows,
//! card_face_counter).

#![allow(dead_code)] // each test binary uses part of it

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use myna_api::proto::{ConsentAnswer, ConsentItem, Method, Prompt, SessionResult};
use myna_card::secret::{CollationB, Pin};
use myna_indicator::Signal;
use myna_kiosk::card_worker::CardWorker;
use myna_kiosk::session::{Action, Command, Engine, Event, Now, Refusal, SessionConfig};
use myna_virtual_card::{test_trust_anchors, CardOptions, Profile, VirtualCard, VirtualSlot};

pub struct Rig {
    pub engine: Engine,
    pub worker: CardWorker<VirtualSlot>,
    pub slot: VirtualSlot,
    pub start: Instant,
    pub elapsed: Duration,
    pub wall: DateTime<Utc>,
    pub signals: Vec<Signal>,
    pub results: Vec<SessionResult>,
    pub photos: Vec<Vec<u8>>,
    pub photo_refusals: Vec<String>,
    /// Card operations held back, to test timeouts and removal while the card works.
    pub hold_card_ops: bool,
    pub held: Vec<(Option<String>, myna_kiosk::session::CardOp)>,
    pub sessions: u32,
}

impl Rig {
    pub fn new(cfg: SessionConfig) -> Rig {
        let slot = VirtualSlot::new();
        Rig {
            engine: Engine::new(cfg),
            worker: CardWorker::new(slot.clone(), test_trust_anchors()),
            slot,
            start: Instant::now(),
            elapsed: Duration::ZERO,
            wall: DateTime::parse_from_rfc3339("2026-11-23T09:00:00+09:00").unwrap().with_timezone(&Utc),
            signals: vec![],
            results: vec![],
            photos: vec![],
            photo_refusals: vec![],
            hold_card_ops: false,
            held: vec![],
            sessions: 0,
        }
    }

    pub fn default() -> Rig {
        Rig::new(SessionConfig::default())
    }

    pub fn now(&self) -> Now {
        Now { mono: self.start + self.elapsed, wall: self.wall + chrono::TimeDelta::from_std(self.elapsed).unwrap() }
    }

    pub fn card(&self, profile: Profile) -> VirtualCard {
        VirtualCard::with_options(profile, CardOptions { now: self.wall, ..Default::default() })
    }

    pub fn perform(&mut self, actions: Vec<Action>) {
        let mut queue: VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            match action {
                Action::Card(op) => {
                    if self.hold_card_ops {
                        self.held.push((self.engine.session_id().map(str::to_string), op));
                        continue;
                    }
                    let session = self.engine.session_id().map(str::to_string);
                    if let Some(answer) = self.worker.perform(op, self.now().wall) {
                        let more = self.engine.handle(Event::Card { session, answer }, self.now()).unwrap();
                        queue.extend(more);
                    }
                }
                Action::Signal(s) => self.signals.push(s),
                Action::Record(r) => self.results.push(*r),
                Action::PhotoReady(p) => self.photos.push(p.expose().to_vec()),
                Action::PhotoRefused(n) => self.photo_refusals.push(n.code),
                Action::Changed => {}
            }
        }
    }

    /// The card finishes the operations held back: their answers reach the engine now.
    pub fn release_held(&mut self) {
        for (session, op) in std::mem::take(&mut self.held) {
            if let Some(answer) = self.worker.perform(op, self.now().wall) {
                let actions = self.engine.handle(Event::Card { session, answer }, self.now()).unwrap();
                self.perform(actions);
            }
        }
    }

    pub fn event(&mut self, e: Event) -> Result<(), Refusal> {
        let actions = self.engine.handle(e, self.now())?;
        self.perform(actions);
        Ok(())
    }

    pub fn tap(&mut self, profile: Profile) {
        let card = self.card(profile);
        self.tap_card(card);
    }

    pub fn tap_card(&mut self, card: VirtualCard) {
        self.slot.tap(card);
        self.sessions += 1;
        let id = format!("s{}", self.sessions);
        self.event(Event::CardInserted { session_id: id }).unwrap();
    }

    pub fn remove(&mut self) {
        self.slot.remove();
        self.event(Event::CardRemoved).unwrap();
    }

    /// `c` for the session in progress (or just finished), as the kiosk screen names it.
    pub fn cmd(&mut self, c: Command) -> Result<(), Refusal> {
        let session = self.engine.session_id().map(str::to_string);
        self.cmd_for(session, c)
    }

    /// `c` for the session `session` names (`None`: none named).
    pub fn cmd_for(&mut self, session: Option<String>, c: Command) -> Result<(), Refusal> {
        self.event(Event::Command { session, command: c })
    }

    pub fn advance(&mut self, d: Duration) {
        self.elapsed += d;
        self.event(Event::Tick).unwrap();
    }

    pub fn prompt(&self) -> Prompt {
        self.engine.view(self.now().mono).prompt
    }

    pub fn notice_codes(&self) -> Vec<String> {
        self.engine.view(self.now().mono).notices.into_iter().map(|n| n.code).collect()
    }

    pub fn pin(&mut self, pin: &str, confirm: bool) -> Result<(), Refusal> {
        self.cmd(Command::SubmitPin { pin: Pin::parse(pin).unwrap(), confirm_last_try: confirm })
    }

    pub fn method(&mut self, m: Method) -> Result<(), Refusal> {
        self.cmd(Command::ChooseMethod(m))
    }

    pub fn consent_all(&mut self, yes: bool) {
        self.cmd(Command::Consent(ConsentAnswer::All { all: yes })).unwrap();
    }

    pub fn last(&self) -> &SessionResult {
        self.results.last().expect("a result")
    }

    /// VERIFY commands with data the card received (each one a try spent or a success).
    pub fn verifies(&self) -> usize {
        self.apdus().iter().filter(|a| a[1] == 0x20 && a.len() > 5).count()
    }

    /// The APDUs the card received, in order (VERIFY data masked).
    pub fn apdus(&self) -> Vec<Vec<u8>> {
        self.slot.with_card(|c| c.log().entries()).unwrap_or_default()
    }

    /// Places `profile` with options `f` sets (certificate dates follow the rig's clock).
    pub fn tap_with(&mut self, profile: Profile, f: impl FnOnce(&mut CardOptions)) {
        let mut o = CardOptions { now: self.wall, ..Default::default() };
        f(&mut o);
        self.tap_card(VirtualCard::with_options(profile, o));
    }

    /// Takes the card off the reader and hands it back, its counters as they were left.
    pub fn take_card(&mut self) -> VirtualCard {
        let card = self.slot.remove().expect("a card on the reader");
        self.event(Event::CardRemoved).unwrap();
        card
    }

    /// Places a card taken earlier again (a later visit: its counters survive).
    pub fn retap(&mut self, mut card: VirtualCard) {
        card.reinsert();
        card.log().clear();
        self.tap_card(card);
    }

    /// The face module asks for the photo with `collation_b`.
    pub fn face_reference(&mut self, collation_b: &str) -> Result<(), Refusal> {
        self.cmd(Command::FaceReference { collation_b: CollationB::parse(collation_b).unwrap() })
    }
}

pub fn items(pairs: &[(ConsentItem, bool)]) -> ConsentAnswer {
    ConsentAnswer::Items(pairs.iter().copied().collect::<BTreeMap<_, _>>())
}
