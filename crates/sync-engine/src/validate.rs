//! Checks before a push, so the accountant gets a message naming the record
//! and the field instead of QuickBooks' raw 400 (PITFALLS 8).

use std::collections::HashMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use crate::entities::{decimal, display_label, entity_words};

/// What a reference points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefTarget {
    /// Its name.
    pub name: String,
    /// Whether it is active.
    pub active: bool,
    /// An item's type (`Category` cannot be used in transactions).
    pub item_type: Option<String>,
}

/// Every list entry the books know, by entity and QuickBooks id.
#[derive(Debug, Clone, Default)]
pub struct ReferenceIndex {
    targets: HashMap<(String, String), RefTarget>,
}

impl ReferenceIndex {
    /// Builds the index from `(entity, id, object, active)` of list records.
    pub fn from_records<'a>(
        records: impl Iterator<Item = (&'a str, &'a str, &'a Value, bool)>,
    ) -> ReferenceIndex {
        let mut targets = HashMap::new();
        for (entity, id, object, active) in records {
            let name = ["DisplayName", "FullyQualifiedName", "Name"]
                .iter()
                .find_map(|key| object.get(*key).and_then(Value::as_str))
                .unwrap_or(id)
                .to_owned();
            let item_type = object
                .get("Type")
                .and_then(Value::as_str)
                .map(str::to_owned);
            targets.insert(
                (entity.to_owned(), id.to_owned()),
                RefTarget {
                    name,
                    active,
                    item_type,
                },
            );
        }
        ReferenceIndex { targets }
    }

    /// The target of a reference.
    pub fn get(&self, entity: &str, id: &str) -> Option<&RefTarget> {
        self.targets.get(&(entity.to_owned(), id.to_owned()))
    }

    /// Whether the index knows any entry of the type (a company whose list
    /// was never pulled cannot be checked).
    fn knows(&self, entity: &str) -> bool {
        self.targets.keys().any(|(known, _)| known == entity)
    }
}

/// The kind of a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, rename_all = "snake_case")]
pub enum IssueCode {
    /// Journal entry debits and credits differ.
    Unbalanced,
    /// A reference to something that does not exist.
    MissingReference,
    /// A reference to something inactive.
    InactiveReference,
    /// A category item used in a transaction.
    CategoryItem,
    /// A required field is missing.
    Required,
    /// An amount does not equal quantity × price.
    AmountMismatch,
    /// A customer or vendor named but not yet in QuickBooks: created on push.
    AutoCreate,
}

impl IssueCode {
    /// Whether the issue stops the push (auto-create does not).
    pub fn blocks_push(self) -> bool {
        self != IssueCode::AutoCreate
    }
}

/// One problem, naming the field and saying what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct ValidationIssue {
    /// Where, e.g. `Line[2].JournalEntryLineDetail.AccountRef`.
    pub field: String,
    /// The message.
    pub message: String,
    /// The kind.
    pub code: IssueCode,
}

/// Which list a reference field points into.
fn reference_entity(key: &str) -> Option<&'static str> {
    Some(match key {
        "AccountRef"
        | "DepositToAccountRef"
        | "APAccountRef"
        | "ARAccountRef"
        | "BankAccountRef"
        | "CCAccountRef"
        | "IncomeAccountRef"
        | "ExpenseAccountRef"
        | "AssetAccountRef" => "Account",
        "CustomerRef" => "Customer",
        "VendorRef" => "Vendor",
        "EmployeeRef" => "Employee",
        "ItemRef" => "Item",
        "ClassRef" => "Class",
        "DepartmentRef" => "Department",
        "SalesTermRef" => "Term",
        "PaymentMethodRef" => "PaymentMethod",
        _ => return None,
    })
}

/// Checks one object before it is pushed.
pub fn validate(entity: &str, object: &Value, refs: &ReferenceIndex) -> Vec<ValidationIssue> {
    let label = display_label(entity, object);
    let mut issues = Vec::new();
    required(entity, object, &label, &mut issues);
    walk_references(entity, object, "", refs, &label, &mut issues);
    if entity == "JournalEntry" {
        balanced(object, &label, &mut issues);
    }
    amounts(object, &label, &mut issues);
    issues
}

fn issue(
    issues: &mut Vec<ValidationIssue>,
    field: impl Into<String>,
    code: IssueCode,
    message: String,
) {
    issues.push(ValidationIssue {
        field: field.into(),
        message,
        code,
    });
}

