//! Webhook notifications as Intuit sends them (API.md §7).
//!
//! Every change the emulator commits is handed to [`Notifier::record_change`].
//! Changes are gathered for an aggregation window, then turned into signed
//! deliveries, in the legacy `eventNotifications` format (one realm per
//! delivery) or as a CloudEvents array (several realms, at most 100 events
//! per delivery). Deliveries go out one at a time, in order: a delivery that
//! is not answered with a 2xx within the response timeout is retried on
//! Intuit's ladder (10 s, 20 s, 30 s, 5 min, 20 min, 2 h, 4 h, 6 h, then
//! every 6 h) and holds back the ones behind it, up to a bounded number of
//! retries, after which it is dropped. A retry re-sends the same bytes, so
//! event ids and the signature are unchanged.
//!
//! Waiting is measured on the emulator's [`Clock`], so a test can jump a
//! fixed clock over a 2-hour retry step; every window and ladder step is
//! also multiplied by [`WebhookConfig::time_scale`], so a test on the real
//! clock can run the whole ladder in milliseconds.

use std::collections::VecDeque;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, watch};

use crate::clock::Clock;

/// How often the worker looks at the clock while something is due, so that
/// a test moving the clock forward is noticed promptly.
const CLOCK_POLL_INTERVAL: Duration = Duration::from_millis(10);

/// The body format of deliveries (API.md §7.3, §7.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// `{"eventNotifications": [...]}`, one realm per delivery.
    #[default]
    Legacy,
    /// A JSON array of CloudEvents 1.0 events.
    CloudEvents,
}

impl FromStr for WebhookFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "legacy" => Ok(WebhookFormat::Legacy),
            "cloudevents" => Ok(WebhookFormat::CloudEvents),
            other => Err(format!(
                "unknown webhook format {other:?}: expected legacy or cloudevents"
            )),
        }
    }
}

/// Timing and limits of the notifier.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// How long changes are gathered before they are sent. Intuit lets the
    /// developer choose 1, 3 or 5 minutes in production (API.md §7.1).
    pub aggregation_window: Duration,
    /// The wait before each retry; past the end, the last step repeats.
    pub retry_ladder: Vec<Duration>,
    /// Retries of one delivery before it is dropped.
    pub max_retries: usize,
    /// How long the receiver has to answer (Intuit: 3 s). This is real
    /// network time and is not scaled.
    pub response_timeout: Duration,
    /// The most events in one CloudEvents delivery (Intuit: 100).
    pub max_events_per_delivery: usize,
    /// Multiplies the aggregation window and every ladder step; 0.001 turns
    /// seconds into milliseconds.
    pub time_scale: f64,
    /// Names the app in CloudEvents `source`.
    pub app_id: String,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        const MINUTE: u64 = 60;
        const HOUR: u64 = 60 * MINUTE;
        Self {
            aggregation_window: Duration::from_secs(MINUTE),
            retry_ladder: [
                10,
                20,
                30,
                5 * MINUTE,
                20 * MINUTE,
                2 * HOUR,
                4 * HOUR,
                6 * HOUR,
            ]
            .into_iter()
            .map(Duration::from_secs)
            .collect(),
            // The ladder, then a day of 6-hour retries.
            max_retries: 12,
            response_timeout: Duration::from_secs(3),
            max_events_per_delivery: 100,
            time_scale: 1.0,
            app_id: "qbo-emulator".to_owned(),
        }
    }
}

impl WebhookConfig {
    /// The wait before retry number `retries_done + 1`, at the configured scale.
    #[cfg(test)]
    fn retry_delay(&self, retries_done: usize) -> chrono::Duration {
        self.retry_delay_at(self.time_scale, retries_done)
    }

    /// The same wait at a given time scale.
    fn retry_delay_at(&self, time_scale: f64, retries_done: usize) -> chrono::Duration {
        let step = self
            .retry_ladder
            .get(retries_done)
            .or(self.retry_ladder.last())
            .copied()
            .unwrap_or(Duration::ZERO);
        scale_duration(time_scale, step)
    }
}

