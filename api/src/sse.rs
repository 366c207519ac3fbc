//! `GET /v1/events`: Server-Sent Events.
//!
//! `session` events carry the session view on every change. A result carries health data
//! (certificate, signature, consent), so what else a subscriber gets depends on its token:
//!
//! - reception: `result` events with the finished results, `id: <seq>`;
//! - staff (without reception): `result_summary` events, `id: <seq>`: outcome, method, finish
//!   time and error code only, for the staff view's list;
//! - kiosk (and anything else): session views only.
//!
//! Since result ids are the durable delivery sequence, a client that reconnects with
//! `Last-Event-ID` gets every result (or summary) it missed (from the journal, even across
//! daemon restarts), then the current session, then live events. If the journal cannot be
//! read during that catch-up, the stream is refused (503) or closed, never continued past what
//! the client did not get.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::Response;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::{BroadcastStream, IntervalStream, WatchStream};
use tokio_stream::{Stream, StreamExt};

use http::Request;
use serde::Serialize;

use crate::backend::{Backend, Role};
use crate::error::ApiError;
use crate::proto::{AuthEvidence, Method, Outcome, SessionResult};
use crate::response::ApiBody;
use crate::session_events::{ResultEvents, SessionEventStream};
use crate::state::Api;

const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Results replayed per catch-up page.
const CATCH_UP_PAGE: usize = 500;

/// What a subscriber may see of results, from its token's roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feed {
    /// Reception: the results themselves.
    Results,
    /// Staff: a summary without certificate, signature or consent.
    Summaries,
    /// The kiosk screen: session views only.
    SessionOnly,
}

impl Feed {
    fn for_roles(roles: &[Role]) -> Feed {
        if roles.contains(&Role::Reception) {
            Feed::Results
        } else if roles.contains(&Role::Staff) {
            Feed::Summaries
        } else {
            Feed::SessionOnly
        }
    }

    /// The event's name, if this subscriber may have results at all.
    fn name(self) -> Option<&'static str> {
        match self {
            Feed::Results => Some("result"),
            Feed::Summaries => Some("result_summary"),
            Feed::SessionOnly => None,
        }
    }

    /// The event for `r`, if this subscriber may have one.
    fn event(self, r: &SessionResult) -> Option<Bytes> {
        let name = self.name()?;
        let data = match self {
            Feed::Summaries => serde_json::to_string(&ResultSummary::of(r)),
            _ => serde_json::to_string(r),
        };
        let data = data.unwrap_or_else(|_| "{}".into());
        Some(Bytes::from(format!("id: {}\nevent: {name}\ndata: {data}\n\n", r.seq)))
    }

    /// [`Feed::event`] for a live result: encoded once for every subscriber of this feed.
    fn live_event(self, r: &SessionResult, shared: &ResultEvents) -> Option<Bytes> {
        let name = self.name()?;
        Some(shared.encode(r.seq, name, || self.event(r).unwrap_or_default()))
    }
}

/// `event: result_summary`: what the staff view lists of a finished session. No card,
/// certificate, signature, staff id, consent or guidance.
#[derive(Debug, Serialize)]
struct ResultSummary<'a> {
    id: &'a str,
    seq: u64,
    outcome: Outcome,
    /// How the patient authenticated, if a method was completed.
    method: Option<Method>,
    finished_at: &'a str,
    /// The error's code, if the session failed.
    code: Option<&'a str>,
}

impl<'a> ResultSummary<'a> {
    fn of(r: &'a SessionResult) -> Self {
        let method = r.auth.as_ref().map(|a| match a {
            AuthEvidence::Pin { .. } => Method::Pin,
            AuthEvidence::Face { .. } => Method::Face,
            AuthEvidence::Visual { .. } => Method::Visual,
        });
        ResultSummary {
            id: &r.id,
            seq: r.seq,
            outcome: r.outcome,
            method,
            finished_at: &r.finished_at,
            code: r.error.as_ref().map(|e| e.code.as_str()),
        }
    }
}

