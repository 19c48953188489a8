-- The list indexes a first sync drops while it files a whole company, and
-- builds again once every page is saved: building an index from a full
-- table is a sort, where keeping it up to date while a hundred thousand
-- records arrive costs an insert at a random place for each. A definition
-- is saved here in the same transaction that drops its index, and removed
-- in the one that builds it, so an index is never lost: a sync that was
-- stopped half-way (a crash, a kill, a power cut) leaves its definitions
-- here, and the next sync builds them before anything else.
CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY NOT NULL,
    sql  TEXT NOT NULL
);
