/**
 * The Companies overview's logic: which page each number opens, how a
 * company's state reads, and money in the locale's form with its currency.
 * The rows arrive from Rust already sorted by what needs attention.
 */
import { formatAmount } from './decimal';
import { userLocale } from './format';
import type { CompanyOverview, RecordState } from './ipc/commands';

/** The figures of a row that open a filtered page. */
export type OverviewFigure = 'conflicts' | 'pending' | 'heldBack' | 'failed' | 'invoices' | 'bills';

/** Where a figure leads: a section, and for the records list its filter. */
export type FigureTarget =
  | { section: 'conflicts' }
  | { section: 'pending' }
  | { section: 'records'; entityType: string; states: RecordState[]; openOnly: boolean };

/**
 * The page a figure opens: conflicts to the Conflicts page, pending and
 * held-back to the Pending changes view (what the next push sends and what
 * it holds back), failed to the records in error, invoices to the open ones
 * and bills to the unpaid ones.
 */
export function figureTarget(figure: OverviewFigure): FigureTarget {
  switch (figure) {
    case 'conflicts':
      return { section: 'conflicts' };
    case 'pending':
    case 'heldBack':
      return { section: 'pending' };
    case 'failed':
      return { section: 'records', entityType: '', states: ['error'], openOnly: false };
    case 'invoices':
      return { section: 'records', entityType: 'Invoice', states: [], openOnly: true };
    case 'bills':
      return { section: 'records', entityType: 'Bill', states: [], openOnly: true };
  }
}

/** The state column: what the company is doing or needs, in a word or three. */
export function stateWords(row: CompanyOverview): { text: string; tone: 'ok' | 'busy' | 'attention' | 'off' } {
  const company = row.company;
  if (company.connection === 'reconnect_needed') return { text: 'Reconnect needed', tone: 'attention' };
  if (company.connection === 'not_connected') return { text: 'Not connected', tone: 'off' };
  if (company.syncing) return { text: 'Syncing', tone: 'busy' };
  if (company.queued) return { text: 'Waiting to sync', tone: 'busy' };
  if (company.openConflicts > 0) return { text: 'Conflicts to resolve', tone: 'attention' };
  if (row.failed > 0 || company.lastSyncError !== null) return { text: 'Sync problem', tone: 'attention' };
  if (row.heldBack > 0) return { text: 'Changes held back', tone: 'attention' };
  if (row.pending > 0) return { text: 'Changes to send', tone: 'busy' };
  if (company.lastSyncAt === null) return { text: 'Never synced', tone: 'off' };
  return { text: 'In sync', tone: 'ok' };
}

/** The live-updates column in a word. */
export function liveWords(row: CompanyOverview): string {
  switch (row.company.liveUpdates) {
    case 'connected':
      return 'Live';
    case 'connecting':
      return 'Connecting';
    case 'error':
      return 'Retrying';
    default:
      return 'Timer only';
  }
}

/**
 * An exact amount with the locale's grouping and decimal separator and the
 * currency code when known: "USD 1,250.50", "EUR 1.250,50" (German). The
 * digits never pass through a floating-point number.
 */
export function formatMoney(amount: string, currency: string | null, locale: string | undefined = userLocale()): string {
  const text = formatAmount(amount, locale);
  return currency === null || currency === '' ? text : `${currency} ${text}`;
}
