import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import * as commands from '../ipc/commands';
import type { CompanySummary, SyncProgress, SyncReport } from '../ipc/commands';
import { company } from '../../test/fixtures';
import { deferred } from '../../test/mockCommands';
import { CompaniesStore } from '../stores/companies.svelte';
import { SyncStore } from '../stores/sync.svelte';
import CompaniesPage from './CompaniesPage.svelte';

vi.mock('../ipc/commands', async (importOriginal) =>
  (await import('../../test/mockCommands')).mockCommands(await importOriginal<typeof import('../ipc/commands')>()),
);

const mocked = vi.mocked(commands);
const report: SyncReport = { pulled: 42, pushed: 0, conflictsOpened: 0, failed: [], fullRescan: false };
let listed: CompanySummary[] = [];

async function renderPage() {
  const store = new CompaniesStore({}, new SyncStore());
  await store.load();
  render(CompaniesPage, { store });
  return store;
}

beforeEach(() => {
  listed = [];
  localStorage.clear();
  mocked.listCompanies.mockImplementation(async () => listed);
});

afterEach(() => {
  vi.clearAllMocks();
});

describe('the welcome', () => {
  it('offers both ways in, each explained', async () => {
    await renderPage();
    expect(screen.getByRole('heading', { name: 'Try the demo company' })).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Connect QuickBooks' })).toBeTruthy();
    expect(screen.getByText(/without an Intuit account/)).toBeTruthy();
    expect(screen.getByText(/approve the connection in your browser/)).toBeTruthy();
    expect(screen.getByTestId('welcome-try-demo').textContent).toContain('Try the demo company');
    expect(screen.getByTestId('welcome-connect').textContent).toContain('Connect QuickBooks');
  });

  it('starts the demo in one click and shows the first sync per entity type', async () => {
    const user = userEvent.setup();
    const sync = deferred<SyncReport>();
    let progress: ((step: SyncProgress) => void) | undefined;
    mocked.addDemoCompany.mockImplementation(async () => {
      listed = [company()];
      return company();
    });
    mocked.syncNow.mockImplementation((_id, onProgress) => {
      progress = onProgress;
      return sync.promise;
    });
    await renderPage();

    await user.click(screen.getByTestId('welcome-try-demo'));
    expect(mocked.addDemoCompany).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(mocked.syncNow).toHaveBeenCalledWith('c-1', expect.any(Function)));
    progress?.({ phase: 'pulling', entity: 'Invoice', done: 40, total: 120 });
    progress?.({ phase: 'pulling', entity: 'Customer', done: 7, total: 7 });

    const panel = await screen.findByTestId('sync-progress');
    const bars = within(panel).getAllByRole('progressbar');
    expect(bars).toHaveLength(2);
    expect(bars[0]?.getAttribute('value')).toBe('40');
    expect(bars[0]?.getAttribute('max')).toBe('120');
    expect(panel.textContent).toContain('40 of 120');
    expect(panel.textContent).toContain('reading from QuickBooks');
    expect(screen.getByTestId('sync-cancel')).toBeTruthy();

    listed = [company({ lastSyncAt: '2026-11-22T10:00:00Z' })];
    sync.resolve(report);
    expect((await screen.findByTestId('sync-report')).textContent).toContain('42 from QuickBooks');
    expect(screen.queryByTestId('sync-cancel')).toBeNull();
    expect(screen.getByTestId('company-row-c-1').textContent).toContain('Demo company');
  });

  it('cancels a running sync', async () => {
    const user = userEvent.setup();
    const sync = deferred<SyncReport>();
    listed = [company()];
    mocked.syncNow.mockReturnValue(sync.promise);
    mocked.cancelSync.mockImplementation(async () => sync.reject({ kind: 'cancelled', message: 'Cancelled.' }));
    await renderPage();
    await user.click(screen.getByTestId('company-sync-c-1'));
    await user.click(await screen.findByTestId('sync-cancel'));
    expect(mocked.cancelSync).toHaveBeenCalledWith('c-1');
    expect(await screen.findByTestId('sync-cancelled')).toBeTruthy();
    expect(screen.queryByTestId('error-alert')).toBeNull();
  });

  it('connects QuickBooks with one click through the relay, no keys typed', async () => {
    const user = userEvent.setup();
    const added = company({ id: 'c-7', name: 'New QuickBooks company', kind: 'relay', environment: 'production', connection: 'not_connected' });
    mocked.addQuickbooksCompany.mockImplementation(async () => {
      listed = [added];
      return added;
    });
    mocked.connectCompany.mockResolvedValue({ ...added, connection: 'connected' });
    mocked.syncNow.mockResolvedValue(report);
    await renderPage();
    await user.click(screen.getByTestId('welcome-connect'));
    await vi.waitFor(() => expect(mocked.connectCompany).toHaveBeenCalledWith('c-7'));
    expect(mocked.addQuickbooksCompany).toHaveBeenCalledWith(null);
    expect(mocked.setOwnKeys).not.toHaveBeenCalled();
  });

  it('says what is needed when no relay is set', async () => {
    const user = userEvent.setup();
    mocked.addQuickbooksCompany.mockRejectedValue({
      kind: 'relay_needed',
      message: 'Connecting QuickBooks needs a relay address from your firm',
    });
    await renderPage();
    await user.click(screen.getByTestId('welcome-connect'));
    expect((await screen.findByTestId('error-alert')).textContent).toContain('needs a relay address');
    expect(mocked.connectCompany).not.toHaveBeenCalled();
  });

  it('connects with a form, waits for the browser with Cancel, then syncs', async () => {
    const user = userEvent.setup();
    const added = company({ id: 'c-9', name: 'Client A', kind: 'intuit', environment: 'sandbox', connection: 'not_connected' });
    mocked.addIntuitCompany.mockImplementation(async () => {
      listed = [added];
      return added;
    });
    const browser = deferred<CompanySummary>();
    mocked.connectCompany.mockReturnValue(browser.promise);
    mocked.syncNow.mockResolvedValue(report);
    await renderPage();

    await user.click(screen.getByTestId('welcome-own-keys'));
    expect(screen.getByTestId('connect-redirect-uri').textContent).toContain('http://localhost:8917/callback');
    // Nothing is sent while a required key is missing; the problems are named.
    await user.click(screen.getByTestId('connect-submit'));
    expect(mocked.addIntuitCompany).not.toHaveBeenCalled();
    expect(screen.getByTestId('connect-name').getAttribute('aria-invalid')).toBe('true');

    await user.type(screen.getByLabelText('Company label'), 'Client A');
    await user.type(screen.getByLabelText('Client id'), 'ABC123');
    const secret = screen.getByLabelText('Client secret') as HTMLInputElement;
    expect(secret.type).toBe('password');
    await user.type(secret, 's3cret');
    await user.click(screen.getByTestId('connect-submit'));

    await vi.waitFor(() => expect(mocked.addIntuitCompany).toHaveBeenCalled());
    expect(mocked.setOwnKeys).toHaveBeenCalledWith({ clientId: 'ABC123', clientSecret: 's3cret', environment: 'sandbox' });
    expect(mocked.addIntuitCompany).toHaveBeenCalledWith({ name: 'Client A', redirectPage: null });
    const waiting = await screen.findByTestId('connect-waiting');
    expect(waiting.textContent).toContain('Finish in your browser…');
    expect(mocked.connectCompany).toHaveBeenCalledWith('c-9');

    listed = [{ ...added, connection: 'connected' }];
    browser.resolve({ ...added, connection: 'connected' });
    await vi.waitFor(() => expect(mocked.syncNow).toHaveBeenCalledWith('c-9', expect.any(Function)));
    expect(await screen.findByTestId('sync-report')).toBeTruthy();
  });

  it('asks for a hosted redirect page with production keys', async () => {
    const user = userEvent.setup();
    await renderPage();
    await user.click(screen.getByTestId('welcome-own-keys'));
    await user.type(screen.getByLabelText('Company label'), 'Client A');
    await user.type(screen.getByLabelText('Client id'), 'ABC123');
    await user.type(screen.getByLabelText('Client secret'), 's3cret');
    await user.click(screen.getByTestId('connect-environment-production'));
    await user.click(screen.getByTestId('connect-submit'));
    expect(mocked.addIntuitCompany).not.toHaveBeenCalled();
    expect(screen.getByText(/Production keys need a hosted https redirect page/)).toBeTruthy();
    await user.type(screen.getByTestId('connect-redirect'), 'https://example.com/ledgerlink');
    await user.click(screen.getByTestId('connect-submit'));
    await vi.waitFor(() =>
      expect(mocked.addIntuitCompany).toHaveBeenCalledWith(expect.objectContaining({ redirectPage: 'https://example.com/ledgerlink' })),
    );
    expect(mocked.setOwnKeys).toHaveBeenCalledWith(expect.objectContaining({ environment: 'production' }));
  });

  it('shows the error message of a refused command in the alert', async () => {
    const user = userEvent.setup();
    mocked.addDemoCompany.mockRejectedValue({ kind: 'internal', message: 'The demo could not start. Restart Ledgerlink.' });
    await renderPage();
    await user.click(screen.getByTestId('welcome-try-demo'));
    expect((await screen.findByTestId('error-alert')).textContent).toContain('The demo could not start. Restart Ledgerlink.');
  });
});

