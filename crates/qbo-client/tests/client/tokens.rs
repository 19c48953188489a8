//! The token manager against the emulator's rotating refresh tokens
//! (PITFALLS items 1 and 2).

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Duration;
use qbo_client::{QboError, TokenSource};
use secrets::{
    MemoryVault, RefreshLimit, Sensitive, TokenSet, TokenVault, VaultError, WarningUrgency,
};

use crate::connect::{COMPANY_ID, Harness, read_company_info};

/// Past the hour of the access token.
fn an_hour_and_a_bit() -> Duration {
    Duration::minutes(61)
}

fn stored(vault: &MemoryVault) -> TokenSet {
    vault.load(COMPANY_ID).unwrap().unwrap()
}

#[tokio::test]
async fn a_fresh_token_is_used_without_refreshing() {
    let harness = Harness::start(true).await;
    let connection = harness.connect().await;
    let vault = harness.vault_with(&connection);
    let manager = harness.manager(&vault).await;
    // 54 minutes in, the token is still outside the five-minute margin.
    harness.advance(Duration::minutes(54));
    let token = manager.access_token().await.unwrap();
    assert_eq!(&token, connection.tokens.access_token.expose());
    assert_eq!(harness.counters().refreshes_served, 0);
    // Inside the margin it is refreshed ahead of expiry.
    harness.advance(Duration::minutes(2));
    let token = manager.access_token().await.unwrap();
    assert_ne!(&token, connection.tokens.access_token.expose());
    assert_eq!(harness.counters().refreshes_served, 1);
}

#[tokio::test]
async fn the_rotated_refresh_token_is_in_the_vault_before_the_access_token_is_used() {
    let harness = Harness::start(true).await;
    let connection = harness.connect().await;
    let vault = harness.vault_with(&connection);
    let manager = harness.manager(&vault).await;
    harness.advance(an_hour_and_a_bit());

    let token = manager.access_token().await.unwrap();
    assert_eq!(harness.counters().refreshes_served, 1);
    let after = stored(&vault);
    assert_eq!(after.access_token.expose(), &token);
    assert_ne!(
        after.refresh_token, connection.tokens.refresh_token,
        "the emulator rotates on every refresh"
    );
    assert_eq!(after, manager.tokens());
    assert_eq!(
        after.refresh_hard_cap_at, connection.tokens.refresh_hard_cap_at,
        "a refresh never moves the five-year cap"
    );
    // The superseded refresh token is dead: only the stored one works.
    let stale = harness.app.refresh(&connection.tokens).await;
    assert!(
        matches!(stale, Err(QboError::ReconnectNeeded { .. })),
        "{stale:?}"
    );

    // The app "crashes" before using the new access token; the next run
    // starts from the vault and can still refresh.
    drop(manager);
    harness.advance(an_hour_and_a_bit());
    let restarted = harness.manager(&vault).await;
    let client = harness.client(restarted);
    read_company_info(&client).await.unwrap();
    assert_eq!(harness.counters().refreshes_served, 2);
    assert_eq!(
        harness.counters().refreshes_rejected,
        1,
        "only the probe above"
    );
}

/// A vault whose `store` writes and then fails, like a process killed right
/// after the keyring write; or, with `store_fails`, one that cannot write
/// at all (a locked keyring) while reads still work.
#[derive(Debug)]
struct FlakyVault {
    inner: Arc<MemoryVault>,
    crash_after_store: AtomicBool,
    store_fails: AtomicBool,
}

impl FlakyVault {
    fn over(inner: &Arc<MemoryVault>) -> Arc<FlakyVault> {
        Arc::new(FlakyVault {
            inner: Arc::clone(inner),
            crash_after_store: AtomicBool::new(false),
            store_fails: AtomicBool::new(false),
        })
    }
}

impl TokenVault for FlakyVault {
    fn load(&self, company_id: &str) -> Result<Option<TokenSet>, VaultError> {
        self.inner.load(company_id)
    }

    fn store(&self, company_id: &str, tokens: &TokenSet) -> Result<(), VaultError> {
        if self.store_fails.load(Ordering::SeqCst) {
            return Err(VaultError::Locked { source: None });
        }
        self.inner.store(company_id, tokens)?;
        if self.crash_after_store.load(Ordering::SeqCst) {
            return Err(VaultError::Other {
                message: "the process died here".to_owned(),
            });
        }
        Ok(())
    }

