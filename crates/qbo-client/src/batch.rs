//! Batch: up to 30 writes and queries in one request (API.md §6).
//!
//! `POST /batch` with `{"BatchItemRequest": [...]}`. QBO runs the items one by
//! one and independently (no transaction, no guaranteed order), answers 200
//! even when some fail, and puts an entity, a `QueryResponse` or a `Fault` in
//! each `BatchItemResponse`, matched to its item by `bId`. So the result here
//! is one [`BatchItemResult`] per item, in the order the items were given,
//! each with its own success or [`QboError`].
//!
//! The whole batch carries one [`RequestId`]: a retry with the same id is
//! answered with the first answer, so no item is applied twice. With a
//! `requestid`, QBO allows ids of at most 36 characters and `bId`s of at most
//! 10 (API.md §1.5); both are checked here before anything is sent.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::error::{QboError, classify_fault, parse_json_fault};
use crate::pacer::RequestClass;
use crate::transport::{QboClient, RequestId, TokenSource};

/// The most items in one batch (API.md §6).
pub const BATCH_MAX_ITEMS: usize = 30;

/// The longest `bId` when the batch has a `requestid` (API.md §1.5).
pub const BATCH_ID_MAX_CHARS: usize = 10;

/// The longest `requestid` of a batch (API.md §1.5).
pub const BATCH_REQUEST_ID_MAX_CHARS: usize = 36;

/// What one batch item asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchRequest {
    /// Creates `body` (without `Id`) as a new `entity`.
    Create {
        /// The entity name, e.g. `Invoice`.
        entity: String,
        /// The object to create.
        body: Value,
    },
    /// Updates an `entity` (`body` has `Id` and `SyncToken`); `sparse` says
    /// whether fields left out are kept (true) or cleared (false).
    Update {
        /// The entity name.
        entity: String,
        /// The object, with `Id` and `SyncToken`.
        body: Value,
        /// A sparse update changes only the fields sent.
        sparse: bool,
    },
    /// Deletes a transaction.
    Delete {
        /// The entity name.
        entity: String,
        /// Its `Id`.
        id: String,
        /// Its current `SyncToken`.
        sync_token: String,
    },
    /// Voids a transaction (`operation: update` with `optionsData: void`).
    Void {
        /// The entity name.
        entity: String,
        /// Its `Id`.
        id: String,
        /// Its current `SyncToken`.
        sync_token: String,
    },
    /// Runs a query statement.
    Query(String),
}

/// One item of a batch: its `bId` and what it asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchItem {
    /// The item's id in the batch (`bId`): unique, 1 to 10 characters.
    pub batch_id: String,
    /// What it asks for.
    pub request: BatchRequest,
}

impl BatchItem {
    /// A create.
    pub fn create(batch_id: impl Into<String>, entity: &str, body: Value) -> BatchItem {
        BatchItem::new(
            batch_id,
            BatchRequest::Create {
                entity: entity.to_owned(),
                body,
            },
        )
    }

    /// A full update: writable fields the body leaves out are cleared.
    pub fn update(batch_id: impl Into<String>, entity: &str, body: Value) -> BatchItem {
        BatchItem::new(
            batch_id,
            BatchRequest::Update {
                entity: entity.to_owned(),
                body,
                sparse: false,
            },
        )
    }

    /// A sparse update: only the fields sent change.
    pub fn sparse_update(batch_id: impl Into<String>, entity: &str, body: Value) -> BatchItem {
        BatchItem::new(
            batch_id,
            BatchRequest::Update {
                entity: entity.to_owned(),
                body,
                sparse: true,
            },
        )
    }

    /// A delete.
    pub fn delete(
        batch_id: impl Into<String>,
        entity: &str,
        id: &str,
        sync_token: &str,
    ) -> BatchItem {
        BatchItem::new(
            batch_id,
            BatchRequest::Delete {
                entity: entity.to_owned(),
                id: id.to_owned(),
                sync_token: sync_token.to_owned(),
            },
        )
    }

    /// A void.
    pub fn void(
        batch_id: impl Into<String>,
        entity: &str,
        id: &str,
        sync_token: &str,
    ) -> BatchItem {
        BatchItem::new(
            batch_id,
            BatchRequest::Void {
                entity: entity.to_owned(),
                id: id.to_owned(),
                sync_token: sync_token.to_owned(),
            },
        )
    }

