//! The router: plain async handlers over domain types, errors become problem+json responses.
//! Generic over the request body type so tests call it without a socket.

use std::time::Instant;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use hyper::body::Body;

use crate::backend::{Backend, BenchCard, CommandOutcome, HealthStatus, RefusalKind};
use crate::body::{self, read_json};
use crate::error::ApiError;
use crate::proto::SessionAction;
use crate::response::{full, json, photo, problem_at};
use crate::routes::Route;
use crate::sse;
// Where the daemon, the tests and the fuzzer have always found them.
pub use crate::body::{BODY_READ_TIMEOUT, MAX_BODY};
pub use crate::proto::ResultsPage;
pub use crate::response::ApiBody;
pub use crate::routes::OPENAPI;
pub use crate::state::Api;

/// `/metrics` is OpenMetrics 1.0 text (what the prometheus-client encoder writes).
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

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
    dispatch(api, req, &segments).await.unwrap_or_else(|e| problem_at(e, &path))
}

async fn dispatch<B, Req>(api: &Api<B>, req: Request<Req>, path: &[&str]) -> Result<Response<ApiBody>, ApiError>
where
    B: Backend,
    Req: Body<Data = Bytes> + Send,
    Req::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (route, id) = Route::parse(req.method(), path)?;
    if let Some(allowed) = route.roles() {
        if route.is_bench() && !api.backend.bench_enabled() {
            return Err(ApiError::NotFound);
        }
        api.authorize(&req, allowed)?;
    }
    let id = id.unwrap_or_default();
    Ok(match route {
        Route::Health => {
            let h = api.backend.health();
            let status = match h.status {
                HealthStatus::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                HealthStatus::Ok | HealthStatus::Degraded => StatusCode::OK,
            };
            json(status, &h)
        }
        Route::OpenApi => full(StatusCode::OK, "application/json", OPENAPI),
        Route::Session => session_view(&api.backend.session()),
        Route::Events => sse::events(api, &req, last_event_id(&req)?)?,
        Route::Results => results(api, req.uri().query().unwrap_or(""))?,
        Route::ResultById => {
            let r = api.backend.result(id).map_err(ApiError::Unavailable)?.ok_or(ApiError::NotFound)?;
            json(StatusCode::OK, &r)
        }
        Route::AckResult => {
            if !api.backend.ack(id).map_err(ApiError::Unavailable)? {
                return Err(ApiError::NotFound);
            }
            json(StatusCode::OK, &serde_json::json!({ "acknowledged": id }))
        }
        Route::Metrics => full(StatusCode::OK, METRICS_CONTENT_TYPE, api.backend.metrics()),
        Route::BenchTap => {
            let card: BenchCard = read_json(req).await?;
            api.backend.bench_tap(card).await.map_err(|n| ApiError::Refused(RefusalKind::Invalid, n))?;
            json(StatusCode::OK, &api.backend.session())
        }
        Route::BenchRemove => {
            if !api.backend.bench_remove().await {
                return Err(ApiError::NoCard);
            }
            json(StatusCode::OK, &api.backend.session())
        }
        Route::Command(action) => {
            // Which session the command is for; compared with the session in progress by the
            // daemon, in the same step as the command. Only a challenge may name none.
            let named = if_match(&req)?;
            if named.is_none() && action != SessionAction::Challenge {
                return Err(ApiError::SessionRequired);
            }
            if action == SessionAction::Pin && !api.pin_allowed(api.backend.session().id.as_deref(), Instant::now()) {
                return Err(ApiError::PinRateLimited);
            }
            match api.backend.command(named, body::command(action, req).await?).await {
                CommandOutcome::Accepted => json(StatusCode::OK, &api.backend.session()),
                CommandOutcome::Photo(p) => photo(p),
                CommandOutcome::Refused { kind, notice } => return Err(ApiError::Refused(kind, notice)),
                CommandOutcome::Unavailable(n) => return Err(ApiError::Unavailable(n)),
            }
        }
    })
}

/// `GET /v1/session`: the view, with its session id as entity tag while there is a session.
fn session_view(view: &crate::proto::SessionView) -> Response<ApiBody> {
    let mut r = json(StatusCode::OK, view);
    if let Some(tag) = view.id.as_ref().and_then(|id| http::HeaderValue::from_str(&format!("\"{id}\"")).ok()) {
        r.headers_mut().insert(http::header::ETAG, tag);
    }
    r
}

/// The session a command names: `If-Match` with one strong entity tag, `"<session id>"`.
/// `Ok(None)` when there is no `If-Match`; anything else (`*`, a weak tag, a list, no quotes)
/// names no one session and is refused.
fn if_match<Req>(req: &Request<Req>) -> Result<Option<String>, ApiError> {
    let mut values = req.headers().get_all(http::header::IF_MATCH).iter();
    let Some(value) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(ApiError::SessionRequired);
    }
    let tag = value.to_str().map_err(|_| ApiError::SessionRequired)?.trim();
    let id = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).ok_or(ApiError::SessionRequired)?;
    let etagc = |c: char| c == '\x21' || ('\x23'..='\x7e').contains(&c);
    if id.is_empty() || id.len() > 128 || !id.chars().all(etagc) {
        return Err(ApiError::SessionRequired);
    }
    Ok(Some(id.to_string()))
}

/// Where an event stream resumes: `Last-Event-ID`, or `?after=` for clients that cannot set it.
fn last_event_id<Req>(req: &Request<Req>) -> Result<Option<u64>, ApiError> {
    let header = req.headers().get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_string);
    let last_id = header.or_else(|| query_param(req.uri().query().unwrap_or(""), "after"));
    last_id.map(|s| s.trim().parse::<u64>().map_err(|_| ApiError::BadEventId)).transpose()
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
