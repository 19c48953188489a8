//! The typed entity model: QBO's samples and a seeded emulator company
//! round-trip through it without losing or changing a field, money stays
//! exact, and a full update built from a typed entity keeps every field.

// Test helpers unwrap: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use chrono::NaiveDate;
use futures::StreamExt;
use proptest::prelude::*;
use qbo_client::model::{
    Account, Customer, Entity, EntityType, Invoice, Item, JournalEntry, Line, ModelError,
    QboEntity, Ref, Vendor, sum_amounts,
};
use qbo_client::{QboClient, Query, RequestId};
use qbo_emulator::{EmulatorConfig, TestServer};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{Emulator, EmulatorTokens};

/// The recorded QBO entity samples (copied into this crate, see SOURCE.md there).
fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/client/samples")
}

/// Every `entity-*.json` sample as (file name, entity type, inner object).
fn entity_samples() -> Vec<(String, EntityType, Value)> {
    let mut samples = Vec::new();
    for entry in std::fs::read_dir(samples_dir()).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(file.starts_with("entity-") && file.ends_with(".json")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let Value::Object(envelope) = serde_json::from_str::<Value>(&text).unwrap() else {
            panic!("{file} is not an object");
        };
        // The envelope is `{"Invoice": {…}}`, sometimes with a `time` beside it.
        let (entity_type, object) = envelope
            .into_iter()
            .find_map(|(key, value)| Some((EntityType::from_str(&key).ok()?, value)))
            .unwrap_or_else(|| panic!("{file} holds no known entity"));
        samples.push((file, entity_type, object));
    }
    samples.sort_by(|left, right| left.0.cmp(&right.0));
    samples
}

/// Whether two JSON values are equal member for member, with numbers
/// compared by their exact text (serde_json's `arbitrary_precision`), and
/// the first path where they differ.
fn first_difference(path: &str, left: &Value, right: &Value) -> Option<String> {
    match (left, right) {
        (Value::Object(left), Value::Object(right)) => {
            for (key, value) in left {
                let here = format!("{path}.{key}");
                match right.get(key) {
                    Some(other) => {
                        if let Some(found) = first_difference(&here, value, other) {
                            return Some(found);
                        }
                    }
                    None => return Some(format!("{here} is missing")),
                }
            }
            right
                .keys()
                .find(|key| !left.contains_key(*key))
                .map(|key| format!("{path}.{key} was added"))
        }
        (Value::Array(left), Value::Array(right)) => {
            if left.len() != right.len() {
                return Some(format!(
                    "{path} has {} items, not {}",
                    right.len(),
                    left.len()
                ));
            }
            left.iter()
                .zip(right)
                .enumerate()
                .find_map(|(index, (left, right))| {
                    first_difference(&format!("{path}[{index}]"), left, right)
                })
        }
        (Value::Number(left_number), Value::Number(right_number)) => (left_number.to_string()
            != right_number.to_string())
        .then(|| format!("{path}: {left_number} became {right_number}")),
        _ => (left != right).then(|| format!("{path}: {left} became {right}")),
    }
}

fn assert_round_trip(label: &str, entity_type: EntityType, original: &Value) -> Entity {
    let entity = Entity::from_json(entity_type, original.clone())
        .unwrap_or_else(|error| panic!("{label}: {error}"));
    assert_eq!(entity.entity_type(), entity_type);
    let written = entity.to_json().unwrap();
    if let Some(difference) = first_difference(entity_type.name(), original, &written) {
        panic!("{label} does not round-trip: {difference}");
    }
    assert_eq!(&written, original, "{label}");
    assert_typed_slots_used(label, &entity, original);
    entity
}

