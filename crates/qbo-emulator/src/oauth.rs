//! Intuit OAuth 2.0 and OpenID Connect, as Intuit runs them (API.md §2).
//!
//! One [`OAuthServer`] plays every Intuit host involved in connecting an app:
//! the discovery documents, the consent page at `appcenter.intuit.com`, the
//! token and JWKS endpoints at `oauth.platform.intuit.com`, revocation at
//! `developer.api.intuit.com` and userinfo at `accounts.platform.intuit.com`,
//! each on the path Intuit uses (see [`paths`]). The API layer asks it
//! whether a bearer token may touch a realm through
//! [`OAuthServer::authenticate`].
//!
//! Token lifetimes follow Intuit: access tokens last an hour, refresh tokens
//! 100 days from their last use and never more than five years from the
//! user's consent. Rotation of refresh tokens and the grace period of a
//! superseded one are settings, because Intuit's own statements conflict
//! (API.md §2.6, §12 item 1); the defaults are the strictest reading. Every
//! time comes from the [`Clock`], so a test can jump 101 days ahead.

mod consent;
mod endpoints;
mod store;
mod tokens;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::http::StatusCode;
use chrono::Duration;
use serde_json::{Value, json};

use crate::clock::Clock;
use store::{ACCOUNTING_SCOPE, IssuedTokens, RegisteredClient, Store};
use tokens::IdTokenSigner;

pub use endpoints::routes;

/// The paths this server answers on; each is the path of the matching Intuit
/// URL, so a client only swaps the scheme and host.
pub mod paths {
    /// The consent page (`https://appcenter.intuit.com/connect/oauth2`).
    pub const AUTHORIZE: &str = "/connect/oauth2";
    /// Code exchange and refresh (`https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer`).
    pub const TOKEN: &str = "/oauth2/v1/tokens/bearer";
    /// Revocation (`https://developer.api.intuit.com/v2/oauth2/tokens/revoke`).
    pub const REVOKE: &str = "/v2/oauth2/tokens/revoke";
    /// OpenID userinfo (`https://accounts.platform.intuit.com/v1/openid_connect/userinfo`).
    pub const USERINFO: &str = "/v1/openid_connect/userinfo";
    /// The id_token signing keys (`https://oauth.platform.intuit.com/op/v1/jwks`).
    pub const JWKS: &str = "/op/v1/jwks";
    /// The id_token issuer. It is an identifier, not a URL that is fetched,
    /// and Intuit's client libraries compare it to this exact string, so the
    /// emulator uses Intuit's own value whatever its base URL.
    pub const ISSUER: &str = "https://oauth.platform.intuit.com/op/v1";
    /// The sandbox discovery document.
    pub const DISCOVERY_SANDBOX: &str = "/.well-known/openid_sandbox_configuration";
    /// The production discovery document.
    pub const DISCOVERY_PRODUCTION: &str = "/.well-known/openid_configuration";
}

/// How often a refresh returns a new refresh-token value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshRotation {
    /// Every refresh returns a new value (the strictest reading, and what
    /// PITFALLS item 1 tests need).
    EveryRefresh,
    /// The value changes on the first refresh once the current value is at
    /// least this old; Intuit staff describe a 24–26 hour period.
    After(Duration),
    /// The value never changes; only its expiry moves.
    Never,
}

/// The Intuit user who is signed in on the consent page, as userinfo and the
/// id_token describe them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserProfile {
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    pub given_name: String,
    pub family_name: String,
    pub phone_number: String,
    pub phone_number_verified: bool,
    pub address: UserAddress,
}

/// The postal address in userinfo (samples/oauth-userinfo.json).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAddress {
    pub street_address: String,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

impl Default for UserProfile {
    fn default() -> Self {
        Self {
            sub: "5f0c2d8e-7a41-4b6e-9d35-1c8e2f47a903".to_owned(),
            email: "alex.morgan@example.com".to_owned(),
            email_verified: true,
            given_name: "Alex".to_owned(),
            family_name: "Morgan".to_owned(),
            phone_number: "+1 5555550123".to_owned(),
            phone_number_verified: false,
            address: UserAddress {
                street_address: "2700 Coast Avenue".to_owned(),
                locality: "Mountain View".to_owned(),
                region: "CA".to_owned(),
                postal_code: "94043".to_owned(),
                country: "US".to_owned(),
            },
        }
    }
}

