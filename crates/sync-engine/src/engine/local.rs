//! Changes made in the app: create, edit, delete, void, resolve a conflict,
//! undo, and the dry run of the next push. Each writes the record and its
//! history entry in one commit; the next sync pushes it.

use local_store::{Changeset, ConflictKind, Direction, Intent, RecordRow, RecordState};
use qbo_client::TokenSource;
use serde_json::{Map, Value, json};

use super::push::refused_by_quickbooks;
use super::reconcile::{has_local_edit, history, label_of, refresh_columns, sync_token_of};
use super::{DryRun, Engine, EngineError, HeldBack, LocalEdit, PlannedOp, Resolution};
use crate::entities::{MASTER_ENTITIES, TRANSACTION_ENTITIES, can_void, entity_words, is_master};
use crate::merge::{Choice, SERVER_FIELDS, merge, resolve, resolve_all};
use crate::plan::{PendingChange, plan};
use crate::validate::{IssueCode, ValidationIssue, validate};

/// Whether the app may write this type.
fn writable(entity: &str) -> bool {
    MASTER_ENTITIES.contains(&entity) || TRANSACTION_ENTITIES.contains(&entity)
}

/// The object without what QuickBooks assigns, ready to be created anew:
/// no `Id`, `SyncToken` or `MetaData`, and lines without their ids.
fn as_new(object: &Value) -> Value {
    let Value::Object(map) = object else {
        return object.clone();
    };
    let mut fresh = Map::new();
    for (key, value) in map {
        if SERVER_FIELDS.contains(&key.as_str()) {
            continue;
        }
        let value = if key == "Line" {
            match value {
                Value::Array(lines) => Value::Array(
                    lines
                        .iter()
                        .map(|line| {
                            let mut line = line.clone();
                            if let Some(line) = line.as_object_mut() {
                                line.remove("Id");
                            }
                            line
                        })
                        .collect(),
                ),
                other => other.clone(),
            }
        } else {
            value.clone()
        };
        fresh.insert(key.clone(), value);
    }
    Value::Object(fresh)
}

/// `object` with the server-managed fields of `current` (its `Id`,
/// `SyncToken`, `MetaData`), whatever the caller sent for them.
fn with_server_fields(object: Value, current: Option<&Value>) -> Value {
    let Value::Object(mut map) = object else {
        return object;
    };
    for field in SERVER_FIELDS {
        map.remove(*field);
        if let Some(value) = current.and_then(|current| current.get(*field)) {
            map.insert((*field).to_owned(), value.clone());
        }
    }
    Value::Object(map)
}

/// Pending when something is left to send, else synced.
fn settle(record: &mut RecordRow) {
    record.error = None;
    record.state = if has_local_edit(record) {
        RecordState::Pending
    } else {
        RecordState::Synced
    };
    refresh_columns(record);
}

fn refused(message: String) -> EngineError {
    EngineError::Refused(message)
}

