//! Intuit OAuth 2.0 / OpenID against a real server on 127.0.0.1: discovery,
//! the consent page, code exchange, refresh rotation and expiry, revocation,
//! userinfo, and a standard OAuth client (the `oauth2` crate) end to end.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, TimeZone as _, Utc};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, ExtraTokenFields,
    PkceCodeChallenge, RedirectUrl, RefreshToken, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse as _, TokenUrl,
};
use qbo_emulator::clock::Clock;
use qbo_emulator::oauth::{self, AuthFailure, OAuthConfig, OAuthServer, RefreshRotation, paths};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::Value;
use url::Url;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const CLIENT_ID: &str = "ABqT4l1gXDzDCCZ0Ccnb2ONd6zYt3dPwIm81IaPlm2Rd8JHuBq";
const CLIENT_SECRET: &str = "kd93CqPrL1xw0HUoVbcs8jT4sRMeYnaF5gZ27QyE";
const REDIRECT_URI: &str = "http://localhost:8765/callback";
const ACCOUNTING: &str = "com.intuit.quickbooks.accounting";
const FULL_SCOPE: &str = "com.intuit.quickbooks.accounting openid profile email phone address";
const FIRST_REALM: &str = "9341453050298464";
const SECOND_REALM: &str = "4620816365212087";

/// The OAuth routes on their own axum server, with one app and two
/// companies registered and a clock that moves only when told to.
struct Harness {
    base: String,
    server: Arc<OAuthServer>,
    clock: Clock,
    http: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Harness {
    async fn start(config: OAuthConfig) -> Result<Self, Box<dyn std::error::Error>> {
        let start = Utc
            .with_ymd_and_hms(2026, 3, 2, 14, 0, 0)
            .single()
            .ok_or("bad start time")?;
        let clock = Clock::fixed(start);
        let server = OAuthServer::new(clock.clone(), config);
        server.register_named_client(
            CLIENT_ID,
            CLIENT_SECRET,
            "Ledgerlink Test",
            vec![REDIRECT_URI.to_owned()],
        );
        server.register_company(FIRST_REALM, "Sample Company");
        server.register_company(SECOND_REALM, "Craig's Design & Landscaping");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        server.set_base_url(&base);
        let router = oauth::routes(server.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            base,
            server,
            clock,
            http,
            task,
        })
    }

    async fn default() -> Result<Self, Box<dyn std::error::Error>> {
        Self::start(OAuthConfig::default()).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn authorize_url(&self, parameters: &[(&str, &str)]) -> Result<Url, url::ParseError> {
        Url::parse_with_params(&self.url(paths::AUTHORIZE), parameters)
    }

    fn standard_request(scope: &str, state: &str) -> Vec<(&'static str, String)> {
        vec![
            ("client_id", CLIENT_ID.to_owned()),
            ("response_type", "code".to_owned()),
            ("scope", scope.to_owned()),
            ("redirect_uri", REDIRECT_URI.to_owned()),
            ("state", state.to_owned()),
        ]
    }

    /// Submits the consent form as the browser would.
    async fn decide(
        &self,
        scope: &str,
        state: &str,
        decision: &str,
        realm_id: &str,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let mut form = Self::standard_request(scope, state);
        form.push(("decision", decision.to_owned()));
        form.push(("realm_id", realm_id.to_owned()));
        self.http
            .post(self.url(paths::AUTHORIZE))
            .form(&form)
            .send()
            .await
    }

    /// Connects `realm_id` with `scope` and returns the authorization code.
    async fn code_for(
        &self,
        scope: &str,
        realm_id: &str,
    ) -> Result<String, Box<dyn std::error::Error>> {
        let response = self.decide(scope, "xyz", "connect", realm_id).await?;
        let parameters = redirect_parameters(&response)?;
        parameters
            .get("code")
            .cloned()
            .ok_or_else(|| "no code in the redirect".into())
    }

    async fn exchange(&self, code: &str) -> Result<reqwest::Response, reqwest::Error> {
        self.http
            .post(self.url(paths::TOKEN))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .header("Accept", "application/json")
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
            ])
            .send()
            .await
    }

    /// Connects the first company with every scope and exchanges the code.
    async fn connected_tokens(&self) -> Result<Value, Box<dyn std::error::Error>> {
        let code = self.code_for(FULL_SCOPE, FIRST_REALM).await?;
        let response = self.exchange(&code).await?;
        assert_eq!(response.status(), StatusCode::OK);
        Ok(response.json().await?)
    }

    async fn refresh(&self, refresh_token: &str) -> Result<reqwest::Response, reqwest::Error> {
        self.http
            .post(self.url(paths::TOKEN))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ])
            .send()
            .await
    }

    async fn refresh_json(
        &self,
        refresh_token: &str,
    ) -> Result<(StatusCode, Value), Box<dyn std::error::Error>> {
        let response = self.refresh(refresh_token).await?;
        let status = response.status();
        Ok((status, response.json().await?))
    }
}

