//! The Companies page's charts: each day's sync activity is what that day's
//! syncs did against the emulator, and the receivables and payables are the
//! open and overdue balances QuickBooks holds.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde_json::json;

use crate::overview::open_in_quickbooks;
use crate::support::{demo_write, invoices, open_with};

/// What the chart must show for one day: syncs, failed, pulled, pushed, conflicts.
type Expected = (u32, u32, u64, u64, u64);

#[tokio::test]
async fn each_days_activity_is_what_that_days_syncs_did_and_old_syncs_are_pruned() {
    // The core's clock is a parameter: the syncs of this test happen on
    // days of the past month, the last one today.
    let today = Utc::now();
    let clock = Arc::new(Mutex::new(today - Duration::days(40)));
    let at = {
        let clock = Arc::clone(&clock);
        move |time: DateTime<Utc>| *clock.lock().unwrap() = time
    };
    let opened = open_with({
        let clock = Arc::clone(&clock);
        move |options| options.clock = Arc::new(move || *clock.lock().unwrap())
    })
    .await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    let realm = demo.realm_id.clone().unwrap();
    let mut expected: std::collections::BTreeMap<String, Expected> = Default::default();
    let mut count = |time: DateTime<Utc>, failed: bool, report: Option<&app_core::SyncReport>| {
        let day = expected.entry(time.date_naive().to_string()).or_default();
        day.0 += 1;
        day.1 += u32::from(failed);
        if let Some(report) = report {
            day.2 += report.pulled;
            day.3 += report.pushed;
            day.4 += report.conflicts_opened;
        }
    };

    // 40 days ago: the first sync pulls the whole demo. It is older than
    // the chart and is pruned once a later sync is recorded.
    let first = core.sync_now(&demo.id, |_| {}).await.unwrap();
    assert!(
        first.pulled > 20,
        "the first sync pulls the demo: {first:?}"
    );

    // 10 days ago: a change made in QuickBooks is pulled, and a local edit
    // pushed, in two syncs of the same day.
    let ten_days_ago = today - Duration::days(10);
    at(ten_days_ago);
    let page = core.list_records(&demo.id, invoices()).await.unwrap();
    let (one, other) = (&page.rows[0], &page.rows[1]);
    let remote = core
        .get_record(&demo.id, &one.local_id)
        .await
        .unwrap()
        .remote
        .unwrap();
    demo_write(
        core,
        &realm,
        "invoice",
        json!({"Id": remote["Id"], "SyncToken": remote["SyncToken"], "sparse": true, "PrivateNote": "Changed in QuickBooks"}),
    )
    .await;
    let pulled = core.sync_now(&demo.id, |_| {}).await.unwrap();
    assert_eq!((pulled.pulled, pulled.pushed), (1, 0), "{pulled:?}");
    count(ten_days_ago, false, Some(&pulled));
    core.patch_record(
        &demo.id,
        &other.local_id,
        json!({"PrivateNote": "Sent from here"}),
    )
    .await
    .unwrap();
    let pushed = core.sync_now(&demo.id, |_| {}).await.unwrap();
    assert_eq!(pushed.pushed, 1, "{pushed:?}");
    count(ten_days_ago, false, Some(&pushed));

    // 2 days ago: the same memo edited on both sides opens a conflict.
    let two_days_ago = today - Duration::days(2);
    at(two_days_ago);
    let detail = core.get_record(&demo.id, &other.local_id).await.unwrap();
    let remote = detail.remote.clone().unwrap();
    core.patch_record(&demo.id, &other.local_id, json!({"PrivateNote": "Ours"}))
        .await
        .unwrap();
    demo_write(
        core,
        &realm,
        "invoice",
        json!({"Id": remote["Id"], "SyncToken": remote["SyncToken"], "sparse": true, "PrivateNote": "Theirs"}),
    )
    .await;
    let conflicted = core.sync_now(&demo.id, |_| {}).await.unwrap();
    assert_eq!(conflicted.conflicts_opened, 1, "{conflicted:?}");
    count(two_days_ago, false, Some(&conflicted));

    // Today: the receivables and payables are read before QuickBooks is
    // made to fail, then one sync fails and counts as a failed sync.
    at(today);
    let mut open_in_qbo = Vec::new();
    for entity in ["Invoice", "Bill"] {
        open_in_qbo.push(open_in_quickbooks(core, &realm, entity, today.date_naive()).await);
    }
    let base = core.demo_address().await.unwrap();
    let armed = reqwest::Client::new()
        .post(format!("{base}/_emulator/faults"))
        .json(&json!({"kind": "xml_fault", "path": "/v3/company/*", "status": 400, "code": "5000", "message": "Something went wrong", "count": 20}))
        .send()
        .await
        .unwrap();
    assert!(armed.status().is_success(), "{}", armed.status());
    core.sync_now(&demo.id, |_| {}).await.unwrap_err();
    count(today, true, None);

    let charts = core.company_charts(&demo.id, 0).await.unwrap();
    assert_eq!(charts.company_id, demo.id);
    assert_eq!(charts.days.len(), 30);
    assert_eq!(
        charts.days.last().unwrap().date,
        today.date_naive().to_string()
    );
    assert_eq!(
        charts.days[0].date,
        (today - Duration::days(29)).date_naive().to_string()
    );
    for day in &charts.days {
        let (syncs, failed, pulled, pushed, conflicts) =
            expected.get(&day.date).copied().unwrap_or_default();
        assert_eq!(
            (
                day.syncs,
                day.failed_syncs,
                u64::from(day.pulled),
                u64::from(day.pushed),
                u64::from(day.conflicts)
            ),
            (syncs, failed, pulled, pushed, conflicts),
            "{}",
            day.date
        );
    }
    let shown: u32 = charts.days.iter().map(|day| day.syncs).sum();
    assert_eq!(shown, 4, "the first sync, 40 days ago, is not in the chart");

    // The first sync was pruned from the store, not only left off: a chart
    // seen from 40 days ago is empty.
    at(today - Duration::days(40));
    let then = core.company_charts(&demo.id, 0).await.unwrap();
    assert!(
        then.days.iter().all(|day| day.syncs == 0),
        "{:?}",
        then.days
    );
    at(today);

    // The receivables and payables: open and overdue, as QuickBooks holds them.
    for (open, (count, total, overdue, overdue_total)) in
        [&charts.open_invoices, &charts.unpaid_bills]
            .into_iter()
            .zip(open_in_qbo)
    {
        assert!(
            count > 0 && overdue > 0,
            "the demo has open and overdue documents"
        );
        assert_eq!(open.count, count);
        assert_eq!(open.total.parse::<Decimal>().unwrap(), total);
        assert_eq!(open.overdue_count, overdue);
        assert_eq!(
            open.overdue_total.parse::<Decimal>().unwrap(),
            overdue_total
        );
    }
}

#[tokio::test]
async fn days_follow_the_users_time_zone_and_a_wrong_one_is_refused() {
    // 23:00 UTC: already tomorrow at UTC+2.
    let late = Utc::now()
        .date_naive()
        .and_hms_opt(23, 0, 0)
        .unwrap()
        .and_utc();
    let opened = open_with(move |options| options.clock = Arc::new(move || late)).await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();

    let utc = core.company_charts(&demo.id, 0).await.unwrap();
    assert_eq!(utc.days.last().unwrap().date, late.date_naive().to_string());
    assert_eq!(utc.days.last().unwrap().syncs, 1);
    let east = core.company_charts(&demo.id, 120).await.unwrap();
    let tomorrow = (late + Duration::days(1)).date_naive().to_string();
    assert_eq!(east.days.last().unwrap().date, tomorrow);
    assert_eq!(east.days.last().unwrap().syncs, 1);
    assert_eq!(east.days[28].syncs, 0);

    let error = core.company_charts(&demo.id, 15 * 60).await.unwrap_err();
    assert_eq!(error.kind(), "invalid");
    let error = core.company_charts("nope", 0).await.unwrap_err();
    assert_eq!(error.kind(), "unknown_company");
}
