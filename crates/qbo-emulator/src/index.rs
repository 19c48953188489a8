//! The documents of one entity type with the indexes the hot paths need, so
//! that a query page and a create's duplicate-name check cost what the page
//! or the name costs, not what the whole company costs:
//!
//! - the documents themselves, ordered by numeric `Id` (a `WHERE Id > 'n'`
//!   page is a range scan);
//! - the display names, names and fully qualified names, trimmed and
//!   case-folded, each to the ids that carry it (the duplicate-name rule);
//! - the orders queries ask for (`ORDERBY MetaData.LastUpdatedTime`,
//!   `TxnDate`, `DocNumber`, `DisplayName`, ...), built on the first query
//!   that asks and then kept up to date from a journal of the ids written
//!   since, so paging through a company sorts it once.
//!
//! Every write goes through [`TypeDocs::insert`], [`TypeDocs::remove`] or the
//! [`DocMut`] guard of [`TypeDocs::get_mut`], which keep the indexes true.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::{Deref, DerefMut, RangeBounds};
use std::sync::{Mutex, OnceLock, PoisonError};

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::query::{OrderKey, compare_for_order, sorted_ids};

/// The name fields QBO keeps unique (per type, or across customers, vendors
/// and employees for `DisplayName`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameField {
    DisplayName,
    Name,
    FullyQualifiedName,
}

impl NameField {
    const ALL: [NameField; 3] = [
        NameField::DisplayName,
        NameField::Name,
        NameField::FullyQualifiedName,
    ];

    /// The JSON field name.
    pub fn as_str(self) -> &'static str {
        match self {
            NameField::DisplayName => "DisplayName",
            NameField::Name => "Name",
            NameField::FullyQualifiedName => "FullyQualifiedName",
        }
    }
}

/// Ids written since the orders were last brought up to date are kept up to
/// this many; past it every cached order is rebuilt on its next use, which
/// costs one sort instead of a long replay.
const JOURNAL_CAPACITY: usize = 4096;
/// Distinct orders kept per type; the least recently used one goes first.
const ORDERS_KEPT: usize = 8;

/// A stored document and its JSON text. The text is written when the
/// document is stored, forgotten when it changes in place and written again
/// by the next page that serves it (or by [`TypeDocs::write_texts`]): turning documents into text was three
/// quarters of the emulator's time in a client's first pull, and written on
/// first serving it cost more than it saved (each document is served once),
/// so a page of a first pull is now mostly copied.
#[derive(Debug)]
pub struct StoredDoc {
    doc: Value,
    text: OnceLock<Box<RawValue>>,
}

impl StoredDoc {
    fn new(doc: Value) -> Self {
        let stored = StoredDoc {
            doc,
            text: OnceLock::new(),
        };
        stored.text();
        stored
    }

    /// The document.
    pub fn value(&self) -> &Value {
        &self.doc
    }

    /// The document's compact JSON text, the same as serialising it. None
    /// only if it could not be written, when the document itself is.
    fn text(&self) -> Option<&RawValue> {
        if let Some(text) = self.text.get() {
            return Some(text);
        }
        let text = serde_json::value::to_raw_value(&self.doc).ok()?;
        Some(self.text.get_or_init(|| text))
    }
}

impl PartialEq for StoredDoc {
    fn eq(&self, other: &StoredDoc) -> bool {
        self.doc == other.doc
    }
}

impl Serialize for StoredDoc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.text() {
            Some(text) => text.serialize(serializer),
            None => self.doc.serialize(serializer),
        }
    }
}

/// The stored documents of one type and their indexes.
#[derive(Debug, Default)]
pub struct TypeDocs {
    docs: BTreeMap<u64, StoredDoc>,
    names: HashMap<(NameField, String), BTreeSet<u64>>,
    /// Ids written (created, changed, removed) in this epoch, in order.
    journal: Vec<u64>,
    /// Moves on when the journal overflows; an order built in an earlier
    /// epoch is rebuilt.
    epoch: u64,
    /// Interior mutability: a query reads the company but brings its cached
    /// order up to date. Queries on one company are serialised by the
    /// company's own lock, so this one is never contended.
    orders: Mutex<OrderCache>,
}

#[derive(Debug, Default)]
struct OrderCache {
    orders: Vec<SortedOrder>,
    uses: u64,
}

/// The ids of every document of the type, sorted as `keys` (then `Id`) sort
/// them, as of journal position `seen` in `epoch`.
#[derive(Debug)]
struct SortedOrder {
    keys: Vec<OrderKey>,
    epoch: u64,
    seen: usize,
    ids: Vec<u64>,
    last_used: u64,
}

