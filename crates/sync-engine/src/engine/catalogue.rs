//! The product catalogue at run time: keeping it in step with the Item
//! records, reading it with each product's stock, setting stock by hand,
//! sending the default location's quantity changes to QuickBooks, and
//! re-reading the items a push moved. The arithmetic is in [`crate::stock`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use local_store::{
    CatalogueRow, Changeset, Intent, LocationRow, RecordRow, RecordState, StockPush, StockRow,
};
use qbo_client::query::Query;
use qbo_client::{QboError, RequestId, TokenSource};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::pull::{Remote, Staged};
use super::reconcile::{shown, sync_token_of};
use super::{Engine, EngineError, LocalEdit, SyncReport};
use crate::stock::{
    CatalogueKind, Origin, ProductMaster, document_effect, moves_stock, not_synced_reason,
    pending_effect, qty_on_hand, quantity_json,
};

/// Set once the catalogue has taken in the items of the first sync.
const CATALOGUE_BOOKMARK: &str = "catalogue_ready";

/// The most item ids one re-read query names.
const ITEMS_PER_QUERY: usize = 100;

/// One entry of the catalogue as read.
#[derive(Debug, Clone)]
pub struct CatalogueEntry {
    /// The Item record.
    pub record: RecordRow,
    /// What it is.
    pub kind: CatalogueKind,
    /// Where it first came from.
    pub origin: Origin,
    /// Why it is not synced, when it is not.
    pub not_synced: Option<String>,
    /// Per location: on hand and minimum. At the default location a
    /// product's quantity is QuickBooks' plus what is waiting to go there.
    pub stock: BTreeMap<String, (Decimal, Option<Decimal>)>,
    /// Why the default location's quantity may not be exact.
    pub quantity_note: Option<String>,
}

/// How QuickBooks answered one counted quantity change.
enum CountAnswer {
    /// It took the change: the item as it is now.
    Taken(Value),
    /// The item had changed since it was read: the item as it is now; the
    /// change is computed again on the next round.
    Stale(Value),
    /// It refused the change, for this reason.
    Refused(String),
}

/// The whole catalogue with its locations.
#[derive(Debug, Clone, Default)]
pub struct CatalogueSnapshot {
    /// Every location.
    pub locations: Vec<LocationRow>,
    /// Every item in the catalogue, synced or not.
    pub entries: Vec<CatalogueEntry>,
    /// What the accountant should know, each a sentence saying what to do.
    pub notices: Vec<String>,
}

/// The version of a document that moves stock locally: none when it is to
/// be deleted or voided.
fn local_version(record: &RecordRow) -> Option<&Value> {
    match record.intent {
        Intent::Delete | Intent::Void => None,
        _ => record.local.as_ref().or(record.remote.as_ref()),
    }
}

/// QuickBooks' version of a document: none once deleted there.
fn remote_version(record: &RecordRow) -> Option<&Value> {
    if record.remote_deleted {
        None
    } else {
        record.remote.as_ref()
    }
}

/// The item records by every id a line may name them with: QuickBooks' id,
/// and the local id of an item not yet in QuickBooks.
struct ItemIndex<'a> {
    by_reference: HashMap<&'a str, &'a RecordRow>,
}

impl<'a> ItemIndex<'a> {
    fn new(items: &'a [RecordRow]) -> Self {
        let mut by_reference = HashMap::new();
        for item in items {
            by_reference.insert(item.local_id.as_str(), item);
            if let Some(id) = item.qbo_id.as_deref() {
                by_reference.insert(id, item);
            }
        }
        ItemIndex { by_reference }
    }

    fn get(&self, reference: &str) -> Option<&'a RecordRow> {
        self.by_reference.get(reference).copied()
    }

    /// Whether QuickBooks tracks the quantity of the item a line names.
    fn is_tracked(&self, reference: &str) -> bool {
        self.get(reference).is_some_and(tracks_quantity)
    }

    /// Whether any item has its quantity tracked.
    fn tracks_any(&self) -> bool {
        self.by_reference.values().any(|item| tracks_quantity(item))
    }
}

