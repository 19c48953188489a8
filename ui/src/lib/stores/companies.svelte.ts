/**
 * The companies and their sync state: the list, the selected company, and
 * the progress of a running sync per entity type.
 */
import {
  addDemoCompany,
  cancelSync,
  CommandFailure,
  listCompanies,
  syncNow,
  toCommandFailure,
  type CompanySummary,
  type SyncProgress,
  type SyncReport,
} from '../ipc/commands';

/** The progress of one entity type in the running sync. */
export interface EntityProgress {
  entity: string;
  done: number;
  total: number | null;
}

/** The functions the store calls; tests pass fakes. */
export interface CompanyCommands {
  listCompanies: typeof listCompanies;
  addDemoCompany: typeof addDemoCompany;
  syncNow: typeof syncNow;
  cancelSync: typeof cancelSync;
}

const SELECTED_KEY = 'ledgerlink.selectedCompany';

export class CompaniesStore {
  companies = $state<CompanySummary[]>([]);
  loaded = $state(false);
  selectedId = $state<string | null>(null);
  busy = $state<'idle' | 'adding-demo' | 'syncing'>('idle');
  phase = $state<SyncProgress['phase'] | null>(null);
  progress = $state<EntityProgress[]>([]);
  report = $state<SyncReport | null>(null);
  error = $state<CommandFailure | null>(null);

  constructor(private readonly commands: CompanyCommands) {
    this.selectedId = readSelected();
  }

  get selected(): CompanySummary | null {
    return this.companies.find((company) => company.id === this.selectedId) ?? this.companies[0] ?? null;
  }

  async load(): Promise<void> {
    try {
      this.companies = await this.commands.listCompanies();
      this.loaded = true;
    } catch (reason) {
      this.error = toCommandFailure(reason);
    }
  }

  select(id: string): void {
    this.selectedId = id;
    writeSelected(id);
  }

  /** One click: add the demo company, then straight into its first sync. */
  async tryDemo(): Promise<void> {
    this.error = null;
    this.busy = 'adding-demo';
    try {
      const demo = await this.commands.addDemoCompany();
      this.select(demo.id);
      await this.load();
    } catch (reason) {
      this.error = toCommandFailure(reason);
      this.busy = 'idle';
      return;
    }
    this.busy = 'idle';
    await this.sync(this.selectedId ?? '');
  }

  async sync(companyId: string): Promise<void> {
    if (!companyId) {
      return;
    }
    this.error = null;
    this.busy = 'syncing';
    this.progress = [];
    this.report = null;
    try {
      this.report = await this.commands.syncNow(companyId, (step) => this.onProgress(step));
    } catch (reason) {
      this.error = toCommandFailure(reason);
    } finally {
      this.busy = 'idle';
      this.phase = null;
      await this.load();
    }
  }

  async cancel(companyId: string): Promise<void> {
    try {
      await this.commands.cancelSync(companyId);
    } catch (reason) {
      this.error = toCommandFailure(reason);
    }
  }

  onProgress(step: SyncProgress): void {
    this.phase = step.phase;
    if (step.entity === null) {
      return;
    }
    const entry = { entity: step.entity, done: step.done, total: step.total };
    const index = this.progress.findIndex((known) => known.entity === step.entity);
    if (index === -1) {
      this.progress = [...this.progress, entry];
    } else {
      this.progress = this.progress.map((known, position) => (position === index ? entry : known));
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

export const companiesStore = new CompaniesStore({ listCompanies, addDemoCompany, syncNow, cancelSync });
