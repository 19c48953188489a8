import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import * as commands from '../ipc/commands';
import type { CompanyOverview, CompanySummary } from '../ipc/commands';
import { company } from '../../test/fixtures';
import { CompaniesStore } from '../stores/companies.svelte';
import { Navigation } from '../stores/navigation.svelte';
import { PendingStore } from '../stores/pending.svelte';
import { RecordsStore } from '../stores/records.svelte';
import { SyncStore } from '../stores/sync.svelte';
import CompaniesOverview from './CompaniesOverview.svelte';

vi.mock('../ipc/commands', async (importOriginal) =>
  (await import('../../test/mockCommands')).mockCommands(await importOriginal<typeof import('../ipc/commands')>()),
);

const mocked = vi.mocked(commands);

function overview(summary: CompanySummary, overrides: Partial<CompanyOverview> = {}): CompanyOverview {
  const none = { count: 0, total: '0', overdueCount: 0, overdueTotal: '0' };
  return {
    company: summary,
    pending: 0,
    heldBack: 0,
    failed: 0,
    openInvoices: none,
    unpaidBills: none,
    homeCurrency: null,
    attention: 0,
    ...overrides,
  };
}

const conflicted = company({ id: 'c-2', name: 'Zeta Books', openConflicts: 2, lastSyncAt: '2026-03-01T10:00:00Z' });
const quiet = company({ id: 'c-1', name: 'Alpha Ltd', lastSyncAt: '2026-03-01T10:00:00Z' });
const rows = [
  overview(conflicted, {
    attention: 5,
    pending: 3,
    failed: 1,
    openInvoices: { count: 4, total: '1234.5', overdueCount: 1, overdueTotal: '100' },
    unpaidBills: { count: 2, total: '80.25', overdueCount: 0, overdueTotal: '0' },
    homeCurrency: 'USD',
  }),
  overview(quiet),
];

async function setUp() {
  mocked.listCompanies.mockResolvedValue([quiet, conflicted]);
  mocked.pendingChanges.mockResolvedValue({ operations: [], issues: [] });
  const companies = new CompaniesStore({}, new SyncStore());
  await companies.load();
  const navigation = new Navigation('companies');
  const records = new RecordsStore();
  const pending = new PendingStore();
  render(CompaniesOverview, { rows, companies, navigation, records, pending });
  return { companies, navigation, records, pending };
}

beforeEach(() => localStorage.clear());
afterEach(() => vi.clearAllMocks());

describe('the companies overview', () => {
  it('lists the rows in the order Rust sorted them, with every figure', async () => {
    await setUp();
    const body = screen.getByTestId('overview-table').querySelector('tbody');
    const names = [...(body?.querySelectorAll('th[scope="row"]') ?? [])].map((cell) => cell.textContent?.trim());
    expect(names).toEqual(['Zeta Books', 'Alpha Ltd']);
    const row = screen.getByTestId('overview-row-c-2');
    expect(within(row).getByTestId('overview-state-c-2').textContent).toBe('Conflicts to resolve');
    expect(within(row).getByTestId('overview-conflicts-c-2').textContent).toBe('2');
    expect(within(row).getByTestId('overview-pending-c-2').textContent).toBe('3');
    expect(within(row).getByTestId('overview-failed-c-2').textContent).toBe('1');
    expect(within(row).getByTestId('overview-invoices-c-2').textContent).toContain('4 ·');
    expect(within(row).getByTestId('overview-invoices-c-2').textContent).toContain('USD');
    expect(row.textContent).toContain('1 overdue');
    // A zero is not a link.
    expect(screen.queryByTestId('overview-conflicts-c-1')).toBeNull();
  });

  it('names a currency every company shares once, in the headings', async () => {
    mocked.listCompanies.mockResolvedValue([quiet, conflicted]);
    const companies = new CompaniesStore({}, new SyncStore());
    await companies.load();
    const shared = rows.map((row) => ({ ...row, homeCurrency: 'USD' }));
    render(CompaniesOverview, { rows: shared, companies });
    const headings = [...screen.getByTestId('overview-table').querySelectorAll('thead th')].map((cell) =>
      cell.textContent?.trim(),
    );
    expect(headings).toContain('Open invoices (USD)');
    expect(headings).toContain('Unpaid bills (USD)');
    const figure = screen.getByTestId('overview-invoices-c-2');
    expect(figure.textContent).not.toContain('USD');
    expect(figure.textContent).toContain('4 ·');
    // The accessible name still says the currency.
    expect(figure.getAttribute('aria-label')).toContain('USD');
  });

  it('opens the company from its name and each number on its filtered page', async () => {
    const user = userEvent.setup();
    const { companies, navigation, records, pending } = await setUp();

    await user.click(screen.getByTestId('overview-invoices-c-2'));
    expect(companies.selected?.id).toBe('c-2');
    expect(navigation.current).toBe('records');
    expect(records.query().entityType).toBe('Invoice');
    expect(records.query().openOnly).toBe(true);

    await user.click(screen.getByTestId('overview-bills-c-2'));
    expect(records.query().entityType).toBe('Bill');
    expect(records.query().openOnly).toBe(true);

    await user.click(screen.getByTestId('overview-failed-c-2'));
    expect(records.query().entityType).toBe('');
    expect(records.query().states).toEqual(['error']);
    expect(records.query().openOnly).toBe(false);

    await user.click(screen.getByTestId('overview-conflicts-c-2'));
    expect(navigation.current).toBe('conflicts');

    await user.click(screen.getByTestId('overview-pending-c-2'));
    expect(pending.open).toBe(true);
    expect(mocked.pendingChanges).toHaveBeenCalledWith('c-2');

    await user.click(screen.getByTestId('overview-open-c-1'));
    expect(companies.selected?.id).toBe('c-1');
    expect(navigation.current).toBe('records');
  });

  it('exports the table as CSV through Rust and offers Show in folder for that file', async () => {
    const user = userEvent.setup();
    await setUp();
    mocked.exportListAs.mockResolvedValue({ path: '/books/companies-2026-12-06.csv', rows: 2 });
    mocked.showInFolder.mockResolvedValue(undefined);
    await user.click(screen.getByTestId('overview-export'));
    expect(mocked.exportListAs).toHaveBeenCalledWith({ list: 'companies', companyId: null });
    expect(screen.getByTestId('overview-export-saved').textContent).toContain('Saved 2 rows to');
    expect(screen.getByTestId('overview-export-path').textContent).toBe('/books/companies-2026-12-06.csv');
    await user.click(screen.getByTestId('overview-export-show'));
    expect(mocked.showInFolder).toHaveBeenCalledWith('/books/companies-2026-12-06.csv');
  });

  it('says nothing was saved when the save dialog is cancelled', async () => {
    const user = userEvent.setup();
    await setUp();
    mocked.exportListAs.mockResolvedValue(null);
    await user.click(screen.getByTestId('overview-export'));
    expect(mocked.exportListAs).toHaveBeenCalledTimes(1);
    expect(screen.queryByTestId('overview-export-saved')).toBeNull();
  });
});
