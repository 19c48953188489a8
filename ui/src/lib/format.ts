/**
 * Dates and times as the user's locale writes them, and sync times as
 * "3 minutes ago". The locale and the clock are parameters so that tests
 * and the UI agree on what a person sees.
 */

/**
 * The locale for a session that names none Intl knows. A session with
 * `LANG=C` reports "c", which Intl refuses, and WebKit's own default there
 * is the POSIX locale, which writes 18538.84 without grouping; an
 * accountant reads 18,538.84.
 */
export const FALLBACK_LOCALE = 'en-US';

/**
 * The locale the webview reports (the OS's, in the desktop app), or
 * {@link FALLBACK_LOCALE} when it names none Intl knows.
 */
export function userLocale(): string {
  const language = typeof navigator === 'undefined' ? '' : navigator.language;
  return knownLocale(language) ?? FALLBACK_LOCALE;
}

/** `language` when Intl can format in it, else undefined (the default). */
export function knownLocale(language: string | undefined): string | undefined {
  if (language === undefined || language === '') {
    return undefined;
  }
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([language]).length > 0 ? language : undefined;
  } catch {
    return undefined;
  }
}

const DAY_MS = 86_400_000;

/** A calendar date (`YYYY-MM-DD`, as QuickBooks writes them) in the locale's short form. */
export function formatDate(date: string | null, wanted: string | undefined = userLocale()): string {
  const locale = knownLocale(wanted);
  if (date === null || date === '') {
    return '';
  }
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (match === null) {
    // A full timestamp: its local calendar day.
    const moment = new Date(date);
    return Number.isNaN(moment.getTime()) ? date : moment.toLocaleDateString(locale);
  }
  // Built in UTC and shown in UTC, so a date never moves a day with the time zone.
  const [, year, month, day] = match;
  const moment = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return moment.toLocaleDateString(locale, { timeZone: 'UTC' });
}

/** A moment (RFC 3339) as the locale writes a date and a time. */
export function formatDateTime(time: string | null, wanted: string | undefined = userLocale()): string {
  const locale = knownLocale(wanted);
  if (time === null || time === '') {
    return '';
  }
  const moment = new Date(time);
  return Number.isNaN(moment.getTime())
    ? time
    : moment.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * How long ago a moment was, in the locale's words: "just now", "5 minutes
 * ago", "yesterday", "3 days ago"; past a week, the date itself.
 */
export function relativeTime(
  time: string | null,
  now: Date = new Date(),
  wanted: string | undefined = userLocale(),
): string {
  const locale = knownLocale(wanted);
  if (time === null || time === '') {
    return '';
  }
  const moment = new Date(time);
  if (Number.isNaN(moment.getTime())) {
    return time;
  }
  const seconds = Math.round((moment.getTime() - now.getTime()) / 1000);
  const words = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const magnitude = Math.abs(seconds);
  if (magnitude < 45) {
    return words.format(0, 'second');
  }
  if (magnitude < 45 * 60) {
    return words.format(Math.round(seconds / 60), 'minute');
  }
  if (magnitude < 22 * 3600) {
    return words.format(Math.round(seconds / 3600), 'hour');
  }
  if (magnitude < 7 * DAY_MS / 1000) {
    return words.format(Math.round(seconds / 86_400), 'day');
  }
  return formatDate(time, locale);
}
