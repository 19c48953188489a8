import { describe, expect, it } from 'vitest';

import {
  add,
  compare,
  equals,
  formatAmount,
  fromJson,
  jsonNumberProblem,
  multiply,
  numberToText,
  parseDecimal,
  round,
  subtract,
  sum,
  decimalMember,
  toJsonDecimal,
  toText,
} from './decimal';

function d(text: string) {
  const value = parseDecimal(text);
  if (value === null) throw new Error(`not a decimal: ${text}`);
  return value;
}

describe('exact decimals', () => {
  it('adds 0.1 and 0.2 to exactly 0.3, where numbers do not', () => {
    expect(0.1 + 0.2 === 0.3).toBe(false);
    expect(equals(add(d('0.1'), d('0.2')), d('0.3'))).toBe(true);
    expect(toText(add(d('0.1'), d('0.2')))).toBe('0.3');
  });

  it('keeps amounts beyond the precision of a number', () => {
    const big = d('90071992547409.93');
    expect(toText(add(big, d('0.01')))).toBe('90071992547409.94');
    expect(toText(sum([d('1000000000000000.01'), d('0.01')]))).toBe('1000000000000000.02');
  });

  it('reads signs, leading dots and trailing zeros, and refuses what is not a decimal', () => {
    expect(toText(d('-12.50'))).toBe('-12.50');
    expect(toText(d('.5'))).toBe('0.5');
    expect(toText(d(' 007 '))).toBe('7');
    for (const bad of ['', '.', '1,250.00', '1e3', 'abc', '1.2.3', '--1']) {
      expect(parseDecimal(bad), bad).toBeNull();
    }
  });

  it('compares across scales', () => {
    expect(compare(d('1.10'), d('1.1'))).toBe(0);
    expect(compare(d('-0.01'), d('0'))).toBe(-1);
    expect(compare(d('2'), d('1.999'))).toBe(1);
    expect(toText(subtract(d('100'), d('0.01')))).toBe('99.99');
  });

  it('rounds to the cent half away from zero, as QuickBooks does', () => {
    expect(toText(round(multiply(d('3'), d('0.125')), 2))).toBe('0.38');
    expect(toText(round(d('-0.125'), 2))).toBe('-0.13');
    expect(toText(round(d('2.344'), 2))).toBe('2.34');
    expect(toText(round(d('5'), 2))).toBe('5.00');
  });

  it('writes a JSON number back as the digits QuickBooks sent', () => {
    expect(numberToText(120.5)).toBe('120.5');
    expect(numberToText(1e-7)).toBe('0.0000001');
    expect(numberToText(1.5e21)).toBe('1500000000000000000000');
    expect(numberToText(Number.NaN)).toBeNull();
    expect(toText(fromJson(0.1) ?? d('0'))).toBe('0.1');
    expect(fromJson('12.30')).toEqual(d('12.30'));
    expect(fromJson({ value: 1 })).toBeNull();
  });

  it('carries typed decimals to JSON as exact text, never as a float', () => {
    expect(toJsonDecimal('1250.50')).toBe('1250.50');
    expect(toJsonDecimal(' 007.5 ')).toBe('7.5');
    expect(toJsonDecimal('.5')).toBe('0.5');
    expect(jsonNumberProblem('99999999999.99')).toBeNull();
    expect(jsonNumberProblem('1234567890123456.7')).toMatch(/more than 15 digits/);
    expect(jsonNumberProblem('12,5')).toMatch(/not a number/);
    expect(() => toJsonDecimal('abc')).toThrow(RangeError);
  });

  it('writes back an untouched decimal member byte for byte', () => {
    expect(decimalMember('100.10', '100.10')).toBe('100.10');
    expect(decimalMember('12345678901234567.89', '12345678901234567.89')).toBe('12345678901234567.89');
    // A number read from older JSON stays the very same number.
    expect(decimalMember(25, '25')).toBe(25);
    // Changed text is written as the new exact text.
    expect(decimalMember('100.10', '100.1')).toBe('100.1');
    expect(decimalMember(undefined, '3')).toBe('3');
  });

  it('formats for display with grouping and cents, without going through a float', () => {
    expect(formatAmount('1250.5', 'en-US')).toBe('1,250.50');
    expect(formatAmount(100, 'en-US')).toBe('100.00');
    expect(formatAmount('-0.125', 'en-US')).toBe('−0.125');
    expect(formatAmount('90071992547409.99', 'en-US')).toBe('90,071,992,547,409.99');
    expect(formatAmount('1234.5', 'de-DE')).toBe('1.234,50');
    expect(formatAmount(null)).toBe('');
  });
});