/// Whether QuickBooks tracks the quantity of this item.
fn tracks_quantity(item: &RecordRow) -> bool {
    shown(item).and_then(CatalogueKind::of_item) == Some(CatalogueKind::Product)
}

/// `SELECT * FROM Item WHERE Id IN (…)`, written by qbo-client's builder,
/// which escapes every value the way QuickBooks reads it.
fn items_statement(ids: &[&String]) -> Result<String, QboError> {
    Ok(Query::select("Item")
        .one_of("Id", ids.iter().map(|id| id.as_str()))
        .statement(None, None)?)
}

impl<T: TokenSource + 'static> Engine<T> {
    /// Takes new Item records into the catalogue and gives every synced
    /// product and part its place at the default location. Items in
    /// QuickBooks at the first sync are the shared start and always synced;
    /// later ones are synced when created on the master side.
    pub(crate) async fn refresh_catalogue(&self) -> Result<(), EngineError> {
        let _writing = self.writing.lock().await;
        let rules = &self.config.products;
        let ready = self.store.bookmark(CATALOGUE_BOOKMARK).await?.is_some();
        let items = self.store.records_of(&["Item"]).await?;
        let known: HashMap<String, CatalogueRow> = self
            .store
            .catalogue()
            .await?
            .into_iter()
            .map(|row| (row.local_id.clone(), row))
            .collect();
        let stocked: BTreeSet<(String, String)> = self
            .store
            .stock()
            .await?
            .into_iter()
            .map(|level| (level.local_id, level.location_id))
            .collect();
        let now = self.now();
        let mut changes = Changeset::default();
        for item in &items {
            let Some(kind) = shown(item).and_then(CatalogueKind::of_item) else {
                continue;
            };
            let origin = match known.get(&item.local_id) {
                Some(row) => Origin::parse(&row.origin).unwrap_or(Origin::Initial),
                None => {
                    let origin = if item.qbo_id.is_none() {
                        Origin::Ledgerlink
                    } else if ready {
                        Origin::QuickBooks
                    } else {
                        Origin::Initial
                    };
                    changes.catalogue.push(CatalogueRow {
                        local_id: item.local_id.clone(),
                        origin: origin.as_str().to_owned(),
                        seen_at: now,
                    });
                    origin
                }
            };
            let synced = not_synced_reason(origin, rules.master).is_none();
            let placed = stocked.contains(&(item.local_id.clone(), rules.default_location.clone()));
            if synced && kind.has_stock() && !placed {
                let from_quickbooks = origin != Origin::Ledgerlink;
                let on_hand = if kind == CatalogueKind::Part && from_quickbooks {
                    rules.non_inventory_quantity
                } else {
                    Decimal::ZERO
                };
                // QuickBooks' own reorder point, where the item has one,
                // says more about this product than the company default.
                let reorder_point = shown(item)
                    .and_then(|version| version.get("ReorderPoint"))
                    .and_then(crate::entities::decimal);
                changes.stock.push(StockRow {
                    local_id: item.local_id.clone(),
                    location_id: rules.default_location.clone(),
                    on_hand,
                    minimum: from_quickbooks
                        .then(|| reorder_point.unwrap_or(rules.minimum_quantity)),
                });
            }
        }
        if !ready {
            changes
                .bookmarks
                .push((CATALOGUE_BOOKMARK.to_owned(), now.to_rfc3339()));
        }
        self.commit(changes).await?;
        Ok(())
    }

    /// The catalogue with every product's stock per location.
    pub async fn catalogue(&self) -> Result<CatalogueSnapshot, EngineError> {
        let rules = &self.config.products;
        let items = self.store.records_of(&["Item"]).await?;
        let index = ItemIndex::new(&items);
        let origins: HashMap<String, Origin> = self
            .store
            .catalogue()
            .await?
            .into_iter()
            .map(|row| {
                let origin = Origin::parse(&row.origin).unwrap_or(Origin::Initial);
                (row.local_id, origin)
            })
            .collect();
        let mut levels: HashMap<String, BTreeMap<String, (Decimal, Option<Decimal>)>> =
            HashMap::new();
        for level in self.store.stock().await? {
            levels
                .entry(level.local_id)
                .or_default()
                .insert(level.location_id, (level.on_hand, level.minimum));
        }
        let pushes: HashMap<String, StockPush> = self
            .store
            .stock_pushes()
            .await?
            .into_iter()
            .map(|push| (push.local_id.clone(), push))
            .collect();
        // What documents edited here still have to move, by item record.
        let mut waiting: HashMap<String, Decimal> = HashMap::new();
        for record in self.store.pending_records().await?.iter().chain(
            self.store
                .records(&local_store::RecordFilter {
                    states: vec![RecordState::Conflict],
                    limit: u64::from(u32::MAX),
                    ..local_store::RecordFilter::default()
                })
                .await?
                .iter(),
        ) {
            if !moves_stock(&record.entity_type) {
                continue;
            }
            let effect = pending_effect(
                &record.entity_type,
                local_version(record),
                remote_version(record),
                |reference| index.is_tracked(reference),
            );
            for (reference, units) in effect {
                if let Some(item) = index.get(&reference) {
                    *waiting.entry(item.local_id.clone()).or_default() += units;
                }
            }
        }

        let mut entries = Vec::new();
        let mut notices = Vec::new();
        for item in &items {
            let Some(version) = shown(item) else { continue };
            let Some(kind) = CatalogueKind::of_item(version) else {
                continue;
            };
            let Some(origin) = origins.get(&item.local_id).copied() else {
                // Not taken in yet: it arrived or was made after the last sync.
                continue;
            };
            let mut stock = levels.remove(&item.local_id).unwrap_or_default();
            let mut quantity_note = None;
            if kind == CatalogueKind::Product {
                let push = pushes.get(&item.local_id);
                let adjusted = push.map(|push| push.delta).unwrap_or_default();
                let on_hand = qty_on_hand(version)
                    + waiting.get(&item.local_id).copied().unwrap_or_default()
                    + adjusted;
                let entry = stock
                    .entry(rules.default_location.clone())
                    .or_insert((Decimal::ZERO, None));
                entry.0 = on_hand;
                if let Some(error) = push.and_then(|push| push.error.as_deref()) {
                    quantity_note = Some(format!(
                        "QuickBooks refused the last quantity change ({error}); the quantity shown \
                         includes it. Correct the count and sync again."
                    ));
                } else if item.state == RecordState::Conflict && !adjusted.is_zero() {
                    quantity_note = Some(
                        "The item is in conflict: the counted change waits until the conflict is \
                         resolved, and QuickBooks' quantity may differ until then."
                            .to_owned(),
                    );
                } else if item.qbo_id.is_some() && !adjusted.is_zero() {
                    quantity_note = Some(
                        "A counted change is waiting for the next sync to reach QuickBooks."
                            .to_owned(),
                    );
                }
            }
            if kind == CatalogueKind::Category && item.state == RecordState::Error {
                notices.push(format!(
                    "QuickBooks refused the category \"{}\": {} Categories must be turned on in \
                     QuickBooks (Account and settings ▸ Sales ▸ Products and services) for \
                     categories to sync; turn them on and sync again.",
                    item.summary.name.as_deref().unwrap_or("?"),
                    item.error.as_deref().unwrap_or("no reason given.")
                ));
            }
            entries.push(CatalogueEntry {
                kind,
                origin,
                not_synced: not_synced_reason(origin, rules.master),
                stock,
                quantity_note,
                record: item.clone(),
            });
        }
        // QuickBooks companies from before categories group items as
        // sub-items of other items; then no categories exist to sync.
        let sub_items: Vec<&str> = items
            .iter()
            .filter(|item| {
                let Some(parent) = shown(item)
                    .and_then(|version| version.get("ParentRef"))
                    .and_then(|parent| parent.get("value"))
                    .and_then(Value::as_str)
                else {
                    return false;
                };
                index
                    .get(parent)
                    .and_then(shown)
                    .and_then(CatalogueKind::of_item)
                    .is_some_and(|kind| kind != CatalogueKind::Category)
            })
            .filter_map(|item| item.summary.name.as_deref())
            .collect();
        if let Some(example) = sub_items.first() {
            notices.push(format!(
                "{} item(s) in QuickBooks are sub-items of other items (for example \"{example}\") \
                 rather than in categories, so categories are not in use in this QuickBooks \
                 company and no product categories sync. Turn categories on in QuickBooks \
                 (Account and settings ▸ Sales ▸ Products and services) and move the items into \
                 categories; the next sync brings them in.",
                sub_items.len()
            ));
        }
        if rules.master == ProductMaster::Ledgerlink
            && entries
                .iter()
                .any(|entry| entry.origin == Origin::QuickBooks)
        {
            notices.push(
                "Ledgerlink is the product master, so products created in QuickBooks are listed \
                 as not synced. Their sales still move stock: QuickBooks' quantities of synced \
                 products are read on every sync."
                    .to_owned(),
            );
        }
        Ok(CatalogueSnapshot {
            locations: self.store.locations().await?,
            entries,
            notices,
        })
    }

    /// Creates a product here: the item record, its catalogue entry and its
    /// opening stock at the default location. Only the product master may
    /// create products.
    pub async fn create_product(
        &self,
        item: Value,
        opening: Decimal,
    ) -> Result<LocalEdit, EngineError> {
        let rules = &self.config.products;
        if rules.master != ProductMaster::Ledgerlink {
            return Err(EngineError::Refused(
                "QuickBooks is the product master: create the product in QuickBooks and it \
                 arrives with the next sync. To create products here, make Ledgerlink the \
                 product master in Settings."
                    .to_owned(),
            ));
        }
        let Some(kind) = CatalogueKind::of_item(&item) else {
            return Err(EngineError::Refused(
                "A product must be a product, a part, a service or a category.".to_owned(),
            ));
        };
        let edit = self.create_local("Item", item).await?;
        let _writing = self.writing.lock().await;
        let mut changes = Changeset {
            catalogue: vec![CatalogueRow {
                local_id: edit.record.local_id.clone(),
                origin: Origin::Ledgerlink.as_str().to_owned(),
                seen_at: self.now(),
            }],
            ..Changeset::default()
        };
        if kind.has_stock() {
            changes.stock.push(StockRow {
                local_id: edit.record.local_id.clone(),
                location_id: rules.default_location.clone(),
                // A product's opening quantity travels in the item itself.
                on_hand: if kind == CatalogueKind::Part {
                    opening
                } else {
                    Decimal::ZERO
                },
                minimum: None,
            });
        }
        self.commit(changes).await?;
        Ok(edit)
    }

    /// Sets a product's counted quantity and minimum at one location. At the
    /// default location a product's change goes to QuickBooks on the next
    /// sync as the difference from what is on hand now, so sales recorded
    /// meanwhile on either side still count.
    pub async fn set_stock(
        &self,
        local_id: &str,
        location_id: &str,
        on_hand: Decimal,
        minimum: Option<Decimal>,
    ) -> Result<(), EngineError> {
        let snapshot = self.catalogue().await?;
        if !snapshot
            .locations
            .iter()
            .any(|location| location.id == location_id)
        {
            return Err(EngineError::NotFound(format!(
                "No location {location_id}; it may have been removed. Refresh the list."
            )));
        }
        let Some(entry) = snapshot
            .entries
            .iter()
            .find(|entry| entry.record.local_id == local_id)
        else {
            return Err(EngineError::NotFound(format!(
                "No product {local_id} in the catalogue; refresh the list."
            )));
        };
        if !entry.kind.has_stock() {
            return Err(EngineError::Refused(
                "Services and categories have no stock.".to_owned(),
            ));
        }
        let _writing = self.writing.lock().await;
        let mut changes = Changeset::default();
        let mirrored = entry.kind == CatalogueKind::Product
            && location_id == self.config.products.default_location;
        if mirrored {
            let current = entry
                .stock
                .get(location_id)
                .map(|(on_hand, _)| *on_hand)
                .unwrap_or_default();
            let delta = on_hand - current;
            if !delta.is_zero() {
                let mut push = self
                    .store
                    .stock_pushes()
                    .await?
                    .into_iter()
                    .find(|push| push.local_id == local_id)
                    .unwrap_or(StockPush {
                        local_id: local_id.to_owned(),
                        delta: Decimal::ZERO,
                        request_id: None,
                        target: None,
                        sent_delta: None,
                        error: None,
                        sync_token: None,
                    });
                push.delta += delta;
                push.error = None;
                changes.stock_pushes.push(push);
            }
        }
        changes.stock.push(StockRow {
            local_id: local_id.to_owned(),
            location_id: location_id.to_owned(),
            on_hand: if mirrored { Decimal::ZERO } else { on_hand },
            minimum,
        });
        self.commit(changes).await?;
        Ok(())
    }

    /// Adds or renames a location.
    pub async fn save_location(&self, location: LocationRow) -> Result<(), EngineError> {
        let name = location.name.trim();
        if name.is_empty() {
            return Err(EngineError::Refused("A location needs a name.".to_owned()));
        }
        let locations = self.store.locations().await?;
        if locations
            .iter()
            .any(|other| other.id != location.id && other.name.eq_ignore_ascii_case(name))
        {
            return Err(EngineError::Refused(format!(
                "There is already a location called \"{name}\"; choose another name."
            )));
        }
        let _writing = self.writing.lock().await;
        self.commit(Changeset {
            locations: vec![LocationRow {
                name: name.to_owned(),
                ..location
            }],
            ..Changeset::default()
        })
        .await?;
        Ok(())
    }

    /// Removes a location and the stock recorded there. The default one
    /// mirrors QuickBooks and cannot go.
    pub async fn remove_location(&self, location_id: &str) -> Result<(), EngineError> {
        if location_id == self.config.products.default_location {
            return Err(EngineError::Refused(
                "This is the default location, which holds QuickBooks' quantities; choose \
                 another default location in Settings before removing it."
                    .to_owned(),
            ));
        }
        let _writing = self.writing.lock().await;
        self.commit(Changeset {
            removed_locations: vec![location_id.to_owned()],
            ..Changeset::default()
        })
        .await?;
        Ok(())
    }

    /// The QuickBooks ids of the stock-tracked items that documents waiting
    /// to be sent move, in either their local or QuickBooks version.
    pub(crate) async fn items_moved_by_pending(&self) -> Result<BTreeSet<String>, EngineError> {
        let items = self.store.records_of(&["Item"]).await?;
        let index = ItemIndex::new(&items);
        let mut moved = BTreeSet::new();
        // Without a stock-tracked item nothing can move, and the pending
        // documents (thousands, on a large push) need not be read.
        if !index.tracks_any() {
            return Ok(moved);
        }
        for record in self.store.pending_records().await? {
            if !moves_stock(&record.entity_type) {
                continue;
            }
            for version in [record.local.as_ref(), record.remote.as_ref()] {
                let effect = document_effect(&record.entity_type, version, |reference| {
                    index.is_tracked(reference)
                });
                for reference in effect.keys() {
                    if let Some(id) = index.get(reference).and_then(|item| item.qbo_id.clone()) {
                        moved.insert(id);
                    }
                }
            }
        }
        Ok(moved)
    }

    /// Re-reads items from QuickBooks (after a push moved their quantity)
    /// and reconciles them like any pulled change.
    pub(crate) async fn refresh_items(
        &self,
        ids: &BTreeSet<String>,
        report: &mut SyncReport,
    ) -> Result<(), EngineError> {
        let ids: Vec<&String> = ids.iter().collect();
        for chunk in ids.chunks(ITEMS_PER_QUERY) {
            let answer = self.client.query(&items_statement(chunk)?).await?;
            let objects = answer
                .get("Item")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            self.stage_and_commit_items(&objects, report).await?;
        }
        Ok(())
    }

    async fn stage_and_commit_items(
        &self,
        objects: &[Value],
        report: &mut SyncReport,
    ) -> Result<(), EngineError> {
        let _writing = self.writing.lock().await;
        let changes = self.stage_items(objects, report).await?;
        self.commit(changes).await?;
        Ok(())
    }

    /// Reconciles item objects read from QuickBooks like pulled changes; the
    /// caller holds the write lock and commits. Our own quantity changes
    /// coming back are not news to count, but a conflict they open is.
    async fn stage_items(
        &self,
        objects: &[Value],
        report: &mut SyncReport,
    ) -> Result<Changeset, EngineError> {
        let mut staged = Staged::default();
        let mut ignored = SyncReport::default();
        for object in objects {
            let Some(id) = object.get("Id").and_then(Value::as_str) else {
                continue;
            };
            self.stage_remote(
                &mut staged,
                "Item",
                id,
                Remote::Upserted(object),
                true,
                &mut ignored,
            )
            .await?;
        }
        report.conflicts_opened += ignored.conflicts_opened;
        Ok(staged.changes)
    }

    /// Sends each product's counted change of the default location's
    /// quantity as a sparse item update. The target quantity (QuickBooks'
    /// quantity plus the counted difference), the SyncToken of the item
    /// version it was computed from and the request id are stored before
    /// sending, and a resend carries exactly those: a send QuickBooks already
    /// ran is replayed by its request id, and one it did not run meets a
    /// moved item as stale instead of overwriting it. A stale answer re-reads
    /// the item and computes the target again from its new quantity.
    pub(crate) async fn push_stock(&self, report: &mut SyncReport) -> Result<(), EngineError> {
        for push in self.store.stock_pushes().await? {
            for _round in 0..STALE_ROUNDS {
                if !self.push_one_count(&push.local_id, report).await? {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Sends one product's count; true when QuickBooks answered stale and
    /// the count, computed again from the item re-read, should go again.
    async fn push_one_count(
        &self,
        local_id: &str,
        report: &mut SyncReport,
    ) -> Result<bool, EngineError> {
        let Some(push) = self.stock_push(local_id).await? else {
            return Ok(false);
        };
        let Some(record) = self.store.record(local_id).await? else {
            return Ok(false);
        };
        let (Some(qbo_id), Some(remote)) = (record.qbo_id.clone(), record.remote.clone()) else {
            // Not in QuickBooks yet: the change waits for the item.
            return Ok(false);
        };
        if CatalogueKind::of_item(&remote) != Some(CatalogueKind::Product)
            || record.state == RecordState::Conflict
        {
            return Ok(false);
        }
        let push = match (&push.request_id, push.target, &push.sync_token) {
            // A send a crash or a failure interrupted goes again as it was.
            (Some(_), Some(_), Some(_)) => push,
            // Prepared before the SyncToken was kept: the target is computed
            // again from the item as it is now, under the same request id
            // (QuickBooks replays the first answer if it ran the first send).
            (Some(_), Some(_), None) => StockPush {
                target: Some(qty_on_hand(&remote) + push.sent_delta.unwrap_or(push.delta)),
                sync_token: sync_token_of(&remote),
                ..push
            },
            _ if push.delta.is_zero() => {
                let _writing = self.writing.lock().await;
                self.commit(Changeset {
                    stock_pushes_done: vec![push.local_id.clone()],
                    ..Changeset::default()
                })
                .await?;
                return Ok(false);
            }
            _ => {
                let prepared = StockPush {
                    request_id: Some(RequestId::new().to_string()),
                    target: Some(qty_on_hand(&remote) + push.delta),
                    sent_delta: Some(push.delta),
                    sync_token: sync_token_of(&remote),
                    error: None,
                    ..push
                };
                let _writing = self.writing.lock().await;
                self.commit(Changeset {
                    stock_pushes: vec![prepared.clone()],
                    ..Changeset::default()
                })
                .await?;
                prepared
            }
        };
        let request_id = push
            .request_id
            .as_deref()
            .and_then(|id| RequestId::parse(id).ok())
            .unwrap_or_default();
        let body = json!({
            "Id": qbo_id,
            "SyncToken": push.sync_token.clone().unwrap_or_else(|| "0".to_owned()),
            "QtyOnHand": quantity_json(push.target.unwrap_or_default()),
        });
        let answer = match self.client.sparse_update("Item", &body, &request_id).await {
            Ok(item) => {
                report.pushed += 1;
                CountAnswer::Taken(item)
            }
            Err(QboError::Stale { .. }) => {
                CountAnswer::Stale(self.client.get_entity("Item", &qbo_id).await?)
            }
            Err(error) if error.is_retryable() => return Err(error.into()),
            Err(error) => CountAnswer::Refused(error.to_string()),
        };
        let stale = matches!(answer, CountAnswer::Stale(_));
        self.settle_stock_push(&push, answer, report).await?;
        Ok(stale)
    }

    /// One product's waiting count, as stored now.
    async fn stock_push(&self, local_id: &str) -> Result<Option<StockPush>, EngineError> {
        Ok(self
            .store
            .stock_pushes()
            .await?
            .into_iter()
            .find(|row| row.local_id == local_id))
    }

    /// Commits the end of one quantity send: the item as QuickBooks now
    /// has it, and what is left of the count.
    async fn settle_stock_push(
        &self,
        push: &StockPush,
        answer: CountAnswer,
        report: &mut SyncReport,
    ) -> Result<(), EngineError> {
        let _writing = self.writing.lock().await;
        // Local counts made while the change was in flight are kept.
        let current = self
            .stock_push(&push.local_id)
            .await?
            .unwrap_or_else(|| push.clone());
        let (item, left, error) = match answer {
            CountAnswer::Taken(item) => {
                let left = current.delta - push.sent_delta.unwrap_or_default();
                (Some(item), left, None)
            }
            CountAnswer::Stale(item) => (Some(item), current.delta, None),
            CountAnswer::Refused(reason) => (None, current.delta, Some(reason)),
        };
        // A replayed answer may be older than the version a pull brought
        // since; the newer one stays.
        let known = self
            .store
            .record(&push.local_id)
            .await?
            .and_then(|record| record.remote.as_ref().and_then(sync_token_number));
        let item = item.filter(|item| {
            sync_token_number(item)
                .zip(known)
                .is_none_or(|(answered, known)| answered >= known)
        });
        let mut changes = self.stage_items(item.as_slice(), report).await?;
        if left.is_zero() && error.is_none() {
            changes.stock_pushes_done.push(push.local_id.clone());
        } else {
            changes.stock_pushes.push(StockPush {
                delta: left,
                request_id: None,
                target: None,
                sent_delta: None,
                sync_token: None,
                error,
                ..current
            });
        }
        self.commit(changes).await?;
        Ok(())
    }
}

/// How often one count is computed again after a stale answer in one sync.
const STALE_ROUNDS: usize = 3;

/// An object's SyncToken as a number (QuickBooks counts them up).
fn sync_token_number(object: &Value) -> Option<u64> {
    sync_token_of(object).and_then(|token| token.parse().ok())
}

#[cfg(test)]
mod tests {
    use qbo_emulator::query::{Literal, Predicate, parse};

    use super::*;

    #[test]
    fn the_item_query_escapes_backslashes_and_quotes_as_quickbooks_reads_them() {
        let awkward = "7\\'; DROP".to_owned();
        let plain = "12".to_owned();
        let statement = items_statement(&[&plain, &awkward]).expect("a valid statement");
        let parsed = parse(&statement).expect("QuickBooks' grammar");
        assert_eq!(parsed.entity, "Item");
        assert_eq!(parsed.conditions.len(), 1, "{statement}");
        assert_eq!(
            parsed.conditions[0].predicate,
            Predicate::In(vec![Literal::String(plain), Literal::String(awkward)]),
            "{statement}"
        );
    }
}
