//! Events encoded once for every subscriber: the session view as an SSE `session` event, and
//! each live result as its feed's event. With hundreds of reception PCs subscribed, each
//! change was cloned and serialised once per subscriber (issue #21).

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::sync::watch;
use tokio_stream::Stream;
use tokio_util::sync::ReusableBoxFuture;

use crate::proto::SessionView;

pub(crate) fn session_event(view: &SessionView) -> Bytes {
    let data = serde_json::to_string(view).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("event: session\ndata: {data}\n\n"))
}

/// The latest session view and its event. The encoding depends on the view alone, so equal
/// views share one event.
#[derive(Default)]
pub(crate) struct SessionEvents(Mutex<Option<(SessionView, Bytes)>>);

impl SessionEvents {
    pub(crate) fn encode(&self, view: &SessionView) -> Bytes {
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

/// Results kept encoded: the live ones in flight. A subscriber further behind reads the
/// journal, and its older results are encoded for it alone.
const RESULTS_KEPT: usize = 8;

/// The last few live results' events, by seq and event name (each feed encodes a result its
/// own way). The first subscriber to need one encodes it, under the lock, so no other does.
#[derive(Default)]
pub(crate) struct ResultEvents(Mutex<VecDeque<(u64, &'static str, Bytes)>>);

impl ResultEvents {
    pub(crate) fn encode(&self, seq: u64, name: &'static str, make: impl FnOnce() -> Bytes) -> Bytes {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, event)) = kept.iter().find(|(s, n, _)| *s == seq && *n == name) {
            return event.clone();
        }
        let event = make();
        if kept.len() >= RESULTS_KEPT {
            kept.pop_front();
        }
        kept.push_back((seq, name, event.clone()));
        event
    }
}

type Changed = (Result<(), watch::error::RecvError>, watch::Receiver<SessionView>);

/// A subscriber's session events: the current view at once, then one event per change
/// (changes in between are skipped, as a watch does). The view is encoded from the channel's
/// own copy, never cloned per subscriber.
pub(crate) struct SessionEventStream {
    encoded: Arc<SessionEvents>,
    changed: ReusableBoxFuture<'static, Changed>,
}

async fn changed(mut rx: watch::Receiver<SessionView>) -> Changed {
    (rx.changed().await, rx)
}

impl SessionEventStream {
    pub(crate) fn new(rx: watch::Receiver<SessionView>, encoded: Arc<SessionEvents>) -> Self {
        // The current view is the first event: "changed" at once.
        SessionEventStream { encoded, changed: ReusableBoxFuture::new(async move { (Ok(()), rx) }) }
    }
}

impl Stream for SessionEventStream {
    type Item = Bytes;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        match self.changed.poll(cx) {
            Poll::Ready((Ok(()), mut rx)) => {
                let event = self.encoded.encode(&rx.borrow_and_update());
                self.changed.set(changed(rx));
                Poll::Ready(Some(event))
            }
            // The session's sender is gone: the daemon is stopping.
            Poll::Ready((Err(_), _)) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::Prompt;
    use tokio_stream::StreamExt;

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

    #[test]
    fn a_result_is_encoded_once_per_feed_and_seq() {
        let cache = ResultEvents::default();
        let made = std::cell::Cell::new(0);
        let make = |text: &'static str| {
            made.set(made.get() + 1);
            Bytes::from_static(text.as_bytes())
        };
        let a = cache.encode(7, "result", || make("r7"));
        let b = cache.encode(7, "result", || make("again"));
        assert_eq!((a.as_ptr(), &b[..]), (b.as_ptr(), &b"r7"[..]));
        // Another feed's event of the same result, and the next result, are their own.
        assert_eq!(&cache.encode(7, "result_summary", || make("s7"))[..], b"s7");
        assert_eq!(&cache.encode(8, "result", || make("r8"))[..], b"r8");
        assert_eq!(made.get(), 3);
        // Only the last few are kept: an old one is encoded again, correctly.
        for seq in 9..30 {
            cache.encode(seq, "result", || make("new"));
        }
        assert_eq!(&cache.encode(7, "result", || make("r7 again"))[..], b"r7 again");
    }

    #[tokio::test]
    async fn the_stream_sends_the_current_view_then_each_change_and_ends_with_the_session() {
        let idle = view(None, Prompt::PlaceCard);
        let reading = view(Some("s-1"), Prompt::Reading);
        let choosing = view(Some("s-1"), Prompt::Verifying);
        let (tx, rx) = watch::channel(idle.clone());
        let mut stream = SessionEventStream::new(rx, Arc::default());
        assert_eq!(stream.next().await, Some(session_event(&idle)));
        tx.send_replace(reading.clone());
        assert_eq!(stream.next().await, Some(session_event(&reading)));
        // Two changes before the subscriber looks: it gets the latest, once.
        tx.send_replace(idle.clone());
        tx.send_replace(choosing.clone());
        assert_eq!(stream.next().await, Some(session_event(&choosing)));
        let nothing = tokio::time::timeout(std::time::Duration::from_millis(20), stream.next()).await;
        assert!(nothing.is_err(), "no event without a change");
        drop(tx);
        assert_eq!(stream.next().await, None);
    }
}
