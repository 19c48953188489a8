//! Records, conflicts, history, the next push and settings of one company.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use local_store::{ConflictRow, HistoryEntry, HistoryFilter, RecordFilter, RecordRow, RecordState};
use serde_json::Value;
use sync_engine::{Choice, FieldConflict, FieldPath, LocalEdit, Resolution, entities};

use crate::amounts;
use crate::error::CoreError;
use crate::views::{
    AppSettings, ChoiceInput, CompanySettings, ConflictDetail, ConflictSummary, DryRun,
    FieldConflictView, HistoryPage, HistoryQuery, HistoryRow, MIN_SYNC_INTERVAL_MINUTES,
    OwnKeysInput, OwnKeysView, PickerOption, PlannedOperation, RecordDetail, RecordIssues,
    RecordListRow, RecordPage, RecordQuery, ResolutionInput, SaveOutcome,
};
use crate::{AppCore, CoreResult, companies::company_settings};

/// The most rows one page may hold.
const MAX_PAGE: u32 = 1_000;

/// The app setting key of the theme.
const THEME_SETTING: &str = "theme";
/// The app's own Intuit client id and environment (the advanced path).
const OWN_CLIENT_ID_SETTING: &str = "own_keys_client_id";
const OWN_ENVIRONMENT_SETTING: &str = "own_keys_environment";
/// The vault key of the app's own client secret.
pub(crate) const OWN_KEYS_VAULT_ID: &str = "ledgerlink-own-intuit-app";

impl AppCore {
    /// A page of records.
    pub async fn list_records(
        &self,
        company_id: &str,
        query: RecordQuery,
    ) -> CoreResult<RecordPage> {
        let store = self.company_store(company_id).await?;
        let offset = u64::from(query.offset);
        let limit = u64::from(query.limit.clamp(1, MAX_PAGE));
        let filter = record_filter(query, offset, limit)?;
        let rows = store.records(&filter).await?;
        let total = store.count_records(&filter).await?;
        Ok(RecordPage {
            rows: rows.iter().map(RecordListRow::from_row).collect(),
            total: u32::try_from(total).unwrap_or(u32::MAX),
        })
    }

    /// One record with its versions.
    pub async fn get_record(&self, company_id: &str, local_id: &str) -> CoreResult<RecordDetail> {
        let store = self.company_store(company_id).await?;
        let row = store
            .record(local_id)
            .await?
            .ok_or_else(|| CoreError::Invalid(format!("No record {local_id} exists here.")))?;
        self.detail(company_id, row).await
    }

    /// Saves a new record (`local_id` None) or an edit; it reaches QuickBooks
    /// on the next sync, unless the returned issues hold it back.
    pub async fn save_record(
        &self,
        company_id: &str,
        local_id: Option<&str>,
        entity_type: &str,
        object: Value,
    ) -> CoreResult<SaveOutcome> {
        if !object.is_object() {
            return Err(CoreError::Invalid(
                "A record must be a JSON object with QuickBooks' field names.".to_owned(),
            ));
        }
        // Amounts may come as decimal text (the webview sends them so).
        let object = amounts::amounts_as_numbers(object)?;
        let existing = match local_id {
            Some(local_id) => self
                .company_store(company_id)
                .await?
                .record(local_id)
                .await?
                .and_then(|row| row.local.or(row.remote)),
            None => None,
        };
        check_field_names(entity_type, &object, existing.as_ref())?;
        let engine = self.engine(company_id).await?;
        let edit = match local_id {
            Some(local_id) => engine.edit_local(local_id, object).await?,
            None => engine.create_local(entity_type, object).await?,
        };
        self.outcome(company_id, edit).await
    }

    /// Edits a record with a JSON merge patch (RFC 7396) onto its local
    /// version: members the patch names replace the record's, `null` removes
    /// one, and everything it leaves out (the lines, say) stays as it was.
    pub async fn patch_record(
        &self,
        company_id: &str,
        local_id: &str,
        patch: Value,
    ) -> CoreResult<SaveOutcome> {
        if !patch.is_object() {
            return Err(CoreError::Invalid(
                "An edit must be a JSON object with the QuickBooks fields to change.".to_owned(),
            ));
        }
        let store = self.company_store(company_id).await?;
        let row = store
            .record(local_id)
            .await?
            .ok_or_else(|| CoreError::Invalid(format!("No record {local_id} exists here.")))?;
        let mut object = row.local.or(row.remote).ok_or_else(|| {
            CoreError::Invalid(format!(
                "Record {local_id} was deleted; there is nothing to edit."
            ))
        })?;
        json_patch::merge(&mut object, &patch);
        self.save_record(company_id, Some(local_id), &row.entity_type, object)
            .await
    }

