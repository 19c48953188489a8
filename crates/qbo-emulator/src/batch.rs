//! Batch: `POST /v3/company/{realmId}/batch` with up to 30 `BatchItemRequest`s.
//!
//! Items run one after another and independently (no transaction): each gets
//! its own entity, `QueryResponse` or `Fault` in the answer, and the HTTP status
//! is 200 even when items fail. A batch with more items than allowed is refused
//! as a whole. The batch's `requestid` replays the whole answer.

use std::collections::{BTreeSet, HashMap};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::api::{RequestContext, WriteOperation, apply_write, parse_body, run_query, serve_write};
use crate::entities::EntityKind;
use crate::fault::Fault;
use crate::state::{Company, Emulator};

/// The longest batch `requestid` (B-2015-reqid).
pub const BATCH_REQUEST_ID_MAX: usize = 36;

/// The longest `bId` when the batch carries a `requestid` (B-2015-reqid).
pub const BATCH_ID_MAX_WITH_REQUEST_ID: usize = 10;

/// Runs a batch body against a company and returns `{"BatchItemResponse":[…]}`.
pub fn run(
    company: &mut Company,
    body: &Value,
    max_items: usize,
    has_request_id: bool,
    now: DateTime<Utc>,
) -> Result<Value, Fault> {
    let items = body
        .get("BatchItemRequest")
        .and_then(Value::as_array)
        .ok_or_else(|| Fault::required("BatchItemRequest"))?;
    if items.len() > max_items {
        return Err(Fault::validation(
            "1040",
            "Batch size exceeds allowed limit",
            format!(
                "The batch has {} items; at most {max_items} BatchItemRequest are allowed in one batch.",
                items.len()
            ),
        )
        .with_element("BatchItemRequest"));
    }
    let mut seen = BTreeSet::new();
    let mut responses = Vec::with_capacity(items.len());
    for item in items {
        let batch_id = item
            .get("bId")
            .map(|id| match id {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default();
        let outcome = if batch_id.is_empty() {
            Err(Fault::required("bId"))
        } else if !seen.insert(batch_id.clone()) {
            Err(Fault::validation(
                "2010",
                "Request has invalid or unsupported property",
                format!("bId {batch_id} is used by more than one item in this batch"),
            )
            .with_element("bId"))
        } else if has_request_id && batch_id.chars().count() > BATCH_ID_MAX_WITH_REQUEST_ID {
            Err(Fault::validation(
                "2050",
                "String length is either shorter or longer than supported by specification",
                format!("bId can be at most {BATCH_ID_MAX_WITH_REQUEST_ID} characters when the batch has a requestid"),
            )
            .with_element("bId"))
        } else {
            run_item(company, item, now)
        };
        let mut response = Map::new();
        response.insert("bId".to_owned(), Value::String(batch_id));
        match outcome {
            Ok(Value::Object(result)) => response.extend(result),
            Ok(other) => {
                response.insert("Result".to_owned(), other);
            }
            Err(fault) => {
                response.insert("Fault".to_owned(), fault.fault_object());
            }
        }
        responses.push(Value::Object(response));
    }
    Ok(json!({ "BatchItemResponse": responses }))
}

const ITEM_KEYS: [&str; 4] = ["bId", "operation", "optionsData", "Query"];

fn run_item(company: &mut Company, item: &Value, now: DateTime<Utc>) -> Result<Value, Fault> {
    let Some(item) = item.as_object() else {
        return Err(Fault::invalid_property(
            "A BatchItemRequest must be an object",
        ));
    };
    let operation = item.get("operation").and_then(Value::as_str);
    if let Some(statement) = item.get("Query") {
        if operation.is_some() {
            return Err(Fault::invalid_property(
                "A batch item carries either a Query or an operation with an entity, not both",
            ));
        }
        let statement = statement
            .as_str()
            .ok_or_else(|| Fault::invalid_property("Query must be a string"))?;
        let response = run_query(company, statement)?;
        return Ok(json!({ "QueryResponse": response }));
    }
    let mut entities = item
        .iter()
        .filter(|(key, _)| !ITEM_KEYS.contains(&key.as_str()));
    let (name, body) = entities
        .next()
        .ok_or_else(|| Fault::required("an entity object (e.g. \"Invoice\")"))?;
    if entities.next().is_some() {
        return Err(Fault::invalid_property(
            "A batch item carries exactly one entity",
        ));
    }
    let kind = EntityKind::parse(name).ok_or_else(|| {
        Fault::invalid_property(format!("Property Name:{name} is not a supported entity"))
    })?;
    let options_void = item
        .get("optionsData")
        .and_then(Value::as_str)
        .is_some_and(|options| {
            options
                .split(',')
                .any(|option| option.trim().eq_ignore_ascii_case("void"))
        });
    let write = match operation.map(str::to_ascii_lowercase).as_deref() {
        Some("delete") => WriteOperation::Delete,
        Some("void") => WriteOperation::Void,
        Some("update") if options_void => WriteOperation::Void,
        Some("update") => {
            if body.get("Id").is_none_or(Value::is_null) && !kind.is_singleton() {
                return Err(Fault::required("Id"));
            }
            WriteOperation::Write
        }
        Some("create") => {
            if body.get("Id").is_some_and(|id| !id.is_null()) {
                return Err(Fault::invalid_property(
                    "Property Name:Id cannot be set on a create operation",
                )
                .with_element("Id"));
            }
            WriteOperation::Write
        }
        None => WriteOperation::Write,
        Some(other) => {
            return Err(Fault::unsupported_operation(format!(
                "Operation {other} is not supported in a batch"
            )));
        }
    };
    apply_write(company, kind, write, body.clone(), now)
}

/// `POST …/batch`.
pub async fn handler(
    State(emulator): State<Emulator>,
    Path(realm_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let context = RequestContext::new(realm_id, &headers, params);
    let max_items = emulator.config().batch_max_items;
    let has_request_id = context.request_id.is_some();
    serve_write(
        &emulator,
        &headers,
        &context,
        BATCH_REQUEST_ID_MAX,
        move |company, now| {
            let body = parse_body(&body)?;
            run(company, &body, max_items, has_request_id, now)
        },
    )
}
