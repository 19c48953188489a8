//! Intuit's webhook deliveries: the `intuit-signature` check on the raw body
//! and the parser of both body formats into [`Change`]s.
//!
//! Legacy: `{"eventNotifications":[{"realmId", "dataChangeEvent":{"entities":
//! [{"name","id","operation","lastUpdated","deletedId"?}]}}]}`.
//! CloudEvents: a JSON array of events with `id`, `type`
//! (`qbo.<entity>.<past-tense operation>.v<N>`), `intuitaccountid` (the
//! realm), `intuitentityid` and `time`. Both become the same [`Change`], with
//! the entity and operation spelled as in the legacy format, so an app sees
//! one shape whatever Intuit sends. A delivery is taken whole or refused
//! whole: nothing is half-stored.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// The header Intuit signs deliveries with.
pub const SIGNATURE_HEADER: &str = "intuit-signature";

/// Identifiers longer than this are refused: Intuit's are short, and a
/// bound keeps a hostile (but validly signed) body from filling the store.
const MAX_FIELD_LEN: usize = 256;

/// One entity change, as stored and sent to apps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The company.
    pub realm_id: String,
    /// QBO's entity name, e.g. `Invoice`.
    pub entity: String,
    /// The entity's id.
    pub entity_id: String,
    /// `Create`, `Update`, `Delete`, `Merge`, `Void` or `Emailed`.
    pub operation: String,
    /// When it changed, as Intuit wrote it.
    pub last_updated: String,
    /// For a merge, the id merged away.
    pub deleted_id: Option<String>,
    /// Identifies the change across repeated deliveries: the CloudEvent
    /// `id`, or realm, entity, id, operation and time for the legacy format.
    pub dedupe_key: String,
}

/// Why a delivery's body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

fn error(message: impl Into<String>) -> ParseError {
    ParseError(message.into())
}

/// Base64 of HMAC-SHA256(verifier, body): what `intuit-signature` must be.
pub fn sign(verifier: &[u8], body: &[u8]) -> String {
    Hmac::<Sha256>::new_from_slice(verifier)
        .map(|mac| STANDARD.encode(mac.chain_update(body).finalize().into_bytes()))
        .unwrap_or_default()
}

/// Whether `signature` (the header's value) is the HMAC of `body` under
/// `verifier`, compared in constant time.
pub fn verify_signature(verifier: &[u8], body: &[u8], signature: &str) -> bool {
    let Ok(expected) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    Hmac::<Sha256>::new_from_slice(verifier)
        .is_ok_and(|mac| mac.chain_update(body).verify_slice(&expected).is_ok())
}

/// Parses a delivery body of either format.
pub fn parse_delivery(body: &[u8]) -> Result<Vec<Change>, ParseError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|cause| error(format!("the body is not valid JSON: {cause}")))?;
    match value {
        Value::Object(object) => match object.get("eventNotifications") {
            Some(notifications) => parse_legacy(notifications),
            None => Err(error(
                "a JSON object body must have an \"eventNotifications\" array (legacy format)",
            )),
        },
        Value::Array(events) => parse_cloud_events(&events),
        _ => Err(error(
            "the body must be a JSON object (legacy format) or an array of CloudEvents",
        )),
    }
}

fn text_field(value: &Value, name: &str, place: &str) -> Result<String, ParseError> {
    let text = value
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .ok_or_else(|| error(format!("{place}: \"{name}\" must be a non-empty string")))?;
    if text.len() > MAX_FIELD_LEN {
        return Err(error(format!(
            "{place}: \"{name}\" is longer than {MAX_FIELD_LEN} characters"
        )));
    }
    Ok(text.to_owned())
}

fn optional_text(value: &Value, name: &str, place: &str) -> Result<Option<String>, ParseError> {
    match value.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => text_field(value, name, place).map(Some),
    }
}

