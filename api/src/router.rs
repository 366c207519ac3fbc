//! The router: plain async handlers over domain types, errors become problem+json responses.
//! Generic over the request body type so tests call it without a socket.

use std::time::Instant;

use bytes::Bytes;
use http::header::{HeaderValue, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use http::{Method as HttpMethod, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Body;
use serde::{Deserialize, Serialize};

use crate::auth::AuthError;
use crate::backend::{ApiCommand, Backend, BenchCard, CommandOutcome, Role, Secret};
use crate::body::{read_json, ChallengeReq, Empty, FaceRefReq, MethodReq, PinReq, VerdictReq, VisualReq};
use crate::proto::ConsentAnswer;
use crate::response::{bad_request, full, json, not_found, notice_problem, problem};
use crate::sse;
use crate::state::peer_key;
// Where the daemon, the tests and the fuzzer have always found them.
pub use crate::body::{BODY_READ_TIMEOUT, MAX_BODY};
pub use crate::response::ApiBody;
pub use crate::state::Api;

/// The checked-in OpenAPI document, served as is.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Which roles may use a route; `None` means anyone.
fn roles_for(method: &HttpMethod, path: &[&str]) -> Option<&'static [Role]> {
    use Role::*;
    match (method.as_str(), path) {
        ("GET", ["v1", "health"]) | ("GET", ["v1", "openapi.json"]) => None,
        ("GET", ["v1", "session"]) | ("GET", ["v1", "events"]) => Some(&[Kiosk, Reception, Staff]),
        ("POST", ["v1", "session", "method" | "pin" | "consent"]) => Some(&[Kiosk]),
        ("POST", ["v1", "session", "face", "reference" | "verdict"]) => Some(&[Face]),
        ("POST", ["v1", "session", "visual"]) => Some(&[Staff]),
        ("POST", ["v1", "session", "cancel"]) => Some(&[Kiosk, Staff]),
        ("POST", ["v1", "session", "challenge"]) => Some(&[Reception]),
        ("GET", ["v1", "results"]) | ("GET", ["v1", "results", _]) | ("POST", ["v1", "results", _, "ack"]) => {
            Some(&[Reception])
        }
        ("POST" | "DELETE", ["v1", "bench", "card"]) => Some(&[Bench]),
        ("GET", ["metrics"]) => Some(&[Reception, Staff]),
        _ => Some(&[]),
    }
}

fn known_path(path: &[&str]) -> bool {
    matches!(
        path,
        ["v1", "health" | "openapi.json" | "session" | "events" | "results"]
            | ["v1", "session", "method" | "pin" | "consent" | "visual" | "cancel" | "challenge"]
            | ["v1", "session", "face", "reference" | "verdict"]
            | ["v1", "results", _]
            | ["v1", "results", _, "ack"]
            | ["v1", "bench", "card"]
            | ["metrics"]
    )
}

/// Handles one request. Never panics on any input.
pub async fn route<B, Req>(api: &Api<B>, req: Request<Req>) -> Response<ApiBody>
where
    B: Backend,
    Req: Body<Data = Bytes> + Send,
    Req::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let path_str = req.uri().path().to_string();
    let segments: Vec<&str> = path_str.trim_matches('/').split('/').collect();
    let method = req.method().clone();
    if segments.first() == Some(&"kiosk") {
        // The reference kiosk screen: static pages, and the kiosk token for this machine only.
        return crate::kiosk_page::serve(api, &req, &segments);
    }
    let Some(allowed) = roles_for(&method, &segments) else {
        return public(api, &method, &segments);
    };
    if allowed.is_empty() {
        if known_path(&segments) {
            return problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "この方法では使えません。",
                "Method not allowed.",
            );
        }
        return not_found();
    }
    if segments.first() == Some(&"v1") && segments.get(1) == Some(&"bench") && !api.backend.bench_enabled() {
        return not_found();
    }
    let peer = peer_key(&req);
    if let Some(wait) = peer.and_then(|p| api.auth_blocked(p, Instant::now())) {
        let mut r = problem(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_AUTH_FAILURES",
            "認証の失敗が続いたため、しばらくお待ちください。",
            "Too many failed authentications from this address: wait, then use a valid token.",
        );
        if let Ok(v) = HeaderValue::from_str(&(wait.as_secs() + 1).to_string()) {
            r.headers_mut().insert("retry-after", v);
        }
        return r;
    }
    let auth = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
    let authorized = api.tokens().authorize(auth, allowed);
    match authorized {
        Ok(()) => {}
        Err(AuthError::Unauthenticated) => {
            if let Some(p) = peer {
                api.auth_failed(p, Instant::now());
            }
            let mut r = problem(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "認証が必要です。正しいトークンを指定してください。",
                "A valid bearer token is required.",
            );
            r.headers_mut().insert("www-authenticate", HeaderValue::from_static("Bearer"));
            return r;
        }
        Err(AuthError::Forbidden) => {
            return problem(
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
                "このトークンではこの操作はできません。",
                "This token's roles do not allow this action.",
            );
        }
    }
    let query = req.uri().query().unwrap_or("").to_string();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["v1", "session"]) => json(StatusCode::OK, &api.backend.session()),
        ("GET", ["v1", "events"]) => {
            let last_id = req
                .headers()
                .get("last-event-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .or_else(|| query_param(&query, "after"));
            let after = match last_id.map(|s| s.trim().parse::<u64>()) {
                None => None,
                Some(Ok(n)) => Some(n),
                Some(Err(_)) => {
                    return bad_request(
                        "BAD_EVENT_ID",
                        "Last-Event-ID は数値です。",
                        "Last-Event-ID must be a result sequence number.",
                    )
                }
            };
            sse::events(api, after)
        }
        ("GET", ["v1", "results"]) => results(api, &query),
        ("GET", ["v1", "results", id]) => match api.backend.result(id) {
            Ok(Some(r)) => json(StatusCode::OK, &r),
            Ok(None) => not_found(),
            Err(n) => notice_problem(StatusCode::SERVICE_UNAVAILABLE, &n),
        },
        ("POST", ["v1", "results", id, "ack"]) => match api.backend.ack(id) {
            Ok(true) => json(StatusCode::OK, &serde_json::json!({ "acknowledged": id })),
            Ok(false) => not_found(),
            Err(n) => notice_problem(StatusCode::SERVICE_UNAVAILABLE, &n),
        },
        ("GET", ["metrics"]) => full(StatusCode::OK, "text/plain; version=0.0.4", api.backend.metrics()),
        ("POST", ["v1", "bench", "card"]) => {
            let card: BenchCard = match read_json(req).await {
                Ok(c) => c,
                Err(r) => return r,
            };
            match api.backend.bench_tap(card).await {
                Ok(()) => json(StatusCode::OK, &api.backend.session()),
                Err(n) => notice_problem(StatusCode::BAD_REQUEST, &n),
            }
        }
        ("DELETE", ["v1", "bench", "card"]) => {
            if api.backend.bench_remove().await {
                json(StatusCode::OK, &api.backend.session())
            } else {
                problem(StatusCode::CONFLICT, "NO_CARD", "カードが置かれていません。", "No card is on the reader.")
            }
        }
        ("POST", ["v1", "session", action @ ..]) => session_command(api, action, req).await,
        _ => not_found(),
    }
}

