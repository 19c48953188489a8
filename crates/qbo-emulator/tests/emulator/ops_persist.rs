//! Saving companies to a folder and loading them into a new emulator: the
//! documents, tombstones, voids and the links between payments and invoices
//! all come back, so the loaded company behaves like the saved one.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use qbo_emulator::clock::Clock;
use qbo_emulator::control::{self, ClientRecord};
use qbo_emulator::entities::EntityKind;
use qbo_emulator::{Emulator, EmulatorConfig, persist};
use serde_json::{Value, json};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 9, 1, 15, 0, 0).unwrap()
}

fn documents(emulator: &Emulator, realm_id: &str) -> BTreeMap<&'static str, Vec<Value>> {
    emulator
        .with_company(realm_id, |company| {
            EntityKind::ALL
                .into_iter()
                .map(|kind| (kind.name(), company.all_of(kind).cloned().collect()))
                .collect()
        })
        .unwrap()
}

/// An invoice with a payment applied to it, and that payment.
fn paid_invoice(emulator: &Emulator, realm_id: &str) -> (String, String) {
    emulator
        .with_company(realm_id, |company| {
            let payment = company
                .all("Payment")
                .find(|payment| {
                    payment["Line"]
                        .as_array()
                        .is_some_and(|lines| lines.len() == 1)
                        && payment["DepositToAccountRef"]["name"] == "Business Checking"
                })
                .unwrap();
            let invoice_id = payment["Line"][0]["LinkedTxn"][0]["TxnId"]
                .as_str()
                .unwrap()
                .to_owned();
            (invoice_id, payment["Id"].as_str().unwrap().to_owned())
        })
        .unwrap()
}

#[tokio::test]
async fn a_saved_company_loads_back_the_same_and_keeps_working() {
    let folder = tempfile::tempdir().unwrap();
    let saved = Emulator::new(EmulatorConfig::default(), Clock::fixed(now()));
    persist::load(&saved, folder.path()).unwrap();
    control::register_client(
        &saved,
        ClientRecord {
            client_id: "ABsaved".to_owned(),
            client_secret: "secret".to_owned(),
            redirect_uris: vec!["http://localhost:8765/callback".to_owned()],
            app_name: Some("Saved App".to_owned()),
        },
    );
    let (realm_id, _) = control::create_company(&saved, None, Some((77, 400))).unwrap();

    // A void and a delete, so that the saved state has both.
    let voided_id = saved
        .with_company(&realm_id, |company| {
            let receipt = company
                .all("SalesReceipt")
                .find(|receipt| receipt["DepositToAccountRef"]["name"] == "Business Checking")
                .unwrap()
                .clone();
            let id = receipt["Id"].as_str().unwrap().to_owned();
            company
                .void(
                    "SalesReceipt",
                    json!({ "Id": id, "SyncToken": receipt["SyncToken"] }),
                    now(),
                )
                .unwrap();
            let estimate = company.all("Estimate").next().unwrap().clone();
            company
                .delete(
                    "Estimate",
                    json!({ "Id": estimate["Id"], "SyncToken": estimate["SyncToken"] }),
                    now(),
                )
                .unwrap();
            id
        })
        .unwrap();
    assert_eq!(persist::save_changes(&saved).unwrap(), 1);
    assert!(folder.path().join("emulator.json").exists());
    assert!(
        folder
            .path()
            .join("companies")
            .join(format!("{realm_id}.json"))
            .exists()
    );

    let loaded = Emulator::new(EmulatorConfig::default(), Clock::fixed(now()));
    let found = persist::load(&loaded, folder.path()).unwrap();
    assert_eq!(found.realm_ids, vec![realm_id.clone()]);
    assert_eq!(found.clients.len(), 1);
    assert_eq!(loaded.operations().clients()[0].client_id, "ABsaved");
    assert_eq!(documents(&loaded, &realm_id), documents(&saved, &realm_id));
    let (saved_tombstones, loaded_tombstones) = (
        saved
            .with_company(&realm_id, |company| company.tombstones().len())
            .unwrap(),
        loaded
            .with_company(&realm_id, |company| company.tombstones().len())
            .unwrap(),
    );
    assert_eq!(loaded_tombstones, saved_tombstones);
    assert_eq!(loaded_tombstones, 1);

    // The void is remembered: the receipt cannot be edited.
    let edit = loaded
        .with_company(&realm_id, |company| {
            company.sparse_update(
                "SalesReceipt",
                json!({ "Id": voided_id, "SyncToken": "1", "sparse": true, "PrivateNote": "edited" }),
                now(),
            )
        })
        .unwrap();
    assert!(edit.is_err(), "a voided transaction stays voided");

    // The payment links are rebuilt: deleting a payment reopens its invoice,
    // in the loaded company exactly as in the saved one.
    let (invoice_id, payment_id) = paid_invoice(&loaded, &realm_id);
    let mut outcomes = Vec::new();
    for emulator in [&saved, &loaded] {
        let outcome = emulator
            .with_company(&realm_id, |company| {
                let amount =
                    |value: &Value| value.to_string().parse::<rust_decimal::Decimal>().unwrap();
                let before = amount(&company.read("Invoice", &invoice_id).unwrap()["Balance"]);
                let payment = company.read("Payment", &payment_id).unwrap();
                company
                    .delete(
                        "Payment",
                        json!({ "Id": payment_id, "SyncToken": payment["SyncToken"] }),
                        now(),
                    )
                    .unwrap();
                let after = amount(&company.read("Invoice", &invoice_id).unwrap()["Balance"]);
                (before, after, amount(&payment["Line"][0]["Amount"]))
            })
            .unwrap();
        let (before, after, paid) = outcome;
        assert_eq!(
            after,
            before + paid,
            "the invoice reopens by the payment's amount"
        );
        outcomes.push(outcome);
    }
    assert_eq!(outcomes[0], outcomes[1]);
    assert_eq!(documents(&loaded, &realm_id), documents(&saved, &realm_id));

    // New objects continue the id sequences instead of reusing ids.
    let customer = loaded
        .with_company(&realm_id, |company| {
            company.create("Customer", json!({ "DisplayName": "After Reload" }), now())
        })
        .unwrap()
        .unwrap();
    let highest = documents(&saved, &realm_id)["Customer"]
        .iter()
        .chain(documents(&saved, &realm_id)["Vendor"].iter())
        .chain(documents(&saved, &realm_id)["Employee"].iter())
        .map(|person| person["Id"].as_str().unwrap().parse::<u64>().unwrap())
        .max()
        .unwrap();
    assert!(customer["Id"].as_str().unwrap().parse::<u64>().unwrap() > highest);
}

