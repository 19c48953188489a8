//! The client secret never leaves the relay except towards Intuit: not in
//! any answer, not in any log line, at any level, of any target.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::json;

use crate::connect::{browser_leg, token_request};
use crate::support::{captured_log, pkce, setup};

/// Every header and the body of a response, as text.
async fn transcript(response: reqwest::Response) -> String {
    let mut text = format!("{}\n", response.status());
    for (name, value) in response.headers() {
        text.push_str(&format!(
            "{name}: {}\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    text.push_str(&response.text().await.unwrap_or_default());
    text
}

#[tokio::test]
async fn the_client_secret_is_in_no_answer_and_no_log_line() {
    let setup = setup().await;
    let realm_id = setup.emulator.emulator().create_company("Acme");
    let secret = setup.client_secret.clone();
    let basic = format!("{}:{secret}", setup.client_id);
    let forms_of_the_secret = [
        secret.clone(),
        STANDARD.encode(basic.as_bytes()),
        URL_SAFE.encode(basic.as_bytes()),
        URL_SAFE_NO_PAD.encode(basic.as_bytes()),
        STANDARD.encode(secret.as_bytes()),
    ];
    let mut answers = Vec::new();
    let base = setup.relay.base_url();

    // Connect, with every hop's answer kept.
    let (verifier, challenge) = pkce();
    let redirect = browser_leg(&setup, &challenge, &realm_id).await;
    answers.push(redirect.url.clone());
    let exchange = setup
        .http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", redirect.code.as_str()),
            ("state", redirect.state.as_str()),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(exchange.status(), 200);
    let exchanged = transcript(exchange).await;
    let tokens: serde_json::Value =
        serde_json::from_str(exchanged.lines().next_back().unwrap()).unwrap();
    answers.push(exchanged);
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();

    // Refresh, a refused exchange, a bad grant Intuit refuses, revoke.
    let (status, refreshed) = token_request(
        &setup,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
        ],
    )
    .await;
    assert_eq!(status, 200);
    answers.push(refreshed.to_string());
    for form in [
        vec![
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("state", redirect.state.as_str()),
        ],
        vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", "unknown"),
        ],
    ] {
        let response = setup
            .http
            .post(format!("{base}/oauth/token"))
            .form(&form)
            .send()
            .await
            .unwrap();
        answers.push(transcript(response).await);
    }
    let start = setup
        .http
        .get(format!("{base}/connect/start"))
        .query(&[
            ("redirect_uri", "http://127.0.0.1:5000/cb"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    answers.push(transcript(start).await);

    // Subscribe, receive a webhook, stream it.
    setup.enable_webhooks("legacy").await;
    let fresh_access = refreshed["access_token"].as_str().unwrap().to_owned();
    let (status, subscribed) = setup.subscribe(&realm_id, Some(&fresh_access)).await;
    assert_eq!(status, 201);
    answers.push(subscribed.to_string());
    setup.emit_change(&realm_id, "Invoice", "1").await;
    let mut stream = setup
        .open_events(subscribed["subscription"].as_str().unwrap(), Some(0))
        .await;
    let event = stream
        .next(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    answers.push(format!("{event:?}"));

    let revoke = setup
        .http
        .post(format!("{base}/oauth/revoke"))
        .json(&json!({ "token": refreshed["refresh_token"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    answers.push(transcript(revoke).await);
    let health = setup
        .http
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap();
    answers.push(transcript(health).await);

    let log = captured_log();
    // The capture works: the relay's own lines are in it, at every level.
    assert!(
        log.contains("forwarded a token request to Intuit"),
        "no relay lines captured"
    );
    assert!(log.contains("stored a webhook delivery"));
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "only high levels captured"
    );
    for form in &forms_of_the_secret {
        for answer in &answers {
            assert!(
                !answer.contains(form.as_str()),
                "an answer carries the secret: {answer}"
            );
        }
        for line in log.lines() {
            assert!(
                !line.contains(form.as_str()),
                "a log line carries the secret: {line}"
            );
        }
    }
}
