//! The reference kiosk screen through the router: the kiosk token goes to this machine's own
//! screen only, and every answer under `/kiosk` carries the page headers.

mod support;

use std::net::SocketAddr;

use bytes::Bytes;
use http::header::HOST;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use myna_api::backend::Role;
use myna_api::kiosk_page::CONTENT_SECURITY_POLICY;
use myna_api::router::{route, Api};
use myna_api::server::Peer;
use support::{fixture_with, Fake};
use tokio::sync::watch;

const KIOSK: &str = "kiosk-token-for-the-screen";
const BENCH: &str = "bench-token-for-the-screen";

fn api(bench: bool) -> (Api<Fake>, watch::Sender<bool>) {
    let tokens = [("reception-token", Role::Reception), (KIOSK, Role::Kiosk), (BENCH, Role::Bench)];
    fixture_with(Fake { bench, ..Fake::new() }, tokens)
}

fn tcp(addr: &str) -> Option<Peer> {
    Some(Peer::Tcp(addr.parse::<SocketAddr>().unwrap()))
}

/// Calls the router as the server would, with `peer` in the request's extensions.
async fn call(
    api: &Api<Fake>,
    method: &str,
    path: &str,
    host: &str,
    peer: Option<Peer>,
) -> (StatusCode, http::HeaderMap, serde_json::Value) {
    let mut req = Request::builder().method(method).uri(path).header(HOST, host).body(Empty::<Bytes>::new()).unwrap();
    if let Some(peer) = peer {
        req.extensions_mut().insert(peer);
    }
    let r = route(api, req).await;
    let (parts, body) = r.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (parts.status, parts.headers, value)
}

#[tokio::test]
async fn the_token_goes_to_loopback_only() {
    let (api, _stop) = api(true);
    let lan = tcp("192.168.1.20:50000");
    let (status, _, body) = call(&api, "GET", "/kiosk/token", "192.168.1.10:8787", lan).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "KIOSK_SCREEN_LOCAL_ONLY");
    assert!(!body.to_string().contains(KIOSK));
    // A LAN peer that claims a loopback Host is still the LAN.
    let (status, _, _) = call(&api, "GET", "/kiosk/token", "127.0.0.1:8787", lan).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // No peer known (an acceptor that cannot tell): never local.
    let (status, _, _) = call(&api, "GET", "/kiosk/token", "127.0.0.1:8787", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    for (peer, host) in
        [("127.0.0.1:50000", "127.0.0.1:8787"), ("127.0.0.1:1", "localhost:8787"), ("[::1]:2", "[::1]:8787")]
    {
        let (status, _, body) = call(&api, "GET", "/kiosk/token", host, tcp(peer)).await;
        assert_eq!(status, StatusCode::OK, "{peer} {host}");
        assert_eq!(body["kiosk"], KIOSK);
        assert_eq!(body["bench"], BENCH);
    }
    let (status, _, body) = call(&api, "GET", "/kiosk/token", "kiosk", Some(Peer::Unix)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["kiosk"], KIOSK);
}

