//! QuickBooks Desktop IIF export: the company's lists and its transactions of
//! the twelve QBO types, from the stored QBO JSON documents.
//!
//! The file is tab-delimited with CRLF line ends; each section starts with its
//! `!` header row. Each transaction is one `TRNS` row (the side that touches
//! accounts receivable, accounts payable, the bank or the card), `SPL` rows for
//! the other side, and `ENDTRNS`. Amounts are signed (debit positive) and a
//! transaction's rows sum to exactly zero; a document whose lines do not add up
//! to its total is refused, not rounded. The type mapping is in the crate README.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;

/// What to export: the lists and the transactions, each transaction with its QBO
/// type name (`"Invoice"`, `"Purchase"`, ...).
#[derive(Debug, Clone, Copy, Default)]
pub struct IifInput<'a> {
    pub accounts: &'a [Value],
    pub customers: &'a [Value],
    pub vendors: &'a [Value],
    pub items: &'a [Value],
    pub transactions: &'a [(String, Value)],
}

/// Everything that kept the export from being written, one sentence per record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the IIF file was not written: {}", problems.join("; "))]
pub struct IifError {
    pub problems: Vec<String>,
}

/// The types this writer knows, in the order the twelve QBO types are usually listed.
pub const TYPES: [&str; 12] = [
    "Invoice",
    "Payment",
    "SalesReceipt",
    "Estimate",
    "CreditMemo",
    "Bill",
    "BillPayment",
    "Purchase",
    "VendorCredit",
    "PurchaseOrder",
    "Deposit",
    "JournalEntry",
];

const LINE_END: &str = "\r\n";

const TRNS_HEADER: [&str; 9] = [
    "TRNSID", "TRNSTYPE", "DATE", "ACCNT", "NAME", "CLASS", "AMOUNT", "DOCNUM", "MEMO",
];
const SPL_HEADER: [&str; 12] = [
    "SPLID", "TRNSTYPE", "DATE", "ACCNT", "NAME", "CLASS", "AMOUNT", "DOCNUM", "MEMO", "QNTY",
    "PRICE", "INVITEM",
];

/// QBO account types as IIF `ACCNTTYPE` codes.
fn account_type(qbo: &str) -> Option<&'static str> {
    Some(match qbo {
        "Bank" => "BANK",
        "Accounts Receivable" => "AR",
        "Other Current Asset" => "OCASSET",
        "Fixed Asset" => "FIXASSET",
        "Other Asset" => "OASSET",
        "Accounts Payable" => "AP",
        "Credit Card" => "CCARD",
        "Other Current Liability" => "OCLIAB",
        "Long Term Liability" => "LTLIAB",
        "Equity" => "EQUITY",
        "Income" => "INC",
        "Cost of Goods Sold" => "COGS",
        "Expense" => "EXP",
        "Other Income" => "EXINC",
        "Other Expense" => "EXEXP",
        _ => return None,
    })
}

/// A name field: IIF has no escape for tabs or line breaks, and QuickBooks reads a
/// field that starts with a double quote as quoted, so such names are refused.
fn name_field(value: &str, what: &str, problems: &mut Vec<String>) -> String {
    if value.contains(['\t', '\r', '\n', '"']) {
        problems.push(format!(
            "{what} '{}' contains a tab, a line break or a double quote, which IIF cannot carry: rename it",
            value.replace(['\t', '\r', '\n'], " ")
        ));
    }
    value.to_string()
}

/// Free text (memos, descriptions, addresses): tabs and line breaks become spaces
/// and double quotes single quotes, the closest IIF can carry.
fn text_field(value: &str) -> String {
    value
        .replace("\r\n", " ")
        .replace(['\t', '\r', '\n'], " ")
        .replace('"', "'")
}

fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut current = value;
    for key in path {
        current = current.get(key)?;
    }
    current.as_str()
}

fn amount(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(number) => number.to_string().parse().ok(),
        Value::String(text) => text.parse().ok(),
        _ => None,
    }
}

fn money(value: Decimal) -> String {
    if value.is_zero() {
        "0.00".into()
    } else {
        value.to_string()
    }
}

