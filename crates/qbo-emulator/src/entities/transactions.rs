//! Rules for the 12 transaction types: required fields and references, line
//! validation and arithmetic, totals, tax, balances, defaults and currency.

use std::collections::BTreeSet;

use chrono::{DateTime, Days, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::effects;
use super::fields::check_line;
use super::money::{amount_field, parse_decimal, round_cents, to_json};
use super::names::currency_name;
use super::{EntityKind, WriteKind, bool_field, ref_value, resolve_ref, str_field};
use crate::fault::Fault;
use crate::state::Company;

/// Fields QBO computes on every transaction; values sent by a client are ignored.
const COMPUTED: [&str; 5] = [
    "Balance",
    "HomeBalance",
    "HomeTotalAmt",
    "UnappliedAmt",
    "RemainingCredit",
];

/// The longest DocNumber QBO accepts.
const DOC_NUMBER_MAX: usize = 21;

/// Validates and completes a transaction document.
pub fn normalize(
    company: &Company,
    kind: EntityKind,
    mut doc: Map<String, Value>,
    previous: Option<&Map<String, Value>>,
    write: WriteKind,
    now: DateTime<Utc>,
) -> Result<Map<String, Value>, Fault> {
    for field in COMPUTED {
        doc.remove(field);
    }
    let total_is_input = matches!(kind, EntityKind::Payment | EntityKind::BillPayment);
    let input_total = if total_is_input {
        let total = amount_field(&doc, "TotalAmt")?.ok_or_else(|| Fault::required("TotalAmt"))?;
        if total < Decimal::ZERO {
            return Err(
                Fault::business("The payment amount cannot be negative.").with_element("TotalAmt")
            );
        }
        Some(total)
    } else {
        doc.remove("TotalAmt");
        None
    };
    let self_id = previous
        .and_then(|previous| str_field(previous, "Id"))
        .and_then(|id| id.parse::<u64>().ok());

    let txn_date = txn_date(company, &mut doc, now)?;
    doc_number(company, kind, &mut doc, previous, write)?;
    resolve_ref(
        company,
        &mut doc,
        "DepartmentRef",
        &[EntityKind::Department],
    )?;
    resolve_ref(company, &mut doc, "ClassRef", &[EntityKind::Class])?;

    let party = header_references(company, kind, &mut doc)?;
    let mut lines = take_lines(&mut doc, kind)?;
    let totals = process_lines(company, kind, &mut lines)?;
    doc.insert("Line".to_owned(), Value::Array(lines));

    let total = match kind {
        EntityKind::Invoice
        | EntityKind::SalesReceipt
        | EntityKind::CreditMemo
        | EntityKind::Estimate => sales_totals(company, kind, &mut doc, &totals)?,
        EntityKind::Payment | EntityKind::BillPayment => {
            let total = input_total.unwrap_or(Decimal::ZERO);
            let applied = totals.applied - totals.credits_applied;
            if applied > total {
                return Err(Fault::business(format!(
                    "The amount applied to transactions ({applied}) is more than the payment total ({total})."
                ))
                .with_element("Line"));
            }
            if kind == EntityKind::Payment {
                doc.insert("UnappliedAmt".to_owned(), to_json(total - applied));
            }
            total
        }
        EntityKind::Deposit => {
            let cash_back = doc
                .get("CashBack")
                .and_then(Value::as_object)
                .map(|cash_back| amount_field(cash_back, "Amount"))
                .transpose()?
                .flatten()
                .unwrap_or(Decimal::ZERO);
            if let Some(cash_back) = doc.get_mut("CashBack").and_then(Value::as_object_mut) {
                let mut cash_back_doc = cash_back.clone();
                resolve_ref(
                    company,
                    &mut cash_back_doc,
                    "AccountRef",
                    &[EntityKind::Account],
                )?;
                *cash_back = cash_back_doc;
            }
            totals.lines - cash_back
        }
        EntityKind::JournalEntry => {
            if totals.debits != totals.credits {
                return Err(Fault::business(format!(
                    "Transaction is not balanced: the debits ({}) must equal the credits ({}).",
                    totals.debits, totals.credits
                )));
            }
            totals.debits
        }
        _ => totals.lines,
    };
    if kind != EntityKind::JournalEntry {
        doc.insert("TotalAmt".to_owned(), to_json(total));
    }

    // Balances: the total less what other transactions have applied to it.
    match kind {
        EntityKind::Invoice => {
            let deposit = amount_field(&doc, "Deposit")?.unwrap_or(Decimal::ZERO);
            doc.insert("Deposit".to_owned(), to_json(deposit));
            let applied =
                self_id.map_or(Decimal::ZERO, |id| effects::applied_to(company, kind, id));
            doc.insert("Balance".to_owned(), to_json(total - deposit - applied));
            let linked = effects::linked_txn_list(company, kind, self_id, doc.get("LinkedTxn"));
            doc.insert("LinkedTxn".to_owned(), linked);
        }
        EntityKind::Bill => {
            let applied =
                self_id.map_or(Decimal::ZERO, |id| effects::applied_to(company, kind, id));
            doc.insert("Balance".to_owned(), to_json(total - applied));
            if doc.contains_key("LinkedTxn") || self_id.is_some() {
                let linked = effects::linked_txn_list(company, kind, self_id, doc.get("LinkedTxn"));
                doc.insert("LinkedTxn".to_owned(), linked);
            }
        }
        EntityKind::CreditMemo => {
            let applied =
                self_id.map_or(Decimal::ZERO, |id| effects::applied_to(company, kind, id));
            doc.insert("Balance".to_owned(), to_json(total - applied));
            doc.insert("RemainingCredit".to_owned(), to_json(total - applied));
        }
        EntityKind::SalesReceipt => {
            doc.insert("Balance".to_owned(), json!(0));
        }
        _ => {}
    }
    if let Some(self_id) = self_id
        && effects::applied_to(company, kind, self_id) > total
        && matches!(
            kind,
            EntityKind::Invoice
                | EntityKind::Bill
                | EntityKind::CreditMemo
                | EntityKind::VendorCredit
        )
    {
        return Err(Fault::business(
            "The new total is less than the payments already applied to this transaction; unapply them first.",
        ));
    }

    defaults(company, kind, &mut doc, txn_date, party)?;
    currency(company, kind, &mut doc, party, total)?;
    Ok(doc)
}

/// The counterparty of a transaction, for currency and due-date rules.
#[derive(Clone, Copy, Debug)]
struct Party {
    kind: EntityKind,
    id: u64,
}

/// TxnDate defaults to "today" in the company's time zone.
fn txn_date(
    company: &Company,
    doc: &mut Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<NaiveDate, Fault> {
    drop_blank(doc, "TxnDate");
    match doc.get("TxnDate") {
        None | Some(Value::Null) => {
            let today = company.today(now);
            doc.insert(
                "TxnDate".to_owned(),
                json!(today.format("%Y-%m-%d").to_string()),
            );
            Ok(today)
        }
        Some(Value::String(text)) => parse_date(text).ok_or_else(|| invalid_date("TxnDate", text)),
        Some(other) => Err(invalid_date("TxnDate", &other.to_string())),
    }
}

/// QBO takes an empty string for a date as "not given" (python-quickbooks
/// sends `""` for every unset date, and QBO then defaults it), so an empty
/// date is removed before the defaults apply.
fn drop_blank(doc: &mut Map<String, Value>, field: &str) {
    if doc
        .get(field)
        .and_then(Value::as_str)
        .is_some_and(|text| text.trim().is_empty())
    {
        doc.remove(field);
    }
}

/// Accepts `YYYY-MM-DD` and date-times starting with one (QBO keeps the date).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let date_part = text.get(..10)?;
    NaiveDate::parse_from_str(date_part, "%Y-%m-%d").ok()
}

fn invalid_date(field: &str, text: &str) -> Fault {
    Fault::validation(
        "2010",
        "Request has invalid or unsupported property",
        format!("Property Name:{field} : Invalid date {text}; use the format YYYY-MM-DD"),
    )
    .with_element(field)
}

/// Types QBO numbers automatically when the company does not use custom numbers.
fn auto_numbered(kind: EntityKind) -> bool {
    matches!(
        kind,
        EntityKind::Invoice
            | EntityKind::SalesReceipt
            | EntityKind::CreditMemo
            | EntityKind::Estimate
            | EntityKind::PurchaseOrder
    )
}

fn doc_number(
    company: &Company,
    kind: EntityKind,
    doc: &mut Map<String, Value>,
    previous: Option<&Map<String, Value>>,
    write: WriteKind,
) -> Result<(), Fault> {
    let given = str_field(doc, "DocNumber")
        .map(str::trim)
        .map(str::to_owned);
    match given.as_deref() {
        Some("AUTO_GENERATE") => {
            doc.insert("DocNumber".to_owned(), json!(company.next_doc_number(kind)));
        }
        Some("") | None => {
            let kept = match (write, previous) {
                (WriteKind::Update, Some(previous)) if auto_numbered(kind) => {
                    previous.get("DocNumber").cloned()
                }
                _ => None,
            };
            match kept {
                Some(number) => {
                    doc.insert("DocNumber".to_owned(), number);
                }
                None if auto_numbered(kind) && !company.custom_txn_numbers() => {
                    doc.insert("DocNumber".to_owned(), json!(company.next_doc_number(kind)));
                }
                None => {
                    doc.remove("DocNumber");
                }
            }
        }
        Some(number) => {
            if number.chars().count() > DOC_NUMBER_MAX {
                return Err(Fault::validation(
                    "2050",
                    "String length is either shorter or longer than supported by specification",
                    format!(
                        "String length specified does not match the supported length. Min:0 Max:{DOC_NUMBER_MAX} supported. Supplied length:{}",
                        number.chars().count()
                    ),
                )
                .with_element("DocNumber"));
            }
            doc.insert("DocNumber".to_owned(), json!(number));
        }
    }
    Ok(())
}

/// The first account of a detail type (A/R, A/P, Undeposited Funds, …).
fn account_of_sub_type(company: &Company, sub_type: &str) -> Option<Value> {
    company.all_of(EntityKind::Account).find_map(|account| {
        let account = account.as_object()?;
        if str_field(account, "AccountSubType") == Some(sub_type)
            && account.get("Active").and_then(Value::as_bool) != Some(false)
        {
            Some(json!({
                "value": str_field(account, "Id")?,
                "name": str_field(account, "FullyQualifiedName").or_else(|| str_field(account, "Name"))?,
            }))
        } else {
            None
        }
    })
}

fn default_account(company: &Company, doc: &mut Map<String, Value>, field: &str, sub_type: &str) {
    if !doc.contains_key(field)
        && let Some(reference) = account_of_sub_type(company, sub_type)
    {
        doc.insert(field.to_owned(), reference);
    }
}

fn header_references(
    company: &Company,
    kind: EntityKind,
    doc: &mut Map<String, Value>,
) -> Result<Option<Party>, Fault> {
    let accounts = [EntityKind::Account];
    let party = match kind {
        EntityKind::Invoice
        | EntityKind::Estimate
        | EntityKind::CreditMemo
        | EntityKind::Payment => {
            if !doc.contains_key("CustomerRef") {
                return Err(Fault::required("CustomerRef"));
            }
            resolve_ref(company, doc, "CustomerRef", &[EntityKind::Customer])?
        }
        EntityKind::SalesReceipt => {
            resolve_ref(company, doc, "CustomerRef", &[EntityKind::Customer])?
        }
        EntityKind::Bill
        | EntityKind::VendorCredit
        | EntityKind::PurchaseOrder
        | EntityKind::BillPayment => {
            if !doc.contains_key("VendorRef") {
                return Err(Fault::required("VendorRef"));
            }
            resolve_ref(company, doc, "VendorRef", &[EntityKind::Vendor])?
        }
        EntityKind::Purchase => {
            let payment_type = str_field(doc, "PaymentType").map(str::to_owned);
            match payment_type.as_deref() {
                Some("Cash" | "Check" | "CreditCard") => {}
                Some(other) => {
                    return Err(Fault::validation(
                        "2170",
                        "Invalid Enumeration",
                        format!("Invalid Enumeration : PaymentType : {other}"),
                    )
                    .with_element("PaymentType"));
                }
                None => return Err(Fault::required("PaymentType")),
            }
            if !doc.contains_key("AccountRef") {
                return Err(Fault::required("AccountRef"));
            }
            resolve_ref(company, doc, "AccountRef", &accounts)?;
            entity_ref(company, doc, "EntityRef")?
        }
        EntityKind::Deposit => {
            if !doc.contains_key("DepositToAccountRef") {
                return Err(Fault::required("DepositToAccountRef"));
            }
            None
        }
        _ => None,
    };
    resolve_ref(company, doc, "SalesTermRef", &[EntityKind::Term])?;
    resolve_ref(
        company,
        doc,
        "PaymentMethodRef",
        &[EntityKind::PaymentMethod],
    )?;
    match kind {
        EntityKind::Invoice | EntityKind::CreditMemo | EntityKind::Payment => {
            resolve_ref(company, doc, "ARAccountRef", &accounts)?;
        }
        _ => {}
    }
    match kind {
        EntityKind::SalesReceipt | EntityKind::Payment => {
            default_account(company, doc, "DepositToAccountRef", "UndepositedFunds");
        }
        EntityKind::Bill | EntityKind::VendorCredit | EntityKind::PurchaseOrder => {
            default_account(company, doc, "APAccountRef", "AccountsPayable");
        }
        _ => {}
    }
    resolve_ref(company, doc, "DepositToAccountRef", &accounts)?;
    resolve_ref(company, doc, "APAccountRef", &accounts)?;
    if kind == EntityKind::BillPayment {
        bill_payment_account(company, doc)?;
    }
    Ok(party.map(|(kind, id)| Party { kind, id }))
}

/// A payee reference that names its list in `type` (Purchase.EntityRef).
fn entity_ref(
    company: &Company,
    doc: &mut Map<String, Value>,
    field: &str,
) -> Result<Option<(EntityKind, u64)>, Fault> {
    let declared = doc
        .get(field)
        .and_then(|reference| reference.get("type"))
        .and_then(Value::as_str)
        .and_then(EntityKind::parse);
    match declared {
        Some(kind) if kind.is_person() => resolve_ref(company, doc, field, &[kind]),
        _ => resolve_ref(
            company,
            doc,
            field,
            &[
                EntityKind::Vendor,
                EntityKind::Customer,
                EntityKind::Employee,
            ],
        ),
    }
}

fn bill_payment_account(company: &Company, doc: &mut Map<String, Value>) -> Result<(), Fault> {
    let pay_type = str_field(doc, "PayType").map(str::to_owned);
    let (holder, field) = match pay_type.as_deref() {
        Some("Check") => ("CheckPayment", "BankAccountRef"),
        Some("CreditCard") => ("CreditCardPayment", "CCAccountRef"),
        Some(other) => {
            return Err(Fault::validation(
                "2170",
                "Invalid Enumeration",
                format!("Invalid Enumeration : PayType : {other}"),
            )
            .with_element("PayType"));
        }
        None => return Err(Fault::required("PayType")),
    };
    let mut detail = doc
        .get(holder)
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| Fault::required(&format!("{holder}.{field}")))?;
    if !detail.contains_key(field) {
        return Err(Fault::required(&format!("{holder}.{field}")));
    }
    resolve_ref(company, &mut detail, field, &[EntityKind::Account])?;
    if holder == "CheckPayment" {
        detail.entry("PrintStatus").or_insert(json!("NeedToPrint"));
    }
    doc.insert(holder.to_owned(), Value::Object(detail));
    Ok(())
}

