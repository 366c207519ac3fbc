//! A small HTTP/1.1 client (hyper) over the daemon's Unix socket or loopback TCP, and an SSE
//! reader that notes when each piece of the stream arrived.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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

/// Splits a stream's chunks (with arrival times) into events: an event arrived when the chunk
/// that completed it did.
pub fn parse_events(chunks: &[(Instant, Bytes)]) -> Vec<Event> {
    let mut events = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    for (at, chunk) in chunks {
        buf.extend_from_slice(chunk);
        while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = buf.drain(..end + 2).collect();
            if let Some(e) = parse_block(&String::from_utf8_lossy(&block), *at) {
                events.push(e);
            }
        }
    }
    events
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
pub async fn subscribe(endpoint: &Endpoint, token: &str, sink: Sink) -> Result<tokio::task::JoinHandle<()>, Error> {
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

/// A stream's chunks with their arrival times.
pub type Chunks = Arc<Mutex<Vec<(Instant, Bytes)>>>;

/// Where a subscription's chunks go.
#[derive(Clone)]
pub enum Sink {
    /// Kept for later (hundreds of subscribers: as little work as possible while measuring),
    /// and counted on a counter they share (to see when all went quiet).
    Store(Chunks, Arc<AtomicUsize>),
    /// Parsed at once and sent on (a client that reacts to events).
    Events(Arc<Mutex<Vec<u8>>>, mpsc::UnboundedSender<Event>),
}

impl Sink {
    pub fn events() -> (Sink, mpsc::UnboundedReceiver<Event>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Sink::Events(Arc::new(Mutex::new(Vec::new())), tx), rx)
    }

    pub fn store(counter: Arc<AtomicUsize>) -> (Sink, Chunks) {
        let chunks = Arc::new(Mutex::new(Vec::new()));
        (Sink::Store(chunks.clone(), counter), chunks)
    }

    fn push(&self, at: Instant, data: Bytes) {
        match self {
            Sink::Store(chunks, counter) => {
                // A copy: the chunk hyper hands out shares its read buffer, and keeping it
                // makes hyper allocate a fresh buffer for every read, so the measuring client
                // would spend its time in page faults the daemon's delivery times then show.
                chunks.lock().expect("not poisoned").push((at, Bytes::copy_from_slice(&data)));
                counter.fetch_add(1, Ordering::Relaxed);
            }
            Sink::Events(rest, tx) => {
                let mut rest = rest.lock().expect("not poisoned");
                rest.extend_from_slice(&data);
                // Complete events go on; a partial one waits for the next chunk.
                while let Some(end) = rest.windows(2).position(|w| w == b"\n\n") {
                    let block: Vec<u8> = rest.drain(..end + 2).collect();
                    if let Some(e) = parse_block(&String::from_utf8_lossy(&block), at) {
                        let _ = tx.send(e);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_arrive_with_the_last_chunk() {
        let t0 = Instant::now();
        let t1 = t0 + std::time::Duration::from_millis(3);
        let chunks = vec![
            (
                t0,
                Bytes::from_static(
                    b"event: session\ndata: {\"prompt\":{\"kind\":\"place_card\"}}\n\nid: 7\nevent: res",
                ),
            ),
            (t1, Bytes::from_static(b"ult\ndata: {\"seq\":7}\n\n: keep-alive\n\n")),
        ];
        let events = parse_events(&chunks);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].prompt().as_deref(), Some("place_card"));
        assert_eq!(events[0].at, t0);
        assert_eq!((events[1].name.as_str(), events[1].id.as_deref(), events[1].at), ("result", Some("7"), t1));
    }
}
