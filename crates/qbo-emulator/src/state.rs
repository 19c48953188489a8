//! The emulator's state: companies (realms) and the entities in them.
//!
//! An [`Emulator`] holds the companies, the clock, the OAuth server and the
//! webhook notifier. A [`Company`] holds one realm's documents and implements
//! the write operations (create, full and sparse update, delete, void) with all
//! of QBO's rules, so that the HTTP API, batch items and the seeder share one
//! code path.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};
use serde_json::{Map, Value, json};

use crate::clock::Clock;
use crate::entities::effects::{self, Effects};
use crate::entities::{self, EntityKind, IdSequence, WriteKind, str_field};
use crate::fault::Fault;
use crate::index::{DocMut, NameField, TypeDocs};
use crate::oauth::{OAuthConfig, OAuthServer};
use crate::webhooks::{Notifier, WebhookConfig};

/// Settings of an emulator instance.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Whether new companies start with multicurrency on (QBO's default is off).
    pub multicurrency: bool,
    /// The home currency of new companies.
    pub home_currency: String,
    /// The country of new companies (US companies use the TAX/NON pseudo tax codes).
    pub country: String,
    /// The companies' UTC offset in minutes, used in `MetaData` times and for
    /// "today" (QBO writes times with the company's offset; the samples use -07:00).
    pub utc_offset_minutes: i32,
    /// Whether new companies get the accounts QBO creates in every company
    /// (A/R, A/P, Undeposited Funds, inventory and sales accounts).
    pub default_accounts: bool,
    /// How many `requestid`s each company remembers for replay.
    pub requestid_capacity: usize,
    /// The most objects one CDC response carries (QBO: 1,000).
    pub cdc_max_objects: usize,
    /// How far back CDC may look, in days (QBO: 30).
    pub cdc_lookback_days: i64,
    /// The most items one batch request may carry (QBO: 30).
    pub batch_max_items: usize,
    /// OAuth server settings.
    pub oauth: OAuthConfig,
    /// Webhook delivery settings.
    pub webhooks: WebhookConfig,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            multicurrency: false,
            home_currency: "USD".to_owned(),
            country: "US".to_owned(),
            utc_offset_minutes: -7 * 60,
            default_accounts: true,
            requestid_capacity: 10_000,
            cdc_max_objects: 1_000,
            cdc_lookback_days: 30,
            batch_max_items: 30,
            oauth: OAuthConfig::default(),
            webhooks: WebhookConfig::default(),
        }
    }
}

impl EmulatorConfig {
    /// The configured company UTC offset (UTC if the minutes are out of range).
    pub fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_minutes.saturating_mul(60)).unwrap_or(Utc.fix())
    }
}

/// The emulator: companies, clock, OAuth and webhooks. Clones share state.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<EmulatorInner>,
}

struct EmulatorInner {
    config: EmulatorConfig,
    clock: Clock,
    companies: RwLock<BTreeMap<String, Arc<Mutex<Company>>>>,
    next_realm: AtomicU64,
    oauth: Arc<OAuthServer>,
    notifier: Arc<Notifier>,
    operations: Arc<crate::control::Operations>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Emulator")
            .field("config", &self.inner.config)
            .field("companies", &self.realm_ids())
            .finish_non_exhaustive()
    }
}

/// The first realm id handed out; QBO realm ids are long decimal numbers.
const FIRST_REALM_ID: u64 = 9_341_452_000_000_001;

impl Emulator {
    /// A new emulator with no companies.
    pub fn new(config: EmulatorConfig, clock: Clock) -> Emulator {
        let oauth = OAuthServer::new(clock.clone(), config.oauth.clone());
        let notifier = Notifier::new(clock.clone(), config.webhooks.clone());
        let operations = crate::control::Operations::new(clock.clone(), config.offset());
        Emulator {
            inner: Arc::new(EmulatorInner {
                config,
                clock,
                companies: RwLock::new(BTreeMap::new()),
                next_realm: AtomicU64::new(FIRST_REALM_ID),
                oauth,
                notifier,
                operations,
            }),
        }
    }

    /// The emulator's settings.
    pub fn config(&self) -> &EmulatorConfig {
        &self.inner.config
    }

    /// The shared clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The OAuth server.
    pub fn oauth(&self) -> &Arc<OAuthServer> {
        &self.inner.oauth
    }

    /// The webhook notifier.
    pub fn notifier(&self) -> &Arc<Notifier> {
        &self.inner.notifier
    }

    /// Limits, fault injection, counters, clients and persistence (the
    /// operations side, see [`crate::control`]).
    pub fn operations(&self) -> &Arc<crate::control::Operations> {
        &self.inner.operations
    }

    /// Creates a company with a fresh realm id and registers it with the OAuth
    /// server; returns the realm id.
    pub fn create_company(&self, name: &str) -> String {
        loop {
            let realm_id = self
                .inner
                .next_realm
                .fetch_add(1, Ordering::Relaxed)
                .to_string();
            if self.create_company_with_id(&realm_id, name).is_ok() {
                return realm_id;
            }
        }
    }

    /// Creates a company under a given realm id (used when loading saved state);
    /// fails if the id is taken.
    pub fn create_company_with_id(&self, realm_id: &str, name: &str) -> Result<(), Fault> {
        let now = self.inner.clock.now();
        let mut companies = self
            .inner
            .companies
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if companies.contains_key(realm_id) {
            return Err(Fault::validation(
                "630",
                "Duplicate object",
                format!("A company with realm id {realm_id} already exists"),
            ));
        }
        let company = Company::new(realm_id, name, &self.inner.config, now);
        companies.insert(realm_id.to_owned(), Arc::new(Mutex::new(company)));
        drop(companies);
        self.inner.oauth.register_company(realm_id, name);
        Ok(())
    }

