//! Typed QBO entities: the twelve transaction types and the master data.
//!
//! Money and quantities are [`Decimal`]s read from and written as JSON
//! numbers with their exact digits (serde_json's `arbitrary_precision`), so
//! `100.0` comes back as `100.0` and no amount passes through a float. Dates
//! (`TxnDate`, `DueDate`, …) are [`chrono::NaiveDate`]s: calendar dates that
//! no time zone shifts.
//!
//! Every struct names the fields a sync needs and keeps every other member
//! in its `extra` map, so `to_json(from_json(x)) == x`: a full update built
//! from a typed entity clears nothing QBO sent (API.md §3.3).

mod client;
mod common;
pub mod fields;
mod line;
mod master;
mod transactions;

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use common::{LinkedTxn, MetaData, Ref, money};
pub use line::{
    AccountBasedExpenseLineDetail, DepositLineDetail, DiscountLineDetail,
    ItemBasedExpenseLineDetail, JournalEntryEntity, JournalEntryLineDetail, Line,
    SalesItemLineDetail, SubTotalLineDetail,
};
pub use master::{
    Account, Class, CompanyInfo, Customer, Department, Employee, Item, PaymentMethod, Preferences,
    TaxCode, TaxRate, Term, Vendor,
};
pub use transactions::{
    Bill, BillPayment, CashBack, CheckPayment, CreditCardPayment, CreditMemo, Deposit, Estimate,
    Invoice, JournalEntry, Payment, Purchase, PurchaseOrder, SalesReceipt, VendorCredit,
};

/// Why an entity could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The JSON was not an object.
    #[error("a {entity} must be a JSON object")]
    NotAnObject {
        /// The entity type expected.
        entity: EntityType,
    },
    /// A named field had the wrong shape (e.g. text where an amount belongs).
    #[error("a {entity} does not match the model: {source}")]
    Invalid {
        /// The entity type expected.
        entity: EntityType,
        /// What serde found wrong, with the field.
        source: serde_json::Error,
    },
    /// The entity name is not one this model knows.
    #[error("unknown entity type {0:?}")]
    UnknownEntityType(String),
}

