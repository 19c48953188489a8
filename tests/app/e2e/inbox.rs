//! The statement inbox, end to end: a bank statement imported through the
//! open dialog, the confident suggestions accepted in bulk, one line edited,
//! a sync, and the records found in QuickBooks (the demo's emulator); then
//! the IIF export through the save dialog. On the way a categorization rule
//! is made in the Rules panel, and the line it matches shows the rule as its
//! why and reaches QuickBooks with the rule's account.
//!
//! WebDriver cannot drive the OS's native file dialogs, so this scenario
//! uses the app's test seam: `LEDGERLINK_TEST_OPEN_FILE` names the file the
//! open dialog returns and `LEDGERLINK_TEST_SAVE_FILE` the path the save
//! dialog returns (see src-tauri/src/dialogs.rs). Everything after the
//! dialog is the real code path.

use std::fmt::Write as _;

use serde_json::Value;

use super::Session;
use super::emulator::QuickBooks;

/// A line no past transaction resembles: it gets no suggestion and is the
/// one edited by hand.
const NEW_LINE: &str = "LLTEST ROASTERY 0042 BOISE ID";
const NEW_PAYEE: &str = "Ledgerlink Test Roasters";
const NEW_MEMO: &str = "Coffee for the client meeting";
/// A line no past transaction resembles either: a rule made in the UI
/// categorizes it.
const RULE_LINE: &str = "LLTEST CITYPARK GARAGE 0077 BOISE ID";
const RULE_TEXT: &str = "citypark";
const RULE_NAME: &str = "City parking";

/// Bank-feed wording for two of the demo company's kinds of spending: the
/// client's past purchases from checking are written into QuickBooks with
/// these descriptions, so that the statement's lines have a history to be
/// suggested from.
const FAMILIES: [&str; 2] = [
    "POS DEBIT HOME DEPOT #4721 PORTLAND OR",
    "ACH DEBIT PGE WEB ONLINE PAYMENT",
];
/// How many past purchases each family has: enough for a confident suggestion
/// (the confidence is a lower bound on the agreeing share, and 0.9 needs at
/// least 25 agreeing lines).
const PAST_PER_FAMILY: usize = 30;

/// The checking account's id, and for each family the expense account and
/// vendor its past purchases used (those of the demo's own purchases, so the
/// history is plausible).
async fn checking_and_targets(quickbooks: &QuickBooks) -> (String, Vec<(String, Value)>) {
    let purchases = quickbooks
        .query("SELECT * FROM Purchase MAXRESULTS 1000", "Purchase")
        .await;
    let checking = purchases
        .iter()
        .filter(|purchase| purchase["PaymentType"] != "CreditCard")
        .find_map(|purchase| purchase["AccountRef"]["value"].as_str())
        .expect("the demo has purchases paid from checking")
        .to_owned();
    let mut targets: Vec<(String, Value)> = Vec::new();
    for purchase in &purchases {
        let account = purchase["Line"]
            .as_array()
            .and_then(|lines| {
                lines.iter().find_map(|line| {
                    line["AccountBasedExpenseLineDetail"]["AccountRef"]["value"].as_str()
                })
            })
            .map(str::to_owned);
        if let Some(account) = account
            && purchase["EntityRef"].is_object()
            && !targets.iter().any(|(known, _)| known == &account)
        {
            targets.push((account, purchase["EntityRef"].clone()));
        }
        if targets.len() == FAMILIES.len() {
            break;
        }
    }
    assert_eq!(
        targets.len(),
        FAMILIES.len(),
        "the demo has expense accounts with vendors"
    );
    (checking, targets)
}

