//! Try the demo company: one click from the welcome screen to a finished
//! first sync against the embedded emulator.

use super::Session;

#[tokio::test]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver; `cargo xtask test` runs it"]
async fn trying_the_demo_company_finishes_the_first_sync() {
    let app = Session::start_with_env("demo", &[("LEDGERLINK_DEMO_SIZE", "40")]).await;
    app.wait_for_text("welcome-try-demo", "Try the demo company")
        .await;
    app.screenshot("demo-01-welcome").await;
    app.click("welcome-try-demo").await;
    let report = app.wait_for_text("sync-report", "Done:").await;
    assert!(
        report.contains("from QuickBooks"),
        "the report says what came from QuickBooks: {report}"
    );
    let pulled: u64 = report
        .split_whitespace()
        .find_map(|word| word.parse().ok())
        .unwrap_or(0);
    assert!(pulled > 0, "the first sync brought records: {report}");
    let state = app.text("status-state").await;
    assert_eq!(state, "Connected");
    let last_sync = app.text("company-last-sync").await;
    assert_ne!(last_sync, "never", "the company shows when it last synced");
    app.wait_for_content("[data-testid=status-bar]", "Demo company: synced")
        .await;
    app.screenshot("demo-02-first-sync-done").await;
    app.close().await;
}
