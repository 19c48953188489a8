//! What the engine knows about QBO's entity types: which are lists, which
//! can be voided, the order references require, and the columns lists show.

use chrono::NaiveDate;
use local_store::RecordSummary;
use rust_decimal::Decimal;
use serde_json::Value;

/// Name lists, in the order a push must create them: accounts first (items
/// reference them), parties before the items and transactions that use them.
pub const MASTER_ENTITIES: &[&str] = &[
    "Account",
    "Class",
    "Department",
    "Term",
    "PaymentMethod",
    "TaxCode",
    "TaxRate",
    "Customer",
    "Vendor",
    "Employee",
    "Item",
];

/// The twelve transaction types, ordered so that a document comes before the
/// documents that link to it (an estimate before its invoice, an invoice
/// before its payment, a purchase order before its bill, a bill before its
/// bill payment, a payment before the deposit of it).
pub const TRANSACTION_ENTITIES: &[&str] = &[
    "Estimate",
    "Invoice",
    "SalesReceipt",
    "CreditMemo",
    "Payment",
    "PurchaseOrder",
    "Bill",
    "VendorCredit",
    "Purchase",
    "BillPayment",
    "Deposit",
    "JournalEntry",
];

/// Read-only company data, pulled but never pushed.
pub const READ_ONLY_ENTITIES: &[&str] = &["CompanyInfo", "Preferences"];

/// Every type a sync pulls: lists, then transactions, then the read-only
/// company data. A unit test keeps it equal to the three lists above.
pub const SYNCED_ENTITIES: &[&str] = &[
    "Account",
    "Class",
    "Department",
    "Term",
    "PaymentMethod",
    "TaxCode",
    "TaxRate",
    "Customer",
    "Vendor",
    "Employee",
    "Item",
    "Estimate",
    "Invoice",
    "SalesReceipt",
    "CreditMemo",
    "Payment",
    "PurchaseOrder",
    "Bill",
    "VendorCredit",
    "Purchase",
    "BillPayment",
    "Deposit",
    "JournalEntry",
    "CompanyInfo",
    "Preferences",
];

/// Every type a sync pulls, lists first (the same as [`SYNCED_ENTITIES`]).
pub fn synced_entities() -> Vec<&'static str> {
    SYNCED_ENTITIES.to_vec()
}

/// Lists cannot be deleted in QBO, only made inactive.
pub fn is_master(entity: &str) -> bool {
    MASTER_ENTITIES.contains(&entity)
}

/// The home currency a `Preferences` object names
/// (`CurrencyPrefs.HomeCurrency`), which QuickBooks sends whether or not
/// multicurrency is on.
pub fn home_currency(preferences: &Value) -> Option<String> {
    preferences
        .pointer("/CurrencyPrefs/HomeCurrency/value")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .map(str::to_owned)
}

/// One of the twelve transaction types.
pub fn is_transaction(entity: &str) -> bool {
    TRANSACTION_ENTITIES.contains(&entity)
}

/// The types QBO can void through the API (API.md §3.4).
pub fn can_void(entity: &str) -> bool {
    matches!(
        entity,
        "Invoice" | "Payment" | "SalesReceipt" | "BillPayment"
    )
}

/// Types the engine pulls but never pushes.
pub fn is_read_only(entity: &str) -> bool {
    READ_ONLY_ENTITIES.contains(&entity)
}

/// Types the Accounting API lets a client read but not create or change:
/// the company data, and tax codes and rates (managed through the tax
/// service, API.md §3.9).
pub fn is_api_read_only(entity: &str) -> bool {
    is_read_only(entity) || matches!(entity, "TaxCode" | "TaxRate")
}

/// Where a type comes in the push order (lower first); unknown types last.
pub fn push_rank(entity: &str) -> usize {
    MASTER_ENTITIES
        .iter()
        .chain(TRANSACTION_ENTITIES)
        .position(|known| *known == entity)
        .unwrap_or(usize::MAX)
}

