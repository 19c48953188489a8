//! Products and stock, without I/O: what a QuickBooks item is in the local
//! catalogue, how many units a document moves, and the quantity the default
//! location holds while local changes wait to reach QuickBooks.
//!
//! QuickBooks keeps one quantity per inventory item (`QtyOnHand`) and moves
//! it itself when a sales or purchase document is saved, edited, voided or
//! deleted. The default location mirrors that quantity. Rather than keep a
//! second running total that could drift, the default location's quantity
//! is derived every time it is read:
//!
//! ```text
//! on hand = QuickBooks' QtyOnHand
//!         + Σ (effect of the local version − effect of QuickBooks' version)
//!             over documents edited here and not yet sent
//!         + stock adjustments made here and not yet sent
//! ```
//!
//! A document moves stock once: before it is sent its effect is counted by
//! the middle term, after QuickBooks has it the effect is inside
//! `QtyOnHand`, and the middle term is zero for it. An edit counts only the
//! difference between versions and a void or delete brings the quantity
//! back, so nothing is counted twice, in whatever order the two sides'
//! changes arrive.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::entities::decimal;

/// Which side creates new products.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProductMaster {
    /// Products are created in QuickBooks.
    #[default]
    QuickBooks,
    /// Products are created in Ledgerlink.
    Ledgerlink,
}

/// What the catalogue makes of a QuickBooks item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogueKind {
    /// An inventory item: stock-tracked, mirrored at the default location.
    Product,
    /// A non-inventory item: a quantity kept locally only.
    Part,
    /// A service item.
    Service,
    /// A category (a grouping node, never on a document line).
    Category,
}

impl CatalogueKind {
    /// The kind of an item object, by its `Type`; bundles and groups are not
    /// catalogue entries.
    pub fn of_item(item: &Value) -> Option<CatalogueKind> {
        match item.get("Type").and_then(Value::as_str)? {
            "Inventory" => Some(CatalogueKind::Product),
            "NonInventory" => Some(CatalogueKind::Part),
            "Service" => Some(CatalogueKind::Service),
            "Category" => Some(CatalogueKind::Category),
            _ => None,
        }
    }

    /// QuickBooks' `Type` for this kind.
    pub fn item_type(self) -> &'static str {
        match self {
            CatalogueKind::Product => "Inventory",
            CatalogueKind::Part => "NonInventory",
            CatalogueKind::Service => "Service",
            CatalogueKind::Category => "Category",
        }
    }

    /// Whether it has quantities per location.
    pub fn has_stock(self) -> bool {
        matches!(self, CatalogueKind::Product | CatalogueKind::Part)
    }
}

/// The product rules of one company, from its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRules {
    /// Which side creates products.
    pub master: ProductMaster,
    /// The location that mirrors QuickBooks' quantity.
    pub default_location: String,
    /// The minimum set at the default location for products from QuickBooks.
    pub minimum_quantity: Decimal,
    /// The quantity given at the default location to non-inventory items
    /// from QuickBooks.
    pub non_inventory_quantity: Decimal,
}

impl Default for ProductRules {
    fn default() -> Self {
        ProductRules {
            master: ProductMaster::QuickBooks,
            default_location: local_store::MAIN_LOCATION_ID.to_owned(),
            minimum_quantity: Decimal::ZERO,
            non_inventory_quantity: Decimal::ZERO,
        }
    }
}

/// Where an item first came from, as far as the catalogue is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// In QuickBooks when the company was first synced: the shared start.
    Initial,
    /// Created in QuickBooks after the first sync.
    QuickBooks,
    /// Created in Ledgerlink.
    Ledgerlink,
}

impl Origin {
    /// The text stored for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Initial => "initial",
            Origin::QuickBooks => "quickbooks",
            Origin::Ledgerlink => "ledgerlink",
        }
    }

    /// Reads the stored text.
    pub fn parse(text: &str) -> Option<Origin> {
        match text {
            "initial" => Some(Origin::Initial),
            "quickbooks" => Some(Origin::QuickBooks),
            "ledgerlink" => Some(Origin::Ledgerlink),
            _ => None,
        }
    }
}

