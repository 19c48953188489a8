import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import ErrorAlert from './ErrorAlert.svelte';

describe('ErrorAlert', () => {
  it("shows a command error's message in an alert", () => {
    render(ErrorAlert, {
      props: { error: { kind: 'reconnect_needed', message: 'Reconnect Acme Ltd to keep syncing.' } },
    });

    const alert = screen.getByRole('alert');
    expect(alert).toBe(screen.getByTestId('error-alert'));
    expect(alert.textContent).toContain('Reconnect Acme Ltd to keep syncing.');
    expect(alert.textContent).toContain('Something went wrong');
    expect(alert.dataset['kind']).toBe('reconnect_needed');
  });

  it('uses the given title', () => {
    render(ErrorAlert, {
      props: { error: { kind: 'internal', message: 'm' }, title: 'Could not load' },
    });
    expect(screen.getByTestId('error-alert').textContent).toContain('Could not load');
  });

  it('offers "Try again" only when it can retry', async () => {
    const user = userEvent.setup();
    const onretry = vi.fn();
    const { unmount } = render(ErrorAlert, {
      props: { error: { kind: 'internal', message: 'm' }, onretry },
    });

    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(onretry).toHaveBeenCalledTimes(1);
    unmount();

    render(ErrorAlert, { props: { error: { kind: 'internal', message: 'm' } } });
    expect(screen.queryByRole('button', { name: 'Try again' })).toBeNull();
  });

  it("shows the problem's plain words and carries out its button", async () => {
    const user = userEvent.setup();
    const onaction = vi.fn();
    render(ErrorAlert, {
      props: {
        error: {
          kind: 'throttled',
          message: 'QuickBooks is throttling this company; retry after 60 s',
          problem: { kind: 'throttled', plain: 'QuickBooks asked Ledgerlink to slow down for a minute.', action: 'retry' },
        },
        onaction,
      },
    });
    expect(screen.getByTestId('error-plain').textContent).toContain('slow down');
    const button = screen.getByTestId('error-action');
    expect(button.textContent).toBe('Retry');
    await user.click(button);
    expect(onaction).toHaveBeenCalledWith('retry');
  });
});
