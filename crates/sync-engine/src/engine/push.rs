//! Pushing: finishing the outbox, creating the customers and vendors that
//! records name, then validating, planning and sending local changes —
//! lists first, then transactions — with every request id written to the
//! store before its first send.
//!
//! Operations go out in batches of up to 30 under one batch `requestid`,
//! stored (with each item's `bId`) in the payload of every outbox entry of
//! the batch. QuickBooks answers a batch sent again under the same id with
//! its first answer, so an unconfirmed batch is resent exactly as it was —
//! same id, same items, same `bId`s — and an item QuickBooks already ran is
//! never run twice. An item whose answer says it may have been written (a
//! `SystemFault` or another server failure, an answer that cannot be read)
//! keeps its place in the batch and is resent with it. An item QuickBooks
//! refused, or throttled before it ran, is planned afresh, with a new id, on
//! a later cycle. Planning skips every record that still has an entry in the
//! outbox, so no record is ever planned twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::channel::mpsc;
use tokio::sync::MutexGuard;

use local_store::{Direction, Intent, NewOutboxEntry, OpKind, OutboxEntry, RecordRow, RecordState};
use qbo_client::{
    BatchAnswer, BatchItem, BatchItemResult, ErrorKind, QboError, RequestId, TokenSource,
};
use serde_json::{Value, json};

use super::pull::{Remote, Staged};
use super::reconcile::{apply_answer, history, label_of, qbo_id_of, refresh_columns, shown};
use super::{
    CancelFlag, Engine, EngineError, ProgressFn, RecordFailure, SyncPhase, SyncProgress,
    SyncReport, check_cancel,
};
use crate::entities::{MASTER_ENTITIES, TRANSACTION_ENTITIES};
use crate::names::{NameDirectory, NameEntry, NameKind, NameResolution, resolve_party_name};
use crate::plan::{Operation, PendingChange, Plan, plan};
use crate::validate::{IssueCode, ReferenceIndex, validate};

/// How an error stored by a QuickBooks refusal begins. Such a record is not
/// sent again until someone changes it (sending it unchanged would be
/// refused again, every cycle).
pub(crate) const REFUSED_PREFIX: &str = "QuickBooks refused";

/// How many batches of one stage are on their way at once: Intuit's
/// in-flight limit (the pacer holds them to it and to the per-minute
/// limits). Fewer let a window's first batches wait behind answers still
/// being committed, and every later window inherits that delay, since each
/// batch's slot frees a window after the batch it replaces arrived.
const BATCHES_AT_ONCE: usize = 10;

/// A stored batch ready to send: its request id and its entries.
type ReadyBatch = (String, Vec<Queued>);

/// A stage's first entity type (for progress) and its batches, which
/// arrive as they are stored and end when the stage's last is stored.
type ReadyStage = (Option<String>, mpsc::UnboundedReceiver<ReadyBatch>);

/// Whether a record's error is a QuickBooks refusal (not a local check).
pub(crate) fn refused_by_quickbooks(record: &RecordRow) -> bool {
    record.state == RecordState::Error
        && record
            .error
            .as_deref()
            .is_some_and(|error| error.starts_with(REFUSED_PREFIX))
}

/// One outbox entry on its way (read back from the store, or just written).
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    id: i64,
    local_id: String,
    entity: String,
    kind: OpKind,
    own_request_id: String,
    payload: Value,
}

impl From<OutboxEntry> for Queued {
    fn from(entry: OutboxEntry) -> Queued {
        Queued {
            id: entry.id,
            local_id: entry.local_id,
            entity: entry.entity_type,
            kind: entry.operation,
            own_request_id: entry.request_id,
            payload: entry.payload,
        }
    }
}

impl Queued {
    /// The batch's request id, or the entry's own for an entry sent alone.
    fn batch_request_id(&self) -> String {
        self.payload
            .pointer("/batch/requestId")
            .and_then(Value::as_str)
            .map_or_else(|| self.own_request_id.clone(), str::to_owned)
    }

    /// The item's `bId`.
    fn batch_id(&self) -> String {
        self.payload
            .pointer("/batch/bId")
            .and_then(Value::as_str)
            .map_or_else(|| "1".to_owned(), str::to_owned)
    }

    fn body(&self) -> Value {
        self.payload.get("body").cloned().unwrap_or(Value::Null)
    }

    /// The local version the operation was built from.
    fn planned(&self) -> Option<&Value> {
        self.payload
            .get("planned")
            .filter(|planned| !planned.is_null())
    }

    fn batch_item(&self) -> BatchItem {
        let body = self.body();
        let id = qbo_id_of(&body).unwrap_or_default();
        let token = super::reconcile::sync_token_of(&body).unwrap_or_default();
        let batch_id = self.batch_id();
        match self.kind {
            OpKind::Create => BatchItem::create(batch_id, &self.entity, body),
            OpKind::Update | OpKind::Deactivate => {
                if body.get("sparse") == Some(&Value::Bool(false)) {
                    BatchItem::update(batch_id, &self.entity, body)
                } else {
                    BatchItem::sparse_update(batch_id, &self.entity, body)
                }
            }
            OpKind::Delete => BatchItem::delete(batch_id, &self.entity, &id, &token),
            OpKind::Void => BatchItem::void(batch_id, &self.entity, &id, &token),
        }
    }
}

