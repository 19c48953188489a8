//! The use-cases the desktop app and the CLI share, in plain Rust.
//!
//! Front ends (the Tauri shell, the CLI) hold one [`AppCore`] and delegate
//! every command to it; nothing here knows about Tauri or the webview.
//! Companies live in the app database; each has its own company database,
//! its tokens in the vault and, once connected, a sync engine.

mod activity;
pub mod amounts;
mod companies;
mod demo;
mod error;
mod export;
mod inbox;
mod info;
mod overview;
mod problems;
mod products;
mod queue;
mod records;
mod relay;
mod review;
mod runtime;
mod schedule;
mod views;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use local_store::AppStore;
use qbo_client::{ClientConfig, Clock, SystemClock};
use secrets::{MemoryVault, TokenVault};

pub use activity::{CompanyCharts, SYNC_ACTIVITY_DAYS, SyncActivityDay};
pub use companies::{CONNECT_TIMEOUT, NewCompany, OWN_KEYS_PORT, own_keys_redirect_uri};
pub use demo::DemoOptions;
pub use error::CoreError;
pub use export::{ExportList, ListExportInput, ListExportReport};
pub use inbox::*;
pub use info::{AppInfo, AppPaths};
pub use overview::{CompanyOverview, OpenTotal, sort_overview};
pub use problems::{Problem, ProblemAction, ProblemKind};
pub use queue::{SYNC_ALL_CONCURRENCY, SyncAllFailure, SyncAllReport};
pub use relay::{QUICKBOOKS_API_URL_ENV, RELAY_URL_ENV, UNNAMED_COMPANY};
pub use review::{FieldChange, PendingChange, PendingReview};
pub use runtime::{CompanyEngine, CompanyTokens};
pub use views::*;

use crate::demo::DemoServer;
use crate::runtime::CompanyRuntime;

/// What a use-case returns.
pub type CoreResult<T> = Result<T, CoreError>;

/// What the front end hears about without asking: the shell turns these into
/// events for the webview, the CLI ignores or prints them.
pub trait CoreEvents: Send + Sync {
    /// A company's state changed (sync started or finished, connected,
    /// conflicts found…); here is the whole list again.
    fn companies_changed(&self, companies: &[CompanySummary]) {
        let _ = companies;
    }

    /// A sync found new conflicts.
    fn conflicts_arrived(&self, company_id: &str, count: u64) {
        let _ = (company_id, count);
    }
}

/// Events nobody listens to.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoEvents;

impl CoreEvents for NoEvents {}

/// How the core is put together. Tests swap the vault, the clock and the
/// client's timing.
#[derive(Clone)]
pub struct CoreOptions {
    /// Where tokens and client secrets of real companies are kept.
    pub vault: Arc<dyn TokenVault>,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// How QuickBooks clients behave (limits, retries, timeouts).
    pub client_config: ClientConfig,
    /// How the demo company is generated.
    pub demo: DemoOptions,
    /// Where events go.
    pub events: Arc<dyn CoreEvents>,
    /// Whether companies sync on their own timers (off for the CLI's one-shot commands and tests).
    pub timers: bool,
    /// How long one minute of a company's sync interval lasts: a minute,
    /// except in tests of the timer.
    pub minute: std::time::Duration,
    /// Whether companies connected through a relay listen to its live
    /// updates (the desktop app; off for the CLI's one-shot commands).
    pub live_updates: bool,
    /// How long live updates wait after a change before pulling, so that a
    /// burst of changes becomes one pull.
    pub live_debounce: std::time::Duration,
}

impl CoreOptions {
    /// The options of the desktop app: the given vault, the system clock,
    /// Intuit's limits.
    pub fn with_vault(vault: Arc<dyn TokenVault>) -> CoreOptions {
        CoreOptions {
            vault,
            clock: Arc::new(SystemClock),
            client_config: ClientConfig::default(),
            demo: DemoOptions::default(),
            events: Arc::new(NoEvents),
            timers: false,
            minute: std::time::Duration::from_secs(60),
            live_updates: false,
            // Intuit already gathers a company's changes into one delivery
            // per aggregation window, and the relay streams a delivery's
            // events together, so a quarter second catches a whole burst.
            live_debounce: std::time::Duration::from_millis(250),
        }
    }
}

impl std::fmt::Debug for CoreOptions {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CoreOptions")
            .field("vault", &self.vault)
            .field("demo", &self.demo)
            .field("timers", &self.timers)
            .field("minute", &self.minute)
            .field("live_updates", &self.live_updates)
            .finish_non_exhaustive()
    }
}

/// The application's use-cases over one data folder. Cheap to clone; clones
/// share everything.
#[derive(Clone)]
pub struct AppCore {
    inner: Arc<Inner>,
}

struct Inner {
    paths: AppPaths,
    store: AppStore,
    options: CoreOptions,
    /// Demo tokens are minted again at every start, so they never need the
    /// OS keyring.
    demo_vault: Arc<MemoryVault>,
    companies: tokio::sync::Mutex<HashMap<String, Arc<CompanyRuntime>>>,
    demo: tokio::sync::Mutex<Option<Arc<DemoServer>>>,
    connects: std::sync::Mutex<HashMap<String, tokio::sync::oneshot::Sender<()>>>,
    /// Companies waiting in the "Sync all" queue for their turn.
    queued: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl std::fmt::Debug for AppCore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("AppCore")
            .field("paths", &self.inner.paths)
            .finish_non_exhaustive()
    }
}

impl AppCore {
    /// Opens the application over the given folders (the OS's app-data and
    /// log folders for the desktop app, `--data-dir` for the CLI), creating
    /// the app database on first use.
    pub async fn open(paths: AppPaths, options: CoreOptions) -> CoreResult<AppCore> {
        let store = AppStore::open(&paths.data_dir.join("app.sqlite")).await?;
        let core = AppCore {
            inner: Arc::new(Inner {
                paths,
                store,
                options,
                demo_vault: Arc::new(MemoryVault::new()),
                companies: tokio::sync::Mutex::new(HashMap::new()),
                demo: tokio::sync::Mutex::new(None),
                connects: std::sync::Mutex::new(HashMap::new()),
                queued: std::sync::Mutex::new(std::collections::BTreeSet::new()),
            }),
        };
        if core.inner.options.timers || core.inner.options.live_updates {
            core.start_timers().await;
        }
        Ok(core)
    }

    /// What the app is and where it keeps its files.
    pub fn app_info(&self) -> AppInfo {
        AppInfo::describe(&self.inner.paths)
    }

    /// The app database.
    fn app_store(&self) -> &AppStore {
        &self.inner.store
    }

    /// Where exports are written.
    fn exports_dir(&self) -> PathBuf {
        self.inner.paths.data_dir.join("exports")
    }
}
