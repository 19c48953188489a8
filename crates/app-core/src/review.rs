//! Review before sending: every pending change with the before → after
//! value of each field it changes, holding a change back, discarding it.

use serde::Serialize;
use serde_json::Value;
use sync_engine::FieldPath;
use sync_engine::merge::{changed_fields, value_at};
use ts_rs::TS;

use crate::{AppCore, CoreResult, Problem, SaveOutcome};

/// One changed field: what QuickBooks has and what will be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct FieldChange {
    /// The field, e.g. `PrivateNote` or `Line[Id=1].Amount`.
    pub field: String,
    /// The value both sides last agreed on, as text (none when added).
    pub before: Option<String>,
    /// The local value, as text (none when removed).
    pub after: Option<String>,
}

/// A pending change as the review shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct PendingChange {
    /// The record.
    pub local_id: String,
    /// Its entity type.
    pub entity_type: String,
    /// "Invoice 1042".
    pub label: String,
    /// `create`, `update`, `delete` or `void`.
    pub operation: String,
    /// Every changed field, before → after (empty for a delete or void).
    pub changes: Vec<FieldChange>,
    /// The user holds it back: it stays out of the push until released.
    pub held: bool,
    /// Why it cannot be sent as it is, with the button that fixes it.
    pub problem: Option<Problem>,
}

/// The company's pending changes and whether its pushes wait for review.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct PendingReview {
    /// Every record with a local change, in a stable order.
    pub changes: Vec<PendingChange>,
    /// The timer only pulls; changes are sent with "Send now".
    pub review_before_sending: bool,
}

impl AppCore {
    /// Every local change waiting for QuickBooks, with the before → after
    /// value of each field it changes (local version against the version
    /// both sides last agreed on).
    pub async fn pending_review(&self, company_id: &str) -> CoreResult<PendingReview> {
        let row = self.company_row(company_id).await?;
        let store = self.company_store(company_id).await?;
        let held = store.held_records().await?;
        let mut changes = Vec::new();
        for record in store.pending_records().await? {
            let label = record
                .summary
                .doc_number
                .as_deref()
                .or(record.summary.name.as_deref())
                .map_or_else(
                    || record.entity_type.clone(),
                    |id| format!("{} {id}", record.entity_type),
                );
            let operation = match (record.intent, &record.qbo_id) {
                (local_store::Intent::Delete, _) => "delete",
                (local_store::Intent::Void, _) => "void",
                (_, None) => "create",
                (_, Some(_)) => "update",
            };
            let fields = match (&record.base, &record.local) {
                (_, None) => Vec::new(),
                (base, Some(local)) => field_changes(
                    &record.entity_type,
                    base.as_ref().or(record.remote.as_ref()),
                    local,
                ),
            };
            changes.push(PendingChange {
                held: held.contains(&record.local_id),
                problem: record.error.as_deref().map(Problem::of_record_error),
                local_id: record.local_id,
                entity_type: record.entity_type,
                label,
                operation: operation.to_owned(),
                changes: fields,
            });
        }
        Ok(PendingReview {
            changes,
            review_before_sending: crate::companies::company_settings(&row).review_before_sending
                == Some(true),
        })
    }

    /// Holds a local change back from the push (`held`), or releases it.
    pub async fn hold_back(&self, company_id: &str, local_id: &str, held: bool) -> CoreResult<()> {
        let engine = self.engine(company_id).await?;
        engine.hold_back(local_id, held).await?;
        self.notify_companies().await;
        Ok(())
    }

    /// Throws away a local change (the history keeps it).
    pub async fn discard_change(
        &self,
        company_id: &str,
        local_id: &str,
    ) -> CoreResult<SaveOutcome> {
        let engine = self.engine(company_id).await?;
        let edit = engine.discard_local(local_id).await?;
        self.notify_companies().await;
        self.outcome(company_id, edit).await
    }
}

/// The fields `local` changes against `base`, each with its two values as
/// text; a new record lists every field it sets.
fn field_changes(entity: &str, base: Option<&Value>, local: &Value) -> Vec<FieldChange> {
    let empty = Value::Object(serde_json::Map::new());
    let base = base.unwrap_or(&empty);
    changed_fields(entity, base, local)
        .into_iter()
        .map(|path: FieldPath| FieldChange {
            field: path.to_string(),
            before: value_at(base, &path).and_then(shown),
            after: value_at(local, &path).and_then(shown),
        })
        .collect()
}

/// A value as a person reads it: a reference by its name, a number as its
/// exact text, anything else as compact JSON.
fn shown(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Object(map) => match (map.get("name"), map.get("value")) {
            (Some(Value::String(name)), _) => Some(name.clone()),
            (_, Some(Value::String(id))) => Some(id.clone()),
            _ => Some(value.to_string()),
        },
        Value::Array(_) => Some(value.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_memo_and_a_line_amount_show_before_and_after() {
        let base: Value = serde_json::from_str(
            r#"{"Id":"7","SyncToken":"1","PrivateNote":"old","CustomerRef":{"value":"3","name":"Acme"},
                "Line":[{"Id":"1","Amount":100.10,"DetailType":"SalesItemLineDetail"}]}"#,
        )
        .expect("json");
        let local: Value = serde_json::from_str(
            r#"{"Id":"7","SyncToken":"1","PrivateNote":"new","CustomerRef":{"value":"4","name":"Bolt"},
                "Line":[{"Id":"1","Amount":250.00000000000000000001,"DetailType":"SalesItemLineDetail"}]}"#,
        )
        .expect("json");
        let changes = field_changes("Invoice", Some(&base), &local);
        let find = |field: &str| {
            changes
                .iter()
                .find(|change| change.field == field)
                .cloned()
                .unwrap_or_else(|| panic!("{field} in {changes:?}"))
        };
        assert_eq!(find("PrivateNote").before.as_deref(), Some("old"));
        assert_eq!(find("PrivateNote").after.as_deref(), Some("new"));
        assert_eq!(find("CustomerRef").after.as_deref(), Some("Bolt"));
        let amount = find("Line[Id=1].Amount");
        assert_eq!(amount.before.as_deref(), Some("100.10"));
        // Exact: no float rounded it.
        assert_eq!(amount.after.as_deref(), Some("250.00000000000000000001"));
        assert_eq!(changes.len(), 3, "{changes:?}");
    }

    #[test]
    fn a_new_record_lists_what_it_sets() {
        let local = json!({"DisplayName": "New Co", "Active": true});
        let changes = field_changes("Customer", None, &local);
        assert!(changes.iter().any(|change| change.field == "DisplayName"
            && change.before.is_none()
            && change.after.as_deref() == Some("New Co")));
    }
}
