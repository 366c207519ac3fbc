//! Request bodies: JSON only, bounded in size and time, wiped after parsing (they may hold a
//! PIN), and the shape each session command accepts.

use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::Request;
use http_body_util::{BodyExt, Limited};
use hyper::body::Body;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use zeroize::Zeroize;

use crate::backend::{ApiCommand, Secret};
use crate::error::ApiError;
use crate::proto::{Method, SessionAction};

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY: usize = 64 * 1024;
/// A body must arrive within this: a client trickling it byte by byte cannot hold a connection.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads a JSON body: 415 for another content type, 413 past [`MAX_BODY`], 400 for bad JSON.
/// The raw bytes are wiped after parsing (they may hold a PIN). Errors never echo the input.
pub(crate) async fn read_json<T, Req>(req: Request<Req>) -> Result<T, ApiError>
where
    T: DeserializeOwned,
    Req: Body<Data = Bytes>,
    Req::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let is_json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json"))
        .unwrap_or(false);
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let mut body = std::pin::pin!(Limited::new(req.into_body(), MAX_BODY));
    let mut buf = Vec::new();
    let deadline = tokio::time::Instant::now() + BODY_READ_TIMEOUT;
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(_) => {
                buf.zeroize();
                return Err(ApiError::BodyTimeout);
            }
        };
        match frame {
            Ok(f) => {
                if let Ok(data) = f.into_data() {
                    buf.extend_from_slice(&data);
                }
            }
            Err(e) => {
                buf.zeroize();
                let too_large = e.downcast_ref::<http_body_util::LengthLimitError>().is_some();
                return Err(if too_large { ApiError::BodyTooLarge } else { ApiError::BodyUnreadable });
            }
        }
    }
    let parsed = serde_json::from_slice::<T>(&buf);
    buf.zeroize();
    // Only the position: serde's message may quote the value, and the value may be a PIN.
    parsed.map_err(|e| ApiError::BadRequestBody { line: e.line(), column: e.column() })
}

/// The command a `POST /v1/session/<action>` body asks for. Only the JSON shape is checked
/// here (and a face score's range); the daemon checks the values it owns.
pub(crate) async fn command<Req>(action: SessionAction, req: Request<Req>) -> Result<ApiCommand, ApiError>
where
    Req: Body<Data = Bytes>,
    Req::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    Ok(match action {
        SessionAction::Method => ApiCommand::Method(read_json::<MethodReq, _>(req).await?.method),
        SessionAction::Pin => {
            let b: PinReq = read_json(req).await?;
            ApiCommand::Pin { pin: Secret::new(b.pin), confirm_last_try: b.confirm_last_try }
        }
        SessionAction::FaceReference => {
            ApiCommand::FaceReference { collation_b: Secret::new(read_json::<FaceRefReq, _>(req).await?.collation_b) }
        }
        SessionAction::FaceVerdict => {
            let b: VerdictReq = read_json(req).await?;
            if b.score.is_some_and(|s| !s.is_finite() || !(0.0..=1.0).contains(&s)) {
                return Err(ApiError::ScoreRange);
            }
            ApiCommand::FaceVerdict { matched: b.matched, score: b.score }
        }
        SessionAction::Visual => {
            let b: VisualReq = read_json(req).await?;
            ApiCommand::Visual { confirmed: b.confirmed, staff_id: b.staff_id }
        }
        SessionAction::Consent => ApiCommand::Consent(read_json(req).await?),
        SessionAction::Cancel => {
            // An empty body or `{}` are both fine for cancel.
            if req.headers().contains_key(CONTENT_TYPE) {
                let _: Empty = read_json(req).await?;
            }
            ApiCommand::Cancel
        }
        SessionAction::Extend => {
            // Like cancel: no body, or `{}`.
            if req.headers().contains_key(CONTENT_TYPE) {
                let _: Empty = read_json(req).await?;
            }
            ApiCommand::Extend
        }
        SessionAction::Challenge => ApiCommand::Challenge(read_json::<ChallengeReq, _>(req).await?.challenge),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MethodReq {
    method: Method,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinReq {
    pin: String,
    #[serde(default)]
    confirm_last_try: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaceRefReq {
    collation_b: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerdictReq {
    matched: bool,
    score: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VisualReq {
    confirmed: bool,
    staff_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChallengeReq {
    /// Base64; the daemon decodes and checks it.
    challenge: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}
