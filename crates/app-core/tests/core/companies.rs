//! Adding, validating, settings and removing companies.

use app_core::{CompanySettings, IntuitKeysInput, OwnKeysInput};

use crate::support::open;

#[tokio::test]
async fn bad_keys_are_refused_with_what_to_do_and_nothing_is_saved() {
    let opened = open().await;
    let core = &opened.core;
    let keys = |environment: &str, secret: &str| OwnKeysInput {
        client_id: "ABC".to_owned(),
        client_secret: secret.to_owned(),
        environment: environment.to_owned(),
    };
    let company = |page: Option<&str>| IntuitKeysInput {
        name: "Client A".to_owned(),
        redirect_page: page.map(str::to_owned),
    };
    // Without the app's keys, a company cannot be added with them.
    let error = core.add_intuit_company(company(None)).await.unwrap_err();
    assert_eq!(error.kind(), "invalid");
    assert!(error.to_string().contains("keys"));
    let error = core.set_own_keys(keys("staging", "s")).await.unwrap_err();
    assert_eq!(error.kind(), "invalid");
    assert!(error.to_string().contains("sandbox"));
    let error = core.set_own_keys(keys("sandbox", " ")).await.unwrap_err();
    assert!(error.to_string().contains("client secret"));
    assert_eq!(core.app_settings().await.unwrap().own_keys, None);

    // The keys are set once for the app; the settings show the redirect URI
    // to register, with its fixed port.
    let settings = core.set_own_keys(keys("production", "shh")).await.unwrap();
    assert_eq!(settings.own_keys.unwrap().client_id, "ABC");
    assert_eq!(
        settings.own_keys_redirect_uri,
        format!("http://localhost:{}/callback", app_core::OWN_KEYS_PORT)
    );
    let error = core
        .add_intuit_company(company(Some("http://example.test/cb")))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("https"));
    assert!(core.list_companies().await.unwrap().is_empty());

    let added = core.add_intuit_company(company(None)).await.unwrap();
    assert_eq!(added.connection, app_core::ConnectionState::NotConnected);
    assert_eq!(added.environment, "production");
    // The secret is in the vault, never in the database.
    use secrets::TokenVault;
    assert_eq!(
        opened
            .vault
            .load_client_secret(&added.id)
            .unwrap()
            .unwrap()
            .expose(),
        "shh"
    );
    let database = std::fs::read(opened.dir.path().join("data/app.sqlite")).unwrap();
    assert!(!database.windows(3).any(|window| window == b"shh"));
    // Syncing a company that was never connected says to connect first.
    let error = core.sync_now(&added.id, |_| {}).await.unwrap_err();
    assert_eq!(error.kind(), "not_connected");

    let settings = core.company_settings(&added.id).await.unwrap();
    assert_eq!(
        settings.sync_interval_minutes,
        app_core::DEFAULT_SYNC_INTERVAL_MINUTES
    );
    let too_often = CompanySettings {
        sync_interval_minutes: 1,
        ..settings.clone()
    };
    assert!(
        core.save_company_settings(&added.id, too_often)
            .await
            .is_err()
    );
    let changed = CompanySettings {
        sync_interval_minutes: 30,
        auto_create_parties: false,
        ..settings
    };
    core.save_company_settings(&added.id, changed.clone())
        .await
        .unwrap();
    assert_eq!(core.company_settings(&added.id).await.unwrap(), changed);

    core.remove_company(&added.id).await.unwrap();
    assert!(core.list_companies().await.unwrap().is_empty());
    assert!(
        opened
            .vault
            .load_client_secret(&added.id)
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn an_unknown_company_is_a_clear_error() {
    let opened = open().await;
    let error = opened.core.list_conflicts("nope").await.unwrap_err();
    assert_eq!(error.kind(), "unknown_company");
    assert_eq!(error.exit_code(), 2);
}

#[tokio::test]
async fn sync_all_syncs_every_connected_company_and_skips_the_others() {
    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    let waiting = core
        .add_company(app_core::NewCompany {
            name: "Not connected yet".to_owned(),
            environment: "sandbox".to_owned(),
            discovery_url: None,
            api_base_url: None,
            client_id: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghij".to_owned(),
            client_secret: secrets::Sensitive::new(
                "0123456789abcdefghijklmnopqrstuvwxyz0123".to_owned(),
            ),
            redirect_page: None,
        })
        .await
        .unwrap();

    let report = core.sync_all().await.unwrap();

    assert_eq!(report.synced, 1, "the demo company synced");
    assert_eq!(
        report.skipped, 1,
        "the company that is not connected was left out"
    );
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let companies = core.list_companies().await.unwrap();
    let synced = companies
        .iter()
        .find(|company| company.id == demo.id)
        .unwrap();
    assert!(synced.last_sync_at.is_some());
    assert!(!synced.queued && !synced.syncing);
    let other = companies
        .iter()
        .find(|company| company.id == waiting.id)
        .unwrap();
    assert!(other.last_sync_at.is_none());
    assert!(!other.queued);
}