    /// Deletes a record (a transaction) or makes it inactive (a list entry),
    /// in QuickBooks on the next sync.
    pub async fn delete_record(&self, company_id: &str, local_id: &str) -> CoreResult<SaveOutcome> {
        let engine = self.engine(company_id).await?;
        let edit = engine.delete_local(local_id).await?;
        self.outcome(company_id, edit).await
    }

    /// Voids a transaction QuickBooks can void, on the next sync.
    pub async fn void_record(&self, company_id: &str, local_id: &str) -> CoreResult<SaveOutcome> {
        let engine = self.engine(company_id).await?;
        let edit = engine.void_local(local_id).await?;
        self.outcome(company_id, edit).await
    }

    /// The active entries of a list, for pickers.
    pub async fn picker_options(
        &self,
        company_id: &str,
        entity_type: &str,
    ) -> CoreResult<Vec<PickerOption>> {
        // Product categories are items of type Category.
        let (list, only_type) = if entity_type == "Category" {
            ("Item", Some("Category"))
        } else {
            (entity_type, None)
        };
        if !entities::is_master(list) {
            return Err(CoreError::Invalid(format!(
                "{entity_type} is not a list QuickBooks references; choose Account, Customer, Vendor, Employee, Item, Category, Class, Department, Term, PaymentMethod or TaxCode."
            )));
        }
        let store = self.company_store(company_id).await?;
        let mut options: Vec<PickerOption> = store
            .records_of(&[list])
            .await?
            .into_iter()
            .filter(|row| row.active && row.state != RecordState::Deleted)
            .filter_map(|row| {
                let object = row.local.as_ref().or(row.remote.as_ref())?;
                if let Some(wanted) = only_type
                    && object.get("Type").and_then(Value::as_str) != Some(wanted)
                {
                    return None;
                }
                let id = row.qbo_id.clone()?;
                let detail = ["AccountType", "Type"]
                    .iter()
                    .find_map(|key| object.get(*key).and_then(Value::as_str))
                    .map(str::to_owned);
                Some(PickerOption {
                    id,
                    name: row.summary.name.clone().unwrap_or_default(),
                    entity_type: row.entity_type.clone(),
                    detail,
                })
            })
            .collect();
        options.sort_by(|left, right| {
            left.name
                .to_lowercase()
                .cmp(&right.name.to_lowercase())
                .then_with(|| left.id.cmp(&right.id))
        });
        Ok(options)
    }

    /// Open conflicts, oldest first.
    pub async fn list_conflicts(&self, company_id: &str) -> CoreResult<Vec<ConflictSummary>> {
        let store = self.company_store(company_id).await?;
        Ok(store
            .open_conflicts()
            .await?
            .iter()
            .map(conflict_summary)
            .collect())
    }

    /// One conflict, side by side.
    pub async fn get_conflict(
        &self,
        company_id: &str,
        conflict_id: i64,
    ) -> CoreResult<ConflictDetail> {
        let store = self.company_store(company_id).await?;
        let conflict = store.conflict(conflict_id).await?.ok_or_else(|| {
            CoreError::Invalid(format!(
                "Conflict {conflict_id} does not exist (it may have been resolved already)."
            ))
        })?;
        let local_void = conflict.kind == local_store::ConflictKind::LocalEditRemoteDelete
            && store
                .record(&conflict.local_id)
                .await?
                .is_some_and(|record| record.intent == local_store::Intent::Void);
        Ok(ConflictDetail {
            local_void,
            summary: conflict_summary(&conflict),
            base: conflict.base.clone(),
            local: conflict.local.clone(),
            remote: conflict.remote.clone(),
            fields: conflict_fields(&conflict)
                .into_iter()
                .map(|field| {
                    let path = field.path.to_string();
                    // A field's value travels without its object: its
                    // path's last member says whether it is an amount.
                    let as_text = |value: Option<Value>| {
                        value.map(|value| amounts::member_as_text(&path, value))
                    };
                    FieldConflictView {
                        base: as_text(field.base),
                        local: as_text(field.local),
                        remote: as_text(field.remote),
                        decimal: amounts::is_decimal_path(&path),
                        path,
                    }
                })
                .collect(),
        })
    }

