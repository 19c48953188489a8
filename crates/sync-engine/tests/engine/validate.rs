//! Checks before a push: each problem names the record and the field, says
//! what to do, and money is compared exactly.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use sync_engine::validate::{
    IssueCode, RefTarget, ReferenceIndex, Severity, ValidationIssue, validate, validate_labeled,
};

use crate::samples;

/// The lists the samples refer to, as a company's books would hold them.
fn books() -> ReferenceIndex {
    let accounts = [
        ("4", "Undeposited Funds", "Other Current Asset", true),
        ("7", "Advertising", "Expense", true),
        ("33", "Accounts Payable (A/P)", "Accounts Payable", true),
        ("35", "Checking", "Bank", true),
        ("39", "Truck:Depreciation", "Expense", true),
        ("44", "Notes Payable", "Long Term Liability", true),
        ("45", "Interest Income", "Other Income", true),
        ("54", "Office Supplies", "Expense", true),
        ("79", "Sales", "Income", true),
        ("90", "Old Bank", "Bank", false),
        ("91", "Company Visa", "Credit Card", true),
    ];
    let mut index = ReferenceIndex::default();
    for (id, name, account_type, active) in accounts {
        index.insert(
            "Account",
            id,
            RefTarget {
                name: name.to_owned(),
                active,
                item_type: None,
                account_type: Some(account_type.to_owned()),
            },
        );
    }
    let others = [
        ("Customer", "1", "Amy's Bird Sanctuary", true),
        ("Customer", "20", "Red Rock Diner", true),
        ("Customer", "58", "ABC Customer", false),
        ("Vendor", "42", "ABC Vendor", true),
        ("Vendor", "56", "Bob's Burger Joint", true),
        ("Item", "1", "Services", true),
        ("Item", "10", "Pest Control", true),
    ];
    for (entity, id, name, active) in others {
        index.insert(
            entity,
            id,
            RefTarget {
                name: name.to_owned(),
                active,
                item_type: Some("Service".to_owned()),
                account_type: None,
            },
        );
    }
    index.insert(
        "Item",
        "12",
        RefTarget {
            name: "Garden Supplies".to_owned(),
            active: true,
            item_type: Some("Category".to_owned()),
            account_type: None,
        },
    );
    index
}

fn codes(issues: &[ValidationIssue]) -> Vec<(&str, IssueCode)> {
    issues
        .iter()
        .map(|issue| (issue.field.as_str(), issue.code))
        .collect()
}

#[test]
fn the_samples_are_clean() {
    let books = books();
    for (entity, object) in [
        ("Invoice", samples::invoice()),
        ("Bill", samples::bill()),
        ("JournalEntry", samples::journal_entry()),
        ("Deposit", samples::deposit()),
        ("Purchase", samples::purchase()),
        ("Payment", samples::payment()),
        ("SalesReceipt", samples::sales_receipt()),
    ] {
        let issues = validate(entity, &object, &books);
        // The deposit's first line names a customer made inactive above.
        if entity == "Deposit" {
            assert_eq!(
                codes(&issues),
                vec![(
                    "Line[1].DepositLineDetail.Entity",
                    IssueCode::InactiveReference
                )]
            );
            assert!(
                issues[0]
                    .message
                    .contains("the name on line 1 is \"ABC Customer\""),
                "{}",
                issues[0].message
            );
            continue;
        }
        assert!(issues.is_empty(), "{entity}: {issues:?}");
    }
}

