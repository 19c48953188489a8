//! The app's IPC commands. Each one is a short delegation to `app_core`;
//! a command that grows logic of its own belongs in app-core instead.
//!
//! Every command here must also be listed in `src-tauri/build.rs` and allowed
//! in a capability file, or the webview cannot call it.

use app_core::{
    AcceptInput, AcceptReport, BulkAcceptInput, IifExportInput, IifExportReport, InboxEntryView,
    InboxPage, InboxQuery, StatementImportInput, StatementImportReport, StatementRuleInput,
    StatementRuleView, StatementRulesReport,
};
use app_core::{
    AppInfo, AppSettings, Catalogue, CompanyCharts, CompanyOverview, CompanySettings,
    CompanySummary, ConflictDetail, ConflictSummary, DryRun, HistoryPage, HistoryQuery,
    IntuitKeysInput, LocationView, NewProduct, OwnKeysInput, PendingReview, PickerOption,
    ProductView, RecordDetail, RecordPage, RecordQuery, ResolutionInput, SaveOutcome, StockInput,
    SyncAllReport, SyncProgress, SyncReport,
};
use serde_json::Value;
use tauri::State;
use tauri::ipc::Channel;

use crate::error::CommandError;
use crate::state::AppState;

type Answer<T> = Result<T, CommandError>;

/// The app's version and the folders it keeps its files in.
#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> Answer<AppInfo> {
    Ok(state.core.app_info())
}

/// The UI painted its first screen with its content: the moment the app
/// has started, noted in the log (and for the desktop benchmark).
#[tauri::command]
pub fn first_screen_painted() {
    crate::timing::mark("first-screen-painted");
}

/// Every company with its state.
#[tauri::command]
pub async fn list_companies(state: State<'_, AppState>) -> Answer<Vec<CompanySummary>> {
    Ok(state.core.list_companies().await?)
}

/// Every company with its counts and open documents, most in need of the
/// user first (the Companies overview).
#[tauri::command]
pub async fn companies_overview(state: State<'_, AppState>) -> Answer<Vec<CompanyOverview>> {
    Ok(state.core.companies_overview().await?)
}

/// A company's sync activity over the last 30 days and its open and overdue
/// invoices and bills (the Companies page's charts). The webview passes its
/// time zone's distance from UTC, so days are the user's.
#[tauri::command]
pub async fn company_charts(
    state: State<'_, AppState>,
    company_id: String,
    utc_offset_minutes: i32,
) -> Answer<CompanyCharts> {
    Ok(state
        .core
        .company_charts(&company_id, utc_offset_minutes)
        .await?)
}

/// Adds and connects the demo company.
#[tauri::command]
pub async fn add_demo_company(state: State<'_, AppState>) -> Answer<CompanySummary> {
    Ok(state.core.add_demo_company().await?)
}

/// Adds a QuickBooks company reached through the relay (no keys); a name
/// is optional, QuickBooks supplies it once connected.
#[tauri::command]
pub async fn add_quickbooks_company(
    state: State<'_, AppState>,
    name: Option<String>,
) -> Answer<CompanySummary> {
    Ok(state.core.add_quickbooks_company(name).await?)
}

/// Sets the app's own Intuit keys (the advanced path), once for the app.
#[tauri::command]
pub async fn set_own_keys(state: State<'_, AppState>, input: OwnKeysInput) -> Answer<AppSettings> {
    Ok(state.core.set_own_keys(input).await?)
}

/// Adds a company with the app's own Intuit keys.
#[tauri::command]
pub async fn add_intuit_company(
    state: State<'_, AppState>,
    input: IntuitKeysInput,
) -> Answer<CompanySummary> {
    Ok(state.core.add_intuit_company(input).await?)
}

/// Connects a company through the system browser.
#[tauri::command]
pub async fn connect_company(
    state: State<'_, AppState>,
    company_id: String,
) -> Answer<CompanySummary> {
    Ok(state
        .core
        .connect_company(&company_id, crate::browser::open)
        .await?)
}

/// Stops waiting for the browser.
#[tauri::command]
pub fn cancel_connect(state: State<'_, AppState>, company_id: String) -> Answer<()> {
    state.core.cancel_connect(&company_id);
    Ok(())
}

