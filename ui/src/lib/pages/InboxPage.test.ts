import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import * as commands from '../ipc/commands';
import type {
  AcceptInput,
  InboxEntryView,
  InboxPage as Page,
  InboxQuery,
  InboxState,
  StatementRuleInput,
  StatementRuleView,
} from '../ipc/commands';
import { company } from '../../test/fixtures';
import { CompaniesStore } from '../stores/companies.svelte';
import { InboxStore } from '../stores/inbox.svelte';
import { SyncStore } from '../stores/sync.svelte';
import InboxPage from './InboxPage.svelte';

vi.mock('../ipc/commands', async (importOriginal) =>
  (await import('../../test/mockCommands')).mockCommands(await importOriginal<typeof import('../ipc/commands')>()),
);

function entry(id: number, overrides: Partial<InboxEntryView> = {}): InboxEntryView {
  return {
    id,
    importId: 1,
    bankAccountId: '35',
    bankAccountName: 'Checking',
    date: '2026-03-0' + String(id),
    amount: '-42.10',
    description: `SHELL OIL ${id}`,
    fitid: null,
    state: 'new',
    suggestion: {
      txnType: 'purchase',
      accountId: '56',
      accountName: 'Fuel',
      payee: 'Shell',
      payeeIsNew: false,
      confidence: 0.95,
      source: 'history',
      explanation: "7 of 8 past 'SHELL OIL' lines went to Fuel",
    },
    matchedRecord: null,
    transferPartnerId: null,
    createdRecords: [],
    accepted: null,
    editedByUser: false,
    acceptedAccountName: null,
    ...overrides,
  };
}

let entries: InboxEntryView[] = [];

function page(query?: InboxQuery): Page {
  const count = (state: InboxState) => entries.filter((item) => item.state === state).length;
  const states = query?.states ?? ['new'];
  const shown = entries.filter((item) => states.length === 0 || states.includes(item.state));
  return {
    entries: shown,
    total: shown.length,
    counts: { new: count('new'), accepted: count('accepted'), excluded: count('excluded'), alreadyInQuickbooks: count('already_in_quickbooks') },
  };
}

const accept = vi.fn(async (_companyId: string, input: AcceptInput) => {
  entries = entries.map((item) => (item.id === input.entryId ? { ...item, state: 'accepted' as const } : item));
  return { accepted: entries.filter((item) => item.id === input.entryId), skipped: [] };
});
const bulk = vi.fn(async () => ({ accepted: [], skipped: [] }));
const exclude = vi.fn(async () => []);

let rules: StatementRuleView[] = [];
const listRules = vi.fn(async () => rules);
const addRule = vi.fn(async (_companyId: string, input: StatementRuleInput) => {
  if (input.regex === '(') {
    throw { kind: 'invalid', message: "The pattern '(' is not a valid regular expression: unclosed group" };
  }
  rules = [
    ...rules,
    {
      id: rules.length + 1,
      name: input.name ?? `contains "${input.textContains}"`,
      textContains: input.textContains ?? null,
      regex: input.regex ?? null,
      amountMin: input.amountMin ?? null,
      amountMax: input.amountMax ?? null,
      accountId: input.account ?? null,
      accountName: input.account === '57' ? 'Meals' : null,
      payee: input.payee ?? null,
    },
  ];
  // What the core does: the open entries the rule matches get it as their suggestion.
  entries = entries.map((item) =>
    item.state === 'new' && input.textContains !== null && input.textContains !== undefined && item.description.includes(input.textContains)
      ? {
          ...item,
          suggestion: {
            ...item.suggestion,
            accountId: '57',
            accountName: 'Meals',
            confidence: 1,
            source: 'rule' as const,
            explanation: `your rule '${rules[rules.length - 1]?.name}'`,
          },
        }
      : item,
  );
  return { rules, resuggested: 1 };
});
const removeRule = vi.fn(async (_companyId: string, ruleId: number) => {
  rules = rules.filter((rule) => rule.id !== ruleId);
  return { rules, resuggested: 0 };
});

async function renderPage() {
  const companies = new CompaniesStore({ listCompanies: async () => [company()] }, new SyncStore());
  await companies.load();
  const store = new InboxStore({
    listInbox: async (_companyId, query) => page(query),
    listStatementRules: listRules,
    addStatementRule: addRule,
    removeStatementRule: removeRule,
    acceptInboxEntry: accept,
    bulkAcceptInbox: bulk,
    excludeInboxEntries: exclude,
    pickerOptions: async (_companyId, entityType) =>
      entityType === 'Account'
        ? [
            { id: '35', name: 'Checking', entityType: 'Account', detail: 'Bank' },
            { id: '56', name: 'Fuel', entityType: 'Account', detail: 'Expense' },
            { id: '57', name: 'Meals', entityType: 'Account', detail: 'Expense' },
          ]
        : entityType === 'Vendor'
          ? [{ id: '3', name: 'Shell', entityType: 'Vendor', detail: null }]
          : [],
  });
  render(InboxPage, { companies, store });
  await screen.findAllByTestId('inbox-row');
  return store;
}

