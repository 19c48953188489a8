//! Webhook notifications from Intuit: checking the signature and reading the
//! two payload formats into one [`ChangeNotice`] type (API.md §7).
//!
//! The `intuit-signature` header is the Base64 HMAC-SHA256 of the raw body
//! keyed with the app's verifier token (§7.4); it is checked in constant time
//! on the bytes as received, before any parsing. Bodies come in the legacy
//! `eventNotifications` format (§7.3) or as a CloudEvents array (§7.5); both
//! become the same notices.
//!
//! A notice only says that something changed: the caller fetches the object
//! (or runs CDC). Notifications arrive late, twice or out of order (PITFALLS
//! 11), and this module parses each delivery on its own: deduplicating
//! (CloudEvents ids repeat on retries, see [`ChangeNotice::event_id`]) and
//! ordering by `last_updated` are the sync engine's job.
//!
//! Nothing here panics, whatever the bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::cdc::parse_qbo_time;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "intuit-signature";

/// Why a webhook delivery was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The `intuit-signature` header is absent or empty.
    #[error("the webhook has no intuit-signature header")]
    MissingSignature,
    /// The signature does not match the body and the verifier token.
    #[error("the webhook's intuit-signature does not match its body")]
    BadSignature,
    /// The body is not a notification in either of Intuit's formats.
    #[error("the webhook body is not a QuickBooks notification: {0}")]
    Malformed(String),
}

/// What happened to an object, as a notification says.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Created.
    Create,
    /// Updated.
    Update,
    /// Deleted (transactions) or made inactive (lists).
    Delete,
    /// Merged into another object; the merged-away one is
    /// [`ChangeNotice::deleted_id`].
    Merge,
    /// Voided.
    Void,
    /// Sent by e-mail.
    Emailed,
    /// An operation this version does not know, as sent.
    Other(String),
}

impl Operation {
    /// Reads a legacy operation (`Create`) or a CloudEvents verb (`created`).
    pub fn parse(text: &str) -> Operation {
        match text.trim().to_ascii_lowercase().as_str() {
            "create" | "created" => Operation::Create,
            "update" | "updated" => Operation::Update,
            "delete" | "deleted" => Operation::Delete,
            "merge" | "merged" => Operation::Merge,
            "void" | "voided" => Operation::Void,
            "emailed" | "email" => Operation::Emailed,
            _ => Operation::Other(text.trim().to_owned()),
        }
    }
}

/// One change, from either format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeNotice {
    /// The company (legacy `realmId`, CloudEvents `intuitaccountid`).
    pub realm_id: String,
    /// The entity name as the API spells it (`SalesReceipt`), whichever case
    /// the notification used.
    pub entity: String,
    /// The object's id (legacy `id`, CloudEvents `intuitentityid`).
    pub id: String,
    /// What happened.
    pub operation: Operation,
    /// When (legacy `lastUpdated`, CloudEvents `time`), in UTC, when readable.
    pub last_updated: Option<DateTime<Utc>>,
    /// For a merge, the id of the object merged away.
    pub deleted_id: Option<String>,
    /// The CloudEvents event id, unchanged on Intuit's retries (the key to
    /// deduplicate on); legacy notifications have none.
    pub event_id: Option<String>,
}

/// Checks `intuit-signature` against the raw body, in constant time. An absent
/// header should be passed as `""`.
pub fn verify_signature(
    verifier_token: &[u8],
    raw_body: &[u8],
    intuit_signature_header: &str,
) -> Result<(), WebhookError> {
    let header = intuit_signature_header.trim();
    if header.is_empty() {
        return Err(WebhookError::MissingSignature);
    }
    let expected = BASE64
        .decode(header)
        .map_err(|_| WebhookError::BadSignature)?;
    let mac =
        Hmac::<Sha256>::new_from_slice(verifier_token).map_err(|_| WebhookError::BadSignature)?;
    mac.chain_update(raw_body)
        .verify_slice(&expected)
        .map_err(|_| WebhookError::BadSignature)
}

/// The `intuit-signature` value for `raw_body`, for tests and relays that
/// re-sign what they forward.
pub fn sign(verifier_token: &[u8], raw_body: &[u8]) -> String {
    // HMAC accepts keys of every length, so the error arm cannot happen; an
    // empty signature would simply never verify.
    Hmac::<Sha256>::new_from_slice(verifier_token)
        .map(|mac| BASE64.encode(mac.chain_update(raw_body).finalize().into_bytes()))
        .unwrap_or_default()
}

