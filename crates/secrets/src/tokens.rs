//! A company's OAuth tokens and the arithmetic of their expiries (API.md §2.5–2.6).
//!
//! Every function takes the current time as a parameter, so the rules are testable with fixed
//! times and the sync engine's simulated clock.

use chrono::{DateTime, TimeDelta, Utc};

use crate::Sensitive;

/// Intuit's access-token lifetime (`expires_in`: one hour).
pub const ACCESS_TOKEN_LIFETIME: TimeDelta = TimeDelta::seconds(3_600);
/// Intuit's rolling refresh-token lifetime (`x_refresh_token_expires_in`: about 100 days,
/// extended each time the token is used).
pub const REFRESH_TOKEN_ROLLING_LIFETIME: TimeDelta = TimeDelta::days(100);
/// Intuit's absolute cap on a refresh token (`x_refresh_token_hard_expires_in`: at most five
/// years from the first authorisation).
pub const REFRESH_TOKEN_HARD_CAP: TimeDelta = TimeDelta::days(5 * 365);
/// How long before the rolling expiry the app warns. Any refresh renews it, so this warning only
/// shows for a company that has not synced for months.
pub const ROLLING_EXPIRY_WARNING: TimeDelta = TimeDelta::days(14);
/// How long before the five-year cap the app warns: Intuit's own sample warns in-product 30 days
/// ahead, since only the user can fix it by reconnecting.
pub const HARD_CAP_WARNING: TimeDelta = TimeDelta::days(30);
/// Inside this window a warning becomes [`WarningUrgency::Imminent`] (Intuit's sample e-mails the
/// user 7 days ahead).
pub const IMMINENT_WARNING: TimeDelta = TimeDelta::days(7);
/// The longest lifetime accepted from a token response. Anything longer is a malformed answer
/// (Intuit's longest is the five-year cap), and refusing it keeps the date arithmetic in range.
pub const LONGEST_ACCEPTED_LIFETIME: TimeDelta = TimeDelta::days(10 * 366);

/// The lifetimes a token response announced, in the units Intuit sends (seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetimes {
    /// `expires_in`: the access token's lifetime.
    pub access: TimeDelta,
    /// `x_refresh_token_expires_in`: the refresh token's rolling lifetime.
    pub refresh: TimeDelta,
    /// `x_refresh_token_hard_expires_in`, present only when the client opted in to it.
    pub refresh_hard_cap: Option<TimeDelta>,
}

impl TokenLifetimes {
    /// Intuit's documented lifetimes, for a response that omits them.
    pub const INTUIT_DEFAULT: Self = Self {
        access: ACCESS_TOKEN_LIFETIME,
        refresh: REFRESH_TOKEN_ROLLING_LIFETIME,
        refresh_hard_cap: None,
    };

    /// Reads the three lifetimes of a token response, refusing zero (it would make the client
    /// refresh in a loop) and anything beyond [`LONGEST_ACCEPTED_LIFETIME`].
    pub fn from_seconds(
        expires_in: u64,
        refresh_expires_in: u64,
        refresh_hard_expires_in: Option<u64>,
    ) -> Result<Self, TokenTimeError> {
        Ok(Self {
            access: lifetime_from_seconds("expires_in", expires_in)?,
            refresh: lifetime_from_seconds("x_refresh_token_expires_in", refresh_expires_in)?,
            refresh_hard_cap: refresh_hard_expires_in
                .map(|seconds| lifetime_from_seconds("x_refresh_token_hard_expires_in", seconds))
                .transpose()?,
        })
    }
}

fn lifetime_from_seconds(field: &'static str, seconds: u64) -> Result<TimeDelta, TokenTimeError> {
    i64::try_from(seconds)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .filter(|lifetime| *lifetime > TimeDelta::zero() && *lifetime <= LONGEST_ACCEPTED_LIFETIME)
        .ok_or(TokenTimeError::LifetimeOutOfRange { field, seconds })
}

