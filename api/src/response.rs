//! Building answers: every one is `no-store`, JSON answers and problems have their content type.

use std::convert::Infallible;

use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use serde::Serialize;

use crate::backend::PhotoBytes;
use crate::error::ApiError;
use crate::problem::CONTENT_TYPE as PROBLEM;

pub type ApiBody = BoxBody<Bytes, Infallible>;

pub fn full(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response<ApiBody> {
    let mut r = Response::new(Full::new(body.into()).boxed());
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<ApiBody> {
    match serde_json::to_vec(value) {
        Ok(body) => full(status, "application/json", body),
        Err(_) => problem(ApiError::Internal),
    }
}

/// The one way an [`ApiError`] reaches the wire: problem+json, with the headers its status needs.
pub fn problem(err: ApiError) -> Response<ApiBody> {
    problem_with(err.to_problem(), err)
}

/// [`problem`] for a request, named in the answer's `instance` (its path, never its query).
pub fn problem_at(err: ApiError, path: &str) -> Response<ApiBody> {
    problem_with(err.to_problem().at(path), err)
}

fn problem_with(p: crate::problem::Problem, err: ApiError) -> Response<ApiBody> {
    let mut r = full(err.status(), PROBLEM, p.to_json());
    match err {
        ApiError::MethodNotAllowed { allow } => {
            if let Ok(v) = HeaderValue::from_str(&allow) {
                r.headers_mut().insert(ALLOW, v);
            }
        }
        ApiError::Unauthorized => {
            r.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        ApiError::TooManyAuthFailures { retry_after } => {
            // Whole seconds, rounded up past the window's end.
            if let Ok(v) = HeaderValue::from_str(&(retry_after.as_secs() + 1).to_string()) {
                r.headers_mut().insert(RETRY_AFTER, v);
            }
        }
        _ => {}
    }
    r
}

/// The face photo: its bytes are wiped when the body is dropped.
pub(crate) fn photo(photo: PhotoBytes) -> Response<ApiBody> {
    let mut r = Response::new(Full::new(Bytes::from_owner(photo)).boxed());
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("image/jp2"));
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
