/**
 * Keeps the IPC boundary in one place: only src/lib/ipc/commands.ts may reach
 * Tauri's `invoke`, so every command has one typed, error-converting entry point.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const THIS_FILE = fileURLToPath(import.meta.url);
const SOURCE_ROOT = dirname(THIS_FILE);
const ALLOWED = ['lib/ipc/commands.ts'];
const SOURCE_EXTENSIONS = ['.ts', '.js', '.svelte'];

const CORE_MODULE = '@tauri-apps/api/core';
const FORBIDDEN: Array<{ what: string; pattern: RegExp }> = [
  { what: `an import of ${CORE_MODULE}`, pattern: /['"`]@tauri-apps\/api\/core['"`]/ },
  { what: 'a call of invoke(', pattern: /\binvoke\s*(<[^>]*>)?\s*\(/ },
  { what: 'the raw Tauri internals', pattern: /__TAURI_INTERNALS__/ },
];

/** Every source file under `folder` except this guard, whose samples contain the patterns. */
function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      return sourceFiles(path);
    }
    const isSource = SOURCE_EXTENSIONS.some((extension) => entry.name.endsWith(extension));
    return isSource && path !== THIS_FILE ? [path] : [];
  });
}

function relativePath(path: string): string {
  return relative(SOURCE_ROOT, path).split(sep).join('/');
}

function violationsIn(text: string): string[] {
  return FORBIDDEN.filter(({ pattern }) => pattern.test(text)).map(({ what }) => what);
}

describe('IPC guard', () => {
  it('finds the source files, including the one allowed module', () => {
    const files = sourceFiles(SOURCE_ROOT).map(relativePath);
    expect(files).toContain('lib/ipc/commands.ts');
    expect(files).toContain('App.svelte');
  });

  it('recognises what it is looking for', () => {
    expect(violationsIn(`import { invoke } from '${CORE_MODULE}';`)).toEqual([
      'an import of @tauri-apps/api/core',
    ]);
    expect(violationsIn('await invoke<AppInfo>("app_info")')).toEqual(['a call of invoke(']);
    expect(violationsIn(`const api = await import("${CORE_MODULE}")`)).toHaveLength(1);
    expect(violationsIn('window.__TAURI_INTERNALS__.invoke')).toEqual(['the raw Tauri internals']);
    expect(violationsIn("appInfo().then(render); // invokes app_info")).toEqual([]);
    expect(violationsIn("import { mockIPC } from '@tauri-apps/api/mocks';")).toEqual([]);
  });

  it('allows invoke only in lib/ipc/commands.ts', () => {
    const offenders = sourceFiles(SOURCE_ROOT)
      .filter((path) => !ALLOWED.includes(relativePath(path)))
      .flatMap((path) =>
        violationsIn(readFileSync(path, 'utf8')).map((what) => `${relativePath(path)}: ${what}`),
      );
    expect(offenders).toEqual([]);
  });
});