/// Outbox entries grouped by the batch they were sent in, oldest first.
fn group_batches(entries: Vec<Queued>) -> Vec<(String, Vec<Queued>)> {
    let mut groups: Vec<(String, Vec<Queued>)> = Vec::new();
    for entry in entries {
        let request_id = entry.batch_request_id();
        match groups.iter_mut().find(|(known, _)| *known == request_id) {
            Some((_, members)) => members.push(entry),
            None => groups.push((request_id, vec![entry])),
        }
    }
    groups
}

/// Which records a wave sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wave {
    /// Lists (so that transactions can reference what they create).
    Lists,
    /// Transactions.
    Transactions,
}

impl Wave {
    fn entities(self) -> &'static [&'static str] {
        match self {
            Wave::Lists => MASTER_ENTITIES,
            Wave::Transactions => TRANSACTION_ENTITIES,
        }
    }
}

/// A party reference that names a customer or vendor without an id.
#[derive(Debug, Clone)]
struct NamedParty {
    field: &'static str,
    kind: NameKind,
    name: String,
}

/// The top-level references to customers and vendors that carry a name but
/// no id (a bill typed with a new supplier's name).
fn named_parties(entity: &str, object: &Value) -> Vec<NamedParty> {
    let mut found = Vec::new();
    let fields: &[(&'static str, NameKind)] = match entity {
        "Invoice" | "SalesReceipt" | "Estimate" | "CreditMemo" | "Payment" => {
            &[("CustomerRef", NameKind::Customer)]
        }
        "Bill" | "VendorCredit" | "PurchaseOrder" | "BillPayment" => {
            &[("VendorRef", NameKind::Vendor)]
        }
        "Purchase" => &[("EntityRef", NameKind::Vendor)],
        _ => &[],
    };
    for (field, default_kind) in fields {
        let Some(reference) = object.get(*field) else {
            continue;
        };
        let has_id = match reference.get("value") {
            Some(Value::String(id)) => !id.trim().is_empty(),
            Some(Value::Number(_)) => true,
            _ => false,
        };
        let name = reference
            .get("name")
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default();
        if has_id || name.is_empty() {
            continue;
        }
        let kind = match reference.get("type").and_then(Value::as_str) {
            Some("Customer") => NameKind::Customer,
            Some("Employee") => continue,
            Some("Vendor") => NameKind::Vendor,
            _ => *default_kind,
        };
        found.push(NamedParty {
            field,
            kind,
            name: name.to_owned(),
        });
    }
    found
}

/// Points a reference at a party by id.
fn bind_reference(object: &mut Value, field: &str, id: &str, name: &str) {
    if let Some(reference) = object.get_mut(field).and_then(Value::as_object_mut) {
        reference.insert("value".to_owned(), json!(id));
        reference.insert("name".to_owned(), json!(name));
    }
}

/// A party's display name.
fn display_name(object: &Value) -> String {
    object
        .get("DisplayName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The shared name space of customers, vendors and employees.
struct Names {
    directory: NameDirectory,
    names: HashMap<String, String>,
}

impl Names {
    /// The display name of a party id, or `fallback`.
    fn name_of(&self, id: &str, fallback: &str) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| fallback.to_owned())
    }
}

/// An outbox entry's payload: the body sent, its place in its batch, and
/// the local version it was planned from. Built member by member: `json!`
/// would rebuild each document through serde, which a push of thousands
/// of records pays for.
fn outbox_payload(body: Value, request_id: &str, index: usize, planned: Option<Value>) -> Value {
    let mut payload = serde_json::Map::new();
    payload.insert("body".to_owned(), body);
    payload.insert(
        "batch".to_owned(),
        json!({"requestId": request_id, "bId": (index + 1).to_string()}),
    );
    payload.insert("planned".to_owned(), planned.unwrap_or(Value::Null));
    Value::Object(payload)
}

/// What sending one batch came to.
#[derive(Debug, Default)]
struct Sent {
    /// Records QuickBooks had a newer version of were merged and wait for
    /// another push.
    replan: bool,
}

impl<T: TokenSource + 'static> Engine<T> {
    /// Step 1 of a cycle: resends every outbox entry that has no confirmed
    /// answer yet, in its original batch under its original request id.
    pub(crate) async fn recover(
        &self,
        report: &mut SyncReport,
        progress: ProgressFn<'_>,
        cancel: &CancelFlag,
    ) -> Result<(), EngineError> {
        let outbox: Vec<Queued> = self
            .store
            .outbox()
            .await?
            .into_iter()
            .map(Queued::from)
            .collect();
        if outbox.is_empty() {
            return Ok(());
        }
        let total = u64::try_from(outbox.len()).ok();
        let mut done = 0_u64;
        for (request_id, entries) in group_batches(outbox) {
            check_cancel(cancel)?;
            progress(SyncProgress {
                phase: SyncPhase::Recovering,
                entity: None,
                done,
                total,
            });
            done += u64::try_from(entries.len()).unwrap_or(0);
            self.send_batch(&request_id, entries, report).await?;
        }
        progress(SyncProgress {
            phase: SyncPhase::Recovering,
            entity: None,
            done,
            total,
        });
        Ok(())
    }

    /// Step 3 of a cycle.
    pub(crate) async fn push(
        &self,
        report: &mut SyncReport,
        progress: ProgressFn<'_>,
        cancel: &CancelFlag,
    ) -> Result<(), EngineError> {
        let moved_items = self.items_moved_by_pending().await?;
        let pushed_before = report.pushed;
        // A second round sends what a stale answer merged in the first.
        for round in 0..2 {
            check_cancel(cancel)?;
            // The waiting records are read once, lists and transactions
            // together: the transactions for the parties they name and, when
            // no list entry waits to go first, to be sent as they were read.
            // The writing lock is held from that read to their outbox, so
            // nothing can change them in between. A large push spent a tenth
            // of a second reading them twice before its first batch left.
            let mut writing = self.writing.lock().await;
            let (mut lists, mut transactions) = self.sendable_by_wave().await?;
            if round == 0
                && self.config.auto_create_parties
                && self.prepare_parties(&mut transactions).await?
            {
                lists = self.sendable(Wave::Lists.entities()).await?;
            }
            let mut replan = false;
            if !lists.is_empty() {
                // The lists go first; what they created and what changed
                // while they were on their way is read afresh.
                replan = self
                    .push_wave(Wave::Lists, writing, lists, report, progress, cancel)
                    .await?;
                writing = self.writing.lock().await;
                transactions = self.sendable(Wave::Transactions.entities()).await?;
            }
            replan |= self
                .push_wave(
                    Wave::Transactions,
                    writing,
                    transactions,
                    report,
                    progress,
                    cancel,
                )
                .await?;
            if !replan {
                break;
            }
        }
        // QuickBooks moved the quantities of the items these documents name:
        // read them now, so the default location never counts a sale twice
        // or not at all until the next pull.
        if report.pushed > pushed_before && !moved_items.is_empty() {
            self.refresh_items(&moved_items, report).await?;
        }
        self.push_stock(report).await
    }

    /// Every list entry QuickBooks has, for reference checks.
    pub(crate) async fn reference_index(&self) -> Result<ReferenceIndex, EngineError> {
        let masters = self.store.records_of(MASTER_ENTITIES).await?;
        Ok(ReferenceIndex::from_records(masters.iter().filter_map(
            |record| {
                let qbo_id = record.qbo_id.as_deref()?;
                if record.state == RecordState::Deleted || record.remote_deleted {
                    return None;
                }
                Some((
                    record.entity_type.as_str(),
                    qbo_id,
                    shown(record)?,
                    record.active,
                ))
            },
        )))
    }

    /// Every customer, vendor and employee name QuickBooks has, and the
    /// display name of each id (the three lists share one id sequence).
    async fn name_directory(&self) -> Result<Names, EngineError> {
        let people = self
            .store
            .records_of(&["Customer", "Vendor", "Employee"])
            .await?;
        let entries = people
            .iter()
            .filter(|record| record.state != RecordState::Deleted)
            .filter_map(|record| {
                let kind = match record.entity_type.as_str() {
                    "Customer" => NameKind::Customer,
                    "Vendor" => NameKind::Vendor,
                    _ => NameKind::Employee,
                };
                Some(NameEntry {
                    id: record.qbo_id.clone()?,
                    kind,
                    display_name: display_name(shown(record)?),
                    active: record.active,
                })
            })
            .collect::<Vec<_>>();
        let names = entries
            .iter()
            .map(|entry| (entry.id.clone(), entry.display_name.clone()))
            .collect();
        Ok(Names {
            directory: NameDirectory::new(entries),
            names,
        })
    }

    /// Records waiting to be sent (not in conflict, not refused as they
    /// are, not already in the outbox — an entry there is resent by the
    /// recovery under its own request id, never planned a second time).
    async fn sendable(&self, entities: &[&str]) -> Result<Vec<RecordRow>, EngineError> {
        let queued: HashSet<String> = self
            .store
            .outbox()
            .await?
            .into_iter()
            .map(|entry| entry.local_id)
            .collect();
        // A change the user held back waits until it is released.
        let held = self.store.held_records().await?;
        Ok(self
            .store
            .pending_records_of(entities)
            .await?
            .into_iter()
            .filter(|record| !queued.contains(&record.local_id))
            .filter(|record| !held.contains(&record.local_id))
            .filter(|record| record.state != RecordState::Conflict)
            .filter(|record| !refused_by_quickbooks(record))
            .filter(|record| !self.held_by_product_master(record))
            .collect())
    }

    /// What [`Self::sendable`] gives for every type, as lists and
    /// transactions.
    async fn sendable_by_wave(&self) -> Result<(Vec<RecordRow>, Vec<RecordRow>), EngineError> {
        let every: Vec<&str> = MASTER_ENTITIES
            .iter()
            .chain(TRANSACTION_ENTITIES)
            .copied()
            .collect();
        Ok(self
            .sendable(&every)
            .await?
            .into_iter()
            .partition(|record| MASTER_ENTITIES.contains(&record.entity_type.as_str())))
    }

    /// A new item made here while QuickBooks is the product master stays
    /// here: the catalogue reports it instead.
    pub(crate) fn held_by_product_master(&self, record: &RecordRow) -> bool {
        record.entity_type == "Item"
            && record.qbo_id.is_none()
            && self.config.products.master == crate::stock::ProductMaster::QuickBooks
    }

    /// Customers and vendors made here and not yet in QuickBooks, by list
    /// and lower-cased name.
    async fn unsent_parties(&self) -> Result<HashSet<(&'static str, String)>, EngineError> {
        let mut unsent = HashSet::new();
        for record in self
            .store
            .records_not_in_quickbooks(&["Customer", "Vendor"])
            .await?
        {
            let name = shown(&record).map(display_name).unwrap_or_default();
            let list = if record.entity_type == "Customer" {
                "Customer"
            } else {
                "Vendor"
            };
            unsent.insert((list, name.trim().to_lowercase()));
        }
        Ok(unsent)
    }

    /// Before the lists are sent: every customer or vendor that a waiting
    /// transaction names without an id is found, reactivated or created as a
    /// new local list entry (never colliding with a name of another list,
    /// PITFALLS 9), and the reference is pointed at it.
    /// `waiting` are the transactions waiting to be sent, read under the
    /// writing lock, which the caller holds; those that change are updated
    /// in place as well as stored. Returns whether a customer or vendor was
    /// created or made active again (the lists waiting to be sent changed).
    async fn prepare_parties(&self, waiting: &mut [RecordRow]) -> Result<bool, EngineError> {
        let mut directory: Option<Names> = None;
        let mut reactivated: HashSet<String> = HashSet::new();
        let mut created_any = false;
        let mut staged = Staged::default();
        let now = self.now();
        // New parties not yet in QuickBooks, by list and name: read only
        // when a waiting record names a party, and then only those parties,
        // so that a cycle with nothing to send does not read the lists.
        let mut unsent: Option<HashSet<(&'static str, String)>> = None;
        for record in waiting
            .iter_mut()
            .filter(|record| record.intent == Intent::None)
        {
            let Some(read) = &record.local else {
                continue;
            };
            let wanted = named_parties(&record.entity_type, read);
            if wanted.is_empty() {
                continue;
            }
            let mut local = read.clone();
            let unsent = match &mut unsent {
                Some(unsent) => unsent,
                None => unsent.insert(self.unsent_parties().await?),
            };
            let directory = match &mut directory {
                Some(directory) => directory,
                None => directory.insert(self.name_directory().await?),
            };
            let label = label_of(record);
            for party in wanted {
                match resolve_party_name(&party.name, party.kind, &directory.directory) {
                    NameResolution::Existing { id } => {
                        let name = directory.name_of(&id, &party.name);
                        bind_reference(&mut local, party.field, &id, &name);
                    }
                    NameResolution::Reactivate { id } if reactivated.contains(&id) => {
                        let name = directory.name_of(&id, &party.name);
                        bind_reference(&mut local, party.field, &id, &name);
                    }
                    NameResolution::Reactivate { id } => {
                        let entity = party.kind.entity();
                        let found = match staged_record(&staged, entity, &id) {
                            Some(found) => Some(found),
                            None => self.store.record_by_qbo_id(entity, &id).await?,
                        };
                        let Some(mut existing) = found else {
                            continue;
                        };
                        let before = existing.local.clone();
                        if let Some(object) = existing.local.as_mut().and_then(Value::as_object_mut)
                        {
                            object.insert("Active".to_owned(), json!(true));
                        }
                        existing.state = RecordState::Pending;
                        existing.intent = Intent::None;
                        existing.local_updated_at = Some(now);
                        refresh_columns(&mut existing);
                        let name = shown(&existing).map(display_name).unwrap_or_default();
                        staged.changes.history.push(history(
                            &existing,
                            now,
                            Direction::Local,
                            "update",
                            before,
                            existing.local.clone(),
                            format!(
                                "{} made active again for {label} ({})",
                                label_of(&existing),
                                party.field
                            ),
                        ));
                        staged.put(existing);
                        reactivated.insert(id.clone());
                        bind_reference(&mut local, party.field, &id, &name);
                    }
                    NameResolution::Create { display_name } => {
                        let list = party.kind.entity();
                        let key = (list, display_name.trim().to_lowercase());
                        if unsent.insert(key) {
                            created_any = true;
                            let mut created = RecordRow::new(self.new_local_id(), list);
                            created.local = Some(json!({ "DisplayName": display_name }));
                            created.state = RecordState::Pending;
                            created.local_updated_at = Some(now);
                            refresh_columns(&mut created);
                            staged.changes.history.push(history(
                                &created,
                                now,
                                Direction::Local,
                                "create",
                                None,
                                created.local.clone(),
                                format!(
                                    "{} created for {label} ({}), which names it",
                                    label_of(&created),
                                    party.field
                                ),
                            ));
                            staged.put(created);
                        }
                        // The reference keeps naming the party, now by the
                        // name it is created under; it gets the id once
                        // QuickBooks has the party.
                        if let Some(reference) =
                            local.get_mut(party.field).and_then(Value::as_object_mut)
                        {
                            reference.insert("name".to_owned(), json!(display_name));
                        }
                    }
                }
            }
            if record.local.as_ref() != Some(&local) {
                record.local = Some(local);
                refresh_columns(record);
                staged.put(record.clone());
            }
        }
        self.commit(staged.changes).await?;
        Ok(created_any || !reactivated.is_empty())
    }

    /// Validates, plans, queues and sends one wave: `candidates` are its
    /// waiting records, read under `writing`, which is released once the
    /// whole plan is in the outbox. Returns whether a stale answer left
    /// records to send again.
    async fn push_wave(
        &self,
        wave: Wave,
        writing: MutexGuard<'_, ()>,
        candidates: Vec<RecordRow>,
        report: &mut SyncReport,
        progress: ProgressFn<'_>,
        cancel: &CancelFlag,
    ) -> Result<bool, EngineError> {
        check_cancel(cancel)?;
        if candidates.is_empty() {
            return Ok(false);
        }
        let now = self.now();
        let refs = self.reference_index().await?;
        let directory = if wave == Wave::Transactions {
            Some(self.name_directory().await?)
        } else {
            None
        };
        let mut staged = Staged::default();
        let mut ready: Vec<RecordRow> = Vec::new();
        for mut record in candidates {
            let Some(local) = record.local.as_mut() else {
                continue;
            };
            // A party named without an id that QuickBooks now has is bound
            // to it; most records name theirs by id and are left as read.
            let mut bound = false;
            if let Some(directory) = &directory {
                for party in named_parties(&record.entity_type, local) {
                    if let NameResolution::Existing { id } =
                        resolve_party_name(&party.name, party.kind, &directory.directory)
                    {
                        let name = directory.name_of(&id, &party.name);
                        let before = local.get(party.field).cloned();
                        bind_reference(local, party.field, &id, &name);
                        bound |= local.get(party.field) != before.as_ref();
                    }
                }
            }
            if bound {
                refresh_columns(&mut record);
                staged.put(record.clone());
            }
            let problems = match &record.local {
                Some(local) if record.intent == Intent::None => {
                    self.blocking_problems(&record.entity_type, local, &refs)
                }
                _ => Vec::new(),
            };
            if !problems.is_empty() {
                let message = problems.join(" ");
                report.failed.push(RecordFailure {
                    local_id: record.local_id.clone(),
                    entity: record.entity_type.clone(),
                    label: label_of(&record),
                    message: message.clone(),
                });
                if record.state != RecordState::Error || record.error.as_deref() != Some(&message) {
                    record.state = RecordState::Error;
                    record.error = Some(message);
                    staged.put(record);
                }
                continue;
            }
            ready.push(record);
        }
        let changes: Vec<PendingChange<'_>> = ready
            .iter()
            .filter_map(|record| {
                Some(PendingChange {
                    local_id: &record.local_id,
                    entity_type: &record.entity_type,
                    qbo_id: record.qbo_id.as_deref(),
                    sync_token: record.sync_token.as_deref(),
                    base: record.base.as_ref(),
                    local: record.local.as_ref()?,
                    intent: record.intent,
                })
            })
            .collect();
        let planned = plan(&changes);
        let refused: BTreeMap<&str, &str> = planned
            .refused
            .iter()
            .map(|(local_id, reason)| (local_id.as_str(), reason.as_str()))
            .collect();
        let operations: BTreeMap<&str, &Operation> = planned
            .operations
            .iter()
            .map(|operation| (operation.local_id.as_str(), operation))
            .collect();
        for record in &ready {
            // Most records go out as they are: only those that change here
            // are copied to be staged.
            let refusal = refused.get(record.local_id.as_str());
            let is_planned = operations.contains_key(record.local_id.as_str());
            if refusal.is_none() && is_planned && record.state != RecordState::Error {
                continue;
            }
            let mut record = record.clone();
            if let Some(reason) = refusal {
                report.failed.push(RecordFailure {
                    local_id: record.local_id.clone(),
                    entity: record.entity_type.clone(),
                    label: label_of(&record),
                    message: (*reason).to_owned(),
                });
                record.state = RecordState::Error;
                record.error = Some((*reason).to_owned());
                staged.put(record);
            } else if !is_planned {
                // Nothing QuickBooks would see changed (an edit undone by
                // hand, or a delete of something never sent).
                if record.intent != Intent::None && record.qbo_id.is_none() {
                    record.state = RecordState::Deleted;
                } else {
                    record.state = RecordState::Synced;
                }
                record.intent = Intent::None;
                record.error = None;
                staged.put(record);
            } else if record.state == RecordState::Error {
                record.state = RecordState::Pending;
                record.error = None;
                staged.put(record);
            }
        }
        self.commit(staged.changes).await?;
        let total = u64::try_from(planned.operations.len()).ok();
        // The plan goes into the outbox a few batches at a time while the
        // batches already there are on their way, stage after stage.
        let (stages, mut ready_stages) = mpsc::unbounded();
        // The plan and the records it was made from belong to the queueing,
        // so they are freed when it ends, while the stored batches wait for
        // the pacer. Freeing thousands of documents takes milliseconds; after
        // the last answer it added to the push's time.
        let queueing = async move {
            let by_local: HashMap<&str, &RecordRow> = ready
                .iter()
                .map(|record| (record.local_id.as_str(), record))
                .collect();
            self.queue_plan(writing, &planned, &by_local, now, stages)
                .await
        };
        let sending = async {
            let mut done = 0_u64;
            let mut replan = false;
            while let Some((entity, batches)) = ready_stages.next().await {
                replan |= self
                    .send_stage(
                        entity,
                        batches,
                        (&mut done, total),
                        report,
                        progress,
                        cancel,
                    )
                    .await?;
            }
            progress(SyncProgress {
                phase: SyncPhase::Pushing,
                entity: None,
                done,
                total,
            });
            Ok::<bool, EngineError>(replan)
        };
        let (queued, sent) = futures::join!(queueing, sending);
        queued?;
        sent
    }

    /// Writes a plan's batches into the outbox and hands each stage's
    /// batches to the sender as soon as they are stored (every request id is stored before its first
    /// send). The writing lock is released when the whole plan is stored,
    /// so no local edit comes between the plan and its outbox; a batch the
    /// sender does not reach (after a failure or a cancel) waits there for
    /// the next cycle's recovery, as every planned operation did before.
    async fn queue_plan(
        &self,
        writing: MutexGuard<'_, ()>,
        planned: &Plan,
        by_local: &HashMap<&str, &RecordRow>,
        now: DateTime<Utc>,
        stages: mpsc::UnboundedSender<ReadyStage>,
    ) -> Result<(), EngineError> {
        let mut stage: Option<mpsc::UnboundedSender<ReadyBatch>> = None;
        let mut previous: Option<&Operation> = None;
        let batches = planned.batches(self.config.batch_size.clamp(1, 30));
        // The first batch leaves as soon as it is stored; the rest go into
        // the outbox in transactions twice as large each time, so that a
        // large plan takes a few transactions, not one per batch.
        let mut rest = batches.as_slice();
        let mut chunk_size = 1_usize;
        while !rest.is_empty() {
            let (chunk, later) = rest.split_at(chunk_size.min(rest.len()));
            rest = later;
            chunk_size = chunk_size.saturating_mul(2);
            let mut entries: Vec<NewOutboxEntry> = Vec::new();
            let mut request_ids: Vec<String> = Vec::with_capacity(chunk.len());
            for batch in chunk {
                let request_id = RequestId::new().to_string();
                entries.extend(batch.iter().enumerate().map(|(index, operation)| {
                    NewOutboxEntry {
                        local_id: operation.local_id.clone(),
                        entity_type: operation.entity.clone(),
                        operation: operation.kind,
                        request_id: RequestId::new().to_string(),
                        payload: outbox_payload(
                            operation.body.clone(),
                            &request_id,
                            index,
                            by_local
                                .get(operation.local_id.as_str())
                                .and_then(|record| record.local.clone()),
                        ),
                        created_at: now,
                    }
                }));
                request_ids.push(request_id);
            }
            let ids = self.store.queue_operations(&entries).await?;
            let mut queued = entries.into_iter().zip(ids).map(|(entry, id)| Queued {
                id,
                local_id: entry.local_id,
                entity: entry.entity_type,
                kind: entry.operation,
                own_request_id: entry.request_id,
                payload: entry.payload,
            });
            for (batch, request_id) in chunk.iter().zip(request_ids) {
                // Batches of one stage never depend on each other and may
                // travel together; a new stage waits for the last.
                let new_stage = match (previous, batch.first()) {
                    (Some(earlier), Some(first)) => first.must_follow(earlier),
                    _ => true,
                };
                previous = batch.first().or(previous);
                if new_stage || stage.is_none() {
                    let (batches, ready) = mpsc::unbounded();
                    let entity = batch.first().map(|operation| operation.entity.clone());
                    // A sender that stopped no longer reads; what is stored
                    // waits for the recovery.
                    let _ = stages.unbounded_send((entity, ready));
                    stage = Some(batches);
                }
                let members: Vec<Queued> = queued.by_ref().take(batch.len()).collect();
                if let Some(stage) = &stage {
                    let _ = stage.unbounded_send((request_id, members));
                }
            }
        }
        drop(writing);
        Ok(())
    }

    /// Sends the batches of one stage as they are stored, up to
    /// [`BATCHES_AT_ONCE`] at a time (the pacer keeps them inside Intuit's
    /// limits): one batch after another, each waiting for the last answer,
    /// cannot reach the rate those limits allow. After a failure or a
    /// cancel no further batch starts, but those already sent are answered
    /// and committed first; what did not start stays in the outbox for the
    /// next cycle's recovery. Returns whether a stale answer left records to
    /// send again.
    async fn send_stage(
        &self,
        entity: Option<String>,
        batches: mpsc::UnboundedReceiver<ReadyBatch>,
        (done, total): (&mut u64, Option<u64>),
        report: &mut SyncReport,
        progress: ProgressFn<'_>,
        cancel: &CancelFlag,
    ) -> Result<bool, EngineError> {
        progress(SyncProgress {
            phase: SyncPhase::Pushing,
            entity,
            done: *done,
            total,
        });
        let stopping = AtomicBool::new(false);
        let mut sends = batches
            .map(|(request_id, queued)| {
                let stopping = &stopping;
                async move {
                    let mut own = SyncReport::default();
                    if stopping.load(Ordering::SeqCst) {
                        return (Ok(None), 0, None, own);
                    }
                    let entity = queued.first().map(|entry| entry.entity.clone());
                    let count = u64::try_from(queued.len()).unwrap_or(0);
                    // A cancel leaves the rest queued; the next cycle's
                    // recovery sends it.
                    let result = match check_cancel(cancel) {
                        Ok(()) => self
                            .send_batch(&request_id, queued, &mut own)
                            .await
                            .map(Some),
                        Err(cancelled) => Err(cancelled),
                    };
                    (result, count, entity, own)
                }
            })
            .buffered(BATCHES_AT_ONCE);
        let mut replan = false;
        let mut first_error: Option<EngineError> = None;
        while let Some((result, count, entity, own)) = sends.next().await {
            report.absorb(own);
            match result {
                Ok(Some(sent)) => {
                    replan |= sent.replan;
                    *done += count;
                    progress(SyncProgress {
                        phase: SyncPhase::Pushing,
                        entity,
                        done: *done,
                        total,
                    });
                }
                Ok(None) => {}
                Err(error) => {
                    stopping.store(true, Ordering::SeqCst);
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(replan),
        }
    }

    /// The messages of the issues that stop a record's push.
    fn blocking_problems(&self, entity: &str, local: &Value, refs: &ReferenceIndex) -> Vec<String> {
        let mut problems = Vec::new();
        for issue in validate(entity, local, refs) {
            if issue.code.blocks_push() {
                problems.push(issue.message);
            } else if issue.code == IssueCode::AutoCreate {
                // Still only a name: the party is not in QuickBooks yet.
                problems.push(if self.config.auto_create_parties {
                    format!(
                        "{} Waiting for it to reach QuickBooks ({}).",
                        issue.message, issue.field
                    )
                } else {
                    format!(
                        "{}: {} names a party QuickBooks does not have. Choose an existing one (automatic creation is off for this company).",
                        crate::entities::display_label(entity, local),
                        issue.field
                    )
                });
            }
        }
        problems
    }

    /// Sends one batch and commits every answer with its record.
    async fn send_batch(
        &self,
        request_id: &str,
        entries: Vec<Queued>,
        report: &mut SyncReport,
    ) -> Result<Sent, EngineError> {
        if entries.is_empty() {
            return Ok(Sent::default());
        }
        let request = RequestId::parse(request_id).unwrap_or_default();
        let items: Vec<BatchItem> = entries.iter().map(Queued::batch_item).collect();
        let results = match self.client.batch(items, &request).await {
            Ok(results) => results,
            Err(error) => return self.batch_failed(entries, error, report).await,
        };
        // Stale items: read QuickBooks' version before taking the lock.
        let mut fresh: HashMap<i64, Result<Value, QboError>> = HashMap::new();
        for (entry, result) in entries.iter().zip(&results) {
            if matches!(&result.outcome, Err(error) if error.kind() == ErrorKind::Stale) {
                let id = qbo_id_of(&entry.body()).unwrap_or_default();
                fresh.insert(entry.id, self.client.get_entity(&entry.entity, &id).await);
            }
        }
        let _writing = self.writing.lock().await;
        let local_ids: Vec<&str> = entries
            .iter()
            .map(|entry| entry.local_id.as_str())
            .collect();
        let stored: HashMap<String, RecordRow> = self
            .store
            .records_by_local_ids(&local_ids)
            .await?
            .into_iter()
            .map(|record| (record.local_id.clone(), record))
            .collect();
        let now = self.now();
        let mut staged = Staged::default();
        let mut sent = Sent::default();
        let mut stop: Option<QboError> = None;
        for (entry, result) in entries.iter().zip(results) {
            let BatchItemResult { outcome, .. } = result;
            // As staged in this step, else as stored.
            let current = staged
                .get(&entry.local_id)
                .or_else(|| stored.get(&entry.local_id));
            let record = match current.cloned() {
                Some(record) => record,
                None => {
                    // The record was forgotten meanwhile; nothing to update.
                    staged.changes.outbox_done.push(entry.id);
                    continue;
                }
            };
            let label = label_of(&record);
            let failure = |message: String| RecordFailure {
                local_id: record.local_id.clone(),
                entity: record.entity_type.clone(),
                label: label.clone(),
                message,
            };
            match outcome {
                Ok(BatchAnswer::Entity { object, .. }) => {
                    let answered = apply_answer(
                        record,
                        entry.kind,
                        entry.planned(),
                        &object,
                        now,
                        request_id,
                    );
                    staged.put(answered.record);
                    staged.changes.history.push(answered.history);
                    if let Some(conflict) = answered.conflict {
                        staged.changes.conflicts_opened.push(conflict);
                        report.conflicts_opened += 1;
                    }
                    staged.changes.outbox_done.push(entry.id);
                    report.pushed += 1;
                }
                Ok(BatchAnswer::Query(_)) => {
                    staged.changes.outbox_done.push(entry.id);
                    report.failed.push(failure(
                        "QuickBooks answered a write with a query result; the change is sent again on the next sync.".to_owned(),
                    ));
                }
                Err(error) => match error.kind() {
                    ErrorKind::Stale => {
                        staged.changes.outbox_done.push(entry.id);
                        let qbo_id = record.qbo_id.clone().unwrap_or_default();
                        let entity = record.entity_type.clone();
                        match fresh.remove(&entry.id) {
                            Some(Ok(object)) => {
                                self.stage_remote(
                                    &mut staged,
                                    &entity,
                                    &qbo_id,
                                    Remote::Upserted(&object),
                                    true,
                                    report,
                                )
                                .await?;
                                sent.replan = true;
                            }
                            Some(Err(read_error)) if read_error.kind() == ErrorKind::NotFound => {
                                self.stage_remote(
                                    &mut staged,
                                    &entity,
                                    &qbo_id,
                                    Remote::Deleted,
                                    true,
                                    report,
                                )
                                .await?;
                            }
                            _ => report.failed.push(failure(format!(
                                "QuickBooks has a newer version of {label}; it is merged on the next sync."
                            ))),
                        }
                    }
                    ErrorKind::NotFound if entry.kind == OpKind::Delete => {
                        // QuickBooks answers a delete of what is already gone
                        // (deleted there too, or by an earlier send whose
                        // answer was lost) with 610: the delete has reached
                        // its outcome, so the record settles as deleted.
                        staged.changes.outbox_done.push(entry.id);
                        let qbo_id = record.qbo_id.clone().unwrap_or_default();
                        let entity = record.entity_type.clone();
                        self.stage_remote(
                            &mut staged,
                            &entity,
                            &qbo_id,
                            Remote::Deleted,
                            true,
                            report,
                        )
                        .await?;
                    }
                    ErrorKind::Validation | ErrorKind::NotFound => {
                        staged.changes.outbox_done.push(entry.id);
                        let message = format!(
                            "{REFUSED_PREFIX} {label}: {error}. Correct the record and save it to send it again."
                        );
                        report.failed.push(failure(message.clone()));
                        let mut record = record.clone();
                        record.state = RecordState::Error;
                        record.error = Some(message);
                        staged.put(record);
                    }
                    ErrorKind::Transient | ErrorKind::Protocol => {
                        // QuickBooks may have written the item before it
                        // failed (a SystemFault, an answer that could not be
                        // read): the entry stays, and the next cycle's
                        // recovery sends it again under the same batch id, so
                        // QuickBooks replays its first answer instead of
                        // writing twice.
                        staged
                            .changes
                            .outbox_attempts
                            .push((entry.id, Some(error.to_string())));
                        report.failed.push(failure(format!(
                            "{error}. The change is sent again, under the same request id, on the next sync."
                        )));
                        stop.get_or_insert(error);
                    }
                    ErrorKind::Throttled => {
                        // Refused before it ran: the change is planned again,
                        // with a new id, on the next cycle.
                        staged.changes.outbox_done.push(entry.id);
                        report.failed.push(failure(format!(
                            "{error}. The change is sent again on the next sync."
                        )));
                        stop.get_or_insert(error);
                    }
                    ErrorKind::AuthExpired
                    | ErrorKind::ReconnectNeeded
                    | ErrorKind::SubscriptionLapsed => {
                        staged
                            .changes
                            .outbox_attempts
                            .push((entry.id, Some(error.to_string())));
                        stop.get_or_insert(error);
                    }
                },
            }
        }
        self.commit(staged.changes).await?;
        match stop {
            Some(error) => Err(EngineError::Qbo(error)),
            None => Ok(sent),
        }
    }

    /// A batch without an answer. When QuickBooks may have run it (no answer
    /// arrived, or one that could not be read) or never saw it (throttled,
    /// refused token), the entries stay for the next cycle's recovery and
    /// the cycle stops. A batch refused as a whole spent its id: its records
    /// are marked refused.
    async fn batch_failed(
        &self,
        entries: Vec<Queued>,
        error: QboError,
        report: &mut SyncReport,
    ) -> Result<Sent, EngineError> {
        let _writing = self.writing.lock().await;
        let mut staged = Staged::default();
        let keep = matches!(
            error.kind(),
            ErrorKind::Transient
                | ErrorKind::Throttled
                | ErrorKind::Protocol
                | ErrorKind::AuthExpired
                | ErrorKind::ReconnectNeeded
                | ErrorKind::SubscriptionLapsed
        );
        for entry in &entries {
            if keep {
                staged
                    .changes
                    .outbox_attempts
                    .push((entry.id, Some(error.to_string())));
                continue;
            }
            staged.changes.outbox_done.push(entry.id);
            if let Some(mut record) = self.store.record(&entry.local_id).await? {
                let label = label_of(&record);
                let message = format!(
                    "{REFUSED_PREFIX} {label}: {error}. Correct the record and save it to send it again."
                );
                report.failed.push(RecordFailure {
                    local_id: record.local_id.clone(),
                    entity: record.entity_type.clone(),
                    label,
                    message: message.clone(),
                });
                record.state = RecordState::Error;
                record.error = Some(message);
                staged.put(record);
            }
        }
        self.commit(staged.changes).await?;
        if keep {
            Err(EngineError::Qbo(error))
        } else {
            Ok(Sent::default())
        }
    }
}

/// A staged record by QuickBooks id.
fn staged_record(staged: &Staged, entity: &str, qbo_id: &str) -> Option<RecordRow> {
    staged
        .changes
        .records
        .iter()
        .find(|record| record.entity_type == entity && record.qbo_id.as_deref() == Some(qbo_id))
        .cloned()
}
