//! Checks before a push, so the accountant gets a message naming the record
//! and the field, and saying what to do, instead of QuickBooks' raw 400
//! (PITFALLS 8).
//!
//! Checked: the fields each type needs (API.md §3.7, §3.9); every reference
//! to an account, party, item, class, location, term or payment method, in
//! the object and in its lines, points at something QuickBooks has and that
//! is active; a category is never used on a transaction line; a journal
//! entry has two or more lines, each with an account and a debit or credit,
//! and balances exactly; an item line's amount is its quantity times its
//! price, rounded to the cent half away from zero as QuickBooks rounds; the
//! accounts a form pays from or posts to are of the kind QuickBooks wants.
//! A customer or vendor named without an id on a document is no error: it is
//! a request to find or create that party ([`IssueCode::AutoCreate`]).

use std::collections::{HashMap, HashSet};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use serde_json::{Map, Value};
use ts_rs::TS;

use crate::entities::{decimal, display_label, entity_words, is_subtotal_line, is_transaction};

/// What a reference points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefTarget {
    /// Its name, as QuickBooks shows it in references.
    pub name: String,
    /// Whether it is active.
    pub active: bool,
    /// An item's type (`Category` cannot be used in transactions).
    pub item_type: Option<String>,
    /// An account's type (`Bank`, `Credit Card`, `Accounts Payable`, …).
    pub account_type: Option<String>,
}

/// Every list entry the books know, by entity and QuickBooks id.
///
/// A reference into a list the index knows nothing about (no entry of that
/// type, and not marked loaded) is not checked: the list may simply not
/// have been pulled, and QuickBooks will say if the id is wrong.
#[derive(Debug, Clone, Default)]
pub struct ReferenceIndex {
    targets: HashMap<(String, String), RefTarget>,
    loaded: HashSet<String>,
}

impl ReferenceIndex {
    /// Builds the index from `(entity, QuickBooks id, object, active)`.
    pub fn from_records<'a>(
        records: impl Iterator<Item = (&'a str, &'a str, &'a Value, bool)>,
    ) -> ReferenceIndex {
        let mut index = ReferenceIndex::default();
        for (entity, id, object, active) in records {
            index.insert(entity, id, target_of(entity, id, object, active));
        }
        index
    }

    /// Builds the index from `(entity, object, active)`, reading each id
    /// from the object's `Id` (objects without one are skipped).
    pub fn from_objects<'a>(
        records: impl Iterator<Item = (&'a str, &'a Value, bool)>,
    ) -> ReferenceIndex {
        let mut index = ReferenceIndex::default();
        for (entity, object, active) in records {
            let id = match object.get("Id") {
                Some(Value::String(id)) => id.trim().to_owned(),
                Some(Value::Number(id)) => id.to_string(),
                _ => continue,
            };
            let target = target_of(entity, &id, object, active);
            index.insert(entity, &id, target);
        }
        index
    }

    /// Adds (or replaces) one entry.
    pub fn insert(&mut self, entity: &str, id: &str, target: RefTarget) {
        self.loaded.insert(entity.to_owned());
        self.targets
            .insert((entity.to_owned(), id.to_owned()), target);
    }

    /// Says the whole list of `entity` is in the index, even if it is empty,
    /// so a reference into it that is not found is reported.
    pub fn mark_loaded(&mut self, entity: &str) {
        self.loaded.insert(entity.to_owned());
    }

    /// The target of a reference.
    pub fn get(&self, entity: &str, id: &str) -> Option<&RefTarget> {
        self.targets.get(&(entity.to_owned(), id.to_owned()))
    }

    /// Whether the index holds the list of `entity`.
    pub fn knows(&self, entity: &str) -> bool {
        self.loaded.contains(entity)
    }
}

fn target_of(entity: &str, id: &str, object: &Value, active: bool) -> RefTarget {
    let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
    RefTarget {
        name: text("DisplayName")
            .or_else(|| text("FullyQualifiedName"))
            .or_else(|| text("Name"))
            .unwrap_or_else(|| id.to_owned()),
        active,
        item_type: (entity == "Item").then(|| text("Type")).flatten(),
        account_type: (entity == "Account").then(|| text("AccountType")).flatten(),
    }
}