#[test]
fn a_journal_entry_must_balance_to_the_cent_in_exact_decimals() {
    let books = books();
    let mut entry = samples::journal_entry();
    // 0.1 + 0.2 against 0.3: equal in decimals, not in binary floats.
    let mut lines = entry["Line"].as_array().unwrap().clone();
    let mut third = lines[0].clone();
    third["Id"] = json!("2");
    lines[0]["Amount"] = Value::Number("0.1".parse().unwrap());
    third["Amount"] = Value::Number("0.2".parse().unwrap());
    lines[1]["Amount"] = Value::Number("0.3".parse().unwrap());
    lines.push(third);
    entry["Line"] = Value::Array(lines);
    assert!(validate("JournalEntry", &entry, &books).is_empty());

    entry["DocNumber"] = json!("JE-7");
    entry["Line"][1]["Amount"] = Value::Number("0.29".parse().unwrap());
    let issues = validate("JournalEntry", &entry, &books);
    assert_eq!(codes(&issues), vec![("Line", IssueCode::Unbalanced)]);
    assert_eq!(
        issues[0].message,
        "Journal entry JE-7 does not balance: debits total 0.3 and credits total 0.29, a difference of 0.01. Adjust a line so debits equal credits. (field: Line)"
    );
    assert_eq!(issues[0].severity, Severity::Error);
}

#[test]
fn every_journal_line_needs_an_account_a_side_and_a_positive_amount() {
    let entry = json!({"DocNumber": "JE-9", "Line": [
        {"Id": "0", "Amount": 50, "DetailType": "JournalEntryLineDetail", "JournalEntryLineDetail": {"AccountRef": {"value": "39"}}},
        {"Id": "1", "Amount": 50, "DetailType": "JournalEntryLineDetail", "JournalEntryLineDetail": {"PostingType": "Credit"}},
        {"Id": "2", "Amount": -5, "DetailType": "JournalEntryLineDetail", "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": "44"}}},
        {"Id": "3", "DetailType": "JournalEntryLineDetail", "JournalEntryLineDetail": {"PostingType": "Sideways", "AccountRef": {"value": "44"}}}
    ]});
    let issues = validate("JournalEntry", &entry, &books());
    assert_eq!(
        codes(&issues),
        vec![
            (
                "Line[1].JournalEntryLineDetail.PostingType",
                IssueCode::Required
            ),
            (
                "Line[2].JournalEntryLineDetail.AccountRef",
                IssueCode::Required
            ),
            ("Line[3].Amount", IssueCode::InvalidValue),
            (
                "Line[4].JournalEntryLineDetail.PostingType",
                IssueCode::InvalidValue
            ),
            ("Line[4].Amount", IssueCode::Required),
        ]
    );
    assert!(
        issues[1].message.starts_with(
            "Journal entry JE-9: line 2 has no account. Choose an account for line 2."
        )
    );
    assert!(
        issues[2].message.contains("make line 3 a credit of 5"),
        "{}",
        issues[2].message
    );
    let one_line = json!({"Line": [entry["Line"][0].clone()]});
    assert!(
        codes(&validate("JournalEntry", &one_line, &books()))
            .contains(&("Line", IssueCode::Required))
    );
}

#[test]
fn an_inactive_account_on_a_line_says_how_to_fix_it() {
    let mut bill = samples::bill();
    bill["DocNumber"] = json!("B-204");
    let mut second = bill["Line"][0].clone();
    second["Id"] = json!("2");
    second["AccountBasedExpenseLineDetail"]["AccountRef"] =
        json!({"value": "90", "name": "Old Bank"});
    bill["Line"].as_array_mut().unwrap().push(second);
    let issues = validate("Bill", &bill, &books());
    assert_eq!(
        codes(&issues),
        vec![(
            "Line[2].AccountBasedExpenseLineDetail.AccountRef",
            IssueCode::InactiveReference
        )]
    );
    assert_eq!(
        issues[0].message,
        "Bill B-204: the account on line 2 is \"Old Bank\", which is inactive in QuickBooks. Choose an active account for line 2, or reactivate \"Old Bank\" in QuickBooks. (field: Line[2].AccountBasedExpenseLineDetail.AccountRef)"
    );
    // The caller may name the record its own way.
    let issues = validate_labeled("Bill", &bill, "Bill from Bob's, 31 Dec", &books());
    assert!(
        issues[0]
            .message
            .starts_with("Bill from Bob's, 31 Dec: the account on line 2")
    );
}