/// The token server's settings.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// The authorize endpoint skips the consent page and answers as if the
    /// user had clicked Connect for the first registered company.
    pub auto_approve: bool,
    /// The app name shown on the consent page for apps registered through
    /// [`OAuthServer::register_client`].
    pub default_app_name: String,
    /// Access-token lifetime; Intuit: 3600 s.
    pub access_token_lifetime: Duration,
    /// How long an authorization code can be exchanged. API.md gives no
    /// figure; ten minutes is RFC 6749's recommended maximum.
    pub authorization_code_lifetime: Duration,
    /// The rolling refresh-token lifetime, renewed on every use; Intuit: 100 days.
    pub refresh_token_lifetime: Duration,
    /// The hard cap counted from the user's consent; Intuit: five years.
    pub refresh_token_max_lifetime: Duration,
    /// When a refresh returns a new refresh-token value.
    pub refresh_rotation: RefreshRotation,
    /// How long a superseded refresh token still works (answering with the
    /// current value); zero kills it at once.
    pub superseded_refresh_grace: Duration,
    /// Refuse redirect URIs Intuit would not let an app register (plain http
    /// other than localhost, IP-address hosts), so a client that relies on
    /// one fails here rather than against Intuit.
    pub enforce_redirect_uri_rules: bool,
    /// The signed-in user.
    pub user: UserProfile,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        Self {
            auto_approve: false,
            default_app_name: "Ledgerlink".to_owned(),
            access_token_lifetime: Duration::seconds(3600),
            authorization_code_lifetime: Duration::minutes(10),
            refresh_token_lifetime: Duration::days(100),
            refresh_token_max_lifetime: Duration::days(5 * 365),
            refresh_rotation: RefreshRotation::EveryRefresh,
            superseded_refresh_grace: Duration::zero(),
            enforce_redirect_uri_rules: true,
            user: UserProfile::default(),
        }
    }
}

/// What the token server did for one app, for tests that must see, say,
/// exactly one refresh (PITFALLS item 2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientCounters {
    /// Consents given (authorization codes issued).
    pub authorizations: u64,
    /// Successful authorization-code exchanges.
    pub code_exchanges: u64,
    /// Successful refresh grants.
    pub refreshes_served: u64,
    /// Refresh grants answered with `invalid_grant`.
    pub refreshes_rejected: u64,
    /// Grants revoked through the revoke endpoint.
    pub revocations: u64,
}

/// Why a bearer token may not call the Accounting API for a realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    /// The token was never issued (or is malformed).
    #[error("the access token is unknown")]
    Unknown,
    /// The token's hour is over.
    #[error("the access token has expired")]
    Expired,
    /// The app was disconnected: its refresh or access token was revoked.
    #[error("the access token has been revoked")]
    Revoked,
    /// The token is valid but was granted for another company, or without
    /// the accounting scope.
    #[error("the access token is not authorized for this company")]
    WrongRealm,
}

impl AuthFailure {
    /// The HTTP status Intuit's gateway answers with (API.md §2.9): 401 for
    /// a bad token, 403 for a good token on the wrong company or scope.
    pub fn status(self) -> StatusCode {
        match self {
            Self::Unknown | Self::Expired | Self::Revoked => StatusCode::UNAUTHORIZED,
            Self::WrongRealm => StatusCode::FORBIDDEN,
        }
    }

    /// The fault's error code: 3200 AuthenticationFailed or 3100
    /// ApplicationAuthorizationFailed.
    pub fn code(self) -> &'static str {
        match self {
            Self::Unknown | Self::Expired | Self::Revoked => "3200",
            Self::WrongRealm => "3100",
        }
    }

    /// The fault's message, in the gateway's `message=…; errorCode=…;
    /// statusCode=…` form.
    pub fn message(self) -> &'static str {
        match self {
            Self::Unknown | Self::Expired | Self::Revoked => {
                "message=AuthenticationFailed; errorCode=003200; statusCode=401"
            }
            Self::WrongRealm => {
                "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403"
            }
        }
    }

    /// The fault's `type`: "AUTHENTICATION" for 3200, "SERVICE" for 3100.
    pub fn fault_type(self) -> &'static str {
        match self {
            Self::Unknown | Self::Expired | Self::Revoked => "AUTHENTICATION",
            Self::WrongRealm => "SERVICE",
        }
    }

    /// The fault's detail, e.g. "Token expired: AB0…" as in
    /// samples/fault-3200-lowercase-401.json. The identifier is derived from
    /// the bearer token, never the token itself.
    pub fn detail(self, bearer_token: &str) -> String {
        let ticket = tokens::gateway_ticket(bearer_token);
        match self {
            Self::Unknown => format!("Token invalid: {ticket}"),
            Self::Expired => format!("Token expired: {ticket}"),
            Self::Revoked => format!("Token revoked: {ticket}"),
            Self::WrongRealm => "Authorization Failure".to_owned(),
        }
    }
}