/// Writes each family's past purchases into QuickBooks.
async fn write_history(quickbooks: &QuickBooks, checking: &str, targets: &[(String, Value)]) {
    for (family, (account, vendor)) in FAMILIES.iter().zip(targets) {
        for index in 0..PAST_PER_FAMILY {
            quickbooks
                .create(
                    "Purchase",
                    serde_json::json!({
                        "PaymentType": "Cash",
                        "AccountRef": { "value": checking },
                        "EntityRef": vendor,
                        "TxnDate": format!("2026-10-{:02}", index + 1),
                        "Line": [{
                            // An exact decimal number, as QuickBooks writes amounts.
                            "Amount": serde_json::from_str::<Value>(&format!("{}.{:02}", 40 + index, 11 + index))
                                .expect("an amount"),
                            "Description": family,
                            "DetailType": "AccountBasedExpenseLineDetail",
                            "AccountBasedExpenseLineDetail": { "AccountRef": { "value": account } },
                        }],
                    }),
                )
                .await;
        }
    }
}

/// Syncs from the Companies page and waits for this sync's own report (the
/// last one is marked first, so that it is not mistaken for the new one).
async fn sync_now(app: &Session) {
    app.click("nav-companies").await;
    app.script(
        "document.querySelector('[data-testid=sync-report]')?.setAttribute('data-old', 'yes'); return true;",
    )
    .await;
    app.click("sync-now").await;
    app.wait_for_selector("[data-testid=sync-report]:not([data-old])")
        .await;
}

/// An OFX 1.x (SGML) checking statement with the given lines, as a bank
/// writes it: no closing tags on the leaves, dates with a bracketed zone.
fn ofx(lines: &[(String, String, String)]) -> String {
    let mut transactions = String::new();
    for (index, (date, amount, description)) in lines.iter().enumerate() {
        // NAME holds at most 32 characters; MEMO carries the whole text.
        let name: String = description.chars().take(32).collect();
        let _ = write!(
            transactions,
            "<STMTTRN>\r\n<TRNTYPE>DEBIT\r\n<DTPOSTED>{date}120000.000[-5:EST]\r\n<TRNAMT>{amount}\r\n\
             <FITID>LLE2E{index:04}\r\n<NAME>{name}\r\n<MEMO>{description}\r\n</STMTTRN>\r\n"
        );
    }
    format!(
        "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\n\
         CHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n\
         <OFX>\r\n<SIGNONMSGSRSV1>\r\n<SONRS>\r\n<STATUS>\r\n<CODE>0\r\n<SEVERITY>INFO\r\n</STATUS>\r\n\
         <DTSERVER>20261130120000.000[-5:EST]\r\n<LANGUAGE>ENG\r\n</SONRS>\r\n</SIGNONMSGSRSV1>\r\n\
         <BANKMSGSRSV1>\r\n<STMTTRNRS>\r\n<TRNUID>1\r\n<STATUS>\r\n<CODE>0\r\n<SEVERITY>INFO\r\n</STATUS>\r\n\
         <STMTRS>\r\n<CURDEF>USD\r\n<BANKACCTFROM>\r\n<BANKID>121000248\r\n<ACCTID>XXXXXX4821\r\n\
         <ACCTTYPE>CHECKING\r\n</BANKACCTFROM>\r\n<BANKTRANLIST>\r\n<DTSTART>20261101\r\n<DTEND>20261130\r\n\
         {transactions}</BANKTRANLIST>\r\n<LEDGERBAL>\r\n<BALAMT>1000.00\r\n<DTASOF>20261130\r\n</LEDGERBAL>\r\n\
         </STMTRS>\r\n</STMTTRNRS>\r\n</BANKMSGSRSV1>\r\n</OFX>\r\n"
    )
}

/// An amount as QuickBooks wrote it: the exact digits of the JSON number.
fn decimal_text(value: &Value) -> String {
    value.to_string()
}

/// The rows of the inbox table as the page shows them.
async fn rows(app: &Session) -> Vec<Value> {
    let rows = app
        .script(
            "return Array.from(document.querySelectorAll('[data-testid=inbox-row]')).map((row) => ({ \
               description: row.dataset.description, state: row.dataset.state, \
               confidence: Number(row.dataset.confidence) }));",
        )
        .await;
    rows.as_array().cloned().unwrap_or_default()
}