#[tokio::test]
async fn a_rebound_host_name_gets_nothing() {
    // DNS rebinding: a page from evil.example whose name now points at 127.0.0.1.
    let (api, _stop) = api(true);
    let (status, _, body) = call(&api, "GET", "/kiosk/token", "evil.example", tcp("127.0.0.1:50000")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "KIOSK_SCREEN_LOCAL_ONLY");
    let (status, _, _) = call(&api, "GET", "/kiosk/token", "evil.example:8787", tcp("127.0.0.1:50000")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_cross_site_fetch_gets_nothing() {
    let (api, _stop) = api(true);
    let mut req = Request::get("/kiosk/token").header(HOST, "127.0.0.1:8787");
    req = req.header("sec-fetch-site", "cross-site");
    let mut req = req.body(Empty::<Bytes>::new()).unwrap();
    req.extensions_mut().insert(Peer::Tcp("127.0.0.1:5".parse().unwrap()));
    assert_eq!(route(&api, req).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn no_bench_token_without_the_bench() {
    let (api, _stop) = api(false);
    let (status, _, body) = call(&api, "GET", "/kiosk/token", "127.0.0.1:8787", tcp("127.0.0.1:5")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["kiosk"], KIOSK);
    assert!(body["bench"].is_null());
}

#[tokio::test]
async fn every_answer_carries_the_csp() {
    let (api, _stop) = api(true);
    let lan = tcp("192.168.1.20:50000");
    let cases = [
        ("GET", "/kiosk", StatusCode::OK, Some("text/html; charset=utf-8")),
        ("GET", "/kiosk/", StatusCode::OK, Some("text/html; charset=utf-8")),
        ("GET", "/kiosk/staff", StatusCode::OK, Some("text/html; charset=utf-8")),
        ("GET", "/kiosk/common.js", StatusCode::OK, Some("text/javascript; charset=utf-8")),
        ("GET", "/kiosk/kiosk.js", StatusCode::OK, Some("text/javascript; charset=utf-8")),
        ("GET", "/kiosk/staff.js", StatusCode::OK, Some("text/javascript; charset=utf-8")),
        ("GET", "/kiosk/style.css", StatusCode::OK, Some("text/css; charset=utf-8")),
        ("GET", "/kiosk/token", StatusCode::FORBIDDEN, None),
        ("GET", "/kiosk/nope.js", StatusCode::NOT_FOUND, None),
        ("GET", "/kiosk/../v1/health", StatusCode::NOT_FOUND, None),
        ("GET", "/kiosk/staff/x", StatusCode::NOT_FOUND, None),
        ("POST", "/kiosk", StatusCode::METHOD_NOT_ALLOWED, None),
        ("POST", "/kiosk/token", StatusCode::METHOD_NOT_ALLOWED, None),
        ("DELETE", "/kiosk/style.css", StatusCode::METHOD_NOT_ALLOWED, None),
    ];
    for (method, path, want, content_type) in cases {
        let (status, headers, _) = call(&api, method, path, "192.168.1.10:8787", lan).await;
        assert_eq!(status, want, "{method} {path}");
        assert_eq!(headers["content-security-policy"], CONTENT_SECURITY_POLICY, "{method} {path}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        if let Some(ct) = content_type {
            assert_eq!(headers["content-type"], ct, "{path}");
        }
        if want == StatusCode::METHOD_NOT_ALLOWED {
            assert_eq!(headers["allow"], "GET");
        }
    }
}

#[tokio::test]
async fn the_screen_only_ever_gets_a_kiosk_only_token() {
    // Any process on the kiosk can ask for the screen's token: one that also reads results
    // (or confirms visual checks) must never be handed out, whatever comes first.
    let mut tokens = myna_api::auth::Tokens::new();
    tokens.add("kiosk-and-reception-token".into(), vec![Role::Kiosk, Role::Reception]);
    tokens.add("kiosk-and-staff-token".into(), vec![Role::Staff, Role::Kiosk]);
    let (_stop, stop_rx) = watch::channel(false);
    let api = Api::new(std::sync::Arc::new(Fake::new()), tokens, stop_rx);
    let (status, _, body) = call(&api, "GET", "/kiosk/token", "kiosk", Some(Peer::Unix)).await;
    // As when no kiosk token exists.
    assert_eq!((status, &body["kiosk"]), (StatusCode::OK, &serde_json::Value::Null), "{body}");

    let mut tokens = myna_api::auth::Tokens::new();
    tokens.add("kiosk-and-reception-token".into(), vec![Role::Kiosk, Role::Reception]);
    tokens.add(KIOSK.into(), vec![Role::Kiosk]);
    api.set_tokens(tokens);
    let (status, _, body) = call(&api, "GET", "/kiosk/token", "kiosk", Some(Peer::Unix)).await;
    assert_eq!((status, &body["kiosk"]), (StatusCode::OK, &serde_json::json!(KIOSK)), "{body}");
}
