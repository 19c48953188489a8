//! The entity types the emulator serves and the rules each one follows.
//!
//! Entities are kept as JSON documents. Each write runs the document through
//! [`normalize`], which validates it the way QBO does (required fields,
//! references, names, balanced journal entries, …) and fills in what the server
//! computes (totals, balances, subtotal lines, defaults). Effects on other
//! documents (invoice balances, stock on hand) live in [`effects`].

pub mod effects;
pub mod fields;
pub mod money;
pub mod names;
pub mod transactions;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::fault::Fault;
use crate::state::Company;

/// Every entity type the emulator knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityKind {
    // Name lists.
    Account,
    Customer,
    Vendor,
    Employee,
    Item,
    Class,
    Department,
    Term,
    TaxCode,
    TaxRate,
    PaymentMethod,
    // Company settings (singletons).
    CompanyInfo,
    Preferences,
    // Transactions.
    Purchase,
    Deposit,
    Bill,
    BillPayment,
    Invoice,
    Payment,
    JournalEntry,
    CreditMemo,
    VendorCredit,
    Estimate,
    PurchaseOrder,
    SalesReceipt,
}

/// Which id sequence an entity draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdSequence {
    /// Customers, vendors and employees share one sequence, as in QBO's name list.
    People,
    /// All transactions share one sequence.
    Transactions,
    /// Every other type counts on its own.
    Own(EntityKind),
}

impl EntityKind {
    /// All kinds, in a stable order.
    pub const ALL: [EntityKind; 25] = [
        EntityKind::Account,
        EntityKind::Customer,
        EntityKind::Vendor,
        EntityKind::Employee,
        EntityKind::Item,
        EntityKind::Class,
        EntityKind::Department,
        EntityKind::Term,
        EntityKind::TaxCode,
        EntityKind::TaxRate,
        EntityKind::PaymentMethod,
        EntityKind::CompanyInfo,
        EntityKind::Preferences,
        EntityKind::Purchase,
        EntityKind::Deposit,
        EntityKind::Bill,
        EntityKind::BillPayment,
        EntityKind::Invoice,
        EntityKind::Payment,
        EntityKind::JournalEntry,
        EntityKind::CreditMemo,
        EntityKind::VendorCredit,
        EntityKind::Estimate,
        EntityKind::PurchaseOrder,
        EntityKind::SalesReceipt,
    ];

