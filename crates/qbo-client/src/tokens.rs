//! The token manager: one company's tokens, refreshed ahead of expiry,
//! once at a time, and stored before they are used (DESIGN.md §3, Tokens).
//!
//! - **Write-ahead** (PITFALLS item 1): Intuit may rotate the refresh token
//!   on any refresh and the old value stops working. The new set is written
//!   to the vault before its access token is handed out; if the write fails,
//!   the set stays in memory (it is the only working copy) and no token is
//!   handed out until a later write succeeds.
//! - **Single flight** (PITFALLS item 2): concurrent callers that find the
//!   token expiring queue on one gate; the first refreshes, the rest take its
//!   result. Before refreshing, the vault is read again, since another app
//!   instance may have refreshed already and the token in memory may be dead.
//! - `invalid_grant` is [`QboError::ReconnectNeeded`]: the user must connect
//!   the company again.
//!
//! Time comes from a [`Clock`], never from the system clock directly, so the
//! tests can move it.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};
use secrets::{RefreshWarning, TokenSet, TokenVault, VaultError};

use crate::connect::OAuthApp;
use crate::error::QboError;
use crate::transport::TokenSource;

/// Where "now" comes from.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// Any `Fn() -> DateTime<Utc>` is a clock, e.g. a test's simulated one.
impl<F: Fn() -> DateTime<Utc> + Send + Sync> Clock for F {
    fn now(&self) -> DateTime<Utc> {
        self()
    }
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// How a [`TokenManager`] behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenManagerConfig {
    /// Refresh when the access token expires within this margin, so that a
    /// request does not start with a token about to die.
    pub refresh_margin: TimeDelta,
}

impl Default for TokenManagerConfig {
    fn default() -> Self {
        TokenManagerConfig {
            refresh_margin: TimeDelta::minutes(5),
        }
    }
}

/// What the manager holds between calls.
struct Held {
    tokens: TokenSet,
    /// True when `tokens` came from a refresh but could not be written to
    /// the vault yet: they must be written before anything is handed out.
    unsaved: bool,
}

/// One company's tokens; implements [`TokenSource`] for its [`QboClient`].
/// Share it (in an `Arc`) between every client of the company so that the
/// single-flight gate covers them all.
///
/// [`QboClient`]: crate::QboClient
pub struct TokenManager {
    company_id: String,
    oauth: Arc<OAuthApp>,
    vault: Arc<dyn TokenVault>,
    clock: Arc<dyn Clock>,
    config: TokenManagerConfig,
    held: Mutex<Held>,
    /// Taken for the whole of a refresh, so only one runs at a time.
    refresh_gate: tokio::sync::Mutex<()>,
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("TokenManager")
            .field("company_id", &self.company_id)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    /// A manager for the tokens stored in `vault` under `company_id`. No
    /// stored tokens means the company was never connected (or was
    /// disconnected): [`QboError::ReconnectNeeded`].
    pub async fn load(
        company_id: &str,
        oauth: Arc<OAuthApp>,
        vault: Arc<dyn TokenVault>,
        clock: Arc<dyn Clock>,
        config: TokenManagerConfig,
    ) -> Result<TokenManager, QboError> {
        let tokens =
            load_from(&vault, company_id)
                .await?
                .ok_or_else(|| QboError::ReconnectNeeded {
                    message: format!("no QuickBooks tokens are stored for company {company_id}"),
                    intuit_tid: None,
                })?;
        Ok(TokenManager {
            company_id: company_id.to_owned(),
            oauth,
            vault,
            clock,
            config,
            held: Mutex::new(Held {
                tokens,
                unsaved: false,
            }),
            refresh_gate: tokio::sync::Mutex::new(()),
        })
    }

    /// The vault key of the company.
    pub fn company_id(&self) -> &str {
        &self.company_id
    }

    /// A copy of the current tokens and their expiries (the 100-day rolling
    /// expiry and the five-year cap), for the app's warnings.
    pub fn tokens(&self) -> TokenSet {
        self.held().tokens.clone()
    }

    /// A warning when the refresh token's rolling expiry or five-year cap
    /// is near, at the clock's current time.
    pub fn refresh_warning(&self) -> Option<RefreshWarning> {
        let now = self.clock.now();
        self.held().tokens.refresh_warning(now)
    }

