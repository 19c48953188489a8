//! The query language end to end: `parse` and `execute` over documents
//! shaped like QBO's, checked against filters and sorts computed here
//! independently, then the same statements over HTTP against a running
//! emulator (GET and POST transport, faults, paging, default filters).

use std::str::FromStr;

use proptest::prelude::*;
use qbo_emulator::index::TypeDocs;
use qbo_emulator::query::{self, QueryOutcome};
use qbo_emulator::{EmulatorConfig, TestServer};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// An invoice shaped like samples/query-invoice.json, with the fields the
/// tests filter on.
fn invoice(id: u32, customer: u32, txn_date: &str, total: &str, updated: &str) -> Value {
    let text = format!(
        r#"{{"Id": "{id}", "SyncToken": "0", "domain": "QBO", "sparse": false,
            "DocNumber": "{doc}", "TxnDate": "{txn_date}", "TotalAmt": {total}, "Balance": {total},
            "CustomerRef": {{"value": "{customer}", "name": "Customer {customer}"}},
            "MetaData": {{"CreateTime": "{updated}", "LastUpdatedTime": "{updated}"}}}}"#,
        doc = 1000 + id,
    );
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn invoices() -> Vec<Value> {
    vec![
        invoice(239, 1, "2015-07-24", "150.0", "2015-07-24T10:38:50-07:00"),
        invoice(240, 2, "2015-07-25", "0", "2015-07-25T09:00:00-07:00"),
        invoice(31, 1, "2015-06-30", "1000000.01", "2015-07-01T06:30:00Z"),
        invoice(4, 12, "2015-07-01", "99.99", "2015-06-30T23:45:00-07:00"),
        invoice(1000, 2, "2015-07-24", "150.00", "2015-07-24T17:38:50Z"),
    ]
}

fn ids(outcome: &QueryOutcome) -> Vec<&str> {
    outcome
        .items
        .iter()
        .map(|item| item["Id"].as_str().unwrap_or_default())
        .collect()
}

/// Runs a statement with `execute` over the documents, and checks that the
/// indexed path (`execute_indexed` over the same documents stored by id)
/// gives the same rows in the same order, and the same count.
fn run(statement: &str, docs: &[Value]) -> Result<QueryOutcome, query::QueryError> {
    let parsed = query::parse(statement)?;
    let outcome = query::execute(&parsed, docs);
    let stored = stored(docs);
    let indexed = query::execute_indexed(&parsed, &stored);
    let indexed_items: Vec<Value> = indexed
        .items
        .iter()
        .map(|item| item.value().clone())
        .collect();
    assert_eq!(indexed_items, outcome.items, "{statement}");
    assert_eq!(indexed.max_results, outcome.max_results, "{statement}");
    assert_eq!(
        indexed.start_position, outcome.start_position,
        "{statement}"
    );
    if parsed.count_only {
        assert_eq!(
            indexed.total_count,
            Some(outcome.total_count),
            "{statement}"
        );
    }
    Ok(outcome)
}

