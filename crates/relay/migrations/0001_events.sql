-- Changes received from Intuit's webhooks, kept for the retention period.
-- AUTOINCREMENT so that a seq is never reused after old rows are pruned:
-- apps keep seqs as cursors.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key TEXT NOT NULL UNIQUE,
    realm_id TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    last_updated TEXT NOT NULL,
    deleted_id TEXT,
    received_at INTEGER NOT NULL -- Unix milliseconds
);

CREATE INDEX events_by_realm ON events (realm_id, seq);
CREATE INDEX events_by_age ON events (received_at);

-- The highest seq pruned per realm: a cursor below it has missed events.
CREATE TABLE pruned (
    realm_id TEXT PRIMARY KEY,
    max_seq INTEGER NOT NULL
);

-- The relay's own settings (the generated signing key).
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
