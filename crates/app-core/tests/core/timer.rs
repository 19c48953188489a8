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