/// `duration` times `scale`, in clock terms. A scale that is not a positive
/// finite number counts as 1.
fn scale_duration(scale: f64, duration: Duration) -> chrono::Duration {
    let scale = if scale.is_finite() && scale >= 0.0 {
        scale
    } else {
        1.0
    };
    // Float arithmetic is fine here: this is a test speed-up factor on
    // durations, not money.
    #[allow(clippy::float_arithmetic)]
    let seconds = duration.as_secs_f64() * scale;
    let scaled = Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX);
    chrono::Duration::from_std(scaled).unwrap_or(chrono::Duration::MAX)
}

/// What the notifier has done so far, for tests and the control API.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WebhookCounters {
    /// Changes accepted while an endpoint was configured.
    pub events_recorded: u64,
    /// Deliveries built from closed aggregation windows.
    pub deliveries_built: u64,
    /// POSTs made, first tries and retries.
    pub attempts: u64,
    /// POSTs answered with a non-2xx status, timed out or failed to connect.
    pub failed_attempts: u64,
    /// Deliveries acknowledged with a 2xx.
    pub delivered: u64,
    /// Events in acknowledged deliveries.
    pub events_delivered: u64,
    /// Deliveries given up after the last retry.
    pub dropped: u64,
    /// Changes waiting for their aggregation window to close.
    pub pending_events: u64,
    /// Deliveries built and not yet acknowledged or dropped.
    pub queued_deliveries: u64,
}

/// Base64 of the HMAC-SHA256 of `body` keyed with the verifier token: the
/// `intuit-signature` header (API.md §7.4).
pub fn sign(verifier_token: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length, so the error arm is unreachable; an
    // empty signature (which verifies against nothing) beats a panic.
    Hmac::<Sha256>::new_from_slice(verifier_token.as_bytes())
        .map(|mac| BASE64.encode(mac.chain_update(body).finalize().into_bytes()))
        .unwrap_or_default()
}

/// Checks an `intuit-signature` header in constant time.
pub fn verify(verifier_token: &str, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = BASE64.decode(signature.trim()) else {
        return false;
    };
    Hmac::<Sha256>::new_from_slice(verifier_token.as_bytes())
        .is_ok_and(|mac| mac.chain_update(body).verify_slice(&expected).is_ok())
}

/// Signs and delivers change notifications on a background task.
#[derive(Debug)]
pub struct Notifier {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    clock: Clock,
    config: WebhookConfig,
    client: reqwest::Client,
    state: Mutex<State>,
    /// Wakes the worker when a change arrives or the configuration changes.
    wake: Notify,
    stop: watch::Sender<bool>,
    worker_started: AtomicBool,
    /// The time scale in force (the bits of an f64); starts as the
    /// configured one and can be changed at run time.
    time_scale: AtomicU64,
    /// The aggregation window in force, in milliseconds; starts as the
    /// configured one and can be changed at run time.
    aggregation_window_ms: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    subscription: Option<Subscription>,
    window: Vec<ChangeEvent>,
    window_closes_at: Option<DateTime<Utc>>,
    queue: VecDeque<Delivery>,
    next_delivery_number: u64,
    counters: WebhookCounters,
}

#[derive(Clone, Debug)]
struct Subscription {
    endpoint_url: String,
    verifier_token: String,
    format: WebhookFormat,
}

#[derive(Clone, Debug)]
struct ChangeEvent {
    realm_id: String,
    entity_name: String,
    entity_id: String,
    operation: String,
    last_updated: DateTime<Utc>,
    deleted_id: Option<String>,
}

#[derive(Clone, Debug)]
struct Delivery {
    number: u64,
    endpoint_url: String,
    content_type: &'static str,
    body: Vec<u8>,
    signature: String,
    event_count: usize,
    retries_done: usize,
    next_attempt_at: DateTime<Utc>,
}

enum Step {
    Send(Delivery),
    WaitUntil(DateTime<Utc>),
    Idle,
}

