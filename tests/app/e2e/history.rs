//! The history lists what a sync sent, and undoing a pushed edit puts
//! QuickBooks back the way it was.

use super::Session;
use super::emulator::{demo_with_first_invoice, open_by_number};

const MEMO: &str = "A memo to be undone";

#[tokio::test]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver; `cargo xtask test` runs it"]
async fn a_pushed_edit_is_undone_from_the_history() {
    let app = Session::start_with_env("history", &[("LEDGERLINK_DEMO_SIZE", "40")]).await;
    let (quickbooks, invoice) = demo_with_first_invoice(&app).await;
    let id = invoice["Id"].as_str().expect("an id").to_owned();
    let number = invoice["DocNumber"].as_str().expect("a number").to_owned();
    let original = invoice["PrivateNote"].clone();

    open_by_number(&app, &number).await;
    let memo = app.element("field-PrivateNote").await;
    memo.clear().await.expect("the memo can be cleared");
    memo.send_keys(MEMO).await.expect("the memo takes typing");
    app.click("record-save").await;
    app.wait_for_text("record-state", "Pending").await;
    app.click("nav-companies").await;
    app.click("sync-now").await;
    app.wait_for_text("sync-report", "1 sent").await;
    assert_eq!(quickbooks.read("Invoice", &id).await["PrivateNote"], MEMO);

    app.click("nav-history").await;
    app.element("history-row").await;
    app.screenshot("history-01-list").await;
    app.click("history-toggle").await;
    app.element("history-diff").await;
    app.screenshot("history-02-diff").await;
    app.click("history-undo").await;
    app.element("confirm-ok").await;
    app.screenshot("history-03-confirm").await;
    app.click("confirm-ok").await;
    app.element("history-undone").await;
    app.screenshot("history-04-undone").await;

    app.click("nav-companies").await;
    app.click("sync-now").await;
    app.wait_for_text("sync-report", "1 sent").await;
    let restored = quickbooks.read("Invoice", &id).await;
    assert_eq!(
        restored["PrivateNote"], original,
        "QuickBooks has the memo from before the edit again"
    );
    app.close().await;
}
