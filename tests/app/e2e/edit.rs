//! Edit a record in the app and find the change in QuickBooks (the demo
//! company's emulator), after a sync started from the app.

use super::Session;
use super::emulator::QuickBooks;

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
    app.wait_for_text("record-state", "Pending").await;
    app.click("status-pending").await;
    app.element("pending-operation").await;
    app.screenshot("edit-02-pending-changes").await;
    app.click("pending-close").await;

    app.click("nav-companies").await;
    app.click("sync-now").await;
    app.wait_for_text("sync-report", "1 sent").await;
    app.screenshot("edit-03-synced").await;

    let quickbooks = QuickBooks::of(&app).await;
    app.screenshot("edit-04-settings").await;
    let invoices = quickbooks
        .query("SELECT * FROM Invoice MAXRESULTS 1000", "Invoice")
        .await;
    assert!(
        invoices
            .iter()
            .any(|invoice| invoice["PrivateNote"] == MEMO),
        "the edited memo is in QuickBooks"
    );
    app.close().await;
}