impl TypeDocs {
    /// How many documents are stored.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether none is stored.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// One document by id.
    pub fn get(&self, id: u64) -> Option<&Value> {
        self.docs.get(&id).map(StoredDoc::value)
    }

    /// One document by id, with its text.
    pub fn stored(&self, id: u64) -> Option<&StoredDoc> {
        self.docs.get(&id)
    }

    /// The documents, by ascending id.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + '_ {
        self.docs.values().map(StoredDoc::value)
    }

    /// The ids, ascending.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = u64> + '_ {
        self.docs.keys().copied()
    }

    /// The documents whose id falls in `range`, by ascending id.
    pub fn range(
        &self,
        range: impl RangeBounds<u64>,
    ) -> impl DoubleEndedIterator<Item = &Value> + '_ {
        self.docs.range(range).map(|(_, doc)| doc.value())
    }

    /// The documents whose id falls in `range`, with their texts, by
    /// ascending id.
    pub fn stored_range(
        &self,
        range: impl RangeBounds<u64>,
    ) -> impl DoubleEndedIterator<Item = &StoredDoc> + '_ {
        self.docs.range(range).map(|(_, doc)| doc)
    }

    /// Writes the text of every document that has none.
    pub fn write_texts(&self) {
        for doc in self.docs.values() {
            doc.text();
        }
    }

    /// Stores a document under `id`, replacing any former one.
    pub fn insert(&mut self, id: u64, doc: Value) {
        let before = name_keys(doc_object(self.get(id)));
        let after = name_keys(doc.as_object());
        reindex_names(&mut self.names, id, before, after);
        self.docs.insert(id, StoredDoc::new(doc));
        self.note(id);
    }

    /// Removes a document.
    pub fn remove(&mut self, id: u64) -> Option<Value> {
        let removed = self.docs.remove(&id)?.doc;
        reindex_names(
            &mut self.names,
            id,
            name_keys(removed.as_object()),
            Vec::new(),
        );
        self.note(id);
        Some(removed)
    }

    /// A document to change in place; the indexes follow when the guard is
    /// dropped.
    pub fn get_mut(&mut self, id: u64) -> Option<DocMut<'_>> {
        let TypeDocs {
            docs,
            names,
            journal,
            epoch,
            ..
        } = self;
        let stored = docs.get_mut(&id)?;
        // The text is written again from the changed document when next
        // served.
        stored.text = OnceLock::new();
        let doc = stored.doc.as_object_mut()?;
        let before = name_keys(Some(&*doc));
        note(journal, epoch, id);
        Some(DocMut {
            id,
            doc,
            names,
            before,
        })
    }

    /// The ids of the documents whose `field`, trimmed, equals `value`
    /// ignoring ASCII case.
    pub fn named<'a>(
        &'a self,
        field: NameField,
        value: &str,
    ) -> impl Iterator<Item = u64> + use<'a> {
        self.names
            .get(&(field, value.to_ascii_lowercase()))
            .into_iter()
            .flatten()
            .copied()
    }

    /// Runs `read` over the ids of every document sorted by `keys` (then by
    /// `Id`), exactly as [`crate::query::execute`] would sort them. The order
    /// is built on first use and then brought up to date from the journal.
    pub fn with_sorted<R>(&self, keys: &[OrderKey], read: impl FnOnce(&[u64]) -> R) -> R {
        let mut cache = self.orders.lock().unwrap_or_else(PoisonError::into_inner);
        cache.uses += 1;
        let uses = cache.uses;
        let position = match cache.orders.iter().position(|order| order.keys == keys) {
            Some(position) => position,
            None => {
                let oldest = cache
                    .orders
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, order)| order.last_used)
                    .map(|(position, _)| position);
                if cache.orders.len() >= ORDERS_KEPT
                    && let Some(oldest) = oldest
                {
                    cache.orders.swap_remove(oldest);
                }
                cache.orders.push(SortedOrder {
                    keys: keys.to_vec(),
                    epoch: self.epoch,
                    seen: self.journal.len(),
                    ids: sorted_ids(keys, &self.docs),
                    last_used: uses,
                });
                cache.orders.len() - 1
            }
        };
        let order = &mut cache.orders[position];
        order.last_used = uses;
        self.refresh(order);
        read(&order.ids)
    }

    /// Brings a cached order up to date: the ids written since it was built
    /// leave it and go back in at their sorted place, or, when many were
    /// written, it is sorted again.
    fn refresh(&self, order: &mut SortedOrder) {
        let pending = self.journal.len().saturating_sub(order.seen);
        if order.epoch != self.epoch || pending > (self.docs.len() / 16).max(64) {
            order.ids = sorted_ids(&order.keys, &self.docs);
        } else if pending > 0 {
            let written: HashSet<u64> = self.journal[order.seen..].iter().copied().collect();
            order.ids.retain(|id| !written.contains(id));
            let mut written: Vec<u64> = written.into_iter().collect();
            written.sort_unstable();
            for id in written {
                let Some(doc) = self.get(id) else {
                    continue;
                };
                let at = order.ids.partition_point(|other| {
                    self.get(*other).is_some_and(|other| {
                        compare_for_order(&order.keys, other, doc) == std::cmp::Ordering::Less
                    })
                });
                order.ids.insert(at, id);
            }
        }
        order.epoch = self.epoch;
        order.seen = self.journal.len();
    }

    fn note(&mut self, id: u64) {
        note(&mut self.journal, &mut self.epoch, id);
    }
}

