//! One kiosk's follower: `/v1/events` as reception from the saved cursor on; for each result,
//! in seq order: the file, then the webhook, then the ack, then the cursor. A crash between two
//! steps repeats the unfinished ones only, and each of them is idempotent: an identical file
//! is left as it is, a webhook already answered 2xx is not called again, an ack twice is fine.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::Value;

use crate::config::Kiosk;
use crate::net::Endpoint;
use crate::sse::Splitter;
use crate::store::{self, Cursor, StoreError};

/// For one request's answer head (and a whole short answer), at most.
const ANSWER: Duration = Duration::from_secs(15);
const FIRST_RETRY: Duration = Duration::from_millis(250);
/// The longest event-stream line taken (a result is a few KiB).
const MAX_LINE: usize = 1 << 20;

/// What every follower shares.
#[derive(Debug)]
pub struct Shared {
    pub out: PathBuf,
    pub state: PathBuf,
    pub webhook: Option<Endpoint>,
    pub max_backoff: Duration,
    /// No byte for this long (the kiosk sends a keep-alive every 15 s) means the connection
    /// is dead without having been closed (a pulled cable): reconnect.
    pub idle: Duration,
}

impl Shared {
    fn answer_timeout(&self) -> Duration {
        ANSWER.min(self.idle)
    }
}

/// Why a follower stopped for good.
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("result event {0}: {1}")]
    BadResult(String, String),
}

/// Doubling waits between retries, up to a ceiling.
struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    fn new(max: Duration) -> Backoff {
        Backoff { next: FIRST_RETRY, max }
    }
    async fn wait(&mut self) {
        tokio::time::sleep(self.next).await;
        self.next = (self.next * 2).min(self.max);
    }
    fn reset(&mut self) {
        self.next = FIRST_RETRY;
    }
}

fn request(method: &str, path: &str, token: &str, body: Option<Bytes>) -> Request<Full<Bytes>> {
    let mut req = Request::builder().method(method).uri(path).header("authorization", format!("Bearer {token}"));
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    req.body(Full::new(body.unwrap_or_default())).expect("a request from fixed parts")
}

pub struct Follower {
    kiosk: Kiosk,
    shared: Arc<Shared>,
    cursor_path: PathBuf,
    cursor: Cursor,
}

/// How one connection ended, when not fatally.
enum Ended {
    /// It had been answered 200: the next attempt starts from the shortest wait.
    AfterConnecting(String),
    Failed(String),
    /// Retried too, but something only a person can fix: a refused token, a full or
    /// unwritable disk.
    NeedsOperator(String),
}

impl Follower {
    pub fn new(kiosk: Kiosk, shared: Arc<Shared>) -> Result<Follower, Fatal> {
        let cursor_path = store::cursor_path(&shared.state, &kiosk.name);
        let cursor = store::load_cursor(&cursor_path)?;
        Ok(Follower { kiosk, shared, cursor_path, cursor })
    }

    /// Follows until something fatal happens (never returns otherwise).
    pub async fn run(mut self) -> Fatal {
        let mut backoff = Backoff::new(self.shared.max_backoff);
        tracing::info!(kiosk = %self.kiosk.name, after = self.cursor.acked, "following {:?}", self.kiosk.endpoint);
        loop {
            match self.stream().await {
                Ok(Ended::AfterConnecting(why)) => {
                    backoff.reset();
                    tracing::warn!(kiosk = %self.kiosk.name, "event stream ended: {why}; reconnecting");
                }
                Ok(Ended::Failed(why)) => tracing::warn!(kiosk = %self.kiosk.name, "event stream: {why}; retrying"),
                Ok(Ended::NeedsOperator(why)) => tracing::error!(kiosk = %self.kiosk.name, "{why}; retrying"),
                Err(fatal) => return fatal,
            }
            backoff.wait().await;
        }
    }

    async fn stream(&mut self) -> Result<Ended, Fatal> {
        let mut req = request("GET", "/v1/events", &self.kiosk.token.0, None);
        req.headers_mut().insert("accept", "text/event-stream".parse().expect("fixed"));
        // Always, even 0: without it the kiosk sends only what happens from now on, and the
        // results finished before the first connection would never come.
        req.headers_mut().insert("last-event-id", self.cursor.acked.into());
        let answer = match tokio::time::timeout(self.shared.answer_timeout(), self.kiosk.endpoint.send(req)).await {
            Ok(Ok(a)) => a,
            Ok(Err(e)) => return Ok(Ended::Failed(e.to_string())),
            Err(_) => return Ok(Ended::Failed("no answer".into())),
        };
        if matches!(answer.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Ok(Ended::NeedsOperator(format!(
                "the kiosk refused the token ({}): is it a reception token?",
                answer.status()
            )));
        }
        if answer.status() != StatusCode::OK {
            return Ok(Ended::Failed(format!("answered {}", answer.status())));
        }
        let mut body = answer.into_body();
        let mut splitter = Splitter::new(MAX_LINE);
        loop {
            let frame = match tokio::time::timeout(self.shared.idle, body.frame()).await {
                Err(_) => return Ok(Ended::AfterConnecting(format!("nothing for {} s", self.shared.idle.as_secs()))),
                Ok(None) => return Ok(Ended::AfterConnecting("closed by the kiosk".into())),
                Ok(Some(Err(e))) => return Ok(Ended::AfterConnecting(e.to_string())),
                Ok(Some(Ok(frame))) => frame,
            };
            let Ok(data) = frame.into_data() else { continue };
            let events = match splitter.push(&data) {
                Ok(events) => events,
                Err(e) => return Ok(Ended::AfterConnecting(e.to_string())),
            };
            for event in events.into_iter().filter(|e| e.event == "result") {
                let id = event.id.clone().unwrap_or_default();
                let seq: u64 = id.parse().map_err(|_| Fatal::BadResult(id.clone(), "no numeric id".into()))?;
                if seq > self.cursor.acked {
                    match self.deliver(seq, &event.data).await {
                        Ok(()) => {}
                        // The disk may come back (space freed, share remounted): from the cursor again.
                        Err(Fatal::Store(StoreError::Io(path, e))) => {
                            return Ok(Ended::NeedsOperator(format!("{}: {e}", path.display())))
                        }
                        Err(fatal) => return Err(fatal),
                    }
                }
            }
        }
    }