    /// A query.
    pub fn query(batch_id: impl Into<String>, statement: &str) -> BatchItem {
        BatchItem::new(batch_id, BatchRequest::Query(statement.to_owned()))
    }

    fn new(batch_id: impl Into<String>, request: BatchRequest) -> BatchItem {
        BatchItem {
            batch_id: batch_id.into(),
            request,
        }
    }

    /// The item as sent in `BatchItemRequest`.
    pub fn to_json(&self) -> Value {
        let mut item = Map::new();
        item.insert("bId".to_owned(), Value::String(self.batch_id.clone()));
        let (operation, entity, body) = match &self.request {
            BatchRequest::Query(statement) => {
                item.insert("Query".to_owned(), Value::String(statement.clone()));
                return Value::Object(item);
            }
            BatchRequest::Create { entity, body } => ("create", entity, body.clone()),
            BatchRequest::Update {
                entity,
                body,
                sparse,
            } => {
                let mut body = body.clone();
                if let Some(object) = body.as_object_mut() {
                    object.insert("sparse".to_owned(), Value::Bool(*sparse));
                }
                ("update", entity, body)
            }
            BatchRequest::Delete {
                entity,
                id,
                sync_token,
            } => (
                "delete",
                entity,
                json!({ "Id": id, "SyncToken": sync_token }),
            ),
            BatchRequest::Void {
                entity,
                id,
                sync_token,
            } => {
                item.insert("optionsData".to_owned(), json!("void"));
                (
                    "update",
                    entity,
                    json!({ "Id": id, "SyncToken": sync_token, "sparse": true }),
                )
            }
        };
        item.insert("operation".to_owned(), json!(operation));
        item.insert(entity.clone(), body);
        Value::Object(item)
    }
}

/// What a successful item answered.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchAnswer {
    /// A write's entity (for a delete, QBO's `{"status": "Deleted", …}` object).
    Entity {
        /// The entity name as answered, e.g. `Invoice`.
        entity: String,
        /// The object.
        object: Value,
    },
    /// A query's `QueryResponse` (rows under the entity name, `startPosition`,
    /// `maxResults`, `totalCount`).
    Query(Value),
}

/// The outcome of one item.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchItemResult {
    /// The item's `bId`.
    pub batch_id: String,
    /// Its answer or its own error (the batch as a whole succeeded).
    pub outcome: Result<BatchAnswer, QboError>,
}

impl<T: TokenSource> QboClient<T> {
    /// Sends up to [`BATCH_MAX_ITEMS`] items as one batch under `request_id`
    /// and returns one result per item, in the order given. Fails as a whole
    /// only when the batch could not be sent or was refused as a whole; an
    /// item's own failure is in its result.
    pub async fn batch(
        &self,
        items: Vec<BatchItem>,
        request_id: &RequestId,
    ) -> Result<Vec<BatchItemResult>, QboError> {
        check_batch(&items, request_id)?;
        let body = json!({
            "BatchItemRequest": items.iter().map(BatchItem::to_json).collect::<Vec<_>>(),
        });
        let (answer, intuit_tid) = self
            .send_json(
                Method::POST,
                vec!["batch".to_owned()],
                Vec::new(),
                Some(&body),
                Some(request_id),
                RequestClass::Batch,
            )
            .await?;
        parse_batch_response(&items, &answer, intuit_tid.as_deref())
    }
}

/// A local refusal, worded like QBO's own.
fn refused(code: &str, element: &str, message: &str, detail: String) -> QboError {
    QboError::Validation {
        code: code.to_owned(),
        element: Some(element.to_owned()),
        message: message.to_owned(),
        detail: format!("{detail} (refused before sending)"),
        intuit_tid: None,
    }
}

