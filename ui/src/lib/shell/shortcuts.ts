/**
 * The app's keyboard shortcuts, as a pure mapping from a key press to what
 * it does, so the table below is tested without a window:
 *
 * | keys          | action                                   |
 * | ------------- | ---------------------------------------- |
 * | Ctrl/⌘ K      | the command palette                      |
 * | Ctrl/⌘ F      | search (the Records page's search box)   |
 * | Ctrl/⌘ R      | sync the open company                    |
 * | Ctrl/⌘ 1–7    | the sections, in the navigation's order  |
 * | Esc           | closes panels                            |
 * | J / K         | the next / previous conflict             |
 *
 * Ctrl on Windows and Linux, ⌘ on macOS. J and K are plain letters, so they
 * act only outside text fields.
 */
import { SECTIONS, type SectionId } from '../stores/navigation.svelte';

export type ShortcutAction =
  | { kind: 'palette' }
  | { kind: 'search' }
  | { kind: 'sync' }
  | { kind: 'section'; id: SectionId }
  | { kind: 'close' }
  | { kind: 'next-conflict' }
  | { kind: 'previous-conflict' };

/** The parts of a key press the mapping reads. */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  /** Whether the press happened in a text field, list box or editable element. */
  inTextField: boolean;
}

/** Whether the platform's command key is ⌘ (macOS) rather than Ctrl. */
export function usesMetaKey(platform: string = typeof navigator === 'undefined' ? '' : navigator.platform): boolean {
  return /mac|iphone|ipad/i.test(platform);
}

/** The label of the command key on this platform, for menus and tooltips. */
export function commandKeyLabel(mac: boolean = usesMetaKey()): string {
  return mac ? '⌘' : 'Ctrl';
}

/** What a key press does, or null when it is not a shortcut. */
export function shortcutFor(press: KeyPress, mac: boolean): ShortcutAction | null {
  const command = mac ? press.metaKey && !press.ctrlKey : press.ctrlKey && !press.metaKey;
  if (command && !press.altKey) {
    const key = press.key.toLowerCase();
    if (key === 'k' && !press.shiftKey) return { kind: 'palette' };
    if (key === 'f' && !press.shiftKey) return { kind: 'search' };
    if (key === 'r' && !press.shiftKey) return { kind: 'sync' };
    const index = Number.parseInt(press.key, 10);
    if (/^[1-9]$/.test(press.key) && index <= SECTIONS.length) {
      const section = SECTIONS[index - 1];
      return section === undefined ? null : { kind: 'section', id: section.id };
    }
    return null;
  }
  if (press.ctrlKey || press.metaKey || press.altKey) {
    return null;
  }
  if (press.key === 'Escape') return { kind: 'close' };
  if (press.inTextField || press.shiftKey) return null;
  if (press.key === 'j' || press.key === 'J') return { kind: 'next-conflict' };
  if (press.key === 'k' || press.key === 'K') return { kind: 'previous-conflict' };
  return null;
}

/** Whether an event's target is somewhere typing goes. */
export function isTextField(target: EventTarget | null): boolean {
  if (typeof HTMLElement === 'undefined' || !(target instanceof HTMLElement)) {
    return false;
  }
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}
