/**
 * One list's CSV export: the save dialog and the writing happen in Rust
 * (exact decimals, ISO dates, proper quoting); this keeps what the page
 * shows afterwards (where the file went, "Show in folder", or the error).
 */
import {
  exportListAs,
  showInFolder,
  toCommandFailure,
  type CommandFailure,
  type ListExportInput,
  type ListExportReport,
} from '../ipc/commands';

/** The functions the store calls; tests may pass fakes. */
export interface ExportCommands {
  exportListAs: typeof exportListAs;
  showInFolder: typeof showInFolder;
}

const defaultCommands: ExportCommands = { exportListAs, showInFolder };

export class ListExport {
  /** The last file written, until the next export or `dismiss`. */
  saved = $state.raw<ListExportReport | null>(null);
  exporting = $state(false);
  error = $state<CommandFailure | null>(null);
  #commands: ExportCommands;

  constructor(commands: ExportCommands = defaultCommands) {
    this.#commands = commands;
  }

  /** Asks where to save and writes the list there; a cancelled dialog changes nothing. */
  async run(input: ListExportInput): Promise<ListExportReport | null> {
    this.exporting = true;
    this.error = null;
    try {
      const report = await this.#commands.exportListAs(input);
      if (report !== null) this.saved = report;
      return report;
    } catch (reason) {
      this.error = toCommandFailure(reason);
      return null;
    } finally {
      this.exporting = false;
    }
  }

  /** Opens the folder of the file just written. */
  async showFolder(): Promise<void> {
    if (this.saved === null) return;
    try {
      await this.#commands.showInFolder(this.saved.path);
    } catch (reason) {
      this.error = toCommandFailure(reason);
    }
  }

  dismiss(): void {
    this.saved = null;
    this.error = null;
  }
}
