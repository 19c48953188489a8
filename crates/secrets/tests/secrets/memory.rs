//! `MemoryVault`: the same contract as the keyring vault, in process memory.

use std::sync::Arc;

use secrets::{MemoryVault, Sensitive, SimulatedFailure, StoredItem, TokenVault, VaultError};

use crate::{at, tokens_with};

#[test]
fn tokens_round_trip_per_company() {
    let vault = MemoryVault::new();
    let first = tokens_with("first", at("2026-02-01T10:00:00Z"));
    let second = tokens_with("second", at("2026-02-02T10:00:00Z"));
    assert!(vault.load("company-1").expect("load").is_none());

    vault.store("company-1", &first).expect("store");
    vault.store("company-2", &second).expect("store");
    assert_eq!(vault.load("company-1").expect("load"), Some(first.clone()));
    assert_eq!(vault.load("company-2").expect("load"), Some(second.clone()));
    assert_eq!(vault.company_ids(), ["company-1", "company-2"]);

    // Storing again replaces (a refresh persists the new refresh token).
    vault.store("company-1", &second).expect("replace");
    assert_eq!(vault.load("company-1").expect("load"), Some(second));

    vault.delete("company-1").expect("delete");
    assert!(vault.load("company-1").expect("load").is_none());
    vault.delete("company-1").expect("deleting twice is fine");
    assert_eq!(vault.company_ids(), ["company-2"]);
}

#[test]
fn client_secrets_are_kept_per_profile_apart_from_tokens() {
    let vault = MemoryVault::new();
    vault
        .store_client_secret("production", &Sensitive::new("prod-secret".to_owned()))
        .expect("store");
    vault
        .store_client_secret("sandbox", &Sensitive::new("sandbox-secret".to_owned()))
        .expect("store");
    let production = vault.load_client_secret("production").expect("load");
    assert_eq!(
        production.as_ref().map(|s| s.expose().as_str()),
        Some("prod-secret")
    );
    assert!(
        vault.load("production").expect("load").is_none(),
        "not a company"
    );

    vault.delete_client_secret("production").expect("delete");
    assert!(
        vault
            .load_client_secret("production")
            .expect("load")
            .is_none()
    );
    assert!(vault.load_client_secret("sandbox").expect("load").is_some());
}

#[test]
fn unusable_names_are_refused_with_the_reason() {
    let vault = MemoryVault::new();
    let tokens = tokens_with("t", at("2026-02-01T10:00:00Z"));
    for (name, reason) in [
        ("", "empty"),
        ("has space", "only letters"),
        ("slash/es", "only letters"),
        (&"x".repeat(129), "longer than 128"),
    ] {
        match vault.store(name, &tokens) {
            Err(error @ VaultError::InvalidName { .. }) => {
                assert!(error.to_string().contains(reason), "{error}");
            }
            other => panic!("{name:?} was accepted: {other:?}"),
        }
    }
    vault
        .store("realm:9130350000000000", &tokens)
        .expect("a realm-style id is fine");
}

#[test]
fn damaged_entries_are_reported_as_corrupt_with_what_to_do() {
    let vault = MemoryVault::new();
    vault.store_raw_tokens("company-1", b"not json".to_vec());
    match vault.load("company-1") {
        Err(error @ VaultError::Corrupt { .. }) => {
            let message = error.to_string();
            assert!(message.contains("company-1"), "{message}");
            assert!(message.contains("malformed JSON"), "{message}");
            assert!(message.contains("connect it again"), "{message}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }

    vault.store_raw_tokens("company-2", br#"{"format":7}"#.to_vec());
    match vault.load("company-2") {
        Err(VaultError::Corrupt { item, detail }) => {
            assert_eq!(
                item,
                StoredItem::Tokens {
                    company_id: "company-2".to_owned()
                }
            );
            assert!(detail.contains("format 7"), "{detail}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn simulated_keyring_failures_come_back_as_their_errors() {
    let vault = MemoryVault::new();
    let tokens = tokens_with("t", at("2026-02-01T10:00:00Z"));
    vault.store("company-1", &tokens).expect("store");

    vault.simulate_failure(Some(SimulatedFailure::Locked));
    let locked = vault.load("company-1").expect_err("locked");
    assert!(matches!(locked, VaultError::Locked { .. }));
    assert!(locked.to_string().contains("Unlock your keyring"));
    assert!(matches!(
        vault.store("company-1", &tokens),
        Err(VaultError::Locked { .. })
    ));

    vault.simulate_failure(Some(SimulatedFailure::Unavailable));
    let unavailable = vault.load_client_secret("production").expect_err("missing");
    assert!(matches!(unavailable, VaultError::Unavailable { .. }));
    assert!(unavailable.to_string().contains("gnome-keyring"));

    vault.simulate_failure(None);
    assert_eq!(vault.load("company-1").expect("load"), Some(tokens));
}

#[test]
fn the_vault_is_shared_safely_between_threads() {
    let vault: Arc<dyn TokenVault> = Arc::new(MemoryVault::new());
    let workers: Vec<_> = (0..8)
        .map(|worker| {
            let vault = Arc::clone(&vault);
            std::thread::spawn(move || {
                let company = format!("company-{worker}");
                for round in 0..50 {
                    let tokens =
                        tokens_with(&format!("w{worker}r{round}"), at("2026-02-01T10:00:00Z"));
                    vault.store(&company, &tokens).expect("store");
                    let loaded = vault.load(&company).expect("load").expect("present");
                    assert_eq!(loaded, tokens, "each thread sees its own latest write");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("no worker panicked");
    }
    for worker in 0..8 {
        let loaded = vault
            .load(&format!("company-{worker}"))
            .expect("load")
            .expect("present");
        assert_eq!(
            loaded.access_token.expose(),
            &format!("w{worker}r49-access")
        );
    }
}
