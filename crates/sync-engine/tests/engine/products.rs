//! The product master sync against the emulator: how QuickBooks items
//! become products, parts, services and categories, which side creates
//! products, and the default location's quantity as invoices and counts
//! arrive from both sides in any order.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sync_engine::stock::{CatalogueKind, ProductMaster, ProductRules};
use sync_engine::{CatalogueEntry, EngineConfig};

use crate::support::{Harness, TestEngine, local_by_qbo_id, local_record, sync};

/// Chart-of-accounts ids of an empty emulator company, and its customer.
struct Books {
    income: String,
    cogs: String,
    asset: String,
    customer: String,
}

fn rules(master: ProductMaster) -> EngineConfig {
    EngineConfig {
        products: ProductRules {
            master,
            default_location: local_store::MAIN_LOCATION_ID.to_owned(),
            minimum_quantity: Decimal::from(3),
            non_inventory_quantity: Decimal::from(25),
        },
        ..EngineConfig::default()
    }
}

fn units(value: i64) -> Decimal {
    Decimal::from(value)
}

async fn account(harness: &Harness, name: &str) -> String {
    let rows = harness
        .remote_rows(
            &format!("SELECT * FROM Account WHERE Name = '{name}'"),
            "Account",
        )
        .await;
    rows[0]["Id"].as_str().unwrap().to_owned()
}

/// An empty company with a customer and the accounts items need.
async fn books(harness: &Harness) -> Books {
    let customer = harness
        .remote_create("Customer", json!({ "DisplayName": "Corner Shop" }))
        .await;
    Books {
        income: account(harness, "Sales of Product Income").await,
        cogs: account(harness, "Cost of Goods Sold").await,
        asset: account(harness, "Inventory Asset").await,
        customer: customer["Id"].as_str().unwrap().to_owned(),
    }
}

fn inventory_item(books: &Books, name: &str, on_hand: i64) -> Value {
    json!({
        "Name": name,
        "Type": "Inventory",
        "TrackQtyOnHand": true,
        "QtyOnHand": on_hand,
        "InvStartDate": "2026-01-01",
        "UnitPrice": 10,
        "IncomeAccountRef": { "value": books.income },
        "ExpenseAccountRef": { "value": books.cogs },
        "AssetAccountRef": { "value": books.asset },
    })
}