fn take_lines(doc: &mut Map<String, Value>, kind: EntityKind) -> Result<Vec<Value>, Fault> {
    let lines = match doc.remove("Line") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(lines)) => lines,
        Some(Value::Object(line)) => vec![Value::Object(line)],
        Some(_) => {
            return Err(Fault::invalid_property(
                "Property Name:Line must be an array",
            ));
        }
    };
    let lines: Vec<Value> = lines
        .into_iter()
        .filter(|line| line.get("DetailType").and_then(Value::as_str) != Some("SubTotalLineDetail"))
        .collect();
    let may_be_empty = matches!(kind, EntityKind::Payment);
    if lines.is_empty() && !may_be_empty {
        return Err(Fault::required("Line"));
    }
    Ok(lines)
}

/// Sums gathered while checking lines.
#[derive(Debug, Default)]
struct LineTotals {
    /// Σ of item (and group) line amounts on sales forms, or of all lines elsewhere.
    lines: Decimal,
    /// Σ of amounts on lines whose tax code makes them taxable.
    taxable: Decimal,
    /// Discount lines that are percentages, to be computed once the subtotal is known.
    percent_discounts: Vec<(usize, Decimal)>,
    /// Σ of fixed discount amounts.
    discounts: Decimal,
    debits: Decimal,
    credits: Decimal,
    /// Amounts applied to invoices or bills.
    applied: Decimal,
    /// Amounts taken from credit memos or vendor credits.
    credits_applied: Decimal,
}

