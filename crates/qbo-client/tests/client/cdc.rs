//! CDC against the emulator: creates, updates and tombstones across types in
//! one request, the object cap, and the 30-day look-back.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use qbo_client::{BatchItem, CdcOutcome, CdcResult, Change, QboClient, QboError, RequestId};
use qbo_emulator::clock::Clock;
use qbo_emulator::{EmulatorConfig, TestServer};
use serde_json::{Value, json};

use crate::support::{Emulator, EmulatorTokens};

/// The instant the fixed emulator clock starts at (whole seconds, as QBO's
/// `LastUpdatedTime` has no fraction).
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 17, 0, 0)
        .single()
        .unwrap_or_default()
}

/// An emulator on a fixed clock with one company, seeded (customers, items,
/// invoices…) when `seed` is true.
pub async fn fixed_clock_emulator(config: EmulatorConfig, seed: bool) -> Emulator {
    let server = TestServer::start_with_clock(config, Clock::fixed(start_time())).await;
    let body = if seed {
        json!({ "seed": 7, "size": 40 })
    } else {
        json!({ "name": "Wire Test Co" })
    };
    Emulator::with_company(server, body).await
}

/// The first `count` objects of an entity type (QBO answers in Id order).
pub async fn first_of(
    client: &QboClient<EmulatorTokens>,
    entity: &str,
    count: usize,
) -> Vec<Value> {
    let answer = client
        .query(&format!("SELECT * FROM {entity} MAXRESULTS {count}"))
        .await
        .unwrap();
    let rows = answer[entity].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), count, "the seed has {count} {entity} objects");
    rows
}

fn text(value: &Value, field: &str) -> String {
    value[field].as_str().unwrap_or_default().to_owned()
}

fn changes(outcome: CdcOutcome) -> CdcResult {
    match outcome {
        CdcOutcome::Changes(result) => result,
        CdcOutcome::TooOld { error, .. } => panic!("CDC refused the window: {error}"),
    }
}

