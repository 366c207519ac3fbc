//! The daemon behind the HTTP API: checks the values the API passes on as sent and maps API
//! commands onto session commands, serves results from the store, health, metrics, and (with
//! `--mock`) the bench's virtual cards.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use myna_api::backend::{
    ApiCommand, Backend, BenchCard, CommandOutcome, Health, HealthStatus, PhotoBytes, RefusalKind,
};
use myna_api::proto::{Notice, SessionResult, SessionView};
use myna_card::secret::{CollationB, Pin};
use tokio::sync::{broadcast, watch};

use crate::catalogue::{self, notice_of};
use crate::driver::{DriverHandle, Reply};
use crate::journal::Journal;
use crate::metrics::{Metrics, Scrape};
#[cfg(feature = "mock")]
use crate::mock::reader::MockReader;
use crate::pcsc_reader::ReaderHealth;
use crate::platform::clock_sync::{ClockSync, ClockSyncSource, Fixed};
use crate::session::{Command, Refusal};

pub struct DaemonBackend {
    pub handle: DriverHandle,
    pub journal: Journal,
    pub metrics: Metrics,
    /// The virtual reader with `--mock`: the bench routes tap cards on it.
    #[cfg(feature = "mock")]
    pub bench: Option<MockReader>,
    pub health: Health,
    /// The real reader's live state (`None` with `--mock`: the virtual reader is always there).
    pub reader: Option<ReaderHealth>,
    /// Whether the kernel clock is synchronized: certificate dates depend on it.
    pub clock: std::sync::Arc<dyn ClockSyncSource>,
}

fn refusal_kind(r: &Refusal) -> RefusalKind {
    match r {
        Refusal::BadChallenge | Refusal::StaffIdMissing => RefusalKind::Invalid,
        Refusal::SessionRequired => RefusalKind::SessionRequired,
        _ => RefusalKind::WrongState,
    }
}

/// A staff id as staff tools send it: trimmed, 1 to 64 bytes, nothing unprintable.
fn staff_id(raw: &str) -> Option<String> {
    let id = raw.trim();
    let ok = !id.is_empty() && id.len() <= 64 && !id.chars().any(char::is_control);
    ok.then(|| id.to_string())
}

fn refused(kind: RefusalKind, notice: Notice) -> CommandOutcome {
    CommandOutcome::Refused { kind, notice }
}

/// Health as the daemon starts: the reader described as given, the journal ok, degraded
/// only when the indicators are. The live parts are filled in by [`Backend::health`].
pub fn starting_health(
    version: &str,
    reader: &str,
    indicators: String,
    indicators_degraded: bool,
    mock: bool,
) -> Health {
    Health {
        status: if indicators_degraded { HealthStatus::Degraded } else { HealthStatus::Ok },
        version: version.into(),
        reader: reader.into(),
        indicators,
        journal: "ok".into(),
        mock,
        clock: "unknown".into(),
    }
}

#[cfg(feature = "mock")]
impl DaemonBackend {
    /// The whole daemon in process on the virtual reader, health "ok": the driver (spawned on
    /// the current tokio runtime), the card thread, `journal` and metrics. What tests and the
    /// fuzz targets put behind the router; `bench` keeps the virtual reader for the bench routes.
    pub fn in_process(
        journal: Journal,
        config: crate::session::SessionConfig,
        anchors: myna_card::cert::TrustAnchors,
        bench: bool,
    ) -> std::sync::Arc<DaemonBackend> {
        use crate::card_worker::CardWorker;
        use crate::driver::Driver;
        use crate::recorder::Recorder;
        use crate::session::Engine;

        let (reader, presence) = MockReader::new();
        let recorder = Recorder::new(journal);
        let worker = CardWorker::new(reader.slot(), anchors).with_metrics(recorder.metrics.clone());
        let (driver, handle) = Driver::new(Engine::new(config), worker, presence, recorder.clone(), |_s| {});
        tokio::spawn(driver.run());
        let health = starting_health("in-process", "ok (virtual)", "ok (mock)".into(), false, bench);
        std::sync::Arc::new(DaemonBackend {
            handle,
            journal: recorder.journal.clone(),
            metrics: recorder.metrics.clone(),
            bench: bench.then_some(reader),
            health,
            reader: None,
            clock: std::sync::Arc::new(Fixed(ClockSync::Synchronized)),
        })
    }
}

impl Backend for DaemonBackend {
    fn session(&self) -> SessionView {
        self.handle.view()
    }

    fn watch_session(&self) -> watch::Receiver<SessionView> {
        self.handle.watch_view()
    }

