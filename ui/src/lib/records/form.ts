/**
 * The create and edit forms of transactions and of customers and vendors,
 * as plain data: which fields each type has, reading a QuickBooks object
 * into a form, writing the form back into the object (every field the form
 * does not show is kept as it was), and the checks made before saving.
 *
 * Amounts, quantities and prices stay decimal text in the form; sums and
 * comparisons use exact decimals (see ../decimal.ts). They are written back
 * as decimal text, and a member whose text the user did not change keeps
 * the value it came with, byte for byte.
 */
import {
  decimalMember,
  formatAmount,
  fromJson,
  jsonNumberProblem,
  jsonToText,
  multiply,
  parseDecimal,
  readTypedDecimal,
  round,
  sum,
  toText,
  equals,
  type Decimal,
  typedDecimal,
  typedText,
  ZERO,
} from '../decimal';
import { isObject, isReference, parsePath } from './fields';

/** How a type's lines are edited. */
export type LineKind = 'sales' | 'expense' | 'deposit' | 'journal' | 'none';

/** A header field of a transaction form. `key` names it in data-testids (`field-<key>`) and issues. */
export type HeaderField = {
  key: string;
  /** Where it sits in the QuickBooks object, e.g. ['CheckPayment', 'BankAccountRef']. */
  path: string[];
  label: string;
  required?: boolean;
  /** Shown only while another header field has this value. */
  when?: { key: string; value: string };
} & (
  | { kind: 'date' | 'text' | 'memo' | 'money' }
  | { kind: 'ref'; entity: string; refType?: string }
  | { kind: 'choice'; options: Array<{ value: string; label: string }> }
);

/** The form of one transaction type. */
export interface FormProfile {
  entityType: string;
  header: HeaderField[];
  lineKind: LineKind;
  /** The least number of lines it needs (0 for payments, 2 for journal entries). */
  minLines: number;
}

const DATE: HeaderField = { key: 'TxnDate', path: ['TxnDate'], label: 'Date', kind: 'date' };
const NUMBER: HeaderField = { key: 'DocNumber', path: ['DocNumber'], label: 'Number', kind: 'text' };
const MEMO: HeaderField = { key: 'PrivateNote', path: ['PrivateNote'], label: 'Memo (not shown to the customer or vendor)', kind: 'memo' };
const DUE: HeaderField = { key: 'DueDate', path: ['DueDate'], label: 'Due date', kind: 'date' };

function customer(required: boolean): HeaderField {
  return { key: 'CustomerRef', path: ['CustomerRef'], label: 'Customer', kind: 'ref', entity: 'Customer', required };
}

function vendor(required: boolean): HeaderField {
  return { key: 'VendorRef', path: ['VendorRef'], label: 'Vendor', kind: 'ref', entity: 'Vendor', required };
}

function total(label: string): HeaderField {
  return { key: 'TotalAmt', path: ['TotalAmt'], label, kind: 'money', required: true };
}

