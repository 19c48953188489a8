/**
 * For vi.mock of the commands module in component and store tests: every
 * command becomes a vi.fn() (set per test with mockResolvedValue), the
 * event helpers resolve to a no-op unlisten, and the error conversion stays
 * real so failures reach the UI as they would from Rust.
 *
 *   vi.mock('../ipc/commands', async (importOriginal) =>
 *     (await import('../../test/mockCommands')).mockCommands(await importOriginal()));
 */
import { vi } from 'vitest';

const REAL = new Set(['CommandFailure', 'isCommandError', 'toCommandFailure']);

export function mockCommands<T extends object>(original: T): T {
  const source = original as unknown as Record<string, unknown>;
  const mocked: Record<string, unknown> = { ...source };
  for (const [name, value] of Object.entries(source)) {
    if (typeof value === 'function' && !REAL.has(name)) {
      mocked[name] = vi.fn();
    }
  }
  mocked['onCompaniesChanged'] = vi.fn(async () => () => {});
  mocked['onConflictsArrived'] = vi.fn(async () => () => {});
  mocked['onNotificationOpened'] = vi.fn(async () => () => {});
  // The Companies page asks for the overview whenever the list changes;
  // tests that look at it set their own rows.
  mocked['companiesOverview'] = vi.fn(async () => []);
  // Each company card asks for its charts; tests that look at them set their own.
  mocked['companyCharts'] = vi.fn(async () => null);
  return mocked as T;
}

/** A promise the test settles by hand, to look at the state while a command runs. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
