//! The connect flow against the emulator's Intuit OAuth: the loopback
//! listener, the consent page (approve and cancel), state checks, the
//! timeout, the hosted redirect page and revocation.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use qbo_client::connect::{CALLBACK_PATH, port_from_state};
use qbo_client::{
    AppCredentials, ConnectError, ConnectOptions, Connection, Discovery, LoopbackListener,
    OAuthApp, QboClient, QboError, RedirectMode, TokenManager, TokenManagerConfig,
};
use qbo_emulator::clock::Clock as EmulatorClock;
use qbo_emulator::{EmulatorConfig, TestServer};
use secrets::{MemoryVault, Sensitive, TokenVault};
use serde_json::Value;
use tokio::sync::oneshot;
use url::Url;

use crate::support::Emulator;

pub const CLIENT_ID: &str = "ledgerlink-desktop";
pub const CLIENT_SECRET: &str = "desktop-secret-7f3a";
pub const HOSTED_PAGE: &str = "https://ledgerlink.example/oauth/redirect";
pub const COMPANY_ID: &str = "company-1";

/// An emulator on a fixed clock with one company and the desktop app
/// registered, and the app's OAuth client pointed at it.
pub struct Harness {
    pub server: TestServer,
    pub clock: EmulatorClock,
    pub realm: String,
    pub app: Arc<OAuthApp>,
}

impl Harness {
    pub async fn start(auto_approve: bool) -> Harness {
        let start: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let clock = EmulatorClock::fixed(start);
        let mut config = EmulatorConfig::default();
        config.oauth.auto_approve = auto_approve;
        let server = TestServer::start_with_clock(config, clock.clone()).await;
        let realm = server.emulator().create_company("Larry's Bakery");
        let discovery = Discovery::fetch(&format!(
            "{}/.well-known/openid_sandbox_configuration",
            server.base_url()
        ))
        .await
        .unwrap();
        let app_clock = clock.clone();
        let app = OAuthApp::new(
            discovery,
            AppCredentials {
                client_id: CLIENT_ID.to_owned(),
                client_secret: Sensitive::new(CLIENT_SECRET.to_owned()),
            },
            Arc::new(move || app_clock.now()),
        )
        .unwrap();
        Harness {
            server,
            clock,
            realm,
            app: Arc::new(app),
        }
    }

    /// Registers the app with the listener's redirect URI and the hosted page.
    pub fn register(&self, listener: &LoopbackListener) {
        self.server.emulator().oauth().register_client(
            CLIENT_ID,
            CLIENT_SECRET,
            vec![listener.redirect_uri().to_string(), HOSTED_PAGE.to_owned()],
        );
    }