const PROFILES: Record<string, FormProfile> = {
  Invoice: { entityType: 'Invoice', header: [customer(true), DATE, DUE, NUMBER, MEMO], lineKind: 'sales', minLines: 1 },
  SalesReceipt: { entityType: 'SalesReceipt', header: [customer(false), DATE, NUMBER, MEMO], lineKind: 'sales', minLines: 1 },
  Estimate: { entityType: 'Estimate', header: [customer(true), DATE, NUMBER, MEMO], lineKind: 'sales', minLines: 1 },
  CreditMemo: { entityType: 'CreditMemo', header: [customer(true), DATE, NUMBER, MEMO], lineKind: 'sales', minLines: 1 },
  Payment: {
    entityType: 'Payment',
    header: [customer(true), DATE, total('Amount received'), MEMO],
    lineKind: 'none',
    minLines: 0,
  },
  Bill: { entityType: 'Bill', header: [vendor(true), DATE, DUE, NUMBER, MEMO], lineKind: 'expense', minLines: 1 },
  VendorCredit: { entityType: 'VendorCredit', header: [vendor(true), DATE, NUMBER, MEMO], lineKind: 'expense', minLines: 1 },
  PurchaseOrder: { entityType: 'PurchaseOrder', header: [vendor(true), DATE, NUMBER, MEMO], lineKind: 'expense', minLines: 1 },
  Purchase: {
    entityType: 'Purchase',
    header: [
      { key: 'EntityRef', path: ['EntityRef'], label: 'Payee (vendor)', kind: 'ref', entity: 'Vendor', refType: 'Vendor' },
      {
        key: 'PaymentType',
        path: ['PaymentType'],
        label: 'Paid by',
        kind: 'choice',
        required: true,
        options: [
          { value: 'Check', label: 'Check' },
          { value: 'Cash', label: 'Cash' },
          { value: 'CreditCard', label: 'Credit card' },
        ],
      },
      { key: 'AccountRef', path: ['AccountRef'], label: 'Paid from account', kind: 'ref', entity: 'Account', required: true },
      DATE,
      NUMBER,
      MEMO,
    ],
    lineKind: 'expense',
    minLines: 1,
  },
  BillPayment: {
    entityType: 'BillPayment',
    header: [
      vendor(true),
      {
        key: 'PayType',
        path: ['PayType'],
        label: 'Paid by',
        kind: 'choice',
        required: true,
        options: [
          { value: 'Check', label: 'Check' },
          { value: 'CreditCard', label: 'Credit card' },
        ],
      },
      {
        key: 'BankAccountRef',
        path: ['CheckPayment', 'BankAccountRef'],
        label: 'Bank account',
        kind: 'ref',
        entity: 'Account',
        required: true,
        when: { key: 'PayType', value: 'Check' },
      },
      {
        key: 'CCAccountRef',
        path: ['CreditCardPayment', 'CCAccountRef'],
        label: 'Credit card account',
        kind: 'ref',
        entity: 'Account',
        required: true,
        when: { key: 'PayType', value: 'CreditCard' },
      },
      DATE,
      NUMBER,
      total('Amount paid'),
      MEMO,
    ],
    lineKind: 'none',
    minLines: 0,
  },
  Deposit: {
    entityType: 'Deposit',
    header: [
      { key: 'DepositToAccountRef', path: ['DepositToAccountRef'], label: 'Deposit to', kind: 'ref', entity: 'Account', required: true },
      DATE,
      MEMO,
    ],
    lineKind: 'deposit',
    minLines: 1,
  },
  JournalEntry: { entityType: 'JournalEntry', header: [DATE, NUMBER, MEMO], lineKind: 'journal', minLines: 2 },
};

/** The form of a transaction type, or null for types without one. */
export function formProfile(entityType: string): FormProfile | null {
  return PROFILES[entityType] ?? null;
}

/** The header fields shown for the current values (a bank account only for a check). */
export function visibleHeader(profile: FormProfile, header: Record<string, string>): HeaderField[] {
  return profile.header.filter((field) => field.when === undefined || header[field.when.key] === field.when.value);
}

/** One line in the editor. Amounts are decimal text. */
export interface LineModel {
  /** Stable across edits, for keyed lists and focus. */
  key: number;
  /** The line as QuickBooks had it: its other members are kept on save. */
  source: Record<string, unknown> | null;
  /** Expense lines are for an item or straight to an account; sales lines are items; the others accounts. */
  target: 'item' | 'account';
  refId: string;
  refName: string;
  description: string;
  qty: string;
  unitPrice: string;
  /** Sales, expense and deposit lines. */
  amount: string;
  /** Journal lines: one of the two is filled. */
  debit: string;
  credit: string;
}

/** A transaction in the editor. */
export interface TransactionModel {
  entityType: string;
  /** Header values by field key; references hold the id. */
  header: Record<string, string>;
  /** Names of referenced entries, by header key, for entries no longer in the picker. */
  headerNames: Record<string, string>;
  lines: LineModel[];
  /** Lines the editor does not handle (subtotals, discounts, applied payments), kept as they are. */
  keptLines: unknown[];
  /** The header amounts as they came, by field key: left unchanged, they are not checked again. */
  headerSource: Record<string, unknown>;
}