/// Opens the stream for `req` (already authorized), resuming after `after`. 503 if the journal
/// cannot be read for the catch-up.
pub(crate) fn events<B: Backend, Req>(
    api: &Api<B>,
    req: &Request<Req>,
    after: Option<u64>,
) -> Result<Response<ApiBody>, ApiError> {
    let feed = Feed::for_roles(&api.roles(req));
    let backend = api.backend.clone();
    let views = SessionEventStream::new(backend.watch_session(), api.session_events.clone());
    let results = api.result_events.clone();
    let shutdown = api.shutdown_signal();
    // Subscribe before catching up so nothing falls between the two.
    let live = backend.subscribe_results();
    // The first page of the catch-up, here: a journal that cannot be read is a 503 the client
    // sees, not a stream that goes live past results it never got.
    let first = match after {
        Some(from) if feed != Feed::SessionOnly => {
            Some(backend.results_after(from, CATCH_UP_PAGE).map_err(ApiError::Unavailable)?)
        }
        _ => None,
    };
    // One timer for the stream's life, not one per event: a comment every 15 s.
    let mut keep_alive = tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
    keep_alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let events = Events {
        feed,
        backend,
        results,
        last_seq: after,
        pending: VecDeque::new(),
        first,
        more_from: None,
        views,
        live: BroadcastStream::new(live),
        keep_alive: IntervalStream::new(keep_alive),
        shutdown: WatchStream::from_changes(shutdown),
        done: false,
    };
    let stream = events.map(|b| Ok::<_, Infallible>(Frame::data(b)));
    let mut r = Response::new(StreamBody::new(stream).boxed());
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// One subscriber's stream, polled by its connection's own task: no task and channel of its
/// own between the session and the socket (issue #21: with hundreds of subscribers, each hop
/// was a wake-up per event per subscriber). In order: shutdown ends it; catch-up pages from
/// the journal; then live session views, results and a keep-alive comment every 15 s.
struct Events<B: Backend> {
    feed: Feed,
    backend: Arc<B>,
    /// Live results' events, shared by every subscriber.
    results: Arc<ResultEvents>,
    /// The last result sent (or skipped as not for this feed): never sent twice, never skipped.
    last_seq: Option<u64>,
    /// Events ready to go, from a page of the journal.
    pending: VecDeque<Bytes>,
    /// The catch-up's first page, read when the request came in.
    first: Option<Vec<SessionResult>>,
    /// Read the journal after this seq next (the catch-up's last page was full).
    more_from: Option<u64>,
    views: SessionEventStream,
    live: BroadcastStream<Arc<SessionResult>>,
    keep_alive: IntervalStream,
    shutdown: WatchStream<bool>,
    done: bool,
}

impl<B: Backend> Events<B> {
    /// Queues a page of results; with `follow`, a full page means another to read (catch-up).
    fn take_page(&mut self, page: Vec<SessionResult>, follow: bool) {
        let full = page.len() >= CATCH_UP_PAGE;
        for r in &page {
            self.pending.extend(self.feed.event(r));
            self.last_seq = Some(r.seq);
        }
        self.more_from = if follow && full { self.last_seq } else { None };
    }

    /// One page after `from` from the journal; false if it cannot be read.
    fn read_page(&mut self, from: u64, follow: bool) -> bool {
        match self.backend.results_after(from, CATCH_UP_PAGE) {
            Ok(page) => {
                self.take_page(page, follow);
                true
            }
            Err(e) => {
                // Close: the client reconnects from the last id it really got.
                tracing::warn!(code = %e.code, "event stream closed: the journal failed during catch-up");
                false
            }
        }
    }

    fn end(&mut self) -> Poll<Option<Bytes>> {
        self.done = true;
        Poll::Ready(None)
    }
}

impl<B: Backend> Stream for Events<B> {
    type Item = Bytes;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        let this = &mut *self;
        loop {
            if this.done || Pin::new(&mut this.shutdown).poll_next(cx).is_ready() {
                return this.end();
            }
            if let Some(event) = this.pending.pop_front() {
                return Poll::Ready(Some(event));
            }
            if let Some(page) = this.first.take() {
                this.take_page(page, true);
                continue;
            }
            if let Some(from) = this.more_from.take() {
                if !this.read_page(from, true) {
                    return this.end();
                }
                continue;
            }
            match Pin::new(&mut this.views).poll_next(cx) {
                Poll::Ready(Some(event)) => return Poll::Ready(Some(event)),
                Poll::Ready(None) => return this.end(),
                Poll::Pending => {}
            }
            match Pin::new(&mut this.live).poll_next(cx) {
                Poll::Ready(Some(Ok(r))) => {
                    if this.last_seq.is_some_and(|s| r.seq <= s) {
                        continue;
                    }
                    this.last_seq = Some(r.seq);
                    match this.feed.live_event(&r, &this.results) {
                        Some(event) => return Poll::Ready(Some(event)),
                        None => continue,
                    }
                }
                Poll::Ready(Some(Err(BroadcastStreamRecvError::Lagged(_)))) => {
                    // Too slow for the live stream: what was missed comes from the store, or
                    // the stream closes if it cannot be read (never skips past it).
                    if this.feed != Feed::SessionOnly && !this.read_page(this.last_seq.unwrap_or(0), false) {
                        return this.end();
                    }
                    continue;
                }
                Poll::Ready(None) => return this.end(),
                Poll::Pending => {}
            }
            if Pin::new(&mut this.keep_alive).poll_next(cx).is_ready() {
                return Poll::Ready(Some(Bytes::from_static(b": keep-alive\n\n")));
            }
            return Poll::Pending;
        }
    }
}
