//! Error answers in the shapes apps already read from Intuit: OAuth's
//! `{"error", "error_description"}` JSON, and a plain HTML page where a
//! browser is on the other end.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use crate::upstream::UpstreamError;

/// `{"error": error, "error_description": description}` with `status`,
/// never cached.
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        axum::Json(json!({ "error": error, "error_description": description })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// 400 `invalid_request`.
pub fn invalid_request(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

/// 502 `temporarily_unavailable` when Intuit could not be asked; the cause
/// is logged, never sent.
pub fn upstream_failure(error: &UpstreamError) -> Response {
    tracing::warn!(%error, "a request to Intuit failed");
    oauth_error(
        StatusCode::BAD_GATEWAY,
        "temporarily_unavailable",
        "Intuit could not be reached; try again shortly",
    )
}

/// 500 `server_error` when the relay's own storage failed; the cause is
/// logged, never sent.
pub fn internal(error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "the relay failed");
    oauth_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "the relay could not complete the request",
    )
}

/// A short HTML page for the browser, e.g. when a connect link is stale.
pub fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family: sans-serif; max-width: 40em; margin: 4em auto\">\
         <h1>{title}</h1><p>{message}</p></body></html>",
        title = escape(title),
        message = escape(message),
    );
    let mut response = (status, Html(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