fn text(value: &Value, key: &str) -> Result<String, String> {
    value[key]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{key} missing in {value}"))
}

/// The query parameters of a 302's Location header.
fn redirect_parameters(
    response: &reqwest::Response,
) -> Result<HashMap<String, String>, Box<dyn std::error::Error>> {
    assert_eq!(response.status(), StatusCode::FOUND, "expected a redirect");
    let location = response
        .headers()
        .get(LOCATION)
        .ok_or("no Location header")?
        .to_str()?;
    let url = Url::parse(location)?;
    assert!(
        location.starts_with(REDIRECT_URI),
        "redirected to {location}"
    );
    Ok(url.query_pairs().into_owned().collect())
}

fn json_keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|object| object.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn assert_invalid_grant(status: StatusCode, body: &Value) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");
    assert!(body["error_description"].is_string(), "{body}");
}

#[tokio::test]
async fn discovery_documents_have_intuits_shape_and_this_servers_urls() -> TestResult {
    let harness = Harness::default().await?;
    // The member order of samples/oauth-discovery-production.json.
    let expected_keys = [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "revocation_endpoint",
        "jwks_uri",
        "response_types_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
        "scopes_supported",
        "token_endpoint_auth_methods_supported",
        "claims_supported",
    ];
    for path in [
        paths::DISCOVERY_SANDBOX,
        "/.well-known/openid_sandbox_configuration/",
        paths::DISCOVERY_PRODUCTION,
        "/.well-known/openid_configuration/",
    ] {
        let response = harness.http.get(harness.url(path)).send().await?;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let document: Value = response.json().await?;
        assert_eq!(json_keys(&document), expected_keys, "{path}");
        assert_eq!(
            document["issuer"],
            "https://oauth.platform.intuit.com/op/v1"
        );
        assert_eq!(
            document["authorization_endpoint"],
            format!("{}/connect/oauth2", harness.base)
        );
        assert_eq!(
            document["token_endpoint"],
            format!("{}/oauth2/v1/tokens/bearer", harness.base)
        );
        assert_eq!(
            document["revocation_endpoint"],
            format!("{}/v2/oauth2/tokens/revoke", harness.base)
        );
        assert_eq!(
            document["response_types_supported"],
            serde_json::json!(["code"])
        );
        assert_eq!(
            document["token_endpoint_auth_methods_supported"],
            serde_json::json!(["client_secret_post", "client_secret_basic"])
        );
        assert!(document.get("code_challenge_methods_supported").is_none());
        // Every advertised endpoint answers on this server.
        let jwks: Value = harness
            .http
            .get(text(&document, "jwks_uri")?)
            .send()
            .await?
            .json()
            .await?;
        assert_eq!(jwks["keys"][0]["kty"], "RSA");
        assert_eq!(jwks["keys"][0]["alg"], "RS256");
    }
    Ok(())
}

#[tokio::test]
async fn consent_page_shows_the_app_the_companies_and_both_buttons() -> TestResult {
    let harness = Harness::default().await?;
    let url = harness.authorize_url(&[
        ("client_id", CLIENT_ID),
        ("response_type", "code"),
        ("scope", ACCOUNTING),
        ("redirect_uri", REDIRECT_URI),
        ("state", "st<ate>"),
    ])?;
    let response = harness.http.get(url).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = response.text().await?;
    assert!(html.contains("Ledgerlink Test"));
    assert!(html.contains("Sample Company"));
    assert!(html.contains("Craig&#39;s Design &amp; Landscaping"));
    assert!(html.contains(&format!("value=\"{FIRST_REALM}\"")));
    assert!(html.contains(&format!("value=\"{SECOND_REALM}\"")));
    assert!(html.contains(">Connect</button>"));
    assert!(html.contains(">Cancel</button>"));
    assert!(html.contains("method=\"post\""));
    assert!(
        html.contains("value=\"st&lt;ate&gt;\""),
        "state is carried, escaped"
    );
    assert!(!html.contains("<script"));
    Ok(())
}

