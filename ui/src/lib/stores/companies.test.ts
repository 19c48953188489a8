import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';

import type { CompanySummary, SyncProgress, SyncReport } from '../ipc/commands';
import CompaniesPage from '../pages/CompaniesPage.svelte';
import { CompaniesStore, type CompanyCommands } from './companies.svelte';

const demo: CompanySummary = {
  id: 'c-1',
  name: 'Demo company',
  kind: 'demo',
  environment: 'emulator',
  realmId: '9130',
  connection: 'connected',
  syncing: false,
  lastSyncAt: null,
  lastSyncError: null,
  openConflicts: 0,
  pendingChanges: 0,
  reconnectWarning: null,
};

const report: SyncReport = { pulled: 42, pushed: 0, conflictsOpened: 0, failed: [], fullRescan: false };

function fakes(): CompanyCommands & { companies: CompanySummary[] } {
  const state = { companies: [] as CompanySummary[] };
  return {
    get companies() {
      return state.companies;
    },
    listCompanies: vi.fn(async () => state.companies),
    addDemoCompany: vi.fn(async () => {
      state.companies = [demo];
      return demo;
    }),
    syncNow: vi.fn(async (_id: string, onProgress: (step: SyncProgress) => void) => {
      onProgress({ phase: 'pulling', entity: 'Invoice', done: 0, total: 3 });
      onProgress({ phase: 'pulling', entity: 'Invoice', done: 3, total: 3 });
      onProgress({ phase: 'pulling', entity: 'Customer', done: 2, total: 2 });
      onProgress({ phase: 'done', entity: null, done: 5, total: null });
      state.companies = [{ ...demo, lastSyncAt: '2026-11-22T10:00:00Z' }];
      return report;
    }),
    cancelSync: vi.fn(async () => undefined),
  };
}

describe('CompaniesStore', () => {
  it('tries the demo in one click: adds it, selects it and runs the first sync', async () => {
    const commands = fakes();
    const store = new CompaniesStore(commands);
    await store.load();
    expect(store.companies).toEqual([]);
    await store.tryDemo();
    expect(commands.addDemoCompany).toHaveBeenCalledTimes(1);
    expect(commands.syncNow).toHaveBeenCalledWith('c-1', expect.any(Function));
    expect(store.selected?.id).toBe('c-1');
    expect(store.report).toEqual(report);
    expect(store.busy).toBe('idle');
    // One row per entity type, updated in place.
    expect(store.progress).toEqual([
      { entity: 'Invoice', done: 3, total: 3 },
      { entity: 'Customer', done: 2, total: 2 },
    ]);
    expect(store.companies[0]?.lastSyncAt).toBe('2026-11-22T10:00:00Z');
  });

  it('keeps the message of a failed sync for the user', async () => {
    const commands = fakes();
    commands.syncNow = vi.fn(async () => {
      throw { kind: 'reconnect_needed', message: 'Reconnect it from the Companies page.' };
    });
    const store = new CompaniesStore(commands);
    await store.sync('c-1');
    expect(store.error?.kind).toBe('reconnect_needed');
    expect(store.error?.message).toContain('Reconnect');
    expect(store.busy).toBe('idle');
  });
});

describe('CompaniesPage', () => {
  it('welcomes a new user with both ways in and starts the demo from the button', async () => {
    const commands = fakes();
    const store = new CompaniesStore(commands);
    await store.load();
    render(CompaniesPage, { store });
    expect(screen.getByRole('heading', { name: 'Try the demo company' })).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Connect QuickBooks' })).toBeTruthy();
    await userEvent.click(screen.getByTestId('welcome-try-demo'));
    expect(await screen.findByTestId('sync-report')).toBeTruthy();
    expect(screen.getByTestId('sync-report').textContent).toContain('42 from QuickBooks');
    expect(screen.getByTestId('company-row-c-1').textContent).toContain('Demo company');
    expect(screen.getAllByRole('progressbar')).toHaveLength(2);
  });
});