impl<T: TokenSource + 'static> Engine<T> {
    /// Checks an object and marks the record in error when an issue stops
    /// its push, so lists show the problem before the next sync.
    async fn check(&self, record: &mut RecordRow) -> Result<Vec<ValidationIssue>, EngineError> {
        let (Some(local), Intent::None) = (&record.local, record.intent) else {
            return Ok(Vec::new());
        };
        let refs = self.reference_index().await?;
        let issues = validate(&record.entity_type, local, &refs);
        let blocking: Vec<&str> = issues
            .iter()
            .filter(|issue| {
                issue.code.blocks_push()
                    || (issue.code == IssueCode::AutoCreate && !self.config.auto_create_parties)
            })
            .map(|issue| issue.message.as_str())
            .collect();
        if !blocking.is_empty() && record.state == RecordState::Pending {
            record.state = RecordState::Error;
            record.error = Some(blocking.join(" "));
        }
        Ok(issues)
    }

    /// Whether an operation for the record waits in the outbox: its create
    /// may already have reached QuickBooks, so the record cannot simply be
    /// forgotten; a delete is queued behind it instead.
    async fn in_flight(&self, local_id: &str) -> Result<bool, EngineError> {
        Ok(self
            .store
            .outbox()
            .await?
            .iter()
            .any(|entry| entry.local_id == local_id))
    }

    /// A record that local changes may touch.
    async fn editable(&self, local_id: &str) -> Result<RecordRow, EngineError> {
        let record = self.existing(local_id).await?;
        let label = label_of(&record);
        if !writable(&record.entity_type) {
            return Err(refused(format!(
                "{label} is read-only: QuickBooks does not accept changes to it through the API."
            )));
        }
        if record.state == RecordState::Conflict {
            return Err(refused(format!(
                "{label} has a conflict with QuickBooks; resolve it first."
            )));
        }
        if record.state == RecordState::Deleted || record.remote_deleted {
            return Err(refused(format!(
                "{label} is deleted; it cannot be changed."
            )));
        }
        Ok(record)
    }

    /// Saves a local change with its history entry.
    async fn save(
        &self,
        record: RecordRow,
        operation: &str,
        before: Option<Value>,
        summary: String,
    ) -> Result<LocalEdit, EngineError> {
        self.save_linked(record, operation, before, summary, Vec::new())
            .await
    }

    /// Saves a local change with its history entry and the statement lines
    /// it was made from (`(entry id, what was accepted as JSON)`), together.
    async fn save_linked(
        &self,
        mut record: RecordRow,
        operation: &str,
        before: Option<Value>,
        summary: String,
        lines: Vec<(i64, String)>,
    ) -> Result<LocalEdit, EngineError> {
        let now = self.now();
        record.local_updated_at = Some(now);
        let issues = self.check(&mut record).await?;
        let entry = history(
            &record,
            now,
            Direction::Local,
            operation,
            before,
            record.local.clone(),
            summary,
        );
        let statement_links = lines
            .into_iter()
            .map(|(entry_id, accepted_json)| local_store::StatementLink {
                entry_id,
                local_id: record.local_id.clone(),
                accepted_json,
                at: now,
            })
            .collect();
        self.commit(Changeset {
            records: vec![record.clone()],
            history: vec![entry],
            statement_links,
            ..Changeset::default()
        })
        .await?;
        Ok(LocalEdit { record, issues })
    }

    /// Creates a record here; the next sync creates it in QuickBooks.
    pub async fn create_local(
        &self,
        entity: &str,
        object: Value,
    ) -> Result<LocalEdit, EngineError> {
        if !writable(entity) {
            return Err(refused(format!(
                "{entity} records cannot be created through the QuickBooks API."
            )));
        }
        if !object.is_object() {
            return Err(refused(format!(
                "A new {} must be a JSON object of QuickBooks fields.",
                entity_words(entity).to_lowercase()
            )));
        }
        let _writing = self.writing.lock().await;
        let mut record = RecordRow::new(self.new_local_id(), entity);
        record.local = Some(as_new(&object));
        settle(&mut record);
        let summary = format!("{} created here", label_of(&record));
        self.save(record, "create", None, summary).await
    }

    /// Creates a record here from accepted statement lines (the inbox): the
    /// record, its history entry and the lines' new state are one changeset,
    /// so a line accepted twice at once never makes two records. `lines`
    /// are `(inbox entry id, what was accepted as JSON)`.
    pub async fn create_local_from_statement(
        &self,
        entity: &str,
        object: Value,
        summary: String,
        lines: Vec<(i64, String)>,
    ) -> Result<LocalEdit, EngineError> {
        if !writable(entity) || !object.is_object() {
            return Err(refused(format!(
                "A statement line cannot become a {entity} record."
            )));
        }
        let _writing = self.writing.lock().await;
        let mut record = RecordRow::new(self.new_local_id(), entity);
        record.local = Some(as_new(&object));
        settle(&mut record);
        self.save_linked(record, "create", None, summary, lines)
            .await
    }

    /// Replaces the working copy of a record (QuickBooks' `Id`, `SyncToken`
    /// and `MetaData` are kept whatever `object` says).
    pub async fn edit_local(
        &self,
        local_id: &str,
        object: Value,
    ) -> Result<LocalEdit, EngineError> {
        if !object.is_object() {
            return Err(refused(
                "An edited record must be a JSON object of QuickBooks fields.".to_owned(),
            ));
        }
        let _writing = self.writing.lock().await;
        let mut record = self.editable(local_id).await?;
        let before = record.local.clone();
        record.local = Some(with_server_fields(object, before.as_ref()));
        settle(&mut record);
        let summary = format!("{} edited here", label_of(&record));
        self.save(record, "update", before, summary).await
    }

    /// Deletes a record: a transaction is deleted in QuickBooks on the next
    /// sync, a list entry is made inactive (QuickBooks never deletes those),
    /// and a record never sent is simply forgotten.
    pub async fn delete_local(&self, local_id: &str) -> Result<LocalEdit, EngineError> {
        let _writing = self.writing.lock().await;
        let mut record = self.editable(local_id).await?;
        let label = label_of(&record);
        let before = record.local.clone();
        let now = self.now();
        if record.qbo_id.is_none() && !self.in_flight(&record.local_id).await? {
            let entry = history(
                &record,
                now,
                Direction::Local,
                "delete",
                before,
                None,
                format!("{label} deleted here before it reached QuickBooks"),
            );
            self.commit(Changeset {
                removed_records: vec![record.local_id.clone()],
                history: vec![entry],
                ..Changeset::default()
            })
            .await?;
            record.state = RecordState::Deleted;
            return Ok(LocalEdit {
                record,
                issues: Vec::new(),
            });
        }
        if is_master(&record.entity_type) {
            if !record.active {
                return Err(refused(format!("{label} is already inactive.")));
            }
            if let Some(object) = record.local.as_mut().and_then(Value::as_object_mut) {
                object.insert("Active".to_owned(), json!(false));
            }
            record.intent = Intent::Delete;
            settle(&mut record);
            let summary = format!("{label} made inactive here");
            return self.save(record, "inactivate", before, summary).await;
        }
        if record.intent == Intent::Delete {
            return Err(refused(format!(
                "{label} is already waiting to be deleted."
            )));
        }
        record.intent = Intent::Delete;
        settle(&mut record);
        let summary = format!("{label} deleted here");
        self.save_without_after(record, "delete", before, summary)
            .await
    }

    /// Like `save`, for a change whose "after" is the record gone.
    async fn save_without_after(
        &self,
        mut record: RecordRow,
        operation: &str,
        before: Option<Value>,
        summary: String,
    ) -> Result<LocalEdit, EngineError> {
        let now = self.now();
        record.local_updated_at = Some(now);
        let entry = history(
            &record,
            now,
            Direction::Local,
            operation,
            before,
            None,
            summary,
        );
        self.commit(Changeset {
            records: vec![record.clone()],
            history: vec![entry],
            ..Changeset::default()
        })
        .await?;
        Ok(LocalEdit {
            record,
            issues: Vec::new(),
        })
    }

    /// Voids a transaction QuickBooks can void (invoice, payment, sales
    /// receipt, bill payment) on the next sync.
    pub async fn void_local(&self, local_id: &str) -> Result<LocalEdit, EngineError> {
        let _writing = self.writing.lock().await;
        let mut record = self.editable(local_id).await?;
        let label = label_of(&record);
        if !can_void(&record.entity_type) {
            return Err(refused(format!(
                "QuickBooks cannot void a {} through the API; delete it instead.",
                entity_words(&record.entity_type).to_lowercase()
            )));
        }
        if record.qbo_id.is_none() {
            return Err(refused(format!(
                "{label} is not in QuickBooks yet, so there is nothing to void; delete it instead."
            )));
        }
        if record.intent == Intent::Void {
            return Err(refused(format!("{label} is already waiting to be voided.")));
        }
        let before = record.local.clone();
        record.intent = Intent::Void;
        settle(&mut record);
        let summary = format!("{label} voided here");
        self.save(record, "void", before, summary).await
    }

    /// Settles an open conflict (see [`Resolution`] for what each choice
    /// means); the result is pushed on the next sync.
    pub async fn resolve_conflict(
        &self,
        conflict_id: i64,
        resolution: Resolution,
    ) -> Result<RecordRow, EngineError> {
        let _writing = self.writing.lock().await;
        let conflict = self.store.conflict(conflict_id).await?.ok_or_else(|| {
            EngineError::NotFound(format!(
                "No conflict {conflict_id} in this company; refresh the list of conflicts."
            ))
        })?;
        if conflict.resolved_at.is_some() {
            return Err(refused(format!(
                "Conflict {conflict_id} is already resolved (QuickBooks may have changed the record again; see its newest conflict)."
            )));
        }
        let mut record = self.existing(&conflict.local_id).await?;
        let label = label_of(&record);
        let entity = record.entity_type.clone();
        let before = record.local.clone();
        let remote = record.remote.clone().or(conflict.remote.clone());
        let not_a_choice = |what: &str| {
            refused(format!(
                "{label}: \"{what}\" does not apply to this conflict; choose one of the offered options."
            ))
        };
        match (conflict.kind, &resolution) {
            (ConflictKind::EditEdit, Resolution::AcceptDelete) => {
                return Err(not_a_choice("accept the deletion"));
            }
            (ConflictKind::EditEdit, _) => {
                let remote = remote.ok_or_else(|| {
                    refused(format!(
                        "{label}: QuickBooks' version is missing; sync again."
                    ))
                })?;
                let base = conflict.base.clone().unwrap_or_else(|| remote.clone());
                let local = record.local.clone().unwrap_or_else(|| base.clone());
                let merged = merge(&entity, &base, &local, &remote);
                let resolved = match &resolution {
                    Resolution::Fields(choices) => resolve(&merged, choices)
                        .map_err(|error| refused(format!("{label}: {error}")))?,
                    Resolution::TakeRemote => remote.clone(),
                    _ => resolve_all(&merged, &Choice::Local),
                };
                record.sync_token = sync_token_of(&remote);
                record.base = Some(remote);
                record.local = Some(resolved);
                record.intent = Intent::None;
            }
            (ConflictKind::LocalEditRemoteDelete, Resolution::Fields(_)) => {
                return Err(not_a_choice("choose field by field"));
            }
            (
                ConflictKind::LocalEditRemoteDelete,
                Resolution::KeepLocalVersion | Resolution::TakeLocal,
            ) if record.intent == Intent::Void => {
                // What was kept here is a void: the document is to count for
                // nothing, and QuickBooks' deletion already took it out of
                // the books. Re-creating it would put a live, un-voided copy
                // back, so the void stands and nothing is created.
                record.intent = Intent::None;
                record.remote_deleted = true;
            }
            (
                ConflictKind::LocalEditRemoteDelete,
                Resolution::KeepLocalVersion | Resolution::TakeLocal,
            ) => {
                // QuickBooks cannot bring a deleted transaction back: the
                // edited version is created anew.
                let local = record.local.as_ref().map(as_new);
                record.qbo_id = None;
                record.sync_token = None;
                record.base = None;
                record.remote = None;
                record.remote_deleted = false;
                record.local = local;
                record.intent = Intent::None;
            }
            (ConflictKind::LocalEditRemoteDelete, _) => {
                record.intent = Intent::None;
                record.remote_deleted = true;
            }
            (ConflictKind::LocalDeleteRemoteEdit, Resolution::Fields(_)) => {
                return Err(not_a_choice("choose field by field"));
            }
            (
                ConflictKind::LocalDeleteRemoteEdit,
                Resolution::AcceptDelete | Resolution::TakeLocal,
            ) => {
                // The delete goes ahead against QuickBooks' newer version.
                let remote = remote.ok_or_else(|| {
                    refused(format!(
                        "{label}: QuickBooks' version is missing; sync again."
                    ))
                })?;
                record.sync_token = sync_token_of(&remote);
                let mut local = remote.clone();
                if let Some(object) = local.as_object_mut().filter(|_| is_master(&entity)) {
                    object.insert("Active".to_owned(), json!(false));
                }
                record.base = Some(remote);
                record.local = Some(local);
                record.intent = Intent::Delete;
            }
            (ConflictKind::LocalDeleteRemoteEdit, _) => {
                let remote = remote.ok_or_else(|| {
                    refused(format!(
                        "{label}: QuickBooks' version is missing; sync again."
                    ))
                })?;
                record.sync_token = sync_token_of(&remote);
                record.base = Some(remote.clone());
                record.local = Some(remote);
                record.intent = Intent::None;
            }
        }
        if conflict.kind == ConflictKind::LocalEditRemoteDelete && record.remote_deleted {
            record.state = RecordState::Deleted;
            record.error = None;
            refresh_columns(&mut record);
        } else {
            settle(&mut record);
        }
        let now = self.now();
        record.local_updated_at = Some(now);
        let entry = history(
            &record,
            now,
            Direction::Local,
            "resolve",
            before,
            record.local.clone(),
            format!("Conflict on {label} resolved"),
        );
        self.commit(Changeset {
            records: vec![record.clone()],
            conflicts_resolved: vec![(
                conflict_id,
                serde_json::to_value(&resolution).unwrap_or(Value::Null),
                now,
            )],
            history: vec![entry],
            ..Changeset::default()
        })
        .await?;
        Ok(record)
    }

    /// Undoes one history entry by queueing its inverse as a local change:
    /// the version before it becomes the working copy again (and is pushed
    /// on the next sync); an undone create becomes a delete; an undone
    /// delete re-creates the record. Refused, with why, where QuickBooks has
    /// no inverse (a list entry cannot be deleted, a void cannot be undone).
    pub async fn undo(&self, history_id: i64) -> Result<LocalEdit, EngineError> {
        let _writing = self.writing.lock().await;
        let entry = self.store.history_entry(history_id).await?.ok_or_else(|| {
            EngineError::NotFound(format!(
                "No history entry {history_id} in this company; refresh the history."
            ))
        })?;
        let Some(mut record) = self.store.record(&entry.local_id).await? else {
            // A record created and deleted here before it was ever sent.
            let Some(before) = entry.before.clone().filter(|_| entry.operation == "delete") else {
                return Err(refused(format!(
                    "The record of history entry {history_id} no longer exists; there is nothing to undo."
                )));
            };
            let mut record = RecordRow::new(entry.local_id.clone(), entry.entity_type.clone());
            record.local = Some(as_new(&before));
            settle(&mut record);
            let summary = format!("Undid the delete of {}", label_of(&record));
            return self.save(record, "undo", None, summary).await;
        };
        let label = label_of(&record);
        if record.state == RecordState::Conflict {
            return Err(refused(format!(
                "{label} has a conflict with QuickBooks; resolve it before undoing."
            )));
        }
        let words = entity_words(&record.entity_type).to_lowercase();
        let before_now = record.local.clone();
        match entry.operation.as_str() {
            "create" => {
                if record.state == RecordState::Deleted {
                    return Err(refused(format!("{label} is already deleted.")));
                }
                if record.qbo_id.is_none() && !self.in_flight(&record.local_id).await? {
                    let now = self.now();
                    let history_entry = history(
                        &record,
                        now,
                        Direction::Local,
                        "undo",
                        before_now,
                        None,
                        format!("Undid the creation of {label} before it reached QuickBooks"),
                    );
                    self.commit(Changeset {
                        removed_records: vec![record.local_id.clone()],
                        history: vec![history_entry],
                        ..Changeset::default()
                    })
                    .await?;
                    record.state = RecordState::Deleted;
                    return Ok(LocalEdit {
                        record,
                        issues: Vec::new(),
                    });
                }
                if is_master(&record.entity_type) {
                    return Err(refused(format!(
                        "QuickBooks never deletes a {words}, so its creation cannot be undone; delete {label} to make it inactive instead."
                    )));
                }
                record.intent = Intent::Delete;
                settle(&mut record);
                let summary =
                    format!("Undid the creation of {label}: it is deleted on the next sync");
                self.save_without_after(record, "undo", before_now, summary)
                    .await
            }
            "void" => {
                if entry.direction == Direction::Local && record.intent == Intent::Void {
                    record.intent = Intent::None;
                    settle(&mut record);
                    let summary = format!("Undid the void of {label} before it was sent");
                    return self.save(record, "undo", before_now, summary).await;
                }
                Err(refused(format!(
                    "QuickBooks cannot undo a void; create a new {words} instead of {label}."
                )))
            }
            "delete" if record.intent == Intent::Delete => {
                record.intent = Intent::None;
                if let Some(before) = &entry.before {
                    record.local = Some(with_server_fields(before.clone(), record.local.as_ref()));
                }
                settle(&mut record);
                let summary = format!("Undid the delete of {label} before it was sent");
                self.save(record, "undo", before_now, summary).await
            }
            "delete" => {
                if is_master(&record.entity_type) {
                    return Err(refused(format!(
                        "{label} was made inactive, not deleted; edit it and make it active instead."
                    )));
                }
                let Some(before) = entry.before.clone().or(record.local.clone()) else {
                    return Err(refused(format!(
                        "{label} has no earlier version to bring back."
                    )));
                };
                // QuickBooks cannot bring a deleted transaction back; the
                // version before the delete is created anew.
                record.qbo_id = None;
                record.sync_token = None;
                record.base = None;
                record.remote = None;
                record.remote_deleted = false;
                record.intent = Intent::None;
                record.local = Some(as_new(&before));
                settle(&mut record);
                let summary =
                    format!("Undid the delete of {label}: it is created again on the next sync");
                self.save(record, "undo", before_now, summary).await
            }
            _ => {
                if record.state == RecordState::Deleted || record.remote_deleted {
                    return Err(refused(format!(
                        "{label} is deleted; undo its delete first."
                    )));
                }
                let Some(before) = entry.before.clone() else {
                    return Err(refused(format!(
                        "History entry {history_id} has no earlier version of {label} to go back to."
                    )));
                };
                record.local = Some(with_server_fields(before, record.local.as_ref()));
                if record.intent == Intent::Delete && entry.operation == "inactivate" {
                    record.intent = Intent::None;
                }
                settle(&mut record);
                let summary = format!("Undid the {} of {label}", entry.operation);
                self.save(record, "undo", before_now, summary).await
            }
        }
    }

    /// Holds a record's local change back from the push, or releases it.
    pub async fn hold_back(&self, local_id: &str, held: bool) -> Result<(), EngineError> {
        let _writing = self.writing.lock().await;
        let record = self.existing(local_id).await?;
        if held && !has_local_edit(&record) {
            return Err(refused(format!(
                "{} has no local change to hold back.",
                label_of(&record)
            )));
        }
        self.store.set_held(local_id, held).await?;
        Ok(())
    }

    /// Throws away a record's local change: the record goes back to the
    /// version both sides last agreed on (a record never sent is
    /// forgotten), and the history keeps what was discarded. A change
    /// already on its way to QuickBooks cannot be called back.
    pub async fn discard_local(&self, local_id: &str) -> Result<LocalEdit, EngineError> {
        let _writing = self.writing.lock().await;
        let mut record = self.existing(local_id).await?;
        let label = label_of(&record);
        if !has_local_edit(&record) && record.state != RecordState::Error {
            return Err(refused(format!("{label} has no local change to discard.")));
        }
        if record.state == RecordState::Conflict {
            return Err(refused(format!(
                "{label} has a conflict with QuickBooks; resolve it instead."
            )));
        }
        if self.in_flight(local_id).await? {
            return Err(refused(format!(
                "{label} is already on its way to QuickBooks; it can no longer be discarded."
            )));
        }
        let before = record.local.clone();
        record.intent = Intent::None;
        if record.qbo_id.is_none() {
            record.local = None;
            record.state = RecordState::Deleted;
            record.error = None;
            refresh_columns(&mut record);
        } else {
            record.local = record.base.clone().or_else(|| record.remote.clone());
            settle(&mut record);
        }
        self.store.set_held(local_id, false).await?;
        let summary = format!("Discarded the local change of {label}");
        self.save_without_after(record, "discard", before, summary)
            .await
    }

    /// The next push, computed without sending anything: the operations in
    /// order, and the records validation holds back.
    pub async fn dry_run(&self) -> Result<DryRun, EngineError> {
        let refs = self.reference_index().await?;
        let pending: Vec<RecordRow> = self
            .store
            .pending_records()
            .await?
            .into_iter()
            .filter(|record| record.state != RecordState::Conflict)
            .filter(|record| !refused_by_quickbooks(record))
            .collect();
        let held = self.store.held_records().await?;
        let mut dry_run = DryRun::default();
        let mut ready = Vec::new();
        for record in &pending {
            let Some(local) = &record.local else {
                continue;
            };
            if held.contains(&record.local_id) {
                dry_run.held_back.push(HeldBack {
                    local_id: record.local_id.clone(),
                    label: label_of(record),
                    issues: vec![ValidationIssue {
                        field: String::new(),
                        message: format!(
                            "{}: held back by you; release it to send it with the next sync.",
                            label_of(record)
                        ),
                        code: IssueCode::HeldByUser,
                        severity: IssueCode::HeldByUser.severity(),
                    }],
                });
                continue;
            }
            if self.held_by_product_master(record) {
                dry_run.held_back.push(HeldBack {
                    local_id: record.local_id.clone(),
                    label: label_of(record),
                    issues: vec![ValidationIssue {
                        field: "Type".to_owned(),
                        message: crate::stock::not_synced_reason(
                            crate::stock::Origin::Ledgerlink,
                            crate::stock::ProductMaster::QuickBooks,
                        )
                        .unwrap_or_default(),
                        code: IssueCode::InvalidValue,
                        severity: IssueCode::InvalidValue.severity(),
                    }],
                });
                continue;
            }
            let issues = if record.intent == Intent::None {
                validate(&record.entity_type, local, &refs)
            } else {
                Vec::new()
            };
            let blocked = issues.iter().any(|issue| {
                issue.code.blocks_push()
                    || (issue.code == IssueCode::AutoCreate && !self.config.auto_create_parties)
            });
            if blocked {
                dry_run.held_back.push(HeldBack {
                    local_id: record.local_id.clone(),
                    label: label_of(record),
                    issues,
                });
            } else {
                ready.push(PendingChange {
                    local_id: &record.local_id,
                    entity_type: &record.entity_type,
                    qbo_id: record.qbo_id.as_deref(),
                    sync_token: record.sync_token.as_deref(),
                    base: record.base.as_ref(),
                    local,
                    intent: record.intent,
                });
            }
        }
        let planned = plan(&ready);
        for operation in &planned.operations {
            let label = pending
                .iter()
                .find(|record| record.local_id == operation.local_id)
                .map_or_else(|| operation.entity.clone(), label_of);
            dry_run.operations.push(PlannedOp {
                local_id: operation.local_id.clone(),
                entity_type: operation.entity.clone(),
                operation: operation.kind.as_str().to_owned(),
                label,
                fields: operation.fields.clone(),
            });
        }
        Ok(dry_run)
    }
}
