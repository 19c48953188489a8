//! A push of 5,000 creates under Intuit's limits, against the ceiling those
//! limits allow, measured in the same run (never asserted in tests).
//!
//! The emulator enforces the limits with "a minute" scaled to one second:
//! 40 batches a window, 500 requests a window, 10 in flight. 5,000 invoice
//! creates go out as 167 batches of up to 30 from 10 workers sharing one
//! client, whose pacer runs with the same limits. The ceiling is the time
//! the batch budget alone allows: the first 40 at once, the next 40 one
//! window later, and so on, so 167 batches need 4 windows. The target is at
//! most 1.05× that, with no request throttled.
//!
//! Run: `cargo bench -p qbo-client --bench push` (or `cargo xtask bench`).

// A benchmark reports on stdout, its ratios are not money, and a failed
// set-up should stop it loudly.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::float_arithmetic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use qbo_client::{
    BatchItem, ClientConfig, PacerConfig, QboClient, QboError, RequestId, TokenSource,
};
use qbo_emulator::limits::LimitSettings;
use qbo_emulator::{EmulatorConfig, TestServer};
use serde_json::{Value, json};

const CREATES: usize = 5_000;
const BATCH: usize = 30;
const WORKERS: usize = 10;
const TARGET: f64 = 1.05;

#[derive(Debug, Clone)]
struct Token(String);

impl TokenSource for Token {
    async fn access_token(&self) -> Result<String, QboError> {
        Ok(self.0.clone())
    }

    async fn refresh_after_unauthorized(&self, _rejected: &str) -> Result<(), QboError> {
        Err(QboError::ReconnectNeeded {
            message: "the benchmark token was refused".to_owned(),
            intuit_tid: None,
        })
    }
}

#[tokio::main]
async fn main() {
    let window = Duration::from_secs(1);
    let server = TestServer::start_isolated(EmulatorConfig::default());
    let (realm, token) = server.connect_company("Push Bench Ltd");
    let pacer = PacerConfig {
        window,
        ..PacerConfig::INTUIT
    };
    let client = QboClient::new(
        &server.base_url(),
        &realm,
        Token(token),
        ClientConfig {
            pacer: pacer.clone(),
            ..ClientConfig::default()
        },
    )
    .unwrap();
    let customer = client
        .create(
            "Customer",
            &json!({"DisplayName": "Bench Customer"}),
            &RequestId::new(),
        )
        .await
        .unwrap();
    let customer_id = customer["Id"].clone();
    server
        .emulator()
        .operations()
        .limits
        .configure(LimitSettings {
            enabled: true,
            requests_per_window: pacer.requests_per_window,
            batches_per_window: pacer.batches_per_window,
            max_in_flight: pacer.max_in_flight,
            window_ms: u64::try_from(window.as_millis()).unwrap(),
        })
        .unwrap();
    let before = server.emulator().operations().counters.snapshot().total;

    let batches: Vec<Vec<Value>> = (0..CREATES)
        .map(|index| {
            json!({
                "CustomerRef": {"value": customer_id},
                "DocNumber": format!("P{index}"),
                "Line": [{"Amount": 10, "DetailType": "DescriptionOnly",
                          "DescriptionLineDetail": {}}]
            })
        })
        .collect::<Vec<_>>()
        .chunks(BATCH)
        .map(<[Value]>::to_vec)
        .collect();
    let batch_count = batches.len();
    let batches = Arc::new(batches);
    let next = Arc::new(AtomicUsize::new(0));
    let created = Arc::new(AtomicUsize::new(0));
    let emulator_cpu_before = server.cpu_time();
    let process_cpu_before = qbo_emulator::server::process_cpu_time();
    let started = Instant::now();
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (client, batches, next, created) = (
                client.clone(),
                Arc::clone(&batches),
                Arc::clone(&next),
                Arc::clone(&created),
            );
            tokio::spawn(async move {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(bodies) = batches.get(index) else {
                        break;
                    };
                    let items = bodies
                        .iter()
                        .enumerate()
                        .map(|(item, body)| {
                            BatchItem::create(item.to_string(), "Invoice", body.clone())
                        })
                        .collect();
                    let results = client.batch(items, &RequestId::new()).await.unwrap();
                    for result in results {
                        result.outcome.unwrap();
                        created.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let push = started.elapsed().as_secs_f64();
    let emulator_cpu = server
        .cpu_time()
        .zip(emulator_cpu_before)
        .map(|(after, before)| (after - before).as_secs_f64());
    let process_cpu = qbo_emulator::server::process_cpu_time()
        .zip(process_cpu_before)
        .map(|(after, before)| (after - before).as_secs_f64());
    let after = server.emulator().operations().counters.snapshot().total;
    let throttled = after.throttled - before.throttled;
    let requests = after.requests - before.requests;
    assert_eq!(created.load(Ordering::SeqCst), CREATES);

    let per_window = pacer.batches_per_window.min(pacer.requests_per_window) as usize;
    let ceiling = (batch_count.div_ceil(per_window) - 1) as f64 * window.as_secs_f64();
    let ratio = push / ceiling / TARGET;
    println!(
        "push of {CREATES} creates in {batch_count} batches: {push:.2} s against a ceiling of {ceiling:.1} s = {:.3}× (target ≤ {TARGET}×); {requests} requests, {throttled} throttled; emulator CPU {}, process CPU {}",
        push / ceiling,
        emulator_cpu.map_or("n/a".to_owned(), |cpu| format!("{cpu:.2} s")),
        process_cpu.map_or("n/a".to_owned(), |cpu| format!("{cpu:.2} s")),
    );
    let detail = json!({
        "batches": batch_count,
        "requests": requests,
        "throttled": throttled,
        "emulator_cpu_s": emulator_cpu,
        "process_cpu_s": process_cpu,
        "window_s": window.as_secs_f64(),
    });
    println!(
        "BENCH {}",
        json!({"name": "push of 5,000 creates with Intuit's limits on, against the ceiling they allow",
               "value": push, "unit": "s", "compared_to": ceiling, "limit": TARGET, "ratio": ratio,
               "detail": detail})
    );
    println!(
        "BENCH {}",
        json!({"name": "requests throttled during that push",
               "value": throttled, "unit": "requests", "compared_to": null, "limit": 0,
               "ratio": if throttled == 0 { json!(0) } else { Value::Null }})
    );
}