fn ids(changes: &[Change], deleted: bool) -> Vec<String> {
    let mut ids: Vec<String> = changes
        .iter()
        .filter(|change| change.is_deleted() == deleted)
        .map(|change| change.id().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn one_request_sees_creates_updates_and_deletes_across_types() -> Result<(), QboError> {
    let emulator = fixed_clock_emulator(EmulatorConfig::default(), true).await;
    let client = emulator.client();
    let clock = emulator.server.emulator().clock().clone();
    let customers = first_of(&client, "Customer", 2).await;
    let invoices = first_of(&client, "Invoice", 2).await;

    // Everything the seed made is older than the window.
    clock.advance(Duration::minutes(10));
    let changed_since = clock.now();
    clock.advance(Duration::minutes(5));
    let write_time = clock.now();

    let new_customer = client
        .create(
            "Customer",
            &json!({"DisplayName": "CDC New Customer"}),
            &RequestId::new(),
        )
        .await?;
    let updated_customer = client
        .sparse_update(
            "Customer",
            &json!({"Id": customers[0]["Id"], "SyncToken": customers[0]["SyncToken"], "Notes": "changed"}),
            &RequestId::new(),
        )
        .await?;
    let new_vendor = client
        .create(
            "Vendor",
            &json!({"DisplayName": "CDC New Vendor"}),
            &RequestId::new(),
        )
        .await?;
    client
        .sparse_update(
            "Invoice",
            &json!({"Id": invoices[0]["Id"], "SyncToken": invoices[0]["SyncToken"], "PrivateNote": "changed"}),
            &RequestId::new(),
        )
        .await?;
    client
        .delete(
            "Invoice",
            &text(&invoices[1], "Id"),
            &text(&invoices[1], "SyncToken"),
            &RequestId::new(),
        )
        .await?;

    let result = changes(
        client
            .cdc(&["Customer", "Vendor", "Invoice", "Bill"], changed_since)
            .await?,
    );
    assert!(!result.truncated);
    assert_eq!(result.object_count, 5);
    let mut expected_customers = vec![text(&new_customer, "Id"), text(&customers[0], "Id")];
    expected_customers.sort();
    assert_eq!(
        ids(result.changes_of("Customer"), false),
        expected_customers
    );
    assert_eq!(
        ids(result.changes_of("Vendor"), false),
        vec![text(&new_vendor, "Id")]
    );
    assert_eq!(
        ids(result.changes_of("Invoice"), false),
        vec![text(&invoices[0], "Id")]
    );
    assert_eq!(
        ids(result.changes_of("Invoice"), true),
        vec![text(&invoices[1], "Id")]
    );
    assert!(result.changes_of("Bill").is_empty());

    // Upserts carry the whole object as QBO holds it now.
    let customer_change = result
        .changes_of("Customer")
        .iter()
        .find(|change| change.id() == text(&customers[0], "Id"));
    match customer_change {
        Some(Change::Upserted { object, .. }) => {
            assert_eq!(object["Notes"], "changed");
            assert_eq!(object["SyncToken"], updated_customer["SyncToken"]);
            assert_eq!(object["DisplayName"], customers[0]["DisplayName"]);
        }
        other => panic!("the updated customer is missing: {other:?}"),
    }
    // Times are read in UTC whatever the company's offset; the bookmark is
    // the latest change.
    assert!(
        result
            .all_changes()
            .all(|(_, change)| change.last_updated() == Some(write_time))
    );
    assert_eq!(result.latest_update, Some(write_time));
    assert_eq!(result.next_changed_since(), write_time);
    assert_eq!(result.server_time, Some(write_time));

    // Nothing changed after the bookmark but the bookmark itself.
    clock.advance(Duration::minutes(1));
    let later = changes(client.cdc(&["Customer"], clock.now()).await?);
    assert_eq!(later.object_count, 0);
    assert_eq!(later.next_changed_since(), clock.now());
    Ok(())
}

#[tokio::test]
async fn an_answer_at_the_cap_is_truncated_and_the_rest_follows_from_the_bookmark()
-> Result<(), QboError> {
    const CAP: usize = 5;
    let config = EmulatorConfig {
        cdc_max_objects: CAP,
        ..EmulatorConfig::default()
    };
    let emulator = fixed_clock_emulator(config, false).await;
    let client = emulator.client();
    let clock = emulator.server.emulator().clock().clone();
    clock.advance(Duration::minutes(1));
    let changed_since = clock.now();
    let mut created = Vec::new();
    for index in 0..8 {
        clock.advance(Duration::seconds(1));
        let customer = client
            .create(
                "Customer",
                &json!({"DisplayName": format!("Capped {index}")}),
                &RequestId::new(),
            )
            .await?;
        created.push(text(&customer, "Id"));
    }

    let first = changes(
        client
            .cdc_capped(&["Customer", "Vendor"], changed_since, CAP)
            .await?,
    );
    assert!(first.truncated);
    assert_eq!(first.object_count, CAP);
    // The default cap of 1,000 is not reached by the same answer.
    let uncapped = changes(client.cdc(&["Customer", "Vendor"], changed_since).await?);
    assert!(!uncapped.truncated);

    let second = changes(
        client
            .cdc_capped(&["Customer", "Vendor"], first.next_changed_since(), CAP)
            .await?,
    );
    assert!(!second.truncated);
    let mut seen: Vec<String> = first
        .all_changes()
        .chain(second.all_changes())
        .map(|(_, change)| change.id().to_owned())
        .collect();
    seen.sort();
    seen.dedup();
    created.sort();
    assert_eq!(seen, created);
    Ok(())
}

#[tokio::test]
async fn a_window_older_than_thirty_days_is_too_old() -> Result<(), QboError> {
    let emulator = fixed_clock_emulator(EmulatorConfig::default(), false).await;
    let client = emulator.client();
    let clock = emulator.server.emulator().clock().clone();
    let changed_since = clock.now();
    client
        .create(
            "Customer",
            &json!({"DisplayName": "Long Ago"}),
            &RequestId::new(),
        )
        .await?;
    clock.advance(Duration::days(31));

    match client.cdc(&["Customer"], changed_since).await? {
        CdcOutcome::TooOld {
            changed_since: refused,
            error,
        } => {
            assert_eq!(refused, changed_since);
            assert!(error.to_string().contains("30 days"), "{error}");
        }
        CdcOutcome::Changes(result) => panic!("a 31-day window was served: {result:?}"),
    }
    // 29 days back is inside the window (and the change is older than that).
    let recent = changes(
        client
            .cdc(&["Customer"], clock.now() - Duration::days(29))
            .await?,
    );
    assert_eq!(recent.object_count, 0);
    Ok(())
}

#[tokio::test]
async fn an_unknown_entity_is_an_error_not_an_empty_answer() {
    let emulator = fixed_clock_emulator(EmulatorConfig::default(), false).await;
    let client = emulator.client();
    let refused = client.cdc(&["NoSuchThing"], start_time()).await;
    assert!(
        matches!(refused, Err(QboError::Validation { .. })),
        "{refused:?}"
    );
    let empty = client.cdc(&[" "], start_time()).await;
    assert!(
        matches!(empty, Err(QboError::Validation { .. })),
        "{empty:?}"
    );
}

#[tokio::test]
async fn more_than_a_thousand_changes_reach_the_real_cap() -> Result<(), QboError> {
    let emulator = fixed_clock_emulator(EmulatorConfig::default(), false).await;
    let client = emulator.client();
    let clock = emulator.server.emulator().clock().clone();
    clock.advance(Duration::minutes(1));
    let changed_since = clock.now();
    // 34 batches of 30 creates: 1,020 changes.
    for batch in 0..34 {
        let items = (0..30)
            .map(|index| {
                BatchItem::create(
                    format!("c{index}"),
                    "Customer",
                    json!({"DisplayName": format!("Busy {batch}-{index}")}),
                )
            })
            .collect();
        let results = client.batch(items, &RequestId::new()).await?;
        assert!(results.iter().all(|result| result.outcome.is_ok()));
    }
    let result = changes(client.cdc(&["Customer", "Vendor"], changed_since).await?);
    assert_eq!(result.object_count, qbo_client::cdc::CDC_MAX_OBJECTS);
    assert!(result.truncated);
    Ok(())
}
