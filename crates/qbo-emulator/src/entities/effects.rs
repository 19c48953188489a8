//! What a transaction does to other objects: payments reduce invoice balances,
//! bill payments reduce bill balances, deposits take in payments, and sales and
//! purchases move inventory. Every write computes the effects of the old and the
//! new version and applies the difference, so updates, voids and deletes undo
//! exactly what the earlier version did.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::money::{parse_decimal, round_cents, to_json};
use super::{EntityKind, bool_field, ref_value, str_field};
use crate::fault::Fault;
use crate::state::Company;

/// The effects of one version of a transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// Item id → change in quantity on hand.
    pub stock: BTreeMap<u64, Decimal>,
    /// Invoice, bill, credit memo or vendor credit → amount applied to it.
    pub applications: BTreeMap<(EntityKind, u64), Decimal>,
    /// Payments and sales receipts this deposit takes in.
    pub deposits: BTreeSet<(EntityKind, u64)>,
}

/// The direction in which a transaction moves stock: sales take items out,
/// purchases and returns bring them in; estimates and purchase orders do nothing.
fn stock_direction(kind: EntityKind, doc: &Map<String, Value>) -> Option<(Decimal, &'static str)> {
    match kind {
        EntityKind::Invoice | EntityKind::SalesReceipt => {
            Some((Decimal::NEGATIVE_ONE, "SalesItemLineDetail"))
        }
        EntityKind::CreditMemo => Some((Decimal::ONE, "SalesItemLineDetail")),
        EntityKind::Bill => Some((Decimal::ONE, "ItemBasedExpenseLineDetail")),
        EntityKind::Purchase => {
            // A credit-card credit (refund) returns the goods.
            let sign = if bool_field(doc, "Credit").unwrap_or(false) {
                Decimal::NEGATIVE_ONE
            } else {
                Decimal::ONE
            };
            Some((sign, "ItemBasedExpenseLineDetail"))
        }
        EntityKind::VendorCredit => Some((Decimal::NEGATIVE_ONE, "ItemBasedExpenseLineDetail")),
        _ => None,
    }
}

fn lines(doc: &Map<String, Value>) -> impl Iterator<Item = &Map<String, Value>> {
    doc.get("Line")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

fn links(line: &Map<String, Value>) -> impl Iterator<Item = (&str, &str)> {
    line.get("LinkedTxn")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|link| Some((link.get("TxnType")?.as_str()?, link.get("TxnId")?.as_str()?)))
}

/// The effects of a stored or about-to-be-stored version of a transaction.
pub fn effects_of(company: &Company, kind: EntityKind, doc: &Map<String, Value>) -> Effects {
    let mut effects = Effects::default();
    if let Some((sign, detail_name)) = stock_direction(kind, doc) {
        for line in lines(doc) {
            let Some(detail) = line.get(detail_name).and_then(Value::as_object) else {
                continue;
            };
            let Some(item_id) = ref_value(detail, "ItemRef").and_then(|id| id.parse::<u64>().ok())
            else {
                continue;
            };
            let is_inventory = company
                .get(EntityKind::Item, item_id)
                .and_then(|item| str_field(item, "Type"))
                == Some("Inventory");
            let quantity = detail
                .get("Qty")
                .and_then(parse_decimal)
                .unwrap_or(Decimal::ZERO);
            if is_inventory && !quantity.is_zero() {
                *effects.stock.entry(item_id).or_default() += sign * quantity;
            }
        }
    }
    match kind {
        EntityKind::Payment | EntityKind::BillPayment => {
            for line in lines(doc) {
                let amount = line
                    .get("Amount")
                    .and_then(parse_decimal)
                    .unwrap_or(Decimal::ZERO);
                for (txn_type, txn_id) in links(line) {
                    let (Some(target), Ok(id)) =
                        (EntityKind::parse(txn_type), txn_id.parse::<u64>())
                    else {
                        continue;
                    };
                    *effects.applications.entry((target, id)).or_default() += amount;
                }
            }
        }
        EntityKind::Deposit => {
            for line in lines(doc) {
                for (txn_type, txn_id) in links(line) {
                    let target = match txn_type {
                        "Payment" | "ReceivePayment" => EntityKind::Payment,
                        "SalesReceipt" => EntityKind::SalesReceipt,
                        _ => continue,
                    };
                    if let Ok(id) = txn_id.parse::<u64>() {
                        effects.deposits.insert((target, id));
                    }
                }
            }
        }
        _ => {}
    }
    effects.stock.retain(|_, delta| !delta.is_zero());
    effects
}

