import { describe, expect, it } from 'vitest';

import { SyncStore, compactProgress, phaseWords, progressLabel } from './sync.svelte';

/** A store that is only fed progress: starting or cancelling a sync would be a mistake of the test. */
function storeFedProgressOnly(): SyncStore {
  return new SyncStore({ syncNow: async () => Promise.reject(new Error('unused')), cancelSync: async () => {} });
}

describe('sync progress', () => {
  it('counts every pushed operation on one bar that the last step fills', () => {
    const sync = storeFedProgressOnly();
    sync.onProgress({ phase: 'pulling', entity: 'Invoice', done: 3, total: 3 });
    // The catch-up by change data capture names no type.
    sync.onProgress({ phase: 'pulling', entity: null, done: 0, total: null });
    sync.onProgress({ phase: 'pulling', entity: null, done: 7, total: 7 });
    // A batch labelled with its first record's type counts all its operations.
    sync.onProgress({ phase: 'pushing', entity: 'Customer', done: 0, total: 40 });
    sync.onProgress({ phase: 'pushing', entity: 'Invoice', done: 30, total: 40 });
    sync.onProgress({ phase: 'pushing', entity: null, done: 40, total: 40 });
    sync.onProgress({ phase: 'done', entity: null, done: 0, total: null });

    expect(sync.progress).toEqual([
      { entity: 'Invoice', done: 3, total: 3 },
      { entity: 'phase:pulling', done: 7, total: 7 },
      { entity: 'phase:pushing', done: 40, total: 40 },
    ]);
    // No bar is labelled "Customers" for operations of other types.
    expect(sync.progress.map((entry) => progressLabel(entry.entity, (entity) => `${entity}s`))).toEqual([
      'Invoices',
      'Changes from QuickBooks',
      'Changes sent to QuickBooks',
    ]);
  });

  it('shows re-sending the outbox as its own bar', () => {
    const sync = storeFedProgressOnly();
    sync.onProgress({ phase: 'recovering', entity: null, done: 0, total: 2 });
    sync.onProgress({ phase: 'recovering', entity: null, done: 2, total: 2 });
    expect(sync.progress).toEqual([{ entity: 'phase:recovering', done: 2, total: 2 }]);
  });

  it('says when the records list is being prepared, without a bar that would mix indexes with records', () => {
    const sync = storeFedProgressOnly();
    sync.onProgress({ phase: 'pulling', entity: 'Invoice', done: 3, total: 3 });
    sync.onProgress({ phase: 'indexing', entity: null, done: 0, total: 6 });
    expect(sync.phase).toBe('indexing');
    expect(phaseWords(sync.phase)).toBe('preparing the records list');
    expect(sync.progress).toEqual([{ entity: 'Invoice', done: 3, total: 3 }]);
  });
});

describe('the status bar progress', () => {
  it('is hidden while nothing syncs', () => {
    expect(compactProgress([{ syncing: false, queued: false }], [])).toBeNull();
  });

  it('runs for a timer sync the window did not start, and counts the queue', () => {
    const shown = compactProgress(
      [
        { syncing: true, queued: false },
        { syncing: false, queued: true },
        { syncing: false, queued: true },
      ],
      [],
    );
    expect(shown).toEqual({ done: 0, total: null, words: 'Syncing 1 company, 2 waiting' });
  });

  it('sums the bars of the sync started here', () => {
    const shown = compactProgress(
      [{ syncing: true, queued: false }],
      [
        { entity: 'Invoice', done: 30, total: 40 },
        { entity: 'Customer', done: 5, total: null },
        { entity: 'phase:pushing', done: 10, total: 10 },
      ],
    );
    expect(shown?.done).toBe(40);
    expect(shown?.total).toBe(50);
  });
});
