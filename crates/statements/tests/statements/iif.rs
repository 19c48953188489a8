//! The IIF writer, read back by a parser written here from the format's
//! description: a `!` row names the columns of the rows of its type that follow;
//! rows are tab-separated and end in CRLF; a transaction is a TRNS row, SPL rows
//! and ENDTRNS.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use statements::iif::{IifInput, TYPES, write_iif};

use crate::dec;

/// One IIF row as column name → value, with its record type.
#[derive(Debug, Clone)]
struct Row {
    kind: String,
    fields: HashMap<String, String>,
}

#[derive(Debug, Default)]
struct Parsed {
    lists: Vec<Row>,
    transactions: Vec<(Row, Vec<Row>)>,
}

fn parse_iif(text: &str) -> Parsed {
    assert!(text.ends_with("\r\n"), "the file ends with CRLF");
    let body = &text[..text.len() - 2];
    let mut headers: HashMap<String, Vec<String>> = HashMap::new();
    let mut parsed = Parsed::default();
    let mut open: Option<(Row, Vec<Row>)> = None;
    for line in body.split("\r\n") {
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "a bare line break in {line:?}"
        );
        let cells: Vec<&str> = line.split('\t').collect();
        let kind = cells[0];
        if let Some(name) = kind.strip_prefix('!') {
            headers.insert(
                name.to_string(),
                cells[1..].iter().map(|cell| cell.to_string()).collect(),
            );
            continue;
        }
        if kind == "ENDTRNS" {
            parsed
                .transactions
                .push(open.take().expect("ENDTRNS closes a TRNS"));
            continue;
        }
        let columns = headers
            .get(kind)
            .unwrap_or_else(|| panic!("a {kind} row before its header"));
        assert!(
            cells.len() - 1 <= columns.len(),
            "more cells than columns in {line:?}"
        );
        let fields = columns
            .iter()
            .zip(
                cells[1..]
                    .iter()
                    .map(|cell| cell.to_string())
                    .chain(std::iter::repeat(String::new())),
            )
            .map(|(column, cell)| (column.clone(), cell))
            .collect();
        let row = Row {
            kind: kind.to_string(),
            fields,
        };
        match kind {
            "TRNS" => {
                assert!(open.is_none(), "a TRNS inside a TRNS");
                open = Some((row, Vec::new()));
            }
            "SPL" => open.as_mut().expect("SPL inside a TRNS").1.push(row),
            _ => parsed.lists.push(row),
        }
    }
    assert!(open.is_none(), "every TRNS ends");
    parsed
}

fn amount(row: &Row) -> Decimal {
    row.fields["AMOUNT"].parse().expect("an exact amount")
}

fn names(parsed: &Parsed, kind: &str) -> Vec<String> {
    parsed
        .lists
        .iter()
        .filter(|row| row.kind == kind)
        .map(|row| row.fields["NAME"].clone())
        .collect()
}

fn reference(id: &str, name: &str) -> Value {
    json!({"value": id, "name": name})
}

