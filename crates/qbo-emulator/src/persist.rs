//! Keeping companies across restarts (`qbo-emulator --data DIR`).
//!
//! The folder holds `emulator.json` (registered OAuth clients and webhook
//! settings) and one `companies/{realm_id}.json` per company with every
//! stored document and the tombstones CDC needs. Each file is written to a
//! temporary file in the same folder and renamed over the old one, so a crash
//! mid-write leaves the previous version intact.
//!
//! Writes are tracked per company: the API middleware marks a realm as
//! changed on every request that can write, and a background task saves the
//! changed companies every few seconds; shutting down saves everything once
//! more.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::control::{ClientRecord, WebhookSettings};
use crate::counters::api_realm;
use crate::entities::EntityKind;
use crate::state::{Company, Emulator, Tombstone};

/// The format version written into every file.
const FORMAT_VERSION: u32 = 1;

/// Why loading or saving failed.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// A file or folder could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file did not hold what this version writes.
    #[error("{path} is not a saved emulator file: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
}

fn io_error(
    action: &'static str,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> PersistError + use<> {
    let path = path.to_owned();
    move |source| PersistError::Io {
        action,
        path,
        source,
    }
}

#[derive(Debug, Default)]
struct PersistState {
    dir: Option<PathBuf>,
    dirty: BTreeSet<String>,
    removed: BTreeSet<String>,
    settings_dirty: bool,
}

/// Which companies changed since the last save, and where saves go.
#[derive(Debug, Default)]
pub struct Persistence {
    state: Mutex<PersistState>,
    /// Wakes the autosave when there is something to save, so that an
    /// emulator nobody writes to (the demo between two syncs) does no work.
    changed: tokio::sync::Notify,
}

impl Persistence {
    fn lock(&self) -> MutexGuard<'_, PersistState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The data folder, when persistence is on.
    pub fn dir(&self) -> Option<PathBuf> {
        self.lock().dir.clone()
    }

    /// Turns persistence on, saving into `dir`.
    pub fn enable(&self, dir: &Path) {
        self.lock().dir = Some(dir.to_owned());
    }

    /// Notes that a company changed.
    pub fn mark_dirty(&self, realm_id: &str) {
        let mut state = self.lock();
        if state.dir.is_some() {
            state.removed.remove(realm_id);
            state.dirty.insert(realm_id.to_owned());
            self.changed.notify_one();
        }
    }

    /// Notes that a company was removed; its file goes at the next save.
    pub fn forget(&self, realm_id: &str) {
        let mut state = self.lock();
        if state.dir.is_some() {
            state.dirty.remove(realm_id);
            state.removed.insert(realm_id.to_owned());
            self.changed.notify_one();
        }
    }

    /// Notes that the clients or webhook settings changed.
    pub fn mark_clients_dirty(&self) {
        let mut state = self.lock();
        if state.dir.is_some() {
            state.settings_dirty = true;
            self.changed.notify_one();
        }
    }

    fn take_work(&self) -> Option<(PathBuf, BTreeSet<String>, BTreeSet<String>, bool)> {
        let mut state = self.lock();
        let dir = state.dir.clone()?;
        let dirty = std::mem::take(&mut state.dirty);
        let removed = std::mem::take(&mut state.removed);
        let settings = std::mem::take(&mut state.settings_dirty);
        Some((dir, dirty, removed, settings))
    }

    fn give_back(&self, dirty: BTreeSet<String>, settings: bool) {
        let mut state = self.lock();
        state.dirty.extend(dirty);
        state.settings_dirty |= settings;
        // Tried again at the next save.
        self.changed.notify_one();
    }
}

/// The emulator-wide settings file.
#[derive(Debug, Default, Serialize, Deserialize)]
struct SettingsFile {
    version: u32,
    #[serde(default)]
    clients: Vec<ClientRecord>,
    #[serde(default)]
    webhooks: WebhookSettings,
}