    /// The entity name as it appears in bodies and queries ("Invoice").
    pub fn name(self) -> &'static str {
        match self {
            EntityKind::Account => "Account",
            EntityKind::Customer => "Customer",
            EntityKind::Vendor => "Vendor",
            EntityKind::Employee => "Employee",
            EntityKind::Item => "Item",
            EntityKind::Class => "Class",
            EntityKind::Department => "Department",
            EntityKind::Term => "Term",
            EntityKind::TaxCode => "TaxCode",
            EntityKind::TaxRate => "TaxRate",
            EntityKind::PaymentMethod => "PaymentMethod",
            EntityKind::CompanyInfo => "CompanyInfo",
            EntityKind::Preferences => "Preferences",
            EntityKind::Purchase => "Purchase",
            EntityKind::Deposit => "Deposit",
            EntityKind::Bill => "Bill",
            EntityKind::BillPayment => "BillPayment",
            EntityKind::Invoice => "Invoice",
            EntityKind::Payment => "Payment",
            EntityKind::JournalEntry => "JournalEntry",
            EntityKind::CreditMemo => "CreditMemo",
            EntityKind::VendorCredit => "VendorCredit",
            EntityKind::Estimate => "Estimate",
            EntityKind::PurchaseOrder => "PurchaseOrder",
            EntityKind::SalesReceipt => "SalesReceipt",
        }
    }

    /// Looks a kind up by entity name or URL segment, ignoring case
    /// ("invoice", "Invoice", "INVOICE").
    pub fn parse(text: &str) -> Option<EntityKind> {
        EntityKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(text))
    }

    /// True for the 12 transaction types.
    pub fn is_transaction(self) -> bool {
        matches!(
            self,
            EntityKind::Purchase
                | EntityKind::Deposit
                | EntityKind::Bill
                | EntityKind::BillPayment
                | EntityKind::Invoice
                | EntityKind::Payment
                | EntityKind::JournalEntry
                | EntityKind::CreditMemo
                | EntityKind::VendorCredit
                | EntityKind::Estimate
                | EntityKind::PurchaseOrder
                | EntityKind::SalesReceipt
        )
    }

    /// True for name lists, which are inactivated instead of deleted.
    pub fn is_name_list(self) -> bool {
        !self.is_transaction() && !self.is_singleton()
    }

    /// CompanyInfo and Preferences exist once per company.
    pub fn is_singleton(self) -> bool {
        matches!(self, EntityKind::CompanyInfo | EntityKind::Preferences)
    }

    /// Customers, vendors and employees share one name space (6240).
    pub fn is_person(self) -> bool {
        matches!(
            self,
            EntityKind::Customer | EntityKind::Vendor | EntityKind::Employee
        )
    }

    /// Sales forms get a generated `SubTotalLineDetail` line.
    pub fn is_sales_form(self) -> bool {
        matches!(
            self,
            EntityKind::Invoice
                | EntityKind::SalesReceipt
                | EntityKind::CreditMemo
                | EntityKind::Estimate
        )
    }

    /// The types QBO lets an API client void (API.md §3.4).
    pub fn is_voidable(self) -> bool {
        matches!(
            self,
            EntityKind::Invoice
                | EntityKind::Payment
                | EntityKind::SalesReceipt
                | EntityKind::BillPayment
        )
    }

    /// Tax codes and rates are read-only through the Accounting API (they are
    /// managed through the TaxService endpoint), and the two settings objects
    /// cannot be created.
    pub fn api_creatable(self) -> bool {
        !matches!(
            self,
            EntityKind::TaxCode
                | EntityKind::TaxRate
                | EntityKind::CompanyInfo
                | EntityKind::Preferences
        )
    }

    /// Whether an API client may update this type.
    pub fn api_updatable(self) -> bool {
        !matches!(self, EntityKind::TaxCode | EntityKind::TaxRate)
    }

    /// CDC serves every type except tax codes and tax rates (Intuit's CDC page).
    pub fn in_cdc(self) -> bool {
        !matches!(self, EntityKind::TaxCode | EntityKind::TaxRate)
    }

    /// The id sequence this kind draws from.
    pub fn id_sequence(self) -> IdSequence {
        if self.is_person() {
            IdSequence::People
        } else if self.is_transaction() {
            IdSequence::Transactions
        } else {
            IdSequence::Own(self)
        }
    }

    /// Whether a plain query hides inactive objects of this kind.
    pub fn has_active_flag(self) -> bool {
        self.is_name_list()
    }
}

impl std::fmt::Display for EntityKind {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

/// What a write is, for the rules that differ between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteKind {
    /// A new object.
    Create,
    /// A full or sparse update of an existing object.
    Update,
}

/// Validates `doc` as the new content of an object of `kind` and fills in the
/// fields QBO computes. `previous` is the stored version on an update. The
/// document comes back without `Id`, `SyncToken` and `MetaData`; the caller
/// sets those.
pub fn normalize(
    company: &Company,
    kind: EntityKind,
    doc: Map<String, Value>,
    previous: Option<&Map<String, Value>>,
    write: WriteKind,
    now: DateTime<Utc>,
) -> Result<Map<String, Value>, Fault> {
    let mut doc = doc;
    for key in ["Id", "SyncToken", "MetaData", "domain", "sparse", "status"] {
        doc.remove(key);
    }
    fields::check_top_level(kind, &doc)?;
    if kind.is_transaction() {
        transactions::normalize(company, kind, doc, previous, write, now)
    } else {
        names::normalize(company, kind, doc, previous, write)
    }
}