/// The customer or vendor a transaction belongs to, as (kind, id).
pub fn party(kind: EntityKind, doc: &Map<String, Value>) -> Option<(EntityKind, u64)> {
    let party_kind = match kind {
        EntityKind::Invoice
        | EntityKind::CreditMemo
        | EntityKind::Payment
        | EntityKind::SalesReceipt => EntityKind::Customer,
        EntityKind::Bill | EntityKind::VendorCredit | EntityKind::BillPayment => EntityKind::Vendor,
        _ => return None,
    };
    let id = party_of(kind, doc)?.parse::<u64>().ok()?;
    Some((party_kind, id))
}

/// What one transaction adds to its customer's or vendor's open balance:
/// open invoices and bills count up; unused credits and unapplied payments
/// count down.
pub fn balance_contribution(
    company: &Company,
    kind: EntityKind,
    id: u64,
    doc: &Map<String, Value>,
) -> Decimal {
    match kind {
        EntityKind::Invoice | EntityKind::Bill => amount(doc, "Balance"),
        EntityKind::CreditMemo => -amount(doc, "Balance"),
        EntityKind::VendorCredit => applied_to(company, kind, id) - amount(doc, "TotalAmt"),
        EntityKind::Payment => -amount(doc, "UnappliedAmt"),
        EntityKind::BillPayment => {
            let mut net_applied = Decimal::ZERO;
            for line in lines(doc) {
                let line_amount = amount(line, "Amount");
                for (txn_type, _) in links(line) {
                    match txn_type {
                        "Bill" => net_applied += line_amount,
                        "VendorCredit" => net_applied -= line_amount,
                        _ => {}
                    }
                }
            }
            net_applied - amount(doc, "TotalAmt")
        }
        _ => Decimal::ZERO,
    }
}

/// The party a transaction belongs to (its customer or vendor id).
fn party_of(kind: EntityKind, doc: &Map<String, Value>) -> Option<&str> {
    match kind {
        EntityKind::Invoice
        | EntityKind::CreditMemo
        | EntityKind::Payment
        | EntityKind::SalesReceipt => ref_value(doc, "CustomerRef"),
        EntityKind::Bill | EntityKind::VendorCredit | EntityKind::BillPayment => {
            ref_value(doc, "VendorRef")
        }
        _ => None,
    }
}

fn amount(doc: &Map<String, Value>, field: &str) -> Decimal {
    doc.get(field)
        .and_then(parse_decimal)
        .unwrap_or(Decimal::ZERO)
}

/// Σ of what all transactions have applied to a target.
pub fn applied_to(company: &Company, kind: EntityKind, id: u64) -> Decimal {
    company
        .applications
        .get(&(kind, id))
        .map(|sources| sources.values().copied().sum())
        .unwrap_or(Decimal::ZERO)
}

