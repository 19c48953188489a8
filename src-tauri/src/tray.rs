//! The tray icon: its badge says whether the companies are in sync, syncing
//! or need attention; its menu lists each company with its state and offers
//! Sync all, Open and Quit. Closing the window leaves the app here, syncing.

use app_core::{CompanySummary, ConnectionState};
use tauri::image::Image;
use tauri::menu::{IsMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

/// The tray icon's id.
const TRAY_ID: &str = "ledgerlink";
/// Menu ids; a company's item is `company:<id>`.
const OPEN: &str = "open";
const SYNC_ALL: &str = "sync-all";
const QUIT: &str = "quit";
/// The app menu's "Close window" where it is an item of our own (not macOS).
pub(crate) const CLOSE_WINDOW: &str = "close-window";

/// What the tray's badge shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayState {
    /// Every company is in sync.
    Ok,
    /// A sync runs or waits in the queue.
    Syncing,
    /// A company needs the user: conflicts, a failed sync or a reconnect.
    Attention,
}

impl TrayState {
    /// The state of a set of companies: attention first, then syncing.
    pub fn of(companies: &[CompanySummary]) -> TrayState {
        if companies.iter().any(needs_attention) {
            TrayState::Attention
        } else if companies
            .iter()
            .any(|company| company.syncing || company.queued)
        {
            TrayState::Syncing
        } else {
            TrayState::Ok
        }
    }

    /// The badge colour (RGBA): green, blue or amber.
    fn colour(self) -> [u8; 4] {
        match self {
            TrayState::Ok => [0x2e, 0x7d, 0x32, 0xff],
            TrayState::Syncing => [0x1f, 0x6f, 0xd1, 0xff],
            TrayState::Attention => [0xd9, 0x7a, 0x00, 0xff],
        }
    }
}

fn needs_attention(company: &CompanySummary) -> bool {
    company.open_conflicts > 0
        || company.connection == ConnectionState::ReconnectNeeded
        || (company.last_sync_error.is_some() && !company.syncing)
}

/// Creates the tray icon with its menu; the caller learns whether a tray exists.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let menu = menu(app, &[])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .tooltip("Ledgerlink")
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()));
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(badged(icon, TrayState::Ok));
    }
    builder.build(app)?;
    Ok(())
}

/// Carries out a tray or app-menu choice.
pub fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        OPEN => show_window(app),
        QUIT => app.exit(0),
        // Asks the window to close, as its title bar's button does: the
        // close handler then keeps the app running in the tray.
        CLOSE_WINDOW => {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.close();
            }
        }
        SYNC_ALL => {
            let state = app.state::<crate::AppState>();
            let core = state.core.clone();
            tauri::async_runtime::spawn(async move {
                if let Err(error) = core.sync_all().await {
                    tracing::warn!(%error, "sync all from the menu failed");
                }
            });
        }
        // A company's line brings the window back, where its state shows.
        other if other.starts_with("company:") => show_window(app),
        _ => {}
    }
}

/// Brings the main window back from the tray.
pub fn show_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Puts the companies' state in the tray: badge, tooltip and menu.
pub fn show_state<R: Runtime>(app: &AppHandle<R>, companies: &[CompanySummary]) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let text = describe(companies);
    let _ = tray.set_tooltip(Some(&text));
    if let Some(icon) = app.default_window_icon() {
        let _ = tray.set_icon(Some(badged(icon, TrayState::of(companies))));
    }
    match menu(app, companies) {
        Ok(menu) => {
            let _ = tray.set_menu(Some(menu));
        }
        Err(error) => tracing::debug!(%error, "the tray menu could not be rebuilt"),
    }
}

/// The tray menu: each company with its state, then Sync all, Open and Quit.
fn menu<R: Runtime>(app: &AppHandle<R>, companies: &[CompanySummary]) -> tauri::Result<Menu<R>> {
    let mut items: Vec<Box<dyn IsMenuItem<R>>> = Vec::new();
    for company in companies {
        let label = format!("{} — {}", company.name, company_state(company));
        items.push(Box::new(MenuItem::with_id(
            app,
            format!("company:{}", company.id),
            label,
            true,
            None::<&str>,
        )?));
    }
    if !companies.is_empty() {
        items.push(Box::new(PredefinedMenuItem::separator(app)?));
    }
    let any_connected = companies
        .iter()
        .any(|company| company.connection == ConnectionState::Connected);
    items.push(Box::new(MenuItem::with_id(
        app,
        SYNC_ALL,
        "Sync all",
        any_connected,
        None::<&str>,
    )?));
    items.push(Box::new(MenuItem::with_id(
        app,
        OPEN,
        "Open Ledgerlink",
        true,
        None::<&str>,
    )?));
    items.push(Box::new(PredefinedMenuItem::separator(app)?));
    items.push(Box::new(MenuItem::with_id(
        app,
        QUIT,
        "Quit Ledgerlink",
        true,
        None::<&str>,
    )?));
    let refs: Vec<&dyn IsMenuItem<R>> = items.iter().map(AsRef::as_ref).collect();
    Menu::with_items(app, &refs)
}

/// A company's state in a few words, as the tray menu shows it.
pub fn company_state(company: &CompanySummary) -> String {
    if company.syncing {
        return "syncing".to_owned();
    }
    if company.queued {
        return "waiting to sync".to_owned();
    }
    match company.connection {
        ConnectionState::NotConnected => return "not connected".to_owned(),
        ConnectionState::ReconnectNeeded => return "reconnect needed".to_owned(),
        ConnectionState::Connected => {}
    }
    if company.open_conflicts > 0 {
        let count = company.open_conflicts;
        return format!("{count} conflict{}", if count == 1 { "" } else { "s" });
    }
    if company.last_sync_error.is_some() {
        return "last sync failed".to_owned();
    }
    "in sync".to_owned()
}

/// The app icon with a round badge of the state's colour in its lower right
/// corner, so the state shows even where trays have no text.
fn badged(icon: &Image<'_>, state: TrayState) -> Image<'static> {
    let width = icon.width();
    let height = icon.height();
    let mut rgba = icon.rgba().to_vec();
    let radius = i64::from(width.min(height) / 5).max(2);
    let centre_x = i64::from(width) - radius - 1;
    let centre_y = i64::from(height) - radius - 1;
    let colour = state.colour();
    for y in 0..i64::from(height) {
        for x in 0..i64::from(width) {
            let (dx, dy) = (x - centre_x, y - centre_y);
            if dx * dx + dy * dy <= radius * radius {
                let index = usize::try_from((y * i64::from(width) + x) * 4).unwrap_or(usize::MAX);
                if let Some(pixel) = rgba.get_mut(index..index + 4) {
                    pixel.copy_from_slice(&colour);
                }
            }
        }
    }
    Image::new_owned(rgba, width, height)
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