macro_rules! entity_types {
    ($( $(#[$meta:meta])* $variant:ident => $path:literal, $kind:ident; )*) => {
        /// The entity types this model covers, by QBO name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EntityType {
            $( $(#[$meta])* $variant, )*
        }

        impl EntityType {
            /// Every type, transactions first.
            pub const ALL: &'static [EntityType] = &[$( EntityType::$variant, )*];

            /// QBO's name, as in `{"Invoice": {…}}` and `SELECT * FROM Invoice`.
            pub fn name(self) -> &'static str {
                match self {
                    $( EntityType::$variant => stringify!($variant), )*
                }
            }

            /// The URL path segment, as in `/v3/company/{realm}/invoice`.
            pub fn path_segment(self) -> &'static str {
                match self {
                    $( EntityType::$variant => $path, )*
                }
            }

            /// Whether this is one of the twelve transaction types.
            pub fn is_transaction(self) -> bool {
                match self {
                    $( EntityType::$variant => entity_types!(@is_transaction $kind), )*
                }
            }
        }

        /// One entity of any covered type.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Entity {
            $( $(#[$meta])* $variant($variant), )*
        }

        impl Entity {
            /// Converts QBO's JSON object for `entity_type` (the inner object,
            /// not `{"Invoice": {…}}`).
            pub fn from_json(entity_type: EntityType, json: Value) -> Result<Entity, ModelError> {
                match entity_type {
                    $( EntityType::$variant => $variant::from_json(json).map(Entity::$variant), )*
                }
            }

            /// QBO's JSON object for this entity, with every field it was read with.
            pub fn to_json(&self) -> Result<Value, ModelError> {
                match self {
                    $( Entity::$variant(entity) => entity.to_json(), )*
                }
            }

            /// The entity's type.
            pub fn entity_type(&self) -> EntityType {
                match self {
                    $( Entity::$variant(_) => EntityType::$variant, )*
                }
            }

            /// The entity's `Id`, if it has one yet.
            pub fn id(&self) -> Option<&str> {
                match self {
                    $( Entity::$variant(entity) => entity.id.as_deref(), )*
                }
            }

            /// The members the model does not name, kept as QBO sent them.
            pub fn extra(&self) -> &serde_json::Map<String, Value> {
                match self {
                    $( Entity::$variant(entity) => &entity.extra, )*
                }
            }

            /// The entity's `SyncToken`, if it has one yet.
            pub fn sync_token(&self) -> Option<&str> {
                match self {
                    $( Entity::$variant(entity) => entity.sync_token.as_deref(), )*
                }
            }
        }

        $(
            impl QboEntity for $variant {
                const TYPE: EntityType = EntityType::$variant;
            }

            impl From<$variant> for Entity {
                fn from(entity: $variant) -> Entity {
                    Entity::$variant(entity)
                }
            }
        )*
    };
    (@is_transaction transaction) => { true };
    (@is_transaction master) => { false };
}

entity_types! {
    Invoice => "invoice", transaction;
    SalesReceipt => "salesreceipt", transaction;
    Estimate => "estimate", transaction;
    CreditMemo => "creditmemo", transaction;
    Payment => "payment", transaction;
    Bill => "bill", transaction;
    BillPayment => "billpayment", transaction;
    Purchase => "purchase", transaction;
    VendorCredit => "vendorcredit", transaction;
    PurchaseOrder => "purchaseorder", transaction;
    Deposit => "deposit", transaction;
    JournalEntry => "journalentry", transaction;
    Account => "account", master;
    Customer => "customer", master;
    Vendor => "vendor", master;
    Employee => "employee", master;
    Item => "item", master;
    Class => "class", master;
    Department => "department", master;
    Term => "term", master;
    TaxCode => "taxcode", master;
    TaxRate => "taxrate", master;
    PaymentMethod => "paymentmethod", master;
    CompanyInfo => "companyinfo", master;
    Preferences => "preferences", master;
}

impl fmt::Display for EntityType {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

impl FromStr for EntityType {
    type Err = ModelError;

    /// Accepts QBO's name in any case (`Invoice`, `invoice`, `INVOICE`).
    fn from_str(name: &str) -> Result<EntityType, ModelError> {
        EntityType::ALL
            .iter()
            .copied()
            .find(|entity_type| entity_type.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| ModelError::UnknownEntityType(name.to_owned()))
    }
}

/// A typed entity: converts from and to QBO's JSON object without losing a
/// member.
pub trait QboEntity: Serialize + DeserializeOwned {
    /// The entity's type.
    const TYPE: EntityType;

    /// Converts QBO's JSON object (the inner object, not `{"Invoice": {…}}`).
    fn from_json(json: Value) -> Result<Self, ModelError> {
        if !json.is_object() {
            return Err(ModelError::NotAnObject { entity: Self::TYPE });
        }
        // Parsed from text, not with `from_value`: serde's `flatten` buffers
        // the members kept in `extra`, and from a `Value` that buffer cannot
        // hold integers beyond 64 bits, while from text every number stays
        // the exact string serde_json's `arbitrary_precision` keeps.
        serde_json::from_str(&json.to_string()).map_err(|source| ModelError::Invalid {
            entity: Self::TYPE,
            source,
        })
    }

    /// QBO's JSON object for this entity: the modelled fields in QBO's
    /// spelling, then every member kept in `extra`.
    fn to_json(&self) -> Result<Value, ModelError> {
        serde_json::to_value(self).map_err(|source| ModelError::Invalid {
            entity: Self::TYPE,
            source,
        })
    }
}

/// Sums line amounts exactly; lines without an amount count as zero.
pub fn sum_amounts<'a>(lines: impl IntoIterator<Item = &'a Line>) -> Decimal {
    lines
        .into_iter()
        .filter_map(|line| line.amount)
        .fold(Decimal::ZERO, |total, amount| total + amount)
}
