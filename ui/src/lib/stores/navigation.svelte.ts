/** The sections of the app, in the order the navigation lists them. */
export const SECTIONS = [
  { id: 'companies', label: 'Companies' },
  { id: 'records', label: 'Records' },
  { id: 'products', label: 'Products' },
  { id: 'conflicts', label: 'Conflicts' },
  { id: 'history', label: 'History' },
  { id: 'inbox', label: 'Inbox' },
  { id: 'settings', label: 'Settings' },
] as const;

export type Section = (typeof SECTIONS)[number];
export type SectionId = Section['id'];

const FIRST_SECTION: Section = SECTIONS[0];

/** Whether a string names a section, e.g. one read back from a URL or a test hook. */
export function isSectionId(value: string): value is SectionId {
  return SECTIONS.some((section) => section.id === value);
}

/** Which section the main area shows. */
export class Navigation {
  current: SectionId = $state(FIRST_SECTION.id);

  readonly section: Section = $derived(
    SECTIONS.find((section) => section.id === this.current) ?? FIRST_SECTION,
  );

  constructor(initial: SectionId = FIRST_SECTION.id) {
    this.current = initial;
  }

  go(id: SectionId): void {
    this.current = id;
  }

  isCurrent(id: SectionId): boolean {
    return this.current === id;
  }
}

/** The navigation state the app shell uses. */
export const navigation = new Navigation();