#[tokio::test]
async fn connect_redirects_with_code_state_and_the_chosen_realm() -> TestResult {
    let harness = Harness::default().await?;
    let response = harness
        .decide(ACCOUNTING, "state-42", "connect", SECOND_REALM)
        .await?;
    let parameters = redirect_parameters(&response)?;
    assert_eq!(
        parameters.get("state").map(String::as_str),
        Some("state-42")
    );
    assert_eq!(
        parameters.get("realmId").map(String::as_str),
        Some(SECOND_REALM)
    );
    let code = parameters.get("code").ok_or("no code")?;
    assert!(!code.is_empty() && code.len() <= 512);
    assert_eq!(harness.server.counters(CLIENT_ID).authorizations, 1);

    // A pure OpenID request connects no company, so no realmId comes back.
    let response = harness.decide("openid email", "s", "connect", "").await?;
    let parameters = redirect_parameters(&response)?;
    assert!(parameters.contains_key("code"));
    assert!(!parameters.contains_key("realmId"));
    Ok(())
}

#[tokio::test]
async fn cancel_redirects_with_access_denied_and_the_state() -> TestResult {
    let harness = Harness::default().await?;
    let response = harness
        .decide(ACCOUNTING, "keep-me", "cancel", FIRST_REALM)
        .await?;
    let parameters = redirect_parameters(&response)?;
    assert_eq!(
        parameters.get("error").map(String::as_str),
        Some("access_denied")
    );
    assert_eq!(parameters.get("state").map(String::as_str), Some("keep-me"));
    assert!(!parameters.contains_key("code"));
    assert_eq!(harness.server.counters(CLIENT_ID).authorizations, 0);
    Ok(())
}

#[tokio::test]
async fn unknown_apps_and_unregistered_redirect_uris_get_an_error_page() -> TestResult {
    let harness = Harness::default().await?;
    harness.server.register_client(
        "ip-app",
        "secret",
        vec!["http://127.0.0.1:8765/callback".to_owned()],
    );
    let cases = [
        (
            CLIENT_ID,
            "http://localhost:8765/other",
            "is not registered",
        ),
        (
            CLIENT_ID,
            "http://localhost:8766/callback",
            "is not registered",
        ),
        ("no-such-app", REDIRECT_URI, "No app is registered"),
        ("ip-app", "http://127.0.0.1:8765/callback", "IP addresses"),
    ];
    for (client_id, redirect_uri, message) in cases {
        let url = harness.authorize_url(&[
            ("client_id", client_id),
            ("response_type", "code"),
            ("scope", ACCOUNTING),
            ("redirect_uri", redirect_uri),
            ("state", "s"),
        ])?;
        let response = harness.http.get(url).send().await?;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{redirect_uri}");
        assert!(
            response.headers().get(LOCATION).is_none(),
            "never a redirect"
        );
        let html = response.text().await?;
        assert!(html.contains(message), "{html}");
    }
    // A forged consent form is checked the same way.
    let response = harness
        .http
        .post(harness.url(paths::AUTHORIZE))
        .form(&[
            ("client_id", CLIENT_ID),
            ("response_type", "code"),
            ("scope", ACCOUNTING),
            ("redirect_uri", "https://evil.example.com/"),
            ("state", "s"),
            ("decision", "connect"),
            ("realm_id", FIRST_REALM),
        ])
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get(LOCATION).is_none());
    Ok(())
}

#[tokio::test]
async fn bad_response_type_scope_or_state_is_redirected_as_an_error() -> TestResult {
    let harness = Harness::default().await?;
    let cases = [
        ("token", ACCOUNTING, "s", "unsupported_response_type"),
        ("code", "", "s", "invalid_scope"),
        (
            "code",
            "com.intuit.quickbooks.everything",
            "s",
            "invalid_scope",
        ),
        ("code", ACCOUNTING, "", "invalid_request"),
    ];
    for (response_type, scope, state, error) in cases {
        let url = harness.authorize_url(&[
            ("client_id", CLIENT_ID),
            ("response_type", response_type),
            ("scope", scope),
            ("redirect_uri", REDIRECT_URI),
            ("state", state),
        ])?;
        let response = harness.http.get(url).send().await?;
        let parameters = redirect_parameters(&response)?;
        assert_eq!(parameters.get("error").map(String::as_str), Some(error));
        assert_eq!(
            parameters.get("state").map(String::as_str),
            Some(state).filter(|s| !s.is_empty())
        );
    }
    Ok(())
}

