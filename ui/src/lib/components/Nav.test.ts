import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';

import { Navigation } from '../stores/navigation.svelte';
import Nav from './Nav.svelte';

const TEST_IDS = ['nav-companies', 'nav-records', 'nav-products', 'nav-conflicts', 'nav-history', 'nav-inbox', 'nav-settings'];

function currentTestIds(): string[] {
  return TEST_IDS.filter((id) => screen.getByTestId(id).getAttribute('aria-current') === 'page');
}

describe('Nav', () => {
  it('renders the seven sections as buttons in a labelled navigation', () => {
    render(Nav, { props: { navigation: new Navigation() } });

    const nav = screen.getByRole('navigation', { name: 'Sections' });
    const buttons = Array.from(nav.querySelectorAll('button'));
    expect(buttons.map((button) => button.textContent?.trim())).toEqual([
      'Companies',
      'Records',
      'Products',
      'Conflicts',
      'History',
      'Inbox',
      'Settings',
    ]);
    expect(buttons.map((button) => button.dataset['testid'])).toEqual(TEST_IDS);
  });

  it('marks only the current section with aria-current', () => {
    render(Nav, { props: { navigation: new Navigation('history') } });
    expect(currentTestIds()).toEqual(['nav-history']);
  });

  it('changes the section and aria-current on click', async () => {
    const user = userEvent.setup();
    const navigation = new Navigation();
    render(Nav, { props: { navigation } });
    expect(currentTestIds()).toEqual(['nav-companies']);

    await user.click(screen.getByRole('button', { name: 'Conflicts' }));
    expect(navigation.current).toBe('conflicts');
    expect(currentTestIds()).toEqual(['nav-conflicts']);
  });

  it('follows the store when the section changes elsewhere', () => {
    const navigation = new Navigation();
    render(Nav, { props: { navigation } });

    navigation.go('settings');
    flushSync();
    expect(currentTestIds()).toEqual(['nav-settings']);
  });

  it('is reachable by Tab in the order shown, and Enter opens a section', async () => {
    const user = userEvent.setup();
    const navigation = new Navigation();
    render(Nav, { props: { navigation } });

    const focused: Array<string | undefined> = [];
    for (let step = 0; step < TEST_IDS.length; step += 1) {
      await user.tab();
      focused.push((document.activeElement as HTMLElement | null)?.dataset['testid']);
    }
    expect(focused).toEqual(TEST_IDS);

    await user.tab({ shift: true });
    expect(document.activeElement).toBe(screen.getByTestId('nav-inbox'));
    await user.keyboard('{Enter}');
    expect(navigation.current).toBe('inbox');
    expect(currentTestIds()).toEqual(['nav-inbox']);
  });

  it('moves focus with the arrow keys, Home and End, and Space opens a section', async () => {
    const user = userEvent.setup();
    const navigation = new Navigation();
    render(Nav, { props: { navigation } });

    screen.getByTestId('nav-companies').focus();
    await user.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(screen.getByTestId('nav-records'));
    await user.keyboard('{End}');
    expect(document.activeElement).toBe(screen.getByTestId('nav-settings'));
    await user.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(screen.getByTestId('nav-companies'));
    await user.keyboard('{ArrowUp}');
    expect(document.activeElement).toBe(screen.getByTestId('nav-settings'));
    await user.keyboard('{Home}');
    expect(document.activeElement).toBe(screen.getByTestId('nav-companies'));

    // Moving focus alone does not change the section.
    expect(navigation.current).toBe('companies');
    await user.keyboard('{ArrowDown}{ArrowDown}[Space]');
    expect(navigation.current).toBe('products');
  });
});
