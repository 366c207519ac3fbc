//! Building answers: every one is `no-store`, JSON answers and problems have their content type.

use std::convert::Infallible;

use bytes::Bytes;
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::{Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use serde::Serialize;

use crate::problem::{Problem, CONTENT_TYPE as PROBLEM};
use crate::proto::Notice;

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
        Err(_) => problem(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "内部エラーです。", "Internal error."),
    }
}

pub fn problem(status: StatusCode, code: &str, ja: &str, en: &str) -> Response<ApiBody> {
    let p = Problem::new(status.as_u16(), code, ja, en);
    full(status, PROBLEM, p.to_json())
}

pub(crate) fn notice_problem(status: StatusCode, n: &Notice) -> Response<ApiBody> {
    problem(status, &n.code, &n.ja, &n.en)
}

pub(crate) fn not_found() -> Response<ApiBody> {
    problem(StatusCode::NOT_FOUND, "NOT_FOUND", "見つかりません。", "Not found.")
}

pub(crate) fn bad_request(code: &str, ja: &str, en: &str) -> Response<ApiBody> {
    problem(StatusCode::BAD_REQUEST, code, ja, en)
}
