//! Statements in, QuickBooks records out, end to end against the demo
//! emulator: import a statement into the inbox, accept (with edits and a
//! split), sync, and find exactly the accepted records in QuickBooks, once;
//! a re-import and a second sync change nothing.

use app_core::{
    AcceptEdits, AcceptInput, HistoryQuery, InboxQuery, InboxState, PickerOption, SplitLine,
};
use serde_json::Value;

use crate::support::{demo_query, demo_write, open};

fn account<'a>(accounts: &'a [PickerOption], name: &str) -> &'a PickerOption {
    accounts
        .iter()
        .find(|option| option.name == name)
        .unwrap_or_else(|| panic!("the demo company has no account {name}"))
}

fn ofx(lines: &[(&str, &str, &str, &str)]) -> String {
    let mut text = String::from(
        "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\nCHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n<OFX>\r\n<BANKMSGSRSV1>\r\n<STMTTRNRS>\r\n<TRNUID>1\r\n<STMTRS>\r\n<CURDEF>USD\r\n<BANKACCTFROM>\r\n<BANKID>121000248\r\n<ACCTID>XXXXXX9931\r\n<ACCTTYPE>CHECKING\r\n</BANKACCTFROM>\r\n<BANKTRANLIST>\r\n",
    );
    for (fitid, date, amount, memo) in lines {
        text.push_str(&format!(
            "<STMTTRN>\r\n<TRNTYPE>{}\r\n<DTPOSTED>{}120000.000[-5:EST]\r\n<TRNAMT>{amount}\r\n<FITID>{fitid}\r\n<MEMO>{memo}\r\n</STMTTRN>\r\n",
            if amount.starts_with('-') { "DEBIT" } else { "CREDIT" },
            date.replace('-', ""),
        ));
    }
    text.push_str("</BANKTRANLIST>\r\n</STMTRS>\r\n</STMTTRNRS>\r\n</BANKMSGSRSV1>\r\n</OFX>\r\n");
    text
}

async fn all(core: &app_core::AppCore, realm: &str, entity: &str) -> Vec<Value> {
    let answer = demo_query(
        core,
        realm,
        &format!("SELECT * FROM {entity} STARTPOSITION 1 MAXRESULTS 1000"),
    )
    .await;
    answer["QueryResponse"][entity]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn with_note<'a>(records: &'a [Value], note: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|record| record["PrivateNote"].as_str() == Some(note))
        .collect()
}

