//! OS notifications. Each one names the company it is about, and a click on
//! it opens that company's page.
//!
//! The notification plugin reports a click on the notification itself as the
//! action `tap` on Linux (servers that honour the Desktop Notifications
//! Specification's `default` action), macOS and Windows (while the toast is
//! on screen, not from the Action Center). Each notification carries the
//! company and the page in its extra data; the click brings the window back
//! and tells the webview which page to open.

use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};
use tauri_plugin_notification::{ActionPerformed, NotificationExt};

use crate::events::Notice;

/// The webview event that opens a company's page after a notification click.
pub const NOTIFICATION_OPENED: &str = "notification-opened";

/// The extra-data keys a notification carries its target in.
const COMPANY_KEY: &str = "companyId";
const PAGE_KEY: &str = "page";

/// Where a click on a notification leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenTarget {
    /// The company the notification named.
    pub company_id: String,
    /// The page of the UI to open: `conflicts` or `companies`.
    pub page: String,
}

/// Tells the user that a sync of `company` found conflicts to resolve.
pub fn conflicts<R: Runtime>(app: &AppHandle<R>, company_id: &str, company: &str, count: u64) {
    let body = if count == 1 {
        "A record was changed both here and in QuickBooks. Open Conflicts to choose what to keep."
            .to_owned()
    } else {
        format!(
            "{count} records were changed both here and in QuickBooks. Open Conflicts to choose what to keep."
        )
    };
    let target = OpenTarget {
        company_id: company_id.to_owned(),
        page: "conflicts".to_owned(),
    };
    show(
        app,
        &format!("{company}: conflicts to resolve"),
        &body,
        &target,
    );
}

/// Tells the user that a company needs them: a reconnect, or repeated failures.
pub fn company_notice<R: Runtime>(app: &AppHandle<R>, notice: &Notice) {
    let companies = |id: &str| OpenTarget {
        company_id: id.to_owned(),
        page: "companies".to_owned(),
    };
    match notice {
        Notice::ReconnectNeeded { id, name } => show(
            app,
            &format!("{name}: reconnect needed"),
            "QuickBooks no longer accepts this app's connection. Open Companies and choose Reconnect.",
            &companies(id),
        ),
        Notice::FailedTwice { id, name, error } => show(
            app,
            &format!("{name}: sync failed twice"),
            &format!("The last two syncs failed. {error}"),
            &companies(id),
        ),
    }
}

fn show<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str, target: &OpenTarget) {
    let shown = app
        .notification()
        .builder()
        .title(title)
        .body(body)
        .extra(COMPANY_KEY, &target.company_id)
        .extra(PAGE_KEY, &target.page)
        .show();
    if let Err(error) = shown {
        tracing::debug!(%error, "the notification could not be shown");
    }
}

/// Answers clicks on the app's notifications: the window comes back from the
/// tray and the webview opens the company's page. Registered once at start,
/// before any notification is shown (the plugin reports clicks only on
/// notifications shown after a handler exists).
pub fn open_on_click<R: Runtime>(app: &AppHandle<R>) {
    let handle = app.clone();
    let registered = app.notification().on_action(move |performed| {
        let Some(target) = target_of(performed) else {
            return;
        };
        crate::tray::show_window(&handle);
        if let Err(error) = handle.emit(NOTIFICATION_OPENED, &target) {
            tracing::debug!(%error, "the notification click could not be passed on");
        }
    });
    if let Err(error) = registered {
        tracing::warn!(%error, "clicks on notifications will not open their page");
    }
}

/// The page a click opens: only a click on the notification itself (`tap`)
/// of a notification that names its company and page.
fn target_of(performed: &ActionPerformed) -> Option<OpenTarget> {
    if performed.action_id() != "tap" {
        return None;
    }
    let extra = performed.notification()?.extra();
    let text = |key: &str| {
        extra
            .get(key)
            .and_then(serde_json::Value::as_str)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let page = text(PAGE_KEY).filter(|page| matches!(page.as_str(), "conflicts" | "companies"))?;
    Some(OpenTarget {
        company_id: text(COMPANY_KEY)?,
        page,
    })
}

#[cfg(test)]
mod tests {
    use super::{OpenTarget, target_of};
    use serde_json::json;
    use tauri_plugin_notification::ActionPerformed;

    /// An action as the plugin reports it: the action and the notification's data.
    fn performed(action: &str, extra: serde_json::Value) -> ActionPerformed {
        serde_json::from_value(json!({
            "actionId": action,
            "inputValue": null,
            "notification": {
                "id": 7,
                "title": "Acme: conflicts to resolve",
                "body": "…",
                "extra": extra,
                "attachments": [],
                "inboxLines": [],
            },
        }))
        .expect("an action the plugin could report")
    }

    #[test]
    fn a_click_on_a_conflicts_notification_opens_that_companys_conflicts() {
        let target = target_of(&performed(
            "tap",
            json!({ "companyId": "c1", "page": "conflicts" }),
        ));
        assert_eq!(
            target,
            Some(OpenTarget {
                company_id: "c1".to_owned(),
                page: "conflicts".to_owned()
            })
        );
    }

    #[test]
    fn other_actions_and_notifications_without_a_target_open_nothing() {
        let extra = json!({ "companyId": "c1", "page": "companies" });
        assert_eq!(target_of(&performed("dismiss", extra)), None);
        assert_eq!(target_of(&performed("tap", json!({}))), None);
        assert_eq!(
            target_of(&performed(
                "tap",
                json!({ "companyId": "c1", "page": "settings/../x" })
            )),
            None
        );
    }
}