#[test]
fn references_anywhere_must_exist_and_be_active() {
    let books = books();
    let mut invoice = samples::invoice();
    invoice["ARAccountRef"] = json!({"value": "404"});
    invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"] =
        json!({"value": "12", "name": "Garden Supplies"});
    invoice["Line"][0]["SalesItemLineDetail"]["ClassRef"] = json!({"value": "3"});
    invoice["CustomerRef"] = json!({"value": "58", "name": "ABC Customer"});
    let issues = validate("Invoice", &invoice, &books);
    assert_eq!(
        codes(&issues),
        vec![
            (
                "Line[1].SalesItemLineDetail.ItemRef",
                IssueCode::CategoryItem
            ),
            ("CustomerRef", IssueCode::InactiveReference),
            ("ARAccountRef", IssueCode::MissingReference),
        ],
        "a class list never loaded is not checked"
    );
    assert!(
        issues[0]
            .message
            .contains("categories on transactions. Choose a product or service for line 1"),
        "{}",
        issues[0].message
    );
    assert!(
        issues[2]
            .message
            .contains("the A/R account is id 404, which QuickBooks does not have"),
        "{}",
        issues[2].message
    );
    // A category as an item's parent is how categories are meant to be used.
    let item = json!({"Name": "Rose bush", "Type": "NonInventory", "IncomeAccountRef": {"value": "79"}, "ParentRef": {"value": "12"}, "SubItem": true});
    assert!(validate("Item", &item, &books).is_empty());
}

#[test]
fn a_new_party_named_on_a_document_is_found_or_created_not_refused() {
    let books = books();
    let mut bill = samples::bill();
    bill["VendorRef"] = json!({"name": "Green Thumb Nursery"});
    let issues = validate("Bill", &bill, &books);
    assert_eq!(codes(&issues), vec![("VendorRef", IssueCode::AutoCreate)]);
    assert_eq!(issues[0].severity, Severity::Info);
    assert!(!issues[0].code.blocks_push());
    assert!(
        issues[0]
            .message
            .contains("vendor \"Green Thumb Nursery\" is not in QuickBooks yet")
    );
    // Only a document's own party is created; anything else must be chosen.
    let mut invoice = samples::invoice();
    invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"] = json!({"name": "Hedge trimming"});
    invoice["SalesTermRef"] = json!({"name": ""});
    let issues = validate("Invoice", &invoice, &books);
    assert_eq!(
        codes(&issues),
        vec![
            (
                "Line[1].SalesItemLineDetail.ItemRef",
                IssueCode::MissingReference
            ),
            ("SalesTermRef", IssueCode::MissingReference),
        ]
    );
    assert!(issues[0].message.contains("names \"Hedge trimming\", which QuickBooks does not have. Choose an existing product or service for line 1."), "{}", issues[0].message);
    assert!(
        issues[1].message.contains("the payment term is empty"),
        "{}",
        issues[1].message
    );
    // A payee of a check may be created; an employee never is.
    let mut purchase = samples::purchase();
    purchase["EntityRef"] = json!({"name": "Corner Hardware", "type": "Vendor"});
    assert_eq!(
        codes(&validate("Purchase", &purchase, &books)),
        vec![("EntityRef", IssueCode::AutoCreate)]
    );
    purchase["EntityRef"] = json!({"name": "Sam Temp", "type": "Employee"});
    assert_eq!(
        codes(&validate("Purchase", &purchase, &books)),
        vec![("EntityRef", IssueCode::MissingReference)]
    );
}

