//! Reconciling one remote change with what the local books hold, and
//! applying QuickBooks' answer to a push. Pure: the caller reads the record,
//! passes the time and a fresh local id in, and commits what comes out.

use chrono::{DateTime, Utc};
use local_store::{
    ConflictKind, Direction, Intent, NewConflict, NewHistoryEntry, OpKind, RecordRow, RecordState,
};
use serde_json::{Value, json};

use crate::entities::{display_label, summary_of};
use crate::merge::{changed_fields, merge, merge_owned, same};

/// What reconciling one change asks the caller to commit.
#[derive(Debug, Default)]
pub(crate) struct Reconciled {
    /// The record to write, if it changed.
    pub record: Option<RecordRow>,
    /// The history entry, if the local version changed.
    pub history: Option<NewHistoryEntry>,
    /// A conflict to open.
    pub conflict: Option<NewConflict>,
    /// An open conflict that a newer remote version replaces.
    pub superseded: Option<i64>,
    /// Whether this was a real remote change (not our own write coming back).
    pub applied: bool,
}

/// What reconciling needs besides the record and the change.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// Now, for history and conflicts.
    pub now: DateTime<Utc>,
    /// Whether a record seen for the first time gets a history entry (not on
    /// a first sync, where every record is new).
    pub history_for_inserts: bool,
    /// The record's open conflict, if it has one.
    pub open_conflict: Option<i64>,
    /// The local id a new record gets.
    pub new_local_id: String,
}

/// A JSON string or number as text (QBO sends ids and tokens as strings).
fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The object's `SyncToken`.
pub(crate) fn sync_token_of(object: &Value) -> Option<String> {
    text_of(object.get("SyncToken"))
}

/// The object's `Id`.
pub(crate) fn qbo_id_of(object: &Value) -> Option<String> {
    text_of(object.get("Id"))
}

/// Lists carry `Active`; everything else is always active.
pub(crate) fn is_active(object: &Value) -> bool {
    object.get("Active") != Some(&Value::Bool(false))
}

/// `MetaData.LastUpdatedTime` in UTC.
pub(crate) fn last_updated_of(object: &Value) -> Option<DateTime<Utc>> {
    object
        .get("MetaData")
        .and_then(|meta| meta.get("LastUpdatedTime"))
        .and_then(Value::as_str)
        .and_then(qbo_client::cdc::parse_qbo_time)
}

/// The version lists show: the local one, else the last one seen.
pub(crate) fn shown(record: &RecordRow) -> Option<&Value> {
    record
        .local
        .as_ref()
        .or(record.remote.as_ref())
        .or(record.base.as_ref())
}

/// "Bill 77", as messages name the record.
pub(crate) fn label_of(record: &RecordRow) -> String {
    match shown(record) {
        Some(object) => display_label(&record.entity_type, object),
        None => record.entity_type.clone(),
    }
}

/// Refreshes the list columns and the active flag from the shown version.
pub(crate) fn refresh_columns(record: &mut RecordRow) {
    if let Some(object) = shown(record) {
        let summary = summary_of(&record.entity_type, object);
        let active = is_active(object);
        record.summary = summary;
        record.active = active;
    }
}

/// Whether the record carries a local change QuickBooks has not seen.
pub(crate) fn has_local_edit(record: &RecordRow) -> bool {
    if record.intent != Intent::None {
        return true;
    }
    match (&record.base, &record.local) {
        (Some(base), Some(local)) => !changed_fields(&record.entity_type, base, local).is_empty(),
        (None, Some(_)) => true,
        _ => false,
    }
}

/// A history entry for a record.
pub(crate) fn history(
    record: &RecordRow,
    at: DateTime<Utc>,
    direction: Direction,
    operation: &str,
    before: Option<Value>,
    after: Option<Value>,
    summary: String,
) -> NewHistoryEntry {
    NewHistoryEntry {
        at,
        local_id: record.local_id.clone(),
        entity_type: record.entity_type.clone(),
        qbo_id: record.qbo_id.clone(),
        direction,
        operation: operation.to_owned(),
        before,
        after,
        request_id: None,
        summary,
    }
}

/// Takes a remote version as the agreed one on every side.
fn fast_forward(record: &mut RecordRow, object: &Value) {
    record.qbo_id = qbo_id_of(object).or(record.qbo_id.take());
    record.sync_token = sync_token_of(object);
    record.base = Some(object.clone());
    record.local = Some(object.clone());
    record.remote = Some(object.clone());
    record.remote_updated_at = last_updated_of(object);
    record.state = RecordState::Synced;
    record.intent = Intent::None;
    record.error = None;
    record.remote_deleted = false;
    refresh_columns(record);
}