#[tokio::test]
async fn a_statement_becomes_exactly_the_accepted_records_in_quickbooks_once() {
    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    let realm = demo.realm_id.clone().unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let accounts = core.picker_options(&demo.id, "Account").await.unwrap();
    let checking = account(&accounts, "Business Checking").id.clone();
    let insurance = account(&accounts, "Insurance").id.clone();
    let interest = account(&accounts, "Interest Earned").id.clone();
    let wages = account(&accounts, "Payroll Wages").id.clone();

    // A Purchase QuickBooks already has on the checking account (entered
    // there by the client): the statement's line for it must be found, not
    // pushed again.
    demo_write(
        core,
        &realm,
        "purchase",
        serde_json::json!({
            "PaymentType": "Cash",
            "AccountRef": {"value": checking},
            "TxnDate": "2026-10-30",
            "PrivateNote": "Entered in QuickBooks",
            "Line": [{
                "Amount": 64.10,
                "DetailType": "AccountBasedExpenseLineDetail",
                "AccountBasedExpenseLineDetail": {"AccountRef": {"value": insurance}},
            }],
        }),
    )
    .await;
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let purchases_before = all(core, &realm, "Purchase").await;
    let shifted = "2026-11-01".to_owned();
    let existing_amount = "-64.10".to_owned();

    let coffee = "POS DEBIT ZEPHYR COFFEE ROASTERS #0412 PORTLAND OR";
    let stationery = "ACH DEBIT QUILLMARK STATIONERS REF 88123";
    let interest_text = "INTEREST PAYMENT 0931 DEC";
    let file = ofx(&[
        ("T-1", "2026-11-02", "-23.45", coffee),
        ("T-2", "2026-11-03", "-187.20", stationery),
        ("T-3", "2026-11-04", "12.34", interest_text),
        ("T-4", &shifted, &existing_amount, "CHECK PAID"),
    ]);
    let report = core
        .import_statement_bytes(
            &demo.id,
            "november.ofx",
            file.as_bytes(),
            Some("Business Checking"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(report.format, "ofx1");
    assert_eq!(report.bank_account_id, checking);
    assert_eq!(
        (report.lines_read, report.imported, report.duplicates),
        (4, 4, 0)
    );
    assert_eq!(report.already_in_quickbooks, 1);
    let by_text = |text: &str| {
        report
            .entries
            .iter()
            .find(|entry| entry.description.contains(text))
            .unwrap()
            .clone()
    };
    let coffee_entry = by_text("ZEPHYR");
    let stationery_entry = by_text("QUILLMARK");
    let interest_entry = by_text("INTEREST");
    let matched_entry = by_text("CHECK PAID");
    assert_eq!(coffee_entry.amount, "-23.45");
    assert_eq!(matched_entry.state, InboxState::AlreadyInQuickbooks);
    assert!(matched_entry.matched_record.is_some());
    for entry in [&coffee_entry, &stationery_entry, &interest_entry] {
        assert_eq!(entry.state, InboxState::New);
        assert!((0.0..=1.0).contains(&entry.suggestion.confidence));
        assert!(!entry.suggestion.explanation.is_empty());
    }

    // The line already in QuickBooks is refused without force.
    let refused = core
        .accept_inbox_entry(
            &demo.id,
            AcceptInput {
                entry_id: matched_entry.id,
                edits: None,
                force: false,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), "invalid");

    // Accept: the coffee with an edited account, the stationery split over
    // two accounts, the interest as a deposit.
    let accepted = core
        .accept_inbox_entry(
            &demo.id,
            AcceptInput {
                entry_id: coffee_entry.id,
                edits: Some(AcceptEdits {
                    account_id: Some(insurance.clone()),
                    memo: Some("Team coffee".to_owned()),
                    ..AcceptEdits::default()
                }),
                force: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(accepted.accepted.len(), 1);
    assert_eq!(accepted.accepted[0].state, InboxState::Accepted);
    assert_eq!(accepted.accepted[0].created_records.len(), 1);
    let coffee_record = accepted.accepted[0].created_records[0].clone();
    let bad_split = core
        .accept_inbox_entry(
            &demo.id,
            AcceptInput {
                entry_id: stationery_entry.id,
                edits: Some(AcceptEdits {
                    splits: vec![
                        SplitLine {
                            account_id: insurance.clone(),
                            amount: "100.00".to_owned(),
                            memo: None,
                        },
                        SplitLine {
                            account_id: wages.clone(),
                            amount: "87.19".to_owned(),
                            memo: None,
                        },
                    ],
                    ..AcceptEdits::default()
                }),
                force: false,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad_split.kind(), "invalid");
    core.accept_inbox_entry(
        &demo.id,
        AcceptInput {
            entry_id: stationery_entry.id,
            edits: Some(AcceptEdits {
                payee: Some("Quillmark Stationers".to_owned()),
                splits: vec![
                    SplitLine {
                        account_id: insurance.clone(),
                        amount: "100.00".to_owned(),
                        memo: Some("Paper".to_owned()),
                    },
                    SplitLine {
                        account_id: wages.clone(),
                        amount: "87.20".to_owned(),
                        memo: None,
                    },
                ],
                ..AcceptEdits::default()
            }),
            force: false,
        },
    )
    .await
    .unwrap();
    core.accept_inbox_entry(
        &demo.id,
        AcceptInput {
            entry_id: interest_entry.id,
            edits: Some(AcceptEdits {
                account_id: Some(interest.clone()),
                ..AcceptEdits::default()
            }),
            force: false,
        },
    )
    .await
    .unwrap();
    // Accepting twice makes nothing new.
    let again = core
        .accept_inbox_entry(
            &demo.id,
            AcceptInput {
                entry_id: coffee_entry.id,
                edits: None,
                force: false,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(again.kind(), "invalid");

    // The history links the record to its statement line.
    let history = core
        .list_history(
            &demo.id,
            HistoryQuery {
                local_id: Some(coffee_record.clone()),
                offset: 0,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert!(
        history.rows.iter().any(
            |row| row.summary.contains("from statement line") && row.summary.contains("ZEPHYR")
        ),
        "{:?}",
        history.rows
    );

    let first = core.sync_now(&demo.id, |_| {}).await.unwrap();
    assert!(first.pushed >= 3, "{first:?}");

    let purchases = all(core, &realm, "Purchase").await;
    let deposits = all(core, &realm, "Deposit").await;
    let vendors = all(core, &realm, "Vendor").await;
    assert_eq!(purchases.len(), purchases_before.len() + 2);
    let coffee_remote = with_note(&purchases, "Team coffee");
    assert_eq!(coffee_remote.len(), 1);
    assert_eq!(coffee_remote[0]["TotalAmt"].to_string(), "23.45");
    assert_eq!(
        coffee_remote[0]["AccountRef"]["value"].as_str(),
        Some(checking.as_str())
    );
    assert_eq!(
        coffee_remote[0]["Line"][0]["AccountBasedExpenseLineDetail"]["AccountRef"]["value"]
            .as_str(),
        Some(insurance.as_str())
    );
    let stationery_remote = with_note(&purchases, stationery);
    assert_eq!(stationery_remote.len(), 1);
    assert_eq!(stationery_remote[0]["TotalAmt"].to_string(), "187.2");
    assert_eq!(stationery_remote[0]["Line"].as_array().unwrap().len(), 2);
    // The new payee was created by vendor auto-create, once.
    let quillmark: Vec<&Value> = vendors
        .iter()
        .filter(|vendor| vendor["DisplayName"].as_str() == Some("Quillmark Stationers"))
        .collect();
    assert_eq!(quillmark.len(), 1);
    assert_eq!(
        stationery_remote[0]["EntityRef"]["value"].as_str(),
        quillmark[0]["Id"].as_str()
    );
    let interest_remote = with_note(&deposits, interest_text);
    assert_eq!(interest_remote.len(), 1);
    assert_eq!(interest_remote[0]["TotalAmt"].to_string(), "12.34");
    assert_eq!(with_note(&purchases, "CHECK PAID").len(), 0);

    // The same file again: nothing new in the inbox, nothing new in QuickBooks.
    let repeat = core
        .import_statement_bytes(
            &demo.id,
            "november.ofx",
            file.as_bytes(),
            Some("Business Checking"),
            None,
        )
        .await
        .unwrap();
    assert_eq!((repeat.imported, repeat.duplicates), (0, 4));
    let second = core.sync_now(&demo.id, |_| {}).await.unwrap();
    assert_eq!(second.pushed, 0, "{second:?}");
    assert_eq!(all(core, &realm, "Purchase").await.len(), purchases.len());
    assert_eq!(all(core, &realm, "Deposit").await.len(), deposits.len());
    assert_eq!(all(core, &realm, "Vendor").await.len(), vendors.len());

    let inbox = core
        .list_inbox(
            &demo.id,
            InboxQuery {
                limit: 100,
                ..InboxQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(inbox.total, 4);
    assert_eq!(inbox.counts.accepted, 3);
    assert_eq!(inbox.counts.already_in_quickbooks, 1);
}

fn line_of<'a>(
    entries: &'a [app_core::InboxEntryView],
    text: &str,
) -> &'a app_core::InboxEntryView {
    entries
        .iter()
        .find(|entry| entry.description.contains(text))
        .unwrap_or_else(|| panic!("no inbox entry has '{text}'"))
}

async fn open_entries(core: &app_core::AppCore, company: &str) -> Vec<app_core::InboxEntryView> {
    core.list_inbox(
        company,
        InboxQuery {
            limit: 100,
            ..InboxQuery::default()
        },
    )
    .await
    .expect("the inbox is read")
    .entries
}

/// Whether a JSON amount has exactly these digits.
fn amount_is(value: &Value, text: &str) -> bool {
    value.as_number().map(ToString::to_string).as_deref() == Some(text)
}

#[tokio::test]
async fn a_rule_beats_learning_and_bad_rules_are_refused_clearly() {
    use app_core::{StatementRuleInput, SuggestionSource};

    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    let realm = demo.realm_id.clone().unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let accounts = core.picker_options(&demo.id, "Account").await.unwrap();
    let insurance = account(&accounts, "Insurance").id.clone();
    let interest = account(&accounts, "Interest Earned").id.clone();

    // The client's past purchases from this vendor all went to wages (an
    // odd choice, which is why a rule is wanted).
    let checking = account(&accounts, "Business Checking").id.clone();
    let wages = account(&accounts, "Payroll Wages").id.clone();
    for day in 1..=6 {
        demo_write(
            core,
            &realm,
            "purchase",
            serde_json::json!({
                "PaymentType": "Cash",
                "AccountRef": {"value": checking},
                "TxnDate": format!("2026-10-{day:02}"),
                "Line": [{
                    "Amount": 30 + day,
                    "Description": format!("ACH DEBIT BRIGHTWAVE TELECOM REF 77{day}"),
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": wages}},
                }],
            }),
        )
        .await;
    }
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let known = "ACH DEBIT BRIGHTWAVE TELECOM REF 9901".to_owned();
    let vendor_word = "BRIGHTWAVE".to_owned();
    let file = ofx(&[
        ("R-1", "2026-11-02", "-41.00", &known),
        ("R-2", "2026-11-03", "12.34", "INTEREST PAYMENT 0931 NOV"),
        ("R-3", "2026-11-04", "75.00", "INTEREST PAYMENT ADJUSTMENT"),
    ]);
    core.import_statement_bytes(
        &demo.id,
        "rules.ofx",
        file.as_bytes(),
        Some("Business Checking"),
        None,
    )
    .await
    .unwrap();
    let before = open_entries(core, &demo.id).await;
    let learnt = line_of(&before, &known).clone();
    assert_eq!(learnt.suggestion.source, SuggestionSource::History);
    assert_eq!(
        learnt.suggestion.account_id.as_deref(),
        Some(wages.as_str())
    );
    assert_ne!(
        learnt.suggestion.account_id.as_deref(),
        Some(insurance.as_str())
    );

    // Bad rules change nothing and say what is wrong.
    let bad_regex = core
        .add_statement_rule(
            &demo.id,
            StatementRuleInput {
                regex: Some("INTEREST (".to_owned()),
                account: Some("Interest Earned".to_owned()),
                ..StatementRuleInput::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad_regex.kind(), "invalid");
    assert!(
        bad_regex.to_string().contains("'INTEREST ('")
            && bad_regex
                .to_string()
                .contains("not a valid regular expression"),
        "{bad_regex}"
    );
    let unknown = core
        .add_statement_rule(
            &demo.id,
            StatementRuleInput {
                text_contains: Some("INTEREST".to_owned()),
                account: Some("Bitcoin Winnings".to_owned()),
                ..StatementRuleInput::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        unknown.to_string().contains("'Bitcoin Winnings'"),
        "{unknown}"
    );
    let no_condition = core
        .add_statement_rule(
            &demo.id,
            StatementRuleInput {
                account: Some("Insurance".to_owned()),
                ..StatementRuleInput::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(no_condition.kind(), "invalid");
    let upside_down = core
        .add_statement_rule(
            &demo.id,
            StatementRuleInput {
                text_contains: Some("INTEREST".to_owned()),
                amount_min: Some("50".to_owned()),
                amount_max: Some("10".to_owned()),
                account: Some("Interest Earned".to_owned()),
                ..StatementRuleInput::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(upside_down.kind(), "invalid");
    assert!(
        core.list_statement_rules(&demo.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(open_entries(core, &demo.id).await, before);

    // A rule on the vendor's word beats what the history learnt.
    let report = core
        .add_statement_rule(
            &demo.id,
            StatementRuleInput {
                name: Some("Vendor to insurance".to_owned()),
                text_contains: Some(vendor_word.to_lowercase()),
                account: Some("Insurance".to_owned()),
                payee: Some("Rule Payee".to_owned()),
                ..StatementRuleInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.resuggested, 1);
    assert_eq!(report.rules.len(), 1);
    assert_eq!(
        report.rules[0].account_id.as_deref(),
        Some(insurance.as_str())
    );
    let entries = open_entries(core, &demo.id).await;
    let ruled = line_of(&entries, &known);
    assert_eq!(ruled.suggestion.source, SuggestionSource::Rule);
    assert_eq!(
        ruled.suggestion.account_id.as_deref(),
        Some(insurance.as_str())
    );
    assert_eq!(ruled.suggestion.payee.as_deref(), Some("Rule Payee"));
    assert!((ruled.suggestion.confidence - 1.0).abs() < f64::EPSILON);
    assert!(
        ruled.suggestion.explanation.contains("Vendor to insurance"),
        "{}",
        ruled.suggestion.explanation
    );

    // A pattern with an amount range: the small interest line only.
    let report = core
        .add_statement_rule(
            &demo.id,
            StatementRuleInput {
                regex: Some(r"^interest\s+payment\s+\d+".to_owned()),
                amount_min: Some("0.01".to_owned()),
                amount_max: Some("50".to_owned()),
                account: Some(interest.clone()),
                ..StatementRuleInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.resuggested, 1);
    let entries = open_entries(core, &demo.id).await;
    let small = line_of(&entries, "0931 NOV");
    assert_eq!(small.suggestion.source, SuggestionSource::Rule);
    assert_eq!(
        small.suggestion.account_id.as_deref(),
        Some(interest.as_str())
    );
    assert!(small.suggestion.explanation.contains("amount 0.01 to 50"));
    let large = line_of(&entries, "ADJUSTMENT");
    assert_ne!(large.suggestion.source, SuggestionSource::Rule);

    // A line imported after the rule gets it at import.
    let later = ofx(&[(
        "R-4",
        "2026-11-20",
        "-55.00",
        &known.replace("REF", "REF 9"),
    )]);
    let imported = core
        .import_statement_bytes(
            &demo.id,
            "later.ofx",
            later.as_bytes(),
            Some("Business Checking"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        imported.entries[0].suggestion.source,
        SuggestionSource::Rule
    );

    // Removing the first rule gives the history its say again.
    let vendor_rule = report.rules[0].id;
    let after = core
        .remove_statement_rule(&demo.id, vendor_rule)
        .await
        .unwrap();
    assert_eq!(after.rules.len(), 1);
    assert_eq!(after.resuggested, 2);
    let entries = open_entries(core, &demo.id).await;
    assert_eq!(
        line_of(&entries, &known).suggestion,
        learnt.suggestion,
        "the history's suggestion is back"
    );
    let missing = core.remove_statement_rule(&demo.id, 999).await.unwrap_err();
    assert!(missing.to_string().contains("999"), "{missing}");

    // An entry accepted as suggested is not the user's choice; one accepted
    // with another account is, and the view says so.
    let small_id = line_of(&entries, "0931 NOV").id;
    let large_id = line_of(&entries, "ADJUSTMENT").id;
    let as_suggested = core
        .accept_inbox_entry(
            &demo.id,
            AcceptInput {
                entry_id: small_id,
                edits: None,
                force: false,
            },
        )
        .await
        .unwrap();
    assert!(!as_suggested.accepted[0].edited_by_user);
    let edited = core
        .accept_inbox_entry(
            &demo.id,
            AcceptInput {
                entry_id: large_id,
                edits: Some(AcceptEdits {
                    account_id: Some(insurance.clone()),
                    ..AcceptEdits::default()
                }),
                force: false,
            },
        )
        .await
        .unwrap();
    assert!(edited.accepted[0].edited_by_user);
    assert_eq!(
        edited.accepted[0].accepted_account_name.as_deref(),
        Some("Insurance")
    );
}

#[tokio::test]
async fn a_transfer_between_two_imported_accounts_reaches_quickbooks_once() {
    // QuickBooks' Transfer is not a type Ledgerlink syncs: the pair becomes
    // one Deposit into savings whose line's account is checking.
    use app_core::StatementTxnType;

    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    let realm = demo.realm_id.clone().unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let accounts = core.picker_options(&demo.id, "Account").await.unwrap();
    let checking = account(&accounts, "Business Checking").id.clone();
    let savings = account(&accounts, "Business Savings").id.clone();
    let deposits_before = all(core, &realm, "Deposit").await;

    let out_file = ofx(&[
        (
            "C-1",
            "2026-11-10",
            "-1234.56",
            "ONLINE TRANSFER TO SAV XXX4410",
        ),
        ("C-2", "2026-11-12", "-18.20", "POS DEBIT CORNER DELI"),
    ]);
    let in_file = ofx(&[(
        "S-1",
        "2026-11-11",
        "1234.56",
        "ONLINE TRANSFER FROM CHK XXX9931",
    )]);
    core.import_statement_bytes(
        &demo.id,
        "checking.ofx",
        out_file.as_bytes(),
        Some("Business Checking"),
        None,
    )
    .await
    .unwrap();
    core.import_statement_bytes(
        &demo.id,
        "savings.ofx",
        in_file.as_bytes(),
        Some("Business Savings"),
        None,
    )
    .await
    .unwrap();
    let entries = open_entries(core, &demo.id).await;
    let out = line_of(&entries, "TO SAV").clone();
    let into = line_of(&entries, "FROM CHK").clone();
    let deli = line_of(&entries, "DELI");
    assert_eq!(out.suggestion.txn_type, StatementTxnType::Transfer);
    assert_eq!(into.suggestion.txn_type, StatementTxnType::Transfer);
    assert_eq!(out.transfer_partner_id, Some(into.id));
    assert_eq!(into.transfer_partner_id, Some(out.id));
    assert_ne!(deli.suggestion.txn_type, StatementTxnType::Transfer);
    assert!(deli.transfer_partner_id.is_none());

    // Accepting the money-in side accepts both: one Transfer.
    let accepted = core
        .accept_inbox_entry(
            &demo.id,
            AcceptInput {
                entry_id: into.id,
                edits: None,
                force: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(accepted.accepted.len(), 2);
    assert!(
        accepted
            .accepted
            .iter()
            .all(|entry| entry.state == InboxState::Accepted && !entry.edited_by_user)
    );
    assert_eq!(
        accepted.accepted[0].created_records,
        accepted.accepted[1].created_records
    );
    assert_eq!(accepted.accepted[0].created_records.len(), 1);
    let again = core
        .accept_inbox_entry(
            &demo.id,
            AcceptInput {
                entry_id: out.id,
                edits: None,
                force: false,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(again.kind(), "invalid");

    let first = core.sync_now(&demo.id, |_| {}).await.unwrap();
    assert!(first.pushed >= 1, "{first:?}");
    let deposits = all(core, &realm, "Deposit").await;
    assert_eq!(deposits.len(), deposits_before.len() + 1);
    let made: Vec<&Value> = deposits
        .iter()
        .filter(|deposit| amount_is(&deposit["TotalAmt"], "1234.56"))
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(
        made[0]["DepositToAccountRef"]["value"].as_str(),
        Some(savings.as_str())
    );
    assert_eq!(made[0]["Line"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        made[0]["Line"][0]["DepositLineDetail"]["AccountRef"]["value"].as_str(),
        Some(checking.as_str())
    );
    assert_eq!(made[0]["TxnDate"].as_str(), Some("2026-11-10"));
    let purchases = all(core, &realm, "Purchase").await;
    assert!(
        !purchases
            .iter()
            .any(|purchase| amount_is(&purchase["TotalAmt"], "1234.56")),
        "the transfer is not also a purchase"
    );

    // Both files again, and a second sync: nothing new anywhere.
    for (name, file, bank) in [
        ("checking.ofx", &out_file, "Business Checking"),
        ("savings.ofx", &in_file, "Business Savings"),
    ] {
        let repeat = core
            .import_statement_bytes(&demo.id, name, file.as_bytes(), Some(bank), None)
            .await
            .unwrap();
        assert_eq!(repeat.imported, 0);
    }
    let second = core.sync_now(&demo.id, |_| {}).await.unwrap();
    assert_eq!(second.pushed, 0, "{second:?}");
    assert_eq!(all(core, &realm, "Deposit").await.len(), deposits.len());

    // A later statement of checking that shows the same money leaving
    // (another file, no FITID in common) finds it already in QuickBooks.
    let overlap = ofx(&[("OTHER-1", "2026-11-10", "-1234.56", "TRANSFER TO SAVINGS")]);
    let found = core
        .import_statement_bytes(
            &demo.id,
            "checking-again.ofx",
            overlap.as_bytes(),
            Some("Business Checking"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(found.already_in_quickbooks, 1, "{found:?}");
}
