//! The Companies overview: every company at once, with what needs the
//! user, sorted so that the company needing attention most comes first.

use local_store::{CompanyStore, ConnectionState, OpenDocuments, RecordState};
use serde::Serialize;
use ts_rs::TS;

use crate::{AppCore, CompanySummary, CoreResult, LiveUpdates};

/// Invoices or bills with something left to pay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct OpenTotal {
    /// How many.
    pub count: u32,
    /// What is left to pay, in the home currency, as exact decimal text.
    pub total: String,
    /// How many are past their due date.
    pub overdue_count: u32,
    /// What is left to pay on those, as exact decimal text.
    pub overdue_total: String,
}

impl OpenTotal {
    pub(crate) fn of(open: &OpenDocuments) -> OpenTotal {
        OpenTotal {
            count: u32::try_from(open.count).unwrap_or(u32::MAX),
            total: open.total.normalize().to_string(),
            overdue_count: u32::try_from(open.overdue_count).unwrap_or(u32::MAX),
            overdue_total: open.overdue_total.normalize().to_string(),
        }
    }
}

/// One row of the overview.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct CompanyOverview {
    /// The company, as the switcher shows it.
    pub company: CompanySummary,
    /// Local changes waiting for the push.
    pub pending: u32,
    /// Records the next push holds back until fixed (an inactive account,
    /// an unbalanced entry…).
    pub held_back: u32,
    /// Records QuickBooks refused (or a push failed for).
    pub failed: u32,
    /// Invoices with a balance left.
    pub open_invoices: OpenTotal,
    /// Bills with a balance left.
    pub unpaid_bills: OpenTotal,
    /// The company's home currency (ISO code), when the books show it.
    pub home_currency: Option<String>,
    /// How much the company needs the user: 0 is nothing; the larger, the
    /// sooner. The rows come sorted by it.
    pub attention: u32,
}

impl CompanyOverview {
    /// How urgent the row is: a company that cannot sync at all comes
    /// first, then open conflicts (a decision only the user can make), then
    /// refusals and a failed last sync, then records held back, then
    /// changes still waiting, then broken live updates.
    fn rank(&self) -> u32 {
        let company = &self.company;
        if company.connection == ConnectionState::ReconnectNeeded {
            6
        } else if company.open_conflicts > 0 {
            5
        } else if self.failed > 0 || company.last_sync_error.is_some() {
            4
        } else if self.held_back > 0 {
            3
        } else if self.pending > 0 {
            2
        } else if company.live_updates == LiveUpdates::Error || company.reconnect_warning.is_some()
        {
            1
        } else {
            0
        }
    }
}

/// The order of the overview: most attention first; among equals the most
/// conflicts, then the most failures, then by name.
pub fn sort_overview(rows: &mut [CompanyOverview]) {
    rows.sort_by(|a, b| {
        b.attention
            .cmp(&a.attention)
            .then(b.company.open_conflicts.cmp(&a.company.open_conflicts))
            .then(b.failed.cmp(&a.failed))
            .then(b.held_back.cmp(&a.held_back))
            .then(b.pending.cmp(&a.pending))
            .then_with(|| {
                a.company
                    .name
                    .to_lowercase()
                    .cmp(&b.company.name.to_lowercase())
            })
    });
}

/// The home currency the company's Preferences name, once pulled.
pub(crate) async fn books_home_currency(store: &CompanyStore) -> Option<String> {
    match store.records_of(&["Preferences"]).await {
        Ok(records) => records.iter().find_map(|record| {
            record
                .remote
                .as_ref()
                .or(record.local.as_ref())
                .and_then(sync_engine::entities::home_currency)
        }),
        Err(error) => {
            tracing::warn!(%error, "reading the company's preferences failed");
            None
        }
    }
}

impl AppCore {
    /// Every company with its counts and open documents, most in need of
    /// the user first. Reads each company's local store only; nothing is
    /// asked of QuickBooks.
    pub async fn companies_overview(&self) -> CoreResult<Vec<CompanyOverview>> {
        let companies = self.list_companies().await?;
        let today = self.now().date_naive();
        let mut rows = Vec::with_capacity(companies.len());
        for company in companies {
            rows.push(self.overview_row(company, today).await);
        }
        sort_overview(&mut rows);
        Ok(rows)
    }