    /// Removes a company; true if it existed.
    pub fn remove_company(&self, realm_id: &str) -> bool {
        self.inner
            .companies
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(realm_id)
            .is_some()
    }

    /// The realm ids of all companies, in order.
    pub fn realm_ids(&self) -> Vec<String> {
        self.inner
            .companies
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }

    /// Runs `f` with exclusive access to a company; `None` if there is no such
    /// company. Changes the call made are passed to the webhook notifier.
    pub fn with_company<R>(&self, realm_id: &str, f: impl FnOnce(&mut Company) -> R) -> Option<R> {
        let company = self
            .inner
            .companies
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(realm_id)
            .cloned()?;
        let mut company = company.lock().unwrap_or_else(PoisonError::into_inner);
        let result = f(&mut company);
        let changes = std::mem::take(&mut company.changes);
        drop(company);
        self.deliver_changes(realm_id, changes);
        Some(result)
    }
}

impl Emulator {
    /// Hands the changes a company call made to the webhook notifier.
    fn deliver_changes(&self, realm_id: &str, changes: Vec<Change>) {
        for change in changes {
            self.inner.notifier.record_change(
                realm_id,
                change.kind.name(),
                &change.id,
                change.operation.as_str(),
                change.at,
            );
        }
    }
}

/// A write operation, as reported to webhooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// A new object.
    Create,
    /// A changed object.
    Update,
    /// A hard-deleted transaction.
    Delete,
    /// A voided transaction.
    Void,
}

impl Operation {
    /// The name webhooks use.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "Create",
            Operation::Update => "Update",
            Operation::Delete => "Delete",
            Operation::Void => "Void",
        }
    }
}

/// A change waiting to be reported to the webhook notifier.
#[derive(Clone, Debug)]
pub struct Change {
    /// The entity type.
    pub kind: EntityKind,
    /// The entity id.
    pub id: String,
    /// What happened.
    pub operation: Operation,
    /// When.
    pub at: DateTime<Utc>,
}

/// A hard-deleted transaction, kept for CDC.
#[derive(Clone, Debug)]
pub struct Tombstone {
    /// The entity type.
    pub kind: EntityKind,
    /// The id the object had.
    pub id: String,
    /// When it was deleted.
    pub deleted_at: DateTime<Utc>,
}

/// A response remembered under a `requestid`.
#[derive(Clone, Debug)]
pub enum RecordedResponse {
    /// A successful body, replayed byte for byte (including its `time`).
    Success(Value),
    /// A fault and the time it was produced.
    Failure(Fault, DateTime<FixedOffset>),
}

/// The bounded, per-company memory of `requestid`s.
#[derive(Debug, Default)]
struct RequestLog {
    capacity: usize,
    responses: HashMap<String, RecordedResponse>,
    order: VecDeque<String>,
}

impl RequestLog {
    fn get(&self, request_id: &str) -> Option<&RecordedResponse> {
        self.responses.get(request_id)
    }

    fn insert(&mut self, request_id: &str, response: RecordedResponse) {
        if self.capacity == 0 {
            return;
        }
        if self
            .responses
            .insert(request_id.to_owned(), response)
            .is_none()
        {
            self.order.push_back(request_id.to_owned());
        }
        while self.order.len() > self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.responses.remove(&oldest);
            }
        }
    }
}

/// One company (realm) and everything in it.
#[derive(Debug)]
pub struct Company {
    realm_id: String,
    offset: FixedOffset,
    docs: BTreeMap<EntityKind, TypeDocs>,
    tombstones: Vec<Tombstone>,
    sequences: HashMap<IdSequence, u64>,
    doc_numbers: HashMap<EntityKind, u64>,
    voided: BTreeSet<(EntityKind, u64)>,
    /// Effects index: target transaction → source transaction → amount applied.
    pub(crate) applications:
        BTreeMap<(EntityKind, u64), BTreeMap<(EntityKind, u64), rust_decimal::Decimal>>,
    /// Payments and sales receipts taken into a deposit → the deposit's id.
    pub(crate) deposited: BTreeMap<(EntityKind, u64), u64>,
    /// Customer or vendor → the transactions that count towards its balance.
    party_docs: BTreeMap<(EntityKind, u64), BTreeSet<(EntityKind, u64)>>,
    requests: RequestLog,
    changes: Vec<Change>,
}

