//! The one HTTP client of the daemon's tests. Requests are built one way and answers read one
//! way, whether they go through the router in process ([`Router`]), a daemon's Unix socket or
//! TCP ([`Socket`]). Waiting for a prompt listens for the session's changes (the driver's view
//! in process, `session` events on `/v1/events` over a socket) instead of sleeping, and event
//! streams are read and parsed here too.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper_util::rt::TokioIo;
use myna_api::auth::Tokens;
use myna_api::backend::Role;
use myna_api::proto::SessionView;
use myna_api::router::{route, Api, ApiBody};
use myna_api::server::{serve, Acceptor, Limits};
use myna_kiosk::api_backend::DaemonBackend;
use myna_kiosk::journal::Journal;
use myna_kiosk::session::SessionConfig;
use myna_virtual_card::test_trust_anchors;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::wait::WAIT;

/// An answer, read whole (an event stream's body is left unread: see [`EventStream`]).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// Status and headers, no body.
    pub fn head<B>(r: &Response<B>) -> Answer {
        let headers = r.headers().clone();
        let content_type = headers.get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        Answer { status: r.status(), content_type, headers, body: Bytes::new() }
    }

    pub async fn read<B>(r: Response<B>) -> Answer
    where
        B: Body<Data = Bytes>,
        B::Error: std::fmt::Debug,
    {
        let mut a = Answer::head(&r);
        if a.content_type != "text/event-stream" {
            a.body = r.into_body().collect().await.expect("the whole body").to_bytes();
        }
        a
    }

    /// The body as JSON; panics if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", self.body))
    }

    /// The body as JSON, `null` if it is not.
    pub fn json_or_null(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// A problem's `code`, empty if there is none.
    pub fn code(&self) -> String {
        self.json_or_null()["code"].as_str().unwrap_or_default().to_string()
    }
}

