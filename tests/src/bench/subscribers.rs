//! The SSE part's hundreds of subscribers, read as cheaply as the bench can: they share the
//! daemon's two cores, so every microsecond they spend on an event is one a fan-out waits for
//! (reception PCs in the field read on their own CPUs). perf showed the hyper client costing
//! as much CPU per event as the daemon's writes.
//!
//! - One OS thread with its own single-threaded runtime runs them all: no work stealing and no
//!   wake-ups across threads.
//! - One task per connection and one read per arrival: the request goes out as bytes, and the
//!   response head and the chunked framing are parsed by httparse (no HTTP parsing by hand).
//! - Of each event only its arrival and whether it is a `session` event are kept.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use super::http::{complete_events, Error};

/// The subscribers, on their own thread.
pub struct Subscribers {
    runtime: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    logs: Vec<Log>,
    /// Reads so far by all of them: it stops moving once every fan-out is over.
    pub reads: Arc<AtomicUsize>,
}

impl Subscribers {
    /// Starts their thread (none open yet).
    pub fn start() -> Subscribers {
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sse-subscribers".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
                let _ = handle_tx.send(rt.handle().clone());
                // Runs the subscribers until told to stop; dropping the runtime closes them.
                let _ = rt.block_on(stopped);
            })
            .expect("a thread");
        let runtime = handle_rx.recv().expect("the subscribers' runtime");
        Subscribers { runtime, stop: Some(stop), thread: Some(thread), logs: Vec::new(), reads: Arc::default() }
    }

    /// Opens `n` more subscriptions to `GET /v1/events` at `addr` with `token`, 50 at a time (a
    /// burst of 500 SYNs would just measure the listen backlog).
    pub async fn open(&mut self, addr: SocketAddr, token: &str, n: usize) -> Result<(), Error> {
        let request = format!(
            "GET /v1/events HTTP/1.1\r\nhost: kiosk\r\nauthorization: Bearer {token}\r\naccept: text/event-stream\r\n\r\n"
        );
        for batch in (0..n).collect::<Vec<_>>().chunks(50) {
            let mut opening = Vec::new();
            for _ in batch {
                let log = Log::default();
                self.logs.push(log.clone());
                let (request, reads) = (request.clone(), self.reads.clone());
                opening.push(self.runtime.spawn(async move { subscribe(addr, &request, log, reads).await }));
            }
            for o in opening {
                o.await??;
            }
        }
        Ok(())
    }

    pub fn logs(&self) -> &[Log] {
        &self.logs
    }
}

impl Drop for Subscribers {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One subscription: sends the request, checks the head, then reads the stream on a task of
/// its own until the connection ends.
async fn subscribe(
    addr: SocketAddr,
    request: &str,
    log: Log,
    reads: Arc<AtomicUsize>,
) -> Result<JoinHandle<()>, Error> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    stream.write_all(request.as_bytes()).await?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut filled = 0;
    let body_from = loop {
        let n = stream.read(&mut buf[filled..]).await?;
        if n == 0 {
            return Err("GET /v1/events: closed before the response head".into());
        }
        filled += n;
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut head = httparse::Response::new(&mut headers);
        match head.parse(&buf[..filled])? {
            httparse::Status::Complete(len) => {
                if head.code != Some(200) {
                    return Err(format!("GET /v1/events: HTTP {:?}", head.code).into());
                }
                let chunked = head.headers.iter().any(|h| {
                    h.name.eq_ignore_ascii_case("transfer-encoding") && h.value.eq_ignore_ascii_case(b"chunked")
                });
                if !chunked {
                    return Err("GET /v1/events: the stream is not chunked".into());
                }
                break len;
            }
            httparse::Status::Partial if filled == buf.len() => return Err("GET /v1/events: head too large".into()),
            httparse::Status::Partial => {}
        }
    };
    let mut body = Chunked::default();
    let feed = move |body: &mut Chunked, at: Instant, bytes: &[u8]| {
        let mut log = log.lock().expect("not poisoned");
        let ok = body.feed(bytes, |data| log.push(at, data)).is_ok();
        reads.fetch_add(1, Ordering::Relaxed);
        ok
    };
    if !feed(&mut body, Instant::now(), &buf[body_from..filled]) {
        return Err("GET /v1/events: bad chunked framing".into());
    }
    Ok(tokio::spawn(async move {
        // A framing error ends the subscription: its events then count as missed.
        while let Ok(n @ 1..) = stream.read(&mut buf).await {
            if !feed(&mut body, Instant::now(), &buf[..n]) {
                return;
            }
        }
    }))
}

/// The response body's chunked framing (RFC 9112 §7.1), undone as it arrives; httparse reads
/// each chunk's size line.
#[derive(Debug, Default)]
struct Chunked {
    /// Read but not yet used (a size line split across reads).
    raw: Vec<u8>,
    /// Data bytes left in the current chunk.
    data_left: usize,
    /// Bytes left of the CRLF after a chunk's data.
    crlf_left: usize,
    ended: bool,
}

