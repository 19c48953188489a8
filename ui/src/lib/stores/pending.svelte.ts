/**
 * The "Pending changes" view: what the next sync would send to QuickBooks
 * and what it would hold back, computed without sending anything.
 */
import { pendingChanges, toCommandFailure, type CommandFailure, type DryRun } from '../ipc/commands';

export class PendingStore {
  open = $state(false);
  loading = $state(false);
  dryRun = $state.raw<DryRun | null>(null);
  error = $state<CommandFailure | null>(null);

  readonly #pendingChanges: typeof pendingChanges;

  constructor(fetch: typeof pendingChanges = pendingChanges) {
    this.#pendingChanges = fetch;
  }

  async show(companyId: string): Promise<void> {
    this.open = true;
    this.loading = true;
    this.dryRun = null;
    this.error = null;
    try {
      this.dryRun = await this.#pendingChanges(companyId);
    } catch (reason) {
      this.error = toCommandFailure(reason);
    } finally {
      this.loading = false;
    }
  }

  close(): void {
    this.open = false;
  }
}

/** The store the status bar and the Records page share. */
export const pendingStore = new PendingStore();
