//! Dates and CDC windows do not depend on the machine's time zone.
//!
//! The client reads no clock and no zone: every instant is UTC or carries
//! its offset, and a calendar date (`TxnDate`) is a date. These tests prove
//! it by running the date and CDC tests again in child processes whose
//! time zone is not UTC, one of them with daylight saving time, and by a
//! CDC read across both daylight-saving changes of the year.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use chrono::{DateTime, Duration, Local, Offset, TimeZone, Utc};
use qbo_client::{CdcOutcome, QboError, RequestId};
use qbo_emulator::clock::Clock;
use qbo_emulator::{EmulatorConfig, TestServer};
use serde_json::json;

use crate::support::Emulator;

/// Set in a child process: the zone it was started under (POSIX TZ rules,
/// which need no zone database), and its offset in January and in July.
const CHILD_ZONE: &str = "LEDGERLINK_TEST_TZ";

/// US Eastern with its daylight-saving rule, and a zone 5:45 east of UTC.
const ZONES: &[(&str, i32, i32)] = &[
    ("EST5EDT,M3.2.0,M11.1.0", -5 * 3600, -4 * 3600),
    ("<+0545>-5:45", 5 * 3600 + 45 * 60, 5 * 3600 + 45 * 60),
];

#[test]
fn the_date_and_cdc_tests_pass_in_other_time_zones() {
    if std::env::var_os(CHILD_ZONE).is_some() {
        // Already in a child: the parent runs the zones.
        return;
    }
    for (zone, _, _) in ZONES {
        let output = Command::new(std::env::current_exe().unwrap())
            .env("TZ", zone)
            .env(CHILD_ZONE, zone)
            // The CDC tests, the entity model's dates, and this module's;
            // not the thousand-change cap test, which is about counts and
            // would double the binary's time for nothing a zone changes.
            .args(["cdc::", "model::", "time_zones::", "--test-threads", "2"])
            .args(["--skip", "more_than_a_thousand_changes"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "under TZ={zone}:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let passed: usize = stdout
            .lines()
            .filter_map(|line| line.strip_prefix("test result: ok. "))
            .filter_map(|rest| rest.split(' ').next()?.parse::<usize>().ok())
            .sum();
        assert!(passed >= 10, "too few tests ran under TZ={zone}:\n{stdout}");
        assert!(
            stdout.contains("the_process_runs_in_the_zone_it_was_given ... ok"),
            "{stdout}"
        );
    }
}

/// In a child, the zone really is in force (so the other tests there ran
/// under it); in the parent, nothing to check.
#[test]
fn the_process_runs_in_the_zone_it_was_given() {
    let Ok(zone) = std::env::var(CHILD_ZONE) else {
        return;
    };
    let (_, winter, summer) = ZONES.iter().find(|(name, _, _)| *name == zone).unwrap();
    let offset_at = |month| {
        Local
            .from_utc_datetime(
                &Utc.with_ymd_and_hms(2026, month, 15, 12, 0, 0)
                    .unwrap()
                    .naive_utc(),
            )
            .offset()
            .fix()
            .local_minus_utc()
    };
    assert_eq!(offset_at(1), *winter);
    assert_eq!(offset_at(7), *summer);
}

/// One write just before and one just after `instant`; a CDC read from
/// between them sees only the second, and reports UTC times.
async fn cdc_across(instant: DateTime<Utc>) -> Result<(), QboError> {
    // A company in US Eastern standard time, as QBO writes its times.
    let config = EmulatorConfig {
        utc_offset_minutes: -5 * 60,
        ..EmulatorConfig::default()
    };
    let clock = Clock::fixed(instant - Duration::minutes(30));
    let server = TestServer::start_with_clock(config, clock.clone()).await;
    let emulator = Emulator::with_company(server, json!({ "name": "DST Books" })).await;
    let client = emulator.client();
    let before = client
        .create(
            "Customer",
            &json!({"DisplayName": "Before the change"}),
            &RequestId::new(),
        )
        .await?;
    clock.advance(Duration::minutes(20));
    let changed_since = clock.now();
    // Across the change: one wall-clock hour is skipped or repeated there.
    clock.advance(Duration::minutes(40));
    let write_time = clock.now();
    let after = client
        .sparse_update(
            "Customer",
            &json!({"Id": before["Id"], "SyncToken": before["SyncToken"], "Notes": "after"}),
            &RequestId::new(),
        )
        .await?;
    let second = client
        .create(
            "Vendor",
            &json!({"DisplayName": "After the change"}),
            &RequestId::new(),
        )
        .await?;
    let result = match client.cdc(&["Customer", "Vendor"], changed_since).await? {
        CdcOutcome::Changes(result) => result,
        CdcOutcome::TooOld { error, .. } => panic!("CDC refused the window: {error}"),
    };
    assert_eq!(result.object_count, 2);
    assert_eq!(
        result.changes_of("Customer")[0].id(),
        after["Id"].as_str().unwrap()
    );
    assert_eq!(
        result.changes_of("Vendor")[0].id(),
        second["Id"].as_str().unwrap()
    );
    assert!(
        result
            .all_changes()
            .all(|(_, change)| change.last_updated() == Some(write_time))
    );
    assert_eq!(result.next_changed_since(), write_time);
    // A read from after both writes sees nothing.
    clock.advance(Duration::minutes(1));
    let later = match client.cdc(&["Customer", "Vendor"], clock.now()).await? {
        CdcOutcome::Changes(result) => result,
        CdcOutcome::TooOld { error, .. } => panic!("CDC refused the window: {error}"),
    };
    assert_eq!(later.object_count, 0);
    Ok(())
}

#[tokio::test]
async fn cdc_reads_across_the_spring_daylight_saving_change() -> Result<(), QboError> {
    // 2026-03-08 02:00 in US Eastern, when clocks jump to 03:00.
    cdc_across(Utc.with_ymd_and_hms(2026, 3, 8, 7, 0, 0).unwrap()).await
}

#[tokio::test]
async fn cdc_reads_across_the_autumn_daylight_saving_change() -> Result<(), QboError> {
    // 2026-11-01 02:00 in US Eastern, when clocks fall back to 01:00.
    cdc_across(Utc.with_ymd_and_hms(2026, 11, 1, 6, 0, 0).unwrap()).await
}
