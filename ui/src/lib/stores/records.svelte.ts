/**
 * The Records page: the query (type, search, filters, sort), the rows
 * fetched so far in pages as the table scrolls, the record open in the
 * detail panel, and saving, deleting and voiding.
 *
 * Rows are fetched a page at a time for the part of the list on screen, so
 * a list of 100,000 records costs a few pages, not 100,000 rows.
 */
import {
  deleteRecord,
  getRecord,
  listRecords,
  pickerOptions,
  saveRecord,
  toCommandFailure,
  voidRecord,
  type CommandFailure,
  type PickerOption,
  type RecordDetail,
  type RecordListRow,
  type RecordQuery,
  type RecordSort,
  type RecordState,
  type SaveOutcome,
} from '../ipc/commands';
import { ENTITY_TYPES, isTransaction } from '../records/entities';

export { ENTITY_TYPES };

/** The functions the store calls; tests may pass fakes. */
export interface RecordCommands {
  listRecords: typeof listRecords;
  getRecord: typeof getRecord;
  saveRecord: typeof saveRecord;
  deleteRecord: typeof deleteRecord;
  voidRecord: typeof voidRecord;
  pickerOptions: typeof pickerOptions;
}

/** Rows per request. */
export const PAGE_SIZE = 100;

/** Pages kept in memory; the ones farthest from the screen are dropped first. */
export const MAX_CACHED_PAGES = 30;

/** The states a user can filter by. */
export const STATE_FILTERS: RecordState[] = ['synced', 'pending', 'conflict', 'error'];

/** Whether a type has a balance left to pay (invoices and bills), so "open only" applies. */
export function hasBalance(entityType: string): boolean {
  return entityType === 'Invoice' || entityType === 'Bill';
}

/** The sort a type starts with: newest first for transactions, by name for lists. */
export function defaultSort(entityType: string): { sort: RecordSort; descending: boolean } {
  return isTransaction(entityType) ? { sort: 'txn_date', descending: true } : { sort: 'name', descending: false };
}

const defaultCommands: RecordCommands = {
  listRecords,
  getRecord,
  saveRecord,
  deleteRecord,
  voidRecord,
  pickerOptions,
};

export class RecordsStore {
  entityType = $state<string>('Invoice');
  search = $state('');
  states = $state<RecordState[]>([]);
  /** YYYY-MM-DD, or '' for no bound. */
  dateFrom = $state('');
  dateTo = $state('');
  /** Only invoices and bills with something left to pay. */
  openOnly = $state(false);
  sort = $state<RecordSort>('txn_date');
  descending = $state(true);

  /** Every matching record, from the latest answer. */
  total = $state(0);
  /** Fetched rows by page number. Replaced, never mutated, so the table redraws. */
  pages = $state.raw(new Map<number, RecordListRow[]>());
  /** The first page of a new query is on its way. */
  loading = $state(false);
  error = $state<CommandFailure | null>(null);

  detail = $state.raw<RecordDetail | null>(null);
  /** The last save of the open record, for "Saved" and its issues. */
  saved = $state.raw<SaveOutcome | null>(null);
  detailError = $state<CommandFailure | null>(null);
  working = $state(false);

  /** Picker choices by entity type, for the company the list is of. */
  pickers = $state.raw<Record<string, PickerOption[]>>({});

  readonly #commands: RecordCommands;
  #companyId: string | null = null;
  // A new query bumps the generation; answers to older ones are dropped.
  #generation = 0;
  #inFlight = new Set<number>();
  #pickerRequests = new Map<string, Promise<PickerOption[]>>();

  constructor(commands: Partial<RecordCommands> = {}) {
    this.#commands = { ...defaultCommands, ...commands };
  }

  get companyId(): string | null {
    return this.#companyId;
  }

  query(offset = 0, limit = PAGE_SIZE): RecordQuery {
    const search = this.search.trim();
    return {
      entityType: this.entityType,
      states: [...this.states],
      search: search === '' ? null : search,
      dateFrom: this.dateFrom === '' ? null : this.dateFrom,
      dateTo: this.dateTo === '' ? null : this.dateTo,
      openOnly: this.openOnly && hasBalance(this.entityType),
      sort: this.sort,
      descending: this.descending,
      offset,
      limit,
    };
  }

