/**
 * Which currency an amount is in: a record's own (its `CurrencyRef`, set
 * when multicurrency is on) or else the company's home currency, which the
 * companies overview reads from the books.
 */
import { isObject } from './records/fields';
import { overviewStore, type OverviewStore } from './stores/overview.svelte';

/** The record's own currency code (`CurrencyRef.value`), or null when it names none. */
export function recordCurrency(record: unknown): string | null {
  if (!isObject(record)) return null;
  const reference = record['CurrencyRef'];
  if (!isObject(reference)) return null;
  const code = reference['value'];
  return typeof code === 'string' && code.trim() !== '' ? code.trim() : null;
}

/** The company's home currency, when the overview knows it. */
export function homeCurrency(companyId: string | null, overview: OverviewStore = overviewStore): string | null {
  if (companyId === null) return null;
  return overview.rows.find((row) => row.company.id === companyId)?.homeCurrency ?? null;
}

/**
 * The currency to show a record's amounts in, and whether it differs from
 * the home currency (then the home currency is named beside it).
 */
export function shownCurrency(record: unknown, home: string | null): { code: string | null; foreign: boolean } {
  const own = recordCurrency(record);
  if (own === null) return { code: home, foreign: false };
  return { code: own, foreign: home !== null && own !== home };
}
