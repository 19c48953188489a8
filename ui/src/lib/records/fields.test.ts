import { describe, expect, it } from 'vitest';

import { formatAmount } from '../decimal';
import { entityPlural, entityWord, splitWords } from './entities';
import { changedFields, describeValue, lineNumberIn, parsePath, pathWords, referenceEntity } from './fields';

const invoice = {
  Id: '238',
  Line: [
    { Id: '7', Amount: 100, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: '1', name: 'Services' } } },
    { Id: '3', Amount: 50, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { Qty: 2, UnitPrice: 25 } },
  ],
};

describe('field paths in words', () => {
  it('names a line by its number, not its QuickBooks id', () => {
    const numberOf = (id: string) => lineNumberIn([invoice], id);
    expect(pathWords('Line[Id=3].Amount', numberOf)).toBe('Line 2 · Amount');
    expect(pathWords('Line[Id=3].SalesItemLineDetail.Qty', numberOf)).toBe('Line 2 · Quantity');
    expect(pathWords('Line[Id=7]', numberOf)).toBe('Line 1');
    expect(pathWords('Line[Id=99].Amount', numberOf)).toBe('Line (id 99) · Amount');
  });

  it('says top-level fields as an accountant would', () => {
    expect(pathWords('CustomerRef')).toBe('Customer');
    expect(pathWords('PrivateNote')).toBe('Memo');
    expect(pathWords('PrimaryEmailAddr.Address')).toBe('Email');
    expect(pathWords('CheckPayment.BankAccountRef')).toBe('Bank account');
    expect(pathWords('BillAddr.City')).toBe('Billing address · City');
    expect(pathWords('ShipMethodRef')).toBe('Ship method ref');
    expect(pathWords('Line[2].JournalEntryLineDetail.AccountRef')).toBe('Line 2 · Account');
    expect(pathWords('Line')).toBe('Lines');
  });

  it('reads both path styles', () => {
    expect(parsePath('Line[Id=3].Amount')).toEqual([{ key: 'Line' }, { lineId: '3' }, { key: 'Amount' }]);
    expect(parsePath('Line[2].Amount')).toEqual([{ key: 'Line' }, { lineNumber: 2 }, { key: 'Amount' }]);
  });
});

describe('values in words', () => {
  it('shows references by name, money as money, flags as yes or no', () => {
    expect(describeValue({ value: '58', name: 'Acme Ltd' })).toBe('Acme Ltd');
    expect(describeValue({ value: '58' })).toBe('#58');
    expect(describeValue(1250.5, 'Amount')).toBe(formatAmount('1250.50'));
    expect(describeValue(1250.5, 'Amount')).toMatch(/50$/);
    expect(describeValue(2, 'Qty')).toBe('2');
    expect(describeValue(true)).toBe('Yes');
    expect(describeValue(null)).toBe('—');
    expect(describeValue({ Address: 'ada@example.com' })).toBe('ada@example.com');
    expect(describeValue({ Line1: '4581 Finch St.', City: 'Bayshore', PostalCode: '94326' })).toBe(
      '4581 Finch St., Bayshore, 94326',
    );
  });
});

describe('changed fields', () => {
  it('lists only the fields that differ, lines by id', () => {
    const before = { ...invoice, PrivateNote: 'old', SyncToken: '3', MetaData: { LastUpdatedTime: 'a' } };
    const after = {
      ...invoice,
      PrivateNote: 'new',
      SyncToken: '4',
      MetaData: { LastUpdatedTime: 'b' },
      Line: [invoice.Line[0], { ...invoice.Line[1], Amount: 60 }],
    };
    expect(changedFields(before, after)).toEqual([
      { path: 'Line[Id=3].Amount', before: 50, after: 60 },
      { path: 'PrivateNote', before: 'old', after: 'new' },
    ]);
  });

  it('shows a created record as every field new, and nothing for equal versions', () => {
    expect(changedFields(null, { DisplayName: 'Acme' })).toEqual([{ path: 'DisplayName', before: undefined, after: 'Acme' }]);
    expect(changedFields(invoice, structuredClone(invoice))).toEqual([]);
  });
});

describe('entity words', () => {
  it('names types for people', () => {
    expect(entityWord('JournalEntry')).toBe('Journal entry');
    expect(entityPlural('Purchase')).toMatch(/Expenses/);
    expect(splitWords('SalesTermRef')).toBe('Sales term ref');
    expect(referenceEntity('APAccountRef')).toBe('Account');
    expect(referenceEntity('EntityRef', { value: '1', type: 'Customer' })).toBe('Customer');
    expect(referenceEntity('Amount')).toBeNull();
  });
});
