/**
 * The Conflicts page: the open conflicts of the selected company, the one
 * being resolved with the user's choice per field, and applying it.
 */
import {
  getConflict,
  listConflicts,
  onConflictsArrived,
  resolveConflict,
  toCommandFailure,
  type ChoiceInput,
  type CommandFailure,
  type ConflictDetail,
  type ConflictSummary,
  type RecordDetail,
  type ResolutionInput,
  type UnlistenFn,
} from '../ipc/commands';
import { jsonNumberProblem, readTypedDecimal, toJsonDecimal, typedText } from '../decimal';
import { isReference, sameValue } from '../records/fields';

/** The functions the store calls; tests may pass fakes. */
export interface ConflictCommands {
  listConflicts: typeof listConflicts;
  getConflict: typeof getConflict;
  resolveConflict: typeof resolveConflict;
  onConflictsArrived: typeof onConflictsArrived;
}

/** What the user picked for one field. */
export type FieldPick = 'local' | 'remote' | 'value';

/** How the whole record is resolved: field by field, or one side for everything. */
export type ResolveMode = 'fields' | 'take_local' | 'take_remote';

/** For an edit against a delete: keep the edited version or let the deletion stand. */
export type DeleteChoice = 'keep_local_version' | 'accept_delete';

/** How a typed new value is read: as text, as an exact number, as yes/no, or as a picked reference. */
export type ValueKind = 'text' | 'number' | 'boolean' | 'reference' | 'none';

/**
 * The kind of value a field holds: a number when the core says the field is
 * a decimal (its values then come as decimal text), else judged from its
 * three versions.
 */
export function valueKind(field: { base: unknown; local: unknown; remote: unknown; decimal?: boolean }): ValueKind {
  if (field.decimal === true) return 'number';
  const values = [field.local, field.remote, field.base].filter((value) => value !== null && value !== undefined);
  if (values.length === 0) return 'text';
  if (values.every((value) => typeof value === 'number')) return 'number';
  if (values.every((value) => typeof value === 'boolean')) return 'boolean';
  if (values.every((value) => typeof value === 'string')) return 'text';
  if (values.every(isReference)) return 'reference';
  return 'none';
}

const defaultCommands: ConflictCommands = { listConflicts, getConflict, resolveConflict, onConflictsArrived };

export class ConflictsStore {
  list = $state.raw<ConflictSummary[]>([]);
  loaded = $state(false);
  error = $state<CommandFailure | null>(null);

  selectedId = $state<number | null>(null);
  detail = $state.raw<ConflictDetail | null>(null);
  detailError = $state<CommandFailure | null>(null);
  /** The user's pick per field path. */
  picks = $state<Record<string, FieldPick>>({});
  /** Typed values per field path (text; references hold the picked id). */
  values = $state<Record<string, string>>({});
  /** Names of picked references, per field path. */
  valueNames = $state<Record<string, string>>({});
  mode = $state<ResolveMode>('fields');
  deleteChoice = $state<DeleteChoice | null>(null);
  applying = $state(false);
  /** The record as resolved, after Apply. */
  resolved = $state.raw<RecordDetail | null>(null);

  readonly #commands: ConflictCommands;
  #companyId: string | null = null;

  constructor(commands: Partial<ConflictCommands> = {}) {
    this.#commands = { ...defaultCommands, ...commands };
  }

