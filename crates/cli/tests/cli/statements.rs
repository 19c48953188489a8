//! `import statement`, `inbox` and `export iif` as a script uses them.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::{json, ledgerlink};

/// Reads an IIF file as the format's documentation describes it: tab-separated
/// rows, `!` rows naming the columns of the row type that follows, and each
/// transaction a `TRNS` row, `SPL` rows and `ENDTRNS`. Returns every
/// transaction's rows as column-name → value maps.
fn parse_iif(text: &str) -> Vec<Vec<HashMap<String, String>>> {
    assert!(text.contains("\r\n"), "IIF lines end with CRLF");
    let mut headers: HashMap<String, Vec<String>> = HashMap::new();
    let mut transactions = Vec::new();
    let mut current: Option<Vec<HashMap<String, String>>> = None;
    for line in text.split("\r\n").filter(|line| !line.is_empty()) {
        let cells: Vec<&str> = line.split('\t').collect();
        let kind = cells[0];
        if let Some(name) = kind.strip_prefix('!') {
            headers.insert(
                name.to_owned(),
                cells[1..].iter().map(|c| (*c).to_owned()).collect(),
            );
            continue;
        }
        let row = |kind: &str| -> HashMap<String, String> {
            let names = headers
                .get(kind)
                .unwrap_or_else(|| panic!("no !{kind} header"));
            names
                .iter()
                .zip(cells[1..].iter())
                .map(|(name, value)| (name.clone(), (*value).to_owned()))
                .collect()
        };
        match kind {
            "TRNS" => {
                assert!(current.is_none(), "a TRNS inside a transaction");
                current = Some(vec![row("TRNS")]);
            }
            "SPL" => current
                .as_mut()
                .expect("SPL outside a transaction")
                .push(row("SPL")),
            "ENDTRNS" => transactions.push(current.take().expect("ENDTRNS without TRNS")),
            _ => {}
        }
    }
    assert!(current.is_none(), "a transaction without ENDTRNS");
    transactions
}

