//! Turns app-core's events into webview events and OS notifications.

use app_core::{CompanySummary, CoreEvents};
use tauri::{AppHandle, Emitter, Runtime};

/// The webview event with the whole company list, after any change.
pub const COMPANIES_CHANGED: &str = "companies-changed";
/// The webview event when a sync found new conflicts.
pub const CONFLICTS_ARRIVED: &str = "conflicts-arrived";

/// Forwards events to every window of the app.
pub struct WindowEvents<R: Runtime> {
    app: AppHandle<R>,
}

impl<R: Runtime> WindowEvents<R> {
    /// Events for `app`'s windows.
    pub fn new(app: AppHandle<R>) -> Self {
        Self { app }
    }
}

impl<R: Runtime> CoreEvents for WindowEvents<R> {
    fn companies_changed(&self, companies: &[CompanySummary]) {
        if let Err(error) = self.app.emit(COMPANIES_CHANGED, companies) {
            tracing::debug!(%error, "the companies event could not be sent");
        }
        crate::tray::show_state(&self.app, companies);
    }

    fn conflicts_arrived(&self, company_id: &str, count: u64) {
        let payload = serde_json::json!({ "companyId": company_id, "count": count });
        if let Err(error) = self.app.emit(CONFLICTS_ARRIVED, payload) {
            tracing::debug!(%error, "the conflicts event could not be sent");
        }
        crate::notify::conflicts(&self.app, count);
    }
}
