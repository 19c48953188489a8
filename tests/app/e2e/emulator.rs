//! "The client in QuickBooks": reads and edits the demo company's emulator
//! over its API, as someone working in QuickBooks would.

use serde_json::{Value, json};

use super::Session;

/// The demo company's emulator, reached at the address the app shows.
pub struct QuickBooks {
    base: String,
    realm: String,
    token: String,
    http: reqwest::Client,
}

impl QuickBooks {
    /// Finds the emulator through Settings (the page is left open).
    pub async fn of(app: &Session) -> QuickBooks {
        app.click("nav-settings").await;
        let web_view = app.text("settings-demo-address").await;
        let base = web_view.trim_end_matches("/_emulator/web/").to_owned();
        let http = reqwest::Client::new();
        let companies: Value = http
            .get(format!("{base}/_emulator/companies"))
            .send()
            .await
            .expect("the emulator answers")
            .json()
            .await
            .expect("a company list");
        let realm = companies["companies"]
            .as_array()
            .and_then(|list| list.first())
            .and_then(|company| company["realm_id"].as_str())
            .expect("the demo company")
            .to_owned();
        let minted: Value = http
            .post(format!("{base}/_emulator/tokens"))
            .json(&json!({ "realm_id": realm }))
            .send()
            .await
            .expect("a token")
            .json()
            .await
            .expect("a token response");
        let token = minted["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned();
        QuickBooks {
            base,
            realm,
            token,
            http,
        }
    }

    /// An emulator at `base` (no trailing slash) and one of its companies.
    pub async fn at(base: &str, realm: &str) -> QuickBooks {
        let http = reqwest::Client::new();
        let minted: Value = http
            .post(format!("{base}/_emulator/tokens"))
            .json(&json!({ "realm_id": realm }))
            .send()
            .await
            .expect("a token")
            .json()
            .await
            .expect("a token response");
        let token = minted["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned();
        QuickBooks {
            base: base.to_owned(),
            realm: realm.to_owned(),
            token,
            http,
        }
    }

    fn url(&self, rest: &str) -> String {
        format!(
            "{}/v3/company/{}/{rest}?minorversion=75",
            self.base, self.realm
        )
    }

    /// The rows of a query.
    pub async fn query(&self, statement: &str, entity: &str) -> Vec<Value> {
        let answer: Value = self
            .http
            .post(self.url("query"))
            .bearer_auth(&self.token)
            .header("Content-Type", "application/text")
            .header("Accept", "application/json")
            .body(statement.to_owned())
            .send()
            .await
            .expect("the query is answered")
            .json()
            .await
            .expect("a query response");
        answer["QueryResponse"][entity]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// One object.
    pub async fn read(&self, entity: &str, id: &str) -> Value {
        let answer: Value = self
            .http
            .get(self.url(&format!("{}/{id}", entity.to_lowercase())))
            .bearer_auth(&self.token)
            .header("Accept", "application/json")
            .send()
            .await
            .expect("the read is answered")
            .json()
            .await
            .expect("an entity");
        answer[entity].clone()
    }

    /// Creates an object, as the client entering it in QuickBooks would.
    pub async fn create(&self, entity: &str, body: Value) -> Value {
        let answer: Value = self
            .http
            .post(self.url(&entity.to_lowercase()))
            .bearer_auth(&self.token)
            .header("Accept", "application/json")
            .json(&body)
            .send()
            .await
            .expect("the create is answered")
            .json()
            .await
            .expect("a create response");
        assert!(
            answer.get(entity).is_some(),
            "QuickBooks took the new {entity}: {answer}"
        );
        answer[entity].clone()
    }

    /// A sparse update of the current version.
    pub async fn edit(&self, entity: &str, id: &str, fields: Value) -> Value {
        let current = self.read(entity, id).await;
        let mut body = fields;
        body["Id"] = current["Id"].clone();
        body["SyncToken"] = current["SyncToken"].clone();
        body["sparse"] = json!(true);
        let answer: Value = self
            .http
            .post(self.url(&entity.to_lowercase()))
            .bearer_auth(&self.token)
            .header("Accept", "application/json")
            .json(&body)
            .send()
            .await
            .expect("the update is answered")
            .json()
            .await
            .expect("an update response");
        assert!(
            answer.get(entity).is_some(),
            "QuickBooks took the edit: {answer}"
        );
        answer[entity].clone()
    }
}

/// The demo company after its first sync, and its first invoice as
/// QuickBooks has it.
pub async fn demo_with_first_invoice(app: &Session) -> (QuickBooks, Value) {
    app.click("welcome-try-demo").await;
    app.wait_for_text("sync-report", "Done:").await;
    let quickbooks = QuickBooks::of(app).await;
    let invoice = quickbooks
        .query("SELECT * FROM Invoice ORDERBY Id MAXRESULTS 1", "Invoice")
        .await
        .remove(0);
    (quickbooks, invoice)
}

/// Finds a record by its number in Records and opens it.
pub async fn open_by_number(app: &Session, number: &str) {
    app.click("nav-records").await;
    app.fill("records-search", number).await;
    app.wait_for_text("records-total", "1").await;
    // WebKitWebDriver refuses to click a table row, so the row's own click
    // handler is run from the page.
    app.script("document.querySelector('[data-testid=records-row]').click(); return true;")
        .await;
}