/// Members the model names must land in their typed fields, not in
/// `extra`: a misspelt field name would still round-trip, but untyped.
fn assert_typed_slots_used(label: &str, entity: &Entity, original: &Value) {
    let mut named = vec!["Id", "SyncToken", "MetaData"];
    if entity.entity_type().is_transaction() {
        named.extend(["DocNumber", "TxnDate", "PrivateNote", "TotalAmt", "Line"]);
    }
    for member in named {
        assert!(
            !entity.extra().contains_key(member),
            "{label}: {member} fell into extra"
        );
    }
    let lines = original["Line"].as_array().cloned().unwrap_or_default();
    for (index, line) in lines.iter().enumerate() {
        let typed: Line = serde_json::from_str(&line.to_string()).unwrap();
        for member in [
            "Id",
            "LineNum",
            "Description",
            "Amount",
            "DetailType",
            "LinkedTxn",
        ] {
            assert!(
                !typed.extra.contains_key(member),
                "{label} line {index}: {member} fell into extra"
            );
        }
        let detail_present = match typed.detail_type.as_deref() {
            Some("SalesItemLineDetail") => typed.sales_item_line_detail.is_some(),
            Some("ItemBasedExpenseLineDetail") => typed.item_based_expense_line_detail.is_some(),
            Some("AccountBasedExpenseLineDetail") => {
                typed.account_based_expense_line_detail.is_some()
            }
            Some("JournalEntryLineDetail") => typed.journal_entry_line_detail.is_some(),
            Some("DepositLineDetail") => typed.deposit_line_detail.is_some(),
            Some("DiscountLineDetail") => typed.discount_line_detail.is_some(),
            Some("SubTotalLineDetail") => typed.sub_total_line_detail.is_some(),
            Some(other) => typed.extra.contains_key(other) || line.get(other).is_none(),
            None => true,
        };
        assert!(
            detail_present,
            "{label} line {index}: its detail is not typed"
        );
    }
}

#[test]
fn every_sample_entity_round_trips_exactly() {
    let samples = entity_samples();
    let mut types_seen = BTreeMap::new();
    for (file, entity_type, object) in &samples {
        assert_round_trip(file, *entity_type, object);
        *types_seen.entry(*entity_type).or_insert(0) += 1;
    }
    // The samples cover all twelve transaction types.
    for entity_type in EntityType::ALL.iter().filter(|kind| kind.is_transaction()) {
        assert!(
            types_seen.contains_key(entity_type),
            "no sample for {entity_type}"
        );
    }
}

#[test]
fn sample_fields_land_in_their_typed_slots() {
    let samples = entity_samples();
    let invoice = samples
        .iter()
        .find(|(file, _, _)| file == "entity-invoice.json")
        .unwrap();
    let invoice = Invoice::from_json(invoice.2.clone()).unwrap();
    assert_eq!(invoice.txn_date, NaiveDate::from_ymd_opt(2015, 7, 24));
    assert_eq!(invoice.total_amt.unwrap().to_string(), "100.0");
    assert!(
        invoice
            .customer_ref
            .as_ref()
            .is_some_and(|r| !r.value.is_empty())
    );
    let lines = invoice.line.as_deref().unwrap();
    let sales_line = lines
        .iter()
        .find(|line| line.detail_type.as_deref() == Some("SalesItemLineDetail"))
        .unwrap();
    assert!(sales_line.sales_item_line_detail.is_some());
    assert!(!sales_line.extra.contains_key("SalesItemLineDetail"));
    // Members the model does not name are kept, not dropped.
    assert_eq!(invoice.extra.get("domain"), Some(&json!("QBO")));

    let journal = samples
        .iter()
        .find(|(file, _, _)| file == "entity-journalentry.json")
        .unwrap();
    let journal = JournalEntry::from_json(journal.2.clone()).unwrap();
    let lines = journal.line.as_deref().unwrap();
    let posting = |kind: &str| -> Decimal {
        sum_amounts(lines.iter().filter(|line| {
            line.journal_entry_line_detail
                .as_ref()
                .and_then(|detail| detail.posting_type.as_deref())
                == Some(kind)
        }))
    };
    assert!(posting("Debit") > Decimal::ZERO);
    assert_eq!(
        posting("Debit"),
        posting("Credit"),
        "a journal entry balances"
    );

    let purchase = samples
        .iter()
        .find(|(file, _, _)| file == "entity-purchase.json")
        .unwrap();
    let Entity::Purchase(purchase) =
        Entity::from_json(EntityType::Purchase, purchase.2.clone()).unwrap()
    else {
        panic!("not a purchase");
    };
    // The payee reference's `type` survives in the reference's extra.
    let payee = purchase.entity_ref.unwrap();
    assert_eq!(payee.extra.get("type"), Some(&json!("Vendor")));
}