const DETAIL_OF: Record<Exclude<LineKind, 'none'>, string[]> = {
  sales: ['SalesItemLineDetail'],
  expense: ['ItemBasedExpenseLineDetail', 'AccountBasedExpenseLineDetail'],
  deposit: ['DepositLineDetail'],
  journal: ['JournalEntryLineDetail'],
};

let nextLineKey = 1;

/** A new, empty line for the type. */
export function emptyLine(lineKind: LineKind): LineModel {
  return {
    key: nextLineKey++,
    source: null,
    target: lineKind === 'sales' ? 'item' : 'account',
    refId: '',
    refName: '',
    description: '',
    qty: '',
    unitPrice: '',
    amount: '',
    debit: '',
    credit: '',
  };
}

function at(object: unknown, path: string[]): unknown {
  let current: unknown = object;
  for (const key of path) {
    if (!isObject(current)) {
      return undefined;
    }
    current = current[key];
  }
  return current;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? jsonToText(value) : '';
}

/** Reads a QuickBooks object (or nothing, for a new record) into the editor. */
export function toModel(profile: FormProfile, object: unknown): TransactionModel {
  const header: Record<string, string> = {};
  const headerNames: Record<string, string> = {};
  const headerSource: Record<string, unknown> = {};
  for (const field of profile.header) {
    const value = at(object, field.path);
    if (field.kind === 'ref') {
      header[field.key] = isReference(value) ? String(value.value) : '';
      if (isReference(value) && typeof value.name === 'string') {
        headerNames[field.key] = value.name;
      }
    } else if (field.kind === 'money') {
      header[field.key] = jsonToText(value);
      headerSource[field.key] = value;
    } else {
      header[field.key] = text(value);
    }
  }
  const lines: LineModel[] = [];
  const keptLines: unknown[] = [];
  const managed = profile.lineKind === 'none' ? [] : DETAIL_OF[profile.lineKind];
  const sourceLines = isObject(object) && Array.isArray(object['Line']) ? object['Line'] : [];
  for (const line of sourceLines) {
    const detailType = isObject(line) && typeof line['DetailType'] === 'string' ? line['DetailType'] : '';
    if (isObject(line) && managed.includes(detailType)) {
      lines.push(lineModel(line, detailType));
    } else {
      keptLines.push(line);
    }
  }
  if (object === null || object === undefined) {
    for (let count = 0; count < Math.max(profile.minLines, 1) && profile.lineKind !== 'none'; count += 1) {
      lines.push(emptyLine(profile.lineKind));
    }
  }
  return { entityType: profile.entityType, header, headerNames, lines, keptLines, headerSource };
}

function lineModel(line: Record<string, unknown>, detailType: string): LineModel {
  const detail = isObject(line[detailType]) ? (line[detailType] as Record<string, unknown>) : {};
  const item = detail['ItemRef'];
  const account = detail['AccountRef'];
  const reference = isReference(item) ? item : isReference(account) ? account : null;
  const amount = jsonToText(line['Amount']);
  const posting = detail['PostingType'];
  return {
    key: nextLineKey++,
    source: line,
    target: detailType === 'SalesItemLineDetail' || detailType === 'ItemBasedExpenseLineDetail' ? 'item' : 'account',
    refId: reference === null ? '' : String(reference.value),
    refName: reference !== null && typeof reference.name === 'string' ? reference.name : '',
    description: text(line['Description']),
    qty: jsonToText(detail['Qty']),
    unitPrice: jsonToText(detail['UnitPrice']),
    amount,
    debit: posting === 'Debit' ? amount : '',
    credit: posting === 'Credit' ? amount : '',
  };
}