/// Revokes a company's connection.
#[tauri::command]
pub async fn disconnect_company(
    state: State<'_, AppState>,
    company_id: String,
) -> Answer<CompanySummary> {
    Ok(state.core.disconnect_company(&company_id).await?)
}

/// Removes a company and its local data.
#[tauri::command]
pub async fn remove_company(state: State<'_, AppState>, company_id: String) -> Answer<()> {
    Ok(state.core.remove_company(&company_id).await?)
}

/// Syncs a company now, reporting progress over the channel.
#[tauri::command]
pub async fn sync_now(
    state: State<'_, AppState>,
    company_id: String,
    on_progress: Channel<SyncProgress>,
) -> Answer<SyncReport> {
    Ok(state
        .core
        .sync_now(&company_id, move |progress| {
            if let Err(error) = on_progress.send(progress) {
                tracing::debug!(%error, "the progress channel is closed");
            }
        })
        .await?)
}

/// Syncs every connected company through the queue, two at a time; each
/// company's state reaches the window as it changes.
#[tauri::command]
pub async fn sync_all(state: State<'_, AppState>) -> Answer<SyncAllReport> {
    Ok(state.core.sync_all().await?)
}

/// Cancels a running sync.
#[tauri::command]
pub async fn cancel_sync(state: State<'_, AppState>, company_id: String) -> Answer<()> {
    Ok(state.core.cancel_sync(&company_id).await?)
}

/// A page of records.
#[tauri::command]
pub async fn list_records(
    state: State<'_, AppState>,
    company_id: String,
    query: RecordQuery,
) -> Answer<RecordPage> {
    Ok(state.core.list_records(&company_id, query).await?)
}

/// One record.
#[tauri::command]
pub async fn get_record(
    state: State<'_, AppState>,
    company_id: String,
    local_id: String,
) -> Answer<RecordDetail> {
    Ok(state.core.get_record(&company_id, &local_id).await?)
}

/// Saves a new or edited record.
#[tauri::command]
pub async fn save_record(
    state: State<'_, AppState>,
    company_id: String,
    local_id: Option<String>,
    entity_type: String,
    object: Value,
) -> Answer<SaveOutcome> {
    Ok(state
        .core
        .save_record(&company_id, local_id.as_deref(), &entity_type, object)
        .await?)
}

/// Deletes a record (or makes a list entry inactive).
#[tauri::command]
pub async fn delete_record(
    state: State<'_, AppState>,
    company_id: String,
    local_id: String,
) -> Answer<SaveOutcome> {
    Ok(state.core.delete_record(&company_id, &local_id).await?)
}

/// Voids a transaction.
#[tauri::command]
pub async fn void_record(
    state: State<'_, AppState>,
    company_id: String,
    local_id: String,
) -> Answer<SaveOutcome> {
    Ok(state.core.void_record(&company_id, &local_id).await?)
}

/// The active entries of a list, for pickers.
#[tauri::command]
pub async fn picker_options(
    state: State<'_, AppState>,
    company_id: String,
    entity_type: String,
) -> Answer<Vec<PickerOption>> {
    Ok(state.core.picker_options(&company_id, &entity_type).await?)
}

/// Open conflicts.
#[tauri::command]
pub async fn list_conflicts(
    state: State<'_, AppState>,
    company_id: String,
) -> Answer<Vec<ConflictSummary>> {
    Ok(state.core.list_conflicts(&company_id).await?)
}

/// One conflict, side by side.
#[tauri::command]
pub async fn get_conflict(
    state: State<'_, AppState>,
    company_id: String,
    conflict_id: i64,
) -> Answer<ConflictDetail> {
    Ok(state.core.get_conflict(&company_id, conflict_id).await?)
}

/// Resolves a conflict.
#[tauri::command]
pub async fn resolve_conflict(
    state: State<'_, AppState>,
    company_id: String,
    conflict_id: i64,
    resolution: ResolutionInput,
) -> Answer<RecordDetail> {
    Ok(state
        .core
        .resolve_conflict(&company_id, conflict_id, resolution)
        .await?)
}