#[tokio::test]
async fn auto_approve_redirects_at_once_for_the_first_company() -> TestResult {
    let harness = Harness::start(OAuthConfig {
        auto_approve: true,
        ..OAuthConfig::default()
    })
    .await?;
    let url = harness.authorize_url(&[
        ("client_id", CLIENT_ID),
        ("response_type", "code"),
        ("scope", ACCOUNTING),
        ("redirect_uri", REDIRECT_URI),
        ("state", "auto"),
    ])?;
    let response = harness.http.get(url).send().await?;
    let parameters = redirect_parameters(&response)?;
    assert_eq!(
        parameters.get("realmId").map(String::as_str),
        Some(FIRST_REALM)
    );
    assert_eq!(parameters.get("state").map(String::as_str), Some("auto"));
    let code = parameters.get("code").ok_or("no code")?;
    assert_eq!(harness.exchange(code).await?.status(), StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn code_exchange_with_basic_auth_returns_intuits_token_response() -> TestResult {
    let harness = Harness::default().await?;
    let code = harness.code_for(FULL_SCOPE, FIRST_REALM).await?;
    let response = harness.exchange(&code).await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("intuit_tid").is_some());
    let tokens: Value = response.json().await?;
    // The member order of samples/oauth-token.json.
    assert_eq!(
        json_keys(&tokens),
        [
            "token_type",
            "expires_in",
            "refresh_token",
            "x_refresh_token_expires_in",
            "access_token",
            "id_token"
        ]
    );
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["x_refresh_token_expires_in"], 100 * 86_400);
    let access_token = text(&tokens, "access_token")?;
    let refresh_token = text(&tokens, "refresh_token")?;
    assert_eq!(refresh_token.len(), 50);
    assert!(access_token.len() > 500);

    let server = &harness.server;
    assert_eq!(server.authenticate(&access_token, FIRST_REALM), Ok(()));
    assert_eq!(
        server.authenticate(&format!("Bearer {access_token}"), FIRST_REALM),
        Ok(())
    );
    assert_eq!(
        server.authenticate(&access_token, SECOND_REALM),
        Err(AuthFailure::WrongRealm)
    );
    assert_eq!(
        server.authenticate("not-a-token", FIRST_REALM),
        Err(AuthFailure::Unknown)
    );
    harness.clock.advance(Duration::seconds(3599));
    assert_eq!(server.authenticate(&access_token, FIRST_REALM), Ok(()));
    harness.clock.advance(Duration::seconds(1));
    assert_eq!(
        server.authenticate(&access_token, FIRST_REALM),
        Err(AuthFailure::Expired)
    );
    assert_eq!(server.counters(CLIENT_ID).code_exchanges, 1);

    // Without the openid scope there is no id_token.
    let code = harness.code_for(ACCOUNTING, FIRST_REALM).await?;
    let tokens: Value = harness.exchange(&code).await?.json().await?;
    assert!(tokens.get("id_token").is_none());
    assert!(tokens.get("x_refresh_token_hard_expires_in").is_none());
    Ok(())
}

#[tokio::test]
async fn the_id_token_is_signed_by_the_published_key_with_intuits_claims() -> TestResult {
    let harness = Harness::default().await?;
    let tokens = harness.connected_tokens().await?;
    let id_token = text(&tokens, "id_token")?;
    let discovery: Value = harness
        .http
        .get(harness.url(paths::DISCOVERY_SANDBOX))
        .send()
        .await?
        .json()
        .await?;
    let jwks: Value = harness
        .http
        .get(text(&discovery, "jwks_uri")?)
        .send()
        .await?
        .json()
        .await?;
    let (signing_input, signature) = id_token.rsplit_once('.').ok_or("not a JWS")?;
    let (header, payload) = signing_input.split_once('.').ok_or("not a JWS")?;
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header)?)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload)?)?;
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|key| key["kid"] == header["kid"]))
        .ok_or("no key with the id_token's kid")?;
    let public_key = ring::signature::RsaPublicKeyComponents {
        n: URL_SAFE_NO_PAD.decode(text(key, "n")?)?,
        e: URL_SAFE_NO_PAD.decode(text(key, "e")?)?,
    };
    public_key
        .verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            signing_input.as_bytes(),
            &URL_SAFE_NO_PAD.decode(signature)?,
        )
        .map_err(|_| "the id_token signature does not verify")?;
    assert_eq!(header["alg"], "RS256");
    assert_eq!(claims["iss"], discovery["issuer"]);
    assert_eq!(claims["aud"], serde_json::json!([CLIENT_ID]));
    assert_eq!(claims["realmid"], FIRST_REALM);
    let now = harness.clock.now().timestamp();
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["exp"], now + 3600);
    assert!(claims["sub"].is_string() && claims["auth_time"].is_i64());
    Ok(())
}

