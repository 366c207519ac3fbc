//! The session engine with the virtual card in process, for flow tests: the card operations
//! the engine asks for are performed at once by the card worker, results are collected.

#![allow(dead_code)] // each test binary uses part of it

use std::collections::VecDeque;
use std::time::Instant;

use chrono::{DateTime, Utc};
use myna_api::proto::{Prompt, SessionResult};
use myna_card::secret::{CollationB, Pin};
use myna_kiosk::card_worker::CardWorker;
use myna_kiosk::session::{Action, Command, Engine, Event, Now, Refusal, SessionConfig};
use myna_virtual_card::{test_trust_anchors, CardOptions, Profile, VirtualCard, VirtualSlot};

pub struct Rig {
    pub engine: Engine,
    worker: CardWorker<VirtualSlot>,
    pub slot: VirtualSlot,
    pub start: Instant,
    pub wall: DateTime<Utc>,
    pub results: Vec<SessionResult>,
    /// Codes of the refusals the face module was sent, and how many photos it got.
    pub photo_refusals: Vec<String>,
    pub photos: usize,
    sessions: u32,
}

impl Rig {
    pub fn new() -> Rig {
        Rig::with_config(SessionConfig::default())
    }

    pub fn with_config(cfg: SessionConfig) -> Rig {
        let slot = VirtualSlot::new();
        Rig {
            engine: Engine::new(cfg),
            worker: CardWorker::new(slot.clone(), test_trust_anchors()),
            slot,
            start: Instant::now(),
            wall: DateTime::parse_from_rfc3339("2026-11-23T09:00:00+09:00").unwrap().with_timezone(&Utc),
            results: vec![],
            photo_refusals: vec![],
            photos: 0,
            sessions: 0,
        }
    }

    pub fn now(&self) -> Now {
        Now { mono: self.start, wall: self.wall }
    }

    pub fn perform(&mut self, actions: Vec<Action>) {
        let mut queue: VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            match action {
                Action::Card(op) => {
                    let session = self.engine.session_id().map(str::to_string);
                    if let Some(answer) = self.worker.perform(op, self.wall) {
                        queue.extend(self.engine.handle(Event::Card { session, answer }, self.now()).unwrap());
                    }
                }
                Action::Record(r) => self.results.push(*r),
                Action::PhotoReady(_) => self.photos += 1,
                Action::PhotoRefused(n) => self.photo_refusals.push(n.code),
                _ => {}
            }
        }
    }

    pub fn event(&mut self, e: Event) -> Result<(), Refusal> {
        let actions = self.engine.handle(e, self.now())?;
        self.perform(actions);
        Ok(())
    }

    /// Places `profile` with options `f` sets (certificate dates follow `now`).
    pub fn tap_with(&mut self, profile: Profile, f: impl FnOnce(&mut CardOptions)) {
        let mut o = CardOptions { now: self.wall, ..Default::default() };
        f(&mut o);
        self.slot.tap(VirtualCard::with_options(profile, o));
        self.sessions += 1;
        self.event(Event::CardInserted { session_id: format!("s{}", self.sessions) }).unwrap();
    }

    pub fn tap(&mut self, profile: Profile) {
        self.tap_with(profile, |_| {});
    }

    pub fn remove(&mut self) -> VirtualCard {
        let card = self.slot.remove().expect("a card on the reader");
        self.event(Event::CardRemoved).unwrap();
        card
    }

    /// Places a card again (its counters as they were left).
    pub fn tap_card(&mut self, mut card: VirtualCard) {
        card.reinsert();
        card.log().clear();
        self.slot.tap(card);
        self.sessions += 1;
        self.event(Event::CardInserted { session_id: format!("s{}", self.sessions) }).unwrap();
    }

    pub fn cmd(&mut self, c: Command) -> Result<(), Refusal> {
        let session = self.engine.session_id().map(str::to_string);
        self.event(Event::Command { session, command: c })
    }

    pub fn pin(&mut self, pin: &str) -> Result<(), Refusal> {
        self.cmd(Command::SubmitPin { pin: Pin::parse(pin).unwrap(), confirm_last_try: true })
    }

    pub fn prompt(&self) -> Prompt {
        self.engine.view(self.start).prompt
    }

    pub fn notices(&self) -> Vec<String> {
        self.engine.view(self.start).notices.into_iter().map(|n| n.code).collect()
    }

    pub fn last(&self) -> &SessionResult {
        self.results.last().expect("a result")
    }

    /// The APDUs the card received, in order (VERIFY data masked).
    pub fn apdus(&self) -> Vec<Vec<u8>> {
        self.slot.with_card(|c| c.log().entries()).unwrap_or_default()
    }
}

impl Rig {
    /// The face module asks for the photo with `collation_b`.
    pub fn face_reference(&mut self, collation_b: &str) -> Result<(), Refusal> {
        self.cmd(Command::FaceReference { collation_b: CollationB::parse(collation_b).unwrap() })
    }

    /// VERIFY commands with data the card received (each one a try spent or a success).
    pub fn verifies(&self) -> usize {
        self.apdus().iter().filter(|a| a[1] == 0x20 && a.len() > 5).count()
    }

    pub fn view_prompt(&self) -> Prompt {
        self.prompt()
    }
}