/// A page of history.
#[tauri::command]
pub async fn list_history(
    state: State<'_, AppState>,
    company_id: String,
    query: HistoryQuery,
) -> Answer<HistoryPage> {
    Ok(state.core.list_history(&company_id, query).await?)
}

/// Undoes one change.
#[tauri::command]
pub async fn undo_change(
    state: State<'_, AppState>,
    company_id: String,
    history_id: i64,
) -> Answer<SaveOutcome> {
    Ok(state.core.undo_change(&company_id, history_id).await?)
}

/// The next push, without sending it.
#[tauri::command]
pub async fn pending_changes(state: State<'_, AppState>, company_id: String) -> Answer<DryRun> {
    Ok(state.core.pending_changes(&company_id).await?)
}

/// Every local change with the before → after of each field it changes.
#[tauri::command]
pub async fn pending_review(
    state: State<'_, AppState>,
    company_id: String,
) -> Answer<PendingReview> {
    Ok(state.core.pending_review(&company_id).await?)
}

/// Holds a local change back from the push, or releases it.
#[tauri::command]
pub async fn hold_back(
    state: State<'_, AppState>,
    company_id: String,
    local_id: String,
    held: bool,
) -> Answer<()> {
    Ok(state.core.hold_back(&company_id, &local_id, held).await?)
}

/// Throws away a local change (the history keeps it).
#[tauri::command]
pub async fn discard_change(
    state: State<'_, AppState>,
    company_id: String,
    local_id: String,
) -> Answer<SaveOutcome> {
    Ok(state.core.discard_change(&company_id, &local_id).await?)
}

/// A company's settings.
#[tauri::command]
pub async fn get_company_settings(
    state: State<'_, AppState>,
    company_id: String,
) -> Answer<CompanySettings> {
    Ok(state.core.company_settings(&company_id).await?)
}

/// Saves a company's settings.
#[tauri::command]
pub async fn save_company_settings(
    state: State<'_, AppState>,
    company_id: String,
    settings: CompanySettings,
) -> Answer<CompanySettings> {
    Ok(state
        .core
        .save_company_settings(&company_id, settings)
        .await?)
}

/// The app's settings.
#[tauri::command]
pub async fn get_app_settings(state: State<'_, AppState>) -> Answer<AppSettings> {
    Ok(state.core.app_settings().await?)
}

/// Saves the app's settings.
#[tauri::command]
pub async fn save_app_settings(
    state: State<'_, AppState>,
    settings: AppSettings,
) -> Answer<AppSettings> {
    Ok(state.core.save_app_settings(settings).await?)
}

/// Opens the log folder in the OS's file manager.
#[tauri::command]
pub fn open_logs_folder(state: State<'_, AppState>) -> Answer<()> {
    let folder = state.core.app_info().log_dir;
    open::that_detached(&folder).map_err(|error| CommandError {
        kind: "io".to_owned(),
        message: format!(
            "The logs folder {folder} could not be opened ({error}); open it by hand."
        ),
        problem: None,
    })
}

/// The address of the embedded demo emulator while it runs; its web view at
/// `/_emulator/web/` shows the demo company as the client sees it in QuickBooks.
#[tauri::command]
pub async fn demo_address(state: State<'_, AppState>) -> Answer<Option<String>> {
    Ok(state.core.demo_address().await)
}

/// The product catalogue with stock per location.
#[tauri::command]
pub async fn list_products(state: State<'_, AppState>, company_id: String) -> Answer<Catalogue> {
    Ok(state.core.list_products(&company_id).await?)
}

/// Creates a product here (Ledgerlink must be the product master).
#[tauri::command]
pub async fn create_product(
    state: State<'_, AppState>,
    company_id: String,
    product: NewProduct,
) -> Answer<ProductView> {
    Ok(state.core.create_product(&company_id, product).await?)
}

/// Sets a product's counted quantity and minimum at a location.
#[tauri::command]
pub async fn set_stock(
    state: State<'_, AppState>,
    company_id: String,
    stock: StockInput,
) -> Answer<ProductView> {
    Ok(state.core.set_stock(&company_id, stock).await?)
}

