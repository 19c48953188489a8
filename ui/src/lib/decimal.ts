/**
 * Exact decimal arithmetic for money, quantities and prices.
 *
 * A decimal is an integer number of units (a bigint) and a scale (how many
 * of its digits are decimals), so 0.1 + 0.2 is exactly 0.3 here, unlike with
 * JavaScript numbers. Amounts cross the IPC boundary as strings, also inside
 * a record's JSON (the core writes every decimal member as its exact text);
 * numbers are still read, and both are read into this form before any sum
 * or comparison.
 */

/** `units / 10^scale`. */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

const DECIMAL_TEXT = /^([+-])?(\d*)(?:\.(\d*))?$/;

/** The most significant digits a JavaScript number carries without loss. */
const SAFE_SIGNIFICANT_DIGITS = 15;

/**
 * Reads a decimal written with a dot for the decimals ("1250.50", "-3", ".5").
 * Grouping commas are refused rather than guessed at: "1,250" could be a
 * thousand and a quarter or one and a quarter depending on the country.
 */
export function parseDecimal(text: string): Decimal | null {
  const match = DECIMAL_TEXT.exec(text.trim());
  if (match === null) {
    return null;
  }
  const [, sign = '', whole = '', fraction = ''] = match;
  if (whole === '' && fraction === '') {
    return null;
  }
  const digits = `${whole}${fraction}`.replace(/^0+(?=\d)/, '');
  const units = BigInt(digits === '' ? '0' : digits);
  return { units: sign === '-' ? -units : units, scale: fraction.length };
}

/** Whether `text` is a decimal `parseDecimal` accepts. */
export function isDecimal(text: string): boolean {
  return parseDecimal(text) !== null;
}

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

/** Both decimals at the larger of their scales, so their units compare and add. */
function aligned(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * pow10(scale - a.scale), b.units * pow10(scale - b.scale), scale];
}

export function add(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = aligned(a, b);
  return { units: x + y, scale };
}

export function subtract(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = aligned(a, b);
  return { units: x - y, scale };
}

