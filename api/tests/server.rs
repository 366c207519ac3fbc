//! The connection loop on a real socket: what one connection may make the daemon hold.

mod support;

use std::sync::Arc;

use myna_api::server::{self, Limits, MAX_HEADER_BUFFER};
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
