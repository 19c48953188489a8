import { afterEach, describe, expect, it, vi } from 'vitest';

import { checkTransaction, emptyLine, formProfile, lineAmount, linesTotal, toModel, toObject, type FormProfile } from './form';
import { toText } from '../decimal';

function profile(entityType: string): FormProfile {
  const found = formProfile(entityType);
  if (found === null) throw new Error(`no form for ${entityType}`);
  return found;
}

const names = () => 'Services';

const invoice = {
  Id: '238',
  SyncToken: '3',
  CustomerRef: { value: '58', name: 'Acme Ltd' },
  Line: [
    {
      Id: '1',
      Amount: 1.25,
      DetailType: 'SalesItemLineDetail',
      SalesItemLineDetail: { ItemRef: { value: '1', name: 'Services' }, Qty: 1.25, UnitPrice: 1 },
    },
  ],
};

/** The webview's language for one test, as the OS would set it. */
function speak(language: string): void {
  vi.spyOn(navigator, 'language', 'get').mockReturnValue(language);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a line editor in a German session', () => {
  it('takes amounts with a decimal comma and writes them as exact decimal text', () => {
    speak('de-DE');
    const model = toModel(profile('Invoice'), invoice);
    model.lines.push({ ...emptyLine('sales'), refId: '1', qty: '2', unitPrice: '1.250,125', amount: '' });
    const added = model.lines[1];
    if (!added) throw new Error('no line');
    added.amount = lineAmount(added.qty, added.unitPrice) ?? '';
    expect(added.amount).toBe('2500.25');
    model.lines.push({ ...emptyLine('sales'), refId: '1', amount: '0,10' });
    expect(toText(linesTotal(model.lines))).toBe('2501.60');
    expect(checkTransaction(profile('Invoice'), model)).toEqual([]);
    const object = toObject(profile('Invoice'), model, invoice, names) as { Line: Array<Record<string, unknown>> };
    expect(object.Line[1]?.['Amount']).toBe('2500.25');
    expect((object.Line[1]?.['SalesItemLineDetail'] as Record<string, unknown>)['UnitPrice']).toBe('1250.125');
    expect(object.Line[2]?.['Amount']).toBe('0.10');
    // The untouched line goes back as it came, byte for byte.
    expect(object.Line[0]).toEqual(invoice.Line[0]);
  });

  it('refuses an amount that could be a thousand or one, naming both readings', () => {
    speak('de-DE');
    const model = toModel(profile('Invoice'), invoice);
    model.lines.push({ ...emptyLine('sales'), refId: '1', amount: '1.250' });
    const issues = checkTransaction(profile('Invoice'), model);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.field).toBe('Line[2].Amount');
    expect(issues[0]?.message).toMatch(/could be 1250 or 1,250/);
  });
});

describe('a line editor in an American session', () => {
  it('refuses a decimal comma and says to write a dot', () => {
    speak('en-US');
    const model = toModel(profile('Invoice'), invoice);
    model.lines.push({ ...emptyLine('sales'), refId: '1', amount: '12,50' });
    const issues = checkTransaction(profile('Invoice'), model);
    expect(issues[0]?.message).toMatch(/a dot for the decimals/);
    const added = model.lines[1];
    if (!added) throw new Error('no line');
    added.amount = '1,250.50';
    expect(checkTransaction(profile('Invoice'), model)).toEqual([]);
  });
});
