//! Errors the user can act on: each problem has a kind the UI branches on,
//! a plain sentence, and the one action that fixes it (Reconnect, Open
//! record, Choose an active account, Retry). QuickBooks' refusals are sorted
//! by `qbo_client::Refusal`; this adds the engine's own checks and the
//! use-cases' errors.

use qbo_client::Refusal;
use serde::Serialize;
use sync_engine::EngineError;
use ts_rs::TS;

use crate::CoreError;

/// What went wrong, by what the user does about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, rename_all = "snake_case")]
pub enum ProblemKind {
    /// The date is inside books closed in QuickBooks.
    ClosedPeriod,
    /// Another document already has this number.
    DuplicateNumber,
    /// An account, item, customer or vendor used is inactive.
    InactiveReference,
    /// QuickBooks no longer has the record.
    NotFound,
    /// QuickBooks changed the record meanwhile.
    StaleObject,
    /// QuickBooks asked to slow down.
    Throttled,
    /// The company must be connected again.
    ReconnectNeeded,
    /// The QuickBooks subscription does not allow access.
    SubscriptionLapsed,
    /// QuickBooks could not be reached.
    Unavailable,
    /// A value QuickBooks (or the check before sending) refuses.
    Invalid,
}

/// The button that fixes a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, rename_all = "snake_case")]
pub enum ProblemAction {
    /// Connect the company again.
    Reconnect,
    /// Open the record to correct it.
    OpenRecord,
    /// Open the record to choose an active account, item or name.
    ChooseActiveAccount,
    /// Try the sync again.
    Retry,
}

/// A problem as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct Problem {
    /// What went wrong.
    pub kind: ProblemKind,
    /// The sentence to show: what happened and what to do.
    pub plain: String,
    /// The button that fixes it, when there is one.
    pub action: Option<ProblemAction>,
}

impl Problem {
    /// The problem a QuickBooks refusal stands for.
    pub fn of_refusal(refusal: Refusal) -> Problem {
        let (kind, action) = match refusal {
            Refusal::ClosedPeriod => (ProblemKind::ClosedPeriod, Some(ProblemAction::OpenRecord)),
            Refusal::DuplicateNumber => (
                ProblemKind::DuplicateNumber,
                Some(ProblemAction::OpenRecord),
            ),
            Refusal::InactiveReference => (
                ProblemKind::InactiveReference,
                Some(ProblemAction::ChooseActiveAccount),
            ),
            Refusal::NotFound => (ProblemKind::NotFound, Some(ProblemAction::OpenRecord)),
            Refusal::StaleObject => (ProblemKind::StaleObject, Some(ProblemAction::Retry)),
            Refusal::Throttled => (ProblemKind::Throttled, Some(ProblemAction::Retry)),
            Refusal::ReconnectNeeded => {
                (ProblemKind::ReconnectNeeded, Some(ProblemAction::Reconnect))
            }
            Refusal::SubscriptionLapsed => (ProblemKind::SubscriptionLapsed, None),
            Refusal::Unavailable => (ProblemKind::Unavailable, Some(ProblemAction::Retry)),
            Refusal::Invalid => (ProblemKind::Invalid, Some(ProblemAction::OpenRecord)),
        };
        Problem {
            kind,
            plain: refusal.plain_words().to_owned(),
            action,
        }
    }

    /// The problem behind a record's last error: a refusal QuickBooks sent,
    /// or a check before sending that held the record back (whose own
    /// sentence already names the field and what to do).
    pub fn of_record_error(error: &str) -> Problem {
        if let Some(refusal) = Refusal::in_text(error) {
            return Problem::of_refusal(refusal);
        }
        if error.contains("inactive in QuickBooks") {
            return Problem {
                kind: ProblemKind::InactiveReference,
                plain: error.to_owned(),
                action: Some(ProblemAction::ChooseActiveAccount),
            };
        }
        Problem {
            kind: ProblemKind::Invalid,
            plain: error.to_owned(),
            action: Some(ProblemAction::OpenRecord),
        }
    }

    /// The problem behind a failed use-case, when the user can act on it
    /// (a typo in a form has its own message and no button).
    pub fn of_error(error: &CoreError) -> Option<Problem> {
        let qbo = match error {
            CoreError::ReconnectNeeded { .. } | CoreError::NotConnected { .. } => {
                return Some(Problem {
                    kind: ProblemKind::ReconnectNeeded,
                    plain: error.to_string(),
                    action: Some(ProblemAction::Reconnect),
                });
            }
            CoreError::Qbo(qbo) => qbo.as_ref(),
            CoreError::Engine(engine) => match engine.as_ref() {
                EngineError::Qbo(qbo) => qbo,
                _ => return None,
            },
            _ => return None,
        };
        let mut problem = Problem::of_refusal(qbo.refusal());
        // A sync that failed as a whole has no record to open.
        if problem.action == Some(ProblemAction::OpenRecord)
            || problem.action == Some(ProblemAction::ChooseActiveAccount)
        {
            problem.action = None;
        }
        Some(problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_common_refusal_gets_its_button() {
        let kept = |code: &str, words: &str| {
            format!(
                "QuickBooks refused Invoice 1001: QuickBooks rejected the request (error {code}): {words}. Correct the record and save it to send it again."
            )
        };
        let closed = Problem::of_record_error(&kept("6210", "Account Period Closed"));
        assert_eq!(closed.kind, ProblemKind::ClosedPeriod);
        assert_eq!(closed.action, Some(ProblemAction::OpenRecord));
        assert!(closed.plain.contains("books are closed"));

        let duplicate = Problem::of_record_error(&kept("6140", "Duplicate Document Number Error"));
        assert_eq!(duplicate.kind, ProblemKind::DuplicateNumber);

        let inactive = Problem::of_record_error(&kept(
            "2500",
            "Invalid Reference Id : Something you're trying to use has been made inactive",
        ));
        assert_eq!(
            inactive.action,
            Some(ProblemAction::ChooseActiveAccount),
            "{inactive:?}"
        );

        // The check before sending words an inactive account itself.
        let held = Problem::of_record_error(
            "Bill 77: the account on line 1 is \"Old Bank\", which is inactive in QuickBooks. Choose an active account, or reactivate \"Old Bank\" in QuickBooks.",
        );
        assert_eq!(held.kind, ProblemKind::InactiveReference);
        assert_eq!(held.action, Some(ProblemAction::ChooseActiveAccount));
        assert!(held.plain.contains("Old Bank"));

        let unbalanced = Problem::of_record_error("Journal entry 5: debits and credits differ.");
        assert_eq!(unbalanced.kind, ProblemKind::Invalid);
        assert_eq!(unbalanced.action, Some(ProblemAction::OpenRecord));
    }

    #[test]
    fn a_failed_sync_offers_retry_or_reconnect_and_nothing_for_a_typo() {
        let throttled = CoreError::from(qbo_client::QboError::Throttled {
            retry_after: std::time::Duration::from_secs(60),
            message: "ThrottleExceeded".to_owned(),
            intuit_tid: None,
        });
        let problem = Problem::of_error(&throttled).expect("a problem");
        assert_eq!(problem.kind, ProblemKind::Throttled);
        assert_eq!(problem.action, Some(ProblemAction::Retry));

        let reconnect = CoreError::ReconnectNeeded {
            company: "Client A".to_owned(),
        };
        assert_eq!(
            Problem::of_error(&reconnect).and_then(|problem| problem.action),
            Some(ProblemAction::Reconnect)
        );
        assert_eq!(
            Problem::of_error(&CoreError::Invalid("Name is empty.".to_owned())),
            None
        );
    }
}
