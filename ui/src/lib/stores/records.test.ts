import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';

import type { RecordDetail, RecordPage } from '../ipc/commands';
import type { RecordListRow } from '../ipc/generated/RecordListRow';
import RecordsPage from '../pages/RecordsPage.svelte';
import { CompaniesStore } from './companies.svelte';
import { RecordsStore, type RecordCommands } from './records.svelte';

const row: RecordListRow = {
  localId: 'r-1',
  entityType: 'Invoice',
  qboId: '12',
  state: 'synced',
  name: null,
  docNumber: '1042',
  txnDate: '2026-03-05',
  amount: '120.50',
  counterparty: 'Acme Ltd',
  active: true,
  error: null,
  updatedAt: null,
};

const detail: RecordDetail = {
  row,
  local: { Id: '12', DocNumber: '1042', PrivateNote: 'old memo', TotalAmt: 120.5 },
  base: null,
  remote: null,
  conflictId: null,
  canVoid: true,
  canDelete: true,
};

function fakes(): RecordCommands {
  const page: RecordPage = { rows: [row], total: 1 };
  return {
    listRecords: vi.fn(async () => page),
    getRecord: vi.fn(async () => detail),
    saveRecord: vi.fn(async (_company: string, _local: string | null, _entity: string, object: unknown) => ({
      record: { ...detail, row: { ...row, state: 'pending' as const }, local: object },
      issues: [],
    })),
  };
}

function companies(): CompaniesStore {
  const store = new CompaniesStore({
    listCompanies: vi.fn(async () => []),
    addDemoCompany: vi.fn(),
    syncNow: vi.fn(),
    cancelSync: vi.fn(),
  });
  store.companies = [
    {
      id: 'c-1',
      name: 'Demo company',
      kind: 'demo',
      environment: 'emulator',
      realmId: '1',
      connection: 'connected',
      syncing: false,
      lastSyncAt: null,
      lastSyncError: null,
      openConflicts: 0,
      pendingChanges: 0,
      reconnectWarning: null,
    },
  ];
  return store;
}

describe('RecordsStore', () => {
  it('asks for the chosen type and search, newest first, a page at a time', async () => {
    const commands = fakes();
    const store = new RecordsStore(commands);
    store.entityType = 'Bill';
    store.search = '  acme ';
    await store.load('c-1', 100);
    expect(commands.listRecords).toHaveBeenCalledWith('c-1', {
      entityType: 'Bill',
      states: [],
      search: 'acme',
      dateFrom: null,
      dateTo: null,
      sort: 'txn_date',
      descending: true,
      offset: 100,
      limit: 100,
    });
  });

  it('saves a new memo and keeps every other field of the record', async () => {
    const commands = fakes();
    const store = new RecordsStore(commands);
    await store.load('c-1');
    await store.open('c-1', 'r-1');
    await store.saveMemo('c-1', 'checked');
    expect(commands.saveRecord).toHaveBeenCalledWith('c-1', 'r-1', 'Invoice', {
      Id: '12',
      DocNumber: '1042',
      PrivateNote: 'checked',
      TotalAmt: 120.5,
    });
    expect(store.page.rows[0]?.state).toBe('pending');
  });
});

describe('RecordsPage', () => {
  it('lists the rows, opens one and saves its memo', async () => {
    const commands = fakes();
    render(RecordsPage, { companies: companies(), store: new RecordsStore(commands) });
    const rows = await screen.findAllByTestId('records-row');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.textContent).toContain('Acme Ltd');
    await userEvent.click(rows[0] as HTMLElement);
    const memo = (await screen.findByTestId('field-PrivateNote')) as HTMLTextAreaElement;
    expect(memo.value).toBe('old memo');
    await userEvent.clear(memo);
    await userEvent.type(memo, 'checked by me');
    await userEvent.click(screen.getByTestId('record-save'));
    expect(await screen.findByTestId('record-saved')).toBeTruthy();
    expect(screen.getByTestId('record-state').textContent).toBe('pending');
  });
});
