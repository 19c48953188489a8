-- The indexes on the name and on the document number across every type are
-- dropped: no query needs them. The records list of every type sorted by
-- either reads a typed list index, which also holds the state the list
-- filters on, and sorts it; walking these two instead meant reading each
-- row's state from the table, which made the deeper pages of a hundred
-- thousand records slower, not faster. Keeping them cost every saved record
-- two more index updates and the books about 3% of their size.
DROP INDEX records_by_name;
DROP INDEX records_by_doc_number;
