/**
 * The frame's shortcuts and command palette, with a mocked Rust side that
 * holds two companies and a record.
 */
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';

import App from './App.svelte';
import type { CompanySummary, RecordListRow } from './lib/ipc/commands';
import { AppInfoLoader } from './lib/stores/appInfo.svelte';
import { CompaniesStore } from './lib/stores/companies.svelte';
import { Navigation } from './lib/stores/navigation.svelte';

function company(id: string, name: string, openConflicts: number): CompanySummary {
  return {
    id,
    name,
    kind: 'emulator',
    environment: 'emulator',
    realmId: `realm-${id}`,
    connection: 'connected',
    syncing: false,
    queued: false,
    lastSyncAt: null,
    lastSyncError: null,
    openConflicts,
    pendingChanges: 0,
    reconnectWarning: null,
    liveUpdates: 'off',
    liveUpdatesError: null,
  };
}

const invoice: RecordListRow = {
  localId: 'local-1037',
  entityType: 'Invoice',
  qboId: '130',
  state: 'synced',
  name: null,
  docNumber: '1037',
  txnDate: '2026-11-30',
  amount: '362.07',
  counterparty: 'Sonnenschein Family Store',
  active: true,
  error: null,
  problem: null,
  updatedAt: null,
};

function mockBackend(): { searches: unknown[] } {
  const searches: unknown[] = [];
  mockIPC((command, args) => {
    switch (command) {
      case 'app_info':
        return { version: '0.9.2', dataDir: '/data', logDir: '/logs' };
      case 'list_companies':
        return [company('a', 'Amy’s Bird Sanctuary', 0), company('b', 'Bill’s Windsurf Shop', 3)];
      case 'list_records': {
        const query = (args as { query: { search: string | null } }).query;
        searches.push(query);
        return { rows: query.search === '1037' ? [invoice] : [], total: query.search === '1037' ? 1 : 0 };
      }
      case 'list_conflicts':
      case 'list_products':
        return [];
      default:
        throw { kind: 'internal', message: `No mock for ${command}` };
    }
  });
  return { searches };
}

function renderApp(): { navigation: Navigation; companies: CompaniesStore } {
  const navigation = new Navigation();
  const companies = new CompaniesStore();
  render(App, { props: { navigation, loader: new AppInfoLoader(), companies } });
  return { navigation, companies };
}

// The Records page sizes its table with a ResizeObserver, which the test DOM lacks.
globalThis.ResizeObserver ??= class {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
};

afterEach(() => {
  clearMocks();
  localStorage.clear();
});

describe('the frame', () => {
  it('names the open company in the page header and the window title', async () => {
    mockBackend();
    const { companies } = renderApp();
    await waitFor(() => expect(screen.getByTestId('page-company').textContent).toBe('Amy’s Bird Sanctuary'));
    expect(document.title).toBe('Amy’s Bird Sanctuary — Companies — Ledgerlink');

    companies.select('b');
    await waitFor(() => expect(document.title).toBe('Bill’s Windsurf Shop — Companies — Ledgerlink'));
  });

  it('shows the open company’s conflicts as a badge on Conflicts', async () => {
    mockBackend();
    const { companies } = renderApp();
    await waitFor(() => expect(screen.getByTestId('page-company')).toBeTruthy());
    expect(screen.queryByTestId('nav-badge-conflicts')).toBeNull();
    companies.select('b');
    await waitFor(() => expect(screen.getByTestId('nav-badge-conflicts').textContent?.trim()).toBe('3'));
  });

  it('moves between sections with Ctrl+1 to Ctrl+6', async () => {
    mockBackend();
    const { navigation } = renderApp();
    await fireEvent.keyDown(window, { key: '4', ctrlKey: true });
    expect(navigation.current).toBe('conflicts');
    await fireEvent.keyDown(window, { key: '2', ctrlKey: true });
    expect(navigation.current).toBe('records');
  });

  it('opens the palette with Ctrl+K and jumps to a company by name', async () => {
    const user = userEvent.setup();
    mockBackend();
    const { companies, navigation } = renderApp();
    await waitFor(() => expect(screen.getByTestId('page-company')).toBeTruthy());

    await fireEvent.keyDown(window, { key: 'k', ctrlKey: true });
    const input = await screen.findByTestId('palette-input');
    await user.type(input, 'windsurf');
    const items = screen.getAllByTestId('palette-item');
    expect(items.map((item) => item.getAttribute('data-kind'))).toEqual(['company']);
    await user.keyboard('{Enter}');

    expect(companies.selected?.id).toBe('b');
    expect(navigation.current).toBe('records');
    expect(screen.queryByTestId('palette')).toBeNull();
  });

  it('finds a record by its number in the palette', async () => {
    const user = userEvent.setup();
    const backend = mockBackend();
    renderApp();
    await waitFor(() => expect(screen.getByTestId('page-company')).toBeTruthy());

    await fireEvent.keyDown(window, { key: 'k', ctrlKey: true });
    await user.type(await screen.findByTestId('palette-input'), '1037');
    const record = await screen.findByText('Invoice 1037');
    expect(record.closest('[data-testid="palette-item"]')?.getAttribute('data-kind')).toBe('record');
    expect(backend.searches).toContainEqual(expect.objectContaining({ search: '1037', entityType: null }));
  });

  it('closes the palette with Escape', async () => {
    const user = userEvent.setup();
    mockBackend();
    renderApp();
    await fireEvent.keyDown(window, { key: 'k', ctrlKey: true });
    await screen.findByTestId('palette-input');
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('palette')).toBeNull();
  });
});