/// The columns lists, search and sorting use.
///
/// `name` is DisplayName, FullyQualifiedName (a sub-account shows its
/// parent, as QuickBooks' references do) or Name; `amount` is
/// `TotalAmt` (or, for a transaction not yet in QuickBooks, the total
/// QuickBooks will compute from its lines, discounts and tax), an account's
/// `CurrentBalance` or another list entry's `Balance`.
pub fn summary_of(entity: &str, object: &Value) -> RecordSummary {
    let name = ["DisplayName", "FullyQualifiedName", "Name", "CompanyName"]
        .iter()
        .find_map(|key| text(object, key));
    let counterparty = ["CustomerRef", "VendorRef", "EntityRef"]
        .iter()
        .filter_map(|key| object.get(*key))
        .find_map(|reference| text(reference, "name"));
    let txn_date = text(object, "TxnDate")
        .and_then(|date| NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok());
    let amount = match entity {
        "Account" => object.get("CurrentBalance").and_then(decimal),
        _ if is_master(entity) => object.get("Balance").and_then(decimal),
        _ => object
            .get("TotalAmt")
            .and_then(decimal)
            .or_else(|| lines_total(entity, object)),
    };
    RecordSummary {
        name,
        doc_number: text(object, "DocNumber"),
        txn_date,
        amount,
        counterparty,
    }
}

/// A non-empty string member.
fn text(object: &Value, key: &str) -> Option<String> {
    object
        .get(key)
        .and_then(Value::as_str)
        .filter(|text| !text.trim().is_empty())
        .map(str::to_owned)
}

