/**
 * The one module that talks to the Rust side. Every IPC command gets a typed
 * function here, and every failure — a `CommandError` from Rust, or the IPC
 * layer itself failing — reaches callers as a `CommandFailure`, which is a
 * `CommandError` ({ kind, message }) that is also an `Error`.
 *
 * A guard test (ipc-guard.test.ts) fails if any other module imports `invoke`.
 */
import { Channel, invoke, type InvokeArgs } from '@tauri-apps/api/core';

import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { getCurrentWindow } from '@tauri-apps/api/window';

import type { AppSettings } from './generated/AppSettings';
import type { Catalogue } from './generated/Catalogue';
import type { ChoiceInput } from './generated/ChoiceInput';
import type { CompanyCharts } from './generated/CompanyCharts';
import type { CompanyOverview } from './generated/CompanyOverview';
import type { CompanySettings } from './generated/CompanySettings';
import type { CompanySummary } from './generated/CompanySummary';
import type { ConflictDetail } from './generated/ConflictDetail';
import type { ConflictKind } from './generated/ConflictKind';
import type { ConflictSummary } from './generated/ConflictSummary';
import type { Direction } from './generated/Direction';
import type { DryRun } from './generated/DryRun';
import type { FieldConflictView } from './generated/FieldConflictView';
import type { HistoryPage } from './generated/HistoryPage';
import type { HistoryQuery } from './generated/HistoryQuery';
import type { HistoryRow } from './generated/HistoryRow';
import type { IntuitKeysInput } from './generated/IntuitKeysInput';
import type { LocationView } from './generated/LocationView';
import type { NewProduct } from './generated/NewProduct';
import type { OpenTotal } from './generated/OpenTotal';
import type { SyncActivityDay } from './generated/SyncActivityDay';
import type { OwnKeysInput } from './generated/OwnKeysInput';
import type { FieldChange } from './generated/FieldChange';
import type { PendingChange } from './generated/PendingChange';
import type { PendingReview } from './generated/PendingReview';
import type { PickerOption } from './generated/PickerOption';
import type { PlannedOperation } from './generated/PlannedOperation';
import type { Problem } from './generated/Problem';
import type { ProblemAction } from './generated/ProblemAction';
import type { ProblemKind } from './generated/ProblemKind';
import type { ProductKind } from './generated/ProductKind';
import type { ProductMaster } from './generated/ProductMaster';
import type { ProductSettings } from './generated/ProductSettings';
import type { ProductView } from './generated/ProductView';
import type { RecordDetail } from './generated/RecordDetail';
import type { RecordIssues } from './generated/RecordIssues';
import type { RecordListRow } from './generated/RecordListRow';
import type { RecordPage } from './generated/RecordPage';
import type { RecordQuery } from './generated/RecordQuery';
import type { RecordSort } from './generated/RecordSort';
import type { RecordState } from './generated/RecordState';
import type { ResolutionInput } from './generated/ResolutionInput';
import type { SaveOutcome } from './generated/SaveOutcome';
import type { StockInput } from './generated/StockInput';
import type { StockLevel } from './generated/StockLevel';
import type { SyncAllFailure } from './generated/SyncAllFailure';
import type { SyncAllReport } from './generated/SyncAllReport';
import type { SyncPhase } from './generated/SyncPhase';
import type { SyncProgress } from './generated/SyncProgress';
import type { SyncReport } from './generated/SyncReport';
import type { UnsyncedProduct } from './generated/UnsyncedProduct';
import type { ValidationIssue } from './generated/ValidationIssue';

