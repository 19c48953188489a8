/**
 * The companies: the list with each one's state, the selected company
 * (remembered across restarts), and the ways a company is added, connected,
 * disconnected and removed. Syncs run through the shared SyncStore.
 */
import {
  addDemoCompany,
  addIntuitCompany,
  addQuickbooksCompany,
  cancelConnect,
  connectCompany,
  disconnectCompany,
  listCompanies,
  onCompaniesChanged,
  removeCompany,
  setOwnKeys,
  syncAll,
  toCommandFailure,
  type CommandFailure,
  type CompanySummary,
  type IntuitKeysInput,
  type OwnKeysInput,
  type SyncAllReport,
  type SyncReport,
  type UnlistenFn,
} from '../ipc/commands';
import { CANCELLED_KIND, syncStore, type SyncStore } from './sync.svelte';

/** The functions the store calls; tests may pass fakes. */
export interface CompanyCommands {
  listCompanies: typeof listCompanies;
  addDemoCompany: typeof addDemoCompany;
  addIntuitCompany: typeof addIntuitCompany;
  addQuickbooksCompany: typeof addQuickbooksCompany;
  setOwnKeys: typeof setOwnKeys;
  connectCompany: typeof connectCompany;
  cancelConnect: typeof cancelConnect;
  disconnectCompany: typeof disconnectCompany;
  removeCompany: typeof removeCompany;
  onCompaniesChanged: typeof onCompaniesChanged;
  syncAll: typeof syncAll;
}

/** What the store is doing that the user waits for. */
export type CompanyActivity = 'idle' | 'adding-demo' | 'adding' | 'connecting' | 'disconnecting' | 'removing';

export const SELECTED_KEY = 'ledgerlink.selectedCompany';

const defaultCommands: CompanyCommands = {
  listCompanies,
  addDemoCompany,
  addIntuitCompany,
  addQuickbooksCompany,
  setOwnKeys,
  connectCompany,
  cancelConnect,
  disconnectCompany,
  removeCompany,
  onCompaniesChanged,
  syncAll,
};

/** A company to add with the app's own Intuit keys, and those keys. */
export type OwnKeysCompany = IntuitKeysInput & OwnKeysInput;

export class CompaniesStore {
  companies = $state<CompanySummary[]>([]);
  loaded = $state(false);
  selectedId = $state<string | null>(null);
  busy = $state<CompanyActivity>('idle');
  /** The company waiting for the browser during a connect. */
  connectingId = $state<string | null>(null);
  error = $state<CommandFailure | null>(null);
  /** A short note for the user that is not an error ("Connection cancelled."). */
  notice = $state<string | null>(null);

  /** The selected company; the first one when the remembered one is gone. */
  readonly selected: CompanySummary | null = $derived(
    this.companies.find((company) => company.id === this.selectedId) ?? this.companies[0] ?? null,
  );

  readonly sync: SyncStore;
  readonly #commands: CompanyCommands;
  #unlisten: UnlistenFn | null = null;

  constructor(commands: Partial<CompanyCommands> = {}, sync: SyncStore = syncStore) {
    this.#commands = { ...defaultCommands, ...commands };
    this.sync = sync;
    this.selectedId = readSelected();
  }

  async load(): Promise<void> {
    try {
      this.companies = await this.#commands.listCompanies();
      this.loaded = true;
    } catch (reason) {
      this.error = toCommandFailure(reason);
    }
  }