/// The documents as the emulator stores them: by numeric id.
fn stored(docs: &[Value]) -> TypeDocs {
    let mut stored = TypeDocs::default();
    for doc in docs {
        let id = doc["Id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .unwrap_or(0);
        stored.insert(id, doc.clone());
    }
    stored
}

#[test]
fn realistic_invoice_filters() -> TestResult {
    let docs = invoices();
    let outcome = run(
        "SELECT * FROM Invoice WHERE CustomerRef = '1' AND TotalAmt >= '150'",
        &docs,
    )?;
    assert_eq!(ids(&outcome), ["31", "239"]);

    let outcome = run(
        "select * from invoice where TxnDate >= '2015-07-01' AND TxnDate <= '2015-07-24' orderby TxnDate desc",
        &docs,
    )?;
    assert_eq!(ids(&outcome), ["239", "1000", "4"]);

    // 10:38:50-07:00 and 17:38:50Z are one instant.
    let outcome = run(
        "SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime = '2015-07-24T17:38:50Z'",
        &docs,
    )?;
    assert_eq!(ids(&outcome), ["239", "1000"]);
    // 23:45-07:00 on June 30 is 06:45Z on July 1, after 06:30Z.
    let outcome = run(
        "SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime > '2015-07-01T00:00:00-00:00' \
         ORDERBY MetaData.LastUpdatedTime",
        &docs,
    )?;
    assert_eq!(ids(&outcome), ["31", "4", "239", "1000", "240"]);

    let outcome = run(
        "SELECT * FROM Invoice WHERE TotalAmt = 150 ORDERBY Id DESC",
        &docs,
    )?;
    assert_eq!(ids(&outcome), ["1000", "239"]);
    let outcome = run("SELECT * FROM Invoice WHERE DocNumber LIKE '12%'", &docs)?;
    assert_eq!(ids(&outcome), ["239", "240"]);
    let outcome = run(
        "SELECT * FROM Invoice WHERE CustomerRef IN ('12', '2') ORDERBY CustomerRef DESC, TotalAmt",
        &docs,
    )?;
    assert_eq!(ids(&outcome), ["4", "240", "1000"]);
    let outcome = run("SELECT COUNT(*) FROM Invoice WHERE Balance > '0'", &docs)?;
    assert_eq!((outcome.total_count, outcome.items.len()), (4, 0));
    Ok(())
}

#[test]
fn errors_carry_qbos_codes() {
    let error = query::parse("SELECT * FROM Invoice WHERE TotalAmt = 1 OR TotalAmt = 2")
        .err()
        .unwrap_or_else(|| panic!("OR must be refused"));
    assert_eq!(error.code, "4000");
    assert_eq!(error.message, "Error parsing query");
    assert!(error.detail.starts_with("QueryParserError: Encountered"));
    let error = query::parse("SELECT * FROM Invoice MAXRESULTS 5000")
        .err()
        .unwrap_or_else(|| panic!("MAXRESULTS 5000 must be refused"));
    assert_eq!(error.code, "4001");
}

#[derive(Clone, Debug)]
struct Customer {
    name: String,
    balance: Decimal,
    active: bool,
}

fn customer_strategy() -> impl Strategy<Value = Customer> {
    (
        "[A-Za-z' \\\\]{1,8}",
        -100_000i64..100_000,
        0u32..4,
        any::<bool>(),
    )
        .prop_map(|(name, units, scale, active)| Customer {
            name,
            balance: Decimal::new(units, scale),
            active,
        })
}

fn customer_docs(customers: &[Customer]) -> Vec<Value> {
    customers
        .iter()
        .enumerate()
        .map(|(index, customer)| {
            // Built as text so the balance keeps its exact digits.
            let text = format!(
                r#"{{"Id": "{}", "DisplayName": {}, "Balance": {}, "Active": {}}}"#,
                index + 1,
                Value::String(customer.name.clone()),
                customer.balance,
                customer.active
            );
            serde_json::from_str(&text).unwrap_or(Value::Null)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Filtering, the default active filter and paging agree with the same
    /// rules computed here, and the pages together cover every match once.
    #[test]
    fn filters_and_pages_agree_with_an_independent_computation(
        customers in proptest::collection::vec(customer_strategy(), 0..40),
        threshold_units in -100_000i64..100_000,
        page_size in 1usize..7,
    ) {
        let docs = customer_docs(&customers);
        let threshold = Decimal::new(threshold_units, 2);
        let expected: Vec<String> = customers
            .iter()
            .enumerate()
            .filter(|(_, customer)| customer.active && customer.balance > threshold)
            .map(|(index, _)| (index + 1).to_string())
            .collect();

        let count = run(&format!("SELECT COUNT(*) FROM Customer WHERE Balance > {threshold}"), &docs)
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(count.total_count, expected.len());

        let mut seen = Vec::new();
        let mut start = 1;
        loop {
            let statement = format!(
                "SELECT * FROM Customer WHERE Balance > '{threshold}' STARTPOSITION {start} MAXRESULTS {page_size}"
            );
            let page = run(&statement, &docs).map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert_eq!(page.max_results, page.items.len());
            prop_assert!(page.items.len() <= page_size);
            if page.items.is_empty() {
                break;
            }
            seen.extend(ids(&page).into_iter().map(str::to_owned));
            start += page_size;
        }
        prop_assert_eq!(seen, expected);
    }

    /// ORDERBY on a string field, with and without inactive records, matches
    /// a case-insensitive sort with the numeric Id breaking ties.
    #[test]
    fn order_by_name_agrees_with_an_independent_sort(
        customers in proptest::collection::vec(customer_strategy(), 0..30),
    ) {
        let docs = customer_docs(&customers);
        let mut expected: Vec<(String, usize)> = customers
            .iter()
            .enumerate()
            .map(|(index, customer)| (customer.name.to_lowercase(), index + 1))
            .collect();
        expected.sort();
        let expected: Vec<String> = expected.into_iter().map(|(_, id)| id.to_string()).collect();
        let outcome = run(
            "SELECT * FROM Customer WHERE Active IN (true, false) ORDERBY DisplayName MAXRESULTS 1000",
            &docs,
        )
        .map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(ids(&outcome), expected);
    }

    /// A name written with `query::quote` finds exactly the records that
    /// have it, whatever quotes and backslashes it holds.
    #[test]
    fn quoted_names_find_their_records(customers in proptest::collection::vec(customer_strategy(), 1..20), pick in any::<prop::sample::Index>()) {
        let docs = customer_docs(&customers);
        let wanted = &customers[pick.index(customers.len())].name;
        let expected: Vec<String> = customers
            .iter()
            .enumerate()
            .filter(|(_, customer)| customer.name.to_lowercase() == wanted.to_lowercase())
            .map(|(index, _)| (index + 1).to_string())
            .collect();
        let statement = format!(
            "SELECT * FROM Customer WHERE DisplayName = {} AND Active IN (true, false)",
            query::quote(wanted)
        );
        let outcome = run(&statement, &docs).map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(ids(&outcome), expected);
    }
}

/// One step of a workload over one type's documents: a write, or a query
/// whose page from the indexes must equal the page from a full evaluation.
#[derive(Clone, Debug)]
enum Step {
    Put(u64, Value),
    Remove(u64),
    Touch(u64, String),
    Query(String),
}

fn stamp_strategy() -> impl Strategy<Value = String> {
    // Instants in several offsets, some equal, plus the odd odd one out.
    prop_oneof![
        (
            0u32..5,
            0u32..3,
            prop::sample::select(vec!["-07:00", "Z", "+02:00"])
        )
            .prop_map(|(day, hour, zone)| format!("2015-07-0{}T1{hour}:00:00{zone}", day + 1)),
        Just("2015-07-03".to_owned()),
        Just("not a time".to_owned()),
    ]
}

fn doc_strategy(id: u64) -> impl Strategy<Value = Value> {
    (
        prop::option::of(stamp_strategy()),
        prop::option::of(prop::sample::select(vec!["2015-07-01", "2015-06-30", "2015-07-24"])),
        prop::option::of(prop::sample::select(vec!["1001", "1002", "A-7", "a-7", "99"])),
        -300i64..300,
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["Amy", "amy", "Bob", "Zed", " Bob"])),
    )
        .prop_map(move |(updated, date, number, cents, active, name)| {
            let mut doc = json!({"Id": id.to_string(), "TotalAmt": Decimal::new(cents, 2).to_string().parse::<Value>().unwrap_or(Value::Null), "Active": active});
            if let Some(updated) = updated {
                doc["MetaData"] = json!({"LastUpdatedTime": updated});
            }
            if let Some(date) = date {
                doc["TxnDate"] = json!(date);
            }
            if let Some(number) = number {
                doc["DocNumber"] = json!(number);
            }
            if let Some(name) = name {
                doc["DisplayName"] = json!(name);
                doc["CustomerRef"] = json!({"value": (cents.rem_euclid(7)).to_string(), "name": name});
            }
            doc
        })
}

fn statement_strategy() -> impl Strategy<Value = String> {
    let entity = prop::sample::select(vec!["Invoice", "Customer"]);
    let filter = prop::sample::select(vec![
        "",
        "WHERE Id > '12'",
        "WHERE Id >= 5 AND Id < '30'",
        "WHERE Id = '17'",
        "WHERE TotalAmt > '0'",
        "WHERE MetaData.LastUpdatedTime > '2015-07-02T00:00:00-07:00'",
        "WHERE Active = false",
        "WHERE Active IN (true, false) AND DisplayName LIKE 'b%'",
    ]);
    let order = prop::sample::select(vec![
        "",
        "ORDERBY Id",
        "ORDERBY Id DESC",
        "ORDERBY MetaData.LastUpdatedTime",
        "ORDERBY MetaData.LastUpdatedTime DESC",
        "ORDERBY TxnDate DESC, DocNumber",
        "ORDERBY DocNumber",
        "ORDERBY DisplayName, TotalAmt DESC",
        "ORDERBY CustomerRef DESC",
    ]);
    (entity, any::<bool>(), filter, order, 0usize..40, 1usize..12).prop_map(
        |(entity, count, filter, order, start, size)| {
            if count {
                format!("SELECT COUNT(*) FROM {entity} {filter}")
            } else {
                format!("SELECT * FROM {entity} {filter} {order} STARTPOSITION {start} MAXRESULTS {size}")
            }
        },
    )
}

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1u64..40).prop_flat_map(|id| doc_strategy(id).prop_map(move |doc| Step::Put(id, doc))),
        (1u64..40).prop_map(Step::Remove),
        (1u64..40, stamp_strategy()).prop_map(|(id, stamp)| Step::Touch(id, stamp)),
        statement_strategy().prop_map(Step::Query),
        statement_strategy().prop_map(Step::Query),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Writes (creates, replacements, in-place changes of the sort keys,
    /// removals) interleaved with queries: every page the indexes give,
    /// with their cached orders kept up to date from the writes, is the page
    /// a full evaluation of the same documents gives, and is served as the
    /// text of the documents as they are after the writes.
    #[test]
    fn indexed_pages_follow_every_write(steps in proptest::collection::vec(step_strategy(), 1..60)) {
        let mut stored = TypeDocs::default();
        for step in steps {
            match step {
                Step::Put(id, doc) => stored.insert(id, doc),
                Step::Remove(id) => {
                    stored.remove(id);
                }
                Step::Touch(id, stamp) => {
                    if let Some(mut doc) = stored.get_mut(id) {
                        doc.insert("MetaData".to_owned(), json!({"LastUpdatedTime": stamp}));
                        doc.insert("DisplayName".to_owned(), json!("Touched"));
                    }
                }
                Step::Query(statement) => {
                    let parsed = query::parse(&statement).map_err(|error| TestCaseError::fail(error.to_string()))?;
                    let all: Vec<Value> = stored.values().cloned().collect();
                    let expected = query::execute(&parsed, &all);
                    let indexed = query::execute_indexed(&parsed, &stored);
                    let indexed_items: Vec<Value> = indexed.items.iter().map(|item| item.value().clone()).collect();
                    prop_assert_eq!(&indexed_items, &expected.items, "{}", statement);
                    // The page's text, which the documents keep once
                    // written, is that of the documents as they are now.
                    let served = serde_json::to_string(&indexed.items).map_err(|error| TestCaseError::fail(error.to_string()))?;
                    let written = serde_json::to_string(&expected.items).map_err(|error| TestCaseError::fail(error.to_string()))?;
                    prop_assert_eq!(served, written, "{}", statement);
                    if parsed.count_only {
                        prop_assert_eq!(indexed.total_count, Some(expected.total_count), "{}", statement);
                    }
                }
            }
        }
        // The name index follows the same writes.
        let touched: Vec<u64> = stored
            .values()
            .filter(|doc| doc["DisplayName"].as_str().is_some_and(|name| name.trim().eq_ignore_ascii_case("touched")))
            .filter_map(|doc| doc["Id"].as_str()?.parse().ok())
            .collect();
        let named: Vec<u64> = stored.named(qbo_emulator::index::NameField::DisplayName, "TOUCHED").collect();
        prop_assert_eq!(named, touched);
    }
}

