//! The session's transitions: each event, with the time injected, moves the phase on and says
//! what to do. Pure: no I/O, no clock, no randomness of its own.

use base64::Engine as _;
use myna_api::proto::{AuthEvidence, Method, Notice, Outcome, ProofCheck};
use myna_card::jpki::face_proof::ProofCheck as CardCheck;
use myna_card::jpki::{JpkiError, PinStatus};
use myna_card::transport::TransportError;
use myna_indicator::Signal;

use super::state::{Engine, Phase, PhotoState, Session};
use super::{Action, CardAnswer, CardFacts, CardOp, Command, Event, Now, Refusal};
use crate::card_check::CheckError;
use crate::catalogue::{self, notice_of, Explained};

type Handled = Result<Vec<Action>, Refusal>;

impl Engine {
    pub fn handle(&mut self, event: Event, now: Now) -> Handled {
        match event {
            Event::CardInserted { session_id } => Ok(self.card_inserted(session_id, now)),
            Event::CardRemoved => Ok(self.card_removed(now)),
            Event::Card { session, answer } => {
                if session.as_deref() != self.session_id() {
                    // Stale: dropped here, with any secret it carries.
                    return Ok(vec![]);
                }
                Ok(self.card_answer(answer, now))
            }
            Event::Command { session, command } => {
                self.check_named(session.as_deref(), &command)?;
                match command {
                    Command::Challenge(nonce) => self.challenge(nonce, session.is_some(), now),
                    command => self.command(command, now),
                }
            }
            Event::ReaderGone => Ok(self.reader_gone(now)),
            Event::ReaderReady => Ok(self.reader_ready()),
            Event::Tick => Ok(self.tick(now)),
        }
    }

