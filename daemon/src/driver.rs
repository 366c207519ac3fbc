//! The one async loop that performs the session engine's actions.
//!
//! It owns the engine. Presence events come from the reader, commands from the API (through a
//! [`DriverHandle`]), card answers from the card thread, ticks from the engine's deadline.
//! Card operations run on a dedicated thread so a slow card never delays the API or the
//! timers; the views it publishes are what `GET /v1/session` and SSE serve.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use myna_api::proto::{Notice, SessionResult, SessionView};
use myna_card::secret::FacePhoto;
use myna_card::transport::PresenceEvent;
use myna_indicator::Signal;
use rand::RngCore;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::card_worker::{CardWorker, Connector};
use crate::clock::{Clock, SystemClock};
use crate::session::{Action, CardAnswer, CardOp, Command, Engine, Event, Refusal};

/// Where finished results go to be made durable. Returns the result with its `seq`.
pub trait ResultSink: Send + 'static {
    /// A session started: remember it so a crash is recorded as interrupted.
    fn begin(&mut self, _id: &str, _started_at: chrono::DateTime<chrono::Utc>) -> Result<(), String> {
        Ok(())
    }
    fn record(&mut self, result: SessionResult) -> Result<SessionResult, String>;
    /// Why results cannot be recorded now, if so: the kiosk then refuses new sessions.
    fn problem(&self) -> Option<Notice> {
        None
    }
    /// Before a session starts: whether a result could be recorded now. May try a write to
    /// see whether a past failure is over, and checks the disk's reserve.
    fn ready(&mut self) -> Option<Notice> {
        self.problem()
    }
}

/// Where indicator signals go (the LEDs and buzzer, or a recorder).
pub trait SignalSink: Send + 'static {
    fn show(&mut self, signal: Signal);
}

impl<F: FnMut(Signal) + Send + 'static> SignalSink for F {
    fn show(&mut self, signal: Signal) {
        self(signal)
    }
}

/// What a command got back.
#[derive(Debug)]
pub enum Reply {
    Accepted,
    Refused(Refusal),
    Photo(FacePhoto),
    PhotoRefused(Notice),
    /// The driver stopped.
    Gone,
}

/// A card operation for the card thread, tagged with the session it belongs to.
struct CardJob {
    op: CardOp,
    session: Option<String>,
    wall: chrono::DateTime<chrono::Utc>,
}

struct Request {
    session: Option<String>,
    command: Command,
    reply: oneshot::Sender<Reply>,
}

/// The API's way into the session. Cheap to clone.
#[derive(Clone)]
pub struct DriverHandle {
    requests: mpsc::Sender<Request>,
    reconfigure: mpsc::Sender<crate::session::SessionConfig>,
    view: watch::Receiver<SessionView>,
    results: broadcast::Sender<Arc<SessionResult>>,
    heartbeat: Arc<AtomicU64>,
    card_thread_dead: Arc<AtomicBool>,
}

impl DriverHandle {
    /// Session rules from a reloaded configuration, for the next session.
    pub async fn reconfigure(&self, cfg: crate::session::SessionConfig) {
        let _ = self.reconfigure.send(cfg).await;
    }

    /// Sends a command for the session `session` names and waits for its reply (for a face
    /// reference: the photo). The engine compares `session` with the session in progress
    /// when it takes the command, so a command for an earlier session is refused, never applied
    /// to the next one. Only a challenge may name no session.
    pub async fn send(&self, session: Option<String>, command: Command) -> Reply {
        let (tx, rx) = oneshot::channel();
        if self.requests.send(Request { session, command, reply: tx }).await.is_err() {
            return Reply::Gone;
        }
        rx.await.unwrap_or(Reply::Gone)
    }

    pub fn view(&self) -> SessionView {
        self.view.borrow().clone()
    }

    pub fn watch_view(&self) -> watch::Receiver<SessionView> {
        self.view.clone()
    }

