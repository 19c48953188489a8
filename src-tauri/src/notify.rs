//! OS notifications.

use tauri::{AppHandle, Runtime};
use tauri_plugin_notification::NotificationExt;

/// Tells the user that a sync found conflicts to resolve.
pub fn conflicts<R: Runtime>(app: &AppHandle<R>, count: u64) {
    let body = if count == 1 {
        "A record was changed both here and in QuickBooks. Open Conflicts to choose what to keep."
            .to_owned()
    } else {
        format!(
            "{count} records were changed both here and in QuickBooks. Open Conflicts to choose what to keep."
        )
    };
    if let Err(error) = app
        .notification()
        .builder()
        .title("Ledgerlink: conflicts to resolve")
        .body(body)
        .show()
    {
        tracing::debug!(%error, "the notification could not be shown");
    }
}
