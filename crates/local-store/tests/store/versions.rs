//! A version both sides agree on is stored once (migration 0005): every
//! combination of equal and different versions round-trips, many records
//! are saved in few statements, and books written before the migration
//! are converted without losing a version; versions earlier books stored
//! deflated or as text still read back.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use local_store::{AgreedRecord, Changeset, CompanyStore, RecordRow, RecordState};
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};

fn version(note: &str) -> Value {
    json!({"Id": "1", "SyncToken": "3", "PrivateNote": note, "TotalAmt": "10.25",
           "Line": [{"Id": "1", "Amount": "10.25", "DetailType": "SalesItemLineDetail"}]})
}

fn record(
    local_id: &str,
    base: Option<&str>,
    local: Option<&str>,
    remote: Option<&str>,
) -> RecordRow {
    let mut record = RecordRow::new(local_id, "Invoice");
    record.base = base.map(version);
    record.local = local.map(version);
    record.remote = remote.map(version);
    record.state = RecordState::Pending;
    record
}

/// Every way three versions can be present, absent, equal or different.
fn combinations() -> Vec<RecordRow> {
    let names = [None, Some("a"), Some("b"), Some("c")];
    let mut records = Vec::new();
    for base in names {
        for local in names {
            for remote in names {
                let id = format!(
                    "{}-{}-{}",
                    base.unwrap_or("none"),
                    local.unwrap_or("none"),
                    remote.unwrap_or("none")
                );
                records.push(record(&id, base, local, remote));
            }
        }
    }
    records
}

async fn raw_pool(path: &Path) -> SqlitePool {
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(path))
        .await
        .unwrap()
}

/// The copies of JSON a record's row holds, and its sharing flags.
async fn stored(pool: &SqlitePool, local_id: &str) -> (i64, i64) {
    let row = sqlx::query(
        "SELECT (base_json IS NOT NULL) + (local_json IS NOT NULL)
                + (remote_json IS NOT NULL) AS copies, shared_versions
         FROM records WHERE local_id = ?",
    )
    .bind(local_id)
    .fetch_one(pool)
    .await
    .unwrap();
    (row.get("copies"), row.get("shared_versions"))
}

#[tokio::test]
async fn every_combination_of_versions_round_trips_and_an_agreed_one_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("company.sqlite");
    let store = CompanyStore::open(&path).await.unwrap();
    let records = combinations();
    store
        .commit(Changeset {
            records: records.clone(),
            ..Changeset::default()
        })
        .await
        .unwrap();
    store.clone().close().await;
    let store = CompanyStore::open(&path).await.unwrap();
    for expected in &records {
        let read = store.record(&expected.local_id).await.unwrap().unwrap();
        assert_eq!(&read, expected, "{}", expected.local_id);
    }
    store.close().await;
    let pool = raw_pool(&path).await;
    assert_eq!(stored(&pool, "a-a-a").await.0, 1, "agreed: one copy");
    assert_eq!(stored(&pool, "a-b-a").await.0, 2, "a local edit: two");
    assert_eq!(stored(&pool, "a-a-b").await.0, 2, "a remote change: two");
    assert_eq!(stored(&pool, "a-b-b").await.0, 2, "merged: two");
    assert_eq!(stored(&pool, "a-b-c").await.0, 3, "all differ: three");
    assert_eq!(stored(&pool, "none-a-none").await.0, 1, "a local create");
    // Each copy is stored compressed, smaller than its JSON text.
    let (bytes, kind): (i64, String) = sqlx::query_as(
        "SELECT length(remote_json), typeof(remote_json) FROM records WHERE local_id = 'a-a-a'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kind, "blob");
    let text = i64::try_from(version("a").to_string().len()).unwrap();
    assert!(bytes < text, "{bytes} bytes stored for {text} of JSON");
}