/// Reads a notification body in either format into notices, in the order
/// sent. One entry that cannot be read refuses the whole body, naming it.
pub fn parse_notification(raw_body: &[u8]) -> Result<Vec<ChangeNotice>, WebhookError> {
    let value: Value = serde_json::from_slice(raw_body)
        .map_err(|error| WebhookError::Malformed(format!("the body is not JSON ({error})")))?;
    match &value {
        Value::Array(events) => events
            .iter()
            .enumerate()
            .map(|(index, event)| cloud_event(event, index))
            .collect(),
        Value::Object(members) if members.contains_key("eventNotifications") => legacy(&value),
        Value::Object(members) if members.contains_key("specversion") => {
            cloud_event(&value, 0).map(|notice| vec![notice])
        }
        _ => Err(WebhookError::Malformed(
            "expected an eventNotifications object or an array of CloudEvents".to_owned(),
        )),
    }
}

fn malformed(where_: &str, what: &str) -> WebhookError {
    WebhookError::Malformed(format!("{where_} {what}"))
}

/// A string member, or a number written as text (ids are strings on the wire,
/// but nothing is lost by accepting numbers).
fn text_field(value: &Value, name: &str) -> Option<String> {
    match value.get(name)? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn legacy(value: &Value) -> Result<Vec<ChangeNotice>, WebhookError> {
    let Some(notifications) = value.get("eventNotifications").and_then(Value::as_array) else {
        return Err(malformed("eventNotifications", "is not a list"));
    };
    let mut notices = Vec::new();
    for (index, notification) in notifications.iter().enumerate() {
        let place = format!("eventNotifications[{index}]");
        let realm_id = text_field(notification, "realmId")
            .ok_or_else(|| malformed(&place, "has no realmId"))?;
        let entities = notification
            .get("dataChangeEvent")
            .and_then(|event| event.get("entities"))
            .and_then(Value::as_array)
            .ok_or_else(|| malformed(&place, "has no dataChangeEvent.entities list"))?;
        for (position, entity) in entities.iter().enumerate() {
            let place = format!("{place}.dataChangeEvent.entities[{position}]");
            let name =
                text_field(entity, "name").ok_or_else(|| malformed(&place, "has no name"))?;
            let id = text_field(entity, "id").ok_or_else(|| malformed(&place, "has no id"))?;
            let operation = text_field(entity, "operation")
                .ok_or_else(|| malformed(&place, "has no operation"))?;
            notices.push(ChangeNotice {
                realm_id: realm_id.clone(),
                entity: canonical_entity(&name),
                id,
                operation: Operation::parse(&operation),
                last_updated: entity
                    .get("lastUpdated")
                    .and_then(Value::as_str)
                    .and_then(parse_qbo_time),
                deleted_id: text_field(entity, "deletedId")
                    .or_else(|| text_field(entity, "deletedid")),
                event_id: None,
            });
        }
    }
    Ok(notices)
}

fn cloud_event(event: &Value, index: usize) -> Result<ChangeNotice, WebhookError> {
    let place = format!("event [{index}]");
    if !event.is_object() {
        return Err(malformed(&place, "is not an object"));
    }
    let event_type = text_field(event, "type").ok_or_else(|| malformed(&place, "has no type"))?;
    // qbo.<entity>.<verb>.v<version>
    let parts: Vec<&str> = event_type.split('.').collect();
    let (entity, verb) = match parts.as_slice() {
        [prefix, entity, verb, version]
            if prefix.eq_ignore_ascii_case("qbo")
                && !entity.is_empty()
                && !verb.is_empty()
                && version.starts_with(['v', 'V']) =>
        {
            (*entity, *verb)
        }
        _ => {
            return Err(malformed(
                &place,
                &format!("has type {event_type:?}, not qbo.<entity>.<operation>.v<n>"),
            ));
        }
    };
    let realm_id = text_field(event, "intuitaccountid")
        .ok_or_else(|| malformed(&place, "has no intuitaccountid"))?;
    let id = text_field(event, "intuitentityid")
        .ok_or_else(|| malformed(&place, "has no intuitentityid"))?;
    let deleted_id = event
        .get("data")
        .and_then(|data| text_field(data, "deletedid").or_else(|| text_field(data, "deletedId")));
    Ok(ChangeNotice {
        realm_id,
        entity: canonical_entity(entity),
        id,
        operation: Operation::parse(verb),
        last_updated: event
            .get("time")
            .and_then(Value::as_str)
            .and_then(parse_qbo_time),
        deleted_id,
        event_id: text_field(event, "id"),
    })
}

/// The entities webhooks report (API.md §7.2) plus the other API entities
/// this app syncs, as the API spells them.
const KNOWN_ENTITIES: &[&str] = &[
    "Account",
    "Bill",
    "BillPayment",
    "Budget",
    "Class",
    "CompanyInfo",
    "CreditMemo",
    "Currency",
    "Customer",
    "Department",
    "Deposit",
    "Employee",
    "Estimate",
    "Invoice",
    "Item",
    "JournalCode",
    "JournalEntry",
    "Payment",
    "PaymentMethod",
    "Preferences",
    "Purchase",
    "PurchaseOrder",
    "RefundReceipt",
    "SalesReceipt",
    "TaxAgency",
    "TaxCode",
    "TaxRate",
    "Term",
    "TimeActivity",
    "Transfer",
    "Vendor",
    "VendorCredit",
];

/// CloudEvents types spell entities in lower case (`salesreceipt`); the API's
/// spelling is restored for known entities, others are kept as sent.
fn canonical_entity(name: &str) -> String {
    KNOWN_ENTITIES
        .iter()
        .find(|known| known.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_owned(), |known| (*known).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_with_the_right_token_and_body() {
        let body = br#"{"eventNotifications":[]}"#;
        let signature = sign(b"verifier", body);
        assert_eq!(verify_signature(b"verifier", body, &signature), Ok(()));
        assert_eq!(
            verify_signature(b"verifier", body, &format!(" {signature}\n")),
            Ok(())
        );
        assert_eq!(
            verify_signature(b"other", body, &signature),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify_signature(b"verifier", b"{}", &signature),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify_signature(b"verifier", body, "not base64!"),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify_signature(b"verifier", body, "  "),
            Err(WebhookError::MissingSignature)
        );
    }

    #[test]
    fn both_formats_give_the_same_notice() {
        let legacy = br#"{"eventNotifications":[{"realmId":"9341","dataChangeEvent":{"entities":[
            {"name":"Customer","id":"123","operation":"Merge","lastUpdated":"2025-12-04T07:25:05-0800","deletedId":"27"}]}}]}"#;
        let cloud = br#"[{"specversion":"1.0","id":"e-1","source":"intuit.x","type":"qbo.customer.merged.v1",
            "datacontenttype":"application/json","time":"2025-12-04T15:25:05Z","intuitentityid":"123",
            "intuitaccountid":"9341","data":{"deletedid":"27"}}]"#;
        let from_legacy = parse_notification(legacy).unwrap_or_default();
        let mut from_cloud = parse_notification(cloud).unwrap_or_default();
        assert_eq!(from_cloud.len(), 1);
        assert_eq!(from_cloud[0].event_id.as_deref(), Some("e-1"));
        from_cloud[0].event_id = None;
        assert_eq!(from_legacy, from_cloud);
        assert_eq!(from_legacy[0].entity, "Customer");
        assert_eq!(from_legacy[0].operation, Operation::Merge);
        assert_eq!(from_legacy[0].deleted_id.as_deref(), Some("27"));
    }

    #[test]
    fn malformed_bodies_name_the_problem() {
        for (body, needle) in [
            (&b"not json"[..], "not JSON"),
            (b"{}", "expected"),
            (b"[1]", "event [0] is not an object"),
            (br#"[{"type":"qbo.customer"}]"#, "not qbo."),
            (br#"{"eventNotifications":[{"realmId":"1"}]}"#, "entities"),
            (
                br#"{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":[{"name":"Bill","operation":"Create"}]}}]}"#,
                "entities[0] has no id",
            ),
        ] {
            match parse_notification(body) {
                Err(WebhookError::Malformed(reason)) => {
                    assert!(reason.contains(needle), "{reason:?} lacks {needle:?}");
                }
                other => panic!("{body:?} gave {other:?}"),
            }
        }
    }
}