#[tokio::test]
async fn codes_are_single_use_expire_and_are_bound_to_the_redirect_uri() -> TestResult {
    let harness = Harness::default().await?;
    let code = harness.code_for(ACCOUNTING, FIRST_REALM).await?;
    assert_eq!(harness.exchange(&code).await?.status(), StatusCode::OK);
    let second = harness.exchange(&code).await?;
    let status = second.status();
    assert_invalid_grant(status, &second.json().await?);

    let code = harness.code_for(ACCOUNTING, FIRST_REALM).await?;
    harness.clock.advance(Duration::minutes(11));
    let late = harness.exchange(&code).await?;
    let status = late.status();
    assert_invalid_grant(status, &late.json().await?);

    let code = harness.code_for(ACCOUNTING, FIRST_REALM).await?;
    let mismatched = harness
        .http
        .post(harness.url(paths::TOKEN))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://localhost:8765/elsewhere"),
        ])
        .send()
        .await?;
    let status = mismatched.status();
    assert_invalid_grant(status, &mismatched.json().await?);
    // The failed attempt did not burn the code.
    assert_eq!(harness.exchange(&code).await?.status(), StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn bad_client_credentials_are_invalid_client_401() -> TestResult {
    let harness = Harness::default().await?;
    let code = harness.code_for(ACCOUNTING, FIRST_REALM).await?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    let wrong_secret = harness
        .http
        .post(harness.url(paths::TOKEN))
        .basic_auth(CLIENT_ID, Some("not-the-secret"))
        .form(&form)
        .send()
        .await?;
    assert_eq!(wrong_secret.status(), StatusCode::UNAUTHORIZED);
    let body: Value = wrong_secret.json().await?;
    assert_eq!(json_keys(&body), ["error", "error_description"]);
    assert_eq!(body["error"], "invalid_client");

    let anonymous = harness
        .http
        .post(harness.url(paths::TOKEN))
        .form(&form)
        .send()
        .await?;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // client_secret_post, which the discovery document also advertises.
    let mut posted = form.to_vec();
    posted.push(("client_id", CLIENT_ID));
    posted.push(("client_secret", CLIENT_SECRET));
    let response = harness
        .http
        .post(harness.url(paths::TOKEN))
        .form(&posted)
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn every_refresh_rotates_and_the_superseded_token_is_rejected() -> TestResult {
    let harness = Harness::default().await?;
    let tokens = harness.connected_tokens().await?;
    let first = text(&tokens, "refresh_token")?;
    harness.clock.advance(Duration::minutes(50));

    let (status, refreshed) = harness.refresh_json(&first).await?;
    assert_eq!(status, StatusCode::OK);
    let second = text(&refreshed, "refresh_token")?;
    assert_ne!(second, first);
    assert!(refreshed["id_token"].is_string());
    let access_token = text(&refreshed, "access_token")?;
    assert_eq!(
        harness.server.authenticate(&access_token, FIRST_REALM),
        Ok(())
    );

    let (status, body) = harness.refresh_json(&first).await?;
    assert_invalid_grant(status, &body);
    let (status, body) = harness.refresh_json(&second).await?;
    assert_eq!(status, StatusCode::OK, "{body}");

    let counters = harness.server.counters(CLIENT_ID);
    assert_eq!(counters.refreshes_served, 2);
    assert_eq!(counters.refreshes_rejected, 1);
    assert_eq!(harness.server.refresh_count(CLIENT_ID), 2);
    Ok(())
}

#[tokio::test]
async fn a_superseded_token_works_within_the_grace_period_then_dies() -> TestResult {
    let harness = Harness::start(OAuthConfig {
        superseded_refresh_grace: Duration::hours(24),
        ..OAuthConfig::default()
    })
    .await?;
    let first = text(&harness.connected_tokens().await?, "refresh_token")?;
    let (_, refreshed) = harness.refresh_json(&first).await?;
    let current = text(&refreshed, "refresh_token")?;
    assert_ne!(current, first);

    harness.clock.advance(Duration::hours(23));
    let (status, late) = harness.refresh_json(&first).await?;
    assert_eq!(status, StatusCode::OK, "{late}");
    assert_eq!(
        text(&late, "refresh_token")?,
        current,
        "answers with the current token"
    );

    harness.clock.advance(Duration::hours(1));
    let (status, body) = harness.refresh_json(&first).await?;
    assert_invalid_grant(status, &body);
    let (status, _) = harness.refresh_json(&current).await?;
    assert_eq!(status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn rotation_can_follow_intuits_daily_period() -> TestResult {
    let harness = Harness::start(OAuthConfig {
        refresh_rotation: RefreshRotation::After(Duration::hours(24)),
        ..OAuthConfig::default()
    })
    .await?;
    let first = text(&harness.connected_tokens().await?, "refresh_token")?;
    harness.clock.advance(Duration::hours(2));
    let (_, same_day) = harness.refresh_json(&first).await?;
    assert_eq!(text(&same_day, "refresh_token")?, first);
    harness.clock.advance(Duration::hours(23));
    let (_, next_day) = harness.refresh_json(&first).await?;
    assert_ne!(text(&next_day, "refresh_token")?, first);
    Ok(())
}

#[tokio::test]
async fn refresh_tokens_expire_100_days_after_their_last_use() -> TestResult {
    let harness = Harness::default().await?;
    let mut refresh_token = text(&harness.connected_tokens().await?, "refresh_token")?;
    // Used every 99 days the chain lives on: the expiry rolls forward.
    for _ in 0..3 {
        harness.clock.advance(Duration::days(99));
        let (status, body) = harness.refresh_json(&refresh_token).await?;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["x_refresh_token_expires_in"], 100 * 86_400);
        refresh_token = text(&body, "refresh_token")?;
    }
    harness.clock.advance(Duration::days(100));
    let (status, body) = harness.refresh_json(&refresh_token).await?;
    assert_invalid_grant(status, &body);
    Ok(())
}

#[tokio::test]
async fn the_five_year_cap_ends_the_chain_and_is_reported_on_request() -> TestResult {
    let harness = Harness::default().await?;
    let mut refresh_token = text(&harness.connected_tokens().await?, "refresh_token")?;
    let cap_seconds: i64 = 5 * 365 * 86_400;
    let mut elapsed_days = 0;
    let mut last_expires_in = i64::MAX;
    while elapsed_days + 90 < 5 * 365 {
        harness.clock.advance(Duration::days(90));
        elapsed_days += 90;
        let response = harness
            .http
            .post(harness.url(paths::TOKEN))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .header("x-include-refresh-token-hard-expires-in", "true")
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.as_str()),
            ])
            .send()
            .await?;
        assert_eq!(response.status(), StatusCode::OK, "day {elapsed_days}");
        let body: Value = response.json().await?;
        let hard = body["x_refresh_token_hard_expires_in"]
            .as_i64()
            .ok_or("no hard expiry")?;
        assert_eq!(hard, cap_seconds - elapsed_days * 86_400);
        let rolling = body["x_refresh_token_expires_in"]
            .as_i64()
            .ok_or("no rolling expiry")?;
        assert_eq!(
            rolling,
            hard.min(100 * 86_400),
            "the cap bounds the rolling expiry"
        );
        last_expires_in = rolling;
        refresh_token = text(&body, "refresh_token")?;
    }
    assert!(
        last_expires_in < 100 * 86_400,
        "near the cap the expiry shrinks"
    );
    harness.clock.advance(Duration::seconds(last_expires_in));
    let (status, body) = harness.refresh_json(&refresh_token).await?;
    assert_invalid_grant(status, &body);
    Ok(())
}

