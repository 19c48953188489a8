//! The app menu: the platform's usual items, and Ledgerlink's own with their
//! shortcuts. The webview handles the same keys itself, so they work where a
//! platform shows no menu bar; either way the same action reaches it.

use tauri::menu::{AboutMetadata, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Runtime};

/// The menu bar (macOS: the app menu; Windows and Linux: the window's bar).
pub fn app_menu<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let file = Submenu::with_items(
        app,
        "&File",
        true,
        &[
            &MenuItem::with_id(app, "action:palette", "Go to…", true, Some("CmdOrCtrl+K"))?,
            &MenuItem::with_id(
                app,
                "action:search",
                "Search records",
                true,
                Some("CmdOrCtrl+F"),
            )?,
            &PredefinedMenuItem::separator(app)?,
            &PredefinedMenuItem::close_window(app, Some("Close window"))?,
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
        &[
            &MenuItem::with_id(
                app,
                "action:sync",
                "Sync this company",
                true,
                Some("CmdOrCtrl+R"),
            )?,
            &MenuItem::with_id(app, "sync-all", "Sync all companies", true, None::<&str>)?,
        ],
    )?;
    let go = Submenu::with_items(
        app,
        "&Go",
        true,
        &[
            &MenuItem::with_id(
                app,
                "action:section:companies",
                "Companies",
                true,
                Some("CmdOrCtrl+1"),
            )?,
            &MenuItem::with_id(
                app,
                "action:section:records",
                "Records",
                true,
                Some("CmdOrCtrl+2"),
            )?,
            &MenuItem::with_id(
                app,
                "action:section:products",
                "Products",
                true,
                Some("CmdOrCtrl+3"),
            )?,
            &MenuItem::with_id(
                app,
                "action:section:conflicts",
                "Conflicts",
                true,
                Some("CmdOrCtrl+4"),
            )?,
            &MenuItem::with_id(
                app,
                "action:section:history",
                "History",
                true,
                Some("CmdOrCtrl+5"),
            )?,
            &MenuItem::with_id(
                app,
                "action:section:settings",
                "Settings",
                true,
                Some("CmdOrCtrl+6"),
            )?,
        ],
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
    Menu::with_items(app, &[&file, &edit, &sync, &go, &help])
}