    fn delete(&self, company_id: &str) -> Result<(), VaultError> {
        self.inner.delete(company_id)
    }

    fn store_client_secret(
        &self,
        profile: &str,
        client_secret: &Sensitive<String>,
    ) -> Result<(), VaultError> {
        self.inner.store_client_secret(profile, client_secret)
    }

    fn load_client_secret(&self, profile: &str) -> Result<Option<Sensitive<String>>, VaultError> {
        self.inner.load_client_secret(profile)
    }

    fn delete_client_secret(&self, profile: &str) -> Result<(), VaultError> {
        self.inner.delete_client_secret(profile)
    }
}

#[tokio::test]
async fn a_crash_right_after_the_vault_write_leaves_a_working_token() {
    let harness = Harness::start(true).await;
    let connection = harness.connect().await;
    let memory = harness.vault_with(&connection);
    let flaky = FlakyVault::over(&memory);
    flaky.crash_after_store.store(true, Ordering::SeqCst);
    let manager = harness.manager_over(flaky.clone()).await.unwrap();
    harness.advance(an_hour_and_a_bit());
    assert!(manager.access_token().await.is_err(), "the process died");
    assert_eq!(harness.counters().refreshes_served, 1);
    drop(manager);

    // The next run reads the vault: the rotated token is there and works.
    let rotated = stored(&memory);
    assert_ne!(rotated.refresh_token, connection.tokens.refresh_token);
    harness.advance(an_hour_and_a_bit());
    let restarted = harness.manager(&memory).await;
    let client = harness.client(restarted);
    read_company_info(&client).await.unwrap();
    assert_eq!(harness.counters().refreshes_served, 2);
    assert_eq!(harness.counters().refreshes_rejected, 0);
}

