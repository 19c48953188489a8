//! Connecting a company: Intuit's OAuth 2.0 authorization-code flow for a
//! desktop app (API.md §2).
//!
//! 1. [`Discovery::fetch`] reads the endpoints from Intuit's discovery
//!    document (sandbox, production, or the emulator's).
//! 2. [`LoopbackListener::bind`] opens a one-shot HTTP listener on
//!    127.0.0.1; the browser comes back to `http://localhost:{port}/callback`.
//! 3. [`OAuthApp::connect`] builds the authorize URL (with a random `state`
//!    that also carries the listener's port), hands it to the caller to open
//!    in the system browser, waits for exactly one redirect, checks `state`,
//!    and exchanges the code for tokens with HTTP Basic client
//!    authentication.
//!
//! Intuit matches redirect URIs exactly, port included, and production keys
//! accept only https. [`RedirectMode::HostedPage`] therefore sends the
//! browser to a static https page (shipped in `redirect-page/`) that forwards
//! `code`, `state` and `realmId` to the loopback port named in `state`.
//!
//! PKCE is not sent: Intuit advertises no `code_challenge_methods_supported`
//! and none of its clients send it (API.md §2.8), so whether it is ignored or
//! refused is unknown; the client secret authenticates the exchange instead.

use std::fmt;
use std::future::IntoFuture as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::basic::BasicClient;
use oauth2::{AuthUrl, ClientId, CsrfToken, RedirectUrl, Scope};
use reqwest::header::ACCEPT;
use secrets::{Sensitive, TokenLifetimes, TokenSet};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use url::Url;

use crate::error::{QboError, error_from_oauth_response};
use crate::tokens::Clock;

/// The scope of the Accounting API.
pub const ACCOUNTING_SCOPE: &str = "com.intuit.quickbooks.accounting";
/// The OpenID scope, for an `id_token` naming the signed-in user.
pub const OPENID_SCOPE: &str = "openid";
/// The path the loopback listener answers on.
pub const CALLBACK_PATH: &str = "/callback";
/// The request header that makes Intuit report the refresh token's five-year
/// cap (`x_refresh_token_hard_expires_in`, API.md §2.5).
const HARD_EXPIRY_OPT_IN: &str = "x-include-refresh-token-hard-expires-in";
/// How long the listener may take to close its connections once the
/// redirect has arrived (or the wait has ended).
const LISTENER_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How long one request to Intuit's identity endpoints may take.
const IDENTITY_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything that can stop a connection.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The discovery document could not be fetched or read.
    #[error("Intuit's OAuth discovery document at {url} could not be read: {message}")]
    Discovery {
        /// The document's URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// An endpoint or redirect URL is not a usable URL.
    #[error("the OAuth setting {what} is not a usable URL: {url:?}")]
    BadUrl {
        /// Which setting.
        what: &'static str,
        /// The value given.
        url: String,
    },
    /// The loopback listener could not be opened.
    #[error("no local port could be opened for the sign-in redirect")]
    Listener(#[source] std::io::Error),
    /// The user clicked Cancel on Intuit's consent page (`error=access_denied`).
    #[error("the connection to QuickBooks was cancelled on Intuit's consent page")]
    ConsentDenied,
    /// Intuit sent the browser back with another error.
    #[error("Intuit refused the connection ({error}): {description}")]
    AuthorizationFailed {
        /// The OAuth `error` code.
        error: String,
        /// Intuit's `error_description`, if any.
        description: String,
    },
    /// The redirect's `state` is not the one this flow sent: it did not come
    /// from this sign-in (a forged or stale link), so it is refused.
    #[error(
        "the sign-in redirect did not belong to this connection attempt (state mismatch); start again"
    )]
    StateMismatch,
    /// No redirect arrived in time.
    #[error(
        "no answer came back from the QuickBooks sign-in page within {} minutes (the browser never returned to this computer); start the connection again",
        .waited.as_secs().div_ceil(60)
    )]
    TimedOut {
        /// How long the listener waited.
        waited: Duration,
    },
    /// The redirect lacked the code or the company id.
    #[error("the sign-in redirect was incomplete: {problem}")]
    MalformedRedirect {
        /// What was missing.
        problem: String,
    },
    /// The authorization code could not be exchanged for tokens.
    #[error("Intuit did not exchange the sign-in code for tokens: {message}{}", tid_note(.intuit_tid))]
    ExchangeFailed {
        /// Intuit's error and description, or the transport failure.
        message: String,
        /// The response's transaction id.
        intuit_tid: Option<String>,
    },
    /// The revocation endpoint refused the request.
    #[error("Intuit did not revoke the token: {message}{}", tid_note(.intuit_tid))]
    RevokeFailed {
        /// Intuit's error and description, or the transport failure.
        message: String,
        /// The response's transaction id.
        intuit_tid: Option<String>,
    },
    /// The HTTP client could not be built.
    #[error("the HTTP client for Intuit's sign-in could not be built")]
    Http(#[source] reqwest::Error),
}