/// A deleted transaction, as saved.
#[derive(Debug, Serialize, Deserialize)]
struct SavedTombstone {
    entity: String,
    id: String,
    deleted_at: DateTime<Utc>,
}

/// One company, as saved.
#[derive(Debug, Serialize, Deserialize)]
struct CompanyFile {
    version: u32,
    realm_id: String,
    name: String,
    /// Entity name → documents by ascending id.
    documents: BTreeMap<String, Vec<Value>>,
    #[serde(default)]
    tombstones: Vec<SavedTombstone>,
    /// Voided transactions as (entity name, id).
    #[serde(default)]
    voided: Vec<(String, String)>,
}

/// What [`load`] found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The realm ids of the companies loaded, in order.
    pub realm_ids: Vec<String>,
    /// The clients registered again.
    pub clients: Vec<ClientRecord>,
    /// The webhook settings found.
    pub webhooks: WebhookSettings,
}

fn settings_path(dir: &Path) -> PathBuf {
    dir.join("emulator.json")
}

fn companies_dir(dir: &Path) -> PathBuf {
    dir.join("companies")
}

/// Realm ids become file names, so only plain ones are saved.
fn is_safe_realm_id(realm_id: &str) -> bool {
    !realm_id.is_empty()
        && realm_id.len() <= 64
        && realm_id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// Loads everything saved in `dir` (creating the folder if needed) into
/// `emulator` and turns persistence on for later saves.
pub fn load(emulator: &Emulator, dir: &Path) -> Result<Loaded, PersistError> {
    let companies = companies_dir(dir);
    fs::create_dir_all(&companies).map_err(io_error("creating", &companies))?;
    let mut loaded = Loaded::default();

    let settings_file = settings_path(dir);
    if settings_file.exists() {
        let text = fs::read(&settings_file).map_err(io_error("reading", &settings_file))?;
        let settings: SettingsFile =
            serde_json::from_slice(&text).map_err(|error| PersistError::Format {
                path: settings_file.clone(),
                reason: error.to_string(),
            })?;
        for client in settings.clients {
            crate::control::register_client(emulator, client.clone());
            loaded.clients.push(client);
        }
        if !settings.webhooks.verifier_token.is_empty() || settings.webhooks.endpoint_url.is_some()
        {
            crate::control::configure_webhooks(emulator, settings.webhooks.clone());
        }
        loaded.webhooks = settings.webhooks;
    }

    let mut files: Vec<PathBuf> = fs::read_dir(&companies)
        .map_err(io_error("listing", &companies))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .collect();
    files.sort();
    for path in files {
        let text = fs::read(&path).map_err(io_error("reading", &path))?;
        let file: CompanyFile =
            serde_json::from_slice(&text).map_err(|error| PersistError::Format {
                path: path.clone(),
                reason: error.to_string(),
            })?;
        restore_company(emulator, file)
            .map_err(|reason| PersistError::Format {
                path: path.clone(),
                reason,
            })
            .map(|realm_id| loaded.realm_ids.push(realm_id))?;
    }
    emulator.operations().persistence.enable(dir);
    Ok(loaded)
}

fn restore_company(emulator: &Emulator, file: CompanyFile) -> Result<String, String> {
    if file.version != FORMAT_VERSION {
        return Err(format!(
            "format version {} is not {FORMAT_VERSION}",
            file.version
        ));
    }
    emulator
        .create_company_with_id(&file.realm_id, &file.name)
        .map_err(|fault| fault.to_string())?;
    let restored = emulator.with_company(&file.realm_id, |company| {
        for (entity, documents) in file.documents {
            let kind =
                EntityKind::parse(&entity).ok_or_else(|| format!("unknown entity {entity}"))?;
            for doc in documents {
                company
                    .restore(kind, doc)
                    .map_err(|fault| fault.to_string())?;
            }
        }
        for tombstone in file.tombstones {
            let kind = EntityKind::parse(&tombstone.entity)
                .ok_or_else(|| format!("unknown entity {}", tombstone.entity))?;
            company.restore_tombstone(Tombstone {
                kind,
                id: tombstone.id,
                deleted_at: tombstone.deleted_at,
            });
        }
        for (entity, id) in file.voided {
            if let (Some(kind), Ok(id)) = (EntityKind::parse(&entity), id.parse::<u64>()) {
                company.restore_voided(kind, id);
            }
        }
        company.rebuild_links();
        company.take_changes();
        Ok::<(), String>(())
    });
    match restored {
        Some(Ok(())) => Ok(file.realm_id),
        Some(Err(reason)) => {
            emulator.remove_company(&file.realm_id);
            Err(reason)
        }
        None => Err("the company vanished while loading".to_owned()),
    }
}

fn company_file(company: &Company) -> CompanyFile {
    let name = company
        .get(EntityKind::CompanyInfo, 1)
        .and_then(|info| info.get("CompanyName"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut documents = BTreeMap::new();
    let mut voided = Vec::new();
    for kind in EntityKind::ALL {
        let docs: Vec<Value> = company.all_of(kind).cloned().collect();
        if kind.is_transaction() {
            for doc in &docs {
                if let Some(id) = doc.get("Id").and_then(Value::as_str)
                    && id
                        .parse::<u64>()
                        .is_ok_and(|id| company.is_voided(kind, id))
                {
                    voided.push((kind.name().to_owned(), id.to_owned()));
                }
            }
        }
        if !docs.is_empty() {
            documents.insert(kind.name().to_owned(), docs);
        }
    }
    let tombstones = company
        .tombstones()
        .iter()
        .map(|tombstone| SavedTombstone {
            entity: tombstone.kind.name().to_owned(),
            id: tombstone.id.clone(),
            deleted_at: tombstone.deleted_at,
        })
        .collect();
    CompanyFile {
        version: FORMAT_VERSION,
        realm_id: company.realm_id().to_owned(),
        name,
        documents,
        tombstones,
        voided,
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PersistError> {
    let file_name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("data");
    let temporary = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    let mut file = fs::File::create(&temporary).map_err(io_error("creating", &temporary))?;
    file.write_all(bytes)
        .map_err(io_error("writing", &temporary))?;
    file.sync_all().map_err(io_error("syncing", &temporary))?;
    drop(file);
    fs::rename(&temporary, path).map_err(io_error("renaming into place", path))
}

fn save_company(emulator: &Emulator, dir: &Path, realm_id: &str) -> Result<(), PersistError> {
    if !is_safe_realm_id(realm_id) {
        return Ok(());
    }
    // Serialise under the company's lock, write outside it.
    let Some(bytes) = emulator.with_company(realm_id, |company| {
        serde_json::to_vec(&company_file(company))
    }) else {
        return Ok(());
    };
    let path = companies_dir(dir).join(format!("{realm_id}.json"));
    let bytes = bytes.map_err(|error| PersistError::Format {
        path: path.clone(),
        reason: error.to_string(),
    })?;
    write_atomically(&path, &bytes)
}

fn save_settings(emulator: &Emulator, dir: &Path) -> Result<(), PersistError> {
    let operations = emulator.operations();
    let file = SettingsFile {
        version: FORMAT_VERSION,
        clients: operations.clients(),
        webhooks: operations.webhook_settings(),
    };
    let path = settings_path(dir);
    let bytes = serde_json::to_vec_pretty(&file).map_err(|error| PersistError::Format {
        path: path.clone(),
        reason: error.to_string(),
    })?;
    write_atomically(&path, &bytes)
}

/// Saves what changed since the last save; returns how many companies were
/// written. Does nothing when persistence is off.
pub fn save_changes(emulator: &Emulator) -> Result<usize, PersistError> {
    let persistence = &emulator.operations().persistence;
    let Some((dir, dirty, removed, settings)) = persistence.take_work() else {
        return Ok(0);
    };
    let companies = companies_dir(&dir);
    fs::create_dir_all(&companies).map_err(io_error("creating", &companies))?;
    if settings && let Err(error) = save_settings(emulator, &dir) {
        persistence.give_back(dirty, true);
        return Err(error);
    }
    let mut written = 0;
    let mut pending: BTreeSet<String> = dirty.clone();
    for realm_id in &dirty {
        if let Err(error) = save_company(emulator, &dir, realm_id) {
            persistence.give_back(pending, false);
            return Err(error);
        }
        pending.remove(realm_id);
        written += 1;
    }
    for realm_id in removed.iter().filter(|realm_id| is_safe_realm_id(realm_id)) {
        let path = companies.join(format!("{realm_id}.json"));
        if path.exists() {
            fs::remove_file(&path).map_err(io_error("removing", &path))?;
        }
    }
    Ok(written)
}

/// Saves every company and the settings, whatever changed.
pub fn save_all(emulator: &Emulator) -> Result<usize, PersistError> {
    let persistence = &emulator.operations().persistence;
    if persistence.dir().is_none() {
        return Ok(0);
    }
    for realm_id in emulator.realm_ids() {
        persistence.mark_dirty(&realm_id);
    }
    persistence.mark_clients_dirty();
    save_changes(emulator)
}

/// Saves what changed, at most one save every `interval`: after a change it
/// waits `interval`, so that the changes of that stretch are saved together,
/// then saves. It wakes only when something changed. Runs until the task is
/// aborted.
pub fn spawn_autosave(emulator: Emulator, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            emulator.operations().persistence.changed.notified().await;
            tokio::time::sleep(interval).await;
            let worker = emulator.clone();
            let saved = tokio::task::spawn_blocking(move || save_changes(&worker)).await;
            match saved {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::error!(%error, "saving the emulator's data failed"),
                Err(error) => tracing::error!(%error, "the save task failed"),
            }
        }
    })
}

/// The axum middleware: marks a company as changed after any API request
/// that can write to it (every method except GET and HEAD, and the POST of a
/// query, which only reads).
pub async fn track_writes(
    State(emulator): State<Emulator>,
    request: Request,
    next: Next,
) -> Response {
    let realm_id = written_realm(request.method(), request.uri().path()).map(str::to_owned);
    let response = next.run(request).await;
    if let Some(realm_id) = realm_id {
        emulator.operations().persistence.mark_dirty(&realm_id);
    }
    response
}

/// The company an API request can change, if any. A query is POSTed but
/// only reads: counting it as a write would have the autosave write the
/// whole company again every interval while a client pages through it (a
/// first sync of a big company in the demo, say).
fn written_realm<'a>(method: &Method, path: &'a str) -> Option<&'a str> {
    if method == Method::GET || method == Method::HEAD {
        return None;
    }
    if crate::counters::api_resource(path) == Some("query") {
        return None;
    }
    api_realm(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_requests_that_can_write_mark_a_company_changed() {
        let path = "/v3/company/9341452000000001/invoice";
        assert_eq!(written_realm(&Method::POST, path), Some("9341452000000001"));
        assert_eq!(
            written_realm(&Method::POST, "/v3/company/9341452000000001/batch"),
            Some("9341452000000001")
        );
        assert_eq!(
            written_realm(&Method::GET, "/v3/company/9341452000000001/invoice/1"),
            None
        );
        assert_eq!(
            written_realm(&Method::POST, "/v3/company/9341452000000001/query"),
            None
        );
        assert_eq!(
            written_realm(&Method::POST, "/oauth2/v1/tokens/bearer"),
            None
        );
    }

    #[test]
    fn realm_ids_that_are_file_names() {
        assert!(is_safe_realm_id("9341452000000001"));
        assert!(!is_safe_realm_id("../etc"));
        assert!(!is_safe_realm_id(""));
    }

    #[test]
    fn atomic_write_replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let leftovers = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1);
    }
}