    /// Resolves a conflict; the result is pushed on the next sync.
    pub async fn resolve_conflict(
        &self,
        company_id: &str,
        conflict_id: i64,
        resolution: ResolutionInput,
    ) -> CoreResult<RecordDetail> {
        let resolution = match resolution {
            ResolutionInput::Fields { choices } => {
                let mut parsed = BTreeMap::new();
                for (path, choice) in choices {
                    let path = FieldPath::from_str(&path).map_err(|_| {
                        CoreError::Invalid(format!("\"{path}\" is not a field of this record."))
                    })?;
                    let choice = match choice {
                        ChoiceInput::Local => Choice::Local,
                        ChoiceInput::Remote => Choice::Remote,
                        ChoiceInput::Value { value } => {
                            Choice::Value(amounts::member_as_number(&path.to_string(), value)?)
                        }
                    };
                    parsed.insert(path, choice);
                }
                Resolution::Fields(parsed)
            }
            ResolutionInput::TakeLocal => Resolution::TakeLocal,
            ResolutionInput::TakeRemote => Resolution::TakeRemote,
            ResolutionInput::KeepLocalVersion => Resolution::KeepLocalVersion,
            ResolutionInput::AcceptDelete => Resolution::AcceptDelete,
        };
        let engine = self.engine(company_id).await?;
        let row = engine.resolve_conflict(conflict_id, resolution).await?;
        self.notify_companies().await;
        self.detail(company_id, row).await
    }

    /// A page of history, newest first.
    pub async fn list_history(
        &self,
        company_id: &str,
        query: HistoryQuery,
    ) -> CoreResult<HistoryPage> {
        let store = self.company_store(company_id).await?;
        let limit = query.limit.clamp(1, MAX_PAGE);
        let filter = HistoryFilter {
            local_id: query.local_id.clone(),
            offset: u64::from(query.offset),
            limit: u64::from(limit),
        };
        let entries = store.history(&filter).await?;
        let total = store.count_history(query.local_id.as_deref()).await?;
        Ok(HistoryPage {
            rows: entries.iter().map(history_row).collect(),
            total: u32::try_from(total).unwrap_or(u32::MAX),
        })
    }

    /// Undoes one change by queueing its inverse as a local change.
    pub async fn undo_change(&self, company_id: &str, history_id: i64) -> CoreResult<SaveOutcome> {
        let engine = self.engine(company_id).await?;
        let edit = engine.undo(history_id).await?;
        self.outcome(company_id, edit).await
    }

    /// Writes the whole history to a CSV file in the exports folder and
    /// returns its path.
    pub async fn export_history_csv(&self, company_id: &str) -> CoreResult<std::path::PathBuf> {
        let row = self.company_row(company_id).await?;
        let dir = self.exports_dir();
        std::fs::create_dir_all(&dir).map_err(|source| CoreError::Io {
            what: format!("Creating the exports folder {}", dir.display()),
            source,
        })?;
        let stamp = self.now().format("%Y%m%d-%H%M%S");
        let path = dir.join(format!(
            "history-{}-{stamp}.csv",
            crate::export::slug(&row.name)
        ));
        self.export_history(company_id, &path).await?;
        Ok(path)
    }

    /// The next push, computed without sending anything.
    pub async fn pending_changes(&self, company_id: &str) -> CoreResult<DryRun> {
        let engine = self.engine(company_id).await?;
        let dry_run = engine.dry_run().await?;
        Ok(DryRun {
            operations: dry_run
                .operations
                .into_iter()
                .map(|operation| PlannedOperation {
                    local_id: operation.local_id,
                    entity_type: operation.entity_type,
                    operation: operation.operation,
                    label: operation.label,
                    fields: operation.fields,
                })
                .collect(),
            issues: dry_run
                .held_back
                .into_iter()
                .map(|held| RecordIssues {
                    local_id: held.local_id,
                    label: held.label,
                    issues: held.issues,
                })
                .collect(),
        })
    }

