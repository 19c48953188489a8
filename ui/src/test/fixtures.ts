/** Sample IPC values for tests, shaped as the Rust side sends them. */
import type {
  Catalogue,
  CompanySettings,
  CompanySummary,
  ConflictDetail,
  HistoryRow,
  LocationView,
  ProductView,
  RecordDetail,
  RecordListRow,
  SaveOutcome,
} from '../lib/ipc/commands';

export function company(overrides: Partial<CompanySummary> = {}): CompanySummary {
  return {
    id: 'c-1',
    name: 'Demo company',
    kind: 'demo',
    environment: 'emulator',
    realmId: '9130',
    connection: 'connected',
    syncing: false,
    queued: false,
    lastSyncAt: null,
    lastSyncError: null,
    openConflicts: 0,
    pendingChanges: 0,
    reconnectWarning: null,
    liveUpdates: 'off',
    liveUpdatesError: null,
    ...overrides,
  };
}

export function row(index: number, overrides: Partial<RecordListRow> = {}): RecordListRow {
  return {
    localId: `r-${index}`,
    entityType: 'Invoice',
    qboId: String(1000 + index),
    state: 'synced',
    name: null,
    docNumber: String(1000 + index),
    txnDate: '2026-03-05',
    amount: '120.50',
    counterparty: `Customer ${index}`,
    active: true,
    error: null,
    problem: null,
    updatedAt: null,
    ...overrides,
  };
}

export const invoiceObject = {
  Id: '12',
  SyncToken: '2',
  DocNumber: '1042',
  TxnDate: '2026-03-05',
  CustomerRef: { value: '58', name: 'Acme Ltd' },
  PrivateNote: 'old memo',
  TotalAmt: 120.5,
  Line: [
    {
      Id: '1',
      Amount: 120.5,
      Description: 'Consulting',
      DetailType: 'SalesItemLineDetail',
      SalesItemLineDetail: { ItemRef: { value: '1', name: 'Services' }, Qty: 1, UnitPrice: 120.5 },
    },
    { DetailType: 'SubTotalLineDetail', Amount: 120.5, SubTotalLineDetail: {} },
  ],
};

export function detail(overrides: Partial<RecordDetail> = {}): RecordDetail {
  return {
    row: row(1, { localId: 'r-1', docNumber: '1042', counterparty: 'Acme Ltd' }),
    local: invoiceObject,
    base: invoiceObject,
    remote: invoiceObject,
    conflictId: null,
    canVoid: true,
    canDelete: true,
    ...overrides,
  };
}

export function outcome(record: RecordDetail, issues: SaveOutcome['issues'] = []): SaveOutcome {
  return { record, issues };
}

export function conflict(overrides: Partial<ConflictDetail> = {}): ConflictDetail {
  const base = {
    ...invoiceObject,
    Line: [{ ...invoiceObject.Line[0], Id: '3' }, { ...invoiceObject.Line[0], Id: '7', Amount: 10 }],
  };
  return {
    summary: {
      id: 5,
      localId: 'r-1',
      entityType: 'Invoice',
      label: 'Invoice 1042',
      kind: 'edit_edit',
      fieldCount: 3,
      openedAt: '2026-03-06T09:00:00Z',
    },
    base,
    local: base,
    remote: base,
    fields: [
      { path: 'PrivateNote', base: 'old memo', local: 'mine', remote: 'theirs', decimal: false },
      { path: 'Line[Id=7].Amount', base: '10', local: '12.5', remote: '15', decimal: true },
      {
        path: 'CustomerRef',
        base: { value: '58', name: 'Acme Ltd' },
        local: { value: '58', name: 'Acme Ltd' },
        remote: { value: '60', name: 'Bolt Inc' },
        decimal: false,
      },
    ],
    localVoid: false,
    ...overrides,
  };
}

export function historyRow(id: number, overrides: Partial<HistoryRow> = {}): HistoryRow {
  return {
    id,
    at: '2026-03-06T09:00:00Z',
    localId: 'r-1',
    entityType: 'Invoice',
    qboId: '12',
    direction: 'pull',
    operation: 'update',
    summary: `Invoice 1042 changed in QuickBooks (${id})`,
    before: { ...invoiceObject, PrivateNote: 'old memo', SyncToken: '1' },
    after: { ...invoiceObject, PrivateNote: 'new memo', SyncToken: '2' },
    canUndo: true,
    ...overrides,
  };
}

export function location(overrides: Partial<LocationView> = {}): LocationView {
  return { id: 'main', name: 'Main warehouse', isDefault: true, products: 2, ...overrides };
}

export function product(overrides: Partial<ProductView> = {}): ProductView {
  return {
    localId: 'p-1',
    qboId: '31',
    kind: 'product',
    name: 'Oak desk',
    sku: 'DSK-01',
    description: 'A solid oak desk',
    category: 'Furniture',
    salesPrice: '450.00',
    purchaseCost: '210.00',
    taxable: true,
    active: true,
    state: 'synced',
    onHand: '12',
    stock: [{ locationId: 'main', locationName: 'Main warehouse', onHand: '12', minimum: '5', low: false }],
    low: false,
    quantityNote: null,
    ...overrides,
  };
}

/** A catalogue with two locations, a product in stock, a low one and a service. */
export function catalogue(overrides: Partial<Catalogue> = {}): Catalogue {
  return {
    settings: { productMaster: 'ledgerlink', defaultLocationId: 'main', minimumQuantity: '0', nonInventoryQuantity: '0' },
    locations: [location(), location({ id: 'loc-2', name: 'Back store', isDefault: false, products: 1 })],
    products: [
      product(),
      product({
        localId: 'p-2',
        qboId: '32',
        name: 'Desk lamp',
        sku: 'LMP-02',
        description: 'Brass lamp',
        category: 'Lighting',
        salesPrice: '35.5',
        onHand: '3',
        stock: [
          { locationId: 'main', locationName: 'Main warehouse', onHand: '1', minimum: '4', low: true },
          { locationId: 'loc-2', locationName: 'Back store', onHand: '2', minimum: null, low: false },
        ],
        low: true,
        quantityNote: 'An invoice edited here waits to reach QuickBooks; the quantity counts it already.',
      }),
      product({
        localId: 'p-3',
        qboId: '33',
        kind: 'service',
        name: 'Assembly',
        sku: null,
        description: 'Putting tables together',
        category: null,
        salesPrice: '60',
        purchaseCost: null,
        onHand: '0',
        stock: [],
      }),
    ],
    unsynced: [],
    notices: [],
    ...overrides,
  };
}

export function companySettings(overrides: Partial<CompanySettings> = {}): CompanySettings {
  return {
    syncIntervalMinutes: 15,
    autoCreateParties: true,
    products: { productMaster: 'quickbooks', defaultLocationId: 'main', minimumQuantity: '0', nonInventoryQuantity: '0' },
    ...overrides,
  };
}
