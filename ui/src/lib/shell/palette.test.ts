import { describe, expect, it } from 'vitest';
import type { CompanySummary } from '../ipc/commands';
import { staticItems } from './palette';

const company = { id: 'c1', name: 'Meadow Point Landscaping' } as CompanySummary;

describe('the palette', () => {
  it('offers closing the window (the app keeps syncing in the tray) when asked for it', () => {
    const items = staticItems([company], 'close');
    expect(items).toEqual([
      { kind: 'action', id: 'close-window', label: 'Close window', detail: 'Ledgerlink keeps syncing in the tray' },
    ]);
  });

  it('lists companies, then sections, then actions for an empty query', () => {
    const kinds = staticItems([company], '').map((item) => item.kind);
    expect(kinds[0]).toBe('company');
    expect(kinds.at(-1)).toBe('action');
    expect(kinds.indexOf('action')).toBeGreaterThan(kinds.lastIndexOf('section'));
  });

  it('does not offer an action a query does not name', () => {
    expect(staticItems([company], 'meadow').map((item) => item.kind)).toEqual(['company']);
  });
});