/**
 * A line's amount from its quantity and price, rounded to the cent half
 * away from zero as QuickBooks does; null while either is missing or not a
 * number.
 */
export function lineAmount(qty: string, unitPrice: string): string | null {
  const quantity = fieldDecimal(qty);
  const price = fieldDecimal(unitPrice);
  if (quantity === null || price === null || qty.trim() === '' || unitPrice.trim() === '') {
    return null;
  }
  return toText(round(multiply(quantity, price), 2), 2);
}

/**
 * A number field's value for sums shown while typing: as typed in the
 * user's locale, or, for text the app filled in (always with a dot, e.g. a
 * quantity of "1.250" in a German session), as that plain text.
 */
function fieldDecimal(text: string): Decimal | null {
  return typedDecimal(text) ?? parseDecimal(text.trim());
}

/** The member `key` of a line's detail as QuickBooks had it. */
function sourceDetailMember(line: LineModel, key: string): unknown {
  const source = line.source;
  const detailType = source?.['DetailType'];
  if (source === null || typeof detailType !== 'string' || !isObject(source[detailType])) return undefined;
  return (source[detailType] as Record<string, unknown>)[key];
}

function decimalOrZero(value: string): Decimal {
  return value.trim() === '' ? ZERO : (fieldDecimal(value) ?? ZERO);
}

/** The total of a journal entry's debits and of its credits, and whether they are equal. */
export function journalBalance(lines: LineModel[]): { debits: Decimal; credits: Decimal; balanced: boolean } {
  const debits = sum(lines.map((line) => decimalOrZero(line.debit)));
  const credits = sum(lines.map((line) => decimalOrZero(line.credit)));
  return { debits, credits, balanced: equals(debits, credits) };
}

/** The total of the lines' amounts. */
export function linesTotal(lines: LineModel[]): Decimal {
  return sum(lines.map((line) => decimalOrZero(line.amount)));
}

/** A problem found before saving, or returned by the save; `field` uses the issue paths (`CustomerRef`, `Line[2].Amount`). */
export interface FormIssue {
  field: string;
  message: string;
  /** For information only (e.g. a vendor that will be created): it does not stop the push. */
  info?: boolean;
}

function entityLabel(entityType: string): string {
  return entityType === 'JournalEntry' ? 'This journal entry' : 'This record';
}

/**
 * Why a number in the form cannot be saved, or null. A value left as it came
 * (QuickBooks' own amount, however many digits) is kept as it is; only what
 * the user typed is checked.
 */
function typedNumberProblem(text: string, previous: unknown): string | null {
  if (previous !== undefined && fromJson(previous) !== null && jsonToText(previous) === text.trim()) {
    return null;
  }
  const typed = readTypedDecimal(text);
  return typed.ok ? jsonNumberProblem(typed.text) : typed.problem;
}