fn parse_legacy(notifications: &Value) -> Result<Vec<Change>, ParseError> {
    let notifications = notifications
        .as_array()
        .ok_or_else(|| error("\"eventNotifications\" must be an array"))?;
    let mut changes = Vec::new();
    for (index, notification) in notifications.iter().enumerate() {
        let place = format!("eventNotifications[{index}]");
        let realm_id = text_field(notification, "realmId", &place)?;
        let entities = notification
            .get("dataChangeEvent")
            .and_then(|event| event.get("entities"))
            .and_then(Value::as_array)
            .ok_or_else(|| {
                error(format!(
                    "{place}: \"dataChangeEvent.entities\" must be an array"
                ))
            })?;
        for (position, entity) in entities.iter().enumerate() {
            let place = format!("{place}.dataChangeEvent.entities[{position}]");
            let name = text_field(entity, "name", &place)?;
            let entity_id = text_field(entity, "id", &place)?;
            let operation = text_field(entity, "operation", &place)?;
            let last_updated = text_field(entity, "lastUpdated", &place)?;
            let deleted_id = optional_text(entity, "deletedId", &place)?;
            let dedupe_key = format!(
                "legacy\u{1f}{realm_id}\u{1f}{name}\u{1f}{entity_id}\u{1f}{operation}\u{1f}{last_updated}"
            );
            changes.push(Change {
                realm_id: realm_id.clone(),
                entity: name,
                entity_id,
                operation,
                last_updated,
                deleted_id,
                dedupe_key,
            });
        }
    }
    Ok(changes)
}

fn parse_cloud_events(events: &[Value]) -> Result<Vec<Change>, ParseError> {
    let mut changes = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        let place = format!("event[{index}]");
        if !event.is_object() {
            return Err(error(format!("{place}: each CloudEvent must be an object")));
        }
        let id = text_field(event, "id", &place)?;
        let event_type = text_field(event, "type", &place)?;
        let realm_id = text_field(event, "intuitaccountid", &place)?;
        let entity_id = text_field(event, "intuitentityid", &place)?;
        let time = text_field(event, "time", &place)?;
        let (entity, operation) = parse_type(&event_type).ok_or_else(|| {
            error(format!(
                "{place}: \"type\" {event_type:?} is not of the form qbo.<entity>.<operation>.v<N>"
            ))
        })?;
        let deleted_id = match event.get("data") {
            Some(data) if data.is_object() => optional_text(data, "deletedid", &place)?,
            _ => None,
        };
        changes.push(Change {
            realm_id,
            entity,
            entity_id,
            operation,
            last_updated: time,
            deleted_id,
            dedupe_key: format!("cloudevent\u{1f}{id}"),
        });
    }
    Ok(changes)
}

/// `qbo.salesreceipt.updated.v1` → (`SalesReceipt`, `Update`).
fn parse_type(event_type: &str) -> Option<(String, String)> {
    let mut parts = event_type.split('.');
    let (Some("qbo"), Some(entity), Some(operation), Some(version), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let version_ok = version.strip_prefix('v').is_some_and(|digits| {
        !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit())
    });
    if entity.is_empty() || operation.is_empty() || !version_ok {
        return None;
    }
    Some((entity_name(entity), operation_name(operation)))
}

/// The entities Intuit sends webhooks for (API.md §7.2), in QBO's spelling.
const ENTITIES: [&str; 29] = [
    "Account",
    "Bill",
    "BillPayment",
    "Budget",
    "Class",
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
    "Term",
    "TimeActivity",
    "Transfer",
    "Vendor",
    "VendorCredit",
];

fn entity_name(lowercase: &str) -> String {
    ENTITIES
        .iter()
        .find(|name| name.eq_ignore_ascii_case(lowercase))
        .map_or_else(|| lowercase.to_owned(), |name| (*name).to_owned())
}