#[test]
fn fields_after_the_star_are_accepted_and_change_nothing() -> TestResult {
    let docs = invoices();
    let plain = run("SELECT * FROM Invoice ORDERBY TxnDate", &docs)?;
    // python-quickbooks asks for `SELECT *, Sku FROM Item` on every Item.all().
    let listed = run("SELECT *, Sku FROM Invoice ORDERBY TxnDate", &docs)?;
    let several = run(
        "select *, DocNumber, MetaData.LastUpdatedTime from Invoice ORDERBY TxnDate",
        &docs,
    )?;
    assert_eq!(listed, plain);
    assert_eq!(several, plain);
    assert!(
        query::parse("SELECT Sku FROM Item").is_err(),
        "the star comes first"
    );
    assert!(query::parse("SELECT *, FROM Item").is_err());
    assert!(query::parse("SELECT *, 'x' FROM Item").is_err());
    Ok(())
}

// ---------------------------------------------------------------------------
// Over HTTP

struct Company {
    server: TestServer,
    realm_id: String,
    token: String,
    http: reqwest::Client,
}

impl Company {
    async fn start() -> Company {
        let server = TestServer::start(EmulatorConfig::default()).await;
        let (realm_id, token) = server.connect_company("Query Test Company");
        Company {
            server,
            realm_id,
            token,
            http: reqwest::Client::new(),
        }
    }

