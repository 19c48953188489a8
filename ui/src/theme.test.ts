/**
 * Checks the theme in app.css: both the light and the dark palette define the
 * same colours, and every pair the UI puts text on meets WCAG 2 AA contrast
 * (4.5:1 for text, 3:1 for the focus ring and the active-section marker).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const css = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'app.css'), 'utf8');

type Palette = Map<string, string>;

function colours(block: string): Palette {
  const palette: Palette = new Map();
  for (const match of block.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6})\s*;/gi)) {
    const [, name, value] = match;
    if (name && value) {
      palette.set(name, value.toLowerCase());
    }
  }
  return palette;
}

function blockAfter(marker: string, from = 0): string {
  const start = css.indexOf(marker, from);
  if (start < 0) {
    throw new Error(`app.css has no ${marker}`);
  }
  const open = css.indexOf('{', start + marker.length - 1);
  const close = css.indexOf('}', open);
  return css.slice(open + 1, close);
}

const darkMedia = css.indexOf('@media (prefers-color-scheme: dark)');
const light = colours(blockAfter(':root {'));
const dark = colours(blockAfter(":root:not([data-theme='light']) {", darkMedia));
const pinnedDark = colours(blockAfter(":root[data-theme='dark'] {"));

function channel(value: number): number {
  const srgb = value / 255;
  return srgb <= 0.04045 ? srgb / 12.92 : ((srgb + 0.055) / 1.055) ** 2.4;
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((offset) => channel(parseInt(hex.slice(offset, offset + 2), 16)));
  return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
}

function contrast(palette: Palette, foreground: string, background: string): number {
  const fg = palette.get(foreground);
  const bg = palette.get(background);
  if (!fg || !bg) {
    throw new Error(`missing --${fg ? background : foreground}`);
  }
  const [lighter, darker] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
  return ((lighter ?? 0) + 0.05) / ((darker ?? 0) + 0.05);
}

const TEXT_PAIRS: Array<[string, string]> = [
  ['text', 'bg'],
  ['text', 'surface'],
  ['text', 'sidebar-bg'],
  ['text', 'nav-hover'],
  ['text', 'danger-bg'],
  ['text-muted', 'bg'],
  ['text-muted', 'surface'],
  ['text-muted', 'sidebar-bg'],
  ['text', 'accent-soft'],
  ['text', 'ok-bg'],
  ['text', 'warn-bg'],
  ['text-muted', 'accent-soft'],
  ['text-muted', 'nav-hover'],
  ['accent-text', 'accent-soft'],
  ['accent-text', 'surface'],
  ['accent-text', 'bg'],
  ['on-accent', 'accent'],
  ['on-accent', 'accent-text'],
  ['danger-text', 'danger-bg'],
  ['danger-text', 'surface'],
  ['danger-text', 'bg'],
  ['danger-text', 'sidebar-bg'],
  ['on-danger-solid', 'danger-solid'],
  ['ok-text', 'ok-bg'],
  ['ok-text', 'surface'],
  ['ok-text', 'bg'],
  ['warn-text', 'warn-bg'],
  ['warn-text', 'surface'],
];

const NON_TEXT_PAIRS: Array<[string, string]> = [
  ['focus', 'bg'],
  ['focus', 'surface'],
  ['focus', 'sidebar-bg'],
  ['focus', 'accent-soft'],
  ['accent', 'accent-soft'],
  ['accent', 'sidebar-bg'],
  ['ok-text', 'sidebar-bg'],
  ['control-border', 'surface'],
  ['control-border', 'bg'],
  ['control-border', 'sidebar-bg'],
];

describe.each([
  ['light', light],
  ['dark', dark],
])('the %s theme', (_name, palette) => {
  it('defines the same colours as the other theme', () => {
    expect([...palette.keys()].sort()).toEqual([...light.keys()].sort());
    expect(palette.size).toBeGreaterThan(10);
  });

  it.each(TEXT_PAIRS)('has readable --%s on --%s (4.5:1)', (foreground, background) => {
    expect(contrast(palette, foreground, background)).toBeGreaterThanOrEqual(4.5);
  });

  it.each(NON_TEXT_PAIRS)('shows --%s against --%s (3:1)', (foreground, background) => {
    expect(contrast(palette, foreground, background)).toBeGreaterThanOrEqual(3);
  });
});

describe('the theme', () => {
  it('can be pinned: data-theme="dark" uses exactly the dark palette, data-theme="light" opts out of it', () => {
    expect([...pinnedDark.entries()].sort()).toEqual([...dark.entries()].sort());
    expect(css).toMatch(/:root\[data-theme='light'\]\s*\{\s*color-scheme:\s*light;/);
    // The system's dark palette must not apply over a pinned light theme.
    expect(css.slice(darkMedia)).toMatch(/^@media \(prefers-color-scheme: dark\) \{\s*:root:not\(\[data-theme='light'\]\)/);
  });

  it('follows the operating system and loads nothing from elsewhere', () => {
    expect(darkMedia).toBeGreaterThan(0);
    expect(css).toMatch(/color-scheme:\s*light dark/);
    expect(css).not.toMatch(/@import|@font-face|url\(/);
  });

  it('uses tabular numerals', () => {
    expect(css).toMatch(/font-variant-numeric:\s*tabular-nums/);
  });
});
