//! The rows the store keeps and the small enums stored as text.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::StoreError;

/// Declares a text-stored enum with `as_str`, `parse` and serde/ts-rs in snake_case.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
        #[serde(rename_all = "snake_case")]
        #[ts(export, rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// The text stored in the database and sent to the UI.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Reads the stored text.
            pub fn parse(text: &str) -> Result<Self, StoreError> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(StoreError::Damaged {
                        what: format!("an unknown {} \"{other}\"", stringify!($name)),
                    }),
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = StoreError;

            fn from_str(text: &str) -> Result<Self, StoreError> {
                $name::parse(text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// Where a record stands between the two sides.
    RecordState {
        /// Both sides agree.
        Synced => "synced",
        /// A local change waits for the next push.
        Pending => "pending",
        /// Both sides changed it differently; the user decides.
        Conflict => "conflict",
        /// The last push failed or validation holds it back; `error` says why.
        Error => "error",
        /// Deleted (in QuickBooks, or here and pushed); kept for history.
        Deleted => "deleted",
    }
);

text_enum!(
    /// A local operation that is not an edit of fields.
    Intent {
        /// Nothing beyond the fields.
        None => "none",
        /// Delete (transactions) or make inactive (lists).
        Delete => "delete",
        /// Void.
        Void => "void",
    }
);

text_enum!(
    /// The kind of an outbox operation.
    OpKind {
        /// Create in QuickBooks.
        Create => "create",
        /// Update (sparse or full).
        Update => "update",
        /// Delete a transaction.
        Delete => "delete",
        /// Void a transaction.
        Void => "void",
        /// Make a list entry inactive.
        Deactivate => "deactivate",
    }
);

text_enum!(
    /// What kind of disagreement a conflict is.
    ConflictKind {
        /// Both sides edited the same fields differently.
        EditEdit => "edit_edit",
        /// Edited here, deleted in QuickBooks.
        LocalEditRemoteDelete => "local_edit_remote_delete",
        /// Deleted here, edited in QuickBooks.
        LocalDeleteRemoteEdit => "local_delete_remote_edit",
    }
);

text_enum!(
    /// Which way a change went.
    Direction {
        /// From QuickBooks into the local books.
        Pull => "pull",
        /// From the local books to QuickBooks.
        Push => "push",
        /// Made in the app, not yet pushed.
        Local => "local",
    }
);

text_enum!(
    /// Where a company is reached.
    CompanyKind {
        /// The embedded demo emulator.
        Demo => "demo",
        /// Intuit, with the user's keys.
        Intuit => "intuit",
        /// An emulator reached by URL.
        Emulator => "emulator",
        /// QuickBooks through a Ledgerlink relay, which holds the Intuit
        /// app's keys.
        Relay => "relay",
    }
);

text_enum!(
    /// Whether the app holds working tokens for a company.
    ConnectionState {
        /// Never connected, or disconnected.
        NotConnected => "not_connected",
        /// Tokens are stored.
        Connected => "connected",
        /// QuickBooks refused the grant; the user must connect again.
        ReconnectNeeded => "reconnect_needed",
    }
);

text_enum!(
    /// The sort column of a record list.
    RecordSort {
        /// Transaction date.
        TxnDate => "txn_date",
        /// Name or label.
        Name => "name",
        /// Document number.
        DocNumber => "doc_number",
        /// Total amount (exact).
        Amount => "amount",
        /// Latest change on either side.
        Updated => "updated",
    }
);

/// A company this installation keeps.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct CompanyRow {
    /// Our id (a UUID), also the keyring entry name.
    pub id: String,
    /// The name shown in the switcher.
    pub name: String,
    /// Demo, Intuit or emulator.
    pub kind: CompanyKind,
    /// `sandbox`, `production` or `emulator`.
    pub environment: String,
    /// The OpenID discovery document.
    pub discovery_url: String,
    /// The Accounting API host.
    pub api_base_url: Option<String>,
    /// The app's client id (the secret is in the keyring only).
    pub client_id: Option<String>,
    /// A hosted https redirect page, when used.
    pub redirect_page: Option<String>,
    /// QuickBooks' company id, once connected.
    pub realm_id: Option<String>,
    /// Whether tokens are held.
    pub connection: ConnectionState,
    /// Per-company settings, a JSON object the app owns.
    #[ts(type = "unknown")]
    pub settings: Value,
    /// When it was added.
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    /// When the last sync finished.
    #[ts(type = "string | null")]
    pub last_sync_at: Option<DateTime<Utc>>,
    /// Why the last sync failed.
    pub last_sync_error: Option<String>,
    /// The relay a company connects, refreshes and hears of changes
    /// through; None for companies reached with the app's own keys.
    pub relay_url: Option<String>,
}

