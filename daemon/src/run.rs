//! `myna-kiosk run`: wires the reader, the session driver, the result store and the HTTP API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use myna_api::auth::Tokens;
use myna_api::router::Api;
use myna_api::server::{self, Limits};
use myna_card::cert::TrustAnchors;
use myna_card::transport::PresenceEvent;
use myna_pcsc::ReaderSelector;
use tokio::sync::{mpsc, watch};

use crate::api_backend::{starting_health, DaemonBackend};
use crate::card_worker::CardWorker;
use crate::config::files::{self, FileError};
use crate::config::{self, Config};
use crate::driver::Driver;
use crate::journal::{Journal, Retention};
#[cfg(feature = "mock")]
use crate::mock::{self, reader::MockReader};
use crate::pcsc_reader::PcscReader;
use crate::platform::systemd;
use crate::recorder::Recorder;
use crate::session::Engine;
use crate::VERSION;

pub struct RunOptions {
    pub mock: bool,
    pub config: Config,
    /// Where `config` came from: SIGHUP reads it again.
    pub config_path: Option<PathBuf>,
    /// Command-line overrides of the configuration file.
    pub listen: Option<SocketAddr>,
    pub unix: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    pub allow_plain_http_on_lan: bool,
    /// PEM certificate chain and private key: TLS on the TCP listener.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub autopilot: Option<Autopilot>,
    /// Test hook for the watchdog test (`--mock` only).
    pub hang_driver_after: Option<Duration>,
}

impl RunOptions {
    pub fn new(mock: bool, config: Config) -> Self {
        RunOptions {
            mock,
            config,
            config_path: None,
            listen: None,
            unix: None,
            state_dir: None,
            allow_plain_http_on_lan: false,
            tls: None,
            autopilot: None,
            hang_driver_after: None,
        }
    }
}

pub struct Autopilot {
    pub interval: Duration,
    pub once: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0} is not a loopback address: serving the clinic LAN needs TLS (--tls-cert and --tls-key, or [api.tls]), or --allow-plain-http-on-lan to accept plain HTTP on a trusted LAN")]
    LanWithoutTls(SocketAddr),
    #[error("TLS: {0}")]
    Tls(#[from] myna_api::server::TlsError),
    #[error("cannot listen on {0}: {1}")]
    Listen(String, std::io::Error),
    #[error("cannot write the bench tokens to {0}: {1}")]
    Tokens(PathBuf, std::io::Error),
    #[error(transparent)]
    Files(#[from] FileError),
    #[error(
        "--mock: this build has no mock hardware (it was built without the `mock` feature, as the packaged kiosk is)"
    )]
    NoMock,
}

impl RunError {
    /// The process's exit code: 78 when the configuration (or a file it names) is at fault, 69
    /// when the address to listen on cannot be had, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        use crate::platform::exit;
        match self {
            RunError::LanWithoutTls(_) | RunError::Tls(_) | RunError::Files(_) | RunError::NoMock => exit::CONFIG,
            RunError::Listen(..) => exit::UNAVAILABLE,
            RunError::Tokens(..) => 1,
        }
    }
}

/// The card reader the kiosk runs on.
enum Reader {
    /// `--mock`: the in-process virtual reader.
    #[cfg(feature = "mock")]
    Mock(MockReader),
    /// The real reader through pcscd.
    Pcsc(PcscReader),
}

impl Reader {
    /// The virtual reader with `--mock`, else the real one through pcscd; and its presence events.
    fn start(opts: &RunOptions) -> Result<(Reader, mpsc::Receiver<PresenceEvent>), RunError> {
        if opts.mock {
            #[cfg(feature = "mock")]
            {
                let (reader, presence) = MockReader::new();
                return Ok((Reader::Mock(reader), presence));
            }
            #[cfg(not(feature = "mock"))]
            return Err(RunError::NoMock);
        }
        let cfg = &opts.config.reader;
        let (reader, presence) = PcscReader::start(ReaderSelector::new(cfg.name.clone(), cfg.exact));
        Ok((Reader::Pcsc(reader), presence))
    }
}

fn load_anchors(opts: &RunOptions) -> Result<TrustAnchors, RunError> {
    #[cfg(feature = "mock")]
    if opts.mock {
        // The virtual cards are issued by the test CA; nothing else can reach it.
        return Ok(mock::test_trust_anchors());
    }
    Ok(files::trust_anchors(&opts.config)?)
}

#[cfg_attr(not(feature = "mock"), allow(unused_variables))]
fn load_tokens(opts: &RunOptions, state_dir: &std::path::Path) -> Result<Tokens, RunError> {
    #[cfg(feature = "mock")]
    if opts.config.api.tokens.is_empty() && opts.mock {
        let token_file = state_dir.join("tokens.json");
        let (tokens, pairs) =
            mock::tokens::generate(&token_file).map_err(|e| RunError::Tokens(token_file.clone(), e))?;
        println!("Bench API tokens (also in {}, readable only by you):", token_file.display());
        for (role, token) in &pairs {
            println!("  {:<10} {token}", role.as_str());
        }
        return Ok(tokens);
    }
    let tokens = files::configured_tokens(&opts.config)?;
    if tokens.is_empty() {
        tracing::warn!("no API tokens configured: only /v1/health and /v1/openapi.json are reachable");
    }
    Ok(tokens)
}

