/**
 * Field paths and values in accountants' words: `Line[Id=3].SalesItemLineDetail.Qty`
 * becomes "Line 2 · Quantity", `{ value: "58", name: "Acme Ltd" }` becomes "Acme Ltd".
 * Used by the conflict view, the history diff and the record detail.
 */
import { formatAmount, isDecimal, numberToText } from '../decimal';
import { splitWords } from './entities';

/** One step of a path: a member, a line by its QuickBooks `Id`, or a line by its number (from 1). */
export type PathSegment = { key: string } | { lineId: string } | { lineNumber: number };

/**
 * Reads `CustomerRef`, `Line[Id=3].Amount` (conflicts, by line id) and
 * `Line[2].JournalEntryLineDetail.AccountRef` (validation issues, by line number).
 */
export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  for (const part of path.split('.')) {
    const bracket = part.indexOf('[');
    const key = bracket === -1 ? part : part.slice(0, bracket);
    if (key !== '') {
      segments.push({ key });
    }
    for (const match of (bracket === -1 ? '' : part.slice(bracket)).matchAll(/\[([^\]]*)\]/g)) {
      const inner = match[1] ?? '';
      if (inner.startsWith('Id=')) {
        segments.push({ lineId: inner.slice(3) });
      } else if (/^\d+$/.test(inner)) {
        segments.push({ lineNumber: Number(inner) });
      }
    }
  }
  return segments;
}

const FIELD_WORDS: Record<string, string> = {
  AccountRef: 'Account',
  Active: 'Active',
  APAccountRef: 'Accounts payable account',
  ARAccountRef: 'Accounts receivable account',
  Balance: 'Balance',
  BankAccountRef: 'Bank account',
  BillAddr: 'Billing address',
  BillEmail: 'Billing email',
  CCAccountRef: 'Credit card account',
  ClassRef: 'Class',
  CompanyName: 'Company name',
  CustomerMemo: 'Message to customer',
  CustomerRef: 'Customer',
  DepartmentRef: 'Location',
  DepositToAccountRef: 'Deposit to',
  Description: 'Description',
  DisplayName: 'Display name',
  DocNumber: 'Number',
  DueDate: 'Due date',
  EmployeeRef: 'Employee',
  EntityRef: 'Payee',
  Entity: 'Received from',
  FamilyName: 'Last name',
  GivenName: 'First name',
  ItemRef: 'Item',
  Line: 'Lines',
  Mobile: 'Mobile',
  Name: 'Name',
  PaymentMethodRef: 'Payment method',
  PaymentType: 'Payment type',
  PayType: 'Payment type',
  PostingType: 'Debit or credit',
  PrimaryEmailAddr: 'Email',
  PrimaryPhone: 'Phone',
  PrivateNote: 'Memo',
  Qty: 'Quantity',
  SalesTermRef: 'Terms',
  ShipAddr: 'Shipping address',
  ShipDate: 'Ship date',
  TaxCodeRef: 'Tax code',
  TermRef: 'Terms',
  TotalAmt: 'Total',
  TxnDate: 'Date',
  UnitPrice: 'Unit price',
  Amount: 'Amount',
};

/** Members that only hold other members and add nothing for people. */
function isContainer(key: string): boolean {
  return /LineDetail$/.test(key) || key === 'CheckPayment' || key === 'CreditCardPayment';
}

/** Members whose parent names them better ("Email" rather than "Email · Address"). */
const INNER_VALUE_KEYS = new Set(['Address', 'FreeFormNumber', 'value', 'name', 'URI']);

/** "Unit price" for `UnitPrice`. */
export function fieldWord(key: string): string {
  return FIELD_WORDS[key] ?? splitWords(key);
}

/**
 * A path in words. `lineNumberOf` turns a line's QuickBooks id into its
 * number as the accountant sees it; without it (or when the line is not
 * found) the line is named by its id.
 */
