//! A backend for the api crate's tests, in memory: no daemon, no card.
#![allow(dead_code)] // each test file uses a part of it

use std::sync::{Arc, Mutex};

use myna_api::auth::Tokens;
use myna_api::backend::{ApiCommand, Backend, BenchCard, CommandOutcome, Health, HealthStatus, Role};
use myna_api::proto::{Notice, Outcome, Prompt, SessionResult, SessionView};
use myna_api::router::Api;
use tokio::sync::{broadcast, watch};

pub const ROLES: [(Role, &str); 5] = [
    (Role::Kiosk, "t-kiosk"),
    (Role::Reception, "t-reception"),
    (Role::Staff, "t-staff"),
    (Role::Face, "t-face"),
    (Role::Bench, "t-bench"),
];

pub fn token(role: Role) -> &'static str {
    ROLES.iter().find(|(r, _)| *r == role).map(|(_, t)| *t).unwrap()
}

pub fn notice(code: &str) -> Notice {
    Notice { code: code.into(), ja: format!("{code}（日本語）"), en: format!("{code} in English") }
}

/// Answers from memory; remembers every command it was given.
pub struct Fake {
    pub view: watch::Sender<SessionView>,
    pub live: broadcast::Sender<Arc<SessionResult>>,
    pub results: Vec<SessionResult>,
    pub journal_down: bool,
    /// Reads of results that succeed before the journal goes down (`None`: it stays up).
    pub journal_reads_left: Option<std::sync::atomic::AtomicUsize>,
    pub bench: bool,
    pub health: HealthStatus,
    pub next: Mutex<Vec<CommandOutcome>>,
    pub commands: Mutex<Vec<String>>,
    /// The session each command named (If-Match).
    pub sessions: Mutex<Vec<Option<String>>>,
}

impl Fake {
    pub fn new() -> Self {
        let view = SessionView {
            id: Some("s-1".into()),
            prompt: Prompt::PlaceCard,
            allowed_actions: vec![],
            pin_tries_left: None,
            deadline_ms: None,
            notices: vec![],
            card: None,
        };
        let result = |seq: u64| SessionResult {
            id: format!("r-{seq}"),
            seq,
            outcome: Outcome::Verified,
            started_at: "2026-01-15T03:00:00.000Z".into(),
            finished_at: "2026-01-15T03:00:30.000Z".into(),
            card: None,
            auth: None,
            proof: Default::default(),
            consent: None,
            guidance: vec![],
            error: None,
        };
        Fake {
            view: watch::channel(view).0,
            live: broadcast::channel(4).0,
            results: (1..=5).map(result).collect(),
            journal_down: false,
            journal_reads_left: None,
            bench: true,
            health: HealthStatus::Ok,
            next: Mutex::new(vec![]),
            commands: Mutex::new(vec![]),
            sessions: Mutex::new(vec![]),
        }
    }

    /// How the next command is answered (Accepted once these run out).
    pub fn answer(&self, outcome: CommandOutcome) {
        self.next.lock().unwrap().push(outcome);
    }

    pub fn commands(&self) -> Vec<String> {
        self.commands.lock().unwrap().clone()
    }

    fn journal(&self) -> Result<(), Notice> {
        if self.journal_down {
            Err(notice("JOURNAL_UNAVAILABLE"))
        } else {
            Ok(())
        }
    }
}

impl Backend for Fake {
    fn session(&self) -> SessionView {
        self.view.borrow().clone()
    }
    fn watch_session(&self) -> watch::Receiver<SessionView> {
        self.view.subscribe()
    }
    async fn command(&self, session: Option<String>, cmd: ApiCommand) -> CommandOutcome {
        self.commands.lock().unwrap().push(format!("{cmd:?}"));
        self.sessions.lock().unwrap().push(session);
        self.next.lock().unwrap().pop().unwrap_or(CommandOutcome::Accepted)
    }
    fn results_after(&self, after: u64, limit: usize) -> Result<Vec<SessionResult>, Notice> {
        self.journal()?;
        if let Some(left) = &self.journal_reads_left {
            use std::sync::atomic::Ordering;
            if left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_err() {
                return Err(notice("JOURNAL_UNAVAILABLE"));
            }
        }
        Ok(self.results.iter().filter(|r| r.seq > after).take(limit).cloned().collect())
    }
    fn result(&self, id: &str) -> Result<Option<SessionResult>, Notice> {
        self.journal()?;
        Ok(self.results.iter().find(|r| r.id == id).cloned())
    }
    fn ack(&self, id: &str) -> Result<bool, Notice> {
        self.journal()?;
        Ok(self.results.iter().any(|r| r.id == id))
    }
    fn subscribe_results(&self) -> broadcast::Receiver<Arc<SessionResult>> {
        self.live.subscribe()
    }
    fn health(&self) -> Health {
        let s = String::from;
        Health {
            status: self.health,
            version: s("test"),
            reader: s("ok"),
            indicators: s("off"),
            journal: s("ok"),
            mock: self.bench,
            clock: s("synchronized"),
        }
    }
    fn metrics(&self) -> String {
        "myna_sessions_total 0\n".into()
    }
    fn bench_enabled(&self) -> bool {
        self.bench
    }
    async fn bench_tap(&self, card: BenchCard) -> Result<(), Notice> {
        if card.profile == "valid" {
            Ok(())
        } else {
            Err(notice("UNKNOWN_PROFILE"))
        }
    }
    async fn bench_remove(&self) -> bool {
        false
    }
}

/// What a client names in `If-Match` for the session the fake shows (as the kiosk screen does).
pub fn if_match(api: &Api<Fake>) -> Option<String> {
    api.backend.session().id.map(|id| format!("\"{id}\""))
}

/// The router over `fake`, with one token per role ([`ROLES`]).
pub fn fixture(fake: Fake) -> (Api<Fake>, watch::Sender<bool>) {
    fixture_with(fake, ROLES.map(|(role, t)| (t, role)))
}

/// The router over `fake`, accepting `tokens`.
pub fn fixture_with<'a, I>(fake: Fake, tokens: I) -> (Api<Fake>, watch::Sender<bool>)
where
    I: IntoIterator<Item = (&'a str, Role)>,
{
    let mut accepted = Tokens::new();
    for (t, role) in tokens {
        accepted.add(t.into(), vec![role]);
    }
    let (stop, stop_rx) = watch::channel(false);
    (Api::new(Arc::new(fake), accepted, stop_rx), stop)
}