/// A token lifetime or expiry that cannot be represented.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenTimeError {
    /// A lifetime in the token response is zero or implausibly long.
    #[error(
        "Intuit's token response gave {field} = {seconds} seconds, which is not a usable lifetime \
         (expected more than 0 and at most ten years); try connecting again"
    )]
    LifetimeOutOfRange {
        /// The response field.
        field: &'static str,
        /// The value it carried.
        seconds: u64,
    },
    /// The issue time plus a lifetime falls outside the calendar chrono can represent.
    #[error("the token expiry computed from {field} is out of range")]
    ExpiryOutOfRange {
        /// The response field whose lifetime overflowed.
        field: &'static str,
    },
}

/// One company's OAuth tokens and their expiries.
///
/// Not `Serialize`: the only way it is written anywhere is the vault's private storage format.
///
/// ```compile_fail
/// fn needs_serialize<T: serde::Serialize>() {}
/// needs_serialize::<secrets::TokenSet>();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSet {
    /// The bearer token for API calls.
    pub access_token: Sensitive<String>,
    /// The token that obtains the next access token. It may change on each refresh, and the
    /// new one must be stored before it is used (DESIGN.md §3, Tokens).
    pub refresh_token: Sensitive<String>,
    /// When the access token stops working.
    pub access_expires_at: DateTime<Utc>,
    /// When the refresh token stops working unless used before then (about 100 days, rolling).
    pub refresh_expires_at: DateTime<Utc>,
    /// The absolute five-year cap, when Intuit reported it. No refresh can extend it.
    pub refresh_hard_cap_at: Option<DateTime<Utc>>,
    /// The QBO company (realm) these tokens open.
    pub realm_id: String,
    /// When Intuit issued these tokens.
    pub obtained_at: DateTime<Utc>,
}

impl TokenSet {
    /// Builds the token set of a fresh grant (a code exchange) issued at `obtained_at`.
    pub fn from_grant(
        realm_id: impl Into<String>,
        access_token: Sensitive<String>,
        refresh_token: Sensitive<String>,
        obtained_at: DateTime<Utc>,
        lifetimes: &TokenLifetimes,
    ) -> Result<Self, TokenTimeError> {
        Ok(Self {
            access_token,
            refresh_token,
            access_expires_at: expiry(obtained_at, lifetimes.access, "expires_in")?,
            refresh_expires_at: expiry(
                obtained_at,
                lifetimes.refresh,
                "x_refresh_token_expires_in",
            )?,
            refresh_hard_cap_at: lifetimes
                .refresh_hard_cap
                .map(|cap| expiry(obtained_at, cap, "x_refresh_token_hard_expires_in"))
                .transpose()?,
            realm_id: realm_id.into(),
            obtained_at,
        })
    }

    /// Builds the token set that replaces this one after a refresh at `obtained_at`. The hard
    /// cap carries over when the refresh response does not repeat it, since a refresh never
    /// moves it.
    pub fn refreshed(
        &self,
        access_token: Sensitive<String>,
        refresh_token: Sensitive<String>,
        obtained_at: DateTime<Utc>,
        lifetimes: &TokenLifetimes,
    ) -> Result<Self, TokenTimeError> {
        let mut next = Self::from_grant(
            self.realm_id.clone(),
            access_token,
            refresh_token,
            obtained_at,
            lifetimes,
        )?;
        if next.refresh_hard_cap_at.is_none() {
            next.refresh_hard_cap_at = self.refresh_hard_cap_at;
        }
        Ok(next)
    }

    /// True when the access token has expired at `now` or will within `margin`: refresh first.
    /// A margin so large that the sum leaves the calendar counts as expiring.
    pub fn access_expires_within(&self, now: DateTime<Utc>, margin: TimeDelta) -> bool {
        now.checked_add_signed(margin)
            .is_none_or(|deadline| deadline >= self.access_expires_at)
    }

    /// When the refresh token really stops working: the rolling expiry or the hard cap,
    /// whichever comes first.
    pub fn effective_refresh_expires_at(&self) -> DateTime<Utc> {
        match self.refresh_hard_cap_at {
            Some(cap) if cap < self.refresh_expires_at => cap,
            _ => self.refresh_expires_at,
        }
    }

