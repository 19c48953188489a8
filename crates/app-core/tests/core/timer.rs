//! The timer: a connected company syncs on its own at its interval, pulling
//! what changed in QuickBooks and sending what was saved here.

use std::time::Duration;

use serde_json::json;

use crate::support::{demo_query, invoices, open_with};

#[tokio::test]
async fn a_connected_company_syncs_on_its_own_at_its_interval() {
    // A "minute" of 20 ms: the default interval of 15 minutes is 0.3 s.
    let opened = open_with(|options| {
        options.timers = true;
        options.minute = Duration::from_millis(20);
    })
    .await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    let realm = demo.realm_id.clone().unwrap();

    let synced = wait_for(|| async {
        core.list_companies().await.unwrap()[0]
            .last_sync_at
            .is_some()
    })
    .await;
    assert!(synced, "the timer ran the first sync without being asked");

    // A memo saved here reaches QuickBooks with a later tick.
    let page = core.list_records(&demo.id, invoices()).await.unwrap();
    let row = &page.rows[0];
    let detail = core.get_record(&demo.id, &row.local_id).await.unwrap();
    let mut object = detail.local.clone().unwrap();
    object["PrivateNote"] = json!("Sent by the timer");
    core.save_record(&demo.id, Some(&row.local_id), "Invoice", object)
        .await
        .unwrap();
    let id = detail.row.qbo_id.clone().unwrap();
    let arrived = wait_for(|| async {
        let answer = demo_query(
            core,
            &realm,
            &format!("SELECT * FROM Invoice WHERE Id = '{id}'"),
        )
        .await;
        answer["QueryResponse"]["Invoice"][0]["PrivateNote"] == "Sent by the timer"
    })
    .await;
    assert!(arrived, "a scheduled sync sent the edit");
}

/// Polls for up to ten seconds.
pub async fn wait_for<F, Fut>(check: F) -> bool
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn a_sync_asked_for_while_another_runs_here_waits_its_turn_and_runs() {
    let opened = crate::support::open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let page = core.list_records(&demo.id, invoices()).await.unwrap();
    let row = &page.rows[0];
    // The next request QuickBooks gets (the running sync's pull) is held
    // for 1.5 s, so the second sync is asked for while the first runs.
    let base = core.demo_address().await.unwrap();
    let armed = reqwest::Client::new()
        .post(format!("{base}/_emulator/faults"))
        .json(&json!({ "kind": "timeout", "path": "/v3/company/*", "hold_ms": 1500, "count": 1 }))
        .send()
        .await
        .unwrap();
    assert!(armed.status().is_success(), "{}", armed.status());
    let (first, second) = tokio::join!(core.sync_now(&demo.id, |_| {}), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Saved while the first sync waits for QuickBooks, after its push
        // list was read or before: either way the sync asked for next sends it.
        core.patch_record(
            &demo.id,
            &row.local_id,
            json!({"PrivateNote": "Sent in turn"}),
        )
        .await
        .unwrap();
        core.sync_now(&demo.id, |_| {}).await
    });
    first.unwrap();
    // Before, the second was refused as "already syncing".
    second.unwrap();
    let id = row.qbo_id.clone().unwrap();
    let answer = demo_query(
        core,
        demo.realm_id.as_deref().unwrap(),
        &format!("SELECT * FROM Invoice WHERE Id = '{id}'"),
    )
    .await;
    assert_eq!(
        answer["QueryResponse"]["Invoice"][0]["PrivateNote"],
        "Sent in turn"
    );
}
