-- Bank and card statements: each import, its lines as inbox entries waiting
-- for review, the CSV layout confirmed per bank account, and the user's rules.
CREATE TABLE statement_imports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    imported_at     TEXT NOT NULL,
    file_name       TEXT NOT NULL,
    format          TEXT NOT NULL,
    -- QuickBooks' id of the bank or card account.
    bank_account_id TEXT NOT NULL,
    lines_read      INTEGER NOT NULL,
    imported        INTEGER NOT NULL,
    duplicates      INTEGER NOT NULL,
    already_in_qbo  INTEGER NOT NULL
);

CREATE TABLE inbox_entries (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    import_id            INTEGER NOT NULL REFERENCES statement_imports (id),
    bank_account_id      TEXT NOT NULL,
    -- FITID, else a hash of account, date, amount and description, with the
    -- occurrence of that combination in its file: a re-import or an
    -- overlapping statement finds the same keys.
    dedup_key            TEXT NOT NULL,
    occurrence           INTEGER NOT NULL,
    txn_date             TEXT NOT NULL,
    -- Exact decimal text, signed: negative is money out.
    amount               TEXT NOT NULL,
    description          TEXT NOT NULL,
    fitid                TEXT,
    payee_text           TEXT,
    check_number         TEXT,
    source_line          INTEGER NOT NULL,
    txn_type             TEXT NOT NULL,
    suggested_account_id TEXT,
    suggested_account    TEXT,
    suggested_payee      TEXT,
    payee_is_new         INTEGER NOT NULL DEFAULT 0,
    -- A score from 0 to 1, not money.
    confidence           REAL NOT NULL DEFAULT 0,
    source               TEXT NOT NULL,
    explanation          TEXT NOT NULL,
    -- new, accepted, excluded or already_in_quickbooks.
    state                TEXT NOT NULL,
    -- The local record of the transaction it matched in the books.
    matched_local_id     TEXT,
    transfer_partner     INTEGER,
    -- What was accepted (account, payee, memo, class, splits) as JSON; the
    -- model learns from it.
    accepted_json        TEXT,
    -- The local ids of the records made from it, as a JSON array.
    created_records      TEXT NOT NULL DEFAULT '[]',
    updated_at           TEXT NOT NULL,
    UNIQUE (bank_account_id, dedup_key)
);
CREATE INDEX inbox_by_state ON inbox_entries (state, txn_date);
CREATE INDEX inbox_by_import ON inbox_entries (import_id);

CREATE TABLE csv_layouts (
    bank_account_id TEXT PRIMARY KEY NOT NULL,
    layout_json     TEXT NOT NULL,
    saved_at        TEXT NOT NULL
);

CREATE TABLE statement_rules (
    position  INTEGER PRIMARY KEY NOT NULL,
    rule_json TEXT NOT NULL
);

-- Which statement line a history entry's record was made from.
ALTER TABLE history ADD COLUMN inbox_entry_id INTEGER;
