import { render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';

import { formatAmount } from '../decimal';
import { formatDate } from '../format';
import { RecordsStore } from '../stores/records.svelte';
import { row } from '../../test/fixtures';
import RecordsTable from './RecordsTable.svelte';

const invoice = row(1037, {
  docNumber: '1037',
  txnDate: '2026-11-30',
  amount: '18538.84',
  updatedAt: '2026-12-01T09:30:00Z',
});

// The table sizes itself with a ResizeObserver, which the test DOM lacks.
globalThis.ResizeObserver ??= class {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
};

const originalLanguage = Object.getOwnPropertyDescriptor(window.navigator, 'language');

afterEach(() => {
  if (originalLanguage) {
    Object.defineProperty(window.navigator, 'language', originalLanguage);
  } else {
    Reflect.deleteProperty(window.navigator, 'language');
  }
});

function cellsOfTheRow(language: string): string[] {
  Object.defineProperty(window.navigator, 'language', { value: language, configurable: true });
  const store = new RecordsStore({ listRecords: () => Promise.resolve({ rows: [invoice], total: 1 }) });
  store.total = 1;
  store.pages = new Map([[0, [invoice]]]);
  render(RecordsTable, { props: { store, companyId: 'a', onopen: () => {} } });
  const tableRow = screen.getByTestId('records-row');
  return Array.from(tableRow.querySelectorAll('[role=cell]')).map((cell) => cell.textContent?.trim() ?? '');
}

describe('RecordsTable', () => {
  it('writes a transaction’s date and amount as the user’s locale does, not as QuickBooks stores them', () => {
    const cells = cellsOfTheRow('de-DE');
    expect(cells[0]).toBe('30.11.2026');
    expect(cells[0]).toBe(formatDate('2026-11-30', 'de-DE'));
    expect(cells[1]).toBe('1037');
    expect(cells[3]).toBe(formatAmount('18538.84', 'de-DE'));
    expect(cells[3]).toBe('18.538,84');
  });

  it('writes the date in the US order for an American user', () => {
    expect(cellsOfTheRow('en-US')[0]).toBe('11/30/2026');
  });
});