// The statements inbox and IIF export.
import type { AcceptEdits } from './generated/AcceptEdits';
import type { AcceptInput } from './generated/AcceptInput';
import type { AcceptReport } from './generated/AcceptReport';
import type { BulkAcceptInput } from './generated/BulkAcceptInput';
import type { ChosenFile } from './generated/ChosenFile';
import type { CsvAmountKind } from './generated/CsvAmountKind';
import type { CsvDateOrder } from './generated/CsvDateOrder';
import type { CsvLayout } from './generated/CsvLayout';
import type { CsvLayoutProposal } from './generated/CsvLayoutProposal';
import type { IifExportInput } from './generated/IifExportInput';
import type { IifExportReport } from './generated/IifExportReport';
import type { ExportList } from './generated/ExportList';
import type { ListExportInput } from './generated/ListExportInput';
import type { ListExportReport } from './generated/ListExportReport';
import type { InboxCounts } from './generated/InboxCounts';
import type { InboxEntryView } from './generated/InboxEntryView';
import type { InboxPage } from './generated/InboxPage';
import type { InboxQuery } from './generated/InboxQuery';
import type { InboxState } from './generated/InboxState';
import type { InboxSuggestion } from './generated/InboxSuggestion';
import type { SkippedEntry } from './generated/SkippedEntry';
import type { SplitLine } from './generated/SplitLine';
import type { StatementImportInput } from './generated/StatementImportInput';
import type { StatementImportReport } from './generated/StatementImportReport';
import type { StatementRuleInput } from './generated/StatementRuleInput';
import type { StatementRuleView } from './generated/StatementRuleView';
import type { StatementRulesReport } from './generated/StatementRulesReport';
import type { StatementTxnType } from './generated/StatementTxnType';
import type { SuggestionSource } from './generated/SuggestionSource';

import type { AppInfo } from './generated/AppInfo';
import type { CommandError } from './generated/CommandError';

export type { AppInfo, CommandError };

/** The `kind` given to failures that did not come from a Rust command's own error. */
export const IPC_FAILURE_KIND = 'ipc';

/** A rejected command, shaped as the wire error and usable as an `Error`. */
export class CommandFailure extends Error implements CommandError {
  readonly kind: string;
  /** What the failure means and the button that fixes it, when Rust knows one. */
  readonly problem?: Problem;

  constructor(error: CommandError) {
    super(error.message);
    this.name = 'CommandFailure';
    this.kind = error.kind;
    if (error.problem !== undefined) {
      this.problem = error.problem;
    }
  }
}

/** Whether a value has the wire shape of a `CommandError`. */
export function isCommandError(value: unknown): value is CommandError {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const candidate = value as Record<string, unknown>;
  return typeof candidate['kind'] === 'string' && typeof candidate['message'] === 'string';
}

/**
 * Turns whatever `invoke` rejected with into a `CommandFailure`. Rust commands
 * reject with a `CommandError` object; Tauri itself rejects with a bare string
 * (for example when a command is missing or not allowed by a capability).
 */
export function toCommandFailure(reason: unknown): CommandFailure {
  if (reason instanceof CommandFailure) {
    return reason;
  }
  if (isCommandError(reason)) {
    const problem = (reason as { problem?: Problem }).problem;
    return new CommandFailure(
      problem === undefined
        ? { kind: reason.kind, message: reason.message }
        : { kind: reason.kind, message: reason.message, problem },
    );
  }
  if (typeof reason === 'string' && reason.trim() !== '') {
    return new CommandFailure({ kind: IPC_FAILURE_KIND, message: reason });
  }
  if (reason instanceof Error && reason.message.trim() !== '') {
    return new CommandFailure({ kind: IPC_FAILURE_KIND, message: reason.message });
  }
  return new CommandFailure({
    kind: IPC_FAILURE_KIND,
    message: 'Ledgerlink could not reach its background service. Restart the app; if this keeps happening, send the log files to support.',
  });
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toCommandFailure(reason);
  }
}

/** The app's version and the folders it keeps its data and logs in. */
export function appInfo(): Promise<AppInfo> {
  return call<AppInfo>('app_info');
}

/** Tells the Rust side that the first screen has painted with its content (it logs how long the start took). */
export function firstScreenPainted(): Promise<void> {
  return call<void>('first_screen_painted');
}