/// The total QuickBooks will compute for a transaction it has not seen, by
/// QuickBooks' rules: the line amounts (debits only for a journal entry;
/// never the generated subtotal line or a description-only line), less
/// discount lines (a percentage of the item lines, rounded to the cent),
/// less a deposit's cash back, plus the document's tax unless the amounts
/// already include it (`GlobalTaxCalculation` `TaxInclusive`) or no tax
/// applies (`NotApplicable`).
fn lines_total(entity: &str, object: &Value) -> Option<Decimal> {
    let lines = object.get("Line")?.as_array()?;
    let mut total = Decimal::ZERO;
    let mut discounts = Decimal::ZERO;
    let mut percents = Vec::new();
    for line in lines {
        let detail_type = line.get("DetailType").and_then(Value::as_str);
        if is_subtotal_line(line) || detail_type == Some("DescriptionOnly") {
            continue;
        }
        if detail_type == Some("DiscountLineDetail") {
            let detail = line.get("DiscountLineDetail");
            let percent_based = detail
                .and_then(|detail| detail.get("PercentBased"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let percent = detail
                .and_then(|detail| detail.get("DiscountPercent"))
                .and_then(decimal);
            match (percent_based, percent) {
                (true, Some(percent)) => percents.push(percent),
                _ => discounts += line.get("Amount").and_then(decimal)?,
            }
            continue;
        }
        if entity == "JournalEntry"
            && line
                .pointer("/JournalEntryLineDetail/PostingType")
                .and_then(Value::as_str)
                != Some("Debit")
        {
            continue;
        }
        total += line.get("Amount").and_then(decimal)?;
    }
    for percent in percents {
        discounts += (total * percent / Decimal::ONE_HUNDRED)
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    }
    let mut total = total - discounts;
    if entity == "Deposit"
        && let Some(cash_back) = object.pointer("/CashBack/Amount").and_then(decimal)
    {
        total -= cash_back;
    }
    let tax_included_or_none = matches!(
        object.get("GlobalTaxCalculation").and_then(Value::as_str),
        Some("TaxInclusive" | "NotApplicable")
    );
    if !tax_included_or_none
        && let Some(tax) = object.pointer("/TxnTaxDetail/TotalTax").and_then(decimal)
    {
        total += tax;
    }
    Some(total)
}

/// The subtotal line QuickBooks generates on sales forms: it is computed,
/// so the engine neither merges nor checks it.
pub fn is_subtotal_line(line: &Value) -> bool {
    line.get("DetailType").and_then(Value::as_str) == Some("SubTotalLineDetail")
}

/// "Invoice 1042", "Customer Acme Ltd": how messages name a record.
pub fn display_label(entity: &str, object: &Value) -> String {
    let summary = summary_of(entity, object);
    let words = entity_words(entity);
    if let Some(number) = summary.doc_number {
        return format!("{words} {number}");
    }
    if let Some(name) = summary.name {
        return format!("{words} {name}");
    }
    match (summary.counterparty, summary.txn_date) {
        (Some(party), Some(date)) => format!("{words} of {date} ({party})"),
        (None, Some(date)) => format!("{words} of {date}"),
        (Some(party), None) => format!("{words} for {party}"),
        (None, None) => match object.get("Id").and_then(Value::as_str) {
            Some(id) => format!("{words} #{id}"),
            None => format!("New {}", words.to_lowercase()),
        },
    }
}

/// The entity name in words: "JournalEntry" → "Journal entry".
pub fn entity_words(entity: &str) -> String {
    let mut words = String::new();
    for (index, character) in entity.chars().enumerate() {
        if index > 0 && character.is_uppercase() {
            words.push(' ');
            words.extend(character.to_lowercase());
        } else {
            words.push(character);
        }
    }
    words
}

/// A JSON number or numeric string as an exact decimal. Numbers keep the
/// digits QuickBooks sent (serde_json's arbitrary precision), so no binary
/// float is ever involved; exponent forms (`1e2`) are read too.
pub fn decimal(value: &Value) -> Option<Decimal> {
    let text = match value {
        Value::Number(number) => number.to_string(),
        Value::String(text) => text.trim().to_owned(),
        _ => return None,
    };
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_name_the_record_as_an_accountant_would() {
        let invoice = json!({"DocNumber": "1042", "TotalAmt": 10.5, "CustomerRef": {"value": "1", "name": "Acme"}});
        assert_eq!(display_label("Invoice", &invoice), "Invoice 1042");
        assert_eq!(
            display_label("Customer", &json!({"DisplayName": "Acme Ltd"})),
            "Customer Acme Ltd"
        );
        assert_eq!(
            display_label("JournalEntry", &json!({"TxnDate": "2026-01-31"})),
            "Journal entry of 2026-01-31"
        );
        assert_eq!(display_label("BillPayment", &json!({})), "New bill payment");
        let summary = summary_of("Invoice", &invoice);
        assert_eq!(summary.amount, Some(Decimal::new(105, 1)));
        assert_eq!(summary.counterparty.as_deref(), Some("Acme"));
    }

    #[test]
    fn an_unpushed_transaction_shows_the_total_quickbooks_will_compute() {
        let invoice = json!({"Line": [
            {"Amount": 10.10, "DetailType": "SalesItemLineDetail"},
            {"Amount": "0.20", "DetailType": "SalesItemLineDetail"},
            {"Amount": 10.30, "DetailType": "SubTotalLineDetail"}
        ], "TxnTaxDetail": {"TotalTax": 0.83}});
        assert_eq!(
            summary_of("Invoice", &invoice).amount,
            Some(Decimal::new(1113, 2))
        );
        let entry = json!({"Line": [
            {"Amount": 40, "JournalEntryLineDetail": {"PostingType": "Debit"}},
            {"Amount": 40, "JournalEntryLineDetail": {"PostingType": "Credit"}}
        ]});
        assert_eq!(
            summary_of("JournalEntry", &entry).amount,
            Some(Decimal::new(40, 0))
        );
        let account = json!({"Name": "Checking", "CurrentBalance": 1200.5});
        assert_eq!(
            summary_of("Account", &account).amount,
            Some(Decimal::new(12005, 1))
        );
    }

    #[test]
    fn decimals_are_exact_whatever_the_notation() {
        assert_eq!(decimal(&json!(1.10)), Some(Decimal::new(110, 2)));
        assert_eq!(decimal(&json!("2.5")), Some(Decimal::new(25, 1)));
        let exponent: Value = serde_json::from_str("1e2").unwrap();
        assert_eq!(decimal(&exponent), Some(Decimal::new(100, 0)));
        assert_eq!(decimal(&json!("abc")), None);
    }

    #[test]
    fn references_come_before_what_refers_to_them() {
        assert!(push_rank("Account") < push_rank("Item"));
        assert!(push_rank("Customer") < push_rank("Invoice"));
        assert!(push_rank("Estimate") < push_rank("Invoice"));
        assert!(push_rank("Invoice") < push_rank("Payment"));
        assert!(push_rank("Payment") < push_rank("Deposit"));
        assert!(push_rank("Bill") < push_rank("BillPayment"));
        let lists: Vec<&str> = MASTER_ENTITIES
            .iter()
            .chain(TRANSACTION_ENTITIES)
            .chain(READ_ONLY_ENTITIES)
            .copied()
            .collect();
        assert_eq!(SYNCED_ENTITIES, lists.as_slice());
        assert_eq!(synced_entities().len(), 11 + 12 + 2);
    }
}
