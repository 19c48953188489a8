import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import * as commands from '../ipc/commands';
import type { PendingReview } from '../ipc/commands';
import { CompaniesStore } from '../stores/companies.svelte';
import { PendingStore } from '../stores/pending.svelte';
import { SyncStore } from '../stores/sync.svelte';
import PendingChangesDialog from './PendingChangesDialog.svelte';

vi.mock('../ipc/commands', async (importOriginal) =>
  (await import('../../test/mockCommands')).mockCommands(await importOriginal<typeof import('../ipc/commands')>()),
);

const mocked = vi.mocked(commands);

function review(held: boolean): PendingReview {
  return {
    reviewBeforeSending: true,
    changes: [
      {
        localId: 'r-1',
        entityType: 'Invoice',
        label: 'Invoice 1001',
        operation: 'update',
        held,
        problem: null,
        changes: [
          { field: 'PrivateNote', before: 'old note', after: 'new note' },
          { field: 'Line[Id=1].Amount', before: '100.10', after: '1234.5' },
        ],
      },
    ],
  };
}

afterEach(() => vi.clearAllMocks());

describe('review before sending', () => {
  it('shows before → after of each field, holds a change back and sends the rest', async () => {
    const user = userEvent.setup();
    let held = false;
    mocked.pendingChanges.mockResolvedValue({ operations: [], issues: [] });
    mocked.pendingReview.mockImplementation(async () => review(held));
    mocked.holdBack.mockImplementation(async (_company, _local, value) => {
      held = value;
    });
    const store = new PendingStore();
    const companies = new CompaniesStore({}, new SyncStore());
    render(PendingChangesDialog, { store, companies });
    await store.show('c-1');

    expect(screen.getByTestId('pending-review-mode')).toBeTruthy();
    const rows = await screen.findAllByTestId('pending-field');
    expect(rows).toHaveLength(2);
    expect(within(rows[0] as HTMLElement).getByText('old note')).toBeTruthy();
    expect(within(rows[0] as HTMLElement).getByText('new note')).toBeTruthy();
    // An amount is grouped as the locale writes it, exactly.
    expect(rows[1]?.textContent).toMatch(/1.234.50/);

    await user.click(screen.getByTestId('pending-hold-r-1'));
    expect(mocked.holdBack).toHaveBeenCalledWith('c-1', 'r-1', true);
    expect(await screen.findByTestId('pending-change-r-1')).toBeTruthy();
    expect(screen.getByText('Held back')).toBeTruthy();
    // Nothing left to send.
    expect((screen.getByTestId('pending-send-now') as HTMLButtonElement).disabled).toBe(true);
  });

  it('discards only after a confirmation', async () => {
    const user = userEvent.setup();
    mocked.pendingChanges.mockResolvedValue({ operations: [], issues: [] });
    mocked.pendingReview.mockResolvedValue(review(false));
    const store = new PendingStore();
    render(PendingChangesDialog, { store, companies: new CompaniesStore({}, new SyncStore()) });
    await store.show('c-1');

    await user.click(await screen.findByTestId('pending-discard-r-1'));
    expect(mocked.discardChange).not.toHaveBeenCalled();
    await user.click(screen.getByTestId('pending-discard-confirm'));
    expect(mocked.discardChange).toHaveBeenCalledWith('c-1', 'r-1');
  });
});
