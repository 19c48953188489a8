import { describe, expect, it } from 'vitest';

import {
  checkMaster,
  checkTransaction,
  emptyLine,
  formProfile,
  issueSlot,
  journalBalance,
  lineAmount,
  masterObject,
  toMasterModel,
  toModel,
  toObject,
  visibleHeader,
  type FormProfile,
  type TransactionModel,
} from './form';

function profile(entityType: string): FormProfile {
  const found = formProfile(entityType);
  if (found === null) throw new Error(`no form for ${entityType}`);
  return found;
}

const names = (_entity: string, id: string) => ({ '1': 'Services', '58': 'Acme Ltd', '39': 'Depreciation', '44': 'Notes payable' })[id];

const invoice = {
  Id: '238',
  SyncToken: '3',
  TxnDate: '2015-07-24',
  DocNumber: '1069',
  CustomerRef: { value: '58', name: 'Acme Ltd' },
  PrivateNote: 'old memo',
  CustomField: [{ DefinitionId: '1', Name: 'Crew #' }],
  Line: [
    {
      Id: '1',
      LineNum: 1,
      Amount: 100,
      Description: 'Design',
      DetailType: 'SalesItemLineDetail',
      SalesItemLineDetail: { ItemRef: { value: '1', name: 'Services' }, Qty: 4, UnitPrice: 25, TaxCodeRef: { value: 'NON' } },
    },
    { DetailType: 'SubTotalLineDetail', Amount: 100, SubTotalLineDetail: {} },
  ],
};

function journal(lines: Array<[string, string]>): TransactionModel {
  const model = toModel(profile('JournalEntry'), null);
  model.lines = lines.map(([debit, credit], index) => ({ ...emptyLine('journal'), refId: String(index + 1), debit, credit }));
  return model;
}

