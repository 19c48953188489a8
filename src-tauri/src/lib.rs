//! The Tauri shell of Ledgerlink: window set-up, the managed state, logging
//! and thin IPC commands over `app_core`. Nothing else in the workspace
//! depends on Tauri.

mod browser;
mod commands;
mod dialogs;
mod error;
mod events;
#[cfg(target_os = "linux")]
pub mod graphics;
mod logging;
mod menu;
mod notify;
mod state;
mod timing;
mod tray;

use std::sync::Arc;

use app_core::{AppCore, AppPaths, CoreOptions, DemoOptions};
use tauri::{Manager, Runtime};

pub use error::CommandError;
pub use state::AppState;

/// Starts the desktop app and blocks until its last window closes.
pub fn run() {
    timing::start();
    // Before the builder: it changes the environment, which is only sound
    // while no thread that reads it runs, and GTK reads it when it starts.
    #[cfg(target_os = "linux")]
    let rendering = graphics::prepare();
    let app = builder(tauri::Builder::default())
        // Registered first, as the plugin asks: a second launch focuses the
        // running window instead of opening a second app on the same data.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .setup(move |app| {
            timing::mark("setup-started");
            let paths = app_paths(app.handle())?;
            let guard = logging::init(&paths.log_dir)?;
            // The guard must live as long as the app, or buffered log lines are lost.
            app.manage(guard);
            tracing::info!(
                version = env!("CARGO_PKG_VERSION"),
                data_dir = %paths.data_dir.display(),
                "Ledgerlink started"
            );
            #[cfg(target_os = "linux")]
            tracing::info!(
                without_opengl = rendering.without_opengl,
                egl_emptied = rendering.egl_emptied,
                reason = %rendering.reason,
                "how the app process draws"
            );
            // Before the core starts its timers: a notification shown before
            // the click handler exists would not report its click.
            notify::open_on_click(app.handle());
            let core = tauri::async_runtime::block_on(open_core(app.handle(), paths))?;
            timing::mark("core-opened");
            app.manage(AppState::new(core));
            let tray = match tray::create(app.handle()) {
                Ok(()) => KeepRunning(true),
                Err(error) => {
                    // A desktop without a tray still has the window and the
                    // status bar; closing the window then quits.
                    tracing::warn!(%error, "the tray icon could not be created");
                    KeepRunning(false)
                }
            };
            app.manage(tray);
            match menu::app_menu(app.handle()) {
                Ok(menu) => {
                    app.set_menu(menu)?;
                }
                Err(error) => tracing::warn!(%error, "the app menu could not be created"),
            }
            timing::mark("setup-done");
            Ok(())
        })
        .on_page_load(|_webview, payload| match payload.event() {
            tauri::webview::PageLoadEvent::Started => timing::mark("page-load-started"),
            tauri::webview::PageLoadEvent::Finished => timing::mark("page-load-finished"),
        })
        .on_menu_event(|app, event| tray::on_menu(app, event.id().as_ref()))
        .on_window_event(|window, event| {
            // Closing the window keeps Ledgerlink in the tray and its timers
            // syncing; Quit in the tray or the app menu ends it.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event
                && window.state::<KeepRunning>().0
            {
                api.prevent_close();
                let _ = window.hide();
            }
        })
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|app, event| {
            // The last window hidden is not a reason to stop: only an explicit
            // Quit (an exit with a code) ends the app while the tray is there.
            if let tauri::RunEvent::ExitRequested {
                code: None, api, ..
            } = event
                && app.state::<KeepRunning>().0
            {
                api.prevent_exit();
            }
        }),
        Err(error) => {
            eprintln!("Ledgerlink could not start: {error}");
            std::process::exit(1);
        }
    }
}

/// Whether the app stays running in the tray when its window closes.
struct KeepRunning(bool);

/// The app's commands on any runtime, so that tests can drive them on the
/// mock runtime. The caller manages [`AppState`].
pub fn builder<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::app_info,
        commands::first_screen_painted,
        commands::list_companies,
        commands::companies_overview,
        commands::company_charts,
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
        commands::sync_all,
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
        commands::pending_changes,
        commands::pending_review,
        commands::hold_back,
        commands::discard_change,
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
        dialogs::choose_statement_file,
        dialogs::show_in_folder,
        dialogs::export_iif_as,
        dialogs::export_list_as,
        commands::import_statement,
        commands::list_inbox,
        commands::accept_inbox_entry,
        commands::bulk_accept_inbox,
        commands::exclude_inbox_entries,
        commands::list_statement_rules,
        commands::add_statement_rule,
        commands::remove_statement_rule,
        commands::restore_inbox_entries,
        commands::export_iif,
    ])
}

/// Opens the use-cases over the app's folders: real tokens in the OS
/// keyring, events to the windows, a timer per connected company and the
/// relay's live updates for those connected through it.
/// `LEDGERLINK_DEMO_SIZE` makes the demo company smaller or larger (the
/// end-to-end tests use a small one), and `LEDGERLINK_TEST_MINUTE_MS`
/// shortens the timers' minute.
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
    if let Some(minute) = test_minute() {
        options.minute = minute;
    }
    Ok(AppCore::open(paths, options).await?)
}

/// `LEDGERLINK_TEST_MINUTE_MS`: how many milliseconds one minute of a sync
/// interval lasts, so that end-to-end tests can watch a timer sync without
/// waiting five real minutes. Unset, empty or unreadable means a real minute.
fn test_minute() -> Option<std::time::Duration> {
    let text = std::env::var("LEDGERLINK_TEST_MINUTE_MS").ok()?;
    match text.trim().parse::<u64>() {
        Ok(millis) if millis > 0 => Some(std::time::Duration::from_millis(millis)),
        _ => {
            tracing::warn!(value = %text, "LEDGERLINK_TEST_MINUTE_MS is not a positive number; a minute stays a minute");
            None
        }
    }
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