/// Why a product created on the side that is not the master is not synced,
/// or `None` when it is synced. Products both sides had at the first sync
/// are the shared starting catalogue and always synced.
pub fn not_synced_reason(origin: Origin, master: ProductMaster) -> Option<String> {
    match (origin, master) {
        (Origin::QuickBooks, ProductMaster::Ledgerlink) => Some(
            "Created in QuickBooks, but Ledgerlink is the product master: create it in \
             Ledgerlink (Products ▸ New product), or make QuickBooks the product master in \
             Settings."
                .to_owned(),
        ),
        (Origin::Ledgerlink, ProductMaster::QuickBooks) => Some(
            "Created in Ledgerlink, but QuickBooks is the product master: it is not sent to \
             QuickBooks. Create it in QuickBooks, or make Ledgerlink the product master in \
             Settings."
                .to_owned(),
        ),
        _ => None,
    }
}

/// The sign with which a document type moves stock and the line detail that
/// names the item, as QuickBooks applies it (API.md §3.8): sales take items
/// out, purchases and returns bring them in, estimates and purchase orders
/// move nothing.
fn direction(entity: &str, document: &Value) -> Option<(Decimal, &'static str)> {
    match entity {
        "Invoice" | "SalesReceipt" => Some((Decimal::NEGATIVE_ONE, "SalesItemLineDetail")),
        "CreditMemo" => Some((Decimal::ONE, "SalesItemLineDetail")),
        "Bill" => Some((Decimal::ONE, "ItemBasedExpenseLineDetail")),
        "Purchase" => {
            // A card credit (a refund) sends the goods back.
            let credit = document.get("Credit").and_then(Value::as_bool) == Some(true);
            let sign = if credit {
                Decimal::NEGATIVE_ONE
            } else {
                Decimal::ONE
            };
            Some((sign, "ItemBasedExpenseLineDetail"))
        }
        "VendorCredit" => Some((Decimal::NEGATIVE_ONE, "ItemBasedExpenseLineDetail")),
        _ => None,
    }
}

/// Whether documents of this type move stock.
pub fn moves_stock(entity: &str) -> bool {
    direction(entity, &Value::Null).is_some()
}

