//! `GET /v1/events`: Server-Sent Events.
//!
//! `session` events carry the session view on every change; `result` events carry finished
//! results with `id: <seq>`. Since result ids are the durable delivery sequence, a client that
//! reconnects with `Last-Event-ID` gets every result it missed (from the journal, even across
//! daemon restarts), then the current session, then live events.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::Response;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::StreamExt;

use crate::backend::Backend;
use crate::proto::{SessionResult, SessionView};
use crate::response::ApiBody;
use crate::state::Api;

const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Results replayed per catch-up page.
const CATCH_UP_PAGE: usize = 500;

fn session_event(view: &SessionView) -> Bytes {
    let data = serde_json::to_string(view).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("event: session\ndata: {data}\n\n"))
}

fn result_event(r: &SessionResult) -> Bytes {
    let data = serde_json::to_string(r).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("id: {}\nevent: result\ndata: {data}\n\n", r.seq))
}

pub(crate) fn events<B: Backend>(api: &Api<B>, after: Option<u64>) -> Response<ApiBody> {
    let backend = api.backend.clone();
    let mut shutdown = api.shutdown_signal();
    // Subscribe before catching up so nothing falls between the two.
    let mut live = backend.subscribe_results();
    let mut views = backend.watch_session();
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        let mut last_seq = after;
        // Catch up on results missed since `after`, page by page, from the durable store.
        if let Some(mut from) = after {
            while let Ok(page) = backend.results_after(from, CATCH_UP_PAGE) {
                for r in &page {
                    if tx.send(result_event(r)).await.is_err() {
                        return;
                    }
                    from = r.seq;
                    last_seq = Some(r.seq);
                }
                if page.len() < CATCH_UP_PAGE {
                    break;
                }
            }
        }
        let view = views.borrow_and_update().clone();
        if tx.send(session_event(&view)).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                changed = views.changed() => {
                    if changed.is_err() { return; }
                    let view = views.borrow_and_update().clone();
                    if tx.send(session_event(&view)).await.is_err() { return; }
                }
                r = live.recv() => match r {
                    Ok(r) => {
                        if last_seq.is_some_and(|s| r.seq <= s) { continue; }
                        last_seq = Some(r.seq);
                        if tx.send(result_event(&r)).await.is_err() { return; }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Too slow for the live stream: fetch what was missed from the store.
                        let from = last_seq.unwrap_or(0);
                        if let Ok(page) = backend.results_after(from, CATCH_UP_PAGE) {
                            for r in page {
                                last_seq = Some(r.seq);
                                if tx.send(result_event(&r)).await.is_err() { return; }
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tokio::time::sleep(KEEP_ALIVE) => {
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
    r
}