    /// File, webhook, ack, cursor: each retried until done (or fatal).
    async fn deliver(&mut self, seq: u64, data: &str) -> Result<(), Fatal> {
        let bad = |why: &str| Fatal::BadResult(seq.to_string(), why.to_string());
        let result: Value = serde_json::from_str(data).map_err(|e| bad(&e.to_string()))?;
        if result["seq"].as_u64() != Some(seq) {
            return Err(bad("its seq differs from the event id"));
        }
        let id = result["id"].as_str().ok_or_else(|| bad("no session id"))?.to_string();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(bad("a session id with unexpected characters"));
        }
        let mut content = serde_json::to_vec_pretty(&result).expect("a parsed value serialises");
        content.push(b'\n');
        let path = self.shared.out.join(store::result_name(&self.kiosk.name, seq));
        let written = store::write_new(&path, &content)?;
        tracing::info!(kiosk = %self.kiosk.name, seq, file = %path.display(), ?written, "result stored");

        if self.shared.webhook.is_some() && seq > self.cursor.webhooked {
            self.post_webhook(seq, &content).await;
            self.cursor.webhooked = seq;
            store::save_cursor(&self.cursor_path, self.cursor)?;
        }
        self.ack(seq, &id).await;
        self.cursor.acked = seq;
        store::save_cursor(&self.cursor_path, self.cursor)?;
        Ok(())
    }

    async fn post_webhook(&self, seq: u64, content: &[u8]) {
        let Some(hook) = &self.shared.webhook else { return };
        let mut backoff = Backoff::new(self.shared.max_backoff);
        loop {
            let req = Request::builder()
                .method("POST")
                .uri("/")
                .header("content-type", "application/json")
                .header("x-myna-kiosk", self.kiosk.name.as_str())
                .header("x-myna-seq", seq)
                .header("idempotency-key", format!("{}-{seq}", self.kiosk.name))
                .body(Full::new(Bytes::copy_from_slice(content)))
                .expect("a request from fixed parts");
            match call(hook, req, self.shared.answer_timeout()).await {
                Ok(status) if status.is_success() => return,
                Ok(status) => tracing::warn!(kiosk = %self.kiosk.name, seq, "webhook answered {status}; retrying"),
                Err(e) => tracing::warn!(kiosk = %self.kiosk.name, seq, "webhook: {e}; retrying"),
            }
            backoff.wait().await;
        }
    }

    async fn ack(&self, seq: u64, id: &str) {
        let mut backoff = Backoff::new(self.shared.max_backoff);
        let path = format!("/v1/results/{id}/ack");
        loop {
            let ack = request("POST", &path, &self.kiosk.token.0, None);
            match call(&self.kiosk.endpoint, ack, self.shared.answer_timeout()).await {
                Ok(StatusCode::OK) => return,
                // Acknowledged results are deleted after a day: gone means nothing to ack.
                Ok(StatusCode::NOT_FOUND) => {
                    tracing::warn!(kiosk = %self.kiosk.name, seq, "the kiosk no longer has result {id}: nothing to acknowledge");
                    return;
                }
                Ok(status) => tracing::warn!(kiosk = %self.kiosk.name, seq, "ack answered {status}; retrying"),
                Err(e) => tracing::warn!(kiosk = %self.kiosk.name, seq, "ack: {e}; retrying"),
            }
            backoff.wait().await;
        }
    }
}

/// One short request: its status once the whole answer is read.
async fn call(endpoint: &Endpoint, req: Request<Full<Bytes>>, within: Duration) -> Result<StatusCode, String> {
    let exchange = async {
        let answer = endpoint.send(req).await.map_err(|e| e.to_string())?;
        let status = answer.status();
        answer.into_body().collect().await.map_err(|e| e.to_string())?;
        Ok(status)
    };
    tokio::time::timeout(within, exchange).await.unwrap_or_else(|_| Err("no answer".into()))
}
