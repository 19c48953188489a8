//! What a refusal from QuickBooks means to the person at the keyboard.
//!
//! Intuit's fault codes are terse and partly ambiguous (API.md §9: 6210 is
//! listed both as "Account Period Closed" and as the duplicate document
//! number error; 610 covers a deleted object and an inactive name). This
//! sorts a [`QboError`] into the few cases a user acts on differently, each
//! with a plain sentence; the front ends attach the matching button.

use serde::Serialize;

use crate::QboError;

/// The common refusals, by what the user does about them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// 6210 "Account Period Closed": the date is inside books the
    /// accountant closed in QuickBooks.
    ClosedPeriod,
    /// 6140 (or 6210 worded as such) "Duplicate Document Number".
    DuplicateNumber,
    /// 610 / 2500 naming something made inactive: an account, item,
    /// customer or vendor the record uses is no longer active.
    InactiveReference,
    /// 610 for the record itself: deleted in QuickBooks.
    NotFound,
    /// 5010: someone changed the record in QuickBooks meanwhile.
    StaleObject,
    /// 429 / 3001: too many requests; the company waits a minute.
    Throttled,
    /// The grant was refused: the company must be reconnected.
    ReconnectNeeded,
    /// 6190 / 120: the QuickBooks subscription does not allow access.
    SubscriptionLapsed,
    /// QuickBooks could not be reached or failed on its side.
    Unavailable,
    /// Any other refused value; Intuit's own words say which.
    Invalid,
}

impl Refusal {
    /// The refusal a fault code and Intuit's words stand for.
    pub fn of_code(code: &str, words: &str) -> Refusal {
        let code = code.trim().trim_start_matches('0');
        let words = words.to_lowercase();
        match code {
            "6140" => Refusal::DuplicateNumber,
            // Intuit's own table lists 6210 for both; the words tell them apart.
            "6210" if words.contains("duplicate") => Refusal::DuplicateNumber,
            "6210" => Refusal::ClosedPeriod,
            "610" | "2500" if words.contains("inactive") => Refusal::InactiveReference,
            "610" => Refusal::NotFound,
            "5010" => Refusal::StaleObject,
            "3001" | "429" => Refusal::Throttled,
            "3100" | "3200" => Refusal::ReconnectNeeded,
            "6190" | "120" => Refusal::SubscriptionLapsed,
            _ if words.contains("period closed") || words.contains("closing date") => {
                Refusal::ClosedPeriod
            }
            _ if words.contains("duplicate document number") => Refusal::DuplicateNumber,
            _ => Refusal::Invalid,
        }
    }

    /// The stable snake-case name front ends branch on.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::ClosedPeriod => "closed_period",
            Refusal::DuplicateNumber => "duplicate_number",
            Refusal::InactiveReference => "inactive_reference",
            Refusal::NotFound => "not_found",
            Refusal::StaleObject => "stale_object",
            Refusal::Throttled => "throttled",
            Refusal::ReconnectNeeded => "reconnect_needed",
            Refusal::SubscriptionLapsed => "subscription_lapsed",
            Refusal::Unavailable => "unavailable",
            Refusal::Invalid => "invalid",
        }
    }

    /// What happened and what to do, in plain words.
    pub fn plain_words(self) -> &'static str {
        match self {
            Refusal::ClosedPeriod => {
                "The books are closed for this date in QuickBooks. Change the date to one after the closing date, or ask whoever closed the books to reopen the period."
            }
            Refusal::DuplicateNumber => {
                "Another document in QuickBooks already has this number. Give this one a different number."
            }
            Refusal::InactiveReference => {
                "An account, item, customer or vendor this record uses is inactive in QuickBooks. Choose an active one, or make it active again in QuickBooks."
            }
            Refusal::NotFound => {
                "QuickBooks no longer has this record (it was deleted there). Open it to keep your version or let the deletion stand."
            }
            Refusal::StaleObject => {
                "Someone changed this record in QuickBooks at the same time. Sync again: the two versions are merged, and a conflict opens if both changed the same field."
            }
            Refusal::Throttled => {
                "QuickBooks asked Ledgerlink to slow down for a minute. Nothing was lost; retry in a moment."
            }
            Refusal::ReconnectNeeded => {
                "QuickBooks no longer accepts the connection. Reconnect the company."
            }
            Refusal::SubscriptionLapsed => {
                "The company's QuickBooks subscription does not allow access. Renew it with Intuit, then sync again."
            }
            Refusal::Unavailable => {
                "QuickBooks could not be reached or failed on its side. Nothing was lost; retry later."
            }
            Refusal::Invalid => {
                "QuickBooks refused a value in this record. Open it and correct it."
            }
        }
    }

    /// Finds the refusal in an error message this crate wrote (a
    /// [`QboError`]'s text, perhaps inside a longer sentence, as a record
    /// keeps its last error): "(error 6210…", the stale and throttling
    /// wordings, Intuit's own words. `None` when the text is not one.
    pub fn in_text(text: &str) -> Option<Refusal> {
        if let Some(start) = text.find("(error ") {
            let code: String = text[start + "(error ".len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if !code.is_empty() {
                return Some(Refusal::of_code(&code, text));
            }
        }
        let lower = text.to_lowercase();
        if lower.contains("stale synctoken") || lower.contains("stale object") {
            Some(Refusal::StaleObject)
        } else if lower.contains("throttling") {
            Some(Refusal::Throttled)
        } else if lower.contains("could not find the object") {
            Some(Refusal::of_code("610", text))
        } else if lower.contains("must be reconnected") {
            Some(Refusal::ReconnectNeeded)
        } else if lower.contains("subscription of this company") {
            Some(Refusal::SubscriptionLapsed)
        } else if lower.contains("could not be reached or failed temporarily") {
            Some(Refusal::Unavailable)
        } else {
            None
        }
    }
}

