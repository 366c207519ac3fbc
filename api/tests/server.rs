//! The connection loop on a real socket (and, for LAN peers, a fake acceptor): what one
//! connection, or one host, may make the daemon hold.

mod support;

use std::sync::Arc;
use std::time::Duration;

use myna_api::server::{self, Limits, Peer, MAX_HEADER_BUFFER};
use support::{fixture, Fake};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Sends `head` and returns the status line of the answer (empty if the connection closed).
async fn status_line(addr: std::net::SocketAddr, head: &[u8]) -> String {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    // The server may answer (and close) before it has read everything: a failed write is fine.
    let _ = conn.write_all(head).await;
    let mut answer = vec![];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), conn.read_to_end(&mut answer));
    let _ = read.await.expect("the server answers or closes, never hangs");
    String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_request_head_larger_than_the_buffer_is_refused_not_buffered() {
    let (api, stop) = fixture(Fake::new());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut stopped = stop.subscribe();
    let shutdown = async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    let server = tokio::spawn(server::serve(listener, Arc::new(api), Limits::default(), shutdown));

    let head = |filler: usize| {
        format!("GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Filler: {}\r\nConnection: close\r\n\r\n", "a".repeat(filler))
    };
    // A head that fits is served.
    assert!(status_line(addr, head(1024).as_bytes()).await.starts_with("HTTP/1.1 200"));
    // One past the bound is refused (hyper answers 431) instead of being held in memory.
    let answer = status_line(addr, head(MAX_HEADER_BUFFER + 1024).as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "got {answer:?}");

    stop.send(true).unwrap();
    server.await.unwrap();
}

/// Connections handed to the server as a listener would, each with the peer it claims: lets
/// a test be "a host on the LAN" without an address on the machine.
struct FakeLan {
    incoming: tokio::sync::Mutex<tokio::sync::mpsc::Receiver<(tokio::io::DuplexStream, Peer)>>,
}

impl server::Acceptor for FakeLan {
    type Io = tokio::io::DuplexStream;
    async fn accept(&self) -> std::io::Result<server::Accepted<Self::Io>> {
        let Some((io, peer)) = self.incoming.lock().await.recv().await else {
            return std::future::pending().await;
        };
        Ok(server::Accepted { io: Box::pin(std::future::ready(Ok(io))), peer: Some(peer) })
    }
}

/// Opens a connection from `peer` and sends a health request; the status line, or "" when the
/// server closed it at once.
async fn from(
    tx: &tokio::sync::mpsc::Sender<(tokio::io::DuplexStream, Peer)>,
    peer: &str,
    held: &mut Vec<tokio::io::DuplexStream>,
) -> String {
    let (mut client, server_side) = tokio::io::duplex(64 * 1024);
    tx.send((server_side, Peer::Tcp(peer.parse().unwrap()))).await.unwrap();
    let _ = client.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), client.read(&mut buf)).await.expect("answered or closed");
    let line = String::from_utf8_lossy(&buf[..n.unwrap_or(0)]).lines().next().unwrap_or_default().to_string();
    // Keep it open (keep-alive): it holds its slot.
    held.push(client);
    line
}

#[tokio::test]
async fn one_lan_host_cannot_take_every_slot() {
    let (api, stop) = fixture(Fake::new());
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let lan = FakeLan { incoming: tokio::sync::Mutex::new(rx) };
    let limits = Limits { max_connections: 8, max_local_connections: 2, ..Limits::default() };
    let mut stopped = stop.subscribe();
    let server = tokio::spawn(server::serve(lan, Arc::new(api), limits, async move {
        let _ = stopped.wait_for(|s| *s).await;
    }));
    let mut held = vec![];
    // A quarter of the slots from one address; the next is closed at once.
    for i in 0..2 {
        assert!(from(&tx, "192.0.2.7:4000", &mut held).await.starts_with("HTTP/1.1 200"), "connection {i}");
    }
    for _ in 0..3 {
        assert_eq!(from(&tx, "192.0.2.7:4001", &mut held).await, "", "one host holds a quarter at most");
        held.pop();
    }
    // The same host as an IPv4-mapped IPv6 address is the same host.
    assert_eq!(from(&tx, "[::ffff:192.0.2.7]:4002", &mut held).await, "");
    held.pop();
    // Reception, on another address, is still served; so is the kiosk's own screen.
    assert!(from(&tx, "192.0.2.8:5000", &mut held).await.starts_with("HTTP/1.1 200"));
    assert!(from(&tx, "127.0.0.1:6000", &mut held).await.starts_with("HTTP/1.1 200"));
    // A closed connection gives its address's slot back.
    held.remove(0);
    let mut served = false;
    for _ in 0..50 {
        if from(&tx, "192.0.2.7:4003", &mut held).await.starts_with("HTTP/1.1 200") {
            served = true;
            break;
        }
        held.pop();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served, "the slot came back");

    drop(held);
    stop.send(true).unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn a_client_that_never_reads_does_not_hold_its_slot() {
    let (api, stop) = fixture(Fake::new());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // One slot for this machine: whoever holds it locks every other local client out.
    let limits = Limits { max_local_connections: 1, write_stall_timeout: Duration::from_secs(1), ..Limits::default() };
    let mut stopped = stop.subscribe();
    let server = tokio::spawn(server::serve(listener, Arc::new(api), limits, async move {
        let _ = stopped.wait_for(|s| *s).await;
    }));

    // A tiny receive window, the public OpenAPI document asked for again and again, never read.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(2048).unwrap();
    let mut slow = socket.connect(addr).await.unwrap();
    let asks = "GET /v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n".repeat(150);
    slow.write_all(asks.as_bytes()).await.unwrap();

    // Once its answer has stalled for the timeout, the slot is free again.
    let started = std::time::Instant::now();
    let mut answer = String::new();
    while started.elapsed() < Duration::from_secs(8) {
        answer = status_line(addr, b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(answer.starts_with("HTTP/1.1 200"), "the reader that never reads still holds the slot: {answer:?}");
    // And the slow client was cut off, not served everything it asked for.
    let mut got = vec![];
    let _ = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut got)).await;
    let answers = String::from_utf8_lossy(&got).matches("HTTP/1.1 200").count();
    assert!(answers < 150, "{answers} answers");

    stop.send(true).unwrap();
    server.await.unwrap();
}
