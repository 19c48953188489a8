/**
 * The Companies overview: every company's row, fetched again whenever the
 * company list changes (a sync started or ended, conflicts found), so the
 * counts follow background syncs too.
 */
import { companiesOverview, toCommandFailure, type CommandFailure, type CompanyOverview } from '../ipc/commands';

export class OverviewStore {
  rows = $state.raw<CompanyOverview[]>([]);
  loaded = $state(false);
  error = $state<CommandFailure | null>(null);

  readonly #fetch: typeof companiesOverview;
  // Answers to older requests are dropped: a slow one must not overwrite a newer one.
  #generation = 0;

  constructor(fetch: typeof companiesOverview = companiesOverview) {
    this.#fetch = fetch;
  }

  async load(): Promise<void> {
    this.#generation += 1;
    const generation = this.#generation;
    try {
      const rows = await this.#fetch();
      if (generation === this.#generation) {
        this.rows = rows;
        this.error = null;
      }
    } catch (reason) {
      if (generation === this.#generation) {
        this.error = toCommandFailure(reason);
      }
    } finally {
      if (generation === this.#generation) {
        this.loaded = true;
      }
    }
  }
}

/** The store the Companies page uses. */
export const overviewStore = new OverviewStore();
