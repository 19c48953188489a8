import { describe, expect, it } from 'vitest';

import { readTypedDecimal, typedText, toText } from './decimal';

/** The plain text of what was read, or the problem. */
function read(typed: string, locale: string): string {
  const result = readTypedDecimal(typed, locale);
  return result.ok ? result.text : `problem: ${result.problem}`;
}

describe('amounts typed in the user’s locale', () => {
  it('reads a German decimal comma and dot groups, and the plain dot form', () => {
    expect(read('12,50', 'de-DE')).toBe('12.50');
    expect(read('1.250,50', 'de-DE')).toBe('1250.50');
    expect(read('1.234.567,891', 'de-DE')).toBe('1234567.891');
    expect(read('-0,5', 'de-DE')).toBe('-0.5');
    expect(read('1250.50', 'de-DE')).toBe('1250.50');
    expect(read('0.125', 'de-DE')).toBe('0.125');
    expect(read(' 7 ', 'de-DE')).toBe('7');
  });

  it('reads French space groups (any width of space) and the decimal comma', () => {
    expect(read('1 250,50', 'fr-FR')).toBe('1250.50');
    expect(read('1\u202f250,50', 'fr-FR')).toBe('1250.50');
    expect(read('1\u00a0250\u00a0000', 'fr-FR')).toBe('1250000');
    expect(read('3,1', 'fr-FR')).toBe('3.1');
    expect(read('−12,5', 'fr-FR')).toBe('-12.5');
  });

  it('reads American English with comma groups and a dot', () => {
    expect(read('1,250.50', 'en-US')).toBe('1250.50');
    expect(read('1,234,567', 'en-US')).toBe('1234567');
    expect(read('.5', 'en-US')).toBe('0.5');
    expect(read('1.250', 'en-US')).toBe('1.250');
  });

  it('keeps every digit: no floating-point rounding on the way', () => {
    const typed = readTypedDecimal('12.345.678.901.234.567,89', 'de-DE');
    expect(typed.ok && toText(typed.value)).toBe('12345678901234567.89');
    expect(typedText('0,1', 'de-DE')).toBe('0.1');
  });

  it('refuses a lone separator before three digits that is not the locale’s decimal mark', () => {
    for (const [typed, locale] of [
      ['1,250', 'en-US'],
      ['1.250', 'de-DE'],
      ['1.250', 'fr-FR'],
    ] as const) {
      const result = readTypedDecimal(typed, locale);
      expect(result.ok, `${typed} in ${locale}`).toBe(false);
      if (!result.ok) {
        expect(result.ambiguous).toBe(true);
        expect(result.problem).toMatch(/could be 1250 or 1[.,]250/);
      }
    }
    // The German message offers the German decimal comma.
    expect(read('1.250', 'de-DE')).toContain('Type 1250, or 1,250 for the decimals.');
  });

  it('refuses separators in the wrong order or place, with a message naming the form to use', () => {
    expect(read('12,50', 'en-US')).toMatch(/is not a number. Write it like 1250\.50 \(a dot for the decimals\)/);
    expect(read('1.250,50', 'en-US')).toMatch(/not a number/);
    expect(read('1,250.50', 'de-DE')).toMatch(/Write it like 1250,50 \(a comma for the decimals\) or 1250\.50/);
    expect(read('1.2.3', 'en-US')).toMatch(/not a number/);
    expect(read('12 34', 'fr-FR')).toMatch(/not a number/);
    expect(read('1,,5', 'de-DE')).toMatch(/not a number/);
    expect(read('', 'de-DE')).toMatch(/not a number/);
    expect(read('1e5', 'en-US')).toMatch(/not a number/);
    expect(read('12 €', 'fr-FR')).toMatch(/not a number/);
  });
});