#[tokio::test]
async fn revoking_the_refresh_token_kills_the_access_tokens_too() -> TestResult {
    let harness = Harness::default().await?;
    let tokens = harness.connected_tokens().await?;
    let access_token = text(&tokens, "access_token")?;
    let refresh_token = text(&tokens, "refresh_token")?;

    let wrong_client = harness
        .http
        .post(harness.url(paths::REVOKE))
        .basic_auth(CLIENT_ID, Some("wrong"))
        .json(&serde_json::json!({ "token": refresh_token }))
        .send()
        .await?;
    assert_eq!(wrong_client.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        harness.server.authenticate(&access_token, FIRST_REALM),
        Ok(())
    );

    let response = harness
        .http
        .post(harness.url(paths::REVOKE))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .header("Accept", "application/json")
        .json(&serde_json::json!({ "token": refresh_token }))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        harness.server.authenticate(&access_token, FIRST_REALM),
        Err(AuthFailure::Revoked)
    );
    let (status, body) = harness.refresh_json(&refresh_token).await?;
    assert_invalid_grant(status, &body);
    assert_eq!(harness.server.counters(CLIENT_ID).revocations, 1);

    // Revoking with the access token disconnects the app as well.
    let tokens = harness.connected_tokens().await?;
    let access_token = text(&tokens, "access_token")?;
    let response = harness
        .http
        .post(harness.url(paths::REVOKE))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .json(&serde_json::json!({ "token": access_token }))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let (status, body) = harness
        .refresh_json(&text(&tokens, "refresh_token")?)
        .await?;
    assert_invalid_grant(status, &body);
    Ok(())
}

