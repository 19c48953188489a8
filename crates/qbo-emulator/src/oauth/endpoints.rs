//! The HTTP face of the token server: discovery, authorize and consent,
//! token, revoke, userinfo and JWKS, with Intuit's paths, status codes and
//! bodies (API.md §2).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;
use url::{Host, Url};

use super::consent::{ConsentRequest, consent_page, error_page};
use super::store::{ACCOUNTING_SCOPE, GrantError, PAYMENT_SCOPE, Store};
use super::{AuthFailure, FALLBACK_BASE_URL, OAuthServer, paths, strip_bearer};

/// The OpenID scopes; a request with only these connects no company and
/// gets no realmId back (API.md §2.3).
const OPENID_SCOPES: [&str; 5] = ["openid", "profile", "email", "phone", "address"];

/// Intuit's other scopes (API.md §2.2). Anything else is `invalid_scope`.
const OTHER_SCOPES: [&str; 8] = [
    ACCOUNTING_SCOPE,
    PAYMENT_SCOPE,
    "payroll.compensation.read",
    "project-management.project",
    "app-foundations.custom-dimensions.read",
    "app-foundations.custom-field-definitions",
    "time-tracking.time-entry",
    "indirect-tax.tax-calculation.quickbooks",
];

/// The request header that opts in to `x_refresh_token_hard_expires_in`.
const HARD_EXPIRY_OPT_IN: &str = "x-include-refresh-token-hard-expires-in";

/// The router of every OAuth and OpenID endpoint, at Intuit's paths.
pub fn routes(server: Arc<OAuthServer>) -> Router {
    Router::new()
        .route(paths::DISCOVERY_SANDBOX, get(discovery))
        .route("/.well-known/openid_sandbox_configuration/", get(discovery))
        .route("/.well-known/openid-sandbox-configuration", get(discovery))
        .route(paths::DISCOVERY_PRODUCTION, get(discovery))
        .route("/.well-known/openid_configuration/", get(discovery))
        .route(paths::JWKS, get(jwks))
        .route(paths::AUTHORIZE, get(authorize).post(consent_decision))
        .route(paths::TOKEN, post(token))
        .route(paths::REVOKE, post(revoke))
        .route(paths::USERINFO, get(userinfo))
        .with_state(server)
}

/// The discovery document. Sandbox and production differ at Intuit only in
/// the userinfo host, and this server is both hosts, so both paths serve
/// the same document, in the member order of
/// samples/oauth-discovery-production.json.
async fn discovery(State(server): State<Arc<OAuthServer>>, headers: HeaderMap) -> Response {
    let base = effective_base_url(&server, &headers);
    let document = json!({
        "issuer": paths::ISSUER,
        "authorization_endpoint": format!("{base}{}", paths::AUTHORIZE),
        "token_endpoint": format!("{base}{}", paths::TOKEN),
        "userinfo_endpoint": format!("{base}{}", paths::USERINFO),
        "revocation_endpoint": format!("{base}{}", paths::REVOKE),
        "jwks_uri": format!("{base}{}", paths::JWKS),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": OPENID_SCOPES,
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    });
    json_response(&server, StatusCode::OK, &document)
}

async fn jwks(State(server): State<Arc<OAuthServer>>) -> Response {
    match &server.signer {
        Ok(signer) => json_response(&server, StatusCode::OK, &signer.jwks()),
        Err(reason) => (StatusCode::INTERNAL_SERVER_ERROR, reason.clone()).into_response(),
    }
}

/// An authorization request that passed every check.
struct ValidRequest {
    request: ConsentRequest,
    app_name: String,
    scopes: Vec<String>,
    needs_company: bool,
}

/// Why an authorization request was refused.
enum Refusal {
    /// The app or redirect URI cannot be trusted: show a page, never redirect.
    Page(String),
    /// The redirect URI is good: send the error back to the app.
    Redirect {
        error: &'static str,
        description: String,
    },
}

