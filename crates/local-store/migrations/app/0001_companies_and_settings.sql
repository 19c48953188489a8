-- The app database: the companies this installation keeps, and app settings.
CREATE TABLE companies (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    environment     TEXT NOT NULL,
    discovery_url   TEXT NOT NULL,
    api_base_url    TEXT,
    client_id       TEXT,
    redirect_page   TEXT,
    realm_id        TEXT,
    connection      TEXT NOT NULL,
    settings        TEXT NOT NULL DEFAULT '{}',
    created_at      TEXT NOT NULL,
    last_sync_at    TEXT,
    last_sync_error TEXT
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
