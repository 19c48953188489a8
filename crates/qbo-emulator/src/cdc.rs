//! Change Data Capture: `GET /v3/company/{realmId}/cdc?entities=A,B&changedSince=…`.
//!
//! Returns the full current version of every object of the requested types
//! changed at or after `changedSince`, and a tombstone
//! (`{"domain":"QBO","status":"Deleted","Id":…,"MetaData":{"LastUpdatedTime":…}}`)
//! for every transaction deleted since then. `changedSince` may be at most 30
//! days back. One response carries at most 1,000 objects.
//!
//! The cap is shared by all requested types (API.md §5 leaves this open; the
//! community tools assume a shared cap). When more objects changed, the oldest
//! changes are kept, so a client that sees a full response can continue from the
//! last `LastUpdatedTime` it received or narrow the window.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value, json};

use crate::api::{
    RequestContext, company_now, fault_response, json_response, with_authenticated_company,
};
use crate::entities::EntityKind;
use crate::fault::Fault;
use crate::state::{Company, Emulator, format_meta_time, format_response_time, parse_time};

/// Parses `changedSince`: an ISO 8601 date-time with or without offset (the
/// company's zone is assumed without), or a bare date (midnight in the
/// company's zone).
pub fn parse_changed_since(text: &str, offset: FixedOffset) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(time) = DateTime::parse_from_str(text, format) {
            return Some(time.with_timezone(&Utc));
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return offset
                .from_local_datetime(&naive)
                .single()
                .map(|time| time.with_timezone(&Utc));
        }
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    offset
        .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|time| time.with_timezone(&Utc))
}

/// One changed object (or tombstone) waiting to be placed in the response.
struct Changed {
    at: DateTime<Utc>,
    kind_index: usize,
    deleted: bool,
    id: u64,
    body: Value,
}

/// Builds the `CDCResponse` array for a company.
pub fn changes(
    company: &Company,
    kinds: &[EntityKind],
    since: DateTime<Utc>,
    max_objects: usize,
) -> Value {
    let mut changed: Vec<Changed> = Vec::new();
    for (kind_index, kind) in kinds.iter().enumerate() {
        for doc in company.all_of(*kind) {
            let Some(updated) = doc
                .get("MetaData")
                .and_then(|meta| meta.get("LastUpdatedTime"))
                .and_then(Value::as_str)
                .and_then(parse_time)
            else {
                continue;
            };
            if updated >= since {
                let id = doc
                    .get("Id")
                    .and_then(Value::as_str)
                    .and_then(|id| id.parse::<u64>().ok())
                    .unwrap_or_default();
                changed.push(Changed {
                    at: updated,
                    kind_index,
                    deleted: false,
                    id,
                    body: doc.clone(),
                });
            }
        }
        for tombstone in company
            .tombstones()
            .iter()
            .filter(|tombstone| tombstone.kind == *kind)
        {
            if tombstone.deleted_at >= since {
                changed.push(Changed {
                    at: tombstone.deleted_at,
                    kind_index,
                    deleted: true,
                    id: tombstone.id.parse::<u64>().unwrap_or_default(),
                    body: json!({
                        "domain": "QBO",
                        "status": "Deleted",
                        "Id": tombstone.id,
                        "MetaData": {
                            "LastUpdatedTime": format_meta_time(tombstone.deleted_at, company.offset()),
                        },
                    }),
                });
            }
        }
    }
    // Oldest first across all types, so a capped response is a prefix in time.
    changed.sort_by(|left, right| {
        (left.at, left.kind_index, left.deleted, left.id).cmp(&(
            right.at,
            right.kind_index,
            right.deleted,
            right.id,
        ))
    });
    changed.truncate(max_objects);
    // Within a type: objects in order of last update, deleted ones after them.
    changed.sort_by(|left, right| {
        (left.kind_index, left.deleted, left.at, left.id).cmp(&(
            right.kind_index,
            right.deleted,
            right.at,
            right.id,
        ))
    });
    let mut blocks: Vec<Value> = Vec::new();
    let mut current: Option<(usize, Vec<Value>)> = None;
    let flush = |block: Option<(usize, Vec<Value>)>, blocks: &mut Vec<Value>| {
        if let Some((kind_index, objects)) = block {
            let count = objects.len();
            let mut query_response = Map::new();
            if let Some(kind) = kinds.get(kind_index) {
                query_response.insert(kind.name().to_owned(), Value::Array(objects));
            }
            query_response.insert("startPosition".to_owned(), json!(1));
            query_response.insert("maxResults".to_owned(), json!(count));
            query_response.insert("totalCount".to_owned(), json!(count));
            blocks.push(Value::Object(query_response));
        }
    };
    for item in changed {
        match &mut current {
            Some((kind_index, objects)) if *kind_index == item.kind_index => {
                objects.push(item.body)
            }
            _ => {
                flush(current.take(), &mut blocks);
                current = Some((item.kind_index, vec![item.body]));
            }
        }
    }
    flush(current.take(), &mut blocks);
    json!([{ "QueryResponse": blocks }])
}