beforeEach(() => {
  vi.clearAllMocks();
  rules = [];
  entries = [
    entry(1),
    entry(2, { suggestion: { ...entry(2).suggestion, confidence: 0.92 } }),
    entry(3, { suggestion: { ...entry(3).suggestion, confidence: 0.5, explanation: '1 of 2 past lines went to Fuel' } }),
  ];
});

// Typing through userEvent is slow on a loaded machine; the default 5 s is too tight.
const SLOW = 20_000;

describe('the Inbox page', () => {
  it('shows each entry with its amount, suggestion, confidence and why', async () => {
    await renderPage();
    const rows = screen.getAllByTestId('inbox-row');
    expect(rows).toHaveLength(3);
    const first = within(rows[0] as HTMLElement);
    expect(first.getByText('−42.10')).toBeTruthy();
    expect(first.getByText('Fuel')).toBeTruthy();
    expect(first.getByTestId('inbox-row-confidence').textContent?.trim()).toBe('95%');
    expect(first.getByTestId('inbox-row-why').textContent).toContain("7 of 8 past 'SHELL OIL' lines went to Fuel");
    expect(screen.getByTestId('inbox-pdf-note').textContent).toContain('scanned statements are not supported');
    // Two of the three are at or above 0.9.
    expect(screen.getByTestId('inbox-bulk-count').textContent).toBe('2');
  }, SLOW);

  it('moves with the arrows and accepts the chosen row with Enter', async () => {
    await renderPage();
    const table = screen.getByTestId('inbox-table');
    table.focus();
    await fireEvent.keyDown(table, { key: 'ArrowDown' });
    await fireEvent.keyDown(table, { key: 'ArrowDown' });
    expect(screen.getAllByTestId('inbox-row')[1]?.getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(table, { key: 'Enter' });
    await waitFor(() => expect(accept).toHaveBeenCalledTimes(1));
    expect(accept).toHaveBeenCalledWith('c-1', { entryId: 2, edits: null, force: false });
    await waitFor(() => expect(screen.getAllByTestId('inbox-row')).toHaveLength(2));
  }, SLOW);

  it('opens the editor with E and accepts a split only once it adds up', async () => {
    const user = userEvent.setup();
    await renderPage();
    const table = screen.getByTestId('inbox-table');
    await fireEvent.keyDown(table, { key: 'ArrowDown' });
    await fireEvent.keyDown(table, { key: 'e' });
    const editor = await screen.findByTestId('inbox-editor');
    await user.click(within(editor).getByTestId('inbox-edit-split-toggle'));
    const amounts = within(editor).getAllByTestId('inbox-split-amount');
    const accounts = within(editor).getAllByTestId('inbox-split-account');
    await user.selectOptions(accounts[1] as HTMLSelectElement, '57');
    await user.clear(amounts[0] as HTMLInputElement);
    await user.type(amounts[0] as HTMLInputElement, '30');
    await user.clear(amounts[1] as HTMLInputElement);
    await user.type(amounts[1] as HTMLInputElement, '12.00');
    const save = within(editor).getByTestId('inbox-edit-save') as HTMLButtonElement;
    expect(within(editor).getByTestId('inbox-split-remaining').textContent).toContain('0.10 is still to be placed.');
    expect(save.disabled).toBe(true);
    await user.clear(amounts[1] as HTMLInputElement);
    await user.type(amounts[1] as HTMLInputElement, '12.10');
    expect(save.disabled).toBe(false);
    await user.click(save);
    await waitFor(() => expect(accept).toHaveBeenCalledTimes(1));
    expect(accept.mock.calls[0]?.[1]).toEqual({
      entryId: 1,
      force: false,
      edits: {
        accountId: null,
        payee: 'Shell',
        memo: null,
        classId: null,
        splits: [
          { accountId: '56', amount: '30', memo: null },
          { accountId: '57', amount: '12.10', memo: null },
        ],
      },
    });
  }, SLOW);

  it('bulk-accepts at the confidence typed, and excludes with X', async () => {
    const user = userEvent.setup();
    await renderPage();
    const threshold = screen.getByTestId('inbox-threshold');
    await user.clear(threshold);
    await user.type(threshold, '40%');
    expect(screen.getByTestId('inbox-bulk-count').textContent).toBe('3');
    await user.click(screen.getByTestId('inbox-bulk-accept'));
    expect(bulk).toHaveBeenCalledWith('c-1', { minConfidence: 0.4, importId: null });

    const table = screen.getByTestId('inbox-table');
    await fireEvent.keyDown(table, { key: 'End' });
    await fireEvent.keyDown(table, { key: 'x' });
    expect(exclude).toHaveBeenCalledWith('c-1', [3]);
  }, SLOW);

  it('adds a rule in the Rules panel, refuses a bad one clearly, shows it as the why, and removes it', async () => {
    const user = userEvent.setup();
    await renderPage();
    await user.click(screen.getByTestId('inbox-rules'));
    const dialog = await screen.findByTestId('rules-dialog');
    await waitFor(() => expect(listRules).toHaveBeenCalledWith('c-1'));
    expect(within(dialog).getByTestId('rules-empty')).toBeTruthy();
    const add = within(dialog).getByTestId('rules-add') as HTMLButtonElement;
    // Nothing to match and nothing to set: not yet.
    expect(add.disabled).toBe(true);

    await user.type(within(dialog).getByTestId('rules-regex'), '(');
    await user.selectOptions(within(dialog).getByTestId('rules-account'), '57');
    await user.click(add);
    await waitFor(() => expect(within(dialog).getByText(/not a valid regular expression/)).toBeTruthy());
    expect(within(dialog).queryByTestId('rules-list')).toBeNull();

    await user.clear(within(dialog).getByTestId('rules-regex'));
    await user.type(within(dialog).getByTestId('rules-contains'), 'SHELL OIL 2');
    await user.type(within(dialog).getByTestId('rules-max'), 'abc');
    expect(add.disabled).toBe(true);
    await user.clear(within(dialog).getByTestId('rules-max'));
    await user.type(within(dialog).getByTestId('rules-max'), '-1');
    await user.click(add);
    await waitFor(() => expect(within(dialog).getAllByTestId('rules-row')).toHaveLength(1));
    expect(addRule.mock.calls[1]?.[1]).toEqual({
      name: null,
      textContains: 'SHELL OIL 2',
      regex: null,
      amountMin: null,
      amountMax: '-1',
      account: '57',
      payee: null,
    });
    expect(within(dialog).getByTestId('rules-row').textContent).toContain('Meals');
    expect(within(dialog).getByTestId('rules-result').textContent).toContain('1 entry to review has a new suggestion');
    // The form cleared for the next rule.
    expect((within(dialog).getByTestId('rules-contains') as HTMLInputElement).value).toBe('');

    // The table was read again: the matched entry shows the rule as its why.
    await waitFor(() => {
      const row = screen.getAllByTestId('inbox-row')[1] as HTMLElement;
      expect(within(row).getByTestId('inbox-row-why').textContent).toContain(`your rule 'contains "SHELL OIL 2"'`);
      expect(within(row).getByTestId('inbox-row-confidence').textContent?.trim()).toBe('100%');
    });

    await user.click(within(dialog).getByTestId('rules-remove'));
    await waitFor(() => expect(removeRule).toHaveBeenCalledWith('c-1', 1));
    await waitFor(() => expect(within(dialog).getByTestId('rules-empty')).toBeTruthy());
  }, SLOW);

  it('shows an entry the user edited as set by them, not with the suggestion’s confidence and why', async () => {
    entries = [
      ...entries,
      entry(4, {
        state: 'accepted',
        editedByUser: true,
        acceptedAccountName: 'Meals',
        accepted: { accountId: '57', payee: 'Shell', memo: null, classId: null, splits: [] },
      }),
      entry(5, {
        state: 'accepted',
        accepted: { accountId: '56', payee: 'Shell', memo: null, classId: null, splits: [] },
      }),
    ];
    const user = userEvent.setup();
    await renderPage();
    await user.click(screen.getByTestId('inbox-filter-accepted'));
    await waitFor(() => expect(screen.getAllByTestId('inbox-row')).toHaveLength(2));
    const [edited, asSuggested] = screen.getAllByTestId('inbox-row') as HTMLElement[];
    expect(within(edited as HTMLElement).getByTestId('inbox-row-confidence').textContent?.trim()).toBe('Set by you');
    expect(within(edited as HTMLElement).getByTestId('inbox-row-why').textContent).not.toContain('7 of 8');
    expect(within(edited as HTMLElement).getByText('Meals')).toBeTruthy();
    expect(within(asSuggested as HTMLElement).getByTestId('inbox-row-confidence').textContent?.trim()).toBe('95%');
    expect(within(asSuggested as HTMLElement).getByTestId('inbox-row-why').textContent).toContain('7 of 8');
  }, SLOW);
});