    /// A company's settings.
    pub async fn company_settings(&self, company_id: &str) -> CoreResult<CompanySettings> {
        Ok(company_settings(&self.company_row(company_id).await?))
    }

    /// Saves a company's settings; a new interval applies from now on.
    pub async fn save_company_settings(
        &self,
        company_id: &str,
        settings: CompanySettings,
    ) -> CoreResult<CompanySettings> {
        if settings.sync_interval_minutes < MIN_SYNC_INTERVAL_MINUTES {
            return Err(CoreError::Invalid(format!(
                "Sync at most every {MIN_SYNC_INTERVAL_MINUTES} minutes: QuickBooks meters every request."
            )));
        }
        let locations = self.company_store(company_id).await?.locations().await?;
        crate::products::check_product_settings(&settings.products, &locations)?;
        let mut row = self.company_row(company_id).await?;
        row.settings = serde_json::to_value(&settings)
            .map_err(|error| CoreError::Invalid(error.to_string()))?;
        self.app_store().update_company(&row).await?;
        if let Some(runtime) = self.inner.companies.lock().await.get(company_id).cloned() {
            // The engine picks the new auto-create choice up when next built.
            runtime.set_engine(None);
            if self.inner.options.timers {
                self.start_timer(company_id, &runtime).await;
            }
        }
        Ok(settings)
    }

    /// The app's settings.
    pub async fn app_settings(&self) -> CoreResult<AppSettings> {
        let store = self.app_store();
        let theme = store.setting(THEME_SETTING).await?;
        let client_id = store.setting(OWN_CLIENT_ID_SETTING).await?;
        let environment = store.setting(OWN_ENVIRONMENT_SETTING).await?;
        Ok(AppSettings {
            theme: theme.unwrap_or_else(|| AppSettings::default().theme),
            relay_url: store.setting(crate::relay::RELAY_URL_SETTING).await?,
            effective_relay_url: self.relay_url().await?,
            quickbooks_api_url: store
                .setting(crate::relay::QUICKBOOKS_API_URL_SETTING)
                .await?,
            own_keys: client_id.map(|client_id| OwnKeysView {
                client_id,
                environment: environment.unwrap_or_else(|| "sandbox".to_owned()),
            }),
            own_keys_redirect_uri: crate::companies::own_keys_redirect_uri(),
        })
    }

    /// Saves the app's settings (the theme, the relay address and the
    /// QuickBooks API address; the read-only fields are ignored).
    pub async fn save_app_settings(&self, settings: AppSettings) -> CoreResult<AppSettings> {
        if !["system", "light", "dark"].contains(&settings.theme.as_str()) {
            return Err(CoreError::Invalid(format!(
                "The theme must be system, light or dark, not \"{}\".",
                settings.theme
            )));
        }
        let address = |value: Option<String>, what: &str| -> CoreResult<String> {
            let value = value
                .map(|value| value.trim().to_owned())
                .unwrap_or_default();
            if !value.is_empty()
                && !url::Url::parse(&value)
                    .is_ok_and(|url| matches!(url.scheme(), "http" | "https"))
            {
                return Err(CoreError::Invalid(format!(
                    "The {what} \"{value}\" is not a web address; type it in full, starting with https://, or leave it empty."
                )));
            }
            Ok(value)
        };
        let relay = address(settings.relay_url, "relay address")?;
        let api = address(settings.quickbooks_api_url, "QuickBooks API address")?;
        let store = self.app_store();
        store.set_setting(THEME_SETTING, &settings.theme).await?;
        store
            .set_setting(crate::relay::RELAY_URL_SETTING, &relay)
            .await?;
        store
            .set_setting(crate::relay::QUICKBOOKS_API_URL_SETTING, &api)
            .await?;
        self.app_settings().await
    }

