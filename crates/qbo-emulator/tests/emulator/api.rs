//! The Accounting API v3 core against a real server: entity writes and reads,
//! QBO's computed fields and business rules, linked balances, inventory,
//! multicurrency, faults, authentication, `requestid`, query, and the shapes of
//! Intuit's samples.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use chrono::Duration;
use qbo_emulator::EmulatorConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_client::{Api, id, number, token};

/// A sample QBO response (copies of qbo/samples, sources in samples/SOURCE.md).
pub fn sample(name: &str) -> Value {
    let path = format!(
        "{}/tests/emulator/samples/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("sample {name}: {error}"));
    serde_json::from_str(&text).unwrap()
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

// --- Create, read, server-computed fields -------------------------------------------------

#[tokio::test]
async fn create_assigns_server_fields_and_read_returns_the_same_object() {
    let api = Api::start().await;
    let customer = api
        .create(
            "Customer",
            json!({ "DisplayName": "Amy's Bird Sanctuary", "CompanyName": "Amy's" }),
        )
        .await;
    assert!(customer["Id"].as_str().unwrap().parse::<u64>().is_ok());
    assert_eq!(customer["SyncToken"], "0");
    assert_eq!(customer["domain"], "QBO");
    assert_eq!(customer["sparse"], false);
    assert_eq!(customer["Active"], true);
    assert_eq!(customer["FullyQualifiedName"], "Amy's Bird Sanctuary");
    // MetaData times are the clock's, written with the company's offset.
    assert_eq!(
        customer["MetaData"]["CreateTime"],
        "2025-03-14T10:30:00-07:00"
    );
    assert_eq!(
        customer["MetaData"]["LastUpdatedTime"],
        "2025-03-14T10:30:00-07:00"
    );
    let read = api.read("Customer", &id(&customer)).await;
    assert_eq!(read, customer);
}

#[tokio::test]
async fn every_response_carries_a_json_time_and_an_intuit_tid_header() {
    let api = Api::start().await;
    let good = api
        .http
        .get(api.url("/companyinfo/") + &api.realm)
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(good.status(), StatusCode::OK);
    let first_tid = good.headers()["intuit_tid"].to_str().unwrap().to_owned();
    assert!(!first_tid.is_empty());
    let body: Value = good.json().await.unwrap();
    assert_eq!(body["time"], "2025-03-14T10:30:00.000-07:00");
    assert_eq!(body["CompanyInfo"]["CompanyName"], "Larry's Bakery");

    let missing = api
        .http
        .get(api.url("/invoice/99999"))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let second_tid = missing.headers()["intuit_tid"].to_str().unwrap().to_owned();
    assert_ne!(
        first_tid, second_tid,
        "each response gets its own transaction id"
    );
    let fault: Value = missing.json().await.unwrap();
    assert_eq!(fault["Fault"]["Error"][0]["code"], "610");
    assert_eq!(fault["Fault"]["type"], "ValidationFault");

    let unauthenticated = api.http.get(api.url("/invoice/1")).send().await.unwrap();
    assert!(unauthenticated.headers().contains_key("intuit_tid"));
}

#[tokio::test]
async fn bad_tokens_get_the_gateway_401_and_a_token_for_another_company_gets_403() {
    let api = Api::start().await;
    let sample_body = sample("fault-3200-lowercase-401.json");
    for authorization in [None, Some("Bearer not-a-token")] {
        let mut request = api.http.get(api.url("/preferences"));
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        let (status, body) = api.send(request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            keys(&body),
            keys(&sample_body),
            "the lower-case gateway envelope"
        );
        assert_eq!(body["fault"]["error"][0]["code"], "3200");
        assert_eq!(body["fault"]["type"], "AUTHENTICATION");
        assert!(body["time"].is_i64());
    }
    let (other_realm, _) = api.server.connect_company("Other Co");
    let (status, body) = api
        .send(
            api.http
                .get(format!(
                    "{}/preferences",
                    api.server.company_url(&other_realm)
                ))
                .bearer_auth(&api.token),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["fault"]["error"][0]["code"], "3100");

    // An expired token is refused too.
    api.clock.advance(Duration::hours(2));
    let (status, body) = api.get("/preferences").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["fault"]["error"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn faults_come_as_xml_when_the_client_accepts_xml() {
    let api = Api::start().await;
    let response = api
        .http
        .get(api.url("/invoice/4242"))
        .bearer_auth(&api.token)
        .header("Accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains("<IntuitResponse xmlns=\"http://schema.intuit.com/finance/v3\""),
        "{text}"
    );
    assert!(text.contains("<Fault type=\"ValidationFault\">"));
    assert!(text.contains("<Error code=\"610\">"));
}

#[tokio::test]
async fn any_minor_version_is_accepted_and_low_ones_are_served_as_75() {
    let api = Api::start().await;
    for version in ["4", "75", "80", "not-a-number"] {
        let (status, body) = api
            .send(
                api.http
                    .get(api.url("/preferences"))
                    .query(&[("minorversion", version)])
                    .bearer_auth(&api.token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "minorversion={version}: {body}");
        assert!(body["Preferences"].is_object());
    }
}

// --- Updates and SyncToken ---------------------------------------------------------------

#[tokio::test]
async fn full_update_removes_omitted_fields_and_sparse_update_keeps_them() {
    let api = Api::start().await;
    let created = api
        .create(
            "Customer",
            json!({
                "DisplayName": "Cool Cars",
                "CompanyName": "Cool Cars Inc",
                "Notes": "call before noon",
                "PrimaryEmailAddr": { "Address": "cars@example.com" },
            }),
        )
        .await;
    let customer_id = id(&created);

    let sparse = api
        .create(
            "Customer",
            json!({ "Id": customer_id, "SyncToken": "0", "sparse": true, "Notes": "any time" }),
        )
        .await;
    assert_eq!(sparse["SyncToken"], "1");
    assert_eq!(sparse["Notes"], "any time");
    assert_eq!(
        sparse["CompanyName"], "Cool Cars Inc",
        "sparse keeps fields not sent"
    );
    assert_eq!(sparse["PrimaryEmailAddr"]["Address"], "cars@example.com");
    assert_eq!(
        sparse["MetaData"]["CreateTime"],
        created["MetaData"]["CreateTime"]
    );

    let full = api
        .create(
            "Customer",
            json!({ "Id": customer_id, "SyncToken": "1", "DisplayName": "Cool Cars" }),
        )
        .await;
    assert_eq!(full["SyncToken"], "2");
    for omitted in ["CompanyName", "Notes", "PrimaryEmailAddr"] {
        assert!(
            full.get(omitted).is_none(),
            "full update must clear {omitted}: {full}"
        );
    }
    assert_eq!(api.read("Customer", &customer_id).await, full);
}

#[tokio::test]
async fn sparse_update_replaces_arrays_whole_and_full_update_clears_line_fields() {
    let api = Api::start().await;
    let customer = api.customer("Line Tester").await;
    let item = api.service_item("Gardening").await;
    let class = id(&api.create("Class", json!({ "Name": "East" })).await);
    let invoice = api
        .create(
            "Invoice",
            json!({
                "CustomerRef": { "value": customer },
                "PrivateNote": "keep me",
                "Line": [
                    { "DetailType": "SalesItemLineDetail", "Amount": 10,
                      "SalesItemLineDetail": { "ItemRef": { "value": item }, "ClassRef": { "value": class } } },
                    { "DetailType": "SalesItemLineDetail", "Amount": 20,
                      "SalesItemLineDetail": { "ItemRef": { "value": item } } },
                ],
            }),
        )
        .await;
    assert_eq!(number(&invoice["TotalAmt"]), "30");
    let sparse = api
        .create(
            "Invoice",
            json!({
                "Id": id(&invoice), "SyncToken": token(&invoice), "sparse": true,
                "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 5,
                           "SalesItemLineDetail": { "ItemRef": { "value": item } } }],
            }),
        )
        .await;
    let item_lines: Vec<&Value> = sparse["Line"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| line["DetailType"] == "SalesItemLineDetail")
        .collect();
    assert_eq!(item_lines.len(), 1, "Line replaced whole: {sparse}");
    assert_eq!(number(&sparse["TotalAmt"]), "5");
    assert_eq!(sparse["PrivateNote"], "keep me");

    // A full update that sends the line without its ClassRef loses it (PITFALLS 5).
    let mut line = item_lines[0].clone();
    line["SalesItemLineDetail"]
        .as_object_mut()
        .unwrap()
        .insert("ClassRef".to_owned(), json!({ "value": class }));
    let with_class = api
        .create(
            "Invoice",
            json!({ "Id": id(&invoice), "SyncToken": token(&sparse), "sparse": true, "Line": [line] }),
        )
        .await;
    let mut bare_line = with_class["Line"][0].clone();
    bare_line["SalesItemLineDetail"]
        .as_object_mut()
        .unwrap()
        .remove("ClassRef");
    let full = api
        .create(
            "Invoice",
            json!({
                "Id": id(&invoice), "SyncToken": token(&with_class),
                "CustomerRef": { "value": customer }, "Line": [bare_line],
            }),
        )
        .await;
    assert!(
        full["Line"][0]["SalesItemLineDetail"]
            .get("ClassRef")
            .is_none()
    );
    assert!(
        full.get("PrivateNote").is_none(),
        "full update cleared the memo: {full}"
    );
    assert_eq!(
        full["Line"][0]["Id"], with_class["Line"][0]["Id"],
        "line ids are kept"
    );
}

#[tokio::test]
async fn a_stale_sync_token_is_refused_with_5010_and_changes_nothing() {
    let api = Api::start().await;
    let vendor = api
        .create("Vendor", json!({ "DisplayName": "Bob's Burger Joint" }))
        .await;
    let vendor_id = id(&vendor);
    let updated = api
        .create(
            "Vendor",
            json!({ "Id": vendor_id, "SyncToken": "0", "sparse": true, "AcctNum": "A1" }),
        )
        .await;
    assert_eq!(updated["SyncToken"], "1");
    // A second writer still holding SyncToken 0 loses (PITFALLS 4).
    let (status, error) = api
        .refuse(
            "/vendor",
            &json!({ "Id": vendor_id, "SyncToken": "0", "sparse": true, "AcctNum": "B2" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], "5010");
    assert_eq!(error["Message"], "Stale Object Error");
    assert_eq!(api.read("Vendor", &vendor_id).await["AcctNum"], "A1");
    // SyncToken is required on updates.
    let (_, error) = api
        .refuse(
            "/vendor",
            &json!({ "Id": vendor_id, "sparse": true, "AcctNum": "C3" }),
        )
        .await;
    assert_eq!(error["code"], "2020");
}

// --- Delete, void, inactivate ------------------------------------------------------------

#[tokio::test]
async fn deleting_a_transaction_answers_like_qbo_and_later_reads_give_610() {
    let api = Api::start().await;
    let customer = api.customer("Deleted Txn Customer").await;
    let item = api.service_item("Consulting").await;
    let invoice = api.invoice(&customer, &item, "120.00").await;
    let (status, body) = api
        .post(
            "/invoice?operation=delete",
            &json!({ "Id": id(&invoice), "SyncToken": token(&invoice) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sample_body = sample("delete-invoice.json");
    assert_eq!(keys(&body["Invoice"]), keys(&sample_body["Invoice"]));
    assert_eq!(body["Invoice"]["status"], "Deleted");
    assert_eq!(body["Invoice"]["Id"], invoice["Id"]);
    let (status, fault) = api.get(&format!("/invoice/{}", id(&invoice))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fault["Fault"]["Error"][0]["code"], "610");
    // Deleting again: the object is gone.
    let (_, error) = api
        .refuse(
            "/invoice?operation=delete",
            &json!({ "Id": id(&invoice), "SyncToken": token(&invoice) }),
        )
        .await;
    assert_eq!(error["code"], "610");
}

#[tokio::test]
async fn name_lists_cannot_be_deleted_only_made_inactive() {
    let api = Api::start().await;
    let customer = api
        .create("Customer", json!({ "DisplayName": "Inactive Ike" }))
        .await;
    let (_, error) = api
        .refuse(
            "/customer?operation=delete",
            &json!({ "Id": id(&customer), "SyncToken": "0" }),
        )
        .await;
    assert_eq!(error["code"], "500");
    let inactive = api
        .create(
            "Customer",
            json!({ "Id": id(&customer), "SyncToken": "0", "sparse": true, "Active": false }),
        )
        .await;
    assert_eq!(inactive["Active"], false);
    // Inactive objects are still readable, and a plain query hides them.
    assert_eq!(api.read("Customer", &id(&customer)).await["Active"], false);
    let listed = api.query("select * from Customer").await;
    assert!(listed.get("Customer").is_none(), "{listed}");
    let with_inactive = api
        .query("select * from Customer where Active = false")
        .await;
    assert_eq!(with_inactive["Customer"][0]["Id"], customer["Id"]);
}

#[tokio::test]
async fn references_to_inactive_or_missing_objects_are_refused() {
    let api = Api::start().await;
    let customer = api.customer("Ref Customer").await;
    let expense = api.account("Advertising", "Expense").await;
    let vendor = api.vendor("Ref Vendor").await;
    // Missing account: 2500 Invalid Reference Id.
    let bill = |account: &str| {
        json!({
            "VendorRef": { "value": vendor },
            "Line": [{ "DetailType": "AccountBasedExpenseLineDetail", "Amount": 10,
                       "AccountBasedExpenseLineDetail": { "AccountRef": { "value": account } } }],
        })
    };
    let (status, error) = api.refuse("/bill", &bill("987654")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], "2500");
    assert_eq!(error["Message"], "Invalid Reference Id");
    // Inactive account: 610 Object Not Found, worded as in samples/batch-response.json.
    let account = api.read("Account", &expense).await;
    api.create(
        "Account",
        json!({ "Id": expense, "SyncToken": token(&account), "sparse": true, "Active": false }),
    )
    .await;
    let (_, error) = api.refuse("/bill", &bill(&expense)).await;
    assert_eq!(error["code"], "610");
    let sample_batch = sample("batch-response.json");
    assert_eq!(
        error["Detail"],
        sample_batch["BatchItemResponse"][1]["Fault"]["Error"][0]["Detail"]
    );
    // Inactive customer on an invoice.
    let item = api.service_item("Ref Item").await;
    let stored = api.read("Customer", &customer).await;
    api.create(
        "Customer",
        json!({ "Id": customer, "SyncToken": token(&stored), "sparse": true, "Active": false }),
    )
    .await;
    let (_, error) = api
        .refuse(
            "/invoice",
            &json!({
                "CustomerRef": { "value": customer },
                "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 1,
                           "SalesItemLineDetail": { "ItemRef": { "value": item } } }],
            }),
        )
        .await;
    assert_eq!(error["code"], "610");
}

#[tokio::test]
async fn names_are_unique_across_customers_vendors_and_employees() {
    let api = Api::start().await;
    api.customer("Acme Supplies").await;
    let sample_fault = sample("fault-6240.json");
    for (path, body) in [
        ("/vendor", json!({ "DisplayName": "Acme Supplies" })),
        ("/vendor", json!({ "DisplayName": "  acme supplies " })),
        ("/employee", json!({ "DisplayName": "ACME SUPPLIES" })),
        ("/customer", json!({ "DisplayName": "Acme Supplies" })),
    ] {
        let (status, response) = api.post(path, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}");
        let error = &response["Fault"]["Error"][0];
        assert_eq!(error["code"], "6240");
        assert_eq!(
            error["Message"],
            sample_fault["Fault"]["Error"][0]["Message"]
        );
        assert_eq!(keys(&response["Fault"]), keys(&sample_fault["Fault"]));
    }
    // An inactive vendor still holds its name (PITFALLS 9).
    let vendor = api
        .create("Vendor", json!({ "DisplayName": "Old Vendor" }))
        .await;
    api.create(
        "Vendor",
        json!({ "Id": id(&vendor), "SyncToken": "0", "sparse": true, "Active": false }),
    )
    .await;
    let (_, error) = api
        .refuse("/customer", &json!({ "DisplayName": "Old Vendor" }))
        .await;
    assert_eq!(error["code"], "6240");
    // A name built from its parts counts too, and renaming onto a taken name fails.
    let built = api
        .create(
            "Employee",
            json!({ "GivenName": "Emily", "FamilyName": "Platt" }),
        )
        .await;
    assert_eq!(built["DisplayName"], "Emily Platt");
    let other = api.customer("Someone Else").await;
    let (_, error) = api
        .refuse(
            "/customer",
            &json!({ "Id": other, "SyncToken": "0", "sparse": true, "DisplayName": "Emily Platt" }),
        )
        .await;
    assert_eq!(error["code"], "6240");
}

/// The name check reads an index of names, which must follow every rename:
/// a renamed customer frees its old name and takes its new one, and an
/// update that keeps a name is not a duplicate of itself.
#[tokio::test]
async fn a_rename_frees_the_old_name_and_takes_the_new_one() {
    let api = Api::start().await;
    let customer = api.customer("First Name Ltd").await;
    let renamed = api
        .create(
            "Customer",
            json!({ "Id": customer, "SyncToken": "0", "sparse": true, "DisplayName": " Second Name Ltd " }),
        )
        .await;
    assert_eq!(renamed["DisplayName"], "Second Name Ltd");
    let kept = api
        .create(
            "Customer",
            json!({ "Id": customer, "SyncToken": "1", "sparse": true, "DisplayName": "SECOND name ltd" }),
        )
        .await;
    assert_eq!(kept["SyncToken"], "2");
    let vendor = api
        .create("Vendor", json!({ "DisplayName": "first name ltd" }))
        .await;
    assert_eq!(vendor["DisplayName"], "first name ltd");
    let (_, error) = api
        .refuse("/employee", &json!({ "DisplayName": "Second Name Ltd" }))
        .await;
    assert_eq!(error["code"], "6240");
    // Items keep their names unique per type, by the same index.
    api.service_item("Pruning").await;
    let income = api.account_id_by_name("Services").await;
    let (_, error) = api
        .refuse(
            "/item",
            &json!({ "Name": " pruning", "Type": "Service", "IncomeAccountRef": { "value": income } }),
        )
        .await;
    assert_eq!(error["code"], "6240");
}

// --- Validation codes --------------------------------------------------------------------

#[tokio::test]
async fn required_fields_unknown_properties_and_categories_are_refused_with_qbo_codes() {
    let api = Api::start().await;
    let customer = api.customer("Validation Customer").await;
    let item = api.service_item("Validation Item").await;
    let (_, error) = api
        .refuse("/invoice", &json!({ "CustomerRef": { "value": customer } }))
        .await;
    assert_eq!(error["code"], "2020");
    assert!(error["Detail"].as_str().unwrap().contains("Line"));
    let (_, error) = api
        .refuse(
            "/invoice",
            &json!({ "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 1,
                                "SalesItemLineDetail": { "ItemRef": { "value": item } } }] }),
        )
        .await;
    assert_eq!(error["code"], "2020");
    assert_eq!(error["element"], "CustomerRef");
    // Amount inside the detail is not a SalesItemLineDetail field (2010).
    let (_, error) = api
        .refuse(
            "/invoice",
            &json!({
                "CustomerRef": { "value": customer },
                "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 1,
                           "SalesItemLineDetail": { "ItemRef": { "value": item }, "Amount": 1 } }],
            }),
        )
        .await;
    assert_eq!(error["code"], "2010");
    let (_, error) = api
        .refuse(
            "/customer",
            &json!({ "DisplayName": "X", "FavouriteColour": "red" }),
        )
        .await;
    assert_eq!(error["code"], "2010");
    // Malformed JSON.
    let (status, body) = api
        .send(
            api.http
                .post(api.url("/customer"))
                .bearer_auth(&api.token)
                .header("Content-Type", "application/json")
                .body("{\"DisplayName\": "),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["Fault"]["Error"][0]["code"], "2010");
    // Categories cannot be used in transactions (PITFALLS 8).
    let category = api
        .create("Item", json!({ "Name": "Garden", "Type": "Category" }))
        .await;
    let (_, error) = api
        .refuse(
            "/invoice",
            &json!({
                "CustomerRef": { "value": customer },
                "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 1,
                           "SalesItemLineDetail": { "ItemRef": { "value": id(&category) } } }],
            }),
        )
        .await;
    assert_eq!(error["code"], "6000");
    assert!(
        error["Detail"]
            .as_str()
            .unwrap()
            .contains("Categories cannot be used in transactions")
    );
    // An account needs a type (6010) and an item of type Inventory needs its accounts.
    let (_, error) = api.refuse("/account", &json!({ "Name": "Typeless" })).await;
    assert_eq!(error["code"], "6010");
    let (_, error) = api
        .refuse(
            "/item",
            &json!({ "Name": "Widget", "Type": "Inventory", "QtyOnHand": 1 }),
        )
        .await;
    assert_eq!(error["code"], "2020");
}