/// An item made in QuickBooks; returns its id.
async fn remote_item(harness: &Harness, body: Value) -> String {
    harness.remote_create("Item", body).await["Id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn invoice(books: &Books, item: &str, quantity: i64) -> Value {
    json!({
        "CustomerRef": { "value": books.customer },
        "TxnDate": "2026-11-20",
        "Line": [{
            "DetailType": "SalesItemLineDetail",
            "Amount": quantity * 10,
            "SalesItemLineDetail": { "ItemRef": { "value": item }, "Qty": quantity, "UnitPrice": 10 }
        }]
    })
}

/// The invoice with its first line's quantity changed (line ids kept).
fn with_quantity(mut invoice: Value, quantity: i64) -> Value {
    let line = &mut invoice["Line"][0];
    line["Amount"] = json!(quantity * 10);
    line["SalesItemLineDetail"]["Qty"] = json!(quantity);
    invoice
}

async fn entry(engine: &TestEngine, qbo_id: &str) -> CatalogueEntry {
    engine
        .catalogue()
        .await
        .unwrap()
        .entries
        .into_iter()
        .find(|entry| entry.record.qbo_id.as_deref() == Some(qbo_id))
        .unwrap_or_else(|| panic!("item {qbo_id} is not in the catalogue"))
}

/// The default location's on hand and minimum.
async fn default_stock(engine: &TestEngine, qbo_id: &str) -> (Decimal, Option<Decimal>) {
    entry(engine, qbo_id).await.stock[local_store::MAIN_LOCATION_ID]
}

async fn remote_on_hand(harness: &Harness, qbo_id: &str) -> Decimal {
    let item = harness.remote("Item", qbo_id).await;
    item["QtyOnHand"]
        .to_string()
        .trim_matches('"')
        .parse()
        .unwrap()
}

/// An empty company whose one product, "Widget", has `on_hand` units,
/// synced once into books where QuickBooks is the product master.
async fn with_widget(on_hand: i64) -> (Harness, Books, String, TestEngine) {
    let harness = Harness::start(None).await;
    let books = books(&harness).await;
    let widget = remote_item(&harness, inventory_item(&books, "Widget", on_hand)).await;
    let engine = harness
        .engine_with("books", rules(ProductMaster::QuickBooks))
        .await;
    sync(&engine).await;
    (harness, books, widget, engine)
}

#[tokio::test]
async fn items_become_products_parts_services_and_categories_at_the_default_location() {
    let harness = Harness::start(None).await;
    let books = books(&harness).await;
    let category = remote_item(&harness, json!({ "Name": "Hardware", "Type": "Category" })).await;
    let mut widget = inventory_item(&books, "Widget", 10);
    widget["ReorderPoint"] = json!(6);
    widget["SubItem"] = json!(true);
    widget["ParentRef"] = json!({ "value": category });
    let widget = remote_item(&harness, widget).await;
    let bolt = remote_item(
        &harness,
        json!({ "Name": "Bolt", "Type": "NonInventory", "IncomeAccountRef": { "value": books.income } }),
    )
    .await;
    let fitting = remote_item(
        &harness,
        json!({ "Name": "Fitting", "Type": "Service", "IncomeAccountRef": { "value": books.income } }),
    )
    .await;
    let engine = harness
        .engine_with("books", rules(ProductMaster::QuickBooks))
        .await;
    sync(&engine).await;

    let product = entry(&engine, &widget).await;
    assert_eq!(product.kind, CatalogueKind::Product);
    assert_eq!(
        product.stock["main"],
        (units(10), Some(units(6))),
        "QuickBooks' reorder point is the minimum where the item has one"
    );
    let part = entry(&engine, &bolt).await;
    assert_eq!(part.kind, CatalogueKind::Part);
    assert_eq!(
        part.stock["main"],
        (units(25), Some(units(3))),
        "a non-inventory item gets the configured quantity, since QuickBooks keeps none"
    );
    let service = entry(&engine, &fitting).await;
    assert_eq!(service.kind, CatalogueKind::Service);
    assert!(service.stock.is_empty(), "services have no stock");
    assert_eq!(
        entry(&engine, &category).await.kind,
        CatalogueKind::Category
    );
    assert!(
        engine
            .catalogue()
            .await
            .unwrap()
            .entries
            .iter()
            .all(|entry| entry.not_synced.is_none())
    );
}

#[tokio::test]
async fn product_fields_merge_both_ways_and_the_same_field_changed_twice_is_a_conflict() {
    let (harness, _, widget, engine) = with_widget(10).await;
    let record = local_by_qbo_id(&engine, "Item", &widget).await;

    // Here: the SKU and the description; in QuickBooks: the price.
    let mut edited = record.local.clone().unwrap();
    edited["Sku"] = json!("WID-10");
    edited["Description"] = json!("Brass widget");
    engine.edit_local(&record.local_id, edited).await.unwrap();
    harness
        .remote_edit("Item", &widget, json!({ "UnitPrice": 12.5 }))
        .await;
    sync(&engine).await;
    let merged = harness.remote("Item", &widget).await;
    assert_eq!(merged["Sku"], "WID-10");
    assert_eq!(merged["Description"], "Brass widget");
    assert_eq!(merged["UnitPrice"].to_string(), "12.5");
    assert_eq!(
        merged["QtyOnHand"].to_string(),
        "10",
        "no edit touched the quantity"
    );

    // Both sides rename it: a conflict that keeps both names.
    let record = local_record(&engine, &record.local_id).await;
    let mut renamed = record.local.clone().unwrap();
    renamed["Name"] = json!("Widget (brass)");
    engine.edit_local(&record.local_id, renamed).await.unwrap();
    harness
        .remote_edit("Item", &widget, json!({ "Name": "Brass widget" }))
        .await;
    let report = sync(&engine).await;
    assert_eq!(report.conflicts_opened, 1);
    let record = local_record(&engine, &record.local_id).await;
    assert_eq!(record.state, local_store::RecordState::Conflict);
    assert_eq!(
        harness.remote("Item", &widget).await["Name"],
        "Brass widget"
    );
}

#[tokio::test]
async fn sub_items_instead_of_categories_are_detected_and_explained() {
    let harness = Harness::start(None).await;
    let books = books(&harness).await;
    let fasteners = remote_item(
        &harness,
        json!({ "Name": "Fasteners", "Type": "NonInventory", "IncomeAccountRef": { "value": books.income } }),
    )
    .await;
    let mut bolt = inventory_item(&books, "Bolt M6", 40);
    bolt["SubItem"] = json!(true);
    bolt["ParentRef"] = json!({ "value": fasteners });
    remote_item(&harness, bolt).await;
    let engine = harness
        .engine_with("books", rules(ProductMaster::QuickBooks))
        .await;
    sync(&engine).await;

    let notices = engine.catalogue().await.unwrap().notices;
    assert!(
        notices
            .iter()
            .any(|notice| notice.contains("Bolt M6") && notice.contains("Turn categories on")),
        "the accountant is told categories are not in use: {notices:?}"
    );
}

#[tokio::test]
async fn with_quickbooks_as_master_new_items_come_in_and_local_ones_stay_local() {
    let harness = Harness::start(None).await;
    let books = books(&harness).await;
    let engine = harness
        .engine_with("books", rules(ProductMaster::QuickBooks))
        .await;
    sync(&engine).await;

    let gadget = remote_item(&harness, inventory_item(&books, "Gadget", 4)).await;
    let refused = engine
        .create_product(inventory_item(&books, "Local gadget", 1), units(1))
        .await;
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("QuickBooks is the product master"),
        "only the master creates products"
    );
    // Made anyway, as a plain item record: it is held, not sent.
    let local = engine
        .create_local("Item", inventory_item(&books, "Workshop gadget", 2))
        .await
        .unwrap();
    let items_before = harness.emulator_count("Item");
    sync(&engine).await;

    assert_eq!(default_stock(&engine, &gadget).await.0, units(4));
    assert_eq!(
        harness.emulator_count("Item"),
        items_before,
        "nothing was sent"
    );
    let catalogue = engine.catalogue().await.unwrap();
    let held = catalogue
        .entries
        .iter()
        .find(|entry| entry.record.local_id == local.record.local_id)
        .unwrap();
    assert!(
        held.not_synced
            .as_deref()
            .unwrap()
            .contains("QuickBooks is the product master")
    );
    let dry_run = engine.dry_run().await.unwrap();
    assert!(
        dry_run
            .held_back
            .iter()
            .any(|held| held.local_id == local.record.local_id),
        "the next push says why it is held"
    );
}