/// How much an issue matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, rename_all = "snake_case")]
pub enum Severity {
    /// For the record: the push goes ahead.
    Info,
    /// The push of this record waits until it is fixed.
    Error,
}

/// The kind of a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, rename_all = "snake_case")]
pub enum IssueCode {
    /// Journal entry debits and credits differ.
    Unbalanced,
    /// A reference to something QuickBooks does not have, or an empty one.
    MissingReference,
    /// A reference to something inactive.
    InactiveReference,
    /// A category item used in a transaction.
    CategoryItem,
    /// A required field is missing.
    Required,
    /// An amount does not equal quantity × price.
    AmountMismatch,
    /// A customer or vendor named but not yet in QuickBooks: found or
    /// created on push.
    AutoCreate,
    /// A value QuickBooks refuses (a negative journal amount, a colon in a
    /// name, a posting type other than Debit or Credit).
    InvalidValue,
    /// An account of the wrong kind (a check paid from an income account).
    WrongAccountType,
    /// The user held the change back (Pending changes): it waits until
    /// released.
    HeldByUser,
}

impl IssueCode {
    /// How much it matters: only auto-create is for information.
    pub fn severity(self) -> Severity {
        match self {
            IssueCode::AutoCreate => Severity::Info,
            _ => Severity::Error,
        }
    }

    /// Whether the issue stops the push (auto-create does not).
    pub fn blocks_push(self) -> bool {
        self.severity() == Severity::Error
    }
}

/// One problem, naming the record and the field and saying what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct ValidationIssue {
    /// Where, e.g. `Line[2].JournalEntryLineDetail.AccountRef` (lines
    /// counted from 1, as the accountant sees them).
    pub field: String,
    /// The message.
    pub message: String,
    /// The kind.
    pub code: IssueCode,
    /// Whether it stops the push.
    pub severity: Severity,
}

/// Checks one object before it is pushed; messages name the record as
/// [`display_label`] does.
pub fn validate(entity: &str, object: &Value, refs: &ReferenceIndex) -> Vec<ValidationIssue> {
    validate_labeled(entity, object, &display_label(entity, object), refs)
}

/// [`validate`] with the record's name chosen by the caller ("Invoice 1042").
pub fn validate_labeled(
    entity: &str,
    object: &Value,
    label: &str,
    refs: &ReferenceIndex,
) -> Vec<ValidationIssue> {
    let mut check = Check {
        entity,
        label,
        refs,
        issues: Vec::new(),
    };
    check.required(object);
    check.lines(object);
    check.references(object, "", None);
    check.account_kinds(object);
    check.issues
}

/// One validation run.
struct Check<'a> {
    entity: &'a str,
    label: &'a str,
    refs: &'a ReferenceIndex,
    issues: Vec<ValidationIssue>,
}

/// " on line 2", or nothing for a top-level field.
fn on_line(line: Option<usize>) -> String {
    line.map(|number| format!(" on line {number}"))
        .unwrap_or_default()
}

/// " for line 2", or nothing for a top-level field.
fn for_line(line: Option<usize>) -> String {
    line.map(|number| format!(" for line {number}"))
        .unwrap_or_default()
}

fn a_or_an(noun: &str) -> &'static str {
    match noun.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u' | 'A' | 'E' | 'I' | 'O' | 'U') => "an",
        _ => "a",
    }
}

/// Whether a field holds something.
fn present(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(text)) => !text.trim().is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::Object(map)) => !map.is_empty(),
        _ => true,
    }
}

/// The lines that count (QuickBooks' generated subtotal does not).
fn real_lines(object: &Value) -> Vec<(usize, &Value)> {
    object
        .get("Line")
        .and_then(Value::as_array)
        .map(|lines| {
            lines
                .iter()
                .enumerate()
                .filter(|(_, line)| !is_subtotal_line(line))
                .map(|(index, line)| (index + 1, line))
                .collect()
        })
        .unwrap_or_default()
}