#[tokio::test]
async fn many_records_in_one_changeset_are_all_saved_and_a_resave_updates_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = CompanyStore::open(&dir.path().join("company.sqlite"))
        .await
        .unwrap();
    // 150 = 2 × 64 + 2 × 8 + 6 × 1: every statement size is used.
    let mut records: Vec<RecordRow> = (0..150)
        .map(|index| {
            let mut record = record(&format!("r{index:03}"), Some("a"), Some("a"), Some("a"));
            record.qbo_id = Some(index.to_string());
            record.state = RecordState::Synced;
            record
        })
        .collect();
    store
        .commit(Changeset {
            records: records.clone(),
            ..Changeset::default()
        })
        .await
        .unwrap();
    for record in records.iter_mut().step_by(3) {
        record.local = Some(version("edited"));
        record.state = RecordState::Pending;
    }
    store
        .commit(Changeset {
            records: records.clone(),
            ..Changeset::default()
        })
        .await
        .unwrap();
    let all = store.records_of(&["Invoice"]).await.unwrap();
    assert_eq!(all, records);
    // A second record for the same QuickBooks object still fails the whole
    // changeset, even inside a multi-row statement.
    let mut twin = records[5].clone();
    twin.local_id = "twin".to_owned();
    let mut batch = records.clone();
    batch.insert(3, twin);
    assert!(
        store
            .commit(Changeset {
                records: batch,
                ..Changeset::default()
            })
            .await
            .is_err()
    );
    assert_eq!(store.records_of(&["Invoice"]).await.unwrap(), records);
}

#[tokio::test]
async fn books_written_before_the_migration_keep_every_version_in_one_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("company.sqlite");
    // The books as the migrations before 0005 left them: three copies.
    let earlier = dir.path().join("earlier-migrations");
    std::fs::create_dir(&earlier).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/company");
    for entry in std::fs::read_dir(&source).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let number: u32 = name.split('_').next().unwrap().parse().unwrap();
        if number < 5 {
            std::fs::copy(entry.path(), earlier.join(&name)).unwrap();
        }
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true),
        )
        .await
        .unwrap();
    sqlx::migrate::Migrator::new(earlier.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let records = combinations();
    for record in &records {
        let text = |value: &Option<Value>| value.as_ref().map(ToString::to_string);
        sqlx::query(
            "INSERT INTO records (local_id, entity_type, base_json, local_json, remote_json, state)
             VALUES (?, 'Invoice', ?, ?, ?, 'pending')",
        )
        .bind(&record.local_id)
        .bind(text(&record.base))
        .bind(text(&record.local))
        .bind(text(&record.remote))
        .execute(&pool)
        .await
        .unwrap();
    }
    let one = i64::try_from(version("a").to_string().len()).unwrap();
    assert_eq!(stored_before(&pool, "a-a-a").await, 3 * one);
    pool.close().await;

    let store = CompanyStore::open(&path).await.unwrap();
    for expected in &records {
        let read = store.record(&expected.local_id).await.unwrap().unwrap();
        assert_eq!(read.base, expected.base, "{}", expected.local_id);
        assert_eq!(read.local, expected.local, "{}", expected.local_id);
        assert_eq!(read.remote, expected.remote, "{}", expected.local_id);
    }
    store.close().await;
    let pool = raw_pool(&path).await;
    assert_eq!(stored(&pool, "a-a-a").await.0, 1);
    assert_eq!(stored(&pool, "a-b-a").await.0, 2);
    assert_eq!(stored(&pool, "a-b-b").await.0, 2);
    assert_eq!(stored(&pool, "b-b-a").await.0, 2);
    assert_eq!(stored(&pool, "a-b-c").await.0, 3);
    // The migration leaves the text it kept as text, read as before.
    let kind: String =
        sqlx::query_scalar("SELECT typeof(remote_json) FROM records WHERE local_id = 'a-b-c'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(kind, "text");
}

#[tokio::test]
async fn agreed_records_are_stored_as_one_version_and_read_back_as_three() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("company.sqlite");
    let store = CompanyStore::open(&path).await.unwrap();
    // Enough records for every statement size, one of them replacing a
    // record saved before as an ordinary one.
    store
        .commit(Changeset {
            records: vec![record("agreed-0", Some("a"), Some("b"), Some("c"))],
            ..Changeset::default()
        })
        .await
        .unwrap();
    let agreed: Vec<AgreedRecord> = (0..1_075)
        .map(|index| {
            let mut record = record(&format!("agreed-{index}"), None, None, None);
            record.state = RecordState::Synced;
            // Ignored: an agreed record's versions are its text.
            if index == 1 {
                record.local = Some(version("z"));
            }
            // QuickBooks' text as it came, spaces and escapes included.
            let text = version("a")
                .to_string()
                .replace(':', ": ")
                .replace('a', "\\u0061");
            AgreedRecord {
                record,
                text: serde_json::value::RawValue::from_string(text).unwrap(),
                members: version("a"),
            }
        })
        .collect();
    store
        .commit(Changeset {
            agreed_records: agreed.clone(),
            ..Changeset::default()
        })
        .await
        .unwrap();
    for expected in agreed.iter().map(|agreed| &agreed.record) {
        let read = store.record(&expected.local_id).await.unwrap().unwrap();
        assert_eq!(read.remote, Some(version("a")), "{}", expected.local_id);
        assert_eq!(read.base, read.remote, "{}", expected.local_id);
        assert_eq!(read.local, read.remote, "{}", expected.local_id);
        assert_eq!(read.state, RecordState::Synced);
    }
    store.close().await;
    let pool = raw_pool(&path).await;
    for id in ["agreed-0", "agreed-1", "agreed-999", "agreed-1074"] {
        assert_eq!(stored(&pool, id).await, (1, 3), "{id}: one copy");
    }
}

