-- Open invoices and unpaid bills: the Companies overview counts and totals
-- them, and the records list filters to them. QuickBooks keeps what is left
-- to pay in each document's Balance (and, for a document in a foreign
-- currency, in HomeBalance), read here from its QuickBooks version (the one
-- column never shared with another version). Only invoices and bills with
-- something left to pay are in these indexes, so they stay small, and a
-- write of any other record stops at the entity type before any JSON is read.
CREATE INDEX records_open_list ON records (entity_type, txn_date, local_id, state)
    WHERE entity_type IN ('Invoice', 'Bill') AND json_extract(remote_json, '$.Balance') > 0;
-- The totals read the exact balance text (`->` keeps the number as
-- QuickBooks wrote it), the due date and the currency from this index alone.
CREATE INDEX records_open_balances ON records (
    entity_type,
    state,
    json_extract(remote_json, '$.DueDate'),
    remote_json -> '$.Balance',
    remote_json -> '$.HomeBalance',
    json_extract(remote_json, '$.CurrencyRef.value')
) WHERE entity_type IN ('Invoice', 'Bill') AND json_extract(remote_json, '$.Balance') > 0;

-- A local change the user held back from the push (Pending changes, "Hold
-- back"): the engine leaves it out until it is released. Kept outside the
-- record's own columns, so no save of the record clears it by accident.
ALTER TABLE records ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
