import { appInfo, toCommandFailure, type AppInfo, type CommandError } from '../ipc/commands';

export type AppInfoState =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'ready'; info: AppInfo }
  | { status: 'failed'; error: CommandError };

/** Loads the app's version and folders once at start, and again on "Try again". */
export class AppInfoLoader {
  state: AppInfoState = $state({ status: 'idle' });

  readonly info: AppInfo | undefined = $derived(
    this.state.status === 'ready' ? this.state.info : undefined,
  );

  readonly error: CommandError | undefined = $derived(
    this.state.status === 'failed' ? this.state.error : undefined,
  );

  readonly loading: boolean = $derived(this.state.status === 'loading');

  // Each load gets a number so that an older answer arriving late cannot
  // overwrite the answer to a newer request.
  #latestRequest = 0;

  readonly #fetchAppInfo: () => Promise<AppInfo>;

  constructor(fetchAppInfo: () => Promise<AppInfo> = appInfo) {
    this.#fetchAppInfo = fetchAppInfo;
  }

  async load(): Promise<void> {
    const request = ++this.#latestRequest;
    this.state = { status: 'loading' };
    try {
      const info = await this.#fetchAppInfo();
      if (request === this.#latestRequest) {
        this.state = { status: 'ready', info };
      }
    } catch (reason) {
      if (request === this.#latestRequest) {
        const failure = toCommandFailure(reason);
        this.state = { status: 'failed', error: { kind: failure.kind, message: failure.message } };
      }
    }
  }
}

/** The loader the app shell and the Settings page share. */
export const appInfoLoader = new AppInfoLoader();
