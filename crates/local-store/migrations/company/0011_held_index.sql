-- The changes the user held back are read at the start of every push: a
-- handful of rows, found until now by reading every row of the book. A
-- partial index holds only those rows.
CREATE INDEX records_held ON records (local_id) WHERE held = 1;
