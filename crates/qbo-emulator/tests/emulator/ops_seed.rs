//! The seeded sample company: deterministic in its seed and size, and
//! consistent the way a real QBO company is (balanced journal entries,
//! balances equal to totals minus payments, unique names, references that
//! resolve).

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use qbo_emulator::clock::Clock;
use qbo_emulator::entities::EntityKind;
use qbo_emulator::seed;
use qbo_emulator::webhooks::WebhookFormat;
use qbo_emulator::{Emulator, EmulatorConfig};
use rust_decimal::Decimal;
use serde_json::Value;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 30, 18, 0, 0).unwrap()
}

/// Every document of a seeded company, by entity name.
type Documents = BTreeMap<&'static str, Vec<Value>>;

fn new_emulator() -> Emulator {
    Emulator::new(EmulatorConfig::default(), Clock::fixed(now()))
}

/// Seeds a new company of `emulator`; returns its realm id and documents.
fn seed_into(emulator: &Emulator, seed: u64, size: usize) -> (String, Documents) {
    let realm_id = emulator.create_company("Seeded Company");
    let summary = emulator
        .with_company(&realm_id, |company| {
            seed::populate(company, seed, size, now())
        })
        .unwrap()
        .unwrap();
    assert_eq!(summary.transactions, size);
    let documents = emulator
        .with_company(&realm_id, |company| {
            EntityKind::ALL
                .into_iter()
                .map(|kind| (kind.name(), company.all_of(kind).cloned().collect()))
                .collect()
        })
        .unwrap();
    (realm_id, documents)
}

fn seeded(seed: u64, size: usize) -> (Emulator, String, Documents) {
    let emulator = new_emulator();
    // A subscribed app would see every change; seeding must send none.
    emulator.notifier().configure(
        Some("http://127.0.0.1:9/webhooks".to_owned()),
        "verifier".to_owned(),
        WebhookFormat::Legacy,
    );
    let (realm_id, documents) = seed_into(&emulator, seed, size);
    (emulator, realm_id, documents)
}

fn decimal(value: &Value) -> Decimal {
    match value {
        Value::Number(number) => Decimal::from_str(&number.to_string()).unwrap(),
        Value::String(text) => Decimal::from_str(text).unwrap(),
        Value::Null => Decimal::ZERO,
        other => panic!("not an amount: {other}"),
    }
}

