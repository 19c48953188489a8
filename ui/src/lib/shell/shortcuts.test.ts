import { describe, expect, it } from 'vitest';

import { shortcutFor, type KeyPress } from './shortcuts';

function press(key: string, extra: Partial<KeyPress> = {}): KeyPress {
  return { key, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, inTextField: false, ...extra };
}

describe('shortcutFor', () => {
  it('maps Ctrl on Linux and Windows, ⌘ on macOS', () => {
    expect(shortcutFor(press('k', { ctrlKey: true }), false)).toEqual({ kind: 'palette' });
    expect(shortcutFor(press('k', { metaKey: true }), true)).toEqual({ kind: 'palette' });
    // The other platform's key does nothing.
    expect(shortcutFor(press('k', { metaKey: true }), false)).toBeNull();
    expect(shortcutFor(press('k', { ctrlKey: true }), true)).toBeNull();
  });

  it('has search and sync, even from a text field', () => {
    expect(shortcutFor(press('f', { ctrlKey: true, inTextField: true }), false)).toEqual({ kind: 'search' });
    expect(shortcutFor(press('R', { ctrlKey: true }), false)).toEqual({ kind: 'sync' });
  });

  it('opens the seven sections in the navigation order', () => {
    expect(shortcutFor(press('1', { ctrlKey: true }), false)).toEqual({ kind: 'section', id: 'companies' });
    expect(shortcutFor(press('2', { ctrlKey: true }), false)).toEqual({ kind: 'section', id: 'records' });
    expect(shortcutFor(press('6', { ctrlKey: true }), false)).toEqual({ kind: 'section', id: 'inbox' });
    expect(shortcutFor(press('7', { ctrlKey: true }), false)).toEqual({ kind: 'section', id: 'settings' });
    expect(shortcutFor(press('8', { ctrlKey: true }), false)).toBeNull();
  });

  it('moves through conflicts with J and K outside text fields only', () => {
    expect(shortcutFor(press('j'), false)).toEqual({ kind: 'next-conflict' });
    expect(shortcutFor(press('k'), false)).toEqual({ kind: 'previous-conflict' });
    expect(shortcutFor(press('j', { inTextField: true }), false)).toBeNull();
    expect(shortcutFor(press('j', { altKey: true }), false)).toBeNull();
  });

  it('closes panels with Escape', () => {
    expect(shortcutFor(press('Escape', { inTextField: true }), false)).toEqual({ kind: 'close' });
  });

  it('leaves other keys alone', () => {
    expect(shortcutFor(press('a'), false)).toBeNull();
    expect(shortcutFor(press('k', { ctrlKey: true, shiftKey: true }), false)).toBeNull();
  });
});
