import { describe, expect, it, vi } from 'vitest';

import { conflict, detail } from '../../test/fixtures';
import { ConflictsStore, valueKind } from './conflicts.svelte';

describe('ConflictsStore', () => {
  it('reads a decimal field sent as text as a number field', () => {
    expect(valueKind({ base: '10', local: '12.5', remote: '15', decimal: true })).toBe('number');
    // A reference number is text, whatever it looks like.
    expect(valueKind({ base: '1001', local: '1002', remote: '1003', decimal: false })).toBe('text');
  });

  it('sends a typed amount as its exact decimal text and keeps the other picks', async () => {
    const resolveConflict = vi.fn(() => Promise.resolve(detail()));
    const store = new ConflictsStore({
      getConflict: () => Promise.resolve(conflict()),
      resolveConflict,
    });
    await store.open('c-1', 5);
    store.pick('PrivateNote', 'local');
    store.pick('CustomerRef', 'remote');
    store.setValue('Line[Id=7].Amount', '12345678901234.50');
    expect(store.valueProblem({ path: 'Line[Id=7].Amount', base: '10', local: '12.5', remote: '15', decimal: true })).toBeNull();
    expect(store.resolution()).toEqual({
      kind: 'fields',
      choices: {
        PrivateNote: { take: 'local' },
        CustomerRef: { take: 'remote' },
        'Line[Id=7].Amount': { take: 'value', value: '12345678901234.50' },
      },
    });
    store.setValue('Line[Id=7].Amount', '12,5');
    expect(store.valueProblem({ path: 'Line[Id=7].Amount', base: '10', local: '12.5', remote: '15', decimal: true })).toMatch(/not a number/);
  });
});
