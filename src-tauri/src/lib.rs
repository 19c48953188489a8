//! The Tauri shell of Ledgerlink: window set-up, the managed state, logging
//! and thin IPC commands over `app_core`. Nothing else in the workspace
//! depends on Tauri.

mod commands;
mod error;
mod events;
mod logging;
mod notify;
mod state;
mod tray;

use std::sync::Arc;

use app_core::{AppCore, AppPaths, CoreOptions, DemoOptions};
use tauri::{Manager, Runtime};

pub use error::CommandError;
pub use state::AppState;

/// Starts the desktop app and blocks until its last window closes.
pub fn run() {
    let app = builder(tauri::Builder::default())
        // Registered first, as the plugin asks: a second launch focuses the
        // running window instead of opening a second app on the same data.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .setup(|app| {
            let paths = app_paths(app.handle())?;
            let guard = logging::init(&paths.log_dir)?;
            // The guard must live as long as the app, or buffered log lines are lost.
            app.manage(guard);
            tracing::info!(
                version = env!("CARGO_PKG_VERSION"),
                data_dir = %paths.data_dir.display(),
                "Ledgerlink started"
            );
            let core = tauri::async_runtime::block_on(open_core(app.handle(), paths))?;
            app.manage(AppState::new(core));
            if let Err(error) = tray::create(app.handle()) {
                // A desktop without a tray still has the window and the status bar.
                tracing::warn!(%error, "the tray icon could not be created");
            }
            Ok(())
        })
        .plugin(tauri_plugin_notification::init())
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(error) => {
            eprintln!("Ledgerlink could not start: {error}");
            std::process::exit(1);
        }
    }
}

/// The app's commands on any runtime, so that tests can drive them on the
/// mock runtime. The caller manages [`AppState`].
pub fn builder<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::app_info,
        commands::list_companies,
        commands::add_demo_company,
        commands::add_intuit_company,
        commands::add_quickbooks_company,
        commands::set_own_keys,
        commands::connect_company,
        commands::cancel_connect,
        commands::disconnect_company,
        commands::remove_company,
        commands::sync_now,
        commands::cancel_sync,
        commands::list_records,
        commands::get_record,
        commands::save_record,
        commands::delete_record,
        commands::void_record,
        commands::picker_options,
        commands::list_conflicts,
        commands::get_conflict,
        commands::resolve_conflict,
        commands::list_history,
        commands::undo_change,
        commands::export_history_csv,
        commands::pending_changes,
        commands::get_company_settings,
        commands::save_company_settings,
        commands::get_app_settings,
        commands::save_app_settings,
        commands::open_logs_folder,
        commands::demo_address,
        commands::list_products,
        commands::create_product,
        commands::set_stock,
        commands::add_location,
        commands::rename_location,
        commands::remove_location,
    ])
}

/// Opens the use-cases over the app's folders: real tokens in the OS
/// keyring, events to the windows, a timer per connected company and the
/// relay's live updates for those connected through it.
/// `LEDGERLINK_DEMO_SIZE` makes the demo company smaller or larger (the
/// end-to-end tests use a small one).
pub async fn open_core<R: Runtime>(
    app: &tauri::AppHandle<R>,
    paths: AppPaths,
) -> Result<AppCore, Box<dyn std::error::Error>> {
    let vault = secrets::KeyringVault::for_ledgerlink()?;
    let mut options = CoreOptions::with_vault(Arc::new(vault));
    options.events = Arc::new(events::WindowEvents::new(app.clone()));
    options.timers = true;
    options.live_updates = true;
    options.demo = DemoOptions::from_env();
    Ok(AppCore::open(paths, options).await?)
}

/// The folders the OS gives this app for its data and its logs.
pub fn app_paths<R: Runtime>(app: &tauri::AppHandle<R>) -> Result<AppPaths, String> {
    let resolver = app.path();
    let data_dir = resolver
        .app_data_dir()
        .map_err(|error| format!("the OS gave no app data folder: {error}"))?;
    let log_dir = resolver
        .app_log_dir()
        .map_err(|error| format!("the OS gave no app log folder: {error}"))?;
    Ok(AppPaths { data_dir, log_dir })
}
