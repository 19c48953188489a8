import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { activityConfig, balancesConfig, chartPalette, subtractText } from '../charts';
import type { CompanyCharts as Charts, SyncActivityDay } from '../ipc/commands';
import CompanyCharts from './CompanyCharts.svelte';

function days(): SyncActivityDay[] {
  return Array.from({ length: 30 }, (_, index) => ({
    date: `2026-03-${String(index + 1).padStart(2, '0')}`,
    syncs: 0,
    failedSyncs: 0,
    pulled: 0,
    pushed: 0,
    conflicts: 0,
  }));
}

function charts(): Charts {
  const activity = days();
  activity[4] = { ...activity[4]!, syncs: 2, pulled: 31, pushed: 1 };
  activity[28] = { ...activity[28]!, syncs: 3, failedSyncs: 1, pulled: 2, pushed: 4, conflicts: 1 };
  return {
    companyId: 'c-1',
    days: activity,
    openInvoices: { count: 4, total: '1234.5', overdueCount: 1, overdueTotal: '100.25' },
    unpaidBills: { count: 2, total: '80', overdueCount: 0, overdueTotal: '0' },
    homeCurrency: 'USD',
  };
}

beforeEach(() => {
  // jsdom has no canvas: the component then shows its text and draws nothing.
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
});

describe('CompanyCharts', () => {
  it('asks for the company in the user’s time zone and says what each chart shows', async () => {
    const load = vi.fn(async () => charts());
    render(CompanyCharts, { companyId: 'c-1', companyName: 'Alpha Ltd', refreshKey: 't1', load });

    const activity = await screen.findByTestId('charts-activity');
    expect(load).toHaveBeenCalledWith('c-1', -new Date().getTimezoneOffset());
    expect(activity.getAttribute('role')).toBe('img');
    expect(activity.getAttribute('aria-label')).toBe(
      '5 syncs (1 failed) in the last 30 days: 33 changes pulled, 5 pushed, 1 conflict.',
    );
    expect(screen.getByTestId('charts-balances').getAttribute('aria-label')).toBe(
      'Receivables: 4 open, USD 1,234.50; 1 overdue, USD 100.25. Payables: 2 open, USD 80.00; 0 overdue, USD 0.00.',
    );

    // The tables give the same numbers as text: only days with a sync.
    await userEvent.click(screen.getAllByText('Show as a table')[0]!);
    const rows = within(screen.getByTestId('charts-activity-table')).getAllByRole('row');
    expect(rows.slice(1).map((row) => [...row.children].map((cell) => cell.textContent))).toEqual([
      ['Mar 5', '2', '0', '31', '1', '0'],
      ['Mar 29', '3', '1', '2', '4', '1'],
    ]);
    const balances = within(screen.getByTestId('charts-balances-table')).getAllByRole('row');
    expect([...balances[1]!.children].map((cell) => cell.textContent)).toEqual([
      'Receivables (invoices)',
      '4 · USD 1,234.50',
      'USD 1,134.25',
      '1 · USD 100.25',
    ]);
  });

  it('reads the charts again after a sync, and says when they cannot be read', async () => {
    const load = vi.fn(async () => charts());
    const view = render(CompanyCharts, { companyId: 'c-1', companyName: 'Alpha Ltd', refreshKey: 't1', load });
    await screen.findByTestId('charts-activity');
    expect(load).toHaveBeenCalledTimes(1);
    load.mockRejectedValueOnce({ kind: 'store', message: 'The database is locked.' });
    await view.rerender({ companyId: 'c-1', companyName: 'Alpha Ltd', refreshKey: 't2', load });
    await vi.waitFor(() => expect(load).toHaveBeenCalledTimes(2));
    expect((await screen.findByRole('status')).textContent).toContain('The database is locked.');
  });

  it('draws each day’s numbers, and the part not yet due exactly', () => {
    const data = charts();
    const palette = chartPalette();
    const activity = activityConfig(data, palette, 'en-US');
    expect(activity.data.labels).toHaveLength(30);
    expect(activity.data.labels?.[0]).toBe('Mar 1');
    const [pulled, pushed, conflicts] = activity.data.datasets;
    expect(pulled?.data[4]).toBe(31);
    expect(pushed?.data[28]).toBe(4);
    expect(conflicts?.data.reduce((a, b) => a + b, 0)).toBe(1);

    const balances = balancesConfig(data, palette, 'de-DE');
    expect(balances.data.labels).toEqual(['Receivables', 'Payables']);
    expect(balances.data.datasets[0]?.data).toEqual([1134.25, 80]);
    expect(balances.data.datasets[1]?.data).toEqual([100.25, 0]);
    // The tooltip reads the exact text in the locale, not the float.
    const label = balances.options?.plugins?.tooltip?.callbacks?.label as unknown as (item: object) => string;
    expect(label({ dataset: { label: 'Overdue' }, datasetIndex: 1, dataIndex: 0 })).toBe('Overdue: USD 100,25');
    expect(subtractText('0.3', '0.1')).toBe('0.2');
    expect(subtractText('1000000000000000000.01', '0.02')).toBe('999999999999999999.99');
  });
});
