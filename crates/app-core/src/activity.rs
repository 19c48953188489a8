//! The Companies page's pictures of one company: its sync activity over the
//! last 30 days, and its receivables and payables (open and overdue).

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use local_store::SyncRun;
use serde::Serialize;
use ts_rs::TS;

use crate::overview::{OpenTotal, books_home_currency};
use crate::{AppCore, CoreError, CoreResult};

/// How many days the activity chart shows, today included.
pub const SYNC_ACTIVITY_DAYS: u32 = 30;

/// How long the record of past syncs is kept: the chart's 30 days plus a
/// margin for the widest time zone, so no day of the chart is ever cut short.
pub(crate) const SYNC_RUNS_KEPT_DAYS: i64 = 32;

/// The furthest a time zone is from UTC, in minutes (UTC+14 and UTC−12).
const MAX_UTC_OFFSET_MINUTES: i32 = 14 * 60;

/// One day of the activity chart: what the syncs that ended that day did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct SyncActivityDay {
    /// The day (YYYY-MM-DD) in the user's time zone.
    pub date: String,
    /// Syncs that ended that day.
    pub syncs: u32,
    /// Of those, the syncs that failed.
    pub failed_syncs: u32,
    /// QuickBooks changes applied locally.
    pub pulled: u32,
    /// Changes QuickBooks confirmed.
    pub pushed: u32,
    /// Conflicts the syncs opened.
    pub conflicts: u32,
}

/// What the Companies page draws for one company.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct CompanyCharts {
    /// The company.
    pub company_id: String,
    /// The last 30 days, oldest first, today last; a day without a sync is
    /// there with zeros.
    pub days: Vec<SyncActivityDay>,
    /// Invoices with a balance left (receivables).
    pub open_invoices: OpenTotal,
    /// Bills with a balance left (payables).
    pub unpaid_bills: OpenTotal,
    /// The company's home currency (ISO code), when the books show it.
    pub home_currency: Option<String>,
}

/// Counts the syncs into the days from `first` to `first + days - 1`, by
/// when each ended in the time zone `offset` from UTC.
pub(crate) fn activity_days(
    runs: &[SyncRun],
    first: NaiveDate,
    days: u32,
    offset: FixedOffset,
) -> Vec<SyncActivityDay> {
    let mut out: Vec<SyncActivityDay> = (0..days)
        .map(|index| SyncActivityDay {
            date: (first + Duration::days(i64::from(index))).to_string(),
            ..SyncActivityDay::default()
        })
        .collect();
    for run in runs {
        let day = run.finished_at.with_timezone(&offset).date_naive();
        let Ok(index) = usize::try_from((day - first).num_days()) else {
            continue;
        };
        let Some(slot) = out.get_mut(index) else {
            continue;
        };
        slot.syncs = slot.syncs.saturating_add(1);
        if run.failed {
            slot.failed_syncs = slot.failed_syncs.saturating_add(1);
        }
        slot.pulled = slot.pulled.saturating_add(small(run.pulled));
        slot.pushed = slot.pushed.saturating_add(small(run.pushed));
        slot.conflicts = slot.conflicts.saturating_add(small(run.conflicts_opened));
    }
    out
}

fn small(count: u64) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}

impl AppCore {
    /// The company's sync activity over the last 30 days and its open and
    /// overdue invoices and bills, all from its local store. Days are the
    /// user's: `utc_offset_minutes` is how far their time zone is ahead of
    /// UTC (UTC+2 is 120), and "overdue" is past due on their today.
    pub async fn company_charts(
        &self,
        company_id: &str,
        utc_offset_minutes: i32,
    ) -> CoreResult<CompanyCharts> {
        if utc_offset_minutes.abs() > MAX_UTC_OFFSET_MINUTES {
            return Err(CoreError::Invalid(format!(
                "A time zone is at most 14 hours from UTC; {utc_offset_minutes} minutes is not one."
            )));
        }
        let offset = FixedOffset::east_opt(utc_offset_minutes * 60).ok_or_else(|| {
            CoreError::Invalid(format!("{utc_offset_minutes} minutes is not a time zone."))
        })?;
        let row = self.company_row(company_id).await?;
        let runtime = self.runtime(&row).await?;
        let store = &runtime.store;
        let today = self.now().with_timezone(&offset).date_naive();
        let first = today - Duration::days(i64::from(SYNC_ACTIVITY_DAYS) - 1);
        let since: DateTime<Utc> = first
            .and_hms_opt(0, 0, 0)
            .and_then(|midnight| midnight.and_local_timezone(offset).single())
            .map_or_else(
                || self.now() - Duration::days(i64::from(SYNC_ACTIVITY_DAYS)),
                |start| start.with_timezone(&Utc),
            );
        let runs = store.sync_runs_since(since).await?;
        let (invoices, invoice_currency) = store.open_documents("Invoice", today).await?;
        let (bills, bill_currency) = store.open_documents("Bill", today).await?;
        Ok(CompanyCharts {
            company_id: row.id,
            days: activity_days(&runs, first, SYNC_ACTIVITY_DAYS, offset),
            open_invoices: OpenTotal::of(&invoices),
            unpaid_bills: OpenTotal::of(&bills),
            home_currency: books_home_currency(store)
                .await
                .or(invoice_currency)
                .or(bill_currency),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn run(at: DateTime<Utc>, pulled: u64, failed: bool) -> SyncRun {
        SyncRun {
            finished_at: at,
            pull_only: false,
            pulled,
            pushed: 1,
            conflicts_opened: 0,
            refused: 0,
            failed,
        }
    }

    #[test]
    fn a_sync_counts_on_the_users_day_not_utcs() {
        let first = NaiveDate::from_ymd_opt(2026, 3, 1).expect("a date");
        // 23:30 UTC on the 1st is already the 2nd at UTC+2, still the 1st at UTC−5.
        let late = Utc
            .with_ymd_and_hms(2026, 3, 1, 23, 30, 0)
            .single()
            .expect("a time");
        let runs = [run(late, 4, false), run(late, 1, true)];
        let east = activity_days(&runs, first, 3, FixedOffset::east_opt(7200).expect("UTC+2"));
        assert_eq!((east[0].syncs, east[1].syncs), (0, 2));
        assert_eq!(
            (east[1].pulled, east[1].pushed, east[1].failed_syncs),
            (5, 2, 1)
        );
        let west = activity_days(
            &runs,
            first,
            3,
            FixedOffset::west_opt(5 * 3600).expect("UTC−5"),
        );
        assert_eq!((west[0].syncs, west[1].syncs), (2, 0));
        assert_eq!(west[2].date, "2026-03-03");
    }

    #[test]
    fn syncs_outside_the_days_are_left_out() {
        let first = NaiveDate::from_ymd_opt(2026, 3, 10).expect("a date");
        let before = Utc
            .with_ymd_and_hms(2026, 3, 9, 12, 0, 0)
            .single()
            .expect("a time");
        let after = Utc
            .with_ymd_and_hms(2026, 3, 13, 12, 0, 0)
            .single()
            .expect("a time");
        let days = activity_days(
            &[run(before, 1, false), run(after, 1, false)],
            first,
            3,
            FixedOffset::east_opt(0).expect("UTC"),
        );
        assert!(days.iter().all(|day| day.syncs == 0), "{days:?}");
    }
}