    pub fn counters(&self) -> qbo_emulator::oauth::ClientCounters {
        self.server.emulator().oauth().counters(CLIENT_ID)
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    /// Connects the company through the loopback listener with auto-approve.
    pub async fn connect(&self) -> Connection {
        let listener = LoopbackListener::bind().await.unwrap();
        self.register(&listener);
        let (page, _) = follow_in_browser();
        self.app
            .connect(listener, &ConnectOptions::default(), page)
            .await
            .unwrap()
    }

    /// A vault holding `connection`'s tokens under [`COMPANY_ID`].
    pub fn vault_with(&self, connection: &Connection) -> Arc<MemoryVault> {
        let vault = Arc::new(MemoryVault::new());
        vault.store(COMPANY_ID, &connection.tokens).unwrap();
        vault
    }

    pub async fn manager(&self, vault: &Arc<MemoryVault>) -> TokenManager {
        self.manager_over(Arc::clone(vault) as Arc<dyn TokenVault>)
            .await
            .unwrap()
    }

    pub async fn manager_over(&self, vault: Arc<dyn TokenVault>) -> Result<TokenManager, QboError> {
        let clock = self.clock.clone();
        TokenManager::load(
            COMPANY_ID,
            Arc::clone(&self.app),
            vault,
            Arc::new(move || clock.now()),
            TokenManagerConfig::default(),
        )
        .await
    }

    pub fn client<T: qbo_client::TokenSource>(&self, tokens: T) -> QboClient<T> {
        QboClient::new(
            &self.server.base_url(),
            &self.realm,
            tokens,
            Emulator::config(),
        )
        .unwrap()
    }

    /// All Accounting API requests the emulator has counted for the company.
    pub async fn api_requests(&self) -> u64 {
        let counters: Value = reqwest::get(format!(
            "{}/_emulator/counters?realm_id={}",
            self.server.base_url(),
            self.realm
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        counters["total"]["requests"].as_u64().unwrap()
    }
}

/// The company's CompanyInfo through `client`: proof that its token works.
pub async fn read_company_info<T: qbo_client::TokenSource>(
    client: &QboClient<T>,
) -> Result<Value, QboError> {
    let realm = client.realm_id().to_owned();
    client.get_entity("CompanyInfo", &realm).await
}

/// A browser stand-in: follows the authorize URL (and its redirects) on a
/// task; the receiver gets the final status and page.
fn follow_in_browser() -> (impl FnOnce(&Url), oneshot::Receiver<(u16, String)>) {
    let (sender, receiver) = oneshot::channel();
    let open = move |url: &Url| {
        let url = url.clone();
        tokio::spawn(async move {
            let response = reqwest::get(url).await.unwrap();
            let status = response.status().as_u16();
            let _ = sender.send((status, response.text().await.unwrap()));
        });
    };
    (open, receiver)
}

fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[tokio::test]
async fn connects_through_the_loopback_listener_and_the_tokens_work() {
    let harness = Harness::start(true).await;
    let listener = LoopbackListener::bind().await.unwrap();
    let port = listener.port();
    assert_eq!(
        listener.redirect_uri().as_str(),
        format!("http://localhost:{port}/callback")
    );
    harness.register(&listener);
    let (browser, page) = follow_in_browser();
    let (seen_sender, seen) = oneshot::channel();
    let connection = harness
        .app
        .connect(listener, &ConnectOptions::default(), |url: &Url| {
            let _ = seen_sender.send(url.clone());
            browser(url);
        })
        .await
        .unwrap();

    let authorize = seen.await.unwrap();
    assert_eq!(authorize.path(), "/connect/oauth2");
    assert_eq!(query_param(&authorize, "client_id").unwrap(), CLIENT_ID);
    assert_eq!(query_param(&authorize, "response_type").unwrap(), "code");
    assert_eq!(
        query_param(&authorize, "scope").unwrap(),
        "com.intuit.quickbooks.accounting"
    );
    let state = query_param(&authorize, "state").unwrap();
    assert_eq!(port_from_state(&state), Some(port));
    assert!(
        state.len() > 30,
        "the state must carry real randomness: {state}"
    );

    let (status, html) = page.await.unwrap();
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("close this tab"), "{html}");

    assert_eq!(connection.realm_id, harness.realm);
    assert_eq!(connection.tokens.realm_id, harness.realm);
    let now = harness.clock.now();
    assert_eq!(connection.tokens.obtained_at, now);
    assert_eq!(
        connection.tokens.access_expires_at,
        now + chrono::Duration::hours(1)
    );
    assert_eq!(
        connection.tokens.refresh_expires_at,
        now + chrono::Duration::days(100)
    );
    assert_eq!(
        connection.tokens.refresh_hard_cap_at,
        Some(now + chrono::Duration::days(5 * 365)),
        "the five-year cap is asked for and kept"
    );
    assert_eq!(harness.counters().code_exchanges, 1);

    // The tokens open the company through QboClient.
    let vault = harness.vault_with(&connection);
    let manager = harness.manager(&vault).await;
    let client = harness.client(manager);
    let info = read_company_info(&client).await.unwrap();
    assert_eq!(info["CompanyName"], "Larry's Bakery", "{info}");

    // The listener closed after its one redirect.
    let again = reqwest::get(format!("http://127.0.0.1:{port}{CALLBACK_PATH}?code=x")).await;
    assert!(again.is_err(), "the listener must be closed: {again:?}");
}

#[tokio::test]
async fn cancel_on_the_consent_page_is_consent_denied() {
    let harness = Harness::start(false).await;
    let listener = LoopbackListener::bind().await.unwrap();
    harness.register(&listener);
    let (page_sender, page) = oneshot::channel();
    let open = move |url: &Url| {
        let url = url.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            // The consent page is shown…
            let consent = http.get(url.clone()).send().await.unwrap();
            assert_eq!(consent.status(), 200);
            let html = consent.text().await.unwrap();
            assert!(html.contains("Cancel"), "{html}");
            // …and the user clicks Cancel.
            let mut form: Vec<(String, String)> = [
                "client_id",
                "redirect_uri",
                "response_type",
                "scope",
                "state",
            ]
            .iter()
            .map(|name| ((*name).to_owned(), query_param(&url, name).unwrap()))
            .collect();
            form.push(("decision".to_owned(), "cancel".to_owned()));
            let mut action = url.clone();
            action.set_query(None);
            let answer = http.post(action).form(&form).send().await.unwrap();
            let status = answer.status().as_u16();
            let _ = page_sender.send((status, answer.text().await.unwrap()));
        });
    };
    let outcome = harness
        .app
        .connect(listener, &ConnectOptions::default(), open)
        .await;
    assert!(
        matches!(outcome, Err(ConnectError::ConsentDenied)),
        "{outcome:?}"
    );
    let (status, html) = page.await.unwrap();
    assert_eq!(status, 400);
    assert!(html.contains("cancelled"), "{html}");
    assert_eq!(harness.counters().authorizations, 0);
    assert_eq!(harness.counters().code_exchanges, 0);
}