fn tid_note(intuit_tid: &Option<String>) -> String {
    intuit_tid
        .as_deref()
        .map(|tid| format!(" (intuit_tid {tid})"))
        .unwrap_or_default()
}

/// Intuit's OAuth endpoints, as the discovery document lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discovery {
    /// The id_token issuer.
    pub issuer: String,
    /// The consent page.
    pub authorization_endpoint: Url,
    /// Code exchange and refresh.
    pub token_endpoint: Url,
    /// Revocation.
    pub revocation_endpoint: Url,
    /// OpenID userinfo, when listed.
    pub userinfo_endpoint: Option<Url>,
    /// The id_token signing keys, when listed.
    pub jwks_uri: Option<Url>,
}

#[derive(Deserialize)]
struct DiscoveryDocument {
    #[serde(default)]
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    revocation_endpoint: String,
    userinfo_endpoint: Option<String>,
    jwks_uri: Option<String>,
}

impl Discovery {
    /// Intuit's sandbox discovery document (API.md §2.1).
    pub const INTUIT_SANDBOX: &str =
        "https://developer.intuit.com/.well-known/openid_sandbox_configuration/";
    /// Intuit's production discovery document (API.md §2.1).
    pub const INTUIT_PRODUCTION: &str =
        "https://developer.intuit.com/.well-known/openid_configuration/";

    /// Fetches and reads a discovery document.
    pub async fn fetch(url: &str) -> Result<Discovery, ConnectError> {
        let http = identity_http_client()?;
        let failed = |message: String| ConnectError::Discovery {
            url: url.to_owned(),
            message,
        };
        let response = http
            .get(url)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|error| failed(error.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(format!("HTTP {status}")));
        }
        let body = response
            .bytes()
            .await
            .map_err(|error| failed(error.to_string()))?;
        let document: DiscoveryDocument =
            serde_json::from_slice(&body).map_err(|error| failed(error.to_string()))?;
        Discovery::from_document(document)
    }

    fn from_document(document: DiscoveryDocument) -> Result<Discovery, ConnectError> {
        let optional = |what, url: Option<String>| url.map(|url| parse_url(what, &url)).transpose();
        Ok(Discovery {
            issuer: document.issuer,
            authorization_endpoint: parse_url(
                "authorization_endpoint",
                &document.authorization_endpoint,
            )?,
            token_endpoint: parse_url("token_endpoint", &document.token_endpoint)?,
            revocation_endpoint: parse_url("revocation_endpoint", &document.revocation_endpoint)?,
            userinfo_endpoint: optional("userinfo_endpoint", document.userinfo_endpoint)?,
            jwks_uri: optional("jwks_uri", document.jwks_uri)?,
        })
    }
}

fn parse_url(what: &'static str, url: &str) -> Result<Url, ConnectError> {
    Url::parse(url)
        .ok()
        .filter(|parsed| matches!(parsed.scheme(), "http" | "https"))
        .ok_or_else(|| ConnectError::BadUrl {
            what,
            url: url.to_owned(),
        })
}

fn identity_http_client() -> Result<reqwest::Client, ConnectError> {
    reqwest::Client::builder()
        .timeout(IDENTITY_REQUEST_TIMEOUT)
        // Nothing at Intuit's identity endpoints redirects; following one
        // would send the client secret somewhere we did not choose.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(ConnectError::Http)
}

/// The app's keys from the Intuit developer portal.
#[derive(Clone, Debug)]
pub struct AppCredentials {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: Sensitive<String>,
}