#[test]
fn money_is_exact() {
    let tenth = Decimal::from_str("0.1").unwrap();
    let fifth = Decimal::from_str("0.2").unwrap();
    assert_eq!(tenth + fifth, Decimal::from_str("0.3").unwrap());

    // Amounts with more digits than a float holds, in typed slots and in
    // members kept in `extra` at several depths.
    let text = r#"{
        "Id": "7", "SyncToken": "3", "TxnDate": "2026-02-28",
        "TotalAmt": 1234567890.123456789012345678, "Balance": -0.00,
        "Line": [
            {"Amount": 0.1, "DetailType": "SalesItemLineDetail", "LineNum": 1,
             "SalesItemLineDetail": {"Qty": 3.000, "UnitPrice": 0.0333333333333333333333333333,
                                     "Markup": {"Percent": 12.50}}},
            {"Amount": 0.2, "DetailType": "GroupLineDetail",
             "GroupLineDetail": {"Quantity": 2, "Line": [{"Amount": 99.990}]}},
            {"Amount": 100, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
        ],
        "TxnTaxDetail": {"TotalTax": 0.70, "TaxLine": [{"Amount": 1e2}]},
        "CustomField": [{"DefinitionId": "1", "NumberValue": 12345678901234567890123456789}],
        "domain": "QBO", "sparse": false
    }"#;
    let original: Value = serde_json::from_str(text).unwrap();
    let invoice = Invoice::from_json(original.clone()).unwrap();
    assert_eq!(
        invoice.total_amt.unwrap().to_string(),
        "1234567890.123456789012345678"
    );
    let lines = invoice.line.as_deref().unwrap();
    assert_eq!(sum_amounts(&lines[..2]).to_string(), "0.3");
    assert_eq!(
        lines[0]
            .sales_item_line_detail
            .as_ref()
            .and_then(|detail| detail.unit_price)
            .unwrap()
            .to_string(),
        "0.0333333333333333333333333333"
    );
    // The unknown detail type stays on the line untouched.
    assert!(lines[1].extra.contains_key("GroupLineDetail"));
    let written = invoice.to_json().unwrap();
    assert_eq!(first_difference("Invoice", &original, &written), None);
    // Textually exact: `3.000` is not shortened to `3`, `0.70` not to `0.7`.
    let written_text = serde_json::to_string(&written).unwrap();
    for exact in [
        "3.000",
        "0.70",
        "99.990",
        "12.50",
        "12345678901234567890123456789",
    ] {
        assert!(written_text.contains(exact), "{exact} in {written_text}");
    }
}

#[test]
fn typed_edits_serialize_with_qbo_names() {
    let mut invoice = Invoice {
        customer_ref: Some(Ref::to("58")),
        txn_date: NaiveDate::from_ymd_opt(2026, 3, 31),
        ar_account_ref: Some(Ref::to("84")),
        ..Invoice::default()
    };
    invoice.line = Some(vec![Line {
        amount: Some(Decimal::new(12_345, 2)),
        detail_type: Some("SalesItemLineDetail".to_owned()),
        ..Line::default()
    }]);
    let written = invoice.to_json().unwrap();
    assert_eq!(
        written,
        json!({
            "TxnDate": "2026-03-31",
            "Line": [{"Amount": 123.45, "DetailType": "SalesItemLineDetail"}],
            "CustomerRef": {"value": "58"},
            "ARAccountRef": {"value": "84"}
        })
    );
}