/// The bytes of JSON a row holds before the migration.
async fn stored_before(pool: &SqlitePool, local_id: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COALESCE(length(base_json), 0) + COALESCE(length(local_json), 0)
                + COALESCE(length(remote_json), 0)
         FROM records WHERE local_id = ?",
    )
    .bind(local_id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_damaged_deflated_version_is_reported_with_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("company.sqlite");
    let store = CompanyStore::open(&path).await.unwrap();
    store
        .commit(Changeset {
            records: vec![record("damaged", Some("a"), Some("b"), Some("c"))],
            ..Changeset::default()
        })
        .await
        .unwrap();
    let pool = raw_pool(&path).await;
    // The marker byte of deflated JSON, then bytes that do not inflate.
    sqlx::query("UPDATE records SET base_json = X'01FFFFFFFF' WHERE local_id = 'damaged'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let error = store.record("damaged").await.unwrap_err();
    assert!(error.to_string().contains("record damaged"), "{error}");
    assert!(error.to_string().contains("base version"), "{error}");
}

#[tokio::test]
async fn versions_written_deflated_or_as_text_by_earlier_books_still_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("company.sqlite");
    let store = CompanyStore::open(&path).await.unwrap();
    store
        .commit(Changeset {
            records: vec![record("older", Some("a"), Some("b"), Some("c"))],
            ..Changeset::default()
        })
        .await
        .unwrap();
    let pool = raw_pool(&path).await;
    // What earlier books hold: raw deflate of
    // {"Id":"1","PrivateNote":"written deflated"} after its marker byte, and
    // plain JSON text.
    sqlx::query(
        "UPDATE records SET
            base_json = X'01ab56f24c51b2523254d2510a28ca2c4b2c49f5cb2f49058a9417659694a4e629a4a4a6e5004553946a01',
            local_json = '{\"Id\":\"1\",\"PrivateNote\":\"plain text\"}'
         WHERE local_id = 'older'",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let read = store.record("older").await.unwrap().unwrap();
    assert_eq!(
        read.base,
        Some(json!({"Id": "1", "PrivateNote": "written deflated"}))
    );
    assert_eq!(
        read.local,
        Some(json!({"Id": "1", "PrivateNote": "plain text"}))
    );
    assert_eq!(read.remote, Some(version("c")));
}

#[tokio::test]
async fn a_compressed_version_claiming_a_huge_length_is_refused_without_allocating_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("company.sqlite");
    let store = CompanyStore::open(&path).await.unwrap();
    store
        .commit(Changeset {
            records: vec![record("huge", Some("a"), Some("b"), Some("c"))],
            ..Changeset::default()
        })
        .await
        .unwrap();
    let pool = raw_pool(&path).await;
    // The LZ4 marker, a length of 4 GiB − 1, then a few bytes.
    sqlx::query("UPDATE records SET remote_json = X'02FFFFFFFF10AB' WHERE local_id = 'huge'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let error = store.record("huge").await.unwrap_err().to_string();
    assert!(error.contains("record huge"), "{error}");
    assert!(error.contains("QuickBooks version"), "{error}");
    assert!(error.contains("4294967295 bytes"), "{error}");
}

#[tokio::test]
async fn a_checkpoint_copies_the_write_ahead_log_into_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("company.sqlite");
    let store = CompanyStore::open(&path).await.unwrap();
    let size = || std::fs::metadata(&path).unwrap().len();
    let empty = size();
    // Fewer pages than SQLite's own checkpoint waits for: they stay in the log.
    let records: Vec<RecordRow> = (0..200)
        .map(|index| record(&format!("logged-{index}"), Some("a"), Some("b"), Some("c")))
        .collect();
    store
        .commit(Changeset {
            records,
            ..Changeset::default()
        })
        .await
        .unwrap();
    assert_eq!(size(), empty, "the records are in the log only");
    store.checkpoint().await.unwrap();
    assert!(
        size() > empty,
        "the checkpoint left the database at {} bytes",
        size()
    );
    let read = store.record("logged-199").await.unwrap().unwrap();
    assert_eq!(read.local, Some(version("b")));
}