/// Checks an authorization request in the order that decides where an error
/// goes: first the app and the redirect URI (an error page, since nothing
/// may be sent to an unverified URI), then the rest (redirected errors).
fn validate(store: &Store, request: &ConsentRequest) -> Result<ValidRequest, Refusal> {
    if request.client_id.is_empty() {
        return Err(Refusal::Page("The request has no client_id.".to_owned()));
    }
    let client = store.client(&request.client_id).ok_or_else(|| {
        Refusal::Page(format!(
            "No app is registered with the client ID {}.",
            request.client_id
        ))
    })?;
    if request.redirect_uri.is_empty() {
        return Err(Refusal::Page("The request has no redirect_uri.".to_owned()));
    }
    if !client.redirect_uris.contains(&request.redirect_uri) {
        return Err(Refusal::Page(format!(
            "The redirect URI {} is not registered for {}. Only the exact URIs listed on the \
             app's Keys tab are accepted.",
            request.redirect_uri, client.app_name
        )));
    }
    if store.config.enforce_redirect_uri_rules {
        check_redirect_uri_rules(&request.redirect_uri).map_err(|reason| {
            Refusal::Page(format!(
                "The redirect URI {} cannot be used: {reason}.",
                request.redirect_uri
            ))
        })?;
    }
    if request.response_type != "code" {
        return Err(Refusal::Redirect {
            error: "unsupported_response_type",
            description: "Only response_type=code is supported".to_owned(),
        });
    }
    let scopes: Vec<String> = request
        .scope
        .split(' ')
        .filter(|scope| !scope.is_empty())
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return Err(Refusal::Redirect {
            error: "invalid_scope",
            description: "A scope is required".to_owned(),
        });
    }
    if let Some(unknown) = scopes.iter().find(|scope| {
        !OPENID_SCOPES.contains(&scope.as_str()) && !OTHER_SCOPES.contains(&scope.as_str())
    }) {
        return Err(Refusal::Redirect {
            error: "invalid_scope",
            description: format!("Unknown scope {unknown}"),
        });
    }
    if request.state.is_empty() {
        return Err(Refusal::Redirect {
            error: "invalid_request",
            description: "The state parameter is required".to_owned(),
        });
    }
    let needs_company = scopes
        .iter()
        .any(|scope| !OPENID_SCOPES.contains(&scope.as_str()));
    Ok(ValidRequest {
        request: request.clone(),
        app_name: client.app_name.clone(),
        scopes,
        needs_company,
    })
}

/// Intuit's rules for registering a redirect URI (API.md §2.4): https, or
/// plain http to localhost; never an IP address.
pub(crate) fn check_redirect_uri_rules(uri: &str) -> Result<(), &'static str> {
    let url = Url::parse(uri).map_err(|_| "it is not an absolute URL")?;
    let host = url.host().ok_or("it has no host")?;
    if matches!(host, Host::Ipv4(_) | Host::Ipv6(_)) {
        return Err("Intuit does not accept IP addresses in redirect URIs; use localhost");
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if host == Host::Domain("localhost") => Ok(()),
        "http" => Err("Intuit accepts plain http only for localhost"),
        _ => Err("Intuit accepts only https redirect URIs"),
    }
}

/// GET on the authorize endpoint: the consent page, or with auto-approve
/// the redirect a click on Connect would give.
async fn authorize(State(server): State<Arc<OAuthServer>>, RawQuery(query): RawQuery) -> Response {
    let pairs = parse_pairs(query.as_deref().unwrap_or("").as_bytes());
    let request = consent_request(&pairs);
    let mut store = server.store();
    let valid = match validate(&store, &request) {
        Ok(valid) => valid,
        Err(refusal) => return refusal_response(&request, refusal),
    };
    if store.config.auto_approve {
        let first_company = store
            .companies()
            .first()
            .map(|company| company.realm_id.clone());
        if valid.needs_company && first_company.is_none() {
            return error_response(
                StatusCode::BAD_REQUEST,
                "There is no QuickBooks company to connect.",
            );
        }
        let now = server.clock.now();
        return approve(&mut store, &valid, first_company, now);
    }
    let page = consent_page(
        &valid.request,
        &valid.app_name,
        &valid.scopes,
        valid.needs_company,
        store.companies(),
    );
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Html(page),
    )
        .into_response()
}

