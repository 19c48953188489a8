//! The real OS keyring through `KeyringVault`.
//!
//! The round trips need a keyring that is running and unlocked; on Linux that is a D-Bus
//! session with an unlocked Secret Service, so they are ignored by default and
//! `cargo xtask test` runs them with `--include-ignored` inside such a session. Each test uses
//! its own app id, so they never see a real Ledgerlink entry or each other's.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use secrets::{KeyringVault, Sensitive, StoredItem, TokenVault, VaultError};

use crate::{at, tokens_with};

/// A suffix no other test or run uses.
fn unique_suffix() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{}.{nanos}.{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A vault namespaced by an app id no other test or run uses.
fn unique_vault() -> KeyringVault {
    KeyringVault::new(&format!("test.ledgerlink.secrets.{}", unique_suffix()))
        .expect("this platform has a persistent keyring")
}

/// Runs a test of the real keyring on a thread of its own and fails it after a minute. A keyring
/// that wants a password (a daemon started without one opens a prompt, which nobody answers
/// under a virtual display) would otherwise hold the whole test run until it is killed.
fn within_a_minute(body: impl FnOnce() + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        body();
        let _ = done.send(());
    });
    match finished.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(()) => worker.join().expect("the test's thread ended"),
        // The body panicked before it could say it was done: that is the test's failure.
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Ok(()) => panic!("the test's thread ended without finishing"),
            Err(panic) => std::panic::resume_unwind(panic),
        },
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
            "the keyring did not answer within a minute: on Linux it needs a D-Bus session with gnome-keyring running and unlocked (a password prompt may be waiting)"
        ),
    }
}

#[test]
#[ignore = "needs a D-Bus session with an unlocked Secret Service; cargo xtask test runs it with --include-ignored"]
fn tokens_round_trip_through_the_os_keyring() {
    within_a_minute(|| {
        let vault = unique_vault();
        let first = tokens_with("keyring-first", at("2026-02-01T10:00:00Z"));
        assert!(vault.load("company-1").expect("load").is_none());

        vault.store("company-1", &first).expect("store");
        assert_eq!(vault.load("company-1").expect("load"), Some(first.clone()));

        let refreshed = first
            .refreshed(
                Sensitive::new("keyring-second-access".to_owned()),
                Sensitive::new("keyring-second-refresh".to_owned()),
                at("2026-02-01T11:00:00Z"),
                &secrets::TokenLifetimes::INTUIT_DEFAULT,
            )
            .expect("in range");
        vault.store("company-1", &refreshed).expect("replace");
        let loaded = vault.load("company-1").expect("load").expect("present");
        assert_eq!(loaded, refreshed);
        assert_eq!(loaded.refresh_token.expose(), "keyring-second-refresh");
        assert_eq!(loaded.refresh_hard_cap_at, first.refresh_hard_cap_at);

        vault.delete("company-1").expect("delete");
        assert!(vault.load("company-1").expect("load").is_none());
        vault.delete("company-1").expect("deleting twice is fine");
    });
}

/// Intuit's access tokens are JWE strings of about a thousand characters; a stored token set
/// must fit the smallest keyring limit (2,560 bytes in the Windows Credential Manager) with room
/// to spare.
#[test]
#[ignore = "needs a D-Bus session with an unlocked Secret Service; cargo xtask test runs it with --include-ignored"]
fn a_token_set_with_a_long_access_token_fits() {
    within_a_minute(|| {
        let vault = unique_vault();
        let issued = at("2026-02-01T10:00:00Z");
        let long = secrets::TokenSet::from_grant(
            "9130350000000000",
            Sensitive::new(format!(
                "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..{}",
                "x".repeat(1_800)
            )),
            Sensitive::new(format!("AB11{}", "r".repeat(46))),
            issued,
            &secrets::TokenLifetimes::from_seconds(3_600, 8_726_400, Some(157_680_000))
                .expect("valid lifetimes"),
        )
        .expect("in range");
        vault.store("company-1", &long).expect("store");
        assert_eq!(vault.load("company-1").expect("load"), Some(long));
        vault.delete("company-1").expect("delete");
    });
}