describe('the transaction form', () => {
  it('reads an invoice and writes it back with only the edited fields changed', () => {
    const form = profile('Invoice');
    const model = toModel(form, invoice);
    expect(model.header).toMatchObject({ TxnDate: '2015-07-24', DocNumber: '1069', CustomerRef: '58', PrivateNote: 'old memo' });
    expect(model.lines).toHaveLength(1);
    expect(model.lines[0]).toMatchObject({ refId: '1', qty: '4', unitPrice: '25', amount: '100', description: 'Design' });
    expect(model.keptLines).toHaveLength(1);

    model.header['PrivateNote'] = 'checked';
    const object = toObject(form, model, invoice, names);
    expect(object).toEqual({ ...invoice, PrivateNote: 'checked' });
    // The original is not touched.
    expect(invoice.PrivateNote).toBe('old memo');
  });

  it('writes new and changed lines with exact amounts and keeps unknown line members', () => {
    const form = profile('Invoice');
    const model = toModel(form, invoice);
    const first = model.lines[0];
    if (!first) throw new Error('no line');
    first.qty = '3';
    first.unitPrice = '0.125';
    first.amount = lineAmount(first.qty, first.unitPrice) ?? '';
    model.lines.push({ ...emptyLine('sales'), refId: '1', amount: '0.10', description: 'Extra' });
    const object = toObject(form, model, invoice, names);
    const lines = object['Line'] as Array<Record<string, unknown>>;
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      Id: '1',
      Amount: '0.38',
      SalesItemLineDetail: { Qty: '3', UnitPrice: '0.125', TaxCodeRef: { value: 'NON' } },
    });
    expect(lines[1]).toEqual({
      DetailType: 'SalesItemLineDetail',
      Amount: '0.10',
      Description: 'Extra',
      SalesItemLineDetail: { ItemRef: { value: '1', name: 'Services' } },
    });
    expect(lines[2]).toEqual(invoice.Line[1]);
  });

  it('sends back the amounts the user did not edit byte for byte, as the core sent them', () => {
    // The core sends every amount as its exact decimal text.
    const exact = {
      Id: '240',
      SyncToken: '0',
      CustomerRef: { value: '58', name: 'Acme Ltd' },
      TotalAmt: '12345678901234668.00',
      Line: [
        {
          Id: '1',
          Amount: '100.10',
          DetailType: 'SalesItemLineDetail',
          SalesItemLineDetail: { ItemRef: { value: '1', name: 'Services' }, Qty: '1.000', UnitPrice: '100.10' },
        },
        {
          Id: '2',
          Amount: '12345678901234567.89',
          DetailType: 'SalesItemLineDetail',
          SalesItemLineDetail: { ItemRef: { value: '1', name: 'Services' } },
        },
        { DetailType: 'SubTotalLineDetail', Amount: '12345678901234667.99', SubTotalLineDetail: {} },
      ],
    };
    // What the IPC layer hands over is parsed JSON text, as in the webview.
    const received = JSON.parse(JSON.stringify(exact)) as typeof exact;
    const form = profile('Invoice');
    const model = toModel(form, received);
    expect(model.lines.map((line) => line.amount)).toEqual(['100.10', '12345678901234567.89']);
    // Untouched amounts are not held to the digits a typed amount may have.
    expect(checkTransaction(form, model)).toEqual([]);
    model.header['PrivateNote'] = 'checked';
    const object = toObject(form, model, received, names);
    expect(object).toEqual({ ...exact, PrivateNote: 'checked' });
    // And as it travels back: the same text, digit for digit.
    const sent = JSON.stringify(object);
    expect(sent).toContain('"Amount":"100.10"');
    expect(sent).toContain('"Amount":"12345678901234567.89"');
    expect(sent).toContain('"Qty":"1.000"');
    expect(sent).not.toMatch(/"Amount":\d/);
  });

  it('turns an expense line from an account to an item', () => {
    const form = profile('Bill');
    const bill = {
      VendorRef: { value: '5', name: 'Bob' },
      Line: [{ Id: '1', Amount: 200, DetailType: 'AccountBasedExpenseLineDetail', AccountBasedExpenseLineDetail: { AccountRef: { value: '7' }, BillableStatus: 'NotBillable' } }],
    };
    const model = toModel(form, bill);
    const line = model.lines[0];
    if (!line) throw new Error('no line');
    expect(line.target).toBe('account');
    line.target = 'item';
    line.refId = '1';
    line.qty = '2';
    line.unitPrice = '100';
    const [written] = toObject(form, model, bill, names)['Line'] as Array<Record<string, unknown>>;
    expect(written).toEqual({
      Id: '1',
      Amount: 200,
      DetailType: 'ItemBasedExpenseLineDetail',
      ItemBasedExpenseLineDetail: { ItemRef: { value: '1', name: 'Services' }, Qty: '2', UnitPrice: '100' },
    });
  });

  it('computes a line amount as quantity times price, to the cent', () => {
    expect(lineAmount('3', '0.125')).toBe('0.38');
    expect(lineAmount('1.5', '19.99')).toBe('29.99');
    expect(lineAmount('', '2')).toBeNull();
    expect(lineAmount('x', '2')).toBeNull();
  });

  it('asks for the party, a line, and the amounts before saving', () => {
    const form = profile('Invoice');
    const model = toModel(form, null);
    expect(model.lines).toHaveLength(1);
    const issues = checkTransaction(form, model);
    expect(issues.map((issue) => issue.field)).toEqual(['CustomerRef', 'Line[1].ItemRef', 'Line[1].Amount']);
    model.lines = [];
    expect(checkTransaction(form, model).map((issue) => issue.field)).toContain('Line');
    model.header['CustomerRef'] = '58';
    model.lines = [{ ...emptyLine('sales'), refId: '1', amount: '10.00' }];
    expect(checkTransaction(form, model)).toEqual([]);
  });

  it('shows the bank account of a bill payment only when paid by check', () => {
    const form = profile('BillPayment');
    expect(visibleHeader(form, { PayType: 'Check' }).map((field) => field.key)).toContain('BankAccountRef');
    expect(visibleHeader(form, { PayType: 'CreditCard' }).map((field) => field.key)).toContain('CCAccountRef');
    expect(visibleHeader(form, { PayType: 'CreditCard' }).map((field) => field.key)).not.toContain('BankAccountRef');
    const model = toModel(form, null);
    model.header = { VendorRef: '5', PayType: 'Check', TotalAmt: '10', TxnDate: '', DocNumber: '', PrivateNote: '', BankAccountRef: '' };
    expect(checkTransaction(form, model).map((issue) => issue.field)).toEqual(['BankAccountRef']);
  });
});

