//! The app menu: the platform's usual items, Sync all, and an explicit Quit
//! (closing the window keeps the app in the tray).

use tauri::menu::{AboutMetadata, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Runtime};

/// The menu bar (macOS: the app menu; Windows and Linux: the window's bar).
pub fn app_menu<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let file = Submenu::with_items(
        app,
        "&File",
        true,
        &[
            &close_window(app)?,
            &MenuItem::with_id(app, "quit", "Quit Ledgerlink", true, None::<&str>)?,
        ],
    )?;
    let edit = Submenu::with_items(
        app,
        "&Edit",
        true,
        &[
            &PredefinedMenuItem::undo(app, None)?,
            &PredefinedMenuItem::redo(app, None)?,
            &PredefinedMenuItem::separator(app)?,
            &PredefinedMenuItem::cut(app, None)?,
            &PredefinedMenuItem::copy(app, None)?,
            &PredefinedMenuItem::paste(app, None)?,
            &PredefinedMenuItem::select_all(app, None)?,
        ],
    )?;
    let sync = Submenu::with_items(
        app,
        "&Sync",
        true,
        &[&MenuItem::with_id(
            app,
            "sync-all",
            "Sync all companies",
            true,
            None::<&str>,
        )?],
    )?;
    let help = Submenu::with_items(
        app,
        "&Help",
        true,
        &[&PredefinedMenuItem::about(
            app,
            Some("About Ledgerlink"),
            Some(AboutMetadata {
                name: Some("Ledgerlink".to_owned()),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
                ..AboutMetadata::default()
            }),
        )?],
    )?;
    Menu::with_items(app, &[&file, &edit, &sync, &help])
}

/// macOS's own "Close window" (⌘W).
#[cfg(target_os = "macos")]
fn close_window<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<PredefinedMenuItem<R>> {
    PredefinedMenuItem::close_window(app, Some("Close window"))
}

/// "Close window" (Ctrl+W) as an item of our own: the GTK menu renders the
/// predefined one disabled, with no shortcut. Its handler closes the window
/// the way its title bar's button does, so it goes to the tray.
#[cfg(not(target_os = "macos"))]
fn close_window<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<MenuItem<R>> {
    MenuItem::with_id(
        app,
        crate::tray::CLOSE_WINDOW,
        "Close window",
        true,
        Some("CmdOrCtrl+W"),
    )
}
