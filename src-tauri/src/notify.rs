//! OS notifications. Each one names the company it is about.

use tauri::{AppHandle, Runtime};
use tauri_plugin_notification::NotificationExt;

use crate::events::Notice;

/// Tells the user that a sync of `company` found conflicts to resolve.
pub fn conflicts<R: Runtime>(app: &AppHandle<R>, company: &str, count: u64) {
    let body = if count == 1 {
        "A record was changed both here and in QuickBooks. Open Conflicts to choose what to keep."
            .to_owned()
    } else {
        format!(
            "{count} records were changed both here and in QuickBooks. Open Conflicts to choose what to keep."
        )
    };
    show(app, &format!("{company}: conflicts to resolve"), &body);
}

/// Tells the user that a company needs them: a reconnect, or repeated failures.
pub fn company_notice<R: Runtime>(app: &AppHandle<R>, notice: &Notice) {
    match notice {
        Notice::ReconnectNeeded { name, .. } => show(
            app,
            &format!("{name}: reconnect needed"),
            "QuickBooks no longer accepts this app's connection. Open Companies and choose Reconnect.",
        ),
        Notice::FailedTwice { name, error, .. } => show(
            app,
            &format!("{name}: sync failed twice"),
            &format!("The last two syncs failed. {error}"),
        ),
    }
}

fn show<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
    if let Err(error) = app.notification().builder().title(title).body(body).show() {
        tracing::debug!(%error, "the notification could not be shown");
    }
}
