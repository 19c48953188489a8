-- One company's books: every record with its three versions, the outbox of
-- operations waiting for QuickBooks, conflicts, history and sync bookmarks.
CREATE TABLE records (
    local_id          TEXT PRIMARY KEY NOT NULL,
    entity_type       TEXT NOT NULL,
    qbo_id            TEXT,
    sync_token        TEXT,
    base_json         TEXT,
    local_json        TEXT,
    remote_json       TEXT,
    state             TEXT NOT NULL,
    intent            TEXT NOT NULL DEFAULT 'none',
    remote_deleted    INTEGER NOT NULL DEFAULT 0,
    active            INTEGER NOT NULL DEFAULT 1,
    name              TEXT,
    doc_number        TEXT,
    txn_date          TEXT,
    amount            TEXT,
    -- The amount scaled to 10^-6 as an integer: sorts exactly, no float.
    amount_key        INTEGER,
    counterparty      TEXT,
    error             TEXT,
    local_updated_at  TEXT,
    remote_updated_at TEXT,
    -- The later of the two update times, for "recently changed" sorting.
    updated_key       TEXT
);
CREATE UNIQUE INDEX records_by_qbo_id ON records (entity_type, qbo_id) WHERE qbo_id IS NOT NULL;
CREATE INDEX records_by_state ON records (state);
CREATE INDEX records_by_entity_date ON records (entity_type, txn_date);
CREATE INDEX records_by_entity_updated ON records (entity_type, updated_key);
CREATE INDEX records_by_name ON records (name COLLATE NOCASE);
CREATE INDEX records_by_doc_number ON records (doc_number);

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    local_id    TEXT NOT NULL REFERENCES records (local_id) ON DELETE CASCADE,
    entity_type TEXT NOT NULL,
    operation   TEXT NOT NULL,
    request_id  TEXT NOT NULL UNIQUE,
    payload     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
);
CREATE INDEX outbox_by_record ON outbox (local_id);

CREATE TABLE conflicts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    local_id    TEXT NOT NULL REFERENCES records (local_id) ON DELETE CASCADE,
    entity_type TEXT NOT NULL,
    kind        TEXT NOT NULL,
    base_json   TEXT,
    local_json  TEXT,
    remote_json TEXT,
    fields      TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    resolved_at TEXT,
    resolution  TEXT
);
CREATE INDEX conflicts_open ON conflicts (local_id) WHERE resolved_at IS NULL;

-- History keeps local_id as plain text, without a foreign key, so that it
-- outlives the records it describes.
CREATE TABLE history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    local_id    TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    qbo_id      TEXT,
    direction   TEXT NOT NULL,
    operation   TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    request_id  TEXT,
    summary     TEXT NOT NULL
);
CREATE INDEX history_by_record ON history (local_id, id);

CREATE TABLE bookmarks (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