fn public<B: Backend>(api: &Api<B>, method: &HttpMethod, path: &[&str]) -> Response<ApiBody> {
    match (method.as_str(), path) {
        ("GET", ["v1", "health"]) => {
            let h = api.backend.health();
            let status = if h.status == "unavailable" { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
            json(status, &h)
        }
        ("GET", ["v1", "openapi.json"]) => full(StatusCode::OK, "application/json", OPENAPI),
        _ => not_found(),
    }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
}

fn results<B: Backend>(api: &Api<B>, query: &str) -> Response<ApiBody> {
    let mut after = 0u64;
    let mut limit = 100usize;
    for kv in query.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        let ok = match k {
            "after" => v.parse().map(|n| after = n).is_ok(),
            "limit" => v.parse().ok().filter(|n| (1..=1000).contains(n)).map(|n| limit = n).is_some(),
            _ => false,
        };
        if !ok {
            return bad_request(
                "BAD_QUERY",
                "after は0以上の整数、limit は1〜1000の整数で指定してください。",
                "Use after=<non-negative integer> and limit=<1..1000>.",
            );
        }
    }
    match api.backend.results_after(after, limit) {
        Ok(results) => {
            let next_after = results.last().map_or(after, |r| r.seq);
            json(StatusCode::OK, &ResultsPage { results, next_after })
        }
        Err(n) => notice_problem(StatusCode::SERVICE_UNAVAILABLE, &n),
    }
}

