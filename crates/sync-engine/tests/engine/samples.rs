//! QBO objects as Intuit's documentation shows them (samples/SOURCE.md says
//! where each came from), for the merge, plan and validate tests.

// Fixtures: a sample that does not parse should fail the test loudly.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

/// The object inside a `{"Invoice": {…}, "time": …}` envelope.
fn object(text: &str, entity: &str) -> Value {
    let envelope: Value = serde_json::from_str(text).unwrap();
    envelope[entity].clone()
}

/// Invoice 1069: one item line, QuickBooks' subtotal line, a custom field.
pub fn invoice() -> Value {
    object(include_str!("samples/entity-invoice.json"), "Invoice")
}

/// A bill with one account-based expense line.
pub fn bill() -> Value {
    object(include_str!("samples/entity-bill.json"), "Bill")
}

/// A two-line journal entry (line Ids "0" and "1").
pub fn journal_entry() -> Value {
    object(
        include_str!("samples/entity-journalentry.json"),
        "JournalEntry",
    )
}

/// A deposit with two direct deposit lines.
pub fn deposit() -> Value {
    object(include_str!("samples/entity-deposit.json"), "Deposit")
}

/// A check paid to a vendor.
pub fn purchase() -> Value {
    object(include_str!("samples/entity-purchase.json"), "Purchase")
}

/// A customer payment applied to one invoice; its line has no `Id`.
pub fn payment() -> Value {
    object(include_str!("samples/entity-payment.json"), "Payment")
}

/// A sales receipt with one item line (quantity and price) and a subtotal.
pub fn sales_receipt() -> Value {
    object(
        include_str!("samples/entity-salesreceipt.json"),
        "SalesReceipt",
    )
}