/// POST from the consent form: Connect or Cancel.
async fn consent_decision(State(server): State<Arc<OAuthServer>>, body: Bytes) -> Response {
    let pairs = parse_pairs(&body);
    let request = consent_request(&pairs);
    let mut store = server.store();
    let valid = match validate(&store, &request) {
        Ok(valid) => valid,
        Err(refusal) => return refusal_response(&request, refusal),
    };
    match field(&pairs, "decision") {
        "cancel" => redirect_with(
            &request.redirect_uri,
            &[("error", "access_denied"), ("state", &request.state)],
        ),
        "connect" => {
            let realm_id = if valid.needs_company {
                let chosen = field(&pairs, "realm_id");
                if !store
                    .companies()
                    .iter()
                    .any(|company| company.realm_id == chosen)
                {
                    return error_response(
                        StatusCode::BAD_REQUEST,
                        "Choose one of the listed companies to connect.",
                    );
                }
                Some(chosen.to_owned())
            } else {
                None
            };
            let now = server.clock.now();
            approve(&mut store, &valid, realm_id, now)
        }
        _ => error_response(StatusCode::BAD_REQUEST, "Choose Connect or Cancel."),
    }
}

/// Issues the code and sends the user back to the app with code, state and
/// realmId (the last only when a company was connected).
fn approve(
    store: &mut Store,
    valid: &ValidRequest,
    realm_id: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Response {
    let realm_id = realm_id.filter(|_| valid.needs_company);
    let code = store.issue_code(
        &valid.request.client_id,
        &valid.request.redirect_uri,
        valid.scopes.clone(),
        realm_id.clone(),
        now,
    );
    let mut parameters = vec![
        ("code", code.as_str()),
        ("state", valid.request.state.as_str()),
    ];
    if let Some(realm_id) = &realm_id {
        parameters.push(("realmId", realm_id));
    }
    redirect_with(&valid.request.redirect_uri, &parameters)
}

fn refusal_response(request: &ConsentRequest, refusal: Refusal) -> Response {
    match refusal {
        Refusal::Page(message) => error_response(StatusCode::BAD_REQUEST, &message),
        Refusal::Redirect { error, description } => {
            let mut parameters = vec![("error", error), ("error_description", &description)];
            if !request.state.is_empty() {
                parameters.push(("state", &request.state));
            }
            redirect_with(&request.redirect_uri, &parameters)
        }
    }
}

fn error_response(status: StatusCode, message: &str) -> Response {
    (status, Html(error_page(message))).into_response()
}

/// A 302 to `redirect_uri` with `parameters` appended to its query. An
/// empty value is left out (a request without state gets none back).
fn redirect_with(redirect_uri: &str, parameters: &[(&str, &str)]) -> Response {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            "The registered redirect URI is not a valid URL.",
        );
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in parameters.iter().filter(|(_, value)| !value.is_empty()) {
            query.append_pair(name, value);
        }
    }
    match HeaderValue::from_str(url.as_str()) {
        Ok(location) => (
            StatusCode::FOUND,
            [
                (header::LOCATION, location),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(_) => error_response(StatusCode::BAD_REQUEST, "The redirect URI is not valid."),
    }
}

fn consent_request(pairs: &[(String, String)]) -> ConsentRequest {
    ConsentRequest {
        client_id: field(pairs, "client_id").to_owned(),
        redirect_uri: field(pairs, "redirect_uri").to_owned(),
        response_type: field(pairs, "response_type").to_owned(),
        scope: field(pairs, "scope").to_owned(),
        state: field(pairs, "state").to_owned(),
    }
}

/// The token endpoint: `authorization_code` and `refresh_token` grants.
/// PKCE's `code_verifier` is accepted and ignored, like every other unknown
/// parameter.
async fn token(
    State(server): State<Arc<OAuthServer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return oauth_error(
            &server,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request body must be application/x-www-form-urlencoded",
        );
    }
    let form = parse_pairs(&body);
    let now = server.clock.now();
    let include_hard_expiry = headers
        .get(HARD_EXPIRY_OPT_IN)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"));
    let outcome = {
        let mut store = server.store();
        let Some(client_id) = authenticate_client(&store, &headers, &form) else {
            drop(store);
            return invalid_client(&server);
        };
        match field(&form, "grant_type") {
            "authorization_code" => {
                let code = field(&form, "code");
                let redirect_uri = field(&form, "redirect_uri");
                if code.is_empty() || redirect_uri.is_empty() {
                    Err((
                        "invalid_request",
                        "code and redirect_uri are required".to_owned(),
                    ))
                } else {
                    store
                        .exchange_code(&client_id, code, redirect_uri, now)
                        .map_err(grant_error)
                }
            }
            "refresh_token" => {
                let refresh_token = field(&form, "refresh_token");
                if refresh_token.is_empty() {
                    Err(("invalid_request", "refresh_token is required".to_owned()))
                } else {
                    store
                        .refresh(&client_id, refresh_token, now)
                        .map_err(grant_error)
                }
            }
            "" => Err(("invalid_request", "grant_type is required".to_owned())),
            other => Err((
                "unsupported_grant_type",
                format!("Unsupported grant_type {other}"),
            )),
        }
    };
    match outcome {
        Ok(issued) => {
            let body = server.token_response(&issued, include_hard_expiry);
            json_response(&server, StatusCode::OK, &body)
        }
        Err((error, description)) => {
            oauth_error(&server, StatusCode::BAD_REQUEST, error, &description)
        }
    }
}

