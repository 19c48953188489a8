/**
 * The QuickBooks entity types the app lists, in accountants' words, and
 * which of them the app can create and edit.
 */

/** The twelve transaction types, in the order the type selector lists them. */
export const TRANSACTION_TYPES = [
  'Invoice',
  'SalesReceipt',
  'Estimate',
  'CreditMemo',
  'Payment',
  'Bill',
  'VendorCredit',
  'PurchaseOrder',
  'Purchase',
  'BillPayment',
  'Deposit',
  'JournalEntry',
] as const;

/** The lists (masters). */
export const MASTER_TYPES = [
  'Customer',
  'Vendor',
  'Employee',
  'Item',
  'Account',
  'Class',
  'Department',
  'Term',
  'PaymentMethod',
  'TaxCode',
] as const;

/** Every type a user can list, transactions first. */
export const ENTITY_TYPES = [...TRANSACTION_TYPES, ...MASTER_TYPES] as const;

export type TransactionType = (typeof TRANSACTION_TYPES)[number];
export type MasterType = (typeof MASTER_TYPES)[number];

const WORDS: Record<string, { one: string; many: string }> = {
  Invoice: { one: 'Invoice', many: 'Invoices' },
  SalesReceipt: { one: 'Sales receipt', many: 'Sales receipts' },
  Estimate: { one: 'Estimate', many: 'Estimates' },
  CreditMemo: { one: 'Credit memo', many: 'Credit memos' },
  Payment: { one: 'Payment', many: 'Payments' },
  Bill: { one: 'Bill', many: 'Bills' },
  VendorCredit: { one: 'Vendor credit', many: 'Vendor credits' },
  PurchaseOrder: { one: 'Purchase order', many: 'Purchase orders' },
  Purchase: { one: 'Expense', many: 'Expenses (checks, cash, card)' },
  BillPayment: { one: 'Bill payment', many: 'Bill payments' },
  Deposit: { one: 'Deposit', many: 'Deposits' },
  JournalEntry: { one: 'Journal entry', many: 'Journal entries' },
  Customer: { one: 'Customer', many: 'Customers' },
  Vendor: { one: 'Vendor', many: 'Vendors' },
  Employee: { one: 'Employee', many: 'Employees' },
  Item: { one: 'Product or service', many: 'Products and services' },
  Account: { one: 'Account', many: 'Chart of accounts' },
  Class: { one: 'Class', many: 'Classes' },
  Department: { one: 'Location', many: 'Locations' },
  Term: { one: 'Term', many: 'Terms' },
  PaymentMethod: { one: 'Payment method', many: 'Payment methods' },
  TaxCode: { one: 'Tax code', many: 'Tax codes' },
};

/** "Journal entry" for `JournalEntry`; unknown types are split into words. */
export function entityWord(entityType: string): string {
  return WORDS[entityType]?.one ?? splitWords(entityType);
}

/** "Journal entries" for `JournalEntry`. */
export function entityPlural(entityType: string): string {
  return WORDS[entityType]?.many ?? `${splitWords(entityType)}s`;
}

/** "ShipDate" → "Ship date". */
export function splitWords(name: string): string {
  const spaced = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .trim();
  if (spaced === '') {
    return name;
  }
  const [first = '', ...rest] = spaced.split(' ');
  return [first, ...rest.map((word) => (/^[A-Z]{2,}$/.test(word) ? word : word.toLowerCase()))].join(' ');
}

export function isTransaction(entityType: string): boolean {
  return (TRANSACTION_TYPES as readonly string[]).includes(entityType);
}

/** The masters with a form in the app (the others are edited in QuickBooks). */
export const EDITABLE_MASTERS = ['Customer', 'Vendor'] as const;

export function isEditableMaster(entityType: string): boolean {
  return (EDITABLE_MASTERS as readonly string[]).includes(entityType);
}

/** Whether the app has a create and edit form for the type. */
export function hasForm(entityType: string): boolean {
  return isTransaction(entityType) || isEditableMaster(entityType);
}