#[tokio::test]
async fn no_access_token_is_handed_out_until_the_new_refresh_token_is_stored() {
    let harness = Harness::start(true).await;
    let connection = harness.connect().await;
    let memory = harness.vault_with(&connection);
    let flaky = FlakyVault::over(&memory);
    let manager = harness.manager_over(flaky.clone()).await.unwrap();
    harness.advance(an_hour_and_a_bit());

    flaky.store_fails.store(true, Ordering::SeqCst);
    let refused = manager.access_token().await;
    assert!(
        matches!(&refused, Err(QboError::Transient { message, .. }) if message.contains("keyring")),
        "{refused:?}"
    );
    assert_eq!(harness.counters().refreshes_served, 1);
    assert_eq!(
        stored(&memory),
        connection.tokens,
        "the vault still has the old set"
    );

    // The keyring is unlocked: the pending set is written, not refreshed again.
    flaky.store_fails.store(false, Ordering::SeqCst);
    let token = manager.access_token().await.unwrap();
    assert_eq!(harness.counters().refreshes_served, 1);
    assert_eq!(stored(&memory).access_token.expose(), &token);
    assert_ne!(
        stored(&memory).refresh_token,
        connection.tokens.refresh_token
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_callers_at_expiry_cause_exactly_one_refresh() {
    let harness = Harness::start(true).await;
    let connection = harness.connect().await;
    let vault = harness.vault_with(&connection);
    let manager = Arc::new(harness.manager(&vault).await);
    harness.advance(an_hour_and_a_bit());

    let callers: Vec<_> = (0..20)
        .map(|_| {
            let manager = Arc::clone(&manager);
            tokio::spawn(async move { manager.access_token().await })
        })
        .collect();
    let mut tokens = Vec::new();
    for caller in callers {
        tokens.push(caller.await.unwrap().unwrap());
    }
    assert_eq!(harness.counters().refreshes_served, 1);
    assert_eq!(harness.counters().refreshes_rejected, 0);
    assert!(tokens.iter().all(|token| token == &tokens[0]));
    assert_ne!(&tokens[0], connection.tokens.access_token.expose());
    let client = harness.client(Arc::clone(&manager));
    read_company_info(&client).await.unwrap();
}

#[tokio::test]
async fn a_second_app_instance_rereads_the_vault_instead_of_refreshing() {
    let harness = Harness::start(true).await;
    let connection = harness.connect().await;
    let vault = harness.vault_with(&connection);
    let first = harness.manager(&vault).await;
    let second = harness.manager(&vault).await;
    harness.advance(an_hour_and_a_bit());

    let from_first = first.access_token().await.unwrap();
    assert_eq!(harness.counters().refreshes_served, 1);
    // The second instance still holds the superseded refresh token in
    // memory; using it would be invalid_grant.
    let from_second = second.access_token().await.unwrap();
    assert_eq!(from_second, from_first);
    assert_eq!(second.tokens(), stored(&vault));
    assert_eq!(harness.counters().refreshes_served, 1);
    assert_eq!(harness.counters().refreshes_rejected, 0);

    // Later the second one refreshes for both, and the first catches up.
    harness.advance(an_hour_and_a_bit());
    let next = second.access_token().await.unwrap();
    assert_eq!(first.access_token().await.unwrap(), next);
    assert_eq!(harness.counters().refreshes_served, 2);
    assert_eq!(harness.counters().refreshes_rejected, 0);
}

#[tokio::test]
async fn a_refresh_token_unused_for_101_days_needs_a_reconnect() {
    let harness = Harness::start(true).await;
    let connection = harness.connect().await;
    let vault = harness.vault_with(&connection);
    let manager = harness.manager(&vault).await;

    harness.advance(Duration::days(90));
    let warning = manager.refresh_warning().unwrap();
    assert_eq!(warning.limit, RefreshLimit::Rolling);
    assert_eq!(warning.urgency, WarningUrgency::Upcoming);

    harness.advance(Duration::days(11));
    let outcome = manager.access_token().await;
    assert!(
        matches!(outcome, Err(QboError::ReconnectNeeded { .. })),
        "{outcome:?}"
    );
    assert_eq!(harness.counters().refreshes_rejected, 1);
    assert_eq!(
        stored(&vault),
        connection.tokens,
        "a refused refresh changes nothing"
    );
}

#[tokio::test]
async fn a_401_refreshes_once_and_retries_once() {
    let harness = Harness::start(true).await;
    let connection = harness.connect().await;
    let vault = harness.vault_with(&connection);
    let client = harness.client(Arc::new(harness.manager(&vault).await));
    read_company_info(&client).await.unwrap();
    let before = harness.api_requests().await;

    // QBO stops accepting the token while it still looks fresh.
    harness
        .server
        .emulator()
        .oauth()
        .expire_access_tokens(Some(&harness.realm));
    read_company_info(&client).await.unwrap();
    assert_eq!(harness.counters().refreshes_served, 1);
    assert_eq!(
        harness.api_requests().await - before,
        2,
        "one refused request and one retry"
    );
    assert_eq!(
        stored(&vault).access_token.expose(),
        &client.token_source().access_token().await.unwrap()
    );
}

#[tokio::test]
async fn a_401_for_a_token_already_replaced_does_not_refresh_again() {
    let harness = Harness::start(true).await;
    let connection = harness.connect().await;
    let vault = harness.vault_with(&connection);
    let manager = harness.manager(&vault).await;
    harness.advance(an_hour_and_a_bit());
    let current = manager.access_token().await.unwrap();
    assert_eq!(harness.counters().refreshes_served, 1);

    // A request that went out with the old token comes back 401.
    manager
        .refresh_after_unauthorized(connection.tokens.access_token.expose())
        .await
        .unwrap();
    assert_eq!(harness.counters().refreshes_served, 1);
    assert_eq!(manager.access_token().await.unwrap(), current);

    // The current token itself refused: refresh.
    manager.refresh_after_unauthorized(&current).await.unwrap();
    assert_eq!(harness.counters().refreshes_served, 2);
    assert_ne!(manager.access_token().await.unwrap(), current);
}

#[tokio::test]
async fn a_company_without_stored_tokens_needs_a_reconnect() {
    let harness = Harness::start(true).await;
    let empty: Arc<dyn TokenVault> = Arc::new(MemoryVault::new());
    let outcome = harness.manager_over(empty).await;
    assert!(
        matches!(outcome, Err(QboError::ReconnectNeeded { .. })),
        "{outcome:?}"
    );
}