/// The columns lists, search and sorting use, filled by the engine from
/// the record's JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct RecordSummary {
    /// DisplayName, Name or FullyQualifiedName.
    pub name: Option<String>,
    /// The document number.
    pub doc_number: Option<String>,
    /// The transaction date.
    #[ts(type = "string | null")]
    pub txn_date: Option<NaiveDate>,
    /// The total, exact.
    #[ts(type = "string | null")]
    pub amount: Option<Decimal>,
    /// The customer, vendor or payee's name.
    pub counterparty: Option<String>,
}

/// One QBO object as the local books know it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct RecordRow {
    /// Our id (a UUID).
    pub local_id: String,
    /// The QBO entity name (`Invoice`).
    pub entity_type: String,
    /// QuickBooks' id, once it exists there.
    pub qbo_id: Option<String>,
    /// The base's SyncToken.
    pub sync_token: Option<String>,
    /// The last version both sides agreed on.
    #[ts(type = "unknown")]
    pub base: Option<Value>,
    /// The working copy.
    #[ts(type = "unknown")]
    pub local: Option<Value>,
    /// The latest QuickBooks version seen.
    #[ts(type = "unknown")]
    pub remote: Option<Value>,
    /// Synced, pending, conflict, error or deleted.
    pub state: RecordState,
    /// A local delete or void waiting for the push.
    pub intent: Intent,
    /// QuickBooks hard-deleted it.
    pub remote_deleted: bool,
    /// False for an inactive list entry.
    pub active: bool,
    /// Columns for lists.
    pub summary: RecordSummary,
    /// The last push or validation error, naming the field.
    pub error: Option<String>,
    /// When it was last changed here.
    #[ts(type = "string | null")]
    pub local_updated_at: Option<DateTime<Utc>>,
    /// QuickBooks' `MetaData.LastUpdatedTime` of the remote version.
    #[ts(type = "string | null")]
    pub remote_updated_at: Option<DateTime<Utc>>,
}

/// A record whose base, local and QuickBooks versions are one, kept as the
/// text QuickBooks sent: see [`Changeset::agreed_records`].
#[derive(Debug, Clone)]
pub struct AgreedRecord {
    /// Identity, state, times and list columns. Its versions (`base`,
    /// `local`, `remote`) are not read: `text` is all three.
    pub record: RecordRow,
    /// QuickBooks' version, the JSON object as it came.
    pub text: Box<serde_json::value::RawValue>,
    /// The object's top-level members the store's own columns are read from
    /// (an open invoice's or bill's `Balance`, `HomeBalance`, `DueDate` and
    /// `CurrencyRef`): the whole object, or an object holding at least those.
    pub members: Value,
}

impl PartialEq for AgreedRecord {
    fn eq(&self, other: &AgreedRecord) -> bool {
        self.record == other.record
            && self.text.get() == other.text.get()
            && self.members == other.members
    }
}

impl RecordRow {
    /// A new record with nothing but its identity, for builders to fill.
    pub fn new(local_id: impl Into<String>, entity_type: impl Into<String>) -> RecordRow {
        RecordRow {
            local_id: local_id.into(),
            entity_type: entity_type.into(),
            qbo_id: None,
            sync_token: None,
            base: None,
            local: None,
            remote: None,
            state: RecordState::Synced,
            intent: Intent::None,
            remote_deleted: false,
            active: true,
            summary: RecordSummary::default(),
            error: None,
            local_updated_at: None,
            remote_updated_at: None,
        }
    }
}

/// Which records a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFilter {
    /// One entity type, or all.
    pub entity_type: Option<String>,
    /// Only these states; empty is any.
    pub states: Vec<RecordState>,
    /// A case-insensitive substring of name, number or counterparty.
    pub search: Option<String>,
    /// The first transaction date.
    pub date_from: Option<NaiveDate>,
    /// The last transaction date.
    pub date_to: Option<NaiveDate>,
    /// Include deleted records.
    pub include_deleted: bool,
    /// Only invoices and bills with something left to pay (QuickBooks'
    /// `Balance` above zero): open invoices, unpaid bills.
    pub open_only: bool,
    /// The sort column.
    pub sort: RecordSort,
    /// Largest first.
    pub descending: bool,
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return.
    pub limit: u64,
}

