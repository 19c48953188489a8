/**
 * The Inbox page's rules, kept out of the component so they are tested
 * without a window: whether a split adds up, which entries a bulk accept
 * takes, and what a key press does in the entries table.
 *
 * Amounts stay exact decimals (see ../decimal.ts) from the file to the
 * record: nothing here turns money into a floating-point number.
 */
import { add, compare, fromJson, readTypedDecimal, subtract, sum, toText, typedDecimal, ZERO, type Decimal } from '../decimal';

/** One part of a split line, as typed: an account and an amount. */
export interface SplitPart {
  account: string;
  amount: string;
}

/** Whether a split can be saved, and if not, why. */
export interface SplitCheck {
  ok: boolean;
  /** What is left to place (entry minus the parts), as decimal text; "0" when it adds up. */
  remaining: string;
  /** A sentence for the person, or null when the split can be saved. */
  problem: string | null;
}

function magnitude(value: Decimal): Decimal {
  return value.units < 0n ? { units: -value.units, scale: value.scale } : value;
}

/**
 * Checks the parts of a split against the entry's amount. The parts are
 * typed as positive amounts (the entry's sign says whether money went out
 * or came in), at least two, each with an account, and they must sum to
 * the entry's amount exactly: not to the cent after rounding, exactly.
 */
export function checkSplit(entryAmount: unknown, parts: readonly SplitPart[]): SplitCheck {
  const total = fromJson(entryAmount);
  if (total === null) {
    return { ok: false, remaining: '', problem: 'This entry has no amount to split.' };
  }
  const target = magnitude(total);
  const amounts: Decimal[] = [];
  let problem: string | null = null;
  parts.forEach((part, index) => {
    const text = part.amount.trim();
    const typed = text === '' ? null : readTypedDecimal(text);
    if (typed !== null && !typed.ok) {
      problem ??= typed.ambiguous ? `Line ${index + 1}: ${typed.problem}` : `Line ${index + 1}: "${part.amount}" is not an amount.`;
      return;
    }
    const amount = typed === null ? ZERO : typed.value;
    if (amount.units < 0n) {
      problem ??= `Line ${index + 1}: type the amount without a minus sign.`;
      return;
    }
    if (amount.units === 0n) {
      problem ??= `Line ${index + 1}: give it an amount, or remove the line.`;
    }
    if (part.account === '') {
      problem ??= `Line ${index + 1}: choose an account.`;
    }
    amounts.push(amount);
  });
  const placed = sum(amounts);
  const remaining = subtract(target, placed);
  const remainingText = toText(remaining);
  if (problem === null && parts.length < 2) {
    problem = 'A split needs at least two lines.';
  }
  if (problem === null && compare(remaining, ZERO) !== 0) {
    problem =
      compare(remaining, ZERO) > 0
        ? `${toText(remaining, 2)} is still to be placed.`
        : `The lines are ${toText(magnitude(remaining), 2)} more than the entry.`;
  }
  return { ok: problem === null, remaining: remainingText, problem };
}

/**
 * The amount that makes a split add up when put on its last line: the
 * entry's amount less every other line (or null when another line is not a
 * number yet).
 */
export function balancingAmount(entryAmount: unknown, parts: readonly SplitPart[], index: number): string | null {
  const total = fromJson(entryAmount);
  if (total === null) return null;
  let placed = ZERO;
  for (const [other, part] of parts.entries()) {
    if (other === index) continue;
    const amount = part.amount.trim() === '' ? ZERO : typedDecimal(part.amount);
    if (amount === null) return null;
    placed = add(placed, amount);
  }
  const rest = subtract(magnitude(total), placed);
  return rest.units > 0n ? toText(rest, 2) : null;
}

/** An entry as far as the bulk accept is concerned. */
export interface Rated {
  state: string;
  confidence: number;
  /** Whether the suggestion names an account to post to. */
  hasAccount: boolean;
}

/**
 * Reads the threshold typed for a bulk accept: a number from 0 to 1
 * ("0.9"), or a percentage ("90%" or "90"). Null when it is neither.
 */
export function parseThreshold(text: string): number | null {
  const trimmed = text.trim();
  const percent = trimmed.endsWith('%');
  const digits = percent ? trimmed.slice(0, -1).trim() : trimmed;
  if (!/^\d+(\.\d+)?$/.test(digits)) return null;
  let value = Number(digits);
  if (percent || value > 1) {
    value = value / 100;
  }
  return value >= 0 && value <= 1 ? value : null;
}

/**
 * The entries a bulk accept at `threshold` takes: only those still waiting
 * for review (not already in QuickBooks, not duplicates, not excluded or
 * accepted), with an account to post to, and at or above the threshold.
 */
export function bulkAcceptable<T extends Rated>(entries: readonly T[], threshold: number): T[] {
  return entries.filter((entry) => entry.state === 'new' && entry.hasAccount && entry.confidence >= threshold);
}

/** A confidence as the table shows it: 0.934 → "93%". */
export function confidenceLabel(confidence: number): string {
  return `${Math.round(confidence * 100)}%`;
}

/** How sure a confidence is, for its colour (never the only cue: the number is shown too). */
export function confidenceBand(confidence: number): 'high' | 'medium' | 'low' {
  if (confidence >= 0.9) return 'high';
  if (confidence >= 0.6) return 'medium';
  return 'low';
}

/** What a key press does in the entries table. */
export type InboxKeyAction =
  | { kind: 'move'; to: number }
  | { kind: 'accept' }
  | { kind: 'edit' }
  | { kind: 'exclude' }
  | { kind: 'split' };

/** The parts of a key press the table reads. */
export interface InboxKeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** Whether the press happened in a text field, list box or editable element. */
  inTextField: boolean;
}

/**
 * The table's keys: ↑/↓ move (Home/End to the ends, Page Up/Down by ten),
 * Enter accepts, E edits, S splits, X or Delete excludes. Keys typed into a
 * field, and keys with Ctrl, ⌘ or Alt, are left alone.
 */
export function inboxKey(press: InboxKeyPress, current: number, count: number): InboxKeyAction | null {
  if (press.ctrlKey || press.metaKey || press.altKey || press.inTextField || count === 0) {
    return null;
  }
  const last = count - 1;
  const from = Math.min(Math.max(current, -1), last);
  switch (press.key) {
    case 'ArrowDown':
      return { kind: 'move', to: Math.min(from + 1, last) };
    case 'ArrowUp':
      return { kind: 'move', to: Math.max(from - 1, 0) };
    case 'Home':
      return { kind: 'move', to: 0 };
    case 'End':
      return { kind: 'move', to: last };
    case 'PageDown':
      return { kind: 'move', to: Math.min(from + 10, last) };
    case 'PageUp':
      return { kind: 'move', to: Math.max(from - 10, 0) };
  }
  if (from < 0) return null;
  switch (press.key) {
    case 'Enter':
      return { kind: 'accept' };
    case 'e':
    case 'E':
      return { kind: 'edit' };
    case 's':
    case 'S':
      return { kind: 'split' };
    case 'x':
    case 'X':
    case 'Delete':
      return { kind: 'exclude' };
  }
  return null;
}

/** The words for an entry's state in the table. */
export function stateLabel(state: string): string {
  const words: Record<string, string> = {
    new: 'New',
    in_quickbooks: 'Already in QuickBooks',
    already_in_quickbooks: 'Already in QuickBooks',
    duplicate: 'Duplicate',
    accepted: 'Accepted',
    excluded: 'Excluded',
  };
  return words[state] ?? state;
}