#[tokio::test]
async fn the_same_seed_and_size_give_the_same_documents() {
    let emulator = new_emulator();
    let (first_realm, first) = seed_into(&emulator, 42, 400);
    let (second_realm, second) = seed_into(&emulator, 42, 400);
    assert_ne!(first_realm, second_realm);
    // Not only equal as values: equal as text, key order included.
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );

    let (_, other_seed) = seed_into(&emulator, 43, 400);
    let names = |documents: &Documents| -> Vec<String> {
        documents["Customer"]
            .iter()
            .map(|customer| customer["DisplayName"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_ne!(names(&first), names(&other_seed));
    assert_ne!(first["Invoice"], other_seed["Invoice"]);

    let (_, other_size) = seed_into(&emulator, 42, 450);
    let transactions = |documents: &Documents| -> usize {
        EntityKind::ALL
            .into_iter()
            .filter(|kind| kind.is_transaction())
            .map(|kind| documents[kind.name()].len())
            .sum()
    };
    assert_eq!(transactions(&first), 400);
    assert_eq!(transactions(&other_size), 450);
}

#[tokio::test]
async fn a_small_company_still_has_every_transaction_type() {
    let (_, _, documents) = seeded(9, 12);
    for kind in EntityKind::ALL
        .into_iter()
        .filter(|kind| kind.is_transaction())
    {
        assert_eq!(documents[kind.name()].len(), 1, "{kind}");
    }
}

#[tokio::test]
async fn a_seeded_company_is_consistent() {
    let (emulator, realm_id, documents) = seeded(2025, 3_000);

    // Every transaction type, dated across the year before now, exact to the cent.
    let today = now().date_naive();
    let first_day = today - Duration::days(366);
    for kind in EntityKind::ALL
        .into_iter()
        .filter(|kind| kind.is_transaction())
    {
        let list = &documents[kind.name()];
        assert!(!list.is_empty(), "no {kind} was seeded");
        for doc in list {
            let date =
                NaiveDate::parse_from_str(doc["TxnDate"].as_str().unwrap(), "%Y-%m-%d").unwrap();
            assert!(date >= first_day && date < today, "{kind} dated {date}");
            let total = decimal(&doc["TotalAmt"]);
            assert_eq!(
                total,
                total.round_dp(2),
                "{kind} {} total {total}",
                doc["Id"]
            );
            assert!(total >= Decimal::ZERO);
        }
    }
    let dates: Vec<&str> = documents["Invoice"]
        .iter()
        .map(|invoice| invoice["TxnDate"].as_str().unwrap())
        .collect();
    let months: HashSet<&str> = dates.iter().map(|date| &date[..7]).collect();
    assert!(months.len() >= 12, "invoices cover only {months:?}");

    // Journal entries balance.
    for entry in &documents["JournalEntry"] {
        let mut debits = Decimal::ZERO;
        let mut credits = Decimal::ZERO;
        for line in entry["Line"].as_array().unwrap() {
            let amount = decimal(&line["Amount"]);
            match line["JournalEntryLineDetail"]["PostingType"]
                .as_str()
                .unwrap()
            {
                "Debit" => debits += amount,
                "Credit" => credits += amount,
                other => panic!("posting type {other}"),
            }
        }
        assert_eq!(debits, credits, "journal entry {}", entry["Id"]);
        assert!(debits > Decimal::ZERO);
    }

    // Invoice balances are totals minus what payments applied; bills likewise.
    let applied = |payments: &[Value], target: &str| -> HashMap<String, Decimal> {
        let mut applied: HashMap<String, Decimal> = HashMap::new();
        for payment in payments {
            for line in payment["Line"].as_array().into_iter().flatten() {
                for link in line["LinkedTxn"].as_array().into_iter().flatten() {
                    if link["TxnType"] == target {
                        *applied
                            .entry(link["TxnId"].as_str().unwrap().to_owned())
                            .or_default() += decimal(&line["Amount"]);
                    }
                }
            }
        }
        applied
    };
    for (documents_of, payments_of, target) in [
        ("Invoice", "Payment", "Invoice"),
        ("Bill", "BillPayment", "Bill"),
    ] {
        let paid = applied(&documents[payments_of], target);
        let (mut open, mut partly, mut settled) = (0, 0, 0);
        for doc in &documents[documents_of] {
            let id = doc["Id"].as_str().unwrap();
            let total = decimal(&doc["TotalAmt"]);
            let balance = decimal(&doc["Balance"]);
            let payments = paid.get(id).copied().unwrap_or_default();
            assert_eq!(balance, total - payments, "{target} {id}");
            if payments.is_zero() {
                open += 1;
            } else if balance.is_zero() {
                settled += 1;
            } else {
                partly += 1;
            }
        }
        assert!(
            open > 0 && partly > 0 && settled > 0,
            "{target}: {open} open, {partly} partly paid, {settled} paid"
        );
    }

    // Deposits take in payments waiting in Undeposited Funds.
    let deposited_links = documents["Deposit"]
        .iter()
        .flat_map(|deposit| deposit["Line"].as_array().unwrap().clone())
        .filter(|line| line.get("LinkedTxn").is_some())
        .count();
    assert!(deposited_links > 0);

    // Names are unique across customers, vendors and employees.
    let mut names = HashSet::new();
    for kind in ["Customer", "Vendor", "Employee"] {
        assert!(!documents[kind].is_empty(), "no {kind}");
        for person in &documents[kind] {
            let name = person["DisplayName"].as_str().unwrap().to_lowercase();
            assert!(names.insert(name.clone()), "{name} is used twice");
        }
    }

    // Inventory: tracked, with accounts, never below zero.
    let inventory: Vec<&Value> = documents["Item"]
        .iter()
        .filter(|item| item["Type"] == "Inventory")
        .collect();
    assert!(inventory.len() >= 5);
    for item in inventory {
        assert!(
            decimal(&item["QtyOnHand"]) >= Decimal::ZERO,
            "{}",
            item["Name"]
        );
        for account in ["IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"] {
            assert!(
                item[account]["value"].is_string(),
                "{} has no {account}",
                item["Name"]
            );
        }
    }
    for kind in [
        "Class",
        "Department",
        "Term",
        "PaymentMethod",
        "TaxCode",
        "Account",
    ] {
        assert!(
            documents[kind].len() >= 3,
            "only {} {kind}",
            documents[kind].len()
        );
    }
    assert!(
        documents["Item"]
            .iter()
            .any(|item| item["Type"] == "Category")
    );

    // Every reference resolves to a stored object of the right type.
    let ids: HashSet<(String, String)> = documents
        .iter()
        .flat_map(|(entity, list)| {
            list.iter()
                .map(move |doc| ((*entity).to_owned(), doc["Id"].as_str().unwrap().to_owned()))
        })
        .collect();
    let mut checked = 0;
    for (entity, list) in &documents {
        for doc in list {
            check_references(entity, doc, &ids, &mut checked);
        }
    }
    assert!(checked > 10_000, "only {checked} references checked");

    // Seeding notified no webhook, and the documents read back through the API's path.
    let invoice_id = documents["Invoice"][0]["Id"].as_str().unwrap().to_owned();
    let read = emulator
        .with_company(&realm_id, |company| company.read("Invoice", &invoice_id))
        .unwrap()
        .unwrap();
    assert_eq!(read["Id"], invoice_id.as_str());
    assert_eq!(emulator.notifier().counters().events_recorded, 0);
}

/// The entity a reference field points to, if it is one the seed uses.
fn referenced_entity(holder: &str, field: &str, reference: &Value) -> Option<&'static str> {
    Some(match field {
        "CustomerRef" => "Customer",
        "VendorRef" | "PrefVendorRef" => "Vendor",
        "ItemRef" => "Item",
        "ClassRef" => "Class",
        "DepartmentRef" => "Department",
        "SalesTermRef" | "TermRef" => "Term",
        "PaymentMethodRef" => "PaymentMethod",
        "TaxRateRef" => "TaxRate",
        "TaxCodeRef" | "TxnTaxCodeRef" => {
            let value = reference["value"].as_str()?;
            if value == "TAX" || value == "NON" {
                return None;
            }
            "TaxCode"
        }
        "EntityRef" => match reference["type"].as_str()? {
            "Vendor" => "Vendor",
            "Customer" => "Customer",
            "Employee" => "Employee",
            _ => return None,
        },
        "ParentRef" => match holder {
            "Customer" => "Customer",
            "Class" => "Class",
            "Department" => "Department",
            "Item" => "Item",
            "Account" => "Account",
            _ => return None,
        },
        field if field.ends_with("AccountRef") => "Account",
        _ => return None,
    })
}

fn check_references(
    holder: &str,
    value: &Value,
    ids: &HashSet<(String, String)>,
    checked: &mut usize,
) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key.ends_with("Ref")
                    && inner.is_object()
                    && let Some(target) = referenced_entity(holder, key, inner)
                {
                    let id = inner["value"].as_str().unwrap_or_default().to_owned();
                    assert!(
                        ids.contains(&(target.to_owned(), id.clone())),
                        "{holder}.{key} points to missing {target} {id}"
                    );
                    *checked += 1;
                }
                if key == "LinkedTxn" {
                    for link in inner.as_array().into_iter().flatten() {
                        let target = match link["TxnType"].as_str().unwrap_or_default() {
                            "BillPaymentCheck" | "BillPaymentCreditCard" => "BillPayment",
                            "ReceivePayment" => "Payment",
                            other => other,
                        };
                        let id = link["TxnId"].as_str().unwrap_or_default().to_owned();
                        assert!(
                            ids.contains(&(target.to_owned(), id.clone())),
                            "{holder} links to missing {target} {id}"
                        );
                        *checked += 1;
                    }
                }
                check_references(holder, inner, ids, checked);
            }
        }
        Value::Array(items) => {
            for item in items {
                check_references(holder, item, ids, checked);
            }
        }
        _ => {}
    }
}