impl Chunked {
    /// Feeds `input`; the body's data goes to `out` in order. Err if the framing is wrong.
    fn feed(&mut self, input: &[u8], mut out: impl FnMut(&[u8])) -> Result<(), &'static str> {
        self.raw.extend_from_slice(input);
        let mut pos = 0;
        while pos < self.raw.len() && !self.ended {
            let rest = &self.raw[pos..];
            if self.data_left > 0 {
                let n = self.data_left.min(rest.len());
                out(&rest[..n]);
                pos += n;
                self.data_left -= n;
                if self.data_left == 0 {
                    self.crlf_left = 2;
                }
            } else if self.crlf_left > 0 {
                let n = self.crlf_left.min(rest.len());
                if rest[..n] != b"\r\n"[2 - self.crlf_left..][..n] {
                    return Err("no CRLF after a chunk");
                }
                pos += n;
                self.crlf_left -= n;
            } else {
                match httparse::parse_chunk_size(rest) {
                    Ok(httparse::Status::Complete((used, size))) => {
                        pos += used;
                        self.data_left = usize::try_from(size).map_err(|_| "chunk too large")?;
                        self.ended = size == 0;
                    }
                    Ok(httparse::Status::Partial) => break,
                    Err(_) => return Err("bad chunk size line"),
                }
            }
        }
        self.raw.drain(..pos);
        Ok(())
    }
}

/// When each event of a stream arrived, and whether it was a `session` event; nothing of its
/// content is kept (even copies of each event would be fresh memory on every event, page
/// faults the daemon's delivery times would then show).
#[derive(Debug, Default)]
pub struct Arrivals {
    /// An event not yet complete (its end is in a later chunk).
    partial: Vec<u8>,
    /// (arrival of the chunk that completed it, a `session` event).
    pub events: Vec<(Instant, bool)>,
}

impl Arrivals {
    fn push(&mut self, at: Instant, data: &[u8]) {
        let Arrivals { partial, events } = self;
        complete_events(partial, data, |block| events.extend(event_kind(block).map(|session| (at, session))));
    }
}

/// Whether `block` is an event (a comment, the keep-alive, has no `data`) and whether it is a
/// `session` one. Lines are found with memchr: a byte-by-byte scan of each event was a quarter
/// of the client's CPU with 500 subscribers (perf), time the daemon's fan-out then waited for.
fn event_kind(block: &[u8]) -> Option<bool> {
    let (mut data, mut session) = (false, false);
    let mut from = 0;
    for end in memchr::memchr_iter(b'\n', block).chain(std::iter::once(block.len())) {
        let line = &block[from..end];
        data |= line.starts_with(b"data:");
        session |= line == b"event: session" || line == b"event:session";
        from = end + 1;
    }
    data.then_some(session)
}

pub type Log = Arc<Mutex<Arrivals>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_arrive_with_the_last_chunk() {
        let t0 = Instant::now();
        let t1 = t0 + std::time::Duration::from_millis(3);
        let mut log = Arrivals::default();
        log.push(t0, b"event: session\ndata: {\"prompt\":{\"kind\":\"place_card\"}}\n\nid: 7\nevent: res");
        assert_eq!(log.events, vec![(t0, true)]);
        log.push(t1, b"ult\ndata: {\"seq\":7}\n\n: keep-alive\n\nevent: session\ndata: {}\n");
        // The result completes with the second chunk; the comment is no event; the last
        // session event is not complete yet.
        assert_eq!(log.events, vec![(t0, true), (t1, false)]);
        log.push(t0, b"\n");
        assert_eq!(log.events.last(), Some(&(t0, true)));
        assert!(log.partial.is_empty());
    }

    #[test]
    fn chunked_framing_is_undone_across_any_split() {
        let body = b"e\r\nevent: session\r\n19;ext=1\r\n\ndata: {}\n\n: keep-alive\n\n\r\n0\r\n\r\n";
        // Every split point, as reads may fall anywhere.
        for cut in 0..=body.len() {
            let (mut c, mut out) = (Chunked::default(), Vec::new());
            c.feed(&body[..cut], |d| out.extend_from_slice(d)).expect("good framing");
            c.feed(&body[cut..], |d| out.extend_from_slice(d)).expect("good framing");
            assert_eq!(out, b"event: session\ndata: {}\n\n: keep-alive\n\n", "split at {cut}");
            assert!(c.ended);
        }
        let mut c = Chunked::default();
        assert!(c.feed(b"3\r\nabcXY", |_| {}).is_err(), "data longer than its size");
        assert!(Chunked::default().feed(b"zz\r\n", |_| {}).is_err(), "a size that is no number");
    }
}
