//! An in-memory vault for tests and the demo mode.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use zeroize::Zeroizing;

use crate::vault::{check_name, decode_client_secret, decode_tokens, encode_tokens};
use crate::{Sensitive, TokenSet, TokenVault, VaultError};

/// A keyring failure that a [`MemoryVault`] can be told to simulate, so callers can test how
/// they report a locked or missing keyring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimulatedFailure {
    /// Every call fails with [`VaultError::Locked`].
    Locked,
    /// Every call fails with [`VaultError::Unavailable`].
    Unavailable,
}

#[derive(Default)]
struct State {
    /// Tokens in the same private format the OS keyring holds, so a round trip here exercises
    /// the real encoding.
    tokens: BTreeMap<String, Zeroizing<Vec<u8>>>,
    client_secrets: BTreeMap<String, Zeroizing<Vec<u8>>>,
    failure: Option<SimulatedFailure>,
}

/// A thread-safe vault that lives in process memory: for tests, and never for real tokens
/// (they would be lost when the app exits). Its `Debug` shows only counts.
#[derive(Default)]
pub struct MemoryVault {
    state: Mutex<State>,
}

impl MemoryVault {
    /// An empty vault.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every later call fail as a locked or missing keyring would (or succeed again with
    /// `None`). The stored content is kept.
    pub fn simulate_failure(&self, failure: Option<SimulatedFailure>) {
        self.lock().failure = failure;
    }

    /// Stores raw bytes as a company's tokens, as a damaged or foreign keyring entry would hold,
    /// so tests can check that reading it gives [`VaultError::Corrupt`].
    pub fn store_raw_tokens(&self, company_id: &str, bytes: Vec<u8>) {
        self.lock()
            .tokens
            .insert(company_id.to_owned(), Zeroizing::new(bytes));
    }

    /// The companies that have tokens stored, in order.
    pub fn company_ids(&self) -> Vec<String> {
        self.lock().tokens.keys().cloned().collect()
    }

    /// A poisoned lock only means another thread panicked mid-call; every write here replaces
    /// a whole entry, so the map is still consistent and can be used.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks the name and the simulated failure, then gives access to the state.
    fn open(&self, name: &str) -> Result<MutexGuard<'_, State>, VaultError> {
        check_name(name)?;
        let state = self.lock();
        match state.failure {
            None => Ok(state),
            Some(SimulatedFailure::Locked) => Err(VaultError::Locked { source: None }),
            Some(SimulatedFailure::Unavailable) => Err(VaultError::Unavailable { source: None }),
        }
    }
}

impl fmt::Debug for MemoryVault {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        formatter
            .debug_struct("MemoryVault")
            .field("companies", &state.tokens.len())
            .field("client_secrets", &state.client_secrets.len())
            .field("failure", &state.failure)
            .finish()
    }
}

impl TokenVault for MemoryVault {
    fn load(&self, company_id: &str) -> Result<Option<TokenSet>, VaultError> {
        let state = self.open(company_id)?;
        state
            .tokens
            .get(company_id)
            .map(|bytes| decode_tokens(company_id, bytes))
            .transpose()
    }

    fn store(&self, company_id: &str, tokens: &TokenSet) -> Result<(), VaultError> {
        let encoded = encode_tokens(tokens)?;
        self.open(company_id)?
            .tokens
            .insert(company_id.to_owned(), encoded);
        Ok(())
    }

    fn delete(&self, company_id: &str) -> Result<(), VaultError> {
        self.open(company_id)?.tokens.remove(company_id);
        Ok(())
    }

    fn store_client_secret(
        &self,
        profile: &str,
        client_secret: &Sensitive<String>,
    ) -> Result<(), VaultError> {
        let bytes = Zeroizing::new(client_secret.expose().as_bytes().to_vec());
        self.open(profile)?
            .client_secrets
            .insert(profile.to_owned(), bytes);
        Ok(())
    }

    fn load_client_secret(&self, profile: &str) -> Result<Option<Sensitive<String>>, VaultError> {
        let state = self.open(profile)?;
        state
            .client_secrets
            .get(profile)
            .map(|bytes| decode_client_secret(profile, bytes))
            .transpose()
    }

    fn delete_client_secret(&self, profile: &str) -> Result<(), VaultError> {
        self.open(profile)?.client_secrets.remove(profile);
        Ok(())
    }
}