  /** Follows the "companies-changed" event; returns the function that stops. */
  async listen(): Promise<UnlistenFn> {
    this.#unlisten?.();
    const unlisten = await this.#commands.onCompaniesChanged((companies) => {
      this.companies = companies;
      this.loaded = true;
    });
    this.#unlisten = unlisten;
    return () => {
      unlisten();
      if (this.#unlisten === unlisten) {
        this.#unlisten = null;
      }
    };
  }

  select(id: string): void {
    this.selectedId = id;
    writeSelected(id);
  }

  /** One click: add the demo company, then straight into its first sync. */
  async tryDemo(): Promise<SyncReport | null> {
    const demo = await this.#step('adding-demo', () => this.#commands.addDemoCompany());
    if (demo === null) {
      return null;
    }
    this.select(demo.id);
    await this.load();
    return this.syncNow(demo.id);
  }

  /**
   * "Connect QuickBooks": adds a company through the relay (no keys), waits
   * while the user approves in the browser, then runs the first sync.
   * Resolves to whether the company was added; without a relay address the
   * error (kind `relay_needed`) says what is needed.
   */
  async connectQuickbooks(name: string | null = null): Promise<boolean> {
    const added = await this.#step('adding', () => this.#commands.addQuickbooksCompany(name));
    if (added === null) {
      return false;
    }
    this.select(added.id);
    await this.load();
    await this.connect(added.id);
    return true;
  }

  /**
   * The advanced path: saves the app's own Intuit keys, adds a company with
   * them, waits while the user approves the connection in the browser, then
   * runs the first sync. Resolves to whether the company was added (the
   * keys were accepted); a failed connect or sync after that is in `error`,
   * and the company stays listed with a Reconnect button.
   */
  async connectIntuit(input: OwnKeysCompany): Promise<boolean> {
    const added = await this.#step('adding', async () => {
      await this.#commands.setOwnKeys({
        clientId: input.clientId,
        clientSecret: input.clientSecret,
        environment: input.environment,
      });
      return this.#commands.addIntuitCompany({ name: input.name, redirectPage: input.redirectPage });
    });
    if (added === null) {
      return false;
    }
    this.select(added.id);
    await this.load();
    await this.connect(added.id);
    return true;
  }

  /** Connects (or reconnects) a company through the browser, then syncs it. */
  async connect(companyId: string): Promise<SyncReport | null> {
    this.connectingId = companyId;
    const connected = await this.#step('connecting', () => this.#commands.connectCompany(companyId));
    this.connectingId = null;
    await this.load();
    if (connected === null) {
      return null;
    }
    return this.syncNow(companyId);
  }

  /** Stops waiting for the browser. */
  async cancelConnect(): Promise<void> {
    const companyId = this.connectingId;
    if (companyId === null) {
      return;
    }
    try {
      await this.#commands.cancelConnect(companyId);
    } catch (reason) {
      this.error = toCommandFailure(reason);
    }
  }

  /** Syncs a company now and refreshes the list when it ends. */
  async syncNow(companyId: string): Promise<SyncReport | null> {
    const report = await this.sync.start(companyId);
    await this.load();
    return report;
  }

  /** Whether "Sync all" runs now. */
  syncingAll = $state(false);

  /**
   * Syncs every connected company through the app's queue, two at a time;
   * each row shows its turn (waiting, syncing, done) as it comes.
   */
  async syncAll(): Promise<SyncAllReport | null> {
    if (this.syncingAll) {
      return null;
    }
    this.syncingAll = true;
    this.error = null;
    try {
      const report = await this.#commands.syncAll();
      const failed = report.failed.length;
      this.notice =
        failed === 0
          ? `Synced ${report.synced} compan${report.synced === 1 ? 'y' : 'ies'}.`
          : `Synced ${report.synced}; ${failed} failed: ${report.failed.map((failure) => failure.company).join(', ')}.`;
      return report;
    } catch (reason) {
      this.error = toCommandFailure(reason);
      return null;
    } finally {
      this.syncingAll = false;
      await this.load();
    }
  }

  /** Revokes the connection; local data stays. */
  async disconnect(companyId: string): Promise<void> {
    const summary = await this.#step('disconnecting', () => this.#commands.disconnectCompany(companyId));
    if (summary !== null) {
      this.companies = this.companies.map((company) => (company.id === summary.id ? summary : company));
      await this.load();
    }
  }

  /** Deletes the company's local data and forgets it. */
  async remove(companyId: string): Promise<void> {
    const done = await this.#step('removing', async () => {
      await this.#commands.removeCompany(companyId);
      return true;
    });
    if (done === null) {
      return;
    }
    this.companies = this.companies.filter((company) => company.id !== companyId);
    if (this.selectedId === companyId) {
      this.selectedId = null;
      const next = this.companies[0];
      if (next) {
        this.select(next.id);
      } else {
        clearSelected();
      }
    }
    await this.load();
  }

  /** Runs one user-visible step: marks the store busy and keeps the error. */
  async #step<T>(activity: CompanyActivity, action: () => Promise<T>): Promise<T | null> {
    this.error = null;
    this.notice = null;
    this.busy = activity;
    try {
      return await action();
    } catch (reason) {
      const failure = toCommandFailure(reason);
      if (failure.kind === CANCELLED_KIND) {
        this.notice = 'Connection cancelled. You can connect again whenever you are ready.';
      } else {
        this.error = failure;
      }
      return null;
    } finally {
      this.busy = 'idle';
    }
  }
}

function readSelected(): string | null {
  try {
    return globalThis.localStorage?.getItem(SELECTED_KEY) ?? null;
  } catch {
    return null;
  }
}

function writeSelected(id: string): void {
  try {
    globalThis.localStorage?.setItem(SELECTED_KEY, id);
  } catch {
    // A webview without storage forgets the choice on restart; nothing else.
  }
}

function clearSelected(): void {
  try {
    globalThis.localStorage?.removeItem(SELECTED_KEY);
  } catch {
    // As above: only the remembered choice is affected.
  }
}

/** Whether changes made in QuickBooks arrive by themselves, in words. */
export function liveUpdatesWords(company: CompanySummary): string {
  switch (company.liveUpdates) {
    case 'connected':
      return 'Live: changes in QuickBooks arrive within seconds';
    case 'connecting':
      return 'Connecting to the relay…';
    case 'error':
      return `Not connected to the relay, retrying${company.liveUpdatesError ? ` (${company.liveUpdatesError})` : ''}`;
    default:
      return 'Off: changes in QuickBooks arrive with the timed sync';
  }
}

/** The state of a company in words, for lists and the status bar. */
export function connectionWords(company: CompanySummary, syncing: boolean): string {
  if (syncing || company.syncing) return 'Syncing';
  if (company.queued) return 'Waiting to sync';
  if (company.connection === 'reconnect_needed') return 'Reconnect needed';
  if (company.connection === 'not_connected') return 'Not connected';
  return 'Connected';
}

/** The store the app shares. */
export const companiesStore = new CompaniesStore();
