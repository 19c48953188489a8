/**
 * The Inbox page: the selected company's statement lines waiting for review,
 * the import of a new statement (with the CSV layout to confirm when the
 * importer is unsure), accepting, editing, splitting and excluding lines,
 * and the IIF export.
 *
 * After every change the page is read again rather than patched here: an
 * accept can change two entries (a transfer's both sides) and the counts.
 */
import {
  acceptInboxEntry,
  addStatementRule,
  listStatementRules,
  removeStatementRule,
  bulkAcceptInbox,
  chooseStatementFile,
  excludeInboxEntries,
  exportIifAs,
  importStatement,
  listInbox,
  pickerOptions,
  restoreInboxEntries,
  showInFolder,
  toCommandFailure,
  type AcceptEdits,
  type AcceptReport,
  type ChosenFile,
  type CommandFailure,
  type CsvLayout,
  type CsvLayoutProposal,
  type IifExportReport,
  type InboxCounts,
  type InboxEntryView,
  type InboxState,
  type PickerOption,
  type StatementImportReport,
  type StatementRuleInput,
  type StatementRuleView,
} from '../ipc/commands';

/** The functions the store calls; tests may pass fakes. */
export interface InboxCommands {
  chooseStatementFile: typeof chooseStatementFile;
  importStatement: typeof importStatement;
  listInbox: typeof listInbox;
  acceptInboxEntry: typeof acceptInboxEntry;
  bulkAcceptInbox: typeof bulkAcceptInbox;
  excludeInboxEntries: typeof excludeInboxEntries;
  restoreInboxEntries: typeof restoreInboxEntries;
  exportIifAs: typeof exportIifAs;
  showInFolder: typeof showInFolder;
  pickerOptions: typeof pickerOptions;
  listStatementRules: typeof listStatementRules;
  addStatementRule: typeof addStatementRule;
  removeStatementRule: typeof removeStatementRule;
}

const defaultCommands: InboxCommands = {
  chooseStatementFile,
  importStatement,
  listInbox,
  acceptInboxEntry,
  bulkAcceptInbox,
  excludeInboxEntries,
  restoreInboxEntries,
  exportIifAs,
  showInFolder,
  pickerOptions,
  listStatementRules,
  addStatementRule,
  removeStatementRule,
};

/** Which entries the table shows. */
export type InboxFilter = 'review' | InboxState | 'all';

export const FILTERS: ReadonlyArray<{ id: InboxFilter; label: string }> = [
  { id: 'review', label: 'To review' },
  { id: 'accepted', label: 'Accepted' },
  { id: 'already_in_quickbooks', label: 'Already in QuickBooks' },
  { id: 'excluded', label: 'Excluded' },
  { id: 'all', label: 'All' },
];

function statesOf(filter: InboxFilter): InboxState[] {
  switch (filter) {
    case 'review':
      return ['new'];
    case 'all':
      return [];
    default:
      return [filter];
  }
}

/** The most entries one page of the table holds. */
export const INBOX_PAGE_SIZE = 500;

/** The account types a statement can belong to. */
const STATEMENT_ACCOUNT_TYPES = new Set(['Bank', 'Credit Card']);

/** A CSV waiting for its layout to be confirmed. */
export interface PendingLayout {
  file: ChosenFile;
  bankAccountId: string | null;
  proposal: CsvLayoutProposal;
}

export class InboxStore {
  companyId = $state<string | null>(null);
  entries = $state.raw<InboxEntryView[]>([]);
  total = $state(0);
  counts = $state.raw<InboxCounts | null>(null);
  filter = $state<InboxFilter>('review');
  loading = $state(false);
  loaded = $state(false);
  /** Reading the inbox failed. */
  error = $state<CommandFailure | null>(null);

  /** The bank account the next import is for; '' lets the importer find it from the file. */
  bankAccountId = $state('');
  /** An import is running, and the name of its file. */
  importing = $state<string | null>(null);
  report = $state.raw<StatementImportReport | null>(null);
  pendingLayout = $state.raw<PendingLayout | null>(null);
  importError = $state<CommandFailure | null>(null);

  /** An accept, exclude or bulk accept is on its way. */
  working = $state(false);
  actionError = $state<CommandFailure | null>(null);
  lastAccept = $state.raw<AcceptReport | null>(null);