impl Notifier {
    /// A notifier with no endpoint yet. Its worker starts on the current
    /// tokio runtime, or on the first call made inside one.
    pub fn new(clock: Clock, config: WebhookConfig) -> Arc<Notifier> {
        let time_scale = config.time_scale;
        let window_ms = u64::try_from(config.aggregation_window.as_millis()).unwrap_or(u64::MAX);
        let client = reqwest::Client::builder()
            .timeout(config.response_timeout)
            .build()
            .unwrap_or_default();
        let (stop, _) = watch::channel(false);
        let notifier = Arc::new(Notifier {
            shared: Arc::new(Shared {
                clock,
                config,
                client,
                state: Mutex::new(State::default()),
                wake: Notify::new(),
                stop,
                worker_started: AtomicBool::new(false),
                time_scale: AtomicU64::new(time_scale.to_bits()),
                aggregation_window_ms: AtomicU64::new(window_ms),
            }),
        });
        notifier.ensure_worker();
        notifier
    }

    /// Sets (or with `None`, removes) the endpoint. Changes recorded without
    /// an endpoint are not kept, as Intuit sends nothing to an app without a
    /// webhook subscription. Deliveries already built keep their endpoint.
    pub fn configure(
        &self,
        endpoint_url: Option<String>,
        verifier_token: String,
        format: WebhookFormat,
    ) {
        {
            let mut state = self.shared.lock();
            state.subscription = endpoint_url.map(|endpoint_url| Subscription {
                endpoint_url,
                verifier_token,
                format,
            });
            if state.subscription.is_none() {
                state.window.clear();
                state.window_closes_at = None;
            }
        }
        self.ensure_worker();
        self.shared.wake.notify_one();
    }

    /// Changes the time scale (see [`WebhookConfig::time_scale`]) for windows
    /// opened and retries booked from now on.
    pub fn set_time_scale(&self, time_scale: f64) {
        self.shared
            .time_scale
            .store(time_scale.to_bits(), Ordering::Relaxed);
    }

    /// The time scale in force.
    pub fn time_scale(&self) -> f64 {
        self.shared.time_scale()
    }

    /// Changes the aggregation window (before the time scale applies) for
    /// windows opened from now on. Intuit offers 1, 3 or 5 minutes; a
    /// benchmark of end-to-end latency may want a second.
    pub fn set_aggregation_window(&self, window: Duration) {
        let millis = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        self.shared
            .aggregation_window_ms
            .store(millis, Ordering::Relaxed);
    }

    /// The aggregation window in force (before the time scale applies).
    pub fn aggregation_window(&self) -> Duration {
        self.shared.aggregation_window()
    }

    /// Whether an endpoint is configured.
    pub fn is_configured(&self) -> bool {
        self.shared.lock().subscription.is_some()
    }

    /// Records one committed change. `operation` is Intuit's: Create,
    /// Update, Delete, Void, Merge or Emailed.
    pub fn record_change(
        &self,
        realm_id: &str,
        entity_name: &str,
        entity_id: &str,
        operation: &str,
        last_updated: DateTime<Utc>,
    ) {
        self.record(ChangeEvent {
            realm_id: realm_id.to_owned(),
            entity_name: entity_name.to_owned(),
            entity_id: entity_id.to_owned(),
            operation: operation.to_owned(),
            last_updated,
            deleted_id: None,
        });
    }

    /// Records a merge: `merged_away_id` was merged into `entity_id` and is
    /// gone (`deletedId` in the legacy format, `data.deletedid` in
    /// CloudEvents).
    pub fn record_merge(
        &self,
        realm_id: &str,
        entity_name: &str,
        entity_id: &str,
        merged_away_id: &str,
        last_updated: DateTime<Utc>,
    ) {
        self.record(ChangeEvent {
            realm_id: realm_id.to_owned(),
            entity_name: entity_name.to_owned(),
            entity_id: entity_id.to_owned(),
            operation: "Merge".to_owned(),
            last_updated,
            deleted_id: Some(merged_away_id.to_owned()),
        });
    }

    fn record(&self, event: ChangeEvent) {
        if *self.shared.stop.borrow() {
            return;
        }
        {
            let mut state = self.shared.lock();
            if state.subscription.is_none() {
                return;
            }
            if state.window.is_empty() {
                let closes_at = self.shared.clock.now()
                    + scale_duration(self.shared.time_scale(), self.shared.aggregation_window());
                state.window_closes_at = Some(closes_at);
            }
            state.window.push(event);
            state.counters.events_recorded += 1;
        }
        self.ensure_worker();
        self.shared.wake.notify_one();
    }