    async fn overview_row(
        &self,
        company: CompanySummary,
        today: chrono::NaiveDate,
    ) -> CompanyOverview {
        let mut row = CompanyOverview {
            company,
            pending: 0,
            held_back: 0,
            failed: 0,
            open_invoices: OpenTotal::of(&OpenDocuments::default()),
            unpaid_bills: OpenTotal::of(&OpenDocuments::default()),
            home_currency: None,
            attention: 0,
        };
        // The summary opened the company's store when it has one; a company
        // without a database has nothing to count.
        if let Some(runtime) = self.loaded_runtime(&row.company.id).await {
            let store = &runtime.store;
            match store.state_counts().await {
                Ok(counts) => {
                    for (state, count) in counts {
                        let count = u32::try_from(count).unwrap_or(u32::MAX);
                        match state {
                            RecordState::Pending => row.pending = count,
                            RecordState::Error => row.failed = count,
                            _ => {}
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(company = %row.company.id, %error, "counting records failed");
                }
            }
            for (entity, target) in [
                ("Invoice", &mut row.open_invoices),
                ("Bill", &mut row.unpaid_bills),
            ] {
                match store.open_documents(entity, today).await {
                    Ok((open, currency)) => {
                        *target = OpenTotal::of(&open);
                        if row.home_currency.is_none() {
                            row.home_currency = currency;
                        }
                    }
                    Err(error) => {
                        tracing::warn!(company = %row.company.id, %error, "totalling open documents failed");
                    }
                }
            }
            // The books' own setting outranks what the open documents show:
            // QuickBooks names the home currency in Preferences even when
            // its documents carry no currency (multicurrency off).
            if let Some(currency) = books_home_currency(store).await {
                row.home_currency = Some(currency);
            }
            // Held back needs the validation the push runs, against the
            // lists; only worth it when something waits.
            if row.pending + row.failed > 0 && row.company.connection == ConnectionState::Connected
            {
                match self.pending_changes(&row.company.id).await {
                    Ok(dry_run) => {
                        row.held_back = u32::try_from(dry_run.issues.len()).unwrap_or(u32::MAX);
                    }
                    Err(error) => {
                        tracing::warn!(company = %row.company.id, %error, "checking held-back records failed");
                    }
                }
            }
        }
        row.attention = row.rank();
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use local_store::CompanyKind;

    fn row(name: &str) -> CompanyOverview {
        CompanyOverview {
            company: CompanySummary {
                id: name.to_lowercase(),
                name: name.to_owned(),
                kind: CompanyKind::Emulator,
                environment: "emulator".into(),
                realm_id: None,
                connection: ConnectionState::Connected,
                syncing: false,
                queued: false,
                last_sync_at: None,
                last_sync_error: None,
                open_conflicts: 0,
                pending_changes: 0,
                reconnect_warning: None,
                live_updates: LiveUpdates::Off,
                live_updates_error: None,
            },
            pending: 0,
            held_back: 0,
            failed: 0,
            open_invoices: OpenTotal::default(),
            unpaid_bills: OpenTotal::default(),
            home_currency: None,
            attention: 0,
        }
    }

    fn ranked(mut row: CompanyOverview) -> CompanyOverview {
        row.attention = row.rank();
        row
    }

    #[test]
    fn the_company_needing_the_user_most_comes_first() {
        let quiet = ranked(row("Alpha"));
        let mut pending = row("Bravo");
        pending.pending = 3;
        let mut conflicted = row("Zulu");
        conflicted.company.open_conflicts = 1;
        let mut more_conflicts = row("Yankee");
        more_conflicts.company.open_conflicts = 4;
        let mut refused = row("Charlie");
        refused.failed = 1;
        let mut reconnect = row("Delta");
        reconnect.company.connection = ConnectionState::ReconnectNeeded;
        let mut rows = vec![
            quiet,
            ranked(pending),
            ranked(conflicted),
            ranked(refused),
            ranked(reconnect),
            ranked(more_conflicts),
        ];
        sort_overview(&mut rows);
        let names: Vec<&str> = rows.iter().map(|row| row.company.name.as_str()).collect();
        assert_eq!(
            names,
            ["Delta", "Yankee", "Zulu", "Charlie", "Bravo", "Alpha"]
        );
        assert_eq!(rows.last().map(|row| row.attention), Some(0));
    }
}