/// Where Intuit sends the browser after the consent page.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum RedirectMode {
    /// Straight to the loopback listener, `http://localhost:{port}/callback`.
    /// Intuit accepts plain-http localhost only for development keys, and
    /// the URI, port included, must be registered.
    #[default]
    Loopback,
    /// To a static https page (see `redirect-page/`) registered with Intuit,
    /// which forwards `code`, `state` and `realmId` to the loopback port
    /// carried in `state`. Needed for production keys.
    HostedPage {
        /// The page's registered URL.
        url: Url,
    },
}

/// How one connection attempt runs.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// The scopes asked for; the Accounting API by default.
    pub scopes: Vec<String>,
    /// Where the browser comes back to.
    pub redirect: RedirectMode,
    /// How long to wait for the user before giving up.
    pub timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            scopes: vec![ACCOUNTING_SCOPE.to_owned()],
            redirect: RedirectMode::Loopback,
            timeout: Duration::from_secs(10 * 60),
        }
    }
}

/// A connected company.
#[derive(Clone, Debug)]
pub struct Connection {
    /// The company's realm id.
    pub realm_id: String,
    /// Its tokens, ready for the vault.
    pub tokens: TokenSet,
}

/// What the browser brought back to the listener, once `state` was checked.
#[derive(Debug)]
pub struct AuthorizationRedirect {
    /// The authorization code.
    pub code: Sensitive<String>,
    /// The company the user chose, absent for a pure OpenID sign-in.
    pub realm_id: Option<String>,
    /// The `state` the redirect carried: ours for a direct flow, the relay's
    /// signed one (needed to redeem the code) for a relay flow.
    pub state: String,
}

/// A one-shot HTTP listener on 127.0.0.1 that takes exactly one redirect
/// on [`CALLBACK_PATH`] and then closes.
#[derive(Debug)]
pub struct LoopbackListener {
    listener: TcpListener,
    port: u16,
    redirect_uri: Url,
}

impl LoopbackListener {
    /// Listens on a free port chosen by the OS.
    pub async fn bind() -> Result<LoopbackListener, ConnectError> {
        LoopbackListener::bind_port(0).await
    }

    /// Listens on a given port (one registered with Intuit for development
    /// keys), or a free one for 0.
    pub async fn bind_port(port: u16) -> Result<LoopbackListener, ConnectError> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .await
            .map_err(ConnectError::Listener)?;
        let port = listener
            .local_addr()
            .map_err(ConnectError::Listener)?
            .port();
        let text = format!("http://localhost:{port}{CALLBACK_PATH}");
        let redirect_uri = parse_url("loopback redirect URI", &text)?;
        Ok(LoopbackListener {
            listener,
            port,
            redirect_uri,
        })
    }

    /// The port listened on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address the socket is bound to: a loopback address, so that no
    /// other machine can deliver (or probe for) an authorization code.
    pub fn local_addr(&self) -> Result<SocketAddr, ConnectError> {
        self.listener.local_addr().map_err(ConnectError::Listener)
    }

    /// `http://localhost:{port}/callback`. Intuit refuses IP addresses in
    /// redirect URIs, so the URI names localhost while the socket is bound
    /// to 127.0.0.1.
    pub fn redirect_uri(&self) -> Url {
        self.redirect_uri.clone()
    }

    /// Serves until one redirect arrives on [`CALLBACK_PATH`] (or `timeout`
    /// passes), answers it with a page saying the tab can be closed (or
    /// what went wrong), then closes. A redirect whose `state` is not
    /// `expected_state` ends the wait with [`ConnectError::StateMismatch`].
    pub async fn wait_for_redirect(
        self,
        expected_state: &str,
        timeout: Duration,
    ) -> Result<AuthorizationRedirect, ConnectError> {
        self.wait_for(STATE_FIELD, expected_state, timeout).await
    }

    /// Like [`LoopbackListener::wait_for_redirect`], for a redirect from a
    /// relay: the relay's signed `state` is passed through untouched and
    /// this flow's own value comes back as `app_state`, which is what is
    /// checked.
    pub async fn wait_for_relay_redirect(
        self,
        expected_app_state: &str,
        timeout: Duration,
    ) -> Result<AuthorizationRedirect, ConnectError> {
        self.wait_for(APP_STATE_FIELD, expected_app_state, timeout)
            .await
    }

    async fn wait_for(
        self,
        state_field: &'static str,
        expected_state: &str,
        timeout: Duration,
    ) -> Result<AuthorizationRedirect, ConnectError> {
        let (result_sender, result_receiver) = oneshot::channel();
        let (stop_sender, stop_receiver) = oneshot::channel::<()>();
        let shared = Arc::new(CallbackState {
            state_field,
            expected_state: expected_state.to_owned(),
            sender: Mutex::new(Some(result_sender)),
        });
        let router = Router::new()
            .route(CALLBACK_PATH, get(callback))
            .with_state(shared);
        let mut server = tokio::spawn(
            axum::serve(self.listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stop_receiver.await;
                })
                .into_future(),
        );
        let outcome = tokio::time::timeout(timeout, result_receiver).await;
        let _ = stop_sender.send(());
        if tokio::time::timeout(LISTENER_SHUTDOWN_GRACE, &mut server)
            .await
            .is_err()
        {
            server.abort();
        }
        match outcome {
            Err(_) => Err(ConnectError::TimedOut { waited: timeout }),
            Ok(Err(_)) => Err(ConnectError::Listener(std::io::Error::other(
                "the redirect listener stopped before a redirect arrived",
            ))),
            Ok(Ok(result)) => result,
        }
    }
}