/// Formats a `MetaData` time: seconds, with the company's offset.
pub fn format_meta_time(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Formats a response `time`: milliseconds, with the company's offset.
pub fn format_response_time(at: DateTime<FixedOffset>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
}

/// Parses a `MetaData` time written by [`format_meta_time`] (or any RFC 3339 time).
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

impl Company {
    /// A new company with its CompanyInfo, Preferences and (if configured) the
    /// accounts every QBO company starts with.
    pub fn new(realm_id: &str, name: &str, config: &EmulatorConfig, now: DateTime<Utc>) -> Company {
        let offset = config.offset();
        let mut company = Company {
            realm_id: realm_id.to_owned(),
            offset,
            docs: BTreeMap::new(),
            tombstones: Vec::new(),
            sequences: HashMap::new(),
            doc_numbers: HashMap::new(),
            voided: BTreeSet::new(),
            applications: BTreeMap::new(),
            deposited: BTreeMap::new(),
            party_docs: BTreeMap::new(),
            requests: RequestLog {
                capacity: config.requestid_capacity,
                ..RequestLog::default()
            },
            changes: Vec::new(),
        };
        let today = now.with_timezone(&offset).date_naive();
        let address = json!({
            "Id": "1",
            "Line1": "2500 Garcia Ave",
            "City": "Mountain View",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94043",
            "Country": config.country,
        });
        let info = json!({
            "CompanyName": name,
            "LegalName": name,
            "CompanyAddr": address,
            "CustomerCommunicationAddr": address,
            "LegalAddr": address,
            "PrimaryPhone": {},
            "CompanyStartDate": today.format("%Y-%m-%d").to_string(),
            "FiscalYearStartMonth": "January",
            "Country": config.country,
            "Email": {},
            "WebAddr": {},
            "SupportedLanguages": "en",
            "NameValue": [
                {"Name": "NeoEnabled", "Value": "true"},
                {"Name": "SubscriptionStatus", "Value": "PAID"},
                {"Name": "OfferingSku", "Value": "QuickBooks Online Advanced"},
                {"Name": "PayrollFeature", "Value": "false"},
                {"Name": "AccountantFeature", "Value": "false"},
            ],
        });
        let preferences = json!({
            "AccountingInfoPrefs": {
                "FirstMonthOfFiscalYear": "January",
                "UseAccountNumbers": true,
                "TaxYearMonth": "January",
                "ClassTrackingPerTxn": false,
                "ClassTrackingPerTxnLine": true,
                "TrackDepartments": true,
                "DepartmentTerminology": "Location",
                "CustomerTerminology": "Customers",
            },
            "ProductAndServicesPrefs": {
                "ForSales": true,
                "ForPurchase": true,
                "QuantityWithPriceAndRate": true,
                "QuantityOnHand": true,
            },
            "SalesFormsPrefs": {
                "AllowDeposit": true,
                "AllowDiscount": true,
                "AllowEstimates": true,
                "AllowServiceDate": false,
                "AllowShipping": false,
                "CustomTxnNumbers": false,
                "ETransactionEnabledStatus": "Enabled",
                "ETransactionAttachPDF": false,
                "ETransactionPaymentEnabled": false,
                "IPNSupportEnabled": false,
                "UsingPriceLevels": false,
                "UsingProgressInvoicing": false,
            },
            "VendorAndPurchasesPrefs": {
                "BillableExpenseTracking": true,
                "TrackingByCustomer": true,
            },
            "TimeTrackingPrefs": {
                "UseServices": true,
                "BillCustomers": true,
                "ShowBillRateToAll": false,
                "WorkWeekStartDate": "Monday",
                "MarkTimeEntriesBillable": true,
            },
            "TaxPrefs": { "UsingSalesTax": true },
            "CurrencyPrefs": {
                "MultiCurrencyEnabled": config.multicurrency,
                "HomeCurrency": { "value": config.home_currency },
            },
            "ReportPrefs": {
                "ReportBasis": "Accrual",
                "CalcAgingReportFromTxnDate": false,
            },
            "OtherPrefs": { "NameValue": [] },
        });
        company.insert_singleton(EntityKind::CompanyInfo, info, now);
        company.insert_singleton(EntityKind::Preferences, preferences, now);
        if config.default_accounts {
            for (name, account_type, sub_type) in DEFAULT_ACCOUNTS {
                let account = json!({
                    "Name": name,
                    "AccountType": account_type,
                    "AccountSubType": sub_type,
                });
                // The default accounts are valid by construction; a failure here
                // would only mean a duplicate name, which cannot happen in a new company.
                let _ = company.create_kind(EntityKind::Account, account, now);
            }
            company.changes.clear();
        }
        company
    }

    fn insert_singleton(&mut self, kind: EntityKind, body: Value, now: DateTime<Utc>) {
        let mut doc = match body {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let stamp = format_meta_time(now, self.offset);
        doc.insert("Id".to_owned(), json!("1"));
        doc.insert("SyncToken".to_owned(), json!("0"));
        doc.insert("domain".to_owned(), json!("QBO"));
        doc.insert("sparse".to_owned(), json!(false));
        doc.insert(
            "MetaData".to_owned(),
            json!({ "CreateTime": stamp, "LastUpdatedTime": stamp }),
        );
        self.docs
            .entry(kind)
            .or_default()
            .insert(1, Value::Object(doc));
    }

    /// The realm id.
    pub fn realm_id(&self) -> &str {
        &self.realm_id
    }

    /// The company's UTC offset.
    pub fn offset(&self) -> FixedOffset {
        self.offset
    }

    /// "Today" in the company's time zone.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.offset).date_naive()
    }

    /// The Preferences document.
    pub fn preferences(&self) -> Option<&Map<String, Value>> {
        self.get(EntityKind::Preferences, 1)
    }

    /// Whether the company has multicurrency on.
    pub fn multicurrency_enabled(&self) -> bool {
        self.preferences()
            .and_then(|prefs| prefs.get("CurrencyPrefs"))
            .and_then(|currency| currency.get("MultiCurrencyEnabled"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The home currency code.
    pub fn home_currency(&self) -> String {
        self.preferences()
            .and_then(|prefs| prefs.get("CurrencyPrefs"))
            .and_then(|currency| currency.get("HomeCurrency"))
            .and_then(|home| home.get("value"))
            .and_then(Value::as_str)
            .unwrap_or("USD")
            .to_owned()
    }

    /// Whether the company numbers its own sales forms (no automatic DocNumber).
    pub fn custom_txn_numbers(&self) -> bool {
        self.preferences()
            .and_then(|prefs| prefs.get("SalesFormsPrefs"))
            .and_then(|sales| sales.get("CustomTxnNumbers"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The company's country ("US" unless changed).
    pub fn country(&self) -> String {
        self.get(EntityKind::CompanyInfo, 1)
            .and_then(|info| str_field(info, "Country"))
            .unwrap_or("US")
            .to_owned()
    }

    /// One stored document.
    pub fn get(&self, kind: EntityKind, id: u64) -> Option<&Map<String, Value>> {
        self.docs
            .get(&kind)
            .and_then(|docs| docs.get(id))
            .and_then(Value::as_object)
    }

    /// One stored document by its id text; `None` for unknown or non-numeric ids.
    pub fn get_by_text(&self, kind: EntityKind, id: &str) -> Option<&Map<String, Value>> {
        id.trim()
            .parse::<u64>()
            .ok()
            .and_then(|id| self.get(kind, id))
    }

    /// A stored document to change in place; the type's indexes follow the
    /// change when the guard is dropped.
    pub(crate) fn get_mut(&mut self, kind: EntityKind, id: u64) -> Option<DocMut<'_>> {
        self.docs.get_mut(&kind).and_then(|docs| docs.get_mut(id))
    }

    /// Writes the JSON text of every document that has none (see
    /// [`crate::index::StoredDoc`]).
    pub fn write_texts(&self) {
        for docs in self.docs.values() {
            docs.write_texts();
        }
    }

    /// The documents of a type with their indexes, for queries; `None` when
    /// none was ever stored.
    pub fn type_docs(&self, kind: EntityKind) -> Option<&TypeDocs> {
        self.docs.get(&kind)
    }

    /// The ids of the documents of `kind` whose `field`, trimmed, equals
    /// `value` ignoring ASCII case: the duplicate-name check, by index.
    pub fn ids_named(&self, kind: EntityKind, field: NameField, value: &str) -> Vec<u64> {
        self.docs
            .get(&kind)
            .map(|docs| docs.named(field, value).collect())
            .unwrap_or_default()
    }

    /// Every stored document of a type, by ascending id.
    pub fn all_of(&self, kind: EntityKind) -> impl Iterator<Item = &Value> + '_ {
        self.docs
            .get(&kind)
            .into_iter()
            .flat_map(|docs| docs.values())
    }

    /// Every stored document of a type named like "Invoice" (any case); empty
    /// for unknown names.
    pub fn all(&self, entity: &str) -> impl Iterator<Item = &Value> + '_ {
        EntityKind::parse(entity)
            .into_iter()
            .flat_map(move |kind| self.all_of(kind))
    }

    /// How many documents of a type are stored.
    pub fn count(&self, kind: EntityKind) -> usize {
        self.docs.get(&kind).map_or(0, TypeDocs::len)
    }

    /// The tombstones of deleted transactions, oldest first.
    pub fn tombstones(&self) -> &[Tombstone] {
        &self.tombstones
    }

    /// Whether a transaction has been voided.
    pub fn is_voided(&self, kind: EntityKind, id: u64) -> bool {
        self.voided.contains(&(kind, id))
    }

    /// The response remembered under a `requestid`, if any.
    pub fn recorded_response(&self, request_id: &str) -> Option<&RecordedResponse> {
        self.requests.get(request_id)
    }

    /// Remembers the response to a `requestid`.
    pub fn record_response(&mut self, request_id: &str, response: RecordedResponse) {
        self.requests.insert(request_id, response);
    }

    /// The changes made since the last call, for webhook delivery.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    fn next_id(&mut self, kind: EntityKind) -> u64 {
        let counter = self.sequences.entry(kind.id_sequence()).or_insert(0);
        *counter += 1;
        *counter
    }

    /// The next automatic DocNumber of a type (QBO continues from the last number used).
    pub(crate) fn next_doc_number(&self, kind: EntityKind) -> String {
        let last = self.doc_numbers.get(&kind).copied().unwrap_or(1000);
        (last + 1).to_string()
    }

    fn note_doc_number(&mut self, kind: EntityKind, doc: &Map<String, Value>) {
        if let Some(number) = str_field(doc, "DocNumber").and_then(|text| text.parse::<u64>().ok())
        {
            let last = self.doc_numbers.entry(kind).or_insert(1000);
            if number > *last {
                *last = number;
            }
        }
    }

    pub(crate) fn push_change(
        &mut self,
        kind: EntityKind,
        id: u64,
        operation: Operation,
        at: DateTime<Utc>,
    ) {
        self.changes.push(Change {
            kind,
            id: id.to_string(),
            operation,
            at,
        });
    }

    /// Marks a stored document as changed by the server (a payment applied, stock
    /// moved): bumps its SyncToken and LastUpdatedTime and reports an update.
    pub(crate) fn touch(&mut self, kind: EntityKind, id: u64, now: DateTime<Utc>) {
        let stamp = format_meta_time(now, self.offset);
        let Some(mut doc) = self.get_mut(kind, id) else {
            return;
        };
        bump_sync_token(&mut doc);
        set_last_updated(&mut doc, &stamp);
        drop(doc);
        self.push_change(kind, id, Operation::Update, now);
    }

    /// Reads one object: 610 if it does not exist (or was deleted).
    pub fn read(&self, entity: &str, id: &str) -> Result<Value, Fault> {
        let kind = parse_kind(entity)?;
        self.read_kind(kind, id)
    }

    /// [`Company::read`] for a known kind.
    pub fn read_kind(&self, kind: EntityKind, id: &str) -> Result<Value, Fault> {
        self.get_by_text(kind, id)
            .map(|doc| Value::Object(doc.clone()))
            .ok_or_else(|| Fault::object_not_found(kind.name(), id))
    }

    /// Creates an object as an API create does (validation, computed fields,
    /// linked balances, stock) and returns the stored document.
    pub fn create(
        &mut self,
        entity: &str,
        body: Value,
        now: DateTime<Utc>,
    ) -> Result<Value, Fault> {
        let kind = parse_kind(entity)?;
        self.create_kind(kind, body, now)
    }

    /// [`Company::create`] for a known kind.
    pub fn create_kind(
        &mut self,
        kind: EntityKind,
        body: Value,
        now: DateTime<Utc>,
    ) -> Result<Value, Fault> {
        if kind.is_singleton() {
            return Err(Fault::unsupported_operation(format!(
                "Operation Create is not supported for {kind}"
            )));
        }
        let body = into_object(body, kind)?;
        let doc = entities::normalize(self, kind, body, None, WriteKind::Create, now)?;
        let new_effects = effects::effects_of(self, kind, &doc);
        effects::check(self, kind, None, &doc, &new_effects)?;
        let id = self.next_id(kind);
        let stamp = format_meta_time(now, self.offset);
        let doc = finish_document(doc, id, "0", &stamp, &stamp);
        self.note_doc_number(kind, &doc);
        self.docs
            .entry(kind)
            .or_default()
            .insert(id, Value::Object(doc));
        self.push_change(kind, id, Operation::Create, now);
        effects::replace(self, kind, id, &Effects::default(), &new_effects, now);
        let only_itself = new_effects.applications.is_empty() && new_effects.deposits.is_empty();
        self.settle_party(
            kind,
            id,
            None,
            only_itself.then_some(rust_decimal::Decimal::ZERO),
        );
        self.read_kind(kind, &id.to_string())
    }

    /// A full update: writable fields left out of `body` are removed.
    pub fn update(
        &mut self,
        entity: &str,
        body: Value,
        now: DateTime<Utc>,
    ) -> Result<Value, Fault> {
        let kind = parse_kind(entity)?;
        self.update_kind(kind, body, false, now)
    }

    /// A sparse update: only the top-level fields in `body` change; arrays are
    /// replaced whole.
    pub fn sparse_update(
        &mut self,
        entity: &str,
        body: Value,
        now: DateTime<Utc>,
    ) -> Result<Value, Fault> {
        let kind = parse_kind(entity)?;
        self.update_kind(kind, body, true, now)
    }

    /// Creates or updates, as a POST to the entity endpoint does: a body with an
    /// `Id` is an update, sparse when it says `"sparse": true`.
    pub fn write(&mut self, entity: &str, body: Value, now: DateTime<Utc>) -> Result<Value, Fault> {
        let kind = parse_kind(entity)?;
        self.write_kind(kind, body, now)
    }

    /// [`Company::write`] for a known kind.
    pub fn write_kind(
        &mut self,
        kind: EntityKind,
        body: Value,
        now: DateTime<Utc>,
    ) -> Result<Value, Fault> {
        let has_id = body
            .get("Id")
            .is_some_and(|id| !id.is_null() && id.as_str() != Some(""));
        if kind.is_singleton() || has_id {
            let sparse = body
                .get("sparse")
                .is_some_and(|flag| flag.as_bool() == Some(true) || flag.as_str() == Some("true"));
            self.update_kind(kind, body, sparse, now)
        } else {
            self.create_kind(kind, body, now)
        }
    }

    /// [`Company::update`] / [`Company::sparse_update`] for a known kind.
    pub fn update_kind(
        &mut self,
        kind: EntityKind,
        body: Value,
        sparse: bool,
        now: DateTime<Utc>,
    ) -> Result<Value, Fault> {
        let body = into_object(body, kind)?;
        let (id, previous) = self.current_version(kind, &body)?;
        if self.is_voided(kind, id) {
            return Err(Fault::business(
                "This transaction has been voided and can no longer be changed.",
            ));
        }
        if sparse {
            // QBO wants some fields even in a sparse body (PITFALLS 5).
            if let Some(field) = entities::sparse_required(kind)
                .iter()
                .find(|field| !body.contains_key(**field))
            {
                return Err(Fault::required(field));
            }
        }
        // QBO does not honour `sparse` on deposits: the body is a full update.
        let sparse = sparse && entities::honours_sparse(kind);
        let merged = if sparse || kind.is_singleton() {
            sparse_merge(kind, &previous, body)
        } else {
            body
        };
        let doc = entities::normalize(self, kind, merged, Some(&previous), WriteKind::Update, now)?;
        let old_effects = effects::effects_of(self, kind, &previous);
        let new_effects = effects::effects_of(self, kind, &doc);
        effects::check(self, kind, Some(id), &doc, &new_effects)?;
        let only_itself = old_effects.applications.is_empty()
            && new_effects.applications.is_empty()
            && old_effects.deposits.is_empty()
            && new_effects.deposits.is_empty();
        let previous_contribution =
            only_itself.then(|| effects::balance_contribution(self, kind, id, &previous));
        let create_time = previous
            .get("MetaData")
            .and_then(|meta| meta.get("CreateTime"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let stamp = format_meta_time(now, self.offset);
        let token = next_sync_token(&previous);
        let doc = finish_document(doc, id, &token, &create_time, &stamp);
        self.note_doc_number(kind, &doc);
        self.docs
            .entry(kind)
            .or_default()
            .insert(id, Value::Object(doc));
        self.push_change(kind, id, Operation::Update, now);
        effects::replace(self, kind, id, &old_effects, &new_effects, now);
        self.settle_party(
            kind,
            id,
            effects::party(kind, &previous),
            previous_contribution,
        );
        self.read_kind(kind, &id.to_string())
    }

    /// Finds the stored version an update or delete body names, checking `Id`
    /// (2020, 610) and `SyncToken` (2020, 5010).
    fn current_version(
        &self,
        kind: EntityKind,
        body: &Map<String, Value>,
    ) -> Result<(u64, Map<String, Value>), Fault> {
        let id_text = if kind.is_singleton() {
            id_text(body).unwrap_or_else(|| "1".to_owned())
        } else {
            id_text(body).ok_or_else(|| Fault::required("Id"))?
        };
        let previous = self
            .get_by_text(kind, &id_text)
            .ok_or_else(|| Fault::object_not_found(kind.name(), &id_text))?
            .clone();
        let id = id_text.trim().parse::<u64>().unwrap_or_default();
        let sent = match body.get("SyncToken") {
            Some(Value::String(token)) => token.trim().to_owned(),
            Some(Value::Number(number)) => number.to_string(),
            _ => return Err(Fault::required("SyncToken")),
        };
        let current = str_field(&previous, "SyncToken").unwrap_or("0");
        if sent != current {
            return Err(Fault::stale_object());
        }
        Ok((id, previous))
    }

    /// Deletes a transaction (a hard delete that leaves a tombstone for CDC) and
    /// returns QBO's delete answer `{"status":"Deleted","domain":"QBO","Id":…}`.
    /// Name lists cannot be deleted; they are made inactive instead.
    pub fn delete(
        &mut self,
        entity: &str,
        body: Value,
        now: DateTime<Utc>,
    ) -> Result<Value, Fault> {
        let kind = parse_kind(entity)?;
        self.delete_kind(kind, body, now)
    }

    /// [`Company::delete`] for a known kind.
    pub fn delete_kind(
        &mut self,
        kind: EntityKind,
        body: Value,
        now: DateTime<Utc>,
    ) -> Result<Value, Fault> {
        if !kind.is_transaction() {
            return Err(Fault::unsupported_operation(format!(
                "Operation Delete is not supported for {kind}. Make it inactive instead (\"Active\": false)."
            )));
        }
        let body = into_object(body, kind)?;
        let (id, previous) = self.current_version(kind, &body)?;
        if let Some(deposit) = self.deposited.get(&(kind, id)) {
            return Err(deposited_fault(*deposit));
        }
        let old_effects = effects::effects_of(self, kind, &previous);
        effects::unlink_sources(self, kind, id, now);
        effects::replace(self, kind, id, &old_effects, &Effects::default(), now);
        if let Some(docs) = self.docs.get_mut(&kind) {
            docs.remove(id);
        }
        self.voided.remove(&(kind, id));
        self.tombstones.push(Tombstone {
            kind,
            id: id.to_string(),
            deleted_at: now,
        });
        self.push_change(kind, id, Operation::Delete, now);
        self.settle_party(kind, id, effects::party(kind, &previous), None);
        Ok(json!({ "status": "Deleted", "domain": "QBO", "Id": id.to_string() }))
    }

    /// Voids a transaction (Invoice, Payment, SalesReceipt, BillPayment): it stays
    /// readable with zero amounts, a "Voided" memo and its effects undone.
    pub fn void(&mut self, entity: &str, body: Value, now: DateTime<Utc>) -> Result<Value, Fault> {
        let kind = parse_kind(entity)?;
        self.void_kind(kind, body, now)
    }

    /// [`Company::void`] for a known kind.
    pub fn void_kind(
        &mut self,
        kind: EntityKind,
        body: Value,
        now: DateTime<Utc>,
    ) -> Result<Value, Fault> {
        if !kind.is_voidable() {
            return Err(Fault::unsupported_operation(format!(
                "Operation Void is not supported for {kind}"
            )));
        }
        let body = into_object(body, kind)?;
        let (id, previous) = self.current_version(kind, &body)?;
        if let Some(deposit) = self.deposited.get(&(kind, id)) {
            return Err(deposited_fault(*deposit));
        }
        let old_effects = effects::effects_of(self, kind, &previous);
        effects::unlink_sources(self, kind, id, now);
        effects::replace(self, kind, id, &old_effects, &Effects::default(), now);
        let mut doc = previous;
        entities::transactions::void_document(kind, &mut doc);
        let stamp = format_meta_time(now, self.offset);
        bump_sync_token(&mut doc);
        set_last_updated(&mut doc, &stamp);
        self.docs
            .entry(kind)
            .or_default()
            .insert(id, Value::Object(doc));
        self.voided.insert((kind, id));
        self.push_change(kind, id, Operation::Void, now);
        self.settle_party(kind, id, None, None);
        self.read_kind(kind, &id.to_string())
    }

    /// Stores a document exactly as given (used when loading saved state);
    /// keeps the id sequences ahead of it.
    pub fn restore(&mut self, kind: EntityKind, doc: Value) -> Result<(), Fault> {
        let id = doc
            .get("Id")
            .and_then(Value::as_str)
            .and_then(|id| id.parse::<u64>().ok())
            .ok_or_else(|| Fault::required("Id"))?;
        let counter = self.sequences.entry(kind.id_sequence()).or_insert(0);
        if id > *counter {
            *counter = id;
        }
        if let Some(object) = doc.as_object() {
            let object = object.clone();
            self.note_doc_number(kind, &object);
        }
        if let Some(party) = doc
            .as_object()
            .and_then(|object| effects::party(kind, object))
        {
            self.party_docs.entry(party).or_default().insert((kind, id));
        }
        self.docs.entry(kind).or_default().insert(id, doc);
        Ok(())
    }

    /// After a transaction was written or deleted: files it under its customer
    /// or vendor and recomputes the balances of the parties it belonged to and
    /// belongs to now. Balances are derived fields, so the party's SyncToken
    /// and LastUpdatedTime do not change.
    ///
    /// `previous_contribution` is given when the write changed no other
    /// document (no payment applied, nothing deposited): then the party's
    /// balance moves by this document's own change alone, instead of being
    /// summed again over all its documents, which made thousands of
    /// invoices for one customer quadratic.
    fn settle_party(
        &mut self,
        kind: EntityKind,
        id: u64,
        previous_party: Option<(EntityKind, u64)>,
        previous_contribution: Option<rust_decimal::Decimal>,
    ) {
        let current_party = self.get(kind, id).and_then(|doc| effects::party(kind, doc));
        if let Some(previous_contribution) = previous_contribution
            && let Some(party) = current_party
            && previous_party.is_none_or(|previous| previous == party)
        {
            self.party_docs.entry(party).or_default().insert((kind, id));
            let contribution = self
                .get(kind, id)
                .map(|doc| effects::balance_contribution(self, kind, id, doc))
                .unwrap_or_default();
            self.shift_balance(party, contribution - previous_contribution);
            return;
        }
        if let Some(previous_party) = previous_party
            && let Some(docs) = self.party_docs.get_mut(&previous_party)
        {
            docs.remove(&(kind, id));
        }
        if let Some(current_party) = current_party {
            self.party_docs
                .entry(current_party)
                .or_default()
                .insert((kind, id));
        }
        for party in previous_party.into_iter().chain(current_party) {
            self.refresh_balance(party);
        }
    }

    /// Recomputes a customer's or vendor's open balance (and, for customers,
    /// `BalanceWithJobs` up the parent chain).
    fn refresh_balance(&mut self, party: (EntityKind, u64)) {
        let balance: rust_decimal::Decimal = self
            .party_docs
            .get(&party)
            .into_iter()
            .flatten()
            .filter_map(|(kind, id)| {
                self.get(*kind, *id)
                    .map(|doc| effects::balance_contribution(self, *kind, *id, doc))
            })
            .sum();
        let old = self
            .get(party.0, party.1)
            .and_then(|doc| doc.get("Balance"))
            .and_then(entities::money::parse_decimal)
            .unwrap_or_default();
        self.shift_balance(party, balance - old);
    }

    /// Moves a customer's or vendor's `Balance` by `delta` (and, for a
    /// customer, `BalanceWithJobs` of it and each ancestor).
    fn shift_balance(&mut self, party: (EntityKind, u64), delta: rust_decimal::Decimal) {
        let (party_kind, party_id) = party;
        let Some(mut doc) = self.get_mut(party_kind, party_id) else {
            return;
        };
        let old = doc
            .get("Balance")
            .and_then(entities::money::parse_decimal)
            .unwrap_or_default();
        doc.insert("Balance".to_owned(), entities::money::to_json(old + delta));
        drop(doc);
        if party_kind != EntityKind::Customer || delta.is_zero() {
            return;
        }
        // BalanceWithJobs of the customer and each ancestor moves by the same
        // amount (sub-customers nest at most five levels in QBO).
        let mut current = Some(party_id);
        for _ in 0..8 {
            let Some(customer_id) = current else {
                break;
            };
            current = self
                .get_mut(EntityKind::Customer, customer_id)
                .and_then(|mut doc| {
                    let with_jobs = doc
                        .get("BalanceWithJobs")
                        .and_then(entities::money::parse_decimal)
                        .unwrap_or_default();
                    doc.insert(
                        "BalanceWithJobs".to_owned(),
                        entities::money::to_json(with_jobs + delta),
                    );
                    entities::ref_value(&doc, "ParentRef")
                        .and_then(|parent| parent.parse::<u64>().ok())
                });
        }
    }

    /// Adds a tombstone (used when loading saved state).
    pub fn restore_tombstone(&mut self, tombstone: Tombstone) {
        self.tombstones.push(tombstone);
    }

    /// Marks a restored transaction as voided (used when loading saved state).
    pub fn restore_voided(&mut self, kind: EntityKind, id: u64) {
        self.voided.insert((kind, id));
    }

    /// Rebuilds the index of payments applied to invoices and bills and of
    /// payments taken into deposits from the stored documents (used when
    /// loading saved state, whose balances are already in the documents).
    pub fn rebuild_links(&mut self) {
        self.applications.clear();
        self.deposited.clear();
        for kind in [
            EntityKind::Payment,
            EntityKind::BillPayment,
            EntityKind::Deposit,
        ] {
            let ids: Vec<u64> = self
                .docs
                .get(&kind)
                .map(|docs| docs.ids().collect())
                .unwrap_or_default();
            for id in ids {
                let Some(doc) = self.get(kind, id) else {
                    continue;
                };
                let found = effects::effects_of(self, kind, doc);
                for (target, amount) in found.applications {
                    self.applications
                        .entry(target)
                        .or_default()
                        .insert((kind, id), amount);
                }
                for target in found.deposits {
                    self.deposited.insert(target, id);
                }
            }
        }
    }
}

/// The accounts every new QBO company has (name, AccountType, AccountSubType).
pub const DEFAULT_ACCOUNTS: [(&str, &str, &str); 8] = [
    (
        "Accounts Receivable (A/R)",
        "Accounts Receivable",
        "AccountsReceivable",
    ),
    (
        "Accounts Payable (A/P)",
        "Accounts Payable",
        "AccountsPayable",
    ),
    (
        "Undeposited Funds",
        "Other Current Asset",
        "UndepositedFunds",
    ),
    ("Inventory Asset", "Other Current Asset", "Inventory"),
    (
        "Cost of Goods Sold",
        "Cost of Goods Sold",
        "SuppliesMaterialsCogs",
    ),
    ("Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("Services", "Income", "ServiceFeeIncome"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
];

fn deposited_fault(deposit_id: u64) -> Fault {
    Fault::validation(
        "6540",
        "Deposited Transaction cannot be changed",
        format!(
            "Deposited Transaction cannot be changed: This transaction is part of deposit {deposit_id}. Remove it from the deposit first."
        ),
    )
}

/// Maps an entity name to its kind, or the fault QBO gives for an unknown one.
pub fn parse_kind(entity: &str) -> Result<EntityKind, Fault> {
    EntityKind::parse(entity)
        .ok_or_else(|| Fault::unsupported_operation(format!("Unsupported entity: {entity}")))
}

fn into_object(body: Value, kind: EntityKind) -> Result<Map<String, Value>, Fault> {
    match body {
        Value::Object(map) => Ok(map),
        other => Err(Fault::invalid_property(format!(
            "Property Name:{kind} : expected an object, got {other}"
        ))),
    }
}

fn id_text(body: &Map<String, Value>) -> Option<String> {
    match body.get("Id")? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn next_sync_token(doc: &Map<String, Value>) -> String {
    let current = str_field(doc, "SyncToken")
        .and_then(|token| token.parse::<u64>().ok())
        .unwrap_or(0);
    (current + 1).to_string()
}

pub(crate) fn bump_sync_token(doc: &mut Map<String, Value>) {
    let token = next_sync_token(doc);
    doc.insert("SyncToken".to_owned(), Value::String(token));
}

pub(crate) fn set_last_updated(doc: &mut Map<String, Value>, stamp: &str) {
    match doc.get_mut("MetaData").and_then(Value::as_object_mut) {
        Some(meta) => {
            meta.insert(
                "LastUpdatedTime".to_owned(),
                Value::String(stamp.to_owned()),
            );
        }
        None => {
            doc.insert(
                "MetaData".to_owned(),
                json!({ "CreateTime": stamp, "LastUpdatedTime": stamp }),
            );
        }
    }
}

/// The read-only fields a sparse body may carry but never sets.
const SERVER_FIELDS: [&str; 5] = ["Id", "SyncToken", "MetaData", "domain", "sparse"];

/// Overlays the top-level fields of a sparse body on the stored version.
/// Arrays (lines included) are replaced whole; a `null` removes the field.
fn sparse_merge(
    kind: EntityKind,
    previous: &Map<String, Value>,
    body: Map<String, Value>,
) -> Map<String, Value> {
    let mut merged = previous.clone();
    for (key, value) in body {
        if SERVER_FIELDS.contains(&key.as_str()) {
            continue;
        }
        if kind == EntityKind::Preferences {
            // Preferences come in groups (SalesFormsPrefs, CurrencyPrefs, …);
            // a group sent in part changes only the settings it names.
            if let (Some(Value::Object(existing)), Value::Object(update)) =
                (merged.get_mut(&key), &value)
            {
                for (setting, setting_value) in update {
                    existing.insert(setting.clone(), setting_value.clone());
                }
                continue;
            }
        }
        if value.is_null() {
            merged.remove(&key);
        } else {
            merged.insert(key, value);
        }
    }
    merged
}

/// Adds the fields every stored object carries: `Id`, `SyncToken`, `MetaData`,
/// `domain` and `sparse`.
fn finish_document(
    mut doc: Map<String, Value>,
    id: u64,
    sync_token: &str,
    create_time: &str,
    last_updated: &str,
) -> Map<String, Value> {
    doc.insert("Id".to_owned(), Value::String(id.to_string()));
    doc.insert("SyncToken".to_owned(), Value::String(sync_token.to_owned()));
    doc.insert(
        "MetaData".to_owned(),
        json!({ "CreateTime": create_time, "LastUpdatedTime": last_updated }),
    );
    doc.insert("domain".to_owned(), json!("QBO"));
    doc.insert("sparse".to_owned(), json!(false));
    doc
}

/// The status an entity response is sent with.
pub const OK: StatusCode = StatusCode::OK;