#[tokio::test]
async fn a_redirect_with_another_state_is_refused() {
    let harness = Harness::start(true).await;
    let listener = LoopbackListener::bind().await.unwrap();
    harness.register(&listener);
    let realm = harness.realm.clone();
    let (page_sender, page) = oneshot::channel();
    // Someone else's redirect reaches the port first.
    let forge = move |url: &Url| {
        let mut forged = Url::parse(&query_param(url, "redirect_uri").unwrap()).unwrap();
        let port = forged.port().unwrap();
        forged
            .query_pairs_mut()
            .append_pair("code", "attacker-code")
            .append_pair("state", &format!("0123456789abcdef0123456789abcdef.{port}"))
            .append_pair("realmId", &realm);
        tokio::spawn(async move {
            let answer = reqwest::get(forged).await.unwrap();
            let _ = page_sender.send(answer.status().as_u16());
        });
    };
    let outcome = harness
        .app
        .connect(listener, &ConnectOptions::default(), forge)
        .await;
    assert!(
        matches!(outcome, Err(ConnectError::StateMismatch)),
        "{outcome:?}"
    );
    assert_eq!(page.await.unwrap(), 400);
    assert_eq!(
        harness.counters().code_exchanges,
        0,
        "a forged code is never exchanged"
    );
}