#[tokio::test]
async fn removed_companies_lose_their_file_and_bad_files_are_reported() {
    let folder = tempfile::tempdir().unwrap();
    let emulator = Emulator::new(EmulatorConfig::default(), Clock::fixed(now()));
    persist::load(&emulator, folder.path()).unwrap();
    let (realm_id, _) = control::create_company(&emulator, Some("Short Lived"), None).unwrap();
    persist::save_changes(&emulator).unwrap();
    let file = folder
        .path()
        .join("companies")
        .join(format!("{realm_id}.json"));
    assert!(file.exists());
    emulator.remove_company(&realm_id);
    emulator.operations().persistence.forget(&realm_id);
    persist::save_changes(&emulator).unwrap();
    assert!(!file.exists());

    std::fs::write(
        folder.path().join("companies").join("1.json"),
        b"{ not json",
    )
    .unwrap();
    let error = persist::load(
        &Emulator::new(EmulatorConfig::default(), Clock::fixed(now())),
        folder.path(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("1.json"), "{error}");
}

/// Waits until `path` exists; false after ten seconds.
async fn appears(path: &std::path::Path) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if path.exists() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    false
}

/// The autosave, which sleeps until something changes, saves a change
/// after its interval and wakes again for the next one.
#[tokio::test]
async fn the_autosave_saves_each_change_after_it_is_made() {
    let folder = tempfile::tempdir().unwrap();
    let emulator = Emulator::new(EmulatorConfig::default(), Clock::fixed(now()));
    persist::load(&emulator, folder.path()).unwrap();
    let autosave = persist::spawn_autosave(emulator.clone(), std::time::Duration::from_millis(50));
    let file_of = |realm_id: &str| {
        folder
            .path()
            .join("companies")
            .join(format!("{realm_id}.json"))
    };
    let (first, _) = control::create_company(&emulator, Some("First"), None).unwrap();
    assert!(
        appears(&file_of(&first)).await,
        "the first change was not saved"
    );
    let (second, _) = control::create_company(&emulator, Some("Second"), None).unwrap();
    assert!(
        appears(&file_of(&second)).await,
        "the second change was not saved"
    );
    autosave.abort();
}