fn allowed_details(kind: EntityKind) -> &'static [&'static str] {
    match kind {
        EntityKind::Invoice
        | EntityKind::SalesReceipt
        | EntityKind::CreditMemo
        | EntityKind::Estimate => &[
            "SalesItemLineDetail",
            "GroupLineDetail",
            "DescriptionOnly",
            "DiscountLineDetail",
        ],
        EntityKind::Bill
        | EntityKind::Purchase
        | EntityKind::VendorCredit
        | EntityKind::PurchaseOrder => &[
            "AccountBasedExpenseLineDetail",
            "ItemBasedExpenseLineDetail",
        ],
        EntityKind::Deposit => &["DepositLineDetail"],
        EntityKind::JournalEntry => &["JournalEntryLineDetail"],
        _ => &[],
    }
}

fn detail_key(detail_type: &str) -> &str {
    if detail_type == "DescriptionOnly" {
        "DescriptionLineDetail"
    } else {
        detail_type
    }
}

fn process_lines(
    company: &Company,
    kind: EntityKind,
    lines: &mut [Value],
) -> Result<LineTotals, Fault> {
    let mut totals = LineTotals::default();
    let mut used_ids = BTreeSet::new();
    let first_id: u64 = if kind == EntityKind::JournalEntry {
        0
    } else {
        1
    };
    let us = company.country().eq_ignore_ascii_case("US");
    let mut next_line_num = 1u64;
    for (index, line) in lines.iter_mut().enumerate() {
        let Some(line) = line.as_object_mut() else {
            return Err(Fault::invalid_property(
                "Property Name:Line entries must be objects",
            ));
        };
        check_line(line)?;
        // Line ids: keep a given id unless it repeats; number new lines after the highest.
        let id = match line.get("Id") {
            Some(Value::String(text)) => text.trim().parse::<u64>().ok(),
            Some(Value::Number(number)) => number.as_u64(),
            _ => None,
        };
        match id {
            Some(id) if used_ids.insert(id) => {
                line.insert("Id".to_owned(), json!(id.to_string()));
            }
            _ => {
                line.remove("Id");
            }
        }
        let amount = amount_field(line, "Amount")?;
        match kind {
            EntityKind::Payment | EntityKind::BillPayment => {
                payment_line(company, kind, line, amount, &mut totals)?;
                continue;
            }
            EntityKind::Deposit
                if line.contains_key("LinkedTxn") && !line.contains_key("DetailType") =>
            {
                let amount = amount.ok_or_else(|| Fault::required("Line.Amount"))?;
                deposit_linked_line(company, line)?;
                totals.lines += amount;
                continue;
            }
            _ => {}
        }
        let detail_type = str_field(line, "DetailType")
            .map(str::to_owned)
            .ok_or_else(|| Fault::required("Line.DetailType"))?;
        if !allowed_details(kind).contains(&detail_type.as_str()) {
            return Err(Fault::validation(
                "2170",
                "Invalid Enumeration",
                format!(
                    "Invalid Enumeration : Line.DetailType : {detail_type} is not valid on a {kind}"
                ),
            )
            .with_element("Line.DetailType"));
        }
        let key = detail_key(&detail_type).to_owned();
        let mut detail = match line.remove(&key) {
            Some(Value::Object(detail)) => detail,
            None if detail_type == "DescriptionOnly" => Map::new(),
            None | Some(_) => return Err(Fault::required(&format!("Line.{key}"))),
        };
        let amount = match detail_type.as_str() {
            "SalesItemLineDetail" => {
                let amount = item_line(
                    company,
                    kind,
                    &mut detail,
                    amount,
                    "SalesItemLineDetail",
                    us,
                )?;
                totals.lines += amount;
                if is_taxable(company, &detail, us) {
                    totals.taxable += amount;
                }
                Some(amount)
            }
            "ItemBasedExpenseLineDetail" => {
                let amount = item_line(
                    company,
                    kind,
                    &mut detail,
                    amount,
                    "ItemBasedExpenseLineDetail",
                    us,
                )?;
                expense_line_extras(company, &mut detail, us)?;
                totals.lines += amount;
                Some(amount)
            }
            "AccountBasedExpenseLineDetail" => {
                let amount = amount.ok_or_else(|| Fault::required("Line.Amount"))?;
                if !detail.contains_key("AccountRef") {
                    return Err(Fault::required(
                        "Line.AccountBasedExpenseLineDetail.AccountRef",
                    ));
                }
                resolve_ref(company, &mut detail, "AccountRef", &[EntityKind::Account])?;
                expense_line_extras(company, &mut detail, us)?;
                totals.lines += amount;
                Some(amount)
            }
            "GroupLineDetail" => {
                resolve_ref(company, &mut detail, "GroupItemRef", &[EntityKind::Item])?;
                let amount = amount.unwrap_or(Decimal::ZERO);
                totals.lines += amount;
                Some(amount)
            }
            "DescriptionOnly" => amount,
            "DiscountLineDetail" => {
                resolve_ref(
                    company,
                    &mut detail,
                    "DiscountAccountRef",
                    &[EntityKind::Account],
                )?;
                resolve_ref(company, &mut detail, "ClassRef", &[EntityKind::Class])?;
                let percent_based = bool_field(&detail, "PercentBased").unwrap_or(false);
                match (
                    percent_based,
                    amount_field(&detail, "DiscountPercent")?,
                    amount,
                ) {
                    (true, Some(percent), _) => {
                        totals.percent_discounts.push((index, percent));
                        None
                    }
                    (_, _, Some(amount)) => {
                        totals.discounts += amount;
                        Some(amount)
                    }
                    _ => {
                        return Err(Fault::validation(
                            "6090",
                            "Discount line missing amount or percent",
                            "A discount line needs either an Amount or PercentBased with a DiscountPercent.",
                        )
                        .with_element("Line.DiscountLineDetail"));
                    }
                }
            }
            "JournalEntryLineDetail" => {
                let amount = amount.ok_or_else(|| Fault::required("Line.Amount"))?;
                if amount < Decimal::ZERO {
                    return Err(Fault::business(
                        "Journal entry line amounts must be positive; PostingType gives the side.",
                    )
                    .with_element("Line.Amount"));
                }
                journal_line(company, &mut detail, amount, &mut totals)?;
                Some(amount)
            }
            "DepositLineDetail" => {
                let amount = amount.ok_or_else(|| Fault::required("Line.Amount"))?;
                if !detail.contains_key("AccountRef") {
                    return Err(Fault::required("Line.DepositLineDetail.AccountRef"));
                }
                resolve_ref(company, &mut detail, "AccountRef", &[EntityKind::Account])?;
                entity_ref(company, &mut detail, "Entity")?;
                resolve_ref(company, &mut detail, "ClassRef", &[EntityKind::Class])?;
                resolve_ref(
                    company,
                    &mut detail,
                    "PaymentMethodRef",
                    &[EntityKind::PaymentMethod],
                )?;
                totals.lines += amount;
                Some(amount)
            }
            _ => amount,
        };
        if let Some(amount) = amount {
            line.insert("Amount".to_owned(), to_json(amount));
        }
        line.insert(key, Value::Object(detail));
        if kind.is_sales_form() && detail_type != "DiscountLineDetail" {
            if !line.contains_key("LineNum") {
                line.insert("LineNum".to_owned(), json!(next_line_num));
            }
            next_line_num += 1;
        }
    }
    // Number the lines that came without an id after the highest one in use.
    let mut next_id = used_ids
        .iter()
        .next_back()
        .map_or(first_id, |last| last + 1);
    for line in lines.iter_mut() {
        if let Some(line) = line.as_object_mut()
            && !line.contains_key("Id")
            && kind != EntityKind::Payment
            && kind != EntityKind::BillPayment
        {
            line.insert("Id".to_owned(), json!(next_id.to_string()));
            next_id += 1;
        }
    }
    Ok(totals)
}

