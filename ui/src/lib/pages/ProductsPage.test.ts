import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import * as commands from '../ipc/commands';
import type { Catalogue, CompanySummary } from '../ipc/commands';
import { catalogue, company, location, product } from '../../test/fixtures';
import { deferred } from '../../test/mockCommands';
import { CompaniesStore } from '../stores/companies.svelte';
import { Navigation } from '../stores/navigation.svelte';
import { ProductsStore } from '../stores/products.svelte';
import { SyncStore } from '../stores/sync.svelte';
import ProductsPage from './ProductsPage.svelte';

vi.mock('../ipc/commands', async (importOriginal) =>
  (await import('../../test/mockCommands')).mockCommands(await importOriginal<typeof import('../ipc/commands')>()),
);

const mocked = vi.mocked(commands);
let listed: CompanySummary[] = [];
let current: Catalogue = catalogue();

async function renderPage() {
  const companies = new CompaniesStore({}, new SyncStore());
  await companies.load();
  const store = new ProductsStore();
  const navigation = new Navigation('products');
  render(ProductsPage, { companies, store, navigation });
  return { companies, store, navigation };
}

function rows(): HTMLElement[] {
  return screen.queryAllByTestId('products-row');
}

function row(name: string): HTMLElement {
  const found = rows().find((item) => item.dataset['name'] === name);
  if (!found) throw new Error(`no row ${name}`);
  return found;
}

function stockRow(locationName: string): HTMLElement {
  const found = screen.getAllByTestId('stock-row').find((item) => item.dataset['location'] === locationName);
  if (!found) throw new Error(`no stock row ${locationName}`);
  return found;
}

beforeEach(() => {
  listed = [company()];
  current = catalogue();
  localStorage.clear();
  mocked.listCompanies.mockImplementation(async () => listed);
  mocked.listProducts.mockImplementation(async () => current);
  mocked.pickerOptions.mockImplementation(async (_id, entityType) =>
    entityType === 'Account'
      ? [
          { id: '79', name: 'Sales of product income', entityType: 'Account', detail: 'Income' },
          { id: '80', name: 'Cost of goods sold', entityType: 'Account', detail: 'Cost of Goods Sold' },
          { id: '81', name: 'Inventory asset', entityType: 'Account', detail: 'Other Current Asset' },
        ]
      : [{ id: '5', name: 'Furniture', entityType: 'Item', detail: 'Category' }],
  );
});

afterEach(() => {
  vi.clearAllMocks();
});