#[tokio::test]
async fn userinfo_returns_the_claims_of_the_granted_scopes() -> TestResult {
    let harness = Harness::default().await?;
    let tokens = harness.connected_tokens().await?;
    let access_token = text(&tokens, "access_token")?;
    let response = harness
        .http
        .get(harness.url(paths::USERINFO))
        .bearer_auth(&access_token)
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let claims: Value = response.json().await?;
    // The members of samples/oauth-userinfo.json.
    assert_eq!(
        json_keys(&claims),
        [
            "sub",
            "email",
            "emailVerified",
            "givenName",
            "familyName",
            "phoneNumber",
            "phoneNumberVerified",
            "address"
        ]
    );
    assert_eq!(
        json_keys(&claims["address"]),
        [
            "streetAddress",
            "locality",
            "region",
            "postalCode",
            "country"
        ]
    );
    assert_eq!(claims["email"], harness.server.config().user.email);

    let code = harness.code_for("openid email", FIRST_REALM).await?;
    let narrow: Value = harness.exchange(&code).await?.json().await?;
    let claims: Value = harness
        .http
        .get(harness.url(paths::USERINFO))
        .bearer_auth(text(&narrow, "access_token")?)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(json_keys(&claims), ["sub", "email", "emailVerified"]);

    let code = harness.code_for(ACCOUNTING, FIRST_REALM).await?;
    let accounting_only: Value = harness.exchange(&code).await?.json().await?;
    let forbidden = harness
        .http
        .get(harness.url(paths::USERINFO))
        .bearer_auth(text(&accounting_only, "access_token")?)
        .send()
        .await?;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

    let unknown = harness
        .http
        .get(harness.url(paths::USERINFO))
        .bearer_auth("nope")
        .send()
        .await?;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    harness.clock.advance(Duration::hours(1));
    let expired = harness
        .http
        .get(harness.url(paths::USERINFO))
        .bearer_auth(&access_token)
        .send()
        .await?;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    Ok(())
}

#[tokio::test]
async fn pkce_parameters_are_accepted_and_ignored() -> TestResult {
    let harness = Harness::default().await?;
    let url = harness.authorize_url(&[
        ("client_id", CLIENT_ID),
        ("response_type", "code"),
        ("scope", ACCOUNTING),
        ("redirect_uri", REDIRECT_URI),
        ("state", "pkce"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
    ])?;
    assert_eq!(harness.http.get(url).send().await?.status(), StatusCode::OK);
    let code = harness.code_for(ACCOUNTING, FIRST_REALM).await?;
    let response = harness
        .http
        .post(harness.url(paths::TOKEN))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", "does-not-match-anything"),
        ])
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn minted_tokens_work_like_connected_ones() -> TestResult {
    let harness = Harness::default().await?;
    let minted = harness.server.mint_tokens(CLIENT_ID, SECOND_REALM);
    assert_eq!(minted["token_type"], "bearer");
    assert_eq!(minted["expires_in"], 3600);
    let access_token = text(&minted, "access_token")?;
    assert_eq!(
        harness.server.authenticate(&access_token, SECOND_REALM),
        Ok(())
    );
    let (status, refreshed) = harness
        .refresh_json(&text(&minted, "refresh_token")?)
        .await?;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_eq!(harness.server.disconnect(SECOND_REALM), 1);
    assert_eq!(
        harness.server.authenticate(&access_token, SECOND_REALM),
        Err(AuthFailure::Revoked)
    );
    Ok(())
}