/// Sets an input's value as typing would, for inputs WebKitWebDriver cannot
/// type into (dates).
async fn set_value(app: &Session, test_id: &str, value: &str) {
    app.element(test_id).await;
    app.script(&format!(
        "const input = document.querySelector('[data-testid={test_id}]'); input.value = {}; \
         input.dispatchEvent(new Event('input', {{ bubbles: true }})); return true;",
        Value::String(value.to_owned())
    ))
    .await;
}

#[tokio::test]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver; `cargo xtask test` runs it"]
async fn a_statement_goes_through_the_inbox_into_quickbooks_and_out_as_iif() {
    let files = tempfile::tempdir().expect("a folder for the statement and the export");
    let statement = files.path().join("checking-november.ofx");
    let export = files.path().join("demo-company.iif");
    let statement_text = statement.display().to_string();
    let export_text = export.display().to_string();
    let app = Session::start_with_env(
        "inbox",
        &[
            ("LEDGERLINK_DEMO_SIZE", "300"),
            ("LEDGERLINK_TEST_OPEN_FILE", &statement_text),
            ("LEDGERLINK_TEST_SAVE_FILE", &export_text),
        ],
    )
    .await;
    app.click("welcome-try-demo").await;
    app.wait_for_text("sync-report", "Done:").await;

    // The client's past purchases in bank-feed wording, pulled into the app.
    let quickbooks = QuickBooks::of(&app).await;
    let (checking, targets) = checking_and_targets(&quickbooks).await;
    write_history(&quickbooks, &checking, &targets).await;
    sync_now(&app).await;

    // The statement: two lines worded as those past purchases, with amounts
    // no past transaction has, and one line unlike anything before.
    let mut lines: Vec<(String, String, String)> = FAMILIES
        .iter()
        .enumerate()
        .map(|(index, family)| {
            (
                format!("202611{:02}", index + 3),
                format!("-{}.37", 311 + index),
                (*family).to_owned(),
            )
        })
        .collect();
    lines.push(("20261112".into(), "-27.45".into(), NEW_LINE.into()));
    lines.push(("20261114".into(), "-9.75".into(), RULE_LINE.into()));
    std::fs::write(&statement, ofx(&lines)).expect("the statement is written");

    app.click("nav-inbox").await;
    app.wait_for_text("page-title", "Inbox").await;
    app.wait_for_selector(&format!(
        "[data-testid=inbox-bank-account] option[value=\"{checking}\"]"
    ))
    .await;
    app.select("inbox-bank-account", &checking).await;
    app.click("inbox-import").await;
    let report = app.wait_for_text("inbox-import-report", "new").await;
    assert!(
        report.contains(&format!("{} new", lines.len())),
        "every line is new: {report}"
    );
    app.wait_for_selector(&format!(
        "[data-testid=inbox-row][data-description=\"{NEW_LINE}\"]"
    ))
    .await;
    app.resize(1280, 800).await;
    app.screenshot("inbox-01-imported").await;

    let imported = rows(&app).await;
    assert_eq!(
        imported.len(),
        lines.len(),
        "one row per line: {imported:?}"
    );
    let confident: Vec<String> = imported
        .iter()
        .filter(|row| row["confidence"].as_f64().unwrap_or(0.0) >= 0.9)
        .filter_map(|row| row["description"].as_str().map(str::to_owned))
        .collect();
    assert!(
        !confident.is_empty(),
        "lines worded as past purchases are suggested with confidence: {imported:?}"
    );
    assert!(
        !confident
            .iter()
            .any(|description| description == NEW_LINE || description == RULE_LINE),
        "a line unlike anything before is not suggested with confidence"
    );

    // Everything at or above 0.9 in one go.
    app.fill("inbox-threshold", "0.9").await;
    app.wait_for_text("inbox-bulk-count", &confident.len().to_string())
        .await;
    app.click("inbox-bulk-accept").await;
    app.wait_for_text(
        "inbox-accept-report",
        &format!("Accepted {}", confident.len()),
    )
    .await;
    app.screenshot("inbox-02-bulk-accepted").await;

    // A rule made in the Rules panel: the parking line gets its account,
    // with the rule as the why, at full confidence.
    let rule_account = targets[1].0.clone();
    let rule_row = format!("[data-testid=inbox-row][data-description=\"{RULE_LINE}\"]");
    app.click("inbox-rules").await;
    app.element("rules-dialog").await;
    app.wait_for_selector("[data-testid=rules-empty]").await;
    app.fill("rules-contains", RULE_TEXT).await;
    app.fill("rules-max", "0").await;
    app.select("rules-account", &rule_account).await;
    app.fill("rules-name", RULE_NAME).await;
    app.click("rules-add").await;
    app.wait_for_text("rules-result", "1 entry to review has a new suggestion")
        .await;
    let listed = app.wait_for_text("rules-row", RULE_NAME).await;
    assert!(
        listed.contains(RULE_TEXT),
        "the rule lists its condition: {listed}"
    );
    app.screenshot("inbox-rules-1280x800").await;
    app.resize(1024, 700).await;
    app.screenshot("inbox-rules-1024x700").await;
    app.click("rules-close").await;
    app.wait_for_attribute(&rule_row, "data-confidence", "1")
        .await;
    // Rows to review, with their buttons, at the smallest window.
    app.screenshot("1024x700-inbox-review").await;
    let actions = app
        .script(&format!(
            "return document.querySelector('{rule_row} [data-testid=inbox-row-exclude]').getBoundingClientRect().right \
             <= document.documentElement.clientWidth;"
        ))
        .await;
    assert_eq!(actions, true, "the row's buttons are in view at 1024 px");
    app.resize(1280, 800).await;
    let why = app
        .script(&format!(
            "return document.querySelector('{rule_row} [data-testid=inbox-row-why]').textContent;"
        ))
        .await;
    assert!(
        why.as_str().is_some_and(|why| why.contains(RULE_NAME)),
        "the rule is the why: {why}"
    );
    app.screenshot("inbox-02b-rule-applied").await;
    app.script(&format!(
        "document.querySelector('{rule_row} [data-testid=inbox-row-accept]').click(); return true;"
    ))
    .await;
    app.wait_for_content(
        "[data-testid=inbox-filter-accepted]",
        &format!("({})", confident.len() + 1),
    )
    .await;

    // The unknown line by hand: an account, a new payee and a memo.
    let expense = targets[0].0.clone();
    app.script(&format!(
        "document.querySelector('[data-testid=inbox-row][data-description=\"{NEW_LINE}\"] \
         [data-testid=inbox-row-edit]').click(); return true;"
    ))
    .await;
    app.element("inbox-editor").await;
    app.select("inbox-edit-account", &expense).await;
    app.fill("inbox-edit-payee", NEW_PAYEE).await;
    app.fill("inbox-edit-memo", NEW_MEMO).await;
    app.screenshot("inbox-03-editing").await;
    app.click("inbox-edit-save").await;
    // The rule's line was accepted too: the edited one makes two more.
    app.wait_for_content(
        "[data-testid=inbox-filter-accepted]",
        &format!("({})", confident.len() + 2),
    )
    .await;
    app.click("inbox-filter-accepted").await;
    app.wait_for_attribute(
        &format!("[data-testid=inbox-row][data-description=\"{NEW_LINE}\"]"),
        "data-state",
        "accepted",
    )
    .await;
    // The edited line says the user set it, not the suggestion's confidence.
    let set_by = app
        .script(&format!(
            "return document.querySelector('[data-testid=inbox-row][data-description=\"{NEW_LINE}\"] \
             [data-testid=inbox-row-confidence]').textContent.trim();"
        ))
        .await;
    assert_eq!(set_by, "Set by you");
    app.screenshot("inbox-04-accepted").await;

    sync_now(&app).await;

    // QuickBooks has each accepted line once, paid from checking, and
    // nothing for the lines left in the inbox.
    let purchases = quickbooks
        .query("SELECT * FROM Purchase MAXRESULTS 1000", "Purchase")
        .await;
    for (_, amount, description) in &lines {
        let total = amount.trim_start_matches('-');
        let found: Vec<&Value> = purchases
            .iter()
            .filter(|purchase| decimal_text(&purchase["TotalAmt"]) == total)
            .collect();
        let accepted =
            description == NEW_LINE || description == RULE_LINE || confident.contains(description);
        if !accepted {
            assert!(
                found.is_empty(),
                "{description} was not accepted: {found:?}"
            );
            continue;
        }
        assert_eq!(found.len(), 1, "{description} reached QuickBooks once");
        assert_eq!(found[0]["AccountRef"]["value"], checking.as_str());
        if description == RULE_LINE {
            assert_eq!(
                found[0]["Line"][0]["AccountBasedExpenseLineDetail"]["AccountRef"]["value"],
                rule_account.as_str()
            );
        }
        if description == NEW_LINE {
            assert_eq!(found[0]["EntityRef"]["name"], NEW_PAYEE);
            assert_eq!(found[0]["PrivateNote"], NEW_MEMO);
            assert_eq!(
                found[0]["Line"][0]["AccountBasedExpenseLineDetail"]["AccountRef"]["value"],
                expense.as_str()
            );
        }
    }
    let vendors = quickbooks
        .query(
            &format!("SELECT * FROM Vendor WHERE DisplayName = '{NEW_PAYEE}'"),
            "Vendor",
        )
        .await;
    assert_eq!(vendors.len(), 1, "the new payee was created as a vendor");

    // The export, through the save dialog, then "Show in folder" is offered.
    app.click("nav-inbox").await;
    app.click("inbox-export").await;
    app.element("iif-dialog").await;
    set_value(&app, "iif-from", "2026-11-01").await;
    set_value(&app, "iif-to", "2026-11-30").await;
    app.screenshot("export-01-dates").await;
    app.click("iif-save").await;
    let path = app.wait_for_text("iif-path", "demo-company.iif").await;
    assert_eq!(path, export_text);
    app.element("iif-show").await;
    app.screenshot("export-02-saved").await;
    let iif =
        std::fs::read_to_string(&export).expect("the IIF file was written where the dialog said");
    assert!(iif.contains("!TRNS"), "the file has transactions");
    assert!(iif.contains(NEW_PAYEE), "the edited line is in the file");
    assert!(iif.contains("\r\n"), "IIF lines end in CRLF");

    // The smallest window the app is made for.
    app.resize(1024, 700).await;
    app.screenshot("1024x700-export").await;
    app.click("iif-cancel").await;
    app.click("inbox-filter-all").await;
    app.wait_for_selector("[data-testid=inbox-row]").await;
    app.screenshot("1024x700-inbox").await;
    // Every column, the row actions included, is inside the window.
    let overflow = app
        .script(
            "const table = document.querySelector('[data-testid=inbox-table]'); \
             const area = table.parentElement; \
             const button = document.querySelector('[data-testid=inbox-row] td.actions'); \
             return { fits: table.scrollWidth <= area.clientWidth + 1, \
                      right: button ? button.getBoundingClientRect().right : 0, \
                      width: window.innerWidth };",
        )
        .await;
    assert_eq!(
        overflow["fits"], true,
        "the table fits at 1024 px: {overflow}"
    );
    assert!(
        overflow["right"].as_f64().unwrap_or(f64::MAX) <= overflow["width"].as_f64().unwrap_or(0.0),
        "the actions are in view at 1024 px: {overflow}"
    );
    app.close().await;
}