export function pathWords(path: string, lineNumberOf?: (lineId: string) => number | null): string {
  const parts: string[] = [];
  const keys: string[] = [];
  const segments = parsePath(path);
  segments.forEach((segment, index) => {
    if ('key' in segment) {
      const next = segments[index + 1];
      // "Line" followed by a line step is said by the step ("Line 2").
      if (segment.key === 'Line' && next !== undefined && !('key' in next)) {
        return;
      }
      keys.push(segment.key);
      return;
    }
    flush(parts, keys);
    if ('lineId' in segment) {
      const number = lineNumberOf?.(segment.lineId) ?? null;
      parts.push(number === null ? `Line (id ${segment.lineId})` : `Line ${number}`);
    } else {
      parts.push(`Line ${segment.lineNumber}`);
    }
  });
  flush(parts, keys);
  return parts.length === 0 ? path : parts.join(' · ');
}

function flush(parts: string[], keys: string[]): void {
  const shown = keys.filter((key) => !isContainer(key));
  while (shown.length > 1 && INNER_VALUE_KEYS.has(shown[shown.length - 1] ?? '')) {
    shown.pop();
  }
  if (shown.length > 0) {
    parts.push(shown.map(fieldWord).join(' · '));
  }
  keys.length = 0;
}

/** The lines of a QuickBooks object, or none. */
export function linesOf(object: unknown): Record<string, unknown>[] {
  if (!isObject(object) || !Array.isArray(object['Line'])) {
    return [];
  }
  return object['Line'].filter(isObject);
}

/** The number (from 1) of the line with QuickBooks id `lineId` in the first document that has it. */
export function lineNumberIn(documents: unknown[], lineId: string): number | null {
  for (const document of documents) {
    const index = linesOf(document).findIndex((line) => String(line['Id'] ?? '') === lineId);
    if (index !== -1) {
      return index + 1;
    }
  }
  return null;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a value is a QuickBooks reference (`{ value, name }`). */
export function isReference(value: unknown): value is { value: string; name?: string } {
  return isObject(value) && (typeof value['value'] === 'string' || typeof value['value'] === 'number');
}

function isMoneyKey(key: string | undefined): boolean {
  return key !== undefined && /(Amt|Amount|Price|Balance)$/.test(key);
}

const ADDRESS_PARTS = ['Line1', 'Line2', 'Line3', 'Line4', 'Line5', 'City', 'CountrySubDivisionCode', 'PostalCode', 'Country'];

/**
 * A value for people. `key` is the member it sits in, so that amounts are
 * shown as money and quantities as plain numbers.
 */
export function describeValue(value: unknown, key?: string): string {
  if (value === null || value === undefined) {
    return '—';
  }
  if (typeof value === 'string') {
    // Amounts come as decimal text (exact), and are shown as money.
    if (isMoneyKey(key) && isDecimal(value)) return formatAmount(value);
    return value === '' ? '(empty)' : value;
  }
  if (typeof value === 'number') {
    return isMoneyKey(key) ? formatAmount(value) : (numberToText(value) ?? String(value));
  }
  if (typeof value === 'boolean') {
    return value ? 'Yes' : 'No';
  }
  if (Array.isArray(value)) {
    return value.length === 0 ? '(none)' : value.map((item) => describeValue(item)).join('; ');
  }
  if (!isObject(value)) {
    return String(value);
  }
  if (isReference(value)) {
    return typeof value.name === 'string' && value.name !== '' ? value.name : `#${String(value.value)}`;
  }
  if (typeof value['Address'] === 'string') {
    return value['Address'];
  }
  if (typeof value['FreeFormNumber'] === 'string') {
    return value['FreeFormNumber'];
  }
  const address = ADDRESS_PARTS.map((part) => value[part]).filter(
    (part): part is string => typeof part === 'string' && part !== '',
  );
  if (address.length > 0) {
    return address.join(', ');
  }
  if ('DetailType' in value || 'Amount' in value) {
    return describeLine(value);
  }
  const members = Object.entries(value)
    .filter(([member]) => member !== 'Id')
    .map(([member, inner]) => `${fieldWord(member)}: ${describeValue(inner, member)}`);
  return members.length === 0 ? '(empty)' : members.join(', ');
}

/** A whole line in one phrase: what it is for and its amount. */
export function describeLine(line: Record<string, unknown>): string {
  const detailKey = typeof line['DetailType'] === 'string' ? line['DetailType'] : '';
  const detail = isObject(line[detailKey]) ? (line[detailKey] as Record<string, unknown>) : {};
  const what =
    (typeof line['Description'] === 'string' && line['Description'] !== '' ? line['Description'] : null) ??
    (isReference(detail['ItemRef']) ? describeValue(detail['ItemRef']) : null) ??
    (isReference(detail['AccountRef']) ? describeValue(detail['AccountRef']) : null) ??
    (detailKey === '' ? null : splitWords(detailKey.replace(/LineDetail$/, ''))) ??
    'Line';
  const posting = typeof detail['PostingType'] === 'string' ? ` (${detail['PostingType'].toLowerCase()})` : '';
  const amount = line['Amount'] === undefined ? '' : ` · ${formatAmount(line['Amount'])}`;
  return `${what}${posting}${amount}`;
}

/** Members that change on every save and tell the accountant nothing. */
const BOOKKEEPING_KEYS = new Set(['MetaData', 'SyncToken', 'domain', 'sparse', 'time', 'LineNum']);

/**
 * Every field of an object as path → value, with lines addressed by their
 * QuickBooks id (`Line[Id=3].Amount`) or, before they have one, by number
 * (`Line[2].Amount`). References, addresses and phone numbers stay whole.
 */
export function flatten(object: unknown): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  walk(object, '', fields);
  return fields;
}

