import { describe, expect, it } from 'vitest';

import { isSectionId, Navigation, SECTIONS } from './navigation.svelte';

describe('Navigation', () => {
  it('lists the seven sections in order', () => {
    expect(SECTIONS.map((section) => section.label)).toEqual([
      'Companies',
      'Records',
      'Products',
      'Conflicts',
      'History',
      'Inbox',
      'Settings',
    ]);
  });

  it('starts on Companies', () => {
    const navigation = new Navigation();
    expect(navigation.current).toBe('companies');
    expect(navigation.section.label).toBe('Companies');
    expect(navigation.isCurrent('companies')).toBe(true);
  });

  it('can start on another section', () => {
    const navigation = new Navigation('history');
    expect(navigation.section.label).toBe('History');
  });

  it('moves to a section and derives its label', () => {
    const navigation = new Navigation();
    navigation.go('settings');
    expect(navigation.current).toBe('settings');
    expect(navigation.section.label).toBe('Settings');
    expect(navigation.isCurrent('settings')).toBe(true);
    expect(navigation.isCurrent('companies')).toBe(false);

    navigation.go('conflicts');
    expect(navigation.section.label).toBe('Conflicts');
  });

  it('recognises section ids and rejects others', () => {
    expect(isSectionId('records')).toBe(true);
    expect(isSectionId('Records')).toBe(false);
    expect(isSectionId('reports')).toBe(false);
  });
});