  /** The row at a position in the whole list, when its page has arrived. */
  rowAt(index: number): RecordListRow | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /** Starts the list again from the top for the current query (or another company). */
  async reload(companyId: string): Promise<void> {
    if (companyId !== this.#companyId) {
      this.#companyId = companyId;
      this.pickers = {};
      this.#pickerRequests.clear();
      this.detail = null;
      this.saved = null;
    }
    this.#generation += 1;
    this.#inFlight.clear();
    this.pages = new Map();
    this.loading = true;
    await this.#fetchPage(companyId, 0, this.#generation);
  }

  /** Fetches the pages that hold rows `first`..`last` and are not here yet. */
  async ensure(companyId: string, first: number, last: number): Promise<void> {
    if (companyId !== this.#companyId || this.total === 0) {
      return;
    }
    const lastIndex = Math.min(last, this.total - 1);
    const wanted: number[] = [];
    for (let page = Math.floor(Math.max(0, first) / PAGE_SIZE); page <= Math.floor(lastIndex / PAGE_SIZE); page += 1) {
      if (!this.pages.has(page) && !this.#inFlight.has(page)) {
        wanted.push(page);
      }
    }
    const generation = this.#generation;
    await Promise.all(wanted.map((page) => this.#fetchPage(companyId, page, generation, first)));
  }

  async #fetchPage(companyId: string, page: number, generation: number, near = page * PAGE_SIZE): Promise<void> {
    this.#inFlight.add(page);
    try {
      const answer = await this.#commands.listRecords(companyId, this.query(page * PAGE_SIZE));
      if (generation !== this.#generation) {
        return;
      }
      this.total = answer.total;
      const pages = new Map(this.pages);
      pages.set(page, answer.rows);
      this.pages = evict(pages, Math.floor(near / PAGE_SIZE));
      this.error = null;
    } catch (reason) {
      if (generation === this.#generation) {
        this.error = toCommandFailure(reason);
      }
    } finally {
      if (generation === this.#generation) {
        this.#inFlight.delete(page);
        if (page === 0) {
          this.loading = false;
        }
      }
    }
  }

  /**
   * After a sync (a background one too): the pages on screen are fetched
   * again in place, the open record is read again, and the pickers' lists
   * are dropped so the next search asks for the names the sync brought.
   */
  async refreshAfterSync(companyId: string): Promise<void> {
    if (companyId !== this.#companyId) {
      return;
    }
    this.pickers = {};
    this.#pickerRequests.clear();
    this.#generation += 1;
    const generation = this.#generation;
    this.#inFlight.clear();
    const cached = [...this.pages.keys()];
    await Promise.all((cached.length > 0 ? cached : [0]).map((page) => this.#fetchPage(companyId, page, generation)));
    const open = this.detail;
    if (open !== null && this.#companyId === companyId) {
      try {
        const fresh = await this.#commands.getRecord(companyId, open.row.localId);
        if (this.detail?.row.localId === open.row.localId) {
          this.detail = fresh;
        }
      } catch {
        // The record may be gone after the sync; the list shows what is left.
      }
    }
  }

  /** Chooses the type; the sort goes back to that type's usual order. */
  setEntityType(entityType: string): void {
    this.entityType = entityType;
    if (!hasBalance(entityType)) {
      this.openOnly = false;
    }
    const { sort, descending } = defaultSort(entityType);
    this.sort = sort;
    this.descending = descending;
    this.detail = null;
    this.saved = null;
  }

  /** A click on a column header: the same column flips the order, another starts with its usual one. */
  toggleSort(column: RecordSort): void {
    if (this.sort === column) {
      this.descending = !this.descending;
    } else {
      this.sort = column;
      this.descending = column === 'txn_date' || column === 'amount' || column === 'updated';
    }
  }

  /**
   * A list as a number elsewhere counted it (the Companies overview): the
   * type, the states and whether only open documents, with no search or
   * dates left over from before.
   */
  showFiltered(filter: { entityType: string; states?: RecordState[]; openOnly?: boolean }): void {
    this.setEntityType(filter.entityType);
    this.states = [...(filter.states ?? [])];
    this.openOnly = filter.openOnly === true && hasBalance(filter.entityType);
    this.search = '';
    this.dateFrom = '';
    this.dateTo = '';
  }

  toggleState(state: RecordState): void {
    this.states = this.states.includes(state)
      ? this.states.filter((known) => known !== state)
      : [...this.states, state];
  }

  /** Puts a changed row in place wherever its page is. */
  replaceRow(row: RecordListRow): void {
    let changed = false;
    const pages = new Map(this.pages);
    for (const [page, rows] of pages) {
      const index = rows.findIndex((known) => known.localId === row.localId);
      if (index !== -1) {
        pages.set(page, rows.map((known, position) => (position === index ? row : known)));
        changed = true;
      }
    }
    if (changed) {
      this.pages = pages;
    }
  }

  async open(companyId: string, localId: string): Promise<void> {
    this.saved = null;
    this.detailError = null;
    try {
      this.detail = await this.#commands.getRecord(companyId, localId);
    } catch (reason) {
      this.detailError = toCommandFailure(reason);
    }
  }

  close(): void {
    this.detail = null;
    this.saved = null;
    this.detailError = null;
  }

  /**
   * Saves a new record (`localId` null) or an edit. On success the record
   * is open in the panel and its row updated (a new one reloads the list).
   * Returns the outcome, with the issues that would stop the push.
   */
  async save(companyId: string, localId: string | null, entityType: string, object: unknown): Promise<SaveOutcome | null> {
    return this.#change(companyId, () => this.#commands.saveRecord(companyId, localId, entityType, object), localId === null);
  }

  /** Saves a new memo on the open record; every other field is kept. */
  async saveMemo(companyId: string, memo: string): Promise<SaveOutcome | null> {
    const detail = this.detail;
    if (detail === null || typeof detail.local !== 'object' || detail.local === null) {
      return null;
    }
    const object = { ...(detail.local as Record<string, unknown>), PrivateNote: memo };
    return this.save(companyId, detail.row.localId, detail.row.entityType, object);
  }

  /** Deletes the open record (a list entry is made inactive) on the next sync. */
  async deleteOpen(companyId: string): Promise<SaveOutcome | null> {
    const localId = this.detail?.row.localId;
    return localId === undefined ? null : this.#change(companyId, () => this.#commands.deleteRecord(companyId, localId), false);
  }

  /** Voids the open transaction on the next sync. */
  async voidOpen(companyId: string): Promise<SaveOutcome | null> {
    const localId = this.detail?.row.localId;
    return localId === undefined ? null : this.#change(companyId, () => this.#commands.voidRecord(companyId, localId), false);
  }

  async #change(companyId: string, action: () => Promise<SaveOutcome>, isNew: boolean): Promise<SaveOutcome | null> {
    this.working = true;
    this.detailError = null;
    try {
      const outcome = await action();
      this.saved = outcome;
      this.detail = outcome.record;
      if (isNew) {
        void this.reload(companyId);
      } else {
        this.replaceRow(outcome.record.row);
      }
      return outcome;
    } catch (reason) {
      this.detailError = toCommandFailure(reason);
      return null;
    } finally {
      this.working = false;
    }
  }

  /** The active entries of a list for a picker, fetched once per company. */
  async loadPicker(companyId: string, entityType: string): Promise<PickerOption[]> {
    const known = this.pickers[entityType];
    if (known !== undefined && companyId === this.#companyId) {
      return known;
    }
    let request = this.#pickerRequests.get(entityType);
    if (request === undefined) {
      request = this.#commands.pickerOptions(companyId, entityType);
      this.#pickerRequests.set(entityType, request);
    }
    try {
      const options = await request;
      this.pickers = { ...this.pickers, [entityType]: options };
      return options;
    } catch (reason) {
      this.#pickerRequests.delete(entityType);
      this.detailError = toCommandFailure(reason);
      return [];
    }
  }

  /** The name of a picker entry, when that list has been fetched. */
  nameOf(entityType: string, id: string): string | undefined {
    return this.pickers[entityType]?.find((option) => option.id === id)?.name;
  }
}

/** Keeps at most MAX_CACHED_PAGES pages, dropping the ones farthest from `around`. */
function evict(pages: Map<number, RecordListRow[]>, around: number): Map<number, RecordListRow[]> {
  if (pages.size <= MAX_CACHED_PAGES) {
    return pages;
  }
  const farthest = [...pages.keys()].sort((a, b) => Math.abs(b - around) - Math.abs(a - around));
  for (const page of farthest.slice(0, pages.size - MAX_CACHED_PAGES)) {
    pages.delete(page);
  }
  return pages;
}

/** The store the Records page uses. */
export const recordsStore = new RecordsStore();