/// `method path`, with the bearer `token` and a JSON `body` if given.
pub fn request(method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Request<Full<Bytes>> {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let bytes = match body {
        Some(v) => {
            req = req.header("content-type", "application/json");
            Bytes::from(v.to_string())
        }
        None => Bytes::new(),
    };
    req.body(Full::new(bytes)).unwrap()
}

/// `GET /v1/events` with `token`, resuming after `last_event_id` if given.
pub fn events_request(token: &str, last_event_id: Option<&str>) -> Request<Full<Bytes>> {
    let mut req = request("GET", "/v1/events", Some(token), None);
    if let Some(id) = last_event_id {
        req.headers_mut().insert("last-event-id", id.parse().unwrap());
    }
    req.headers_mut().insert("accept", "text/event-stream".parse().unwrap());
    req
}

/// Something the tests talk HTTP to: the router in process, a daemon on its socket, or a
/// wrapper that checks or records every exchange.
pub trait Http: Sync {
    /// One request and its answer.
    fn send(&self, req: Request<Full<Bytes>>) -> impl Future<Output = Answer> + Send;
    /// The token this side gives `role`.
    fn token(&self, role: Role) -> String;
    /// A subscription to the session's changes, from now on.
    fn changes(&self) -> impl Future<Output = Changes> + Send;
    /// Added to the message of a wait that timed out (a daemon's log).
    fn context(&self) -> String {
        String::new()
    }
}

pub async fn call<H: Http>(h: &H, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
    h.send(named(h, request(method, path, token, body.as_ref())).await).await
}

/// A session command names the session it is for (`If-Match: "<id>"`), as the kiosk screen
/// does: `req`, if it is a `POST /v1/session/…` without `If-Match`, gets the id of the session
/// `GET /v1/session` shows now (none while idle).
pub async fn named<H: Http>(h: &H, mut req: Request<Full<Bytes>>) -> Request<Full<Bytes>> {
    let command = req.method() == http::Method::POST && req.uri().path().starts_with("/v1/session/");
    if command && !req.headers().contains_key("if-match") {
        // Read with the command's own token (every role that sends commands reads the session),
        // or the kiosk's when it has none.
        let mut look = request("GET", "/v1/session", Some(&h.token(Role::Kiosk)), None);
        if let Some(auth) = req.headers().get("authorization") {
            look.headers_mut().insert("authorization", auth.clone());
        }
        if let Some(id) = h.send(look).await.json_or_null()["id"].as_str() {
            req.headers_mut().insert("if-match", format!("\"{id}\"").parse().unwrap());
        }
    }
    req
}

/// `method path` as [`call`] sends it, naming the session `if_match` (sent as is, or left out).
pub async fn call_for<H: Http>(
    h: &H,
    if_match: Option<&str>,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut req = request(method, path, token, body.as_ref());
    if let Some(tag) = if_match {
        req.headers_mut().insert("if-match", tag.parse().unwrap());
    }
    h.send(req).await
}

/// [`call`], as the status and the JSON body (`null` when there is none): what the tests of the
/// daemon binary look at.
pub async fn call_json<H: Http>(
    h: &H,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let a = call(h, method, path, token, body).await;
    (a.status.as_u16(), a.json_or_null())
}

/// Waits until the kiosk's `GET /v1/session` shows a `kind` prompt, looking again whenever the
/// session changes, for [`WAIT`] at most. Returns that view.
pub async fn wait_prompt<H: Http>(h: &H, kind: &str) -> Value {
    let token = h.token(Role::Kiosk);
    let mut changes = h.changes().await;
    let mut last = Value::Null;
    let reached = tokio::time::timeout(WAIT, async {
        loop {
            changes.seen();
            let v = call(h, "GET", "/v1/session", Some(&token), None).await.json();
            if v["prompt"]["kind"] == kind {
                return v;
            }
            last = v;
            changes.next().await;
        }
    })
    .await;
    reached.unwrap_or_else(|_| panic!("prompt {kind} not reached; last seen {last}\n{}", h.context()))
}

/// Places a virtual card of `profile` on the bench reader.
pub async fn tap<H: Http>(h: &H, profile: &str) {
    let a = call(h, "POST", "/v1/bench/card", Some(&h.token(Role::Bench)), Some(json!({ "profile": profile }))).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
}

/// The patient takes the card once the kiosk asks for it, and the kiosk is idle again.
pub async fn take_card<H: Http>(h: &H) {
    wait_prompt(h, "take_card").await;
    call(h, "DELETE", "/v1/bench/card", Some(&h.token(Role::Bench)), None).await;
    wait_prompt(h, "place_card").await;
}

/// What tells a waiting test that the session may have changed.
pub enum Changes {
    /// The driver's view, in process.
    View(watch::Receiver<SessionView>),
    /// `session` and `result` events on `/v1/events`, over a socket.
    Events(Box<EventStream<Incoming>>),
}

impl Changes {
    /// Everything so far is looked at: [`Changes::next`] waits for what comes after.
    pub fn seen(&mut self) {
        if let Changes::View(views) = self {
            views.borrow_and_update();
        }
    }

    /// Waits for the next change (an event stream may hand over one that came before the
    /// last look: one look too many, never one too few).
    pub async fn next(&mut self) {
        match self {
            Changes::View(views) => views.changed().await.expect("the session driver runs"),
            Changes::Events(stream) => {
                let n = stream.events.len();
                stream.until(|e| e.len() > n).await;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// In process

/// The whole daemon behind the router, in process (`DaemonBackend::in_process` with the test
/// CA), no socket unless [`Router::serve`] is asked for one.
pub struct Router {
    pub api: Arc<Api<DaemonBackend>>,
    /// `true` shuts the API down (servers from [`Router::serve`], open event streams).
    pub stop: watch::Sender<bool>,
    tokens: Vec<(String, Role)>,
}

impl Router {
    /// `tokens`: each token with its one role.
    pub fn new(journal: Journal, config: SessionConfig, bench: bool, tokens: &[(&str, Role)]) -> Router {
        let backend = DaemonBackend::in_process(journal, config, test_trust_anchors(), bench);
        let mut table = Tokens::new();
        for (token, role) in tokens {
            table.add(token.to_string(), vec![*role]);
        }
        let (stop, stop_rx) = watch::channel(false);
        let tokens = tokens.iter().map(|(t, r)| (t.to_string(), *r)).collect();
        Router { api: Arc::new(Api::new(backend, table, stop_rx)), stop, tokens }
    }

    /// Serves the API on `listener` until [`Router::stop`] says so.
    pub fn serve<L: Acceptor>(&self, listener: L, limits: Limits) -> JoinHandle<()> {
        let mut stop = self.stop.subscribe();
        tokio::spawn(serve(listener, self.api.clone(), limits, async move {
            let _ = stop.wait_for(|s| *s).await;
        }))
    }

    /// Serves the API on a fresh loopback port; returns the address and the server task.
    pub async fn serve_local(&self, limits: Limits) -> (SocketAddr, JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        (addr, self.serve(listener, limits))
    }

    /// Opens `GET /v1/events` through the router: the answer's head and its stream.
    pub async fn events(&self, token: &str, last_event_id: Option<&str>) -> (Answer, EventStream<ApiBody>) {
        let r = route(&self.api, events_request(token, last_event_id)).await;
        (Answer::head(&r), EventStream::new(r.into_body()))
    }
}

impl Http for Router {
    async fn send(&self, req: Request<Full<Bytes>>) -> Answer {
        Answer::read(route(&self.api, req).await).await
    }

    fn token(&self, role: Role) -> String {
        let found = self.tokens.iter().find(|(_, r)| *r == role);
        found.unwrap_or_else(|| panic!("no {role:?} token")).0.clone()
    }

    async fn changes(&self) -> Changes {
        Changes::View(self.api.backend.handle.watch_view())
    }

    fn context(&self) -> String {
        format!("the view: {:?}", self.api.backend.handle.view())
    }
}

// ---------------------------------------------------------------------------------------------
// Over a socket

/// A server's socket; every request goes over a connection of its own (HTTP/1.1, hyper).
#[derive(Debug, Clone)]
pub enum Socket {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

impl Socket {
    /// A new connection, ready for requests; it closes when the sender is dropped.
    pub async fn connect(&self) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
        match self {
            Socket::Unix(path) => {
                handshake(tokio::net::UnixStream::connect(path).await.expect("the Unix socket")).await
            }
            Socket::Tcp(addr) => handshake(tokio::net::TcpStream::connect(addr).await.expect("the TCP port")).await,
        }
    }

    /// Sends `req` on a new connection; the answer's body is left to the caller.
    pub async fn open(&self, mut req: Request<Full<Bytes>>) -> Response<Incoming> {
        if !req.headers().contains_key("host") {
            req.headers_mut().insert("host", "kiosk".parse().unwrap());
        }
        let answer = async { self.connect().await.send_request(req).await.expect("an answer") };
        tokio::time::timeout(WAIT, answer).await.expect("an answer in time")
    }

    pub async fn send(&self, req: Request<Full<Bytes>>) -> Answer {
        let answer = async { Answer::read(self.open(req).await).await };
        tokio::time::timeout(WAIT, answer).await.expect("an answer in time")
    }

    /// Subscribes to `/v1/events` with `token`, resuming after `last_event_id` if given.
    pub async fn events(&self, token: &str, last_event_id: Option<&str>) -> EventStream<Incoming> {
        let r = self.open(events_request(token, last_event_id)).await;
        assert_eq!(r.status(), StatusCode::OK, "GET /v1/events");
        EventStream::new(r.into_body())
    }
}

async fn handshake<Io>(io: Io) -> hyper::client::conn::http1::SendRequest<Full<Bytes>>
where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await.expect("HTTP/1.1 handshake");
    tokio::spawn(conn);
    sender
}

// ---------------------------------------------------------------------------------------------
// Server-sent events

#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<u64>,
    pub event: String,
    pub data: Value,
}

/// One block of the stream: an event if it carries data (keep-alive comments do not).
fn parse_block(block: &str) -> Option<SseEvent> {
    let (mut id, mut event, mut data) = (None, String::new(), None);
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("id: ") {
            id = Some(v.trim().parse().expect("a numeric event id"));
        } else if let Some(v) = line.strip_prefix("event: ") {
            event = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("data: ") {
            data = Some(serde_json::from_str(v).expect("event data is JSON"));
        }
    }
    data.map(|data| SseEvent { id, event, data })
}

/// The complete events in `text` (an unfinished last block is left out).
pub fn parse_sse(text: &str) -> Vec<SseEvent> {
    let complete = &text[..text.rfind("\n\n").map_or(0, |i| i + 2)];
    complete.split("\n\n").filter_map(parse_block).collect()
}

/// An open event stream, read as far as a test asks.
pub struct EventStream<B> {
    body: B,
    /// Everything received so far.
    pub text: String,
    /// The complete events so far.
    pub events: Vec<SseEvent>,
    parsed: usize,
}

impl<B> EventStream<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Debug,
{
    pub fn new(body: B) -> Self {
        EventStream { body, text: String::new(), events: vec![], parsed: 0 }
    }

    /// Reads the next piece of the stream; `None` once it has ended.
    pub async fn read_more(&mut self) -> Option<String> {
        loop {
            let frame = self.body.frame().await?.ok()?;
            if let Ok(data) = frame.into_data() {
                let piece = String::from_utf8_lossy(&data).into_owned();
                self.text.push_str(&piece);
                while let Some(end) = self.text[self.parsed..].find("\n\n") {
                    let block = &self.text[self.parsed..self.parsed + end];
                    self.events.extend(parse_block(block));
                    self.parsed += end + 2;
                }
                return Some(piece);
            }
        }
    }

    /// Reads until `done` holds for the events so far; panics if the stream ends first or
    /// [`WAIT`] passes.
    pub async fn until(&mut self, done: impl Fn(&[SseEvent]) -> bool) -> &[SseEvent] {
        tokio::time::timeout(WAIT, async {
            while !done(&self.events) {
                self.read_more().await.expect("the stream stays open");
            }
        })
        .await
        .expect("events in time");
        &self.events
    }
}
