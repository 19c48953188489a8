import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { CommandFailure, type AppInfo } from '../ipc/commands';
import { AppInfoLoader } from '../stores/appInfo.svelte';
import SettingsPage from './SettingsPage.svelte';

const info: AppInfo = {
  version: '2.0.7',
  dataDir: '/Users/ada/Library/Application Support/app.ledgerlink.desktop',
  logDir: '/Users/ada/Library/Logs/app.ledgerlink.desktop',
};

describe('SettingsPage', () => {
  it('shows the version, the data folder and the logs folder', async () => {
    const loader = new AppInfoLoader(() => Promise.resolve(info));
    await loader.load();
    render(SettingsPage, { props: { loader } });

    expect(screen.getByTestId('settings-version').textContent).toBe('2.0.7');
    expect(screen.getByTestId('settings-data-dir').textContent).toBe(info.dataDir);
    expect(screen.getByTestId('settings-log-dir').textContent).toBe(info.logDir);
    expect(screen.getByText('Data folder')).toBeTruthy();
    expect(screen.getByText('Logs folder')).toBeTruthy();
    expect(screen.queryByTestId('error-alert')).toBeNull();
  });

  it('says it is loading while the answer is pending', () => {
    const loader = new AppInfoLoader(() => new Promise<AppInfo>(() => {}));
    void loader.load();
    render(SettingsPage, { props: { loader } });

    expect(screen.getByText('Loading…')).toBeTruthy();
    expect(screen.queryByTestId('settings-version')).toBeNull();
  });

  it('shows the error message and loads again on "Try again"', async () => {
    const user = userEvent.setup();
    const fetchInfo = vi
      .fn<() => Promise<AppInfo>>()
      .mockRejectedValueOnce(new CommandFailure({ kind: 'internal', message: 'The logs folder is not writable.' }))
      .mockResolvedValueOnce(info);
    const loader = new AppInfoLoader(fetchInfo);
    await loader.load();
    render(SettingsPage, { props: { loader } });

    expect(screen.getByTestId('error-alert').textContent).toContain('The logs folder is not writable.');
    expect(screen.queryByTestId('settings-version')).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(fetchInfo).toHaveBeenCalledTimes(2);
    expect((await screen.findByTestId('settings-version')).textContent).toBe('2.0.7');
    expect(screen.queryByTestId('error-alert')).toBeNull();
  });
});