    pub fn subscribe_results(&self) -> broadcast::Receiver<Arc<SessionResult>> {
        self.results.subscribe()
    }

    /// Loop iterations so far: a watchdog sees it move only while the loop really runs.
    pub fn heartbeat(&self) -> u64 {
        self.heartbeat.load(Ordering::Relaxed)
    }

    /// Why the kiosk cannot work until the service restarts, if so: the card thread died
    /// (a panic in a card operation). The heartbeat has stopped, so systemd's watchdog
    /// restarts the service; health reports it meanwhile.
    pub fn fatal(&self) -> Option<Notice> {
        self.card_thread_dead.load(Ordering::Relaxed).then(|| crate::catalogue::CARD_THREAD_DEAD.notice())
    }
}

pub struct Driver<S: ResultSink, I: SignalSink> {
    engine: Engine,
    sink: S,
    signals: I,
    presence: mpsc::Receiver<PresenceEvent>,
    requests: mpsc::Receiver<Request>,
    reconfigure: mpsc::Receiver<crate::session::SessionConfig>,
    card_tx: std::sync::mpsc::Sender<CardJob>,
    card_rx: mpsc::UnboundedReceiver<(Option<String>, CardAnswer)>,
    view_tx: watch::Sender<SessionView>,
    results_tx: broadcast::Sender<Arc<SessionResult>>,
    pending_photo: Option<oneshot::Sender<Reply>>,
    heartbeat: Arc<AtomicU64>,
    card_thread_dead: Arc<AtomicBool>,
    hang_at: Option<tokio::time::Instant>,
    liveness: std::time::Duration,
    clock: Arc<dyn Clock>,
}

/// How often an idle driver still turns its loop, so the watchdog sees it alive.
const LIVENESS: std::time::Duration = std::time::Duration::from_secs(1);

impl<S: ResultSink, I: SignalSink> Driver<S, I> {
    /// Turns the loop at least this often (a quarter of systemd's watchdog interval).
    pub fn with_liveness(mut self, period: std::time::Duration) -> Self {
        self.liveness = period.max(std::time::Duration::from_millis(10));
        self
    }
}