export type {
  AcceptEdits,
  AcceptInput,
  AcceptReport,
  BulkAcceptInput,
  ChosenFile,
  CsvAmountKind,
  CsvDateOrder,
  CsvLayout,
  CsvLayoutProposal,
  IifExportInput,
  IifExportReport,
  ExportList,
  ListExportInput,
  ListExportReport,
  InboxCounts,
  InboxEntryView,
  InboxPage,
  InboxQuery,
  InboxState,
  InboxSuggestion,
  SkippedEntry,
  SplitLine,
  StatementImportInput,
  StatementImportReport,
  StatementRuleInput,
  StatementRuleView,
  StatementRulesReport,
  StatementTxnType,
  SuggestionSource,
  AppSettings,
  Catalogue,
  ChoiceInput,
  CompanyCharts,
  CompanySettings,
  CompanyOverview,
  CompanySummary,
  ConflictDetail,
  ConflictKind,
  ConflictSummary,
  Direction,
  DryRun,
  FieldConflictView,
  FieldChange,
  HistoryPage,
  HistoryQuery,
  HistoryRow,
  IntuitKeysInput,
  LocationView,
  NewProduct,
  OwnKeysInput,
  PendingChange,
  PendingReview,
  PickerOption,
  PlannedOperation,
  OpenTotal,
  SyncActivityDay,
  Problem,
  ProblemAction,
  ProblemKind,
  ProductKind,
  ProductMaster,
  ProductSettings,
  ProductView,
  RecordDetail,
  RecordIssues,
  RecordListRow,
  RecordPage,
  RecordQuery,
  RecordSort,
  RecordState,
  ResolutionInput,
  SaveOutcome,
  StockInput,
  StockLevel,
  SyncAllFailure,
  SyncAllReport,
  SyncPhase,
  SyncProgress,
  SyncReport,
  UnlistenFn,
  UnsyncedProduct,
  ValidationIssue,
};

/** Every company with its sync state. */
export function listCompanies(): Promise<CompanySummary[]> {
  return call<CompanySummary[]>('list_companies');
}

/** Every local change with the before → after of each field it changes. */
export function pendingReview(companyId: string): Promise<PendingReview> {
  return call<PendingReview>('pending_review', { companyId });
}

/** Holds a local change back from the push (`held`), or releases it. */
export function holdBack(companyId: string, localId: string, held: boolean): Promise<void> {
  return call<void>('hold_back', { companyId, localId, held });
}

/** Throws a local change away; the history keeps it. */
export function discardChange(companyId: string, localId: string): Promise<SaveOutcome> {
  return call<SaveOutcome>('discard_change', { companyId, localId });
}

/** Every company with its counts and open documents, most in need of the user first. */
export function companiesOverview(): Promise<CompanyOverview[]> {
  return call<CompanyOverview[]>('companies_overview');
}

/**
 * A company's sync activity over the last 30 days and its open and overdue
 * invoices and bills (the Companies page's charts). `utcOffsetMinutes` is how
 * far the user's time zone is ahead of UTC, so the days are the user's.
 */
export function companyCharts(companyId: string, utcOffsetMinutes: number): Promise<CompanyCharts> {
  return call<CompanyCharts>('company_charts', { companyId, utcOffsetMinutes });
}

/** Adds the demo company (an emulated QuickBooks company) and connects it. */
export function addDemoCompany(): Promise<CompanySummary> {
  return call<CompanySummary>('add_demo_company');
}

/**
 * Adds a QuickBooks company reached through the relay (no keys); connect it
 * next. Without a name, QuickBooks' name of the company is used once connected.
 * Fails with kind `relay_needed` when no relay address is set.
 */
export function addQuickbooksCompany(name: string | null): Promise<CompanySummary> {
  return call<CompanySummary>('add_quickbooks_company', { name });
}

/** Sets the app's own Intuit keys (the advanced path), once for the app. */
export function setOwnKeys(input: OwnKeysInput): Promise<AppSettings> {
  return call<AppSettings>('set_own_keys', { input });
}

/** Adds a company with the app's own Intuit keys (set first); connect it next. */
export function addIntuitCompany(input: IntuitKeysInput): Promise<CompanySummary> {
  return call<CompanySummary>('add_intuit_company', { input });
}

