//! How fast the emulator is: the time to seed a company of 100,000
//! transactions, and the requests per second it serves for reads and writes
//! over real HTTP on 127.0.0.1 with the limits off.
//!
//! Run with `cargo bench -p qbo-emulator --bench throughput`. The figures are
//! printed, not asserted: they depend on the machine.

// Printing the figures is the point of this program, and its timing
// ratios are not money.
#![allow(clippy::print_stdout, clippy::float_arithmetic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use qbo_emulator::clock::Clock;
use qbo_emulator::{Emulator, EmulatorConfig, TestServer, seed};
use serde_json::{Value, json};

/// Transactions in the seeded company.
const SEED_SIZE: usize = 100_000;
/// Clients sending requests at once.
const CONCURRENCY: usize = 8;
/// Requests per measured workload.
const READS: usize = 20_000;
const QUERIES: usize = 2_000;
const WRITES: usize = 5_000;

fn per_second(count: usize, elapsed: Duration) -> u128 {
    (count as u128 * 1_000_000) / elapsed.as_micros().max(1)
}

fn report(name: &str, count: usize, elapsed: Duration) {
    println!(
        "{name:<40} {count:>7} requests in {:>6} ms = {:>7} requests/s",
        elapsed.as_millis(),
        per_second(count, elapsed)
    );
}

/// Sends `total` requests from `CONCURRENCY` workers; `make` builds request
/// number n. Returns the time taken; panics on any answer but 200.
async fn run<F>(http: &reqwest::Client, total: usize, make: F) -> Duration
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let http = http.clone();
        let make = Arc::clone(&make);
        let next = Arc::clone(&next);
        workers.push(tokio::spawn(async move {
            loop {
                let number = next.fetch_add(1, Ordering::Relaxed);
                if number >= total {
                    break;
                }
                let response = make(&http, number).send().await;
                match response {
                    Ok(response) if response.status().is_success() => {
                        let _ = response.bytes().await;
                    }
                    Ok(response) => {
                        let status = response.status();
                        let body = response.text().await.unwrap_or_default();
                        panic!("request {number} failed with {status}: {body}");
                    }
                    Err(error) => panic!("request {number} failed: {error}"),
                }
            }
        }));
    }
    for worker in workers {
        if let Err(error) = worker.await {
            panic!("a worker failed: {error}");
        }
    }
    started.elapsed()
}

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => panic!("no tokio runtime: {error}"),
    };
    runtime.block_on(benchmark());
}

