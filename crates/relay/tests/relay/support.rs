//! Shared set-up: an emulator standing in for Intuit, a relay configured
//! against it, a log capture, and a small Server-Sent Events reader.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use qbo_emulator::oauth::paths;
use qbo_emulator::{EmulatorConfig, TestServer};
use relay::{RelayConfig, Secret, TestRelay};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Everything the tests log, from every target and level, for the whole
/// test binary (the secret test searches it).
pub fn log_buffer() -> Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER
        .get_or_init(|| {
            let buffer = Arc::new(Mutex::new(Vec::new()));
            let writer_buffer = Arc::clone(&buffer);
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_writer(move || BufferWriter(Arc::clone(&writer_buffer)))
                .init();
            let logger: &'static LogCapture = Box::leak(Box::new(LogCapture(Arc::clone(&buffer))));
            log::set_logger(logger).expect("no other logger is installed");
            log::set_max_level(log::LevelFilter::Trace);
            buffer
        })
        .clone()
}

/// The captured log as text.
pub fn captured_log() -> String {
    let buffer = log_buffer();
    let bytes = buffer.lock().unwrap().clone();
    String::from_utf8_lossy(&bytes).into_owned()
}

struct BufferWriter(Arc<Mutex<Vec<u8>>>);

impl Write for BufferWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Records of the `log` facade (used by some dependencies) into the same buffer.
struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl log::Log for LogCapture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {} {}\n", record.level(), record.target(), record.args());
        self.0.lock().unwrap().extend_from_slice(line.as_bytes());
    }

    fn flush(&self) {}
}

/// A fresh random token of `length` hex characters.
pub fn random_text(length: usize) -> String {
    let mut text = String::new();
    while text.len() < length {
        let bytes: [u8; 16] = rand::random();
        text.extend(bytes.iter().map(|byte| format!("{byte:02x}")));
    }
    text.truncate(length);
    text
}

/// A PKCE verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = random_text(64);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// An emulator as Intuit and a relay configured against it.
pub struct Setup {
    pub emulator: TestServer,
    pub relay: TestRelay,
    pub config: RelayConfig,
    pub client_id: String,
    pub client_secret: String,
    pub verifier_token: String,
    pub http: reqwest::Client,
    /// Keeps the database folder alive.
    pub _dir: tempfile::TempDir,
}

/// A client that does not follow redirects, so each hop can be checked.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub async fn setup() -> Setup {
    setup_with(|_| {}).await
}

pub async fn setup_with(adjust: impl FnOnce(&mut RelayConfig)) -> Setup {
    log_buffer();
    let emulator = TestServer::start(EmulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let client_id = format!("AB{}", random_text(40));
    let client_secret = random_text(40);
    let verifier_token = random_text(36);
    let mut config = RelayConfig {
        client_id: client_id.clone(),
        client_secret: Secret::new(client_secret.clone()),
        webhook_verifier: Secret::new(verifier_token.clone()),
        discovery_url: Some(format!(
            "{}{}",
            emulator.base_url(),
            paths::DISCOVERY_SANDBOX
        )),
        api_base: Some(emulator.base_url()),
        database: dir.path().join("relay.sqlite"),
        ..RelayConfig::default()
    };
    adjust(&mut config);
    let relay = TestRelay::start(config.clone()).await;
    let http = http_client();
    let registered = http
        .post(format!("{}/_emulator/clients", emulator.base_url()))
        .json(&json!({
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uris": [relay.callback_url()],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    Setup {
        emulator,
        relay,
        config,
        client_id,
        client_secret,
        verifier_token,
        http,
        _dir: dir,
    }
}

impl Setup {
    /// Points the emulator's webhooks at the relay, in `format`, with
    /// aggregation windows of milliseconds.
    pub async fn enable_webhooks(&self, format: &str) {
        let answer = self
            .http
            .post(format!("{}/_emulator/webhooks", self.emulator.base_url()))
            .json(&json!({
                "endpoint_url": format!("{}/webhooks", self.relay.base_url()),
                "verifier_token": self.verifier_token,
                "format": format,
                "time_scale": 0.001,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    }

    /// Has the emulator notify one change of `realm_id` and waits until
    /// the relay acknowledged it.
    pub async fn emit_change(&self, realm_id: &str, entity: &str, id: &str) {
        let notifier = self.emulator.emulator().notifier();
        let before = notifier.counters().events_delivered;
        notifier.record_change(realm_id, entity, id, "Update", chrono::Utc::now());
        notifier.flush();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while notifier.counters().events_delivered <= before {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the relay did not acknowledge the delivery: {:?}",
                notifier.counters()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A subscription for `realm_id` with `access_token`: (status, body).
    pub async fn subscribe(&self, realm_id: &str, access_token: Option<&str>) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}/subscriptions", self.relay.base_url()))
            .json(&json!({ "realm_id": realm_id }));
        if let Some(token) = access_token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Opens the event stream of a subscription.
    pub async fn open_events(&self, subscription: &str, cursor: Option<i64>) -> SseReader {
        let mut url = format!("{}/events", self.relay.base_url());
        if let Some(cursor) = cursor {
            url.push_str(&format!("?cursor={cursor}"));
        }
        let response = reqwest::Client::new()
            .get(url)
            .bearer_auth(subscription)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        SseReader::new(response)
    }
}

/// One Server-Sent Event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

impl SseEvent {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap()
    }
}

/// Reads events off a streaming response.
pub struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

impl SseReader {
    pub fn new(response: reqwest::Response) -> SseReader {
        SseReader {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments skipped), or `None` if none arrives within
    /// `wait` or the stream ends.
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = parse_block(&block) {
                    return Some(event);
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

fn parse_block(block: &str) -> Option<SseEvent> {
    let mut id = None;
    let mut event = None;
    let mut data = Vec::new();
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("id:") {
            id = Some(value.trim().to_owned());
        } else if let Some(value) = line.strip_prefix("event:") {
            event = Some(value.trim().to_owned());
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push(value.strip_prefix(' ').unwrap_or(value).to_owned());
        }
    }
    if event.is_none() && data.is_empty() {
        return None;
    }
    Some(SseEvent {
        id,
        event: event.unwrap_or_else(|| "message".to_owned()),
        data: data.join("\n"),
    })
}