/// A record first seen in QuickBooks.
pub(crate) fn new_remote_record(local_id: String, entity: &str, object: &Value) -> RecordRow {
    let mut record = RecordRow::new(local_id, entity);
    fast_forward(&mut record, object);
    record
}

/// Reconciles a created or updated object from QuickBooks.
pub(crate) fn reconcile_upsert(
    existing: Option<RecordRow>,
    entity: &str,
    object: &Value,
    context: &Context,
) -> Reconciled {
    let Some(mut record) = existing else {
        let record = new_remote_record(context.new_local_id.clone(), entity, object);
        let history = context.history_for_inserts.then(|| {
            history(
                &record,
                context.now,
                Direction::Pull,
                "create",
                None,
                Some(object.clone()),
                format!("{} created in QuickBooks", label_of(&record)),
            )
        });
        return Reconciled {
            record: Some(record),
            history,
            applied: true,
            ..Reconciled::default()
        };
    };
    let remote_token = sync_token_of(object);
    let seen_token = record.remote.as_ref().and_then(sync_token_of);
    // A deleted transaction cannot come back in QuickBooks; a stray copy of
    // it (an old CDC window read again) changes nothing.
    if record.state == RecordState::Deleted {
        return Reconciled::default();
    }
    // The version the open conflict was opened against, read again.
    if record.state == RecordState::Conflict && seen_token == remote_token {
        return Reconciled::default();
    }
    // Echo suppression: the base is this version, so it is our own write
    // (or a change already applied) coming back.
    if record.sync_token.is_some() && record.sync_token == remote_token {
        if record
            .remote
            .as_ref()
            .is_some_and(|remote| same(remote, object))
        {
            return Reconciled::default();
        }
        record.remote = Some(object.clone());
        record.remote_updated_at = last_updated_of(object);
        return Reconciled {
            record: Some(record),
            ..Reconciled::default()
        };
    }
    let superseded = if record.state == RecordState::Conflict {
        context.open_conflict
    } else {
        None
    };
    let label = label_of(&record);
    let before = record.local.clone();
    let was_active = record.active;
    if !has_local_edit(&record) {
        fast_forward(&mut record, object);
        let operation = if was_active && !record.active {
            "inactivate"
        } else {
            "update"
        };
        let entry = history(
            &record,
            context.now,
            Direction::Pull,
            operation,
            before,
            Some(object.clone()),
            format!("{label} changed in QuickBooks"),
        );
        return Reconciled {
            record: Some(record),
            history: Some(entry),
            superseded,
            applied: true,
            ..Reconciled::default()
        };
    }
    match record.intent {
        Intent::Delete => {
            record.remote = Some(object.clone());
            record.remote_updated_at = last_updated_of(object);
            record.state = RecordState::Conflict;
            let conflict = NewConflict {
                local_id: record.local_id.clone(),
                entity_type: record.entity_type.clone(),
                kind: ConflictKind::LocalDeleteRemoteEdit,
                base: record.base.clone(),
                local: None,
                remote: Some(object.clone()),
                fields: json!([]),
                opened_at: context.now,
            };
            Reconciled {
                record: Some(record),
                conflict: Some(conflict),
                superseded,
                applied: true,
                ..Reconciled::default()
            }
        }
        Intent::Void => {
            // A void applies to whatever the document now is: rebase it.
            fast_forward(&mut record, object);
            record.intent = Intent::Void;
            record.state = RecordState::Pending;
            let entry = history(
                &record,
                context.now,
                Direction::Pull,
                "update",
                before,
                Some(object.clone()),
                format!("{label} changed in QuickBooks; the void waiting here still applies"),
            );
            Reconciled {
                record: Some(record),
                history: Some(entry),
                superseded,
                applied: true,
                ..Reconciled::default()
            }
        }
        Intent::None => {
            // The merge is built in a copy of QuickBooks' version; base and
            // local stay where they are and are copied only into a conflict.
            let merged = {
                let base = record.base.as_ref().unwrap_or(object);
                let local = record.local.as_ref().unwrap_or(base);
                merge_owned(entity, base, local, object.clone())
            };
            record.remote = Some(object.clone());
            record.remote_updated_at = last_updated_of(object);
            if merged.is_clean() {
                let still_ahead = !changed_fields(entity, object, &merged.merged).is_empty();
                record.base = Some(object.clone());
                record.sync_token = sync_token_of(object);
                record.local = Some(merged.merged.clone());
                record.state = if still_ahead {
                    RecordState::Pending
                } else {
                    RecordState::Synced
                };
                record.error = None;
                refresh_columns(&mut record);
                let entry = history(
                    &record,
                    context.now,
                    Direction::Pull,
                    "merge",
                    before,
                    Some(merged.merged),
                    format!("{label} changed in QuickBooks; merged with the changes made here"),
                );
                return Reconciled {
                    record: Some(record),
                    history: Some(entry),
                    superseded,
                    applied: true,
                    ..Reconciled::default()
                };
            }
            record.state = RecordState::Conflict;
            let base = record.base.clone().unwrap_or_else(|| object.clone());
            let local = record.local.clone().unwrap_or_else(|| base.clone());
            let conflict = NewConflict {
                local_id: record.local_id.clone(),
                entity_type: record.entity_type.clone(),
                kind: ConflictKind::EditEdit,
                base: Some(base),
                local: Some(local),
                remote: Some(object.clone()),
                fields: serde_json::to_value(&merged.conflicts).unwrap_or_else(|_| json!([])),
                opened_at: context.now,
            };
            Reconciled {
                record: Some(record),
                conflict: Some(conflict),
                superseded,
                applied: true,
                ..Reconciled::default()
            }
        }
    }
}