#[tokio::test]
async fn with_ledgerlink_as_master_local_products_go_out_and_quickbooks_ones_are_reported() {
    let harness = Harness::start(None).await;
    let books = books(&harness).await;
    let shared = remote_item(&harness, inventory_item(&books, "Shared widget", 10)).await;
    let engine = harness
        .engine_with("books", rules(ProductMaster::Ledgerlink))
        .await;
    sync(&engine).await;

    let created = engine
        .create_product(inventory_item(&books, "House brand", 7), units(7))
        .await
        .unwrap();
    let lighting = engine
        .create_product(
            json!({ "Name": "Lighting", "Type": "Category" }),
            Decimal::ZERO,
        )
        .await
        .unwrap();
    let stranger = remote_item(&harness, inventory_item(&books, "Made in QuickBooks", 5)).await;
    // A sale in QuickBooks of a synced product still counts here.
    harness
        .remote_create("Invoice", invoice(&books, &shared, 4))
        .await;
    sync(&engine).await;

    let house = local_record(&engine, &created.record.local_id).await;
    let house_id = house
        .qbo_id
        .clone()
        .expect("the product reached QuickBooks");
    assert_eq!(remote_on_hand(&harness, &house_id).await, units(7));
    assert_eq!(default_stock(&engine, &house_id).await.0, units(7));
    let category = local_record(&engine, &lighting.record.local_id).await;
    let category_id = category.qbo_id.expect("the category reached QuickBooks");
    assert_eq!(
        harness.remote("Item", &category_id).await["Type"],
        "Category"
    );
    let reported = entry(&engine, &stranger).await;
    assert!(
        reported
            .not_synced
            .as_deref()
            .unwrap()
            .contains("Ledgerlink is the product master")
    );
    assert_eq!(default_stock(&engine, &shared).await.0, units(6));
    assert_eq!(remote_on_hand(&harness, &shared).await, units(6));
}

