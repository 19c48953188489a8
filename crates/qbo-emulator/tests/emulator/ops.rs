//! The operations side against a real server: request limits, injected
//! faults, counters, the control API, the emulated clock and the web view.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use chrono::{DateTime, TimeZone, Utc};
use qbo_emulator::clock::Clock;
use qbo_emulator::webhooks::WebhookConfig;
use qbo_emulator::{EmulatorConfig, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A server with one connected company and a client for both APIs.
struct Ops {
    server: TestServer,
    realm: String,
    token: String,
    http: reqwest::Client,
}

/// Webhook windows of milliseconds instead of minutes.
fn fast_config() -> EmulatorConfig {
    EmulatorConfig {
        webhooks: WebhookConfig {
            time_scale: 0.001,
            ..WebhookConfig::default()
        },
        ..EmulatorConfig::default()
    }
}

impl Ops {
    async fn start() -> Ops {
        Ops::start_with_clock(Clock::real()).await
    }

    async fn start_with_clock(clock: Clock) -> Ops {
        let server = TestServer::start_with_clock(fast_config(), clock).await;
        let (realm, token) = server.connect_company("Ops Test Company");
        Ops {
            server,
            realm,
            token,
            http: reqwest::Client::new(),
        }
    }

    fn api(&self, path: &str) -> String {
        format!("{}{path}", self.server.company_url(&self.realm))
    }

    fn control(&self, path: &str) -> String {
        format!("{}/_emulator{path}", self.server.base_url())
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.api(path))
            .bearer_auth(&self.token)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, body: &Value) -> Result<reqwest::Response, reqwest::Error> {
        self.http
            .post(self.api(path))
            .bearer_auth(&self.token)
            .header("Accept", "application/json")
            .json(body)
            .send()
            .await
    }

    async fn query(&self, statement: &str) -> Value {
        let response = self
            .http
            .get(self.api("/query"))
            .query(&[("query", statement)])
            .bearer_auth(&self.token)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().await.unwrap()["QueryResponse"].clone()
    }

    /// How many customers have this display name.
    async fn customers_named(&self, name: &str) -> usize {
        let response = self
            .query(&format!(
                "select * from Customer where DisplayName = '{name}'"
            ))
            .await;
        response["Customer"].as_array().map_or(0, Vec::len)
    }

    async fn control_get(&self, path: &str) -> (StatusCode, Value) {
        let response = self.http.get(self.control(path)).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    async fn control_post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.control(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    async fn arm(&self, plan: Value) {
        let (status, body) = self.control_post("/faults", plan).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    async fn company_info(&self) -> reqwest::Response {
        self.get(&format!("/companyinfo/{}", self.realm)).await
    }
}

/// Checks QBO's throttling answer: HTTP 429, an XML body with code 3001.
async fn assert_throttled(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.contains("xml"), "{content_type}");
    let body = response.text().await.unwrap();
    assert!(body.contains("<Fault type=\"SERVICE\">"), "{body}");
    assert!(body.contains("<Error code=\"3001\">"), "{body}");
    assert!(
        body.contains("message=ThrottleExceeded; errorCode=003001; statusCode=429"),
        "{body}"
    );
}

#[tokio::test]
async fn limits_are_off_by_default() {
    let ops = Ops::start().await;
    let (status, limits) = ops.control_get("/limits").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(limits["enabled"], false);
    assert_eq!(limits["requests_per_window"], 500);
    assert_eq!(limits["max_in_flight"], 10);
    assert_eq!(limits["batches_per_window"], 40);
    for _ in 0..520 {
        assert_eq!(ops.company_info().await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn the_501st_request_in_a_minute_is_throttled() {
    let ops = Ops::start().await;
    let (status, _) = ops
        .control_post("/limits", json!({ "enabled": true }))
        .await;
    assert_eq!(status, StatusCode::OK);
    for number in 1..=500 {
        let response = ops.company_info().await;
        assert_eq!(response.status(), StatusCode::OK, "request {number}");
    }
    // Asking for JSON does not matter: the throttling answer is XML.
    assert_throttled(ops.company_info().await).await;
    // Another company has its own budget.
    let (other_realm, other_token) = ops.server.connect_company("Other Company");
    let other = ops
        .http
        .get(format!(
            "{}/companyinfo/{other_realm}",
            ops.server.company_url(&other_realm)
        ))
        .bearer_auth(other_token)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_shortened_window_frees_the_budget_again() {
    let ops = Ops::start().await;
    let (status, settings) = ops
        .control_post(
            "/limits",
            json!({ "enabled": true, "requests_per_window": 5, "window_ms": 400 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(settings["window_ms"], 400);
    let started = Instant::now();
    for _ in 0..5 {
        assert_eq!(ops.company_info().await.status(), StatusCode::OK);
    }
    assert_throttled(ops.company_info().await).await;
    if started.elapsed() < Duration::from_millis(400) {
        tokio::time::sleep(Duration::from_millis(400) - started.elapsed()).await;
    }
    assert_eq!(ops.company_info().await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_11th_concurrent_request_is_throttled() {
    let ops = Arc::new(Ops::start().await);
    ops.control_post("/limits", json!({ "enabled": true }))
        .await;
    // Ten reads that the server holds for a while.
    ops.arm(json!({
        "kind": "timeout", "hold_ms": 1500, "count": 10,
        "method": "GET", "path": "/v3/company/*/companyinfo/*",
    }))
    .await;
    let mut held = Vec::new();
    for _ in 0..10 {
        let ops = Arc::clone(&ops);
        held.push(tokio::spawn(
            async move { ops.company_info().await.status() },
        ));
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, counters) = ops
            .control_get(&format!("/counters?realm_id={}", ops.realm))
            .await;
        if counters["total"]["in_flight"] == 10 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the ten requests never ran at once: {counters}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_throttled(ops.company_info().await).await;
    for request in held {
        assert_eq!(request.await.unwrap(), StatusCode::OK);
    }
    // With the ten done, there is room again.
    assert_eq!(ops.company_info().await.status(), StatusCode::OK);
    let (_, counters) = ops
        .control_get(&format!("/counters?realm_id={}", ops.realm))
        .await;
    // The counters saw eleven at the server at once; the limiter let ten run.
    assert_eq!(counters["total"]["peak_in_flight"], 11);
    assert_eq!(counters["total"]["throttled"], 1);
}

#[tokio::test]
async fn the_41st_batch_in_a_minute_is_throttled() {
    let ops = Ops::start().await;
    ops.control_post("/limits", json!({ "enabled": true }))
        .await;
    let batch = json!({ "BatchItemRequest": [
        { "bId": "1", "Query": "select * from CompanyInfo" },
    ] });
    for number in 1..=40 {
        let response = ops.post("/batch", &batch).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "batch {number}");
    }
    assert_throttled(ops.post("/batch", &batch).await.unwrap()).await;
    // Plain requests still have budget left (41 of 500 used).
    assert_eq!(ops.company_info().await.status(), StatusCode::OK);
}

#[tokio::test]
async fn status_faults_answer_instead_of_the_handler() {
    let ops = Ops::start().await;
    let customer = json!({ "DisplayName": "Fault Free Gardens" });

    ops.arm(json!({ "kind": "throttle", "method": "POST", "path": "*/customer" }))
        .await;
    assert_throttled(ops.post("/customer", &customer).await.unwrap()).await;

    ops.arm(json!({ "kind": "internal_error", "path": "*/customer" }))
        .await;
    let response = ops.post("/customer", &customer).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["Fault"]["type"], "SystemFault");

    ops.arm(json!({ "kind": "service_unavailable" })).await;
    let response = ops.post("/customer", &customer).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Service Unavailable")
    );

    ops.arm(json!({ "kind": "xml_fault", "status": 400 })).await;
    let response = ops.post("/customer", &customer).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = response.text().await.unwrap();
    assert!(body.starts_with("<?xml"), "{body}");
    assert!(body.contains("<Fault type=\"ValidationFault\">"), "{body}");

    ops.arm(json!({ "kind": "expired_token" })).await;
    let response = ops.post("/customer", &customer).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["fault"]["error"][0]["code"], "3200");
    assert_eq!(body["fault"]["type"], "AUTHENTICATION");

    // None of those wrote anything; the faults are used up and the next call works.
    assert_eq!(ops.customers_named("Fault Free Gardens").await, 0);
    let response = ops.post("/customer", &customer).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(ops.customers_named("Fault Free Gardens").await, 1);
}

#[tokio::test]
async fn faults_match_method_path_and_operation_for_a_count() {
    let ops = Ops::start().await;
    ops.arm(
        json!({ "kind": "internal_error", "count": 2, "method": "GET", "path": "*/companyinfo/*" }),
    )
    .await;
    ops.arm(json!({ "kind": "throttle", "operation": "delete" }))
        .await;
    let (_, armed) = ops.control_get("/faults").await;
    assert_eq!(armed["faults"].as_array().unwrap().len(), 2);

    // Other requests pass untouched.
    assert!(ops.query("select * from Account").await["Account"].is_array());
    assert_eq!(
        ops.company_info().await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(
        ops.company_info().await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(ops.company_info().await.status(), StatusCode::OK);

    let response = ops
        .post(
            "/invoice?operation=delete",
            &json!({ "Id": "1", "SyncToken": "0" }),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let (_, armed) = ops.control_get("/faults").await;
    assert_eq!(armed["faults"], json!([]));

    // Disarming by id and clearing.
    let (_, first) = ops
        .control_post("/faults", json!({ "kind": "throttle", "count": 5 }))
        .await;
    let id = first["id"].as_u64().unwrap();
    let response = ops
        .http
        .delete(ops.control(&format!("/faults/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(ops.company_info().await.status(), StatusCode::OK);
    ops.arm(json!({ "kind": "throttle", "count": 5 })).await;
    ops.http
        .delete(ops.control("/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(ops.company_info().await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_connection_dropped_before_the_commit_writes_nothing() {
    let ops = Ops::start().await;
    ops.arm(json!({ "kind": "drop_before_commit", "method": "POST", "path": "*/customer" }))
        .await;
    let outcome = ops
        .post(
            "/customer",
            &json!({ "DisplayName": "Never Stored Nursery" }),
        )
        .await;
    let error = outcome.expect_err("the connection should drop without an answer");
    assert!(!error.is_status(), "{error}");
    assert_eq!(ops.customers_named("Never Stored Nursery").await, 0);
}

#[tokio::test]
async fn a_connection_dropped_after_the_commit_leaves_exactly_one_object() {
    let ops = Ops::start().await;
    ops.arm(json!({ "kind": "drop_after_commit", "method": "POST", "path": "*/customer" }))
        .await;
    let body = json!({ "DisplayName": "Stored Once Landscaping" });
    let outcome = ops.post("/customer?requestid=retry-me-1", &body).await;
    assert!(
        outcome.is_err(),
        "the connection should drop without an answer"
    );
    assert_eq!(ops.customers_named("Stored Once Landscaping").await, 1);
    // A retry with the same requestid gets the first answer, not a second object.
    let retry = ops
        .post("/customer?requestid=retry-me-1", &body)
        .await
        .unwrap();
    assert_eq!(retry.status(), StatusCode::OK);
    let retried: Value = retry.json().await.unwrap();
    assert_eq!(
        retried["Customer"]["DisplayName"],
        "Stored Once Landscaping"
    );
    assert_eq!(ops.customers_named("Stored Once Landscaping").await, 1);
}

#[tokio::test]
async fn a_held_answer_arrives_late_and_a_garbled_one_does_not_parse() {
    let ops = Ops::start().await;
    ops.arm(json!({ "kind": "timeout", "hold_ms": 600, "path": "*/companyinfo/*" }))
        .await;
    let started = Instant::now();
    let late = ops.company_info().await;
    assert_eq!(late.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(600));

    ops.arm(json!({ "kind": "timeout", "hold_ms": 2000, "path": "*/customer" }))
        .await;
    let impatient = ops
        .http
        .post(ops.api("/customer"))
        .bearer_auth(&ops.token)
        .timeout(Duration::from_millis(200))
        .json(&json!({ "DisplayName": "Slow Answer Supply" }))
        .send()
        .await;
    assert!(impatient.unwrap_err().is_timeout());
    // The write itself went through.
    assert_eq!(ops.customers_named("Slow Answer Supply").await, 1);

    ops.arm(json!({ "kind": "malformed_json", "path": "*/customer" }))
        .await;
    let garbled = ops
        .post(
            "/customer",
            &json!({ "DisplayName": "Garbled Reply Gardens" }),
        )
        .await
        .unwrap();
    assert_eq!(garbled.status(), StatusCode::OK);
    let text = garbled.text().await.unwrap();
    assert!(text.starts_with("{\"Customer\""), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert_eq!(ops.customers_named("Garbled Reply Gardens").await, 1);
}

#[tokio::test]
async fn bad_fault_plans_are_refused() {
    let ops = Ops::start().await;
    for plan in [
        json!({ "kind": "meteor_strike" }),
        json!({ "kind": "throttle", "count": 0 }),
        json!({ "kind": "throttle", "hold_ms": 5 }),
        json!({ "kind": "xml_fault", "status": 200 }),
        json!({ "kind": "throttle", "method": "NOT A METHOD" }),
        json!({ "kind": "throttle", "surprise": true }),
    ] {
        let (status, body) = ops.control_post("/faults", plan.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{plan}");
        assert!(
            body["error"].as_str().is_some_and(|text| !text.is_empty()),
            "{body}"
        );
    }
    let (_, armed) = ops.control_get("/faults").await;
    assert_eq!(armed["faults"], json!([]));
}

#[tokio::test]
async fn counters_count_requests_per_endpoint_and_reset() {
    let ops = Ops::start().await;
    for _ in 0..3 {
        ops.company_info().await;
    }
    ops.query("select * from Account").await;
    ops.arm(json!({ "kind": "throttle", "path": "*/query" }))
        .await;
    let throttled = ops
        .http
        .get(ops.api("/query"))
        .query(&[("query", "select * from Account")])
        .bearer_auth(&ops.token)
        .send()
        .await
        .unwrap();
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);

    let (status, realm) = ops
        .control_get(&format!("/counters?realm_id={}", ops.realm))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(realm["total"]["requests"], 5);
    assert_eq!(realm["total"]["throttled"], 1);
    assert_eq!(realm["total"]["in_flight"], 0);
    assert!(realm["total"]["peak_in_flight"].as_u64().unwrap() >= 1);
    assert_eq!(realm["endpoints"]["GET companyinfo/{id}"]["requests"], 3);
    assert_eq!(realm["endpoints"]["GET query"]["requests"], 2);
    assert_eq!(realm["endpoints"]["GET query"]["statuses"]["429"], 1);

    let (_, everything) = ops.control_get("/counters").await;
    assert_eq!(everything["realms"][&ops.realm]["total"]["requests"], 5);
    assert_eq!(
        everything["total"]["requests"], 5,
        "control calls are not counted"
    );

    let (status, reset) = ops.control_post("/counters/reset", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reset["total"]["requests"], 0);
    ops.company_info().await;
    let (_, realm) = ops
        .control_get(&format!("/counters?realm_id={}", ops.realm))
        .await;
    assert_eq!(realm["total"]["requests"], 1);
    assert_eq!(realm["total"]["throttled"], 0);
}

#[tokio::test]
async fn companies_are_created_listed_and_removed() {
    let ops = Ops::start().await;
    let (status, empty) = ops
        .control_post("/companies", json!({ "name": "Empty Books Ltd" }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let empty_realm = empty["realm_id"].as_str().unwrap().to_owned();
    assert_eq!(empty["name"], "Empty Books Ltd");
    assert!(empty["entities"].get("Invoice").is_none());
    assert!(empty.get("seed_summary").is_none());

    let (status, seeded) = ops
        .control_post("/companies", json!({ "seed": 5, "size": 150 }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{seeded}");
    assert_eq!(seeded["seed_summary"]["transactions"], 150);
    assert!(seeded["entities"]["Invoice"].as_u64().unwrap() > 0);
    assert!(!seeded["name"].as_str().unwrap().is_empty());

    let (_, listed) = ops.control_get("/companies").await;
    let realms: Vec<&str> = listed["companies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|company| company["realm_id"].as_str().unwrap())
        .collect();
    assert!(realms.contains(&empty_realm.as_str()));
    assert!(realms.contains(&seeded["realm_id"].as_str().unwrap()));
    assert!(realms.contains(&ops.realm.as_str()));

    for bad in [
        json!({ "size": "lots" }),
        json!({ "name": "" }),
        json!({ "size": 100_000_000 }),
        json!({ "colour": "green" }),
    ] {
        let (status, body) = ops.control_post("/companies", bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let response = ops
        .http
        .post(ops.control("/companies"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("invalid request body")
    );

    let removed = ops
        .http
        .delete(ops.control(&format!("/companies/{empty_realm}")))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::OK);
    let again = ops
        .http
        .delete(ops.control(&format!("/companies/{empty_realm}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn minted_tokens_open_the_api_for_registered_clients() {
    let ops = Ops::start().await;
    let (status, body) = ops
        .control_post("/tokens", json!({ "realm_id": ops.realm }))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "no client registered yet: {body}"
    );

    let client = json!({
        "client_id": "ABopsTestClient",
        "client_secret": "s3cret",
        "redirect_uris": ["http://localhost:8765/callback"],
    });
    let (status, _) = ops.control_post("/clients", client).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = ops
        .control_post(
            "/clients/ABopsTestClient/redirect_uris",
            json!({ "redirect_uri": "https://app.example.com/oauth/callback" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, clients) = ops.control_get("/clients").await;
    assert_eq!(
        clients["clients"][0]["redirect_uris"],
        json!([
            "http://localhost:8765/callback",
            "https://app.example.com/oauth/callback"
        ])
    );
    let (status, _) = ops
        .control_post(
            "/clients",
            json!({ "client_id": "x", "client_secret": "y", "redirect_uris": ["not a url"] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, tokens) = ops
        .control_post("/tokens", json!({ "realm_id": ops.realm }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert!(tokens["refresh_token"].is_string());
    let access = tokens["access_token"].as_str().unwrap();
    let response = ops
        .http
        .get(ops.api("/query"))
        .query(&[("query", "select * from Account")])
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let (status, _) = ops
        .control_post("/tokens", json!({ "realm_id": "404404" }))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = ops.control_post("/tokens", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_clock_moves_only_when_told() {
    let start = Utc.with_ymd_and_hms(2025, 1, 10, 12, 0, 0).unwrap();
    let mut ops = Ops::start_with_clock(Clock::fixed(start)).await;
    let (_, before) = ops.control_get("/clock").await;
    assert_eq!(before["now"], "2025-01-10T12:00:00.000Z");

    let (status, after) = ops
        .control_post(
            "/clock/advance",
            json!({ "days": 2, "hours": 3, "seconds": 4 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after["now"], "2025-01-12T15:00:04.000Z");
    let expected: DateTime<Utc> = Utc.with_ymd_and_hms(2025, 1, 12, 15, 0, 4).unwrap();
    assert_eq!(ops.server.emulator().clock().now(), expected);

    // The access token's hour is over; a fresh one is stamped with the moved clock too.
    let expired = ops.company_info().await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    let tokens = ops
        .server
        .emulator()
        .oauth()
        .mint_tokens("test-client", &ops.realm);
    ops.token = tokens["access_token"].as_str().unwrap().to_owned();
    // The API stamps new objects with the moved clock.
    let response = ops
        .post("/customer", &json!({ "DisplayName": "Later Lawns" }))
        .await
        .unwrap();
    let created: Value = response.json().await.unwrap();
    let create_time = created["Customer"]["MetaData"]["CreateTime"]
        .as_str()
        .unwrap();
    let stamped = DateTime::parse_from_rfc3339(create_time).unwrap();
    assert_eq!(stamped.with_timezone(&Utc), expected);

    for bad in [
        json!({}),
        json!({ "days": "two" }),
        json!({ "weeks": 1 }),
        json!({ "days": 100_000_000_000_i64 }),
    ] {
        let (status, _) = ops.control_post("/clock/advance", bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let (_, unchanged) = ops.control_get("/clock").await;
    assert_eq!(unchanged["now"], "2025-01-12T15:00:04.000Z");
}

/// Webhook requests a test receiver got: (signature header, body).
#[derive(Clone, Default)]
struct Inbox(Arc<Mutex<Vec<(String, Bytes)>>>);

async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: Bytes) -> &'static str {
    let signature = headers
        .get("intuit-signature")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    inbox.0.lock().unwrap().push((signature, body));
    "ok"
}

async fn start_receiver() -> (String, Inbox, tokio::task::JoinHandle<()>) {
    let inbox = Inbox::default();
    let app = Router::new()
        .route("/hooks", post(receive))
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, inbox, task)
}

/// Waits for a notification that mentions `needle`; returns its (signature, body).
async fn notification_with(inbox: &Inbox, needle: &str) -> (String, Value) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = inbox
            .0
            .lock()
            .unwrap()
            .iter()
            .find(|(_, body)| String::from_utf8_lossy(body).contains(needle))
            .cloned();
        if let Some((signature, body)) = found {
            let verifier = "ops-verifier-token";
            assert_eq!(signature, qbo_emulator::webhooks::sign(verifier, &body));
            return (signature, serde_json::from_slice(&body).unwrap());
        }
        assert!(
            Instant::now() < deadline,
            "no notification mentions {needle}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn webhooks_are_configured_through_the_control_api() {
    // Real-time windows (a minute), sped up through the control API.
    let server = TestServer::start(EmulatorConfig::default()).await;
    let (realm, token) = server.connect_company("Hooked Company");
    let ops = Ops {
        server,
        realm,
        token,
        http: reqwest::Client::new(),
    };
    let (url, inbox, _receiver) = start_receiver().await;
    let (status, settings) = ops
        .control_post(
            "/webhooks",
            json!({
                "endpoint_url": url, "verifier_token": "ops-verifier-token",
                "format": "legacy", "time_scale": 0.001,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    let (_, read) = ops.control_get("/webhooks").await;
    assert_eq!(read["endpoint_url"], url.as_str());
    assert_eq!(read["format"], "legacy");
    assert_eq!(read["time_scale"], 0.001);
    // Intuit's minute until a test asks for another window.
    assert_eq!(read["aggregation_window_ms"], 60_000);

    let response = ops
        .post("/customer", &json!({ "DisplayName": "Hooked Gardens" }))
        .await
        .unwrap();
    let created: Value = response.json().await.unwrap();
    let id = created["Customer"]["Id"].as_str().unwrap().to_owned();
    let (_, body) = notification_with(&inbox, &format!("\"id\":\"{id}\"")).await;
    let entity = &body["eventNotifications"][0]["dataChangeEvent"]["entities"][0];
    assert_eq!(entity["name"], "Customer");
    assert_eq!(entity["operation"], "Create");

    // A one-second window at real time: the next change is sent about a
    // second after it was made, not a minute.
    let (status, settings) = ops
        .control_post(
            "/webhooks",
            json!({ "endpoint_url": url, "time_scale": 1.0, "aggregation_window_ms": 1000 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["aggregation_window_ms"], 1000);
    let made = Instant::now();
    let response = ops
        .post("/customer", &json!({ "DisplayName": "Windowed Gardens" }))
        .await
        .unwrap();
    let created: Value = response.json().await.unwrap();
    let id = created["Customer"]["Id"].as_str().unwrap().to_owned();
    notification_with(&inbox, &format!("\"id\":\"{id}\"")).await;
    let waited = made.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(10),
        "sent after {waited:?}"
    );

    for bad in [
        json!({ "endpoint_url": "not a url", "verifier_token": "x" }),
        json!({ "endpoint_url": "ftp://example.com/hooks", "verifier_token": "x" }),
        json!({ "format": "smoke-signals" }),
        json!({ "time_scale": -1 }),
    ] {
        let (status, _) = ops.control_post("/webhooks", bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn the_web_view_lists_and_edits_records_as_a_quickbooks_user() {
    let ops = Ops::start().await;
    let (url, inbox, _receiver) = start_receiver().await;
    ops.control_post(
        "/webhooks",
        json!({ "endpoint_url": url, "verifier_token": "ops-verifier-token" }),
    )
    .await;
    let response = ops
        .post(
            "/customer",
            &json!({ "DisplayName": "Web Edited Nursery", "CompanyName": "Web Edited Nursery", "Notes": "first" }),
        )
        .await
        .unwrap();
    let created: Value = response.json().await.unwrap();
    let id = created["Customer"]["Id"].as_str().unwrap().to_owned();
    assert_eq!(created["Customer"]["SyncToken"], "0");

    let base = ops.server.base_url();
    let index = ops
        .http
        .get(format!("{base}/_emulator/web"))
        .send()
        .await
        .unwrap();
    assert!(index.text().await.unwrap().contains(&ops.realm));
    let list = ops
        .http
        .get(format!("{base}/_emulator/web/{}/Customer", ops.realm))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    let list = list.text().await.unwrap();
    assert!(list.contains("Web Edited Nursery"), "{list}");
    assert!(list.contains(&format!("/_emulator/web/{}/Customer/{id}", ops.realm)));

    let record_url = format!("{base}/_emulator/web/{}/Customer/{id}", ops.realm);
    let page = ops
        .http
        .get(&record_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("name=\"field.Notes\" value=\"first\""),
        "{page}"
    );

    // Edit one field, as a user would in QuickBooks.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let saved = no_redirects
        .post(&record_url)
        .form(&[
            ("mode", "fields"),
            ("SyncToken", "0"),
            ("field.Notes", "Changed in QuickBooks"),
            ("field.DisplayName", "Web Edited Nursery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let read = ops
        .get(&format!("/customer/{id}"))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(read["Customer"]["Notes"], "Changed in QuickBooks");
    assert_eq!(read["Customer"]["SyncToken"], "1");
    assert_eq!(read["Customer"]["CompanyName"], "Web Edited Nursery");
    let (_, body) = notification_with(&inbox, "\"operation\":\"Update\"").await;
    let entity = &body["eventNotifications"][0]["dataChangeEvent"]["entities"][0];
    assert_eq!(entity["id"], id.as_str());

    // A JSON edit that carries the old SyncToken is stale, as over the API.
    let mut stale = read["Customer"].clone();
    stale["SyncToken"] = json!("0");
    stale["Notes"] = json!("lost update");
    let refused = no_redirects
        .post(&record_url)
        .form(&[("mode", "json"), ("json", &stale.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("Stale Object Error"));

    // The current SyncToken saves, as a full update.
    let mut fresh = read["Customer"].clone();
    fresh["Notes"] = json!("second edit");
    let saved = no_redirects
        .post(&record_url)
        .form(&[("mode", "json"), ("json", &fresh.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let read = ops
        .get(&format!("/customer/{id}"))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(read["Customer"]["Notes"], "second edit");
    assert_eq!(read["Customer"]["SyncToken"], "2");

    let missing = ops
        .http
        .get(format!(
            "{base}/_emulator/web/{}/Customer/999999",
            ops.realm
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_web_view_deletes_and_voids_transactions() {
    let ops = Ops::start().await;
    let (status, seeded) = ops
        .control_post("/companies", json!({ "seed": 11, "size": 60 }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let realm = seeded["realm_id"].as_str().unwrap().to_owned();
    // A payment taken straight to the bank (one in a deposit cannot be voided).
    let ((payment_id, payment_token), (estimate_id, estimate_token)) = ops
        .server
        .emulator()
        .with_company(&realm, |company| {
            let pick = |entity: &str, wanted: &dyn Fn(&Value) -> bool| {
                let doc = company.all(entity).find(|doc| wanted(doc)).unwrap();
                (
                    doc["Id"].as_str().unwrap().to_owned(),
                    doc["SyncToken"].as_str().unwrap().to_owned(),
                )
            };
            (
                pick("Payment", &|doc| {
                    doc["DepositToAccountRef"]["name"] == "Business Checking"
                }),
                pick("Estimate", &|_| true),
            )
        })
        .unwrap();
    let base = ops.server.base_url();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let voided = client
        .post(format!(
            "{base}/_emulator/web/{realm}/Payment/{payment_id}/void"
        ))
        .form(&[("SyncToken", payment_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(voided.status(), StatusCode::SEE_OTHER);
    let payment = ops
        .server
        .emulator()
        .with_company(&realm, |company| company.read("Payment", &payment_id))
        .unwrap()
        .unwrap();
    assert_eq!(payment["TotalAmt"], 0);
    assert_eq!(payment["PrivateNote"], "Voided");

    let deleted = client
        .post(format!(
            "{base}/_emulator/web/{realm}/Estimate/{estimate_id}/delete"
        ))
        .form(&[("SyncToken", estimate_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    let gone = ops
        .server
        .emulator()
        .with_company(&realm, |company| {
            company.read("Estimate", &estimate_id).is_err()
        })
        .unwrap();
    assert!(gone);
}