#[tokio::test]
async fn journal_entries_must_balance_and_ar_lines_need_a_customer() {
    let api = Api::start().await;
    let depreciation = api.account("Depreciation", "Expense").await;
    let notes = api.account("Notes Payable", "Long Term Liability").await;
    let line = |posting: &str, account: &str, amount: &str| {
        json!({
            "DetailType": "JournalEntryLineDetail",
            "Amount": amount.parse::<Value>().unwrap(),
            "Description": "nov portion of rider insurance",
            "JournalEntryLineDetail": { "PostingType": posting, "AccountRef": { "value": account } },
        })
    };
    let (_, error) = api
        .refuse(
            "/journalentry",
            &json!({ "Line": [line("Debit", &depreciation, "100.00"), line("Credit", &notes, "99.99")] }),
        )
        .await;
    assert_eq!(error["code"], "6000");
    let entry = api
        .create(
            "JournalEntry",
            json!({ "TxnDate": "2015-06-29",
                    "Line": [line("Debit", &depreciation, "100.00"), line("Credit", &notes, "100.00")] }),
        )
        .await;
    // Shape of samples/entity-journalentry.json (JournalEntry has no TotalAmt there).
    let sample_entry = sample("entity-journalentry.json");
    assert_eq!(keys(&entry), keys(&sample_entry["JournalEntry"]));
    assert_eq!(
        keys(&entry["Line"][0]),
        keys(&sample_entry["JournalEntry"]["Line"][0])
    );
    assert_eq!(entry["Line"][0]["Id"], "0");
    assert_eq!(entry["Line"][1]["Id"], "1");
    let receivable = api.account_id_by_name("Accounts Receivable (A/R)").await;
    let (_, error) = api
        .refuse(
            "/journalentry",
            &json!({ "Line": [line("Debit", &receivable, "5"), line("Credit", &notes, "5")] }),
        )
        .await;
    assert_eq!(error["code"], "6000");
}