fn lists() -> (Vec<Value>, Vec<Value>, Vec<Value>, Vec<Value>) {
    let accounts = vec![
        json!({"Id": "35", "Name": "Checking", "FullyQualifiedName": "Checking", "AccountType": "Bank", "AcctNum": "1000"}),
        json!({"Id": "41", "Name": "Visa", "FullyQualifiedName": "Visa", "AccountType": "Credit Card"}),
        json!({"Id": "84", "Name": "Accounts Receivable (A/R)", "FullyQualifiedName": "Accounts Receivable (A/R)", "AccountType": "Accounts Receivable"}),
        json!({"Id": "33", "Name": "Accounts Payable (A/P)", "FullyQualifiedName": "Accounts Payable (A/P)", "AccountType": "Accounts Payable"}),
        json!({"Id": "79", "Name": "Sales", "FullyQualifiedName": "Sales", "AccountType": "Income"}),
        json!({"Id": "54", "Name": "Supplies", "FullyQualifiedName": "Office:Supplies", "AccountType": "Expense", "Description": "Pens\tand\npaper"}),
        json!({"Id": "56", "Name": "Fuel", "FullyQualifiedName": "Fuel", "AccountType": "Expense"}),
        json!({"Id": "81", "Name": "Inventory Asset", "FullyQualifiedName": "Inventory Asset", "AccountType": "Other Current Asset"}),
        json!({"Id": "44", "Name": "Notes Payable", "FullyQualifiedName": "Notes Payable", "AccountType": "Long Term Liability"}),
        json!({"Id": "4", "Name": "Undeposited Funds", "FullyQualifiedName": "Undeposited Funds", "AccountType": "Other Current Asset"}),
    ];
    let customers = vec![
        json!({"Id": "58", "DisplayName": "Amy's Bird Sanctuary", "FullyQualifiedName": "Amy's Bird Sanctuary", "CompanyName": "Amy's Bird Sanctuary",
               "BillAddr": {"Line1": "4581 Finch St.", "City": "Bayshore", "CountrySubDivisionCode": "CA", "PostalCode": "94326"}}),
        json!({"Id": "59", "DisplayName": "Job 1", "FullyQualifiedName": "Amy's Bird Sanctuary:Job 1"}),
    ];
    let vendors = vec![
        json!({"Id": "42", "DisplayName": "Bob's Burger Joint", "PrimaryPhone": {"FreeFormNumber": "(555) 555-1234"}}),
    ];
    let items = vec![
        json!({"Id": "1", "Name": "Services", "FullyQualifiedName": "Services", "Type": "Service", "UnitPrice": 75, "IncomeAccountRef": reference("79", "Sales")}),
        json!({"Id": "11", "Name": "Pump", "FullyQualifiedName": "Pump", "Type": "Inventory", "UnitPrice": 15, "PurchaseCost": 10,
               "IncomeAccountRef": reference("79", "Sales"), "ExpenseAccountRef": reference("54", "Supplies"), "AssetAccountRef": reference("81", "Inventory Asset")}),
        json!({"Id": "20", "Name": "Hardware", "Type": "Category"}),
    ];
    (accounts, customers, vendors, items)
}

fn sales_line(item: &str, amount: f64, quantity: i64, price: f64) -> Value {
    json!({"Amount": amount, "DetailType": "SalesItemLineDetail", "Description": "work\r\ndone \"well\"",
           "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": quantity, "UnitPrice": price}})
}