/// Adds a stock location.
#[tauri::command]
pub async fn add_location(
    state: State<'_, AppState>,
    company_id: String,
    name: String,
) -> Answer<LocationView> {
    Ok(state.core.add_location(&company_id, &name).await?)
}

/// Renames a stock location.
#[tauri::command]
pub async fn rename_location(
    state: State<'_, AppState>,
    company_id: String,
    location_id: String,
    name: String,
) -> Answer<LocationView> {
    Ok(state
        .core
        .rename_location(&company_id, &location_id, &name)
        .await?)
}

/// Removes a stock location and the stock kept there.
#[tauri::command]
pub async fn remove_location(
    state: State<'_, AppState>,
    company_id: String,
    location_id: String,
) -> Answer<()> {
    Ok(state
        .core
        .remove_location(&company_id, &location_id)
        .await?)
}

/// Imports a bank or card statement into the review inbox.
#[tauri::command]
pub async fn import_statement(
    state: State<'_, AppState>,
    company_id: String,
    input: StatementImportInput,
) -> Answer<StatementImportReport> {
    Ok(state.core.import_statement(&company_id, input).await?)
}

/// A page of the statement inbox.
#[tauri::command]
pub async fn list_inbox(
    state: State<'_, AppState>,
    company_id: String,
    query: InboxQuery,
) -> Answer<InboxPage> {
    Ok(state.core.list_inbox(&company_id, query).await?)
}

/// Accepts one inbox entry, with the user's edits.
#[tauri::command]
pub async fn accept_inbox_entry(
    state: State<'_, AppState>,
    company_id: String,
    input: AcceptInput,
) -> Answer<AcceptReport> {
    Ok(state.core.accept_inbox_entry(&company_id, input).await?)
}

/// Accepts every new inbox entry suggested with at least the given confidence.
#[tauri::command]
pub async fn bulk_accept_inbox(
    state: State<'_, AppState>,
    company_id: String,
    input: BulkAcceptInput,
) -> Answer<AcceptReport> {
    Ok(state.core.bulk_accept_inbox(&company_id, input).await?)
}

/// Leaves inbox entries out.
#[tauri::command]
pub async fn exclude_inbox_entries(
    state: State<'_, AppState>,
    company_id: String,
    ids: Vec<i64>,
) -> Answer<Vec<InboxEntryView>> {
    Ok(state.core.exclude_inbox_entries(&company_id, &ids).await?)
}

/// The company's categorization rules, in the order they are tried.
#[tauri::command]
pub async fn list_statement_rules(
    state: State<'_, AppState>,
    company_id: String,
) -> Answer<Vec<StatementRuleView>> {
    Ok(state.core.list_statement_rules(&company_id).await?)
}

/// Adds a categorization rule; the open entries are suggested for again.
#[tauri::command]
pub async fn add_statement_rule(
    state: State<'_, AppState>,
    company_id: String,
    input: StatementRuleInput,
) -> Answer<StatementRulesReport> {
    Ok(state.core.add_statement_rule(&company_id, input).await?)
}

/// Removes a categorization rule; the open entries are suggested for again.
#[tauri::command]
pub async fn remove_statement_rule(
    state: State<'_, AppState>,
    company_id: String,
    rule_id: u32,
) -> Answer<StatementRulesReport> {
    Ok(state
        .core
        .remove_statement_rule(&company_id, rule_id)
        .await?)
}

/// Puts excluded or already-in-QuickBooks entries back into review.
#[tauri::command]
pub async fn restore_inbox_entries(
    state: State<'_, AppState>,
    company_id: String,
    ids: Vec<i64>,
) -> Answer<Vec<InboxEntryView>> {
    Ok(state.core.restore_inbox_entries(&company_id, &ids).await?)
}

/// Writes the company's lists and transactions as an IIF file in the exports folder.
#[tauri::command]
pub async fn export_iif(
    state: State<'_, AppState>,
    company_id: String,
    input: IifExportInput,
) -> Answer<IifExportReport> {
    let report = state.core.export_iif(&company_id, input, None).await?;
    state.remember_written(std::path::Path::new(&report.path));
    Ok(report)
}