// --- Sales documents and totals ----------------------------------------------------------

#[tokio::test]
async fn invoice_totals_are_exact_and_the_server_adds_its_lines_and_defaults() {
    let api = Api::start().await;
    let customer = api.customer("Amy's Bird Sanctuary").await;
    let item = api.service_item("Design").await;
    let invoice = api
        .create(
            "Invoice",
            json!({
                "CustomerRef": { "value": customer },
                "TxnDate": "2025-03-01",
                "Line": [
                    { "DetailType": "SalesItemLineDetail", "Description": "Custom Design",
                      "SalesItemLineDetail": { "ItemRef": { "value": item }, "Qty": 4.5, "UnitPrice": 75 } },
                    { "DetailType": "SalesItemLineDetail", "Amount": 0.1,
                      "SalesItemLineDetail": { "ItemRef": { "value": item } } },
                    { "DetailType": "SalesItemLineDetail", "Amount": 0.2,
                      "SalesItemLineDetail": { "ItemRef": { "value": item } } },
                    { "DetailType": "DiscountLineDetail",
                      "DiscountLineDetail": { "PercentBased": true, "DiscountPercent": 10 } },
                ],
            }),
        )
        .await;
    let lines = invoice["Line"].as_array().unwrap();
    assert_eq!(
        number(&lines[0]["Amount"]),
        "337.5",
        "Amount = Qty × UnitPrice"
    );
    assert_eq!(
        lines[3]["DetailType"], "SubTotalLineDetail",
        "subtotal before discounts: {invoice}"
    );
    assert_eq!(number(&lines[3]["Amount"]), "337.8");
    assert_eq!(number(&lines[4]["Amount"]), "33.78");
    assert_eq!(number(&invoice["TotalAmt"]), "304.02");
    assert_eq!(number(&invoice["Balance"]), "304.02");
    assert_eq!(invoice["DocNumber"], "1001");
    assert_eq!(invoice["DueDate"], "2025-03-01");
    assert_eq!(lines[0]["LineNum"], 1);
    assert_eq!(
        lines[0]["SalesItemLineDetail"]["TaxCodeRef"]["value"],
        "NON"
    );
    assert_eq!(lines[0]["SalesItemLineDetail"]["ItemRef"]["name"], "Design");
    assert_eq!(invoice["CustomerRef"]["name"], "Amy's Bird Sanctuary");
    let next = api.invoice(&customer, &item, "1").await;
    assert_eq!(next["DocNumber"], "1002");
    // TxnDate defaults to the company's today.
    assert_eq!(next["TxnDate"], "2025-03-14");
    // Amount ≠ Qty × UnitPrice is 6070.
    let (_, error) = api
        .refuse(
            "/invoice",
            &json!({
                "CustomerRef": { "value": customer },
                "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 10,
                           "SalesItemLineDetail": { "ItemRef": { "value": item }, "Qty": 3, "UnitPrice": 3.33 } }],
            }),
        )
        .await;
    assert_eq!(error["code"], "6070");
}

