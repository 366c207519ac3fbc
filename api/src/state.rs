//! What every request shares: the backend, the tokens, and the throttles for PIN floods and
//! token guessing.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use http::header::AUTHORIZATION;
use http::Request;
use tokio::sync::watch;

use crate::auth::{AuthError, Tokens};
use crate::backend::{Backend, Role};
use crate::error::ApiError;
use crate::peer::Peer;

/// PIN submissions allowed per window before 429.
const PIN_BURST: usize = 5;
const PIN_WINDOW: Duration = Duration::from_secs(30);
/// Wrong or missing tokens allowed from one address on the LAN per window; then 429 without
/// looking at the token, so guessing is slowed to a crawl (a real token has 128 bits anyway).
const AUTH_FAILURES: u32 = 10;
const AUTH_WINDOW: Duration = Duration::from_secs(60);
/// Peers remembered at most (a flood of source addresses cannot grow memory without bound).
const AUTH_PEERS: usize = 4096;

pub struct Api<B: Backend> {
    pub backend: Arc<B>,
    // Replaced as a whole when the configuration is reloaded.
    tokens: RwLock<Tokens>,
    /// PIN submissions of the current session (its id) in the window.
    pin_times: Mutex<(Option<String>, VecDeque<Instant>)>,
    /// Per peer: when its window started and the failed authentications in it.
    auth_failures: Mutex<HashMap<PeerKey, (Instant, u32)>>,
    shutdown: watch::Receiver<bool>,
    /// The session event every SSE subscriber sends, encoded once per change.
    pub(crate) session_events: Arc<crate::session_events::SessionEvents>,
    pub(crate) result_events: Arc<crate::session_events::ResultEvents>,
}

/// Whom failed authentications are counted against: an address on the LAN.
type PeerKey = IpAddr;

/// `None` for this machine (loopback, the Unix socket): the kiosk's own screen must never be
/// locked out by a bug of its own, and whoever runs code on the kiosk is past this gate anyway.
/// The server always says who the peer is; the router called without one (in-process, tests)
/// is not counted either.
fn peer_key<Req>(req: &Request<Req>) -> Option<PeerKey> {
    match req.extensions().get::<Peer>() {
        Some(p @ Peer::Tcp(addr)) if !p.is_local() => Some(addr.ip()),
        _ => None,
    }
}

impl<B: Backend> Api<B> {
    pub fn new(backend: Arc<B>, tokens: Tokens, shutdown: watch::Receiver<bool>) -> Self {
        Api {
            backend,
            tokens: RwLock::new(tokens),
            pin_times: Mutex::new((None, VecDeque::new())),
            auth_failures: Mutex::new(HashMap::new()),
            shutdown,
            session_events: Arc::default(),
            result_events: Arc::default(),
        }
    }

    /// New tokens from a reloaded configuration; requests already authorized are unaffected.
    pub fn set_tokens(&self, tokens: Tokens) {
        *self.tokens.write().unwrap_or_else(|p| p.into_inner()) = tokens;
    }

    pub(crate) fn tokens(&self) -> RwLockReadGuard<'_, Tokens> {
        self.tokens.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }

    /// The gate of every route with roles: an address that guessed too often waits, then the
    /// token must carry one of `allowed`. Only a wrong or missing token counts as a guess.
    pub(crate) fn authorize<Req>(&self, req: &Request<Req>, allowed: &[Role]) -> Result<(), ApiError> {
        let peer = peer_key(req);
        if let Some(retry_after) = peer.and_then(|p| self.auth_blocked(p, Instant::now())) {
            return Err(ApiError::TooManyAuthFailures { retry_after });
        }
        let auth = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
        let authorized = self.tokens().authorize(auth, allowed);
        match authorized {
            Ok(()) => Ok(()),
            Err(AuthError::Unauthenticated) => {
                if let Some(p) = peer {
                    self.auth_failed(p, Instant::now());
                }
                Err(ApiError::Unauthorized)
            }
            Err(AuthError::Forbidden) => Err(ApiError::Forbidden),
        }
    }

    /// The roles of the request's token (none without a known one). For what a route shows
    /// once [`Self::authorize`] let the request in.
    pub(crate) fn roles<Req>(&self, req: &Request<Req>) -> Vec<Role> {
        let auth = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
        self.tokens().roles(auth).map(<[Role]>::to_vec).unwrap_or_default()
    }

    /// How long `peer` must wait before its token is looked at again (`None`: go ahead).
    fn auth_blocked(&self, peer: PeerKey, now: Instant) -> Option<Duration> {
        let failures = self.auth_failures.lock().unwrap_or_else(|p| p.into_inner());
        let (start, count) = *failures.get(&peer)?;
        let left = AUTH_WINDOW.checked_sub(now.duration_since(start))?;
        (count >= AUTH_FAILURES).then_some(left)
    }

    fn auth_failed(&self, peer: PeerKey, now: Instant) {
        let mut failures = self.auth_failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= AUTH_PEERS && !failures.contains_key(&peer) {
            failures.retain(|_, (start, _)| now.duration_since(*start) < AUTH_WINDOW);
            if failures.len() >= AUTH_PEERS {
                // Still full of live entries: a flood from many addresses. Start over rather
                // than grow; each address still gets only AUTH_FAILURES guesses per window.
                failures.clear();
            }
        }
        let entry = failures.entry(peer).or_insert((now, 0));
        if now.duration_since(entry.0) >= AUTH_WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }

    /// Counts a PIN submission in `session`; false when the kiosk floods them. Per session:
    /// the next patient never waits for the one before.
    pub(crate) fn pin_allowed(&self, session: Option<&str>, now: Instant) -> bool {
        let mut guard = self.pin_times.lock().unwrap_or_else(|p| p.into_inner());
        let (current, times) = &mut *guard;
        if current.as_deref() != session {
            *current = session.map(str::to_string);
            times.clear();
        }
        while times.front().is_some_and(|t| now.duration_since(*t) > PIN_WINDOW) {
            times.pop_front();
        }
        if times.len() >= PIN_BURST {
            return false;
        }
        times.push_back(now);
        true
    }
}
