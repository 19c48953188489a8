//! The Tauri shell of Ledgerlink: window set-up, the managed state, logging
//! and thin IPC commands over `app_core`. Nothing else in the workspace
//! depends on Tauri.

mod commands;
mod error;
mod logging;
mod state;

use app_core::AppPaths;
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
            app.manage(AppState::new(paths));
            Ok(())
        })
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
    builder.invoke_handler(tauri::generate_handler![commands::app_info])
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
