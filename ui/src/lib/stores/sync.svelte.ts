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
    const key = progressKey(step);
    if (key === null) {
      return;
    }
    const entry: EntityProgress = { entity: key, done: step.done, total: step.total };
    const index = this.progress.findIndex((known) => known.entity === key);
    if (index === -1) {
      this.progress = [...this.progress, entry];
    } else {
      this.progress = this.progress.map((known, position) => (position === index ? entry : known));
    }
  }
}

/**
 * Which bar a progress step moves. Reading from QuickBooks goes type by
 * type, a bar each; the change-data catch-up (no type) has its own bar.
 * Sending and re-sending count every operation of the phase, whatever the
 * type of a batch's first record, so each is one bar, and the phase's
 * last step (no type) fills it.
 */
export function progressKey(step: SyncProgress): string | null {
  switch (step.phase) {
    case 'pulling':
      return step.entity ?? 'phase:pulling';
    case 'pushing':
    case 'recovering':
      return step.total === null && step.done === 0 ? null : `phase:${step.phase}`;
    default:
      return null;
  }
}

/** The label of a progress bar: the entity type's plural, or the phase's words. */
export function progressLabel(key: string, plural: (entity: string) => string): string {
  switch (key) {
    case 'phase:pulling':
      return 'Changes from QuickBooks';
    case 'phase:pushing':
      return 'Changes sent to QuickBooks';
    case 'phase:recovering':
      return 'Changes sent again';
    default:
      return plural(key);
  }
}

/** The status bar's compact progress: how far, and in words. */
export interface CompactProgress {
  done: number;
  total: number | null;
  words: string;
}

/**
 * What the status bar shows while anything syncs: the bars of the sync
 * started here summed (done of total, where totals are known), or, for
 * syncs the window did not start (the timer, live updates, the queue), a
 * running indicator that says how many companies sync and wait. Null when
 * nothing syncs.
 */
export function compactProgress(
  companies: { syncing: boolean; queued: boolean }[],
  bars: EntityProgress[],
): CompactProgress | null {
  const syncing = companies.filter((company) => company.syncing).length;
  const waiting = companies.filter((company) => company.queued).length;
  if (syncing === 0 && waiting === 0 && bars.length === 0) {
    return null;
  }
  const companiesWords =
    `Syncing ${Math.max(syncing, bars.length > 0 ? 1 : 0)} ${syncing === 1 || (syncing === 0 && bars.length > 0) ? 'company' : 'companies'}` +
    (waiting > 0 ? `, ${waiting} waiting` : '');
  const known = bars.filter((bar) => bar.total !== null);
  if (known.length === 0) {
    return { done: 0, total: null, words: companiesWords };
  }
  const done = known.reduce((sum, bar) => sum + Math.min(bar.done, bar.total ?? 0), 0);
  const total = known.reduce((sum, bar) => sum + (bar.total ?? 0), 0);
  return { done, total, words: `${companiesWords} · ${done.toLocaleString()} of ${total.toLocaleString()}` };
}

/** Words for a phase, for the status bar and the progress panel. */
export function phaseWords(phase: SyncPhase | null): string {
  switch (phase) {
    case 'recovering':
      return 'finishing an interrupted sync';
    case 'pulling':
      return 'reading from QuickBooks';
    case 'indexing':
      return 'preparing the records list';
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
