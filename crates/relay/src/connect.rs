//! The OAuth hand-off: `/connect/start` sends the browser to Intuit with a
//! signed state bound to the app's PKCE challenge, `/connect/callback`
//! sends Intuit's answer on to the app's loopback listener, and
//! `/oauth/token` and `/oauth/revoke` forward to Intuit with the app's
//! client credentials once the app proved it holds the PKCE verifier.
//!
//! Intuit itself ignores PKCE; the relay enforces it, so a code seen on
//! the way (a browser history, a proxy log) is useless without the
//! verifier that never left the app.

use std::net::{Ipv4Addr, Ipv6Addr};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::{Host, Url};

use crate::error::{invalid_request, oauth_error, page, upstream_failure};
use crate::server::{Relay, unix_seconds};
use crate::signing::{
    ConnectState, STATE_LIFETIME_SECS, TokenError, code_hash, is_valid_challenge,
    is_valid_verifier, pkce_matches,
};
use subtle::ConstantTimeEq as _;

/// The longest `app_state` carried through.
const MAX_APP_STATE: usize = 512;

type Pairs = Vec<(String, String)>;

fn parse_pairs(bytes: &[u8]) -> Pairs {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

/// The first non-empty value of `name`.
fn field<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.as_str())
}

/// Checks that the app's redirect URI is a loopback http URL with a port.
pub fn check_loopback_redirect(uri: &str) -> Result<Url, String> {
    let url = Url::parse(uri).map_err(|error| format!("redirect_uri is not a URL: {error}"))?;
    if url.scheme() != "http" {
        return Err("redirect_uri must be an http:// loopback URL".to_owned());
    }
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(address)) => address == Ipv4Addr::LOCALHOST,
        Some(Host::Ipv6(address)) => address == Ipv6Addr::LOCALHOST,
        None => false,
    };
    if !loopback {
        return Err(
            "redirect_uri must point at 127.0.0.1, localhost or [::1] (the app's loopback listener)"
                .to_owned(),
        );
    }
    if url.port().is_none() {
        return Err("redirect_uri must name the listener's port".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err("redirect_uri must not carry credentials or a fragment".to_owned());
    }
    Ok(url)
}

fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => (
            StatusCode::FOUND,
            [
                (header::LOCATION, location),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(_) => invalid_request("the redirect URL is not a valid header value"),
    }
}

/// `GET /connect/start`.
pub async fn start(State(relay): State<Relay>, RawQuery(query): RawQuery) -> Response {
    let pairs = parse_pairs(query.as_deref().unwrap_or_default().as_bytes());
    let Some(redirect_uri) = field(&pairs, "redirect_uri") else {
        return invalid_request("redirect_uri is required");
    };
    if let Err(reason) = check_loopback_redirect(redirect_uri) {
        return invalid_request(&reason);
    }
    let Some(code_challenge) = field(&pairs, "code_challenge") else {
        return invalid_request("code_challenge is required (PKCE, S256)");
    };
    if field(&pairs, "code_challenge_method") != Some("S256") {
        return invalid_request("code_challenge_method must be S256");
    }
    if !is_valid_challenge(code_challenge) {
        return invalid_request(
            "code_challenge must be the base64url SHA-256 of the verifier (43 characters)",
        );
    }
    let app_state = field(&pairs, "app_state").map(str::to_owned);
    if app_state
        .as_ref()
        .is_some_and(|state| state.len() > MAX_APP_STATE)
    {
        return invalid_request("app_state is longer than 512 characters");
    }
    let state = ConnectState {
        redirect_uri: redirect_uri.to_owned(),
        code_challenge: code_challenge.to_owned(),
        app_state,
        exp: unix_seconds() + STATE_LIFETIME_SECS,
        nonce: URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>()),
        code_hash: None,
    };
    let signed = relay.key().sign_state(&state);
    match relay
        .intuit()
        .authorize_url(&relay.callback_url(), &signed)
        .await
    {
        Ok(url) => {
            tracing::info!("sent a browser to Intuit's consent page");
            redirect(&url)
        }
        Err(error) => upstream_failure(&error),
    }
}