impl<S: ResultSink, I: SignalSink> Driver<S, I> {
    /// Reads time from `clock` instead of the system's (tests: [`crate::clock::ManualClock`]).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.view_tx.send_replace(self.engine.view(clock.now().mono));
        self.clock = clock;
        self
    }

    /// Test hook (`--mock` only): the loop blocks for good after `after`, as a deadlocked
    /// driver would, so tests can see the watchdog pings stop.
    pub fn hang_after(mut self, after: std::time::Duration) -> Self {
        self.hang_at = Some(tokio::time::Instant::now() + after);
        self
    }

    /// Builds the driver and starts the card thread. Run it with [`Driver::run`].
    pub fn new<C: Connector + 'static>(
        engine: Engine,
        worker: CardWorker<C>,
        presence: mpsc::Receiver<PresenceEvent>,
        sink: S,
        signals: I,
    ) -> (Self, DriverHandle) {
        let (card_tx, card_ops) = std::sync::mpsc::channel::<CardJob>();
        let (answer_tx, card_rx) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("card".into())
            .spawn(move || {
                let mut worker = worker;
                // Ends when the driver drops its sender.
                while let Ok(job) = card_ops.recv() {
                    if let Some(answer) = worker.perform(job.op, job.wall) {
                        if answer_tx.send((job.session, answer)).is_err() {
                            break;
                        }
                    }
                }
            })
            .expect("spawn the card thread");
        let (req_tx, requests) = mpsc::channel(64);
        let (reconfigure_tx, reconfigure) = mpsc::channel(4);
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let (view_tx, view_rx) = watch::channel(engine.view(clock.now().mono));
        let (results_tx, _) = broadcast::channel(256);
        let heartbeat = Arc::new(AtomicU64::new(0));
        let card_thread_dead = Arc::new(AtomicBool::new(false));
        let handle = DriverHandle {
            requests: req_tx,
            reconfigure: reconfigure_tx,
            view: view_rx,
            results: results_tx.clone(),
            heartbeat: heartbeat.clone(),
            card_thread_dead: card_thread_dead.clone(),
        };
        let driver = Driver {
            engine,
            sink,
            signals,
            presence,
            requests,
            reconfigure,
            card_tx,
            card_rx,
            view_tx,
            results_tx,
            pending_photo: None,
            heartbeat,
            card_thread_dead,
            hang_at: None,
            liveness: LIVENESS,
            clock,
        };
        (driver, handle)
    }

    /// Runs until the presence source and every handle are gone.
    pub async fn run(mut self) {
        self.signals.show(Signal::Idle);
        let mut liveness = tokio::time::interval(self.liveness);
        loop {
            // A kiosk without its card thread cannot check anyone in: the heartbeat stops so
            // the watchdog gets the service restarted. The loop goes on meanwhile, so the
            // session in progress still ends (at its deadline) and its result is recorded.
            if !self.card_thread_dead.load(Ordering::Relaxed) {
                self.heartbeat.fetch_add(1, Ordering::Relaxed);
            }
            if self.hang_at.is_some_and(|t| tokio::time::Instant::now() >= t) {
                tracing::warn!("test hook: the session driver hangs now");
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(3600));
                }
            }
            let deadline = self.engine.deadline().map(|d| self.clock.sleep_until(d));
            let event = tokio::select! {
                ev = self.presence.recv() => match ev {
                    Some(ev) => match self.presence_event(ev) {
                        Some(e) => e,
                        None => continue,
                    },
                    None => break,
                },
                req = self.requests.recv() => match req {
                    Some(Request { session, command, reply }) => {
                        let is_photo = matches!(command, Command::FaceReference { .. });
                        match self.engine.handle(Event::Command { session, command }, self.clock.now()) {
                            Ok(actions) => {
                                // Publish the new view first: a client reading the session
                                // right after "accepted" must see the state its command made.
                                self.perform(actions);
                                if is_photo {
                                    self.pending_photo = Some(reply);
                                } else {
                                    let _ = reply.send(Reply::Accepted);
                                }
                            }
                            Err(refusal) => {
                                let _ = reply.send(Reply::Refused(refusal));
                            }
                        }
                        continue;
                    }
                    None => break,
                },
                Some(cfg) = self.reconfigure.recv() => {
                    self.engine.reconfigure(cfg);
                    continue;
                }
                answer = self.card_rx.recv(), if !self.card_thread_dead.load(Ordering::Relaxed) => match answer {
                    Some((session, answer)) => Event::Card { session, answer },
                    // Only the card thread holds the sender, and it ends on its own only when
                    // this loop has dropped its job sender: here it died (a panic).
                    None => {
                        self.card_thread_died();
                        continue;
                    }
                },
                _ = sleep_until(deadline) => Event::Tick,
                _ = liveness.tick() => continue,
            };
            match self.engine.handle(event, self.clock.now()) {
                Ok(actions) => self.perform(actions),
                Err(refusal) => tracing::warn!(%refusal, "event refused"),
            }
        }
        self.signals.show(Signal::Idle);
    }

    fn fatal(&self) -> Option<Notice> {
        self.card_thread_dead.load(Ordering::Relaxed).then(|| crate::catalogue::CARD_THREAD_DEAD.notice())
    }

    fn card_thread_died(&mut self) {
        if self.card_thread_dead.swap(true, Ordering::Relaxed) {
            return;
        }
        tracing::error!(
            code = crate::catalogue::CARD_THREAD_DEAD.code,
            "the card thread is gone: out of service, watchdog pings stop so the service is restarted"
        );
        self.engine.set_out_of_service(Some(crate::catalogue::CARD_THREAD_DEAD.notice()));
        let view = self.engine.view(self.clock.now().mono);
        self.view_tx.send_replace(view);
    }

    fn presence_event(&mut self, ev: PresenceEvent) -> Option<Event> {
        match ev {
            PresenceEvent::Inserted { reader, .. } => {
                let session_id = new_session_id();
                tracing::info!(%reader, session = %session_id, "card inserted");
                // Never verify a patient we cannot record: check the journal first (a failed
                // write is tried again here, and the disk must keep its reserve).
                let problem = self.fatal().or_else(|| match self.sink.ready() {
                    Some(p) => Some(p),
                    None => self.sink.begin(&session_id, self.clock.now().wall).err().map(|e| {
                        self.sink.problem().unwrap_or_else(|| crate::catalogue::JOURNAL_UNAVAILABLE.notice_with(&e))
                    }),
                });
                if let Some(p) = &problem {
                    tracing::error!(code = %p.code, "kiosk out of service: no session started");
                }
                self.engine.set_out_of_service(problem);
                Some(Event::CardInserted { session_id })
            }
            PresenceEvent::Removed { reader } => {
                tracing::info!(%reader, "card removed");
                Some(Event::CardRemoved)
            }
            PresenceEvent::ReaderGone { reason } => {
                tracing::warn!(%reason, code = crate::catalogue::READER_UNAVAILABLE.code, "no card reader");
                // Out of service at once; a session in progress ends with the reader's code.
                Some(Event::ReaderGone)
            }
            PresenceEvent::ReaderReady { reader } => {
                tracing::info!(%reader, "card reader ready");
                Some(Event::ReaderReady)
            }
        }
    }

    fn perform(&mut self, actions: Vec<Action>) {
        let mut record_failed = false;
        // Announced after the step's view: a subscriber woken once finds both and sends them
        // in one write, and the screen's change never waits behind a result (issue #21).
        let mut durable_results = Vec::new();
        for action in actions {
            match action {
                Action::Card(op) => {
                    let job = CardJob {
                        op,
                        session: self.engine.session_id().map(str::to_string),
                        wall: self.clock.now().wall,
                    };
                    if self.card_tx.send(job).is_err() {
                        self.card_thread_died();
                    }
                }
                // A result that could not be made durable is no success to show.
                Action::Signal(_) if record_failed => self.signals.show(Signal::Error),
                Action::Signal(s) => self.signals.show(s),
                Action::Record(result) => match self.sink.record(*result) {
                    Ok(durable) => {
                        tracing::info!(
                            session = %durable.id,
                            seq = durable.seq,
                            outcome = ?durable.outcome,
                            "session finished"
                        );
                        durable_results.push(Arc::new(durable));
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "result could not be recorded");
                        record_failed = true;
                        let why = self
                            .sink
                            .problem()
                            .unwrap_or_else(|| crate::catalogue::JOURNAL_UNAVAILABLE.notice_with(&e));
                        self.engine.set_out_of_service(self.fatal().or(Some(why)));
                    }
                },
                Action::PhotoReady(photo) => match self.pending_photo.take() {
                    Some(reply) => {
                        let _ = reply.send(Reply::Photo(photo));
                    }
                    // Nobody waits any more: the photo is dropped (and wiped) here.
                    None => drop(photo),
                },
                Action::PhotoRefused(notice) => {
                    if let Some(reply) = self.pending_photo.take() {
                        let _ = reply.send(Reply::PhotoRefused(notice));
                    }
                }
                Action::Changed => {
                    let view = self.engine.view(self.clock.now().mono);
                    self.view_tx.send_replace(view);
                }
            }
        }
        for durable in durable_results {
            let _ = self.results_tx.send(durable);
        }
    }
}

async fn sleep_until(deadline: Option<crate::clock::Sleep>) {
    match deadline {
        Some(sleep) => sleep.await,
        None => std::future::pending().await,
    }
}

/// A random session id: unique across restarts without a clock the Pi may not have.
fn new_session_id() -> String {
    let mut b = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("s-{}", hex::encode(b))
}