    /// Closes the current aggregation window now instead of at its end.
    pub fn flush(&self) {
        {
            let mut state = self.shared.lock();
            if !state.window.is_empty() {
                state.window_closes_at = Some(self.shared.clock.now());
            }
        }
        self.shared.wake.notify_one();
    }

    /// `intuit-signature` for `body` (see the free function [`sign`]).
    pub fn sign(verifier_token: &str, body: &[u8]) -> String {
        sign(verifier_token, body)
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> WebhookCounters {
        let state = self.shared.lock();
        let mut counters = state.counters;
        counters.pending_events = state.window.len() as u64;
        counters.queued_deliveries = state.queue.len() as u64;
        counters
    }

    /// Stops the worker; pending and queued notifications are abandoned.
    /// Dropping the notifier does the same.
    pub fn shutdown(&self) {
        self.shared.stop.send_replace(true);
    }

    fn ensure_worker(&self) {
        if *self.shared.stop.borrow() || self.shared.worker_started.swap(true, Ordering::SeqCst) {
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let shared = Arc::clone(&self.shared);
                runtime.spawn(run_worker(shared));
            }
            // Not inside a runtime yet: a later call will start the worker.
            Err(_) => self.shared.worker_started.store(false, Ordering::SeqCst),
        }
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn time_scale(&self) -> f64 {
        f64::from_bits(self.time_scale.load(Ordering::Relaxed))
    }

    fn aggregation_window(&self) -> Duration {
        Duration::from_millis(self.aggregation_window_ms.load(Ordering::Relaxed))
    }

    /// Closes a due window, then says what the worker should do next.
    fn next_step(&self, now: DateTime<Utc>) -> Step {
        let mut state = self.lock();
        if state
            .window_closes_at
            .is_some_and(|closes_at| closes_at <= now)
        {
            let events = std::mem::take(&mut state.window);
            state.window_closes_at = None;
            if let Some(subscription) = state.subscription.clone() {
                for (body, event_count) in build_bodies(&subscription, &self.config, &events) {
                    let number = state.next_delivery_number;
                    state.next_delivery_number += 1;
                    state.counters.deliveries_built += 1;
                    state.queue.push_back(Delivery {
                        number,
                        endpoint_url: subscription.endpoint_url.clone(),
                        content_type: match subscription.format {
                            WebhookFormat::Legacy => "application/json",
                            WebhookFormat::CloudEvents => "application/cloudevents+json",
                        },
                        signature: sign(&subscription.verifier_token, &body),
                        body,
                        event_count,
                        retries_done: 0,
                        next_attempt_at: now,
                    });
                }
            }
        }
        let head_due = state.queue.front().map(|head| head.next_attempt_at);
        if let (Some(due), Some(head)) = (head_due, state.queue.front())
            && due <= now
        {
            return Step::Send(head.clone());
        }
        match (head_due, state.window_closes_at) {
            (Some(a), Some(b)) => Step::WaitUntil(a.min(b)),
            (Some(at), None) | (None, Some(at)) => Step::WaitUntil(at),
            (None, None) => Step::Idle,
        }
    }

    /// Books the outcome of an attempt at the head of the queue.
    fn finish_attempt(&self, number: u64, acknowledged: bool, now: DateTime<Utc>) {
        let mut state = self.lock();
        state.counters.attempts += 1;
        if !acknowledged {
            state.counters.failed_attempts += 1;
        }
        let Some(head) = state.queue.front_mut() else {
            return;
        };
        if head.number != number {
            return;
        }
        if acknowledged {
            let event_count = head.event_count as u64;
            state.queue.pop_front();
            state.counters.delivered += 1;
            state.counters.events_delivered += event_count;
        } else if head.retries_done >= self.config.max_retries {
            state.queue.pop_front();
            state.counters.dropped += 1;
        } else {
            head.next_attempt_at = now
                + self
                    .config
                    .retry_delay_at(self.time_scale(), head.retries_done);
            head.retries_done += 1;
        }
    }
}

async fn run_worker(shared: Arc<Shared>) {
    let mut stop = shared.stop.subscribe();
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        let now = shared.clock.now();
        match shared.next_step(now) {
            Step::Send(delivery) => {
                let acknowledged = tokio::select! {
                    acknowledged = post(&shared.client, &delivery) => acknowledged,
                    _ = stop.changed() => return,
                };
                shared.finish_attempt(delivery.number, acknowledged, shared.clock.now());
            }
            Step::WaitUntil(due) => {
                let real_wait = (due - now)
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .min(CLOCK_POLL_INTERVAL);
                tokio::select! {
                    _ = tokio::time::sleep(real_wait) => {}
                    _ = shared.wake.notified() => {}
                    _ = stop.changed() => return,
                }
            }
            Step::Idle => {
                tokio::select! {
                    _ = shared.wake.notified() => {}
                    _ = stop.changed() => return,
                }
            }
        }
    }
}

