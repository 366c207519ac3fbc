//! A small HTTP/1.1 client (hyper) over the daemon's Unix socket or loopback TCP, and an SSE
//! reader that parses events as they arrive.

use std::path::PathBuf;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::sync::mpsc;

use super::stats::Span;

/// Where the daemon's API is.
#[derive(Debug, Clone)]
pub enum Endpoint {
    Unix(PathBuf),
    Tcp(std::net::SocketAddr),
}

pub type Error = Box<dyn std::error::Error + Send + Sync>;

async fn handshake(endpoint: &Endpoint) -> Result<SendRequest<Full<Bytes>>, Error> {
    let sender = match endpoint {
        Endpoint::Unix(path) => {
            let io = TokioIo::new(tokio::net::UnixStream::connect(path).await?);
            let (sender, conn) = hyper::client::conn::http1::handshake(io).await?;
            tokio::spawn(conn);
            sender
        }
        Endpoint::Tcp(addr) => {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            sender
        }
    };
    Ok(sender)
}

fn request(method: &str, path: &str, token: &str, session: Option<&str>, body: Option<&Value>) -> Request<Full<Bytes>> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "kiosk")
        .header("authorization", format!("Bearer {token}"));
    if let Some(id) = session {
        // A session command names the session it is for, as the kiosk screen does.
        req = req.header("if-match", format!("\"{id}\""));
    }
    let body = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Full::new(Bytes::from(b.to_string()))
        }
        None => Full::new(Bytes::new()),
    };
    req.body(body).expect("a well-formed request")
}

/// One client (a kiosk screen, a face module) on one kept-alive connection.
pub struct Client {
    endpoint: Endpoint,
    token: String,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// Every call's time, from sending the request to the whole answer read.
    pub calls: Vec<Span>,
}

pub struct Answer {
    pub status: u16,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

impl Client {
    pub fn new(endpoint: Endpoint, token: &str) -> Client {
        Client { endpoint, token: token.to_string(), sender: None, calls: Vec::new() }
    }

    pub async fn call(&mut self, method: &str, path: &str, body: Option<Value>) -> Result<Answer, Error> {
        self.call_for(None, method, path, body).await
    }

    /// [`Client::call`] for the session `session` names (`If-Match`), as session commands are.
    pub async fn call_for(
        &mut self,
        session: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Answer, Error> {
        let start = Instant::now();
        let sender = match &mut self.sender {
            Some(s) if s.is_ready() => s,
            _ => self.sender.insert(handshake(&self.endpoint).await?),
        };
        sender.ready().await?;
        let resp = sender.send_request(request(method, path, &self.token, session, body.as_ref())).await?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await?.to_bytes();
        self.calls.push(Span::new(start, Instant::now()));
        Ok(Answer { status, body })
    }
}

/// One server-sent event, with when its last byte arrived.
#[derive(Debug, Clone)]
pub struct Event {
    pub at: Instant,
    pub name: String,
    pub id: Option<String>,
    pub data: String,
}

impl Event {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }

    /// The prompt kind of a `session` event.
    pub fn prompt(&self) -> Option<String> {
        if self.name != "session" {
            return None;
        }
        self.json()["prompt"]["kind"].as_str().map(str::to_string)
    }
}

fn parse_block(block: &str, at: Instant) -> Option<Event> {
    let (mut name, mut id, mut data) = (String::from("message"), None, String::new());
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            name = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("id:") {
            id = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.strip_prefix(' ').unwrap_or(v));
        }
    }
    (!data.is_empty()).then_some(Event { at, name, id, data })
}

/// Opens `GET /v1/events`; the stream's chunks go to `sink` with their arrival times until the
/// connection ends.
pub async fn subscribe(endpoint: &Endpoint, token: &str, mut sink: Sink) -> Result<tokio::task::JoinHandle<()>, Error> {
    let mut sender = handshake(endpoint).await?;
    let mut req = request("GET", "/v1/events", token, None, None);
    req.headers_mut().insert("accept", "text/event-stream".parse().expect("a header value"));
    let resp = sender.send_request(req).await?;
    if resp.status().as_u16() != 200 {
        return Err(format!("GET /v1/events: HTTP {}", resp.status()).into());
    }
    Ok(tokio::spawn(async move {
        let _keep = sender;
        let mut body = resp.into_body();
        while let Some(Ok(frame)) = body.frame().await {
            let at = Instant::now();
            if let Ok(data) = frame.into_data() {
                sink.push(at, data);
            }
        }
    }))
}

/// Where a subscription's events go: parsed at once and sent on (a client that reacts to
/// events). The SSE part's hundreds of subscribers use [`super::subscribers`] instead.
pub struct Sink {
    /// An event not yet complete (its end is in a later chunk).
    rest: Vec<u8>,
    tx: mpsc::UnboundedSender<Event>,
}

impl Sink {
    pub fn events() -> (Sink, mpsc::UnboundedReceiver<Event>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Sink { rest: Vec::new(), tx }, rx)
    }

    fn push(&mut self, at: Instant, data: Bytes) {
        let Sink { rest, tx } = self;
        complete_events(rest, &data, |block| {
            if let Some(e) = parse_block(&String::from_utf8_lossy(block), at) {
                let _ = tx.send(e);
            }
        });
    }
}

/// Appends `data` to `partial` and hands each event it completes (its lines, without the blank
/// line that ends it) to `each`; an event whose end is still to come stays in `partial`.
pub(super) fn complete_events(partial: &mut Vec<u8>, data: &[u8], mut each: impl FnMut(&[u8])) {
    partial.extend_from_slice(data);
    let mut start = 0;
    while let Some(end) = memchr::memmem::find(&partial[start..], b"\n\n") {
        each(&partial[start..start + end]);
        start += end + 2;
    }
    partial.drain(..start);
}
