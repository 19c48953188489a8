/**
 * The one module that talks to the Rust side. Every IPC command gets a typed
 * function here, and every failure — a `CommandError` from Rust, or the IPC
 * layer itself failing — reaches callers as a `CommandFailure`, which is a
 * `CommandError` ({ kind, message }) that is also an `Error`.
 *
 * A guard test (ipc-guard.test.ts) fails if any other module imports `invoke`.
 */
import { Channel, invoke, type InvokeArgs } from '@tauri-apps/api/core';

import type { CompanySummary } from './generated/CompanySummary';
import type { IntuitKeysInput } from './generated/IntuitKeysInput';
import type { RecordDetail } from './generated/RecordDetail';
import type { RecordPage } from './generated/RecordPage';
import type { SaveOutcome } from './generated/SaveOutcome';
import type { RecordQuery } from './generated/RecordQuery';
import type { SyncProgress } from './generated/SyncProgress';
import type { SyncReport } from './generated/SyncReport';

import type { AppInfo } from './generated/AppInfo';
import type { CommandError } from './generated/CommandError';

export type { AppInfo, CommandError };

/** The `kind` given to failures that did not come from a Rust command's own error. */
export const IPC_FAILURE_KIND = 'ipc';

/** A rejected command, shaped as the wire error and usable as an `Error`. */
export class CommandFailure extends Error implements CommandError {
  readonly kind: string;

  constructor(error: CommandError) {
    super(error.message);
    this.name = 'CommandFailure';
    this.kind = error.kind;
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
    return new CommandFailure({ kind: reason.kind, message: reason.message });
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

export type {
  CompanySummary,
  IntuitKeysInput,
  RecordDetail,
  RecordPage,
  RecordQuery,
  SaveOutcome,
  SyncProgress,
  SyncReport,
};

/** Every company with its sync state. */
export function listCompanies(): Promise<CompanySummary[]> {
  return call<CompanySummary[]>('list_companies');
}

/** Adds the demo company (an emulated QuickBooks company) and connects it. */
export function addDemoCompany(): Promise<CompanySummary> {
  return call<CompanySummary>('add_demo_company');
}

/** Adds a company with the user's own Intuit keys; connect it next. */
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
