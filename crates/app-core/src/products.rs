//! The product catalogue of one company: products and parts with stock per
//! location, locations, and the product settings, over the engine's
//! catalogue (`sync_engine::stock` explains how quantities are kept).

use local_store::LocationRow;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use sync_engine::stock::{self, CatalogueKind, ProductRules};
use sync_engine::{CatalogueEntry, CatalogueSnapshot};

use crate::error::CoreError;
use crate::views::{
    Catalogue, LocationView, NewProduct, ProductKind, ProductMaster, ProductSettings, ProductView,
    StockInput, StockLevel, UnsyncedProduct,
};
use crate::{AppCore, CoreResult};

impl AppCore {
    /// The catalogue: synced products with their stock, the products
    /// reported as not synced, the locations and notices.
    pub async fn list_products(&self, company_id: &str) -> CoreResult<Catalogue> {
        let settings = self.company_settings(company_id).await?.products;
        let engine = self.engine(company_id).await?;
        let snapshot = engine.catalogue().await?;
        Ok(catalogue_view(&snapshot, settings))
    }

    /// Creates a product here (only when Ledgerlink is the product master);
    /// QuickBooks gets it on the next sync.
    pub async fn create_product(
        &self,
        company_id: &str,
        product: NewProduct,
    ) -> CoreResult<ProductView> {
        let name = product.name.trim();
        if name.is_empty() {
            return Err(CoreError::Invalid("A product needs a name.".to_owned()));
        }
        let opening =
            optional_quantity("The opening quantity", product.opening_quantity.as_deref())?
                .unwrap_or_default();
        let kind = engine_kind(product.kind);
        let mut item = Map::new();
        item.insert("Name".to_owned(), json!(name));
        item.insert("Type".to_owned(), json!(kind.item_type()));
        put_text(&mut item, "Sku", product.sku.as_deref());
        put_text(&mut item, "Description", product.description.as_deref());
        if let Some(price) = optional_quantity("The sales price", product.sales_price.as_deref())? {
            item.insert("UnitPrice".to_owned(), stock::quantity_json(price));
        }
        if let Some(cost) =
            optional_quantity("The purchase cost", product.purchase_cost.as_deref())?
        {
            item.insert("PurchaseCost".to_owned(), stock::quantity_json(cost));
        }
        let engine = self.engine(company_id).await?;
        // QuickBooks needs accounts on items; like its own item form, the
        // usual ones are chosen when the accountant leaves them empty.
        let accounts = engine.store().records_of(&["Account"]).await?;
        let income = product
            .income_account_id
            .clone()
            .filter(|id| !id.trim().is_empty())
            .or_else(|| usual_account(&accounts, "Income", "SalesOfProductIncome"));
        let expense = product
            .expense_account_id
            .clone()
            .filter(|id| !id.trim().is_empty())
            .or_else(|| usual_account(&accounts, "Cost of Goods Sold", "SuppliesMaterialsCogs"));
        let asset = product
            .asset_account_id
            .clone()
            .filter(|id| !id.trim().is_empty())
            .or_else(|| usual_account(&accounts, "Other Current Asset", "Inventory"));
        if kind != CatalogueKind::Category {
            put_reference(&mut item, "IncomeAccountRef", income.as_deref());
        }
        if matches!(kind, CatalogueKind::Product) {
            put_reference(&mut item, "ExpenseAccountRef", expense.as_deref());
        }
        if let Some(category) = product.category_id.as_deref().filter(|id| !id.is_empty()) {
            item.insert("SubItem".to_owned(), json!(true));
            item.insert("ParentRef".to_owned(), json!({ "value": category }));
        }
        if kind != CatalogueKind::Category {
            item.insert("Taxable".to_owned(), json!(product.taxable));
        }
        if kind == CatalogueKind::Product {
            put_reference(&mut item, "AssetAccountRef", asset.as_deref());
            item.insert("TrackQtyOnHand".to_owned(), json!(true));
            item.insert("QtyOnHand".to_owned(), stock::quantity_json(opening));
            let today = self.inner.options.clock.now().date_naive();
            item.insert("InvStartDate".to_owned(), json!(today.to_string()));
        }
        let edit = engine.create_product(Value::Object(item), opening).await?;
        self.notify_companies().await;
        self.product(company_id, &edit.record.local_id).await
    }

    /// Sets the counted quantity and minimum of a product at one location.
    pub async fn set_stock(&self, company_id: &str, input: StockInput) -> CoreResult<ProductView> {
        let on_hand =
            stock::parse_quantity("On hand", &input.on_hand).map_err(CoreError::Invalid)?;
        let minimum = optional_quantity("The minimum", input.minimum.as_deref())?;
        let engine = self.engine(company_id).await?;
        engine
            .set_stock(&input.local_id, &input.location_id, on_hand, minimum)
            .await?;
        self.product(company_id, &input.local_id).await
    }

