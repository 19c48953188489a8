import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';

import { appInfo, CommandFailure, isCommandError, toCommandFailure } from './commands';

afterEach(() => {
  clearMocks();
});

describe('appInfo over a mocked Tauri backend', () => {
  it('invokes app_info with no arguments and returns the camelCase payload', async () => {
    const calls: Array<{ command: string; args: unknown }> = [];
    mockIPC((command, args) => {
      calls.push({ command, args });
      if (command === 'app_info') {
        return { version: '1.4.0', dataDir: 'C:\\Users\\ada\\Ledgerlink', logDir: 'C:\\Users\\ada\\Ledgerlink\\logs' };
      }
      throw new Error(`unexpected command ${command}`);
    });

    await expect(appInfo()).resolves.toEqual({
      version: '1.4.0',
      dataDir: 'C:\\Users\\ada\\Ledgerlink',
      logDir: 'C:\\Users\\ada\\Ledgerlink\\logs',
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.command).toBe('app_info');
  });

  it('rejects with a CommandFailure carrying the backend kind and message', async () => {
    mockIPC(() => {
      // What Tauri hands the webview when a command returns Err(CommandError).
      throw { kind: 'internal', message: 'Ledgerlink cannot create its data folder.' };
    });

    const failure = await appInfo().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(failure).toBeInstanceOf(CommandFailure);
    expect(failure).toMatchObject({
      kind: 'internal',
      message: 'Ledgerlink cannot create its data folder.',
    });
  });

  it('rejects with kind "ipc" when Tauri itself refuses the call', async () => {
    mockIPC(() => {
      throw 'Command app_info not allowed by ACL';
    });

    await expect(appInfo()).rejects.toMatchObject({
      kind: 'ipc',
      message: 'Command app_info not allowed by ACL',
    });
  });
});

describe('toCommandFailure', () => {
  it('keeps a wire error and drops extra fields', () => {
    const failure = toCommandFailure({ kind: 'reconnect_needed', message: 'Reconnect Acme Ltd.', extra: 1 });
    expect(failure.kind).toBe('reconnect_needed');
    expect(failure.message).toBe('Reconnect Acme Ltd.');
    expect(failure).not.toHaveProperty('extra');
  });

  it('returns an existing failure unchanged', () => {
    const original = new CommandFailure({ kind: 'internal', message: 'x' });
    expect(toCommandFailure(original)).toBe(original);
  });

  it('gives a readable message when the rejection carries none', () => {
    for (const reason of [undefined, null, 42, '', { kind: 3 }, new Error('')]) {
      const failure = toCommandFailure(reason);
      expect(failure.kind).toBe('ipc');
      expect(failure.message).toMatch(/could not reach/);
    }
  });

  it('recognises the wire shape', () => {
    expect(isCommandError({ kind: 'internal', message: 'm' })).toBe(true);
    expect(isCommandError({ kind: 'internal' })).toBe(false);
    expect(isCommandError('internal')).toBe(false);
    expect(isCommandError(null)).toBe(false);
  });
});