    /// Sets the app's own Intuit keys (the advanced path), once for every
    /// company added with them; the secret goes to the OS keyring only.
    pub async fn set_own_keys(&self, keys: OwnKeysInput) -> CoreResult<AppSettings> {
        let environment = keys.environment.trim().to_lowercase();
        if environment != "sandbox" && environment != "production" {
            return Err(CoreError::Invalid(format!(
                "The environment must be \"sandbox\" or \"production\", not \"{}\".",
                keys.environment
            )));
        }
        let client_id = keys.client_id.trim().to_owned();
        if client_id.is_empty() || keys.client_secret.trim().is_empty() {
            return Err(CoreError::Invalid(
                "Enter the client id and client secret from your app's Keys page on the Intuit developer portal.".to_owned(),
            ));
        }
        self.inner.options.vault.store_client_secret(
            OWN_KEYS_VAULT_ID,
            &secrets::Sensitive::new(keys.client_secret.trim().to_owned()),
        )?;
        let store = self.app_store();
        store.set_setting(OWN_CLIENT_ID_SETTING, &client_id).await?;
        store
            .set_setting(OWN_ENVIRONMENT_SETTING, &environment)
            .await?;
        self.app_settings().await
    }

    /// The app's own keys with their secret, when set.
    pub(crate) async fn own_keys(
        &self,
    ) -> CoreResult<Option<(String, String, secrets::Sensitive<String>)>> {
        let store = self.app_store();
        let (Some(client_id), Some(environment)) = (
            store
                .setting(OWN_CLIENT_ID_SETTING)
                .await?
                .filter(|id| !id.is_empty()),
            store.setting(OWN_ENVIRONMENT_SETTING).await?,
        ) else {
            return Ok(None);
        };
        let Some(secret) = self
            .inner
            .options
            .vault
            .load_client_secret(OWN_KEYS_VAULT_ID)?
        else {
            return Ok(None);
        };
        Ok(Some((client_id, environment, secret)))
    }

    pub(crate) async fn company_store(
        &self,
        company_id: &str,
    ) -> CoreResult<local_store::CompanyStore> {
        let row = self.company_row(company_id).await?;
        Ok(self.runtime(&row).await?.store.clone())
    }

    pub(crate) async fn engine(
        &self,
        company_id: &str,
    ) -> CoreResult<std::sync::Arc<crate::CompanyEngine>> {
        let row = self.company_row(company_id).await?;
        let runtime = self.runtime(&row).await?;
        self.ensure_engine(&row, &runtime).await
    }

    pub(crate) async fn outcome(
        &self,
        company_id: &str,
        edit: LocalEdit,
    ) -> CoreResult<SaveOutcome> {
        let record = self.detail(company_id, edit.record).await?;
        self.notify_companies().await;
        Ok(SaveOutcome {
            record,
            issues: edit.issues,
        })
    }

    async fn detail(&self, company_id: &str, row: RecordRow) -> CoreResult<RecordDetail> {
        let store = self.company_store(company_id).await?;
        let conflict_id = store
            .conflict_for(&row.local_id)
            .await?
            .map(|conflict| conflict.id);
        let live = row.state != RecordState::Deleted && !row.remote_deleted;
        let voided = row.intent == local_store::Intent::Void;
        Ok(RecordDetail {
            can_void: live && !voided && entities::can_void(&row.entity_type),
            can_delete: live
                && row.intent != local_store::Intent::Delete
                && (row.active || !entities::is_master(&row.entity_type)),
            row: RecordListRow::from_row(&row),
            local: row.local,
            base: row.base,
            remote: row.remote,
            conflict_id,
        })
    }
}

/// The store's filter for what the Records page (or its export) selects,
/// from `offset`, at most `limit` rows.
pub(crate) fn record_filter(
    query: RecordQuery,
    offset: u64,
    limit: u64,
) -> CoreResult<RecordFilter> {
    Ok(RecordFilter {
        entity_type: query.entity_type.filter(|entity| !entity.is_empty()),
        include_deleted: query.states.contains(&RecordState::Deleted),
        states: query.states,
        search: query
            .search
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty()),
        date_from: parse_date("from", query.date_from.as_deref())?,
        date_to: parse_date("to", query.date_to.as_deref())?,
        open_only: query.open_only.unwrap_or(false),
        sort: query.sort,
        descending: query.descending,
        offset,
        limit,
    })
}

