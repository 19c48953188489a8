import { describe, expect, it } from 'vitest';

import { catalogue, location } from '../../test/fixtures';
import {
  amountProblem,
  checkProduct,
  checkStock,
  emptyProductForm,
  filterProducts,
  formatQuantity,
  locationNameProblem,
  plainQuantity,
  toNewProduct,
  toStockInput,
} from './catalogue';

describe('filterProducts', () => {
  const products = catalogue().products;

  it('finds by name, SKU or category, ignoring case', () => {
    expect(filterProducts(products, 'desk', '').map((entry) => entry.name)).toEqual(['Oak desk', 'Desk lamp']);
    expect(filterProducts(products, 'lmp', '').map((entry) => entry.name)).toEqual(['Desk lamp']);
    expect(filterProducts(products, 'FURNITURE', '').map((entry) => entry.name)).toEqual(['Oak desk']);
  });

  it('keeps one kind, or the low ones only', () => {
    expect(filterProducts(products, '', 'service').map((entry) => entry.name)).toEqual(['Assembly']);
    expect(filterProducts(products, '', '', true).map((entry) => entry.name)).toEqual(['Desk lamp']);
  });
});

describe('quantities', () => {
  it('shows them without trailing zeros, grouped, with a real minus sign', () => {
    expect(formatQuantity('12.5000', 'en-US')).toBe('12.5');
    expect(formatQuantity('1500', 'en-US')).toBe('1,500');
    expect(formatQuantity('-2.0', 'en-US')).toBe('−2');
    expect(formatQuantity(null)).toBe('');
    expect(plainQuantity('3.250')).toBe('3.25');
  });

  it('accepts decimals of zero or more only', () => {
    expect(amountProblem('')).toBeNull();
    expect(amountProblem('', true)).toMatch(/Type a number/);
    expect(amountProblem('1,250')).toMatch(/not a number/);
    expect(amountProblem('-1')).toMatch(/below zero/);
    expect(amountProblem('.5')).toBeNull();
  });
});

describe('the new-product form', () => {
  it('needs a name that is new, and well-formed prices', () => {
    const form = { ...emptyProductForm(), salesPrice: '12,50', openingQuantity: 'many' };
    expect(Object.keys(checkProduct(form)).sort()).toEqual(['name', 'openingQuantity', 'salesPrice']);
    expect(checkProduct({ ...emptyProductForm(), name: ' oak DESK ' }, ['Oak desk'])['name']).toMatch(/already/);
    expect(checkProduct({ ...emptyProductForm(), name: 'Desks:Oak' })['name']).toMatch(/colon/);
    expect(checkProduct({ ...emptyProductForm(), name: 'Walnut shelf', salesPrice: '80' })).toEqual({});
  });

  it('sends typed values, and only the fields the kind has', () => {
    const form = {
      ...emptyProductForm(),
      name: ' Walnut shelf ',
      sku: ' SH-1 ',
      salesPrice: '80.50',
      purchaseCost: '.5',
      openingQuantity: '4',
      incomeAccountId: '79',
      assetAccountId: '81',
      taxable: true,
    };
    expect(toNewProduct(form)).toEqual({
      name: 'Walnut shelf',
      kind: 'product',
      sku: 'SH-1',
      description: null,
      salesPrice: '80.50',
      purchaseCost: '0.5',
      incomeAccountId: '79',
      expenseAccountId: null,
      assetAccountId: '81',
      categoryId: null,
      taxable: true,
      openingQuantity: '4',
    });
    const service = toNewProduct({ ...form, kind: 'service' });
    expect(service.openingQuantity).toBeNull();
    expect(service.assetAccountId).toBeNull();
    const category = toNewProduct({ ...form, kind: 'category' });
    expect([category.salesPrice, category.sku, category.incomeAccountId, category.taxable]).toEqual([null, null, null, false]);
  });
});

describe('stock and locations', () => {
  it('needs a count on hand; the minimum may stay empty', () => {
    expect(checkStock({ onHand: '', minimum: '' })).toHaveProperty('onHand');
    expect(checkStock({ onHand: '3', minimum: 'x' })).toHaveProperty('minimum');
    expect(toStockInput('p-1', 'main', { onHand: ' 3.50 ', minimum: '' })).toEqual({
      localId: 'p-1',
      locationId: 'main',
      onHand: '3.50',
      minimum: null,
    });
  });

  it('refuses an empty or taken location name, except the location’s own', () => {
    const locations = [location(), location({ id: 'loc-2', name: 'Back store', isDefault: false })];
    expect(locationNameProblem('  ', locations)).toMatch(/Type a name/);
    expect(locationNameProblem('back STORE', locations)).toMatch(/Another location/);
    expect(locationNameProblem('Back store', locations, 'loc-2')).toBeNull();
    expect(locationNameProblem('Van', locations)).toBeNull();
  });
});