describe('the Products page', () => {
  it('asks for a company when there is none', async () => {
    listed = [];
    await renderPage();
    expect(screen.getByText('No products to show')).toBeTruthy();
    expect(screen.queryByTestId('products-page')).toBeNull();
    expect(mocked.listProducts).not.toHaveBeenCalled();
  });

  it('says it is loading, then lists the catalogue with the low products marked in words', async () => {
    const answer = deferred<Catalogue>();
    mocked.listProducts.mockReturnValueOnce(answer.promise);
    await renderPage();
    expect(screen.getByText('Loading the catalogue…')).toBeTruthy();

    answer.resolve(catalogue());
    const table = await screen.findByTestId('products-table');
    expect(mocked.listProducts).toHaveBeenCalledWith('c-1');
    expect(rows().map((item) => item.dataset['name'])).toEqual(['Oak desk', 'Desk lamp', 'Assembly']);
    expect(rows().map((item) => item.dataset['low'])).toEqual(['false', 'true', 'false']);
    expect(within(row('Desk lamp')).getByText('Low')).toBeTruthy();
    expect(within(row('Oak desk')).queryByText('Low')).toBeNull();
    // The default location's quantity and minimum, and why it may not be exact.
    expect(within(table).getByRole('columnheader', { name: 'At Main warehouse' })).toBeTruthy();
    expect(row('Desk lamp').textContent).toContain('An invoice edited here waits to reach QuickBooks');
    expect(row('Oak desk').textContent).toContain('450.00');
    expect(row('Assembly').textContent).toContain('No quantity');
  });

  it('shows the notices as warnings at the top', async () => {
    current = catalogue({ notices: ['Categories are switched off in QuickBooks: turn them on to sync them.'] });
    await renderPage();
    const notice = await screen.findByTestId('products-notice');
    expect(notice.textContent).toContain('Warning:');
    expect(notice.textContent).toContain('Categories are switched off in QuickBooks');
  });

  it('filters by search and by kind', async () => {
    const user = userEvent.setup();
    await renderPage();
    await screen.findByTestId('products-table');

    await user.type(screen.getByTestId('products-search'), 'lmp');
    expect(rows().map((item) => item.dataset['name'])).toEqual(['Desk lamp']);
    expect(screen.getByTestId('products-count').textContent).toContain('1 of 3');

    await user.clear(screen.getByTestId('products-search'));
    await user.selectOptions(screen.getByTestId('products-kind'), 'service');
    expect(rows().map((item) => item.dataset['name'])).toEqual(['Assembly']);

    await user.selectOptions(screen.getByTestId('products-kind'), '');
    await user.click(screen.getByTestId('products-low-only'));
    expect(rows().map((item) => item.dataset['name'])).toEqual(['Desk lamp']);
  });

  it('disables New product while QuickBooks is the product master, and says why', async () => {
    const user = userEvent.setup();
    current = catalogue({
      settings: { productMaster: 'quickbooks', defaultLocationId: 'main', minimumQuantity: '0', nonInventoryQuantity: '0' },
    });
    const { navigation } = await renderPage();
    const button = (await screen.findByTestId('products-new')) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    const note = screen.getByTestId('products-master-note');
    expect(note.textContent).toContain('Products are created in QuickBooks and arrive here with the next sync');
    expect(button.getAttribute('aria-describedby')).toBe(note.id);

    await user.click(screen.getByTestId('products-open-settings'));
    expect(navigation.current).toBe('settings');
  });

  it('creates a product with the typed values once the form is right', async () => {
    const user = userEvent.setup();
    const created = product({ localId: 'p-9', name: 'Walnut shelf', sku: 'SH-1', onHand: '4' });
    mocked.createProduct.mockImplementation(async () => {
      current = catalogue({ products: [...catalogue().products, created] });
      return created;
    });
    await renderPage();
    await user.click(await screen.findByTestId('products-new'));
    expect(screen.getByTestId('product-form')).toBeTruthy();

    // Nothing is sent while the name is missing or a price is not a number.
    await user.type(screen.getByTestId('product-price'), '12,50');
    await user.click(screen.getByTestId('product-save'));
    expect(mocked.createProduct).not.toHaveBeenCalled();
    expect(screen.getByTestId('product-name').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByTestId('product-price').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(screen.getByTestId('product-name'));

    await user.type(screen.getByTestId('product-name'), 'Walnut shelf');
    await user.selectOptions(screen.getByTestId('product-kind'), 'product');
    await user.type(screen.getByTestId('product-sku'), 'SH-1');
    await user.clear(screen.getByTestId('product-price'));
    await user.type(screen.getByTestId('product-price'), '80.50');
    await user.type(screen.getByTestId('product-opening'), '4');
    await vi.waitFor(() =>
      expect(within(screen.getByTestId('product-income-account')).getByRole('option', { name: /Sales of product income/ })).toBeTruthy(),
    );
    await user.selectOptions(screen.getByTestId('product-income-account'), '79');
    await user.selectOptions(screen.getByTestId('product-asset-account'), '81');
    await user.selectOptions(screen.getByTestId('product-category'), '5');
    await user.click(screen.getByTestId('product-taxable'));
    await user.click(screen.getByTestId('product-save'));

    expect(mocked.createProduct).toHaveBeenCalledWith('c-1', {
      name: 'Walnut shelf',
      kind: 'product',
      sku: 'SH-1',
      description: null,
      salesPrice: '80.50',
      purchaseCost: null,
      incomeAccountId: '79',
      expenseAccountId: null,
      assetAccountId: '81',
      categoryId: '5',
      taxable: true,
      openingQuantity: '4',
    });
    expect((await screen.findByTestId('products-created')).textContent).toContain('Walnut shelf');
    expect(screen.queryByTestId('product-form')).toBeNull();
    expect(row('Walnut shelf')).toBeTruthy();
    expect(within(screen.getByTestId('product-detail')).getByRole('heading', { name: 'Walnut shelf' })).toBeTruthy();
  });

  it('shows only the fields a kind has', async () => {
    const user = userEvent.setup();
    await renderPage();
    await user.click(await screen.findByTestId('products-new'));
    expect(screen.getByTestId('product-opening')).toBeTruthy();
    await user.selectOptions(screen.getByTestId('product-kind'), 'service');
    expect(screen.queryByTestId('product-opening')).toBeNull();
    expect(screen.queryByTestId('product-asset-account')).toBeNull();
    await user.selectOptions(screen.getByTestId('product-kind'), 'category');
    expect(screen.queryByTestId('product-price')).toBeNull();
  });

  it('opens a product from the keyboard and saves its stock at a location', async () => {
    const user = userEvent.setup();
    mocked.setStock.mockImplementation(async () => product());
    await renderPage();
    await screen.findByTestId('products-table');

    // Tab reaches the first row; the arrow keys move; Enter opens.
    row('Oak desk').focus();
    await user.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(row('Desk lamp'));
    await user.keyboard('{Enter}');
    const detail = screen.getByTestId('product-detail');
    expect(within(detail).getByRole('heading', { name: 'Desk lamp' })).toBeTruthy();
    expect(row('Desk lamp').getAttribute('aria-selected')).toBe('true');

    expect(screen.getAllByTestId('stock-row').map((item) => item.dataset['location'])).toEqual([
      'Main warehouse',
      'Back store',
    ]);
    expect(stockRow('Main warehouse').textContent).toContain('(mirrors QuickBooks)');
    expect(stockRow('Back store').textContent).not.toContain('(mirrors QuickBooks)');
    expect(within(stockRow('Main warehouse')).getByText('Low')).toBeTruthy();
    const onHand = within(stockRow('Back store')).getByTestId('stock-on-hand') as HTMLInputElement;
    expect(onHand.value).toBe('2');

    await user.clear(onHand);
    await user.type(onHand, 'lots');
    await user.click(within(stockRow('Back store')).getByTestId('stock-save'));
    expect(mocked.setStock).not.toHaveBeenCalled();
    expect(onHand.getAttribute('aria-invalid')).toBe('true');

    await user.clear(onHand);
    await user.type(onHand, '6');
    await user.type(within(stockRow('Back store')).getByTestId('stock-minimum'), '2.5');
    await user.click(within(stockRow('Back store')).getByTestId('stock-save'));
    expect(mocked.setStock).toHaveBeenCalledWith('c-1', { localId: 'p-2', locationId: 'loc-2', onHand: '6', minimum: '2.5' });
    expect(await within(stockRow('Back store')).findByTestId('stock-saved')).toBeTruthy();
    expect(mocked.listProducts).toHaveBeenCalledTimes(2);

    await user.click(within(detail).getByTestId('product-close'));
    expect(screen.queryByTestId('product-detail')).toBeNull();
    expect(document.activeElement).toBe(row('Desk lamp'));
  });

  it('opens a product with a click and shows why its quantity may not be exact', async () => {
    const user = userEvent.setup();
    await renderPage();
    await user.click(await screen.findByText('Desk lamp'));
    expect(screen.getByTestId('product-note').textContent).toContain('An invoice edited here');
    await user.click(row('Assembly'));
    expect(screen.getByTestId('product-detail').textContent).toContain('Service entries have no quantity.');
    expect(screen.queryAllByTestId('stock-row')).toHaveLength(0);
  });

  it('lists the products that are not synced, each with its reason', async () => {
    current = catalogue({
      unsynced: [
        {
          localId: 'p-7',
          name: 'Pine stool',
          createdIn: 'quickbooks',
          reason: 'Created in QuickBooks, but Ledgerlink is the product master.',
        },
      ],
    });
    await renderPage();
    const section = await screen.findByTestId('products-unsynced');
    const entries = within(section).getAllByTestId('unsynced-row');
    expect(entries).toHaveLength(1);
    expect(entries[0]?.textContent).toContain('Pine stool');
    expect(entries[0]?.textContent).toContain('Created in QuickBooks');
    expect(entries[0]?.textContent).toContain('Ledgerlink is the product master');
  });

  it('adds, renames and removes locations; the default one cannot be removed', async () => {
    const user = userEvent.setup();
    mocked.addLocation.mockImplementation(async (_id, name) => {
      const added = location({ id: 'loc-3', name, isDefault: false, products: 0 });
      current = { ...current, locations: [...current.locations, added] };
      return added;
    });
    mocked.renameLocation.mockImplementation(async (_id, locationId, name) => {
      current = {
        ...current,
        locations: current.locations.map((item) => (item.id === locationId ? { ...item, name } : item)),
      };
      return location({ id: locationId, name, isDefault: false });
    });
    mocked.removeLocation.mockImplementation(async (_id, locationId) => {
      current = { ...current, locations: current.locations.filter((item) => item.id !== locationId) };
    });
    await renderPage();
    await screen.findByTestId('products-table');

    const names = () => screen.getAllByTestId('location-row').map((item) => item.dataset['location']);
    expect(names()).toEqual(['Main warehouse', 'Back store']);
    const main = screen.getAllByTestId('location-row')[0] as HTMLElement;
    expect(within(main).queryByTestId('location-remove')).toBeNull();
    expect(main.textContent).toContain('Cannot be removed: it holds QuickBooks’ quantity');

    // An existing name is refused before anything is sent.
    await user.type(screen.getByTestId('location-name'), 'back store');
    await user.click(screen.getByTestId('location-add'));
    expect(mocked.addLocation).not.toHaveBeenCalled();
    await user.clear(screen.getByTestId('location-name'));
    await user.type(screen.getByTestId('location-name'), 'Van');
    await user.click(screen.getByTestId('location-add'));
    expect(mocked.addLocation).toHaveBeenCalledWith('c-1', 'Van');
    await vi.waitFor(() => expect(names()).toEqual(['Main warehouse', 'Back store', 'Van']));
    expect((screen.getByTestId('location-name') as HTMLInputElement).value).toBe('');

    const back = () => screen.getAllByTestId('location-row').find((item) => item.dataset['location'] !== 'Main warehouse') as HTMLElement;
    await user.click(within(back()).getByTestId('location-rename'));
    const input = screen.getByTestId('location-rename-name');
    await user.clear(input);
    await user.type(input, 'Shop floor{Enter}');
    expect(mocked.renameLocation).toHaveBeenCalledWith('c-1', 'loc-2', 'Shop floor');
    await vi.waitFor(() => expect(names()).toEqual(['Main warehouse', 'Shop floor', 'Van']));

    await user.click(within(back()).getByTestId('location-remove'));
    expect(screen.getByTestId('confirm-dialog').textContent).toContain('Remove Shop floor?');
    await user.click(screen.getByTestId('confirm-ok'));
    expect(mocked.removeLocation).toHaveBeenCalledWith('c-1', 'loc-2');
    await vi.waitFor(() => expect(names()).toEqual(['Main warehouse', 'Van']));
    expect(screen.queryByTestId('confirm-dialog')).toBeNull();
  });

  it('shows a failed change where it was made', async () => {
    const user = userEvent.setup();
    mocked.removeLocation.mockRejectedValue({ kind: 'invalid', message: 'Back store still has stock of 1 product.' });
    await renderPage();
    await screen.findByTestId('products-table');
    const back = screen.getAllByTestId('location-row')[1] as HTMLElement;
    await user.click(within(back).getByTestId('location-remove'));
    await user.click(screen.getByTestId('confirm-ok'));
    const alert = await within(screen.getByTestId('locations-panel')).findByTestId('error-alert');
    expect(alert.textContent).toContain('Back store still has stock of 1 product.');
  });
});