#[test]
fn malformed_entities_are_errors_not_panics() {
    let wrong_amount = json!({"Id": "1", "TotalAmt": "a lot"});
    assert!(matches!(
        Invoice::from_json(wrong_amount),
        Err(ModelError::Invalid {
            entity: EntityType::Invoice,
            ..
        })
    ));
    let wrong_date = json!({"TxnDate": "31/03/2026"});
    assert!(matches!(
        Entity::from_json(EntityType::Bill, wrong_date),
        Err(ModelError::Invalid {
            entity: EntityType::Bill,
            ..
        })
    ));
    // An amount a Decimal cannot hold exactly is refused, never rounded.
    let too_precise: Value =
        serde_json::from_str(r#"{"TotalAmt": 0.12345678901234567890123456789}"#).unwrap();
    assert!(matches!(
        Invoice::from_json(too_precise),
        Err(ModelError::Invalid {
            entity: EntityType::Invoice,
            ..
        })
    ));
    let too_large: Value =
        serde_json::from_str(r#"{"Balance": 123456789012345678901234567890}"#).unwrap();
    assert!(Invoice::from_json(too_large).is_err());
    let amount_as_text = json!({"Line": [{"Amount": "12.50"}]});
    assert!(Invoice::from_json(amount_as_text).is_err());
    assert!(matches!(
        Account::from_json(json!([1, 2])),
        Err(ModelError::NotAnObject {
            entity: EntityType::Account
        })
    ));
    assert!(matches!(
        EntityType::from_str("Transfer"),
        Err(ModelError::UnknownEntityType(name)) if name == "Transfer"
    ));
}

#[test]
fn entity_types_name_their_urls() {
    assert_eq!(EntityType::ALL.len(), 25);
    assert_eq!(
        EntityType::ALL
            .iter()
            .filter(|kind| kind.is_transaction())
            .count(),
        12
    );
    for entity_type in EntityType::ALL {
        assert_eq!(
            entity_type.path_segment(),
            entity_type.name().to_ascii_lowercase()
        );
        assert_eq!(
            EntityType::from_str(&entity_type.name().to_uppercase()).unwrap(),
            *entity_type
        );
    }
}

/// An emulator with a company seeded from `seed`, and a client for it.
async fn seeded(seed: u64, size: usize) -> (Emulator, QboClient<EmulatorTokens>) {
    let server = TestServer::start(EmulatorConfig::default()).await;
    let emulator = Emulator::with_company(server, json!({ "seed": seed, "size": size })).await;
    let client = emulator.client();
    (emulator, client)
}

/// Every row of one entity type, through the query API.
async fn read_all(client: &QboClient<EmulatorTokens>, entity_type: EntityType) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut pages = std::pin::pin!(client.pages(Query::select(entity_type.name()), 1000));
    while let Some(page) = pages.next().await {
        let page = page.and_then(qbo_client::Page::rows);
        rows.extend(page.unwrap_or_else(|error| panic!("reading {entity_type}: {error}")));
    }
    rows
}

/// Reads every entity of every type, queried and by id, and checks each
/// one round-trips through the model unchanged. Returns the count per type.
async fn round_trip_company(seed: u64, size: usize) -> BTreeMap<EntityType, usize> {
    let (emulator, client) = seeded(seed, size).await;
    let mut counts = BTreeMap::new();
    for entity_type in EntityType::ALL.iter().copied() {
        let rows = if entity_type == EntityType::CompanyInfo {
            vec![
                client
                    .get_entity(entity_type.path_segment(), &emulator.realm)
                    .await
                    .unwrap(),
            ]
        } else {
            read_all(&client, entity_type).await
        };
        for (index, row) in rows.iter().enumerate() {
            let label = format!("seed {seed}: {entity_type} #{index}");
            let entity = assert_round_trip(&label, entity_type, row);
            // The first of each type is read by id too.
            if index == 0
                && let Some(id) = entity.id()
                && !matches!(
                    entity_type,
                    EntityType::CompanyInfo | EntityType::Preferences
                )
            {
                let by_id = client
                    .get_entity(entity_type.path_segment(), id)
                    .await
                    .unwrap();
                assert_round_trip(&format!("{label} by id"), entity_type, &by_id);
            }
        }
        counts.insert(entity_type, rows.len());
    }
    counts
}

#[tokio::test]
async fn every_entity_of_a_seeded_company_round_trips() {
    let counts = round_trip_company(11, 120).await;
    // The seeded company has at least one of every type, so no type is
    // skipped silently.
    for (entity_type, count) in &counts {
        assert!(*count > 0, "the seeded company has no {entity_type}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn seeded_companies_round_trip_through_the_model(seed in any::<u64>(), size in 12usize..60) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let counts = runtime.block_on(round_trip_company(seed, size));
        prop_assert!(counts.values().sum::<usize>() > size);
    }
}

/// A JSON number as QBO might write an amount: up to 15 integer digits and
/// up to 10 decimals, trailing zeros kept.
fn amount_text() -> impl Strategy<Value = String> {
    (
        "-?(0|[1-9][0-9]{0,14})",
        proptest::option::of("[0-9]{1,10}"),
    )
        .prop_map(|(whole, fraction)| match fraction {
            Some(fraction) => format!("{whole}.{fraction}"),
            None => whole,
        })
}

proptest! {
    #[test]
    fn amounts_and_unknown_members_survive_exactly(
        total in amount_text(),
        amounts in proptest::collection::vec(amount_text(), 1..6),
        unknown_name in "[A-Z][A-Za-z]{2,12}",
        unknown_number in amount_text(),
    ) {
        let lines: Vec<String> = amounts
            .iter()
            .map(|amount| format!(
                r#"{{"Amount": {amount}, "DetailType": "AccountBasedExpenseLineDetail",
                    "AccountBasedExpenseLineDetail": {{"AccountRef": {{"value": "7"}},
                    "{unknown_name}X": {unknown_number}}}}}"#
            ))
            .collect();
        let text = format!(
            r#"{{"TotalAmt": {total}, "Line": [{}], "{unknown_name}": {{"Deep": [{unknown_number}]}}}}"#,
            lines.join(",")
        );
        let original: Value = serde_json::from_str(&text).unwrap();
        let bill = qbo_client::model::Bill::from_json(original.clone()).unwrap();
        prop_assert_eq!(bill.total_amt.unwrap(), Decimal::from_str(&total).unwrap());
        let expected_sum = amounts
            .iter()
            .map(|amount| Decimal::from_str(amount).unwrap())
            .fold(Decimal::ZERO, |sum, amount| sum + amount);
        prop_assert_eq!(sum_amounts(bill.line.as_deref().unwrap()), expected_sum);
        let written = bill.to_json().unwrap();
        prop_assert_eq!(first_difference("Bill", &original, &written), None);
        prop_assert_eq!(&written, &original);
    }
}