    /// Adds a location.
    pub async fn add_location(&self, company_id: &str, name: &str) -> CoreResult<LocationView> {
        let engine = self.engine(company_id).await?;
        let id = uuid::Uuid::new_v4().to_string();
        engine
            .save_location(LocationRow {
                id: id.clone(),
                name: name.to_owned(),
                created_at: self.inner.options.clock.now(),
            })
            .await?;
        self.location(company_id, &id).await
    }

    /// Renames a location.
    pub async fn rename_location(
        &self,
        company_id: &str,
        location_id: &str,
        name: &str,
    ) -> CoreResult<LocationView> {
        let engine = self.engine(company_id).await?;
        let existing = engine
            .store()
            .locations()
            .await?
            .into_iter()
            .find(|location| location.id == location_id)
            .ok_or_else(|| unknown_location(location_id))?;
        engine
            .save_location(LocationRow {
                name: name.to_owned(),
                ..existing
            })
            .await?;
        self.location(company_id, location_id).await
    }

    /// Removes a location and the stock kept there (never the default one).
    pub async fn remove_location(&self, company_id: &str, location_id: &str) -> CoreResult<()> {
        let engine = self.engine(company_id).await?;
        engine.remove_location(location_id).await?;
        Ok(())
    }

    async fn product(&self, company_id: &str, local_id: &str) -> CoreResult<ProductView> {
        let catalogue = self.list_products(company_id).await?;
        catalogue
            .products
            .into_iter()
            .find(|product| product.local_id == local_id)
            .ok_or_else(|| {
                CoreError::Invalid(format!(
                    "Product {local_id} is not in the synced catalogue; see the products listed as not synced."
                ))
            })
    }

    async fn location(&self, company_id: &str, location_id: &str) -> CoreResult<LocationView> {
        self.list_products(company_id)
            .await?
            .locations
            .into_iter()
            .find(|location| location.id == location_id)
            .ok_or_else(|| unknown_location(location_id))
    }
}

/// The QuickBooks id of the active account of this type, preferring the
/// detail type QuickBooks itself uses for items.
fn usual_account(
    accounts: &[local_store::RecordRow],
    account_type: &str,
    sub_type: &str,
) -> Option<String> {
    let candidates: Vec<(&local_store::RecordRow, &Value)> = accounts
        .iter()
        .filter(|row| row.active && row.qbo_id.is_some())
        .filter_map(|row| Some((row, row.local.as_ref().or(row.remote.as_ref())?)))
        .filter(|(_, account)| {
            account.get("AccountType").and_then(Value::as_str) == Some(account_type)
        })
        .collect();
    candidates
        .iter()
        .find(|(_, account)| {
            account.get("AccountSubType").and_then(Value::as_str) == Some(sub_type)
        })
        .or_else(|| candidates.first())
        .and_then(|(row, _)| row.qbo_id.clone())
}

fn unknown_location(location_id: &str) -> CoreError {
    CoreError::Invalid(format!(
        "No location {location_id}; it may have been removed. Refresh the list."
    ))
}

/// The engine's rules from the settings the accountant saved (checked when
/// saved, so a bad value here falls back to the default).
pub(crate) fn product_rules(settings: &ProductSettings) -> ProductRules {
    let defaults = ProductRules::default();
    ProductRules {
        master: match settings.product_master {
            ProductMaster::Quickbooks => stock::ProductMaster::QuickBooks,
            ProductMaster::Ledgerlink => stock::ProductMaster::Ledgerlink,
        },
        default_location: settings.default_location_id.clone(),
        minimum_quantity: settings
            .minimum_quantity
            .parse()
            .unwrap_or(defaults.minimum_quantity),
        non_inventory_quantity: settings
            .non_inventory_quantity
            .parse()
            .unwrap_or(defaults.non_inventory_quantity),
    }
}

/// Checks product settings before they are saved.
pub(crate) fn check_product_settings(
    settings: &ProductSettings,
    locations: &[LocationRow],
) -> CoreResult<()> {
    stock::parse_quantity("The minimum quantity", &settings.minimum_quantity)
        .map_err(CoreError::Invalid)?;
    stock::parse_quantity(
        "The non-inventory quantity",
        &settings.non_inventory_quantity,
    )
    .map_err(CoreError::Invalid)?;
    if !locations
        .iter()
        .any(|location| location.id == settings.default_location_id)
    {
        return Err(CoreError::Invalid(
            "The default location does not exist; choose one of the locations listed.".to_owned(),
        ));
    }
    Ok(())
}

fn optional_quantity(field: &str, text: Option<&str>) -> CoreResult<Option<Decimal>> {
    match text.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(None),
        Some(text) => stock::parse_quantity(field, text)
            .map(Some)
            .map_err(CoreError::Invalid),
    }
}

fn put_text(item: &mut Map<String, Value>, field: &str, text: Option<&str>) {
    if let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) {
        item.insert(field.to_owned(), json!(text));
    }
}

fn put_reference(item: &mut Map<String, Value>, field: &str, id: Option<&str>) {
    if let Some(id) = id.map(str::trim).filter(|id| !id.is_empty()) {
        item.insert(field.to_owned(), json!({ "value": id }));
    }
}