async fn benchmark() {
    let emulator = Emulator::new(EmulatorConfig::default(), Clock::real());

    let realm_id = emulator.create_company("Benchmark Landscaping");
    let now = emulator.clock().now();
    let started = Instant::now();
    let seeded = emulator.with_company(&realm_id, |company| {
        seed::populate(company, 2024, SEED_SIZE, now)
    });
    let elapsed = started.elapsed();
    match seeded {
        Some(Ok(summary)) => println!(
            "{:<40} {:>7} transactions in {:>6} ms = {:>7} transactions/s",
            "seed a company",
            summary.transactions,
            elapsed.as_millis(),
            per_second(summary.transactions, elapsed)
        ),
        Some(Err(fault)) => panic!("seeding failed: {fault}"),
        None => panic!("the company vanished"),
    }

    let invoice_ids: Vec<String> = emulator
        .with_company(&realm_id, |company| {
            company
                .all("Invoice")
                .filter_map(|invoice| invoice["Id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let customer_ids: Vec<String> = emulator
        .with_company(&realm_id, |company| {
            company
                .all("Customer")
                .filter_map(|customer| customer["Id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let item_id: String = emulator
        .with_company(&realm_id, |company| {
            company
                .all("Item")
                .find(|item| item["Type"] == "Service")
                .and_then(|item| item["Id"].as_str().map(str::to_owned))
        })
        .flatten()
        .unwrap_or_default();
    assert!(!invoice_ids.is_empty() && !customer_ids.is_empty() && !item_id.is_empty());

    let server = TestServer::start_with(emulator.clone()).await;
    let tokens = emulator.oauth().mint_tokens("benchmark-client", &realm_id);
    let token = tokens["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let company_url = server.company_url(&realm_id);
    let http = reqwest::Client::new();

    let invoice_ids = Arc::new(invoice_ids);
    let elapsed = {
        let (url, token, ids) = (company_url.clone(), token.clone(), Arc::clone(&invoice_ids));
        run(&http, READS, move |http, number| {
            let id = &ids[(number * 7_919) % ids.len()];
            http.get(format!("{url}/invoice/{id}"))
                .bearer_auth(&token)
                .header("Accept", "application/json")
        })
        .await
    };
    report("read: GET invoice/{id}", READS, elapsed);

    let query = |statement: &'static str, spread: usize| {
        let (url, token) = (company_url.clone(), token.clone());
        let pages = (invoice_ids.len() / spread).max(1);
        move |http: &reqwest::Client, number: usize| {
            // Positions and ids spread over the whole company.
            let at = (number * 7_919 % pages) * spread + 1;
            http.get(format!("{url}/query"))
                .query(&[("query", statement.replace("{n}", &at.to_string()))])
                .bearer_auth(&token)
                .header("Accept", "application/json")
        }
    };
    let first_page = run(
        &http,
        QUERIES,
        query("select * from Invoice maxresults 100", 100),
    )
    .await;
    report("query: the first 100 invoices", QUERIES, first_page);
    let by_id = run(
        &http,
        QUERIES,
        query(
            "select * from Invoice startposition {n} maxresults 100",
            100,
        ),
    )
    .await;
    report("query: 100 invoices at any position", QUERIES, by_id);
    let sorted = run(
        &http,
        QUERIES,
        query(
            "select * from Invoice orderby MetaData.LastUpdatedTime desc startposition {n} maxresults 100",
            100,
        ),
    )
    .await;
    report(
        "query: 100 by LastUpdatedTime, any position",
        QUERIES,
        sorted,
    );
    let elapsed = run(
        &http,
        QUERIES / 4,
        query(
            "select * from Invoice where Id > '{n}' orderby Id maxresults 1000",
            1000,
        ),
    )
    .await;
    report("query: 1000 invoices WHERE Id > n", QUERIES / 4, elapsed);
    let elapsed = run(&http, QUERIES, query("select count(*) from Invoice", 100)).await;
    report("query: COUNT(*) of invoices", QUERIES, elapsed);
    let per_request =
        |elapsed: Duration, count: usize| elapsed.as_secs_f64() * 1000.0 / count as f64;
    // Against pages by Id at the same positions, not against the first
    // page: that one page, served over and over, stays in the processor's
    // cache, while a page anywhere in the company is found an id at a time
    // and read from memory, whatever its order. What is left between the
    // two is the cost of the order.
    let sorted_ms = per_request(sorted, QUERIES);
    let by_id_ms = per_request(by_id, QUERIES);
    println!(
        "BENCH {}",
        json!({"name": "emulator: a page of 100 of 100k invoices sorted by LastUpdatedTime at any position, against a page by Id at the same positions",
               "value": sorted_ms, "unit": "ms", "compared_to": by_id_ms, "limit": 2.0,
               "ratio": sorted_ms / by_id_ms / 2.0,
               "detail": {"concurrency": CONCURRENCY, "transactions": SEED_SIZE,
                          "first_page_ms": per_request(first_page, QUERIES)}})
    );

    let elapsed = {
        let (url, token) = (company_url.clone(), token.clone());
        run(&http, WRITES, move |http, number| {
            http.post(format!("{url}/customer"))
                .bearer_auth(&token)
                .header("Accept", "application/json")
                .json(&json!({ "DisplayName": format!("Benchmark Customer {number:06}") }))
        })
        .await
    };
    report("write: create a customer", WRITES, elapsed);
    let customer_ms = per_request(elapsed, WRITES);

    let elapsed = {
        let (url, token) = (company_url.clone(), token.clone());
        let customers = Arc::new(customer_ids);
        run(&http, WRITES, move |http, number| {
            let customer = &customers[number % customers.len()];
            let body: Value = json!({
                "CustomerRef": { "value": customer },
                "Line": [{
                    "Amount": 150.25,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": { "value": item_id },
                        "Qty": 1,
                        "UnitPrice": 150.25,
                        "TaxCodeRef": { "value": "NON" },
                    },
                }],
            });
            http.post(format!("{url}/invoice"))
                .bearer_auth(&token)
                .header("Accept", "application/json")
                .json(&body)
        })
        .await
    };
    report("write: create an invoice", WRITES, elapsed);
    let invoice_ms = per_request(elapsed, WRITES);
    println!(
        "BENCH {}",
        json!({"name": "emulator: creating a customer (a duplicate-name check) against creating an invoice",
               "value": customer_ms, "unit": "ms", "compared_to": invoice_ms, "limit": 2.0,
               "ratio": customer_ms / invoice_ms / 2.0})
    );

    server.stop().await;
}
