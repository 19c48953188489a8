import { describe, expect, it } from 'vitest';

import {
  balancingAmount,
  bulkAcceptable,
  checkSplit,
  confidenceBand,
  confidenceLabel,
  inboxKey,
  parseThreshold,
  type InboxKeyPress,
} from './logic';

function press(key: string, extra: Partial<InboxKeyPress> = {}): InboxKeyPress {
  return { key, ctrlKey: false, metaKey: false, altKey: false, inTextField: false, ...extra };
}

describe('a split', () => {
  it('adds up only when the parts equal the amount exactly', () => {
    const parts = [
      { account: '7', amount: '60.10' },
      { account: '9', amount: '0.2' },
    ];
    expect(checkSplit('-60.30', parts)).toEqual({ ok: true, remaining: '0.00', problem: null });
    // 0.1 + 0.2 in floating point is 0.30000000000000004; here it is exact.
    expect(
      checkSplit('0.3', [
        { account: '7', amount: '0.1' },
        { account: '9', amount: '0.2' },
      ]).ok,
    ).toBe(true);
  });

  it('says how much is left, or how much too much', () => {
    const short = checkSplit('-100.00', [
      { account: '7', amount: '60' },
      { account: '9', amount: '39.99' },
    ]);
    expect(short.ok).toBe(false);
    expect(short.remaining).toBe('0.01');
    expect(short.problem).toBe('0.01 is still to be placed.');

    const over = checkSplit('100', [
      { account: '7', amount: '60' },
      { account: '9', amount: '40.5' },
    ]);
    expect(over.ok).toBe(false);
    expect(over.problem).toBe('The lines are 0.50 more than the entry.');
  });

  it('refuses a line without an account, a non-number, a minus sign, a zero or a single line', () => {
    expect(checkSplit('-10', [{ account: '7', amount: '10' }]).problem).toBe('A split needs at least two lines.');
    expect(
      checkSplit('-10', [
        { account: '', amount: '4' },
        { account: '9', amount: '6' },
      ]).problem,
    ).toBe('Line 1: choose an account.');
    expect(
      checkSplit('-10', [
        { account: '7', amount: '4' },
        { account: '9', amount: '6,00' },
      ]).problem,
    ).toBe('Line 2: "6,00" is not an amount.');
    expect(
      checkSplit('-10', [
        { account: '7', amount: '-4' },
        { account: '9', amount: '14' },
      ]).problem,
    ).toBe('Line 1: type the amount without a minus sign.');
    expect(
      checkSplit('-10', [
        { account: '7', amount: '10' },
        { account: '9', amount: '0' },
      ]).problem,
    ).toBe('Line 2: give it an amount, or remove the line.');
    expect(checkSplit(null, []).ok).toBe(false);
  });

  it('offers the rest of the amount for an empty line', () => {
    const parts = [
      { account: '7', amount: '12.34' },
      { account: '9', amount: '' },
    ];
    expect(balancingAmount('-100', parts, 1)).toBe('87.66');
    expect(balancingAmount('-12.34', parts, 1)).toBeNull();
    expect(balancingAmount('-100', [{ account: '7', amount: 'x' }, { account: '', amount: '' }], 1)).toBeNull();
  });
});