fn required(entity: &str, object: &Value, label: &str, issues: &mut Vec<ValidationIssue>) {
    let keys: &[&str] = match entity {
        "Invoice" | "SalesReceipt" | "Estimate" | "CreditMemo" => &["CustomerRef", "Line"],
        "Payment" => &["CustomerRef", "TotalAmt"],
        "Bill" | "VendorCredit" | "PurchaseOrder" => &["VendorRef", "Line"],
        "BillPayment" => &["VendorRef", "PayType", "TotalAmt"],
        "Purchase" => &["AccountRef", "PaymentType", "Line"],
        "Deposit" => &["DepositToAccountRef", "Line"],
        "JournalEntry" => &["Line"],
        "Customer" | "Vendor" | "Employee" => &["DisplayName"],
        "Account" => &["Name", "AccountType"],
        "Item" => &["Name", "Type"],
        _ => &[],
    };
    for key in keys {
        let missing = match object.get(*key) {
            None | Some(Value::Null) => true,
            Some(Value::String(text)) => text.trim().is_empty(),
            Some(Value::Array(items)) => items.is_empty(),
            _ => false,
        };
        if missing {
            let what = if *key == "Line" {
                "at least one line".to_owned()
            } else {
                field_words(key)
            };
            issue(
                issues,
                *key,
                IssueCode::Required,
                format!("{label} needs {what} before it can go to QuickBooks."),
            );
        }
    }
    if entity == "JournalEntry"
        && let Some(Value::Array(lines)) = object.get("Line")
        && lines.len() < 2
    {
        issue(
            issues,
            "Line",
            IssueCode::Required,
            format!("{label} needs at least two lines, a debit and a credit."),
        );
    }
}

fn field_words(key: &str) -> String {
    format!(
        "a {}",
        entity_words(key.trim_end_matches("Ref")).to_lowercase()
    )
}

fn walk_references(
    entity: &str,
    value: &Value,
    path: &str,
    refs: &ReferenceIndex,
    label: &str,
    issues: &mut Vec<ValidationIssue>,
) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if let Some(target_entity) = reference_entity(key) {
                    check_reference(
                        entity,
                        target_entity,
                        child,
                        &child_path,
                        refs,
                        label,
                        issues,
                    );
                } else {
                    walk_references(entity, child, &child_path, refs, label, issues);
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                walk_references(
                    entity,
                    item,
                    &format!("{path}[{}]", index + 1),
                    refs,
                    label,
                    issues,
                );
            }
        }
        _ => {}
    }
}

fn check_reference(
    entity: &str,
    target_entity: &str,
    reference: &Value,
    path: &str,
    refs: &ReferenceIndex,
    label: &str,
    issues: &mut Vec<ValidationIssue>,
) {
    let id = match reference.get("value") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(Value::Number(id)) => id.to_string(),
        _ => {
            let name = reference
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim();
            if !name.is_empty() && matches!(target_entity, "Customer" | "Vendor") {
                issue(
                    issues,
                    path,
                    IssueCode::AutoCreate,
                    format!(
                        "{} \"{name}\" is not in QuickBooks yet; it is created (or an existing one reused) on the next sync.",
                        target_entity
                    ),
                );
            } else {
                issue(
                    issues,
                    path,
                    IssueCode::MissingReference,
                    format!(
                        "{label}: choose a {} for {path}.",
                        target_entity.to_lowercase()
                    ),
                );
            }
            return;
        }
    };
    if !refs.knows(target_entity) {
        return;
    }
    let words = entity_words(target_entity).to_lowercase();
    match refs.get(target_entity, &id) {
        None => issue(
            issues,
            path,
            IssueCode::MissingReference,
            format!(
                "{label}: {path} points to {words} {id}, which QuickBooks does not have. Choose another {words}."
            ),
        ),
        Some(target) if !target.active => issue(
            issues,
            path,
            IssueCode::InactiveReference,
            format!(
                "{label}: {path} uses the inactive {words} \"{}\". Choose an active {words}, or reactivate \"{}\" in QuickBooks.",
                target.name, target.name
            ),
        ),
        Some(target)
            if target_entity == "Item"
                && target.item_type.as_deref() == Some("Category")
                && !crate::entities::is_master(entity) =>
        {
            issue(
                issues,
                path,
                IssueCode::CategoryItem,
                format!(
                    "{label}: {path} uses the category \"{}\"; categories cannot be used in transactions. Choose a product or service.",
                    target.name
                ),
            );
        }
        Some(_) => {}
    }
}