/** Opens the consent page in the system browser and resolves once connected. */
export function connectCompany(companyId: string): Promise<CompanySummary> {
  return call<CompanySummary>('connect_company', { companyId });
}

/** Stops waiting for the browser. */
export function cancelConnect(companyId: string): Promise<void> {
  return call<void>('cancel_connect', { companyId });
}

/** Syncs a company now; `onProgress` hears every step. */
export function syncNow(
  companyId: string,
  onProgress: (progress: SyncProgress) => void,
): Promise<SyncReport> {
  const channel = new Channel<SyncProgress>();
  channel.onmessage = onProgress;
  return call<SyncReport>('sync_now', { companyId, onProgress: channel });
}

/** Syncs every connected company through the queue, two at a time. */
export function syncAll(): Promise<SyncAllReport> {
  return call<SyncAllReport>('sync_all');
}

/** Asks a running sync to stop between steps. */
export function cancelSync(companyId: string): Promise<void> {
  return call<void>('cancel_sync', { companyId });
}

/** A page of records. */
export function listRecords(companyId: string, query: RecordQuery): Promise<RecordPage> {
  return call<RecordPage>('list_records', { companyId, query });
}

/** One record with its local, base and QuickBooks versions. */
export function getRecord(companyId: string, localId: string): Promise<RecordDetail> {
  return call<RecordDetail>('get_record', { companyId, localId });
}

/** Saves a new record (localId null) or an edit; it reaches QuickBooks on the next sync. */
export function saveRecord(
  companyId: string,
  localId: string | null,
  entityType: string,
  object: unknown,
): Promise<SaveOutcome> {
  return call<SaveOutcome>('save_record', { companyId, localId, entityType, object });
}

/** The embedded demo emulator's address while it runs, else null. */
export function demoAddress(): Promise<string | null> {
  return call<string | null>('demo_address');
}

/** Revokes the company's connection at Intuit; its local data stays. */
export function disconnectCompany(companyId: string): Promise<CompanySummary> {
  return call<CompanySummary>('disconnect_company', { companyId });
}

/** Deletes the company and all its local data from this computer. */
export function removeCompany(companyId: string): Promise<void> {
  return call<void>('remove_company', { companyId });
}

/** Deletes a transaction, or makes a list entry inactive, on the next sync. */
export function deleteRecord(companyId: string, localId: string): Promise<SaveOutcome> {
  return call<SaveOutcome>('delete_record', { companyId, localId });
}

/** Voids a transaction on the next sync. */
export function voidRecord(companyId: string, localId: string): Promise<SaveOutcome> {
  return call<SaveOutcome>('void_record', { companyId, localId });
}

/** The active entries of a list (customers, vendors, items, accounts…) for a picker. */
export function pickerOptions(companyId: string, entityType: string): Promise<PickerOption[]> {
  return call<PickerOption[]>('picker_options', { companyId, entityType });
}

/** The company's open conflicts. */
export function listConflicts(companyId: string): Promise<ConflictSummary[]> {
  return call<ConflictSummary[]>('list_conflicts', { companyId });
}

/** One conflict with the three versions and the fields that differ. */
export function getConflict(companyId: string, conflictId: number): Promise<ConflictDetail> {
  return call<ConflictDetail>('get_conflict', { companyId, conflictId });
}

/** Resolves a conflict; the result reaches QuickBooks on the next sync. */
export function resolveConflict(
  companyId: string,
  conflictId: number,
  resolution: ResolutionInput,
): Promise<RecordDetail> {
  return call<RecordDetail>('resolve_conflict', { companyId, conflictId, resolution });
}

/** A page of the change history, newest first. */
export function listHistory(companyId: string, query: HistoryQuery): Promise<HistoryPage> {
  return call<HistoryPage>('list_history', { companyId, query });
}

/** Puts back the version before one change (as a new local change). */
export function undoChange(companyId: string, historyId: number): Promise<SaveOutcome> {
  return call<SaveOutcome>('undo_change', { companyId, historyId });
}