describe('the bulk accept', () => {
  const entries = [
    { id: 1, state: 'new', confidence: 0.95, hasAccount: true },
    { id: 2, state: 'new', confidence: 0.9, hasAccount: true },
    { id: 3, state: 'new', confidence: 0.89, hasAccount: true },
    { id: 4, state: 'new', confidence: 0.99, hasAccount: false },
    { id: 5, state: 'already_in_quickbooks', confidence: 0.99, hasAccount: true },
    { id: 6, state: 'accepted', confidence: 0.99, hasAccount: true },
    { id: 7, state: 'excluded', confidence: 0.99, hasAccount: true },
  ];

  it('takes new entries with an account at or above the threshold, and nothing else', () => {
    expect(bulkAcceptable(entries, 0.9).map((entry) => entry.id)).toEqual([1, 2]);
    expect(bulkAcceptable(entries, 0.5).map((entry) => entry.id)).toEqual([1, 2, 3]);
    expect(bulkAcceptable(entries, 1)).toEqual([]);
  });

  it('reads a threshold as a fraction or a percentage', () => {
    expect(parseThreshold('0.9')).toBe(0.9);
    expect(parseThreshold(' 90% ')).toBe(0.9);
    expect(parseThreshold('85')).toBe(0.85);
    expect(parseThreshold('1')).toBe(1);
    expect(parseThreshold('0')).toBe(0);
    expect(parseThreshold('')).toBeNull();
    expect(parseThreshold('-0.5')).toBeNull();
    expect(parseThreshold('150%')).toBeNull();
    expect(parseThreshold('abc')).toBeNull();
  });

  it('shows a confidence as a percentage in three bands', () => {
    expect(confidenceLabel(0.934)).toBe('93%');
    expect(confidenceLabel(0)).toBe('0%');
    expect(confidenceBand(0.9)).toBe('high');
    expect(confidenceBand(0.75)).toBe('medium');
    expect(confidenceBand(0.2)).toBe('low');
  });
});

describe('the inbox keys', () => {
  it('move with the arrows, Home, End and the page keys, staying in the list', () => {
    expect(inboxKey(press('ArrowDown'), -1, 5)).toEqual({ kind: 'move', to: 0 });
    expect(inboxKey(press('ArrowDown'), 2, 5)).toEqual({ kind: 'move', to: 3 });
    expect(inboxKey(press('ArrowDown'), 4, 5)).toEqual({ kind: 'move', to: 4 });
    expect(inboxKey(press('ArrowUp'), 0, 5)).toEqual({ kind: 'move', to: 0 });
    expect(inboxKey(press('ArrowUp'), 3, 5)).toEqual({ kind: 'move', to: 2 });
    expect(inboxKey(press('End'), 0, 5)).toEqual({ kind: 'move', to: 4 });
    expect(inboxKey(press('Home'), 3, 5)).toEqual({ kind: 'move', to: 0 });
    expect(inboxKey(press('PageDown'), 0, 25)).toEqual({ kind: 'move', to: 10 });
    expect(inboxKey(press('PageUp'), 4, 25)).toEqual({ kind: 'move', to: 0 });
    // A selection past the end (the list shrank) moves from the last row.
    expect(inboxKey(press('ArrowUp'), 9, 5)).toEqual({ kind: 'move', to: 3 });
  });

  it('accept with Enter, edit with E, split with S and exclude with X or Delete', () => {
    expect(inboxKey(press('Enter'), 1, 5)).toEqual({ kind: 'accept' });
    expect(inboxKey(press('e'), 1, 5)).toEqual({ kind: 'edit' });
    expect(inboxKey(press('E'), 1, 5)).toEqual({ kind: 'edit' });
    expect(inboxKey(press('s'), 1, 5)).toEqual({ kind: 'split' });
    expect(inboxKey(press('x'), 1, 5)).toEqual({ kind: 'exclude' });
    expect(inboxKey(press('Delete'), 1, 5)).toEqual({ kind: 'exclude' });
    expect(inboxKey(press('q'), 1, 5)).toBeNull();
  });

  it('do nothing to a row before one is chosen, in a field, with modifiers, or in an empty list', () => {
    expect(inboxKey(press('Enter'), -1, 5)).toBeNull();
    expect(inboxKey(press('e', { inTextField: true }), 1, 5)).toBeNull();
    expect(inboxKey(press('ArrowDown', { inTextField: true }), 1, 5)).toBeNull();
    expect(inboxKey(press('e', { ctrlKey: true }), 1, 5)).toBeNull();
    expect(inboxKey(press('Enter', { metaKey: true }), 1, 5)).toBeNull();
    expect(inboxKey(press('x', { altKey: true }), 1, 5)).toBeNull();
    expect(inboxKey(press('ArrowDown'), -1, 0)).toBeNull();
  });
});
