//! Token expiry rules, with fixed times (API.md §2.5–2.6).

use chrono::TimeDelta;
use secrets::{RefreshLimit, Sensitive, TokenLifetimes, TokenSet, TokenTimeError, WarningUrgency};

use crate::{at, tokens_with};

#[test]
fn expiries_follow_the_token_response_lifetimes() {
    let issued = at("2026-01-10T09:00:00Z");
    let tokens = tokens_with("t", issued);
    assert_eq!(tokens.obtained_at, issued);
    assert_eq!(tokens.access_expires_at, at("2026-01-10T10:00:00Z"));
    assert_eq!(tokens.refresh_expires_at, at("2026-04-20T09:00:00Z"));
    assert_eq!(
        tokens.refresh_hard_cap_at,
        Some(at("2031-01-09T09:00:00Z")),
        "157,680,000 s is 1,825 days"
    );
}

#[test]
fn access_token_needs_a_refresh_within_the_margin() {
    let tokens = tokens_with("t", at("2026-01-10T09:00:00Z"));
    let margin = TimeDelta::minutes(5);
    assert!(!tokens.access_expires_within(at("2026-01-10T09:54:59Z"), margin));
    assert!(tokens.access_expires_within(at("2026-01-10T09:55:00Z"), margin));
    assert!(tokens.access_expires_within(at("2026-01-10T11:00:00Z"), margin));
    assert!(!tokens.access_expires_within(at("2026-01-10T09:59:59Z"), TimeDelta::zero()));
    assert!(
        tokens.access_expires_within(at("2026-01-10T09:00:00Z"), TimeDelta::MAX),
        "an overflowing margin counts as expiring, not as a panic"
    );
}

#[test]
fn no_warning_while_both_limits_are_far() {
    let tokens = tokens_with("t", at("2026-01-10T09:00:00Z"));
    assert_eq!(tokens.refresh_warning(at("2026-01-10T09:00:00Z")), None);
    // Rolling expiry 2026-04-20T09:00Z; the window opens 14 days before.
    assert_eq!(tokens.refresh_warning(at("2026-04-06T08:59:59Z")), None);
    assert!(!tokens.refresh_expired(at("2026-04-20T08:59:59Z")));
}

#[test]
fn rolling_expiry_warns_then_becomes_imminent_then_expired() {
    let tokens = tokens_with("t", at("2026-01-10T09:00:00Z"));
    let upcoming = tokens
        .refresh_warning(at("2026-04-06T09:00:00Z"))
        .expect("14 days before the rolling expiry");
    assert_eq!(upcoming.limit, RefreshLimit::Rolling);
    assert_eq!(upcoming.urgency, WarningUrgency::Upcoming);
    assert_eq!(upcoming.expires_at, at("2026-04-20T09:00:00Z"));
    assert_eq!(upcoming.days_left(at("2026-04-06T09:00:00Z")), 14);
    assert!(upcoming.message().contains("2026-04-20"));
    assert!(upcoming.message().contains("sync now"));

    let imminent = tokens
        .refresh_warning(at("2026-04-13T09:00:00Z"))
        .expect("7 days before");
    assert_eq!(imminent.urgency, WarningUrgency::Imminent);

    let expired = tokens
        .refresh_warning(at("2026-04-20T09:00:00Z"))
        .expect("at the expiry");
    assert_eq!(expired.urgency, WarningUrgency::Expired);
    assert!(expired.message().contains("reconnect"));
    assert!(tokens.refresh_expired(at("2026-04-20T09:00:00Z")));
}

#[test]
fn a_refresh_renews_the_rolling_expiry_but_keeps_the_hard_cap() {
    let first = tokens_with("t", at("2026-01-10T09:00:00Z"));
    let refreshed = first
        .refreshed(
            Sensitive::new("new-access".to_owned()),
            Sensitive::new("new-refresh".to_owned()),
            at("2026-04-10T09:00:00Z"),
            &TokenLifetimes::INTUIT_DEFAULT,
        )
        .expect("in range");
    assert_eq!(refreshed.realm_id, first.realm_id);
    assert_eq!(refreshed.refresh_expires_at, at("2026-07-19T09:00:00Z"));
    assert_eq!(refreshed.refresh_hard_cap_at, first.refresh_hard_cap_at);
    assert_eq!(refreshed.refresh_token.expose(), "new-refresh");
    assert_eq!(
        first
            .refresh_warning(at("2026-04-10T09:00:00Z"))
            .map(|w| w.urgency),
        Some(WarningUrgency::Upcoming)
    );
    assert_eq!(refreshed.refresh_warning(at("2026-04-10T09:00:00Z")), None);
}

