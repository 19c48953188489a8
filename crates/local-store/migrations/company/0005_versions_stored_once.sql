-- A version both sides agree on is stored once. `shared_versions` says
-- which of a record's JSON columns stand for another instead of holding
-- their own copy (the column is then NULL):
--   1: the base is the QuickBooks version (base_json is NULL);
--   2: the local version is the QuickBooks version (local_json is NULL);
--   4: the local version is the base (local_json is NULL).
-- Every record of a first sync, and every record at rest, holds one copy
-- instead of three.
ALTER TABLE records ADD COLUMN shared_versions INTEGER NOT NULL DEFAULT 0;

-- The full scan that marked a record last seen in QuickBooks: a re-scan
-- marks what it reads, and the live records left unmarked are the ones to
-- look up, without holding every id read in memory.
ALTER TABLE records ADD COLUMN scan_mark INTEGER;

-- Existing books: equal texts become one. A local version equal to both
-- the base and the QuickBooks version points at the QuickBooks one.
UPDATE records SET shared_versions =
    (CASE WHEN base_json IS NOT NULL AND base_json = remote_json THEN 1 ELSE 0 END)
  | (CASE
        WHEN local_json IS NOT NULL AND local_json = remote_json THEN 2
        WHEN local_json IS NOT NULL AND local_json = base_json THEN 4
        ELSE 0
     END);
UPDATE records SET
    base_json = CASE WHEN shared_versions & 1 <> 0 THEN NULL ELSE base_json END,
    local_json = CASE WHEN shared_versions & 6 <> 0 THEN NULL ELSE local_json END
WHERE shared_versions <> 0;
