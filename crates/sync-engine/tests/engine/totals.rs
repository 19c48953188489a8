//! The total the books show for a transaction QuickBooks has not seen yet
//! equals the total QuickBooks then computes, for tax-inclusive and
//! tax-exclusive sales forms, with and without discounts. The emulator's
//! computation is the reference: each generated document is created in an
//! in-process emulator and its `TotalAmt` compared with the local total.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::str::FromStr;
use std::sync::LazyLock;

use proptest::prelude::*;
use qbo_emulator::clock::Clock;
use qbo_emulator::{Emulator, EmulatorConfig};
use rust_decimal::Decimal;
use serde_json::{Number, Value, json};
use sync_engine::entities::summary_of;

/// One seeded company for every case: each document is a new create in it.
static BOOKS: LazyLock<Books> = LazyLock::new(Books::new);

/// A seeded company to create documents in, with a customer and an item.
struct Books {
    emulator: Emulator,
    realm: String,
    customer: Value,
    item: Value,
}

impl Books {
    fn new() -> Books {
        let emulator = Emulator::new(EmulatorConfig::default(), Clock::real());
        let (realm, _) =
            qbo_emulator::control::create_company(&emulator, None, Some((11, 0))).unwrap();
        let (customer, item) = emulator
            .with_company(&realm, |company| {
                let customer = company.all("Customer").next().unwrap()["Id"].clone();
                let item = company
                    .all("Item")
                    .find(|item| item["Type"] == "Service")
                    .unwrap()["Id"]
                    .clone();
                (customer, item)
            })
            .unwrap();
        Books {
            emulator,
            realm,
            customer: json!({ "value": customer }),
            item: json!({ "value": item }),
        }
    }

    /// QuickBooks' total for the document.
    fn total_in_quickbooks(&self, entity: &str, document: &Value) -> Decimal {
        let now = self.emulator.clock().now();
        let created = self
            .emulator
            .with_company(&self.realm, |company| {
                company.create(entity, document.clone(), now)
            })
            .unwrap()
            .unwrap_or_else(|fault| panic!("the emulator refused {document}: {fault:?}"));
        Decimal::from_str(&created["TotalAmt"].to_string()).unwrap()
    }
}

/// An amount as a JSON number with exactly these digits.
fn amount(value: Decimal) -> Value {
    Value::Number(Number::from_str(&value.to_string()).unwrap())
}

#[derive(Debug, Clone)]
enum Discount {
    None,
    Fixed(i64),
    /// Tenths of a percent.
    Percent(i64),
}

#[derive(Debug, Clone)]
struct SalesForm {
    entity: &'static str,
    /// Line amounts in cents.
    lines: Vec<i64>,
    discount: Discount,
    calculation: Option<&'static str>,
    /// The tax QuickBooks is told, in cents.
    total_tax: Option<i64>,
}

fn sales_forms() -> impl Strategy<Value = SalesForm> {
    (
        prop_oneof![
            Just("Invoice"),
            Just("SalesReceipt"),
            Just("Estimate"),
            Just("CreditMemo"),
        ],
        prop::collection::vec(0i64..=5_000_000, 1..5),
        prop_oneof![
            Just(Discount::None),
            (0i64..=100_000).prop_map(Discount::Fixed),
            (0i64..=500).prop_map(Discount::Percent),
        ],
        prop_oneof![
            Just(None),
            Just(Some("TaxExcluded")),
            Just(Some("TaxInclusive")),
            Just(Some("NotApplicable")),
        ],
        prop::option::of(0i64..=500_000),
    )
        .prop_map(
            |(entity, lines, discount, calculation, total_tax)| SalesForm {
                entity,
                lines,
                discount,
                calculation,
                total_tax,
            },
        )
}

impl SalesForm {
    fn document(&self, books: &Books) -> Value {
        let mut lines: Vec<Value> = self
            .lines
            .iter()
            .map(|cents| {
                json!({
                    "Amount": amount(Decimal::new(*cents, 2)),
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": { "ItemRef": books.item },
                })
            })
            .collect();
        match self.discount {
            Discount::None => {}
            Discount::Fixed(cents) => lines.push(json!({
                "Amount": amount(Decimal::new(cents, 2)),
                "DetailType": "DiscountLineDetail",
                "DiscountLineDetail": { "PercentBased": false },
            })),
            Discount::Percent(tenths) => lines.push(json!({
                "DetailType": "DiscountLineDetail",
                "DiscountLineDetail": {
                    "PercentBased": true,
                    "DiscountPercent": amount(Decimal::new(tenths, 1)),
                },
            })),
        }
        let mut document = json!({ "CustomerRef": books.customer, "Line": lines });
        if let Some(calculation) = self.calculation {
            document["GlobalTaxCalculation"] = json!(calculation);
        }
        if let Some(cents) = self.total_tax {
            document["TxnTaxDetail"] = json!({ "TotalTax": amount(Decimal::new(cents, 2)) });
        }
        document
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn an_unsent_sales_form_shows_the_total_quickbooks_computes(form in sales_forms()) {
        let books = &*BOOKS;
        let document = form.document(books);
        let local = summary_of(form.entity, &document).amount;
        let quickbooks = books.total_in_quickbooks(form.entity, &document);
        prop_assert_eq!(local, Some(quickbooks), "{}", document);
    }
}

/// The case the issue names: 100 of lines and 11.50 of tax included in them
/// is 100 in QuickBooks, not 111.50; the same tax added on top is 111.50.
#[test]
fn tax_included_in_the_lines_is_not_added_again() {
    let books = &*BOOKS;
    for (calculation, expected) in [("TaxInclusive", "100.00"), ("TaxExcluded", "111.50")] {
        let document = json!({
            "CustomerRef": books.customer,
            "GlobalTaxCalculation": calculation,
            "TxnTaxDetail": { "TotalTax": amount(Decimal::new(1150, 2)) },
            "Line": [{
                "Amount": amount(Decimal::new(10000, 2)),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": { "ItemRef": books.item },
            }],
        });
        let expected = Decimal::from_str(expected).unwrap();
        assert_eq!(summary_of("Invoice", &document).amount, Some(expected));
        assert_eq!(books.total_in_quickbooks("Invoice", &document), expected);
    }
}
