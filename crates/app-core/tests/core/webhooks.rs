//! A verified webhook pulls the companies it names; a forged one changes nothing.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::support::open;

fn sign(verifier: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(verifier.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn a_verified_notice_pulls_the_named_company_and_a_forged_one_is_refused() {
    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let realm = demo.realm_id.clone().unwrap();
    let body = json!({"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": [
        {"name": "Invoice", "id": "1", "operation": "Update", "lastUpdated": "2026-11-22T10:00:00.000Z"}
    ]}}]})
    .to_string();
    let verifier = "verifier-token";

    let forged = core
        .handle_webhook(
            verifier,
            body.as_bytes(),
            &sign("another token", body.as_bytes()),
        )
        .await;
    assert_eq!(forged.unwrap_err().kind(), "invalid");
    let malformed = core
        .handle_webhook(verifier, b"{not json", &sign(verifier, b"{not json"))
        .await;
    assert_eq!(malformed.unwrap_err().kind(), "invalid");

    let pulled = core
        .handle_webhook(verifier, body.as_bytes(), &sign(verifier, body.as_bytes()))
        .await
        .unwrap();
    assert_eq!(pulled, 1);
    let after = core.company(&demo.id).await.unwrap();
    assert!(after.last_sync_at >= demo.last_sync_at);
    // A notice for a company this app does not keep pulls nothing.
    let other = body.replace(&realm, "999999");
    assert_eq!(
        core.handle_webhook(
            verifier,
            other.as_bytes(),
            &sign(verifier, other.as_bytes())
        )
        .await
        .unwrap(),
        0
    );
}
