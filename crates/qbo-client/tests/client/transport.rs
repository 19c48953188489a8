//! The transport against a real emulator with injected faults: retries,
//! exactly-once writes, token refresh, fault mapping and pacing.

use std::time::{Duration, Instant};

use qbo_client::{ClientConfig, ErrorKind, PacerConfig, QboError, RequestId};
use serde_json::{Value, json};

use crate::support::{Emulator, EmulatorTokens};

type TestResult = Result<(), QboError>;

async fn count_customers_named(client: &qbo_client::QboClient<EmulatorTokens>, name: &str) -> u64 {
    let answer = client
        .query(&format!(
            "SELECT COUNT(*) FROM Customer WHERE DisplayName = '{name}'"
        ))
        .await
        .expect("the count query runs");
    answer["totalCount"]
        .as_u64()
        .expect("a count has totalCount")
}

#[tokio::test]
async fn a_create_dropped_after_commit_is_retried_once_and_exists_once() -> TestResult {
    let emulator = Emulator::start().await;
    let client = emulator.client();
    emulator
        .arm(json!({"kind": "drop_after_commit", "method": "POST", "path": "*/customer", "count": 1}))
        .await;
    let request_id = RequestId::new();
    let created = client
        .create(
            "Customer",
            &json!({"DisplayName": "Dropped Once"}),
            &request_id,
        )
        .await?;
    let id = created["Id"]
        .as_str()
        .expect("the created customer has an Id");
    assert_eq!(created["DisplayName"], "Dropped Once");
    // Two sends reached QBO, one object exists.
    assert_eq!(emulator.requests_to("POST customer").await, 2);
    assert_eq!(count_customers_named(&client, "Dropped Once").await, 1);

    // Sending the same write again (say after a crash) returns the same object.
    let again = client
        .create(
            "Customer",
            &json!({"DisplayName": "Dropped Once"}),
            &request_id,
        )
        .await?;
    assert_eq!(again["Id"].as_str(), Some(id));
    assert_eq!(count_customers_named(&client, "Dropped Once").await, 1);
    Ok(())
}

#[tokio::test]
async fn a_write_that_timed_out_after_commit_is_not_duplicated() -> TestResult {
    let emulator = Emulator::start().await;
    let client = emulator.client_with(
        emulator.tokens(&emulator.token),
        ClientConfig {
            request_timeout: Duration::from_millis(300),
            ..Emulator::config()
        },
    );
    emulator
        .arm(json!({"kind": "timeout", "method": "POST", "path": "*/customer", "hold_ms": 1500}))
        .await;
    let created = client
        .create(
            "Customer",
            &json!({"DisplayName": "Slow Answer"}),
            &RequestId::new(),
        )
        .await?;
    assert_eq!(created["DisplayName"], "Slow Answer");
    assert_eq!(count_customers_named(&client, "Slow Answer").await, 1);
    Ok(())
}

#[tokio::test]
async fn server_errors_and_dropped_connections_are_retried() -> TestResult {
    let emulator = Emulator::start().await;
    let client = emulator.client_with(
        emulator.tokens(&emulator.token),
        ClientConfig {
            max_transient_retries: 6,
            ..Emulator::config()
        },
    );
    let created = client
        .create(
            "Customer",
            &json!({"DisplayName": "Retry Me"}),
            &RequestId::new(),
        )
        .await?;
    let id = created["Id"].as_str().expect("an Id").to_owned();
    for kind in [
        "internal_error",
        "service_unavailable",
        "drop_before_commit",
    ] {
        emulator
            .arm(json!({"kind": kind, "method": "GET", "path": "*/customer/*", "count": 2}))
            .await;
    }
    let read = client.get_entity("Customer", &id).await?;
    assert_eq!(read["DisplayName"], "Retry Me");
    assert_eq!(emulator.requests_to("GET customer/{id}").await, 7);
    Ok(())
}

