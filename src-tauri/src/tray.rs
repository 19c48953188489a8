//! The tray icon: shows whether the companies are in sync, and brings the
//! window back.

use app_core::{CompanySummary, ConnectionState};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

/// The tray icon's id.
const TRAY_ID: &str = "ledgerlink";

/// Creates the tray icon with its menu.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Show Ledgerlink", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&show, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .tooltip("Ledgerlink")
        .title("Ledgerlink")
        .on_menu_event(|app, event| match event.id().as_ref() {
            "show" => {
                if let Some(window) = app.get_webview_window("main") {
                    let _ = window.unminimize();
                    let _ = window.show();
                    let _ = window.set_focus();
                }
            }
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

/// Puts the companies' state in the tray's tooltip and title.
pub fn show_state<R: Runtime>(app: &AppHandle<R>, companies: &[CompanySummary]) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let text = describe(companies);
    let _ = tray.set_tooltip(Some(&text));
    let _ = tray.set_title(Some(&text));
}

/// One line for the tray: what needs attention first.
pub fn describe(companies: &[CompanySummary]) -> String {
    let syncing = companies.iter().filter(|company| company.syncing).count();
    let conflicts: u32 = companies.iter().map(|company| company.open_conflicts).sum();
    let reconnect = companies
        .iter()
        .filter(|company| company.connection == ConnectionState::ReconnectNeeded)
        .count();
    let failed = companies
        .iter()
        .filter(|company| company.last_sync_error.is_some())
        .count();
    if syncing > 0 {
        format!("Ledgerlink: syncing {syncing} compan{}", plural_y(syncing))
    } else if reconnect > 0 {
        format!(
            "Ledgerlink: {reconnect} compan{} to reconnect",
            plural_y(reconnect)
        )
    } else if conflicts > 0 {
        format!(
            "Ledgerlink: {conflicts} conflict{} to resolve",
            if conflicts == 1 { "" } else { "s" }
        )
    } else if failed > 0 {
        format!(
            "Ledgerlink: the last sync of {failed} compan{} failed",
            plural_y(failed)
        )
    } else if companies.is_empty() {
        "Ledgerlink: no companies yet".to_owned()
    } else {
        "Ledgerlink: all in sync".to_owned()
    }
}

fn plural_y(count: usize) -> &'static str {
    if count == 1 { "y" } else { "ies" }
}
