//! The request extractors handlers use instead of axum's `Json`, `Path` and `Query`: the same
//! parsing, but every rejection becomes an [`ApiError`] whose message names the field and the
//! expected type and never quotes a value of the request.
//!
//! Why: serde's messages quote what they could not read (`invalid type: string "tsu_...",
//! expected u64`, ``unknown variant `...` ``, ``unknown field `...` ``), and a body holds
//! tokens, signatures and keys. axum passes those messages through as the rejection text.
//! Nothing here logs: a refused request shows in the log as its method, path and status only.

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{self, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::error::ApiError;

/// A JSON body: 415 `unsupported_media_type` without `Content-Type: application/json` (or
/// `application/*+json`), 413 `payload_too_large` over the size limit, 400 `malformed_json` for
/// text that is not JSON (with its line and column), 422 `invalid_body` for JSON of the wrong
/// shape (`"base_version: wrong type, expected i64"`).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            let status = rej.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    status,
                    "payload_too_large",
                    "the request body is over the size limit",
                )
            } else if status.is_server_error() {
                ApiError::internal()
            } else {
                ApiError::bad_request("malformed_json", "the body could not be read")
            }
        })?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Ok(v) => {
                de.end().map_err(|e| not_json(&e))?;
                Ok(JsonBody(v))
            }
            Err(e) if e.inner().classify() == Category::Data => Err(wrong_shape(&e)),
            Err(e) => Err(not_json(e.inner())),
        }
    }
}

/// The same test as axum's `Json`: `application/json` or `application/<anything>+json`.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.split_once('/') {
        Some((kind, sub)) => kind == "application" && (sub == "json" || sub.ends_with("+json")),
        None => false,
    }
}

/// Syntax errors: serde_json's messages quote nothing of the text, but only the position is
/// kept (no need to trust that).
fn not_json(e: &serde_json::Error) -> ApiError {
    ApiError::bad_request(
        "malformed_json",
        format!(
            "the body is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ),
    )
}

/// Shape errors: the field's path and what was expected, without the value.
fn wrong_shape(e: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = e.inner();
    let text = inner.to_string();
    let suffix = format!(" at line {} column {}", inner.line(), inner.column());
    let raw = text.strip_suffix(suffix.as_str()).unwrap_or(&text);
    ApiError::unprocessable("invalid_body", shape_message(e.path(), raw, "body"))
}

/// `path: what was wrong` for a serde error `raw` (without position) at `path`; `root` names
/// the empty path.
fn shape_message(path: &serde_path_to_error::Path, raw: &str, root: &str) -> String {
    let mut segments: Vec<_> = path.iter().collect();
    // The path of an unknown field ends with the sender's key: name its parent.
    if raw.starts_with("unknown field ") {
        segments.pop();
    }
    let at = field_path(&segments);
    format!(
        "{}: {}",
        if at.is_empty() { root } else { &at },
        describe(raw)
    )
}

/// Path parameters: 400 `invalid_path` when a segment cannot be read as the handler's type.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(extract::Path(v)) => Ok(ApiPath(v)),
            Err(rej) => Err(path_rejection(rej)),
        }
    }
}

fn path_rejection(rej: PathRejection) -> ApiError {
    use axum::extract::path::ErrorKind;
    let PathRejection::FailedToDeserializePathParams(e) = rej else {
        return ApiError::internal();
    };
    // Keys are the route's parameter names; values are never repeated.
    let message = match e.kind() {
        ErrorKind::InvalidUtf8InPathParam { key } => format!("{key}: not valid UTF-8"),
        ErrorKind::ParseErrorAtKey {
            key, expected_type, ..
        } => format!("{key}: expected {expected_type}"),
        ErrorKind::ParseErrorAtIndex {
            index,
            expected_type,
            ..
        } => format!("path parameter {index}: expected {expected_type}"),
        ErrorKind::ParseError { expected_type, .. } => {
            format!("path parameter: expected {expected_type}")
        }
        ErrorKind::DeserializeError { key, message, .. } => {
            format!("{key}: {}", describe(message))
        }
        ErrorKind::Message(m) => format!("path parameter: {}", describe(m)),
        // Wrong number of parameters, unsupported type: a bug of the route, not of the request.
        _ => return ApiError::internal(),
    };
    if e.status().is_server_error() {
        return ApiError::internal();
    }
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", message)
}

/// A query string: 400 `invalid_query` when it does not fit the handler's type
/// (`"limit: invalid digit found in string"`).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        // What axum's `Query` does, keeping the error's parts apart.
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let text = e.inner().to_string();
                ApiError::bad_request(
                    "invalid_query",
                    shape_message(e.path(), &text, "query string"),
                )
            })
    }
}

