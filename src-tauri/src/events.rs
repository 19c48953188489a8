//! Turns app-core's events into webview events, the tray's state and OS
//! notifications that name the company.

use std::collections::HashMap;
use std::sync::Mutex;

use app_core::{CompanySummary, ConnectionState, CoreEvents};
use tauri::{AppHandle, Emitter, Manager, Runtime};

/// The webview event with the whole company list, after any change.
pub const COMPANIES_CHANGED: &str = "companies-changed";
/// The webview event when a sync found new conflicts.
pub const CONFLICTS_ARRIVED: &str = "conflicts-arrived";

/// Forwards events to every window of the app.
pub struct WindowEvents<R: Runtime> {
    app: AppHandle<R>,
    seen: Mutex<Seen>,
}

/// What the last company list said, to notice what changed.
#[derive(Default)]
struct Seen {
    companies: HashMap<String, CompanySummary>,
    /// Failed syncs in a row, per company.
    failures: HashMap<String, u32>,
}

impl<R: Runtime> WindowEvents<R> {
    /// Events for `app`'s windows.
    pub fn new(app: AppHandle<R>) -> Self {
        Self {
            app,
            seen: Mutex::new(Seen::default()),
        }
    }

    /// Whether the user is looking at the app now: then the window tells
    /// them, and an OS notification would only interrupt.
    fn window_focused(&self) -> bool {
        self.app.get_webview_window("main").is_some_and(|window| {
            window.is_visible().unwrap_or(false) && window.is_focused().unwrap_or(false)
        })
    }
}

/// A notification that a company changed state, worked out from two lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// QuickBooks refused the company's grant.
    ReconnectNeeded { id: String, name: String },
    /// The company's second sync in a row failed.
    FailedTwice {
        id: String,
        name: String,
        error: String,
    },
}

/// What changed between the previous list and this one that the user must
/// hear about even with the window closed.
fn notices(seen: &mut Seen, companies: &[CompanySummary]) -> Vec<Notice> {
    let mut notices = Vec::new();
    for company in companies {
        let before = seen.companies.get(&company.id);
        if company.connection == ConnectionState::ReconnectNeeded
            && before.is_some_and(|before| before.connection != ConnectionState::ReconnectNeeded)
        {
            notices.push(Notice::ReconnectNeeded {
                id: company.id.clone(),
                name: company.name.clone(),
            });
        }
        // A sync ended: count failures in a row.
        if before.is_some_and(|before| before.syncing) && !company.syncing {
            let streak = seen.failures.entry(company.id.clone()).or_default();
            match &company.last_sync_error {
                Some(error) => {
                    *streak += 1;
                    if *streak == 2 {
                        notices.push(Notice::FailedTwice {
                            id: company.id.clone(),
                            name: company.name.clone(),
                            error: error.clone(),
                        });
                    }
                }
                None => *streak = 0,
            }
        }
    }
    seen.companies = companies
        .iter()
        .map(|company| (company.id.clone(), company.clone()))
        .collect();
    notices
}

impl<R: Runtime> CoreEvents for WindowEvents<R> {
    fn companies_changed(&self, companies: &[CompanySummary]) {
        if let Err(error) = self.app.emit(COMPANIES_CHANGED, companies) {
            tracing::debug!(%error, "the companies event could not be sent");
        }
        crate::tray::show_state(&self.app, companies);
        let found = match self.seen.lock() {
            Ok(mut seen) => notices(&mut seen, companies),
            Err(_) => Vec::new(),
        };
        for notice in found {
            crate::notify::company_notice(&self.app, &notice);
        }
    }

    fn conflicts_arrived(&self, company_id: &str, count: u64) {
        let payload = serde_json::json!({ "companyId": company_id, "count": count });
        if let Err(error) = self.app.emit(CONFLICTS_ARRIVED, payload) {
            tracing::debug!(%error, "the conflicts event could not be sent");
        }
        if self.window_focused() {
            return;
        }
        let name = self
            .seen
            .lock()
            .ok()
            .and_then(|seen| {
                seen.companies
                    .get(company_id)
                    .map(|company| company.name.clone())
            })
            .unwrap_or_else(|| "A company".to_owned());
        crate::notify::conflicts(&self.app, company_id, &name, count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app_core::CompanyKind;

    fn company(connection: ConnectionState, syncing: bool, error: Option<&str>) -> CompanySummary {
        CompanySummary {
            id: "c1".to_owned(),
            name: "Amy's Bird Sanctuary".to_owned(),
            kind: CompanyKind::Emulator,
            environment: "emulator".to_owned(),
            realm_id: Some("1".to_owned()),
            connection,
            syncing,
            queued: false,
            last_sync_at: None,
            last_sync_error: error.map(str::to_owned),
            open_conflicts: 0,
            pending_changes: 0,
            reconnect_warning: None,
            live_updates: app_core::LiveUpdates::Off,
            live_updates_error: None,
        }
    }

    #[test]
    fn a_company_needing_reconnect_is_told_once() {
        let mut seen = Seen::default();
        assert!(
            notices(
                &mut seen,
                &[company(ConnectionState::Connected, false, None)]
            )
            .is_empty()
        );
        let found = notices(
            &mut seen,
            &[company(ConnectionState::ReconnectNeeded, false, None)],
        );
        assert_eq!(
            found,
            vec![Notice::ReconnectNeeded {
                id: "c1".to_owned(),
                name: "Amy's Bird Sanctuary".to_owned()
            }]
        );
        assert!(
            notices(
                &mut seen,
                &[company(ConnectionState::ReconnectNeeded, false, None)]
            )
            .is_empty()
        );
    }

    #[test]
    fn the_second_failed_sync_in_a_row_is_told_and_a_success_resets() {
        let mut seen = Seen::default();
        let connected = ConnectionState::Connected;
        let mut sync = |error: Option<&str>| {
            let mut all = notices(&mut seen, &[company(connected, true, None)]);
            all.extend(notices(&mut seen, &[company(connected, false, error)]));
            all.len()
        };
        assert_eq!(sync(Some("QuickBooks is down")), 0);
        assert_eq!(sync(Some("QuickBooks is down")), 1);
        assert_eq!(sync(Some("QuickBooks is down")), 0);
        assert_eq!(sync(None), 0);
        assert_eq!(sync(Some("QuickBooks is down")), 0);
        assert_eq!(sync(Some("QuickBooks is down")), 1);
    }
}