/// Checks what QBO would refuse as a whole: the item count, the `requestid`
/// length, and `bId`s that are empty, too long or repeated.
pub fn check_batch(items: &[BatchItem], request_id: &RequestId) -> Result<(), QboError> {
    if items.is_empty() {
        return Err(refused(
            "2020",
            "BatchItemRequest",
            "Required param missing, need to supply the required value for the API",
            "a batch needs at least one item".to_owned(),
        ));
    }
    if items.len() > BATCH_MAX_ITEMS {
        return Err(refused(
            "1040",
            "BatchItemRequest",
            "Batch size exceeds allowed limit",
            format!(
                "the batch has {} items; at most {BATCH_MAX_ITEMS} are allowed in one batch",
                items.len()
            ),
        ));
    }
    if request_id.as_str().len() > BATCH_REQUEST_ID_MAX_CHARS {
        return Err(refused(
            "2050",
            "requestid",
            "String length is either shorter or longer than supported by specification",
            format!(
                "a batch requestid can be at most {BATCH_REQUEST_ID_MAX_CHARS} characters; {} has {}",
                request_id,
                request_id.as_str().len()
            ),
        ));
    }
    let mut seen = HashSet::new();
    for item in items {
        let length = item.batch_id.chars().count();
        if length == 0 || length > BATCH_ID_MAX_CHARS {
            return Err(refused(
                "2050",
                "bId",
                "String length is either shorter or longer than supported by specification",
                format!(
                    "a bId must be 1 to {BATCH_ID_MAX_CHARS} characters when the batch has a requestid; {:?} has {length}",
                    item.batch_id
                ),
            ));
        }
        if !seen.insert(item.batch_id.as_str()) {
            return Err(refused(
                "2010",
                "bId",
                "Request has invalid or unsupported property",
                format!("bId {:?} is used by more than one item", item.batch_id),
            ));
        }
    }
    Ok(())
}

/// Reads a batch answer and matches it to the items sent, by `bId`. An item
/// the answer does not mention gets a protocol error of its own.
pub fn parse_batch_response(
    items: &[BatchItem],
    answer: &Value,
    intuit_tid: Option<&str>,
) -> Result<Vec<BatchItemResult>, QboError> {
    let responses = answer
        .get("BatchItemResponse")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            QboError::protocol(
                Some(200),
                "the batch answer has no BatchItemResponse list",
                intuit_tid,
            )
        })?;
    let batch_id_of = |response: &Value| -> Option<String> {
        match response.get("bId")? {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        }
    };
    let results = items
        .iter()
        .map(|item| {
            let response = responses
                .iter()
                .find(|response| batch_id_of(response).as_deref() == Some(&item.batch_id));
            let outcome = match response {
                Some(response) => read_item_response(response, intuit_tid),
                None => Err(QboError::protocol(
                    Some(200),
                    format!("the batch answer has nothing for bId {:?}", item.batch_id),
                    intuit_tid,
                )),
            };
            BatchItemResult {
                batch_id: item.batch_id.clone(),
                outcome,
            }
        })
        .collect();
    Ok(results)
}

