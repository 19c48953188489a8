//! The accountant's cockpit with several client companies: the home table
//! puts the company that needs attention first and its numbers are the
//! companies' real ones; "Sync all" brings every company up to date through
//! a visible queue; Pending changes shows before → after and a held item
//! stays out of the push; the palette opens a record by its number; a
//! refused push reads in plain words with its button; and closing the
//! window leaves the app running in the tray, where its timer still syncs.
//!
//! The companies live in one emulator behind a relay on loopback, and are
//! connected with "Connect QuickBooks" as a user does it. The consent in
//! the "browser" is done over HTTP by the scenario (see
//! `Intuit::consent_over_http`); the relay scenario shows the same pages in
//! a real browser.
//!
//! One app session serves every check of the three-company scenario, each
//! check with its own time limit; the tray scenario has a session of its own
//! with a short timer minute.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use fantoccini::key::Key;
use serde_json::{Value, json};

use super::Session;
use super::emulator::QuickBooks;
use super::relay::{Intuit, browser_script, nth_opened_address};

/// Three small companies: "Sync all" runs two at a time, so the third one
/// is seen waiting.
const SEEDS: [(u64, usize); 3] = [(31, 40), (32, 40), (33, 40)];

/// The two sizes every screen is shot at: the usual laptop window and the
/// smallest window the app is made for.
const SIZES: [(u32, u32); 2] = [(1280, 800), (1024, 700)];

/// Runs one check with its own time limit, failing fast with `what`, and
/// prints how long it took.
async fn check(what: &str, limit: Duration, body: impl Future<Output = ()>) {
    let started = tokio::time::Instant::now();
    if tokio::time::timeout(limit, body).await.is_err() {
        panic!("[cockpit] {what}: not done within {limit:?}");
    }
    eprintln!("[cockpit] {what}: {:.1?}", started.elapsed());
}

/// Screenshots the window at both sizes, ending at the larger one.
async fn shots(app: &Session, name: &str) {
    for (width, height) in SIZES {
        app.resize(width, height).await;
        app.screenshot(&format!("{name}-{width}x{height}")).await;
    }
    app.resize(SIZES[0].0, SIZES[0].1).await;
}

/// The app with every company of `intuit` connected through the relay and
/// synced once. Returns the app's company id of each, in `intuit`'s order.
async fn connect_all(app: &Session, intuit: &Intuit, browser: &Path) -> Vec<String> {
    let mut ids = Vec::new();
    for (index, (realm, name)) in intuit.companies.iter().enumerate() {
        app.click("nav-companies").await;
        // The last report is marked, so that the new company's first sync
        // is not mistaken for the one before.
        app.script(
            "document.querySelector('[data-testid=sync-report]')?.setAttribute('data-old', 'yes'); return true;",
        )
        .await;
        let welcome = app
            .script("return document.querySelector('[data-testid=welcome-connect]') !== null;")
            .await;
        if welcome != Value::Bool(true) {
            app.click("company-add").await;
        }
        app.click("welcome-connect").await;
        let start = nth_opened_address(browser, index).await;
        intuit.consent_over_http(&start, realm).await;
        let report = app
            .wait_for_selector("[data-testid=sync-report]:not([data-old])")
            .await
            .text()
            .await
            .unwrap_or_default();
        assert!(
            report.contains("Done:"),
            "{name}'s first sync finished: {report}"
        );
        app.wait_for_content("[data-testid=overview-table]", name)
            .await;
        let id = app
            .script(&format!(
                "const row = Array.from(document.querySelectorAll('[data-testid^=overview-row-]')) \
                 .find((row) => row.querySelector('th').textContent.includes({})); \
                 return row ? row.dataset.testid.slice('overview-row-'.length) : null;",
                Value::String(name.clone())
            ))
            .await;
        let id = id
            .as_str()
            .unwrap_or_else(|| panic!("{name} has a row in the home table"))
            .to_owned();
        app.wait_for_text(&format!("overview-state-{id}"), "In sync")
            .await;
        ids.push(id);
    }
    ids
}