/** What the next sync would send, and what it would hold back, without sending anything. */
export function pendingChanges(companyId: string): Promise<DryRun> {
  return call<DryRun>('pending_changes', { companyId });
}

/** A company's sync settings. */
export function getCompanySettings(companyId: string): Promise<CompanySettings> {
  return call<CompanySettings>('get_company_settings', { companyId });
}

/** Saves a company's sync settings and returns them as stored. */
export function saveCompanySettings(companyId: string, settings: CompanySettings): Promise<CompanySettings> {
  return call<CompanySettings>('save_company_settings', { companyId, settings });
}

/** The product catalogue: its settings, the stock locations, the products with their stock, those not synced. */
export function listProducts(companyId: string): Promise<Catalogue> {
  return call<Catalogue>('list_products', { companyId });
}

/** Creates a product here (Ledgerlink must be the product master); it reaches QuickBooks on the next sync. */
export function createProduct(companyId: string, product: NewProduct): Promise<ProductView> {
  return call<ProductView>('create_product', { companyId, product });
}

/** Sets a product's counted quantity and reorder minimum at one location. */
export function setStock(companyId: string, stock: StockInput): Promise<ProductView> {
  return call<ProductView>('set_stock', { companyId, stock });
}

/** Adds a stock location. */
export function addLocation(companyId: string, name: string): Promise<LocationView> {
  return call<LocationView>('add_location', { companyId, name });
}

/** Renames a stock location. */
export function renameLocation(companyId: string, locationId: string, name: string): Promise<LocationView> {
  return call<LocationView>('rename_location', { companyId, locationId, name });
}

/** Removes a stock location (never the default one, which mirrors QuickBooks). */
export function removeLocation(companyId: string, locationId: string): Promise<void> {
  return call<void>('remove_location', { companyId, locationId });
}

/** The app-wide settings (the theme). */
export function getAppSettings(): Promise<AppSettings> {
  return call<AppSettings>('get_app_settings');
}

/** Saves the app-wide settings and returns them as stored. */
export function saveAppSettings(settings: AppSettings): Promise<AppSettings> {
  return call<AppSettings>('save_app_settings', { settings });
}

/** Opens the logs folder in the system's file manager. */
export function openLogsFolder(): Promise<void> {
  return call<void>('open_logs_folder');
}

/** The payload of the "conflicts-arrived" event. */
export interface ConflictsArrived {
  companyId: string;
  count: number;
}

/** The event names the Rust side emits. */
export const EVENTS = {
  companiesChanged: 'companies-changed',
  conflictsArrived: 'conflicts-arrived',
  notificationOpened: 'notification-opened',
} as const;

/** A click on one of the app's OS notifications: the company and the page it leads to. */
export interface NotificationOpened {
  companyId: string;
  page: 'conflicts' | 'companies';
}

/**
 * Closes the window as its title bar's button does: the app stays in the
 * tray and its timers keep syncing (Quit in the tray or the menu ends it).
 * Without the Tauri runtime there is no window to close.
 */
export async function closeWindow(): Promise<void> {
  try {
    await getCurrentWindow().close();
  } catch {
    // No native window outside the app.
  }
}

/**
 * Names the window (and the document) after what it shows. Without the
 * Tauri runtime (a test, a browser preview) only the document is named.
 */
export async function setWindowTitle(title: string): Promise<void> {
  document.title = title;
  try {
    await getCurrentWindow().setTitle(title);
  } catch {
    // No native window to name outside the app.
  }
}

/**
 * Listens to an app event. Without the Tauri runtime (a browser preview, a
 * test) there are no events; the returned function is then a no-op, so
 * callers never have to tell the two apart.
 */
async function listenTo<T>(event: string, handler: (payload: T) => void): Promise<UnlistenFn> {
  try {
    return await listen<T>(event, (message) => handler(message.payload));
  } catch {
    return () => {};
  }
}