/// The path of the failing field (`grants[0].role`); empty for the whole document. Only
/// names that look like this API's field names are shown; anything else (a map key the sender
/// chose) is `?`.
fn field_path(segments: &[&serde_path_to_error::Segment]) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in segments {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => push_name(&mut out, key),
            Segment::Enum { variant } => push_name(&mut out, variant),
            Segment::Unknown => push_name(&mut out, "?"),
        }
    }
    out
}

fn push_name(out: &mut String, name: &str) {
    if !out.is_empty() {
        out.push('.');
    }
    let is_field_name = (1..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    out.push_str(if is_field_name { name } else { "?" });
}

/// A serde error message rewritten without the value it quotes. serde's standard messages put
/// the sender's value before `, expected ...` and the expectation (from this server's types)
/// after it, so the text after the *last* `, expected ` is ours; anything not recognised is
/// replaced as a whole.
pub fn describe(message: &str) -> String {
    let expected = || {
        message
            .rsplit_once(", expected ")
            .map(|(_, e)| format!(", expected {e}"))
            .unwrap_or_default()
    };
    // Only the declared field's name follows these two.
    let names_our_field = |prefix: &str| {
        message.strip_prefix(prefix).is_some_and(|rest| {
            rest.strip_suffix('`').is_some_and(|name| {
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            })
        })
    };
    if names_our_field("missing field `") || names_our_field("duplicate field `") {
        return message.to_owned();
    }
    let kind = [
        ("invalid type: ", "wrong type"),
        ("invalid value: ", "invalid value"),
        ("unknown variant ", "unknown value"),
        ("unknown field ", "unknown field"),
        ("invalid length ", "wrong number of items"),
    ]
    .into_iter()
    .find(|(prefix, _)| message.starts_with(prefix));
    if let Some((_, kind)) = kind {
        return format!("{kind}{}", expected());
    }
    // std's integer and float parse errors (query strings) are fixed texts.
    const FIXED: [&str; 6] = [
        "cannot parse integer from empty string",
        "invalid digit found in string",
        "number too large to fit in target type",
        "number too small to fit in target type",
        "invalid float literal",
        "provided string was not `true` or `false`",
    ];
    if FIXED.contains(&message) {
        return message.to_owned();
    }
    "invalid value".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARK: &str = "tsu_SECRETMARKER";

    #[test]
    fn describe_drops_every_quoted_value() {
        let cases = [
            (
                format!("invalid type: string \"{MARK}\", expected u64"),
                "wrong type, expected u64",
            ),
            (
                format!("invalid type: string \"{MARK}, expected x\", expected a string"),
                "wrong type, expected a string",
            ),
            (
                format!("invalid value: string \"{MARK}\", expected a boolean"),
                "invalid value, expected a boolean",
            ),
            (
                format!("unknown variant `{MARK}`, expected `manage` or `use`"),
                "unknown value, expected `manage` or `use`",
            ),
            (
                format!("unknown field `{MARK}`, expected `role`"),
                "unknown field, expected `role`",
            ),
            (
                format!("unknown field `{MARK}`, there are no fields"),
                "unknown field",
            ),
            (format!("missing field `{MARK}`"), "invalid value"),
            (format!("something custom: {MARK}"), "invalid value"),
            (
                "missing field `setup_token`".to_owned(),
                "missing field `setup_token`",
            ),
            (
                "invalid length 3, expected 2 elements".to_owned(),
                "wrong number of items, expected 2 elements",
            ),
            (
                "invalid digit found in string".to_owned(),
                "invalid digit found in string",
            ),
        ];
        for (input, want) in cases {
            let got = describe(&input);
            assert_eq!(got, want, "{input}");
            assert!(!got.contains("SECRETMARKER"));
        }
    }

    #[test]
    fn field_path_names_declared_fields_only() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            role: u8,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            grants: Vec<Inner>,
            map: std::collections::BTreeMap<String, u8>,
        }
        let v = serde_json::json!({"grants": [{"role": 1}, {"role": "x"}], "map": {}});
        let Err(e) = serde_path_to_error::deserialize::<_, Outer>(v) else {
            panic!("accepted a string for u8");
        };
        let path = |e: &serde_path_to_error::Error<serde_json::Error>| {
            field_path(&e.path().iter().collect::<Vec<_>>())
        };
        assert_eq!(path(&e), "grants[1].role");
        let v = serde_json::json!({"grants": [], "map": {MARK: "x"}});
        let Err(e) = serde_path_to_error::deserialize::<_, Outer>(v) else {
            panic!("accepted a string for u8");
        };
        assert_eq!(path(&e), "map.?");
    }
}
