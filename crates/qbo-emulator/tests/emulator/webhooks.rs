//! Webhook delivery to a real HTTP receiver on 127.0.0.1: signatures checked
//! with an HMAC computed here, both body formats against the shapes of
//! Intuit's samples, aggregation, the retry ladder, holding later events
//! behind a failing delivery, the retry bound, timeouts and the clock.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, TimeZone as _, Utc};
use hmac::{Hmac, Mac as _};
use qbo_emulator::clock::Clock;
use qbo_emulator::webhooks::{Notifier, WebhookConfig, WebhookCounters, WebhookFormat};
use serde_json::Value;
use sha2::Sha256;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const TOKEN: &str = "4a8d1f2c-verifier-token-e07b";
const FIRST_REALM: &str = "1185883450";
const SECOND_REALM: &str = "9341455130122";

/// Keys of each entity in samples/webhook-legacy.json.
const LEGACY_ENTITY_KEYS: &[&str] = &["name", "id", "operation", "lastUpdated"];
/// Keys of the event in samples/webhook-cloudevents-nodata.json.
const CLOUD_EVENT_KEYS: &[&str] = &[
    "specversion",
    "id",
    "source",
    "type",
    "time",
    "intuitentityid",
    "intuitaccountid",
];
/// Keys of the merge event in samples/webhook-cloudevents.json.
const CLOUD_MERGE_EVENT_KEYS: &[&str] = &[
    "specversion",
    "id",
    "source",
    "type",
    "datacontenttype",
    "time",
    "intuitentityid",
    "intuitaccountid",
    "data",
];

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    at: Instant,
    content_type: String,
    signature: String,
    body: Bytes,
}

/// How the receiver answers its next request.
#[derive(Clone, Copy, Debug)]
enum Reply {
    Status(u16),
    /// Answer 200, but only after this long.
    Stall(Duration),
}

#[derive(Clone, Default)]
struct ReceiverState {
    log: Arc<Mutex<Vec<Received>>>,
    plan: Arc<Mutex<VecDeque<Reply>>>,
}