export function multiply(a: Decimal, b: Decimal): Decimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** -1, 0 or 1 as `a` is smaller than, equal to or larger than `b`. */
export function compare(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function equals(a: Decimal, b: Decimal): boolean {
  return compare(a, b) === 0;
}

export const ZERO: Decimal = { units: 0n, scale: 0 };

/** The sum of many decimals; zero for none. */
export function sum(values: Iterable<Decimal>): Decimal {
  let total = ZERO;
  for (const value of values) {
    total = add(total, value);
  }
  return total;
}

/**
 * Rounds to `scale` decimals, halves away from zero, as QuickBooks rounds a
 * line's quantity times its price to the cent.
 */
export function round(value: Decimal, scale: number): Decimal {
  if (value.scale <= scale) {
    return { units: value.units * pow10(scale - value.scale), scale };
  }
  const divisor = pow10(value.scale - scale);
  const negative = value.units < 0n;
  const magnitude = negative ? -value.units : value.units;
  let quotient = magnitude / divisor;
  if ((magnitude % divisor) * 2n >= divisor) {
    quotient += 1n;
  }
  return { units: negative ? -quotient : quotient, scale };
}

/** Plain text with a dot, at least `minimumScale` decimals, no exponent: "1250.50". */
export function toText(value: Decimal, minimumScale = 0): string {
  const padded = value.scale < minimumScale ? round(value, minimumScale) : value;
  const negative = padded.units < 0n;
  const digits = (negative ? -padded.units : padded.units).toString().padStart(padded.scale + 1, '0');
  const whole = digits.slice(0, digits.length - padded.scale);
  const fraction = digits.slice(digits.length - padded.scale);
  const sign = negative ? '-' : '';
  return fraction === '' ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
}

/**
 * The decimal text of a number read from JSON. `String(number)` gives the
 * shortest text that reads back as the same number, which for amounts of up
 * to 15 significant digits is exactly the text QuickBooks sent; exponent
 * forms ("1e-7") are written out.
 */
export function numberToText(value: number): string | null {
  if (!Number.isFinite(value)) {
    return null;
  }
  const text = String(value);
  const exponent = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (exponent === null) {
    return text;
  }
  const [, sign = '', whole = '', fraction = '', power = '0'] = exponent;
  const shift = Number(power);
  const digits = `${whole}${fraction}`;
  const point = whole.length + shift;
  if (point <= 0) {
    return `${sign}0.${'0'.repeat(-point)}${digits}`;
  }
  if (point >= digits.length) {
    return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  }
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** A JSON value (number or decimal string) as a decimal, or null when it is neither. */
export function fromJson(value: unknown): Decimal | null {
  if (typeof value === 'number') {
    const text = numberToText(value);
    return text === null ? null : parseDecimal(text);
  }
  if (typeof value === 'string') {
    return parseDecimal(value);
  }
  return null;
}

/** A JSON value as decimal text, or '' when it holds no number. */
export function jsonToText(value: unknown): string {
  const decimal = fromJson(value);
  return decimal === null ? '' : toText(decimal);
}

function significantDigits(value: Decimal): number {
  const digits = (value.units < 0n ? -value.units : value.units).toString().replace(/^0+/, '');
  return digits.replace(/0+$/, '').length;
}

/** Why a decimal cannot travel as a JSON number without changing, or null when it can. */
export function jsonNumberProblem(text: string): string | null {
  const value = parseDecimal(text);
  if (value === null) {
    return `"${text}" is not a number. Write it with a dot for the decimals, e.g. 1250.50.`;
  }
  if (significantDigits(value) > SAFE_SIGNIFICANT_DIGITS) {
    return `"${text}" has more than ${SAFE_SIGNIFICANT_DIGITS} digits, more than QuickBooks keeps. Shorten it.`;
  }
  return null;
}

/**
 * The value to put in a record's JSON for decimal `text`: the decimal as
 * text, which the core reads back into a JSON number with exactly these
 * digits. Amounts cross the IPC boundary as text in both directions, never
 * as a JavaScript number, so no float ever rounds them. Written plainly
 * ("007.50" → "7.50", ".5" → "0.5"). Callers check `jsonNumberProblem`
 * first; this throws otherwise.
 */
export function toJsonDecimal(text: string): string {
  const problem = jsonNumberProblem(text);
  const value = parseDecimal(text);
  if (problem !== null || value === null) {
    throw new RangeError(problem ?? `"${text}" is not a number.`);
  }
  return toText(value);
}

/**
 * A decimal member written back into a record: the value it had when its
 * text did not change (so what the user did not edit goes back byte for
 * byte), else the new text.
 */
export function decimalMember(previous: unknown, text: string): unknown {
  if (previous !== undefined && fromJson(previous) !== null && jsonToText(previous) === text.trim()) {
    return previous;
  }
  return toJsonDecimal(text);
}

import { userLocale } from './format';

const decimalSeparators = new Map<string, string>();

function decimalSeparator(locale: string | undefined): string {
  const key = locale ?? '';
  let separator = decimalSeparators.get(key);
  if (separator === undefined) {
    separator =
      new Intl.NumberFormat(locale).formatToParts(1.5).find((part) => part.type === 'decimal')?.value ?? '.';
    decimalSeparators.set(key, separator);
  }
  return separator;
}

/**
 * An exact decimal (text or JSON number) for display with grouping and at
 * least two decimals: "1250.5" → "1,250.50". The digits are never turned
 * into a floating-point number: the whole part is grouped as a bigint.
 */
export function formatAmount(value: unknown, locale: string | undefined = userLocale()): string {
  const decimal = fromJson(value);
  if (decimal === null) {
    return typeof value === 'string' ? value : '';
  }
  const text = toText(decimal, 2);
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const grouped = new Intl.NumberFormat(locale).format(BigInt(whole));
  return `${negative ? '−' : ''}${grouped}${decimalSeparator(locale)}${fraction}`;
}

const groupSeparators = new Map<string, string>();

function groupSeparator(locale: string | undefined): string {
  const key = locale ?? '';
  let separator = groupSeparators.get(key);
  if (separator === undefined) {
    separator =
      new Intl.NumberFormat(locale, { useGrouping: true }).formatToParts(12345).find((part) => part.type === 'group')
        ?.value ?? ',';
    groupSeparators.set(key, separator);
  }
  return separator;
}

/** What a person typed, read as a decimal: its value and its plain text ("1250.50"), or why not. */
export type TypedDecimal =
  | { ok: true; value: Decimal; text: string }
  | { ok: false; ambiguous: boolean; problem: string };

/** Spaces of every width count as one kind of grouping mark ("1 250,50", the French narrow space). */
const SPACES = /[\s\u00a0\u202f\u2009]/g;

/**
 * Reads an amount as the person typed it, in their locale's way of writing
 * numbers: "1.250,50" and "12,5" in German, "1 250,50" in French,
 * "1,250.50" in American English. The plain form with a dot ("1250.50", how
 * the app fills the fields in) is read in every locale. The digits stay
 * digits: nothing becomes a floating-point number.
 *
 * A lone separator followed by exactly three digits that is not the
 * locale's decimal mark ("1,250" in English, "1.250" in German or French)
 * is refused as ambiguous: it is a thousand and a quarter in one country
 * and one and a quarter in another, and money must not be guessed.
 */
export function readTypedDecimal(typed: string, locale: string | undefined = userLocale()): TypedDecimal {
  const decimalMark = decimalSeparator(locale);
  const groupMark = groupSeparator(locale).replace(SPACES, ' ');
  const example = `1250${decimalMark}50`;
  const invalid = (): TypedDecimal => ({
    ok: false,
    ambiguous: false,
    problem:
      decimalMark === '.'
        ? `"${typed.trim()}" is not a number. Write it like ${example} (a dot for the decimals).`
        : `"${typed.trim()}" is not a number. Write it like ${example} (a comma for the decimals) or 1250.50.`,
  });
  const trimmed = typed.trim().replace(/^\u2212/, '-');
  const signed = /^([+-]?)(.*)$/.exec(trimmed);
  const sign = signed?.[1] === '-' ? '-' : '';
  const body = (signed?.[2] ?? '').replace(SPACES, ' ');
  if (body === '' || /[^0-9.,' ’]/.test(body) || !/\d/.test(body)) {
    return invalid();
  }
  // Digit runs and the single marks between them.
  const runs = body.split(/[.,' ’]/);
  const marks = body.replace(/\d/g, '').split('');
  if (marks.length !== runs.length - 1) return invalid();

  let whole: string[];
  let fraction = '';
  const last = marks.at(-1);
  const lastIsDecimal = last !== undefined && (last === decimalMark || last === '.') && !marks.slice(0, -1).includes(last);
  if (last === undefined) {
    whole = runs;
  } else if (lastIsDecimal) {
    fraction = runs.at(-1) ?? '';
    whole = runs.slice(0, -1);
    if (!/^\d*$/.test(fraction)) return invalid();
    // A leading zero ("0.125") is never a thousands group.
    if (marks.length === 1 && last !== decimalMark && fraction.length === 3 && /^[1-9]/.test(whole[0] ?? '')) {
      return ambiguous(typed.trim(), runs[0] ?? '', fraction, decimalMark);
    }
  } else {
    whole = runs;
  }
  const groups = lastIsDecimal ? marks.slice(0, -1) : marks;
  if (groups.length > 0) {
    const mark = groups[0];
    const sameMark = groups.every((each) => each === mark);
    const groupingMark = mark !== decimalMark && (mark === groupMark || mark === ' ' || mark === '.' || mark === ',' || mark === "'" || mark === '’');
    const wellGrouped = /^[1-9]\d{0,2}$/.test(whole[0] ?? '') && whole.slice(1).every((run) => run.length === 3);
    if (!sameMark || !groupingMark || !wellGrouped) return invalid();
    if (!lastIsDecimal && groups.length === 1 && (mark === ',' || mark === '.')) {
      // "1,250" in English, where the comma could also be someone's decimal comma.
      return ambiguous(typed.trim(), whole[0] ?? '', whole[1] ?? '', decimalMark);
    }
  }
  const digits = whole.join('');
  if (!/^\d*$/.test(digits) || (digits === '' && fraction === '')) return invalid();
  const text = `${sign}${digits === '' ? '0' : digits}${fraction === '' ? '' : `.${fraction}`}`;
  const value = parseDecimal(text);
  return value === null ? invalid() : { ok: true, value, text };
}

function ambiguous(typed: string, whole: string, three: string, decimalMark: string): TypedDecimal {
  return {
    ok: false,
    ambiguous: true,
    problem: `"${typed}" is not a number we can be sure of: it could be ${whole}${three} or ${whole}${decimalMark}${three}. Type ${whole}${three}, or ${whole}${decimalMark}${three} for the decimals.`,
  };
}

/** A typed amount as a decimal in the user's locale, or null when it is not one (or is ambiguous). */
export function typedDecimal(text: string, locale: string | undefined = userLocale()): Decimal | null {
  const read = readTypedDecimal(text, locale);
  return read.ok ? read.value : null;
}

/** A typed amount as plain decimal text ("1.250,50" → "1250.50"); the text itself, trimmed, when it cannot be read. */
export function typedText(text: string, locale: string | undefined = userLocale()): string {
  const read = readTypedDecimal(text, locale);
  return read.ok ? read.text : text.trim();
}
