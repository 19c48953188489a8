//! The `secrets` crate's tests: redaction, token expiry rules, the in-memory vault, and the real
//! OS keyring (the keyring tests are ignored by default; `cargo xtask test` runs them inside a
//! private D-Bus session with an unlocked gnome-keyring).

mod expiry;
mod keyring;
mod memory;
mod redaction;

use chrono::{DateTime, Utc};
use secrets::{Sensitive, TokenLifetimes, TokenSet};

/// A fixed instant from an RFC 3339 string, so no test reads the clock for its rules.
pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("test times are valid RFC 3339")
        .with_timezone(&Utc)
}

/// Tokens issued at `obtained_at` with Intuit's usual lifetimes and a five-year cap; the token
/// strings start with `secret` so that redaction tests can look for them.
pub fn tokens_with(secret: &str, obtained_at: DateTime<Utc>) -> TokenSet {
    let lifetimes = TokenLifetimes::from_seconds(3_600, 8_640_000, Some(157_680_000))
        .expect("Intuit's lifetimes are valid");
    TokenSet::from_grant(
        "9130350000000000",
        Sensitive::new(format!("{secret}-access")),
        Sensitive::new(format!("{secret}-refresh")),
        obtained_at,
        &lifetimes,
    )
    .expect("the expiries are in range")
}