describe('the journal entry balance', () => {
  it('is exact: 0.1 + 0.2 in debits balances 0.3 in credits', () => {
    const model = journal([
      ['0.1', ''],
      ['0.2', ''],
      ['', '0.3'],
    ]);
    const balance = journalBalance(model.lines);
    expect(balance.balanced).toBe(true);
    expect(checkTransaction(profile('JournalEntry'), model)).toEqual([]);
  });

  it('refuses a journal entry that is off by a cent', () => {
    const model = journal([
      ['100.00', ''],
      ['', '99.99'],
    ]);
    expect(journalBalance(model.lines).balanced).toBe(false);
    const issues = checkTransaction(profile('JournalEntry'), model);
    expect(issues).toEqual([{ field: 'Line', message: 'Debits (100.00) and credits (99.99) must be equal.' }]);
  });

  it('needs two lines, each a debit or a credit but not both', () => {
    const form = profile('JournalEntry');
    expect(checkTransaction(form, journal([['5', '']])).map((issue) => issue.field)).toEqual(['Line', 'Line']);
    const both = checkTransaction(form, journal([
      ['5', '5'],
      ['', '5'],
    ]));
    expect(both.map((issue) => issue.field)).toContain('Line[1].Amount');
  });

  it('writes debits and credits as posting types', () => {
    const form = profile('JournalEntry');
    const model = journal([
      ['100', ''],
      ['', '100'],
    ]);
    const lines = toObject(form, model, null, names)['Line'] as Array<Record<string, unknown>>;
    expect(lines.map((line) => [line['Amount'], (line['JournalEntryLineDetail'] as Record<string, unknown>)['PostingType']])).toEqual([
      ['100', 'Debit'],
      ['100', 'Credit'],
    ]);
  });
});

describe('issue places', () => {
  const keys = ['CustomerRef', 'TxnDate', 'PrivateNote', 'BankAccountRef'];

  it('puts each issue next to its field', () => {
    expect(issueSlot('CustomerRef', keys)).toEqual({ place: 'header', key: 'CustomerRef' });
    expect(issueSlot('CheckPayment.BankAccountRef', keys)).toEqual({ place: 'header', key: 'BankAccountRef' });
    expect(issueSlot('Line[2].JournalEntryLineDetail.AccountRef', keys)).toEqual({ place: 'line', line: 2, name: 'ref' });
    expect(issueSlot('Line[1].SalesItemLineDetail.Qty', keys)).toEqual({ place: 'line', line: 1, name: 'qty' });
    expect(issueSlot('Line[3].Amount', keys)).toEqual({ place: 'line', line: 3, name: 'amount' });
    expect(issueSlot('Line', keys)).toEqual({ place: 'lines' });
    expect(issueSlot('SalesTermRef', keys)).toEqual({ place: 'top' });
  });
});

describe('the customer and vendor form', () => {
  it('edits name, email, phone and active, keeping the rest', () => {
    const vendor = { Id: '5', DisplayName: 'Bob', PrimaryEmailAddr: { Address: 'bob@example.com' }, Balance: 10, Active: true };
    const model = toMasterModel(vendor);
    expect(model).toEqual({ DisplayName: 'Bob', PrimaryEmailAddr: 'bob@example.com', PrimaryPhone: '', Active: true });
    model.PrimaryPhone = '555 0100';
    model.Active = false;
    expect(masterObject(model, vendor)).toEqual({
      ...vendor,
      PrimaryPhone: { FreeFormNumber: '555 0100' },
      Active: false,
    });
  });

  it('needs a name without a colon and a complete email', () => {
    expect(checkMaster({ DisplayName: ' ', PrimaryEmailAddr: '', PrimaryPhone: '', Active: true })[0]?.field).toBe('DisplayName');
    expect(checkMaster({ DisplayName: 'A:B', PrimaryEmailAddr: '', PrimaryPhone: '', Active: true })[0]?.message).toMatch(/colon/);
    expect(checkMaster({ DisplayName: 'A', PrimaryEmailAddr: 'a@b', PrimaryPhone: '', Active: true })[0]?.field).toBe(
      'PrimaryEmailAddr',
    );
  });
});
