//! No public type prints a secret it holds, whatever the format.

use secrets::{
    KeyringVault, MemoryVault, PlatformError, Sensitive, SimulatedFailure, StoredItem, TokenVault,
    VaultError,
};

use crate::{at, tokens_with};

const SECRET: &str = "hunter2-S3CRET-token-value";

/// Every way a value might be formatted into a log line or a message.
fn renderings<T: std::fmt::Debug>(value: &T) -> [String; 2] {
    [format!("{value:?}"), format!("{value:#?}")]
}

fn assert_no_secret(what: &str, rendered: &str) {
    assert!(
        !rendered.contains(SECRET),
        "{what} printed the secret: {rendered}"
    );
    assert!(
        !rendered.contains("hunter2"),
        "{what} printed part of the secret: {rendered}"
    );
}

#[test]
fn sensitive_prints_only_a_redaction_marker() {
    let secret = Sensitive::new(SECRET.to_owned());
    assert_eq!(format!("{secret:?}"), "Sensitive(<redacted>)");
    assert_eq!(format!("{secret}"), "Sensitive(<redacted>)");
    assert_eq!(format!("{secret:>40}"), "Sensitive(<redacted>)");
    assert_eq!(secret.expose(), SECRET, "expose gives the real value back");

    let bytes = Sensitive::new(SECRET.as_bytes().to_vec());
    assert_eq!(format!("{bytes:?}"), "Sensitive(<redacted>)");
}

#[test]
fn a_struct_holding_a_secret_does_not_print_it() {
    #[derive(Debug)]
    #[allow(dead_code, reason = "the fields exist to be formatted")]
    struct Request {
        url: &'static str,
        bearer: Sensitive<String>,
    }
    let request = Request {
        url: "https://quickbooks.api.intuit.com/v3/company/1/query",
        bearer: Sensitive::new(SECRET.to_owned()),
    };
    for rendered in renderings(&request) {
        assert_no_secret("a struct with a Sensitive field", &rendered);
        assert!(rendered.contains("quickbooks.api.intuit.com"));
        assert!(rendered.contains("Sensitive(<redacted>)"));
    }
}

#[test]
fn clones_compare_equal_and_stay_redacted() {
    let secret = Sensitive::new(SECRET.to_owned());
    let copy = secret.clone();
    assert_eq!(secret, copy);
    assert_ne!(secret, Sensitive::new(format!("{SECRET}x")));
    assert_no_secret("a clone", &format!("{copy:?} {copy}"));
}

#[test]
fn every_public_type_keeps_a_known_secret_out_of_its_output() {
    let now = at("2026-03-01T12:00:00Z");
    let tokens = tokens_with(SECRET, now);
    for rendered in renderings(&tokens) {
        assert_no_secret("TokenSet", &rendered);
        assert!(
            rendered.contains("9130350000000000"),
            "the realm id is shown"
        );
    }

    let memory = MemoryVault::new();
    memory.store("company-1", &tokens).expect("memory store");
    memory
        .store_client_secret("production", &Sensitive::new(SECRET.to_owned()))
        .expect("memory store");
    for rendered in renderings(&memory) {
        assert_no_secret("MemoryVault", &rendered);
    }
    let loaded = memory.load("company-1").expect("load").expect("stored");
    assert_no_secret("a loaded TokenSet", &format!("{loaded:?}"));
    let client_secret = memory
        .load_client_secret("production")
        .expect("load")
        .expect("stored");
    assert_no_secret(
        "a loaded client secret",
        &format!("{client_secret:?} {client_secret}"),
    );

    let keyring = KeyringVault::new("test.ledgerlink.redaction").expect("a keyring backend");
    assert_no_secret("KeyringVault", &format!("{keyring:?}"));

    let warning = tokens
        .refresh_warning(at("2026-06-05T12:00:00Z"))
        .expect("the rolling expiry is near");
    assert_no_secret(
        "RefreshWarning",
        &format!("{warning:?} {}", warning.message()),
    );

    // Errors: build every variant, including ones whose detail came from damaged storage.
    let item = StoredItem::Tokens {
        company_id: "company-1".to_owned(),
    };
    let platform: PlatformError = "Secret Service: object locked".into();
    let errors = [
        VaultError::Locked {
            source: Some(platform),
        },
        VaultError::Unavailable { source: None },
        VaultError::Corrupt {
            item: item.clone(),
            detail: "not UTF-8".to_owned(),
        },
        VaultError::InvalidName {
            name: "bad name".to_owned(),
            reason: "spaces",
        },
        VaultError::Other {
            message: "failed".to_owned(),
        },
    ];
    for error in &errors {
        assert_no_secret("VaultError", &format!("{error} {error:?}"));
    }

    // A damaged entry whose bytes hold the secret: the error must describe, not quote, them.
    memory.store_raw_tokens(
        "company-2",
        format!(r#"{{"format":1,"access_token":{SECRET}}}"#).into_bytes(),
    );
    let error = memory.load("company-2").expect_err("damaged entry");
    assert_no_secret("a Corrupt error", &format!("{error} {error:?}"));
    memory.store_raw_tokens(
        "company-3",
        format!(r#"{{"format":1,"realm_id":1,"access_token":"{SECRET}"}}"#).into_bytes(),
    );
    let error = memory.load("company-3").expect_err("damaged entry");
    assert_no_secret("a Corrupt error", &format!("{error} {error:?}"));

    memory.simulate_failure(Some(SimulatedFailure::Locked));
    let error = memory.load("company-1").expect_err("locked");
    assert_no_secret("a Locked error", &format!("{error} {error:?}"));
}
