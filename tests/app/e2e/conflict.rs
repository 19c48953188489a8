//! One invoice edited both in QuickBooks and in the app: the conflict is
//! resolved field by field in the side-by-side view and both sides agree.

use serde_json::json;

use super::Session;
use super::emulator::{demo_with_first_invoice, open_by_number};

#[tokio::test]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver; `cargo xtask test` runs it"]
async fn a_conflict_is_resolved_field_by_field_and_both_sides_agree() {
    let app = Session::start_with_env("conflict", &[("LEDGERLINK_DEMO_SIZE", "40")]).await;
    let (quickbooks, invoice) = demo_with_first_invoice(&app).await;
    let id = invoice["Id"].as_str().expect("an id").to_owned();
    let number = invoice["DocNumber"].as_str().expect("a number").to_owned();

    // In the app: the number and the memo change.
    open_by_number(&app, &number).await;
    app.click("record-edit").await;
    let number_field = app.element("field-DocNumber").await;
    number_field
        .clear()
        .await
        .expect("the number can be cleared");
    number_field
        .send_keys("APP-7")
        .await
        .expect("the number takes typing");
    let memo = app.element("field-PrivateNote").await;
    memo.clear().await.expect("the memo can be cleared");
    memo.send_keys("Memo from the app")
        .await
        .expect("the memo takes typing");
    app.screenshot("conflict-01-edited-in-the-app").await;
    app.click("record-save").await;
    app.wait_for_text("record-state", "Pending").await;

    // Meanwhile in QuickBooks: the same two fields, differently.
    quickbooks
        .edit(
            "Invoice",
            &id,
            json!({ "DocNumber": "QB-7", "PrivateNote": "Memo from QuickBooks" }),
        )
        .await;

    app.click("nav-companies").await;
    app.click("sync-now").await;
    app.wait_for_text("sync-report", "conflict").await;
    app.screenshot("conflict-02-found").await;

    app.click("nav-conflicts").await;
    app.element("conflicts-row").await;
    app.script("document.querySelector('[data-testid=conflicts-row]').click(); return true;")
        .await;
    app.element("conflict-view").await;
    app.screenshot("conflict-03-side-by-side").await;
    // QuickBooks' number, the app's memo.
    app.click("choice-DocNumber-remote").await;
    app.click("choice-PrivateNote-local").await;
    app.screenshot("conflict-04-chosen").await;
    app.click("conflict-apply").await;
    app.element("conflict-resolved").await;
    app.screenshot("conflict-05-resolved").await;

    app.click("nav-companies").await;
    app.click("sync-now").await;
    app.wait_for_text("sync-report", "1 sent").await;

    let agreed = quickbooks.read("Invoice", &id).await;
    assert_eq!(agreed["DocNumber"], "QB-7", "QuickBooks' number was kept");
    assert_eq!(
        agreed["PrivateNote"], "Memo from the app",
        "the app's memo reached QuickBooks"
    );
    open_by_number(&app, "QB-7").await;
    app.wait_for_text("record-state", "Synced").await;
    let memo = app.attribute("field-PrivateNote", "value").await;
    assert_eq!(memo.as_deref(), Some("Memo from the app"));
    app.screenshot("conflict-06-agreed").await;
    app.close().await;
}
