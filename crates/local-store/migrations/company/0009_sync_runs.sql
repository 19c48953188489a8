-- One row per sync the app or the command line ran for the company: when it
-- finished, what it pulled and pushed, how many conflicts it opened and
-- whether it failed. The Companies page draws the last 30 days of it as a
-- chart; older rows are pruned when a sync is recorded, so the table stays
-- small. Times are RFC 3339 UTC text of one fixed format, so text order is
-- time order.
CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY,
    finished_at TEXT NOT NULL,
    pull_only INTEGER NOT NULL,
    pulled INTEGER NOT NULL,
    pushed INTEGER NOT NULL,
    conflicts_opened INTEGER NOT NULL,
    refused INTEGER NOT NULL,
    failed INTEGER NOT NULL
);
CREATE INDEX sync_runs_finished ON sync_runs (finished_at);
