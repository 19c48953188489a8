import { describe, expect, it } from 'vitest';

import type { CompanyOverview } from './ipc/commands';
import { figureTarget, formatMoney, liveWords, stateWords } from './overview';
import { company } from '../test/fixtures';

function row(overrides: Partial<CompanyOverview> = {}): CompanyOverview {
  const none = { count: 0, total: '0', overdueCount: 0, overdueTotal: '0' };
  return {
    company: company({ lastSyncAt: '2026-03-01T10:00:00Z' }),
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

describe('the overview', () => {
  it('opens each number on its filtered page', () => {
    expect(figureTarget('conflicts')).toEqual({ section: 'conflicts' });
    expect(figureTarget('pending')).toEqual({ section: 'pending' });
    expect(figureTarget('heldBack')).toEqual({ section: 'pending' });
    expect(figureTarget('failed')).toEqual({ section: 'records', entityType: '', states: ['error'], openOnly: false });
    expect(figureTarget('invoices')).toEqual({ section: 'records', entityType: 'Invoice', states: [], openOnly: true });
    expect(figureTarget('bills')).toEqual({ section: 'records', entityType: 'Bill', states: [], openOnly: true });
  });

  it('says first what needs the user', () => {
    expect(stateWords(row()).text).toBe('In sync');
    expect(stateWords(row({ pending: 2 })).text).toBe('Changes to send');
    expect(stateWords(row({ pending: 2, heldBack: 1 })).text).toBe('Changes held back');
    expect(stateWords(row({ pending: 2, failed: 1 })).text).toBe('Sync problem');
    const conflicted = row({ failed: 1, company: company({ openConflicts: 3, lastSyncAt: null }) });
    expect(stateWords(conflicted)).toEqual({ text: 'Conflicts to resolve', tone: 'attention' });
    expect(stateWords(row({ company: company({ connection: 'reconnect_needed', openConflicts: 3 }) })).text).toBe(
      'Reconnect needed',
    );
    expect(stateWords(row({ company: company({ syncing: true }) })).tone).toBe('busy');
    expect(stateWords(row({ company: company({ queued: true }) })).text).toBe('Waiting to sync');
    expect(stateWords(row({ company: company({ lastSyncAt: null }) })).text).toBe('Never synced');
  });

  it('names the live-updates state', () => {
    expect(liveWords(row())).toBe('Timer only');
    expect(liveWords(row({ company: company({ liveUpdates: 'connected' }) }))).toBe('Live');
    expect(liveWords(row({ company: company({ liveUpdates: 'error' }) }))).toBe('Retrying');
  });

  it('writes money exactly, grouped in the locale, with the currency', () => {
    expect(formatMoney('1234567.5', 'USD', 'en-US')).toBe('USD 1,234,567.50');
    expect(formatMoney('1234567.5', 'EUR', 'de-DE')).toBe('EUR 1.234.567,50');
    expect(formatMoney('90071992547409.99', null, 'en-US')).toBe('90,071,992,547,409.99');
  });
});
