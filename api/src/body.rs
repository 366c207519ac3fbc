//! Request bodies: JSON only, bounded in size and time, wiped after parsing (they may hold a
//! PIN), and the shapes each route accepts.

use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::Request;
use http_body_util::{BodyExt, Limited};
use hyper::body::Body;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use zeroize::Zeroize;

use crate::error::ApiError;
use crate::proto::Method;

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MethodReq {
    pub(crate) method: Method,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PinReq {
    pub(crate) pin: String,
    #[serde(default)]
    pub(crate) confirm_last_try: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaceRefReq {
    pub(crate) collation_b: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerdictReq {
    pub(crate) matched: bool,
    pub(crate) score: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VisualReq {
    pub(crate) confirmed: bool,
    pub(crate) staff_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChallengeReq {
    /// Base64; the daemon decodes and checks it.
    pub(crate) challenge: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Empty {}
