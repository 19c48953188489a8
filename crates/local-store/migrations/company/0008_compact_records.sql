-- Smaller books. A record's JSON versions are now stored deflated (as a
-- BLOB after a marker byte; older rows keep their text and are read as they
-- are), and the list indexes no longer repeat the 36-character local id:
-- every index entry already holds the row's rowid, which orders ties and
-- finds a page's rows.
DROP INDEX records_list_by_date;
DROP INDEX records_list_by_updated;
DROP INDEX records_list_by_amount;
DROP INDEX records_list_by_name;
DROP INDEX records_list_by_number;
DROP INDEX records_list_search;
CREATE INDEX records_list_by_date ON records (entity_type, txn_date, state);
CREATE INDEX records_list_by_updated ON records (entity_type, updated_key, state);
CREATE INDEX records_list_by_amount ON records (entity_type, amount_key, state);
CREATE INDEX records_list_by_name ON records (entity_type, name COLLATE NOCASE, state);
CREATE INDEX records_list_by_number ON records (entity_type, doc_number, state);
CREATE INDEX records_list_search ON records (
    entity_type, name, doc_number, counterparty, txn_date, amount_key, updated_key, state
);