#[test]
fn required_fields_per_entity() {
    let books = ReferenceIndex::default();
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        ("Invoice", json!({}), vec!["CustomerRef", "Line"]),
        (
            "Estimate",
            json!({"Line": [{"DetailType": "SubTotalLineDetail", "Amount": 1}]}),
            vec!["CustomerRef", "Line"],
        ),
        ("SalesReceipt", json!({}), vec!["Line"]),
        ("Bill", json!({"Line": []}), vec!["VendorRef", "Line"]),
        (
            "Purchase",
            json!({}),
            vec!["PaymentType", "AccountRef", "Line"],
        ),
        (
            "Payment",
            json!({"CustomerRef": {"value": "1"}}),
            vec!["TotalAmt"],
        ),
        (
            "BillPayment",
            json!({"PayType": "Check", "VendorRef": {"value": "56"}, "TotalAmt": 5}),
            vec!["CheckPayment.BankAccountRef"],
        ),
        (
            "BillPayment",
            json!({}),
            vec!["VendorRef", "TotalAmt", "PayType"],
        ),
        ("Deposit", json!({}), vec!["DepositToAccountRef", "Line"]),
        ("JournalEntry", json!({}), vec!["Line"]),
        (
            "Customer",
            json!({"CompanyName": "Acme"}),
            vec!["DisplayName"],
        ),
        ("Vendor", json!({"GivenName": "Ann"}), vec![]),
        (
            "Account",
            json!({"AccountSubType": "Checking"}),
            vec!["Name"],
        ),
        (
            "Account",
            json!({"Name": "Petty cash"}),
            vec!["AccountType"],
        ),
        (
            "Item",
            json!({"Name": "Pruning", "Type": "Service"}),
            vec!["IncomeAccountRef"],
        ),
        (
            "Item",
            json!({"Name": "Mulch", "Type": "Inventory", "IncomeAccountRef": {"value": "79"}}),
            vec![
                "ExpenseAccountRef",
                "AssetAccountRef",
                "QtyOnHand",
                "InvStartDate",
            ],
        ),
        (
            "Item",
            json!({"Name": "Garden", "Type": "Category"}),
            vec![],
        ),
        ("Term", json!({"Name": "Net 30"}), vec!["DueDays"]),
        ("Class", json!({}), vec!["Name"]),
    ];
    for (entity, object, expected) in cases {
        let issues = validate(entity, &object, &books);
        let fields: Vec<&str> = issues
            .iter()
            .filter(|issue| issue.code == IssueCode::Required)
            .map(|issue| issue.field.as_str())
            .collect();
        assert_eq!(fields, expected, "{entity} {object}");
        for issue in issues
            .iter()
            .filter(|issue| issue.code == IssueCode::Required)
        {
            assert!(
                issue.message.contains("before it goes to QuickBooks"),
                "{}",
                issue.message
            );
            assert!(
                issue
                    .message
                    .ends_with(&format!("(field: {})", issue.field)),
                "{}",
                issue.message
            );
        }
    }
    let issues = validate("Invoice", &json!({}), &books);
    assert_eq!(
        issues[0].message,
        "New invoice needs a customer. Choose one before it goes to QuickBooks. (field: CustomerRef)"
    );
}

#[test]
fn names_quickbooks_refuses_are_caught() {
    let books = ReferenceIndex::default();
    let customer = json!({"DisplayName": "Acme: East"});
    assert_eq!(
        codes(&validate("Customer", &customer, &books)),
        vec![("DisplayName", IssueCode::InvalidValue)]
    );
    let account = json!({"Name": "Cash \"float\"", "AccountType": "Bank"});
    assert_eq!(
        codes(&validate("Account", &account, &books)),
        vec![("Name", IssueCode::InvalidValue)]
    );
}

