-- The product catalogue kept over the Item records: where each item came
-- from and whether it is synced, its stock per location, and changes to the
-- default location's quantity that wait to reach QuickBooks.
CREATE TABLE locations (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX locations_by_name ON locations (name COLLATE NOCASE);
-- Every company starts with one location, the default that mirrors
-- QuickBooks' single quantity.
INSERT INTO locations (id, name, created_at) VALUES ('main', 'Main location', '1970-01-01T00:00:00Z');

CREATE TABLE catalogue (
    local_id TEXT PRIMARY KEY NOT NULL REFERENCES records (local_id) ON DELETE CASCADE,
    -- 'initial' (in QuickBooks at the first sync), 'quickbooks' or 'ledgerlink'.
    origin   TEXT NOT NULL,
    seen_at  TEXT NOT NULL
);

-- At the default location the quantity of a stock-tracked product is
-- QuickBooks' and is derived when read; on_hand there is kept for parts only.
CREATE TABLE stock (
    local_id    TEXT NOT NULL REFERENCES records (local_id) ON DELETE CASCADE,
    location_id TEXT NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    on_hand     TEXT NOT NULL,
    minimum     TEXT,
    PRIMARY KEY (local_id, location_id)
);

-- One row per product whose default-location quantity was changed here:
-- the units not yet in QuickBooks, and, while a change is being sent, the
-- quantity sent, the units it carries and its request id (stored before
-- sending, so a retry after a crash cannot apply the change twice).
CREATE TABLE stock_pushes (
    local_id   TEXT PRIMARY KEY NOT NULL REFERENCES records (local_id) ON DELETE CASCADE,
    delta      TEXT NOT NULL,
    request_id TEXT,
    target     TEXT,
    sent_delta TEXT,
    error      TEXT
);