fn operation_name(past_tense: &str) -> String {
    match past_tense.to_ascii_lowercase().as_str() {
        "created" => "Create".to_owned(),
        "updated" => "Update".to_owned(),
        "deleted" => "Delete".to_owned(),
        "merged" => "Merge".to_owned(),
        "voided" => "Void".to_owned(),
        "emailed" => "Emailed".to_owned(),
        _ => past_tense.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_sample_parses() {
        let body = br#"{"eventNotifications":[{"realmId":"1185883450","dataChangeEvent":{"entities":[
            {"name":"Customer","id":"1","operation":"Create","lastUpdated":"2015-10-05T14:42:19-0700"},
            {"name":"Customer","id":"27","operation":"Merge","lastUpdated":"2015-10-05T14:42:19-0700","deletedId":"5"}]}}]}"#;
        let changes = parse_delivery(body).unwrap();
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].realm_id, "1185883450");
        assert_eq!(changes[0].entity, "Customer");
        assert_eq!(changes[1].deleted_id.as_deref(), Some("5"));
        assert_ne!(changes[0].dedupe_key, changes[1].dedupe_key);
    }

    #[test]
    fn cloud_events_sample_parses() {
        let body = br#"[{"specversion":"1.0","id":"88cd52aa","source":"intuit.x","type":"qbo.salesreceipt.merged.v1",
            "time":"2025-09-10T21:31:25.179851517Z","intuitentityid":"1234","intuitaccountid":"310687","data":{"deletedid":"27"}}]"#;
        let changes = parse_delivery(body).unwrap();
        assert_eq!(changes.len(), 1);
        let change = &changes[0];
        assert_eq!(change.entity, "SalesReceipt");
        assert_eq!(change.operation, "Merge");
        assert_eq!(change.realm_id, "310687");
        assert_eq!(change.deleted_id.as_deref(), Some("27"));
        assert_eq!(change.dedupe_key, "cloudevent\u{1f}88cd52aa");
    }

    #[test]
    fn wrong_shapes_are_named() {
        let cases: [(&[u8], &str); 7] = [
            (b"not json", "not valid JSON"),
            (b"42", "must be a JSON object"),
            (b"{}", "eventNotifications"),
            (br#"{"eventNotifications":[{"realmId":"1"}]}"#, "dataChangeEvent.entities"),
            (
                br#"{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":[{"name":"Bill","id":"","operation":"Create","lastUpdated":"t"}]}}]}"#,
                "\"id\" must be a non-empty string",
            ),
            (br#"[1]"#, "must be an object"),
            (
                br#"[{"id":"a","type":"invoice.updated","intuitaccountid":"1","intuitentityid":"2","time":"t"}]"#,
                "qbo.<entity>",
            ),
        ];
        for (body, needle) in cases {
            let message = parse_delivery(body).unwrap_err().0;
            assert!(message.contains(needle), "{message} lacks {needle}");
        }
    }

    const SEEDS: [&[u8]; 3] = [
        include_bytes!("../fuzz/seeds/webhook-legacy.json"),
        include_bytes!("../fuzz/seeds/webhook-cloudevents.json"),
        include_bytes!("../fuzz/seeds/webhook-cloudevents-nodata.json"),
    ];

    #[test]
    fn the_fuzz_seeds_parse_and_their_mutations_do_not_panic() {
        let counts: Vec<usize> = SEEDS
            .iter()
            .map(|seed| parse_delivery(seed).unwrap().len())
            .collect();
        assert_eq!(counts, [2, 1, 1]);
        // A cheap stand-in for the fuzzer in the ordinary suite: every
        // truncation and every single-byte change of each seed.
        for seed in SEEDS {
            for end in 0..seed.len() {
                let _ = parse_delivery(&seed[..end]);
            }
            for position in 0..seed.len() {
                for byte in [b'"', b'{', b']', 0xff, b'0'] {
                    let mut mutated = seed.to_vec();
                    mutated[position] = byte;
                    if let Ok(changes) = parse_delivery(&mutated) {
                        assert!(changes.iter().all(|change| !change.realm_id.is_empty()));
                    }
                }
            }
        }
    }

    #[test]
    fn signatures_verify_only_for_the_same_bytes_and_key() {
        let signature = sign(b"verifier", b"body");
        assert!(verify_signature(b"verifier", b"body", &signature));
        assert!(!verify_signature(b"verifier", b"body ", &signature));
        assert!(!verify_signature(b"other", b"body", &signature));
        assert!(!verify_signature(b"verifier", b"body", "not base64!"));
        assert!(!verify_signature(b"verifier", b"body", ""));
    }
}