#[test]
fn an_item_line_amount_is_quantity_times_price_rounded_half_away_from_zero() {
    let books = books();
    let line = |quantity: &str, price: &str, amount: &str| {
        json!({"Amount": Value::Number(amount.parse().unwrap()), "DetailType": "SalesItemLineDetail",
               "SalesItemLineDetail": {"ItemRef": {"value": "10"}, "Qty": Value::Number(quantity.parse().unwrap()), "UnitPrice": Value::Number(price.parse().unwrap())}})
    };
    let receipt = |lines: Vec<Value>| json!({"DocNumber": "1074", "Line": lines});
    // 3 × 0.335 = 1.005: 1.01 as QuickBooks rounds (banker's rounding would say 1.00).
    let good = receipt(vec![
        line("3", "0.335", "1.01"),
        line("2", "17.50", "35"),
        line("-1", "2.505", "-2.51"),
        line("1.5", "33.333", "50.00"),
    ]);
    assert!(
        validate("SalesReceipt", &good, &books).is_empty(),
        "{:?}",
        validate("SalesReceipt", &good, &books)
    );
    let bad = receipt(vec![
        line("3", "0.335", "1.00"),
        line("2", "17.50", "35.001"),
    ]);
    let issues = validate("SalesReceipt", &bad, &books);
    assert_eq!(
        codes(&issues),
        vec![
            ("Line[1].Amount", IssueCode::AmountMismatch),
            ("Line[2].Amount", IssueCode::AmountMismatch)
        ]
    );
    assert_eq!(
        issues[0].message,
        "Sales receipt 1074: line 1 has amount 1.00, but quantity 3 × price 0.335 is 1.01. Correct the amount, quantity or price on line 1. (field: Line[1].Amount)"
    );
    // Left out, QuickBooks works the amount out itself.
    let computed = receipt(vec![
        json!({"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "10"}, "Qty": 2, "UnitPrice": 3}}),
    ]);
    assert!(validate("SalesReceipt", &computed, &books).is_empty());
}

#[test]
fn accounts_must_be_of_the_kind_the_form_needs() {
    let books = books();
    let mut purchase = samples::purchase();
    purchase["AccountRef"] = json!({"value": "91", "name": "Company Visa"});
    let issues = validate("Purchase", &purchase, &books);
    assert_eq!(
        codes(&issues),
        vec![("AccountRef", IssueCode::WrongAccountType)]
    );
    assert!(issues[0].message.contains("the payment account \"Company Visa\" is a Credit Card account; QuickBooks needs a bank account here"), "{}", issues[0].message);
    purchase["PaymentType"] = json!("CreditCard");
    assert!(validate("Purchase", &purchase, &books).is_empty());
    let mut bill = samples::bill();
    bill["APAccountRef"] = json!({"value": "35"});
    assert_eq!(
        codes(&validate("Bill", &bill, &books)),
        vec![("APAccountRef", IssueCode::WrongAccountType)]
    );
}

#[test]
fn the_index_reads_ids_names_and_types_from_the_objects() {
    let account = json!({"Id": "90", "Name": "Old Bank", "FullyQualifiedName": "Banks:Old Bank", "AccountType": "Bank"});
    let item = json!({"Id": "12", "Name": "Garden Supplies", "Type": "Category"});
    let unsaved = json!({"Name": "Not in QuickBooks yet"});
    let index = ReferenceIndex::from_objects(
        [
            ("Account", &account, false),
            ("Item", &item, true),
            ("Item", &unsaved, true),
        ]
        .into_iter(),
    );
    assert_eq!(
        index.get("Account", "90"),
        Some(&RefTarget {
            name: "Banks:Old Bank".to_owned(),
            active: false,
            item_type: None,
            account_type: Some("Bank".to_owned())
        })
    );
    assert_eq!(
        index.get("Item", "12").unwrap().item_type.as_deref(),
        Some("Category")
    );
    assert!(index.knows("Item") && !index.knows("Class"));
    let mut empty_classes = index.clone();
    empty_classes.mark_loaded("Class");
    let bill = json!({"VendorRef": {"value": "56"}, "Line": [{"Amount": 1, "DetailType": "AccountBasedExpenseLineDetail",
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "90"}, "ClassRef": {"value": "3"}}}]});
    assert_eq!(
        codes(&validate("Bill", &bill, &empty_classes)),
        vec![
            (
                "Line[1].AccountBasedExpenseLineDetail.AccountRef",
                IssueCode::InactiveReference
            ),
            (
                "Line[1].AccountBasedExpenseLineDetail.ClassRef",
                IssueCode::MissingReference
            ),
        ]
    );
}
