//! What the transport tests share: a real emulator on a local port, a token
//! source over its control API, and helpers to arm faults and read counters.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use qbo_client::{ClientConfig, QboClient, QboError, TokenSource};
use qbo_emulator::{EmulatorConfig, TestServer};
use serde_json::{Value, json};

/// The OAuth client the emulator mints test tokens for.
pub const CLIENT_ID: &str = "test-client";

/// Access tokens minted through `POST /_emulator/tokens`, as if the user had
/// just connected; counts refreshes.
#[derive(Debug)]
pub struct EmulatorTokens {
    http: reqwest::Client,
    base_url: String,
    realm_id: String,
    current: Mutex<String>,
    refreshes: AtomicUsize,
    /// When set, a "refresh" hands out this (bad) token instead of a new one.
    refresh_to: Option<String>,
}

impl EmulatorTokens {
    pub fn new(base_url: &str, realm_id: &str, first_token: &str) -> EmulatorTokens {
        EmulatorTokens {
            http: reqwest::Client::new(),
            base_url: base_url.to_owned(),
            realm_id: realm_id.to_owned(),
            current: Mutex::new(first_token.to_owned()),
            refreshes: AtomicUsize::new(0),
            refresh_to: None,
        }
    }

    /// A source whose refreshes never help (QBO keeps refusing).
    pub fn refreshing_to(mut self, token: &str) -> EmulatorTokens {
        self.refresh_to = Some(token.to_owned());
        self
    }

    pub fn refreshes(&self) -> usize {
        self.refreshes.load(Ordering::SeqCst)
    }
}

impl TokenSource for EmulatorTokens {
    async fn access_token(&self) -> Result<String, QboError> {
        Ok(self.current.lock().unwrap().clone())
    }

    async fn refresh_after_unauthorized(&self, rejected: &str) -> Result<(), QboError> {
        if *self.current.lock().unwrap() != rejected {
            // Someone else refreshed already.
            return Ok(());
        }
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        let token = match &self.refresh_to {
            Some(token) => token.clone(),
            None => {
                let minted: Value = self
                    .http
                    .post(format!("{}/_emulator/tokens", self.base_url))
                    .json(&json!({ "realm_id": self.realm_id, "client_id": CLIENT_ID }))
                    .send()
                    .await
                    .map_err(|error| QboError::transient(error.to_string()))?
                    .json()
                    .await
                    .map_err(|error| QboError::transient(error.to_string()))?;
                minted["access_token"].as_str().unwrap().to_owned()
            }
        };
        *self.current.lock().unwrap() = token;
        Ok(())
    }
}

/// A running emulator with one connected company.
pub struct Emulator {
    pub server: TestServer,
    pub realm: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl Emulator {
    pub async fn start() -> Emulator {
        let server = TestServer::start(EmulatorConfig::default()).await;
        let (realm, token) = server.connect_company("Larry's Bakery");
        Emulator {
            server,
            realm,
            token,
            http: reqwest::Client::new(),
        }
    }

    /// Starts an emulator with a seeded company (customers, items, invoices…).
    pub async fn start_seeded() -> Emulator {
        let server = TestServer::start(EmulatorConfig::default()).await;
        Emulator::with_company(server, json!({ "seed": 11, "size": 120 })).await
    }

    /// Creates a company on `server` from a control-API body (a name, or a
    /// seed and size) and mints an access token for it, as if the user had
    /// just connected.
    pub async fn with_company(server: TestServer, company: Value) -> Emulator {
        let http = reqwest::Client::new();
        let created: Value = http
            .post(format!("{}/_emulator/companies", server.base_url()))
            .json(&company)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let realm = created["realm_id"].as_str().unwrap().to_owned();
        let minted: Value = http
            .post(format!("{}/_emulator/tokens", server.base_url()))
            .json(&json!({ "realm_id": realm, "client_id": CLIENT_ID }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = minted["access_token"].as_str().unwrap().to_owned();
        Emulator {
            server,
            realm,
            token,
            http,
        }
    }

    /// Client settings for tests: short backoff and throttle waits, a fixed
    /// jitter seed.
    pub fn config() -> ClientConfig {
        ClientConfig {
            backoff_base: Duration::from_millis(10),
            backoff_max: Duration::from_millis(100),
            default_throttle_wait: Duration::from_millis(300),
            request_timeout: Duration::from_secs(2),
            jitter_seed: Some(42),
            ..ClientConfig::default()
        }
    }

    pub fn client(&self) -> QboClient<EmulatorTokens> {
        self.client_with(self.tokens(&self.token), Emulator::config())
    }

    pub fn tokens(&self, first_token: &str) -> EmulatorTokens {
        EmulatorTokens::new(&self.server.base_url(), &self.realm, first_token)
    }

    pub fn client_with<T: TokenSource>(&self, tokens: T, config: ClientConfig) -> QboClient<T> {
        QboClient::new(&self.server.base_url(), &self.realm, tokens, config).unwrap()
    }

    fn control(&self, path: &str) -> String {
        format!("{}/_emulator/{path}", self.server.base_url())
    }

    /// Arms a fault through the control API, e.g.
    /// `{"kind": "drop_after_commit", "method": "POST", "path": "*/customer"}`.
    pub async fn arm(&self, plan: Value) {
        let response = self
            .http
            .post(self.control("faults"))
            .json(&plan)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{plan}");
    }

    /// Switches Intuit's limits on with the given settings.
    pub async fn limit(&self, settings: Value) {
        let response = self
            .http
            .post(self.control("limits"))
            .json(&settings)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{settings}");
    }

    /// The company's request counters.
    pub async fn counters(&self) -> Value {
        self.http
            .get(self.control(&format!("counters?realm_id={}", self.realm)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Requests received by one endpoint, e.g. "POST customer".
    pub async fn requests_to(&self, endpoint: &str) -> u64 {
        self.counters().await["endpoints"][endpoint]["requests"]
            .as_u64()
            .unwrap_or(0)
    }
}
