//! The session view as an SSE `session` event, encoded once for every subscriber.

use std::sync::Mutex;

use bytes::Bytes;

use crate::proto::SessionView;

pub(crate) fn session_event(view: &SessionView) -> Bytes {
    let data = serde_json::to_string(view).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("event: session\ndata: {data}\n\n"))
}

/// The latest session view and its event, encoded once for every subscriber: with hundreds
/// of reception PCs subscribed, each change was serialised once per subscriber (issue #21).
/// The encoding depends on the view alone, so equal views share one event.
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