    fn create(&self, entity: &str, body: Value) -> Result<Value, String> {
        let emulator = self.server.emulator();
        let now = emulator.clock().now();
        emulator
            .with_company(&self.realm_id, |company| company.create(entity, body, now))
            .ok_or("the company exists")?
            .map_err(|fault| format!("{fault:?}"))
    }

    async fn get(&self, statement: &str) -> Result<(StatusCode, Value), reqwest::Error> {
        let response = self
            .http
            .get(format!("{}/query", self.server.company_url(&self.realm_id)))
            .query(&[("query", statement), ("minorversion", "75")])
            .bearer_auth(&self.token)
            .header("Accept", "application/json")
            .send()
            .await?;
        let status = response.status();
        Ok((status, response.json().await?))
    }

    async fn post(&self, statement: &str) -> Result<(StatusCode, Value), reqwest::Error> {
        let response = self
            .http
            .post(format!("{}/query", self.server.company_url(&self.realm_id)))
            .query(&[("minorversion", "75")])
            .bearer_auth(&self.token)
            .header("Accept", "application/json")
            .header("Content-Type", "application/text")
            .body(statement.to_owned())
            .send()
            .await?;
        let status = response.status();
        Ok((status, response.json().await?))
    }
}

fn names(body: &Value, entity: &str, field: &str) -> Vec<String> {
    body["QueryResponse"][entity]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| item[field].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn quoted_names_over_get_and_post() -> TestResult {
    let company = Company::start().await;
    for name in ["O'Brien Supply", "Back\\slash Books", "Plain Co"] {
        company.create("Customer", json!({ "DisplayName": name }))?;
    }
    let statement = format!(
        "SELECT * FROM Customer WHERE DisplayName = {}",
        query::quote("O'Brien Supply")
    );
    let (status, body) = company.get(&statement).await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(names(&body, "Customer", "DisplayName"), ["O'Brien Supply"]);
    assert_eq!(body["QueryResponse"]["startPosition"], 1);
    assert_eq!(body["QueryResponse"]["maxResults"], 1);
    assert!(body["time"].is_string());

    let statement = format!(
        "select * from customer where DisplayName = {}",
        query::quote("Back\\slash Books")
    );
    let (status, body) = company.post(&statement).await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        names(&body, "Customer", "DisplayName"),
        ["Back\\slash Books"]
    );
    Ok(())
}