  exporting = $state(false);
  exported = $state.raw<IifExportReport | null>(null);
  exportError = $state<CommandFailure | null>(null);

  /** The company's categorization rules, in the order they are tried. */
  rules = $state.raw<StatementRuleView[]>([]);
  /** A rule is being added or removed. */
  rulesWorking = $state(false);
  rulesError = $state<CommandFailure | null>(null);
  /** How many open entries the last rule change gave a new suggestion. */
  resuggested = $state<number | null>(null);

  /** Picker choices by entity type (Account, Vendor, Customer, Class), for `companyId`. */
  pickers = $state.raw<Record<string, PickerOption[]>>({});

  readonly #commands: InboxCommands;
  // Answers to an older request (another company, an earlier filter) are dropped.
  #request = 0;

  constructor(commands: Partial<InboxCommands> = {}) {
    this.#commands = { ...defaultCommands, ...commands };
  }

  /** The accounts a statement can be for: bank and credit card accounts. */
  get bankAccounts(): PickerOption[] {
    return (this.pickers['Account'] ?? []).filter((option) => STATEMENT_ACCOUNT_TYPES.has(option.detail ?? ''));
  }

  /** Reads the page for `companyId` (and the pickers when the company changed). */
  async load(companyId: string): Promise<void> {
    if (companyId !== this.companyId) {
      this.companyId = companyId;
      this.entries = [];
      this.counts = null;
      this.report = null;
      this.pendingLayout = null;
      this.exported = null;
      this.lastAccept = null;
      this.bankAccountId = '';
      this.pickers = {};
      this.rules = [];
      this.rulesError = null;
      this.resuggested = null;
      this.loaded = false;
      void this.loadPickers(companyId);
    }
    await this.reload();
  }

  async setFilter(filter: InboxFilter): Promise<void> {
    this.filter = filter;
    await this.reload();
  }

