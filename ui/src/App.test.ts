import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import App from './App.svelte';
import { pages } from './lib/pages/lazy';
import { AppInfoLoader } from './lib/stores/appInfo.svelte';
import { Navigation } from './lib/stores/navigation.svelte';

const backendInfo = {
  version: '0.9.2',
  dataDir: '/home/ada/.local/share/app.ledgerlink.desktop',
  logDir: '/home/ada/.local/share/app.ledgerlink.desktop/logs',
};

/** A mocked Rust side that answers app_info (and an empty company list) and counts the calls. */
function mockBackend(answer: () => unknown): { calls: string[] } {
  const calls: string[] = [];
  mockIPC((command) => {
    calls.push(command);
    if (command === 'app_info') {
      return answer();
    }
    if (command === 'list_companies') {
      return [];
    }
    throw { kind: 'internal', message: `No mock for ${command}` };
  });
  return { calls };
}

function renderApp() {
  const navigation = new Navigation();
  const loader = new AppInfoLoader();
  render(App, { props: { navigation, loader } });
  return { navigation, loader };
}

// The app loads the pages after its first screen; here they are loaded
// (and compiled, which takes seconds on a busy machine) before the tests,
// so that each test's waits are about the page, not the compiler.
beforeAll(async () => {
  await Promise.all(Object.values(pages).map((load) => load()));
}, 120_000);

afterEach(() => {
  clearMocks();
});

describe('App frame', () => {
  it('opens on Companies with the welcome (no companies yet) and the status bar', async () => {
    mockBackend(() => backendInfo);
    renderApp();

    expect(screen.getByTestId('page-title').textContent).toBe('Companies');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Companies');
    expect(await screen.findByTestId('welcome-try-demo')).toBeTruthy();

    const statusBar = screen.getByTestId('status-bar');
    expect(statusBar.textContent).toContain('Not connected');
    await within(statusBar).findByText('Ledgerlink 0.9.2');
  });

  it('shows each section under its own heading when chosen in the navigation', async () => {
    const user = userEvent.setup();
    mockBackend(() => backendInfo);
    renderApp();

    const expectations: Array<[string, string, string]> = [
      ['nav-records', 'Records', 'No records to show'],
      ['nav-products', 'Products', 'No products to show'],
      ['nav-conflicts', 'Conflicts', 'No conflicts'],
      ['nav-history', 'History', 'No sync history yet'],
      ['nav-companies', 'Companies', 'Try the demo company'],
    ];
    for (const [testId, title, emptyState] of expectations) {
      await user.click(screen.getByTestId(testId));
      expect(screen.getByTestId('page-title').textContent).toBe(title);
      expect((await screen.findAllByText(emptyState)).length).toBeGreaterThan(0);
      expect(screen.getByTestId(testId).getAttribute('aria-current')).toBe('page');
    }
  });

  it('shows the real app_info values on Settings, loaded once', async () => {
    const user = userEvent.setup();
    const backend = mockBackend(() => backendInfo);
    renderApp();

    await user.click(screen.getByTestId('nav-settings'));
    expect(screen.getByTestId('page-title').textContent).toBe('Settings');
    expect((await screen.findByTestId('settings-version')).textContent).toBe('0.9.2');
    expect(screen.getByTestId('settings-data-dir').textContent).toBe(backendInfo.dataDir);
    expect(screen.getByTestId('settings-log-dir').textContent).toBe(backendInfo.logDir);

    await user.click(screen.getByTestId('nav-history'));
    await user.click(screen.getByTestId('nav-settings'));
    expect(backend.calls.filter((command) => command === 'app_info')).toEqual(['app_info']);
  });

  it('shows a failed app_info in an alert on Settings and keeps the frame usable', async () => {
    const user = userEvent.setup();
    mockBackend(() => {
      throw { kind: 'internal', message: 'Ledgerlink cannot open its data folder. Check its permissions.' };
    });
    renderApp();

    await user.click(screen.getByTestId('nav-settings'));
    const alert = await screen.findByTestId('error-alert');
    expect(alert.textContent).toContain('Ledgerlink cannot open its data folder. Check its permissions.');
    expect(screen.queryByTestId('settings-version')).toBeNull();

    const statusBar = screen.getByTestId('status-bar');
    expect(statusBar.textContent).toContain('Not connected');
    expect(statusBar.textContent).not.toContain('Ledgerlink ');
  });
});