/// The redirect parameter holding this flow's own random value.
const STATE_FIELD: &str = "state";
/// The same for a relay flow, where `state` is the relay's.
const APP_STATE_FIELD: &str = "app_state";

struct CallbackState {
    state_field: &'static str,
    expected_state: String,
    sender: Mutex<Option<oneshot::Sender<Result<AuthorizationRedirect, ConnectError>>>>,
}

/// The one redirect: judge it, tell the waiting flow, answer the browser.
async fn callback(State(shared): State<Arc<CallbackState>>, RawQuery(query): RawQuery) -> Response {
    let Some(sender) = shared
        .sender
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    else {
        return page(
            StatusCode::GONE,
            "Already used",
            "This sign-in link has already been used. Return to Ledgerlink.",
        );
    };
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let outcome = judge_redirect(&pairs, shared.state_field, &shared.expected_state);
    let response = match &outcome {
        Ok(_) => page(
            StatusCode::OK,
            "Connected",
            "Ledgerlink received the authorisation. You can close this tab and return to Ledgerlink.",
        ),
        Err(error) => page(
            StatusCode::BAD_REQUEST,
            "Not connected",
            &format!("{error}. You can close this tab."),
        ),
    };
    // The flow may have timed out and gone; the browser still gets its page.
    let _ = sender.send(outcome);
    response
}

/// Reads a redirect's parameters: `state` first (an answer that is not ours
/// is refused whatever it says), then an error, then the code.
fn judge_redirect(
    pairs: &[(String, String)],
    state_field: &str,
    expected_state: &str,
) -> Result<AuthorizationRedirect, ConnectError> {
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    };
    let state_matches = !expected_state.is_empty()
        && field(state_field)
            .is_some_and(|state| subtle_equal(state.as_bytes(), expected_state.as_bytes()));
    if !state_matches {
        return Err(ConnectError::StateMismatch);
    }
    if let Some(error) = field("error") {
        if error == "access_denied" {
            return Err(ConnectError::ConsentDenied);
        }
        return Err(ConnectError::AuthorizationFailed {
            error: error.to_owned(),
            description: field("error_description").unwrap_or_default().to_owned(),
        });
    }
    let code = field("code").ok_or_else(|| ConnectError::MalformedRedirect {
        problem: "it carries no authorization code".to_owned(),
    })?;
    Ok(AuthorizationRedirect {
        code: Sensitive::new(code.to_owned()),
        realm_id: field("realmId").map(str::to_owned),
        state: field(STATE_FIELD).unwrap_or_default().to_owned(),
    })
}