fn expense_line(account: &str, amount: f64) -> Value {
    json!({"Amount": amount, "DetailType": "AccountBasedExpenseLineDetail",
           "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account}}})
}

/// One document of each of the twelve types, shaped as QBO stores them.
fn transactions() -> Vec<(String, Value)> {
    let customer = reference("58", "Amy's Bird Sanctuary");
    let vendor = reference("42", "Bob's Burger Joint");
    let documents = [
        (
            "Invoice",
            json!({"Id": "238", "DocNumber": "1069", "TxnDate": "2024-07-24", "CustomerRef": customer, "TotalAmt": 182.50,
            "Line": [sales_line("1", 150.0, 2, 75.0), sales_line("11", 30.0, 2, 15.0),
                     {"DetailType": "SubTotalLineDetail", "Amount": 180.0, "SubTotalLineDetail": {}}],
            "TxnTaxDetail": {"TotalTax": 2.50}}),
        ),
        (
            "Payment",
            json!({"Id": "125", "TxnDate": "2024-07-30", "CustomerRef": customer, "TotalAmt": 182.50,
            "DepositToAccountRef": {"value": "4"}, "Line": [{"Amount": 182.50, "LinkedTxn": [{"TxnId": "238", "TxnType": "Invoice"}]}]}),
        ),
        (
            "SalesReceipt",
            json!({"Id": "263", "DocNumber": "1074", "TxnDate": "2024-07-29", "CustomerRef": reference("59", "Job 1"), "TotalAmt": 35.0,
            "DepositToAccountRef": reference("35", "Checking"), "Line": [sales_line("1", 35.0, 1, 35.0)]}),
        ),
        (
            "Estimate",
            json!({"Id": "177", "DocNumber": "1001", "TxnDate": "2024-03-26", "CustomerRef": customer, "TotalAmt": 31.5,
            "Line": [sales_line("1", 31.5, 1, 31.5)]}),
        ),
        (
            "CreditMemo",
            json!({"Id": "150", "DocNumber": "1039", "TxnDate": "2024-12-31", "CustomerRef": customer, "TotalAmt": 50.0,
            "Line": [sales_line("1", 50.0, 1, 50.0)]}),
        ),
        (
            "Bill",
            json!({"Id": "151", "TxnDate": "2024-12-31", "VendorRef": vendor, "TotalAmt": 200.0, "APAccountRef": reference("33", "Accounts Payable (A/P)"),
            "Line": [expense_line("54", 120.0), {"Amount": 80.0, "DetailType": "ItemBasedExpenseLineDetail",
                     "ItemBasedExpenseLineDetail": {"ItemRef": {"value": "11"}, "Qty": 8, "UnitPrice": 10}}]}),
        ),
        (
            "BillPayment",
            json!({"Id": "236", "TxnDate": "2024-07-14", "VendorRef": vendor, "TotalAmt": 200.0, "PayType": "Check",
            "CheckPayment": {"BankAccountRef": reference("35", "Checking")},
            "Line": [{"Amount": 200.0, "LinkedTxn": [{"TxnId": "151", "TxnType": "Bill"}]}]}),
        ),
        (
            "Purchase",
            json!({"Id": "123", "DocNumber": "1001", "TxnDate": "2024-01-15", "PaymentType": "Check", "AccountRef": reference("35", "Checking"),
            "EntityRef": {"value": "42", "name": "Bob's Burger Joint", "type": "Vendor"}, "TotalAmt": 150.00,
            "PrivateNote": "Office supplies\tfor Q1", "Line": [expense_line("54", 150.0)]}),
        ),
        (
            "Purchase",
            json!({"Id": "124", "TxnDate": "2024-01-16", "PaymentType": "CreditCard", "AccountRef": reference("41", "Visa"),
            "TotalAmt": 45.20, "Line": [expense_line("56", 45.20)]}),
        ),
        (
            "VendorCredit",
            json!({"Id": "157", "TxnDate": "2024-12-23", "VendorRef": vendor, "TotalAmt": 90.0,
            "APAccountRef": reference("33", "Accounts Payable (A/P)"), "Line": [expense_line("54", 90.0)]}),
        ),
        (
            "PurchaseOrder",
            json!({"Id": "259", "DocNumber": "1007", "TxnDate": "2024-07-28", "VendorRef": vendor, "TotalAmt": 25.0,
            "Line": [{"Amount": 25.0, "DetailType": "ItemBasedExpenseLineDetail", "ItemBasedExpenseLineDetail": {"ItemRef": {"value": "11"}, "Qty": 2.5, "UnitPrice": 10}}]}),
        ),
        (
            "Deposit",
            json!({"Id": "300", "TxnDate": "2024-01-15", "DepositToAccountRef": reference("35", "Checking"), "TotalAmt": 1500.00,
            "Line": [{"Amount": 1000.00, "DetailType": "DepositLineDetail", "DepositLineDetail": {"AccountRef": reference("79", "Sales"),
                      "Entity": {"value": "58", "name": "Amy's Bird Sanctuary", "type": "Customer"}}},
                     {"Amount": 500.00, "LinkedTxn": [{"TxnId": "125", "TxnType": "Payment"}]}]}),
        ),
        (
            "JournalEntry",
            json!({"Id": "228", "TxnDate": "2024-06-29", "TotalAmt": 100.0,
            "Line": [{"Amount": 100.0, "DetailType": "JournalEntryLineDetail", "Description": "nov portion",
                      "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": reference("54", "Supplies")}},
                     {"Amount": 100.0, "DetailType": "JournalEntryLineDetail",
                      "JournalEntryLineDetail": {"PostingType": "Credit", "AccountRef": reference("44", "Notes Payable")}}]}),
        ),
    ];
    documents
        .into_iter()
        .map(|(kind, document)| (kind.to_string(), document))
        .collect()
}

#[test]
fn every_type_is_written_balanced_and_reads_back() {
    let (accounts, customers, vendors, items) = lists();
    let transactions = transactions();
    let covered: std::collections::BTreeSet<&str> =
        transactions.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(
        covered.len(),
        TYPES.len(),
        "the test covers the twelve types"
    );
    let input = IifInput {
        accounts: &accounts,
        customers: &customers,
        vendors: &vendors,
        items: &items,
        transactions: &transactions,
    };
    let text = write_iif(&input).unwrap();
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "CRLF line ends only"
    );
    let parsed = parse_iif(&text);

    let account_names = names(&parsed, "ACCNT");
    for expected in [
        "Checking",
        "Visa",
        "Office:Supplies",
        "Fuel",
        "Sales",
        "Notes Payable",
        "Estimates",
        "Purchase Orders",
        "Sales Tax Payable",
    ] {
        assert!(
            account_names.contains(&expected.to_string()),
            "{expected} in {account_names:?}"
        );
    }
    let supplies = parsed
        .lists
        .iter()
        .find(|row| row.kind == "ACCNT" && row.fields["NAME"] == "Office:Supplies")
        .unwrap();
    assert_eq!(supplies.fields["ACCNTTYPE"], "EXP");
    assert_eq!(
        supplies.fields["DESC"], "Pens and paper",
        "free text loses its tab and line break"
    );
    assert_eq!(
        names(&parsed, "CUST"),
        vec!["Amy's Bird Sanctuary", "Amy's Bird Sanctuary:Job 1"]
    );
    assert_eq!(names(&parsed, "VEND"), vec!["Bob's Burger Joint"]);
    assert_eq!(
        names(&parsed, "INVITEM"),
        vec!["Services", "Pump"],
        "categories have no Desktop list entry"
    );
    let pump = parsed
        .lists
        .iter()
        .find(|row| row.kind == "INVITEM" && row.fields["NAME"] == "Pump")
        .unwrap();
    assert_eq!(
        (
            pump.fields["INVITEMTYPE"].as_str(),
            pump.fields["ASSETACCNT"].as_str(),
            pump.fields["COST"].as_str()
        ),
        ("INVENTORY", "Inventory Asset", "10")
    );

    assert_eq!(parsed.transactions.len(), transactions.len());
    for ((head, splits), (kind, document)) in parsed.transactions.iter().zip(&transactions) {
        let sum: Decimal = amount(head) + splits.iter().map(amount).sum::<Decimal>();
        assert_eq!(sum, Decimal::ZERO, "{kind} balances");
        let total: Decimal = document["TotalAmt"].to_string().parse().unwrap();
        assert_eq!(
            amount(head).abs(),
            total,
            "{kind}: the TRNS row carries the total"
        );
        let date = &head.fields["DATE"];
        assert_eq!(date.len(), 10, "{kind}: {date}");
        assert_eq!(&date[2..3], "/");
        assert!(
            splits
                .iter()
                .all(|split| split.fields["TRNSTYPE"] == head.fields["TRNSTYPE"])
        );
    }
    let by_type = |kind: &str| -> &(Row, Vec<Row>) {
        let index = transactions.iter().position(|(k, _)| k == kind).unwrap();
        &parsed.transactions[index]
    };
    let (invoice, invoice_splits) = by_type("Invoice");
    assert_eq!(
        (
            invoice.fields["TRNSTYPE"].as_str(),
            invoice.fields["ACCNT"].as_str(),
            invoice.fields["NAME"].as_str(),
            invoice.fields["DATE"].as_str()
        ),
        (
            "INVOICE",
            "Accounts Receivable (A/R)",
            "Amy's Bird Sanctuary",
            "07/24/2024"
        )
    );
    assert_eq!(amount(invoice), dec("182.50"));
    assert_eq!(
        invoice_splits.iter().map(amount).collect::<Vec<_>>(),
        vec![dec("-150"), dec("-30"), dec("-2.50")]
    );
    assert_eq!(invoice_splits[1].fields["INVITEM"], "Pump");
    assert_eq!(invoice_splits[1].fields["QNTY"], "-2");
    assert_eq!(invoice_splits[0].fields["MEMO"], "work done 'well'");
    let (purchase, purchase_splits) = by_type("Purchase");
    assert_eq!(
        (
            purchase.fields["TRNSTYPE"].as_str(),
            purchase.fields["ACCNT"].as_str()
        ),
        ("CHECK", "Checking")
    );
    assert_eq!(amount(purchase), dec("-150"));
    assert_eq!(purchase.fields["MEMO"], "Office supplies for Q1");
    assert_eq!(purchase_splits[0].fields["ACCNT"], "Office:Supplies");
    let card = &parsed.transactions[8].0;
    assert_eq!(
        (
            card.fields["TRNSTYPE"].as_str(),
            card.fields["ACCNT"].as_str()
        ),
        ("CREDIT CARD", "Visa")
    );
    let (credit, _) = by_type("VendorCredit");
    assert_eq!(
        (credit.fields["TRNSTYPE"].as_str(), amount(credit)),
        ("BILL", dec("90"))
    );
    let (deposit, deposit_splits) = by_type("Deposit");
    assert_eq!(amount(deposit), dec("1500"));
    assert_eq!(deposit_splits[1].fields["ACCNT"], "Undeposited Funds");
    let (journal, journal_splits) = by_type("JournalEntry");
    assert_eq!(
        (
            journal.fields["TRNSTYPE"].as_str(),
            journal.fields["ACCNT"].as_str()
        ),
        ("GENERAL JOURNAL", "Office:Supplies")
    );
    assert_eq!(journal_splits[0].fields["ACCNT"], "Notes Payable");
    let (estimate, _) = by_type("Estimate");
    assert_eq!(estimate.fields["ACCNT"], "Estimates");
}