/// Checks the reference in `doc[field]` (if any) against objects of `kinds`:
/// an id that names nothing is 2500 Invalid Reference Id, an inactive name-list
/// object is 610 Object Not Found. On success the reference's `name` is set to
/// the object's display name, as QBO returns it, and the target is returned.
pub fn resolve_ref(
    company: &Company,
    doc: &mut Map<String, Value>,
    field: &str,
    kinds: &[EntityKind],
) -> Result<Option<(EntityKind, u64)>, Fault> {
    let Some(reference) = doc.get_mut(field) else {
        return Ok(None);
    };
    let Some(reference) = reference.as_object_mut() else {
        if reference.is_null() {
            return Ok(None);
        }
        return Err(Fault::invalid_property(format!(
            "Property Name:{field} must be a reference object {{\"value\": id}}"
        ))
        .with_element(field));
    };
    let id = match reference.get("value") {
        Some(Value::String(text)) => text.trim().to_owned(),
        Some(Value::Number(number)) => number.to_string(),
        None | Some(Value::Null) => return Err(Fault::required(&format!("{field}.value"))),
        Some(other) => {
            return Err(Fault::invalid_property(format!(
                "Property Name:{field}.value : {other} is not an id"
            )));
        }
    };
    for kind in kinds {
        if let Some(target) = company.get_by_text(*kind, &id) {
            if target.get("Active").and_then(Value::as_bool) == Some(false) {
                return Err(Fault::inactive_reference(field));
            }
            if let Some(name) = display_name(*kind, target) {
                reference.insert("name".to_owned(), Value::String(name));
            }
            reference.insert("value".to_owned(), Value::String(id.clone()));
            let numeric = id.parse::<u64>().unwrap_or_default();
            return Ok(Some((*kind, numeric)));
        }
    }
    Err(Fault::invalid_reference(field, &id))
}

/// The name QBO shows in references to an object.
pub fn display_name(kind: EntityKind, doc: &Map<String, Value>) -> Option<String> {
    let field = match kind {
        EntityKind::Customer
        | EntityKind::Account
        | EntityKind::Item
        | EntityKind::Class
        | EntityKind::Department => "FullyQualifiedName",
        EntityKind::Vendor | EntityKind::Employee => "DisplayName",
        _ => "Name",
    };
    str_field(doc, field)
        .or_else(|| str_field(doc, "DisplayName"))
        .or_else(|| str_field(doc, "Name"))
        .map(str::to_owned)
}

/// Top-level fields QBO requires even in a sparse update body: a sparse
/// Purchase without `PaymentType`/`AccountRef` or a sparse Bill without
/// `VendorRef` is refused with 2020 (PITFALLS 5, observed against QBO).
pub fn sparse_required(kind: EntityKind) -> &'static [&'static str] {
    match kind {
        EntityKind::Purchase => &["PaymentType", "AccountRef"],
        EntityKind::Bill => &["VendorRef"],
        _ => &[],
    }
}

/// Whether QBO applies `"sparse": true` for this type. Deposits ignore it and
/// treat every update as a full one (PITFALLS 5).
pub fn honours_sparse(kind: EntityKind) -> bool {
    kind != EntityKind::Deposit
}

/// Reads a string field.
pub fn str_field<'a>(doc: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    doc.get(key).and_then(Value::as_str)
}

/// Reads the `value` of a reference field (`{"value":"12","name":"…"}`).
pub fn ref_value<'a>(doc: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    doc.get(key)
        .and_then(|reference| reference.get("value"))
        .and_then(Value::as_str)
}

/// Reads a boolean field that may also arrive as the string "true"/"false".
pub fn bool_field(doc: &Map<String, Value>, key: &str) -> Option<bool> {
    match doc.get(key)? {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) if text.eq_ignore_ascii_case("true") => Some(true),
        Value::String(text) if text.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}
