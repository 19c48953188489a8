import { afterEach, describe, expect, it, vi } from 'vitest';

import { formatAmount } from './decimal';
import { FALLBACK_LOCALE, formatDate, formatDateTime, knownLocale, relativeTime, userLocale } from './format';

const NOW = new Date('2026-12-06T12:00:00Z');

describe('relativeTime', () => {
  it('says "now" for the last few seconds', () => {
    expect(relativeTime('2026-12-06T11:59:40Z', NOW, 'en-US')).toBe('now');
  });

  it('counts minutes, hours and days in the past', () => {
    expect(relativeTime('2026-12-06T11:55:00Z', NOW, 'en-US')).toBe('5 minutes ago');
    expect(relativeTime('2026-12-06T09:00:00Z', NOW, 'en-US')).toBe('3 hours ago');
    expect(relativeTime('2026-12-05T12:00:00Z', NOW, 'en-US')).toBe('yesterday');
    expect(relativeTime('2026-12-03T12:00:00Z', NOW, 'en-US')).toBe('3 days ago');
  });

  it('speaks the locale', () => {
    expect(relativeTime('2026-12-06T11:55:00Z', NOW, 'de-DE')).toBe('vor 5 Minuten');
  });

  it('falls back to the date past a week', () => {
    expect(relativeTime('2026-11-01T12:00:00Z', NOW, 'en-US')).toBe(formatDate('2026-11-01T12:00:00Z', 'en-US'));
  });

  it('is empty for no time and keeps text it cannot read', () => {
    expect(relativeTime(null, NOW, 'en-US')).toBe('');
    expect(relativeTime('soon', NOW, 'en-US')).toBe('soon');
  });
});

describe('formatDate', () => {
  it('writes a QuickBooks date in the locale order without moving the day', () => {
    expect(formatDate('2026-03-01', 'en-US')).toBe('3/1/2026');
    expect(formatDate('2026-03-01', 'en-GB')).toBe('01/03/2026');
    expect(formatDate('2026-03-01', 'de-DE')).toBe('1.3.2026');
  });

  it('is empty for no date', () => {
    expect(formatDate(null, 'en-US')).toBe('');
    expect(formatDate('', 'en-US')).toBe('');
  });
});

describe('a locale Intl does not know', () => {
  it('falls back to the default instead of throwing', () => {
    // WebKit in a session with LANG=C reports "c"; Intl refuses it.
    expect(knownLocale('c')).toBeUndefined();
    expect(knownLocale('en-GB')).toBe('en-GB');
    expect(formatDate('2026-03-01', 'c')).toBe(formatDate('2026-03-01', undefined));
    expect(formatDateTime('2026-12-06T12:00:00Z', 'c')).not.toBe('');
    expect(relativeTime('2026-12-06T11:55:00Z', NOW, 'c')).not.toBe('');
  });
});

describe('the user locale', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('is the one the webview reports when Intl knows it', () => {
    vi.stubGlobal('navigator', { language: 'de-DE' });
    expect(userLocale()).toBe('de-DE');
    expect(formatAmount('18538.84', userLocale())).toBe('18.538,84');
    expect(formatAmount('18538.84')).toBe('18.538,84');
  });

  it('groups thousands in a session with LANG=C', () => {
    vi.stubGlobal('navigator', { language: 'c' });
    expect(userLocale()).toBe(FALLBACK_LOCALE);
    expect(formatAmount('18538.84', userLocale())).toBe('18,538.84');
    // Without a locale given, an amount is written in the user's.
    expect(formatAmount('18538.84')).toBe('18,538.84');
  });
});

describe('formatDateTime', () => {
  it('writes date and time in the locale', () => {
    const text = formatDateTime('2026-12-06T12:00:00Z', 'en-US');
    expect(text).toContain('2026');
    expect(text).toMatch(/\d{1,2}:\d{2}/);
  });
});
