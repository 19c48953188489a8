//! The token vault over the OS keyring, an in-memory backend for tests, and `Sensitive<T>`.
//!
//! This is the only crate that touches the keyring. Secrets travel as [`Sensitive`] values,
//! which print as `Sensitive(<redacted>)` and cannot be serialised, so a token cannot reach the
//! webview, the database or a log line by accident. [`TokenSet`] holds a company's tokens and
//! answers, for a given time, whether the access token needs a refresh and whether the user
//! should be warned that the refresh token's 100-day rolling expiry or five-year cap is near.
//! [`TokenVault`] is the storage interface: [`KeyringVault`] over the OS keyring,
//! [`MemoryVault`] for tests. A locked or missing keyring is an error that says what to do
//! ([`VaultError`]); there is never a fallback to plain files.

mod keyring_vault;
mod memory;
mod sensitive;
mod tokens;
mod vault;

pub use keyring_vault::{DEFAULT_APP_ID, KeyringVault};
pub use memory::{MemoryVault, SimulatedFailure};
pub use sensitive::Sensitive;
pub use tokens::{
    ACCESS_TOKEN_LIFETIME, HARD_CAP_WARNING, IMMINENT_WARNING, LONGEST_ACCEPTED_LIFETIME,
    REFRESH_TOKEN_HARD_CAP, REFRESH_TOKEN_ROLLING_LIFETIME, ROLLING_EXPIRY_WARNING, RefreshLimit,
    RefreshWarning, TokenLifetimes, TokenSet, TokenTimeError, WarningUrgency,
};
pub use vault::{PlatformError, StoredItem, TokenVault, VaultError};