/// Reconciles a deletion in QuickBooks (a CDC tombstone, a 610 on read, or a
/// record a re-scan no longer finds).
pub(crate) fn reconcile_tombstone(existing: Option<RecordRow>, context: &Context) -> Reconciled {
    let Some(mut record) = existing else {
        return Reconciled::default();
    };
    if record.remote_deleted
        || (record.state == RecordState::Deleted && record.intent == Intent::None)
    {
        return Reconciled::default();
    }
    let superseded = if record.state == RecordState::Conflict {
        context.open_conflict
    } else {
        None
    };
    let label = label_of(&record);
    let before = record.local.clone();
    record.remote_deleted = true;
    if record.intent == Intent::Delete || !has_local_edit(&record) {
        // Deleted on both sides, or untouched here: the deletion stands.
        record.state = RecordState::Deleted;
        record.intent = Intent::None;
        record.error = None;
        let entry = history(
            &record,
            context.now,
            Direction::Pull,
            "delete",
            before,
            None,
            format!("{label} deleted in QuickBooks"),
        );
        return Reconciled {
            record: Some(record),
            history: Some(entry),
            superseded,
            applied: true,
            ..Reconciled::default()
        };
    }
    if record.state == RecordState::Conflict
        && record.intent == Intent::None
        && let (Some(base), Some(local), Some(remote)) =
            (&record.base, &record.local, &record.remote)
    {
        // An edit conflict this deletion supersedes held QuickBooks' last
        // version apart: the version kept against the deletion is the local
        // one merged with it (the local value where both changed a field),
        // so "keep mine" keeps the edits made in QuickBooks to fields left
        // alone here, as a clean merge would have before the deletion.
        let merged = merge(&record.entity_type, base, local, remote).merged;
        record.local = Some(merged);
        refresh_columns(&mut record);
    }
    record.state = RecordState::Conflict;
    let conflict = NewConflict {
        local_id: record.local_id.clone(),
        entity_type: record.entity_type.clone(),
        kind: ConflictKind::LocalEditRemoteDelete,
        base: record.base.clone(),
        local: record.local.clone(),
        remote: None,
        fields: json!([]),
        opened_at: context.now,
    };
    Reconciled {
        record: Some(record),
        conflict: Some(conflict),
        superseded,
        applied: true,
        ..Reconciled::default()
    }
}

/// The history operation of a pushed operation.
pub(crate) fn push_operation_name(kind: OpKind) -> &'static str {
    match kind {
        OpKind::Create => "create",
        OpKind::Update => "update",
        OpKind::Delete => "delete",
        OpKind::Void => "void",
        OpKind::Deactivate => "inactivate",
    }
}

/// What applying QuickBooks' answer to a push asks the caller to commit.
#[derive(Debug)]
pub(crate) struct Answered {
    /// The record as it is now.
    pub record: RecordRow,
    /// The history entry of the push.
    pub history: NewHistoryEntry,
    /// A conflict between an edit made while the push was in flight and
    /// QuickBooks' answer.
    pub conflict: Option<NewConflict>,
}