#[test]
fn the_five_year_cap_warns_30_days_ahead_and_wins_over_a_later_rolling_expiry() {
    // Authorised in October 2023: Intuit's first hard expiries come in October 2028.
    let tokens = TokenSet::from_grant(
        "123",
        Sensitive::new("a".to_owned()),
        Sensitive::new("r".to_owned()),
        at("2028-09-01T00:00:00Z"),
        &TokenLifetimes {
            access: TimeDelta::hours(1),
            refresh: TimeDelta::days(100),
            refresh_hard_cap: Some(TimeDelta::days(40)),
        },
    )
    .expect("in range");
    assert_eq!(
        tokens.effective_refresh_expires_at(),
        at("2028-10-11T00:00:00Z")
    );
    assert_eq!(tokens.refresh_warning(at("2028-09-10T23:59:59Z")), None);

    let warning = tokens
        .refresh_warning(at("2028-09-11T00:00:00Z"))
        .expect("30 days before the cap");
    assert_eq!(warning.limit, RefreshLimit::HardCap);
    assert_eq!(warning.urgency, WarningUrgency::Upcoming);
    assert!(warning.message().contains("five-year"));
    assert!(warning.message().contains("2028-10-11"));
    assert!(warning.message().contains("reconnect"));

    let expired = tokens
        .refresh_warning(at("2028-10-11T00:00:00Z"))
        .expect("at the cap");
    assert_eq!(
        (expired.limit, expired.urgency),
        (RefreshLimit::HardCap, WarningUrgency::Expired)
    );
    assert!(tokens.refresh_expired(at("2028-10-11T00:00:00Z")));
    assert!(expired.days_left(at("2028-10-13T00:00:00Z")) < 0);
}

#[test]
fn a_nearer_rolling_expiry_is_reported_before_the_cap() {
    let tokens = TokenSet::from_grant(
        "123",
        Sensitive::new("a".to_owned()),
        Sensitive::new("r".to_owned()),
        at("2028-01-01T00:00:00Z"),
        &TokenLifetimes {
            access: TimeDelta::hours(1),
            refresh: TimeDelta::days(100),
            refresh_hard_cap: Some(TimeDelta::days(110)),
        },
    )
    .expect("in range");
    // Day 95: the rolling expiry (day 100) and the cap (day 110) are both in their windows.
    let warning = tokens
        .refresh_warning(at("2028-04-05T00:00:00Z"))
        .expect("both near");
    assert_eq!(warning.limit, RefreshLimit::Rolling);
    assert_eq!(warning.urgency, WarningUrgency::Imminent);
}

#[test]
fn implausible_lifetimes_are_refused() {
    assert!(matches!(
        TokenLifetimes::from_seconds(0, 8_640_000, None),
        Err(TokenTimeError::LifetimeOutOfRange {
            field: "expires_in",
            seconds: 0
        })
    ));
    assert!(matches!(
        TokenLifetimes::from_seconds(3_600, u64::MAX, None),
        Err(TokenTimeError::LifetimeOutOfRange {
            field: "x_refresh_token_expires_in",
            ..
        })
    ));
    let error = TokenLifetimes::from_seconds(3_600, 8_640_000, Some(20 * 365 * 86_400))
        .expect_err("twenty years is not a plausible cap");
    assert!(
        error
            .to_string()
            .contains("x_refresh_token_hard_expires_in")
    );
    let defaults = TokenLifetimes::from_seconds(3_600, 8_640_000, None).expect("valid");
    assert_eq!(defaults, TokenLifetimes::INTUIT_DEFAULT);
}

#[test]
fn an_expiry_beyond_the_calendar_is_an_error() {
    let result = TokenSet::from_grant(
        "123",
        Sensitive::new("a".to_owned()),
        Sensitive::new("r".to_owned()),
        chrono::DateTime::<chrono::Utc>::MAX_UTC,
        &TokenLifetimes::INTUIT_DEFAULT,
    );
    assert!(matches!(
        result,
        Err(TokenTimeError::ExpiryOutOfRange { .. })
    ));
}