  async reload(): Promise<void> {
    const companyId = this.companyId;
    if (companyId === null) return;
    const request = ++this.#request;
    this.loading = true;
    try {
      const page = await this.#commands.listInbox(companyId, {
        states: statesOf(this.filter),
        importId: null,
        bankAccountId: null,
        offset: 0,
        limit: INBOX_PAGE_SIZE,
      });
      if (request !== this.#request) return;
      this.entries = page.entries;
      this.total = page.total;
      this.counts = page.counts;
      this.error = null;
      this.loaded = true;
    } catch (reason) {
      if (request !== this.#request) return;
      this.error = toCommandFailure(reason);
    } finally {
      if (request === this.#request) this.loading = false;
    }
  }

  async loadPickers(companyId: string): Promise<void> {
    const types = ['Account', 'Vendor', 'Customer', 'Class'];
    const lists = await Promise.all(
      types.map((type) => this.#commands.pickerOptions(companyId, type).catch(() => [] as PickerOption[])),
    );
    if (companyId !== this.companyId) return;
    this.pickers = Object.fromEntries(types.map((type, index) => [type, lists[index] ?? []]));
  }

  /** Asks for a statement file and imports it. */
  async chooseAndImport(): Promise<void> {
    const companyId = this.companyId;
    if (companyId === null) return;
    this.importError = null;
    let file: ChosenFile | null;
    try {
      file = await this.#commands.chooseStatementFile();
    } catch (reason) {
      this.importError = toCommandFailure(reason);
      return;
    }
    if (file === null) return;
    await this.#import(companyId, file, this.bankAccountId === '' ? null : this.bankAccountId, null);
  }

  /** Imports the pending CSV again with the layout the person confirmed. */
  async confirmLayout(layout: CsvLayout): Promise<void> {
    const pending = this.pendingLayout;
    const companyId = this.companyId;
    if (pending === null || companyId === null) return;
    await this.#import(companyId, pending.file, pending.bankAccountId, layout);
  }

  cancelLayout(): void {
    this.pendingLayout = null;
  }

  async #import(companyId: string, file: ChosenFile, bankAccountId: string | null, layout: CsvLayout | null) {
    this.importing = file.fileName;
    this.importError = null;
    this.report = null;
    try {
      const report = await this.#commands.importStatement(companyId, {
        fileName: file.fileName,
        contentBase64: file.contentBase64,
        bankAccountId,
        csvLayout: layout,
      });
      if (companyId !== this.companyId) return;
      if (report.needsLayout !== null) {
        this.pendingLayout = { file, bankAccountId: bankAccountId ?? report.bankAccountId, proposal: report.needsLayout };
        return;
      }
      this.pendingLayout = null;
      this.report = report;
      this.bankAccountId = report.bankAccountId;
      this.filter = 'review';
      await this.reload();
    } catch (reason) {
      this.importError = toCommandFailure(reason);
    } finally {
      this.importing = null;
    }
  }

  async #act(action: (companyId: string) => Promise<AcceptReport | null>): Promise<boolean> {
    const companyId = this.companyId;
    if (companyId === null) return false;
    this.working = true;
    this.actionError = null;
    try {
      const report = await action(companyId);
      if (report !== null) this.lastAccept = report;
      await this.reload();
      return true;
    } catch (reason) {
      this.actionError = toCommandFailure(reason);
      return false;
    } finally {
      this.working = false;
    }
  }

  /** Accepts one entry as suggested, or with edits. */
  accept(entry: InboxEntryView, edits: AcceptEdits | null = null, force = false): Promise<boolean> {
    return this.#act((companyId) =>
      this.#commands.acceptInboxEntry(companyId, { entryId: entry.id, edits, force }),
    );
  }

  /** Accepts every entry to review at or above `minConfidence`. */
  bulkAccept(minConfidence: number): Promise<boolean> {
    return this.#act((companyId) => this.#commands.bulkAcceptInbox(companyId, { minConfidence, importId: null }));
  }

  exclude(ids: number[]): Promise<boolean> {
    return this.#act(async (companyId) => {
      await this.#commands.excludeInboxEntries(companyId, ids);
      return null;
    });
  }

  restore(ids: number[]): Promise<boolean> {
    return this.#act(async (companyId) => {
      await this.#commands.restoreInboxEntries(companyId, ids);
      return null;
    });
  }

  /** Reads the company's rules. */
  async loadRules(): Promise<void> {
    const companyId = this.companyId;
    if (companyId === null) return;
    this.rulesError = null;
    try {
      const rules = await this.#commands.listStatementRules(companyId);
      if (companyId === this.companyId) this.rules = rules;
    } catch (reason) {
      this.rulesError = toCommandFailure(reason);
    }
  }

  async #changeRules(change: (companyId: string) => ReturnType<typeof addStatementRule>): Promise<boolean> {
    const companyId = this.companyId;
    if (companyId === null) return false;
    this.rulesWorking = true;
    this.rulesError = null;
    try {
      const report = await change(companyId);
      if (companyId !== this.companyId) return false;
      this.rules = report.rules;
      this.resuggested = report.resuggested;
      // The open entries' suggestions changed in the store: read them again.
      await this.reload();
      return true;
    } catch (reason) {
      this.rulesError = toCommandFailure(reason);
      return false;
    } finally {
      this.rulesWorking = false;
    }
  }

  /** Adds a rule; false (with `rulesError`) when it was refused. */
  addRule(input: StatementRuleInput): Promise<boolean> {
    return this.#changeRules((companyId) => this.#commands.addStatementRule(companyId, input));
  }

  removeRule(ruleId: number): Promise<boolean> {
    return this.#changeRules((companyId) => this.#commands.removeStatementRule(companyId, ruleId));
  }

  /** Exports the company to IIF through the save dialog. */
  async exportIif(from: string, to: string): Promise<void> {
    const companyId = this.companyId;
    if (companyId === null) return;
    this.exporting = true;
    this.exportError = null;
    try {
      const report = await this.#commands.exportIifAs(companyId, { from, to });
      if (report !== null) this.exported = report;
    } catch (reason) {
      this.exportError = toCommandFailure(reason);
    } finally {
      this.exporting = false;
    }
  }

  async showExported(): Promise<void> {
    if (this.exported === null) return;
    try {
      await this.#commands.showInFolder(this.exported.path);
    } catch (reason) {
      this.exportError = toCommandFailure(reason);
    }
  }
}

/** The inbox state the app uses. */
export const inboxStore = new InboxStore();