/// `GET /connect/callback`: Intuit's redirect after the consent page.
pub async fn callback(State(relay): State<Relay>, RawQuery(query): RawQuery) -> Response {
    let pairs = parse_pairs(query.as_deref().unwrap_or_default().as_bytes());
    let signed = field(&pairs, "state").unwrap_or_default();
    let state = match relay.key().open_state(signed, unix_seconds()) {
        Ok(state) if state.code_hash.is_none() => state,
        Ok(_) => {
            return page(
                StatusCode::BAD_REQUEST,
                "Connection link invalid or expired",
                "This connection link was already used. Go back to Ledgerlink and start connecting the company again from the app.",
            );
        }
        Err(error) => {
            let why = match error {
                TokenError::Expired => "This connection link has expired.",
                _ => "This connection link is not valid.",
            };
            tracing::info!(%error, "refused a connect callback");
            return page(
                StatusCode::BAD_REQUEST,
                "Connection link invalid or expired",
                &format!(
                    "{why} Go back to Ledgerlink and start connecting the company again from the app."
                ),
            );
        }
    };
    // The state's redirect URI was checked when it was signed.
    let Ok(mut target) = Url::parse(&state.redirect_uri) else {
        return invalid_request("the app's redirect_uri is not a URL");
    };
    let mut app_state_token = signed.to_owned();
    {
        let mut query = target.query_pairs_mut();
        match (field(&pairs, "error"), field(&pairs, "code")) {
            (Some(error), _) => {
                query.append_pair("error", error);
                if let Some(description) = field(&pairs, "error_description") {
                    query.append_pair("error_description", description);
                }
            }
            (None, Some(code)) => {
                query.append_pair("code", code);
                if let Some(realm_id) = field(&pairs, "realmId") {
                    query.append_pair("realmId", realm_id);
                }
                // The state the app sends back is bound to this code too.
                let bound = ConnectState {
                    code_hash: Some(code_hash(code)),
                    exp: unix_seconds() + STATE_LIFETIME_SECS,
                    ..state.clone()
                };
                app_state_token = relay.key().sign_state(&bound);
            }
            (None, None) => {
                query.append_pair("error", "invalid_request");
                query.append_pair(
                    "error_description",
                    "Intuit's answer carried neither a code nor an error",
                );
            }
        }
        query.append_pair("state", &app_state_token);
        if let Some(app_state) = &state.app_state {
            query.append_pair("app_state", app_state);
        }
    }
    let outcome = if field(&pairs, "code").is_some() {
        "code"
    } else {
        "error"
    };
    tracing::info!(outcome, "sent Intuit's answer on to the app");
    redirect(target.as_str())
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// `POST /oauth/token`: code exchange (with the PKCE check) and refresh.
pub async fn token(State(relay): State<Relay>, headers: HeaderMap, body: Bytes) -> Response {
    if !is_form(&headers) {
        return invalid_request("the body must be application/x-www-form-urlencoded");
    }
    let form = parse_pairs(&body);
    let outcome = match field(&form, "grant_type") {
        Some("authorization_code") => {
            let Some(code) = field(&form, "code") else {
                return invalid_request("code is required");
            };
            let Some(signed) = field(&form, "state") else {
                return invalid_request("state is required (the relay's state from the redirect)");
            };
            let state = match relay.key().open_state(signed, unix_seconds()) {
                Ok(state) => state,
                Err(error) => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        &format!("the state is not usable: {error}"),
                    );
                }
            };
            let code_matches = state
                .code_hash
                .as_deref()
                .is_some_and(|hash| bool::from(hash.as_bytes().ct_eq(code_hash(code).as_bytes())));
            if !code_matches {
                tracing::info!("refused a code exchange: the code does not belong to the state");
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the code does not belong to this state",
                );
            }
            let Some(verifier) = field(&form, "code_verifier") else {
                return invalid_request("code_verifier is required (PKCE)");
            };
            if !is_valid_verifier(verifier) || !pkce_matches(verifier, &state.code_challenge) {
                tracing::info!("refused a code exchange: the code verifier does not match");
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "code verifier does not match",
                );
            }
            relay
                .intuit()
                .exchange_code(code, &relay.callback_url())
                .await
        }
        Some("refresh_token") => {
            let Some(refresh_token) = field(&form, "refresh_token") else {
                return invalid_request("refresh_token is required");
            };
            relay.intuit().refresh(refresh_token).await
        }
        Some(other) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("grant_type {other} is not supported"),
            );
        }
        None => return invalid_request("grant_type is required"),
    };
    match outcome {
        Ok(answer) => {
            tracing::info!(
                status = answer.status.as_u16(),
                "forwarded a token request to Intuit"
            );
            answer.into_response()
        }
        Err(error) => upstream_failure(&error),
    }
}

/// `POST /oauth/revoke`: JSON `{"token"}` or a form with `token`.
pub async fn revoke(State(relay): State<Relay>, headers: HeaderMap, body: Bytes) -> Response {
    let token = if is_form(&headers) {
        field(&parse_pairs(&body), "token").map(str::to_owned)
    } else {
        match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(value) => value
                .get("token")
                .and_then(serde_json::Value::as_str)
                .filter(|token| !token.is_empty())
                .map(str::to_owned),
            Err(_) => {
                return invalid_request(
                    "the body must be JSON {\"token\": …} or a form with token",
                );
            }
        }
    };
    let Some(token) = token else {
        return invalid_request("token is required");
    };
    match relay.intuit().revoke(&token).await {
        Ok(answer) => {
            tracing::info!(
                status = answer.status.as_u16(),
                "forwarded a revocation to Intuit"
            );
            answer.into_response()
        }
        Err(error) => upstream_failure(&error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_redirects_with_a_port() {
        for good in [
            "http://127.0.0.1:5000/callback",
            "http://localhost:5000/",
            "http://[::1]:5000/cb?x=1",
        ] {
            assert!(check_loopback_redirect(good).is_ok(), "{good}");
        }
        for bad in [
            "https://127.0.0.1:5000/callback",
            "http://127.0.0.1/callback",
            "http://example.com:5000/callback",
            "http://127.0.0.2:5000/",
            "http://user:pw@127.0.0.1:5000/",
            "http://127.0.0.1:5000/#frag",
            "not a url",
        ] {
            assert!(check_loopback_redirect(bad).is_err(), "{bad}");
        }
    }
}