fn balanced(object: &Value, label: &str, issues: &mut Vec<ValidationIssue>) {
    let Some(Value::Array(lines)) = object.get("Line") else {
        return;
    };
    let mut debits = Decimal::ZERO;
    let mut credits = Decimal::ZERO;
    for (index, line) in lines.iter().enumerate() {
        let detail = line.get("JournalEntryLineDetail");
        let amount = line
            .get("Amount")
            .and_then(decimal)
            .unwrap_or(Decimal::ZERO);
        match detail
            .and_then(|detail| detail.get("PostingType"))
            .and_then(Value::as_str)
        {
            Some("Debit") => debits += amount,
            Some("Credit") => credits += amount,
            _ => issue(
                issues,
                format!("Line[{}].JournalEntryLineDetail.PostingType", index + 1),
                IssueCode::Required,
                format!(
                    "{label}: say whether line {} is a debit or a credit.",
                    index + 1
                ),
            ),
        }
        if detail.and_then(|detail| detail.get("AccountRef")).is_none() {
            issue(
                issues,
                format!("Line[{}].JournalEntryLineDetail.AccountRef", index + 1),
                IssueCode::Required,
                format!("{label}: choose an account for line {}.", index + 1),
            );
        }
    }
    if debits != credits {
        issue(
            issues,
            "Line",
            IssueCode::Unbalanced,
            format!(
                "{label} does not balance: debits {debits} and credits {credits} differ by {}. Adjust a line so they are equal.",
                (debits - credits).abs()
            ),
        );
    }
}

fn amounts(object: &Value, label: &str, issues: &mut Vec<ValidationIssue>) {
    let Some(Value::Array(lines)) = object.get("Line") else {
        return;
    };
    for (index, line) in lines.iter().enumerate() {
        let Some(detail) = line.get("SalesItemLineDetail") else {
            continue;
        };
        let quantity = detail.get("Qty").and_then(decimal);
        let price = detail.get("UnitPrice").and_then(decimal);
        let amount = line.get("Amount").and_then(decimal);
        if let (Some(quantity), Some(price), Some(amount)) = (quantity, price, amount) {
            let expected = (quantity * price)
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            if expected != amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
            {
                issue(
                    issues,
                    format!("Line[{}].Amount", index + 1),
                    IssueCode::AmountMismatch,
                    format!(
                        "{label}: line {} has amount {amount}, but {quantity} × {price} is {expected}. Correct the amount, quantity or price.",
                        index + 1
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refs() -> ReferenceIndex {
        let bank = json!({"Name": "Checking"});
        let old = json!({"Name": "Old Bank"});
        let category = json!({"Name": "Hardware", "Type": "Category"});
        let records = vec![
            ("Account", "1", &bank, true),
            ("Account", "2", &old, false),
            ("Item", "7", &category, true),
        ];
        ReferenceIndex::from_records(records.into_iter())
    }

    #[test]
    fn an_unbalanced_journal_entry_is_named_with_the_difference() {
        let entry = json!({"DocNumber": "JE-4", "Line": [
            {"Amount": "100.10", "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": "1"}}},
            {"Amount": "100.01", "JournalEntryLineDetail": {"PostingType": "Credit", "AccountRef": {"value": "1"}}}
        ]});
        let issues = validate("JournalEntry", &entry, &refs());
        let unbalanced: Vec<_> = issues
            .iter()
            .filter(|issue| issue.code == IssueCode::Unbalanced)
            .collect();
        assert_eq!(unbalanced.len(), 1);
        assert!(unbalanced[0].message.contains("Journal entry JE-4"));
        assert!(unbalanced[0].message.contains("0.09"));
    }

    #[test]
    fn inactive_accounts_and_categories_are_refused_by_field() {
        let bill = json!({"DocNumber": "B1", "VendorRef": {"name": "New Supplier"}, "Line": [
            {"Amount": 5, "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "2"}}},
            {"Amount": 5, "ItemBasedExpenseLineDetail": {"ItemRef": {"value": "7"}}}
        ]});
        let issues = validate("Bill", &bill, &refs());
        let codes: Vec<_> = issues
            .iter()
            .map(|issue| (issue.field.as_str(), issue.code))
            .collect();
        assert!(codes.contains(&(
            "Line[1].AccountBasedExpenseLineDetail.AccountRef",
            IssueCode::InactiveReference
        )));
        assert!(codes.contains(&(
            "Line[2].ItemBasedExpenseLineDetail.ItemRef",
            IssueCode::CategoryItem
        )));
        assert!(codes.contains(&("VendorRef", IssueCode::AutoCreate)));
    }

    #[test]
    fn line_amounts_must_equal_quantity_times_price_to_the_cent() {
        let invoice = json!({"CustomerRef": {"value": "3"}, "Line": [
            {"Amount": 3.33, "SalesItemLineDetail": {"Qty": 3, "UnitPrice": 1.11}},
            {"Amount": 3.34, "SalesItemLineDetail": {"Qty": 3, "UnitPrice": 1.11}}
        ]});
        let issues = validate("Invoice", &invoice, &ReferenceIndex::default());
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].field, "Line[2].Amount");
    }
}