#[tokio::test]
async fn an_invoice_moves_stock_once_whichever_side_creates_edits_or_voids_it() {
    let (harness, books, widget, engine) = with_widget(10).await;

    // Made here: counted at once, and once only after QuickBooks has it.
    let local = engine
        .create_local("Invoice", invoice(&books, &widget, 2))
        .await
        .unwrap()
        .record;
    assert_eq!(default_stock(&engine, &widget).await.0, units(8));
    sync(&engine).await;
    assert_eq!(default_stock(&engine, &widget).await.0, units(8));
    assert_eq!(remote_on_hand(&harness, &widget).await, units(8));

    let pushed = local_record(&engine, &local.local_id).await;
    let edited = with_quantity(pushed.local.clone().unwrap(), 5);
    engine.edit_local(&local.local_id, edited).await.unwrap();
    assert_eq!(default_stock(&engine, &widget).await.0, units(5));
    sync(&engine).await;
    assert_eq!(default_stock(&engine, &widget).await.0, units(5));
    assert_eq!(remote_on_hand(&harness, &widget).await, units(5));

    engine.void_local(&local.local_id).await.unwrap();
    assert_eq!(default_stock(&engine, &widget).await.0, units(10));
    sync(&engine).await;
    assert_eq!(default_stock(&engine, &widget).await.0, units(10));
    assert_eq!(remote_on_hand(&harness, &widget).await, units(10));

    // Made in QuickBooks: counted when it arrives, moved back when edited or voided.
    let remote = harness
        .remote_create("Invoice", invoice(&books, &widget, 4))
        .await;
    let remote_id = remote["Id"].as_str().unwrap().to_owned();
    sync(&engine).await;
    assert_eq!(default_stock(&engine, &widget).await.0, units(6));
    let current = harness.remote("Invoice", &remote_id).await;
    harness
        .remote_edit(
            "Invoice",
            &remote_id,
            json!({ "Line": with_quantity(current, 1)["Line"].clone() }),
        )
        .await;
    sync(&engine).await;
    assert_eq!(default_stock(&engine, &widget).await.0, units(9));
    harness.remote_void("Invoice", &remote_id).await;
    sync(&engine).await;
    assert_eq!(default_stock(&engine, &widget).await.0, units(10));
    assert_eq!(remote_on_hand(&harness, &widget).await, units(10));
    let record = local_by_qbo_id(&engine, "Invoice", &remote_id).await;
    assert_eq!(record.state, local_store::RecordState::Synced);
}

#[tokio::test]
async fn stock_may_go_negative_on_both_sides() {
    let (harness, books, widget, engine) = with_widget(3).await;

    engine
        .create_local("Invoice", invoice(&books, &widget, 5))
        .await
        .unwrap();
    harness
        .remote_create("Invoice", invoice(&books, &widget, 4))
        .await;
    sync(&engine).await;
    assert_eq!(default_stock(&engine, &widget).await.0, units(-6));
    assert_eq!(remote_on_hand(&harness, &widget).await, units(-6));
}

#[tokio::test]
async fn a_count_reaches_quickbooks_as_a_difference_and_other_locations_stay_local() {
    let (harness, books, widget, engine) = with_widget(10).await;
    let local_id = local_by_qbo_id(&engine, "Item", &widget).await.local_id;

    // Counted 12 here (two found), while QuickBooks sold two meanwhile.
    engine
        .set_stock(&local_id, "main", units(12), Some(units(4)))
        .await
        .unwrap();
    harness
        .remote_create("Invoice", invoice(&books, &widget, 2))
        .await;
    let van = local_store::LocationRow {
        id: "van".to_owned(),
        name: "Van".to_owned(),
        created_at: chrono::Utc::now(),
    };
    engine.save_location(van).await.unwrap();
    engine
        .set_stock(&local_id, "van", units(4), None)
        .await
        .unwrap();
    sync(&engine).await;

    let product = entry(&engine, &widget).await;
    assert_eq!(product.stock["main"], (units(10), Some(units(4))));
    assert_eq!(product.stock["van"], (units(4), None));
    assert_eq!(remote_on_hand(&harness, &widget).await, units(10));
    assert!(
        engine.remove_location("main").await.is_err(),
        "the default location cannot go"
    );
    engine.remove_location("van").await.unwrap();
    assert!(!entry(&engine, &widget).await.stock.contains_key("van"));
}

/// What one side did to the stock, for the ledger the test keeps itself.
#[derive(Debug, Clone)]
struct Sale {
    local_id: Option<String>,
    remote_id: Option<String>,
    item: String,
    quantity: i64,
    voided: bool,
}

