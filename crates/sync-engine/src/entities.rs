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
/// documents that link to it (an invoice before its payment, a bill before
/// its bill payment, a payment before the deposit of it).
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

/// Every type a sync pulls, lists first.
pub fn synced_entities() -> Vec<&'static str> {
    MASTER_ENTITIES
        .iter()
        .chain(TRANSACTION_ENTITIES)
        .chain(READ_ONLY_ENTITIES)
        .copied()
        .collect()
}

/// Lists cannot be deleted in QBO, only made inactive.
pub fn is_master(entity: &str) -> bool {
    MASTER_ENTITIES.contains(&entity)
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

/// Where a type comes in the push order (lower first).
pub fn push_rank(entity: &str) -> usize {
    MASTER_ENTITIES
        .iter()
        .chain(TRANSACTION_ENTITIES)
        .position(|known| *known == entity)
        .unwrap_or(usize::MAX)
}

/// The columns lists, search and sorting use.
pub fn summary_of(entity: &str, object: &Value) -> RecordSummary {
    let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
    let name = text("DisplayName")
        .or_else(|| text("FullyQualifiedName"))
        .or_else(|| text("Name"))
        .or_else(|| text("CompanyName"));
    let counterparty = ["CustomerRef", "VendorRef", "EntityRef"]
        .iter()
        .find_map(|key| object.get(*key))
        .and_then(|reference| reference.get("name"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let txn_date =
        text("TxnDate").and_then(|date| NaiveDate::parse_from_str(&date, "%Y-%m-%d").ok());
    let amount = if is_master(entity) {
        object.get("Balance").and_then(decimal)
    } else {
        object.get("TotalAmt").and_then(decimal)
    };
    RecordSummary {
        name,
        doc_number: text("DocNumber"),
        txn_date,
        amount,
        counterparty,
    }
}

/// "Invoice 1042", "Customer Acme Ltd": how messages name a record.
pub fn display_label(entity: &str, object: &Value) -> String {
    let summary = summary_of(entity, object);
    let words = entity_words(entity);
    if let Some(number) = summary.doc_number.filter(|number| !number.is_empty()) {
        return format!("{words} {number}");
    }
    if let Some(name) = summary.name {
        return format!("{words} {name}");
    }
    match (summary.counterparty, summary.txn_date) {
        (Some(party), Some(date)) => format!("{words} of {date} ({party})"),
        (None, Some(date)) => format!("{words} of {date}"),
        _ => match object.get("Id").and_then(Value::as_str) {
            Some(id) => format!("{words} #{id}"),
            None => format!("new {}", words.to_lowercase()),
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

/// A JSON number or numeric string as an exact decimal.
pub fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(number) => number.to_string().parse().ok(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
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
        let summary = summary_of("Invoice", &invoice);
        assert_eq!(summary.amount, Some(Decimal::new(105, 1)));
        assert_eq!(summary.counterparty.as_deref(), Some("Acme"));
    }

    #[test]
    fn references_come_before_what_refers_to_them() {
        assert!(push_rank("Account") < push_rank("Item"));
        assert!(push_rank("Customer") < push_rank("Invoice"));
        assert!(push_rank("Invoice") < push_rank("Payment"));
        assert!(push_rank("Bill") < push_rank("BillPayment"));
        assert_eq!(synced_entities().len(), 11 + 12 + 2);
    }
}