#[test]
fn names_iif_cannot_carry_are_refused_and_unbalanced_documents_too() {
    let (accounts, mut customers, vendors, items) = lists();
    customers.push(json!({"Id": "60", "DisplayName": "Tab\tCo"}));
    let mut transactions = transactions();
    transactions[0].1["TotalAmt"] = json!(999.99);
    let input = IifInput {
        accounts: &accounts,
        customers: &customers,
        vendors: &vendors,
        items: &items,
        transactions: &transactions,
    };
    let error = write_iif(&input).unwrap_err();
    assert_eq!(error.problems.len(), 2, "{error}");
    assert!(
        error
            .problems
            .iter()
            .any(|problem| problem.starts_with("Invoice 1069: its lines add up to 182.5 ")),
        "{error}"
    );
    assert!(
        error
            .problems
            .iter()
            .any(|problem| problem.contains("customer 'Tab Co'")),
        "{error}"
    );
}

#[test]
fn an_unknown_type_is_named() {
    let transactions = vec![(
        "TimeActivity".to_string(),
        json!({"Id": "1", "TxnDate": "2024-01-01", "TotalAmt": 1}),
    )];
    let input = IifInput {
        transactions: &transactions,
        ..IifInput::default()
    };
    let error = write_iif(&input).unwrap_err();
    assert_eq!(
        error.problems,
        vec!["TimeActivity 1: 'TimeActivity' is not one of the twelve transaction types"]
    );
}
