import { describe, expect, it, vi } from 'vitest';

import { CommandFailure, type Catalogue, type NewProduct } from '../ipc/commands';
import { catalogue, location, product } from '../../test/fixtures';
import { deferred } from '../../test/mockCommands';
import { ProductsStore } from './products.svelte';

const newProduct: NewProduct = {
  name: 'Walnut shelf',
  kind: 'product',
  sku: null,
  description: null,
  salesPrice: '80',
  purchaseCost: null,
  incomeAccountId: null,
  expenseAccountId: null,
  assetAccountId: null,
  categoryId: null,
  taxable: false,
  openingQuantity: '4',
};

describe('ProductsStore', () => {
  it('loads the catalogue of a company and says when it is loading', async () => {
    const answer = deferred<Catalogue>();
    const listProducts = vi.fn(() => answer.promise);
    const store = new ProductsStore({ listProducts });

    const loading = store.load('c-1');
    expect(store.loading).toBe(true);
    expect(store.catalogue).toBeNull();
    answer.resolve(catalogue());
    await loading;

    expect(listProducts).toHaveBeenCalledWith('c-1');
    expect(store.loading).toBe(false);
    expect(store.catalogue?.products.map((entry) => entry.name)).toEqual(['Oak desk', 'Desk lamp', 'Assembly']);
    expect(store.product('p-2')?.low).toBe(true);
    expect(store.product('missing')).toBeNull();
  });

  it('keeps a failure as a CommandFailure, and drops an older company’s late answer', async () => {
    const first = deferred<Catalogue>();
    const listProducts = vi
      .fn<(companyId: string) => Promise<Catalogue>>()
      .mockReturnValueOnce(first.promise)
      .mockRejectedValueOnce({ kind: 'not_found', message: 'No such company.' });
    const store = new ProductsStore({ listProducts });

    const late = store.load('c-1');
    await store.load('c-2');
    first.resolve(catalogue());
    await late;

    expect(store.companyId).toBe('c-2');
    expect(store.catalogue).toBeNull();
    expect(store.error).toBeInstanceOf(CommandFailure);
    expect(store.error?.message).toBe('No such company.');
  });

  it('creates a product and reads the catalogue again', async () => {
    const created = product({ localId: 'p-9', name: 'Walnut shelf' });
    const listProducts = vi
      .fn<(companyId: string) => Promise<Catalogue>>()
      .mockResolvedValueOnce(catalogue())
      .mockResolvedValueOnce(catalogue({ products: [...catalogue().products, created] }));
    const createProduct = vi.fn(async () => created);
    const store = new ProductsStore({ listProducts, createProduct });
    await store.load('c-1');

    await expect(store.createProduct('c-1', newProduct)).resolves.toEqual(created);
    expect(createProduct).toHaveBeenCalledWith('c-1', newProduct);
    expect(listProducts).toHaveBeenCalledTimes(2);
    expect(store.product('p-9')?.name).toBe('Walnut shelf');
    expect(store.working).toBe(false);
  });

  it('records which change failed, and does not reload after it', async () => {
    const listProducts = vi.fn(async () => catalogue());
    const setStock = vi.fn(async () => {
      throw { kind: 'invalid', message: 'The location is gone.' };
    });
    const store = new ProductsStore({ listProducts, setStock });
    await store.load('c-1');

    const result = await store.setStock('c-1', { localId: 'p-1', locationId: 'gone', onHand: '3', minimum: null });
    expect(result).toBeNull();
    expect(store.actionError).toBeInstanceOf(CommandFailure);
    expect(store.actionError?.message).toBe('The location is gone.');
    expect(store.failedAction).toBe('stock');
    expect(listProducts).toHaveBeenCalledTimes(1);

    store.clearActionError();
    expect(store.actionError).toBeNull();
    expect(store.failedAction).toBeNull();
  });

  it('sets stock, adds, renames and removes locations, reloading after each', async () => {
    const listProducts = vi.fn(async () => catalogue());
    const setStock = vi.fn(async () => product());
    const addLocation = vi.fn(async () => location({ id: 'loc-3', name: 'Van', isDefault: false, products: 0 }));
    const renameLocation = vi.fn(async () => location({ id: 'loc-2', name: 'Shop floor', isDefault: false }));
    const removeLocation = vi.fn(async () => undefined);
    const store = new ProductsStore({ listProducts, setStock, addLocation, renameLocation, removeLocation });
    await store.load('c-1');

    await store.setStock('c-1', { localId: 'p-1', locationId: 'main', onHand: '7', minimum: '2' });
    expect(setStock).toHaveBeenCalledWith('c-1', { localId: 'p-1', locationId: 'main', onHand: '7', minimum: '2' });
    expect((await store.addLocation('c-1', '  Van '))?.id).toBe('loc-3');
    expect(addLocation).toHaveBeenCalledWith('c-1', 'Van');
    expect((await store.renameLocation('c-1', 'loc-2', 'Shop floor'))?.name).toBe('Shop floor');
    expect(renameLocation).toHaveBeenCalledWith('c-1', 'loc-2', 'Shop floor');
    await expect(store.removeLocation('c-1', 'loc-2')).resolves.toBe(true);
    expect(removeLocation).toHaveBeenCalledWith('c-1', 'loc-2');
    expect(listProducts).toHaveBeenCalledTimes(5);
  });

  it('fetches a picker once per company, and again after a failure', async () => {
    const pickerOptions = vi
      .fn<(companyId: string, entityType: string) => Promise<Array<{ id: string; name: string; entityType: string; detail: string | null }>>>()
      .mockRejectedValueOnce({ kind: 'internal', message: 'Busy.' })
      .mockResolvedValue([{ id: '79', name: 'Sales', entityType: 'Account', detail: 'Income' }]);
    const store = new ProductsStore({ listProducts: vi.fn(async () => catalogue()), pickerOptions });
    await store.load('c-1');

    await expect(store.loadPicker('c-1', 'Account')).rejects.toBeInstanceOf(CommandFailure);
    await store.loadPicker('c-1', 'Account');
    await store.loadPicker('c-1', 'Account');
    expect(pickerOptions).toHaveBeenCalledTimes(2);
    expect(store.pickers['Account']?.[0]?.name).toBe('Sales');
  });
});