fn grant_error(error: GrantError) -> (&'static str, String) {
    ("invalid_grant", error.description.to_owned())
}

/// Revocation (API.md §2.7): JSON `{"token": …}` as Intuit's clients send
/// it, or a form as RFC 7009 has it. Revoking either token of a grant
/// disconnects the app: its refresh tokens and access tokens all stop
/// working. An unknown token is a success, as RFC 7009 asks.
async fn revoke(
    State(server): State<Arc<OAuthServer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = if is_form(&headers) {
        parse_pairs(&body)
    } else {
        Vec::new()
    };
    let token = if is_form(&headers) {
        field(&form, "token").to_owned()
    } else {
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|value| {
                value
                    .get("token")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    };
    let outcome = {
        let mut store = server.store();
        let Some(client_id) = authenticate_client(&store, &headers, &form) else {
            drop(store);
            return invalid_client(&server);
        };
        if token.is_empty() {
            Err(("invalid_request", "token is required".to_owned()))
        } else {
            store.revoke(&client_id, &token).map_err(grant_error)
        }
    };
    match outcome {
        Ok(_) => with_intuit_headers(&server, StatusCode::OK.into_response()),
        Err((error, description)) => {
            oauth_error(&server, StatusCode::BAD_REQUEST, error, &description)
        }
    }
}

/// OpenID userinfo: the claims the granted scopes allow, in the shape of
/// samples/oauth-userinfo.json.
async fn userinfo(State(server): State<Arc<OAuthServer>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(strip_bearer)
        .unwrap_or_default();
    let now = server.clock.now();
    let (grant, user) = {
        let store = server.store();
        (store.access_grant(token, now), store.config.user.clone())
    };
    let grant = match grant {
        Ok(grant) => grant,
        Err(failure) => {
            let error = match failure {
                AuthFailure::Expired | AuthFailure::Revoked | AuthFailure::Unknown => {
                    "invalid_token"
                }
                AuthFailure::WrongRealm => "insufficient_scope",
            };
            return bearer_challenge(&server, StatusCode::UNAUTHORIZED, error);
        }
    };
    let has = |scope: &str| grant.scopes.iter().any(|granted| granted == scope);
    if !has("openid") {
        return bearer_challenge(&server, StatusCode::FORBIDDEN, "insufficient_scope");
    }
    let mut claims = json!({ "sub": user.sub });
    if has("email") {
        claims["email"] = json!(user.email);
        claims["emailVerified"] = json!(user.email_verified);
    }
    if has("profile") {
        claims["givenName"] = json!(user.given_name);
        claims["familyName"] = json!(user.family_name);
    }
    if has("phone") {
        claims["phoneNumber"] = json!(user.phone_number);
        claims["phoneNumberVerified"] = json!(user.phone_number_verified);
    }
    if has("address") {
        claims["address"] = json!({
            "streetAddress": user.address.street_address,
            "locality": user.address.locality,
            "region": user.address.region,
            "postalCode": user.address.postal_code,
            "country": user.address.country,
        });
    }
    json_response(&server, StatusCode::OK, &claims)
}

fn bearer_challenge(server: &OAuthServer, status: StatusCode, error: &str) -> Response {
    let challenge = format!("Bearer error=\"{error}\"");
    let mut response = status.into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    with_intuit_headers(server, response)
}

/// The client behind a token or revoke request: HTTP Basic (what Intuit's
/// clients send), else `client_id`/`client_secret` in the form
/// (`client_secret_post`, also advertised). The Basic credentials are tried
/// as sent and, failing that, form-decoded, since RFC 6749 §2.3.1 clients
/// (the `oauth2` crate among them) encode them and Intuit's do not.
fn authenticate_client(
    store: &Store,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Option<String> {
    let mut candidates = Vec::new();
    if let Some(authorization) = headers.get(header::AUTHORIZATION) {
        let (scheme, encoded) = authorization.to_str().ok()?.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        candidates.push((id.to_owned(), secret.to_owned()));
        if let (Some(id), Some(secret)) = (form_decode(id), form_decode(secret)) {
            candidates.push((id, secret));
        }
    } else {
        candidates.push((
            field(form, "client_id").to_owned(),
            field(form, "client_secret").to_owned(),
        ));
    }
    candidates.into_iter().find_map(|(id, secret)| {
        let client = store.client(&id)?;
        let matches: bool = client.secret.as_bytes().ct_eq(secret.as_bytes()).into();
        (matches && !secret.is_empty()).then_some(id)
    })
}

fn form_decode(text: &str) -> Option<String> {
    url::form_urlencoded::parse(format!("v={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
}

fn invalid_client(server: &OAuthServer) -> Response {
    oauth_error(
        server,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "Client authentication failed",
    )
}

/// An OAuth error body in Intuit's shape (samples/oauth-failure-generic.json).
fn oauth_error(
    server: &OAuthServer,
    status: StatusCode,
    error: &str,
    description: &str,
) -> Response {
    json_response(
        server,
        status,
        &json!({ "error": error, "error_description": description }),
    )
}

/// A JSON response with the headers Intuit's identity hosts send: the
/// `intuit_tid` transaction id and no caching.
fn json_response(server: &OAuthServer, status: StatusCode, body: &Value) -> Response {
    let response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=UTF-8"),
        )],
        body.to_string(),
    )
        .into_response();
    with_intuit_headers(server, response)
}

fn with_intuit_headers(server: &OAuthServer, mut response: Response) -> Response {
    let headers = response.headers_mut();
    if let Ok(tid) = HeaderValue::from_str(&super::tokens::new_intuit_tid(server.clock.now())) {
        headers.insert("intuit_tid", tid);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// The base URL set by the server, else the one the request came in on.
fn effective_base_url(server: &OAuthServer, headers: &HeaderMap) -> String {
    if let Some(base) = server.base_url() {
        return base;
    }
    headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .map_or_else(
            || FALLBACK_BASE_URL.to_owned(),
            |host| format!("http://{host}"),
        )
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

fn parse_pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// The first value of a parameter, or "" when absent.
fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uri_rules_follow_intuit() {
        assert!(check_redirect_uri_rules("https://app.example.com/callback").is_ok());
        assert!(check_redirect_uri_rules("http://localhost:8765/callback").is_ok());
        assert!(check_redirect_uri_rules("http://127.0.0.1:8765/callback").is_err());
        assert!(check_redirect_uri_rules("https://[::1]/callback").is_err());
        assert!(check_redirect_uri_rules("http://app.example.com/callback").is_err());
        assert!(check_redirect_uri_rules("ledgerlink://callback").is_err());
    }

    #[test]
    fn form_decoding_handles_rfc_6749_encoded_credentials() {
        assert_eq!(form_decode("a%2Bb+c").as_deref(), Some("a+b c"));
        assert_eq!(form_decode("plain").as_deref(), Some("plain"));
    }
}