#[test]
#[ignore = "needs a D-Bus session with an unlocked Secret Service; cargo xtask test runs it with --include-ignored"]
fn companies_profiles_and_apps_are_kept_apart() {
    within_a_minute(|| {
        let vault = unique_vault();
        let other_app = unique_vault();
        let tokens_one = tokens_with("one", at("2026-02-01T10:00:00Z"));
        let tokens_two = tokens_with("two", at("2026-02-01T10:00:00Z"));
        vault.store("company-1", &tokens_one).expect("store");
        vault.store("company-2", &tokens_two).expect("store");
        vault
            .store_client_secret("company-1", &Sensitive::new("client-secret".to_owned()))
            .expect("store a client secret under the same name as a company");

        assert_eq!(
            vault.load("company-1").expect("load"),
            Some(tokens_one.clone())
        );
        assert_eq!(vault.load("company-2").expect("load"), Some(tokens_two));
        assert!(other_app.load("company-1").expect("load").is_none());
        let secret = vault
            .load_client_secret("company-1")
            .expect("load")
            .expect("present");
        assert_eq!(secret.expose(), "client-secret");

        vault.delete_client_secret("company-1").expect("delete");
        assert!(
            vault
                .load_client_secret("company-1")
                .expect("load")
                .is_none()
        );
        assert_eq!(
            vault.load("company-1").expect("load"),
            Some(tokens_one),
            "deleting the client secret leaves the tokens"
        );
        vault.delete("company-1").expect("delete");
        vault.delete("company-2").expect("delete");
    });
}

#[test]
#[ignore = "needs a D-Bus session with an unlocked Secret Service; cargo xtask test runs it with --include-ignored"]
fn a_damaged_keyring_entry_is_reported_without_quoting_it() {
    within_a_minute(|| {
        let vault = unique_vault();
        // Written directly, as another tool or a hand edit could.
        let damaged = r#"{"format":1,"realm_id":"1","access_token":"LEAKED-IF-QUOTED"#;
        keyring::Entry::new(vault.tokens_service(), "company-1")
            .and_then(|entry| entry.set_password(damaged))
            .expect("write a damaged entry");

        match vault.load("company-1") {
            Err(error @ VaultError::Corrupt { .. }) => {
                let text = format!("{error} {error:?}");
                assert!(!text.contains("LEAKED"), "{text}");
                assert!(text.contains("truncated"), "{text}");
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
        vault
            .delete("company-1")
            .expect("a damaged entry can be deleted");
        assert!(vault.load("company-1").expect("load").is_none());

        keyring::Entry::new(vault.client_secrets_service(), "production")
            .and_then(|entry| entry.set_secret(&[0xff, 0xfe, 0x00]))
            .expect("write a non-UTF-8 secret");
        match vault.load_client_secret("production") {
            Err(VaultError::Corrupt { item, .. }) => assert_eq!(
                item,
                StoredItem::ClientSecret {
                    profile: "production".to_owned()
                }
            ),
            other => panic!("expected Corrupt, got {other:?}"),
        }
        vault.delete_client_secret("production").expect("delete");
    });
}

/// The synchronous Secret Service backend must work from inside a tokio runtime (a Tauri async
/// command), where the asynchronous backend panics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a D-Bus session with an unlocked Secret Service; cargo xtask test runs it with --include-ignored"]
async fn the_vault_works_inside_a_tokio_runtime() {
    let vault = unique_vault();
    let tokens = tokens_with("tokio", at("2026-02-01T10:00:00Z"));
    vault
        .store("company-1", &tokens)
        .expect("a direct call inside the runtime");

    let background = vault.clone();
    let loaded = tokio::task::spawn_blocking(move || background.load("company-1"))
        .await
        .expect("the blocking task finished")
        .expect("load");
    assert_eq!(loaded, Some(tokens));
    vault.delete("company-1").expect("delete");
}

/// Set in the environment of the child process that runs without a D-Bus session.
#[cfg(target_os = "linux")]
const NO_DBUS_CHILD: &str = "LEDGERLINK_SECRETS_NO_DBUS_CHILD";

/// With no D-Bus session the vault must say so clearly: not panic, not hang, and not fall back
/// to some other storage. The environment of this process cannot be changed safely (tests run
/// in parallel), so this test runs its companion below in a child process whose session bus
/// address points at a socket that does not exist.
#[cfg(target_os = "linux")]
#[test]
fn no_dbus_session_is_reported_as_unavailable() {
    let missing_bus =
        std::env::temp_dir().join(format!("ledgerlink-no-such-bus-{}/bus", std::process::id()));
    let output = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "keyring::no_dbus_session_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(NO_DBUS_CHILD, "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", missing_bus.display()),
        )
        // Without these, libdbus could autolaunch a bus through X11 or find a user bus.
        .env_remove("DISPLAY")
        .env_remove("XDG_RUNTIME_DIR")
        .output()
        .expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the child failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("test result: ok. 1 passed"),
        "the child test did not run:\n{stdout}"
    );
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "run by no_dbus_session_is_reported_as_unavailable in a child process without D-Bus"]
fn no_dbus_session_child() {
    if std::env::var_os(NO_DBUS_CHILD).is_none() {
        // Run directly (with --include-ignored) there may be a session: nothing to check here.
        return;
    }
    let vault = unique_vault();
    let tokens = tokens_with("no-dbus", at("2026-02-01T10:00:00Z"));
    let errors = [
        vault.load("company-1").expect_err("load without D-Bus"),
        vault
            .store("company-1", &tokens)
            .expect_err("store without D-Bus"),
        vault.delete("company-1").expect_err("delete without D-Bus"),
        vault
            .load_client_secret("production")
            .expect_err("load a client secret without D-Bus"),
    ];
    for error in errors {
        println!("without D-Bus: {error} ({error:?})");
        assert!(
            matches!(error, VaultError::Unavailable { .. }),
            "expected Unavailable, got {error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains("No keyring service was found"),
            "{message}"
        );
        assert!(message.contains("gnome-keyring or KWallet"), "{message}");
        assert!(message.contains("never in plain files"), "{message}");
    }
}