/// Members a write changes on its own: the version and the timestamps.
fn without_server_stamps(mut object: Value) -> Value {
    if let Some(members) = object.as_object_mut() {
        members.remove("SyncToken");
        members.remove("MetaData");
    }
    object
}

/// Reads the first entity of `entity_type`, applies `edit` to its typed
/// form, sends a full update built from the typed entity's JSON, reads it
/// back, and checks that only the edited member changed.
async fn full_update_keeps_other_fields<T: QboEntity>(
    client: &QboClient<EmulatorTokens>,
    edit: impl FnOnce(&mut T),
    edited_member: &str,
) {
    let entity_type = T::TYPE;
    let before = read_all(client, entity_type).await.remove(0);
    let id = before["Id"].as_str().unwrap().to_owned();
    let mut typed = T::from_json(before.clone()).unwrap();
    edit(&mut typed);
    let body = typed.to_json().unwrap();
    let answered = client
        .update_typed(&typed, &RequestId::new())
        .await
        .unwrap_or_else(|error| panic!("updating {entity_type}: {error}"));
    let after = client
        .get_entity(entity_type.path_segment(), &id)
        .await
        .unwrap();
    // The typed answer to the update is the entity as read back.
    assert_eq!(answered.to_json().unwrap(), after);
    let typed_again: T = client.read(&id).await.unwrap();
    assert_eq!(typed_again.to_json().unwrap(), after);
    assert_ne!(
        before[edited_member], after[edited_member],
        "{entity_type}.{edited_member} changed"
    );
    assert_eq!(after[edited_member], body[edited_member]);
    assert_ne!(before["SyncToken"], after["SyncToken"]);

    let mut expected = without_server_stamps(before);
    let mut actual = without_server_stamps(after);
    for object in [&mut expected, &mut actual] {
        object.as_object_mut().unwrap().remove(edited_member);
    }
    if let Some(difference) = first_difference(entity_type.name(), &expected, &actual) {
        panic!("a full update from the typed {entity_type} changed {difference}");
    }
}

macro_rules! update_private_note {
    ($client:expr, $($entity:ident),*) => {
        $(
            full_update_keeps_other_fields::<qbo_client::model::$entity>(
                $client,
                |entity| entity.private_note = Some(format!("edited through the model: {}", stringify!($entity))),
                "PrivateNote",
            )
            .await;
        )*
    };
}