/// Which list a reference field points into (`EntityRef` points at a
/// customer, vendor or employee).
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
        "EntityRef" => "Party",
        "ItemRef" => "Item",
        "ClassRef" => "Class",
        "DepartmentRef" => "Department",
        "SalesTermRef" | "TermRef" => "Term",
        "PaymentMethodRef" => "PaymentMethod",
        _ => return None,
    })
}

impl Check<'_> {
    /// Records an issue; the message of one that stops the push ends with
    /// the QuickBooks field, so a message shown or stored alone still says
    /// exactly where.
    fn push(&mut self, field: impl Into<String>, code: IssueCode, message: String) {
        let field = field.into();
        let message = match code.severity() {
            Severity::Error => format!("{message} (field: {field})"),
            Severity::Info => message,
        };
        self.issues.push(ValidationIssue {
            message,
            field,
            code,
            severity: code.severity(),
        });
    }

    /// Reports a missing top-level field, in words.
    fn need(&mut self, object: &Value, key: &str, what: &str, action: &str) -> bool {
        if present(object.get(key)) {
            return true;
        }
        let label = self.label;
        self.push(
            key,
            IssueCode::Required,
            format!("{label} needs {what}. {action} before it goes to QuickBooks."),
        );
        false
    }

    fn need_lines(&mut self, object: &Value, minimum: usize) {
        let count = real_lines(object).len();
        if count >= minimum {
            return;
        }
        let label = self.label;
        let message = if minimum <= 1 {
            format!("{label} needs at least one line. Add a line before it goes to QuickBooks.")
        } else {
            format!(
                "{label} needs at least {minimum} lines (it has {count}). Add a debit and a credit line before it goes to QuickBooks."
            )
        };
        self.push("Line", IssueCode::Required, message);
    }

    fn required(&mut self, object: &Value) {
        let choose = "Choose one";
        let fill = "Fill it in";
        match self.entity {
            "Invoice" | "Estimate" | "CreditMemo" => {
                self.need(object, "CustomerRef", "a customer", choose);
                self.need_lines(object, 1);
            }
            "SalesReceipt" => self.need_lines(object, 1),
            "Payment" => {
                self.need(object, "CustomerRef", "a customer", choose);
                self.need(object, "TotalAmt", "the amount received", fill);
            }
            "Bill" | "VendorCredit" | "PurchaseOrder" => {
                self.need(object, "VendorRef", "a vendor", choose);
                self.need_lines(object, 1);
            }
            "BillPayment" => self.bill_payment(object),
            "Purchase" => {
                self.need(
                    object,
                    "PaymentType",
                    "a payment type (Cash, Check or CreditCard)",
                    choose,
                );
                self.need(object, "AccountRef", "an account to pay from", choose);
                self.need_lines(object, 1);
            }
            "Deposit" => {
                self.need(
                    object,
                    "DepositToAccountRef",
                    "an account to deposit to",
                    choose,
                );
                self.need_lines(object, 1);
            }
            "JournalEntry" => self.need_lines(object, 2),
            "Customer" | "Vendor" | "Employee" => self.person(object),
            "Account" => {
                if self.need(object, "Name", "a name", fill) {
                    self.plain_name(object, "Name", &['"', ':']);
                }
                if !present(object.get("AccountType")) && !present(object.get("AccountSubType")) {
                    self.need(object, "AccountType", "an account type", choose);
                }
            }
            "Item" => self.item(object),
            "Class" | "Department" | "PaymentMethod" => {
                self.need(object, "Name", "a name", fill);
            }
            "Term" => {
                self.need(object, "Name", "a name", fill);
                if !present(object.get("DueDays")) && !present(object.get("DayOfMonthDue")) {
                    self.need(
                        object,
                        "DueDays",
                        "a number of days until due (or a day of the month)",
                        fill,
                    );
                }
            }
            _ => {}
        }
    }

    fn bill_payment(&mut self, object: &Value) {
        self.need(object, "VendorRef", "a vendor", "Choose one");
        self.need(object, "TotalAmt", "the amount paid", "Fill it in");
        if !self.need(
            object,
            "PayType",
            "a payment type (Check or CreditCard)",
            "Choose one",
        ) {
            return;
        }
        let label = self.label;
        let (holder, key, what) = match object.get("PayType").and_then(Value::as_str) {
            Some("Check") => (
                "CheckPayment",
                "BankAccountRef",
                "a bank account to pay from",
            ),
            Some("CreditCard") => (
                "CreditCardPayment",
                "CCAccountRef",
                "a credit card account to pay with",
            ),
            other => {
                let shown = other.unwrap_or("(not text)");
                self.push(
                    "PayType",
                    IssueCode::InvalidValue,
                    format!(
                        "{label}: the payment type \"{shown}\" is not one QuickBooks knows. Choose Check or CreditCard."
                    ),
                );
                return;
            }
        };
        if !present(object.get(holder).and_then(|payment| payment.get(key))) {
            self.push(
                format!("{holder}.{key}"),
                IssueCode::Required,
                format!("{label} needs {what}. Choose one before it goes to QuickBooks."),
            );
        }
    }

    fn person(&mut self, object: &Value) {
        let parts = ["Title", "GivenName", "MiddleName", "FamilyName", "Suffix"];
        if !present(object.get("DisplayName")) && !parts.iter().any(|key| present(object.get(*key)))
        {
            let label = self.label;
            self.push(
                "DisplayName",
                IssueCode::Required,
                format!(
                    "{label} needs a display name (or a first or last name). Fill it in before it goes to QuickBooks."
                ),
            );
        }
        self.plain_name(object, "DisplayName", &[':']);
    }

    /// QuickBooks refuses some characters in names.
    fn plain_name(&mut self, object: &Value, key: &str, forbidden: &[char]) {
        let Some(name) = object.get(key).and_then(Value::as_str) else {
            return;
        };
        if let Some(bad) = name.chars().find(|character| forbidden.contains(character)) {
            let label = self.label;
            self.push(
                key,
                IssueCode::InvalidValue,
                format!(
                    "{label}: QuickBooks does not accept the character {bad} in a name. Remove it from \"{name}\"."
                ),
            );
        }
    }

    fn item(&mut self, object: &Value) {
        if self.need(object, "Name", "a name", "Fill it in") {
            self.plain_name(object, "Name", &[':']);
        }
        if !self.need(
            object,
            "Type",
            "a type (Service, NonInventory, Inventory…)",
            "Choose one",
        ) {
            return;
        }
        match object.get("Type").and_then(Value::as_str) {
            Some("Inventory") => {
                self.need(
                    object,
                    "IncomeAccountRef",
                    "an income account",
                    "Choose one",
                );
                self.need(
                    object,
                    "ExpenseAccountRef",
                    "a cost of goods sold account",
                    "Choose one",
                );
                self.need(
                    object,
                    "AssetAccountRef",
                    "an inventory asset account",
                    "Choose one",
                );
                // The opening stock is only asked for when the item is made.
                if object.get("Id").is_none() {
                    self.need(
                        object,
                        "QtyOnHand",
                        "the quantity on hand to start from",
                        "Fill it in",
                    );
                    self.need(
                        object,
                        "InvStartDate",
                        "the date of that quantity",
                        "Fill it in",
                    );
                }
            }
            Some("Category" | "Group" | "Bundle") => {}
            _ => {
                if !present(object.get("IncomeAccountRef"))
                    && !present(object.get("ExpenseAccountRef"))
                {
                    self.need(
                        object,
                        "IncomeAccountRef",
                        "an income account (or an expense account, for something only bought)",
                        "Choose one",
                    );
                }
            }
        }
    }

    /// Line amounts, item lines and the journal entry's balance.
    fn lines(&mut self, object: &Value) {
        if !is_transaction(self.entity) {
            return;
        }
        let journal = self.entity == "JournalEntry";
        let mut debits = Decimal::ZERO;
        let mut credits = Decimal::ZERO;
        let mut all_amounts_known = true;
        for (number, line) in real_lines(object) {
            let amount = line.get("Amount").and_then(decimal);
            if journal {
                match self.journal_line(number, line, amount) {
                    Some((true, amount)) => debits += amount,
                    Some((false, amount)) => credits += amount,
                    None => all_amounts_known = false,
                }
                continue;
            }
            let detail_type = line
                .get("DetailType")
                .and_then(Value::as_str)
                .unwrap_or_default();
            match detail_type {
                "SalesItemLineDetail" | "ItemBasedExpenseLineDetail" => {
                    self.item_line(number, line, detail_type, amount);
                }
                "DescriptionOnly" => {}
                _ => {
                    if amount.is_none() {
                        self.missing_amount(number);
                    }
                    if detail_type == "AccountBasedExpenseLineDetail" {
                        self.line_reference_required(number, line, detail_type, "AccountRef");
                    }
                    if detail_type == "DepositLineDetail" && !present(line.get("LinkedTxn")) {
                        self.line_reference_required(number, line, detail_type, "AccountRef");
                    }
                }
            }
        }
        if journal && all_amounts_known && debits != credits {
            let label = self.label;
            self.push(
                "Line",
                IssueCode::Unbalanced,
                format!(
                    "{label} does not balance: debits total {debits} and credits total {credits}, a difference of {}. Adjust a line so debits equal credits.",
                    (debits - credits).abs()
                ),
            );
        }
    }

    fn missing_amount(&mut self, number: usize) {
        let label = self.label;
        self.push(
            format!("Line[{number}].Amount"),
            IssueCode::Required,
            format!("{label}: line {number} has no amount. Enter the amount for line {number}."),
        );
    }

    /// A line's detail must name something (an account, an item).
    fn line_reference_required(&mut self, number: usize, line: &Value, detail: &str, key: &str) {
        if present(line.get(detail).and_then(|detail| detail.get(key))) {
            return;
        }
        let label = self.label;
        let noun = reference_noun(self.entity, key, true);
        let article = a_or_an(noun);
        self.push(
            format!("Line[{number}].{detail}.{key}"),
            IssueCode::Required,
            format!(
                "{label}: line {number} has no {noun}. Choose {article} {noun} for line {number}."
            ),
        );
    }

    /// An item line: an item, and an amount equal to quantity × price.
    fn item_line(
        &mut self,
        number: usize,
        line: &Value,
        detail_type: &str,
        amount: Option<Decimal>,
    ) {
        self.line_reference_required(number, line, detail_type, "ItemRef");
        let detail = line.get(detail_type);
        let quantity = detail
            .and_then(|detail| detail.get("Qty"))
            .and_then(decimal);
        let price = detail
            .and_then(|detail| detail.get("UnitPrice"))
            .and_then(decimal);
        match (quantity, price, amount) {
            (Some(quantity), Some(price), Some(amount)) => {
                let expected = (quantity * price)
                    .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
                if amount != expected {
                    let label = self.label;
                    self.push(
                        format!("Line[{number}].Amount"),
                        IssueCode::AmountMismatch,
                        format!(
                            "{label}: line {number} has amount {amount}, but quantity {quantity} × price {price} is {expected}. Correct the amount, quantity or price on line {number}."
                        ),
                    );
                }
            }
            // QuickBooks works the amount out from quantity and price.
            (Some(_), Some(_), None) => {}
            (_, _, None) => self.missing_amount(number),
            _ => {}
        }
    }

    /// One journal line: `Some((is_debit, amount))` when it counts towards
    /// the balance.
    fn journal_line(
        &mut self,
        number: usize,
        line: &Value,
        amount: Option<Decimal>,
    ) -> Option<(bool, Decimal)> {
        let label = self.label;
        let detail = line.get("JournalEntryLineDetail");
        if !present(detail.and_then(|detail| detail.get("AccountRef"))) {
            self.push(
                format!("Line[{number}].JournalEntryLineDetail.AccountRef"),
                IssueCode::Required,
                format!(
                    "{label}: line {number} has no account. Choose an account for line {number}."
                ),
            );
        }
        let posting = match detail
            .and_then(|detail| detail.get("PostingType"))
            .and_then(Value::as_str)
        {
            Some("Debit") => Some(true),
            Some("Credit") => Some(false),
            None => {
                self.push(
                    format!("Line[{number}].JournalEntryLineDetail.PostingType"),
                    IssueCode::Required,
                    format!("{label}: line {number} is neither a debit nor a credit. Choose Debit or Credit for line {number}."),
                );
                None
            }
            Some(other) => {
                self.push(
                    format!("Line[{number}].JournalEntryLineDetail.PostingType"),
                    IssueCode::InvalidValue,
                    format!("{label}: line {number} says \"{other}\"; QuickBooks knows only Debit and Credit. Choose one for line {number}."),
                );
                None
            }
        };
        let amount = match amount {
            None => {
                self.missing_amount(number);
                return None;
            }
            Some(amount) if amount.is_sign_negative() && !amount.is_zero() => {
                self.push(
                    format!("Line[{number}].Amount"),
                    IssueCode::InvalidValue,
                    format!("{label}: line {number} has a negative amount ({amount}). Journal amounts are positive; make line {number} a {} of {} instead.", if posting == Some(true) { "credit" } else { "debit" }, amount.abs()),
                );
                return None;
            }
            Some(amount) => amount,
        };
        posting.map(|is_debit| (is_debit, amount))
    }

    /// Walks the object for references; `line` is the number of the line a
    /// value is in.
    fn references(&mut self, value: &Value, path: &str, line: Option<usize>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let target = reference_entity(key);
                    // A plain value under any other name holds no
                    // reference: no path is built for it (a push validates
                    // thousands of records).
                    let plain = !(child.is_object() || child.is_array());
                    if key == "LinkedTxn" || (plain && target.is_none()) {
                        continue;
                    }
                    let child_path = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    let people_entity = key == "Entity"
                        && child.get("EntityRef").is_none()
                        && (child.get("value").is_some() || child.get("name").is_some());
                    if let Some(target) = target {
                        self.reference(target, key, child, &child_path, line, Some(map));
                    } else if people_entity {
                        self.reference("Party", "EntityRef", child, &child_path, line, Some(map));
                    } else {
                        self.references(child, &child_path, line);
                    }
                }
            }
            Value::Array(items) => {
                // A line array (`Line`, or a bundle's lines inside a line);
                // not `TxnTaxDetail.TaxLine`.
                let lines = path == "Line" || path.ends_with(".Line");
                for (index, item) in items.iter().enumerate() {
                    if lines && is_subtotal_line(item) {
                        continue;
                    }
                    let number = if lines && line.is_none() {
                        Some(index + 1)
                    } else {
                        line
                    };
                    self.references(item, &format!("{path}[{}]", index + 1), number);
                }
            }
            _ => {}
        }
    }

    fn reference(
        &mut self,
        target: &str,
        key: &str,
        reference: &Value,
        path: &str,
        line: Option<usize>,
        parent: Option<&Map<String, Value>>,
    ) {
        let label = self.label;
        let noun = reference_noun(self.entity, key, line.is_some());
        let article = a_or_an(noun);
        let (on, for_) = (on_line(line), for_line(line));
        let id = match reference.get("value") {
            Some(Value::String(id)) if !id.trim().is_empty() => id.trim().to_owned(),
            Some(Value::Number(id)) => id.to_string(),
            _ => {
                if reference.is_null() {
                    return;
                }
                let name = reference
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim();
                let kind = if target == "Party" {
                    party_kind(reference, parent).unwrap_or(target)
                } else {
                    target
                };
                let creatable = line.is_none()
                    && !path.contains('.')
                    && match key {
                        "CustomerRef" | "VendorRef" => true,
                        "EntityRef" => self.entity == "Purchase" && kind != "Employee",
                        _ => false,
                    };
                if name.is_empty() {
                    self.push(
                        path,
                        IssueCode::MissingReference,
                        format!("{label}: the {noun}{on} is empty. Choose {article} {noun}{for_}."),
                    );
                } else if creatable {
                    let party = if kind == "Party" { "Vendor" } else { kind };
                    let words = entity_words(party).to_lowercase();
                    self.push(
                        path,
                        IssueCode::AutoCreate,
                        format!(
                            "{label}: {words} \"{name}\" is not in QuickBooks yet; the next sync finds it by name or creates it."
                        ),
                    );
                } else {
                    self.push(
                        path,
                        IssueCode::MissingReference,
                        format!(
                            "{label}: the {noun}{on} names \"{name}\", which QuickBooks does not have. Choose an existing {noun}{for_}."
                        ),
                    );
                }
                return;
            }
        };
        let candidates: Vec<&str> = if target == "Party" {
            match party_kind(reference, parent) {
                Some(kind) => vec![kind],
                None => vec!["Customer", "Vendor", "Employee"],
            }
        } else {
            vec![target]
        };
        if !candidates.iter().any(|kind| self.refs.knows(kind)) {
            return;
        }
        let found = candidates
            .iter()
            .find_map(|kind| self.refs.get(kind, &id).map(|found| (*kind, found)));
        let Some((kind, found)) = found else {
            let shown = reference
                .get("name")
                .and_then(Value::as_str)
                .map(|name| format!("\"{name}\" (id {id})"))
                .unwrap_or_else(|| format!("id {id}"));
            self.push(
                path,
                IssueCode::MissingReference,
                format!(
                    "{label}: the {noun}{on} is {shown}, which QuickBooks does not have. Choose another {noun}{for_}."
                ),
            );
            return;
        };
        let name = &found.name;
        if !found.active {
            self.push(
                path,
                IssueCode::InactiveReference,
                format!(
                    "{label}: the {noun}{on} is \"{name}\", which is inactive in QuickBooks. Choose an active {noun}{for_}, or reactivate \"{name}\" in QuickBooks."
                ),
            );
        } else if kind == "Item"
            && is_transaction(self.entity)
            && found.item_type.as_deref() == Some("Category")
        {
            self.push(
                path,
                IssueCode::CategoryItem,
                format!(
                    "{label}: the {noun}{on} is \"{name}\", a category; QuickBooks does not allow categories on transactions. Choose a product or service{for_}."
                ),
            );
        }
    }

    /// The accounts a form pays from or posts to must be of the right kind.
    fn account_kinds(&mut self, object: &Value) {
        let mut wanted: Vec<(&str, Option<&Value>, &str, &str)> = vec![
            (
                "APAccountRef",
                object.get("APAccountRef"),
                "Accounts Payable",
                "an accounts payable account",
            ),
            (
                "ARAccountRef",
                object.get("ARAccountRef"),
                "Accounts Receivable",
                "an accounts receivable account",
            ),
        ];
        match self.entity {
            "BillPayment" => {
                wanted.push((
                    "CheckPayment.BankAccountRef",
                    object.pointer("/CheckPayment/BankAccountRef"),
                    "Bank",
                    "a bank account",
                ));
                wanted.push((
                    "CreditCardPayment.CCAccountRef",
                    object.pointer("/CreditCardPayment/CCAccountRef"),
                    "Credit Card",
                    "a credit card account",
                ));
            }
            "Purchase" => match object.get("PaymentType").and_then(Value::as_str) {
                Some("Check") => {
                    wanted.push((
                        "AccountRef",
                        object.get("AccountRef"),
                        "Bank",
                        "a bank account",
                    ));
                }
                Some("CreditCard") => wanted.push((
                    "AccountRef",
                    object.get("AccountRef"),
                    "Credit Card",
                    "a credit card account",
                )),
                _ => {}
            },
            _ => {}
        }
        for (field, reference, account_type, kind_words) in wanted {
            let Some(id) = reference
                .and_then(|reference| reference.get("value"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            let Some(account) = self.refs.get("Account", id.trim()) else {
                continue;
            };
            let Some(actual) = account.account_type.as_deref() else {
                continue;
            };
            if actual != account_type {
                let label = self.label;
                let name = &account.name;
                let noun = reference_noun(
                    self.entity,
                    field.rsplit('.').next().unwrap_or(field),
                    false,
                );
                self.push(
                    field,
                    IssueCode::WrongAccountType,
                    format!(
                        "{label}: the {noun} \"{name}\" is {} {actual} account; QuickBooks needs {kind_words} here. Choose {kind_words}.",
                        a_or_an(actual)
                    ),
                );
            }
        }
    }
}

/// The kind of party a reference names, from its `type` or its holder's
/// `Type` (a journal line's `Entity`).
fn party_kind<'a>(reference: &'a Value, parent: Option<&'a Map<String, Value>>) -> Option<&'a str> {
    let kind = reference.get("type").and_then(Value::as_str).or_else(|| {
        parent
            .and_then(|parent| parent.get("Type"))
            .and_then(Value::as_str)
    })?;
    ["Customer", "Vendor", "Employee"]
        .into_iter()
        .find(|known| *known == kind)
}

/// A reference field in the accountant's words.
fn reference_noun(entity: &str, key: &str, in_line: bool) -> &'static str {
    match key {
        "AccountRef" if entity == "Purchase" && !in_line => "payment account",
        "AccountRef" => "account",
        "DepositToAccountRef" => "deposit-to account",
        "APAccountRef" => "A/P account",
        "ARAccountRef" => "A/R account",
        "BankAccountRef" => "bank account",
        "CCAccountRef" => "credit card account",
        "IncomeAccountRef" => "income account",
        "ExpenseAccountRef" => "expense account",
        "AssetAccountRef" => "inventory asset account",
        "CustomerRef" => "customer",
        "VendorRef" => "vendor",
        "EmployeeRef" => "employee",
        "EntityRef" if in_line => "name",
        "EntityRef" => "payee",
        "ItemRef" => "product or service",
        "ClassRef" => "class",
        "DepartmentRef" => "location",
        "SalesTermRef" | "TermRef" => "payment term",
        "PaymentMethodRef" => "payment method",
        _ => "reference",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refs() -> ReferenceIndex {
        let bank = json!({"Name": "Checking", "AccountType": "Bank"});
        let old = json!({"Name": "Old Bank", "AccountType": "Bank"});
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
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].code, IssueCode::Unbalanced);
        assert!(issues[0].message.starts_with("Journal entry JE-4"));
        assert!(issues[0].message.contains("0.09"));
    }

    #[test]
    fn inactive_accounts_and_categories_are_refused_by_field() {
        let bill = json!({"DocNumber": "B1", "VendorRef": {"name": "New Supplier"}, "Line": [
            {"Amount": 5, "DetailType": "AccountBasedExpenseLineDetail", "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "2"}}},
            {"Amount": 5, "DetailType": "ItemBasedExpenseLineDetail", "ItemBasedExpenseLineDetail": {"ItemRef": {"value": "7"}}}
        ]});
        let issues = validate("Bill", &bill, &refs());
        let codes: Vec<_> = issues
            .iter()
            .map(|issue| (issue.field.as_str(), issue.code))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("VendorRef", IssueCode::AutoCreate),
                (
                    "Line[1].AccountBasedExpenseLineDetail.AccountRef",
                    IssueCode::InactiveReference
                ),
                (
                    "Line[2].ItemBasedExpenseLineDetail.ItemRef",
                    IssueCode::CategoryItem
                ),
            ]
        );
        assert_eq!(issues[0].severity, Severity::Info);
        assert_eq!(
            issues[1].message,
            "Bill B1: the account on line 1 is \"Old Bank\", which is inactive in QuickBooks. Choose an active account for line 1, or reactivate \"Old Bank\" in QuickBooks. (field: Line[1].AccountBasedExpenseLineDetail.AccountRef)"
        );
    }

    #[test]
    fn line_amounts_must_equal_quantity_times_price_to_the_cent() {
        let invoice = json!({"CustomerRef": {"value": "3"}, "Line": [
            {"Amount": 3.33, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 3, "UnitPrice": 1.11}},
            {"Amount": 3.34, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 3, "UnitPrice": 1.11}},
            {"Amount": 0.13, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": 0.125}}
        ]});
        let issues = validate("Invoice", &invoice, &ReferenceIndex::default());
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].field, "Line[2].Amount");
    }
}