    /// True when the refresh token no longer works at `now`: the company must be reconnected.
    pub fn refresh_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.effective_refresh_expires_at()
    }

    /// A warning to show when an expiry of the refresh token is near (or past) at `now`, or
    /// `None` when all is well. When both limits are near, the one that comes first is
    /// reported; on a tie the hard cap wins, because syncing cannot fix it.
    pub fn refresh_warning(&self, now: DateTime<Utc>) -> Option<RefreshWarning> {
        let rolling = RefreshWarning::at(
            RefreshLimit::Rolling,
            self.refresh_expires_at,
            ROLLING_EXPIRY_WARNING,
            now,
        );
        let hard_cap = self
            .refresh_hard_cap_at
            .and_then(|cap| RefreshWarning::at(RefreshLimit::HardCap, cap, HARD_CAP_WARNING, now));
        match (rolling, hard_cap) {
            (Some(rolling), Some(hard_cap)) if rolling.expires_at < hard_cap.expires_at => {
                Some(rolling)
            }
            (_, Some(hard_cap)) => Some(hard_cap),
            (rolling, None) => rolling,
        }
    }
}

fn expiry(
    obtained_at: DateTime<Utc>,
    lifetime: TimeDelta,
    field: &'static str,
) -> Result<DateTime<Utc>, TokenTimeError> {
    obtained_at
        .checked_add_signed(lifetime)
        .ok_or(TokenTimeError::ExpiryOutOfRange { field })
}

/// Which limit of the refresh token a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefreshLimit {
    /// The rolling ~100-day expiry: the next successful sync renews it.
    Rolling,
    /// Intuit's five-year cap: only reconnecting the company (a new consent) resets it.
    HardCap,
}

/// How pressing a warning is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WarningUrgency {
    /// Within the warning window but more than [`IMMINENT_WARNING`] away.
    Upcoming,
    /// Within [`IMMINENT_WARNING`].
    Imminent,
    /// Already past: syncing stops until the company is reconnected.
    Expired,
}

/// A warning that a company's QuickBooks authorisation is about to lapse (or has lapsed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshWarning {
    /// The limit that is near.
    pub limit: RefreshLimit,
    /// When it is reached.
    pub expires_at: DateTime<Utc>,
    /// How near it is.
    pub urgency: WarningUrgency,
}

impl RefreshWarning {
    fn at(
        limit: RefreshLimit,
        expires_at: DateTime<Utc>,
        window: TimeDelta,
        now: DateTime<Utc>,
    ) -> Option<Self> {
        let remaining = expires_at.signed_duration_since(now);
        let urgency = if remaining <= TimeDelta::zero() {
            WarningUrgency::Expired
        } else if remaining <= IMMINENT_WARNING {
            WarningUrgency::Imminent
        } else if remaining <= window {
            WarningUrgency::Upcoming
        } else {
            return None;
        };
        Some(Self {
            limit,
            expires_at,
            urgency,
        })
    }

    /// Whole days from `now` until the limit (negative once past), for a "in N days" label.
    pub fn days_left(&self, now: DateTime<Utc>) -> i64 {
        self.expires_at.signed_duration_since(now).num_days()
    }

    /// A sentence for the user that says what happens and what to do.
    pub fn message(&self) -> String {
        let date = self.expires_at.format("%Y-%m-%d");
        match (self.limit, self.urgency) {
            (RefreshLimit::Rolling, WarningUrgency::Expired) => format!(
                "QuickBooks access for this company lapsed on {date} because it was not synced \
                 for 100 days: reconnect the company to resume syncing."
            ),
            (RefreshLimit::Rolling, _) => format!(
                "QuickBooks access for this company lapses on {date} unless it syncs before \
                 then: sync now to renew it."
            ),
            (RefreshLimit::HardCap, WarningUrgency::Expired) => format!(
                "Intuit's five-year limit on this company's QuickBooks authorisation ended on \
                 {date}: reconnect the company to resume syncing."
            ),
            (RefreshLimit::HardCap, _) => format!(
                "Intuit's five-year limit on this company's QuickBooks authorisation ends on \
                 {date}: reconnect the company before then to keep syncing."
            ),
        }
    }
}