/// Sales and purchase item lines: the item must exist, be active and not be a
/// category; inventory items need a quantity; `Amount` must equal
/// `Qty × UnitPrice` (6070) and is computed when left out.
fn item_line(
    company: &Company,
    kind: EntityKind,
    detail: &mut Map<String, Value>,
    amount: Option<Decimal>,
    detail_name: &str,
    us: bool,
) -> Result<Decimal, Fault> {
    if !detail.contains_key("ItemRef") {
        return Err(Fault::required(&format!("Line.{detail_name}.ItemRef")));
    }
    let item = resolve_ref(company, detail, "ItemRef", &[EntityKind::Item])?;
    let item_doc = item.and_then(|(_, id)| company.get(EntityKind::Item, id));
    let item_type = item_doc
        .and_then(|item| str_field(item, "Type"))
        .unwrap_or("");
    if item_type == "Category" {
        return Err(Fault::business(
            "Categories cannot be used in transactions. Choose a product or service instead.",
        )
        .with_element(&format!("Line.{detail_name}.ItemRef")));
    }
    let quantity = amount_field(detail, "Qty")?;
    let unit_price = amount_field(detail, "UnitPrice")?;
    if item_type == "Inventory" && quantity.is_none() && kind != EntityKind::Estimate {
        return Err(Fault::validation(
            "6520",
            "Missing Inventory Item Quantity",
            "Quantity required for inventory item",
        )
        .with_element(&format!("Line.{detail_name}.Qty")));
    }
    let amount = match (quantity, unit_price, amount) {
        (Some(quantity), Some(price), Some(amount)) => {
            let expected = round_cents(quantity * price);
            if expected != round_cents(amount) {
                return Err(Fault::validation(
                    "6070",
                    "Amount calculation incorrect",
                    format!("Amount is not equal to UnitPrice * Qty. Supplied value:{amount}; expected {expected}"),
                )
                .with_element("Line.Amount"));
            }
            amount
        }
        (Some(quantity), Some(price), None) => round_cents(quantity * price),
        (Some(quantity), None, Some(amount)) => {
            if !quantity.is_zero() {
                detail.insert(
                    "UnitPrice".to_owned(),
                    to_json((amount / quantity).round_dp(7)),
                );
            }
            amount
        }
        (None, Some(_), Some(amount)) | (None, None, Some(amount)) => amount,
        (None, Some(price), None) => {
            detail.insert("Qty".to_owned(), json!(1));
            price
        }
        (_, None, None) => return Err(Fault::required("Line.Amount")),
    };
    resolve_ref(company, detail, "ClassRef", &[EntityKind::Class])?;
    resolve_ref(company, detail, "ItemAccountRef", &[EntityKind::Account])?;
    if detail_name == "SalesItemLineDetail" {
        tax_code_ref(company, detail, us)?;
    }
    Ok(amount)
}