    fn held(&self) -> MutexGuard<'_, Held> {
        // Every write replaces the whole value, so a poisoned lock still
        // holds a consistent set.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The access token, when it is saved and outside the refresh margin.
    fn usable_access_token(&self) -> Option<String> {
        let now = self.clock.now();
        let held = self.held();
        let usable = !held.unsaved
            && !held
                .tokens
                .access_expires_within(now, self.config.refresh_margin);
        usable.then(|| held.tokens.access_token.expose().clone())
    }

    /// Under the gate: refreshes when `needs_refresh` says the current set
    /// (after catching up with the vault) must be replaced, and returns the
    /// access token to use.
    async fn refresh_if(
        &self,
        needs_refresh: impl Fn(&TokenSet) -> bool,
    ) -> Result<String, QboError> {
        let _gate = self.refresh_gate.lock().await;
        let (current, unsaved) = {
            let held = self.held();
            (held.tokens.clone(), held.unsaved)
        };
        if unsaved {
            // A refresh already happened but its tokens are not stored yet:
            // store them now (refreshing again would rotate away from them).
            self.persist(&current).await?;
            self.held().unsaved = false;
            if !needs_refresh(&current) {
                return Ok(current.access_token.expose().clone());
            }
        }
        // Another process may have refreshed since this one last looked; its
        // tokens are in the vault and ours may no longer work.
        let basis = match load_from(&self.vault, &self.company_id).await? {
            Some(stored) if stored != current => {
                tracing::debug!(
                    company_id = %self.company_id,
                    "the vault holds newer tokens than memory; adopting them"
                );
                self.held().tokens = stored.clone();
                stored
            }
            Some(_) => current,
            None => {
                return Err(QboError::ReconnectNeeded {
                    message: format!(
                        "the QuickBooks tokens of company {} were removed (disconnected)",
                        self.company_id
                    ),
                    intuit_tid: None,
                });
            }
        };
        if !needs_refresh(&basis) {
            return Ok(basis.access_token.expose().clone());
        }
        tracing::info!(company_id = %self.company_id, "refreshing the QuickBooks access token");
        let next = self.oauth.refresh(&basis).await?;
        // Keep the new set before anything else: if storing fails it is still
        // the only working copy, and the next call retries the write.
        {
            let mut held = self.held();
            held.tokens = next.clone();
            held.unsaved = true;
        }
        self.persist(&next).await?;
        self.held().unsaved = false;
        Ok(next.access_token.expose().clone())
    }

    async fn persist(&self, tokens: &TokenSet) -> Result<(), QboError> {
        let vault = Arc::clone(&self.vault);
        let company_id = self.company_id.clone();
        let tokens = tokens.clone();
        let stored = tokio::task::spawn_blocking(move || vault.store(&company_id, &tokens))
            .await
            .map_err(|error| vault_failure(SAVED, &error.to_string()))?;
        stored.map_err(|error| vault_error(SAVED, &error))
    }
}

impl TokenSource for TokenManager {
    async fn access_token(&self) -> Result<String, QboError> {
        if let Some(token) = self.usable_access_token() {
            return Ok(token);
        }
        let margin = self.config.refresh_margin;
        let clock = Arc::clone(&self.clock);
        self.refresh_if(move |tokens| tokens.access_expires_within(clock.now(), margin))
            .await
    }

    async fn refresh_after_unauthorized(&self, rejected: &str) -> Result<(), QboError> {
        self.refresh_if(|tokens| tokens.access_token.expose() == rejected)
            .await
            .map(drop)
    }
}

const SAVED: &str = "saved to the system keyring";
const READ: &str = "read from the system keyring";

async fn load_from(
    vault: &Arc<dyn TokenVault>,
    company_id: &str,
) -> Result<Option<TokenSet>, QboError> {
    let vault = Arc::clone(vault);
    let company_id = company_id.to_owned();
    tokio::task::spawn_blocking(move || vault.load(&company_id))
        .await
        .map_err(|error| vault_failure(READ, &error.to_string()))?
        .map_err(|error| vault_error(READ, &error))
}

fn vault_error(action: &str, error: &VaultError) -> QboError {
    vault_failure(action, &error.to_string())
}

/// A vault failure is reported as transient: a locked keyring unlocks, and
/// nothing about the company's authorisation is known to be wrong. `action`
/// completes "could not be …".
fn vault_failure(action: &str, problem: &str) -> QboError {
    QboError::transient(format!(
        "the QuickBooks tokens could not be {action}: {problem}"
    ))
}