/// The emulated Intuit identity platform.
#[derive(Debug)]
pub struct OAuthServer {
    clock: Clock,
    store: Mutex<Store>,
    signer: Result<IdTokenSigner, String>,
}

impl OAuthServer {
    pub fn new(clock: Clock, config: OAuthConfig) -> Arc<Self> {
        let signer = IdTokenSigner::embedded().map_err(|error| {
            tracing::error!(%error, "id_tokens will be left out of token responses");
            error.to_string()
        });
        Arc::new(Self {
            clock,
            store: Mutex::new(Store::new(config)),
            signer,
        })
    }

    /// The clock every expiry is measured on.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Tells the server its public base URL (e.g. `http://127.0.0.1:41234`)
    /// once it is listening, so discovery documents and id_token issuers
    /// carry real addresses. Until then they use the request's Host header.
    pub fn set_base_url(&self, url: &str) {
        self.store().base_url = Some(url.trim_end_matches('/').to_owned());
    }

    /// The base URL given to [`OAuthServer::set_base_url`], if any.
    pub fn base_url(&self) -> Option<String> {
        self.store().base_url.clone()
    }

    /// A copy of the current settings.
    pub fn config(&self) -> OAuthConfig {
        self.store().config.clone()
    }

    /// Changes settings at run time (rotation, grace, auto-approve…); the
    /// new values apply to the next request.
    pub fn update_config(&self, change: impl FnOnce(&mut OAuthConfig)) {
        change(&mut self.store().config);
    }

    /// Registers an app under the default app name. Redirect URIs match
    /// exactly, as at Intuit: scheme, host, port, path and query.
    pub fn register_client(
        &self,
        client_id: &str,
        client_secret: &str,
        redirect_uris: Vec<String>,
    ) {
        let app_name = self.store().config.default_app_name.clone();
        self.register_named_client(client_id, client_secret, &app_name, redirect_uris);
    }

    /// Registers (or replaces) an app with the name its consent page shows.
    pub fn register_named_client(
        &self,
        client_id: &str,
        client_secret: &str,
        app_name: &str,
        redirect_uris: Vec<String>,
    ) {
        for uri in &redirect_uris {
            if let Err(reason) = endpoints::check_redirect_uri_rules(uri) {
                tracing::warn!(
                    client_id,
                    uri,
                    reason,
                    "Intuit would refuse this redirect URI"
                );
            }
        }
        self.store().register_client(
            client_id,
            RegisteredClient {
                secret: client_secret.to_owned(),
                app_name: app_name.to_owned(),
                redirect_uris,
            },
        );
    }

    /// Makes a company available on the consent page (a rename if the realm
    /// is already registered).
    pub fn register_company(&self, realm_id: &str, company_name: &str) {
        self.store().register_company(realm_id, company_name);
    }

    /// The registered companies as (realm id, name), in registration order.
    pub fn companies(&self) -> Vec<(String, String)> {
        self.store()
            .companies()
            .iter()
            .map(|company| (company.realm_id.clone(), company.name.clone()))
            .collect()
    }

    /// Checks a bearer token for an Accounting API call on `realm_id`. A
    /// leading "Bearer " is tolerated.
    pub fn authenticate(&self, bearer_token: &str, realm_id: &str) -> Result<(), AuthFailure> {
        let token = strip_bearer(bearer_token);
        self.store().authenticate(token, realm_id, self.clock.now())
    }