#[tokio::test]
async fn counts_paging_and_the_default_active_filter_over_http() -> TestResult {
    let company = Company::start().await;
    let mut created = Vec::new();
    for index in 0..7 {
        let customer = company.create(
            "Customer",
            json!({ "DisplayName": format!("Paged Customer {index}") }),
        )?;
        created.push(customer["Id"].as_str().unwrap_or_default().to_owned());
    }
    // Make one inactive through a sparse update, as a client would.
    let inactive = company.create("Customer", json!({ "DisplayName": "Gone Customer" }))?;
    let now = company.server.emulator().clock().now();
    company
        .server
        .emulator()
        .with_company(&company.realm_id, |c| {
            c.sparse_update(
                "Customer",
                json!({"Id": inactive["Id"], "SyncToken": inactive["SyncToken"], "sparse": true, "Active": false}),
                now,
            )
        })
        .ok_or("the company exists")?
        .map_err(|fault| format!("{fault:?}"))?;

    let (status, body) = company
        .get("SELECT COUNT(*) FROM Customer WHERE DisplayName LIKE 'Paged%'")
        .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["QueryResponse"]["totalCount"], 7);

    let mut seen = Vec::new();
    for start in [1, 4, 7] {
        let (_, body) = company
            .get(&format!(
                "SELECT * FROM Customer WHERE DisplayName LIKE 'Paged%' STARTPOSITION {start} MAXRESULTS 3"
            ))
            .await?;
        assert_eq!(body["QueryResponse"]["startPosition"], start);
        seen.extend(names(&body, "Customer", "Id"));
    }
    let mut expected = created.clone();
    expected.sort_by_key(|id| u64::from_str(id).unwrap_or_default());
    assert_eq!(seen, expected);

    let (_, body) = company
        .get("SELECT * FROM Customer WHERE DisplayName = 'Gone Customer'")
        .await?;
    assert!(
        body["QueryResponse"].get("Customer").is_none(),
        "inactive customers are hidden by default: {body}"
    );
    let (_, body) = company
        .get("SELECT * FROM Customer WHERE DisplayName = 'Gone Customer' AND Active = false")
        .await?;
    assert_eq!(names(&body, "Customer", "DisplayName"), ["Gone Customer"]);

    let (status, body) = company
        .get("SELECT * FROM Customer WHERE DisplayName = 'Nobody'")
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["QueryResponse"], json!({}));
    Ok(())
}

