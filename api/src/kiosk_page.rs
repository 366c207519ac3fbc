//! The reference kiosk screen: `/kiosk` (the patient's touch screen), `/kiosk/staff` (the staff
//! view) and their static files, embedded in the binary so the screen needs no network at run
//! time. Plain HTML, CSS and JavaScript in `api/kiosk/`, no build step.
//!
//! The pages hold no secret. The screen gets the kiosk token (and, with `--mock`, the bench
//! token) from `GET /kiosk/token`, which answers only a client on this machine: a loopback TCP
//! peer that also names a loopback host (so a web page that rebinds its DNS name to 127.0.0.1
//! gets nothing), or the Unix socket. Any other peer, or a connection whose peer is unknown, gets
//! 403. The staff view never gets a token from the daemon: staff type theirs into the page.
//!
//! Every answer under `/kiosk` carries a Content-Security-Policy that lets the page load and
//! connect only to the daemon's own origin.

use std::net::{IpAddr, Ipv6Addr};

use http::header::{HeaderValue, ALLOW, HOST};
use http::{Request, Response, StatusCode};
use serde::Serialize;

use crate::backend::{Backend, Role};
use crate::error::ApiError;
use crate::peer::Peer;
use crate::response::{full, json, problem, ApiBody};
use crate::state::Api;

/// What every `/kiosk` answer carries: nothing may load from, or be sent to, another origin.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; connect-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// The embedded files: path under `/kiosk`, content type, bytes.
const FILES: &[(&str, &str, &str)] = &[
    ("", "text/html; charset=utf-8", include_str!("../kiosk/index.html")),
    ("staff", "text/html; charset=utf-8", include_str!("../kiosk/staff.html")),
    ("common.js", "text/javascript; charset=utf-8", include_str!("../kiosk/common.js")),
    ("kiosk.js", "text/javascript; charset=utf-8", include_str!("../kiosk/kiosk.js")),
    ("staff.js", "text/javascript; charset=utf-8", include_str!("../kiosk/staff.js")),
    ("style.css", "text/css; charset=utf-8", include_str!("../kiosk/style.css")),
];

/// `GET /kiosk/token`: the tokens the kiosk's own screen needs.
#[derive(Debug, Serialize)]
struct ScreenTokens<'a> {
    /// The first configured token with the kiosk role, or null if there is none.
    kiosk: Option<&'a str>,
    /// The first token with the bench role, only while the bench endpoints exist (`--mock`).
    bench: Option<&'a str>,
}

/// Whether `host` (a `Host` header value or URI authority) names this machine's loopback.
fn loopback_host(host: &str) -> bool {
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        // [v6]:port
        match rest.split_once(']') {
            Some((v6, _)) => return v6.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback()),
            None => return false,
        }
    } else {
        host.rsplit_once(':').map_or(host, |(name, _port)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| match ip {
            IpAddr::V4(v4) => v4.is_loopback(),
            IpAddr::V6(v6) => v6.is_loopback(),
        })
}

/// Whether a request for the kiosk token comes from this machine's own screen.
fn from_this_machine<Req>(req: &Request<Req>) -> bool {
    let Some(peer) = req.extensions().get::<Peer>() else {
        return false;
    };
    if !peer.is_local() {
        return false;
    }
    // A browser says where a request comes from; only the page itself (or a typed address) may ask.
    if let Some(site) = req.headers().get("sec-fetch-site") {
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return false;
        }
    }
    match peer {
        Peer::Unix => true,
        Peer::Tcp(_) => {
            let host = req
                .uri()
                .host()
                .map(str::to_string)
                .or_else(|| req.headers().get(HOST).and_then(|h| h.to_str().ok()).map(str::to_string));
            host.is_some_and(|h| loopback_host(&h))
        }
    }
}