/// Every stored column of every record, NULLs and blobs spelled out.
async fn stored_rows(pool: &SqlitePool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT local_id || ' ' || quote(base_json) || ' ' || quote(local_json) || ' '
                || quote(remote_json) || ' ' || shared_versions || ' ' || state || ' '
                || quote(amount_key) || ' ' || quote(updated_key) || ' '
                || quote(open_balance) || ' ' || quote(open_home_balance) || ' '
                || quote(due_date) || ' ' || quote(currency)
         FROM records ORDER BY local_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_changeset_packed_beforehand_is_stored_as_it_is_unpacked() {
    let dir = tempfile::tempdir().unwrap();
    let paths = [
        dir.path().join("plain.sqlite"),
        dir.path().join("packed.sqlite"),
    ];
    // Ordinary records with every combination of versions, and agreed ones
    // in every statement size, some of them open invoices.
    let agreed = (0..1_075).map(|index| {
        let mut record = record(&format!("agreed-{index}"), None, None, None);
        record.state = RecordState::Synced;
        let members = if index % 3 == 0 {
            json!({"Balance": "4.75", "HomeBalance": "6.10", "DueDate": "2026-02-01",
                   "CurrencyRef": {"value": "CAD"}})
        } else {
            version("a")
        };
        AgreedRecord {
            record,
            text: serde_json::value::RawValue::from_string(version(&index.to_string()).to_string())
                .unwrap(),
            members,
        }
    });
    let changes = Changeset {
        records: combinations(),
        agreed_records: agreed.collect(),
        ..Changeset::default()
    };
    let plain = CompanyStore::open(&paths[0]).await.unwrap();
    plain.commit(changes.clone()).await.unwrap();
    plain.close().await;
    let packed = CompanyStore::open(&paths[1]).await.unwrap();
    packed.commit_packed(&changes.pack()).await.unwrap();
    packed.close().await;
    let plain_rows = stored_rows(&raw_pool(&paths[0]).await).await;
    let packed_rows = stored_rows(&raw_pool(&paths[1]).await).await;
    assert_eq!(plain_rows.len(), 64 + 1_075);
    assert!(
        plain_rows.iter().any(|row| row.contains("'4.75'")),
        "an open invoice keeps its balance"
    );
    assert_eq!(packed_rows, plain_rows);
}