/// The app's company ids in the order the home table shows them.
async fn table_order(app: &Session) -> Vec<String> {
    let order = app
        .script(
            "return Array.from(document.querySelectorAll('[data-testid^=overview-row-]')) \
             .map((row) => row.dataset.testid.slice('overview-row-'.length));",
        )
        .await;
    order
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(|id| id.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// An amount in cents from the exact digits QuickBooks wrote.
fn cents(amount: &Value) -> i64 {
    let text = amount.to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let fraction = format!("{fraction:0<2}");
    let whole: i64 = whole.parse().expect("a whole amount");
    let fraction: i64 = fraction[..2].parse().expect("cents");
    whole * 100 + if whole < 0 { -fraction } else { fraction }
}

/// Cents as the app writes an amount: grouped thousands, two decimals.
fn grouped(cents: i64) -> String {
    let whole = (cents / 100).to_string();
    let mut out = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    format!("{out}.{:02}", cents % 100)
}

/// The open invoices of a company as QuickBooks has them: count and total
/// of what is left to pay.
async fn open_invoices(quickbooks: &QuickBooks) -> (usize, i64) {
    let invoices = quickbooks
        .query("SELECT * FROM Invoice MAXRESULTS 1000", "Invoice")
        .await;
    let open: Vec<i64> = invoices
        .iter()
        .map(|invoice| cents(&invoice["Balance"]))
        .filter(|balance| *balance > 0)
        .collect();
    (open.len(), open.iter().sum())
}

/// The first invoices of a company in QuickBooks that have a number.
async fn numbered_invoices(quickbooks: &QuickBooks, count: usize) -> Vec<Value> {
    let invoices: Vec<Value> = quickbooks
        .query("SELECT * FROM Invoice ORDERBY Id MAXRESULTS 50", "Invoice")
        .await
        .into_iter()
        .filter(|invoice| invoice["DocNumber"].as_str().is_some())
        .take(count)
        .collect();
    assert_eq!(invoices.len(), count, "the company has numbered invoices");
    invoices
}

fn number(invoice: &Value) -> String {
    invoice["DocNumber"]
        .as_str()
        .expect("a numbered invoice")
        .to_owned()
}

/// Opens a company from the home table by its name (a WebDriver click on
/// the name's button) and waits for its records.
async fn open_company(app: &Session, id: &str) {
    app.click("nav-companies").await;
    app.click(&format!("overview-open-{id}")).await;
    app.element("records-total").await;
}

/// Finds the invoice numbered `number` in Records and opens it. The list
/// is searched until it holds that one record (the search runs once typing
/// pauses, and the rows before it are the unfiltered ones).
async fn open_by_number(app: &Session, number: &str) {
    app.click("nav-records").await;
    // The home table's "open invoices" leaves the list on open ones only.
    if app
        .attribute("records-open-only", "aria-pressed")
        .await
        .as_deref()
        == Some("true")
    {
        app.click("records-open-only").await;
    }
    app.fill("records-search", number).await;
    let only = format!(
        "const rows = document.querySelectorAll('[data-testid=records-row]'); \
         return rows.length === 1 && Array.from(rows[0].querySelectorAll('[role=cell]')) \
         .some((cell) => cell.textContent.trim() === {});",
        Value::String(number.to_owned())
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while app.script(&only).await != Value::Bool(true) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Records never listed {number} alone"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // WebKitWebDriver refuses to click a table row (an element click says
    // "not interactable" and a pointer click does not reach the row's
    // handler), so the row's own click handler is run from the page.
    app.script("document.querySelector('[data-testid=records-row]').click(); return true;")
        .await;
    app.element("record-detail").await;
    app.wait_for_content("[data-testid=record-detail]", number)
        .await;
}

/// Edits an open record's memo through the form and saves it.
async fn edit_memo(app: &Session, memo: &str) {
    app.click("record-edit").await;
    app.fill("field-PrivateNote", memo).await;
    app.click("record-save").await;
    app.wait_for_text("record-state", "Pending").await;
}

async fn arm(intuit: &Intuit, fault: Value) {
    let armed = reqwest::Client::new()
        .post(format!("{}/_emulator/faults", intuit.emulator.base_url()))
        .json(&fault)
        .send()
        .await
        .expect("the emulator answers");
    assert!(
        armed.status().is_success(),
        "the fault is armed: {}",
        armed.status()
    );
}

/// How many API requests the emulator has had for each company since the
/// counters were last reset.
async fn requests_per_realm(intuit: &Intuit) -> Vec<u64> {
    let counters: Value = reqwest::Client::new()
        .get(format!("{}/_emulator/counters", intuit.emulator.base_url()))
        .send()
        .await
        .expect("the emulator answers")
        .json()
        .await
        .expect("counters");
    intuit
        .companies
        .iter()
        .map(|(realm, _)| {
            counters["realms"][realm]["total"]["requests"]
                .as_u64()
                .unwrap_or(0)
        })
        .collect()
}

async fn reset_counters(intuit: &Intuit) {
    reqwest::Client::new()
        .post(format!(
            "{}/_emulator/counters/reset",
            intuit.emulator.base_url()
        ))
        .send()
        .await
        .expect("the emulator answers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver; `cargo xtask test` runs it"]
async fn the_cockpit_with_three_companies() {
    let intuit = Intuit::with_companies(&SEEDS).await;
    let browser = tempfile::tempdir().expect("a folder for the browser script");
    let script = browser_script(browser.path());
    let relay_url = intuit.relay.base_url();
    let script_path = script.to_string_lossy().into_owned();
    let app = Session::start_with_env(
        "cockpit",
        &[
            ("LEDGERLINK_RELAY_URL", relay_url.as_str()),
            ("LEDGERLINK_BROWSER", script_path.as_str()),
        ],
    )
    .await;
    app.resize(SIZES[0].0, SIZES[0].1).await;
    let mut ids = Vec::new();
    check(
        "three companies connected through the relay",
        Duration::from_secs(120),
        async {
            ids = connect_all(&app, &intuit, browser.path()).await;
        },
    )
    .await;
    let books: Vec<QuickBooks> = {
        let mut books = Vec::new();
        for (realm, _) in &intuit.companies {
            books.push(QuickBooks::at(&intuit.emulator.base_url(), realm).await);
        }
        books
    };
    let (first, conflicted) = (ids[0].clone(), ids[2].clone());

    check(
        "the company with a conflict comes first, with its real numbers",
        Duration::from_secs(90),
        async {
            // The third company gets a conflict: its first invoice's memo is
            // changed here and, differently, in QuickBooks.
            let invoice = numbered_invoices(&books[2], 1).await.remove(0);
            open_company(&app, &conflicted).await;
            open_by_number(&app, &number(&invoice)).await;
            edit_memo(&app, "Memo from the app").await;
            books[2]
                .edit(
                    "Invoice",
                    invoice["Id"].as_str().expect("an id"),
                    json!({ "PrivateNote": "Memo from QuickBooks" }),
                )
                .await;
            // QuickBooks tells the relay, the relay tells the app, and the
            // app's own pull finds the conflict: nobody presses Sync.
            app.click("nav-companies").await;
            let conflicts = app
                .wait_for_text(&format!("overview-conflicts-{conflicted}"), "1")
                .await;
            assert_eq!(conflicts, "1");
            let order = table_order(&app).await;
            assert_eq!(
                order.first(),
                Some(&conflicted),
                "the company with the conflict is first: {order:?}"
            );
            shots(&app, "cockpit-01-home-table").await;

            // Each company's open invoices are QuickBooks' own.
            for (id, quickbooks) in ids.iter().zip(&books) {
                let (count, total) = open_invoices(quickbooks).await;
                if count == 0 {
                    let absent = app
                        .script(&format!(
                            "return document.querySelector('[data-testid=\"overview-invoices-{id}\"]') === null;"
                        ))
                        .await;
                    assert_eq!(absent, Value::Bool(true), "{id} has no open invoices");
                    continue;
                }
                let shown = app.text(&format!("overview-invoices-{id}")).await;
                // Thousands may be grouped or not, as the locale has it.
                assert!(
                    shown.starts_with(&format!("{count} ·"))
                        && shown.replace(',', "").contains(&grouped(total).replace(',', "")),
                    "the table shows {count} open invoices for {} ({}): {shown:?}",
                    grouped(total),
                    id
                );
            }

            // A number opens the matching filtered page.
            let (count, _) = open_invoices(&books[0]).await;
            app.click(&format!("overview-invoices-{first}")).await;
            app.wait_for_text("records-total", &format!("{count} "))
                .await;
            let open_only = app.attribute("records-open-only", "aria-pressed").await;
            assert_eq!(open_only.as_deref(), Some("true"), "the list shows open ones only");
            app.screenshot("cockpit-02-open-invoices-of-the-first")
                .await;
            app.click("nav-companies").await;
            app.click(&format!("overview-conflicts-{conflicted}")).await;
            app.wait_for_text("page-title", "Conflicts").await;
            let rows = app
                .script("return document.querySelectorAll('[data-testid=conflicts-row]').length;")
                .await;
            assert_eq!(rows, json!(1), "the conflicts page lists the one conflict");
            app.screenshot("cockpit-03-conflicts-of-the-third").await;
        },
    )
    .await;

    check(
        "Sync all syncs every company through a visible queue",
        Duration::from_secs(90),
        async {
            // Every answer of QuickBooks takes a second and a half for a
            // while, so that the third company is seen waiting its turn.
            arm(
                &intuit,
                json!({ "kind": "timeout", "path": "/v3/company/*", "hold_ms": 1500, "count": 12 }),
            )
            .await;
            reset_counters(&intuit).await;
            app.click("nav-companies").await;
            app.click("companies-sync-all").await;
            let queue = app.wait_for_text("companies-queue", "1 waiting").await;
            assert!(
                queue.contains("1 syncing") || queue.contains("2 syncing"),
                "at most two sync at a time: {queue}"
            );
            shots(&app, "cockpit-04-sync-all-queue").await;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            while app.text("companies-sync-all").await != "Sync all" {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "Sync all never finished"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let requests = requests_per_realm(&intuit).await;
            assert!(
                requests.iter().all(|count| *count > 0),
                "every company asked QuickBooks for its changes: {requests:?}"
            );
            app.screenshot("cockpit-05-sync-all-done").await;
        },
    )
    .await;

    check(
        "Pending changes shows before → after, and a held item stays out of the push",
        Duration::from_secs(120),
        async {
            let invoices = numbered_invoices(&books[0], 2).await;
            let (sent, held) = (&invoices[0], &invoices[1]);
            open_company(&app, &first).await;
            // The first invoice: a new memo and a new amount on its first line.
            open_by_number(&app, &number(sent)).await;
            app.click("record-edit").await;
            app.fill("field-PrivateNote", "Sent after review").await;
            // QuickBooks checks amount = quantity × price, so all three change.
            app.fill("line-1-qty", "1").await;
            app.fill("line-1-unitPrice", "1234.50").await;
            app.fill("line-1-amount", "1234.50").await;
            app.screenshot("cockpit-06-editing-memo-and-amount").await;
            app.click("record-save").await;
            app.wait_for_text("record-state", "Pending").await;
            // The second: a memo that is held back.
            open_by_number(&app, &number(held)).await;
            edit_memo(&app, "Held back by the accountant").await;

            app.click("status-pending").await;
            app.element("pending-field").await;
            let fields = app
                .script(
                    "return Array.from(document.querySelectorAll('[data-testid=pending-field]')) \
                     .map((row) => ({ field: row.dataset.field, \
                        before: row.querySelector('.before').textContent.trim(), \
                        after: row.querySelector('.after').textContent.trim(), \
                        change: row.closest('li').dataset.change, \
                        label: row.closest('li').textContent }));",
                )
                .await;
            let fields = fields.as_array().cloned().unwrap_or_default();
            let of = |needle: &str, field: &str| {
                fields
                    .iter()
                    .find(|row| {
                        row["label"].as_str().unwrap_or_default().contains(needle)
                            && row["field"].as_str().unwrap_or_default().contains(field)
                    })
                    .cloned()
                    .unwrap_or_else(|| panic!("a {field} change of {needle}: {fields:?}"))
            };
            let memo = of(&number(sent), "PrivateNote");
            assert_eq!(
                memo["before"],
                sent["PrivateNote"].as_str().unwrap_or("—"),
                "{memo}"
            );
            assert_eq!(memo["after"], "Sent after review", "{memo}");
            let amount = of(&number(sent), "Amount");
            assert!(
                amount["after"]
                    .as_str()
                    .is_some_and(|after| after.contains("1,234.50") || after.contains("1234.5")),
                "the amount's new value: {amount}"
            );
            assert_ne!(amount["before"], amount["after"], "{amount}");
            shots(&app, "cockpit-07-pending-changes").await;

            let held_change = of(&number(held), "PrivateNote")["change"]
                .as_str()
                .expect("the change's id")
                .to_owned();
            app.click(&format!("pending-hold-{held_change}")).await;
            app.wait_for_text(&format!("pending-hold-{held_change}"), "Release")
                .await;
            app.element(&format!("pending-change-{held_change}")).await;
            shots(&app, "cockpit-08-pending-one-held").await;
            app.click("pending-send-now").await;
            // Sent: the held one stays; the other leaves the list.
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            loop {
                let after = books[0]
                    .read("Invoice", sent["Id"].as_str().expect("an id"))
                    .await;
                if after["PrivateNote"] == "Sent after review" {
                    assert!(
                        after["Line"][0]["Amount"].to_string().starts_with("1234.5"),
                        "the new amount reached QuickBooks: {}",
                        after["Line"][0]
                    );
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the reviewed change never reached QuickBooks"
                );
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            let kept = books[0]
                .read("Invoice", held["Id"].as_str().expect("an id"))
                .await;
            assert_eq!(
                kept["PrivateNote"], held["PrivateNote"],
                "the held-back change stayed out of the push"
            );
            assert_eq!(kept["SyncToken"], held["SyncToken"]);
            app.screenshot("cockpit-09-pending-after-send").await;
            if app
                .script("return document.querySelector('[data-testid=pending-close]') !== null;")
                .await
                == Value::Bool(true)
            {
                app.click("pending-close").await;
            }
        },
    )
    .await;

    check(
        "the palette opens a record by its number",
        Duration::from_secs(60),
        async {
            let invoice = numbered_invoices(&books[0], 3).await.remove(2);
            let wanted = number(&invoice);
            app.click("nav-companies").await;
            app.chord(&[Key::Control.into(), 'k']).await;
            app.fill("palette-input", &wanted).await;
            let item = app
                .wait_for_selector("[data-testid=palette-item][data-kind=record]")
                .await;
            shots(&app, "cockpit-10-palette").await;
            item.click()
                .await
                .expect("the palette's item can be clicked");
            app.element("record-detail").await;
            app.wait_for_content("[data-testid=record-detail]", &wanted)
                .await;
            app.screenshot("cockpit-11-palette-opened-the-record").await;
        },
    )
    .await;

    check(
        "a refused push reads in plain words with its button",
        Duration::from_secs(60),
        async {
            let second = ids[1].clone();
            let invoice = numbered_invoices(&books[1], 1).await.remove(0);
            open_company(&app, &second).await;
            open_by_number(&app, &number(&invoice)).await;
            edit_memo(&app, "Dated in a closed period").await;
            // QuickBooks refuses the push: the books are closed for its date.
            arm(
                &intuit,
                json!({
                    "kind": "xml_fault",
                    "path": format!("/v3/company/{}/batch", intuit.companies[1].0),
                    "code": "6210",
                    "message": "Account Period Closed",
                }),
            )
            .await;
            app.click("nav-companies").await;
            app.script(
                "document.querySelector('[data-testid=sync-report]')?.setAttribute('data-old', 'yes'); return true;",
            )
            .await;
            app.click(&format!("overview-sync-{second}")).await;
            let report = app
                .wait_for_selector("[data-testid=sync-report]:not([data-old])")
                .await
                .text()
                .await
                .unwrap_or_default();
            app.screenshot("cockpit-12-refused-sync-report").await;
            assert!(report.contains("1 held back"), "the refused record is held back: {report}");
            // The report's "Open record" on the refused record leads to it.
            let open = app
                .wait_for_selector("[data-testid^=sync-failure-open-]")
                .await;
            let failed = open.text().await.unwrap_or_default();
            assert_eq!(failed, "Open record");
            open.click().await.expect("Open record can be clicked");
            let problem = app.wait_for_text("record-problem", "books are closed").await;
            assert_eq!(
                app.attribute("record-problem", "data-kind").await.as_deref(),
                Some("closed_period"),
                "{problem}"
            );
            let action = app.text("record-problem-action").await;
            assert_eq!(action, "Correct the record");
            shots(&app, "cockpit-13-refusal").await;
            app.click("record-problem-action").await;
            app.element("record-form").await;
            app.screenshot("cockpit-14-refusal-action-opens-the-form")
                .await;
        },
    )
    .await;
    app.close().await;
    intuit.relay.stop().await;
}

/// How many change-capture (CDC) requests, the timer's idle pull, the
/// emulator has had for `realm` since the counters were last reset.
#[cfg(target_os = "linux")]
async fn change_captures(intuit: &Intuit, realm: &str) -> u64 {
    let counters: Value = reqwest::Client::new()
        .get(format!("{}/_emulator/counters", intuit.emulator.base_url()))
        .send()
        .await
        .expect("the emulator answers")
        .json()
        .await
        .expect("counters");
    counters["realms"][realm]["endpoints"]
        .as_object()
        .map(|endpoints| {
            endpoints
                .iter()
                .filter(|(key, _)| key.starts_with("GET cdc"))
                .filter_map(|(_, counts)| counts["requests"].as_u64())
                .sum()
        })
        .unwrap_or(0)
}

/// How many of the X server's windows named like the app are mapped
/// (shown). `xwininfo` reads the display the scenario runs on.
#[cfg(target_os = "linux")]
fn shown_app_windows() -> usize {
    shown_app_window_lines().len()
}

/// The `xwininfo -tree` lines of the shown windows named like the app.
#[cfg(target_os = "linux")]
fn shown_app_window_lines() -> Vec<String> {
    let tree = std::process::Command::new("xwininfo")
        .args(["-root", "-tree"])
        .output()
        .expect("xwininfo runs (x11-utils)");
    let tree = String::from_utf8_lossy(&tree.stdout).into_owned();
    tree.lines()
        .filter(|line| line.contains("Ledgerlink"))
        .filter(|line| {
            line.split_whitespace().next().is_some_and(|id| {
                std::process::Command::new("xwininfo")
                    .args(["-id", id])
                    .output()
                    .is_ok_and(|info| String::from_utf8_lossy(&info.stdout).contains("IsViewable"))
            })
        })
        .map(|line| line.trim().to_owned())
        .collect()
}

/// Linux only: it reads the X display to see that the window is hidden.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver; `cargo xtask test` runs it"]
async fn closing_the_window_keeps_the_app_syncing_in_the_tray() {
    let intuit = Intuit::with_companies(&SEEDS[..1]).await;
    let browser = tempfile::tempdir().expect("a folder for the browser script");
    let script = browser_script(browser.path());
    let relay_url = intuit.relay.base_url();
    let script_path = script.to_string_lossy().into_owned();
    // A minute of 100 ms: the company's timer then ticks every few seconds.
    let app = Session::start_with_env(
        "tray",
        &[
            ("LEDGERLINK_RELAY_URL", relay_url.as_str()),
            ("LEDGERLINK_BROWSER", script_path.as_str()),
            ("LEDGERLINK_TEST_MINUTE_MS", "100"),
        ],
    )
    .await;
    app.resize(SIZES[0].0, SIZES[0].1).await;
    check("the company connected", Duration::from_secs(90), async {
        connect_all(&app, &intuit, browser.path()).await;
    })
    .await;
    let realm = intuit.companies[0].0.clone();
    assert!(shown_app_windows() > 0, "the app's window is shown");

    check(
        "closing the window hides it and the app keeps running",
        Duration::from_secs(30),
        async {
            app.chord(&[Key::Control.into(), 'k']).await;
            app.fill("palette-input", "Close window").await;
            app.screenshot("tray-01-palette-close-window").await;
            app.wait_for_selector("[data-testid=palette-item][data-kind=action]")
                .await
                .click()
                .await
                .expect("the palette's action can be clicked");
            let deadline = std::time::Instant::now() + Duration::from_secs(15);
            while shown_app_windows() > 0 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the window was still shown 15 s after Close window: {:?}",
                    shown_app_window_lines()
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            // The process still answers: its webview runs a script.
            assert_eq!(app.script("return 1 + 1;").await, json!(2));
        },
    )
    .await;

    check(
        "a timer sync still reaches QuickBooks with the window closed",
        Duration::from_secs(45),
        async {
            reset_counters(&intuit).await;
            let deadline = std::time::Instant::now() + Duration::from_secs(40);
            while change_captures(&intuit, &realm).await == 0 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "no timer sync asked QuickBooks for changes in 40 s with the window closed"
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            assert_eq!(shown_app_windows(), 0, "the window stayed closed");
        },
    )
    .await;
}