function walk(value: unknown, path: string, fields: Map<string, unknown>): void {
  if (Array.isArray(value) && value.every(isObject) && path.endsWith('Line')) {
    value.forEach((line, index) => {
      const id = line['Id'];
      const step = typeof id === 'string' || typeof id === 'number' ? `[Id=${String(id)}]` : `[${index + 1}]`;
      walk(line, `${path}${step}`, fields);
    });
    return;
  }
  if (isObject(value) && !isReference(value) && path !== '' && isLeafObject(value)) {
    fields.set(path, value);
    return;
  }
  if (isObject(value) && !isReference(value)) {
    for (const [key, inner] of Object.entries(value)) {
      if (BOOKKEEPING_KEYS.has(key) || (path === '' && key === 'Id')) {
        continue;
      }
      walk(inner, path === '' ? key : `${path}.${key}`, fields);
    }
    return;
  }
  if (path !== '') {
    fields.set(path, value);
  }
}

/** Objects shown as one value: addresses, emails, phone numbers. */
function isLeafObject(value: Record<string, unknown>): boolean {
  return (
    typeof value['Address'] === 'string' ||
    typeof value['FreeFormNumber'] === 'string' ||
    ADDRESS_PARTS.some((part) => typeof value[part] === 'string')
  );
}

/** One field that differs between two versions. */
export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
}

/** The fields that differ between two versions (only those), in the order they appear. */
export function changedFields(before: unknown, after: unknown): FieldChange[] {
  const old = flatten(before);
  const next = flatten(after);
  const paths = [...new Set([...old.keys(), ...next.keys()])];
  return paths
    .filter((path) => !sameValue(old.get(path), next.get(path)))
    .map((path) => ({ path, before: old.get(path), after: next.get(path) }));
}

/** Equal as JSON values (numbers compared by their digits). */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The last member of a path (`Amount` for `Line[Id=3].Amount`). */
export function lastKey(path: string): string | undefined {
  const keys = parsePath(path).filter((segment): segment is { key: string } => 'key' in segment);
  return keys[keys.length - 1]?.key;
}

/** The list a reference member points into (`VendorRef` → Vendor), or null when it is not a reference member. */
export function referenceEntity(key: string | undefined, sample?: unknown): string | null {
  switch (key) {
    case 'CustomerRef':
      return 'Customer';
    case 'VendorRef':
      return 'Vendor';
    case 'EmployeeRef':
      return 'Employee';
    case 'ItemRef':
      return 'Item';
    case 'ClassRef':
      return 'Class';
    case 'DepartmentRef':
      return 'Department';
    case 'SalesTermRef':
    case 'TermRef':
      return 'Term';
    case 'PaymentMethodRef':
      return 'PaymentMethod';
    case 'TaxCodeRef':
      return 'TaxCode';
    case 'EntityRef':
    case 'Entity': {
      const type = isObject(sample) ? sample['type'] : undefined;
      return typeof type === 'string' && type !== '' ? type : 'Vendor';
    }
    default:
      return key !== undefined && key.endsWith('AccountRef') ? 'Account' : null;
  }
}
