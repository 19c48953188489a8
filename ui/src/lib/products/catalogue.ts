/**
 * The product catalogue as plain data: the kinds and how they are named,
 * filtering the list, showing quantities, and the forms of a new product,
 * a stock level and a location name with the checks made before saving.
 *
 * Prices and quantities stay decimal text from the form to the Rust side
 * (see ../decimal.ts): they are only checked and written out plainly here,
 * never turned into JavaScript numbers.
 */
import { compare, parseDecimal, readTypedDecimal, toText, typedText, ZERO } from '../decimal';
import type { LocationView, NewProduct, ProductKind, ProductView, StockInput } from '../ipc/commands';

export interface KindInfo {
  value: ProductKind;
  label: string;
  plural: string;
  /** What choosing it means, in the accountant's words. */
  detail: string;
}

export const KINDS: KindInfo[] = [
  {
    value: 'product',
    label: 'Product',
    plural: 'Products',
    detail: 'Stock-tracked: QuickBooks keeps its quantity, mirrored at the default location.',
  },
  {
    value: 'part',
    label: 'Part',
    plural: 'Parts',
    detail: 'Not stock-tracked in QuickBooks; its quantities are kept here only.',
  },
  { value: 'service', label: 'Service', plural: 'Services', detail: 'Work sold or bought; it has no quantity.' },
  { value: 'category', label: 'Category', plural: 'Categories', detail: 'Groups products; it is never sold itself.' },
];

export function kindLabel(kind: ProductKind): string {
  return KINDS.find((info) => info.value === kind)?.label ?? kind;
}

/** Whether a kind has quantities per location (products and parts). */
export function hasStock(kind: ProductKind): boolean {
  return kind === 'product' || kind === 'part';
}

/** Whether a kind has prices, accounts and a tax setting (all but categories). */
export function isSellable(kind: ProductKind): boolean {
  return kind !== 'category';
}

/** The products whose name, SKU, description or category contain `search`, of one kind or all, low ones only if asked. */
export function filterProducts(
  products: ProductView[],
  search: string,
  kind: ProductKind | '',
  lowOnly = false,
): ProductView[] {
  const needle = search.trim().toLocaleLowerCase();
  return products.filter((product) => {
    if (kind !== '' && product.kind !== kind) return false;
    if (lowOnly && !product.low) return false;
    if (needle === '') return true;
    return [product.name, product.sku, product.description, product.category].some(
      (text) => text !== null && text.toLocaleLowerCase().includes(needle),
    );
  });
}

/**
 * A quantity for display: "12.5000" → "12.5", "1500" → "1,500", a minus
 * sign for stock sold beyond what was counted. Text that is not a decimal
 * is shown as it came.
 */
export function formatQuantity(text: string | null, locale?: string): string {
  if (text === null) return '';
  const value = parseDecimal(text);
  if (value === null) return text;
  const plain = plainQuantity(text);
  const negative = plain.startsWith('-');
  const [whole = '0', fraction] = (negative ? plain.slice(1) : plain).split('.');
  const grouped = new Intl.NumberFormat(locale).format(BigInt(whole));
  const separator =
    new Intl.NumberFormat(locale).formatToParts(1.5).find((part) => part.type === 'decimal')?.value ?? '.';
  const shown = fraction === undefined ? grouped : `${grouped}${separator}${fraction}`;
  return negative && shown !== '0' ? `−${shown}` : shown;
}