/// SIGHUP: read the configuration again and apply what is safe to change while running —
/// session rules (from the next card) and API tokens. A file that does not load changes
/// nothing. Listeners, TLS, reader, trust anchors, journal, indicators and logging need a
/// restart: they hold open resources or security decisions made at start.
async fn reload_on_sighup<B: myna_api::backend::Backend>(
    mut hup: tokio::signal::unix::Signal,
    path: PathBuf,
    mock: bool,
    handle: crate::driver::DriverHandle,
    api: Arc<Api<B>>,
) {
    while hup.recv().await.is_some() {
        systemd::reloading();
        let config = match Config::load(&path) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "configuration reload refused: the running configuration stays");
                systemd::reloaded(RELOAD_REFUSED);
                continue;
            }
        };
        // With --mock and no tokens configured, the generated bench tokens stay in force.
        if !(mock && config.api.tokens.is_empty()) {
            match files::configured_tokens(&config) {
                Ok(tokens) => api.set_tokens(tokens),
                Err(e) => {
                    tracing::error!(error = %e, "configuration reload refused: the running configuration stays");
                    systemd::reloaded(RELOAD_REFUSED);
                    continue;
                }
            }
        }
        handle.reconfigure(config.session_config()).await;
        tracing::info!(
            config = %path.display(),
            "configuration reloaded: session rules (from the next card) and API tokens; [reader], [api] \
             listeners and TLS, [trust], [journal], [indicators] and [log] take effect after a restart"
        );
        systemd::reloaded("configuration reloaded");
    }
}

/// `systemctl status` after a refused reload, until the kiosk's state changes.
const RELOAD_REFUSED: &str = "configuration reload refused (see the journal): the running configuration stays";

