//! Every failed request answers `{"error":{"code":"...","message":"..."}}` with the right status.
//!
//! Handlers return [`ApiError`]. A body, path or query the handler cannot read is refused by
//! the extractors of [`crate::api::extract`], whose messages name the field, never its value.
//! Rejections produced outside handlers (unknown route, wrong method, body over the limit) are
//! rewritten into the same shape by [`json_errors`], so no 4xx or 5xx leaves the server in
//! another form. Messages never carry a token, key or signature.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An HTTP error with a stable machine-readable `code`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds, sent as `Retry-After` (429).
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error",
        )
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        // sqlx errors name the failing statement and the database's message, never bound values.
        tracing::error!(error = %e, "database error");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database failed to answer; nothing was changed",
        )
    }
}

pub fn error_body(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"error": {"code": code, "message": message}});
    let mut res = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = error_body(self.status, self.code, &self.message);
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// The code of a status that reached [`json_errors`] without a JSON body.
fn code_for(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("bad_request", "the request is malformed"),
        401 => ("unauthenticated", "sign in first"),
        404 => ("not_found", "no such route"),
        405 => ("method_not_allowed", "method not allowed on this route"),
        408 => ("timeout", "the request took too long"),
        413 => (
            "payload_too_large",
            "the request body is over the size limit",
        ),
        415 => (
            "unsupported_media_type",
            "send Content-Type: application/json",
        ),
        422 => (
            "unprocessable",
            "the request body is not valid for this route",
        ),
        429 => ("rate_limited", "too many requests"),
        _ if status.is_server_error() => ("internal", "internal server error"),
        _ => ("error", "the request failed"),
    }
}

/// Middleware: rewrites any 4xx/5xx that is not already JSON into the JSON error shape.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return res;
    }
    let (code, message) = code_for(status);
    let mut out = error_body(status, code, message);
    // Keep headers such as Allow (405) and Retry-After (429).
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}