/** A quantity as plain text for an input: "12.5000" → "12.5"; null → "". */
export function plainQuantity(text: string | null): string {
  if (text === null) return '';
  const value = parseDecimal(text);
  if (value === null) return text;
  return toText(value).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

/** Why `text` is not a decimal of zero or more, or null when it is. Empty text is a problem only when `required`. */
export function amountProblem(text: string, required = false): string | null {
  const trimmed = text.trim();
  if (trimmed === '') {
    return required ? 'Type a number, e.g. 12 or 12.5.' : null;
  }
  const typed = readTypedDecimal(trimmed);
  if (!typed.ok) {
    return typed.problem;
  }
  const value = typed.value;
  if (compare(value, ZERO) < 0) {
    return 'It cannot be below zero.';
  }
  return null;
}

/** Decimal text written plainly ("0.50", ".5" → "0.5"), or null for empty text. Check it first. */
export function decimalOrNull(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const value = parseDecimal(typedText(trimmed));
  return value === null ? trimmed : toText(value);
}

function textOrNull(text: string): string | null {
  const trimmed = text.trim();
  return trimmed === '' ? null : trimmed;
}

/** The longest item name QuickBooks accepts. */
export const MAX_NAME_LENGTH = 100;

/** The new-product form as typed. */
export interface ProductForm {
  name: string;
  kind: ProductKind;
  sku: string;
  description: string;
  salesPrice: string;
  purchaseCost: string;
  incomeAccountId: string;
  expenseAccountId: string;
  assetAccountId: string;
  categoryId: string;
  taxable: boolean;
  openingQuantity: string;
}

export function emptyProductForm(): ProductForm {
  return {
    name: '',
    kind: 'product',
    sku: '',
    description: '',
    salesPrice: '',
    purchaseCost: '',
    incomeAccountId: '',
    expenseAccountId: '',
    assetAccountId: '',
    categoryId: '',
    taxable: false,
    openingQuantity: '',
  };
}

/** Problems by field name; empty when the product can be created. `names` are the catalogue's names, for uniqueness. */
export function checkProduct(form: ProductForm, names: string[] = []): Record<string, string> {
  const problems: Record<string, string> = {};
  const name = form.name.trim();
  if (name === '') {
    problems['name'] = 'Type a name.';
  } else if (name.length > MAX_NAME_LENGTH) {
    problems['name'] = `Shorten the name to ${MAX_NAME_LENGTH} characters or fewer: QuickBooks keeps no more.`;
  } else if (name.includes(':')) {
    problems['name'] = 'Leave out the colon: QuickBooks uses it to separate a category from the product in a name.';
  } else if (names.some((known) => known.trim().toLocaleLowerCase() === name.toLocaleLowerCase())) {
    problems['name'] = 'The catalogue already has an entry with this name; QuickBooks needs every name to be different.';
  }
  if (isSellable(form.kind)) {
    for (const key of ['salesPrice', 'purchaseCost'] as const) {
      const problem = amountProblem(form[key]);
      if (problem !== null) problems[key] = problem;
    }
  }
  if (hasStock(form.kind)) {
    const problem = amountProblem(form.openingQuantity);
    if (problem !== null) problems['openingQuantity'] = problem;
  }
  return problems;
}

/**
 * The product to send. Fields a kind does not have are sent empty even if
 * they were filled before the kind changed: a service has no opening
 * quantity, a category no price.
 */
export function toNewProduct(form: ProductForm): NewProduct {
  const sellable = isSellable(form.kind);
  return {
    name: form.name.trim(),
    kind: form.kind,
    sku: sellable ? textOrNull(form.sku) : null,
    description: sellable ? textOrNull(form.description) : null,
    salesPrice: sellable ? decimalOrNull(form.salesPrice) : null,
    purchaseCost: sellable ? decimalOrNull(form.purchaseCost) : null,
    incomeAccountId: sellable ? textOrNull(form.incomeAccountId) : null,
    expenseAccountId: sellable ? textOrNull(form.expenseAccountId) : null,
    assetAccountId: form.kind === 'product' ? textOrNull(form.assetAccountId) : null,
    categoryId: textOrNull(form.categoryId),
    taxable: sellable && form.taxable,
    openingQuantity: hasStock(form.kind) ? decimalOrNull(form.openingQuantity) : null,
  };
}

/** One location's stock as typed. */
export interface StockForm {
  onHand: string;
  minimum: string;
}

/** Problems by field (`onHand`, `minimum`); empty when the stock level can be saved. */
export function checkStock(form: StockForm): Record<string, string> {
  const problems: Record<string, string> = {};
  const onHand = amountProblem(form.onHand, true);
  if (onHand !== null) problems['onHand'] = onHand;
  const minimum = amountProblem(form.minimum);
  if (minimum !== null) problems['minimum'] = minimum;
  return problems;
}

export function toStockInput(localId: string, locationId: string, form: StockForm): StockInput {
  return {
    localId,
    locationId,
    onHand: decimalOrNull(form.onHand) ?? '0',
    minimum: decimalOrNull(form.minimum),
  };
}

/** Why a location name cannot be used, or null. `exceptId` is the location being renamed. */
export function locationNameProblem(name: string, locations: LocationView[], exceptId: string | null = null): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'Type a name for the location.';
  const taken = locations.some(
    (location) => location.id !== exceptId && location.name.trim().toLocaleLowerCase() === trimmed.toLocaleLowerCase(),
  );
  return taken ? 'Another location has this name; give each one its own.' : null;
}