/// Checks that the effects can be applied: targets are open, belong to the same
/// customer or vendor, are not over-applied, and are not in another deposit.
pub fn check(
    company: &Company,
    kind: EntityKind,
    self_id: Option<u64>,
    doc: &Map<String, Value>,
    effects: &Effects,
) -> Result<(), Fault> {
    let party = party_of(kind, doc);
    for ((target_kind, target_id), amount_applied) in &effects.applications {
        let Some(target) = company.get(*target_kind, *target_id) else {
            return Err(
                Fault::object_not_found(target_kind.name(), &target_id.to_string())
                    .with_element("Line.LinkedTxn"),
            );
        };
        if company.is_voided(*target_kind, *target_id) {
            return Err(Fault::business(format!(
                "{target_kind} {target_id} has been voided; payments cannot be applied to it."
            )));
        }
        if party.is_some() && party_of(*target_kind, target) != party {
            return Err(Fault::business(format!(
                "{target_kind} {target_id} belongs to a different customer or vendor than this {kind}."
            )));
        }
        let others: Decimal = company
            .applications
            .get(&(*target_kind, *target_id))
            .map(|sources| {
                sources
                    .iter()
                    .filter(|(source, _)| Some(**source) != self_id.map(|id| (kind, id)))
                    .map(|(_, applied)| *applied)
                    .sum()
            })
            .unwrap_or(Decimal::ZERO);
        let open = amount(target, "TotalAmt") - amount(target, "Deposit") - others;
        if *amount_applied > open {
            return Err(Fault::business(format!(
                "The amount applied to {target_kind} {target_id} ({amount_applied}) is more than its open balance ({open})."
            ))
            .with_element("Line.Amount"));
        }
    }
    for (target_kind, target_id) in &effects.deposits {
        if let Some(deposit) = company.deposited.get(&(*target_kind, *target_id))
            && Some(*deposit) != self_id
        {
            return Err(Fault::business(format!(
                "{target_kind} {target_id} is already in deposit {deposit}."
            )));
        }
    }
    Ok(())
}

/// The LinkedTxn type a source transaction shows on its target.
fn source_txn_type(company: &Company, kind: EntityKind, id: u64) -> &'static str {
    match kind {
        EntityKind::BillPayment => {
            let pay_type = company
                .get(kind, id)
                .and_then(|doc| str_field(doc, "PayType"))
                .unwrap_or("Check");
            if pay_type == "CreditCard" {
                "BillPaymentCreditCard"
            } else {
                "BillPaymentCheck"
            }
        }
        EntityKind::Payment => "Payment",
        other => other.name(),
    }
}

const SERVER_LINK_TYPES: [&str; 4] = [
    "Payment",
    "BillPaymentCheck",
    "BillPaymentCreditCard",
    "BillPayment",
];

/// A target's LinkedTxn: the links the client set (to estimates, purchase
/// orders, …) followed by the transactions that pay it.
pub fn linked_txn_list(
    company: &Company,
    kind: EntityKind,
    self_id: Option<u64>,
    given: Option<&Value>,
) -> Value {
    let mut list: Vec<Value> = given
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|link| {
            let txn_type = link.get("TxnType").and_then(Value::as_str).unwrap_or("");
            !SERVER_LINK_TYPES.contains(&txn_type)
        })
        .cloned()
        .collect();
    if let Some(sources) = self_id.and_then(|id| company.applications.get(&(kind, id))) {
        for (source_kind, source_id) in sources.keys() {
            list.push(json!({
                "TxnId": source_id.to_string(),
                "TxnType": source_txn_type(company, *source_kind, *source_id),
            }));
        }
    }
    Value::Array(list)
}

