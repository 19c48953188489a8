/**
 * The running sync: which company, its phase, the progress per entity type,
 * and the report of the last one that finished.
 */
import {
  cancelSync,
  syncNow,
  toCommandFailure,
  type CommandFailure,
  type SyncPhase,
  type SyncProgress,
  type SyncReport,
} from '../ipc/commands';

/** The progress of one entity type in the running sync. */
export interface EntityProgress {
  entity: string;
  done: number;
  total: number | null;
}

/** The functions the store calls; tests may pass fakes. */
export interface SyncCommands {
  syncNow: typeof syncNow;
  cancelSync: typeof cancelSync;
}

/** The kind of a failure that is the user's own cancel, not an error. */
export const CANCELLED_KIND = 'cancelled';

export class SyncStore {
  /** The company being synced, or null when no sync runs. */
  companyId = $state<string | null>(null);
  phase = $state<SyncPhase | null>(null);
  progress = $state<EntityProgress[]>([]);
  report = $state<SyncReport | null>(null);
  /** The company the report and the progress belong to. */
  reportCompanyId = $state<string | null>(null);
  error = $state<CommandFailure | null>(null);
  /** The user cancelled the last sync; shown as a note, not an error. */
  cancelled = $state(false);
  cancelling = $state(false);

  readonly running: boolean = $derived(this.companyId !== null);

  readonly #commands: SyncCommands;

  constructor(commands: SyncCommands = { syncNow, cancelSync }) {
    this.#commands = commands;
  }

  /**
   * Companies synced alongside the one whose progress is shown: a Sync
   * button stays usable for a company that is not syncing, whatever the
   * others do. Their progress shows in their rows, not in the panel.
   */
  alongside = $state.raw(new Set<string>());

  /** Whether a sync of `companyId` started here runs now. */
  isSyncing(companyId: string): boolean {
    return this.companyId === companyId || this.alongside.has(companyId);
  }

  /** Syncs a second company while another one's progress is shown. */
  async #startAlongside(companyId: string): Promise<SyncReport | null> {
    if (this.alongside.has(companyId)) {
      return null;
    }
    this.alongside = new Set([...this.alongside, companyId]);
    try {
      return await this.#commands.syncNow(companyId, () => {});
    } catch (reason) {
      const failure = toCommandFailure(reason);
      if (failure.kind !== CANCELLED_KIND) {
        this.error = failure;
      }
      return null;
    } finally {
      const rest = new Set(this.alongside);
      rest.delete(companyId);
      this.alongside = rest;
    }
  }

  /**
   * Syncs a company and returns its report, or null when it failed or was
   * cancelled (the reason is in `error` or `cancelled`). The first running
   * sync's progress is the one shown; another company started meanwhile
   * syncs alongside it; a second start of the same company is ignored.
   */
  async start(companyId: string): Promise<SyncReport | null> {
    if (companyId === '' || this.isSyncing(companyId)) {
      return null;
    }
    if (this.companyId !== null) {
      return this.#startAlongside(companyId);
    }
    this.companyId = companyId;
    this.reportCompanyId = companyId;
    this.phase = null;
    this.progress = [];
    this.report = null;
    this.error = null;
    this.cancelled = false;
    this.cancelling = false;
    try {
      const report = await this.#commands.syncNow(companyId, (step) => this.onProgress(step));
      this.report = report;
      return report;
    } catch (reason) {
      const failure = toCommandFailure(reason);
      if (failure.kind === CANCELLED_KIND) {
        this.cancelled = true;
      } else {
        this.error = failure;
      }
      return null;
    } finally {
      this.companyId = null;
      this.phase = null;
      this.cancelling = false;
    }
  }

  /** Asks the running sync to stop between steps. */
  async cancel(): Promise<void> {
    const companyId = this.companyId;
    if (companyId === null) {
      return;
    }
    this.cancelling = true;
    try {
      await this.#commands.cancelSync(companyId);
    } catch (reason) {
      this.error = toCommandFailure(reason);
      this.cancelling = false;
    }
  }

  /** Forgets the last report, error and progress (e.g. when the panel is closed). */
  dismiss(): void {
    if (this.companyId !== null) {
      return;
    }
    this.report = null;
    this.error = null;
    this.cancelled = false;
    this.progress = [];
    this.reportCompanyId = null;
  }

  onProgress(step: SyncProgress): void {
    this.phase = step.phase;
    if (step.entity === null) {
      return;
    }
    const entry: EntityProgress = { entity: step.entity, done: step.done, total: step.total };
    const index = this.progress.findIndex((known) => known.entity === step.entity);
    if (index === -1) {
      this.progress = [...this.progress, entry];
    } else {
      this.progress = this.progress.map((known, position) => (position === index ? entry : known));
    }
  }
}

/** Words for a phase, for the status bar and the progress panel. */
export function phaseWords(phase: SyncPhase | null): string {
  switch (phase) {
    case 'recovering':
      return 'finishing an interrupted sync';
    case 'pulling':
      return 'reading from QuickBooks';
    case 'pushing':
      return 'sending to QuickBooks';
    case 'done':
      return 'finishing';
    default:
      return 'starting';
  }
}

/** The one sync store the app shares. */
export const syncStore = new SyncStore();
