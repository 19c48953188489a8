/**
 * Settings: the selected company's sync settings and the app's theme. The
 * theme is applied as a data-theme attribute on the root element, which
 * app.css honours; "system" removes it so the OS decides.
 */
import { amountProblem, decimalOrNull } from '../products/catalogue';
import {
  getAppSettings,
  getCompanySettings,
  openLogsFolder,
  saveAppSettings,
  saveCompanySettings,
  toCommandFailure,
  type AppSettings,
  type CommandFailure,
  type CompanySettings,
  type ProductMaster,
} from '../ipc/commands';

export type Theme = AppSettings['theme'];

/** The shortest sync interval the app allows, in minutes. */
export const MIN_SYNC_INTERVAL = 5;

/** Where the theme is remembered so it applies before the app settings arrive. */
export const THEME_KEY = 'ledgerlink.theme';

export function isTheme(value: unknown): value is Theme {
  return value === 'system' || value === 'light' || value === 'dark';
}

/** Sets data-theme on the root element ("system": none, so the OS decides). */
export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  if (theme === 'system') {
    delete root.dataset['theme'];
  } else {
    root.dataset['theme'] = theme;
  }
  try {
    globalThis.localStorage?.setItem(THEME_KEY, theme);
  } catch {
    // Without storage the theme applies once the app settings load.
  }
}

/** The theme remembered from the last run, or "system". */
export function rememberedTheme(): Theme {
  try {
    const value = globalThis.localStorage?.getItem(THEME_KEY);
    return isTheme(value) ? value : 'system';
  } catch {
    return 'system';
  }
}

/** The company settings form as typed. */
export interface CompanySettingsForm {
  syncIntervalMinutes: string;
  autoCreateParties: boolean;
  reviewBeforeSending: boolean;
  productMaster: ProductMaster;
  defaultLocationId: string;
  minimumQuantity: string;
  nonInventoryQuantity: string;
}

export function toForm(settings: CompanySettings): CompanySettingsForm {
  return {
    syncIntervalMinutes: String(settings.syncIntervalMinutes),
    autoCreateParties: settings.autoCreateParties,
    reviewBeforeSending: settings.reviewBeforeSending === true,
    productMaster: settings.products.productMaster,
    defaultLocationId: settings.products.defaultLocationId,
    minimumQuantity: settings.products.minimumQuantity,
    nonInventoryQuantity: settings.products.nonInventoryQuantity,
  };
}

/**
 * Problems by field (`syncIntervalMinutes`,
 * `minimumQuantity`, `nonInventoryQuantity`); empty when the form can be saved.
 */
export function checkCompanySettings(form: CompanySettingsForm): Record<string, string> {
  const problems: Record<string, string> = {};
  const interval = form.syncIntervalMinutes.trim();
  if (!/^\d+$/.test(interval)) {
    problems['syncIntervalMinutes'] = 'Type a whole number of minutes, 5 or more.';
  } else if (Number(interval) < MIN_SYNC_INTERVAL) {
    problems['syncIntervalMinutes'] = `Sync at most every ${MIN_SYNC_INTERVAL} minutes: QuickBooks limits how often the app may ask.`;
  }
  for (const key of ['minimumQuantity', 'nonInventoryQuantity'] as const) {
    const problem = amountProblem(form[key], true);
    if (problem !== null) problems[key] = problem;
  }
  return problems;
}

export function fromForm(form: CompanySettingsForm): CompanySettings {
  return {
    syncIntervalMinutes: Number(form.syncIntervalMinutes.trim()),
    autoCreateParties: form.autoCreateParties,
    reviewBeforeSending: form.reviewBeforeSending,
    products: {
      productMaster: form.productMaster,
      defaultLocationId: form.defaultLocationId,
      minimumQuantity: decimalOrNull(form.minimumQuantity) ?? '0',
      nonInventoryQuantity: decimalOrNull(form.nonInventoryQuantity) ?? '0',
    },
  };
}

/** The functions the store calls; tests may pass fakes. */
export interface SettingsCommands {
  getCompanySettings: typeof getCompanySettings;
  saveCompanySettings: typeof saveCompanySettings;
  getAppSettings: typeof getAppSettings;
  saveAppSettings: typeof saveAppSettings;
  openLogsFolder: typeof openLogsFolder;
}

const defaultCommands: SettingsCommands = {
  getCompanySettings,
  saveCompanySettings,
  getAppSettings,
  saveAppSettings,
  openLogsFolder,
};

export class SettingsStore {
  theme = $state<Theme>(rememberedTheme());
  /** The app settings as last read or saved (the relay address, the own keys). */
  app = $state.raw<AppSettings | null>(null);
  savedApp = $state(false);
  company = $state.raw<CompanySettings | null>(null);
  companyId = $state<string | null>(null);
  error = $state<CommandFailure | null>(null);
  companyError = $state<CommandFailure | null>(null);
  savedCompany = $state(false);

  readonly #commands: SettingsCommands;

  constructor(commands: Partial<SettingsCommands> = {}) {
    this.#commands = { ...defaultCommands, ...commands };
  }

  /** Reads the app settings and applies the theme; without a backend the remembered theme stays. */
  async loadApp(): Promise<void> {
    try {
      const settings = await this.#commands.getAppSettings();
      this.app = settings;
      if (isTheme(settings.theme)) {
        this.theme = settings.theme;
        applyTheme(settings.theme);
      }
    } catch {
      applyTheme(this.theme);
    }
  }

  async setTheme(theme: Theme): Promise<void> {
    this.theme = theme;
    applyTheme(theme);
    try {
      this.app = await this.#commands.saveAppSettings({ ...(this.app ?? emptyAppSettings()), theme });
      this.error = null;
    } catch (reason) {
      this.error = toCommandFailure(reason);
    }
  }

  /** Saves the relay address set here (empty: the one this build came with). */
  async saveRelay(relayUrl: string): Promise<boolean> {
    this.savedApp = false;
    try {
      const trimmed = relayUrl.trim();
      this.app = await this.#commands.saveAppSettings({
        ...(this.app ?? emptyAppSettings()),
        theme: this.theme,
        relayUrl: trimmed === '' ? null : trimmed,
      });
      this.error = null;
      this.savedApp = true;
      return true;
    } catch (reason) {
      this.error = toCommandFailure(reason);
      return false;
    }
  }

  async loadCompany(companyId: string): Promise<void> {
    this.companyId = companyId;
    this.company = null;
    this.savedCompany = false;
    try {
      const settings = await this.#commands.getCompanySettings(companyId);
      if (this.companyId === companyId) {
        this.company = settings;
        this.companyError = null;
      }
    } catch (reason) {
      this.companyError = toCommandFailure(reason);
    }
  }

  async saveCompany(companyId: string, settings: CompanySettings): Promise<boolean> {
    this.savedCompany = false;
    try {
      this.company = await this.#commands.saveCompanySettings(companyId, settings);
      this.companyError = null;
      this.savedCompany = true;
      return true;
    } catch (reason) {
      this.companyError = toCommandFailure(reason);
      return false;
    }
  }

  async openLogs(): Promise<void> {
    try {
      await this.#commands.openLogsFolder();
      this.error = null;
    } catch (reason) {
      this.error = toCommandFailure(reason);
    }
  }
}

/** The store the app shares. */
export const settingsStore = new SettingsStore();

/** App settings before any were read: nothing set beyond the theme. */
function emptyAppSettings(): AppSettings {
  return {
    theme: 'system',
    relayUrl: null,
    effectiveRelayUrl: null,
    quickbooksApiUrl: null,
    ownKeys: null,
    ownKeysRedirectUri: '',
  };
}