/** Hears the whole company list whenever a company's state changes. */
export function onCompaniesChanged(handler: (companies: CompanySummary[]) => void): Promise<UnlistenFn> {
  return listenTo<CompanySummary[]>(EVENTS.companiesChanged, handler);
}

/** Hears that a sync found new conflicts for a company. */
export function onConflictsArrived(handler: (arrived: ConflictsArrived) => void): Promise<UnlistenFn> {
  return listenTo<ConflictsArrived>(EVENTS.conflictsArrived, handler);
}

/** Hears a click on one of the app's notifications (the window is already back in front). */
export function onNotificationOpened(handler: (opened: NotificationOpened) => void): Promise<UnlistenFn> {
  return listenTo<NotificationOpened>(EVENTS.notificationOpened, handler);
}

/**
 * Asks for a statement file with the OS's open dialog and reads it on the
 * Rust side (the webview has no file access). Null when the person cancelled.
 */
export function chooseStatementFile(): Promise<ChosenFile | null> {
  return call<ChosenFile | null>('choose_statement_file');
}

/** Imports a statement into the inbox; a CSV with an unsure layout comes back with `needsLayout`. */
export function importStatement(companyId: string, input: StatementImportInput): Promise<StatementImportReport> {
  return call<StatementImportReport>('import_statement', { companyId, input });
}

/** The company's categorization rules, in the order they are tried. */
export function listStatementRules(companyId: string): Promise<StatementRuleView[]> {
  return call<StatementRuleView[]>('list_statement_rules', { companyId });
}

/** Adds a rule; the open entries' suggestions are worked out again. */
export function addStatementRule(companyId: string, input: StatementRuleInput): Promise<StatementRulesReport> {
  return call<StatementRulesReport>('add_statement_rule', { companyId, input });
}

/** Removes a rule; the open entries' suggestions are worked out again. */
export function removeStatementRule(companyId: string, ruleId: number): Promise<StatementRulesReport> {
  return call<StatementRulesReport>('remove_statement_rule', { companyId, ruleId });
}

/** A page of inbox entries. */
export function listInbox(companyId: string, query: InboxQuery): Promise<InboxPage> {
  return call<InboxPage>('list_inbox', { companyId, query });
}

/** Accepts one entry, with the person's edits if any. */
export function acceptInboxEntry(companyId: string, input: AcceptInput): Promise<AcceptReport> {
  return call<AcceptReport>('accept_inbox_entry', { companyId, input });
}

/** Accepts every new entry at or above a confidence. */
export function bulkAcceptInbox(companyId: string, input: BulkAcceptInput): Promise<AcceptReport> {
  return call<AcceptReport>('bulk_accept_inbox', { companyId, input });
}

/** Excludes entries: they are never sent to QuickBooks. */
export function excludeInboxEntries(companyId: string, ids: number[]): Promise<InboxEntryView[]> {
  return call<InboxEntryView[]>('exclude_inbox_entries', { companyId, ids });
}

/** Puts excluded entries back to review. */
export function restoreInboxEntries(companyId: string, ids: number[]): Promise<InboxEntryView[]> {
  return call<InboxEntryView[]>('restore_inbox_entries', { companyId, ids });
}

/**
 * Asks where to save with the OS's save dialog, then writes the IIF export
 * there. Null when the person cancelled the dialog.
 */
export function exportIifAs(companyId: string, input: IifExportInput): Promise<IifExportReport | null> {
  return call<IifExportReport | null>('export_iif_as', { companyId, input });
}

/**
 * Asks where to save with the OS's save dialog, then has Rust write the list
 * (records with their filters, history, products, conflicts, companies) there
 * as CSV. Null when the person cancelled the dialog.
 */
export function exportListAs(input: ListExportInput): Promise<ListExportReport | null> {
  return call<ListExportReport | null>('export_list_as', { input });
}

/**
 * Opens the folder holding a file Ledgerlink wrote in this session, in the
 * OS's file manager. Rust refuses any other path.
 */
export function showInFolder(path: string): Promise<void> {
  return call<void>('show_in_folder', { path });
}
