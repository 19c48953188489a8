import { beforeEach, describe, expect, it, vi } from 'vitest';

import { appInfo, CommandFailure, type AppInfo } from '../ipc/commands';
import { AppInfoLoader } from './appInfo.svelte';

// The loader's default source is the commands module; replace just its
// appInfo function and keep the real error conversion.
vi.mock('../ipc/commands', async (importOriginal) => {
  const original = await importOriginal<typeof import('../ipc/commands')>();
  return { ...original, appInfo: vi.fn() };
});

const mockedAppInfo = vi.mocked(appInfo);

const sample: AppInfo = {
  version: '0.3.1',
  dataDir: '/home/ada/.local/share/ledgerlink',
  logDir: '/home/ada/.local/share/ledgerlink/logs',
};

/** A promise the test settles by hand, to observe the loading state. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('AppInfoLoader', () => {
  beforeEach(() => {
    mockedAppInfo.mockReset();
  });

  it('is idle until asked to load', () => {
    const loader = new AppInfoLoader();
    expect(loader.state.status).toBe('idle');
    expect(loader.info).toBeUndefined();
    expect(loader.error).toBeUndefined();
    expect(mockedAppInfo).not.toHaveBeenCalled();
  });

  it('loads through the commands module and exposes the info', async () => {
    const pending = deferred<AppInfo>();
    mockedAppInfo.mockReturnValueOnce(pending.promise);
    const loader = new AppInfoLoader();

    const done = loader.load();
    expect(loader.loading).toBe(true);
    expect(loader.info).toBeUndefined();

    pending.resolve(sample);
    await done;
    expect(mockedAppInfo).toHaveBeenCalledTimes(1);
    expect(loader.loading).toBe(false);
    expect(loader.info).toEqual(sample);
    expect(loader.error).toBeUndefined();
  });

  it('keeps a command error as a plain { kind, message }', async () => {
    mockedAppInfo.mockRejectedValueOnce(
      new CommandFailure({ kind: 'internal', message: 'The data folder cannot be read.' }),
    );
    const loader = new AppInfoLoader();

    await loader.load();
    expect(loader.state.status).toBe('failed');
    expect(loader.error).toEqual({ kind: 'internal', message: 'The data folder cannot be read.' });
    expect(loader.info).toBeUndefined();
  });

  it('converts an unexpected rejection into a command error', async () => {
    mockedAppInfo.mockRejectedValueOnce(new TypeError("Cannot read properties of undefined (reading 'invoke')"));
    const loader = new AppInfoLoader();

    await loader.load();
    expect(loader.error).toEqual({
      kind: 'ipc',
      message: "Cannot read properties of undefined (reading 'invoke')",
    });
  });

  it('recovers on a retry after a failure', async () => {
    mockedAppInfo
      .mockRejectedValueOnce({ kind: 'internal', message: 'Busy.' })
      .mockResolvedValueOnce(sample);
    const loader = new AppInfoLoader();

    await loader.load();
    expect(loader.error?.message).toBe('Busy.');
    await loader.load();
    expect(loader.error).toBeUndefined();
    expect(loader.info).toEqual(sample);
  });

  it('lets the newest request win when answers arrive out of order', async () => {
    const first = deferred<AppInfo>();
    const second = deferred<AppInfo>();
    mockedAppInfo.mockReturnValueOnce(first.promise).mockReturnValueOnce(second.promise);
    const loader = new AppInfoLoader();

    const firstLoad = loader.load();
    const secondLoad = loader.load();
    second.resolve({ ...sample, version: 'newer' });
    await secondLoad;
    first.resolve({ ...sample, version: 'older' });
    await firstLoad;

    expect(loader.info?.version).toBe('newer');
  });

  it('accepts another source of app info', async () => {
    const loader = new AppInfoLoader(() => Promise.resolve(sample));
    await loader.load();
    expect(loader.info).toEqual(sample);
    expect(mockedAppInfo).not.toHaveBeenCalled();
  });
});