#[tokio::test]
async fn retries_are_bounded_and_the_last_error_keeps_its_tid() {
    let emulator = Emulator::start().await;
    let client = emulator.client_with(
        emulator.tokens(&emulator.token),
        ClientConfig {
            max_transient_retries: 2,
            ..Emulator::config()
        },
    );
    emulator
        .arm(json!({"kind": "internal_error", "method": "GET", "count": 10}))
        .await;
    let error = client
        .get_entity("CompanyInfo", &emulator.realm)
        .await
        .expect_err("every attempt fails");
    assert!(
        matches!(
            error,
            QboError::Transient {
                status: Some(500),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.intuit_tid().is_some_and(|tid| !tid.is_empty()));
    assert_eq!(emulator.requests_to("GET companyinfo/{id}").await, 3);
}

#[tokio::test]
async fn a_429_pauses_then_completes() -> TestResult {
    let emulator = Emulator::start().await;
    let client = emulator.client();
    emulator
        .arm(json!({"kind": "throttle", "method": "GET", "count": 1}))
        .await;
    let began = Instant::now();
    let info = client.get_entity("CompanyInfo", &emulator.realm).await?;
    assert_eq!(info["CompanyName"], "Larry's Bakery");
    // The emulator sends no Retry-After, so the configured default applies.
    assert!(began.elapsed() >= Duration::from_millis(300));
    let counters = emulator.counters().await;
    assert_eq!(counters["total"]["throttled"], 1);
    assert_eq!(counters["total"]["requests"], 2);
    Ok(())
}

#[tokio::test]
async fn a_401_refreshes_once_and_retries_once() -> TestResult {
    let emulator = Emulator::start().await;
    let tokens = std::sync::Arc::new(emulator.tokens("not-a-valid-token"));
    let client = emulator.client_with(std::sync::Arc::clone(&tokens), Emulator::config());
    let info = client.get_entity("CompanyInfo", &emulator.realm).await?;
    assert_eq!(info["CompanyName"], "Larry's Bakery");
    assert_eq!(tokens.refreshes(), 1);

    // An expired-token answer mid-session: one more refresh.
    emulator
        .arm(json!({"kind": "expired_token", "method": "GET", "count": 1}))
        .await;
    client.get_entity("CompanyInfo", &emulator.realm).await?;
    assert_eq!(tokens.refreshes(), 2);
    Ok(())
}

#[tokio::test]
async fn a_second_401_is_returned_after_exactly_one_refresh() {
    let emulator = Emulator::start().await;
    let tokens = std::sync::Arc::new(emulator.tokens("bad-token-1").refreshing_to("bad-token-2"));
    let client = emulator.client_with(std::sync::Arc::clone(&tokens), Emulator::config());
    let error = client
        .get_entity("CompanyInfo", &emulator.realm)
        .await
        .expect_err("both tokens are refused");
    assert_eq!(error.kind(), ErrorKind::AuthExpired, "{error:?}");
    assert!(error.intuit_tid().is_some());
    assert!(!error.to_string().contains("bad-token"));
    assert_eq!(tokens.refreshes(), 1);
    assert_eq!(emulator.requests_to("GET companyinfo/{id}").await, 2);
}

#[tokio::test]
async fn a_stale_sync_token_is_a_stale_error_with_its_tid() -> TestResult {
    let emulator = Emulator::start().await;
    let client = emulator.client();
    let created = client
        .create(
            "Customer",
            &json!({"DisplayName": "Edited Twice"}),
            &RequestId::new(),
        )
        .await?;
    let id = created["Id"].as_str().expect("an Id").to_owned();
    assert_eq!(created["SyncToken"], "0");
    let edited = client
        .sparse_update(
            "Customer",
            &json!({"Id": id, "SyncToken": "0", "CompanyName": "First"}),
            &RequestId::new(),
        )
        .await?;
    assert_eq!(edited["SyncToken"], "1");
    assert_eq!(
        edited["DisplayName"], "Edited Twice",
        "a sparse update keeps the rest"
    );
    let error = client
        .sparse_update(
            "Customer",
            &json!({"Id": id, "SyncToken": "0", "CompanyName": "Second"}),
            &RequestId::new(),
        )
        .await
        .expect_err("the token is stale");
    assert_eq!(error.kind(), ErrorKind::Stale, "{error:?}");
    assert!(error.message().contains("Stale Object Error"));
    assert!(error.intuit_tid().is_some_and(|tid| !tid.is_empty()));
    // A stale write is not retried.
    assert_eq!(emulator.requests_to("POST customer").await, 3);
    Ok(())
}

#[tokio::test]
async fn full_update_clears_what_it_leaves_out() -> TestResult {
    let emulator = Emulator::start().await;
    let client = emulator.client();
    let created = client
        .create(
            "Customer",
            &json!({"DisplayName": "Full Update", "CompanyName": "Kept?"}),
            &RequestId::new(),
        )
        .await?;
    let updated = client
        .update(
            "Customer",
            &json!({"Id": created["Id"], "SyncToken": created["SyncToken"], "DisplayName": "Full Update"}),
            &RequestId::new(),
        )
        .await?;
    assert_eq!(updated["SyncToken"], "1");
    assert!(
        updated.get("CompanyName").is_none_or(Value::is_null),
        "{updated}"
    );
    Ok(())
}

#[tokio::test]
async fn faults_map_to_their_kinds() {
    let emulator = Emulator::start().await;
    let client = emulator.client();

    let missing = client
        .get_entity("Customer", "987654")
        .await
        .expect_err("no such customer");
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing:?}");
    assert!(missing.intuit_tid().is_some());

    let invalid = client
        .create("Class", &json!({}), &RequestId::new())
        .await
        .expect_err("a class needs a name");
    let QboError::Validation { code, element, .. } = &invalid else {
        panic!("expected a validation error, got {invalid:?}");
    };
    assert_eq!(code, "2020");
    assert_eq!(element.as_deref(), Some("Name"));

    emulator
        .arm(json!({"kind": "xml_fault", "method": "POST", "status": 400}))
        .await;
    let xml = client
        .create("Class", &json!({"Name": "From XML"}), &RequestId::new())
        .await
        .expect_err("the XML fault is an error");
    let QboError::Validation { code, detail, .. } = &xml else {
        panic!("expected a validation error, got {xml:?}");
    };
    assert_eq!(code, "6000");
    assert!(detail.contains("An injected validation fault."), "{detail}");

    emulator
        .arm(json!({"kind": "malformed_json", "method": "GET"}))
        .await;
    let malformed = client
        .get_entity("CompanyInfo", &emulator.realm)
        .await
        .expect_err("half a body cannot be read");
    assert_eq!(malformed.kind(), ErrorKind::Protocol, "{malformed:?}");
    assert!(malformed.message().contains("not valid JSON"));
    assert!(malformed.intuit_tid().is_some());
}

#[tokio::test]
async fn query_delete_and_void_use_intuits_url_shapes() -> TestResult {
    let emulator = Emulator::start_seeded().await;
    let client = emulator.client();
    let answer = client
        .query("SELECT * FROM Invoice STARTPOSITION 1 MAXRESULTS 2")
        .await?;
    let invoices = answer["Invoice"]
        .as_array()
        .expect("the seeded company has invoices");
    assert_eq!(invoices.len(), 2);
    let (first, second) = (&invoices[0], &invoices[1]);

    let voided = client
        .void(
            "Invoice",
            first["Id"].as_str().unwrap_or_default(),
            first["SyncToken"].as_str().unwrap_or_default(),
            &RequestId::new(),
        )
        .await?;
    assert_eq!(voided["Id"], first["Id"]);
    assert_eq!(voided["TotalAmt"].to_string(), "0");

    let id = second["Id"].as_str().unwrap_or_default();
    let deleted = client
        .delete(
            "Invoice",
            id,
            second["SyncToken"].as_str().unwrap_or_default(),
            &RequestId::new(),
        )
        .await?;
    assert_eq!(deleted["status"], "Deleted");
    let gone = client.get_entity("Invoice", id).await.expect_err("deleted");
    assert_eq!(gone.kind(), ErrorKind::NotFound);

    // Quotes in a statement reach QBO intact through the text body.
    let none = client
        .query("SELECT * FROM Customer WHERE DisplayName = 'O\\'Brien & Sons'")
        .await?;
    assert!(none.get("Customer").is_none());
    Ok(())
}

#[tokio::test]
async fn the_pacer_keeps_a_burst_inside_the_emulators_limits() -> TestResult {
    let emulator = Emulator::start().await;
    emulator
        .limit(json!({"enabled": true, "requests_per_window": 20, "max_in_flight": 3, "window_ms": 1000}))
        .await;
    let client = emulator.client_with(
        emulator.tokens(&emulator.token),
        ClientConfig {
            pacer: PacerConfig {
                requests_per_window: 20,
                batches_per_window: 40,
                max_in_flight: 3,
                window: Duration::from_millis(1000),
            },
            ..Emulator::config()
        },
    );
    let began = Instant::now();
    let burst: Vec<_> = (0..70)
        .map(|_| {
            let client = client.clone();
            let realm = emulator.realm.clone();
            tokio::spawn(async move { client.get_entity("CompanyInfo", &realm).await })
        })
        .collect();
    for request in burst {
        let info = request.await.expect("the task ran")?;
        assert_eq!(info["CompanyName"], "Larry's Bakery");
    }
    let counters = emulator.counters().await;
    assert_eq!(counters["total"]["throttled"], 0, "{counters}");
    assert_eq!(counters["total"]["requests"], 70);
    assert!(counters["total"]["peak_in_flight"].as_u64() <= Some(3));
    // 70 requests at 20 a second need more than three seconds.
    assert!(began.elapsed() >= Duration::from_secs(3));
    Ok(())
}

#[tokio::test]
async fn without_pacing_the_same_burst_is_throttled_and_still_completes() -> TestResult {
    let emulator = Emulator::start().await;
    emulator
        .limit(json!({"enabled": true, "requests_per_window": 20, "max_in_flight": 3, "window_ms": 1000}))
        .await;
    let client = emulator.client_with(
        emulator.tokens(&emulator.token),
        ClientConfig {
            pacer: PacerConfig {
                requests_per_window: 10_000,
                batches_per_window: 40,
                max_in_flight: 50,
                window: Duration::from_millis(1000),
            },
            default_throttle_wait: Duration::from_millis(1100),
            max_throttle_retries: 20,
            ..Emulator::config()
        },
    );
    let burst: Vec<_> = (0..30)
        .map(|_| {
            let client = client.clone();
            let realm = emulator.realm.clone();
            tokio::spawn(async move { client.get_entity("CompanyInfo", &realm).await })
        })
        .collect();
    for request in burst {
        request.await.expect("the task ran")?;
    }
    let counters = emulator.counters().await;
    assert!(
        counters["total"]["throttled"].as_u64() > Some(0),
        "{counters}"
    );
    Ok(())
}

/// Intuit's three limits at once, counted by the emulator as QBO counts them
/// (requests and batches at arrival over a sliding window, requests in
/// flight), with the budget spent by single requests, batches, retries after
/// server errors and retries after a token refresh: the pacer never lets a
/// request through that the emulator refuses, and every limit bites.
#[tokio::test]
async fn the_pacer_stays_inside_every_limit_across_refreshes_and_retries() -> TestResult {
    let emulator = Emulator::start().await;
    let window = Duration::from_millis(400);
    emulator
        .limit(
            json!({"enabled": true, "requests_per_window": 15, "batches_per_window": 3,
                      "max_in_flight": 3, "window_ms": 400}),
        )
        .await;
    // Three access tokens refused (each answered by a refresh) and four
    // server errors (each retried after a backoff), among the reads.
    emulator
        .arm(json!({"kind": "expired_token", "method": "GET", "count": 3}))
        .await;
    emulator
        .arm(json!({"kind": "internal_error", "method": "GET", "count": 4}))
        .await;
    let tokens = std::sync::Arc::new(emulator.tokens(&emulator.token));
    let client = emulator.client_with(
        std::sync::Arc::clone(&tokens),
        ClientConfig {
            pacer: PacerConfig {
                requests_per_window: 15,
                batches_per_window: 3,
                max_in_flight: 3,
                window,
            },
            ..Emulator::config()
        },
    );
    let began = Instant::now();
    let mut work = Vec::new();
    for index in 0..48 {
        let client = client.clone();
        let realm = emulator.realm.clone();
        work.push(tokio::spawn(async move {
            if index % 6 == 0 {
                let items = vec![
                    qbo_client::BatchItem::query("a", "select * from Customer"),
                    qbo_client::BatchItem::query("b", "select * from Item"),
                ];
                client
                    .batch(items, &RequestId::new())
                    .await
                    .map(|results| results.len())
            } else {
                client.get_entity("CompanyInfo", &realm).await.map(|_| 1)
            }
        }));
    }
    for task in work {
        task.await.expect("the task ran")?;
    }
    let elapsed = began.elapsed();
    let counters = emulator.counters().await;
    assert_eq!(counters["total"]["throttled"], 0, "{counters}");
    // 40 reads and 8 batches, plus one more attempt per refused token and
    // per server error.
    assert_eq!(counters["total"]["requests"], 48 + 3 + 4, "{counters}");
    assert_eq!(counters["endpoints"]["POST batch"]["requests"], 8);
    assert!(
        (1..=3).contains(&tokens.refreshes()),
        "{}",
        tokens.refreshes()
    );
    let peak = counters["total"]["peak_in_flight"].as_u64().unwrap_or(99);
    assert!(peak <= 3, "{counters}");
    // 55 requests at 15 a window need three windows after the first.
    assert!(elapsed >= window * 3, "took {elapsed:?}");
    Ok(())
}