#[derive(Serialize, Deserialize)]
pub struct ResultsPage {
    pub results: Vec<crate::proto::SessionResult>,
    /// Pass as `after` to get the next page.
    pub next_after: u64,
}

async fn session_command<B, Req>(api: &Api<B>, action: &[&str], req: Request<Req>) -> Response<ApiBody>
where
    B: Backend,
    Req: Body<Data = Bytes>,
    Req::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    macro_rules! body {
        ($t:ty) => {
            match read_json::<$t, Req>(req).await {
                Ok(v) => v,
                Err(r) => return r,
            }
        };
    }
    let cmd = match action {
        ["method"] => ApiCommand::Method(body!(MethodReq).method),
        ["pin"] => {
            if !api.pin_allowed(api.backend.session().id.as_deref(), Instant::now()) {
                return problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    "PIN_RATE_LIMITED",
                    "暗証番号の送信が多すぎます。しばらく待ってください。",
                    "Too many PIN submissions; wait a moment.",
                );
            }
            let b = body!(PinReq);
            ApiCommand::Pin { pin: Secret::new(b.pin), confirm_last_try: b.confirm_last_try }
        }
        ["face", "reference"] => ApiCommand::FaceReference { collation_b: Secret::new(body!(FaceRefReq).collation_b) },
        ["face", "verdict"] => {
            let b = body!(VerdictReq);
            if b.score.is_some_and(|s| !s.is_finite() || !(0.0..=1.0).contains(&s)) {
                return bad_request("SCORE_RANGE", "score は0〜1です。", "score is between 0 and 1.");
            }
            ApiCommand::FaceVerdict { matched: b.matched, score: b.score }
        }
        ["visual"] => {
            let b = body!(VisualReq);
            ApiCommand::Visual { confirmed: b.confirmed, staff_id: b.staff_id }
        }
        ["consent"] => ApiCommand::Consent(body!(ConsentAnswer)),
        ["cancel"] => {
            // An empty body or `{}` are both fine for cancel.
            if req.headers().contains_key(CONTENT_TYPE) {
                let _: Empty = body!(Empty);
            }
            ApiCommand::Cancel
        }
        ["challenge"] => ApiCommand::Challenge(body!(ChallengeReq).challenge),
        _ => return not_found(),
    };
    match api.backend.command(cmd).await {
        CommandOutcome::Accepted => json(StatusCode::OK, &api.backend.session()),
        CommandOutcome::Photo(photo) => {
            let mut r = Response::new(Full::new(Bytes::from_owner(photo)).boxed());
            r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("image/jp2"));
            r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        CommandOutcome::Refused { status, notice } => {
            notice_problem(StatusCode::from_u16(status).unwrap_or(StatusCode::CONFLICT), &notice)
        }
        CommandOutcome::Unavailable(n) => notice_problem(StatusCode::SERVICE_UNAVAILABLE, &n),
    }
}
