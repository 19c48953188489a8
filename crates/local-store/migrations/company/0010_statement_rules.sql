-- How sure the reader was of each imported file's layout (a PDF's table, a
-- guessed CSV): when the user's rules change, the open entries' suggestions
-- are worked out again and keep the same discount they had at import.
-- Imports made before this column existed count as certain.
ALTER TABLE statement_imports ADD COLUMN layout_confidence REAL NOT NULL DEFAULT 1;