describe('the company list', () => {
  it('shows each company with its state and a Reconnect button when needed', async () => {
    listed = [
      company({ lastSyncAt: '2026-11-22T10:00:00Z', openConflicts: 2 }),
      company({ id: 'c-2', name: 'Client B', kind: 'intuit', connection: 'reconnect_needed', reconnectWarning: 'Reconnect Client B: Intuit ended the connection.' }),
    ];
    const store = await renderPage();
    const first = screen.getByTestId('company-row-c-1');
    expect(within(first).getByTestId('company-state').textContent).toBe('Connected');
    expect(within(first).getByTestId('company-last-sync').textContent).not.toBe('never');
    const second = screen.getByTestId('company-row-c-2');
    expect(within(second).getByTestId('company-state').textContent).toBe('Reconnect needed');
    expect(second.textContent).toContain('Intuit ended the connection');

    mocked.connectCompany.mockResolvedValue(company({ id: 'c-2', connection: 'connected' }));
    mocked.syncNow.mockResolvedValue(report);
    await userEvent.click(screen.getByTestId('company-reconnect-c-2'));
    expect(mocked.connectCompany).toHaveBeenCalledWith('c-2');
    await vi.waitFor(() => expect(mocked.syncNow).toHaveBeenCalledWith('c-2', expect.any(Function)));
    expect(store.error).toBeNull();
  });

  it('disconnects only after confirmation, and Escape cancels', async () => {
    const user = userEvent.setup();
    listed = [company()];
    mocked.disconnectCompany.mockResolvedValue(company({ connection: 'not_connected' }));
    await renderPage();

    await user.click(screen.getByTestId('company-disconnect-c-1'));
    const dialog = screen.getByRole('dialog', { name: 'Disconnect Demo company?' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('confirm-cancel')));
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(mocked.disconnectCompany).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(screen.getByTestId('company-disconnect-c-1'));

    await user.click(screen.getByTestId('company-disconnect-c-1'));
    await user.click(screen.getByTestId('confirm-ok'));
    expect(mocked.disconnectCompany).toHaveBeenCalledWith('c-1');
  });

  it('keeps Tab inside the confirmation and removes local data on OK', async () => {
    const user = userEvent.setup();
    listed = [company({ pendingChanges: 3 })];
    mocked.removeCompany.mockImplementation(async () => {
      listed = [];
    });
    await renderPage();

    await user.click(screen.getByTestId('company-remove-c-1'));
    const dialog = screen.getByRole('dialog');
    expect(dialog.textContent).toContain('3 changes not yet sent');
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('confirm-cancel')));
    await user.tab();
    expect(document.activeElement).toBe(screen.getByTestId('confirm-ok'));
    await user.tab();
    expect(document.activeElement).toBe(screen.getByTestId('confirm-cancel'));
    await user.tab({ shift: true });
    expect(document.activeElement).toBe(screen.getByTestId('confirm-ok'));

    await user.click(screen.getByTestId('confirm-ok'));
    expect(mocked.removeCompany).toHaveBeenCalledWith('c-1');
    expect(await screen.findByTestId('welcome-try-demo')).toBeTruthy();
  });
});
