-- A page of the records list is found from an index alone: each sort order
-- has an index that also holds the state the list filters on and the local
-- id it returns. Reading the table for every row skipped by an offset
-- would walk past the three JSON versions stored before those columns.
DROP INDEX records_by_entity_date;
DROP INDEX records_by_entity_updated;
CREATE INDEX records_list_by_date ON records (entity_type, txn_date, local_id, state);
CREATE INDEX records_list_by_updated ON records (entity_type, updated_key, local_id, state);
CREATE INDEX records_list_by_amount ON records (entity_type, amount_key, local_id, state);
CREATE INDEX records_list_by_name ON records (entity_type, name COLLATE NOCASE, local_id, state);
CREATE INDEX records_list_by_number ON records (entity_type, doc_number, local_id, state);
-- A search reads the name, number and counterparty of every record of the
-- type: from this index, not from the wide table rows. It also holds every
-- sort column, so the few matches are ordered without the table.
CREATE INDEX records_list_search ON records (
    entity_type, name, doc_number, counterparty, txn_date, amount_key, updated_key, state, local_id
);