impl Default for RecordFilter {
    fn default() -> Self {
        RecordFilter {
            entity_type: None,
            states: Vec::new(),
            search: None,
            date_from: None,
            date_to: None,
            include_deleted: false,
            open_only: false,
            sort: RecordSort::Updated,
            descending: true,
            offset: 0,
            limit: 100,
        }
    }
}

/// An operation to send, written before it is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutboxEntry {
    /// The record.
    pub local_id: String,
    /// Its entity type.
    pub entity_type: String,
    /// What to do.
    pub operation: OpKind,
    /// The `requestid` sent with it, reused on every retry.
    pub request_id: String,
    /// The body to send.
    pub payload: Value,
    /// When it was planned.
    pub created_at: DateTime<Utc>,
}

/// An operation waiting in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    /// Its id (the order it was planned in).
    pub id: i64,
    /// The record.
    pub local_id: String,
    /// Its entity type.
    pub entity_type: String,
    /// What to do.
    pub operation: OpKind,
    /// The `requestid`.
    pub request_id: String,
    /// The body.
    pub payload: Value,
    /// When it was planned.
    pub created_at: DateTime<Utc>,
    /// How often it was tried.
    pub attempts: u32,
    /// The last failure.
    pub last_error: Option<String>,
}

/// A conflict to open.
#[derive(Debug, Clone, PartialEq)]
pub struct NewConflict {
    /// The record.
    pub local_id: String,
    /// Its entity type.
    pub entity_type: String,
    /// Edit/edit or edit/delete.
    pub kind: ConflictKind,
    /// The last agreed version.
    pub base: Option<Value>,
    /// The local version (None: deleted here).
    pub local: Option<Value>,
    /// QuickBooks' version (None: deleted there).
    pub remote: Option<Value>,
    /// The conflicting fields, as the engine serialises them.
    pub fields: Value,
    /// When it was found.
    pub opened_at: DateTime<Utc>,
}

/// A stored conflict.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictRow {
    /// Its id.
    pub id: i64,
    /// The record.
    pub local_id: String,
    /// Its entity type.
    pub entity_type: String,
    /// Edit/edit or edit/delete.
    pub kind: ConflictKind,
    /// The last agreed version.
    pub base: Option<Value>,
    /// The local version.
    pub local: Option<Value>,
    /// QuickBooks' version.
    pub remote: Option<Value>,
    /// The conflicting fields.
    pub fields: Value,
    /// When it was found.
    pub opened_at: DateTime<Utc>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// How.
    pub resolution: Option<Value>,
}

/// A history entry to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewHistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// The record.
    pub local_id: String,
    /// Its entity type.
    pub entity_type: String,
    /// QuickBooks' id.
    pub qbo_id: Option<String>,
    /// Pull, push or local.
    pub direction: Direction,
    /// create, update, delete, void, merge, resolve, undo, inactivate…
    pub operation: String,
    /// The version before.
    pub before: Option<Value>,
    /// The version after.
    pub after: Option<Value>,
    /// The `requestid` of a push.
    pub request_id: Option<String>,
    /// One line for people.
    pub summary: String,
}

/// A stored history entry.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// Its id (increasing).
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// The record.
    pub local_id: String,
    /// Its entity type.
    pub entity_type: String,
    /// QuickBooks' id.
    pub qbo_id: Option<String>,
    /// Pull, push or local.
    pub direction: Direction,
    /// What happened.
    pub operation: String,
    /// The version before.
    pub before: Option<Value>,
    /// The version after.
    pub after: Option<Value>,
    /// The `requestid` of a push.
    pub request_id: Option<String>,
    /// One line for people.
    pub summary: String,
}

/// Which history entries to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    /// One record's, or all.
    pub local_id: Option<String>,
    /// Entries to skip (newest first).
    pub offset: u64,
    /// Entries to return.
    pub limit: u64,
}

