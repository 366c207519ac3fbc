//! The HTTP API: request lines, query strings, headers and bodies through the real router and
//! the daemon's backend (session engine, card worker on the mock reader, in-memory journal),
//! without a socket. The router must never panic and never answer 5xx for anything a client
//! sends, and problem answers never echo a secret.
//!
//! Input: one or more requests separated by a line `%%`. Each is a mini HTTP/1 message:
//!
//! ```text
//! POST /v1/session/pin
//! x-optional: header lines
//!
//! {"pin":"4711"}
//! ```
//!
//! Unless the request sets them, `authorization` carries a token with every role, a POST
//! has `content-type: application/json` and a session command names the session in progress
//! (`if-match`), so the fuzzer spends its time past the gate.
#![no_main]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use libfuzzer_sys::fuzz_target;
use myna_api::auth::Tokens;
use myna_api::backend::Role;
use myna_api::router::{route, Api};
use myna_kiosk::api_backend::DaemonBackend;
use myna_kiosk::journal::Journal;
use myna_kiosk::session::SessionConfig;
use myna_virtual_card::test_trust_anchors;
use tokio::sync::watch;

const TOKEN: &str = "fuzz-token-with-every-role";
const MAX_REQUESTS: usize = 8;

struct Fuzzed<'a> {
    method: &'a str,
    target: &'a str,
    headers: Vec<(&'a str, &'a [u8])>,
    body: &'a [u8],
}

fn split<'a>(hay: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = vec![];
    let mut rest = hay;
    while let Some(i) = rest.windows(sep.len()).position(|w| w == sep) {
        out.push(&rest[..i]);
        rest = &rest[i + sep.len()..];
    }
    out.push(rest);
    out
}

fn parse(chunk: &[u8]) -> Option<Fuzzed<'_>> {
    let (head, body) = match chunk.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&chunk[..i], &chunk[i + 2..]),
        None => (chunk, &[][..]),
    };
    let mut lines = head.split(|&b| b == b'\n');
    let first = std::str::from_utf8(lines.next()?).ok()?;
    let (method, target) = first.split_once(' ').unwrap_or((first, "/"));
    let mut headers = vec![];
    for line in lines {
        let colon = line.iter().position(|&b| b == b':')?;
        let name = std::str::from_utf8(&line[..colon]).ok()?;
        let value = line[colon + 1..].strip_prefix(b" ").unwrap_or(&line[colon + 1..]);
        headers.push((name, value));
    }
    Some(Fuzzed { method, target: target.trim_end_matches(" HTTP/1.1"), headers, body })
}

fn build(f: &Fuzzed<'_>, session: Option<&str>) -> Option<Request<Full<Bytes>>> {
    let mut req = Request::builder().method(f.method).uri(f.target);
    let has = |n: &str| f.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
    if !has("authorization") {
        req = req.header("authorization", format!("Bearer {TOKEN}"));
    }
    if let (false, Some(id), "POST", true) = (has("if-match"), session, f.method, f.target.starts_with("/v1/session/"))
    {
        req = req.header("if-match", format!("\"{id}\""));
    }
    if !has("content-type") && f.method == "POST" && !f.body.is_empty() {
        req = req.header("content-type", "application/json");
    }
    for (k, v) in &f.headers {
        req = req.header(*k, *v);
    }
    // What hyper would refuse before the router never reaches it.
    req.body(Full::new(Bytes::copy_from_slice(f.body))).ok()
}

/// Digit strings a client may send as secrets (照合番号B is 14 digits): never in a problem.
fn secrets(body: &[u8]) -> Vec<String> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else { return vec![] };
    ["pin", "collation_b"]
        .iter()
        .filter_map(|k| v.get(k)?.as_str())
        .filter(|s| s.len() >= 8 && s.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
        .collect()
}

/// `GET /v1/results?after=N&limit=M` answers results with `seq > N`, in order, at most `M`.
fn check_results_page(target: &str, body: &[u8]) {
    let Some(query) = target.strip_prefix("/v1/results?") else { return };
    let mut after = 0u64;
    let mut limit = 100usize;
    for kv in query.split('&') {
        match kv.split_once('=') {
            Some(("after", v)) => after = v.parse().expect("the router accepted it"),
            Some(("limit", v)) => limit = v.parse().expect("the router accepted it"),
            _ => {}
        }
    }
    let page: myna_api::router::ResultsPage = serde_json::from_slice(body).expect("a results page");
    assert!(page.results.len() <= limit);
    let mut last = after;
    for r in &page.results {
        assert!(r.seq > last, "result {} after {last} (after={after})", r.seq);
        last = r.seq;
    }
    assert_eq!(page.next_after, last);
}

fn api() -> (Arc<Api<DaemonBackend>>, watch::Sender<bool>) {
    let backend = DaemonBackend::in_process(Journal::in_memory(), SessionConfig::default(), test_trust_anchors(), true);
    let mut tokens = Tokens::new();
    tokens.add(TOKEN.into(), vec![Role::Kiosk, Role::Reception, Role::Staff, Role::Face, Role::Bench]);
    let (stop, stop_rx) = watch::channel(false);
    (Arc::new(Api::new(backend, tokens, stop_rx)), stop)
}

/// Lets the driver and the card thread finish what the last request started.
async fn settle(api: &Api<DaemonBackend>) {
    use myna_api::backend::Backend;
    use myna_api::proto::Prompt;
    for _ in 0..500 {
        tokio::task::yield_now().await;
        if !matches!(api.backend.session().prompt, Prompt::Reading | Prompt::Verifying) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fuzz_target!(|data: &[u8]| {
    let requests: Vec<Fuzzed<'_>> = split(data, b"\n%%\n").into_iter().take(MAX_REQUESTS).filter_map(parse).collect();
    if requests.is_empty() {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    rt.block_on(async {
        let (api, _stop) = api();
        for f in &requests {
            let session = myna_api::backend::Backend::session(&*api.backend).id;
            let Some(req) = build(f, session.as_deref()) else { continue };
            let answer = route(&api, req).await;
            let status = answer.status();
            assert!(status.as_u16() < 500, "{} {} answered {status}", f.method, f.target);
            let content_type =
                answer.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            if content_type == "text/event-stream" {
                // An endless stream: its status is the answer.
                continue;
            }
            let body = answer.into_body().collect().await.expect("bodies are infallible").to_bytes();
            if content_type == myna_api::problem::CONTENT_TYPE {
                let p: serde_json::Value = serde_json::from_slice(&body).expect("problems are JSON");
                assert_eq!(p["status"].as_u64(), Some(u64::from(status.as_u16())));
                let text = String::from_utf8_lossy(&body);
                for s in secrets(f.body) {
                    assert!(!text.contains(&s), "a secret from the request came back in a problem");
                }
            } else if content_type == "application/json" {
                serde_json::from_slice::<serde_json::Value>(&body).expect("JSON answers are JSON");
                if status.is_success() && f.method == "GET" {
                    check_results_page(f.target, &body);
                }
            }
            settle(&api).await;
        }
    });
    // Dropping the runtime ends the driver; the card thread follows when its channel closes.
    drop(rt);
});
