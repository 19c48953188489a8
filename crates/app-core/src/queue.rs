//! "Sync all": every connected company through one queue, two at a time, so
//! twenty clients are brought up to date without twenty syncs competing for
//! the machine and for Intuit's limits at once. Each company keeps its own
//! pacing; the queue only bounds how many run together.

use futures::StreamExt;
use serde::Serialize;
use ts_rs::TS;

use crate::companies::SyncTurn;
use crate::{AppCore, CoreError, CoreResult};
use local_store::ConnectionState;

/// How many companies of a "Sync all" sync at the same time.
pub const SYNC_ALL_CONCURRENCY: usize = 2;

/// What a "Sync all" did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct SyncAllReport {
    /// Companies whose sync finished.
    pub synced: u32,
    /// Companies left out: not connected, or already syncing.
    pub skipped: u32,
    /// Companies whose sync failed, each with what to do.
    pub failed: Vec<SyncAllFailure>,
}

/// One company's failed sync in a "Sync all".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct SyncAllFailure {
    /// Our id of the company.
    pub company_id: String,
    /// Its name.
    pub company: String,
    /// The error kind, as the IPC boundary names it.
    pub kind: String,
    /// What went wrong and what to do.
    pub message: String,
}

impl AppCore {
    /// Syncs every connected company that is not syncing already, at most
    /// [`SYNC_ALL_CONCURRENCY`] at a time. Each one's state (queued, then
    /// syncing, then done) reaches the windows as it changes.
    pub async fn sync_all(&self) -> CoreResult<SyncAllReport> {
        let companies = self.list_companies().await?;
        let total = companies.len();
        let waiting: Vec<(String, String)> = companies
            .into_iter()
            .filter(|company| {
                company.connection == ConnectionState::Connected
                    && !company.syncing
                    && !company.queued
            })
            .map(|company| (company.id, company.name))
            .collect();
        let skipped = total - waiting.len();
        {
            let mut queued = self.queue();
            for (id, _) in &waiting {
                queued.insert(id.clone());
            }
        }
        self.notify_companies().await;
        let outcomes: Vec<(String, String, CoreResult<()>)> = futures::stream::iter(waiting)
            .map(|(id, name)| async move {
                // A company leaves the queue when its turn comes.
                self.queue().remove(&id);
                // "Sync all" approves nothing: a company in review mode
                // only pulls, its changes wait for its own "Send now".
                let pull_only = self.review_before_sending(&id).await;
                let outcome = self
                    .run_sync(&id, pull_only, SyncTurn::SkipIfBusy, &|_| {})
                    .await
                    .map(|_| ());
                (id, name, outcome)
            })
            .buffer_unordered(SYNC_ALL_CONCURRENCY)
            .collect()
            .await;
        let mut report = SyncAllReport {
            synced: 0,
            skipped: u32::try_from(skipped).unwrap_or(u32::MAX),
            failed: Vec::new(),
        };
        for (company_id, company, outcome) in outcomes {
            match outcome {
                Ok(()) => report.synced += 1,
                // The timer started it meanwhile: it is being synced, not failed.
                Err(CoreError::AlreadySyncing { .. }) => report.skipped += 1,
                Err(error) => report.failed.push(SyncAllFailure {
                    company_id,
                    company,
                    kind: error.kind().to_owned(),
                    message: error.to_string(),
                }),
            }
        }
        self.notify_companies().await;
        Ok(report)
    }

    /// Whether a company waits in the "Sync all" queue.
    pub(crate) fn is_queued(&self, company_id: &str) -> bool {
        self.queue().contains(company_id)
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeSet<String>> {
        // The set stays consistent whatever a panicking holder did: take it back.
        self.inner
            .queued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