/// Set in the environment of the child process that finds the keyring locked; says which app id
/// to use.
#[cfg(target_os = "linux")]
const LOCKED_CHILD: &str = "LEDGERLINK_SECRETS_LOCKED_CHILD";

/// A locked keyring must answer `Locked` (with what to do), not hang and not give `None`. This
/// runs its companion below in a private D-Bus session of its own, whose gnome-keyring is
/// unlocked, given an entry, then locked again before the vault reads it.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs dbus-run-session, gnome-keyring and secret-tool; cargo xtask test runs it with --include-ignored"]
fn a_locked_keyring_is_reported_as_locked() {
    use std::os::unix::fs::PermissionsExt;
    let home = std::env::temp_dir().join(format!("ledgerlink-locked-keyring-{}", unique_suffix()));
    let runtime_dir = home.join("run");
    std::fs::create_dir_all(home.join("data")).expect("a data folder");
    std::fs::create_dir_all(&runtime_dir).expect("a runtime folder");
    // gnome-keyring refuses a runtime folder others can read.
    std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o700))
        .expect("make the runtime folder private");
    // The lock goes through the Secret Service's own Lock method (`secret-tool lock` hangs).
    let script = r#"
        echo -n test-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || exit 90
        LEDGERLINK_SECRETS_LOCKED_PHASE=store "$0" "$@" || exit 91
        dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
            org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/aliases/default \
            >/dev/null || exit 92
        LEDGERLINK_SECRETS_LOCKED_PHASE=load exec timeout 60 "$0" "$@"
    "#;
    // Output goes to a file, not a pipe: a daemon the session started may outlive it and keep
    // a pipe open.
    let log_path = home.join("child.log");
    let log = std::fs::File::create(&log_path).expect("a log file");
    let status = std::process::Command::new("dbus-run-session")
        .args(["--", "sh", "-c", script])
        .arg(std::env::current_exe().expect("the test binary"))
        .args([
            "keyring::locked_keyring_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            LOCKED_CHILD,
            format!("test.ledgerlink.locked.{}", unique_suffix()),
        )
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", &runtime_dir)
        // Without a display the unlock prompt cannot open, so the keyring answers at once
        // instead of waiting for someone to type a password.
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().expect("share the log file"))
        .stderr(log)
        .status()
        .expect("run dbus-run-session");
    let stdout = std::fs::read_to_string(&log_path).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&home);
    assert!(status.success(), "the child failed ({status:?}):\n{stdout}");
    assert_eq!(
        stdout.matches("test result: ok. 1 passed").count(),
        2,
        "both phases ran:\n{stdout}"
    );
    assert!(
        stdout.contains("locked: The system keyring is locked"),
        "{stdout}"
    );
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "run by a_locked_keyring_is_reported_as_locked in its own D-Bus session"]
fn locked_keyring_child() {
    let Some(app_id) = std::env::var_os(LOCKED_CHILD) else {
        return;
    };
    let vault = KeyringVault::new(&app_id.to_string_lossy()).expect("a keyring backend");
    let tokens = tokens_with("locked", at("2026-02-01T10:00:00Z"));
    match std::env::var("LEDGERLINK_SECRETS_LOCKED_PHASE").as_deref() {
        Ok("store") => vault
            .store("company-1", &tokens)
            .expect("store while unlocked"),
        Ok("load") => {
            let error = vault.load("company-1").expect_err("the keyring is locked");
            println!("locked: {error}");
            assert!(matches!(error, VaultError::Locked { .. }), "{error:?}");
            assert!(error.to_string().contains("Unlock your keyring"));
        }
        other => panic!("unknown phase {other:?}"),
    }
}