fn note(journal: &mut Vec<u64>, epoch: &mut u64, id: u64) {
    if journal.len() >= JOURNAL_CAPACITY {
        journal.clear();
        *epoch += 1;
    }
    journal.push(id);
}

fn doc_object(doc: Option<&Value>) -> Option<&Map<String, Value>> {
    doc.and_then(Value::as_object)
}

/// The index keys of a document's name fields: trimmed and ASCII-folded, so
/// that a lookup matches what `trim().eq_ignore_ascii_case(..)` matched.
fn name_keys(doc: Option<&Map<String, Value>>) -> Vec<(NameField, String)> {
    let Some(doc) = doc else {
        return Vec::new();
    };
    NameField::ALL
        .into_iter()
        .filter_map(|field| {
            doc.get(field.as_str())
                .and_then(Value::as_str)
                .map(|name| (field, name.trim().to_ascii_lowercase()))
        })
        .collect()
}

fn reindex_names(
    names: &mut HashMap<(NameField, String), BTreeSet<u64>>,
    id: u64,
    before: Vec<(NameField, String)>,
    after: Vec<(NameField, String)>,
) {
    if before == after {
        return;
    }
    for key in before {
        if let Some(ids) = names.get_mut(&key) {
            ids.remove(&id);
            if ids.is_empty() {
                names.remove(&key);
            }
        }
    }
    for key in after {
        names.entry(key).or_default().insert(id);
    }
}

/// A stored document borrowed for a change in place (a balance, a stock
/// quantity, a SyncToken); when dropped, the name index follows the change.
#[derive(Debug)]
pub struct DocMut<'a> {
    id: u64,
    doc: &'a mut Map<String, Value>,
    names: &'a mut HashMap<(NameField, String), BTreeSet<u64>>,
    before: Vec<(NameField, String)>,
}

impl Deref for DocMut<'_> {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Map<String, Value> {
        &*self.doc
    }
}

impl DerefMut for DocMut<'_> {
    fn deref_mut(&mut self) -> &mut Map<String, Value> {
        &mut *self.doc
    }
}

impl Drop for DocMut<'_> {
    fn drop(&mut self) {
        let after = name_keys(Some(&*self.doc));
        let before = std::mem::take(&mut self.before);
        reindex_names(&mut *self.names, self.id, before, after);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn served(docs: &TypeDocs, id: u64) -> String {
        serde_json::to_string(&docs.stored(id)).unwrap_or_default()
    }

    /// A document's text is kept once served, and follows every change to
    /// the document: in place, replaced, removed.
    #[test]
    fn a_served_text_follows_the_document() {
        let mut docs = TypeDocs::default();
        docs.insert(
            7,
            json!({"Id": "7", "DisplayName": "Before", "SyncToken": "0"}),
        );
        assert_eq!(
            served(&docs, 7),
            r#"{"Id":"7","DisplayName":"Before","SyncToken":"0"}"#
        );
        if let Some(mut doc) = docs.get_mut(7) {
            doc.insert("SyncToken".to_owned(), json!("1"));
        }
        assert_eq!(
            served(&docs, 7),
            r#"{"Id":"7","DisplayName":"Before","SyncToken":"1"}"#
        );
        docs.insert(7, json!({"Id": "7", "DisplayName": "After"}));
        assert_eq!(served(&docs, 7), r#"{"Id":"7","DisplayName":"After"}"#);
        docs.remove(7);
        assert_eq!(served(&docs, 7), "null");
    }
}