#[test]
fn a_script_imports_a_statement_reviews_it_syncs_and_exports_iif() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    json(&ledgerlink(data, &["company", "add", "demo"], None));
    json(&ledgerlink(data, &["sync", "Demo"], None));

    let statement = dir.path().join("checking.csv");
    std::fs::write(
        &statement,
        "Date,Description,Amount\n\
         2026-11-02,POS DEBIT ZEPHYR COFFEE ROASTERS #0412 PORTLAND OR,-23.45\n\
         2026-11-03,ACH DEBIT QUILLMARK STATIONERS REF 88123,-187.20\n\
         2026-11-05,CARD PURCHASE HARBORLINE PARKING 7781 SEATTLE WA,-9.75\n",
    )
    .unwrap();
    let file = statement.to_str().unwrap();

    // A bank account the company does not have is bad input: exit 2.
    let wrong = ledgerlink(
        data,
        &[
            "import",
            "statement",
            "Demo",
            file,
            "--account",
            "No Such Bank",
        ],
        None,
    );
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("No Such Bank"));

    let imported = json(&ledgerlink(
        data,
        &[
            "import",
            "statement",
            "Demo",
            file,
            "--account",
            "Business Checking",
        ],
        None,
    ));
    assert_eq!(imported["imported"], 3);
    assert_eq!(imported["duplicates"], 0);
    let entries = imported["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    for entry in entries {
        assert!(entry["suggestion"]["confidence"].is_number());
        assert!(entry["suggestion"]["explanation"].is_string());
    }
    let id_of = |text: &str| {
        entries
            .iter()
            .find(|entry| entry["description"].as_str().unwrap().contains(text))
            .unwrap()["id"]
            .as_i64()
            .unwrap()
            .to_string()
    };
    let again = json(&ledgerlink(
        data,
        &[
            "import",
            "statement",
            "Demo",
            file,
            "--account",
            "Business Checking",
        ],
        None,
    ));
    assert_eq!(again["imported"], 0);
    assert_eq!(again["duplicates"], 3);

    // Nothing the model is sure of yet: a bulk accept at 0.9 takes only
    // what was suggested with that confidence.
    let bulk = json(&ledgerlink(
        data,
        &["inbox", "accept", "Demo", "--min-confidence", "0.9"],
        None,
    ));
    for accepted in bulk["accepted"].as_array().unwrap() {
        assert!(accepted["suggestion"]["confidence"].as_f64().unwrap() >= 0.9);
    }
    let bad_confidence = ledgerlink(
        data,
        &["inbox", "accept", "Demo", "--min-confidence", "1.5"],
        None,
    );
    assert_eq!(bad_confidence.status.code(), Some(2));

    let coffee = id_of("ZEPHYR");
    let accepted = json(&ledgerlink(
        data,
        &[
            "inbox",
            "accept",
            "Demo",
            &coffee,
            "--account",
            "Insurance",
            "--memo",
            "Team coffee",
        ],
        None,
    ));
    assert_eq!(accepted["accepted"][0]["state"], "accepted");
    let parking = id_of("HARBORLINE");
    let excluded = json(&ledgerlink(
        data,
        &["inbox", "exclude", "Demo", &parking],
        None,
    ));
    assert_eq!(excluded[0]["state"], "excluded");
    let twice = ledgerlink(data, &["inbox", "exclude", "Demo", &coffee], None);
    assert_eq!(twice.status.code(), Some(2));

    let listed = json(&ledgerlink(
        data,
        &["inbox", "list", "Demo", "--state", "accepted"],
        None,
    ));
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["counts"]["excluded"], 1);

    let synced = json(&ledgerlink(data, &["sync", "Demo"], None));
    assert!(synced["report"]["pushed"].as_u64().unwrap() >= 1);

    let output = dir.path().join("books.iif");
    let bad_dates = ledgerlink(
        data,
        &[
            "export",
            "iif",
            "Demo",
            "--from",
            "2026-12-01",
            "--to",
            "2026-01-01",
            "-o",
            output.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(bad_dates.status.code(), Some(2));
    let report: Value = json(&ledgerlink(
        data,
        &[
            "export",
            "iif",
            "Demo",
            "--from",
            "2000-01-01",
            "--to",
            "2099-12-31",
            "-o",
            output.to_str().unwrap(),
        ],
        None,
    ));
    let text = std::fs::read_to_string(&output).unwrap();
    let transactions = parse_iif(&text);
    assert_eq!(
        transactions.len() as u64,
        report["transactions"].as_u64().unwrap()
    );
    assert!(!transactions.is_empty());
    for rows in &transactions {
        let sum: Decimal = rows
            .iter()
            .map(|row| row["AMOUNT"].parse::<Decimal>().unwrap())
            .sum();
        assert_eq!(sum, Decimal::ZERO, "an unbalanced transaction: {rows:?}");
    }
    // The accepted coffee is there: the bank side and the edited account,
    // with the exact amounts.
    let coffee_rows = transactions
        .iter()
        .find(|rows| rows[0]["MEMO"] == "Team coffee")
        .expect("the accepted purchase is in the export");
    assert_eq!(coffee_rows[0]["ACCNT"], "Business Checking");
    assert_eq!(
        coffee_rows[0]["AMOUNT"].parse::<Decimal>().unwrap(),
        "-23.45".parse::<Decimal>().unwrap()
    );
    assert_eq!(coffee_rows[0]["DATE"], "11/02/2026");
    assert!(
        coffee_rows[1..]
            .iter()
            .any(|row| row["ACCNT"] == "Insurance"
                && row["AMOUNT"].parse::<Decimal>().unwrap()
                    == "23.45".parse::<Decimal>().unwrap())
    );
    // The vendor auto-create made for the payee is in the vendor list.
    let name = coffee_rows[0]["NAME"].clone();
    assert!(!name.is_empty());
    assert!(
        text.lines()
            .any(|line| line.starts_with("VEND\t") && line.contains(&name))
    );
}

/// The CLI as a person runs it: text, not JSON.
fn ledgerlink_text(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ledgerlink"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("LEDGERLINK_DEMO_SIZE", "25")
        .output()
        .unwrap()
}

#[test]
fn a_script_makes_lists_and_removes_rules_and_they_steer_the_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    json(&ledgerlink(data, &["company", "add", "demo"], None));
    json(&ledgerlink(data, &["sync", "Demo"], None));
    let statement = dir.path().join("checking.csv");
    std::fs::write(
        &statement,
        "Date,Description,Amount\n\
         2026-11-03,ACH DEBIT QUILLMARK STATIONERS REF 88123,-187.20\n\
         2026-11-05,CARD PURCHASE HARBORLINE PARKING 7781 SEATTLE WA,-9.75\n",
    )
    .unwrap();
    let file = statement.to_str().unwrap();
    json(&ledgerlink(
        data,
        &[
            "import",
            "statement",
            "Demo",
            file,
            "--account",
            "Business Checking",
        ],
        None,
    ));

    // The help names every option the brief promises.
    let help = ledgerlink_text(data, &["inbox", "rules", "add", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    for option in [
        "--contains",
        "--regex",
        "--min",
        "--max",
        "--account",
        "--payee",
    ] {
        assert!(help.contains(option), "{option} is in the help:\n{help}");
    }

    let none = json(&ledgerlink(data, &["inbox", "rules", "list", "Demo"], None));
    assert_eq!(none, serde_json::json!([]));

    // Bad rules: exit 2 with the bad part named, and nothing stored.
    let bad_regex = ledgerlink(
        data,
        &[
            "inbox",
            "rules",
            "add",
            "Demo",
            "--regex",
            "HARBOR(",
            "--account",
            "Insurance",
        ],
        None,
    );
    assert_eq!(bad_regex.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad_regex.stderr);
    assert!(
        stderr.contains("'HARBOR('") && stderr.contains("regular expression"),
        "{stderr}"
    );
    let unknown = ledgerlink(
        data,
        &[
            "inbox",
            "rules",
            "add",
            "Demo",
            "--contains",
            "harborline",
            "--account",
            "No Such Account",
        ],
        None,
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("'No Such Account'"));
    let none = json(&ledgerlink(data, &["inbox", "rules", "list", "Demo"], None));
    assert_eq!(none, serde_json::json!([]));

    let added = json(&ledgerlink(
        data,
        &[
            "inbox",
            "rules",
            "add",
            "Demo",
            "--contains",
            "harborline",
            "--min",
            "-50",
            "--max",
            "0",
            "--account",
            "Insurance",
            "--payee",
            "Harborline Parking",
        ],
        None,
    ));
    assert_eq!(added["resuggested"], 1);
    let rule = &added["rules"][0];
    assert_eq!(rule["accountName"], "Insurance");
    assert_eq!(rule["amountMin"], "-50");
    let rule_id = rule["id"].as_u64().unwrap().to_string();
    let rule_name = rule["name"].as_str().unwrap().to_owned();
    assert!(rule_name.contains("harborline"), "{rule_name}");

    let listed = json(&ledgerlink(data, &["inbox", "list", "Demo"], None));
    let entries = listed["entries"].as_array().unwrap();
    let by_text = |text: &str| {
        entries
            .iter()
            .find(|entry| entry["description"].as_str().unwrap().contains(text))
            .unwrap()
            .clone()
    };
    let parking = by_text("HARBORLINE");
    assert_eq!(parking["suggestion"]["source"], "rule");
    assert_eq!(parking["suggestion"]["accountName"], "Insurance");
    assert_eq!(parking["suggestion"]["payee"], "Harborline Parking");
    let confidence = parking["suggestion"]["confidence"].as_f64().unwrap();
    assert!((confidence - 1.0).abs() < 1e-9, "{confidence}");
    assert!(
        parking["suggestion"]["explanation"]
            .as_str()
            .unwrap()
            .contains(&rule_name)
    );
    assert_ne!(by_text("QUILLMARK")["suggestion"]["source"], "rule");

    // An entry accepted with the user's own account is set by them, in
    // the JSON and in the text.
    let quillmark = by_text("QUILLMARK")["id"].as_i64().unwrap().to_string();
    let accepted = json(&ledgerlink(
        data,
        &[
            "inbox",
            "accept",
            "Demo",
            &quillmark,
            "--account",
            "Payroll Wages",
        ],
        None,
    ));
    assert_eq!(accepted["accepted"][0]["editedByUser"], true);
    assert_eq!(
        accepted["accepted"][0]["acceptedAccountName"],
        "Payroll Wages"
    );
    let text = ledgerlink_text(data, &["inbox", "list", "Demo", "--state", "accepted"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("account Payroll Wages (set by you)"),
        "{text}"
    );

    let removed = json(&ledgerlink(
        data,
        &["inbox", "rules", "remove", "Demo", &rule_id],
        None,
    ));
    assert_eq!(removed["rules"], serde_json::json!([]));
    assert_eq!(removed["resuggested"], 1);
    let listed = json(&ledgerlink(data, &["inbox", "list", "Demo"], None));
    let parking = listed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| {
            entry["description"]
                .as_str()
                .unwrap()
                .contains("HARBORLINE")
        })
        .unwrap()
        .clone();
    assert_ne!(parking["suggestion"]["source"], "rule");
    let again = ledgerlink(data, &["inbox", "rules", "remove", "Demo", &rule_id], None);
    assert_eq!(again.status.code(), Some(2));
}