fn with_page_headers(mut r: Response<ApiBody>) -> Response<ApiBody> {
    let h = r.headers_mut();
    h.insert("content-security-policy", HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    r
}

/// Answers a request whose path starts with `kiosk` (`path` is split on `/`, trimmed).
pub(crate) fn serve<B: Backend, Req>(api: &Api<B>, req: &Request<Req>, path: &[&str]) -> Response<ApiBody> {
    let rest = path[1..].join("/");
    let known = rest == "token" || FILES.iter().any(|(p, _, _)| *p == rest);
    let r = if !known {
        problem(ApiError::NotFound)
    } else if req.method() != http::Method::GET {
        let mut r = problem(ApiError::MethodNotAllowed);
        r.headers_mut().insert(ALLOW, HeaderValue::from_static("GET"));
        r
    } else if rest == "token" {
        if from_this_machine(req) {
            let tokens = api.tokens();
            let bench = if api.backend.bench_enabled() { tokens.first_with_role(Role::Bench) } else { None };
            json(StatusCode::OK, &ScreenTokens { kiosk: tokens.first_with_role(Role::Kiosk), bench })
        } else {
            problem(ApiError::KioskScreenLocalOnly)
        }
    } else {
        let (_, content_type, body) = FILES.iter().find(|(p, _, _)| *p == rest).copied().unwrap_or(FILES[0]);
        full(StatusCode::OK, content_type, body)
    };
    with_page_headers(r)
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::sync::Arc;

    use bytes::Bytes;
    use http_body_util::{BodyExt, Empty};
    use tokio::sync::{broadcast, watch};

    use super::*;
    use crate::auth::Tokens;
    use crate::backend::{ApiCommand, BenchCard, CommandOutcome, Health, HealthStatus};
    use crate::proto::{Notice, Prompt, SessionResult, SessionView};
    use crate::router::route;

    /// Only what `/kiosk` needs: whether the bench exists. Everything else is never called.
    struct Idle {
        view: watch::Sender<SessionView>,
        results: broadcast::Sender<SessionResult>,
        bench: bool,
    }

    impl Idle {
        fn new(bench: bool) -> Self {
            let view = SessionView {
                id: None,
                prompt: Prompt::PlaceCard,
                allowed_actions: vec![],
                pin_tries_left: None,
                deadline_ms: None,
                notices: vec![],
                card: None,
            };
            Idle { view: watch::channel(view).0, results: broadcast::channel(1).0, bench }
        }
    }

    impl Backend for Idle {
        fn session(&self) -> SessionView {
            self.view.borrow().clone()
        }
        fn watch_session(&self) -> watch::Receiver<SessionView> {
            self.view.subscribe()
        }
        async fn command(&self, _cmd: ApiCommand) -> CommandOutcome {
            CommandOutcome::Accepted
        }
        fn results_after(&self, _after: u64, _limit: usize) -> Result<Vec<SessionResult>, Notice> {
            Ok(vec![])
        }
        fn result(&self, _id: &str) -> Result<Option<SessionResult>, Notice> {
            Ok(None)
        }
        fn ack(&self, _id: &str) -> Result<bool, Notice> {
            Ok(false)
        }
        fn subscribe_results(&self) -> broadcast::Receiver<SessionResult> {
            self.results.subscribe()
        }
        fn health(&self) -> Health {
            let s = String::from;
            Health {
                status: HealthStatus::Ok,
                version: s("test"),
                reader: s("ok"),
                indicators: s("off"),
                journal: s("ok"),
                mock: true,
            }
        }
        fn metrics(&self) -> String {
            String::new()
        }
        fn bench_enabled(&self) -> bool {
            self.bench
        }
        async fn bench_tap(&self, _card: BenchCard) -> Result<(), Notice> {
            Ok(())
        }
        async fn bench_remove(&self) -> bool {
            false
        }
    }

    const KIOSK: &str = "kiosk-token-for-the-screen";
    const BENCH: &str = "bench-token-for-the-screen";

    fn api(bench: bool) -> (Api<Idle>, watch::Sender<bool>) {
        let mut tokens = Tokens::new();
        tokens.add("reception-token".into(), vec![Role::Reception]);
        tokens.add(KIOSK.into(), vec![Role::Kiosk]);
        tokens.add(BENCH.into(), vec![Role::Bench]);
        let (stop, stop_rx) = watch::channel(false);
        (Api::new(Arc::new(Idle::new(bench)), tokens, stop_rx), stop)
    }

    fn tcp(addr: &str) -> Option<Peer> {
        Some(Peer::Tcp(addr.parse::<SocketAddr>().unwrap()))
    }

    /// Calls the router as the server would, with `peer` in the request's extensions.
    async fn call(
        api: &Api<Idle>,
        method: &str,
        path: &str,
        host: &str,
        peer: Option<Peer>,
    ) -> (StatusCode, http::HeaderMap, serde_json::Value) {
        let mut req =
            Request::builder().method(method).uri(path).header(HOST, host).body(Empty::<Bytes>::new()).unwrap();
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

    #[test]
    fn the_pages_load_nothing_from_elsewhere() {
        // The CSP would block it anyway; this keeps the files honest so nothing silently breaks.
        for (path, _, body) in FILES {
            for bad in ["http://", "https://", "//cdn", "ws://", "wss://"] {
                assert!(!body.contains(bad), "/kiosk/{path} contains {bad}");
            }
        }
    }

    #[test]
    fn loopback_hosts() {
        for h in ["localhost", "LOCALHOST:8787", "127.0.0.1", "127.0.0.1:8787", "127.1.2.3:1", "[::1]:8787", "[::1]"] {
            assert!(loopback_host(h), "{h}");
        }
        for h in ["", "kiosk", "evil.example:8787", "192.168.1.5:8787", "[::2]:8787", "[::1", "localhost.evil.example"]
        {
            assert!(!loopback_host(h), "{h}");
        }
    }
}
