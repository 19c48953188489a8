//! Calls to Intuit: the discovery document, the token and revocation
//! endpoints (with the app's client credentials) and one cheap Accounting
//! API read to check an app's access token.
//!
//! Token and revocation answers are handed back as they came
//! ([`Forwarded`]): status, content type and body, so the app reads
//! Intuit's own success and error shapes.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::OnceCell;

use crate::config::{RelayConfig, Secret};

/// The Accounting API minor version of the token check.
const MINOR_VERSION: &str = "75";

/// The transaction id Intuit puts on its answers; passed on for support.
const INTUIT_TID: &str = "intuit_tid";

/// Why Intuit could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No answer (network, TLS, timeout).
    #[error("Intuit could not be reached: {0}")]
    Unreachable(#[source] reqwest::Error),
    /// The discovery document was unusable.
    #[error("Intuit's discovery document is unusable: {0}")]
    Discovery(String),
    /// An answer the relay cannot interpret (for the token check).
    #[error("Intuit answered with HTTP {0}")]
    Unexpected(StatusCode),
}

/// Intuit's OAuth endpoints, from the discovery document.
#[derive(Debug, Clone, Deserialize)]
pub struct Endpoints {
    /// The consent page.
    pub authorization_endpoint: String,
    /// Code exchange and refresh.
    pub token_endpoint: String,
    /// Revocation.
    pub revocation_endpoint: String,
}

/// An answer of Intuit's, to be sent to the app unchanged.
#[derive(Debug, Clone)]
pub struct Forwarded {
    /// Intuit's status.
    pub status: StatusCode,
    /// Intuit's content type, if any.
    pub content_type: Option<HeaderValue>,
    /// Intuit's `intuit_tid`, if any.
    pub intuit_tid: Option<HeaderValue>,
    /// Intuit's body.
    pub body: Bytes,
}

impl IntoResponse for Forwarded {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body).into_response();
        let headers = response.headers_mut();
        headers.remove(header::CONTENT_TYPE);
        if let Some(content_type) = self.content_type {
            headers.insert(header::CONTENT_TYPE, content_type);
        }
        if let Some(tid) = self.intuit_tid {
            headers.insert(INTUIT_TID, tid);
        }
        // Token answers must never be cached by a proxy (RFC 6749 §5.1).
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// What the token check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessCheck {
    /// The token reads the company.
    Granted,
    /// Intuit refused the token for this company (401 or 403).
    Denied,
    /// Intuit throttled the check (429).
    Throttled,
}

/// The client of Intuit's endpoints.
#[derive(Debug)]
pub struct Intuit {
    http: reqwest::Client,
    discovery_url: String,
    api_base: String,
    client_id: String,
    client_secret: Secret,
    endpoints: OnceCell<Endpoints>,
}

impl Intuit {
    /// A client for the configured environment; nothing is fetched yet.
    pub fn new(config: &RelayConfig) -> Intuit {
        let http = reqwest::Client::builder()
            .timeout(config.upstream_timeout)
            .connect_timeout(Duration::from_secs(10))
            // Credentials are never sent on to another URL.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Intuit {
            http,
            discovery_url: config.discovery_url(),
            api_base: config.api_base(),
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            endpoints: OnceCell::new(),
        }
    }

    /// The OAuth endpoints, read from the discovery document once.
    pub async fn endpoints(&self) -> Result<&Endpoints, UpstreamError> {
        self.endpoints
            .get_or_try_init(|| async {
                let response = self
                    .http
                    .get(&self.discovery_url)
                    .header(header::ACCEPT, "application/json")
                    .send()
                    .await
                    .map_err(UpstreamError::Unreachable)?;
                if !response.status().is_success() {
                    return Err(UpstreamError::Discovery(format!(
                        "HTTP {}",
                        response.status()
                    )));
                }
                response
                    .json::<Endpoints>()
                    .await
                    .map_err(|error| UpstreamError::Discovery(error.to_string()))
            })
            .await
    }

    /// The consent page URL for the relay's callback and a signed state.
    pub async fn authorize_url(
        &self,
        callback_url: &str,
        state: &str,
    ) -> Result<String, UpstreamError> {
        let endpoints = self.endpoints().await?;
        let mut url = url::Url::parse(&endpoints.authorization_endpoint)
            .map_err(|error| UpstreamError::Discovery(error.to_string()))?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("response_type", "code")
            .append_pair("scope", "com.intuit.quickbooks.accounting openid")
            .append_pair("redirect_uri", callback_url)
            .append_pair("state", state);
        Ok(url.into())
    }

    /// Exchanges an authorization code issued for `callback_url`.
    pub async fn exchange_code(
        &self,
        code: &str,
        callback_url: &str,
    ) -> Result<Forwarded, UpstreamError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", callback_url),
        ];
        self.post_token(&form).await
    }

    /// Refreshes with a refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Forwarded, UpstreamError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        self.post_token(&form).await
    }

    async fn post_token(&self, form: &[(&str, &str)]) -> Result<Forwarded, UpstreamError> {
        let endpoints = self.endpoints().await?;
        let response = self
            .http
            .post(&endpoints.token_endpoint)
            .basic_auth(&self.client_id, Some(self.client_secret.expose()))
            .header(header::ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .map_err(UpstreamError::Unreachable)?;
        forwarded(response).await
    }

    /// Revokes a refresh or access token (Intuit's JSON form).
    pub async fn revoke(&self, token: &str) -> Result<Forwarded, UpstreamError> {
        let endpoints = self.endpoints().await?;
        let response = self
            .http
            .post(&endpoints.revocation_endpoint)
            .basic_auth(&self.client_id, Some(self.client_secret.expose()))
            .header(header::ACCEPT, "application/json")
            .json(&serde_json::json!({ "token": token }))
            .send()
            .await
            .map_err(UpstreamError::Unreachable)?;
        forwarded(response).await
    }

    /// Whether `access_token` reads the company `realm_id`: one CompanyInfo
    /// read, the cheapest call that proves it.
    pub async fn check_access(
        &self,
        access_token: &str,
        realm_id: &str,
    ) -> Result<AccessCheck, UpstreamError> {
        let url = format!(
            "{}/v3/company/{realm_id}/companyinfo/{realm_id}?minorversion={MINOR_VERSION}",
            self.api_base
        );
        let response = self
            .http
            .get(url)
            .bearer_auth(access_token)
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(UpstreamError::Unreachable)?;
        match response.status() {
            status if status.is_success() => Ok(AccessCheck::Granted),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Ok(AccessCheck::Denied),
            StatusCode::TOO_MANY_REQUESTS => Ok(AccessCheck::Throttled),
            status => Err(UpstreamError::Unexpected(status)),
        }
    }
}

async fn forwarded(response: reqwest::Response) -> Result<Forwarded, UpstreamError> {
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    let intuit_tid = response.headers().get(INTUIT_TID).cloned();
    let body = response.bytes().await.map_err(UpstreamError::Unreachable)?;
    Ok(Forwarded {
        status,
        content_type,
        intuit_tid,
        body,
    })
}