/// Everything one step of the engine changes, applied all or nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changeset {
    /// Records to insert or replace (by `local_id`).
    pub records: Vec<RecordRow>,
    /// Records to insert or replace (by `local_id`) whose three versions
    /// are one: QuickBooks' version as it sent it, which is also the base and
    /// the local version. They are stored as `records` would store them, but
    /// never parsed into three copies first: a first sync stages whole pages
    /// of them.
    pub agreed_records: Vec<AgreedRecord>,
    /// Records to forget entirely (their outbox entries and conflicts go too).
    pub removed_records: Vec<String>,
    /// Operations to queue.
    pub outbox_added: Vec<NewOutboxEntry>,
    /// Operations confirmed by QuickBooks.
    pub outbox_done: Vec<i64>,
    /// Operations tried once more, with the last error.
    pub outbox_attempts: Vec<(i64, Option<String>)>,
    /// Conflicts found.
    pub conflicts_opened: Vec<NewConflict>,
    /// Conflicts resolved: id, resolution, when.
    pub conflicts_resolved: Vec<(i64, Value, DateTime<Utc>)>,
    /// History to append.
    pub history: Vec<NewHistoryEntry>,
    /// Bookmarks to set.
    pub bookmarks: Vec<(String, String)>,
    /// Catalogue entries to insert or replace.
    pub catalogue: Vec<CatalogueRow>,
    /// Locations to insert or rename.
    pub locations: Vec<LocationRow>,
    /// Locations to remove, with the stock kept there.
    pub removed_locations: Vec<String>,
    /// Stock levels to insert or replace.
    pub stock: Vec<StockRow>,
    /// Quantity changes waiting for QuickBooks, to insert or replace.
    pub stock_pushes: Vec<StockPush>,
    /// Quantity changes QuickBooks has, by product.
    pub stock_pushes_done: Vec<String>,
    /// QuickBooks objects a full scan read, marked as seen by it.
    pub scan_marks: Vec<ScanMark>,
    /// Statement lines accepted with the records made from them: a line
    /// that is no longer acceptable refuses the whole changeset.
    pub statement_links: Vec<crate::StatementLink>,
}

/// The QuickBooks objects of one type that a full scan read in one page.
/// Marking them lets the scan ask the store, at its end, which live records
/// it did not see, without keeping every id it read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanMark {
    /// The entity type.
    pub entity_type: String,
    /// The scan's number, the same for every page of one scan.
    pub mark: i64,
    /// The QuickBooks ids read.
    pub qbo_ids: Vec<String>,
}

impl Changeset {
    /// Nothing to apply.
    pub fn is_empty(&self) -> bool {
        self == &Changeset::default()
    }
}

/// The ids a commit gave, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    /// Of `outbox_added`.
    pub outbox_ids: Vec<i64>,
    /// Of `conflicts_opened`.
    pub conflict_ids: Vec<i64>,
    /// Of `history`.
    pub history_ids: Vec<i64>,
}

/// The id of the location every company starts with.
pub const MAIN_LOCATION_ID: &str = "main";

/// A catalogue entry: an Item record and where it first came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueRow {
    /// The Item record.
    pub local_id: String,
    /// `initial`, `quickbooks` or `ledgerlink`.
    pub origin: String,
    /// When the catalogue first saw it.
    pub seen_at: DateTime<Utc>,
}

/// A stock location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRow {
    /// Its id.
    pub id: String,
    /// Its name, unique regardless of case.
    pub name: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// A product's stock at one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockRow {
    /// The Item record.
    pub local_id: String,
    /// The location.
    pub location_id: String,
    /// On hand (not read at the default location for stock-tracked products).
    pub on_hand: Decimal,
    /// The reorder minimum.
    pub minimum: Option<Decimal>,
}

/// A change of the default location's quantity that QuickBooks does not
/// have yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockPush {
    /// The Item record.
    pub local_id: String,
    /// Units not yet in QuickBooks (including any being sent).
    pub delta: Decimal,
    /// The request id of the send in flight.
    pub request_id: Option<String>,
    /// The `QtyOnHand` the send in flight sets.
    pub target: Option<Decimal>,
    /// The units the send in flight carries.
    pub sent_delta: Option<Decimal>,
    /// Why QuickBooks refused the last send.
    pub error: Option<String>,
    /// The SyncToken of the item version the send in flight's target was
    /// computed from; the send carries it, so a moved item is refused as
    /// stale rather than overwritten.
    pub sync_token: Option<String>,
}

/// The invoices or bills of a company with something left to pay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenDocuments {
    /// How many.
    pub count: u64,
    /// What is left to pay on them, in the home currency as QuickBooks
    /// states each balance.
    pub total: Decimal,
    /// How many are past their due date.
    pub overdue_count: u64,
    /// What is left to pay on those.
    pub overdue_total: Decimal,
}

/// One finished sync, as the sync-activity chart counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRun {
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// Only a pull (a timer tick in review mode, a live update), no push.
    pub pull_only: bool,
    /// Remote changes applied locally.
    pub pulled: u64,
    /// Operations QuickBooks confirmed.
    pub pushed: u64,
    /// Conflicts it opened.
    pub conflicts_opened: u64,
    /// Records held back or refused.
    pub refused: u64,
    /// It stopped with an error.
    pub failed: bool,
}
