//! What the API needs from the daemon, as a trait: the router stays testable without a daemon
//! and this crate depends on no other workspace crate.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};
use zeroize::Zeroizing;

use crate::proto::{wire_names, ConsentAnswer, Method, Notice, SessionResult, SessionView};

/// Who may call what. A token carries one or more roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The kiosk screen (or keypad): method, PIN, consent, cancel.
    Kiosk,
    /// Reception software: session view, results, challenges, metrics.
    Reception,
    /// Staff tools: visual check, cancel, session view, metrics.
    Staff,
    /// The face-check module: reference photo and verdict.
    Face,
    /// The bench panel: tap and remove virtual cards (only with `--mock`).
    Bench,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Kiosk => "kiosk",
            Role::Reception => "reception",
            Role::Staff => "staff",
            Role::Face => "face",
            Role::Bench => "bench",
        }
    }
}

/// A secret from a request body (PIN, 照合番号B): wiped on drop, never shown.
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(s: String) -> Self {
        Secret(Zeroizing::new(s))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A command for the session, as the API received it.
/// Values come as the client sent them (the challenge in base64): the daemon owns the rules for
/// PINs, 照合番号B, staff ids and challenges, and refuses a malformed one.
#[derive(Debug)]
pub enum ApiCommand {
    Method(Method),
    Pin { pin: Secret, confirm_last_try: bool },
    FaceReference { collation_b: Secret },
    FaceVerdict { matched: bool, score: Option<f64> },
    Visual { confirmed: bool, staff_id: String },
    Consent(ConsentAnswer),
    Cancel,
    Challenge(String),
    Extend,
}

/// The photo bytes for the face module; wiped when the response body is dropped.
pub struct PhotoBytes(pub Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for PhotoBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for PhotoBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhotoBytes(<{} bytes redacted>)", self.0.len())
    }
}

#[derive(Debug)]
pub enum CommandOutcome {
    Accepted,
    Photo(PhotoBytes),
    /// Refused: nothing happened; `notice` says why in the daemon's words.
    Refused {
        kind: RefusalKind,
        notice: Notice,
    },
    /// The daemon cannot take commands now.
    Unavailable(Notice),
}

/// Why a command was refused; the API alone decides what HTTP status that is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// A malformed value: PIN, 照合番号B, staff id, challenge.
    Invalid,
    /// The session is not waiting for this command now.
    WrongState,
    /// The card could not give the face photo (wrong 照合番号B, card gone); ask again.
    PhotoUnavailable,
    /// The command named no session and must (428).
    SessionRequired,
}

/// `ok` when every part works; `degraded` when the kiosk works with a part missing
/// (indicators); `unavailable` when it cannot check patients in (no reader, no journal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Ok,
    Degraded,
    Unavailable,
}

wire_names!(HealthStatus { Ok => "ok", Degraded => "degraded", Unavailable => "unavailable" });

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: HealthStatus,
    pub version: String,
    pub reader: String,
    pub indicators: String,
    pub journal: String,
    pub mock: bool,
    /// `synchronized`, `degraded: …` (the kernel clock is not synchronized) or `unknown: …`.
    pub clock: String,
}

/// A virtual card to tap on the bench (only with `--mock`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchCard {
    pub profile: String,
    pub pin: Option<String>,
    pub collation_b: Option<String>,
    pub remove_after_apdus: Option<usize>,
}

/// The daemon behind the API.
pub trait Backend: Send + Sync + 'static {
    fn session(&self) -> SessionView;
    fn watch_session(&self) -> watch::Receiver<SessionView>;
    /// `cmd` for the session `session` names (the request's `If-Match`; `None` only for a
    /// challenge, which is then for the next session). The daemon compares it with the session
    /// in progress in the same step as the command, and refuses a command for another session.
    fn command(&self, session: Option<String>, cmd: ApiCommand) -> impl Future<Output = CommandOutcome> + Send;
    /// Finished results with `seq > after`, in order, at most `limit`.
    fn results_after(&self, after: u64, limit: usize) -> Result<Vec<SessionResult>, Notice>;
    fn result(&self, id: &str) -> Result<Option<SessionResult>, Notice>;
    /// Marks a result delivered; `Ok(false)` if there is no such result.
    fn ack(&self, id: &str) -> Result<bool, Notice>;
    /// Live results, shared: hundreds of subscribers read one copy (issue #21).
    fn subscribe_results(&self) -> broadcast::Receiver<Arc<SessionResult>>;
    fn health(&self) -> Health;
    /// Prometheus text exposition.
    fn metrics(&self) -> String;
    /// Whether the bench endpoints exist (only with `--mock`).
    fn bench_enabled(&self) -> bool;
    fn bench_tap(&self, card: BenchCard) -> impl Future<Output = Result<(), Notice>> + Send;
    fn bench_remove(&self) -> impl Future<Output = bool> + Send;
}
