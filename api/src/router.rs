//! The router: plain async handlers over domain types, errors become problem+json responses.
//! Generic over the request body type so tests call it without a socket.

use std::time::Instant;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{Method as HttpMethod, Request, Response, StatusCode};
use hyper::body::Body;
use serde::{Deserialize, Serialize};

use crate::backend::{ApiCommand, Backend, BenchCard, CommandOutcome, Role, Secret};
use crate::body::{read_json, ChallengeReq, Empty, FaceRefReq, MethodReq, PinReq, VerdictReq, VisualReq};
use crate::error::ApiError;
use crate::proto::ConsentAnswer;
use crate::response::{full, json, photo, problem};
use crate::sse;
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
    let path = req.uri().path().to_string();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if segments.first() == Some(&"kiosk") {
        // The reference kiosk screen: static pages, and the kiosk token for this machine only.
        return crate::kiosk_page::serve(api, &req, &segments);
    }
    dispatch(api, req, &segments).await.unwrap_or_else(problem)
}

async fn dispatch<B, Req>(api: &Api<B>, req: Request<Req>, segments: &[&str]) -> Result<Response<ApiBody>, ApiError>
where
    B: Backend,
    Req: Body<Data = Bytes> + Send,
    Req::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let method = req.method().clone();
    let Some(allowed) = roles_for(&method, segments) else {
        return public(api, &method, segments);
    };
    if allowed.is_empty() {
        return Err(if known_path(segments) { ApiError::MethodNotAllowed } else { ApiError::NotFound });
    }
    if segments.first() == Some(&"v1") && segments.get(1) == Some(&"bench") && !api.backend.bench_enabled() {
        return Err(ApiError::NotFound);
    }
    api.authorize(&req, allowed)?;
    let query = req.uri().query().unwrap_or("").to_string();
    Ok(match (method.as_str(), segments) {
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
                Some(Err(_)) => return Err(ApiError::BadEventId),
            };
            sse::events(api, after)
        }
        ("GET", ["v1", "results"]) => results(api, &query)?,
        ("GET", ["v1", "results", id]) => {
            let r = api.backend.result(id).map_err(ApiError::Unavailable)?.ok_or(ApiError::NotFound)?;
            json(StatusCode::OK, &r)
        }
        ("POST", ["v1", "results", id, "ack"]) => {
            if !api.backend.ack(id).map_err(ApiError::Unavailable)? {
                return Err(ApiError::NotFound);
            }
            json(StatusCode::OK, &serde_json::json!({ "acknowledged": id }))
        }
        ("GET", ["metrics"]) => full(StatusCode::OK, "text/plain; version=0.0.4", api.backend.metrics()),
        ("POST", ["v1", "bench", "card"]) => {
            let card: BenchCard = read_json(req).await?;
            api.backend.bench_tap(card).await.map_err(|n| ApiError::Refused(StatusCode::BAD_REQUEST, n))?;
            json(StatusCode::OK, &api.backend.session())
        }
        ("DELETE", ["v1", "bench", "card"]) => {
            if !api.backend.bench_remove().await {
                return Err(ApiError::NoCard);
            }
            json(StatusCode::OK, &api.backend.session())
        }
        ("POST", ["v1", "session", action @ ..]) => session_command(api, action, req).await?,
        _ => return Err(ApiError::NotFound),
    })
}

fn public<B: Backend>(api: &Api<B>, method: &HttpMethod, path: &[&str]) -> Result<Response<ApiBody>, ApiError> {
    match (method.as_str(), path) {
        ("GET", ["v1", "health"]) => {
            let h = api.backend.health();
            let status = if h.status == "unavailable" { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
            Ok(json(status, &h))
        }
        ("GET", ["v1", "openapi.json"]) => Ok(full(StatusCode::OK, "application/json", OPENAPI)),
        _ => Err(ApiError::NotFound),
    }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
}

fn results<B: Backend>(api: &Api<B>, query: &str) -> Result<Response<ApiBody>, ApiError> {
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
            return Err(ApiError::BadQuery);
        }
    }
    let results = api.backend.results_after(after, limit).map_err(ApiError::Unavailable)?;
    let next_after = results.last().map_or(after, |r| r.seq);
    Ok(json(StatusCode::OK, &ResultsPage { results, next_after }))
}

#[derive(Serialize, Deserialize)]
pub struct ResultsPage {
    pub results: Vec<crate::proto::SessionResult>,
    /// Pass as `after` to get the next page.
    pub next_after: u64,
}

async fn session_command<B, Req>(
    api: &Api<B>,
    action: &[&str],
    req: Request<Req>,
) -> Result<Response<ApiBody>, ApiError>
where
    B: Backend,
    Req: Body<Data = Bytes>,
    Req::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let cmd = match action {
        ["method"] => ApiCommand::Method(read_json::<MethodReq, _>(req).await?.method),
        ["pin"] => {
            if !api.pin_allowed(api.backend.session().id.as_deref(), Instant::now()) {
                return Err(ApiError::PinRateLimited);
            }
            let b: PinReq = read_json(req).await?;
            ApiCommand::Pin { pin: Secret::new(b.pin), confirm_last_try: b.confirm_last_try }
        }
        ["face", "reference"] => {
            ApiCommand::FaceReference { collation_b: Secret::new(read_json::<FaceRefReq, _>(req).await?.collation_b) }
        }
        ["face", "verdict"] => {
            let b: VerdictReq = read_json(req).await?;
            if b.score.is_some_and(|s| !s.is_finite() || !(0.0..=1.0).contains(&s)) {
                return Err(ApiError::ScoreRange);
            }
            ApiCommand::FaceVerdict { matched: b.matched, score: b.score }
        }
        ["visual"] => {
            let b: VisualReq = read_json(req).await?;
            ApiCommand::Visual { confirmed: b.confirmed, staff_id: b.staff_id }
        }
        ["consent"] => ApiCommand::Consent(read_json::<ConsentAnswer, _>(req).await?),
        ["cancel"] => {
            // An empty body or `{}` are both fine for cancel.
            if req.headers().contains_key(CONTENT_TYPE) {
                let _: Empty = read_json(req).await?;
            }
            ApiCommand::Cancel
        }
        ["challenge"] => ApiCommand::Challenge(read_json::<ChallengeReq, _>(req).await?.challenge),
        _ => return Err(ApiError::NotFound),
    };
    match api.backend.command(cmd).await {
        CommandOutcome::Accepted => Ok(json(StatusCode::OK, &api.backend.session())),
        CommandOutcome::Photo(p) => Ok(photo(p)),
        CommandOutcome::Refused { status, notice } => {
            Err(ApiError::Refused(StatusCode::from_u16(status).unwrap_or(StatusCode::CONFLICT), notice))
        }
        CommandOutcome::Unavailable(n) => Err(ApiError::Unavailable(n)),
    }
}
