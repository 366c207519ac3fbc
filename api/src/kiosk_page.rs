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

use http::header::{HeaderValue, HOST};
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
    /// The first configured token whose only role is kiosk, or null if there is none: a token
    /// that also has another role (results, visual checks) is never given to the screen.
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
        problem(ApiError::MethodNotAllowed { allow: "GET".into() })
    } else if rest == "token" {
        if from_this_machine(req) {
            let tokens = api.tokens();
            let bench = if api.backend.bench_enabled() { tokens.first_with_role(Role::Bench) } else { None };
            json(StatusCode::OK, &ScreenTokens { kiosk: tokens.kiosk_only(), bench })
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
    use super::*;

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