/// Intuit's additions to the standard token response.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
struct IntuitTokenFields {
    x_refresh_token_expires_in: i64,
    #[serde(default)]
    id_token: Option<String>,
}

impl ExtraTokenFields for IntuitTokenFields {}

type IntuitTokenResponse = StandardTokenResponse<IntuitTokenFields, BasicTokenType>;

/// A standard OAuth 2.0 client, knowing nothing of the emulator, connects,
/// exchanges the code (with PKCE, which is ignored) and refreshes.
#[tokio::test]
async fn a_standard_oauth2_client_completes_the_flow() -> TestResult {
    let harness = Harness::default().await?;
    let client = oauth2::Client::<
        BasicErrorResponse,
        IntuitTokenResponse,
        BasicTokenIntrospectionResponse,
        StandardRevocableToken,
        BasicRevocationErrorResponse,
        _,
        _,
        _,
        _,
        _,
    >::new(ClientId::new(CLIENT_ID.to_owned()))
    .set_client_secret(ClientSecret::new(CLIENT_SECRET.to_owned()))
    .set_auth_uri(AuthUrl::new(harness.url(paths::AUTHORIZE))?)
    .set_token_uri(TokenUrl::new(harness.url(paths::TOKEN))?)
    .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned())?);

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new(ACCOUNTING.to_owned()))
        .add_scope(Scope::new("openid".to_owned()))
        .set_pkce_challenge(challenge)
        .url();

    // The user sees the consent page and clicks Connect for the second company.
    let page = harness.http.get(authorize_url.clone()).send().await?;
    assert_eq!(page.status(), StatusCode::OK);
    let mut form: Vec<(String, String)> = authorize_url.query_pairs().into_owned().collect();
    form.push(("decision".to_owned(), "connect".to_owned()));
    form.push(("realm_id".to_owned(), SECOND_REALM.to_owned()));
    let redirect = harness
        .http
        .post(harness.url(paths::AUTHORIZE))
        .form(&form)
        .send()
        .await?;
    let parameters = redirect_parameters(&redirect)?;
    assert_eq!(parameters.get("state"), Some(csrf.secret()));
    let code = parameters.get("code").ok_or("no code")?.clone();

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await?;
    assert_eq!(tokens.token_type(), &BasicTokenType::Bearer);
    assert_eq!(
        tokens.expires_in(),
        Some(std::time::Duration::from_secs(3600))
    );
    assert_eq!(tokens.extra_fields().x_refresh_token_expires_in, 8_640_000);
    assert!(tokens.extra_fields().id_token.is_some());
    assert_eq!(
        harness
            .server
            .authenticate(tokens.access_token().secret(), SECOND_REALM),
        Ok(())
    );

    let first_refresh = tokens.refresh_token().ok_or("no refresh token")?.clone();
    let refreshed = client
        .exchange_refresh_token(&first_refresh)
        .request_async(&http)
        .await?;
    let second_refresh: RefreshToken = refreshed.refresh_token().ok_or("no refresh token")?.clone();
    assert_ne!(second_refresh.secret(), first_refresh.secret());
    assert_eq!(harness.server.refresh_count(CLIENT_ID), 1);

    let stale = client
        .exchange_refresh_token(&first_refresh)
        .request_async(&http)
        .await;
    match stale {
        Err(oauth2::RequestTokenError::ServerResponse(error)) => {
            assert_eq!(
                error.error(),
                &oauth2::basic::BasicErrorResponseType::InvalidGrant
            );
        }
        other => return Err(format!("expected invalid_grant, got {other:?}").into()),
    }

    // The crate refuses to revoke over plain http, so the RFC 7009 form
    // request it would send goes out by hand.
    let revoked = http
        .post(harness.url(paths::REVOKE))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("token", second_refresh.secret().as_str()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await?;
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(
        harness
            .server
            .authenticate(refreshed.access_token().secret(), SECOND_REALM),
        Err(AuthFailure::Revoked)
    );
    Ok(())
}