#[tokio::test]
async fn no_redirect_in_time_is_timed_out_and_closes_the_port() {
    let harness = Harness::start(true).await;
    let listener = LoopbackListener::bind().await.unwrap();
    let port = listener.port();
    harness.register(&listener);
    let options = ConnectOptions {
        timeout: Duration::from_millis(300),
        ..ConnectOptions::default()
    };
    let started = std::time::Instant::now();
    let outcome = harness.app.connect(listener, &options, |_: &Url| {}).await;
    assert!(
        matches!(outcome, Err(ConnectError::TimedOut { waited }) if waited == options.timeout),
        "{outcome:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    let late = reqwest::get(format!("http://127.0.0.1:{port}{CALLBACK_PATH}")).await;
    assert!(late.is_err(), "the listener must be closed: {late:?}");
}

#[tokio::test]
async fn the_listener_takes_exactly_one_redirect() {
    let listener = LoopbackListener::bind().await.unwrap();
    let base = format!("http://127.0.0.1:{}{CALLBACK_PATH}", listener.port());
    let waiting = tokio::spawn(listener.wait_for_redirect("s.1", Duration::from_secs(10)));
    let http = reqwest::Client::new();
    let first = http
        .get(format!("{base}?code=first&state=s.1&realmId=9"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    // A second redirect is not taken: answered as already used, or refused
    // because the listener has closed.
    let second = http
        .get(format!("{base}?code=second&state=s.1&realmId=9"))
        .send()
        .await;
    if let Ok(answer) = &second {
        assert_eq!(
            answer.status(),
            410,
            "a second redirect must not be accepted"
        );
    }
    let redirect = waiting.await.unwrap().unwrap();
    assert_eq!(redirect.code.expose(), "first");
    assert_eq!(redirect.realm_id.as_deref(), Some("9"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let third = reqwest::get(format!("{base}?code=third&state=s.1")).await;
    assert!(third.is_err(), "the listener must be closed: {third:?}");
}

#[tokio::test]
async fn the_hosted_redirect_page_forwards_to_the_loopback_port() {
    let harness = Harness::start(true).await;
    let listener = LoopbackListener::bind().await.unwrap();
    let port = listener.port();
    harness.register(&listener);
    let options = ConnectOptions {
        redirect: RedirectMode::HostedPage {
            url: Url::parse(HOSTED_PAGE).unwrap(),
        },
        ..ConnectOptions::default()
    };
    let (forwarded_sender, forwarded) = oneshot::channel();
    let open = move |url: &Url| {
        let url = url.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            // Intuit sends the browser to the hosted https page…
            let consent = http.get(url).send().await.unwrap();
            assert_eq!(consent.status(), 302);
            let location = consent.headers()["location"].to_str().unwrap().to_owned();
            assert!(location.starts_with(HOSTED_PAGE), "{location}");
            let at_page = Url::parse(&location).unwrap();
            // …whose script reads the port from state and forwards the query.
            let state = query_param(&at_page, "state").unwrap();
            let port = port_from_state(&state).unwrap();
            let forward = format!(
                "http://localhost:{port}{CALLBACK_PATH}?{}",
                at_page.query().unwrap()
            );
            let answer = http.get(forward).send().await.unwrap();
            let _ = forwarded_sender.send((port, answer.status().as_u16()));
        });
    };
    let connection = harness.app.connect(listener, &options, open).await.unwrap();
    assert_eq!(forwarded.await.unwrap(), (port, 200));
    assert_eq!(connection.realm_id, harness.realm);
    let vault = harness.vault_with(&connection);
    let client = harness.client(harness.manager(&vault).await);
    read_company_info(&client).await.unwrap();
}

#[tokio::test]
async fn revoking_disconnects_the_company() {
    let harness = Harness::start(true).await;
    let connection = harness.connect().await;
    harness
        .app
        .revoke(&connection.tokens.refresh_token)
        .await
        .unwrap();
    assert_eq!(harness.counters().revocations, 1);
    let refreshed = harness.app.refresh(&connection.tokens).await;
    assert!(
        matches!(refreshed, Err(QboError::ReconnectNeeded { .. })),
        "{refreshed:?}"
    );
    let vault = harness.vault_with(&connection);
    let client = harness.client(harness.manager(&vault).await);
    let call = read_company_info(&client).await;
    assert!(
        matches!(call, Err(QboError::ReconnectNeeded { .. })),
        "a revoked grant must ask for a reconnect: {call:?}"
    );
}

#[tokio::test]
async fn a_wrong_client_secret_fails_the_exchange_with_intuits_message() {
    let harness = Harness::start(true).await;
    let listener = LoopbackListener::bind().await.unwrap();
    harness.register(&listener);
    let wrong = OAuthApp::new(
        harness.app.discovery().expect("own keys").clone(),
        AppCredentials {
            client_id: CLIENT_ID.to_owned(),
            client_secret: Sensitive::new("not-the-secret".to_owned()),
        },
        Arc::new(Utc::now),
    )
    .unwrap();
    let (browser, _page) = follow_in_browser();
    let outcome = wrong
        .connect(listener, &ConnectOptions::default(), browser)
        .await;
    match outcome {
        Err(ConnectError::ExchangeFailed {
            message,
            intuit_tid,
        }) => {
            assert!(message.contains("invalid_client"), "{message}");
            assert!(intuit_tid.is_some());
        }
        other => panic!("expected ExchangeFailed, got {other:?}"),
    }
}

/// This machine's address on its default route, if it has one other than
/// loopback: a UDP "connect" picks the interface without sending anything.
fn non_loopback_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    // TEST-NET-1: never routed anywhere; only the route lookup matters.
    socket.connect("192.0.2.1:9").ok()?;
    let address = socket.local_addr().ok()?.ip();
    (!address.is_loopback() && !address.is_unspecified()).then_some(address)
}

#[tokio::test]
async fn the_loopback_listener_is_bound_to_loopback_only() {
    let listener = LoopbackListener::bind().await.unwrap();
    let address = listener.local_addr().unwrap();
    assert!(
        address.ip().is_loopback(),
        "the listener is bound to {address}, reachable from other machines"
    );
    assert_eq!(address.port(), listener.port());
    // Reachable on loopback (the browser on this machine)…
    let local = tokio::net::TcpStream::connect(("127.0.0.1", listener.port())).await;
    assert!(
        local.is_ok(),
        "loopback cannot reach the listener: {local:?}"
    );
    drop(local);
    // …and not on this machine's network address, when it has one.
    if let Some(outside) = non_loopback_address() {
        let remote = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::net::TcpStream::connect((outside, listener.port())),
        )
        .await;
        assert!(
            !matches!(remote, Ok(Ok(_))),
            "the listener answered on {outside}:{}",
            listener.port()
        );
    }
}