impl QboError {
    /// What this error means to the user (see [`Refusal`]).
    pub fn refusal(&self) -> Refusal {
        match self {
            QboError::Stale { .. } => Refusal::StaleObject,
            QboError::NotFound { message, .. } => Refusal::of_code("610", message),
            QboError::Validation {
                code,
                message,
                detail,
                ..
            } => Refusal::of_code(code, &format!("{message} {detail}")),
            QboError::Throttled { .. } => Refusal::Throttled,
            QboError::AuthExpired { .. } | QboError::ReconnectNeeded { .. } => {
                Refusal::ReconnectNeeded
            }
            QboError::SubscriptionLapsed { .. } => Refusal::SubscriptionLapsed,
            QboError::Transient { .. } | QboError::Protocol { .. } => Refusal::Unavailable,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::error::classify_fault;
    use crate::parse_fault_body;

    fn validation(code: &str, message: &str, detail: &str) -> QboError {
        QboError::Validation {
            code: code.to_owned(),
            element: None,
            message: message.to_owned(),
            detail: detail.to_owned(),
            intuit_tid: None,
        }
    }

    #[test]
    fn intuit_fault_codes_read_as_what_the_user_does() {
        let cases = [
            (
                validation(
                    "6210",
                    "Account Period Closed",
                    "Account Period Closed, Cannot update",
                ),
                Refusal::ClosedPeriod,
            ),
            (
                validation(
                    "6140",
                    "Duplicate Doc Num",
                    "Duplicate Document Number Error : You must specify a different number.",
                ),
                Refusal::DuplicateNumber,
            ),
            // 6210 also carries the duplicate number error in Intuit's table.
            (
                validation(
                    "6210",
                    "Duplicate Document Number Error",
                    "This number has already been used.",
                ),
                Refusal::DuplicateNumber,
            ),
            (
                validation(
                    "2500",
                    "Invalid Reference Id",
                    "Invalid Reference Id : Something you're trying to use has been made inactive.",
                ),
                Refusal::InactiveReference,
            ),
            (
                validation("2090", "Invalid Number", "Invalid Number : Amount : abc"),
                Refusal::Invalid,
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.refusal(), expected, "{error}");
            // The text a record keeps reads back to the same refusal.
            let kept = format!("QuickBooks refused Invoice 1001: {error}. Correct the record.");
            assert_eq!(Refusal::in_text(&kept), Some(expected), "{kept}");
        }
    }

    #[test]
    fn a_parsed_fault_body_becomes_the_refusal() {
        let inactive = br#"{"Fault":{"Error":[{"Message":"Object Not Found","Detail":"Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.","code":"610","element":"AccountRef"}],"type":"ValidationFault"}}"#;
        let fault = parse_fault_body(inactive).expect("a fault body");
        let error = classify_fault(400, &fault, None, None);
        assert_eq!(error.refusal(), Refusal::InactiveReference);
        assert_eq!(
            Refusal::in_text(&error.to_string()),
            Some(Refusal::InactiveReference)
        );

        let stale = br#"{"Fault":{"Error":[{"Message":"Stale Object Error","Detail":"Stale Object Error : You and root were working on this at the same time.","code":"5010"}],"type":"ValidationFault"}}"#;
        let error = classify_fault(
            400,
            &parse_fault_body(stale).expect("a fault body"),
            None,
            None,
        );
        assert_eq!(error.refusal(), Refusal::StaleObject);
        assert_eq!(
            Refusal::in_text(&error.to_string()),
            Some(Refusal::StaleObject)
        );
    }

    #[test]
    fn throttling_and_reconnecting_are_told_apart_from_bad_values() {
        let throttled = QboError::Throttled {
            retry_after: Duration::from_secs(60),
            message: "ThrottleExceeded".to_owned(),
            intuit_tid: None,
        };
        assert_eq!(throttled.refusal(), Refusal::Throttled);
        assert_eq!(
            Refusal::in_text(&throttled.to_string()),
            Some(Refusal::Throttled)
        );
        let reconnect = QboError::ReconnectNeeded {
            message: "invalid_grant".to_owned(),
            intuit_tid: None,
        };
        assert_eq!(reconnect.refusal(), Refusal::ReconnectNeeded);
        assert_eq!(
            Refusal::in_text(&reconnect.to_string()),
            Some(Refusal::ReconnectNeeded)
        );
        assert_eq!(Refusal::in_text("Journal entry does not balance."), None);
        for refusal in [Refusal::ClosedPeriod, Refusal::Throttled, Refusal::Invalid] {
            assert!(refusal.plain_words().ends_with('.'));
            assert!(!refusal.plain_words().contains("error"));
        }
    }
}
