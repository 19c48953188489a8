import { describe, expect, it, vi } from 'vitest';

import { CommandFailure } from '../ipc/commands';
import { ListExport } from './export.svelte';

const input = { list: 'history' as const, companyId: 'c1' };

describe('a list export', () => {
  it('keeps where the file went and shows that folder only', async () => {
    const exportListAs = vi.fn(async () => ({ path: '/books/history.csv', rows: 12 }));
    const showInFolder = vi.fn(async () => {});
    const store = new ListExport({ exportListAs, showInFolder });
    expect(await store.run(input)).toEqual({ path: '/books/history.csv', rows: 12 });
    expect(exportListAs).toHaveBeenCalledWith(input);
    expect(store.saved?.path).toBe('/books/history.csv');
    await store.showFolder();
    expect(showInFolder).toHaveBeenCalledWith('/books/history.csv');
  });

  it('changes nothing when the dialog is cancelled', async () => {
    const store = new ListExport({ exportListAs: vi.fn(async () => null), showInFolder: vi.fn() });
    expect(await store.run(input)).toBeNull();
    expect(store.saved).toBeNull();
    expect(store.error).toBeNull();
    expect(store.exporting).toBe(false);
  });

  it('shows why an export or Show in folder failed', async () => {
    const refusal = new CommandFailure({ kind: 'invalid', message: 'Ledgerlink did not write /etc.' });
    const store = new ListExport({
      exportListAs: vi.fn(async () => ({ path: '/books/history.csv', rows: 1 })),
      showInFolder: vi.fn(async () => {
        throw refusal;
      }),
    });
    await store.run(input);
    await store.showFolder();
    expect(store.error?.message).toBe('Ledgerlink did not write /etc.');
    store.dismiss();
    expect(store.saved).toBeNull();
    expect(store.error).toBeNull();
  });
});
