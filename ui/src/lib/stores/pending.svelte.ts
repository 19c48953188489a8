/**
 * The "Pending changes" view: every local change with the before → after
 * value of each field it changes, what the next sync would hold back, and
 * holding back, discarding or sending the changes.
 */
import {
  discardChange,
  holdBack,
  pendingChanges,
  pendingReview,
  toCommandFailure,
  type CommandFailure,
  type DryRun,
  type PendingReview,
} from '../ipc/commands';

/** The functions the store calls; tests may pass fakes. */
export interface PendingCommands {
  pendingChanges: typeof pendingChanges;
  pendingReview: typeof pendingReview;
  holdBack: typeof holdBack;
  discardChange: typeof discardChange;
}

const defaultCommands: PendingCommands = { pendingChanges, pendingReview, holdBack, discardChange };

export class PendingStore {
  open = $state(false);
  loading = $state(false);
  dryRun = $state.raw<DryRun | null>(null);
  review = $state.raw<PendingReview | null>(null);
  error = $state<CommandFailure | null>(null);
  /** The record whose discard waits for the user's confirmation. */
  confirmingDiscard = $state<string | null>(null);
  working = $state(false);
  companyId = $state<string | null>(null);

  readonly #commands: PendingCommands;

  constructor(commands: Partial<PendingCommands> = {}) {
    this.#commands = { ...defaultCommands, ...commands };
  }

  async show(companyId: string): Promise<void> {
    this.open = true;
    this.companyId = companyId;
    this.confirmingDiscard = null;
    this.loading = true;
    this.dryRun = null;
    this.review = null;
    this.error = null;
    await this.#load(companyId);
    this.loading = false;
  }

  async #load(companyId: string): Promise<void> {
    try {
      const [dryRun, review] = await Promise.all([
        this.#commands.pendingChanges(companyId),
        this.#commands.pendingReview(companyId),
      ]);
      this.dryRun = dryRun;
      this.review = review;
    } catch (reason) {
      this.error = toCommandFailure(reason);
    }
  }

  /** Holds a change back from the next push, or releases it. */
  async hold(localId: string, held: boolean): Promise<void> {
    await this.#act(() => this.#commands.holdBack(this.companyId ?? '', localId, held));
  }

  /** Throws a local change away, once the user confirmed it. */
  async discard(localId: string): Promise<void> {
    this.confirmingDiscard = null;
    await this.#act(() => this.#commands.discardChange(this.companyId ?? '', localId));
  }

  async #act(action: () => Promise<unknown>): Promise<void> {
    const companyId = this.companyId;
    if (companyId === null) return;
    this.working = true;
    this.error = null;
    try {
      await action();
      await this.#load(companyId);
    } catch (reason) {
      this.error = toCommandFailure(reason);
    } finally {
      this.working = false;
    }
  }

  close(): void {
    this.open = false;
    this.confirmingDiscard = null;
  }
}

/** The store the status bar and the Records page share. */
export const pendingStore = new PendingStore();
