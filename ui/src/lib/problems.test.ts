import { describe, expect, it } from 'vitest';

import { actionLabel } from './problems';

describe('problem buttons', () => {
  it('names every action the Rust side can ask for', () => {
    expect(actionLabel('reconnect')).toBe('Reconnect');
    expect(actionLabel('open_record')).toBe('Open record');
    expect(actionLabel('choose_active_account')).toBe('Choose an active account');
    expect(actionLabel('retry')).toBe('Retry');
  });
});