fn engine_kind(kind: ProductKind) -> CatalogueKind {
    match kind {
        ProductKind::Product => CatalogueKind::Product,
        ProductKind::Part => CatalogueKind::Part,
        ProductKind::Service => CatalogueKind::Service,
        ProductKind::Category => CatalogueKind::Category,
    }
}

fn view_kind(kind: CatalogueKind) -> ProductKind {
    match kind {
        CatalogueKind::Product => ProductKind::Product,
        CatalogueKind::Part => ProductKind::Part,
        CatalogueKind::Service => ProductKind::Service,
        CatalogueKind::Category => ProductKind::Category,
    }
}

fn text_of(value: &Value, field: &str) -> Option<String> {
    match value.get(field)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn catalogue_view(snapshot: &CatalogueSnapshot, settings: ProductSettings) -> Catalogue {
    let default_location = settings.default_location_id.clone();
    let mut locations: Vec<LocationView> = snapshot
        .locations
        .iter()
        .map(|location| LocationView {
            id: location.id.clone(),
            name: location.name.clone(),
            is_default: location.id == default_location,
            products: u32::try_from(
                snapshot
                    .entries
                    .iter()
                    .filter(|entry| entry.not_synced.is_none())
                    .filter(|entry| entry.stock.contains_key(&location.id))
                    .count(),
            )
            .unwrap_or(u32::MAX),
        })
        .collect();
    // The default location first, the others by name (as the store reads them).
    locations.sort_by_key(|location| !location.is_default);
    let names_by_id = |id: &str| {
        snapshot
            .locations
            .iter()
            .find(|location| location.id == id)
            .map(|location| location.name.clone())
    };
    let category_names: std::collections::HashMap<String, String> = snapshot
        .entries
        .iter()
        .filter(|entry| entry.kind == CatalogueKind::Category)
        .filter_map(|entry| {
            Some((
                entry.record.qbo_id.clone()?,
                entry.record.summary.name.clone()?,
            ))
        })
        .collect();
    let mut products = Vec::new();
    let mut unsynced = Vec::new();
    for entry in &snapshot.entries {
        let name = entry.record.summary.name.clone().unwrap_or_default();
        if let Some(reason) = &entry.not_synced {
            unsynced.push(UnsyncedProduct {
                local_id: entry.record.local_id.clone(),
                name,
                created_in: match entry.origin {
                    stock::Origin::Ledgerlink => ProductMaster::Ledgerlink,
                    _ => ProductMaster::Quickbooks,
                },
                reason: reason.clone(),
            });
            continue;
        }
        products.push(product_view(
            entry,
            name,
            &names_by_id,
            &category_names,
            &locations,
        ));
    }
    products.sort_by(|left, right| {
        left.name
            .to_lowercase()
            .cmp(&right.name.to_lowercase())
            .then_with(|| left.local_id.cmp(&right.local_id))
    });
    Catalogue {
        settings,
        locations,
        products,
        unsynced,
        notices: snapshot.notices.clone(),
    }
}

fn product_view(
    entry: &CatalogueEntry,
    name: String,
    location_name: &impl Fn(&str) -> Option<String>,
    category_names: &std::collections::HashMap<String, String>,
    locations: &[LocationView],
) -> ProductView {
    let version = entry
        .record
        .local
        .as_ref()
        .or(entry.record.remote.as_ref())
        .cloned()
        .unwrap_or(Value::Null);
    let mut stock = Vec::new();
    let mut total = Decimal::ZERO;
    if entry.kind.has_stock() {
        // Locations in the order the catalogue lists them.
        for location in locations {
            let Some((on_hand, minimum)) = entry.stock.get(&location.id) else {
                continue;
            };
            total += *on_hand;
            stock.push(StockLevel {
                location_id: location.id.clone(),
                location_name: location_name(&location.id).unwrap_or_default(),
                on_hand: on_hand.normalize().to_string(),
                minimum: minimum.map(|minimum| minimum.normalize().to_string()),
                low: minimum.is_some_and(|minimum| *on_hand < minimum),
            });
        }
    }
    let category = version
        .get("ParentRef")
        .and_then(|parent| parent.get("value"))
        .and_then(Value::as_str)
        .and_then(|id| category_names.get(id).cloned());
    ProductView {
        local_id: entry.record.local_id.clone(),
        qbo_id: entry.record.qbo_id.clone(),
        kind: view_kind(entry.kind),
        name,
        sku: text_of(&version, "Sku"),
        description: text_of(&version, "Description"),
        category,
        sales_price: text_of(&version, "UnitPrice"),
        purchase_cost: text_of(&version, "PurchaseCost"),
        taxable: version.get("Taxable").and_then(Value::as_bool) == Some(true),
        active: entry.record.active,
        state: entry.record.state.as_str().to_owned(),
        on_hand: total.normalize().to_string(),
        low: stock.iter().any(|level| level.low),
        stock,
        quantity_note: entry.quantity_note.clone(),
    }
}