/// Compares without an early exit, so the time taken does not reveal how
/// much of a guessed `state` was right.
fn subtle_equal(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0_u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

/// A small self-contained HTML page for the browser tab.
fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title} \
         - Ledgerlink</title>\n<style>body{{font-family:system-ui,sans-serif;max-width:32rem;\
         margin:4rem auto;color:#333}}</style>\n</head>\n<body>\n<h1>{title}</h1>\n<p>{message}</p>\n\
         </body>\n</html>\n",
        title = escape_html(title),
        message = escape_html(message),
    );
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A fresh `state`: 128 random bits, then `.` and the loopback port, which
/// the hosted redirect page reads to know where to forward the browser.
fn new_state(port: u16) -> String {
    format!("{}.{port}", uuid::Uuid::new_v4().simple())
}

/// A PKCE code verifier (RFC 7636 §4.1): 32 random bytes, base64url without
/// padding, 43 characters.
fn pkce_verifier() -> String {
    let mut bytes = [0_u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The S256 challenge of a verifier: base64url(sha256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The loopback port carried in a `state` made by this module.
pub fn port_from_state(state: &str) -> Option<u16> {
    state.rsplit_once('.')?.1.parse().ok()
}

/// The Intuit app (its keys and endpoints, or a relay that holds them): runs
/// the connect flow, refreshes and revokes tokens.
pub struct OAuthApp {
    authority: Authority,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
}

/// Who speaks to Intuit's identity endpoints.
enum Authority {
    /// This app, with its own keys.
    Keys {
        discovery: Box<Discovery>,
        credentials: AppCredentials,
    },
    /// A Ledgerlink relay, which adds the client credentials it alone holds;
    /// the app proves each code is its own with a PKCE verifier.
    Relay { base: Url },
}

impl fmt::Debug for OAuthApp {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = formatter.debug_struct("OAuthApp");
        match &self.authority {
            Authority::Keys {
                discovery,
                credentials,
            } => debug
                .field("discovery", discovery)
                .field("client_id", &credentials.client_id),
            Authority::Relay { base } => debug.field("relay", &base.as_str()),
        };
        debug.finish_non_exhaustive()
    }
}

/// A token endpoint answer (API.md §2.5).
#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
    x_refresh_token_expires_in: Option<u64>,
    x_refresh_token_hard_expires_in: Option<u64>,
}

/// A failed token request: an answer from Intuit, or none.
enum TokenFailure {
    Answer {
        status: u16,
        body: Vec<u8>,
        intuit_tid: Option<String>,
    },
    Transport(String),
    Unreadable {
        problem: String,
        intuit_tid: Option<String>,
    },
}

struct FreshTokens {
    access_token: Sensitive<String>,
    refresh_token: Sensitive<String>,
    lifetimes: TokenLifetimes,
}

impl OAuthApp {
    /// The app with the given endpoints and keys; times come from `clock`.
    pub fn new(
        discovery: Discovery,
        credentials: AppCredentials,
        clock: Arc<dyn Clock>,
    ) -> Result<OAuthApp, ConnectError> {
        Ok(OAuthApp {
            authority: Authority::Keys {
                discovery: Box::new(discovery),
                credentials,
            },
            clock,
            http: identity_http_client()?,
        })
    }

    /// The app reached through a Ledgerlink relay at `relay_url` (e.g.
    /// `https://relay.example.com`): it holds no client secret; the relay
    /// adds it to every token request.
    pub fn relay(relay_url: &str, clock: Arc<dyn Clock>) -> Result<OAuthApp, ConnectError> {
        let mut base = parse_url("relay address", relay_url.trim())?;
        // Joining paths onto the base must keep any path prefix it has.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(OAuthApp {
            authority: Authority::Relay { base },
            clock,
            http: identity_http_client()?,
        })
    }

    /// The endpoints, when the app speaks to Intuit itself.
    pub fn discovery(&self) -> Option<&Discovery> {
        match &self.authority {
            Authority::Keys { discovery, .. } => Some(discovery),
            Authority::Relay { .. } => None,
        }
    }

    /// The relay's address, when the app goes through one.
    pub fn relay_url(&self) -> Option<&Url> {
        match &self.authority {
            Authority::Keys { .. } => None,
            Authority::Relay { base } => Some(base),
        }
    }

    /// A relay endpoint under the relay's base address.
    fn relay_endpoint(base: &Url, path: &'static str) -> Result<Url, ConnectError> {
        base.join(path).map_err(|_| ConnectError::BadUrl {
            what: "relay address",
            url: base.to_string(),
        })
    }

    /// The authorize URL for `redirect_uri`, `scopes` and `state`; None when
    /// the app goes through a relay, whose start page [`OAuthApp::connect`]
    /// builds with a fresh PKCE challenge.
    pub fn authorize_url(&self, redirect_uri: &Url, scopes: &[String], state: &str) -> Option<Url> {
        let Authority::Keys {
            discovery,
            credentials,
        } = &self.authority
        else {
            return None;
        };
        let client = BasicClient::new(ClientId::new(credentials.client_id.clone()))
            .set_auth_uri(AuthUrl::from_url(discovery.authorization_endpoint.clone()))
            .set_redirect_uri(RedirectUrl::from_url(redirect_uri.clone()));
        let state = state.to_owned();
        let (url, _) = client
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(scopes.iter().cloned().map(Scope::new))
            .url();
        Some(url)
    }

    /// Connects a company: builds the authorize URL, passes it to
    /// `open_browser` (the app opens the system browser with it), waits on
    /// `listener` for the redirect and exchanges the code for tokens.
    pub async fn connect(
        &self,
        listener: LoopbackListener,
        options: &ConnectOptions,
        open_browser: impl FnOnce(&Url),
    ) -> Result<Connection, ConnectError> {
        if let Authority::Relay { base } = &self.authority {
            return self
                .connect_via_relay(base, listener, options.timeout, open_browser)
                .await;
        }
        let state = new_state(listener.port());
        let redirect_uri = match &options.redirect {
            RedirectMode::Loopback => listener.redirect_uri(),
            RedirectMode::HostedPage { url } => url.clone(),
        };
        let authorize_url = self
            .authorize_url(&redirect_uri, &options.scopes, &state)
            .ok_or_else(|| ConnectError::BadUrl {
                what: "authorization endpoint",
                url: String::new(),
            })?;
        open_browser(&authorize_url);
        let redirect = listener.wait_for_redirect(&state, options.timeout).await?;
        let realm_id = redirect
            .realm_id
            .ok_or_else(|| ConnectError::MalformedRedirect {
                problem: "it names no QuickBooks company (realmId)".to_owned(),
            })?;
        let tokens = self
            .exchange_code(&redirect.code, &redirect_uri, &realm_id)
            .await?;
        Ok(Connection { realm_id, tokens })
    }

    /// The relay flow: a fresh PKCE verifier stays here, its S256 challenge
    /// goes to the relay's start page (which binds it into its signed
    /// `state`), the browser comes back to the loopback listener with the
    /// code and the relay's `state`, and the code is redeemed at the relay
    /// with the verifier. A code copied from the browser's history is
    /// worthless without the verifier.
    async fn connect_via_relay(
        &self,
        base: &Url,
        listener: LoopbackListener,
        timeout: Duration,
        open_browser: impl FnOnce(&Url),
    ) -> Result<Connection, ConnectError> {
        let verifier = Sensitive::new(pkce_verifier());
        let challenge = pkce_challenge(verifier.expose());
        let app_state = uuid::Uuid::new_v4().simple().to_string();
        let mut start = Self::relay_endpoint(base, "connect/start")?;
        start
            .query_pairs_mut()
            .append_pair("redirect_uri", listener.redirect_uri().as_str())
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("app_state", &app_state);
        open_browser(&start);
        let redirect = listener
            .wait_for_relay_redirect(&app_state, timeout)
            .await?;
        let realm_id = redirect
            .realm_id
            .ok_or_else(|| ConnectError::MalformedRedirect {
                problem: "it names no QuickBooks company (realmId)".to_owned(),
            })?;
        if redirect.state.is_empty() {
            return Err(ConnectError::MalformedRedirect {
                problem: "it carries no relay state".to_owned(),
            });
        }
        let form = [
            ("grant_type", "authorization_code"),
            ("code", redirect.code.expose().as_str()),
            ("state", redirect.state.as_str()),
            ("code_verifier", verifier.expose().as_str()),
        ];
        let tokens = self.grant(&form, &realm_id).await?;
        Ok(Connection { realm_id, tokens })
    }

    /// Exchanges an authorization code for the tokens of `realm_id`.
    pub async fn exchange_code(
        &self,
        code: &Sensitive<String>,
        redirect_uri: &Url,
        realm_id: &str,
    ) -> Result<TokenSet, ConnectError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.expose().as_str()),
            ("redirect_uri", redirect_uri.as_str()),
        ];
        self.grant(&form, realm_id).await
    }

    /// Redeems an authorization grant (`form`) for the tokens of `realm_id`.
    async fn grant(&self, form: &[(&str, &str)], realm_id: &str) -> Result<TokenSet, ConnectError> {
        let obtained_at = self.clock.now();
        let fresh = self.token_request(form).await.map_err(|failure| {
            let (message, intuit_tid) = match failure {
                TokenFailure::Answer {
                    status,
                    body,
                    intuit_tid,
                } => (oauth_error_text(status, &body), intuit_tid),
                TokenFailure::Transport(message) => (message, None),
                TokenFailure::Unreadable {
                    problem,
                    intuit_tid,
                } => (problem, intuit_tid),
            };
            ConnectError::ExchangeFailed {
                message,
                intuit_tid,
            }
        })?;
        TokenSet::from_grant(
            realm_id,
            fresh.access_token,
            fresh.refresh_token,
            obtained_at,
            &fresh.lifetimes,
        )
        .map_err(|error| ConnectError::ExchangeFailed {
            message: error.to_string(),
            intuit_tid: None,
        })
    }

    /// Refreshes `current`, returning the replacement set (whose refresh
    /// token may be new and must be stored before use). `invalid_grant` is
    /// [`QboError::ReconnectNeeded`].
    pub async fn refresh(&self, current: &TokenSet) -> Result<TokenSet, QboError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", current.refresh_token.expose().as_str()),
        ];
        let obtained_at = self.clock.now();
        let fresh = self
            .token_request(&form)
            .await
            .map_err(|failure| match failure {
                TokenFailure::Answer {
                    status,
                    body,
                    intuit_tid,
                } => error_from_oauth_response(status, &body, intuit_tid.as_deref()),
                TokenFailure::Transport(message) => QboError::transient(message),
                TokenFailure::Unreadable {
                    problem,
                    intuit_tid,
                } => QboError::Protocol {
                    status: None,
                    message: problem,
                    intuit_tid,
                },
            })?;
        current
            .refreshed(
                fresh.access_token,
                fresh.refresh_token,
                obtained_at,
                &fresh.lifetimes,
            )
            .map_err(|error| QboError::Protocol {
                status: None,
                message: error.to_string(),
                intuit_tid: None,
            })
    }

    /// Revokes a token (either one of a grant disconnects the app from the
    /// company, API.md §2.7).
    pub async fn revoke(&self, token: &Sensitive<String>) -> Result<(), ConnectError> {
        let request = match &self.authority {
            Authority::Keys {
                discovery,
                credentials,
            } => self
                .http
                .post(discovery.revocation_endpoint.clone())
                .basic_auth(
                    &credentials.client_id,
                    Some(credentials.client_secret.expose()),
                ),
            Authority::Relay { base } => {
                self.http.post(Self::relay_endpoint(base, "oauth/revoke")?)
            }
        };
        let response = request
            .header(ACCEPT, "application/json")
            .json(&serde_json::json!({ "token": token.expose() }))
            .send()
            .await
            .map_err(|error| ConnectError::RevokeFailed {
                message: error.to_string(),
                intuit_tid: None,
            })?;
        let status = response.status().as_u16();
        let intuit_tid = tid_of(&response);
        if response.status().is_success() {
            return Ok(());
        }
        let body = response.bytes().await.unwrap_or_default();
        Err(ConnectError::RevokeFailed {
            message: oauth_error_text(status, &body),
            intuit_tid,
        })
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<FreshTokens, TokenFailure> {
        let request = match &self.authority {
            Authority::Keys {
                discovery,
                credentials,
            } => self.http.post(discovery.token_endpoint.clone()).basic_auth(
                &credentials.client_id,
                Some(credentials.client_secret.expose()),
            ),
            Authority::Relay { base } => {
                let endpoint = Self::relay_endpoint(base, "oauth/token")
                    .map_err(|error| TokenFailure::Transport(error.to_string()))?;
                self.http.post(endpoint)
            }
        };
        let response = request
            .header(ACCEPT, "application/json")
            .header(HARD_EXPIRY_OPT_IN, "true")
            .form(form)
            .send()
            .await
            .map_err(|error| TokenFailure::Transport(error.without_url().to_string()))?;
        let status = response.status().as_u16();
        let intuit_tid = tid_of(&response);
        let success = response.status().is_success();
        let body = response
            .bytes()
            .await
            .map_err(|error| TokenFailure::Transport(error.without_url().to_string()))?;
        // An error body with a 200 is still an error: taking it as tokens
        // would wipe the stored ones (PITFALLS item 1).
        let has_error_field = serde_json::from_slice::<serde_json::Value>(&body)
            .is_ok_and(|value| value.get("error").is_some());
        if !success || has_error_field {
            return Err(TokenFailure::Answer {
                status,
                body: body.to_vec(),
                intuit_tid,
            });
        }
        let unreadable = |problem: String| TokenFailure::Unreadable {
            problem,
            intuit_tid: intuit_tid.clone(),
        };
        let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|error| {
            unreadable(format!(
                "the token response is not the expected JSON (line {} column {})",
                error.line(),
                error.column()
            ))
        })?;
        let (Some(access_token), Some(refresh_token)) = (
            parsed.access_token.filter(|token| !token.is_empty()),
            parsed.refresh_token.filter(|token| !token.is_empty()),
        ) else {
            return Err(unreadable(
                "the token response lacks the access or refresh token".to_owned(),
            ));
        };
        let defaults = TokenLifetimes::INTUIT_DEFAULT;
        let lifetimes = TokenLifetimes::from_seconds(
            parsed
                .expires_in
                .unwrap_or(defaults.access.num_seconds().unsigned_abs()),
            parsed
                .x_refresh_token_expires_in
                .unwrap_or(defaults.refresh.num_seconds().unsigned_abs()),
            parsed.x_refresh_token_hard_expires_in,
        )
        .map_err(|error| unreadable(error.to_string()))?;
        Ok(FreshTokens {
            access_token: Sensitive::new(access_token),
            refresh_token: Sensitive::new(refresh_token),
            lifetimes,
        })
    }
}

