/**
 * The pages other than the first screen (Companies), loaded when first
 * shown instead of with the first screen: the webview parses only what the
 * first screen needs before it paints, and the App preloads the rest just
 * after that first paint so that a click on a section does not wait.
 */

/** `load` run once; later calls get the same promise, unless it failed. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | null = null;
  return () =>
    (loading ??= load().catch((reason: unknown) => {
      loading = null;
      throw reason;
    }));
}

export const pages = {
  records: once(() => import('./RecordsPage.svelte')),
  products: once(() => import('./ProductsPage.svelte')),
  conflicts: once(() => import('./ConflictsPage.svelte')),
  history: once(() => import('./HistoryPage.svelte')),
  inbox: once(() => import('./InboxPage.svelte')),
  settings: once(() => import('./SettingsPage.svelte')),
};

/** Starts loading every page; a page that fails to load tries again when shown. */
export function preloadPages(): void {
  for (const load of Object.values(pages)) {
    void load().catch(() => undefined);
  }
}
