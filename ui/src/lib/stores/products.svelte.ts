/**
 * The Products page: the selected company's catalogue (its product
 * settings, stock locations, products with their stock, and the products
 * not synced), and the changes made from the page: a new product, a stock
 * level, a location added, renamed or removed.
 *
 * After every change the whole catalogue is read again rather than patched
 * here: one change can move several figures (totals, the low-stock marks,
 * a location's product count), and the Rust side is the one that knows them.
 */
import {
  addLocation,
  createProduct,
  listProducts,
  pickerOptions,
  removeLocation,
  renameLocation,
  setStock,
  toCommandFailure,
  type Catalogue,
  type CommandFailure,
  type LocationView,
  type NewProduct,
  type PickerOption,
  type ProductView,
  type StockInput,
} from '../ipc/commands';

/** The functions the store calls; tests may pass fakes. */
export interface ProductCommands {
  listProducts: typeof listProducts;
  createProduct: typeof createProduct;
  setStock: typeof setStock;
  addLocation: typeof addLocation;
  renameLocation: typeof renameLocation;
  removeLocation: typeof removeLocation;
  pickerOptions: typeof pickerOptions;
}

/** The change that failed, so the page shows its error where it was made. */
export type ProductAction = 'create' | 'stock' | 'location';

const defaultCommands: ProductCommands = {
  listProducts,
  createProduct,
  setStock,
  addLocation,
  renameLocation,
  removeLocation,
  pickerOptions,
};

export class ProductsStore {
  /** The catalogue of `companyId`, or null until it has arrived. */
  catalogue = $state.raw<Catalogue | null>(null);
  companyId = $state<string | null>(null);
  loading = $state(false);
  /** Reading the catalogue failed. */
  error = $state<CommandFailure | null>(null);
  /** A change is on its way. */
  working = $state(false);
  /** The last change failed: which one, and why. */
  actionError = $state<CommandFailure | null>(null);
  failedAction = $state<ProductAction | null>(null);
  /** Picker choices (accounts, categories) by entity type, for `companyId`. */
  pickers = $state.raw<Record<string, PickerOption[]>>({});

  readonly #commands: ProductCommands;
  // Answers to an older request (another company, an earlier reload) are dropped.
  #request = 0;
  #pickerRequests = new Map<string, Promise<PickerOption[]>>();

  constructor(commands: Partial<ProductCommands> = {}) {
    this.#commands = { ...defaultCommands, ...commands };
  }

  /** The product with this local id in the catalogue, if any. */
  product(localId: string | null): ProductView | null {
    if (localId === null) return null;
    return this.catalogue?.products.find((product) => product.localId === localId) ?? null;
  }

  /** Reads the company's catalogue; another company's catalogue and choices are dropped first. */
  async load(companyId: string): Promise<void> {
    if (companyId !== this.companyId) {
      this.companyId = companyId;
      this.catalogue = null;
      this.pickers = {};
      this.#pickerRequests.clear();
      this.error = null;
      this.clearActionError();
    }
    const request = ++this.#request;
    this.loading = true;
    try {
      const catalogue = await this.#commands.listProducts(companyId);
      if (request !== this.#request) return;
      this.catalogue = catalogue;
      this.error = null;
    } catch (reason) {
      if (request === this.#request) this.error = toCommandFailure(reason);
    } finally {
      if (request === this.#request) this.loading = false;
    }
  }

  /** The choices of a picker, fetched once per company. */
  async loadPicker(companyId: string, entityType: string): Promise<PickerOption[]> {
    const known = this.#pickerRequests.get(entityType);
    if (known !== undefined && companyId === this.companyId) return known;
    const request = this.#commands.pickerOptions(companyId, entityType).then(
      (options) => {
        if (companyId === this.companyId) this.pickers = { ...this.pickers, [entityType]: options };
        return options;
      },
      (reason: unknown) => {
        // A failed list can be asked for again; the picker shows it empty meanwhile.
        this.#pickerRequests.delete(entityType);
        throw toCommandFailure(reason);
      },
    );
    this.#pickerRequests.set(entityType, request);
    return request;
  }

  clearActionError(): void {
    this.actionError = null;
    this.failedAction = null;
  }

  async createProduct(companyId: string, product: NewProduct): Promise<ProductView | null> {
    return this.#change(companyId, 'create', () => this.#commands.createProduct(companyId, product));
  }

  async setStock(companyId: string, stock: StockInput): Promise<ProductView | null> {
    return this.#change(companyId, 'stock', () => this.#commands.setStock(companyId, stock));
  }

  async addLocation(companyId: string, name: string): Promise<LocationView | null> {
    return this.#change(companyId, 'location', () => this.#commands.addLocation(companyId, name.trim()));
  }

  async renameLocation(companyId: string, locationId: string, name: string): Promise<LocationView | null> {
    return this.#change(companyId, 'location', () => this.#commands.renameLocation(companyId, locationId, name.trim()));
  }

  /** True once removed. */
  async removeLocation(companyId: string, locationId: string): Promise<boolean> {
    const done = await this.#change(companyId, 'location', async () => {
      await this.#commands.removeLocation(companyId, locationId);
      return true;
    });
    return done === true;
  }

  /** Runs one change, records its failure, and reads the catalogue again after a success. */
  async #change<T>(companyId: string, action: ProductAction, run: () => Promise<T>): Promise<T | null> {
    this.working = true;
    this.clearActionError();
    try {
      const result = await run();
      await this.load(companyId);
      return result;
    } catch (reason) {
      this.actionError = toCommandFailure(reason);
      this.failedAction = action;
      return null;
    } finally {
      this.working = false;
    }
  }
}

/** The store the app shares (the Products page, and the locations in Settings). */
export const productsStore = new ProductsStore();