#[tokio::test]
async fn full_updates_from_typed_entities_keep_every_other_field() {
    let (_emulator, client) = seeded(5, 80).await;
    update_private_note!(
        &client,
        Invoice,
        SalesReceipt,
        Estimate,
        CreditMemo,
        Payment,
        Bill,
        BillPayment,
        Purchase,
        VendorCredit,
        PurchaseOrder,
        Deposit,
        JournalEntry
    );
    full_update_keeps_other_fields::<Account>(
        &client,
        |account| account.description = Some("Edited through the model".to_owned()),
        "Description",
    )
    .await;
    full_update_keeps_other_fields::<Customer>(
        &client,
        |customer| customer.notes = Some("Edited through the model".to_owned()),
        "Notes",
    )
    .await;
    full_update_keeps_other_fields::<Vendor>(
        &client,
        |vendor| vendor.acct_num = Some("ACCT-0001".to_owned()),
        "AcctNum",
    )
    .await;
    full_update_keeps_other_fields::<Item>(
        &client,
        |item| item.description = Some("Edited through the model".to_owned()),
        "Description",
    )
    .await;
}

#[tokio::test]
async fn a_typed_invoice_is_created_with_exact_totals() {
    let (_emulator, client) = seeded(3, 20).await;
    let customer =
        Customer::from_json(read_all(&client, EntityType::Customer).await.remove(0)).unwrap();
    let item = read_all(&client, EntityType::Item)
        .await
        .into_iter()
        .map(|row| Item::from_json(row).unwrap())
        .find(|item| item.r#type.as_deref() == Some("Service"))
        .unwrap();
    let item_ref = Ref::to(item.id.clone().unwrap());
    let sales_line = |qty: &str, unit_price: &str, amount: &str| Line {
        amount: Some(Decimal::from_str(amount).unwrap()),
        detail_type: Some("SalesItemLineDetail".to_owned()),
        sales_item_line_detail: Some(qbo_client::model::SalesItemLineDetail {
            item_ref: Some(item_ref.clone()),
            qty: Some(Decimal::from_str(qty).unwrap()),
            unit_price: Some(Decimal::from_str(unit_price).unwrap()),
            tax_code_ref: Some(Ref::to("NON")),
            ..Default::default()
        }),
        ..Line::default()
    };
    let invoice = Invoice {
        customer_ref: Some(Ref::to(customer.id.clone().unwrap())),
        txn_date: NaiveDate::from_ymd_opt(2026, 2, 27),
        line: Some(vec![
            sales_line("1", "0.1", "0.1"),
            sales_line("1", "0.2", "0.2"),
        ]),
        ..Invoice::default()
    };
    let created = client
        .create_typed(&invoice, &RequestId::new())
        .await
        .unwrap();
    assert_eq!(created.total_amt, Some(Decimal::from_str("0.3").unwrap()));
    assert_eq!(
        created.txn_date, invoice.txn_date,
        "the calendar date is not shifted"
    );
    assert_eq!(created.customer_ref.unwrap().value, customer.id.unwrap());
    let read: Invoice = client.read(created.id.as_deref().unwrap()).await.unwrap();
    assert_eq!(read.total_amt, created.total_amt);
    assert_eq!(read.balance, created.total_amt);
}

#[test]
fn the_schema_field_lists_know_qbo_names_and_catch_misspellings() {
    use qbo_client::model::EntityType;
    use qbo_client::model::fields::{DECIMAL, is_decimal, unknown_fields, unknown_line_fields};

    // `is_decimal` searches the list by halves: it must stay sorted.
    assert!(DECIMAL.windows(2).all(|pair| pair[0] < pair[1]));
    for name in [
        "Amount",
        "Qty",
        "UnitPrice",
        "TotalAmt",
        "QtyOnHand",
        "TotalTax",
    ] {
        assert!(is_decimal(name), "{name}");
    }
    for name in ["DocNumber", "Id", "SyncToken", "LineNum", "Value"] {
        assert!(!is_decimal(name), "{name}");
    }
    assert_eq!(
        unknown_fields(
            EntityType::Invoice,
            ["CustomerRef", "CustomerRf", "Line", "domain", "PrivateNot"]
        ),
        vec!["CustomerRf", "PrivateNot"]
    );
    assert!(unknown_fields(EntityType::Customer, ["DisplayName", "Balance"]).is_empty());
    let line = serde_json::json!({
        "Amount": 5,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "UnitPrise": 5},
        "Amout": 5
    });
    assert_eq!(
        unknown_line_fields(line.as_object().unwrap()),
        vec![
            "SalesItemLineDetail.UnitPrise".to_owned(),
            "Amout".to_owned()
        ]
    );
}