#[tokio::test]
async fn random_invoices_and_counts_on_both_sides_converge_to_one_quantity() {
    let seeds: u64 = std::env::var("LEDGERLINK_STOCK_SEEDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(6);
    for seed in 0..seeds {
        converge(seed).await;
    }
}

async fn converge(seed: u64) {
    let mut random = ChaCha8Rng::seed_from_u64(seed);
    let harness = Harness::start(None).await;
    let books = books(&harness).await;
    let mut opening = BTreeMap::new();
    for name in ["Widget", "Gadget"] {
        let on_hand = random.random_range(0..20);
        let id = remote_item(&harness, inventory_item(&books, name, on_hand)).await;
        opening.insert(id, on_hand);
    }
    let items: Vec<String> = opening.keys().cloned().collect();
    let engine = harness
        .engine_with("books", rules(ProductMaster::QuickBooks))
        .await;
    sync(&engine).await;
    let mut sales: Vec<Sale> = Vec::new();
    let mut adjustments: BTreeMap<String, i64> = BTreeMap::new();

    for _step in 0..24 {
        let item = items[random.random_range(0..items.len())].clone();
        match random.random_range(0..9) {
            0 => {
                let quantity = random.random_range(1..6);
                let record = engine
                    .create_local("Invoice", invoice(&books, &item, quantity))
                    .await
                    .unwrap()
                    .record;
                sales.push(Sale {
                    local_id: Some(record.local_id),
                    remote_id: None,
                    item,
                    quantity,
                    voided: false,
                });
            }
            1 => {
                let quantity = random.random_range(1..6);
                let created = harness
                    .remote_create("Invoice", invoice(&books, &item, quantity))
                    .await;
                sales.push(Sale {
                    local_id: None,
                    remote_id: Some(created["Id"].as_str().unwrap().to_owned()),
                    item,
                    quantity,
                    voided: false,
                });
            }
            2 | 3 => {
                // Each side edits only the invoices it made.
                let Some(index) = pick_live(&mut random, &sales) else {
                    continue;
                };
                let quantity = random.random_range(1..6);
                let sale = &mut sales[index];
                if let Some(local_id) = &sale.local_id {
                    let record = local_record(&engine, local_id).await;
                    let Some(version) = record.local.clone() else {
                        continue;
                    };
                    engine
                        .edit_local(local_id, with_quantity(version, quantity))
                        .await
                        .unwrap();
                } else if let Some(remote_id) = &sale.remote_id {
                    let current = harness.remote("Invoice", remote_id).await;
                    harness
                        .remote_edit(
                            "Invoice",
                            remote_id,
                            json!({ "Line": with_quantity(current, quantity)["Line"].clone() }),
                        )
                        .await;
                }
                sale.quantity = quantity;
            }
            4 => {
                let Some(index) = pick_live(&mut random, &sales) else {
                    continue;
                };
                let sale = &mut sales[index];
                if let Some(local_id) = &sale.local_id {
                    let record = local_record(&engine, local_id).await;
                    if record.qbo_id.is_none() {
                        // Not in QuickBooks yet: nothing to void.
                        continue;
                    }
                    engine.void_local(local_id).await.unwrap();
                } else if let Some(remote_id) = &sale.remote_id {
                    harness.remote_void("Invoice", remote_id).await;
                }
                sale.voided = true;
            }
            5 => {
                // A count here: found or lost a few.
                let change = random.random_range(-3..4);
                let local_id = local_by_qbo_id(&engine, "Item", &item).await.local_id;
                let (on_hand, minimum) = default_stock(&engine, &item).await;
                engine
                    .set_stock(&local_id, "main", on_hand + units(change), minimum)
                    .await
                    .unwrap();
                *adjustments.entry(item).or_default() += change;
            }
            6 => {
                // A quantity correction made in QuickBooks.
                let change = random.random_range(-3..4);
                let current = remote_on_hand(&harness, &item).await;
                harness
                    .remote_edit(
                        "Item",
                        &item,
                        json!({ "QtyOnHand": sync_engine::stock::quantity_json(current + units(change)) }),
                    )
                    .await;
                *adjustments.entry(item).or_default() += change;
            }
            _ => {
                sync(&engine).await;
            }
        }
    }
    sync(&engine).await;
    sync(&engine).await;

    for item in &items {
        let sold: i64 = sales
            .iter()
            .filter(|sale| &sale.item == item && !sale.voided)
            .map(|sale| sale.quantity)
            .sum();
        let expected = units(opening[item] + adjustments.get(item).copied().unwrap_or(0) - sold);
        let here = default_stock(&engine, item).await.0;
        let there = remote_on_hand(&harness, item).await;
        assert_eq!(
            (here, there),
            (expected, expected),
            "seed {seed}: item {item} should stand at {expected} on both sides"
        );
    }
}

fn pick_live(random: &mut ChaCha8Rng, sales: &[Sale]) -> Option<usize> {
    let live: Vec<usize> = (0..sales.len())
        .filter(|&index| !sales[index].voided)
        .collect();
    if live.is_empty() {
        None
    } else {
        Some(live[random.random_range(0..live.len())])
    }
}
