//! Request bodies: JSON only, bounded in size and time, wiped after parsing (they may hold a
//! PIN), and the shapes each route accepts.

use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Body;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use zeroize::Zeroize;

use crate::proto::Method;
use crate::response::{bad_request, problem, ApiBody};

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY: usize = 64 * 1024;
/// A body must arrive within this: a client trickling it byte by byte cannot hold a connection.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads a JSON body: 415 for another content type, 413 past [`MAX_BODY`], 400 for bad JSON.
/// The raw bytes are wiped after parsing (they may hold a PIN). Errors never echo the input.
pub(crate) async fn read_json<T, Req>(req: Request<Req>) -> Result<T, Response<ApiBody>>
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
        return Err(problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Content-Type: application/json で送ってください。",
            "Send the body as Content-Type: application/json.",
        ));
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
                return Err(problem(
                    StatusCode::REQUEST_TIMEOUT,
                    "BODY_TIMEOUT",
                    "リクエストの受信が時間内に終わりませんでした。",
                    "The request body did not arrive in time.",
                ));
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
                return Err(if too_large {
                    problem(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "BODY_TOO_LARGE",
                        "リクエストが大きすぎます（64KiBまで）。",
                        "The request body is larger than 64 KiB.",
                    )
                } else {
                    bad_request(
                        "BODY_UNREADABLE",
                        "リクエストを読み取れませんでした。",
                        "The request body could not be read.",
                    )
                });
            }
        }
    }
    let parsed = serde_json::from_slice::<T>(&buf);
    buf.zeroize();
    parsed.map_err(|e| {
        // Only the position: serde's message may quote the value, and the value may be a PIN.
        let en = format!("The body is not valid JSON for this request (line {}, column {}).", e.line(), e.column());
        let ja = format!("リクエストの形式が正しくありません（{}行 {}列）。", e.line(), e.column());
        problem(StatusCode::BAD_REQUEST, "BAD_REQUEST_BODY", &ja, &en)
    })
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