#[tokio::test]
async fn parse_errors_are_validation_faults_over_http() -> TestResult {
    let company = Company::start().await;
    let (status, body) = company
        .get("SELECT * FROM Customer WHERE DisplayName = 'a' OR DisplayName = 'b'")
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["Fault"]["type"], "ValidationFault");
    let error = &body["Fault"]["Error"][0];
    assert_eq!(error["code"], "4000");
    assert_eq!(error["Message"], "Error parsing query");
    assert!(
        error["Detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("QueryParserError: "),
        "{body}"
    );

    let (status, body) = company
        .get("SELECT * FROM Customer WHERE DisplayName = 'O'Brien'")
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["Fault"]["Error"][0]["code"], "4000");
    Ok(())
}

/// How a pull pages a big type: by `Id`, from the last id seen, 1,000 at a
/// time at most. Ids compare as numbers (`'999' < '1000'`), the pages cover
/// every invoice once in id order, and agree with STARTPOSITION paging
/// ordered by LastUpdatedTime as to which invoices there are; a write
/// between two pages shows in the next page's sort.
#[tokio::test]
async fn paging_by_id_and_by_a_sorted_field_over_http() -> TestResult {
    let company = Company::start().await;
    let emulator = company.server.emulator();
    let now = emulator.clock().now();
    emulator
        .with_company(&company.realm_id, |c| {
            qbo_emulator::seed::populate(c, 5, 400, now)
        })
        .ok_or("the company exists")?
        .map_err(|fault| format!("{fault:?}"))?;
    let expected: Vec<u64> = emulator
        .with_company(&company.realm_id, |c| {
            c.all("Invoice")
                .filter_map(|doc| doc["Id"].as_str()?.parse().ok())
                .collect()
        })
        .ok_or("the company exists")?;
    assert!(expected.len() > 60, "{}", expected.len());

    let mut by_id = Vec::new();
    let mut after = 0u64;
    loop {
        let (status, body) = company
            .get(&format!(
                "SELECT * FROM Invoice WHERE Id > '{after}' ORDERBY Id MAXRESULTS 25"
            ))
            .await?;
        assert_eq!(status, StatusCode::OK, "{body}");
        let page: Vec<u64> = names(&body, "Invoice", "Id")
            .iter()
            .filter_map(|id| id.parse().ok())
            .collect();
        let Some(last) = page.last() else {
            break;
        };
        after = *last;
        by_id.extend(page);
    }
    assert_eq!(by_id, expected);

    let mut by_time = Vec::new();
    for start in (1..=expected.len()).step_by(40) {
        let (_, body) = company
            .post(&format!(
                "SELECT * FROM Invoice ORDERBY MetaData.LastUpdatedTime DESC STARTPOSITION {start} MAXRESULTS 40"
            ))
            .await?;
        by_time.extend(
            names(&body, "Invoice", "Id")
                .iter()
                .filter_map(|id| id.parse::<u64>().ok()),
        );
    }
    let mut sorted = by_time.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected, "every invoice once");

    // An update moves an invoice to the front of the newest-first order.
    let oldest = *by_time.last().ok_or("invoices")?;
    let later = now + chrono::Duration::days(400);
    emulator
        .with_company(&company.realm_id, |c| {
            let doc = c.read("Invoice", &oldest.to_string())?;
            c.sparse_update(
                "Invoice",
                json!({"Id": doc["Id"], "SyncToken": doc["SyncToken"], "sparse": true, "PrivateNote": "moved"}),
                later,
            )
        })
        .ok_or("the company exists")?
        .map_err(|fault| format!("{fault:?}"))?;
    let (_, body) = company
        .get("SELECT * FROM Invoice ORDERBY MetaData.LastUpdatedTime DESC MAXRESULTS 1")
        .await?;
    assert_eq!(names(&body, "Invoice", "Id"), [oldest.to_string()]);

    // The select list python-quickbooks sends for items.
    let (status, body) = company.get("SELECT *, Sku FROM Item").await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!names(&body, "Item", "Name").is_empty(), "{body}");
    Ok(())
}
