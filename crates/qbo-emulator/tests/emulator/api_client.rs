//! A small client for the v3 API tests: a real server on a local port, one
//! connected company, and reqwest calls that return (status, JSON body).

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, TimeZone, Utc};
use qbo_emulator::clock::Clock;
use qbo_emulator::{EmulatorConfig, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A fixed instant most tests start from.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 14, 17, 30, 0).unwrap()
}

pub struct Api {
    pub server: TestServer,
    pub clock: Clock,
    pub realm: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl Api {
    pub async fn start() -> Api {
        Api::start_with(EmulatorConfig::default()).await
    }

    pub async fn start_with(config: EmulatorConfig) -> Api {
        let clock = Clock::fixed(start_time());
        let server = TestServer::start_with_clock(config, clock.clone()).await;
        let (realm, token) = server.connect_company("Larry's Bakery");
        Api {
            server,
            clock,
            realm,
            token,
            http: reqwest::Client::new(),
        }
    }

    /// A fresh access token, for tests that move the clock past its hour.
    pub fn renew_token(&mut self) {
        let tokens = self
            .server
            .emulator()
            .oauth()
            .mint_tokens("test-client", &self.realm);
        self.token = tokens["access_token"].as_str().unwrap().to_owned();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.company_url(&self.realm))
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(
            self.http
                .post(self.url(path))
                .bearer_auth(&self.token)
                .header("Accept", "application/json")
                .json(body),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(
            self.http
                .get(self.url(path))
                .bearer_auth(&self.token)
                .header("Accept", "application/json"),
        )
        .await
    }

    /// POSTs to an entity endpoint and expects success; returns the entity.
    pub async fn create(&self, entity: &str, body: Value) -> Value {
        let path = format!("/{}", entity.to_ascii_lowercase());
        let (status, response) = self.post(&path, &body).await;
        assert_eq!(status, StatusCode::OK, "{entity} create failed: {response}");
        response[entity].clone()
    }

    /// POSTs a write that must fail; returns (status, first error).
    pub async fn refuse(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let (status, response) = self.post(path, body).await;
        assert_ne!(status, StatusCode::OK, "expected a fault, got {response}");
        (status, response["Fault"]["Error"][0].clone())
    }

    pub async fn read(&self, entity: &str, id: &str) -> Value {
        let (status, body) = self
            .get(&format!("/{}/{id}", entity.to_ascii_lowercase()))
            .await;
        assert_eq!(status, StatusCode::OK, "{entity} {id} read failed: {body}");
        body[entity].clone()
    }

    /// Runs a query and returns the QueryResponse object.
    pub async fn query(&self, statement: &str) -> Value {
        let (status, body) = self
            .send(
                self.http
                    .get(self.url("/query"))
                    .query(&[("query", statement), ("minorversion", "75")])
                    .bearer_auth(&self.token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "query failed: {body}");
        body["QueryResponse"].clone()
    }

    // Master data most transaction tests need.

    pub async fn account(&self, name: &str, account_type: &str) -> String {
        id(&self
            .create(
                "Account",
                json!({ "Name": name, "AccountType": account_type }),
            )
            .await)
    }

    pub async fn customer(&self, name: &str) -> String {
        id(&self
            .create("Customer", json!({ "DisplayName": name }))
            .await)
    }

    pub async fn vendor(&self, name: &str) -> String {
        id(&self.create("Vendor", json!({ "DisplayName": name })).await)
    }

    pub async fn service_item(&self, name: &str) -> String {
        let income = self.account_id_by_name("Services").await;
        id(&self
            .create(
                "Item",
                json!({ "Name": name, "Type": "Service", "IncomeAccountRef": { "value": income } }),
            )
            .await)
    }

    pub async fn inventory_item(&self, name: &str, quantity: i64) -> String {
        let income = self.account_id_by_name("Sales of Product Income").await;
        let cogs = self.account_id_by_name("Cost of Goods Sold").await;
        let asset = self.account_id_by_name("Inventory Asset").await;
        id(&self
            .create(
                "Item",
                json!({
                    "Name": name,
                    "Type": "Inventory",
                    "TrackQtyOnHand": true,
                    "QtyOnHand": quantity,
                    "InvStartDate": "2025-01-01",
                    "IncomeAccountRef": { "value": income },
                    "ExpenseAccountRef": { "value": cogs },
                    "AssetAccountRef": { "value": asset },
                }),
            )
            .await)
    }

    pub async fn account_id_by_name(&self, name: &str) -> String {
        let escaped = name.replace('\'', "\\'");
        let response = self
            .query(&format!("select * from Account where Name = '{escaped}'"))
            .await;
        id(&response["Account"][0])
    }

    /// An invoice of one service line.
    pub async fn invoice(&self, customer: &str, item: &str, amount: &str) -> Value {
        self.create(
            "Invoice",
            json!({
                "CustomerRef": { "value": customer },
                "Line": [{
                    "DetailType": "SalesItemLineDetail",
                    "Amount": amount.parse::<Value>().unwrap(),
                    "SalesItemLineDetail": { "ItemRef": { "value": item } },
                }],
            }),
        )
        .await
    }
}

pub fn id(entity: &Value) -> String {
    entity["Id"]
        .as_str()
        .unwrap_or_else(|| panic!("no Id in {entity}"))
        .to_owned()
}

pub fn token(entity: &Value) -> String {
    entity["SyncToken"].as_str().unwrap().to_owned()
}

/// A JSON number as exact text, for comparisons to the cent.
pub fn number(value: &Value) -> String {
    match value {
        Value::Number(number) => {
            let text = number.to_string();
            let parsed: rust_decimal::Decimal = text.parse().unwrap();
            parsed.normalize().to_string()
        }
        other => panic!("not a number: {other}"),
    }
}