pub async fn run(opts: RunOptions) -> Result<(), RunError> {
    let cfg = &opts.config;
    let listen = opts.listen.unwrap_or(*cfg.api.listen.get_ref());
    let tls_files = opts.tls.clone().or_else(|| cfg.api.tls.as_ref().map(|t| (t.cert.clone(), t.key.clone())));
    let allow_plain = opts.allow_plain_http_on_lan || cfg.api.allow_plain_http_on_lan;
    if config::plain_http_refusal(listen, tls_files.is_some(), allow_plain).is_some() {
        return Err(RunError::LanWithoutTls(listen));
    }
    let tls = match &tls_files {
        Some((cert, key)) => Some(server::tls_config(cert, key)?),
        None => None,
    };
    let state_dir = opts.state_dir.clone().unwrap_or_else(|| {
        if opts.mock {
            PathBuf::from("mock-state")
        } else {
            cfg.journal.dir.clone()
        }
    });
    let anchors = load_anchors(&opts)?;
    let tokens = load_tokens(&opts, &state_dir)?;
    let limits = Limits {
        max_connections: *cfg.api.max_connections.get_ref(),
        max_local_connections: *cfg.api.max_local_connections.get_ref(),
        header_read_timeout: Duration::from_secs(*cfg.api.header_read_timeout_secs.get_ref()),
        ..Limits::default()
    };

    let journal = Journal::open(&state_dir);
    journal.set_reserve(cfg.journal.reserve_mib.get_ref() << 20);
    let recorder = Recorder::new(journal.clone());
    match recorder.recover(chrono::Utc::now()) {
        Ok(interrupted) => {
            for r in &interrupted {
                tracing::warn!(session = %r.id, seq = r.seq, "a session was in progress when the daemon stopped: recorded as interrupted");
            }
        }
        Err(e) => tracing::error!(error = %e, "journal recovery failed"),
    }
    let retention = tokio::spawn(retention_loop(journal.clone(), cfg.retention()));

    let (reader, presence) = Reader::start(&opts)?;
    // With --mock the mock backend; otherwise as configured (no GPIO: one warning, degraded).
    let signals = crate::indicators::build(&cfg.indicators, opts.mock);
    let (indicators_health, indicators_degraded, indicators_off) =
        (signals.health(), signals.is_degraded(), signals.off_switch());
    let engine = Engine::new(cfg.session_config());
    let (mut driver, handle) = match &reader {
        #[cfg(feature = "mock")]
        Reader::Mock(mock) => Driver::new(
            engine,
            CardWorker::new(mock.slot(), anchors).with_metrics(recorder.metrics.clone()),
            presence,
            recorder.clone(),
            signals,
        ),
        Reader::Pcsc(pcsc) => Driver::new(
            engine,
            CardWorker::new(pcsc.connector.clone(), anchors).with_metrics(recorder.metrics.clone()),
            presence,
            recorder.clone(),
            signals,
        ),
    };
    if let Some(after) = opts.hang_driver_after {
        driver = driver.hang_after(after);
    }
    if let Some(interval) = sd_notify::watchdog_enabled() {
        driver = driver.with_liveness(interval / 4);
    }
    let driver = tokio::spawn(driver.run());

    let reader_state = if opts.mock { "ok (virtual)" } else { "looking for a card reader" };
    let health = starting_health(VERSION, reader_state, indicators_health, indicators_degraded, opts.mock);
    let backend = Arc::new(DaemonBackend {
        handle: handle.clone(),
        journal: journal.clone(),
        metrics: recorder.metrics.clone(),
        #[cfg(feature = "mock")]
        bench: match &reader {
            Reader::Mock(mock) => Some(mock.clone()),
            Reader::Pcsc(_) => None,
        },
        health,
        // --mock runs on benches and containers, whose clock is the host's business.
        clock: crate::platform::clock_sync::source(!opts.mock && opts.config.trust.clock_sync),
        reader: match &reader {
            Reader::Pcsc(pcsc) => Some(pcsc.health.clone()),
            #[cfg(feature = "mock")]
            Reader::Mock(_) => None,
        },
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let api = Arc::new(Api::new(backend, tokens, stop_rx.clone()));

    let tcp = tokio::net::TcpListener::bind(listen).await.map_err(|e| RunError::Listen(listen.to_string(), e))?;
    let local = tcp.local_addr().map_err(|e| RunError::Listen(listen.to_string(), e))?;
    tracing::info!(
        version = VERSION,
        listen = %local,
        tls = tls.is_some(),
        hardware = if opts.mock { "mock (virtual card, test CA as trust anchor)" } else { "pcscd" },
        "myna-kiosk API listening"
    );
    let stop = stopped(stop_rx.clone());
    let mut servers = vec![match tls {
        Some(config) => tokio::spawn(server::serve(server::TlsListener::new(tcp, config), api.clone(), limits, stop)),
        None => tokio::spawn(server::serve(tcp, api.clone(), limits, stop)),
    }];
    if let Some(path) = opts.unix.as_ref().or(cfg.api.unix_socket.as_ref()) {
        let _ = std::fs::remove_file(path);
        let unix = tokio::net::UnixListener::bind(path).map_err(|e| RunError::Listen(path.display().to_string(), e))?;
        tracing::info!(socket = %path.display(), "myna-kiosk API listening on a Unix socket");
        servers.push(tokio::spawn(server::serve(unix, api.clone(), limits, stopped(stop_rx.clone()))));
    }
    // SIGHUP is handled before READY=1: systemd may send a reload at once, and an unhandled
    // SIGHUP would end the process.
    let hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
    let reload = match (opts.config_path.clone(), hup) {
        (Some(path), Ok(hup)) => {
            Some(tokio::spawn(reload_on_sighup(hup, path, opts.mock, handle.clone(), api.clone())))
        }
        (None, _) => None,
        (Some(_), Err(e)) => {
            tracing::warn!(error = %e, "cannot handle SIGHUP: reload needs a restart");
            None
        }
    };
    // Reader, journal and API are up: tell systemd, then keep its watchdog fed from the driver.
    systemd::ready("idle: waiting for a card");
    let watchdog = tokio::spawn(systemd::watchdog(handle.clone()));

    match (opts.autopilot, &reader) {
        #[cfg(feature = "mock")]
        (Some(a), Reader::Mock(mock)) => {
            tokio::select! {
                _ = mock::autopilot::run(&handle, mock, a.interval, a.once) => {}
                _ = shutdown_signal() => {}
            }
        }
        _ => shutdown_signal().await,
    }
    systemd::stopping();
    tracing::info!("shutting down: finishing in-flight requests");
    watchdog.abort();
    if let Some(r) = reload {
        r.abort();
    }
    let _ = stop_tx.send(true);
    for s in servers {
        let _ = s.await;
    }
    drop(api);
    drop(handle);
    drop(reader);
    let _ = tokio::time::timeout(Duration::from_secs(2), driver).await;
    // Every LED and the buzzer off before the process ends, even if the driver did not stop.
    indicators_off.off();
    retention.abort();
    Ok(())
}

/// Deletes results past their retention now and every ten minutes.
async fn retention_loop(journal: Journal, retention: Retention) {
    loop {
        match journal.prune(chrono::Utc::now(), retention) {
            Ok(p) if p.total() == 0 => {}
            Ok(p) => tracing::info!(
                acknowledged = p.acknowledged,
                unacknowledged = p.unacknowledged,
                "retention: old results deleted"
            ),
            Err(e) => tracing::error!(error = %e, "retention failed"),
        }
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