/// Reads and checks the `entities` list.
pub fn parse_entities(text: &str) -> Result<Vec<EntityKind>, Fault> {
    let mut kinds = Vec::new();
    for name in text
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let kind = EntityKind::parse(name).ok_or_else(|| {
            Fault::invalid_property(format!(
                "Property Name:entities : {name} is not a known entity"
            ))
            .with_element("entities")
        })?;
        if !kind.in_cdc() {
            return Err(Fault::unsupported_operation(format!(
                "Operation cdc is not supported for {kind}"
            )));
        }
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Err(Fault::required("entities"));
    }
    Ok(kinds)
}

/// Checks the request and builds the whole CDC body.
pub fn run(
    emulator: &Emulator,
    company: &Company,
    entities: Option<&str>,
    changed_since: Option<&str>,
) -> Result<Value, Fault> {
    let config = emulator.config();
    let kinds = parse_entities(entities.unwrap_or(""))?;
    let since_text = changed_since.ok_or_else(|| Fault::required("changedSince"))?;
    let since = parse_changed_since(since_text, company.offset()).ok_or_else(|| {
        Fault::invalid_property(format!(
            "Property Name:changedSince : {since_text} is not an ISO 8601 date-time"
        ))
        .with_element("changedSince")
    })?;
    let now = emulator.clock().now();
    if since < now - Duration::days(config.cdc_lookback_days) {
        return Err(Fault::validation(
            "4001",
            "Invalid query",
            format!(
                "QueryValidationError: Operation cdc with changedSince date {since_text} which is older than {} days is not supported.",
                config.cdc_lookback_days
            ),
        )
        .with_element("changedSince"));
    }
    Ok(changes(company, &kinds, since, config.cdc_max_objects))
}

/// `GET …/cdc`.
pub async fn handler(
    State(emulator): State<Emulator>,
    Path(realm_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let context = RequestContext::new(realm_id, &headers, params);
    let now = company_now(&emulator);
    let outcome = with_authenticated_company(&emulator, &headers, &context.realm_id, |company| {
        run(
            &emulator,
            company,
            context.param("entities"),
            context.param("changedSince"),
        )
    });
    match outcome {
        Ok(response) => {
            json_response(&json!({ "CDCResponse": response, "time": format_response_time(now) }))
        }
        Err(fault) => fault_response(&fault, context.wants_xml, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_since_accepts_dates_and_times() {
        let pacific = FixedOffset::west_opt(8 * 3600).unwrap();
        let date = parse_changed_since("2015-11-28", pacific).unwrap();
        assert_eq!(date.to_rfc3339(), "2015-11-28T08:00:00+00:00");
        let time = parse_changed_since("2015-11-28T10:00:00-07:00", pacific).unwrap();
        assert_eq!(time.to_rfc3339(), "2015-11-28T17:00:00+00:00");
        let naive = parse_changed_since("2015-11-28T10:00:00", pacific).unwrap();
        assert_eq!(naive.to_rfc3339(), "2015-11-28T18:00:00+00:00");
        assert!(parse_changed_since("yesterday", pacific).is_none());
    }
}
