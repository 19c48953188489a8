//! The Companies page's charts of a company: its sync activity over 30 days
//! and its receivables and payables, at both window sizes and in both
//! themes, with the numbers the syncs really reported.

use std::time::Duration;

use super::Session;

/// The first number in `text` after `marker`: "Done: 42 from QuickBooks" → 42.
fn number_after(text: &str, marker: &str) -> u64 {
    text.split(marker)
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|word| word.parse().ok())
        .unwrap_or_else(|| panic!("no number after {marker:?} in {text:?}"))
}

/// Waits until the chart's aria-label (its summary) contains `expected`.
async fn wait_for_summary(app: &Session, test_id: &str, expected: &str) -> String {
    for _ in 0..300 {
        if let Some(label) = app.attribute(test_id, "aria-label").await
            && label.contains(expected)
        {
            return label;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.screenshot("failure").await;
    panic!(
        "{test_id} never said {expected:?}: {:?}",
        app.attribute(test_id, "aria-label").await
    );
}

/// Brings the company's charts into view, as a person scrolling would.
async fn scroll_to_charts(app: &Session) {
    // Scrolling is not a click; WebDriver has no scroll command of its own.
    app.script(
        "document.querySelector('[data-testid^=\"company-charts-\"]').scrollIntoView({block: 'center'});",
    )
    .await;
}

#[tokio::test]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver; `cargo xtask test` runs it"]
async fn the_companies_page_charts_each_companys_syncs_and_balances() {
    let app = Session::start_with_env(
        "charts",
        &[("LEDGERLINK_DEMO_SIZE", "40"), ("GTK_THEME", "Adwaita")],
    )
    .await;
    app.resize(1280, 800).await;
    app.wait_for_text("welcome-try-demo", "Try the demo company")
        .await;
    app.click("welcome-try-demo").await;
    let report = app.wait_for_text("sync-report", "Done:").await;
    let first_pulled = number_after(&report, "Done:");
    assert!(first_pulled > 0, "{report}");

    // One sync today, with what it reported.
    let activity = wait_for_summary(&app, "charts-activity", "1 sync in the last 30 days").await;
    assert!(
        activity.contains(&format!("{first_pulled} changes pulled, 0 pushed")),
        "{activity}"
    );
    let balances = app
        .attribute("charts-balances", "aria-label")
        .await
        .unwrap_or_default();
    assert!(
        balances.starts_with("Receivables: ") && balances.contains("overdue"),
        "{balances}"
    );

    // A second sync adds to today.
    let id = app
        .script(
            "return document.querySelector('[data-testid^=\"company-charts-\"]').dataset.testid.slice('company-charts-'.length);",
        )
        .await;
    let id = id.as_str().unwrap_or_default().to_owned();
    app.click(&format!("company-sync-{id}")).await;
    wait_for_summary(&app, "charts-activity", "2 syncs in the last 30 days").await;

    scroll_to_charts(&app).await;
    app.screenshot("charts-01-light-1280x800").await;
    app.click("charts-activity-show-table").await;
    app.click("charts-balances-show-table").await;
    let table = app.text("charts-activity-table").await;
    assert!(table.contains(&first_pulled.to_string()), "{table}");
    scroll_to_charts(&app).await;
    app.screenshot("charts-02-tables-1280x800").await;

    app.resize(1024, 700).await;
    scroll_to_charts(&app).await;
    app.screenshot("charts-03-light-1024x700").await;

    // The dark theme, pinned in Settings: the charts are drawn in its colours.
    app.click("nav-settings").await;
    app.click("settings-theme-dark").await;
    app.click("nav-companies").await;
    wait_for_summary(&app, "charts-activity", "2 syncs").await;
    scroll_to_charts(&app).await;
    app.screenshot("charts-04-dark-1024x700").await;
    app.resize(1280, 800).await;
    scroll_to_charts(&app).await;
    app.screenshot("charts-05-dark-1280x800").await;
    app.close().await;
}