/// Applies QuickBooks' answer to a pushed operation. `planned` is the local
/// version the operation was built from; when the local version changed
/// while the operation was in flight, the later edits are merged on top of
/// the answer instead of being overwritten, and a field both the later edit
/// and the answer changed differently opens a conflict (the later edit is
/// kept as the local version, never dropped).
pub(crate) fn apply_answer(
    mut record: RecordRow,
    kind: OpKind,
    planned: Option<&Value>,
    answer: &Value,
    now: DateTime<Utc>,
    request_id: &str,
) -> Answered {
    let before = record.base.clone();
    let label = label_of(&record);
    if kind == OpKind::Delete {
        record.state = RecordState::Deleted;
        record.remote_deleted = true;
        record.intent = Intent::None;
        record.error = None;
        let mut entry = history(
            &record,
            now,
            Direction::Push,
            "delete",
            before,
            None,
            format!("{label} deleted in QuickBooks"),
        );
        entry.request_id = Some(request_id.to_owned());
        return Answered {
            record,
            history: entry,
            conflict: None,
        };
    }
    let entity = record.entity_type.clone();
    let current = record.local.clone();
    let unchanged = match (planned, current.as_ref()) {
        (Some(planned), Some(current)) => same(planned, current),
        _ => true,
    };
    let intent_done = match kind {
        OpKind::Void => record.intent == Intent::Void,
        OpKind::Deactivate => record.intent == Intent::Delete,
        _ => false,
    };
    let mut conflict = None;
    let later_edit = match (unchanged, planned, current) {
        (false, Some(planned), Some(current)) => {
            let merged = merge(&entity, planned, &current, answer);
            if merged.is_clean() {
                let merged = merged.merged;
                (!changed_fields(&entity, answer, &merged).is_empty()).then_some(merged)
            } else {
                // The later edit and QuickBooks' answer changed the same
                // field differently: the user chooses, against the version
                // the push sent as the base.
                conflict = Some(NewConflict {
                    local_id: record.local_id.clone(),
                    entity_type: entity.clone(),
                    kind: ConflictKind::EditEdit,
                    base: Some(planned.clone()),
                    local: Some(current.clone()),
                    remote: Some(answer.clone()),
                    fields: serde_json::to_value(&merged.conflicts).unwrap_or_else(|_| json!([])),
                    opened_at: now,
                });
                Some(current)
            }
        }
        _ => None,
    };
    let intent = record.intent;
    fast_forward(&mut record, answer);
    if !intent_done && intent != Intent::None {
        // A delete or void asked for while this operation was in flight.
        record.intent = intent;
        record.state = RecordState::Pending;
    }
    if let Some(merged) = later_edit {
        record.local = Some(merged);
        record.state = RecordState::Pending;
        refresh_columns(&mut record);
    }
    if conflict.is_some() {
        record.state = RecordState::Conflict;
    }
    let operation = push_operation_name(kind);
    let summary = match kind {
        OpKind::Create => format!("{} created in QuickBooks", label_of(&record)),
        OpKind::Void => format!("{label} voided in QuickBooks"),
        OpKind::Deactivate => format!("{label} made inactive in QuickBooks"),
        _ => format!("{label} updated in QuickBooks"),
    };
    let mut entry = history(
        &record,
        now,
        Direction::Push,
        operation,
        before,
        Some(answer.clone()),
        summary,
    );
    entry.request_id = Some(request_id.to_owned());
    Answered {
        record,
        history: entry,
        conflict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context {
        Context {
            now: DateTime::<Utc>::default(),
            history_for_inserts: true,
            open_conflict: None,
            new_local_id: "new".to_owned(),
        }
    }

    fn synced(object: &Value) -> RecordRow {
        new_remote_record("r1".to_owned(), "Invoice", object)
    }

    #[test]
    fn our_own_write_coming_back_changes_nothing() {
        let object = json!({"Id": "5", "SyncToken": "2", "PrivateNote": "a"});
        let outcome = reconcile_upsert(Some(synced(&object)), "Invoice", &object, &context());
        assert!(outcome.record.is_none() && !outcome.applied);
    }

    #[test]
    fn disjoint_edits_merge_and_same_field_edits_conflict() {
        let base = json!({"Id": "5", "SyncToken": "2", "PrivateNote": "a", "Memo": "m"});
        let mut record = synced(&base);
        record.local = Some(json!({"Id": "5", "SyncToken": "2", "PrivateNote": "b", "Memo": "m"}));
        record.state = RecordState::Pending;
        let remote = json!({"Id": "5", "SyncToken": "3", "PrivateNote": "a", "Memo": "n"});
        let outcome = reconcile_upsert(Some(record.clone()), "Invoice", &remote, &context());
        let merged = outcome.record.unwrap();
        assert_eq!(merged.state, RecordState::Pending);
        assert_eq!(merged.sync_token.as_deref(), Some("3"));
        assert_eq!(merged.local.unwrap()["PrivateNote"], json!("b"));
        let clash = json!({"Id": "5", "SyncToken": "3", "PrivateNote": "c", "Memo": "m"});
        let outcome = reconcile_upsert(Some(record), "Invoice", &clash, &context());
        assert_eq!(outcome.record.unwrap().state, RecordState::Conflict);
        assert_eq!(outcome.conflict.unwrap().kind, ConflictKind::EditEdit);
    }

    #[test]
    fn an_edit_made_while_the_push_was_in_flight_survives_the_answer() {
        let planned = json!({"Id": "5", "SyncToken": "2", "PrivateNote": "sent", "Memo": "m"});
        let mut record =
            synced(&json!({"Id": "5", "SyncToken": "2", "PrivateNote": "old", "Memo": "m"}));
        record.local =
            Some(json!({"Id": "5", "SyncToken": "2", "PrivateNote": "sent", "Memo": "later"}));
        record.state = RecordState::Pending;
        let answer = json!({"Id": "5", "SyncToken": "3", "PrivateNote": "sent", "Memo": "m"});
        let Answered {
            record: updated,
            history: entry,
            conflict,
        } = apply_answer(
            record,
            OpKind::Update,
            Some(&planned),
            &answer,
            context().now,
            "r1",
        );
        assert!(conflict.is_none());
        assert_eq!(updated.base.as_ref(), Some(&answer));
        assert_eq!(updated.sync_token.as_deref(), Some("3"));
        assert_eq!(updated.local.unwrap()["Memo"], json!("later"));
        assert_eq!(updated.state, RecordState::Pending);
        assert_eq!(entry.request_id.as_deref(), Some("r1"));
        assert_eq!(entry.direction, Direction::Push);
    }

    #[test]
    fn an_edit_in_flight_that_clashes_with_the_answer_opens_a_conflict_and_is_kept() {
        let planned = json!({"Id": "5", "SyncToken": "2", "PrivateNote": "sent", "Memo": "m"});
        let mut record =
            synced(&json!({"Id": "5", "SyncToken": "2", "PrivateNote": "old", "Memo": "m"}));
        record.local =
            Some(json!({"Id": "5", "SyncToken": "2", "PrivateNote": "sent", "Memo": "mine"}));
        record.state = RecordState::Pending;
        // QuickBooks' answer changed Memo too, differently.
        let answer = json!({"Id": "5", "SyncToken": "3", "PrivateNote": "sent", "Memo": "theirs"});
        let answered = apply_answer(
            record,
            OpKind::Update,
            Some(&planned),
            &answer,
            context().now,
            "r1",
        );
        let conflict = answered.conflict.expect("a conflict");
        assert_eq!(conflict.kind, ConflictKind::EditEdit);
        assert_eq!(conflict.base.as_ref(), Some(&planned));
        assert_eq!(conflict.remote.as_ref(), Some(&answer));
        assert!(
            conflict.fields.to_string().contains("Memo"),
            "{}",
            conflict.fields
        );
        assert_eq!(answered.record.state, RecordState::Conflict);
        assert_eq!(answered.record.local.unwrap()["Memo"], json!("mine"));
        assert_eq!(answered.record.sync_token.as_deref(), Some("3"));
    }

    #[test]
    fn a_tombstone_deletes_an_untouched_record_and_conflicts_with_an_edit() {
        let base = json!({"Id": "5", "SyncToken": "2", "PrivateNote": "a"});
        let outcome = reconcile_tombstone(Some(synced(&base)), &context());
        assert_eq!(outcome.record.unwrap().state, RecordState::Deleted);
        let mut edited = synced(&base);
        edited.local = Some(json!({"Id": "5", "SyncToken": "2", "PrivateNote": "b"}));
        let outcome = reconcile_tombstone(Some(edited), &context());
        assert_eq!(
            outcome.conflict.unwrap().kind,
            ConflictKind::LocalEditRemoteDelete
        );
    }
}