fn date(value: &Value) -> Option<String> {
    let date = NaiveDate::parse_from_str(value.get("TxnDate")?.as_str()?, "%Y-%m-%d").ok()?;
    Some(date.format("%m/%d/%Y").to_string())
}

fn row(out: &mut String, cells: &[&str]) {
    out.push_str(&cells.join("\t"));
    out.push_str(LINE_END);
}

/// One posting of a transaction: the account, the name, the signed amount.
#[derive(Debug, Clone, Default)]
struct Posting {
    account: String,
    name: String,
    class: String,
    amount: Decimal,
    memo: String,
    quantity: Option<Decimal>,
    price: Option<Decimal>,
    item: String,
}

/// The lists by id, to name what a transaction refers to.
#[derive(Debug)]
struct Lists<'a> {
    accounts: HashMap<&'a str, &'a Value>,
    customers: HashMap<&'a str, &'a Value>,
    vendors: HashMap<&'a str, &'a Value>,
    items: HashMap<&'a str, &'a Value>,
    receivable: String,
    payable: String,
}

fn by_id(values: &[Value]) -> HashMap<&str, &Value> {
    values
        .iter()
        .filter_map(|value| Some((value.get("Id")?.as_str()?, value)))
        .collect()
}

fn full_name(value: &Value) -> Option<&str> {
    text(value, &["FullyQualifiedName"])
        .or_else(|| text(value, &["DisplayName"]))
        .or_else(|| text(value, &["Name"]))
}