    async fn command(&self, session: Option<String>, cmd: ApiCommand) -> CommandOutcome {
        let command = match cmd {
            ApiCommand::Method(m) => Command::ChooseMethod(m),
            ApiCommand::Pin { pin, confirm_last_try } => match Pin::parse(pin.expose()) {
                Ok(pin) => Command::SubmitPin { pin, confirm_last_try },
                Err(e) => return refused(RefusalKind::Invalid, notice_of(&e)),
            },
            ApiCommand::FaceReference { collation_b } => match CollationB::parse(collation_b.expose()) {
                Ok(collation_b) => Command::FaceReference { collation_b },
                Err(e) => return refused(RefusalKind::Invalid, notice_of(&e)),
            },
            ApiCommand::FaceVerdict { matched, score } => Command::FaceVerdict { matched, score },
            ApiCommand::Visual { confirmed, staff_id: raw } => match staff_id(&raw) {
                Some(staff_id) => Command::Visual { confirmed, staff_id },
                None => return refused(RefusalKind::Invalid, catalogue::STAFF_ID_FORMAT.notice()),
            },
            ApiCommand::Consent(answer) => Command::Consent(answer),
            ApiCommand::Cancel => Command::Cancel,
            ApiCommand::Extend => Command::Extend,
            // The session checks the length.
            ApiCommand::Challenge(text) => match STANDARD.decode(text.trim()) {
                Ok(nonce) => Command::Challenge(nonce),
                Err(_) => return refused(RefusalKind::Invalid, catalogue::CHALLENGE_FORMAT.notice()),
            },
        };
        match self.handle.send(session, command).await {
            Reply::Accepted => CommandOutcome::Accepted,
            Reply::Refused(r) => refused(refusal_kind(&r), notice_of(&r)),
            Reply::Photo(photo) => CommandOutcome::Photo(PhotoBytes(photo.into_bytes())),
            Reply::PhotoRefused(n) => refused(RefusalKind::PhotoUnavailable, n),
            Reply::Gone => CommandOutcome::Unavailable(catalogue::DAEMON_STOPPING.notice()),
        }
    }

    fn results_after(&self, after: u64, limit: usize) -> Result<Vec<SessionResult>, Notice> {
        self.journal.after(after, limit).map_err(|e| e.notice())
    }

    fn result(&self, id: &str) -> Result<Option<SessionResult>, Notice> {
        self.journal.get(id).map_err(|e| e.notice())
    }

    fn ack(&self, id: &str) -> Result<bool, Notice> {
        self.journal.ack(id, chrono::Utc::now()).map_err(|e| e.notice())
    }

    fn subscribe_results(&self) -> broadcast::Receiver<std::sync::Arc<SessionResult>> {
        self.handle.subscribe_results()
    }

    fn health(&self) -> Health {
        let mut h = self.health.clone();
        let clock = self.clock.state();
        h.clock = clock.describe();
        if clock.degrades_health() && h.status == HealthStatus::Ok {
            h.status = HealthStatus::Degraded;
        }
        if let Some(reader) = &self.reader {
            match reader.describe() {
                Ok(ok) => h.reader = ok,
                Err(problem) => {
                    // No reader, no check-in: reception must send patients to the desk.
                    h.reader = format!("unavailable: {problem}");
                    h.status = HealthStatus::Unavailable;
                }
            }
        }
        if let Some(fatal) = self.handle.fatal() {
            // The card thread died: no card can be read until systemd restarts the service.
            h.reader = format!("unavailable: {}: {}", fatal.code, fatal.en);
            h.status = HealthStatus::Unavailable;
        }
        if let Some(p) = self.journal.problem() {
            h.journal = format!("error: {p}");
            h.status = HealthStatus::Unavailable;
        } else {
            let unreadable = self.journal.stats().unreadable;
            if !unreadable.is_empty() {
                // Results reception must confirm at the desk; the kiosk itself still works.
                h.journal = format!(
                    "degraded: {}: {} stored result(s) cannot be read (seq {})",
                    catalogue::JOURNAL_ROW_UNREADABLE.code,
                    unreadable.len(),
                    unreadable.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
                );
                if h.status == HealthStatus::Ok {
                    h.status = HealthStatus::Degraded;
                }
            }
        }
        h
    }

    fn metrics(&self) -> String {
        let reader_up = self.reader.as_ref().map_or(true, |r| r.describe().is_ok()) && self.handle.fatal().is_none();
        self.metrics.render(&Scrape {
            unacknowledged: self.journal.unacknowledged().ok(),
            journal: self.journal.stats(),
            reader_up,
            journal_up: self.journal.problem().is_none(),
        })
    }

    #[cfg(feature = "mock")]
    fn bench_enabled(&self) -> bool {
        self.bench.is_some()
    }

    #[cfg(not(feature = "mock"))]
    fn bench_enabled(&self) -> bool {
        false
    }

    #[cfg(not(feature = "mock"))]
    async fn bench_tap(&self, _card: BenchCard) -> Result<(), Notice> {
        Err(bench_off())
    }

    #[cfg(not(feature = "mock"))]
    async fn bench_remove(&self) -> bool {
        false
    }

    #[cfg(feature = "mock")]
    async fn bench_tap(&self, card: BenchCard) -> Result<(), Notice> {
        use std::str::FromStr;

        use myna_virtual_card::{CardOptions, Profile, VirtualCard};
        let Some(reader) = &self.bench else { return Err(bench_off()) };
        let profile =
            Profile::from_str(&card.profile).map_err(|e| catalogue::UNKNOWN_PROFILE.notice_with(&e.to_string()))?;
        let mut options = CardOptions { remove_after_apdus: card.remove_after_apdus, ..CardOptions::default() };
        if let Some(pin) = card.pin {
            Pin::parse(&pin).map_err(|e| notice_of(&e))?;
            options.pin = pin;
        }
        if let Some(b) = card.collation_b {
            CollationB::parse(&b).map_err(|e| notice_of(&e))?;
            options.collation_b = b;
        }
        reader.tap(VirtualCard::with_options(profile, options)).await;
        Ok(())
    }

    #[cfg(feature = "mock")]
    async fn bench_remove(&self) -> bool {
        match &self.bench {
            Some(reader) => reader.remove().await.is_some(),
            None => false,
        }
    }
}

fn bench_off() -> Notice {
    catalogue::BENCH_DISABLED.notice()
}