    /// Issues tokens for `realm_id` as if the user had connected `client_id`
    /// just now with the accounting and OpenID scopes, and returns Intuit's
    /// token response (used by `POST /_emulator/tokens`). The refresh token
    /// works only with the client's registered secret.
    pub fn mint_tokens(&self, client_id: &str, realm_id: &str) -> Value {
        let now = self.clock.now();
        let scopes = [
            ACCOUNTING_SCOPE,
            "openid",
            "profile",
            "email",
            "phone",
            "address",
        ]
        .map(str::to_owned)
        .to_vec();
        let issued =
            self.store()
                .create_grant(client_id, Some(realm_id.to_owned()), scopes, now, now);
        self.token_response(&issued, false)
    }

    /// What the token server did for `client_id` so far.
    pub fn counters(&self, client_id: &str) -> ClientCounters {
        self.store().counters(client_id)
    }

    /// How many refresh grants were served to `client_id`.
    pub fn refresh_count(&self, client_id: &str) -> u64 {
        self.counters(client_id).refreshes_served
    }

    /// Revokes every grant for a realm, as when the user disconnects the app
    /// from inside QuickBooks; returns how many were live.
    pub fn disconnect(&self, realm_id: &str) -> usize {
        self.store().disconnect_realm(realm_id)
    }

    /// Ends the hour of every live access token (or one realm's) now, for
    /// tests of expiry in the middle of a sync; returns how many there were.
    pub fn expire_access_tokens(&self, realm_id: Option<&str>) -> usize {
        let now = self.clock.now();
        self.store().expire_access_tokens(realm_id, now)
    }

    /// Intuit's token response for `issued`, members in the order of
    /// samples/oauth-token.json. The hard-expiry member is added only when
    /// the client opted in with `x-include-refresh-token-hard-expires-in`.
    fn token_response(&self, issued: &IssuedTokens, include_hard_expiry: bool) -> Value {
        let mut response = json!({
            "token_type": "bearer",
            "expires_in": issued.access_expires_in,
            "refresh_token": issued.refresh_token,
            "x_refresh_token_expires_in": issued.refresh_expires_in,
            "access_token": issued.access_token,
        });
        if issued.scopes.iter().any(|scope| scope == "openid") {
            match self.id_token(issued) {
                Ok(id_token) => response["id_token"] = Value::String(id_token),
                Err(error) => tracing::error!(%error, "id_token left out"),
            }
        }
        if include_hard_expiry {
            response["x_refresh_token_hard_expires_in"] = json!(issued.refresh_hard_expires_in);
        }
        response
    }

    /// The signed id_token, with the claims of Intuit's (the JS client's
    /// validateIdToken fixture): sub, aud as a list, realmid, auth_time, iss,
    /// exp, iat.
    fn id_token(&self, issued: &IssuedTokens) -> Result<String, String> {
        let signer = self.signer.as_ref().map_err(String::clone)?;
        let now = self.clock.now().timestamp();
        let subject = self.store().config.user.sub.clone();
        let mut claims = json!({ "sub": subject, "aud": [issued.client_id] });
        if let Some(realm_id) = &issued.realm_id {
            claims["realmid"] = json!(realm_id);
        }
        claims["auth_time"] = json!(issued.authorized_at.timestamp());
        claims["iss"] = json!(paths::ISSUER);
        claims["exp"] = json!(now + issued.access_expires_in);
        claims["iat"] = json!(now);
        signer.sign(&claims).map_err(|error| error.to_string())
    }
}

/// The base URL used before [`OAuthServer::set_base_url`] when no request
/// is at hand to tell the host.
const FALLBACK_BASE_URL: &str = "http://localhost";

fn strip_bearer(value: &str) -> &str {
    let value = value.trim();
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_prefix_is_optional() {
        assert_eq!(strip_bearer("Bearer abc"), "abc");
        assert_eq!(strip_bearer("bearer  abc "), "abc");
        assert_eq!(strip_bearer("abc"), "abc");
    }

    #[test]
    fn failures_map_to_the_gateway_faults() {
        assert_eq!(AuthFailure::Expired.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(AuthFailure::WrongRealm.status(), StatusCode::FORBIDDEN);
        assert_eq!(AuthFailure::Revoked.code(), "3200");
        assert!(
            AuthFailure::Expired
                .detail("t")
                .starts_with("Token expired: AB0")
        );
    }
}
