/**
 * What the command palette offers for a query: the companies and the
 * sections whose names match, then the records QuickBooks numbers or names
 * match (fetched from the open company's books).
 */
import type { CompanySummary, RecordListRow } from '../ipc/commands';
import { SECTIONS, type SectionId } from '../stores/navigation.svelte';

export type PaletteItem =
  | { kind: 'company'; id: string; label: string; detail: string }
  | { kind: 'section'; id: SectionId; label: string; detail: string }
  | { kind: 'record'; id: string; label: string; detail: string; entityType: string }
  | { kind: 'action'; id: 'close-window'; label: string; detail: string };

/** What the palette can do besides going somewhere. */
const ACTIONS: PaletteItem[] = [
  {
    kind: 'action',
    id: 'close-window',
    label: 'Close window',
    detail: 'Ledgerlink keeps syncing in the tray',
  },
];

function matches(text: string, query: string): boolean {
  return text.toLocaleLowerCase().includes(query.trim().toLocaleLowerCase());
}

/** The companies, sections and actions that match, in that order; all of them for an empty query. */
export function staticItems(companies: CompanySummary[], query: string): PaletteItem[] {
  const companyItems: PaletteItem[] = companies
    .filter((company) => matches(company.name, query))
    .map((company) => ({ kind: 'company', id: company.id, label: company.name, detail: 'Open this company' }));
  const sectionItems: PaletteItem[] = SECTIONS.filter((section) => matches(section.label, query)).map((section) => ({
    kind: 'section',
    id: section.id,
    label: section.label,
    detail: 'Go to section',
  }));
  const actionItems = ACTIONS.filter((action) => matches(action.label, query));
  return [...companyItems, ...sectionItems, ...actionItems];
}

/** A record row as a palette item: its number (or name), type and counterparty. */
export function recordItem(row: RecordListRow): PaletteItem {
  const title = row.docNumber ? `${row.entityType} ${row.docNumber}` : (row.name ?? row.entityType);
  const detail = [row.counterparty, row.txnDate].filter((part) => part !== null && part !== '').join(' · ');
  return { kind: 'record', id: row.localId, label: title, detail, entityType: row.entityType };
}