/// One POST; true when the receiver answered 2xx in time.
async fn post(client: &reqwest::Client, delivery: &Delivery) -> bool {
    let response = client
        .post(&delivery.endpoint_url)
        .header(reqwest::header::CONTENT_TYPE, delivery.content_type)
        .header("intuit-signature", &delivery.signature)
        .body(delivery.body.clone())
        .send()
        .await;
    match response {
        Ok(response) => {
            let acknowledged = response.status().is_success();
            if !acknowledged {
                tracing::debug!(status = %response.status(), url = %delivery.endpoint_url, "webhook delivery refused");
            }
            acknowledged
        }
        Err(error) => {
            tracing::debug!(%error, url = %delivery.endpoint_url, "webhook delivery failed");
            false
        }
    }
}

/// The bodies for one closed window, each with its number of events.
fn build_bodies(
    subscription: &Subscription,
    config: &WebhookConfig,
    events: &[ChangeEvent],
) -> Vec<(Vec<u8>, usize)> {
    let bodies: Vec<(Value, usize)> = match subscription.format {
        WebhookFormat::Legacy => legacy_bodies(events),
        WebhookFormat::CloudEvents => {
            let source = cloud_events_source(&config.app_id);
            events
                .chunks(config.max_events_per_delivery.max(1))
                .map(|chunk| {
                    let array = chunk
                        .iter()
                        .map(|event| cloud_event(event, &source))
                        .collect();
                    (Value::Array(array), chunk.len())
                })
                .collect()
        }
    };
    bodies
        .into_iter()
        .map(|(body, count)| (body.to_string().into_bytes(), count))
        .collect()
}

/// One legacy notification per realm, realms in the order of their first
/// change (API.md §7.3: one realm at a time).
fn legacy_bodies(events: &[ChangeEvent]) -> Vec<(Value, usize)> {
    let mut realms: Vec<(&str, Vec<Value>)> = Vec::new();
    for event in events {
        let mut entity = json!({
            "name": event.entity_name,
            "id": event.entity_id,
            "operation": event.operation,
            "lastUpdated": event.last_updated.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        });
        if let (Some(deleted_id), Some(object)) = (&event.deleted_id, entity.as_object_mut()) {
            object.insert("deletedId".to_owned(), json!(deleted_id));
        }
        match realms
            .iter_mut()
            .find(|(realm, _)| *realm == event.realm_id)
        {
            Some((_, entities)) => entities.push(entity),
            None => realms.push((&event.realm_id, vec![entity])),
        }
    }
    realms
        .into_iter()
        .map(|(realm_id, entities)| {
            let count = entities.len();
            let body = json!({"eventNotifications": [{
                "realmId": realm_id,
                "dataChangeEvent": {"entities": entities},
            }]});
            (body, count)
        })
        .collect()
}

/// `intuit.` and a 44-character Base64 app identifier, the shape of the
/// samples' `source`.
fn cloud_events_source(app_id: &str) -> String {
    format!(
        "intuit.{}",
        BASE64.encode(Sha256::digest(app_id.as_bytes()))
    )
}