#[tokio::test]
async fn tax_inclusive_and_exclusive_documents_total_to_the_cent() {
    let api = Api::start().await;
    let customer = api.customer("Tax Customer").await;
    let item = api.service_item("Taxable Work").await;
    let rate = api.server.emulator().with_company(&api.realm, |company| {
        let now = api.clock.now();
        let rate = company
            .create("TaxRate", json!({ "Name": "State 13%", "RateValue": 13 }), now)
            .unwrap();
        company
            .create(
                "TaxCode",
                json!({ "Name": "State", "Taxable": true, "SalesTaxRateList": { "TaxRateDetail": [
                    { "TaxRateRef": { "value": rate["Id"] }, "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0 }
                ] } }),
                now,
            )
            .unwrap()
    });
    let code = id(&rate.unwrap());
    let body = |calculation: &str| {
        json!({
            "CustomerRef": { "value": customer },
            "GlobalTaxCalculation": calculation,
            "TxnTaxDetail": { "TxnTaxCodeRef": { "value": code } },
            "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 100.00,
                       "SalesItemLineDetail": { "ItemRef": { "value": item }, "TaxCodeRef": { "value": "TAX" } } }],
        })
    };
    let excluded = api.create("Invoice", body("TaxExcluded")).await;
    assert_eq!(number(&excluded["TotalAmt"]), "113");
    assert_eq!(number(&excluded["TxnTaxDetail"]["TotalTax"]), "13");
    let included = api.create("Invoice", body("TaxInclusive")).await;
    assert_eq!(
        number(&included["TotalAmt"]),
        "100",
        "PITFALLS 13: inclusive stays 100.00"
    );
    assert_eq!(number(&included["TxnTaxDetail"]["TotalTax"]), "11.5");
    let not_applicable = api.create("Invoice", body("NotApplicable")).await;
    assert_eq!(number(&not_applicable["TotalAmt"]), "100");
}

// --- Linked transactions -----------------------------------------------------------------

