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

use std::convert::Infallible;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::Response;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::StreamExt;

use http::Request;
use serde::Serialize;

use crate::backend::{Backend, Role};
use crate::error::ApiError;
use crate::proto::{AuthEvidence, Method, Outcome, SessionResult, SessionView};
use crate::response::ApiBody;
use crate::state::Api;

const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Results replayed per catch-up page.
const CATCH_UP_PAGE: usize = 500;

fn session_event(view: &SessionView) -> Bytes {
    let data = serde_json::to_string(view).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("event: session\ndata: {data}\n\n"))
}

/// The latest session view and its event, encoded once for every subscriber: with hundreds
/// of reception PCs subscribed, each change was cloned and serialised once per subscriber
/// (issue #21). The encoding depends on the view alone, so equal views share one event.
#[derive(Default)]
pub(crate) struct SessionEvents(Mutex<Option<(SessionView, Bytes)>>);

impl SessionEvents {
    fn encode(&self, view: &SessionView) -> Bytes {
        let mut last = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match &*last {
            Some((v, event)) if v == view => event.clone(),
            _ => {
                let event = session_event(view);
                *last = Some((view.clone(), event.clone()));
                event
            }
        }
    }
}

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

    /// The event for `r`, if this subscriber may have one.
    fn event(self, r: &SessionResult) -> Option<Bytes> {
        match self {
            Feed::Results => {
                let data = serde_json::to_string(r).unwrap_or_else(|_| "{}".into());
                Some(Bytes::from(format!("id: {}\nevent: result\ndata: {data}\n\n", r.seq)))
            }
            Feed::Summaries => {
                let data = serde_json::to_string(&ResultSummary::of(r)).unwrap_or_else(|_| "{}".into());
                Some(Bytes::from(format!("id: {}\nevent: result_summary\ndata: {data}\n\n", r.seq)))
            }
            Feed::SessionOnly => None,
        }
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
    let encoded = api.session_events.clone();
    let mut shutdown = api.shutdown_signal();
    // Subscribe before catching up so nothing falls between the two.
    let mut live = backend.subscribe_results();
    let mut views = backend.watch_session();
    // The first page of the catch-up, here: a journal that cannot be read is a 503 the client
    // sees, not a stream that goes live past results it never got.
    let first = match after {
        Some(from) if feed != Feed::SessionOnly => {
            Some(backend.results_after(from, CATCH_UP_PAGE).map_err(ApiError::Unavailable)?)
        }
        _ => None,
    };
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        let mut last_seq = after;
        // Catch up on results missed since `after`, page by page, from the durable store.
        if let (Some(mut page), Some(mut from)) = (first, after) {
            loop {
                for r in &page {
                    if let Some(event) = feed.event(r) {
                        if tx.send(event).await.is_err() {
                            return;
                        }
                    }
                    from = r.seq;
                    last_seq = Some(r.seq);
                }
                if page.len() < CATCH_UP_PAGE {
                    break;
                }
                page = match backend.results_after(from, CATCH_UP_PAGE) {
                    Ok(page) => page,
                    Err(e) => {
                        // Close: the client reconnects from the last id it really got.
                        tracing::warn!(code = %e.code, "event stream closed: the journal failed during catch-up");
                        return;
                    }
                };
            }
        }
        // Encoded under the watch's read lock: no copy of the view per subscriber.
        let event = encoded.encode(&views.borrow_and_update());
        if tx.send(event).await.is_err() {
            return;
        }
        // One timer for the stream's life: a fresh `sleep` per loop was a timer registered and
        // dropped per event per subscriber. A comment every 15 s whether or not events flowed.
        let mut keep_alive = tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
        keep_alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                changed = views.changed() => {
                    if changed.is_err() { return; }
                    let event = encoded.encode(&views.borrow_and_update());
                    if tx.send(event).await.is_err() { return; }
                }
                r = live.recv() => match r {
                    Ok(r) => {
                        if last_seq.is_some_and(|s| r.seq <= s) { continue; }
                        last_seq = Some(r.seq);
                        let Some(event) = feed.event(&r) else { continue };
                        if tx.send(event).await.is_err() { return; }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) if feed == Feed::SessionOnly => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Too slow for the live stream: fetch what was missed from the store, or
                        // close if it cannot be read (never skip past it).
                        let from = last_seq.unwrap_or(0);
                        match backend.results_after(from, CATCH_UP_PAGE) {
                            Ok(page) => {
                                for r in page {
                                    last_seq = Some(r.seq);
                                    let Some(event) = feed.event(&r) else { continue };
                                    if tx.send(event).await.is_err() { return; }
                                }
                            }
                            Err(e) => {
                                tracing::warn!(code = %e.code, "event stream closed: the journal failed during catch-up");
                                return;
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = keep_alive.tick() => {
                    if tx.send(Bytes::from_static(b": keep-alive\n\n")).await.is_err() { return; }
                }
                _ = shutdown.changed() => return,
            }
        }
    });
    let stream = ReceiverStream::new(rx).map(|b| Ok::<_, Infallible>(Frame::data(b)));
    let mut r = Response::new(StreamBody::new(stream).boxed());
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::Prompt;

    fn view(id: Option<&str>, prompt: Prompt) -> SessionView {
        SessionView {
            id: id.map(String::from),
            prompt,
            allowed_actions: vec![],
            pin_tries_left: None,
            deadline_ms: None,
            notices: vec![],
            card: None,
        }
    }

    #[test]
    fn subscribers_share_one_encoding_and_never_get_a_stale_view() {
        let cache = SessionEvents::default();
        let idle = view(None, Prompt::PlaceCard);
        let first = cache.encode(&idle);
        assert_eq!(first, session_event(&idle));
        // The next subscriber gets the same bytes, not a copy of them.
        assert_eq!(cache.encode(&idle).as_ptr(), first.as_ptr());
        // A changed view is encoded anew, and so is a return to the earlier one.
        let reading = view(Some("s-1"), Prompt::Reading);
        assert_eq!(cache.encode(&reading), session_event(&reading));
        assert_eq!(cache.encode(&idle), session_event(&idle));
    }
}