/// Replaces the effects of a transaction's old version by those of its new one.
pub fn replace(
    company: &mut Company,
    kind: EntityKind,
    id: u64,
    old: &Effects,
    new: &Effects,
    now: DateTime<Utc>,
) {
    let items: BTreeSet<u64> = old.stock.keys().chain(new.stock.keys()).copied().collect();
    for item_id in items {
        let delta = new.stock.get(&item_id).copied().unwrap_or_default()
            - old.stock.get(&item_id).copied().unwrap_or_default();
        if delta.is_zero() {
            continue;
        }
        let Some(mut item) = company.get_mut(EntityKind::Item, item_id) else {
            continue;
        };
        let on_hand = item
            .get("QtyOnHand")
            .and_then(parse_decimal)
            .unwrap_or_default();
        item.insert("QtyOnHand".to_owned(), to_json(on_hand + delta));
        drop(item);
        company.touch(EntityKind::Item, item_id, now);
    }

    let targets: BTreeSet<(EntityKind, u64)> = old
        .applications
        .keys()
        .chain(new.applications.keys())
        .copied()
        .collect();
    for target in targets {
        let before = old.applications.get(&target).copied();
        let after = new.applications.get(&target).copied();
        let sources = company.applications.entry(target).or_default();
        match after {
            Some(amount) => {
                sources.insert((kind, id), amount);
            }
            None => {
                sources.remove(&(kind, id));
            }
        }
        if sources.is_empty() {
            company.applications.remove(&target);
        }
        if before != after {
            recompute_target(company, target.0, target.1, now);
        }
    }

    for target in old.deposits.difference(&new.deposits) {
        company.deposited.remove(target);
    }
    for target in &new.deposits {
        company.deposited.insert(*target, id);
    }
}

/// Recomputes a paid transaction's balance and LinkedTxn after the payments
/// applied to it changed.
fn recompute_target(company: &mut Company, kind: EntityKind, id: u64, now: DateTime<Utc>) {
    let Some(doc) = company.get(kind, id) else {
        return;
    };
    let applied = applied_to(company, kind, id);
    let balance = amount(doc, "TotalAmt") - amount(doc, "Deposit") - applied;
    let rate = doc.get("ExchangeRate").and_then(parse_decimal);
    let linked = matches!(kind, EntityKind::Invoice | EntityKind::Bill)
        .then(|| linked_txn_list(company, kind, Some(id), doc.get("LinkedTxn")));
    let Some(mut doc) = company.get_mut(kind, id) else {
        return;
    };
    if matches!(
        kind,
        EntityKind::Invoice | EntityKind::Bill | EntityKind::CreditMemo
    ) {
        doc.insert("Balance".to_owned(), to_json(balance));
        if let Some(rate) = rate {
            doc.insert(
                "HomeBalance".to_owned(),
                to_json(round_cents(balance * rate)),
            );
        }
    }
    if kind == EntityKind::CreditMemo {
        doc.insert("RemainingCredit".to_owned(), to_json(balance));
    }
    if let Some(linked) = linked {
        doc.insert("LinkedTxn".to_owned(), linked);
    }
    drop(doc);
    company.touch(kind, id, now);
}

/// Before a paid transaction is deleted or voided, takes it out of the payments
/// applied to it: their lines for it are removed and the money becomes unapplied.
pub fn unlink_sources(company: &mut Company, kind: EntityKind, id: u64, now: DateTime<Utc>) {
    let Some(sources) = company.applications.remove(&(kind, id)) else {
        return;
    };
    for (source_kind, source_id) in sources.keys() {
        let Some(mut doc) = company.get_mut(*source_kind, *source_id) else {
            continue;
        };
        let target_id = id.to_string();
        if let Some(Value::Array(source_lines)) = doc.get_mut("Line") {
            source_lines.retain(|line| {
                let line = line.as_object();
                !line.is_some_and(|line| {
                    links(line)
                        .any(|(txn_type, txn_id)| txn_type == kind.name() && txn_id == target_id)
                })
            });
        }
        if *source_kind == EntityKind::Payment {
            let mut net_applied = Decimal::ZERO;
            for line in lines(&doc) {
                let line_amount = amount(line, "Amount");
                for (txn_type, _) in links(line) {
                    match txn_type {
                        "Invoice" => net_applied += line_amount,
                        "CreditMemo" => net_applied -= line_amount,
                        _ => {}
                    }
                }
            }
            let unapplied = amount(&doc, "TotalAmt") - net_applied;
            doc.insert("UnappliedAmt".to_owned(), to_json(unapplied));
        }
        drop(doc);
        company.touch(*source_kind, *source_id, now);
    }
}
