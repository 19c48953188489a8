-- Open invoices and unpaid bills: the Companies overview counts and totals
-- them, and the records list filters to them. QuickBooks keeps what is left
-- to pay in each document's Balance (and, for a document in a foreign
-- currency, in HomeBalance). The store copies those, the due date and the
-- currency out of the QuickBooks version into columns when it saves a
-- record, because the JSON versions are stored deflated (migration 0008) and
-- SQLite's JSON functions cannot read them. `open_balance` is set only for
-- an invoice or bill with something left to pay, as the exact text
-- QuickBooks wrote.
ALTER TABLE records ADD COLUMN open_balance TEXT;
ALTER TABLE records ADD COLUMN open_home_balance TEXT;
ALTER TABLE records ADD COLUMN due_date TEXT;
ALTER TABLE records ADD COLUMN currency TEXT;
-- Every version is still JSON text here (0008 deflates only what is saved
-- after it), so the columns of records already stored are filled from it.
UPDATE records SET
    open_balance = CAST(remote_json -> '$.Balance' AS TEXT),
    open_home_balance = CAST(remote_json -> '$.HomeBalance' AS TEXT),
    due_date = json_extract(remote_json, '$.DueDate'),
    currency = json_extract(remote_json, '$.CurrencyRef.value')
WHERE entity_type IN ('Invoice', 'Bill') AND json_valid(remote_json)
    AND json_extract(remote_json, '$.Balance') > 0;
-- Only invoices and bills with something left to pay are in these indexes,
-- so they stay small.
CREATE INDEX records_open_list ON records (entity_type, txn_date, state)
    WHERE open_balance IS NOT NULL;
-- The totals read the balances, the due date and the currency from this
-- index alone.
CREATE INDEX records_open_balances ON records (
    entity_type, state, due_date, open_balance, open_home_balance, currency
) WHERE open_balance IS NOT NULL;

-- A local change the user held back from the push (Pending changes, "Hold
-- back"): the engine leaves it out until it is released. Kept outside the
-- record's own columns, so no save of the record clears it by accident.
ALTER TABLE records ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
