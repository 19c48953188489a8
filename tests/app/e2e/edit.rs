//! Edit a record in the app and find the change in QuickBooks (the demo
//! company's emulator), after a sync started from the app.

use serde_json::{Value, json};

use super::Session;

const MEMO: &str = "Checked by the accountant in the app";

#[tokio::test]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver; `cargo xtask test` runs it"]
async fn an_edit_made_in_the_app_reaches_quickbooks() {
    let app = Session::start_with_env("edit", &[("LEDGERLINK_DEMO_SIZE", "40")]).await;
    app.click("welcome-try-demo").await;
    app.wait_for_text("sync-report", "Done:").await;

    app.click("nav-records").await;
    // WebKitWebDriver refuses to click a table row, so the row's own click
    // handler is run from the page.
    app.element("records-row").await;
    app.script("document.querySelector('[data-testid=records-row]').click(); return true;")
        .await;
    let memo = app.element("field-PrivateNote").await;
    memo.clear().await.expect("the memo can be cleared");
    memo.send_keys(MEMO).await.expect("the memo takes typing");
    app.screenshot("edit-01-record-edited").await;
    app.click("record-save").await;
    app.wait_for_text("record-saved", "next sync").await;
    app.wait_for_text("record-state", "pending").await;

    app.click("nav-companies").await;
    app.click("sync-now").await;
    app.wait_for_text("sync-report", "1 sent").await;
    app.screenshot("edit-02-synced").await;

    app.click("nav-settings").await;
    let web_view = app.text("settings-demo-address").await;
    let base = web_view.trim_end_matches("/_emulator/web/").to_owned();
    app.screenshot("edit-03-settings").await;
    let invoices = emulator_invoices(&base).await;
    assert!(
        invoices
            .iter()
            .any(|invoice| invoice["PrivateNote"] == MEMO),
        "the edited memo is in QuickBooks"
    );
    app.close().await;
}

/// Every invoice of the demo company, read as "the client in QuickBooks".
async fn emulator_invoices(base: &str) -> Vec<Value> {
    let http = reqwest::Client::new();
    let companies: Value = http
        .get(format!("{base}/_emulator/companies"))
        .send()
        .await
        .expect("the emulator answers")
        .json()
        .await
        .expect("a company list");
    let realm = companies["companies"]
        .as_array()
        .and_then(|list| list.first())
        .and_then(|company| company["realm_id"].as_str())
        .expect("the demo company")
        .to_owned();
    let minted: Value = http
        .post(format!("{base}/_emulator/tokens"))
        .json(&json!({ "realm_id": realm }))
        .send()
        .await
        .expect("a token")
        .json()
        .await
        .expect("a token response");
    let token = minted["access_token"].as_str().expect("an access token");
    let answer: Value = http
        .post(format!("{base}/v3/company/{realm}/query?minorversion=75"))
        .bearer_auth(token)
        .header("Content-Type", "application/text")
        .header("Accept", "application/json")
        .body("SELECT * FROM Invoice MAXRESULTS 1000")
        .send()
        .await
        .expect("the query is answered")
        .json()
        .await
        .expect("a query response");
    answer["QueryResponse"]["Invoice"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}
