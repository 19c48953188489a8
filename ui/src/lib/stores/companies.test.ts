import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import * as commands from '../ipc/commands';
import type { CompanySummary, SyncProgress, SyncReport } from '../ipc/commands';
import { company } from '../../test/fixtures';
import { deferred } from '../../test/mockCommands';
import { CompaniesStore, SELECTED_KEY } from './companies.svelte';
import { SyncStore } from './sync.svelte';

vi.mock('../ipc/commands', async (importOriginal) =>
  (await import('../../test/mockCommands')).mockCommands(await importOriginal<typeof import('../ipc/commands')>()),
);

const mocked = vi.mocked(commands);
const report: SyncReport = { pulled: 42, pushed: 0, conflictsOpened: 0, failed: [], fullRescan: false };

function stores() {
  const sync = new SyncStore();
  return { sync, store: new CompaniesStore({}, sync) };
}

let listed: CompanySummary[] = [];

beforeEach(() => {
  listed = [];
  localStorage.clear();
  mocked.listCompanies.mockImplementation(async () => listed);
  mocked.syncNow.mockImplementation(async (_id: string, onProgress: (step: SyncProgress) => void) => {
    onProgress({ phase: 'pulling', entity: 'Invoice', done: 0, total: 3 });
    onProgress({ phase: 'pulling', entity: 'Invoice', done: 3, total: 3 });
    onProgress({ phase: 'pulling', entity: 'Customer', done: 2, total: 2 });
    onProgress({ phase: 'done', entity: null, done: 5, total: null });
    listed = listed.map((known) => ({ ...known, lastSyncAt: '2026-11-22T10:00:00Z' }));
    return report;
  });
});

afterEach(() => {
  vi.clearAllMocks();
});