fn cloud_event(event: &ChangeEvent, source: &str) -> Value {
    let operation = match event.operation.as_str() {
        "Create" => "created".to_owned(),
        "Update" => "updated".to_owned(),
        "Delete" => "deleted".to_owned(),
        "Void" => "voided".to_owned(),
        "Merge" => "merged".to_owned(),
        "Emailed" => "emailed".to_owned(),
        other => other.to_ascii_lowercase(),
    };
    let mut value = json!({
        "specversion": "1.0",
        // The samples' ids are a UUID followed by the entity and its id.
        "id": format!("{}-{}-{}", uuid::Uuid::new_v4(), event.entity_name, event.entity_id),
        "source": source,
        "type": format!("qbo.{}.{operation}.v1", event.entity_name.to_ascii_lowercase()),
        "time": event.last_updated.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        "intuitentityid": event.entity_id,
        "intuitaccountid": event.realm_id,
    });
    // Events without data carry neither `datacontenttype` nor `data`
    // (samples/webhook-cloudevents-nodata.json).
    if let (Some(deleted_id), Some(object)) = (&event.deleted_id, value.as_object_mut()) {
        // Keep the samples' key order: datacontenttype before time.
        let mut ordered = serde_json::Map::new();
        for (key, field) in std::mem::take(object) {
            if key == "time" {
                ordered.insert("datacontenttype".to_owned(), json!("application/json"));
            }
            ordered.insert(key, field);
        }
        ordered.insert("data".to_owned(), json!({"deletedid": deleted_id}));
        *object = ordered;
    }
    value
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn signature_matches_a_known_hmac() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let signature = sign("Jefe", b"what do ya want for nothing?");
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let bytes = BASE64.decode(&signature).unwrap();
        let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(hex, expected);
        assert!(verify("Jefe", b"what do ya want for nothing?", &signature));
        assert!(!verify("jefe", b"what do ya want for nothing?", &signature));
        assert!(!verify("Jefe", b"what do ya want for nothing!", &signature));
        assert!(!verify("Jefe", b"x", "not base64!"));
    }

    #[test]
    fn ladder_scales_and_repeats_its_last_step() {
        let config = WebhookConfig {
            time_scale: 0.001,
            ..WebhookConfig::default()
        };
        assert_eq!(config.retry_delay(0), chrono::Duration::milliseconds(10));
        assert_eq!(config.retry_delay(3), chrono::Duration::milliseconds(300));
        assert_eq!(
            config.retry_delay(7),
            chrono::Duration::milliseconds(21_600)
        );
        assert_eq!(
            config.retry_delay(11),
            chrono::Duration::milliseconds(21_600)
        );
        let unscaled = WebhookConfig::default();
        assert_eq!(unscaled.retry_delay(5), chrono::Duration::hours(2));
        let broken = WebhookConfig {
            time_scale: f64::NAN,
            ..WebhookConfig::default()
        };
        assert_eq!(broken.retry_delay(0), chrono::Duration::seconds(10));
    }

    #[test]
    fn cloud_event_types_and_merge_data() {
        let event = ChangeEvent {
            realm_id: "9341".into(),
            entity_name: "SalesReceipt".into(),
            entity_id: "150".into(),
            operation: "Update".into(),
            last_updated: DateTime::parse_from_rfc3339("2026-03-17T16:19:17Z")
                .unwrap()
                .with_timezone(&Utc),
            deleted_id: None,
        };
        let value = cloud_event(&event, "intuit.x");
        assert_eq!(value["type"], "qbo.salesreceipt.updated.v1");
        assert_eq!(value["time"], "2026-03-17T16:19:17Z");
        assert!(value.get("data").is_none());
        assert!(value.get("datacontenttype").is_none());
        assert!(value["id"].as_str().unwrap().ends_with("-SalesReceipt-150"));
        let merge = ChangeEvent {
            operation: "Merge".into(),
            deleted_id: Some("27".into()),
            ..event
        };
        let value = cloud_event(&merge, "intuit.x");
        assert_eq!(value["type"], "qbo.salesreceipt.merged.v1");
        assert_eq!(value["data"], json!({"deletedid": "27"}));
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        let position = |key: &str| keys.iter().position(|k| *k == key).unwrap();
        assert!(position("datacontenttype") < position("time"));
    }

    #[test]
    fn source_has_the_samples_shape() {
        let source = cloud_events_source("an app");
        assert!(source.starts_with("intuit."));
        assert_eq!(source.len(), "intuit.".len() + 44);
    }
}