/// One `BatchItemResponse`: a `Fault`, a `QueryResponse`, or one entity.
fn read_item_response(response: &Value, intuit_tid: Option<&str>) -> Result<BatchAnswer, QboError> {
    if let Some(fault) = parse_json_fault(response) {
        // Items have no status of their own; the codes decide, and a fault
        // with no deciding code is a rejected request, as a 400 would be.
        return Err(classify_fault(400, &fault, intuit_tid, None));
    }
    let Some(members) = response.as_object() else {
        return Err(QboError::protocol(
            Some(200),
            "a BatchItemResponse is not an object",
            intuit_tid,
        ));
    };
    if let Some(query) = members.get("QueryResponse") {
        return Ok(BatchAnswer::Query(query.clone()));
    }
    members
        .iter()
        .find(|(key, value)| key.as_str() != "bId" && value.is_object())
        .map(|(entity, object)| BatchAnswer::Entity {
            entity: entity.clone(),
            object: object.clone(),
        })
        .ok_or_else(|| {
            QboError::protocol(
                Some(200),
                "a BatchItemResponse has neither an entity, a QueryResponse nor a Fault",
                intuit_tid,
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn items_are_sent_in_intuits_shape() {
        assert_eq!(
            BatchItem::void("b4", "Payment", "9", "1").to_json(),
            json!({"bId": "b4", "optionsData": "void", "operation": "update",
                   "Payment": {"Id": "9", "SyncToken": "1", "sparse": true}})
        );
        assert_eq!(
            BatchItem::query("b5", "select * from Customer").to_json(),
            json!({"bId": "b5", "Query": "select * from Customer"})
        );
        assert_eq!(
            BatchItem::update("b2", "Invoice", json!({"Id": "13", "SyncToken": "2"})).to_json()["Invoice"]
                ["sparse"],
            json!(false)
        );
        assert_eq!(
            BatchItem::delete("b3", "Bill", "7", "0").to_json(),
            json!({"bId": "b3", "operation": "delete", "Bill": {"Id": "7", "SyncToken": "0"}})
        );
    }

    #[test]
    fn bad_batches_are_refused_before_sending() {
        let request_id = RequestId::new();
        let many: Vec<BatchItem> = (0..31)
            .map(|index| BatchItem::query(format!("q{index}"), "select * from Item"))
            .collect();
        let refusal = check_batch(&many, &request_id);
        assert!(
            matches!(&refusal, Err(QboError::Validation { code, .. }) if code == "1040"),
            "{refusal:?}"
        );
        assert!(check_batch(&many[..30], &request_id).is_ok());
        assert!(check_batch(&[], &request_id).is_err());
        let twice = [
            BatchItem::query("same", "select * from Item"),
            BatchItem::query("same", "select * from Item"),
        ];
        assert!(check_batch(&twice, &request_id).is_err());
        let long = [BatchItem::query("elevenchars", "select * from Item")];
        assert!(check_batch(&long, &request_id).is_err());
        let long_id = RequestId::parse("a".repeat(37)).unwrap_or_default();
        let one = [BatchItem::query("q", "select * from Item")];
        assert!(check_batch(&one, &long_id).is_err());
    }

    #[test]
    fn the_sample_answer_becomes_per_item_results() {
        let sample = json!({"BatchItemResponse": [
            {"Fault": {"type": "ValidationFault", "Error": [{"Message": "Duplicate Name Exists Error", "code": "6240", "Detail": "The name supplied already exists.", "element": ""}]}, "bId": "bid1"},
            {"Fault": {"type": "ValidationFault", "Error": [{"Message": "Object Not Found", "code": "610", "Detail": "Object Not Found : gone", "element": ""}]}, "bId": "bid2"},
            {"Fault": {"type": "ValidationFault", "Error": [{"Message": "Stale Object Error", "code": "5010", "Detail": "Stale Object Error : x", "element": ""}]}, "bId": "bid3"},
            {"bId": "bid4", "QueryResponse": {"SalesReceipt": [{"Id": "11"}], "startPosition": 1, "maxResults": 1}},
            {"bId": "bid6", "Vendor": {"Id": "3", "DisplayName": "Acme"}}
        ], "time": "2016-04-15T09:01:18.141-07:00"});
        // Asked in another order than answered, plus one the answer forgot.
        let items = [
            BatchItem::query("bid4", "select * from SalesReceipt"),
            BatchItem::create("bid6", "Vendor", json!({"DisplayName": "Acme"})),
            BatchItem::create("bid1", "Customer", json!({"DisplayName": "Dup"})),
            BatchItem::delete("bid2", "Bill", "7", "0"),
            BatchItem::sparse_update("bid3", "Invoice", json!({"Id": "1", "SyncToken": "0"})),
            BatchItem::query("bid9", "select * from Item"),
        ];
        let results = parse_batch_response(&items, &sample, Some("tid")).unwrap_or_default();
        let kinds: Vec<Result<&str, ErrorKind>> = results
            .iter()
            .map(|result| match &result.outcome {
                Ok(BatchAnswer::Query(_)) => Ok("query"),
                Ok(BatchAnswer::Entity { entity, .. }) => Ok(entity.as_str()),
                Err(error) => Err(error.kind()),
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                Ok("query"),
                Ok("Vendor"),
                Err(ErrorKind::Validation),
                Err(ErrorKind::NotFound),
                Err(ErrorKind::Stale),
                Err(ErrorKind::Protocol),
            ]
        );
        assert!(parse_batch_response(&items, &json!({}), None).is_err());
    }
}