/** The checks made before saving: required fields, lines, numbers, a balanced journal entry. */
export function checkTransaction(profile: FormProfile, model: TransactionModel): FormIssue[] {
  const issues: FormIssue[] = [];
  const label = entityLabel(profile.entityType);
  for (const field of visibleHeader(profile, model.header)) {
    const value = (model.header[field.key] ?? '').trim();
    if (field.required && value === '') {
      const what = field.kind === 'ref' || field.kind === 'choice' ? 'Choose' : 'Fill in';
      issues.push({ field: field.key, message: `${what} the ${field.label.toLowerCase()}.` });
    } else if (field.kind === 'money' && value !== '') {
      const problem = typedNumberProblem(value, model.headerSource[field.key]);
      if (problem !== null) issues.push({ field: field.key, message: problem });
    } else if (field.kind === 'date' && value !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      issues.push({ field: field.key, message: `Write the ${field.label.toLowerCase()} as YYYY-MM-DD.` });
    }
  }
  if (profile.lineKind === 'none') {
    return issues;
  }
  if (model.lines.length < profile.minLines) {
    issues.push({
      field: 'Line',
      message:
        profile.minLines > 1
          ? `${label} needs at least ${profile.minLines} lines: add a debit and a credit.`
          : `${label} needs at least one line. Add a line.`,
    });
  }
  model.lines.forEach((line, index) => {
    const at = `Line[${index + 1}]`;
    const number = index + 1;
    if (line.refId === '') {
      const what = line.target === 'item' ? 'an item' : 'an account';
      issues.push({ field: `${at}.${line.target === 'item' ? 'ItemRef' : 'AccountRef'}`, message: `Choose ${what} for line ${number}.` });
    }
    if (profile.lineKind === 'journal') {
      checkJournalLine(line, number, issues);
      return;
    }
    for (const [name, value, path] of [
      ['quantity', line.qty, 'Qty'],
      ['unit price', line.unitPrice, 'UnitPrice'],
    ] as const) {
      const previous = sourceDetailMember(line, path);
      const untouched = previous !== undefined && fromJson(previous) !== null && jsonToText(previous) === value.trim();
      const typed = value.trim() === '' || untouched ? null : readTypedDecimal(value);
      if (typed !== null && !typed.ok) {
        const message = typed.ambiguous
          ? `Line ${number}, ${name}: ${typed.problem}`
          : `The ${name} on line ${number} is not a number.`;
        issues.push({ field: `${at}.${path}`, message });
      }
    }
    if (line.amount.trim() === '') {
      issues.push({ field: `${at}.Amount`, message: `Fill in the amount on line ${number}.` });
    } else {
      const problem = typedNumberProblem(line.amount, line.source?.['Amount']);
      if (problem !== null) issues.push({ field: `${at}.Amount`, message: `Line ${number}: ${problem}` });
    }
  });
  if (profile.lineKind === 'journal' && model.lines.length > 0) {
    const balance = journalBalance(model.lines);
    if (!balance.balanced) {
      issues.push({
        field: 'Line',
        message: `Debits (${formatAmount(toText(balance.debits))}) and credits (${formatAmount(toText(balance.credits))}) must be equal.`,
      });
    }
  }
  return issues;
}

function checkJournalLine(line: LineModel, number: number, issues: FormIssue[]): void {
  const at = `Line[${number}].Amount`;
  const debit = line.debit.trim();
  const credit = line.credit.trim();
  if ((debit === '') === (credit === '')) {
    issues.push({ field: at, message: `Line ${number} needs either a debit or a credit.` });
    return;
  }
  const value = debit === '' ? credit : debit;
  const problem = typedNumberProblem(value, line.source?.['Amount']);
  if (problem !== null) {
    issues.push({ field: at, message: `Line ${number}: ${problem}` });
  } else if ((typedDecimal(value)?.units ?? 0n) < 0n) {
    issues.push({ field: at, message: `Line ${number}: write a negative amount in the other column instead.` });
  }
}

/**
 * A deep copy of a JSON object. Not structuredClone: the objects may be
 * Svelte state proxies, which it refuses; JSON keeps every number's digits.
 */
function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function reference(id: string, name: string, type?: string): Record<string, string> {
  return type === undefined ? { value: id, name } : { value: id, name, type };
}