fn expense_line_extras(
    company: &Company,
    detail: &mut Map<String, Value>,
    us: bool,
) -> Result<(), Fault> {
    resolve_ref(company, detail, "CustomerRef", &[EntityKind::Customer])?;
    resolve_ref(company, detail, "ClassRef", &[EntityKind::Class])?;
    tax_code_ref(company, detail, us)?;
    let status = str_field(detail, "BillableStatus")
        .unwrap_or("NotBillable")
        .to_owned();
    if !["Billable", "NotBillable", "HasBeenBilled"].contains(&status.as_str()) {
        return Err(Fault::validation(
            "2170",
            "Invalid Enumeration",
            format!("Invalid Enumeration : BillableStatus : {status}"),
        )
        .with_element("BillableStatus"));
    }
    detail.insert("BillableStatus".to_owned(), json!(status));
    Ok(())
}

/// US companies use the pseudo tax codes TAX and NON on lines (6100 otherwise);
/// other companies reference TaxCode objects.
fn tax_code_ref(company: &Company, detail: &mut Map<String, Value>, us: bool) -> Result<(), Fault> {
    let code = ref_value(detail, "TaxCodeRef").map(str::to_owned);
    match code {
        None if us => {
            detail.insert("TaxCodeRef".to_owned(), json!({ "value": "NON" }));
            Ok(())
        }
        None => Ok(()),
        Some(code) if us => {
            if code == "TAX" || code == "NON" {
                Ok(())
            } else {
                Err(Fault::validation(
                    "6100",
                    "Invalid line TaxCode",
                    "Valid Line TaxCodes for US should be TAX or NON",
                )
                .with_element("TaxCodeRef"))
            }
        }
        Some(_) => resolve_ref(company, detail, "TaxCodeRef", &[EntityKind::TaxCode]).map(|_| ()),
    }
}

