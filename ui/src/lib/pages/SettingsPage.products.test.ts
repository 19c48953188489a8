import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import * as commands from '../ipc/commands';
import type { CompanySettings } from '../ipc/commands';
import { catalogue, company, companySettings } from '../../test/fixtures';
import { AppInfoLoader } from '../stores/appInfo.svelte';
import { CompaniesStore } from '../stores/companies.svelte';
import { ProductsStore } from '../stores/products.svelte';
import { SettingsStore } from '../stores/settings.svelte';
import { SyncStore } from '../stores/sync.svelte';
import SettingsPage from './SettingsPage.svelte';

vi.mock('../ipc/commands', async (importOriginal) =>
  (await import('../../test/mockCommands')).mockCommands(await importOriginal<typeof import('../ipc/commands')>()),
);

const mocked = vi.mocked(commands);

async function renderPage() {
  const companies = new CompaniesStore({}, new SyncStore());
  await companies.load();
  const loader = new AppInfoLoader(() => new Promise(() => {}));
  render(SettingsPage, { loader, companies, settings: new SettingsStore(), products: new ProductsStore() });
}

beforeEach(() => {
  localStorage.clear();
  mocked.listCompanies.mockResolvedValue([company()]);
  mocked.demoAddress.mockResolvedValue(null);
  mocked.getCompanySettings.mockResolvedValue(companySettings());
  mocked.listProducts.mockResolvedValue(catalogue());
  mocked.saveCompanySettings.mockImplementation(async (_id: string, settings: CompanySettings) => settings);
});

afterEach(() => {
  vi.clearAllMocks();
});

describe('the products settings', () => {
  it('explains each setting and offers the catalogue’s locations', async () => {
    await renderPage();
    const master = (await screen.findByTestId('settings-product-master')) as HTMLSelectElement;
    expect(master.value).toBe('quickbooks');
    expect(screen.getByRole('group', { name: 'Products and stock' })).toBeTruthy();
    expect(screen.getByText(/Products are created only on this side; one created on the other side is listed as not synced/)).toBeTruthy();
    expect(screen.getByText(/QuickBooks has no locations: its quantity is kept at this location/)).toBeTruthy();

    const locations = screen.getByTestId('settings-default-location') as HTMLSelectElement;
    await vi.waitFor(() =>
      expect(within(locations).getAllByRole('option').map((option) => option.textContent?.trim())).toEqual([
        'Main warehouse',
        'Back store',
      ]),
    );
    expect(locations.value).toBe('main');
    expect(mocked.listProducts).toHaveBeenCalledWith('c-1');
    expect(screen.getByLabelText('Minimum quantity for products from QuickBooks')).toBeTruthy();
    expect(screen.getByLabelText('Quantity for non-inventory items from QuickBooks')).toBeTruthy();
  });

  it('refuses quantities that are not decimals, then saves the products settings with the rest', async () => {
    const user = userEvent.setup();
    await renderPage();
    await screen.findByTestId('settings-product-master');
    await vi.waitFor(() => expect(screen.getByRole('option', { name: 'Back store' })).toBeTruthy());

    await user.selectOptions(screen.getByTestId('settings-product-master'), 'ledgerlink');
    await user.selectOptions(screen.getByTestId('settings-default-location'), 'loc-2');
    const minimum = screen.getByTestId('settings-minimum-quantity');
    await user.clear(minimum);
    await user.type(minimum, 'five');
    await user.click(screen.getByTestId('settings-company-save'));
    expect(mocked.saveCompanySettings).not.toHaveBeenCalled();
    expect(minimum.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/"five" is not a number/)).toBeTruthy();

    await user.clear(minimum);
    await user.type(minimum, '2.50');
    const nonInventory = screen.getByTestId('settings-non-inventory-quantity');
    await user.clear(nonInventory);
    await user.type(nonInventory, '10');
    await user.click(screen.getByTestId('settings-company-save'));

    expect(mocked.saveCompanySettings).toHaveBeenCalledWith('c-1', {
      syncIntervalMinutes: 15,
      autoCreateParties: true,
      reviewBeforeSending: false,
      products: { productMaster: 'ledgerlink', defaultLocationId: 'loc-2', minimumQuantity: '2.50', nonInventoryQuantity: '10' },
    });
    expect(await screen.findByTestId('settings-company-saved')).toBeTruthy();
  });
});