#[tokio::test]
async fn payments_reduce_invoice_balances_and_voids_and_deletes_undo_that() {
    let api = Api::start().await;
    let customer = api.customer("Red Rock Diner").await;
    let item = api.service_item("Catering").await;
    let first = api.invoice(&customer, &item, "100.00").await;
    let second = api.invoice(&customer, &item, "50.25").await;
    let payment = api
        .create(
            "Payment",
            json!({
                "CustomerRef": { "value": customer },
                "TotalAmt": 125.25,
                "Line": [
                    { "Amount": 75.00, "LinkedTxn": [{ "TxnId": id(&first), "TxnType": "Invoice" }] },
                    { "Amount": 50.25, "LinkedTxn": [{ "TxnId": id(&second), "TxnType": "Invoice" }] },
                ],
            }),
        )
        .await;
    assert_eq!(number(&payment["UnappliedAmt"]), "0");
    let sample_payment = sample("entity-payment.json");
    assert_eq!(keys(&payment), keys(&sample_payment["Payment"]));
    let first_now = api.read("Invoice", &id(&first)).await;
    assert_eq!(number(&first_now["Balance"]), "25");
    assert_eq!(
        first_now["SyncToken"], "1",
        "the paid invoice changed on the server"
    );
    assert_eq!(first_now["LinkedTxn"][0]["TxnId"], payment["Id"]);
    assert_eq!(first_now["LinkedTxn"][0]["TxnType"], "Payment");
    assert_eq!(
        number(&api.read("Invoice", &id(&second)).await["Balance"]),
        "0"
    );

    // Over-applying is refused.
    let (_, error) = api
        .refuse(
            "/payment",
            &json!({ "CustomerRef": { "value": customer }, "TotalAmt": 30,
                     "Line": [{ "Amount": 30, "LinkedTxn": [{ "TxnId": id(&first), "TxnType": "Invoice" }] }] }),
        )
        .await;
    assert_eq!(error["code"], "6000");

    // Void: the payment stays with zero amounts and the invoices are open again.
    let (status, voided) = api
        .post(
            "/payment?operation=update&include=void",
            &json!({ "Id": id(&payment), "SyncToken": token(&payment), "sparse": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{voided}");
    let voided = &voided["Payment"];
    assert_eq!(number(&voided["TotalAmt"]), "0");
    assert_eq!(voided["PrivateNote"], "Voided");
    assert_eq!(voided["Line"], json!([]));
    let sample_void = sample("void-payment.json");
    for key in keys(&sample_void["Payment"]) {
        assert!(voided.get(&key).is_some(), "voided payment lacks {key}");
    }
    let first_after = api.read("Invoice", &id(&first)).await;
    assert_eq!(number(&first_after["Balance"]), "100");
    assert_eq!(first_after["LinkedTxn"], json!([]));
    assert_eq!(
        number(&api.read("Invoice", &id(&second)).await["Balance"]),
        "50.25"
    );

    // A second payment, deleted: the balance is restored again.
    let again = api
        .create(
            "Payment",
            json!({ "CustomerRef": { "value": customer }, "TotalAmt": 100,
                    "Line": [{ "Amount": 100, "LinkedTxn": [{ "TxnId": id(&first), "TxnType": "Invoice" }] }] }),
        )
        .await;
    assert_eq!(
        number(&api.read("Invoice", &id(&first)).await["Balance"]),
        "0"
    );
    let (status, _) = api
        .post(
            "/payment?operation=delete",
            &json!({ "Id": id(&again), "SyncToken": token(&again) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        number(&api.read("Invoice", &id(&first)).await["Balance"]),
        "100"
    );
}

#[tokio::test]
async fn deleting_a_paid_invoice_leaves_the_payment_unapplied() {
    let api = Api::start().await;
    let customer = api.customer("Unlink Customer").await;
    let item = api.service_item("Unlink Item").await;
    let invoice = api.invoice(&customer, &item, "40").await;
    let payment = api
        .create(
            "Payment",
            json!({ "CustomerRef": { "value": customer }, "TotalAmt": 40,
                    "Line": [{ "Amount": 40, "LinkedTxn": [{ "TxnId": id(&invoice), "TxnType": "Invoice" }] }] }),
        )
        .await;
    let invoice = api.read("Invoice", &id(&invoice)).await;
    let (status, _) = api
        .post(
            "/invoice?operation=delete",
            &json!({ "Id": id(&invoice), "SyncToken": token(&invoice) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let payment = api.read("Payment", &id(&payment)).await;
    assert_eq!(payment["Line"], json!([]));
    assert_eq!(number(&payment["UnappliedAmt"]), "40");
}

#[tokio::test]
async fn bill_payments_reduce_bill_balances_and_a_void_restores_them() {
    let api = Api::start().await;
    let vendor = api.vendor("Bob's Burger Joint").await;
    let advertising = api.account("Advertising", "Expense").await;
    let checking = api.account("Checking", "Bank").await;
    let bill = api
        .create(
            "Bill",
            json!({
                "VendorRef": { "value": vendor },
                "TxnDate": "2014-12-31",
                "Line": [{ "DetailType": "AccountBasedExpenseLineDetail", "Amount": 200.0, "Id": "1",
                           "AccountBasedExpenseLineDetail": { "AccountRef": { "value": advertising } } }],
            }),
        )
        .await;
    let sample_bill = sample("entity-bill.json");
    assert_eq!(keys(&bill), keys(&sample_bill["Bill"]));
    assert_eq!(
        keys(&bill["Line"][0]),
        keys(&sample_bill["Bill"]["Line"][0])
    );
    assert_eq!(
        keys(&bill["Line"][0]["AccountBasedExpenseLineDetail"]),
        keys(&sample_bill["Bill"]["Line"][0]["AccountBasedExpenseLineDetail"])
    );
    assert_eq!(bill["APAccountRef"]["name"], "Accounts Payable (A/P)");
    let payment = api
        .create(
            "BillPayment",
            json!({
                "VendorRef": { "value": vendor },
                "PayType": "Check",
                "TotalAmt": 150,
                "CheckPayment": { "BankAccountRef": { "value": checking } },
                "Line": [{ "Amount": 150, "LinkedTxn": [{ "TxnId": id(&bill), "TxnType": "Bill" }] }],
            }),
        )
        .await;
    let sample_payment = sample("entity-billpayment.json");
    let mut expected = keys(&sample_payment["BillPayment"]);
    expected.remove("PrivateNote");
    let mut actual = keys(&payment);
    actual.remove("APAccountRef");
    assert_eq!(actual, expected);
    let paid = api.read("Bill", &id(&bill)).await;
    assert_eq!(number(&paid["Balance"]), "50");
    assert_eq!(paid["LinkedTxn"][0]["TxnType"], "BillPaymentCheck");
    let (status, voided) = api
        .post(
            "/billpayment?operation=update&include=void",
            &json!({ "Id": id(&payment), "SyncToken": token(&payment), "sparse": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{voided}");
    assert_eq!(number(&voided["BillPayment"]["TotalAmt"]), "0");
    assert_eq!(
        number(&api.read("Bill", &id(&bill)).await["Balance"]),
        "200"
    );
    // Bills cannot be voided through the API.
    let bill_now = api.read("Bill", &id(&bill)).await;
    let (_, error) = api
        .refuse(
            "/bill?operation=void",
            &json!({ "Id": id(&bill), "SyncToken": token(&bill_now) }),
        )
        .await;
    assert_eq!(error["code"], "500");
}

#[tokio::test]
async fn voiding_an_invoice_or_sales_receipt_zeroes_it_like_qbo() {
    let api = Api::start().await;
    let customer = api.customer("Void Customer").await;
    let item = api.service_item("Sod").await;
    let invoice = api.invoice(&customer, &item, "99.99").await;
    let (status, body) = api
        .post(
            "/invoice?operation=void",
            &json!({ "Id": id(&invoice), "SyncToken": token(&invoice) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let voided = &body["Invoice"];
    assert_eq!(number(&voided["TotalAmt"]), "0");
    assert_eq!(number(&voided["Balance"]), "0");
    assert_eq!(voided["PrivateNote"], "Voided");
    assert_eq!(voided["SyncToken"], "1");
    assert_eq!(number(&voided["Line"][0]["Amount"]), "0");
    assert_eq!(
        api.read("Invoice", &id(&invoice)).await,
        *voided,
        "a voided invoice stays readable"
    );

    let receipt = api
        .create(
            "SalesReceipt",
            json!({ "CustomerRef": { "value": customer },
                    "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 35,
                               "SalesItemLineDetail": { "ItemRef": { "value": item }, "Qty": 1, "UnitPrice": 35 } }] }),
        )
        .await;
    let sample_receipt = sample("entity-salesreceipt.json");
    let mut expected = keys(&sample_receipt["SalesReceipt"]);
    expected.remove("CustomField");
    let mut actual = keys(&receipt);
    actual.remove("CustomerRef");
    assert_eq!(actual, expected);
    assert_eq!(receipt["DepositToAccountRef"]["name"], "Undeposited Funds");
    let (status, body) = api
        .post(
            "/salesreceipt?operation=update&include=void",
            &json!({ "Id": id(&receipt), "SyncToken": token(&receipt), "sparse": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sample_void = sample("void-salesreceipt.json");
    for key in keys(&sample_void["SalesReceipt"]) {
        assert!(
            body["SalesReceipt"].get(&key).is_some(),
            "voided receipt lacks {key}"
        );
    }
    assert_eq!(
        body["SalesReceipt"]["Line"][0]["SalesItemLineDetail"]["Qty"],
        0
    );
}

// --- Inventory ---------------------------------------------------------------------------

#[tokio::test]
async fn stock_moves_with_sales_purchases_and_returns_and_may_go_negative() {
    let api = Api::start().await;
    let customer = api.customer("Stock Customer").await;
    let vendor = api.vendor("Stock Vendor").await;
    let item = api.inventory_item("Rock Fountain", 2).await;
    let on_hand = |item: Value| number(&item["QtyOnHand"]);

    let sale = |quantity: i64| {
        json!({
            "CustomerRef": { "value": customer },
            "Line": [{ "DetailType": "SalesItemLineDetail",
                       "SalesItemLineDetail": { "ItemRef": { "value": item }, "Qty": quantity, "UnitPrice": 275 } }],
        })
    };
    let invoice = api.create("Invoice", sale(3)).await;
    assert_eq!(number(&invoice["TotalAmt"]), "825");
    assert_eq!(
        on_hand(api.read("Item", &item).await),
        "-1",
        "negative stock is allowed"
    );

    // Editing the invoice moves only the difference (PITFALLS 15).
    let mut edited = sale(1);
    edited["Id"] = invoice["Id"].clone();
    edited["SyncToken"] = invoice["SyncToken"].clone();
    api.create("Invoice", edited).await;
    assert_eq!(on_hand(api.read("Item", &item).await), "1");

    let purchase_line = |quantity: i64| {
        json!([{ "DetailType": "ItemBasedExpenseLineDetail",
                 "ItemBasedExpenseLineDetail": { "ItemRef": { "value": item }, "Qty": quantity, "UnitPrice": 125 } }])
    };
    api.create(
        "Bill",
        json!({ "VendorRef": { "value": vendor }, "Line": purchase_line(10) }),
    )
    .await;
    assert_eq!(on_hand(api.read("Item", &item).await), "11");
    let checking = api.account("Checking", "Bank").await;
    api.create(
        "Purchase",
        json!({ "PaymentType": "Check", "AccountRef": { "value": checking }, "Line": purchase_line(4) }),
    )
    .await;
    assert_eq!(on_hand(api.read("Item", &item).await), "15");
    api.create(
        "VendorCredit",
        json!({ "VendorRef": { "value": vendor }, "Line": purchase_line(5) }),
    )
    .await;
    assert_eq!(on_hand(api.read("Item", &item).await), "10");
    api.create(
        "CreditMemo",
        json!({ "CustomerRef": { "value": customer },
                "Line": [{ "DetailType": "SalesItemLineDetail",
                           "SalesItemLineDetail": { "ItemRef": { "value": item }, "Qty": 2, "UnitPrice": 275 } }] }),
    )
    .await;
    assert_eq!(on_hand(api.read("Item", &item).await), "12");
    let receipt = api.create("SalesReceipt", sale(2)).await;
    assert_eq!(on_hand(api.read("Item", &item).await), "10");
    // Estimates and purchase orders do not move stock.
    api.create("Estimate", sale(7)).await;
    api.create(
        "PurchaseOrder",
        json!({ "VendorRef": { "value": vendor }, "Line": purchase_line(7) }),
    )
    .await;
    assert_eq!(on_hand(api.read("Item", &item).await), "10");
    // Voids and deletes give the stock back.
    api.post(
        "/salesreceipt?operation=update&include=void",
        &json!({ "Id": id(&receipt), "SyncToken": token(&receipt), "sparse": true }),
    )
    .await;
    assert_eq!(on_hand(api.read("Item", &item).await), "12");
    let invoice = api.read("Invoice", &id(&invoice)).await;
    api.post(
        "/invoice?operation=delete",
        &json!({ "Id": id(&invoice), "SyncToken": token(&invoice) }),
    )
    .await;
    assert_eq!(on_hand(api.read("Item", &item).await), "13");

    // An inventory line needs a quantity (6520).
    let (_, error) = api
        .refuse(
            "/invoice",
            &json!({ "CustomerRef": { "value": customer },
                     "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 5,
                                "SalesItemLineDetail": { "ItemRef": { "value": item } } }] }),
        )
        .await;
    assert_eq!(error["code"], "6520");
}

// --- Multicurrency -----------------------------------------------------------------------

#[tokio::test]
async fn multicurrency_companies_carry_currency_rate_and_home_amounts() {
    let api = Api::start_with(EmulatorConfig {
        multicurrency: true,
        ..EmulatorConfig::default()
    })
    .await;
    let customer = api
        .create(
            "Customer",
            json!({ "DisplayName": "Maple Leaf Ltd", "CurrencyRef": { "value": "CAD" } }),
        )
        .await;
    assert_eq!(customer["CurrencyRef"]["name"], "Canadian Dollar");
    let item = api.service_item("Export Work").await;
    let body = |rate: Option<&str>, currency: &str| {
        let mut invoice = json!({
            "CustomerRef": { "value": id(&customer) },
            "CurrencyRef": { "value": currency },
            "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 100.00,
                       "SalesItemLineDetail": { "ItemRef": { "value": item } } }],
        });
        if let Some(rate) = rate {
            invoice["ExchangeRate"] = rate.parse::<Value>().unwrap();
        }
        invoice
    };
    let (_, error) = api.refuse("/invoice", &body(None, "CAD")).await;
    assert_eq!(error["code"], "2020");
    let (_, error) = api.refuse("/invoice", &body(Some("1"), "USD")).await;
    assert_eq!(
        error["code"], "6000",
        "one foreign currency per transaction (PITFALLS 12)"
    );
    let invoice = api.create("Invoice", body(Some("0.7345"), "CAD")).await;
    assert_eq!(invoice["CurrencyRef"]["value"], "CAD");
    assert_eq!(number(&invoice["ExchangeRate"]), "0.7345");
    assert_eq!(number(&invoice["TotalAmt"]), "100");
    assert_eq!(number(&invoice["HomeTotalAmt"]), "73.45");
    assert_eq!(number(&invoice["HomeBalance"]), "73.45");

    // Multicurrency cannot be switched off.
    let (status, prefs) = api.get("/preferences").await;
    assert_eq!(status, StatusCode::OK);
    let (_, error) = api
        .refuse(
            "/preferences",
            &json!({ "SyncToken": prefs["Preferences"]["SyncToken"], "sparse": true,
                     "CurrencyPrefs": { "MultiCurrencyEnabled": false } }),
        )
        .await;
    assert_eq!(error["code"], "6000");

    // Without multicurrency, a foreign currency is refused and no currency fields are added.
    let plain = Api::start().await;
    let (_, error) = plain
        .refuse(
            "/customer",
            &json!({ "DisplayName": "Maple", "CurrencyRef": { "value": "CAD" } }),
        )
        .await;
    assert_eq!(error["code"], "6000");
    let customer = plain.customer("Home Customer").await;
    let item = plain.service_item("Home Work").await;
    let invoice = plain.invoice(&customer, &item, "10").await;
    assert!(invoice.get("CurrencyRef").is_none() && invoice.get("HomeTotalAmt").is_none());
}

// --- requestid ---------------------------------------------------------------------------

#[tokio::test]
async fn a_replayed_requestid_returns_the_first_response_and_creates_nothing() {
    let api = Api::start().await;
    let body = json!({ "DisplayName": "Exactly Once Ltd" });
    let (first_status, first) = api
        .post(
            "/customer?requestid=4f1c2a9e0b7d4c55&minorversion=75",
            &body,
        )
        .await;
    assert_eq!(first_status, StatusCode::OK);
    api.clock.advance(Duration::seconds(30));
    // A retry after the commit (PITFALLS 3) returns the same body, time included.
    let (second_status, second) = api
        .post(
            "/customer?requestid=4f1c2a9e0b7d4c55&minorversion=75",
            &body,
        )
        .await;
    assert_eq!(second_status, StatusCode::OK);
    assert_eq!(first, second);
    let count = api.query("select count(*) from Customer").await;
    assert_eq!(count["totalCount"], 1);
    // A fault is replayed as well, even after the cause is gone.
    let vendor = api.vendor("Replay Vendor").await;
    let stale = json!({ "Id": vendor, "SyncToken": "7", "sparse": true, "AcctNum": "1" });
    let (status, fault) = api.post("/vendor?requestid=stale-1", &stale).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fixed = json!({ "Id": vendor, "SyncToken": "0", "sparse": true, "AcctNum": "1" });
    let (status, replayed) = api.post("/vendor?requestid=stale-1", &fixed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(replayed, fault);
    // A new id runs the write; ids longer than 50 characters are refused.
    let (status, _) = api.post("/vendor?requestid=stale-2", &fixed).await;
    assert_eq!(status, StatusCode::OK);
    let long_id = "x".repeat(51);
    let (status, _) = api
        .post(
            &format!("/customer?requestid={long_id}"),
            &json!({ "DisplayName": "Long" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn requestids_are_per_company_and_bounded() {
    let api = Api::start_with(EmulatorConfig {
        requestid_capacity: 2,
        ..EmulatorConfig::default()
    })
    .await;
    let (other_realm, other_token) = api.server.connect_company("Second Company");
    let body = json!({ "DisplayName": "Same Request" });
    let (status, _) = api.post("/customer?requestid=shared", &body).await;
    assert_eq!(status, StatusCode::OK);
    let (status, other) = api
        .send(
            api.http
                .post(format!(
                    "{}/customer?requestid=shared",
                    api.server.company_url(&other_realm)
                ))
                .bearer_auth(&other_token)
                .json(&body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{other}");
    // After two newer ids the oldest is forgotten, so the same id writes again (6240 here).
    api.post(
        "/customer?requestid=second",
        &json!({ "DisplayName": "Two" }),
    )
    .await;
    api.post(
        "/customer?requestid=third",
        &json!({ "DisplayName": "Three" }),
    )
    .await;
    let (status, body) = api.post("/customer?requestid=shared", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["Fault"]["Error"][0]["code"], "6240");
}

// --- Query ---------------------------------------------------------------------------------

#[tokio::test]
async fn query_answers_in_qbo_shapes_by_get_and_post() {
    let api = Api::start().await;
    for name in ["Ann", "Bob", "O'Brien"] {
        api.customer(name).await;
    }
    let page = api
        .query("select * from Customer orderby DisplayName startposition 2 maxresults 1")
        .await;
    assert_eq!(page["startPosition"], 2);
    assert_eq!(page["maxResults"], 1);
    assert_eq!(page["Customer"][0]["DisplayName"], "Bob");
    assert!(page.get("totalCount").is_none());
    let sample_page = sample("query-vendor-recorded.json");
    assert_eq!(keys(&page), {
        let mut expected = keys(&sample_page["QueryResponse"]);
        expected.remove("Vendor");
        expected.insert("Customer".to_owned());
        expected
    });
    let escaped = api
        .query("select * from Customer where DisplayName = 'O\\'Brien'")
        .await;
    assert_eq!(escaped["Customer"][0]["DisplayName"], "O'Brien");
    let count = api.query("SELECT COUNT(*) FROM Customer").await;
    assert_eq!(
        keys(&count),
        keys(&sample("query-count.json")["QueryResponse"])
    );
    assert_eq!(count["totalCount"], 3);
    let past_end = api.query("select * from Customer startposition 50").await;
    assert_eq!(past_end, json!({}));

    let (status, posted) = api
        .send(
            api.http
                .post(api.url("/query?minorversion=75"))
                .bearer_auth(&api.token)
                .header("Content-Type", "application/text")
                .body("select * from Account where AccountType = 'Accounts Payable'"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        posted["QueryResponse"]["Account"][0]["Name"],
        "Accounts Payable (A/P)"
    );

    let (status, fault) = api
        .send(
            api.http
                .get(api.url("/query"))
                .query(&[("query", "select * frm Customer")])
                .bearer_auth(&api.token),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fault["Fault"]["Error"][0]["code"], "4000");
    assert_eq!(fault["Fault"]["type"], "ValidationFault");
}

// --- Settings ------------------------------------------------------------------------------

#[tokio::test]
async fn company_info_and_preferences_read_and_update() {
    let api = Api::start().await;
    let (status, info) = api.get(&format!("/companyinfo/{}", api.realm)).await;
    assert_eq!(status, StatusCode::OK);
    let sample_info = sample("entity-companyinfo.json");
    for key in [
        "CompanyName",
        "LegalName",
        "CompanyAddr",
        "Country",
        "FiscalYearStartMonth",
        "NameValue",
        "SyncToken",
        "MetaData",
        "Id",
    ] {
        assert!(
            info["CompanyInfo"].get(key).is_some(),
            "CompanyInfo lacks {key}"
        );
        assert!(sample_info["CompanyInfo"].get(key).is_some());
    }
    let (status, prefs) = api.get("/preferences").await;
    assert_eq!(status, StatusCode::OK);
    let sample_prefs = sample("entity-preferences.json");
    assert_eq!(
        keys(&prefs["Preferences"]["SalesFormsPrefs"]),
        keys(&sample_prefs["Preferences"]["SalesFormsPrefs"])
    );
    assert_eq!(
        prefs["Preferences"]["CurrencyPrefs"]["MultiCurrencyEnabled"],
        false
    );

    // Turning on custom transaction numbers stops automatic DocNumbers.
    let (status, updated) = api
        .post(
            "/preferences",
            &json!({ "SyncToken": prefs["Preferences"]["SyncToken"], "sparse": true,
                     "SalesFormsPrefs": { "CustomTxnNumbers": true } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        updated["Preferences"]["SalesFormsPrefs"]["CustomTxnNumbers"],
        true
    );
    assert_eq!(
        updated["Preferences"]["SalesFormsPrefs"]["AllowDeposit"], true,
        "other settings kept"
    );
    let customer = api.customer("Numbering").await;
    let item = api.service_item("Numbered").await;
    let invoice = api.invoice(&customer, &item, "5").await;
    assert!(invoice.get("DocNumber").is_none());

    let renamed = api
        .create(
            "CompanyInfo",
            json!({ "Id": "1", "SyncToken": info["CompanyInfo"]["SyncToken"], "sparse": true, "CompanyName": "Larry's Bakery & Cafe" }),
        )
        .await;
    assert_eq!(renamed["CompanyName"], "Larry's Bakery & Cafe");
    assert_eq!(renamed["LegalName"], "Larry's Bakery");
}

// --- Shapes of Intuit's samples ------------------------------------------------------------

#[tokio::test]
async fn created_entities_have_the_key_sets_of_intuits_samples() {
    let api = Api::start().await;
    let customer = api.customer("Cool Cars").await;
    let vendor = api.vendor("Hicks Hardware").await;
    let item = api.service_item("Pest Control").await;
    let bank = api.account("Bank Charges", "Expense").await;

    let term = api
        .create("Term", json!({ "Name": "Term120", "DueDays": 120 }))
        .await;
    let class = api.create("Class", json!({ "Name": "France" })).await;
    let department = api
        .create("Department", json!({ "Name": "Marketing Department" }))
        .await;
    let method = api
        .create(
            "PaymentMethod",
            json!({ "Name": "Business Check", "Type": "NON_CREDIT_CARD" }),
        )
        .await;
    let service = api.read("Item", &item).await;
    for (entity, value, file) in [
        ("Term", &term, "entity-term.json"),
        ("Class", &class, "entity-class.json"),
        ("Department", &department, "entity-department.json"),
        ("PaymentMethod", &method, "entity-paymentmethod.json"),
        ("Item", &service, "entity-item-service.json"),
    ] {
        assert_eq!(keys(value), keys(&sample(file)[entity]), "{entity}");
    }

    let estimate = api
        .create(
            "Estimate",
            json!({
                "CustomerRef": { "value": customer },
                "Line": [
                    { "DetailType": "SalesItemLineDetail", "Amount": 35.0, "Description": "Pest Control Services",
                      "SalesItemLineDetail": { "ItemRef": { "value": item }, "Qty": 1, "UnitPrice": 35 } },
                    { "DetailType": "DiscountLineDetail",
                      "DiscountLineDetail": { "PercentBased": true, "DiscountPercent": 10 } },
                ],
            }),
        )
        .await;
    assert_eq!(number(&estimate["TotalAmt"]), "31.5");
    let mut expected = keys(&sample("entity-estimate.json")["Estimate"]);
    for absent in [
        "BillEmail",
        "CustomerMemo",
        "ShipAddr",
        "BillAddr",
        "ProjectRef",
        "CustomField",
    ] {
        expected.remove(absent);
    }
    assert_eq!(keys(&estimate), expected);

    let memo = api
        .create(
            "CreditMemo",
            json!({ "CustomerRef": { "value": customer },
                    "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 50.0,
                               "SalesItemLineDetail": { "ItemRef": { "value": item } } }] }),
        )
        .await;
    let mut expected = keys(&sample("entity-creditmemo.json")["CreditMemo"]);
    for absent in ["BillAddr", "ShipAddr", "ProjectRef", "CustomField"] {
        expected.remove(absent);
    }
    assert_eq!(keys(&memo), expected);
    assert_eq!(number(&memo["RemainingCredit"]), "50");

    let credit = api
        .create(
            "VendorCredit",
            json!({ "VendorRef": { "value": vendor },
                    "Line": [{ "DetailType": "AccountBasedExpenseLineDetail", "Amount": 90.0,
                               "AccountBasedExpenseLineDetail": { "AccountRef": { "value": bank } } }] }),
        )
        .await;
    assert_eq!(
        keys(&credit),
        keys(&sample("entity-vendorcredit.json")["VendorCredit"])
    );

    let order = api
        .create(
            "PurchaseOrder",
            json!({ "VendorRef": { "value": vendor },
                    "Line": [{ "DetailType": "ItemBasedExpenseLineDetail", "Amount": 25.0,
                               "ItemBasedExpenseLineDetail": { "ItemRef": { "value": item }, "Qty": 1, "UnitPrice": 25,
                                                               "CustomerRef": { "value": customer } } }] }),
        )
        .await;
    let mut expected = keys(&sample("entity-purchaseorder.json")["PurchaseOrder"]);
    expected.remove("CustomField");
    expected.insert("POStatus".to_owned());
    assert_eq!(keys(&order), expected);
    let sample_detail = &sample("entity-purchaseorder.json")["PurchaseOrder"]["Line"][0]["ItemBasedExpenseLineDetail"];
    assert_eq!(
        keys(&order["Line"][0]["ItemBasedExpenseLineDetail"]),
        keys(sample_detail)
    );

    let invoice = api.invoice(&customer, &item, "100.0").await;
    let mut expected = keys(&sample("entity-invoice.json")["Invoice"]);
    for absent in ["ShipAddr", "BillAddr", "ProjectRef", "CustomField"] {
        expected.remove(absent);
    }
    assert_eq!(keys(&invoice), expected);
    let sample_invoice = sample("entity-invoice.json");
    assert_eq!(
        keys(&invoice["Line"][0]),
        keys(&sample_invoice["Invoice"]["Line"][0])
    );
    let subtotal = &invoice["Line"][1];
    let sample_subtotal = &sample_invoice["Invoice"]["Line"][1];
    assert_eq!(
        keys(subtotal),
        keys(sample_subtotal),
        "the generated subtotal line"
    );
    assert_eq!(
        subtotal["SubTotalLineDetail"],
        sample_subtotal["SubTotalLineDetail"]
    );
    assert_eq!(
        number(&subtotal["Amount"]),
        number(&sample_subtotal["Amount"])
    );
}

// --- QBO's quirks around sparse updates, deposits and terms ------------------------------

#[tokio::test]
async fn some_sparse_bodies_need_required_fields_and_deposits_ignore_sparse() {
    let api = Api::start().await;
    let checking = api.account("Checking", "Bank").await;
    let supplies = api.account("Office Supplies", "Expense").await;
    let purchase = api
        .create(
            "Purchase",
            json!({
                "PaymentType": "Check",
                "AccountRef": { "value": checking },
                "Line": [{ "DetailType": "AccountBasedExpenseLineDetail", "Amount": 150.00,
                           "AccountBasedExpenseLineDetail": { "AccountRef": { "value": supplies } } }],
            }),
        )
        .await;
    // A Line-only sparse Purchase is refused (PITFALLS 5) …
    let (_, error) = api
        .refuse(
            "/purchase",
            &json!({ "Id": id(&purchase), "SyncToken": "0", "sparse": true, "PrivateNote": "Q1" }),
        )
        .await;
    assert_eq!(error["code"], "2020");
    assert_eq!(error["element"], "PaymentType");
    // … and accepted with its required fields.
    let updated = api
        .create(
            "Purchase",
            json!({ "Id": id(&purchase), "SyncToken": "0", "sparse": true, "PaymentType": "Check",
                    "AccountRef": { "value": checking }, "PrivateNote": "Q1" }),
        )
        .await;
    assert_eq!(updated["PrivateNote"], "Q1");
    assert_eq!(number(&updated["TotalAmt"]), "150");

    let interest = api.account("Interest Income", "Other Income").await;
    let deposit = api
        .create(
            "Deposit",
            json!({
                "DepositToAccountRef": { "value": checking },
                "Line": [{ "DetailType": "DepositLineDetail", "Amount": 500.00,
                           "DepositLineDetail": { "AccountRef": { "value": interest } } }],
            }),
        )
        .await;
    assert_eq!(number(&deposit["TotalAmt"]), "500");
    // Deposits treat a sparse body as a full update.
    let (_, error) = api
        .refuse(
            "/deposit",
            &json!({ "Id": id(&deposit), "SyncToken": "0", "sparse": true, "PrivateNote": "January" }),
        )
        .await;
    assert_eq!(error["code"], "2020");
}

#[tokio::test]
async fn deposited_payments_cannot_be_deleted_and_due_dates_follow_terms() {
    let api = Api::start().await;
    let customer = api.customer("Deposit Customer").await;
    let item = api.service_item("Deposit Item").await;
    let net30 = api
        .create("Term", json!({ "Name": "Net 30", "DueDays": 30 }))
        .await;
    let invoice = api
        .create(
            "Invoice",
            json!({
                "CustomerRef": { "value": customer },
                "TxnDate": "2025-01-31",
                "SalesTermRef": { "value": id(&net30) },
                "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 80,
                           "SalesItemLineDetail": { "ItemRef": { "value": item } } }],
            }),
        )
        .await;
    assert_eq!(invoice["DueDate"], "2025-03-02");
    let payment = api
        .create(
            "Payment",
            json!({ "CustomerRef": { "value": customer }, "TotalAmt": 80,
                    "Line": [{ "Amount": 80, "LinkedTxn": [{ "TxnId": id(&invoice), "TxnType": "Invoice" }] }] }),
        )
        .await;
    let checking = api.account("Checking", "Bank").await;
    let deposit = api
        .create(
            "Deposit",
            json!({
                "DepositToAccountRef": { "value": checking },
                "Line": [{ "Amount": 80, "LinkedTxn": [{ "TxnId": id(&payment), "TxnType": "Payment" }] }],
            }),
        )
        .await;
    assert_eq!(number(&deposit["TotalAmt"]), "80");
    let (_, error) = api
        .refuse(
            "/payment?operation=delete",
            &json!({ "Id": id(&payment), "SyncToken": token(&payment) }),
        )
        .await;
    assert_eq!(error["code"], "6540");
    // Once the deposit is gone the payment can go.
    let (status, _) = api
        .post(
            "/deposit?operation=delete",
            &json!({ "Id": id(&deposit), "SyncToken": token(&deposit) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = api
        .post(
            "/payment?operation=delete",
            &json!({ "Id": id(&payment), "SyncToken": token(&payment) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        number(&api.read("Invoice", &id(&invoice)).await["Balance"]),
        "80"
    );
}

#[tokio::test]
async fn every_committed_change_reaches_the_webhook_notifier_once() {
    let api = Api::start().await;
    let notifier = api.server.emulator().notifier().clone();
    notifier.configure(
        Some("http://127.0.0.1:9/webhooks".to_owned()),
        "verifier".to_owned(),
        qbo_emulator::webhooks::WebhookFormat::Legacy,
    );
    let before = notifier.counters().events_recorded;
    let customer = api.customer("Webhook Customer").await;
    let item = api.service_item("Webhook Item").await;
    let invoice = api.invoice(&customer, &item, "10").await;
    assert_eq!(notifier.counters().events_recorded - before, 3);
    // A payment is one change, and the invoice it pays is another.
    api.create(
        "Payment",
        json!({ "CustomerRef": { "value": customer }, "TotalAmt": 10,
                "Line": [{ "Amount": 10, "LinkedTxn": [{ "TxnId": id(&invoice), "TxnType": "Invoice" }] }] }),
    )
    .await;
    assert_eq!(notifier.counters().events_recorded - before, 5);
    // A refused write and a requestid replay change nothing and notify nothing.
    api.post("/customer", &json!({ "DisplayName": "Webhook Customer" }))
        .await;
    api.post(
        "/customer?requestid=hook-1",
        &json!({ "DisplayName": "Hooked" }),
    )
    .await;
    api.post(
        "/customer?requestid=hook-1",
        &json!({ "DisplayName": "Hooked" }),
    )
    .await;
    assert_eq!(notifier.counters().events_recorded - before, 6);
}

#[tokio::test]
async fn customer_and_vendor_balances_follow_their_open_transactions() {
    let api = Api::start().await;
    let parent = api.customer("Parent Co").await;
    let job = id(&api
        .create(
            "Customer",
            json!({ "DisplayName": "Parent Co Job", "ParentRef": { "value": parent }, "Job": true }),
        )
        .await);
    let item = api.service_item("Balance Work").await;
    let invoice = api.invoice(&parent, &item, "100.10").await;
    api.invoice(&job, &item, "20").await;
    let balance = |customer: Value| {
        (
            number(&customer["Balance"]),
            number(&customer["BalanceWithJobs"]),
        )
    };
    let read_parent = api.read("Customer", &parent).await;
    assert_eq!(
        balance(read_parent.clone()),
        ("100.1".to_owned(), "120.1".to_owned())
    );
    assert_eq!(
        read_parent["SyncToken"], "0",
        "a derived balance does not bump the SyncToken"
    );
    assert_eq!(read_parent["Job"], false);
    let job_doc = api.read("Customer", &job).await;
    assert_eq!(job_doc["FullyQualifiedName"], "Parent Co:Parent Co Job");
    assert_eq!(job_doc["Job"], true);
    // A partial payment with money left over, and a credit memo.
    api.create(
        "Payment",
        json!({ "CustomerRef": { "value": parent }, "TotalAmt": 60,
                "Line": [{ "Amount": 50, "LinkedTxn": [{ "TxnId": id(&invoice), "TxnType": "Invoice" }] }] }),
    )
    .await;
    api.create(
        "CreditMemo",
        json!({ "CustomerRef": { "value": parent },
                "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 5,
                           "SalesItemLineDetail": { "ItemRef": { "value": item } } }] }),
    )
    .await;
    // 100.10 − 50 applied − 10 unapplied − 5 credit = 35.10.
    assert_eq!(
        balance(api.read("Customer", &parent).await),
        ("35.1".to_owned(), "55.1".to_owned())
    );

    let vendor = api.vendor("Balance Vendor").await;
    let expense = api.account("Balance Expense", "Expense").await;
    let bill = api
        .create(
            "Bill",
            json!({ "VendorRef": { "value": vendor },
                    "Line": [{ "DetailType": "AccountBasedExpenseLineDetail", "Amount": 75,
                               "AccountBasedExpenseLineDetail": { "AccountRef": { "value": expense } } }] }),
        )
        .await;
    assert_eq!(number(&api.read("Vendor", &vendor).await["Balance"]), "75");
    let bill = api.read("Bill", &id(&bill)).await;
    api.post(
        "/bill?operation=delete",
        &json!({ "Id": id(&bill), "SyncToken": token(&bill) }),
    )
    .await;
    assert_eq!(number(&api.read("Vendor", &vendor).await["Balance"]), "0");
}

#[tokio::test]
async fn a_balance_follows_an_invoice_edited_moved_to_another_customer_and_deleted() {
    let api = Api::start().await;
    let first = api.customer("First Customer").await;
    let second = api.customer("Second Customer").await;
    let item = api.service_item("Moving Work").await;
    let balance = |customer: Value| number(&customer["Balance"]);
    let invoice = api.invoice(&first, &item, "100").await;
    for _ in 0..3 {
        api.invoice(&first, &item, "1").await;
    }
    assert_eq!(balance(api.read("Customer", &first).await), "103");

    // A new amount moves the balance by the difference only.
    let (status, edited) = api
        .post(
            "/invoice",
            &json!({
                "Id": id(&invoice), "SyncToken": token(&invoice), "sparse": true,
                "Line": [{ "Amount": 150, "DetailType": "SalesItemLineDetail",
                           "SalesItemLineDetail": { "ItemRef": { "value": item }, "Qty": 1, "UnitPrice": 150 } }]
            }),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(balance(api.read("Customer", &first).await), "153");

    // Another customer: both balances are summed again.
    let edited = edited["Invoice"].clone();
    let (status, moved) = api
        .post(
            "/invoice",
            &json!({ "Id": id(&edited), "SyncToken": token(&edited), "sparse": true,
                     "CustomerRef": { "value": second } }),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(balance(api.read("Customer", &first).await), "3");
    assert_eq!(balance(api.read("Customer", &second).await), "150");

    let moved = moved["Invoice"].clone();
    let (status, deleted) = api
        .post(
            "/invoice?operation=delete",
            &json!({ "Id": id(&moved), "SyncToken": token(&moved) }),
        )
        .await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(balance(api.read("Customer", &second).await), "0");
}
