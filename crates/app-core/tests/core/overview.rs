//! The Companies overview: counts and open documents from the local store,
//! matching QuickBooks, with the company that needs the user first.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use app_core::{RecordQuery, RecordState};
use rust_decimal::Decimal;
use serde_json::json;

use crate::support::{demo_query, invoices, open};

/// Count, total, overdue count and overdue total of the documents of a type
/// with a balance left, as the emulator (QuickBooks) holds them.
pub(crate) async fn open_in_quickbooks(
    core: &app_core::AppCore,
    realm: &str,
    entity: &str,
    today: chrono::NaiveDate,
) -> (u32, Decimal, u32, Decimal) {
    let answer = demo_query(
        core,
        realm,
        &format!("select * from {entity} startposition 1 maxresults 1000"),
    )
    .await;
    let today = today.to_string();
    let mut found = (0, Decimal::ZERO, 0, Decimal::ZERO);
    for document in answer["QueryResponse"][entity]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let balance: Decimal = document["Balance"].to_string().parse().unwrap();
        if balance <= Decimal::ZERO {
            continue;
        }
        found.0 += 1;
        found.1 += balance;
        if document["DueDate"]
            .as_str()
            .is_some_and(|due| due < today.as_str())
        {
            found.2 += 1;
            found.3 += balance;
        }
    }
    found
}

#[tokio::test]
async fn the_overview_counts_match_quickbooks_and_the_company_with_work_comes_first() {
    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    // Alphabetically first, but with nothing to do: it must sort below.
    let idle = core
        .add_company(app_core::NewCompany {
            name: "Aardvark Ltd".to_owned(),
            environment: "sandbox".to_owned(),
            discovery_url: None,
            api_base_url: None,
            client_id: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghij".to_owned(),
            client_secret: secrets::Sensitive::new(
                "0123456789abcdefghijklmnopqrstuvwxyz0123".to_owned(),
            ),
            redirect_page: None,
        })
        .await
        .unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let realm = core.company(&demo.id).await.unwrap().realm_id.unwrap();

    // One local edit waits for the push.
    let page = core.list_records(&demo.id, invoices()).await.unwrap();
    let edited = &page.rows[0];
    core.patch_record(&demo.id, &edited.local_id, json!({"PrivateNote": "later"}))
        .await
        .unwrap();

    let rows = core.companies_overview().await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].company.id, demo.id, "the company with work first");
    assert_eq!(rows[1].company.id, idle.id);
    assert!(rows[0].attention > rows[1].attention);
    let row = &rows[0];
    assert_eq!(row.pending, 1);
    assert_eq!((row.failed, row.held_back), (0, 0));

    for (entity, open) in [("Invoice", &row.open_invoices), ("Bill", &row.unpaid_bills)] {
        let (count, total, overdue, overdue_total) =
            open_in_quickbooks(core, &realm, entity, chrono::Utc::now().date_naive()).await;
        assert!(count > 0, "the demo has open {entity}s to count");
        assert_eq!(open.count, count, "{entity}");
        assert_eq!(open.total.parse::<Decimal>().unwrap(), total, "{entity}");
        assert_eq!(open.overdue_count, overdue, "{entity}");
        assert_eq!(
            open.overdue_total.parse::<Decimal>().unwrap(),
            overdue_total,
            "{entity}"
        );
        // The number opens the records list filtered the same way.
        let listed = core
            .list_records(
                &demo.id,
                RecordQuery {
                    entity_type: Some(entity.to_owned()),
                    open_only: Some(true),
                    limit: 1000,
                    ..invoices()
                },
            )
            .await
            .unwrap();
        assert_eq!(listed.total, count, "{entity}");
    }
    // The demo's documents name no currency (a company without
    // multicurrency); the home currency is the one QuickBooks' Preferences
    // name, read from the books as pulled.
    let preferences = demo_query(core, &realm, "select * from Preferences").await;
    let home =
        preferences["QueryResponse"]["Preferences"][0]["CurrencyPrefs"]["HomeCurrency"]["value"]
            .as_str()
            .expect("QuickBooks names a home currency");
    assert_eq!(row.home_currency.as_deref(), Some(home));
    // An idle company that was never synced has no preferences to read.
    assert_eq!(rows[1].home_currency, None);

    // The pending number opens the pending records.
    let pending = core
        .list_records(
            &demo.id,
            RecordQuery {
                states: vec![RecordState::Pending],
                ..invoices()
            },
        )
        .await
        .unwrap();
    assert_eq!(pending.total, row.pending);

    // The company that was never connected has nothing counted.
    let idle_row = &rows[1];
    assert_eq!(idle_row.open_invoices.count, 0);
    assert_eq!(idle_row.pending, 0);
}
