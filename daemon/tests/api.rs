//! The HTTP API: every route, role and error through the router without a socket, then SSE
//! with Last-Event-ID resume and graceful shutdown over a real socket.

mod support;

use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use myna_api::router::route;
use myna_kiosk::journal::Journal;
use myna_kiosk::session::SessionConfig;
use serde_json::{json, Value};
use support::http::{
    call, call_for, named, request, take_card, tap, wait_prompt, EventStream, Http, Router, Socket, SseEvent,
};
use support::wait::poll_until;
use support::{BENCH, EVERY_ROLE, FACE, KIOSK, RECEPTION, STAFF};

fn fixture(bench: bool) -> Router {
    Router::new(Journal::in_memory(), SessionConfig::default(), bench, &EVERY_ROLE)
}

#[tokio::test]
async fn a_pin_check_in_over_the_api_and_its_result() {
    let f = fixture(true);
    assert_eq!(call(&f, "GET", "/v1/health", None, None).await.json()["status"], "ok");
    tap(&f, "valid").await;
    let v = wait_prompt(&f, "choose_method").await;
    assert_eq!(v["allowed_actions"], json!(["method", "cancel", "extend", "challenge"]));
    assert_eq!(v["card"]["certificate"]["status"], "valid");

    let nonce = base64_of(&[9u8; 32]);
    assert_eq!(
        call(&f, "POST", "/v1/session/challenge", Some(RECEPTION), Some(json!({ "challenge": nonce }))).await.status,
        StatusCode::OK
    );
    let a = call(&f, "POST", "/v1/session/method", Some(KIOSK), Some(json!({ "method": "pin" }))).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["prompt"], json!({ "kind": "enter_pin", "tries_left": 3, "last_try": false }));
    let a = call(&f, "POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "123" }))).await;
    assert_eq!((a.status, a.code()), (StatusCode::BAD_REQUEST, "PIN_FORMAT".into()));
    let a = call(&f, "POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "1234", "confirm_last_try": false })))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    wait_prompt(&f, "consent").await;
    let a = call(
        &f,
        "POST",
        "/v1/session/consent",
        Some(KIOSK),
        Some(json!({ "medication": true, "limit_amount": false })),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    wait_prompt(&f, "take_card").await;

    let page = call(&f, "GET", "/v1/results?after=0&limit=10", Some(RECEPTION), None).await.json();
    assert_eq!(page["next_after"], 1);
    let r = &page["results"][0];
    assert_eq!(r["outcome"], "verified");
    assert_eq!(r["auth"]["method"], "pin");
    assert_eq!(r["auth"]["challenge"], nonce);
    assert_eq!(r["consent"]["items"], json!({ "medication": true, "limit_amount": false }));
    let id = r["id"].as_str().unwrap();
    assert_eq!(call(&f, "GET", &format!("/v1/results/{id}"), Some(RECEPTION), None).await.json()["seq"], 1);
    assert_eq!(call(&f, "POST", &format!("/v1/results/{id}/ack"), Some(RECEPTION), None).await.status, StatusCode::OK);
    assert_eq!(call(&f, "POST", "/v1/results/nope/ack", Some(RECEPTION), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(call(&f, "GET", "/v1/results/nope", Some(RECEPTION), None).await.status, StatusCode::NOT_FOUND);
    let empty = call(&f, "GET", "/v1/results?after=1", Some(RECEPTION), None).await.json();
    assert_eq!(empty["results"], json!([]));
    let metrics = call(&f, "GET", "/metrics", Some(STAFF), None).await;
    let text = String::from_utf8(metrics.body.to_vec()).unwrap();
    assert!(text.contains("myna_sessions_total{outcome=\"verified\"} 1"), "{text}");
    assert_eq!(call(&f, "DELETE", "/v1/bench/card", Some(BENCH), None).await.status, StatusCode::OK);
    wait_prompt(&f, "place_card").await;
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[tokio::test]
async fn the_face_module_gets_the_photo_once_as_jp2() {
    let f = fixture(true);
    tap(&f, "valid").await;
    wait_prompt(&f, "choose_method").await;
    call(&f, "POST", "/v1/session/method", Some(KIOSK), Some(json!({ "method": "face" }))).await;
    let body = json!({ "collation_b": myna_virtual_card::DEFAULT_COLLATION_B });
    let a = call(&f, "POST", "/v1/session/face/reference", Some(FACE), Some(body.clone())).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.content_type, "image/jp2");
    assert_eq!(&a.body[..], myna_virtual_card::TEST_PHOTO_JP2);
    let again = call(&f, "POST", "/v1/session/face/reference", Some(FACE), Some(body)).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "PHOTO_ALREADY_GIVEN".into()));
    let bad =
        call(&f, "POST", "/v1/session/face/verdict", Some(FACE), Some(json!({ "matched": true, "score": 7.5 }))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let ok =
        call(&f, "POST", "/v1/session/face/verdict", Some(FACE), Some(json!({ "matched": true, "score": 0.97 }))).await;
    assert_eq!(ok.status, StatusCode::OK);
    wait_prompt(&f, "consent").await;
    assert_eq!(
        call(&f, "POST", "/v1/session/consent", Some(KIOSK), Some(json!({ "all": false }))).await.status,
        StatusCode::OK
    );
    let r = call(&f, "GET", "/v1/results", Some(RECEPTION), None).await.json();
    assert_eq!(r["results"][0]["auth"], json!({ "method": "face", "score": 0.97 }));
}

#[tokio::test]
async fn roles_and_tokens() {
    let f = fixture(true);
    let cases: &[(&str, &str, &[&str])] = &[
        // The face module reads the session: its commands name it (If-Match).
        ("GET", "/v1/session", &[KIOSK, RECEPTION, STAFF, FACE]),
        ("POST", "/v1/session/method", &[KIOSK]),
        ("POST", "/v1/session/pin", &[KIOSK]),
        ("POST", "/v1/session/consent", &[KIOSK]),
        ("POST", "/v1/session/face/reference", &[FACE]),
        ("POST", "/v1/session/face/verdict", &[FACE]),
        ("POST", "/v1/session/visual", &[STAFF]),
        ("POST", "/v1/session/cancel", &[KIOSK, STAFF]),
        ("POST", "/v1/session/challenge", &[RECEPTION]),
        ("GET", "/v1/results", &[RECEPTION]),
        ("GET", "/v1/results/x", &[RECEPTION]),
        ("POST", "/v1/results/x/ack", &[RECEPTION]),
        ("GET", "/metrics", &[RECEPTION, STAFF]),
        ("DELETE", "/v1/bench/card", &[BENCH]),
    ];
    for (method, path, allowed) in cases {
        let none = call(&f, method, path, None, None).await;
        assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{method} {path} without token");
        assert_eq!(none.code(), "UNAUTHORIZED");
        let wrong = call(&f, method, path, Some("not-a-token"), None).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{method} {path} wrong token");
        for t in [KIOSK, RECEPTION, STAFF, FACE, BENCH] {
            let a = call(&f, method, path, Some(t), None).await;
            if allowed.contains(&t) {
                assert!(
                    !matches!(a.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN),
                    "{method} {path} as {t}: {}",
                    a.status
                );
            } else {
                assert_eq!(a.status, StatusCode::FORBIDDEN, "{method} {path} as {t}");
                assert_eq!(a.content_type, "application/problem+json");
            }
        }
    }
    // Public routes.
    assert_eq!(call(&f, "GET", "/v1/health", None, None).await.status, StatusCode::OK);
    let doc = call(&f, "GET", "/v1/openapi.json", None, None).await.json();
    assert_eq!(doc["openapi"], "3.1.0");
}

#[tokio::test]
async fn bad_requests_get_clear_problems() {
    let f = fixture(true);
    tap(&f, "valid").await;
    wait_prompt(&f, "choose_method").await;
    // Wrong content type.
    let req = Request::builder()
        .method("POST")
        .uri("/v1/session/method")
        .header("authorization", format!("Bearer {KIOSK}"))
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from_static(b"{\"method\":\"pin\"}")))
        .unwrap();
    let a = f.send(named(&f, req).await).await;
    assert_eq!((a.status, a.code()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE".into()));
    // Oversized body.
    let big = format!("{{\"method\":\"{}\"}}", "x".repeat(70_000));
    let req = Request::builder()
        .method("POST")
        .uri("/v1/session/method")
        .header("authorization", format!("Bearer {KIOSK}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(big)))
        .unwrap();
    assert_eq!(f.send(named(&f, req).await).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Malformed JSON, unknown fields, wrong enum: 400, and a PIN is never echoed back.
    for body in [json!({ "method": "iris" }), json!({ "method": "pin", "extra": 1 }), json!([])] {
        let a = call(&f, "POST", "/v1/session/method", Some(KIOSK), Some(body)).await;
        assert_eq!((a.status, a.code()), (StatusCode::BAD_REQUEST, "BAD_REQUEST_BODY".into()));
        let p = a.json();
        assert!(p["ja"].as_str().unwrap().len() > 3 && p["en"].as_str().unwrap().len() > 3);
    }
    call(&f, "POST", "/v1/session/method", Some(KIOSK), Some(json!({ "method": "pin" }))).await;
    let a = call(&f, "POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": 4711 }))).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(!String::from_utf8_lossy(&a.body).contains("4711"));
    // An action the session is not waiting for: 409.
    let a = call(&f, "POST", "/v1/session/consent", Some(KIOSK), Some(json!({ "all": true }))).await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, "NOT_WAITING".into()));
    // Bad queries and unknown paths.
    assert_eq!(call(&f, "GET", "/v1/results?limit=0", Some(RECEPTION), None).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(call(&f, "GET", "/v1/results?after=-1", Some(RECEPTION), None).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(call(&f, "GET", "/v1/nothing", Some(KIOSK), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(call(&f, "DELETE", "/v1/session", Some(KIOSK), None).await.status, StatusCode::METHOD_NOT_ALLOWED);
    let bad_challenge = json!({ "challenge": "c2hvcnQ=" });
    assert_eq!(
        call(&f, "POST", "/v1/session/challenge", Some(RECEPTION), Some(bad_challenge)).await.code(),
        "CHALLENGE_FORMAT"
    );
    let bad_profile = call(&f, "POST", "/v1/bench/card", Some(BENCH), Some(json!({ "profile": "gold" }))).await;
    assert_eq!((bad_profile.status, bad_profile.code()), (StatusCode::BAD_REQUEST, "UNKNOWN_PROFILE".into()));
}

#[tokio::test]
async fn pin_floods_are_throttled() {
    let f = fixture(true);
    tap(&f, "valid").await;
    wait_prompt(&f, "choose_method").await;
    let mut statuses = vec![];
    for _ in 0..7 {
        statuses.push(call(&f, "POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "12" }))).await.status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 2, "{statuses:?}");
    // Per session: the next patient is not made to wait for this one.
    assert_eq!(call(&f, "DELETE", "/v1/bench/card", Some(BENCH), None).await.status, StatusCode::OK);
    wait_prompt(&f, "place_card").await;
    tap(&f, "valid").await;
    wait_prompt(&f, "choose_method").await;
    let a = call(&f, "POST", "/v1/session/method", Some(KIOSK), Some(json!({ "method": "pin" }))).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let a = call(&f, "POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "1234" }))).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
}

#[tokio::test]
async fn token_guessing_is_slowed_per_address() {
    use myna_api::server::Peer;
    let f = fixture(false);
    let from = |ip: [u8; 4], token: &str| {
        let mut req = Request::builder()
            .uri("/v1/session")
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        req.extensions_mut().insert(Peer::Tcp(std::net::SocketAddr::from((ip, 40000))));
        req
    };
    let lan_guesser = [192, 168, 1, 66];
    for i in 0..10 {
        let a = f.send(from(lan_guesser, &format!("guess-{i}"))).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    // The 11th attempt is not even looked at: a right token from that address waits too.
    let r = route(&f.api, from(lan_guesser, RECEPTION)).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=61).contains(&wait), "Retry-After {wait}");
    let body: Value = serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["code"], "TOO_MANY_AUTH_FAILURES");
    // Everyone else goes on: the reception PC at another address.
    assert_eq!(f.send(from([192, 168, 1, 10], RECEPTION)).await.status, StatusCode::OK);
    // The kiosk's own screen (loopback) is never locked out, even by its own mistakes.
    for i in 0..15 {
        assert_eq!(f.send(from([127, 0, 0, 1], &format!("stale-{i}"))).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(f.send(from([127, 0, 0, 1], KIOSK)).await.status, StatusCode::OK);
    // A wrong role with a real token is no guess: never throttled.
    for _ in 0..15 {
        assert_eq!(f.send(from([192, 168, 1, 11], BENCH)).await.status, StatusCode::FORBIDDEN);
    }
}

/// A body that never arrives: a client that sent its headers and then trickles nothing.
struct Stalled;

impl hyper::body::Body for Stalled {
    type Data = Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Pending
    }
}

#[tokio::test(start_paused = true)]
async fn a_body_that_never_arrives_is_given_up_on() {
    let f = fixture(false);
    let req = Request::builder()
        .method("POST")
        .uri("/v1/session/cancel")
        .header("authorization", format!("Bearer {KIOSK}"))
        .header("if-match", "\"s-0000000000000000\"")
        .header("content-type", "application/json")
        .body(Stalled)
        .unwrap();
    let started = tokio::time::Instant::now();
    let r = route(&f.api, req).await;
    assert_eq!(r.status(), StatusCode::REQUEST_TIMEOUT);
    assert_eq!(started.elapsed(), myna_api::router::BODY_READ_TIMEOUT, "given up on at the limit, not before");
    let body: Value = serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["code"], "BODY_TIMEOUT");
}

#[tokio::test]
async fn bench_routes_exist_only_with_mock() {
    let f = fixture(false);
    let a = call(&f, "POST", "/v1/bench/card", Some(BENCH), Some(json!({ "profile": "valid" }))).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

/// The server's event stream at `addr`, as reception reads it, resuming after `last_id`.
async fn sse(addr: std::net::SocketAddr, last_id: Option<u64>) -> EventStream<Incoming> {
    let last_id = last_id.map(|i| i.to_string());
    Socket::Tcp(addr).events(RECEPTION, last_id.as_deref()).await
}

async fn sse_events(addr: std::net::SocketAddr, last_id: Option<u64>, want: usize) -> Vec<SseEvent> {
    sse(addr, last_id).await.until(|e| e.len() >= want).await.to_vec()
}

/// The stream has delivered the current session: the subscriber is live from here on.
fn has_session(e: &[SseEvent]) -> bool {
    e.iter().any(|e| e.event == "session")
}

async fn finish_one(f: &Router, profile: &str) {
    tap(f, profile).await;
    take_card(f).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_streams_and_resumes_with_last_event_id_then_shuts_down_gracefully() {
    let f = fixture(true);
    let (addr, server) = f.serve_local(myna_api::server::Limits::default()).await;
    // Three refused cards make three results, quickly.
    for p in ["expired", "juki", "not-jpki"] {
        finish_one(&f, p).await;
    }
    // A fresh subscriber sees the current session only; a resuming one gets what it missed.
    let fresh = sse_events(addr, None, 1).await;
    assert_eq!(fresh[0].event, "session");
    let resumed = sse_events(addr, Some(1), 3).await;
    let ids: Vec<_> = resumed.iter().map(|e| (e.id, e.event.as_str())).collect();
    assert_eq!(ids, [(Some(2), "result"), (Some(3), "result"), (None, "session")]);
    assert_eq!(resumed[0].data["error"]["code"], "JUKI_CARD");

    // Live: a subscriber sees the next session's result with the next id.
    let mut live = sse(addr, Some(3)).await;
    live.until(has_session).await;
    finish_one(&f, "expired").await;
    let live = live.until(|e| e.iter().any(|e| e.id.is_some())).await;
    assert!(live.iter().any(|e| e.id == Some(4) && e.event == "result"), "{live:?}");

    // Graceful shutdown ends open SSE streams and the server.
    let mut open = sse(addr, None).await;
    open.until(has_session).await;
    let open = tokio::spawn(async move { open.until(|e| e.len() >= 99).await.len() });
    f.stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(8), server).await.expect("server stopped").unwrap();
    assert!(open.await.is_err(), "the open stream was closed by the shutdown");
}

/// Reads until the peer closes (or 5 s pass): what a client sees of a refused connection.
async fn read_until_closed(s: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut out = vec![];
    tokio::time::timeout(Duration::from_secs(5), async {
        let mut b = [0u8; 1024];
        loop {
            match s.read(&mut b).await {
                Ok(0) | Err(_) => return,
                Ok(n) => out.extend_from_slice(&b[..n]),
            }
        }
    })
    .await
    .ok()
    .map(|_| out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_sends_its_headers_is_cut_off() {
    use tokio::io::AsyncWriteExt;
    let f = fixture(true);
    let limits = myna_api::server::Limits { header_read_timeout: Duration::from_millis(300), ..Default::default() };
    let (addr, _server) = f.serve_local(limits).await;
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /v1/health HTTP/1.1\r\nHost:").await.unwrap();
    assert!(read_until_closed(&mut slow).await.is_some(), "the server closed the slow connection");
    // Meanwhile and after, normal clients are served.
    let mut ok = tokio::net::TcpStream::connect(addr).await.unwrap();
    ok.write_all(b"GET /v1/health HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n").await.unwrap();
    let answer = read_until_closed(&mut ok).await.unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_are_closed_at_once() {
    use tokio::io::AsyncWriteExt;
    let f = fixture(true);
    // Loopback clients count against the local allowance; the LAN's allowance (none here) is
    // apart, so a flood from the clinic LAN can never take the kiosk screen's connections.
    let limits = myna_api::server::Limits { max_connections: 0, max_local_connections: 2, ..Default::default() };
    let (addr, _server) = f.serve_local(limits).await;
    let held = [held_connection(addr).await, held_connection(addr).await];
    let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _ = c.write_all(b"GET /v1/health HTTP/1.1\r\nHost: k\r\n\r\n").await;
    let answer = read_until_closed(&mut c).await.expect("closed, not left hanging");
    assert!(answer.is_empty(), "no answer over the limit");
    drop(held);
    // The server frees the places once it sees those connections closed: until then a new one
    // is closed at once, so look again until one is answered.
    let attempt = || async move {
        let mut d = tokio::net::TcpStream::connect(addr).await.unwrap();
        let _ = d.write_all(b"GET /v1/health HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n").await;
        read_until_closed(&mut d).await.unwrap_or_default()
    };
    let answer = poll_until(attempt, |a| !a.is_empty()).await.unwrap_or_else(|a| a);
    assert!(answer.starts_with(b"HTTP/1.1 200"), "served once below the limit");
}

/// A connection the server has taken: one request answered on it, and kept open until the
/// sender is dropped.
async fn held_connection(addr: std::net::SocketAddr) -> SendRequest<Full<Bytes>> {
    let mut conn = Socket::Tcp(addr).connect().await;
    let mut req = request("GET", "/v1/health", None, None);
    req.headers_mut().insert("host", "k".parse().unwrap());
    let answer = conn.send_request(req).await.expect("answered below the limit");
    answer.into_body().collect().await.unwrap();
    conn
}

#[tokio::test]
async fn a_late_cancel_for_the_previous_session_leaves_the_next_patient_alone() {
    let f = fixture(true);
    tap(&f, "valid").await;
    wait_prompt(&f, "choose_method").await;
    let first = call(&f, "GET", "/v1/session", Some(STAFF), None).await;
    let first_id = first.json()["id"].as_str().unwrap().to_string();
    let first_tag = format!("\"{first_id}\"");
    assert_eq!(first.headers["etag"], first_tag.as_str(), "GET /v1/session names its session");
    // Staff cancel; the patient takes the card and the next one taps.
    let a = call_for(&f, Some(&first_tag), "POST", "/v1/session/cancel", Some(STAFF), None).await;
    assert_eq!(a.status, StatusCode::OK);
    take_card(&f).await;
    // Idle: a command for any session is for another one.
    let a = call_for(&f, Some(&first_tag), "POST", "/v1/session/cancel", Some(STAFF), None).await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, "SESSION_MISMATCH".into()));
    tap(&f, "valid").await;
    let before = wait_prompt(&f, "choose_method").await;
    assert_ne!(before["id"], first_id.as_str());
    // The staff page's second tap (a slow network) arrives now, for the first session.
    let a = call_for(&f, Some(&first_tag), "POST", "/v1/session/cancel", Some(STAFF), None).await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, "SESSION_MISMATCH".into()));
    assert!(a.json()["ja"].as_str().unwrap().contains("前の方"));
    let body = json!({ "method": "pin" });
    let a = call_for(&f, Some(&first_tag), "POST", "/v1/session/method", Some(KIOSK), Some(body)).await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, "SESSION_MISMATCH".into()));
    // The new session is untouched.
    let after = call(&f, "GET", "/v1/session", Some(KIOSK), None).await.json();
    assert_eq!((&after["id"], &after["prompt"]), (&before["id"], &before["prompt"]));
    let results = call(&f, "GET", "/v1/results", Some(RECEPTION), None).await.json();
    assert_eq!(results["results"].as_array().unwrap().len(), 1, "only the first session ended");
}

#[tokio::test]
async fn a_command_that_names_no_session_is_428_and_changes_nothing() {
    let f = fixture(true);
    tap(&f, "valid").await;
    let before = wait_prompt(&f, "choose_method").await;
    for (path, token, body) in [
        ("/v1/session/cancel", STAFF, None),
        ("/v1/session/cancel", KIOSK, Some(json!({}))),
        ("/v1/session/method", KIOSK, Some(json!({ "method": "pin" }))),
    ] {
        let a = call_for(&f, None, "POST", path, Some(token), body.clone()).await;
        assert_eq!((a.status, a.code()), (StatusCode::PRECONDITION_REQUIRED, "SESSION_REQUIRED".into()), "{path}");
        // `*`, a weak tag or a bare id name no one session either.
        let id = before["id"].as_str().unwrap();
        for tag in ["*".to_string(), format!("W/\"{id}\""), id.to_string()] {
            let a = call_for(&f, Some(&tag), "POST", path, Some(token), body.clone()).await;
            assert_eq!(a.status, StatusCode::PRECONDITION_REQUIRED, "{path} If-Match: {tag}");
        }
    }
    let after = call(&f, "GET", "/v1/session", Some(KIOSK), None).await.json();
    assert_eq!((&after["id"], &after["prompt"]), (&before["id"], &before["prompt"]));
}

#[tokio::test]
async fn a_challenge_for_another_session_is_refused() {
    let f = fixture(true);
    tap(&f, "valid").await;
    let v = wait_prompt(&f, "choose_method").await;
    let nonce = json!({ "challenge": base64_of(&[3u8; 32]) });
    let other = "\"s-0000000000000000\"";
    let a = call_for(&f, Some(other), "POST", "/v1/session/challenge", Some(RECEPTION), Some(nonce.clone())).await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, "SESSION_MISMATCH".into()));
    // This session's own id is fine, and so is none (then it is for the next session).
    let own = format!("\"{}\"", v["id"].as_str().unwrap());
    let a = call_for(&f, Some(&own), "POST", "/v1/session/challenge", Some(RECEPTION), Some(nonce.clone())).await;
    assert_eq!(a.status, StatusCode::OK);
    let a = call_for(&f, None, "POST", "/v1/session/challenge", Some(RECEPTION), Some(nonce)).await;
    assert_eq!(a.status, StatusCode::OK);
}