fn tid_of(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(crate::INTUIT_TID_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Intuit's `error` and `error_description` as one line, without tokens.
fn oauth_error_text(status: u16, body: &[u8]) -> String {
    let error = error_from_oauth_response(status, body, None);
    match error {
        QboError::Validation { code, detail, .. } if !detail.is_empty() => {
            format!("{code}: {detail}")
        }
        QboError::Validation { code, .. } => code,
        other => other.message().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn state_is_checked_before_anything_else() {
        let forged = pairs(&[("error", "access_denied"), ("state", "other.1")]);
        assert!(matches!(
            judge_redirect(&forged, STATE_FIELD, "mine.1"),
            Err(ConnectError::StateMismatch)
        ));
        let missing = pairs(&[("code", "abc")]);
        assert!(matches!(
            judge_redirect(&missing, STATE_FIELD, "mine.1"),
            Err(ConnectError::StateMismatch)
        ));
        let denied = pairs(&[("error", "access_denied"), ("state", "mine.1")]);
        assert!(matches!(
            judge_redirect(&denied, STATE_FIELD, "mine.1"),
            Err(ConnectError::ConsentDenied)
        ));
        let good = pairs(&[("code", "abc"), ("state", "mine.1"), ("realmId", "42")]);
        let redirect =
            judge_redirect(&good, STATE_FIELD, "mine.1").unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(redirect.code.expose(), "abc");
        assert_eq!(redirect.realm_id.as_deref(), Some("42"));
    }

    #[test]
    fn state_carries_the_port() {
        let state = new_state(51234);
        assert_eq!(port_from_state(&state), Some(51234));
        assert_ne!(new_state(51234), state);
        assert_eq!(port_from_state("no-port"), None);
    }

    #[test]
    fn relay_redirects_are_judged_by_app_state() {
        let good = pairs(&[
            ("code", "abc"),
            ("state", "relay-signed"),
            ("app_state", "mine"),
            ("realmId", "42"),
        ]);
        let redirect = judge_redirect(&good, APP_STATE_FIELD, "mine")
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(redirect.state, "relay-signed");
        let forged = pairs(&[("code", "abc"), ("state", "mine"), ("app_state", "other")]);
        assert!(matches!(
            judge_redirect(&forged, APP_STATE_FIELD, "mine"),
            Err(ConnectError::StateMismatch)
        ));
    }

    #[test]
    fn pkce_challenge_is_rfc_7636_s256() {
        // The example of RFC 7636 appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let verifier = pkce_verifier();
        assert_eq!(verifier.len(), 43);
        assert_ne!(pkce_verifier(), verifier);
    }

    #[test]
    fn pages_escape_what_they_show() {
        assert_eq!(
            escape_html("<b>\"x\" & 'y'"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;"
        );
    }
}