/// A webhook endpoint on 127.0.0.1 that logs every request and answers
/// from a plan (200 once the plan is used up).
struct Receiver {
    url: String,
    state: ReceiverState,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(
    State(state): State<ReceiverState>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    state
        .log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(Received {
            at: Instant::now(),
            content_type: header("content-type"),
            signature: header("intuit-signature"),
            body,
        });
    let reply = state
        .plan
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .pop_front();
    match reply {
        None => StatusCode::OK,
        Some(Reply::Status(code)) => StatusCode::from_u16(code).unwrap_or(StatusCode::OK),
        Some(Reply::Stall(delay)) => {
            tokio::time::sleep(delay).await;
            StatusCode::OK
        }
    }
}

impl Receiver {
    async fn start(plan: &[Reply]) -> Result<Receiver, Box<dyn std::error::Error>> {
        let state = ReceiverState::default();
        state
            .plan
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(plan.iter().copied());
        let app = Router::new()
            .route("/webhooks", post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/webhooks", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Receiver { url, state, task })
    }

    fn received(&self) -> Vec<Received> {
        self.state
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Waits until at least `count` requests have arrived.
    async fn wait_for(&self, count: usize) -> Result<Vec<Received>, String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let received = self.received();
            if received.len() >= count {
                return Ok(received);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "expected {count} webhook requests, got {}",
                    received.len()
                ));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// The counters once every recorded change has been delivered or dropped.
/// The receiver logs a request before it answers, so the notifier books the
/// answer a moment after `wait_for` returns; reading the counters at once
/// would race that booking.
async fn settled_counters(notifier: &Notifier) -> Result<WebhookCounters, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let counters = notifier.counters();
        if counters.pending_events == 0 && counters.queued_deliveries == 0 {
            return Ok(counters);
        }
        if Instant::now() > deadline {
            return Err(format!("the notifier did not settle: {counters:?}"));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Seconds become milliseconds: a 60 ms window, retries after 10, 20, 30 ms.
fn fast_config() -> WebhookConfig {
    WebhookConfig {
        time_scale: 0.001,
        ..WebhookConfig::default()
    }
}

/// HMAC-SHA256 and Base64 computed here, independently of the emulator.
fn expected_signature(token: &str, body: &[u8]) -> Result<String, Box<dyn std::error::Error>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(token.as_bytes())?;
    mac.update(body);
    Ok(BASE64.encode(mac.finalize().into_bytes()))
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|object| object.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn at(seconds: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 17, 16, 19, seconds)
        .single()
        .unwrap_or_default()
}

#[tokio::test]
async fn legacy_deliveries_are_signed_aggregated_per_realm_and_shaped_like_the_sample() -> TestResult
{
    let receiver = Receiver::start(&[]).await?;
    let notifier = Notifier::new(Clock::real(), fast_config());
    notifier.configure(
        Some(receiver.url.clone()),
        TOKEN.to_owned(),
        WebhookFormat::Legacy,
    );
    notifier.record_change(FIRST_REALM, "Customer", "1", "Create", at(1));
    notifier.record_change(FIRST_REALM, "Vendor", "1", "Create", at(2));
    notifier.record_change(SECOND_REALM, "Invoice", "239", "Void", at(3));
    notifier.record_merge(FIRST_REALM, "Customer", "27", "5", at(4));

    let received = receiver.wait_for(2).await?;
    // Nothing more arrives: one POST per realm for the whole window.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(receiver.received().len(), 2);

    for request in &received {
        assert_eq!(
            request.signature,
            expected_signature(TOKEN, &request.body)?,
            "the signature covers the raw body"
        );
        assert!(request.content_type.starts_with("application/json"));
    }
    let first: Value = serde_json::from_slice(&received[0].body)?;
    assert_eq!(keys(&first), ["eventNotifications"]);
    let notifications = first["eventNotifications"]
        .as_array()
        .ok_or("eventNotifications is an array")?;
    assert_eq!(notifications.len(), 1, "one realm per legacy notification");
    assert_eq!(keys(&notifications[0]), ["realmId", "dataChangeEvent"]);
    assert_eq!(notifications[0]["realmId"], FIRST_REALM);
    assert_eq!(keys(&notifications[0]["dataChangeEvent"]), ["entities"]);
    let entities = notifications[0]["dataChangeEvent"]["entities"]
        .as_array()
        .ok_or("entities is an array")?;
    let summary: Vec<(&str, &str, &str)> = entities
        .iter()
        .map(|entity| {
            (
                entity["name"].as_str().unwrap_or_default(),
                entity["id"].as_str().unwrap_or_default(),
                entity["operation"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("Customer", "1", "Create"),
            ("Vendor", "1", "Create"),
            ("Customer", "27", "Merge")
        ]
    );
    assert_eq!(keys(&entities[0]), LEGACY_ENTITY_KEYS);
    assert_eq!(entities[2]["deletedId"], "5");
    let last_updated = entities[0]["lastUpdated"]
        .as_str()
        .ok_or("lastUpdated is a string")?;
    assert_eq!(DateTime::parse_from_rfc3339(last_updated)?, at(1));

    let second: Value = serde_json::from_slice(&received[1].body)?;
    assert_eq!(second["eventNotifications"][0]["realmId"], SECOND_REALM);
    assert_eq!(
        second["eventNotifications"][0]["dataChangeEvent"]["entities"][0]["operation"],
        "Void"
    );

    let counters = settled_counters(&notifier).await?;
    assert_eq!(counters.events_recorded, 4);
    assert_eq!(counters.deliveries_built, 2);
    assert_eq!(counters.delivered, 2);
    assert_eq!(counters.events_delivered, 4);
    assert_eq!(counters.attempts, 2);
    assert_eq!(counters.failed_attempts, 0);
    assert_eq!(counters.queued_deliveries, 0);
    Ok(())
}

#[tokio::test]
async fn cloud_events_come_in_one_array_shaped_like_the_samples() -> TestResult {
    let receiver = Receiver::start(&[]).await?;
    let notifier = Notifier::new(Clock::real(), fast_config());
    notifier.configure(
        Some(receiver.url.clone()),
        TOKEN.to_owned(),
        WebhookFormat::CloudEvents,
    );
    notifier.record_change(SECOND_REALM, "SalesReceipt", "150", "Update", at(17));
    notifier.record_merge(FIRST_REALM, "Customer", "123", "27", at(5));

    let received = receiver.wait_for(1).await?;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "both realms share one delivery"
    );
    let request = &received[0];
    assert_eq!(request.signature, expected_signature(TOKEN, &request.body)?);
    assert!(request.content_type.contains("json"));

    let events: Vec<Value> = serde_json::from_slice(&request.body)?;
    assert_eq!(events.len(), 2);
    let update = &events[0];
    assert_eq!(keys(update), CLOUD_EVENT_KEYS);
    assert_eq!(update["specversion"], "1.0");
    assert_eq!(update["type"], "qbo.salesreceipt.updated.v1");
    assert_eq!(update["intuitentityid"], "150");
    assert_eq!(update["intuitaccountid"], SECOND_REALM);
    assert_eq!(update["time"], "2026-03-17T16:19:17Z");
    let id = update["id"].as_str().ok_or("id is a string")?;
    let uuid = id
        .strip_suffix("-SalesReceipt-150")
        .ok_or("the id ends with the entity and its id")?;
    assert!(uuid::Uuid::parse_str(uuid).is_ok(), "{id}");
    let source = update["source"].as_str().ok_or("source is a string")?;
    let app = source
        .strip_prefix("intuit.")
        .ok_or("source starts with intuit.")?;
    assert_eq!(BASE64.decode(app)?.len(), 32);

    let merge = &events[1];
    assert_eq!(keys(merge), CLOUD_MERGE_EVENT_KEYS);
    assert_eq!(merge["type"], "qbo.customer.merged.v1");
    assert_eq!(merge["datacontenttype"], "application/json");
    assert_eq!(merge["data"], serde_json::json!({"deletedid": "27"}));
    assert_eq!(merge["intuitaccountid"], FIRST_REALM);
    assert_ne!(merge["id"], update["id"]);
    Ok(())
}

#[tokio::test]
async fn cloud_events_deliveries_hold_at_most_the_configured_number_of_events() -> TestResult {
    let receiver = Receiver::start(&[]).await?;
    let config = WebhookConfig {
        max_events_per_delivery: 3,
        ..fast_config()
    };
    let notifier = Notifier::new(Clock::real(), config);
    notifier.configure(
        Some(receiver.url.clone()),
        TOKEN.to_owned(),
        WebhookFormat::CloudEvents,
    );
    for id in 1..=7 {
        notifier.record_change(FIRST_REALM, "Item", &id.to_string(), "Create", at(id));
    }
    let received = receiver.wait_for(3).await?;
    let sizes: Vec<usize> = received
        .iter()
        .map(|request| {
            serde_json::from_slice::<Vec<Value>>(&request.body)
                .map(|events| events.len())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(sizes, [3, 3, 1]);
    let ids: Vec<String> = received
        .iter()
        .flat_map(|request| serde_json::from_slice::<Vec<Value>>(&request.body).unwrap_or_default())
        .map(|event| {
            event["intuitentityid"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5", "6", "7"], "order is kept");
    Ok(())
}

#[tokio::test]
async fn changes_in_separate_windows_are_separate_deliveries() -> TestResult {
    let receiver = Receiver::start(&[]).await?;
    let notifier = Notifier::new(Clock::real(), fast_config());
    notifier.configure(
        Some(receiver.url.clone()),
        TOKEN.to_owned(),
        WebhookFormat::Legacy,
    );
    notifier.record_change(FIRST_REALM, "Customer", "1", "Create", at(1));
    notifier.record_change(FIRST_REALM, "Customer", "1", "Update", at(2));
    receiver.wait_for(1).await?;
    notifier.record_change(FIRST_REALM, "Customer", "1", "Update", at(3));
    let received = receiver.wait_for(2).await?;
    let count = |request: &Received| -> Result<usize, Box<dyn std::error::Error>> {
        let body: Value = serde_json::from_slice(&request.body)?;
        Ok(body["eventNotifications"][0]["dataChangeEvent"]["entities"]
            .as_array()
            .map_or(0, Vec::len))
    };
    assert_eq!(count(&received[0])?, 2);
    assert_eq!(count(&received[1])?, 1);
    Ok(())
}

#[tokio::test]
async fn a_failed_delivery_is_retried_on_the_ladder_with_the_same_bytes() -> TestResult {
    let receiver = Receiver::start(&[Reply::Status(500), Reply::Status(503)]).await?;
    let notifier = Notifier::new(Clock::real(), fast_config());
    notifier.configure(
        Some(receiver.url.clone()),
        TOKEN.to_owned(),
        WebhookFormat::CloudEvents,
    );
    notifier.record_change(FIRST_REALM, "Invoice", "239", "Create", at(1));
    notifier.record_change(FIRST_REALM, "Payment", "12", "Create", at(2));

    let received = receiver.wait_for(3).await?;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(receiver.received().len(), 3, "no attempt after the 200");
    assert_eq!(received[0].body, received[1].body);
    assert_eq!(received[1].body, received[2].body);
    assert_eq!(received[0].signature, received[2].signature);
    assert_eq!(
        received[2].signature,
        expected_signature(TOKEN, &received[2].body)?
    );
    // The ladder, scaled by 1/1000: 10 s then 20 s become 10 ms then 20 ms.
    assert!(received[1].at - received[0].at >= Duration::from_millis(10));
    assert!(received[2].at - received[1].at >= Duration::from_millis(20));

    let counters = settled_counters(&notifier).await?;
    assert_eq!(counters.deliveries_built, 1);
    assert_eq!(counters.attempts, 3);
    assert_eq!(counters.failed_attempts, 2);
    assert_eq!(counters.delivered, 1);
    assert_eq!(counters.events_delivered, 2);
    assert_eq!(counters.dropped, 0);
    Ok(())
}

#[tokio::test]
async fn later_events_wait_until_the_failing_delivery_is_acknowledged() -> TestResult {
    let receiver =
        Receiver::start(&[Reply::Status(500), Reply::Status(500), Reply::Status(404)]).await?;
    let notifier = Notifier::new(Clock::real(), fast_config());
    notifier.configure(
        Some(receiver.url.clone()),
        TOKEN.to_owned(),
        WebhookFormat::Legacy,
    );
    notifier.record_change(FIRST_REALM, "Bill", "150", "Create", at(1));
    notifier.flush();
    receiver.wait_for(1).await?;
    notifier.record_change(FIRST_REALM, "Bill", "151", "Create", at(2));
    notifier.flush();

    let received = receiver.wait_for(5).await?;
    let ids: Vec<String> = received
        .iter()
        .map(|request| {
            serde_json::from_slice::<Value>(&request.body)
                .map(|body| {
                    body["eventNotifications"][0]["dataChangeEvent"]["entities"][0]["id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(ids, ["150", "150", "150", "150", "151"]);
    let counters = settled_counters(&notifier).await?;
    assert_eq!(counters.delivered, 2);
    assert_eq!(counters.failed_attempts, 3);
    Ok(())
}

#[tokio::test]
async fn a_delivery_is_dropped_after_the_last_retry_and_the_queue_moves_on() -> TestResult {
    let receiver = Receiver::start(&[Reply::Status(500); 3]).await?;
    let config = WebhookConfig {
        max_retries: 2,
        ..fast_config()
    };
    let notifier = Notifier::new(Clock::real(), config);
    notifier.configure(
        Some(receiver.url.clone()),
        TOKEN.to_owned(),
        WebhookFormat::Legacy,
    );
    notifier.record_change(FIRST_REALM, "Deposit", "7", "Delete", at(1));
    notifier.flush();
    receiver.wait_for(1).await?;
    notifier.record_change(FIRST_REALM, "Deposit", "8", "Create", at(2));
    notifier.flush();

    let received = receiver.wait_for(4).await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(receiver.received().len(), 4);
    assert_eq!(received[0].body, received[2].body);
    assert_ne!(received[2].body, received[3].body);
    let counters = settled_counters(&notifier).await?;
    assert_eq!(counters.dropped, 1);
    assert_eq!(counters.delivered, 1);
    assert_eq!(counters.attempts, 4);
    assert_eq!(counters.events_delivered, 1);
    Ok(())
}

#[tokio::test]
async fn a_receiver_that_answers_too_late_counts_as_a_failure() -> TestResult {
    let receiver = Receiver::start(&[Reply::Stall(Duration::from_millis(600))]).await?;
    let config = WebhookConfig {
        response_timeout: Duration::from_millis(200),
        ..fast_config()
    };
    let notifier = Notifier::new(Clock::real(), config);
    notifier.configure(
        Some(receiver.url.clone()),
        TOKEN.to_owned(),
        WebhookFormat::Legacy,
    );
    notifier.record_change(FIRST_REALM, "Term", "3", "Update", at(1));
    let received = receiver.wait_for(2).await?;
    assert_eq!(received[0].body, received[1].body);
    let deadline = Instant::now() + Duration::from_secs(5);
    while notifier.counters().delivered == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let counters = settled_counters(&notifier).await?;
    assert_eq!(counters.failed_attempts, 1);
    assert_eq!(counters.delivered, 1);
    Ok(())
}

#[tokio::test]
async fn a_wrong_verifier_token_gives_a_signature_that_does_not_verify() -> TestResult {
    let receiver = Receiver::start(&[]).await?;
    let notifier = Notifier::new(Clock::real(), fast_config());
    notifier.configure(
        Some(receiver.url.clone()),
        "not-the-receivers-token".to_owned(),
        WebhookFormat::Legacy,
    );
    notifier.record_change(FIRST_REALM, "Account", "92", "Create", at(1));
    let received = receiver.wait_for(1).await?;
    let request = &received[0];
    assert_ne!(request.signature, expected_signature(TOKEN, &request.body)?);
    assert_eq!(
        request.signature,
        expected_signature("not-the-receivers-token", &request.body)?
    );
    // A body changed in transit no longer matches either.
    let mut tampered = request.body.to_vec();
    tampered.push(b' ');
    assert_ne!(
        request.signature,
        expected_signature("not-the-receivers-token", &tampered)?
    );
    assert_eq!(
        Notifier::sign(TOKEN, &request.body),
        expected_signature(TOKEN, &request.body)?
    );
    Ok(())
}

#[tokio::test]
async fn windows_and_retries_follow_the_emulated_clock() -> TestResult {
    let receiver = Receiver::start(&[Reply::Status(500)]).await?;
    let clock = Clock::fixed(at(0));
    // Real durations: a 60 s window and a 10 s first retry, passed by
    // moving the clock rather than by waiting.
    let notifier = Notifier::new(clock.clone(), WebhookConfig::default());
    notifier.configure(
        Some(receiver.url.clone()),
        TOKEN.to_owned(),
        WebhookFormat::Legacy,
    );
    notifier.record_change(FIRST_REALM, "Class", "4", "Create", at(0));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(receiver.received().is_empty(), "the window is still open");
    assert_eq!(notifier.counters().pending_events, 1);

    clock.advance(chrono::Duration::seconds(60));
    receiver.wait_for(1).await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(receiver.received().len(), 1, "the retry waits for 10 s");
    assert_eq!(notifier.counters().queued_deliveries, 1);

    clock.advance(chrono::Duration::seconds(10));
    receiver.wait_for(2).await?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while notifier.counters().delivered == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(notifier.counters().delivered, 1);
    Ok(())
}

#[tokio::test]
async fn nothing_is_kept_without_an_endpoint_or_after_shutdown() -> TestResult {
    let receiver = Receiver::start(&[]).await?;
    let notifier = Notifier::new(Clock::real(), fast_config());
    notifier.record_change(FIRST_REALM, "Customer", "1", "Create", at(1));
    assert_eq!(notifier.counters().events_recorded, 0);
    assert!(!notifier.is_configured());

    notifier.configure(
        Some(receiver.url.clone()),
        TOKEN.to_owned(),
        WebhookFormat::Legacy,
    );
    assert!(notifier.is_configured());
    notifier.shutdown();
    notifier.record_change(FIRST_REALM, "Customer", "2", "Create", at(2));
    notifier.flush();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(receiver.received().is_empty());
    assert_eq!(notifier.counters().attempts, 0);
    Ok(())
}

#[test]
fn formats_parse_from_text() {
    assert_eq!("legacy".parse::<WebhookFormat>(), Ok(WebhookFormat::Legacy));
    assert_eq!(
        "CloudEvents".parse::<WebhookFormat>(),
        Ok(WebhookFormat::CloudEvents)
    );
    assert!("xml".parse::<WebhookFormat>().is_err());
}

#[tokio::test]
async fn an_api_write_reaches_the_receiver_as_a_signed_notification() -> TestResult {
    let receiver = Receiver::start(&[]).await?;
    let config = qbo_emulator::EmulatorConfig {
        webhooks: fast_config(),
        ..qbo_emulator::EmulatorConfig::default()
    };
    let server = qbo_emulator::TestServer::start(config).await;
    let (realm_id, token) = server.connect_company("Webhook Test Company");
    server.emulator().notifier().configure(
        Some(receiver.url.clone()),
        TOKEN.to_owned(),
        WebhookFormat::Legacy,
    );

    let response = reqwest::Client::new()
        .post(format!("{}/customer", server.company_url(&realm_id)))
        .query(&[("minorversion", "75")])
        .bearer_auth(&token)
        .header("Accept", "application/json")
        .json(&serde_json::json!({"DisplayName": "Amy's Bird Sanctuary"}))
        .send()
        .await?;
    assert!(response.status().is_success(), "{}", response.text().await?);
    let created: Value = response.json().await?;
    let customer_id = created["Customer"]["Id"]
        .as_str()
        .ok_or("the created customer has an Id")?;

    let received = receiver.wait_for(1).await?;
    let request = &received[0];
    assert_eq!(request.signature, expected_signature(TOKEN, &request.body)?);
    let body: Value = serde_json::from_slice(&request.body)?;
    let notification = &body["eventNotifications"][0];
    assert_eq!(notification["realmId"], realm_id.as_str());
    let entity = &notification["dataChangeEvent"]["entities"][0];
    assert_eq!(entity["name"], "Customer");
    assert_eq!(entity["id"], customer_id);
    assert_eq!(entity["operation"], "Create");
    // lastUpdated is the instant of the record's MetaData.LastUpdatedTime.
    let last_updated =
        DateTime::parse_from_rfc3339(entity["lastUpdated"].as_str().unwrap_or_default())?;
    let meta = DateTime::parse_from_rfc3339(
        created["Customer"]["MetaData"]["LastUpdatedTime"]
            .as_str()
            .unwrap_or_default(),
    )?;
    assert_eq!(last_updated.timestamp(), meta.timestamp());
    Ok(())
}
