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
use sync_engine::CatalogueEntry;
use sync_engine::stock::{CatalogueKind, ProductMaster};

use crate::support::{
    Harness, TestEngine, account_id, local_by_qbo_id, local_record, product_rules, remote_on_hand,
    sync,
};

/// Chart-of-accounts ids of an empty emulator company, and its customer.
struct Books {
    income: String,
    cogs: String,
    asset: String,
    customer: String,
}

fn units(value: i64) -> Decimal {
    Decimal::from(value)
}

/// An empty company with a customer and the accounts items need.
async fn books(harness: &Harness) -> Books {
    let customer = harness
        .remote_create("Customer", json!({ "DisplayName": "Corner Shop" }))
        .await;
    Books {
        income: account_id(harness, "Sales of Product Income").await,
        cogs: account_id(harness, "Cost of Goods Sold").await,
        asset: account_id(harness, "Inventory Asset").await,
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

/// An empty company whose one product, "Widget", has `on_hand` units,
/// synced once into books where QuickBooks is the product master.
async fn with_widget(on_hand: i64) -> (Harness, Books, String, TestEngine) {
    let harness = Harness::start(None).await;
    let books = books(&harness).await;
    let widget = remote_item(&harness, inventory_item(&books, "Widget", on_hand)).await;
    let engine = harness
        .engine_with("books", product_rules(ProductMaster::QuickBooks))
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
        .engine_with("books", product_rules(ProductMaster::QuickBooks))
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
        .engine_with("books", product_rules(ProductMaster::QuickBooks))
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
        .engine_with("books", product_rules(ProductMaster::QuickBooks))
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
        .engine_with("books", product_rules(ProductMaster::Ledgerlink))
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
    /// The quantity the last writer (or the conflict's chosen side) meant.
    quantity: i64,
    /// The last quantity set here.
    last_local: i64,
    /// When QuickBooks' side last changed it (a step number).
    remote_changed: usize,
    voided: bool,
}

/// Stock seeds in the test command (`LEDGERLINK_STOCK_SEEDS=N` for more):
/// each costs about half a second of CPU in a debug build and mostly waits
/// on held answers, so several run at once.
const STOCK_SEEDS: u64 = 24;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_invoices_and_counts_on_both_sides_converge_to_one_quantity() {
    use futures::StreamExt;
    let seeds: u64 = std::env::var("LEDGERLINK_STOCK_SEEDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(STOCK_SEEDS);
    let failures: Vec<String> = futures::stream::iter(0..seeds)
        .map(|seed| async move {
            let outcome = tokio::spawn(converge(seed))
                .await
                .unwrap_or_else(|panic| Err(format!("the seed panicked: {panic}")));
            outcome
                .err()
                .map(|problem| format!("stock seed {seed}: {problem}"))
        })
        .buffer_unordered(6)
        .filter_map(|failure| async move { failure })
        .collect()
        .await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One seed of the stock simulation: invoices made, edited (by either side,
/// the same invoices) and voided on both sides, counts here and quantity
/// corrections there, with faults on the way and cycles cut off.
struct StockWorld {
    harness: Harness,
    engine: Option<TestEngine>,
    books: Books,
    random: ChaCha8Rng,
    sales: Vec<Sale>,
    adjustments: BTreeMap<String, i64>,
    step: usize,
    /// The step at which the last successful sync started.
    pulled_at: usize,
}

impl StockWorld {
    fn engine(&self) -> &TestEngine {
        self.engine
            .as_ref()
            .expect("the engine is open between steps")
    }

    async fn restart(&mut self) {
        self.engine = None;
        self.engine = Some(
            self.harness
                .engine_with("books", product_rules(ProductMaster::QuickBooks))
                .await,
        );
    }

    /// A sync that may fail on an injected fault.
    async fn cycle(&mut self) -> bool {
        let start = self.step;
        let ok = self
            .engine()
            .sync(&|_| {}, &sync_engine::CancelFlag::new())
            .await
            .is_ok();
        if ok {
            self.pulled_at = start + 1;
        }
        self.resolve().await;
        ok
    }

    /// Both ids of a sale, where they are known by now.
    async fn ids(&mut self, index: usize) -> (Option<String>, Option<String>) {
        let sale = self.sales[index].clone();
        let mut local_id = sale.local_id.clone();
        let mut remote_id = sale.remote_id.clone();
        if local_id.is_none()
            && let Some(remote) = &remote_id
            && let Ok(Some(record)) = self
                .engine()
                .store()
                .record_by_qbo_id("Invoice", remote)
                .await
        {
            local_id = Some(record.local_id);
        }
        if remote_id.is_none()
            && let Some(local) = &local_id
        {
            remote_id = local_record(self.engine(), local).await.qbo_id;
        }
        self.sales[index].local_id = local_id.clone();
        self.sales[index].remote_id = remote_id.clone();
        (local_id, remote_id)
    }

    /// QuickBooks' quantity on an invoice's first line, and whether it is voided.
    fn remote_quantity(&self, remote_id: &str) -> Option<(i64, bool)> {
        self.harness
            .server
            .emulator()
            .with_company(&self.harness.realm, |company| {
                let invoice = company.read("Invoice", remote_id).ok()?;
                let id = remote_id.parse().ok()?;
                let kind = qbo_emulator::entities::EntityKind::parse("Invoice")?;
                let quantity = invoice["Line"][0]["SalesItemLineDetail"]["Qty"]
                    .to_string()
                    .trim_matches('"')
                    .parse::<Decimal>()
                    .ok()?;
                Some((
                    rust_decimal::prelude::ToPrimitive::to_i64(&quantity)?,
                    company.is_voided(kind, id),
                ))
            })
            .flatten()
    }

    /// Settles every open conflict with a random side and notes what the
    /// chosen side meant.
    async fn resolve(&mut self) {
        let Ok(conflicts) = self.engine().store().open_conflicts().await else {
            return;
        };
        for conflict in conflicts {
            let qbo_id = [&conflict.remote, &conflict.base, &conflict.local]
                .into_iter()
                .flatten()
                .find_map(|object| object["Id"].as_str().map(str::to_owned));
            let index = self.sales.iter().position(|sale| {
                sale.local_id.as_deref() == Some(conflict.local_id.as_str())
                    || (conflict.entity_type == "Invoice"
                        && sale.remote_id.is_some()
                        && sale.remote_id == qbo_id)
            });
            let take_local = conflict.kind == local_store::ConflictKind::EditEdit
                && index.is_some()
                && self.random.random_bool(0.5);
            let resolution = if take_local {
                sync_engine::Resolution::TakeLocal
            } else {
                sync_engine::Resolution::TakeRemote
            };
            if self
                .engine()
                .resolve_conflict(conflict.id, resolution)
                .await
                .is_err()
            {
                continue;
            }
            let Some(index) = index else { continue };
            if take_local {
                self.sales[index].quantity = self.sales[index].last_local;
            } else if let (_, Some(remote_id)) = self.ids(index).await
                && let Some((quantity, voided)) = self.remote_quantity(&remote_id)
            {
                self.sales[index].voided = voided;
                if !voided {
                    self.sales[index].quantity = quantity;
                }
            }
        }
    }

    /// A cycle with one of the faults, or cut off at a random await point.
    async fn faulty_cycle(&mut self) {
        let count = self.random.random_range(2..5);
        let fault = match self.random.random_range(0..11) {
            0 => {
                json!({"kind": "internal_error", "method": "POST", "path": "*/item", "count": count})
            }
            1 => {
                json!({"kind": "service_unavailable", "method": "POST", "path": "*/item", "count": count})
            }
            2 => {
                json!({"kind": "drop_before_commit", "method": "POST", "path": "*/item", "count": count})
            }
            3 => {
                json!({"kind": "drop_after_commit", "method": "POST", "path": "*/item", "count": count})
            }
            4 => {
                json!({"kind": "timeout", "method": "POST", "path": "*/item", "count": 1, "hold_ms": 1500})
            }
            5 => {
                json!({"kind": "drop_after_commit", "method": "POST", "path": "*/batch", "count": count})
            }
            6 => {
                json!({"kind": "internal_error", "method": "POST", "path": "*/batch", "count": count})
            }
            7 => json!({"kind": "throttle", "path": "/v3/*", "count": count}),
            8 => json!({"kind": "service_unavailable", "path": "/v3/*", "count": count}),
            9 => {
                json!({"kind": "internal_error", "method": "GET", "path": "*/cdc", "count": count})
            }
            _ => {
                // The app dies at an await point of the cycle and starts again.
                let polls = self.random.random_range(1..60);
                let cut = {
                    let engine = self.engine();
                    let cancel = sync_engine::CancelFlag::new();
                    crate::support::PollBudget::new(engine.sync(&|_| {}, &cancel), polls).await
                };
                if cut.is_none() {
                    self.restart().await;
                }
                return;
            }
        };
        self.harness.arm(fault).await;
        self.cycle().await;
        self.harness.clear_faults().await;
    }
}

async fn converge(seed: u64) -> Result<(), String> {
    let mut random = ChaCha8Rng::seed_from_u64(seed);
    let mut harness = Harness::start(None).await;
    // A held answer outlasts the client's timeout without slowing every seed.
    harness.engine_client.request_timeout = std::time::Duration::from_secs(1);
    harness.engine_client.pacer = crate::support::UNPACED;
    let books = books(&harness).await;
    let mut opening = BTreeMap::new();
    for name in ["Widget", "Gadget"] {
        let on_hand = random.random_range(0..20);
        let id = remote_item(&harness, inventory_item(&books, name, on_hand)).await;
        opening.insert(id, on_hand);
    }
    let items: Vec<String> = opening.keys().cloned().collect();
    let engine = harness
        .engine_with("books", product_rules(ProductMaster::QuickBooks))
        .await;
    sync(&engine).await;
    let mut world = StockWorld {
        harness,
        engine: Some(engine),
        books,
        random,
        sales: Vec::new(),
        adjustments: BTreeMap::new(),
        step: 0,
        pulled_at: 1,
    };

    for step in 1..48 {
        world.step = step;
        let item = items[world.random.random_range(0..items.len())].clone();
        match world.random.random_range(0..11) {
            0 => {
                let quantity = world.random.random_range(1..6);
                let record = world
                    .engine()
                    .create_local("Invoice", invoice(&world.books, &item, quantity))
                    .await
                    .map_err(|error| format!("a local invoice failed: {error}"))?
                    .record;
                world.sales.push(Sale {
                    local_id: Some(record.local_id),
                    remote_id: None,
                    item,
                    quantity,
                    last_local: quantity,
                    remote_changed: 0,
                    voided: false,
                });
            }
            1 | 2 => {
                // A sale in QuickBooks: it moves the item's quantity there.
                let quantity = world.random.random_range(1..6);
                let created = world
                    .harness
                    .remote_create("Invoice", invoice(&world.books, &item, quantity))
                    .await;
                world.sales.push(Sale {
                    local_id: None,
                    remote_id: Some(created["Id"].as_str().unwrap().to_owned()),
                    item,
                    quantity,
                    last_local: quantity,
                    remote_changed: step,
                    voided: false,
                });
            }
            3 | 4 => {
                // Either side edits any invoice, so both sides meet on the same ones.
                let Some(index) = pick_live(&mut world.random, &world.sales) else {
                    continue;
                };
                let quantity = world.random.random_range(1..6);
                let (local_id, remote_id) = world.ids(index).await;
                let here = world.random.random_bool(0.5);
                if here {
                    let Some(local_id) = local_id else { continue };
                    let record = local_record(world.engine(), &local_id).await;
                    let editable = record.state != local_store::RecordState::Conflict
                        && record.intent == local_store::Intent::None;
                    let Some(version) = record.local.clone().filter(|_| editable) else {
                        continue;
                    };
                    // Setting the quantity the books already show changes
                    // nothing, so it is no edit the ledger could count.
                    if line_quantity(&version) == Some(quantity) {
                        continue;
                    }
                    world
                        .engine()
                        .edit_local(&local_id, with_quantity(version, quantity))
                        .await
                        .map_err(|error| format!("a local edit failed: {error}"))?;
                    world.sales[index].last_local = quantity;
                } else {
                    let Some(remote_id) = remote_id else { continue };
                    let client = world.harness.client();
                    let Ok(current) = client.get_entity("Invoice", &remote_id).await else {
                        continue;
                    };
                    if line_quantity(&current) == Some(quantity) {
                        continue;
                    }
                    let body = json!({
                        "Id": remote_id,
                        "SyncToken": current["SyncToken"],
                        "Line": with_quantity(current.clone(), quantity)["Line"].clone(),
                    });
                    if client
                        .sparse_update("Invoice", &body, &qbo_client::RequestId::new())
                        .await
                        .is_err()
                    {
                        continue;
                    }
                    world.sales[index].remote_changed = step;
                }
                world.sales[index].quantity = quantity;
            }
            5 => {
                // A void, of an invoice both sides have settled.
                let Some(index) = pick_live(&mut world.random, &world.sales) else {
                    continue;
                };
                let (local_id, remote_id) = world.ids(index).await;
                let (Some(local_id), Some(remote_id)) = (local_id, remote_id) else {
                    continue;
                };
                let record = local_record(world.engine(), &local_id).await;
                let settled = record.state == local_store::RecordState::Synced
                    && record.intent == local_store::Intent::None
                    && world.sales[index].remote_changed < world.pulled_at;
                if !settled {
                    continue;
                }
                if world.random.random_bool(0.5) {
                    world
                        .engine()
                        .void_local(&local_id)
                        .await
                        .map_err(|error| format!("a local void failed: {error}"))?;
                } else {
                    world.harness.remote_void("Invoice", &remote_id).await;
                    world.sales[index].remote_changed = step;
                }
                world.sales[index].voided = true;
            }
            6 | 7 => {
                // A count here: found or lost a few.
                let change = world.random.random_range(-3..4);
                let local_id = local_by_qbo_id(world.engine(), "Item", &item)
                    .await
                    .local_id;
                let (on_hand, minimum) = default_stock(world.engine(), &item).await;
                world
                    .engine()
                    .set_stock(&local_id, "main", on_hand + units(change), minimum)
                    .await
                    .map_err(|error| format!("a count failed: {error}"))?;
                *world.adjustments.entry(item).or_default() += change;
            }
            8 => {
                // A quantity correction made in QuickBooks.
                let change = world.random.random_range(-3..4);
                let current = remote_on_hand(&world.harness, &item).await;
                world
                    .harness
                    .remote_edit(
                        "Item",
                        &item,
                        json!({ "QtyOnHand": sync_engine::stock::quantity_json(current + units(change)) }),
                    )
                    .await;
                *world.adjustments.entry(item).or_default() += change;
            }
            9 => world.faulty_cycle().await,
            _ => {
                world.cycle().await;
            }
        }
    }
    world.harness.clear_faults().await;
    let mut quiet = false;
    for _round in 0..6 {
        if world.cycle().await
            && world
                .engine()
                .store()
                .open_conflicts()
                .await
                .map(|open| open.is_empty())
                .unwrap_or(false)
        {
            quiet = true;
            break;
        }
    }
    if !quiet {
        return Err("the books did not settle after six cycles without faults".to_owned());
    }
    world.cycle().await;

    let mut problems = Vec::new();
    for item in &items {
        let sold: i64 = world
            .sales
            .iter()
            .filter(|sale| &sale.item == item && !sale.voided)
            .map(|sale| sale.quantity)
            .sum();
        let expected =
            units(opening[item] + world.adjustments.get(item).copied().unwrap_or(0) - sold);
        let here = default_stock(world.engine(), item).await.0;
        let there = remote_on_hand(&world.harness, item).await;
        if (here, there) != (expected, expected) {
            problems.push(format!(
                "item {item} should stand at {expected} on both sides; the books say {here}, QuickBooks {there}"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// The quantity on an invoice's first line.
fn line_quantity(invoice: &Value) -> Option<i64> {
    invoice["Line"][0]["SalesItemLineDetail"]["Qty"]
        .to_string()
        .trim_matches('"')
        .parse::<Decimal>()
        .ok()
        .and_then(|quantity| rust_decimal::prelude::ToPrimitive::to_i64(&quantity))
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