impl<'a> Lists<'a> {
    fn new(input: &IifInput<'a>) -> Lists<'a> {
        let find = |kind: &str, fallback: &str| {
            input
                .accounts
                .iter()
                .find(|account| text(account, &["AccountType"]) == Some(kind))
                .and_then(full_name)
                .unwrap_or(fallback)
                .to_string()
        };
        Lists {
            accounts: by_id(input.accounts),
            customers: by_id(input.customers),
            vendors: by_id(input.vendors),
            items: by_id(input.items),
            receivable: find("Accounts Receivable", "Accounts Receivable"),
            payable: find("Accounts Payable", "Accounts Payable"),
        }
    }

    /// An account reference's full name: from the list by id, else the ref's name.
    fn account(&self, reference: Option<&Value>) -> Option<String> {
        let reference = reference?;
        text(reference, &["value"])
            .and_then(|id| self.accounts.get(id))
            .and_then(|account| full_name(account))
            .or_else(|| text(reference, &["name"]))
            .map(str::to_string)
    }

    fn name(&self, reference: Option<&Value>, list: &HashMap<&str, &Value>) -> String {
        let Some(reference) = reference else {
            return String::new();
        };
        text(reference, &["value"])
            .and_then(|id| list.get(id))
            .and_then(|entry| full_name(entry))
            .or_else(|| text(reference, &["name"]))
            .unwrap_or_default()
            .to_string()
    }

    fn customer(&self, reference: Option<&Value>) -> String {
        self.name(reference, &self.customers)
    }

    fn vendor(&self, reference: Option<&Value>) -> String {
        self.name(reference, &self.vendors)
    }

    fn entity(&self, reference: Option<&Value>) -> String {
        match reference.and_then(|reference| text(reference, &["type"])) {
            Some("Vendor") => self.vendor(reference),
            _ => {
                let name = self.customer(reference);
                if name.is_empty() {
                    self.vendor(reference)
                } else {
                    name
                }
            }
        }
    }
}

/// Writes the IIF file, or lists every record it cannot carry.
pub fn write_iif(input: &IifInput<'_>) -> Result<String, IifError> {
    let lists = Lists::new(input);
    let mut problems = Vec::new();
    let mut out = String::new();
    let mut written_accounts: BTreeSet<String> = BTreeSet::new();

    // The transactions first, into their own buffer: they name the special
    // accounts (undeposited funds, the non-posting estimate and order accounts)
    // that the account list must then declare.
    let mut transactions = String::new();
    let mut used_accounts: BTreeSet<String> = BTreeSet::new();
    if !input.transactions.is_empty() {
        row(&mut transactions, &[&["!TRNS"][..], &TRNS_HEADER].concat());
        row(&mut transactions, &[&["!SPL"][..], &SPL_HEADER].concat());
        row(&mut transactions, &["!ENDTRNS"]);
    }
    for (kind, document) in input.transactions {
        let label = format!(
            "{kind} {}",
            text(document, &["DocNumber"])
                .or_else(|| text(document, &["Id"]))
                .unwrap_or("?")
        );
        match transaction(kind, document, &lists) {
            Ok((iif_type, head, splits)) => {
                let sum: Decimal =
                    head.amount + splits.iter().map(|split| split.amount).sum::<Decimal>();
                if !sum.is_zero() {
                    problems.push(format!("{label}: its lines do not balance (off by {sum})"));
                    continue;
                }
                let Some(txn_date) = date(document) else {
                    problems.push(format!("{label}: no valid TxnDate"));
                    continue;
                };
                let doc_number = text_field(text(document, &["DocNumber"]).unwrap_or_default());
                let memo = text_field(text(document, &["PrivateNote"]).unwrap_or_default());
                let head_name = name_field(&head.name, "the name", &mut problems);
                let head_account = name_field(&head.account, "the account", &mut problems);
                used_accounts.insert(head.account.clone());
                row(
                    &mut transactions,
                    &[
                        "TRNS",
                        "",
                        iif_type,
                        &txn_date,
                        &head_account,
                        &head_name,
                        "",
                        &money(head.amount),
                        &doc_number,
                        &memo,
                    ],
                );
                for split in &splits {
                    used_accounts.insert(split.account.clone());
                    let account = name_field(&split.account, "the account", &mut problems);
                    let name = name_field(&split.name, "the name", &mut problems);
                    let class = name_field(&split.class, "the class", &mut problems);
                    let item = name_field(&split.item, "the item", &mut problems);
                    let quantity = split.quantity.map(money).unwrap_or_default();
                    let price = split.price.map(money).unwrap_or_default();
                    row(
                        &mut transactions,
                        &[
                            "SPL",
                            "",
                            iif_type,
                            &txn_date,
                            &account,
                            &name,
                            &class,
                            &money(split.amount),
                            &doc_number,
                            &text_field(&split.memo),
                            &quantity,
                            &price,
                            &item,
                        ],
                    );
                }
                row(&mut transactions, &["ENDTRNS"]);
            }
            Err(problem) => problems.push(format!("{label}: {problem}")),
        }
    }

    row(&mut out, &["!ACCNT", "NAME", "ACCNTTYPE", "DESC", "ACCNUM"]);
    for account in input.accounts {
        let Some(name) = full_name(account) else {
            problems.push("an account without a name".into());
            continue;
        };
        let kind = text(account, &["AccountType"]).unwrap_or_default();
        let Some(code) = account_type(kind) else {
            problems.push(format!(
                "account '{name}': type '{kind}' has no IIF equivalent"
            ));
            continue;
        };
        let name = name_field(name, "account", &mut problems);
        let description = text_field(text(account, &["Description"]).unwrap_or_default());
        let number = text_field(text(account, &["AcctNum"]).unwrap_or_default());
        row(&mut out, &["ACCNT", &name, code, &description, &number]);
        written_accounts.insert(name);
    }
    for (special, code) in [
        ("Undeposited Funds", "OCASSET"),
        ("Estimates", "NONPOSTING"),
        ("Purchase Orders", "NONPOSTING"),
        ("Sales Tax Payable", "OCLIAB"),
        (lists.receivable.as_str(), "AR"),
        (lists.payable.as_str(), "AP"),
    ] {
        if used_accounts.contains(special) && !written_accounts.contains(special) {
            row(&mut out, &["ACCNT", special, code, "", ""]);
            written_accounts.insert(special.to_string());
        }
    }

    if !input.customers.is_empty() {
        row(
            &mut out,
            &[
                "!CUST",
                "NAME",
                "COMPANYNAME",
                "FIRSTNAME",
                "LASTNAME",
                "BADDR1",
                "BADDR2",
                "BADDR3",
                "PHONE1",
                "EMAIL",
            ],
        );
        for customer in input.customers {
            let Some(name) = full_name(customer) else {
                problems.push("a customer without a name".into());
                continue;
            };
            let name = name_field(name, "customer", &mut problems);
            let (line1, line2, line3) = address(customer.get("BillAddr"));
            row(
                &mut out,
                &[
                    "CUST",
                    &name,
                    &text_field(text(customer, &["CompanyName"]).unwrap_or_default()),
                    &text_field(text(customer, &["GivenName"]).unwrap_or_default()),
                    &text_field(text(customer, &["FamilyName"]).unwrap_or_default()),
                    &line1,
                    &line2,
                    &line3,
                    &text_field(
                        text(customer, &["PrimaryPhone", "FreeFormNumber"]).unwrap_or_default(),
                    ),
                    &text_field(
                        text(customer, &["PrimaryEmailAddr", "Address"]).unwrap_or_default(),
                    ),
                ],
            );
        }
    }
    if !input.vendors.is_empty() {
        row(
            &mut out,
            &[
                "!VEND",
                "NAME",
                "COMPANYNAME",
                "ADDR1",
                "ADDR2",
                "ADDR3",
                "PHONE1",
                "EMAIL",
            ],
        );
        for vendor in input.vendors {
            let Some(name) = full_name(vendor) else {
                problems.push("a vendor without a name".into());
                continue;
            };
            let name = name_field(name, "vendor", &mut problems);
            let (line1, line2, line3) = address(vendor.get("BillAddr"));
            row(
                &mut out,
                &[
                    "VEND",
                    &name,
                    &text_field(text(vendor, &["CompanyName"]).unwrap_or_default()),
                    &line1,
                    &line2,
                    &line3,
                    &text_field(
                        text(vendor, &["PrimaryPhone", "FreeFormNumber"]).unwrap_or_default(),
                    ),
                    &text_field(text(vendor, &["PrimaryEmailAddr", "Address"]).unwrap_or_default()),
                ],
            );
        }
    }
    if !input.items.is_empty() {
        row(
            &mut out,
            &[
                "!INVITEM",
                "NAME",
                "INVITEMTYPE",
                "DESC",
                "ACCNT",
                "PRICE",
                "COST",
                "COGSACCNT",
                "ASSETACCNT",
            ],
        );
        for item in input.items {
            let Some(name) = full_name(item) else {
                problems.push("an item without a name".into());
                continue;
            };
            let code = match text(item, &["Type"]).unwrap_or_default() {
                "Service" => "SERV",
                "Inventory" => "INVENTORY",
                "NonInventory" => "PART",
                "Group" => "GRP",
                // Categories only group items in QBO; Desktop has no list entry for them.
                "Category" => continue,
                _ => "OTHC",
            };
            let name = name_field(name, "item", &mut problems);
            let income = lists
                .account(item.get("IncomeAccountRef"))
                .unwrap_or_default();
            let expense = lists
                .account(item.get("ExpenseAccountRef"))
                .unwrap_or_default();
            let asset = lists
                .account(item.get("AssetAccountRef"))
                .unwrap_or_default();
            let price = item
                .get("UnitPrice")
                .and_then(amount)
                .map(money)
                .unwrap_or_default();
            let cost = item
                .get("PurchaseCost")
                .and_then(amount)
                .map(money)
                .unwrap_or_default();
            row(
                &mut out,
                &[
                    "INVITEM",
                    &name,
                    code,
                    &text_field(text(item, &["Description"]).unwrap_or_default()),
                    &name_field(&income, "account", &mut problems),
                    &price,
                    &cost,
                    &name_field(&expense, "account", &mut problems),
                    &name_field(&asset, "account", &mut problems),
                ],
            );
        }
    }
    out.push_str(&transactions);
    if problems.is_empty() {
        Ok(out)
    } else {
        problems.dedup();
        Err(IifError { problems })
    }
}

fn address(value: Option<&Value>) -> (String, String, String) {
    let Some(value) = value else {
        return Default::default();
    };
    let line = |key: &str| text_field(text(value, &[key]).unwrap_or_default());
    let city = [
        text(value, &["City"]),
        text(value, &["CountrySubDivisionCode"]),
        text(value, &["PostalCode"]),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    (line("Line1"), line("Line2"), text_field(&city))
}

/// The IIF type, the `TRNS` posting and the `SPL` postings of one document.
fn transaction(
    kind: &str,
    document: &Value,
    lists: &Lists<'_>,
) -> Result<(&'static str, Posting, Vec<Posting>), String> {
    let total = match document.get("TotalAmt").and_then(amount) {
        Some(total) => total,
        // A journal entry's lines carry its amounts (debits equal credits);
        // QuickBooks does not always send a TotalAmt for one.
        None if kind == "JournalEntry" => Decimal::ZERO,
        None => return Err("no TotalAmt".to_string()),
    };
    let lines: &[Value] = document
        .get("Line")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let customer = || lists.customer(document.get("CustomerRef"));
    let vendor = || lists.vendor(document.get("VendorRef"));
    let head = |account: String, name: String, amount: Decimal| Posting {
        account,
        name,
        amount,
        ..Posting::default()
    };
    let require = |account: Option<String>, what: &str| account.ok_or_else(|| format!("no {what}"));
    match kind {
        // Sales: the receivable (or the deposit account) is debited, income credited.
        "Invoice" | "SalesReceipt" | "Estimate" | "CreditMemo" => {
            let (iif_type, account, sign) = match kind {
                "Invoice" => ("INVOICE", lists.receivable.clone(), Decimal::ONE),
                "SalesReceipt" => (
                    "CASH SALE",
                    lists
                        .account(document.get("DepositToAccountRef"))
                        .unwrap_or_else(|| "Undeposited Funds".into()),
                    Decimal::ONE,
                ),
                "Estimate" => ("ESTIMATE", "Estimates".into(), Decimal::ONE),
                _ => (
                    "CREDIT MEMO",
                    lists.receivable.clone(),
                    Decimal::NEGATIVE_ONE,
                ),
            };
            let mut splits = sales_lines(lines, lists)?;
            let tax = document
                .get("TxnTaxDetail")
                .and_then(|detail| detail.get("TotalTax"))
                .and_then(amount)
                .unwrap_or_default();
            if !tax.is_zero() {
                splits.push(Posting {
                    account: "Sales Tax Payable".into(),
                    amount: -tax,
                    ..Posting::default()
                });
            }
            check_total(&splits, -total)?;
            for split in &mut splits {
                split.amount *= sign;
                split.quantity = split.quantity.map(|quantity| -quantity * sign);
            }
            Ok((iif_type, head(account, customer(), total * sign), splits))
        }
        "Payment" => {
            let account = lists
                .account(document.get("DepositToAccountRef"))
                .unwrap_or_else(|| "Undeposited Funds".into());
            let split = Posting {
                account: lists.receivable.clone(),
                name: customer(),
                amount: -total,
                ..Posting::default()
            };
            Ok(("PAYMENT", head(account, customer(), total), vec![split]))
        }
        // Purchases: expenses debited, payables, the bank or the card credited.
        "Bill" | "VendorCredit" | "PurchaseOrder" | "Purchase" => {
            let splits = expense_lines(lines, lists)?;
            check_total(&splits, total)?;
            let (iif_type, account, name, sign) = match kind {
                "Bill" => (
                    "BILL",
                    lists
                        .account(document.get("APAccountRef"))
                        .unwrap_or(lists.payable.clone()),
                    vendor(),
                    Decimal::ONE,
                ),
                "VendorCredit" => (
                    "BILL",
                    lists
                        .account(document.get("APAccountRef"))
                        .unwrap_or(lists.payable.clone()),
                    vendor(),
                    Decimal::NEGATIVE_ONE,
                ),
                "PurchaseOrder" => ("PURCHORD", "Purchase Orders".into(), vendor(), Decimal::ONE),
                _ => {
                    let account = require(lists.account(document.get("AccountRef")), "AccountRef")?;
                    let name = lists.entity(document.get("EntityRef"));
                    let credit = document
                        .get("Credit")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    let sign = if credit {
                        Decimal::NEGATIVE_ONE
                    } else {
                        Decimal::ONE
                    };
                    let iif_type = match text(document, &["PaymentType"]) {
                        Some("CreditCard") if credit => "CCARD REFUND",
                        Some("CreditCard") => "CREDIT CARD",
                        _ => "CHECK",
                    };
                    (iif_type, account, name, sign)
                }
            };
            let splits = splits
                .into_iter()
                .map(|split| Posting {
                    amount: split.amount * sign,
                    quantity: split.quantity.map(|q| q * sign),
                    ..split
                })
                .collect();
            Ok((iif_type, head(account, name, -total * sign), splits))
        }
        "BillPayment" => {
            let account = lists
                .account(
                    document
                        .get("CheckPayment")
                        .and_then(|pay| pay.get("BankAccountRef")),
                )
                .or_else(|| {
                    lists.account(
                        document
                            .get("CreditCardPayment")
                            .and_then(|pay| pay.get("CCAccountRef")),
                    )
                });
            let account = require(account, "bank or card account")?;
            let split = Posting {
                account: lists
                    .account(document.get("APAccountRef"))
                    .unwrap_or(lists.payable.clone()),
                name: vendor(),
                amount: total,
                ..Posting::default()
            };
            Ok(("BILLPMT", head(account, vendor(), -total), vec![split]))
        }
        "Deposit" => {
            let account = require(
                lists.account(document.get("DepositToAccountRef")),
                "DepositToAccountRef",
            )?;
            let mut splits = Vec::new();
            for line in lines {
                let line_amount = line
                    .get("Amount")
                    .and_then(amount)
                    .ok_or("a line without an Amount")?;
                let detail = line.get("DepositLineDetail");
                let to = detail
                    .and_then(|detail| lists.account(detail.get("AccountRef")))
                    .unwrap_or_else(|| "Undeposited Funds".into());
                splits.push(Posting {
                    account: to,
                    name: lists.entity(detail.and_then(|detail| detail.get("Entity"))),
                    amount: -line_amount,
                    memo: text(line, &["Description"]).unwrap_or_default().to_string(),
                    ..Posting::default()
                });
            }
            check_total(&splits, -total)?;
            Ok(("DEPOSIT", head(account, String::new(), total), splits))
        }
        "JournalEntry" => {
            let mut postings = Vec::new();
            for line in lines {
                let Some(detail) = line.get("JournalEntryLineDetail") else {
                    continue;
                };
                let line_amount = line
                    .get("Amount")
                    .and_then(amount)
                    .ok_or("a line without an Amount")?;
                let sign = match text(detail, &["PostingType"]) {
                    Some("Debit") => Decimal::ONE,
                    Some("Credit") => Decimal::NEGATIVE_ONE,
                    _ => return Err("a line that is neither Debit nor Credit".into()),
                };
                postings.push(Posting {
                    account: require(lists.account(detail.get("AccountRef")), "line account")?,
                    name: lists.entity(
                        detail
                            .get("Entity")
                            .and_then(|entity| entity.get("EntityRef")),
                    ),
                    class: text(detail, &["ClassRef", "name"])
                        .unwrap_or_default()
                        .to_string(),
                    amount: line_amount * sign,
                    memo: text(line, &["Description"]).unwrap_or_default().to_string(),
                    ..Posting::default()
                });
            }
            if postings.is_empty() {
                return Err("no journal lines".into());
            }
            let head = postings.remove(0);
            Ok(("GENERAL JOURNAL", head, postings))
        }
        other => Err(format!(
            "'{other}' is not one of the twelve transaction types"
        )),
    }
}

/// The credit side of a sale, per line, signed as for an invoice (income negative).
fn sales_lines(lines: &[Value], lists: &Lists<'_>) -> Result<Vec<Posting>, String> {
    let mut postings = Vec::new();
    for line in lines {
        match text(line, &["DetailType"]) {
            Some("SalesItemLineDetail") => {
                let detail = &line["SalesItemLineDetail"];
                let line_amount = line
                    .get("Amount")
                    .and_then(amount)
                    .ok_or("a line without an Amount")?;
                let item = detail.get("ItemRef");
                let item_value = item
                    .and_then(|item| text(item, &["value"]))
                    .and_then(|id| lists.items.get(id));
                let account = item_value
                    .and_then(|item| lists.account(item.get("IncomeAccountRef")))
                    .ok_or("an item line whose item has no income account")?;
                let item_name = item_value
                    .and_then(|item| full_name(item))
                    .or_else(|| item.and_then(|item| text(item, &["name"])))
                    .unwrap_or_default();
                postings.push(Posting {
                    account,
                    class: text(detail, &["ClassRef", "name"])
                        .unwrap_or_default()
                        .to_string(),
                    amount: -line_amount,
                    memo: text(line, &["Description"]).unwrap_or_default().to_string(),
                    quantity: detail.get("Qty").and_then(amount),
                    price: detail.get("UnitPrice").and_then(amount),
                    item: item_name.to_string(),
                    ..Posting::default()
                });
            }
            Some("GroupLineDetail") => {
                let inner = line["GroupLineDetail"]
                    .get("Line")
                    .and_then(Value::as_array);
                postings.extend(sales_lines(inner.map_or(&[], Vec::as_slice), lists)?);
            }
            Some("DiscountLineDetail") => {
                let line_amount = line
                    .get("Amount")
                    .and_then(amount)
                    .ok_or("a line without an Amount")?;
                let account = lists
                    .account(line["DiscountLineDetail"].get("DiscountAccountRef"))
                    .unwrap_or_else(|| "Discounts given".into());
                postings.push(Posting {
                    account,
                    amount: line_amount,
                    ..Posting::default()
                });
            }
            // Subtotals repeat other lines; description-only lines carry no amount.
            _ => {}
        }
    }
    Ok(postings)
}

/// The debit side of a purchase, per line (expenses positive).
fn expense_lines(lines: &[Value], lists: &Lists<'_>) -> Result<Vec<Posting>, String> {
    let mut postings = Vec::new();
    for line in lines {
        let line_amount = || {
            line.get("Amount")
                .and_then(amount)
                .ok_or("a line without an Amount")
        };
        let memo = text(line, &["Description"]).unwrap_or_default().to_string();
        if let Some(detail) = line.get("AccountBasedExpenseLineDetail") {
            postings.push(Posting {
                account: lists
                    .account(detail.get("AccountRef"))
                    .ok_or("an expense line without an account")?,
                name: lists.entity(detail.get("CustomerRef")),
                class: text(detail, &["ClassRef", "name"])
                    .unwrap_or_default()
                    .to_string(),
                amount: line_amount()?,
                memo,
                ..Posting::default()
            });
        } else if let Some(detail) = line.get("ItemBasedExpenseLineDetail") {
            let item = detail.get("ItemRef");
            let item_value = item
                .and_then(|item| text(item, &["value"]))
                .and_then(|id| lists.items.get(id));
            let account = item_value
                .and_then(|item| {
                    lists
                        .account(item.get("AssetAccountRef"))
                        .or_else(|| lists.account(item.get("ExpenseAccountRef")))
                })
                .ok_or("an item line whose item has no expense or asset account")?;
            let item_name = item_value
                .and_then(|item| full_name(item))
                .or_else(|| item.and_then(|item| text(item, &["name"])))
                .unwrap_or_default();
            postings.push(Posting {
                account,
                name: lists.entity(detail.get("CustomerRef")),
                class: text(detail, &["ClassRef", "name"])
                    .unwrap_or_default()
                    .to_string(),
                amount: line_amount()?,
                memo,
                quantity: detail.get("Qty").and_then(amount),
                price: detail.get("UnitPrice").and_then(amount),
                item: item_name.to_string(),
            });
        }
    }
    Ok(postings)
}

/// A document whose lines do not add up to its total is refused: writing either
/// figure would put a wrong amount in QuickBooks Desktop.
fn check_total(splits: &[Posting], expected: Decimal) -> Result<(), String> {
    let sum: Decimal = splits.iter().map(|split| split.amount).sum();
    if sum == expected {
        Ok(())
    } else {
        Err(format!(
            "its lines add up to {} but its total is {}",
            sum.abs(),
            expected.abs()
        ))
    }
}