function setAt(object: Record<string, unknown>, path: string[], value: unknown): void {
  let holder = object;
  for (const key of path.slice(0, -1)) {
    const next = holder[key];
    if (!isObject(next)) {
      holder[key] = {};
    }
    holder = holder[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (last === undefined) return;
  if (value === undefined) {
    delete holder[last];
  } else {
    holder[last] = value;
  }
}

/** The name a reference shows: from the picker, else the one it had. */
export type NameOf = (entity: string, id: string) => string | undefined;

/**
 * Writes the editor back into the object: the original with the form's
 * fields replaced. Call `checkTransaction` first: amounts must be numbers.
 */
export function toObject(
  profile: FormProfile,
  model: TransactionModel,
  original: unknown,
  nameOf: NameOf,
): Record<string, unknown> {
  const object: Record<string, unknown> = isObject(original) ? cloneJson(original) : {};
  const shown = new Set(visibleHeader(profile, model.header).map((field) => field.key));
  for (const field of profile.header) {
    if (!shown.has(field.key)) {
      continue;
    }
    const value = (model.header[field.key] ?? '').trim();
    const had = at(original, field.path) !== undefined;
    if (value === '') {
      // A cleared memo is sent empty so QuickBooks clears it too; other empty fields are left out.
      setAt(object, field.path, field.kind === 'memo' && had ? '' : undefined);
      continue;
    }
    switch (field.kind) {
      case 'ref':
        setAt(
          object,
          field.path,
          reference(value, nameOf(field.entity, value) ?? model.headerNames[field.key] ?? '', field.refType),
        );
        break;
      case 'money':
        setAt(object, field.path, decimalMember(at(original, field.path), typedText(value)));
        break;
      case 'memo':
        setAt(object, field.path, model.header[field.key] ?? '');
        break;
      default:
        setAt(object, field.path, value);
    }
  }
  if (profile.lineKind !== 'none') {
    object['Line'] = [...model.lines.map((line) => lineObject(profile.lineKind, line, nameOf)), ...model.keptLines];
  }
  return object;
}

function lineObject(kind: LineKind, line: LineModel, nameOf: NameOf): Record<string, unknown> {
  const base: Record<string, unknown> = line.source === null ? {} : cloneJson(line.source);
  const oldDetailType = typeof base['DetailType'] === 'string' ? base['DetailType'] : null;
  const detailType = detailTypeOf(kind, line);
  const detail: Record<string, unknown> =
    oldDetailType === detailType && isObject(base[detailType]) ? (base[detailType] as Record<string, unknown>) : {};
  if (oldDetailType !== null && oldDetailType !== detailType) {
    delete base[oldDetailType];
  }
  const entity = line.target === 'item' ? 'Item' : 'Account';
  const ref = reference(line.refId, nameOf(entity, line.refId) ?? line.refName);
  delete detail['ItemRef'];
  delete detail['AccountRef'];
  detail[line.target === 'item' ? 'ItemRef' : 'AccountRef'] = ref;
  let amount = line.amount;
  if (kind === 'journal') {
    const isDebit = line.debit.trim() !== '';
    detail['PostingType'] = isDebit ? 'Debit' : 'Credit';
    amount = isDebit ? line.debit : line.credit;
  }
  if (kind === 'sales' || (kind === 'expense' && line.target === 'item')) {
    setNumber(detail, 'Qty', line.qty);
    setNumber(detail, 'UnitPrice', line.unitPrice);
  }
  base['DetailType'] = detailType;
  base[detailType] = detail;
  base['Amount'] = decimalMember(base['Amount'], typedText(amount));
  if (line.description.trim() === '') {
    delete base['Description'];
  } else {
    base['Description'] = line.description;
  }
  return base;
}

function setNumber(detail: Record<string, unknown>, key: string, value: string): void {
  if (value.trim() === '') {
    delete detail[key];
  } else {
    detail[key] = decimalMember(detail[key], typedText(value));
  }
}

function detailTypeOf(kind: LineKind, line: LineModel): string {
  switch (kind) {
    case 'sales':
      return 'SalesItemLineDetail';
    case 'expense':
      return line.target === 'item' ? 'ItemBasedExpenseLineDetail' : 'AccountBasedExpenseLineDetail';
    case 'deposit':
      return 'DepositLineDetail';
    default:
      return 'JournalEntryLineDetail';
  }
}

/** Where an issue belongs in the form. */
export type IssueSlot =
  | { place: 'header'; key: string }
  | { place: 'line'; line: number; name: 'ref' | 'description' | 'qty' | 'unitPrice' | 'amount' }
  | { place: 'lines' }
  | { place: 'top' };

const LINE_MEMBERS: Record<string, 'ref' | 'description' | 'qty' | 'unitPrice' | 'amount'> = {
  ItemRef: 'ref',
  AccountRef: 'ref',
  Description: 'description',
  Qty: 'qty',
  UnitPrice: 'unitPrice',
  Amount: 'amount',
  PostingType: 'amount',
};

/**
 * Places an issue path: `Line[2].JournalEntryLineDetail.AccountRef` on line
 * 2's account, `CheckPayment.BankAccountRef` on the bank account, `Line` on
 * the lines as a whole. `headerKeys` are the form's header keys (also the
 * master form's).
 */
export function issueSlot(field: string, headerKeys: readonly string[]): IssueSlot {
  const segments = parsePath(field);
  const line = segments.find((segment): segment is { lineNumber: number } => 'lineNumber' in segment);
  const keys = segments.filter((segment): segment is { key: string } => 'key' in segment).map((segment) => segment.key);
  if (line !== undefined) {
    const member = [...keys].reverse().map((key) => LINE_MEMBERS[key]).find((name) => name !== undefined);
    return member === undefined ? { place: 'lines' } : { place: 'line', line: line.lineNumber, name: member };
  }
  if (keys.length === 1 && keys[0] === 'Line') {
    return { place: 'lines' };
  }
  const key = [...keys].reverse().find((candidate) => headerKeys.includes(candidate));
  return key === undefined ? { place: 'top' } : { place: 'header', key };
}

/** A customer or vendor in its form. */
export interface MasterModel {
  DisplayName: string;
  PrimaryEmailAddr: string;
  PrimaryPhone: string;
  Active: boolean;
}

export const MASTER_FIELDS = ['DisplayName', 'PrimaryEmailAddr', 'PrimaryPhone', 'Active'] as const;

export function toMasterModel(object: unknown): MasterModel {
  return {
    DisplayName: text(at(object, ['DisplayName'])),
    PrimaryEmailAddr: text(at(object, ['PrimaryEmailAddr', 'Address'])),
    PrimaryPhone: text(at(object, ['PrimaryPhone', 'FreeFormNumber'])),
    Active: at(object, ['Active']) !== false,
  };
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export function checkMaster(model: MasterModel): FormIssue[] {
  const issues: FormIssue[] = [];
  if (model.DisplayName.trim() === '') {
    issues.push({ field: 'DisplayName', message: 'Fill in the display name.' });
  } else if (model.DisplayName.includes(':')) {
    issues.push({ field: 'DisplayName', message: 'QuickBooks does not allow a colon (:) in a name. Remove it.' });
  }
  if (model.PrimaryEmailAddr.trim() !== '' && !EMAIL.test(model.PrimaryEmailAddr.trim())) {
    issues.push({ field: 'PrimaryEmailAddr', message: 'The email address is not complete, e.g. name@example.com.' });
  }
  return issues;
}

export function masterObject(model: MasterModel, original: unknown): Record<string, unknown> {
  const object: Record<string, unknown> = isObject(original) ? cloneJson(original) : {};
  object['DisplayName'] = model.DisplayName.trim();
  const email = model.PrimaryEmailAddr.trim();
  if (email === '') {
    if (isObject(object['PrimaryEmailAddr'])) object['PrimaryEmailAddr'] = { ...object['PrimaryEmailAddr'], Address: '' };
  } else {
    object['PrimaryEmailAddr'] = { ...(isObject(object['PrimaryEmailAddr']) ? object['PrimaryEmailAddr'] : {}), Address: email };
  }
  const phone = model.PrimaryPhone.trim();
  if (phone === '') {
    if (isObject(object['PrimaryPhone'])) object['PrimaryPhone'] = { ...object['PrimaryPhone'], FreeFormNumber: '' };
  } else {
    object['PrimaryPhone'] = { ...(isObject(object['PrimaryPhone']) ? object['PrimaryPhone'] : {}), FreeFormNumber: phone };
  }
  object['Active'] = model.Active;
  return object;
}

/** Whether a value read from JSON is a decimal (used when showing amounts). */
export function isAmount(value: unknown): boolean {
  return fromJson(value) !== null;
}