pub(crate) fn parse_date(which: &str, text: Option<&str>) -> CoreResult<Option<NaiveDate>> {
    match text.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(None),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                CoreError::Invalid(format!(
                    "The \"{which}\" date \"{text}\" is not a date; use YYYY-MM-DD."
                ))
            }),
    }
}

fn conflict_fields(conflict: &ConflictRow) -> Vec<FieldConflict> {
    serde_json::from_value(conflict.fields.clone()).unwrap_or_default()
}

fn conflict_summary(conflict: &ConflictRow) -> ConflictSummary {
    let object = conflict
        .local
        .as_ref()
        .or(conflict.remote.as_ref())
        .or(conflict.base.as_ref());
    let label = object.map_or_else(
        || conflict.entity_type.clone(),
        |object| entities::display_label(&conflict.entity_type, object),
    );
    ConflictSummary {
        id: conflict.id,
        local_id: conflict.local_id.clone(),
        entity_type: conflict.entity_type.clone(),
        label,
        kind: conflict.kind,
        field_count: u32::try_from(conflict_fields(conflict).len()).unwrap_or(u32::MAX),
        opened_at: conflict.opened_at.to_rfc3339(),
    }
}

fn history_row(entry: &HistoryEntry) -> HistoryRow {
    let undoable_operation = matches!(
        entry.operation.as_str(),
        "create" | "update" | "delete" | "void" | "merge" | "resolve" | "inactivate"
    );
    HistoryRow {
        id: entry.id,
        at: entry.at.to_rfc3339(),
        local_id: entry.local_id.clone(),
        entity_type: entry.entity_type.clone(),
        qbo_id: entry.qbo_id.clone(),
        direction: entry.direction,
        operation: entry.operation.clone(),
        summary: entry.summary.clone(),
        before: entry.before.clone(),
        after: entry.after.clone(),
        can_undo: undoable_operation && (entry.before.is_some() || entry.operation == "create"),
    }
}

/// The fields that differ between two versions, for the export.
pub(crate) fn changed_paths(
    entity: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Vec<String> {
    match (before, after) {
        (Some(before), Some(after)) => sync_engine::merge::changed_fields(entity, before, after)
            .iter()
            .map(ToString::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// Refuses fields QuickBooks does not know for the entity (a misspelt
/// `CustomerRf`, say) before anything is stored, rather than storing a record
/// QuickBooks will refuse at the next sync. Fields the record already has
/// (QuickBooks sent them) pass: only what the input adds is checked.
fn check_field_names(
    entity_type: &str,
    object: &Value,
    existing: Option<&Value>,
) -> CoreResult<()> {
    use qbo_client::model::fields::{unknown_fields, unknown_line_fields};
    // Entity types the model does not cover are refused by the engine.
    let Ok(entity) = qbo_client::model::EntityType::from_str(entity_type) else {
        return Ok(());
    };
    let Some(members) = object.as_object() else {
        return Ok(());
    };
    let had = |name: &str| existing.and_then(|existing| existing.get(name)).is_some();
    let mut unknown: Vec<String> = unknown_fields(entity, members.keys().map(String::as_str))
        .into_iter()
        .filter(|name| !had(name))
        .map(str::to_owned)
        .collect();
    if let Some(lines) = members.get("Line").and_then(Value::as_array) {
        // What the record's own lines already carry is QuickBooks' doing.
        let known_before: std::collections::BTreeSet<String> = existing
            .and_then(|existing| existing.get("Line"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .flat_map(unknown_line_fields)
            .collect();
        for (index, line) in lines.iter().enumerate() {
            let Some(line) = line.as_object() else {
                continue;
            };
            unknown.extend(
                unknown_line_fields(line)
                    .into_iter()
                    .filter(|path| !known_before.contains(path))
                    .map(|path| format!("Line[{}].{path}", index + 1)),
            );
        }
    }
    if unknown.is_empty() {
        return Ok(());
    }
    Err(CoreError::Invalid(format!(
        "QuickBooks has no {} field named {}; check the spelling against QuickBooks' field names. Nothing was saved.",
        entity.name(),
        unknown
            .iter()
            .map(|name| format!("\"{name}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}
