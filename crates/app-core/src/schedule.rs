//! Syncing on its own: a timer per connected company, and a pull when a
//! verified webhook says something changed.

use std::sync::Arc;

use local_store::ConnectionState;
use qbo_client::{parse_notification, verify_signature};

use crate::companies::SyncTurn;
use crate::companies::company_settings;
use crate::error::CoreError;
use crate::runtime::CompanyRuntime;
use crate::{AppCore, CoreResult};

impl AppCore {
    /// Starts the timer (and the relay's live updates) of every connected
    /// company.
    pub(crate) async fn start_timers(&self) {
        let rows = match self.app_store().companies().await {
            Ok(rows) => rows,
            Err(error) => {
                tracing::error!(%error, "cannot list companies to schedule their syncs");
                return;
            }
        };
        for row in rows {
            if row.connection != ConnectionState::Connected {
                continue;
            }
            match self.runtime(&row).await {
                Ok(runtime) => {
                    if self.inner.options.timers {
                        self.start_timer(&row.id, &runtime).await;
                    }
                    self.start_live_updates(&row.id, &runtime).await;
                }
                Err(error) => tracing::error!(%error, company = %row.id, "cannot open the company"),
            }
        }
    }

    /// Whether the company's pushes wait for the user (review before
    /// sending): then only the user's own "Send now" pushes.
    /// A settings row that cannot be read counts as review mode: a pull
    /// never sends the user's changes, a push the user did not approve could.
    pub(crate) async fn review_before_sending(&self, company_id: &str) -> bool {
        match self.company_row(company_id).await {
            Ok(row) => company_settings(&row).review_before_sending == Some(true),
            Err(error) => {
                tracing::warn!(%error, company = %company_id, "cannot read the company's settings; only pulling");
                true
            }
        }
    }

    /// (Re)starts one company's timer at its configured interval. The first
    /// tick comes one interval from now; "Sync now" is there for sooner.
    pub(crate) async fn start_timer(&self, company_id: &str, runtime: &Arc<CompanyRuntime>) {
        let interval = match self.company_row(company_id).await {
            Ok(row) => company_settings(&row).sync_interval_minutes,
            Err(error) => {
                tracing::error!(%error, "cannot read the company's sync interval");
                return;
            }
        };
        let period = self.inner.options.minute * interval;
        let core = self.clone();
        let company_id = company_id.to_owned();
        let timer = tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                // In review-before-sending mode the timer only pulls; the
                // push waits for the user's "Send now".
                let pull_only = match core.company_row(&company_id).await {
                    Ok(row) => company_settings(&row).review_before_sending == Some(true),
                    Err(CoreError::UnknownCompany(_)) => break,
                    // Unreadable settings only pull: if review mode is on,
                    // a push would send changes the user has not approved.
                    Err(error) => {
                        tracing::warn!(%error, company = %company_id, "cannot read the company's settings; only pulling");
                        true
                    }
                };
                match core
                    .run_sync(&company_id, pull_only, SyncTurn::SkipIfBusy, &|_| {})
                    .await
                {
                    Ok(report) => tracing::info!(
                        company = %company_id,
                        pulled = report.pulled,
                        pushed = report.pushed,
                        "scheduled sync finished"
                    ),
                    Err(CoreError::AlreadySyncing { .. }) => {}
                    Err(CoreError::UnknownCompany(_)) => break,
                    Err(error) => {
                        tracing::warn!(%error, company = %company_id, "scheduled sync failed");
                    }
                }
            }
        });
        runtime.set_timer(Some(timer));
    }

    /// Handles a webhook delivery a relay forwarded: checks `intuit-signature`
    /// over the raw body with the app's verifier token, then pulls every
    /// company it names (CDC stays the source of truth, so duplicated,
    /// reordered or lost notices cannot make the books wrong). Returns how
    /// many companies were pulled.
    pub async fn handle_webhook(
        &self,
        verifier_token: &str,
        raw_body: &[u8],
        signature: &str,
    ) -> CoreResult<u32> {
        verify_signature(verifier_token.as_bytes(), raw_body, signature)
            .map_err(|error| CoreError::Invalid(error.to_string()))?;
        let notices =
            parse_notification(raw_body).map_err(|error| CoreError::Invalid(error.to_string()))?;
        let mut realms: Vec<String> = notices.into_iter().map(|notice| notice.realm_id).collect();
        realms.sort();
        realms.dedup();
        let mut pulled = 0;
        for row in self.app_store().companies().await? {
            let Some(realm_id) = &row.realm_id else {
                continue;
            };
            if !realms.contains(realm_id) || row.connection != ConnectionState::Connected {
                continue;
            }
            match self
                .run_sync(&row.id, true, SyncTurn::SkipIfBusy, &|_| {})
                .await
            {
                Ok(_) => pulled += 1,
                // The running sync pulls again when it finishes.
                Err(CoreError::AlreadySyncing { .. }) => pulled += 1,
                Err(error) => tracing::warn!(%error, company = %row.id, "webhook pull failed"),
            }
        }
        Ok(pulled)
    }
}