  /** Forgets what belongs to another company. */
  #useCompany(companyId: string): void {
    if (companyId !== this.#companyId) {
      this.#companyId = companyId;
      this.#clearDetail();
      this.selectedId = null;
      this.list = [];
      this.loaded = false;
    }
  }

  async load(companyId: string): Promise<void> {
    this.#useCompany(companyId);
    try {
      this.list = await this.#commands.listConflicts(companyId);
      this.loaded = true;
      this.error = null;
    } catch (reason) {
      this.error = toCommandFailure(reason);
    }
  }

  /** Reloads the list when a sync finds conflicts for the company shown. */
  listen(currentCompany: () => string | null): Promise<UnlistenFn> {
    return this.#commands.onConflictsArrived(({ companyId }) => {
      if (companyId === currentCompany()) {
        void this.load(companyId);
      }
    });
  }

  async open(companyId: string, conflictId: number): Promise<void> {
    this.#useCompany(companyId);
    this.selectedId = conflictId;
    this.#clearDetail();
    try {
      const detail = await this.#commands.getConflict(companyId, conflictId);
      if (this.selectedId === conflictId) {
        this.detail = detail;
      }
    } catch (reason) {
      this.detailError = toCommandFailure(reason);
    }
  }

  #clearDetail(): void {
    this.detail = null;
    this.detailError = null;
    this.picks = {};
    this.values = {};
    this.valueNames = {};
    this.mode = 'fields';
    this.deleteChoice = null;
    this.resolved = null;
  }

  /** Picks a side (or a new value) for one field; the record is then resolved field by field. */
  pick(path: string, pick: FieldPick): void {
    this.picks = { ...this.picks, [path]: pick };
    this.mode = 'fields';
  }

  setValue(path: string, value: string, name?: string): void {
    this.values = { ...this.values, [path]: value };
    if (name !== undefined) {
      this.valueNames = { ...this.valueNames, [path]: name };
    }
    this.pick(path, 'value');
  }

  /** One side for the whole record; every field shows that side. */
  takeAll(side: 'local' | 'remote'): void {
    const picks: Record<string, FieldPick> = {};
    for (const field of this.detail?.fields ?? []) {
      picks[field.path] = side;
    }
    this.picks = picks;
    this.mode = side === 'local' ? 'take_local' : 'take_remote';
  }

  /** Whether the conflict is an edit on one side against a delete on the other. */
  get isDeleteConflict(): boolean {
    return this.detail !== null && this.detail.summary.kind !== 'edit_edit';
  }

  /** What is still missing before Apply can be pressed, in words; null when ready. */
  get missing(): string | null {
    const detail = this.detail;
    if (detail === null) return 'Choose a conflict.';
    if (this.isDeleteConflict) {
      return this.deleteChoice === null ? 'Choose what happens to the record.' : null;
    }
    if (this.mode !== 'fields') return null;
    const open = detail.fields.filter((field) => this.picks[field.path] === undefined).length;
    if (open > 0) {
      return `Choose a value for ${open === 1 ? 'the last field' : `${open} more fields`}.`;
    }
    for (const field of detail.fields) {
      if (this.picks[field.path] === 'value') {
        const problem = this.valueProblem(field);
        if (problem !== null) return problem;
      }
    }
    return null;
  }

  /** Why the typed value of a field cannot be used, or null. */
  valueProblem(field: { path: string; base: unknown; local: unknown; remote: unknown; decimal?: boolean }): string | null {
    const text = (this.values[field.path] ?? '').trim();
    switch (valueKind(field)) {
      case 'number':
        if (text === '') return 'Type the new amount.';
        {
          // Typed in the user's locale ("12,50" in German), sent as plain decimal text.
          const typed = readTypedDecimal(text);
          return typed.ok ? jsonNumberProblem(typed.text) : typed.problem;
        }
      case 'reference':
      case 'boolean':
        return text === '' ? 'Choose the new value.' : null;
      case 'none':
        return 'This field cannot be typed in; take one side, then edit the record.';
      default:
        return null;
    }
  }

  /** The resolution the choices make. */
  resolution(): ResolutionInput | null {
    const detail = this.detail;
    if (detail === null || this.missing !== null) {
      return null;
    }
    if (this.isDeleteConflict) {
      return this.deleteChoice === null ? null : { kind: this.deleteChoice };
    }
    if (this.mode === 'take_local') return { kind: 'take_local' };
    if (this.mode === 'take_remote') return { kind: 'take_remote' };
    const choices: Record<string, ChoiceInput> = {};
    for (const field of detail.fields) {
      const pick = this.picks[field.path];
      if (pick === 'local' || pick === 'remote') {
        choices[field.path] = { take: pick };
      } else if (pick === 'value') {
        choices[field.path] = { take: 'value', value: this.#typedValue(field) };
      }
    }
    return { kind: 'fields', choices };
  }

  #typedValue(field: { path: string; base: unknown; local: unknown; remote: unknown; decimal?: boolean }): unknown {
    const text = (this.values[field.path] ?? '').trim();
    switch (valueKind(field)) {
      case 'number':
        // Decimal text: the core reads it into a number with these digits.
        return toJsonDecimal(typedText(text));
      case 'boolean':
        return text === 'true';
      case 'reference': {
        const sample = [field.local, field.remote, field.base].find(isReference) as Record<string, unknown> | undefined;
        const reference: Record<string, unknown> = { value: text, name: this.valueNames[field.path] ?? '' };
        if (sample !== undefined && typeof sample['type'] === 'string') {
          reference['type'] = sample['type'];
        }
        return reference;
      }
      default:
        return this.values[field.path] ?? '';
    }
  }

  /**
   * Opens the conflict `delta` places after the open one in the list (J is
   * +1, K is -1), or the first one when none is open.
   */
  async step(companyId: string, delta: number): Promise<void> {
    if (this.list.length === 0) {
      return;
    }
    const current = this.list.findIndex((conflict) => conflict.id === this.selectedId);
    const target =
      current === -1 ? 0 : Math.min(Math.max(current + delta, 0), this.list.length - 1);
    const conflict = this.list[target];
    if (conflict !== undefined && conflict.id !== this.selectedId) {
      await this.open(companyId, conflict.id);
    }
  }

  /** Sends the resolution; on success the conflict leaves the list and the next one opens. */
  async apply(companyId: string): Promise<RecordDetail | null> {
    const detail = this.detail;
    const resolution = this.resolution();
    if (detail === null || resolution === null) {
      return null;
    }
    this.applying = true;
    this.detailError = null;
    try {
      const record = await this.#commands.resolveConflict(companyId, detail.summary.id, resolution);
      const position = this.list.findIndex((conflict) => conflict.id === detail.summary.id);
      this.list = this.list.filter((conflict) => conflict.id !== detail.summary.id);
      this.#clearDetail();
      this.selectedId = null;
      // The view moves on to the conflict that took the resolved one's place,
      // so a run of conflicts is worked through without going back to the list.
      const next = this.list[Math.min(Math.max(position, 0), this.list.length - 1)];
      if (next !== undefined) {
        await this.open(companyId, next.id);
      }
      this.resolved = record;
      return record;
    } catch (reason) {
      this.detailError = toCommandFailure(reason);
      return null;
    } finally {
      this.applying = false;
    }
  }
}

/** Whether a field's value on one side differs from the last agreed one. */
export function changedFromBase(base: unknown, side: unknown): boolean {
  return !sameValue(base, side);
}

/** The store the Conflicts page uses. */
export const conflictsStore = new ConflictsStore();
