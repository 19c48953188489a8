//! Pieces every entity shares: references, modification metadata, exact
//! money, and the macros that declare lossless entity structs.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Serde glue for optional money and quantities: read from and written as
/// JSON numbers with their exact digits (serde_json's `arbitrary_precision`),
/// so `100.0` stays `100.0` and nothing passes through a float.
pub mod money {
    use rust_decimal::Decimal;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Reads an optional decimal from a JSON number. Refuses a number a
    /// [`Decimal`] cannot hold exactly (more than 28 decimal places, or too
    /// large) rather than rounding it, which would change the amount.
    pub fn deserialize<'de, D>(deserializer: D) -> Result<Option<Decimal>, D::Error>
    where
        D: Deserializer<'de>,
    {
        let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
            return Ok(None);
        };
        let text = number.as_str();
        let mut decimal = Decimal::from_str_exact(text)
            .or_else(|_| Decimal::from_scientific(text))
            .map_err(|error| {
                D::Error::custom(format!("{text} is not an exact decimal: {error}"))
            })?;
        // Parsing drops the sign of a negative zero; keep it, so `-0.00` is
        // written back as it was read.
        if decimal.is_zero() && text.starts_with('-') {
            decimal.set_sign_negative(true);
        }
        Ok(Some(decimal))
    }

    /// Writes an optional decimal as a JSON number with the same digits it
    /// was read with.
    pub fn serialize<S>(value: &Option<Decimal>, serializer: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
    {
        rust_decimal::serde::arbitrary_precision_option::serialize(value, serializer)
    }
}

/// Declares a model struct whose named fields are all optional (QBO omits
/// what is empty, and a field we invent on the way back would not be a
/// lossless round trip), spelled in QBO's PascalCase, plus `extra` holding
/// every member the model does not name.
macro_rules! model_struct {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        pub struct $name {
            $(
                $(#[$field_meta])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
            /// Every member this model does not name, exactly as QBO sent it
            /// (`domain`, `sparse`, addresses, custom fields, …), so writing
            /// the entity back loses nothing.
            #[serde(flatten)]
            pub extra: ::serde_json::Map<String, ::serde_json::Value>,
        }
    };
}

/// Declares an entity: `Id`, `SyncToken` and `MetaData` first, then the
/// entity's own fields.
macro_rules! entity_struct {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $crate::model::common::model_struct! {
            $(#[$meta])*
            $name {
                /// QBO's id, unique per entity type in a company.
                id: String,
                /// The version counter a write must quote (API.md §3.2).
                sync_token: String,
                /// When QBO created and last changed the entity.
                meta_data: $crate::model::MetaData,
                $( $(#[$field_meta])* $field : $ty, )*
            }
        }
    };
}

/// Declares one of the twelve transaction types: the entity fields, the
/// header every transaction shares (XSD `Transaction`), then its own fields.
macro_rules! transaction_struct {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $crate::model::common::entity_struct! {
            $(#[$meta])*
            $name {
                /// The document number (check or invoice number), ≤ 21 characters.
                doc_number: String,
                /// The transaction's calendar date; never shifted by time zones.
                txn_date: ::chrono::NaiveDate,
                /// The memo only the company sees.
                private_note: String,
                /// The location (Department) the transaction belongs to.
                department_ref: $crate::model::Ref,
                /// The currency, in multicurrency companies.
                currency_ref: $crate::model::Ref,
                /// Home-currency units per unit of the transaction currency.
                #[serde(with = "crate::model::money")]
                exchange_rate: ::rust_decimal::Decimal,
                /// The total, computed by QBO for most types (API.md §3.5).
                #[serde(with = "crate::model::money")]
                total_amt: ::rust_decimal::Decimal,
                /// The total in the home currency.
                #[serde(with = "crate::model::money")]
                home_total_amt: ::rust_decimal::Decimal,
                /// Transactions this one is linked to.
                linked_txn: Vec<$crate::model::LinkedTxn>,
                /// The lines, in order.
                line: Vec<$crate::model::Line>,
                $( $(#[$field_meta])* $field : $ty, )*
            }
        }
    };
}

pub(crate) use {entity_struct, model_struct, transaction_struct};

/// A reference to another entity: `{"value": "<id>", "name": "<display>"}`.
/// `name` is informational; QBO ignores it on input (API.md §3.1).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ref {
    /// The referenced entity's `Id` (or a code such as `"NON"`, `"USD"`).
    pub value: String,
    /// The referenced entity's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Other members, such as the `type` of a Purchase's `EntityRef`.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Ref {
    /// A reference by id alone.
    pub fn to(value: impl Into<String>) -> Ref {
        Ref {
            value: value.into(),
            name: None,
            extra: Map::new(),
        }
    }
}

model_struct! {
    /// When an entity was created and last changed. The times stay as QBO
    /// wrote them (ISO-8601 with the company's offset) so a round trip keeps
    /// their exact text; [`MetaData::created_at`] and
    /// [`MetaData::last_updated_at`] parse them.
    MetaData {
        create_time: String,
        last_updated_time: String,
        created_by_ref: Ref,
        last_modified_by_ref: Ref,
    }
}

impl MetaData {
    /// `CreateTime` as a timestamp, if present and well-formed.
    pub fn created_at(&self) -> Option<DateTime<FixedOffset>> {
        self.create_time
            .as_deref()
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
    }

    /// `LastUpdatedTime` as a timestamp, if present and well-formed.
    pub fn last_updated_at(&self) -> Option<DateTime<FixedOffset>> {
        self.last_updated_time
            .as_deref()
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
    }
}

model_struct! {
    /// A link to another transaction (XSD `LinkedTxn`), e.g. the invoice a
    /// payment line pays.
    LinkedTxn {
        txn_id: String,
        txn_type: String,
        txn_line_id: String,
    }
}