/// The units a document moves per item reference (`ItemRef.value`), for
/// items `is_tracked` says are stock-tracked. A missing document (deleted,
/// or not yet created) moves nothing; a voided one has zero quantities.
pub fn document_effect(
    entity: &str,
    document: Option<&Value>,
    is_tracked: impl Fn(&str) -> bool,
) -> BTreeMap<String, Decimal> {
    let mut effect = BTreeMap::new();
    let Some(document) = document else {
        return effect;
    };
    let Some((sign, detail_name)) = direction(entity, document) else {
        return effect;
    };
    let lines = document
        .get("Line")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for line in lines {
        let Some(detail) = line.get(detail_name) else {
            continue;
        };
        let Some(item) = detail
            .get("ItemRef")
            .and_then(|reference| reference.get("value"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        let quantity = detail.get("Qty").and_then(decimal).unwrap_or_default();
        if quantity.is_zero() || !is_tracked(item) {
            continue;
        }
        *effect.entry(item.to_owned()).or_default() += sign * quantity;
    }
    effect.retain(|_, units| !units.is_zero());
    effect
}

/// What a document edited here and not yet in QuickBooks still has to move:
/// the local version's effect less QuickBooks' version's (`None` for a
/// version that does not exist, such as a local delete or a new document).
pub fn pending_effect(
    entity: &str,
    local: Option<&Value>,
    remote: Option<&Value>,
    is_tracked: impl Fn(&str) -> bool,
) -> BTreeMap<String, Decimal> {
    let mut pending = document_effect(entity, local, &is_tracked);
    for (item, units) in document_effect(entity, remote, &is_tracked) {
        *pending.entry(item).or_default() -= units;
    }
    pending.retain(|_, units| !units.is_zero());
    pending
}

/// QuickBooks' quantity on hand of an item object.
pub fn qty_on_hand(item: &Value) -> Decimal {
    item.get("QtyOnHand").and_then(decimal).unwrap_or_default()
}

/// A quantity as an exact JSON number (the workspace's serde_json keeps
/// numbers as written, so no float rounding creeps in).
pub fn quantity_json(quantity: Decimal) -> Value {
    let text = quantity.normalize().to_string();
    text.parse::<serde_json::Number>()
        .map_or(Value::String(text), Value::Number)
}

/// Reads a decimal the user typed, with a message that says what is wrong.
pub fn parse_quantity(field: &str, text: &str) -> Result<Decimal, String> {
    let trimmed = text.trim();
    trimmed.parse::<Decimal>().map_err(|_| {
        format!("{field} must be a number such as 12 or 2.5; \"{trimmed}\" is not one.")
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn invoice(lines: &[(&str, &str)]) -> Value {
        json!({
            "Line": lines.iter().map(|(item, qty)| json!({
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": { "ItemRef": { "value": item }, "Qty": qty }
            })).collect::<Vec<_>>()
        })
    }

    #[test]
    fn an_invoice_takes_units_out_and_a_credit_memo_brings_them_back() {
        let sold = document_effect("Invoice", Some(&invoice(&[("7", "3"), ("7", "2")])), |_| {
            true
        });
        assert_eq!(sold.get("7"), Some(&Decimal::from(-5)));
        let returned = document_effect("CreditMemo", Some(&invoice(&[("7", "1")])), |_| true);
        assert_eq!(returned.get("7"), Some(&Decimal::ONE));
        let estimate = document_effect("Estimate", Some(&invoice(&[("7", "1")])), |_| true);
        assert!(estimate.is_empty());
    }

    #[test]
    fn untracked_items_and_missing_documents_move_nothing() {
        let effect = document_effect("Invoice", Some(&invoice(&[("8", "3")])), |id| id == "7");
        assert!(effect.is_empty());
        assert!(document_effect("Invoice", None, |_| true).is_empty());
    }

    #[test]
    fn an_edit_counts_only_the_difference_and_a_delete_gives_everything_back() {
        let before = invoice(&[("7", "3")]);
        let after = invoice(&[("7", "5")]);
        let edit = pending_effect("Invoice", Some(&after), Some(&before), |_| true);
        assert_eq!(edit.get("7"), Some(&Decimal::from(-2)));
        let delete = pending_effect("Invoice", None, Some(&before), |_| true);
        assert_eq!(delete.get("7"), Some(&Decimal::from(3)));
        let same = pending_effect("Invoice", Some(&before), Some(&before), |_| true);
        assert!(same.is_empty());
    }

    #[test]
    fn the_master_decides_which_side_products_come_from() {
        assert!(not_synced_reason(Origin::Initial, ProductMaster::Ledgerlink).is_none());
        assert!(not_synced_reason(Origin::QuickBooks, ProductMaster::QuickBooks).is_none());
        assert!(not_synced_reason(Origin::QuickBooks, ProductMaster::Ledgerlink).is_some());
        assert!(not_synced_reason(Origin::Ledgerlink, ProductMaster::QuickBooks).is_some());
    }

    #[test]
    fn item_types_map_to_catalogue_kinds() {
        assert_eq!(
            CatalogueKind::of_item(&json!({"Type": "Inventory"})),
            Some(CatalogueKind::Product)
        );
        assert_eq!(
            CatalogueKind::of_item(&json!({"Type": "NonInventory"})),
            Some(CatalogueKind::Part)
        );
        assert_eq!(CatalogueKind::of_item(&json!({"Type": "Group"})), None);
        assert_eq!(
            parse_quantity("Minimum", " 2.50 "),
            Ok(Decimal::new(250, 2))
        );
        assert!(parse_quantity("Minimum", "two").is_err());
    }
}
