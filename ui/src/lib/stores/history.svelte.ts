/**
 * The History page: a page of applied changes, newest first, which ones are
 * expanded, and undo.
 */
import {
  listHistory,
  toCommandFailure,
  undoChange,
  type CommandFailure,
  type HistoryRow,
  type SaveOutcome,
} from '../ipc/commands';

/** The functions the store calls; tests may pass fakes. */
export interface HistoryCommands {
  listHistory: typeof listHistory;
  undoChange: typeof undoChange;
}

export const HISTORY_PAGE_SIZE = 50;

const defaultCommands: HistoryCommands = { listHistory, undoChange };

export class HistoryStore {
  rows = $state.raw<HistoryRow[]>([]);
  total = $state(0);
  offset = $state(0);
  /** One record's history, or null for all. */
  localId = $state<string | null>(null);
  loaded = $state(false);
  loading = $state(false);
  error = $state<CommandFailure | null>(null);
  expanded = $state<Record<number, boolean>>({});
  /** The last undo, for its message and issues. */
  undone = $state.raw<SaveOutcome | null>(null);

  readonly #commands: HistoryCommands;
  #companyId: string | null = null;
  #request = 0;

  constructor(commands: Partial<HistoryCommands> = {}) {
    this.#commands = { ...defaultCommands, ...commands };
  }

  async load(companyId: string, offset = this.offset): Promise<void> {
    if (companyId !== this.#companyId) {
      this.#companyId = companyId;
      this.expanded = {};
      this.undone = null;
      offset = 0;
    }
    const request = ++this.#request;
    this.loading = true;
    try {
      const page = await this.#commands.listHistory(companyId, { localId: this.localId, offset, limit: HISTORY_PAGE_SIZE });
      if (request !== this.#request) return;
      this.rows = page.rows;
      this.total = page.total;
      this.offset = offset;
      this.loaded = true;
      this.error = null;
    } catch (reason) {
      if (request === this.#request) this.error = toCommandFailure(reason);
    } finally {
      if (request === this.#request) this.loading = false;
    }
  }

  toggle(id: number): void {
    this.expanded = { ...this.expanded, [id]: !this.expanded[id] };
  }

  async undo(companyId: string, id: number): Promise<SaveOutcome | null> {
    this.error = null;
    try {
      const outcome = await this.#commands.undoChange(companyId, id);
      this.undone = outcome;
      await this.load(companyId, 0);
      return outcome;
    } catch (reason) {
      this.error = toCommandFailure(reason);
      return null;
    }
  }
}

/** The store the History page uses. */
export const historyStore = new HistoryStore();