describe('CompaniesStore', () => {
  it('tries the demo in one click: add_demo_company, then the first sync_now of it', async () => {
    mocked.addDemoCompany.mockImplementation(async () => {
      listed = [company()];
      return company();
    });
    const { store, sync } = stores();
    await store.load();
    expect(store.companies).toEqual([]);

    await store.tryDemo();

    expect(mocked.addDemoCompany).toHaveBeenCalledTimes(1);
    expect(mocked.syncNow).toHaveBeenCalledWith('c-1', expect.any(Function));
    expect(mocked.addDemoCompany.mock.invocationCallOrder[0]).toBeLessThan(mocked.syncNow.mock.invocationCallOrder[0] ?? 0);
    expect(store.selected?.id).toBe('c-1');
    expect(localStorage.getItem(SELECTED_KEY)).toBe('c-1');
    expect(sync.report).toEqual(report);
    expect(sync.running).toBe(false);
    // One entry per entity type, updated in place.
    expect(sync.progress).toEqual([
      { entity: 'Invoice', done: 3, total: 3 },
      { entity: 'Customer', done: 2, total: 2 },
    ]);
    expect(store.companies[0]?.lastSyncAt).toBe('2026-11-22T10:00:00Z');
  });

  it('connects QuickBooks through the relay: add_quickbooks_company, then connect_company, then the first sync', async () => {
    const added = company({ id: 'c-8', kind: 'relay', environment: 'production', connection: 'not_connected', realmId: null });
    mocked.addQuickbooksCompany.mockImplementation(async () => {
      listed = [added];
      return added;
    });
    mocked.connectCompany.mockImplementation(async () => {
      listed = [{ ...added, connection: 'connected' }];
      return { ...added, connection: 'connected' };
    });
    const { store } = stores();
    await expect(store.connectQuickbooks()).resolves.toBe(true);
    expect(mocked.addQuickbooksCompany).toHaveBeenCalledWith(null);
    expect(mocked.connectCompany).toHaveBeenCalledWith('c-8');
    expect(mocked.syncNow).toHaveBeenCalledWith('c-8', expect.any(Function));
  });

  it('connects with Intuit keys: the keys once for the app, add_intuit_company, then connect_company, then the first sync', async () => {
    const added = company({ id: 'c-9', kind: 'intuit', environment: 'sandbox', connection: 'not_connected', realmId: null });
    mocked.addIntuitCompany.mockImplementation(async () => {
      listed = [added];
      return added;
    });
    const browser = deferred<CompanySummary>();
    mocked.connectCompany.mockReturnValue(browser.promise);
    const { store } = stores();
    const input = {
      name: 'Client A',
      clientId: 'ABC',
      clientSecret: 'secret',
      environment: 'sandbox' as const,
      redirectPage: null,
    };

    const done = store.connectIntuit(input);
    await vi.waitFor(() => expect(store.busy).toBe('connecting'));
    expect(mocked.setOwnKeys).toHaveBeenCalledWith({ clientId: 'ABC', clientSecret: 'secret', environment: 'sandbox' });
    expect(mocked.addIntuitCompany).toHaveBeenCalledWith({ name: 'Client A', redirectPage: null });
    expect(mocked.connectCompany).toHaveBeenCalledWith('c-9');
    expect(store.connectingId).toBe('c-9');
    expect(mocked.syncNow).not.toHaveBeenCalled();

    listed = [{ ...added, connection: 'connected' }];
    browser.resolve({ ...added, connection: 'connected' });
    await expect(done).resolves.toBe(true);
    expect(mocked.syncNow).toHaveBeenCalledWith('c-9', expect.any(Function));
    expect(store.selected?.connection).toBe('connected');
  });

  it('cancels the wait for the browser and says so without an error', async () => {
    mocked.addIntuitCompany.mockResolvedValue(company({ id: 'c-9', connection: 'not_connected' }));
    const browser = deferred<CompanySummary>();
    mocked.connectCompany.mockReturnValue(browser.promise);
    mocked.cancelConnect.mockImplementation(async () => {
      browser.reject({ kind: 'cancelled', message: 'Cancelled.' });
    });
    const { store } = stores();
    const done = store.connectIntuit({ name: 'A', clientId: 'a', clientSecret: 'b', environment: 'sandbox', redirectPage: null });
    await vi.waitFor(() => expect(store.busy).toBe('connecting'));

    await store.cancelConnect();
    await done;
    expect(mocked.cancelConnect).toHaveBeenCalledWith('c-9');
    expect(store.error).toBeNull();
    expect(store.notice).toMatch(/cancelled/i);
    expect(mocked.syncNow).not.toHaveBeenCalled();
  });

  it('keeps the message of a failed command for the user', async () => {
    mocked.syncNow.mockRejectedValue({ kind: 'reconnect_needed', message: 'Reconnect it from the Companies page.' });
    const { store, sync } = stores();
    await store.syncNow('c-1');
    expect(sync.error?.kind).toBe('reconnect_needed');
    expect(sync.error?.message).toContain('Reconnect');
    expect(sync.running).toBe(false);

    mocked.addDemoCompany.mockRejectedValue({ kind: 'internal', message: 'The demo could not start. Restart the app.' });
    await store.tryDemo();
    expect(store.error?.message).toBe('The demo could not start. Restart the app.');
    expect(store.busy).toBe('idle');
  });

  it('remembers the selected company across restarts and falls back to the first', async () => {
    listed = [company(), company({ id: 'c-2', name: 'Second' })];
    const first = stores().store;
    await first.load();
    expect(first.selected?.id).toBe('c-1');
    first.select('c-2');

    const second = stores().store;
    await second.load();
    expect(second.selected?.id).toBe('c-2');

    localStorage.setItem(SELECTED_KEY, 'gone');
    const third = stores().store;
    await third.load();
    expect(third.selected?.id).toBe('c-1');
  });

  it('follows companies-changed', async () => {
    let handler: ((companies: CompanySummary[]) => void) | undefined;
    const unlisten = vi.fn();
    mocked.onCompaniesChanged.mockImplementation(async (listener) => {
      handler = listener;
      return unlisten;
    });
    const { store } = stores();
    const stop = await store.listen();
    handler?.([company({ syncing: true })]);
    expect(store.loaded).toBe(true);
    expect(store.companies[0]?.syncing).toBe(true);
    stop();
    expect(unlisten).toHaveBeenCalled();
  });

  it('disconnects and removes, selecting another company after a removal', async () => {
    listed = [company(), company({ id: 'c-2', name: 'Second' })];
    mocked.disconnectCompany.mockImplementation(async () => {
      listed = [company({ connection: 'not_connected' }), company({ id: 'c-2', name: 'Second' })];
      return company({ connection: 'not_connected' });
    });
    mocked.removeCompany.mockImplementation(async () => {
      listed = [company({ id: 'c-2', name: 'Second' })];
    });
    const { store } = stores();
    await store.load();
    store.select('c-1');

    await store.disconnect('c-1');
    expect(mocked.disconnectCompany).toHaveBeenCalledWith('c-1');
    expect(store.companies[0]?.connection).toBe('not_connected');

    await store.remove('c-1');
    expect(mocked.removeCompany).toHaveBeenCalledWith('c-1');
    expect(store.companies.map((known) => known.id)).toEqual(['c-2']);
    expect(store.selected?.id).toBe('c-2');
    expect(localStorage.getItem(SELECTED_KEY)).toBe('c-2');
  });
});

describe('SyncStore', () => {
  it('runs one sync at a time and cancels the running one', async () => {
    const running = deferred<SyncReport>();
    mocked.syncNow.mockReturnValue(running.promise);
    mocked.cancelSync.mockImplementation(async () => {
      running.reject({ kind: 'cancelled', message: 'Cancelled.' });
    });
    const sync = new SyncStore();
    const first = sync.start('c-1');
    expect(sync.running).toBe(true);
    expect(sync.isSyncing('c-1')).toBe(true);
    await expect(sync.start('c-1')).resolves.toBeNull();
    expect(mocked.syncNow).toHaveBeenCalledTimes(1);

    await sync.cancel();
    await expect(first).resolves.toBeNull();
    expect(mocked.cancelSync).toHaveBeenCalledWith('c-1');
    expect(sync.cancelled).toBe(true);
    expect(sync.error).toBeNull();
    expect(sync.running).toBe(false);
  });
});
