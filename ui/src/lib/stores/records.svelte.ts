/**
 * The Records page: which records of the selected company are listed, the
 * page fetched, and the record open in the detail panel.
 */
import {
  getRecord,
  listRecords,
  saveRecord,
  toCommandFailure,
  type CommandFailure,
  type RecordDetail,
  type RecordPage,
  type RecordQuery,
  type SaveOutcome,
} from '../ipc/commands';

/** The functions the store calls; tests pass fakes. */
export interface RecordCommands {
  listRecords: typeof listRecords;
  getRecord: typeof getRecord;
  saveRecord: typeof saveRecord;
}

/** The types a user can list, transactions first. */
export const ENTITY_TYPES = [
  'Invoice',
  'SalesReceipt',
  'Estimate',
  'CreditMemo',
  'Payment',
  'Bill',
  'VendorCredit',
  'PurchaseOrder',
  'Purchase',
  'BillPayment',
  'Deposit',
  'JournalEntry',
  'Customer',
  'Vendor',
  'Employee',
  'Item',
  'Account',
  'Class',
  'Department',
  'Term',
  'PaymentMethod',
  'TaxCode',
] as const;

export const PAGE_SIZE = 100;

export class RecordsStore {
  entityType = $state<string>('Invoice');
  search = $state('');
  page = $state<RecordPage>({ rows: [], total: 0 });
  loading = $state(false);
  detail = $state<RecordDetail | null>(null);
  saved = $state<SaveOutcome | null>(null);
  error = $state<CommandFailure | null>(null);

  constructor(private readonly commands: RecordCommands) {}

  query(offset = 0): RecordQuery {
    return {
      entityType: this.entityType,
      states: [],
      search: this.search.trim() === '' ? null : this.search.trim(),
      dateFrom: null,
      dateTo: null,
      sort: 'txn_date',
      descending: true,
      offset,
      limit: PAGE_SIZE,
    };
  }

  async load(companyId: string, offset = 0): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      this.page = await this.commands.listRecords(companyId, this.query(offset));
    } catch (reason) {
      this.error = toCommandFailure(reason);
    } finally {
      this.loading = false;
    }
  }

  async open(companyId: string, localId: string): Promise<void> {
    this.saved = null;
    try {
      this.detail = await this.commands.getRecord(companyId, localId);
    } catch (reason) {
      this.error = toCommandFailure(reason);
    }
  }

  /** Saves a new memo (PrivateNote) on the open record; the rest is kept as is. */
  async saveMemo(companyId: string, memo: string): Promise<void> {
    const detail = this.detail;
    if (detail === null || detail.local === null || typeof detail.local !== 'object') {
      return;
    }
    const object = { ...(detail.local as Record<string, unknown>), PrivateNote: memo };
    try {
      const outcome = await this.commands.saveRecord(companyId, detail.row.localId, detail.row.entityType, object);
      this.saved = outcome;
      this.detail = outcome.record;
      this.page = {
        ...this.page,
        rows: this.page.rows.map((row) => (row.localId === outcome.record.row.localId ? outcome.record.row : row)),
      };
    } catch (reason) {
      this.error = toCommandFailure(reason);
    }
  }
}

export const recordsStore = new RecordsStore({ listRecords, getRecord, saveRecord });