fn is_taxable(company: &Company, detail: &Map<String, Value>, us: bool) -> bool {
    match ref_value(detail, "TaxCodeRef") {
        Some("TAX") if us => true,
        Some(code) if !us => company
            .get_by_text(EntityKind::TaxCode, code)
            .and_then(|tax_code| tax_code.get("Taxable"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        _ => false,
    }
}

fn journal_line(
    company: &Company,
    detail: &mut Map<String, Value>,
    amount: Decimal,
    totals: &mut LineTotals,
) -> Result<(), Fault> {
    match str_field(detail, "PostingType") {
        Some("Debit") => totals.debits += amount,
        Some("Credit") => totals.credits += amount,
        Some(other) => {
            return Err(Fault::validation(
                "2170",
                "Invalid Enumeration",
                format!("Invalid Enumeration : PostingType : {other}"),
            )
            .with_element("Line.JournalEntryLineDetail.PostingType"));
        }
        None => return Err(Fault::required("Line.JournalEntryLineDetail.PostingType")),
    }
    if !detail.contains_key("AccountRef") {
        return Err(Fault::required("Line.JournalEntryLineDetail.AccountRef"));
    }
    let account = resolve_ref(company, detail, "AccountRef", &[EntityKind::Account])?;
    let account_type = account
        .and_then(|(_, id)| company.get(EntityKind::Account, id))
        .and_then(|account| str_field(account, "AccountType"))
        .unwrap_or("")
        .to_owned();
    resolve_ref(company, detail, "ClassRef", &[EntityKind::Class])?;
    resolve_ref(company, detail, "DepartmentRef", &[EntityKind::Department])?;
    let mut entity_kind = None;
    if let Some(Value::Object(entity)) = detail.get("Entity") {
        let mut entity = entity.clone();
        let declared = str_field(&entity, "Type").and_then(EntityKind::parse);
        let kinds: Vec<EntityKind> = match declared {
            Some(kind) if kind.is_person() => vec![kind],
            _ => vec![
                EntityKind::Customer,
                EntityKind::Vendor,
                EntityKind::Employee,
            ],
        };
        if let Some((kind, _)) = resolve_ref(company, &mut entity, "EntityRef", &kinds)? {
            entity.insert("Type".to_owned(), json!(kind.name()));
            entity_kind = Some(kind);
        }
        detail.insert("Entity".to_owned(), Value::Object(entity));
    }
    if account_type == "Accounts Receivable" && entity_kind != Some(EntityKind::Customer) {
        return Err(Fault::business(
            "When you use Accounts Receivable, you must choose a customer in the Name field.",
        )
        .with_element("Line.JournalEntryLineDetail.Entity"));
    }
    if account_type == "Accounts Payable" && entity_kind != Some(EntityKind::Vendor) {
        return Err(Fault::business(
            "When you use Accounts Payable, you must select a vendor in the Name field.",
        )
        .with_element("Line.JournalEntryLineDetail.Entity"));
    }
    Ok(())
}

/// A payment or bill-payment line: an amount applied to the transactions named
/// in its LinkedTxn.
fn payment_line(
    company: &Company,
    kind: EntityKind,
    line: &mut Map<String, Value>,
    amount: Option<Decimal>,
    totals: &mut LineTotals,
) -> Result<(), Fault> {
    let amount = amount.ok_or_else(|| Fault::required("Line.Amount"))?;
    if amount < Decimal::ZERO {
        return Err(
            Fault::business("Applied amounts must not be negative.").with_element("Line.Amount")
        );
    }
    line.insert("Amount".to_owned(), to_json(amount));
    let links = line
        .get("LinkedTxn")
        .and_then(Value::as_array)
        .filter(|links| !links.is_empty())
        .ok_or_else(|| Fault::required("Line.LinkedTxn"))?;
    let (debit_type, credit_type) = if kind == EntityKind::Payment {
        ("Invoice", "CreditMemo")
    } else {
        ("Bill", "VendorCredit")
    };
    for link in links {
        let txn_type = link.get("TxnType").and_then(Value::as_str).unwrap_or("");
        let txn_id = link.get("TxnId").and_then(Value::as_str).unwrap_or("");
        let target = if txn_type == debit_type || txn_type == credit_type {
            EntityKind::parse(txn_type)
        } else {
            None
        };
        let Some(target) = target else {
            return Err(Fault::validation(
                "620",
                "Txn ID can't be linked",
                format!("A {kind} can only be applied to a {debit_type} or a {credit_type}; got TxnType \"{txn_type}\"."),
            )
            .with_element("Line.LinkedTxn.TxnType"));
        };
        if company.get_by_text(target, txn_id).is_none() {
            return Err(
                Fault::object_not_found(target.name(), txn_id).with_element("Line.LinkedTxn.TxnId")
            );
        }
        if txn_type == debit_type {
            totals.applied += amount;
        } else {
            totals.credits_applied += amount;
        }
    }
    Ok(())
}

fn deposit_linked_line(company: &Company, line: &Map<String, Value>) -> Result<(), Fault> {
    let links = line
        .get("LinkedTxn")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for link in links {
        let txn_type = link.get("TxnType").and_then(Value::as_str).unwrap_or("");
        let txn_id = link.get("TxnId").and_then(Value::as_str).unwrap_or("");
        let target = match txn_type {
            "Payment" | "ReceivePayment" => EntityKind::Payment,
            "SalesReceipt" => EntityKind::SalesReceipt,
            other => {
                return Err(Fault::validation(
                    "620",
                    "Txn ID can't be linked",
                    format!(
                        "A Deposit line can only link a Payment or a SalesReceipt; got TxnType \"{other}\"."
                    ),
                ));
            }
        };
        if company.get_by_text(target, txn_id).is_none() {
            return Err(
                Fault::object_not_found(target.name(), txn_id).with_element("Line.LinkedTxn.TxnId")
            );
        }
    }
    Ok(())
}

/// Subtotal line, discounts, tax and total of a sales form.
fn sales_totals(
    company: &Company,
    kind: EntityKind,
    doc: &mut Map<String, Value>,
    totals: &LineTotals,
) -> Result<Decimal, Fault> {
    let subtotal = totals.lines;
    let mut discount = totals.discounts;
    let mut lines = match doc.remove("Line") {
        Some(Value::Array(lines)) => lines,
        _ => Vec::new(),
    };
    for (index, percent) in &totals.percent_discounts {
        let amount = round_cents(subtotal * *percent / Decimal::ONE_HUNDRED);
        discount += amount;
        if let Some(line) = lines.get_mut(*index).and_then(Value::as_object_mut) {
            line.insert("Amount".to_owned(), to_json(amount));
        }
    }
    // QBO puts the subtotal after the item lines and before discounts.
    let subtotal_line = json!({
        "Amount": to_json(subtotal),
        "DetailType": "SubTotalLineDetail",
        "SubTotalLineDetail": {},
    });
    let position = lines
        .iter()
        .position(|line| {
            line.get("DetailType").and_then(Value::as_str) == Some("DiscountLineDetail")
        })
        .unwrap_or(lines.len());
    lines.insert(position, subtotal_line);
    doc.insert("Line".to_owned(), Value::Array(lines));

    let calculation = str_field(doc, "GlobalTaxCalculation").map(str::to_owned);
    if let Some(calculation) = &calculation
        && !["TaxInclusive", "TaxExcluded", "NotApplicable"].contains(&calculation.as_str())
    {
        return Err(Fault::validation(
            "2170",
            "Invalid Enumeration",
            format!("Invalid Enumeration : GlobalTaxCalculation : {calculation}"),
        )
        .with_element("GlobalTaxCalculation"));
    }
    let tax_inclusive = calculation.as_deref() == Some("TaxInclusive");
    let taxable_base =
        if bool_field(doc, "ApplyTaxAfterDiscount").unwrap_or(false) && !subtotal.is_zero() {
            totals.taxable - round_cents(totals.taxable * discount / subtotal)
        } else {
            totals.taxable
        };
    let tax = transaction_tax(
        company,
        doc,
        taxable_base,
        tax_inclusive,
        calculation.as_deref(),
    )?;
    doc.entry("ApplyTaxAfterDiscount").or_insert(json!(false));
    let _ = kind;
    Ok(if tax_inclusive {
        subtotal - discount
    } else {
        subtotal - discount + tax
    })
}

/// The document's sales tax. With a `TxnTaxCodeRef` the tax is computed from
/// the code's rates over the taxable lines (and `TaxLine`s are written);
/// otherwise a `TotalTax` sent by the client is taken as an override.
fn transaction_tax(
    company: &Company,
    doc: &mut Map<String, Value>,
    taxable_base: Decimal,
    tax_inclusive: bool,
    calculation: Option<&str>,
) -> Result<Decimal, Fault> {
    let mut detail = match doc.remove("TxnTaxDetail") {
        Some(Value::Object(detail)) => detail,
        _ => Map::new(),
    };
    let tax = if calculation == Some("NotApplicable") {
        detail.remove("TaxLine");
        Decimal::ZERO
    } else if detail.contains_key("TxnTaxCodeRef") {
        let code = resolve_ref(
            company,
            &mut detail,
            "TxnTaxCodeRef",
            &[EntityKind::TaxCode],
        )?;
        let rates = code
            .and_then(|(_, id)| company.get(EntityKind::TaxCode, id))
            .map(|code| tax_rates(company, code))
            .unwrap_or_default();
        let mut tax_lines = Vec::new();
        let mut total = Decimal::ZERO;
        let combined: Decimal = rates.iter().map(|(_, rate)| *rate).sum();
        for (rate_id, rate) in &rates {
            let amount = if tax_inclusive {
                let net = if combined.is_zero() {
                    taxable_base
                } else {
                    taxable_base * Decimal::ONE_HUNDRED / (Decimal::ONE_HUNDRED + combined)
                };
                round_cents(net * *rate / Decimal::ONE_HUNDRED)
            } else {
                round_cents(taxable_base * *rate / Decimal::ONE_HUNDRED)
            };
            total += amount;
            tax_lines.push(json!({
                "Amount": to_json(amount),
                "DetailType": "TaxLineDetail",
                "TaxLineDetail": {
                    "TaxRateRef": { "value": rate_id },
                    "PercentBased": true,
                    "TaxPercent": to_json(*rate),
                    "NetAmountTaxable": to_json(taxable_base),
                },
            }));
        }
        detail.insert("TaxLine".to_owned(), Value::Array(tax_lines));
        total
    } else {
        let given = amount_field(&detail, "TotalTax")?.unwrap_or(Decimal::ZERO);
        round_cents(given)
    };
    detail.insert("TotalTax".to_owned(), to_json(tax));
    doc.insert("TxnTaxDetail".to_owned(), Value::Object(detail));
    Ok(tax)
}

/// The sales rates of a tax code: (TaxRate id, percent).
fn tax_rates(company: &Company, code: &Map<String, Value>) -> Vec<(String, Decimal)> {
    code.get("SalesTaxRateList")
        .and_then(|list| list.get("TaxRateDetail"))
        .and_then(Value::as_array)
        .map(|details| {
            details
                .iter()
                .filter_map(|detail| {
                    let rate_id = detail.get("TaxRateRef")?.get("value")?.as_str()?;
                    let rate = company.get_by_text(EntityKind::TaxRate, rate_id)?;
                    let value = rate.get("RateValue").and_then(parse_decimal)?;
                    Some((rate_id.to_owned(), value))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Fields QBO fills in when the client leaves them out.
fn defaults(
    company: &Company,
    kind: EntityKind,
    doc: &mut Map<String, Value>,
    txn_date: NaiveDate,
    party: Option<Party>,
) -> Result<(), Fault> {
    let party_doc = party.and_then(|party| company.get(party.kind, party.id));
    if kind.is_sales_form() {
        doc.entry("PrintStatus").or_insert(json!("NeedToPrint"));
        doc.entry("EmailStatus").or_insert(json!("NotSet"));
        if let Some(customer) = party_doc {
            for address in ["BillAddr", "ShipAddr"] {
                if !doc.contains_key(address)
                    && let Some(value) = customer.get(address)
                {
                    doc.insert(address.to_owned(), value.clone());
                }
            }
        }
    }
    match kind {
        EntityKind::Invoice | EntityKind::Bill => {
            drop_blank(doc, "DueDate");
            if !doc.contains_key("DueDate") {
                let term_field = if kind == EntityKind::Invoice {
                    "SalesTermRef"
                } else {
                    "TermRef"
                };
                let term_id = ref_value(doc, "SalesTermRef")
                    .map(str::to_owned)
                    .or_else(|| {
                        party_doc
                            .and_then(|party| ref_value(party, term_field))
                            .map(str::to_owned)
                    });
                let due_days = term_id
                    .and_then(|id| company.get_by_text(EntityKind::Term, &id))
                    .and_then(|term| term.get("DueDays"))
                    .and_then(parse_decimal)
                    .and_then(|days| u64::try_from(days.trunc().mantissa()).ok())
                    .unwrap_or(0);
                let due = txn_date
                    .checked_add_days(Days::new(due_days))
                    .unwrap_or(txn_date);
                doc.insert(
                    "DueDate".to_owned(),
                    json!(due.format("%Y-%m-%d").to_string()),
                );
            } else if let Some(text) = str_field(doc, "DueDate")
                && parse_date(text).is_none()
            {
                return Err(invalid_date("DueDate", text));
            }
        }
        EntityKind::Estimate => {
            doc.entry("TxnStatus").or_insert(json!("Pending"));
        }
        EntityKind::PurchaseOrder => {
            doc.entry("POStatus").or_insert(json!("Open"));
            doc.entry("EmailStatus").or_insert(json!("NotSet"));
        }
        EntityKind::Payment => {
            doc.entry("ProcessPayment").or_insert(json!(false));
        }
        EntityKind::JournalEntry => {
            doc.entry("Adjustment").or_insert(json!(false));
            doc.entry("TxnTaxDetail").or_insert(json!({}));
        }
        EntityKind::Purchase => {
            doc.entry("Credit").or_insert(json!(false));
        }
        _ => {}
    }
    Ok(())
}

/// Multicurrency: the document's currency (home unless given), its exchange
/// rate and the home-currency total. With multicurrency off only the home
/// currency may be named.
fn currency(
    company: &Company,
    kind: EntityKind,
    doc: &mut Map<String, Value>,
    party: Option<Party>,
    total: Decimal,
) -> Result<(), Fault> {
    let home = company.home_currency();
    let given = ref_value(doc, "CurrencyRef").map(str::to_owned);
    if !company.multicurrency_enabled() {
        if let Some(code) = given
            && !code.eq_ignore_ascii_case(&home)
        {
            return Err(Fault::business(format!(
                    "Multicurrency is not turned on for this company, so {code} cannot be used; the home currency is {home}."
                ))
                .with_element("CurrencyRef"));
        }
        doc.remove("ExchangeRate");
        return Ok(());
    }
    let party_currency = party
        .and_then(|party| company.get(party.kind, party.id))
        .and_then(|party| ref_value(party, "CurrencyRef"))
        .map(str::to_owned);
    let code = given
        .or(party_currency.clone())
        .unwrap_or_else(|| home.clone())
        .to_ascii_uppercase();
    if let Some(party_currency) = party_currency
        && !party_currency.eq_ignore_ascii_case(&code)
    {
        return Err(Fault::business(format!(
                "The transaction currency {code} must match the currency of the customer or vendor ({party_currency})."
            ))
            .with_element("CurrencyRef"));
    }
    let rate = if code.eq_ignore_ascii_case(&home) {
        Decimal::ONE
    } else {
        match amount_field(doc, "ExchangeRate")? {
            Some(rate) if rate > Decimal::ZERO => rate,
            Some(_) => {
                return Err(Fault::business("ExchangeRate must be greater than zero.")
                    .with_element("ExchangeRate"));
            }
            None => return Err(Fault::required("ExchangeRate")),
        }
    };
    doc.insert(
        "CurrencyRef".to_owned(),
        json!({ "value": code, "name": currency_name(&code) }),
    );
    doc.insert("ExchangeRate".to_owned(), to_json(rate));
    if kind != EntityKind::JournalEntry {
        doc.insert(
            "HomeTotalAmt".to_owned(),
            to_json(round_cents(total * rate)),
        );
    }
    if let Some(balance) = doc.get("Balance").and_then(parse_decimal)
        && matches!(
            kind,
            EntityKind::Invoice | EntityKind::Bill | EntityKind::CreditMemo
        )
    {
        doc.insert(
            "HomeBalance".to_owned(),
            to_json(round_cents(balance * rate)),
        );
    }
    Ok(())
}

/// Rewrites a document as QBO shows a voided transaction: amounts and
/// quantities zero, a "Voided" memo, no applications.
pub fn void_document(kind: EntityKind, doc: &mut Map<String, Value>) {
    doc.insert("TotalAmt".to_owned(), json!(0));
    doc.insert("PrivateNote".to_owned(), json!("Voided"));
    if doc.contains_key("HomeTotalAmt") {
        doc.insert("HomeTotalAmt".to_owned(), json!(0));
    }
    match kind {
        EntityKind::Payment | EntityKind::BillPayment => {
            doc.insert("Line".to_owned(), json!([]));
            if kind == EntityKind::Payment {
                doc.insert("UnappliedAmt".to_owned(), json!(0));
            }
        }
        _ => {
            if let Some(lines) = doc.get_mut("Line").and_then(Value::as_array_mut) {
                for line in lines.iter_mut().filter_map(Value::as_object_mut) {
                    line.insert("Amount".to_owned(), json!(0));
                    if let Some(detail) = line
                        .get_mut("SalesItemLineDetail")
                        .and_then(Value::as_object_mut)
                    {
                        detail.insert("Qty".to_owned(), json!(0));
                        detail.remove("UnitPrice");
                    }
                }
            }
            doc.insert("Balance".to_owned(), json!(0));
            if doc.contains_key("HomeBalance") {
                doc.insert("HomeBalance".to_owned(), json!(0));
            }
            if let Some(detail) = doc.get_mut("TxnTaxDetail").and_then(Value::as_object_mut) {
                detail.insert("TotalTax".to_owned(), json!(0));
                detail.remove("TaxLine");
            }
            if kind == EntityKind::Invoice {
                doc.insert("Deposit".to_owned(), json!(0));
                doc.insert("LinkedTxn".to_owned(), json!([]));
            }
        }
    }
}
