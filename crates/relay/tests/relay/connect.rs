//! The OAuth hand-off through the relay, with the emulator as Intuit.

use relay::RelayConfig;
use serde_json::{Value, json};
use url::Url;

use crate::support::{Setup, pkce, setup, setup_with};

/// The query pairs of a URL.
fn query(url: &str) -> Vec<(String, String)> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn pair<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// What the app's loopback listener receives at the end of the browser leg.
pub struct AppRedirect {
    pub url: String,
    pub code: String,
    pub state: String,
    pub realm_id: String,
}

/// Start → the emulator's consent page, answered with the consent form's
/// Connect for `realm_id` → the relay's callback → the app's redirect.
pub async fn browser_leg(setup: &Setup, challenge: &str, realm_id: &str) -> AppRedirect {
    let app_redirect = "http://127.0.0.1:48123/callback";
    let start = setup
        .http
        .get(format!("{}/connect/start", setup.relay.base_url()))
        .query(&[
            ("redirect_uri", app_redirect),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("app_state", "app-opaque-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 302);
    let authorize = location(&start);
    assert!(
        authorize.starts_with(&setup.emulator.base_url()),
        "{authorize}"
    );
    let asked = query(&authorize);
    assert_eq!(pair(&asked, "client_id"), Some(setup.client_id.as_str()));
    assert_eq!(
        pair(&asked, "redirect_uri"),
        Some(setup.relay.callback_url().as_str())
    );
    assert_eq!(pair(&asked, "response_type"), Some("code"));
    assert!(
        pair(&asked, "scope")
            .unwrap()
            .contains("com.intuit.quickbooks.accounting")
    );

    // The consent page, then its form's Connect button.
    let page = setup.http.get(&authorize).send().await.unwrap();
    assert_eq!(page.status(), 200, "{}", page.text().await.unwrap());
    let mut form: Vec<(String, String)> = asked
        .iter()
        .filter(|(key, _)| {
            [
                "client_id",
                "redirect_uri",
                "response_type",
                "scope",
                "state",
            ]
            .contains(&key.as_str())
        })
        .cloned()
        .collect();
    form.push(("decision".to_owned(), "connect".to_owned()));
    form.push(("realm_id".to_owned(), realm_id.to_owned()));
    let consent = setup
        .http
        .post(format!("{}/connect/oauth2", setup.emulator.base_url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 302);
    let callback = location(&consent);
    assert!(
        callback.starts_with(&setup.relay.callback_url()),
        "{callback}"
    );

    // Intuit's redirect reaches the relay, which sends the browser to the app.
    let relayed = setup.http.get(&callback).send().await.unwrap();
    assert_eq!(relayed.status(), 302);
    let url = location(&relayed);
    assert!(url.starts_with(app_redirect), "{url}");
    let received = query(&url);
    assert_eq!(pair(&received, "app_state"), Some("app-opaque-1"));
    AppRedirect {
        code: pair(&received, "code").unwrap().to_owned(),
        state: pair(&received, "state").unwrap().to_owned(),
        realm_id: pair(&received, "realmId").unwrap().to_owned(),
        url,
    }
}

/// `POST /oauth/token` with `form`: (status, JSON body).
pub async fn token_request(setup: &Setup, form: &[(&str, &str)]) -> (u16, Value) {
    let response = setup
        .http
        .post(format!("{}/oauth/token", setup.relay.base_url()))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn company_info_status(setup: &Setup, realm_id: &str, access_token: &str) -> u16 {
    setup
        .http
        .get(format!(
            "{}/companyinfo/{realm_id}?minorversion=75",
            setup.emulator.company_url(realm_id)
        ))
        .bearer_auth(access_token)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_full_connect_flow_gives_working_tokens() {
    let setup = setup().await;
    let realm_id = setup.emulator.emulator().create_company("Acme Landscaping");
    let (verifier, challenge) = pkce();
    let redirect = browser_leg(&setup, &challenge, &realm_id).await;
    assert_eq!(redirect.realm_id, realm_id);

    let (status, tokens) = token_request(
        &setup,
        &[
            ("grant_type", "authorization_code"),
            ("code", &redirect.code),
            ("state", &redirect.state),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "bearer");
    let access_token = tokens["access_token"].as_str().unwrap();
    assert!(tokens["refresh_token"].as_str().is_some());
    assert_eq!(
        company_info_status(&setup, &realm_id, access_token).await,
        200
    );
    let counters = setup.emulator.emulator().oauth().counters(&setup.client_id);
    assert_eq!(counters.code_exchanges, 1);
}

#[tokio::test]
async fn a_code_is_refused_without_its_verifier() {
    let setup = setup().await;
    let realm_id = setup.emulator.emulator().create_company("Acme");
    let (verifier, challenge) = pkce();
    let redirect = browser_leg(&setup, &challenge, &realm_id).await;
    let base = [
        ("grant_type", "authorization_code"),
        ("code", redirect.code.as_str()),
        ("state", redirect.state.as_str()),
    ];

    let (status, body) = token_request(&setup, &base).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_request");

    let (other_verifier, _) = pkce();
    let mut wrong = base.to_vec();
    wrong.push(("code_verifier", &other_verifier));
    let (status, body) = token_request(&setup, &wrong).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": "invalid_grant", "error_description": "code verifier does not match"})
    );

    // Another connect attempt's state and verifier do not unlock this code:
    // neither a state fresh from /connect/start nor one bound to its own code.
    let (other_verifier, other_challenge) = pkce();
    let other = browser_leg(&setup, &other_challenge, &realm_id).await;
    let (status, body) = token_request(
        &setup,
        &[
            ("grant_type", "authorization_code"),
            ("code", &redirect.code),
            ("state", &other.state),
            ("code_verifier", &other_verifier),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    let start = setup
        .http
        .get(format!("{}/connect/start", setup.relay.base_url()))
        .query(&[
            ("redirect_uri", "http://127.0.0.1:48123/callback"),
            ("code_challenge", other_challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    let fresh_state = pair(&query(&location(&start)), "state").unwrap().to_owned();
    let (status, _) = token_request(
        &setup,
        &[
            ("grant_type", "authorization_code"),
            ("code", &redirect.code),
            ("state", &fresh_state),
            ("code_verifier", &other_verifier),
        ],
    )
    .await;
    assert_eq!(status, 400);

    // Nothing reached Intuit, so the code is still good for the real app.
    let counters = setup.emulator.emulator().oauth().counters(&setup.client_id);
    assert_eq!(counters.code_exchanges, 0);
    let mut right = base.to_vec();
    right.push(("code_verifier", &verifier));
    let (status, tokens) = token_request(&setup, &right).await;
    assert_eq!(status, 200, "{tokens}");

    // Intuit's own error for a used code is passed through unchanged.
    let (status, body) = token_request(&setup, &right).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn start_refuses_non_loopback_redirects_and_callback_refuses_bad_states() {
    let setup = setup().await;
    let (_, challenge) = pkce();
    for redirect_uri in [
        "https://evil.example.com:443/cb",
        "http://192.168.1.5:5000/cb",
        "http://127.0.0.1/cb",
    ] {
        let response = setup
            .http
            .get(format!("{}/connect/start", setup.relay.base_url()))
            .query(&[
                ("redirect_uri", redirect_uri),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{redirect_uri}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("redirect_uri")
        );
    }
    let plain = setup
        .http
        .get(format!("{}/connect/start", setup.relay.base_url()))
        .query(&[
            ("redirect_uri", "http://127.0.0.1:5000/cb"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "plain"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 400);

    let forged = setup
        .http
        .get(format!(
            "{}/connect/callback?code=abc&realmId=1&state=eyJmb3JnZWQiOnRydWV9.AAAA",
            setup.relay.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    assert!(forged.headers().get("location").is_none());
    let page = forged.text().await.unwrap();
    assert!(
        page.contains("start connecting the company again"),
        "{page}"
    );
}

#[tokio::test]
async fn refusal_on_the_consent_page_reaches_the_app() {
    let setup = setup().await;
    setup.emulator.emulator().create_company("Acme");
    let (_, challenge) = pkce();
    let start = setup
        .http
        .get(format!("{}/connect/start", setup.relay.base_url()))
        .query(&[
            ("redirect_uri", "http://localhost:40000/done"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    let asked = query(&location(&start));
    let mut form: Vec<(String, String)> = asked.clone();
    form.push(("decision".to_owned(), "cancel".to_owned()));
    let consent = setup
        .http
        .post(format!("{}/connect/oauth2", setup.emulator.base_url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    let relayed = setup.http.get(location(&consent)).send().await.unwrap();
    assert_eq!(relayed.status(), 302);
    let received = query(&location(&relayed));
    assert_eq!(pair(&received, "error"), Some("access_denied"));
    assert_eq!(pair(&received, "state"), pair(&asked, "state"));
    assert!(pair(&received, "code").is_none());
}

#[tokio::test]
async fn refresh_and_revoke_are_forwarded() {
    let setup = setup().await;
    let realm_id = setup.emulator.emulator().create_company("Acme");
    let (verifier, challenge) = pkce();
    let redirect = browser_leg(&setup, &challenge, &realm_id).await;
    let (_, tokens) = token_request(
        &setup,
        &[
            ("grant_type", "authorization_code"),
            ("code", &redirect.code),
            ("state", &redirect.state),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    let first_refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    let (status, refreshed) = token_request(
        &setup,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first_refresh),
        ],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let second_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
    let access_token = refreshed["access_token"].as_str().unwrap().to_owned();
    // The emulator rotates on every refresh and kills the old value at once.
    assert_ne!(second_refresh, first_refresh);
    assert_eq!(
        setup
            .emulator
            .emulator()
            .oauth()
            .refresh_count(&setup.client_id),
        1
    );
    let (status, body) = token_request(
        &setup,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first_refresh),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        company_info_status(&setup, &realm_id, &access_token).await,
        200
    );

    let revoked = setup
        .http
        .post(format!("{}/oauth/revoke", setup.relay.base_url()))
        .json(&json!({ "token": second_refresh }))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let counters = setup.emulator.emulator().oauth().counters(&setup.client_id);
    assert_eq!(counters.revocations, 1);
    assert_eq!(
        company_info_status(&setup, &realm_id, &access_token).await,
        401
    );
    let (status, body) = token_request(
        &setup,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &second_refresh),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");

    let missing = setup
        .http
        .post(format!("{}/oauth/revoke", setup.relay.base_url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
}

#[tokio::test]
async fn connect_and_oauth_are_rate_limited_per_client() {
    let setup = setup_with(|config: &mut RelayConfig| config.rate_limit_per_minute = 3).await;
    let url = format!("{}/oauth/token", setup.relay.base_url());
    for _ in 0..3 {
        let response = setup
            .http
            .post(&url)
            .header("x-ledgerlink-instance", "app-a")
            .form(&[("grant_type", "nonsense")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
    }
    let limited = setup
        .http
        .post(&url)
        .header("x-ledgerlink-instance", "app-a")
        .form(&[("grant_type", "nonsense")])
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"], "slow_down");
    // /connect shares the budget; another app instance has its own.
    let start = setup
        .http
        .get(format!("{}/connect/start", setup.relay.base_url()))
        .header("x-ledgerlink-instance", "app-a")
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 429);
    let other = setup
        .http
        .post(&url)
        .header("x-ledgerlink-instance", "app-b")
        .form(&[("grant_type", "nonsense")])
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 400);
    // Health and webhooks are not limited.
    let health = setup
        .http
        .get(format!("{}/health", setup.relay.base_url()))
        .header("x-ledgerlink-instance", "app-a")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.json::<Value>().await.unwrap(),
        json!({"status": "ok"})
    );
}

#[tokio::test]
async fn the_relay_names_the_accounting_api_of_its_keys() {
    let setup = setup_with(|config| config.environment = relay::Environment::Sandbox).await;
    let answer = setup
        .http
        .get(format!("{}/metadata", setup.relay.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let metadata: Value = answer.json().await.unwrap();
    assert_eq!(metadata["service"], "ledgerlink-relay");
    assert_eq!(metadata["environment"], "sandbox");
    // The configured API (here the emulator standing in for Intuit) wins
    // over the environment's default, and nothing secret is in the answer.
    assert_eq!(metadata["quickbooks_api_base"], setup.emulator.base_url());
    let text = metadata.to_string();
    assert!(!text.contains(&setup.client_secret));
    assert!(!text.contains(&setup.verifier_token));
}