    fn card_inserted(&mut self, session_id: String, now: Now) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.in_progress() {
            // A removal we never saw: close the old session honestly first.
            actions.extend(self.finish(Outcome::CardRemoved, Some(catalogue::CARD_REMOVED.notice()), now));
        }
        // A card arriving proves the reader is there.
        self.reader_down = None;
        if self.out_of_service.is_some() {
            self.become_idle();
            actions.extend([Action::Signal(Signal::Error), Action::Changed]);
            return actions;
        }
        if let Some(cfg) = self.next_cfg.take() {
            self.cfg = cfg;
        }
        // A challenge that named no session is this one's if it is still fresh.
        let challenge = self.next_challenge.take().filter(|(_, until)| now.mono < *until).map(|(nonce, _)| nonce);
        self.session = Session { id: session_id, started_at: Some(now.wall), challenge, ..Session::default() };
        self.phase = Phase::Reading;
        self.session.deadline = Some(now.mono + self.cfg.timeouts.card_operation);
        actions.extend([Action::Signal(Signal::CardDetected), Action::Card(CardOp::Check), Action::Changed]);
        actions
    }

    fn card_removed(&mut self, now: Now) -> Vec<Action> {
        match self.phase {
            Phase::Idle => vec![],
            Phase::Done { .. } | Phase::Stale => {
                self.become_idle();
                vec![Action::Signal(Signal::Idle), Action::Changed]
            }
            _ => {
                let mut actions = self.finish(Outcome::CardRemoved, Some(catalogue::CARD_REMOVED.notice()), now);
                // The card is gone: there is nobody to tell "take your card".
                self.become_idle();
                actions.push(Action::Changed);
                actions
            }
        }
    }

    pub(super) fn become_idle(&mut self) {
        self.phase = Phase::Idle;
        self.session = Session::default();
    }

    fn card_answer(&mut self, answer: CardAnswer, now: Now) -> Vec<Action> {
        match (answer, &self.phase) {
            (CardAnswer::Checked(result), Phase::Reading) => self.checked(result, now),
            (CardAnswer::PinSigned(result), Phase::Verifying) => self.pin_signed(result, now),
            (CardAnswer::Photo(result), Phase::Face { photo: PhotoState::Reading { face_deadline } }) => {
                self.session.deadline = *face_deadline;
                self.photo(result, now)
            }
            // A late answer for a step the session already left (cancelled, timed out): its
            // secrets are dropped here with it.
            _ => vec![],
        }
    }

    fn checked(&mut self, result: Result<Box<CardFacts>, CheckError>, now: Now) -> Vec<Action> {
        let facts = match result {
            Ok(facts) => facts,
            Err(CheckError::Card(JpkiError::Transport(TransportError::CardRemoved))) => {
                return self.card_removed(now);
            }
            Err(e) => return self.check_failed(e, now),
        };
        if let Some(report) = &facts.report {
            self.validity_guidance(report);
            self.clock_suspect = None;
        }
        self.note_token(&facts);
        if facts.kind.authorised_on_device() {
            self.session.facts = Some(*facts);
            self.session.notices = self.session.guidance.clone();
            return self.sign_on_device(now);
        }
        self.session.pin_tries = match facts.pin {
            PinStatus::TriesLeft(n) => Some(n),
            PinStatus::Blocked => Some(0),
            PinStatus::NotSet => None,
        };
        let pin = facts.pin;
        self.session.facts = Some(*facts);
        // Said with what this clinic offers this card instead.
        match pin {
            PinStatus::Blocked => self.add_guidance(self.pin_locked_notice()),
            PinStatus::NotSet => self.add_guidance(self.with_next_step(&catalogue::PIN_NOT_SET)),
            PinStatus::TriesLeft(_) => {}
        }
        // Shown beside the next prompt: why PIN is not offered, that the certificate expires.
        self.session.notices = self.session.guidance.clone();
        self.offer_methods(now)
    }

    fn offer_methods(&mut self, now: Now) -> Vec<Action> {
        let methods = self.methods();
        match methods.as_slice() {
            [] => {
                let error = self.session.guidance.last().cloned().unwrap_or_else(|| catalogue::NO_AUTH_METHOD.notice());
                self.finish(Outcome::Failed, Some(error), now)
            }
            [only] => self.enter_method(*only, now),
            _ => {
                self.phase = Phase::ChooseMethod;
                self.session.deadline = Some(now.mono + self.cfg.timeouts.choose_method);
                vec![Action::Signal(Signal::WaitingForPatient), Action::Changed]
            }
        }
    }

    fn enter_method(&mut self, method: Method, now: Now) -> Vec<Action> {
        let t = self.cfg.timeouts;
        let (phase, timeout, signal) = match method {
            Method::Pin => {
                let last = self.session.pin_tries == Some(1);
                if last {
                    self.session.notices.push(notice_of(&JpkiError::WrongPin { tries_left: 1 }));
                }
                self.pin_screen_notices();
                (Phase::EnterPin, t.pin_entry, if last { Signal::Attention } else { Signal::WaitingForPatient })
            }
            Method::Face => (Phase::Face { photo: PhotoState::NotGiven }, t.face_check, Signal::WaitingForPatient),
            Method::Visual => (Phase::Staff, t.staff_check, Signal::WaitingForStaff),
        };
        self.phase = phase;
        self.session.deadline = Some(now.mono + timeout);
        vec![Action::Signal(signal), Action::Changed]
    }

    /// Checked before anything else, in the same step as the command: the session the command
    /// names must be the one in progress (or just finished), so a late command never lands on
    /// the next patient's session.
    fn check_named(&self, named: Option<&str>, command: &Command) -> Result<(), Refusal> {
        match named {
            // Only a challenge may name no session: it is then for the next one.
            None if matches!(command, Command::Challenge(_)) => Ok(()),
            None => Err(Refusal::SessionRequired),
            Some(id) if Some(id) == self.session_id() => Ok(()),
            Some(_) => Err(Refusal::SessionMismatch),
        }
    }

    /// Reception's nonce. Named: for this session's PIN check. Unnamed: for the next session,
    /// if it starts within [`super::CHALLENGE_FOR_NEXT`]; the session in progress keeps its own.
    fn challenge(&mut self, nonce: Vec<u8>, named: bool, now: Now) -> Handled {
        if !(16..=64).contains(&nonce.len()) {
            return Err(Refusal::BadChallenge);
        }
        if !named {
            self.next_challenge = Some((nonce, now.mono + super::CHALLENGE_FOR_NEXT));
        } else if self.in_progress() {
            self.session.challenge = Some(nonce);
        } else {
            // The named session is over: no PIN of it will be checked any more.
            return Err(Refusal::NotWaiting("challenge"));
        }
        Ok(vec![])
    }

    fn command(&mut self, cmd: Command, now: Now) -> Handled {
        match (cmd, self.phase.clone()) {
            (Command::Cancel, phase) => {
                if !self.in_progress() {
                    return Err(Refusal::NotWaiting("cancel"));
                }
                if let Phase::Consent { asked } = phase {
                    self.close_consent(&asked);
                }
                Ok(self.finish(Outcome::Cancelled, None, now))
            }
            (Command::ChooseMethod(m), Phase::ChooseMethod) => {
                if !self.methods().contains(&m) {
                    return Err(Refusal::MethodNotAllowed(m));
                }
                self.session.notices.clear();
                Ok(self.enter_method(m, now))
            }
            (Command::SubmitPin { pin, confirm_last_try }, Phase::EnterPin) => {
                if self.session.pin_tries == Some(1) && !confirm_last_try {
                    return Err(Refusal::LastTryNotConfirmed);
                }
                self.phase = Phase::Verifying;
                self.session.notices.clear();
                self.session.deadline = Some(now.mono + self.cfg.timeouts.card_operation);
                let challenge = self.session.challenge.take();
                // Not read yet (an Android phone): read between VERIFY and SIGN.
                let read_certificate =
                    self.session.facts.as_ref().filter(|f| f.report.is_none()).map(|f| f.kind.clone());
                Ok(vec![
                    Action::Card(CardOp::VerifyPinAndSign { pin, challenge, read_certificate }),
                    Action::Signal(Signal::Working),
                    Action::Changed,
                ])
            }
            (Command::FaceReference { collation_b }, Phase::Face { photo }) => match photo {
                PhotoState::NotGiven => {
                    // A card that stops answering must not hold the face module's request
                    // for the whole face check: the card operation's own bound applies.
                    let face_deadline = self.session.deadline;
                    self.phase = Phase::Face { photo: PhotoState::Reading { face_deadline } };
                    let card_bound = now.mono + self.cfg.timeouts.card_operation;
                    self.session.deadline = Some(face_deadline.map_or(card_bound, |d| d.min(card_bound)));
                    let reserve = self.cfg.collation_b_reserve;
                    Ok(vec![Action::Card(CardOp::ReadPhoto { collation_b, reserve }), Action::Changed])
                }
                PhotoState::Reading { .. } | PhotoState::Given => Err(Refusal::PhotoAlreadyGiven),
            },
            (Command::FaceVerdict { matched, score }, Phase::Face { photo }) => {
                if photo != PhotoState::Given {
                    return Err(Refusal::PhotoFirst);
                }
                if matched {
                    self.session.auth = Some(AuthEvidence::Face { score });
                    return Ok(self.start_consent(now));
                }
                self.session.face_failures += 1;
                if self.session.face_failures < self.cfg.face_attempts {
                    self.session.notices = vec![catalogue::FACE_RETRY.notice()];
                    Ok(vec![Action::Signal(Signal::WaitingForPatient), Action::Changed])
                } else {
                    self.session.excluded.insert(Method::Face);
                    let failed = self.with_next_step(&catalogue::FACE_FAILED);
                    self.session.notices = vec![failed.clone()];
                    self.add_guidance(failed);
                    Ok(self.offer_methods(now))
                }
            }
            (Command::Visual { confirmed, staff_id }, Phase::Staff) => {
                let staff_id = staff_id.trim().to_string();
                if staff_id.is_empty() {
                    return Err(Refusal::StaffIdMissing);
                }
                if confirmed {
                    self.session.auth = Some(AuthEvidence::Visual { staff_id });
                    Ok(self.start_consent(now))
                } else {
                    Ok(self.finish(Outcome::Failed, Some(catalogue::VISUAL_REJECTED.notice()), now))
                }
            }
            (Command::Consent(answer), Phase::Consent { asked }) => self.consent(answer, &asked, now),
            (Command::Extend, _) => self.extend(now),
            (cmd, _) => Err(Refusal::NotWaiting(command_name(&cmd))),
        }
    }

    fn pin_signed(&mut self, result: Result<super::PinSigned, CheckError>, now: Now) -> Vec<Action> {
        let on_device = self.kind().is_some_and(|k| k.authorised_on_device());
        match result {
            Ok(signed) => {
                if let Some(report) = signed.report {
                    self.validity_guidance(&report);
                    if let Some(facts) = self.session.facts.as_mut() {
                        facts.report = Some(*report);
                    }
                }
                let verified = self
                    .session
                    .facts
                    .as_ref()
                    .and_then(|f| f.report.as_ref())
                    .is_some_and(|r| r.certificate.verify_signature(&signed.challenge, &signed.signature).is_ok());
                if !verified {
                    self.session.proof.pin_signature = ProofCheck::Failed;
                    return self.finish(Outcome::Failed, Some(catalogue::SIGNATURE_INVALID.notice()), now);
                }
                self.session.proof.pin_signature = ProofCheck::Verified;
                if !on_device {
                    self.session.pin_tries = Some(3);
                }
                // An iPhone's signature is the same proof (its key signed reception's nonce),
                // authorised by the wallet instead of a PIN; `card.kind` tells them apart.
                let b64 = base64::engine::general_purpose::STANDARD;
                self.session.auth = Some(AuthEvidence::Pin {
                    challenge: b64.encode(&signed.challenge),
                    signature: b64.encode(&signed.signature),
                });
                self.start_consent(now)
            }
            Err(CheckError::Card(JpkiError::WrongPin { tries_left })) if tries_left > 0 => {
                self.session.pin_tries = Some(tries_left);
                // "Wrong", then (on the last try) what the next wrong one does.
                self.session.notices = vec![catalogue::PIN_WRONG.notice()];
                if tries_left == 1 {
                    self.session.notices.push(catalogue::PIN_LAST_TRY.notice());
                }
                self.pin_screen_notices();
                self.phase = Phase::EnterPin;
                self.session.deadline = Some(now.mono + self.cfg.timeouts.pin_entry);
                let signal = if tries_left == 1 { Signal::Attention } else { Signal::WaitingForPatient };
                vec![Action::Signal(signal), Action::Changed]
            }
            Err(CheckError::Card(JpkiError::WrongPin { .. } | JpkiError::PinBlocked)) => {
                self.session.pin_tries = Some(0);
                self.session.excluded.insert(Method::Pin);
                let locked = self.pin_locked_notice();
                self.session.notices = vec![locked.clone()];
                self.add_guidance(locked);
                self.offer_methods(now)
            }
            Err(CheckError::Card(JpkiError::PinNotVerified)) if on_device => {
                self.finish(Outcome::Failed, Some(self.not_authorised_notice()), now)
            }
            Err(CheckError::Card(JpkiError::Transport(TransportError::CardRemoved))) => self.card_removed(now),
            Err(e) => self.check_failed(e, now),
        }
    }

    fn photo(&mut self, result: Result<myna_card::jpki::FaceRead, JpkiError>, now: Now) -> Vec<Action> {
        match result {
            Ok(read) => {
                let proof = &mut self.session.proof;
                proof.photo_signature = wire(read.proof.photo_signature);
                proof.chip_challenge = wire(read.proof.chip_challenge);
                // A photo the issuer did not sign, or files on a chip that cannot prove its key,
                // never reach the face module: matching a face to them would prove nothing.
                let refused = if proof.photo_signature != ProofCheck::Verified {
                    Some(&catalogue::PHOTO_SIGNATURE_INVALID)
                } else if proof.chip_challenge != ProofCheck::Verified {
                    Some(&catalogue::CARD_FACE_CHIP_FAILED)
                } else {
                    None
                };
                match refused {
                    None => {
                        self.phase = Phase::Face { photo: PhotoState::Given };
                        vec![Action::PhotoReady(read.photo), Action::Changed]
                    }
                    // The photo is dropped (and wiped) here.
                    Some(why) => {
                        let n = self.with_next_step(why);
                        self.face_ruled_out(n, now)
                    }
                }
            }
            // finish() answers the waiting face/reference with CARD_REMOVED.
            Err(JpkiError::Transport(TransportError::CardRemoved)) => self.card_removed(now),
            Err(JpkiError::WrongCollationB { .. }) => {
                self.session.collation_b_misreads += 1;
                if self.session.collation_b_misreads < self.cfg.collation_b_misreads {
                    // The module may have misread the card face: it may ask again, so the
                    // photo is not "unreadable" yet.
                    self.phase = Phase::Face { photo: PhotoState::NotGiven };
                    return vec![Action::PhotoRefused(catalogue::COLLATION_B_RETRY.notice()), Action::Changed];
                }
                // Each misread spent one of the card-face AP's 10 tries, for good: no more in
                // this session.
                let n = self.with_next_step(&catalogue::COLLATION_B_MISREADS);
                self.face_ruled_out(n, now)
            }
            Err(e) => {
                let n = self.with_next_step(e.text());
                self.face_ruled_out(n, now)
            }
        }
    }

    /// The face path ends for this session: the module is told why, the patient is offered
    /// what is left (PIN or staff).
    fn face_ruled_out(&mut self, n: Notice, now: Now) -> Vec<Action> {
        self.session.excluded.insert(Method::Face);
        self.session.notices = vec![n.clone()];
        self.add_guidance(n.clone());
        let mut a = vec![Action::PhotoRefused(n)];
        a.extend(self.offer_methods(now));
        a
    }

    fn tick(&mut self, now: Now) -> Vec<Action> {
        match self.session.deadline {
            Some(d) if now.mono >= d => {}
            _ => return vec![],
        }
        match self.phase.clone() {
            Phase::Idle | Phase::Stale => {
                self.session.deadline = None;
                vec![]
            }
            Phase::Done { .. } => {
                self.phase = Phase::Stale;
                self.session.deadline = None;
                vec![Action::Signal(Signal::Idle), Action::Changed]
            }
            Phase::Consent { asked } => {
                self.close_consent(&asked);
                self.finish(Outcome::Verified, None, now)
            }
            // A card operation that never came back: the card (or reader) stopped answering.
            Phase::Reading | Phase::Verifying | Phase::Face { photo: PhotoState::Reading { .. } } => {
                let n = notice_of(&TransportError::Timeout);
                self.finish(Outcome::TimedOut, Some(n), now)
            }
            _ => self.finish(Outcome::TimedOut, Some(catalogue::TIMED_OUT.notice()), now),
        }
    }

    pub(super) fn add_guidance(&mut self, n: Notice) {
        if !self.session.guidance.iter().any(|g| g.code == n.code) {
            self.session.guidance.push(n);
        }
    }

    /// Ends the session: the result is recorded, the card released, the patient told.
    pub(super) fn finish(&mut self, outcome: Outcome, error: Option<Notice>, now: Now) -> Vec<Action> {
        // A face/reference request waits for the photo being read: the session ends under it
        // (cancel, timeout, removal), so it is answered now with why, not left hanging until
        // a card answer that is dropped as late.
        let mut actions = vec![];
        if matches!(self.phase, Phase::Face { photo: PhotoState::Reading { .. } }) {
            let why = error.clone().unwrap_or_else(|| match outcome {
                Outcome::Cancelled => catalogue::CANCELLED.notice(),
                _ => catalogue::TIMED_OUT.notice(),
            });
            actions.push(Action::PhotoRefused(why));
        }
        let result = self.result(outcome, error, now.wall);
        let signal = if outcome == Outcome::Verified { Signal::Success } else { Signal::Error };
        self.phase = Phase::Done { outcome };
        self.session.notices = result.error.iter().cloned().collect();
        if outcome == Outcome::Verified {
            self.session.notices.push(catalogue::CHECKED_IN.notice());
        }
        self.session.deadline = Some(now.mono + self.cfg.timeouts.take_card);
        actions.extend([
            Action::Card(CardOp::Release),
            Action::Record(Box::new(result)),
            Action::Signal(signal),
            Action::Changed,
        ]);
        actions
    }
}

fn wire(check: CardCheck) -> ProofCheck {
    match check {
        CardCheck::Verified => ProofCheck::Verified,
        CardCheck::Failed => ProofCheck::Failed,
        CardCheck::NotChecked => ProofCheck::NotChecked,
    }
}

fn command_name(cmd: &Command) -> &'static str {
    match cmd {
        Command::ChooseMethod(_) => "method",
        Command::SubmitPin { .. } => "pin",
        Command::FaceReference { .. } => "face/reference",
        Command::FaceVerdict { .. } => "face/verdict",
        Command::Visual { .. } => "visual",
        Command::Consent(_) => "consent",
        Command::Cancel => "cancel",
        Command::Extend => "extend",
        Command::Challenge(_) => "challenge",
    }
}
