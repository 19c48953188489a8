//! The pure plan of a push: pending local changes in, QBO operations out,
//! in an order QuickBooks accepts.
//!
//! Order (QuickBooks runs the items of one batch in no guaranteed order, so
//! an operation never shares a batch with one it may depend on):
//! 1. list creates and updates, in dependency order (accounts before the
//!    items that post to them, parties before the documents that name them);
//! 2. transaction creates and updates, linked-to documents first (an
//!    invoice before the payment that applies to it);
//! 3. transaction deletes and voids, documents that link to others first (a
//!    deposit before the payment it deposits, a payment before its
//!    invoice), after the updates, since QuickBooks deletes a document only
//!    once nothing links to it any more (an edited payment may unlink the
//!    invoice being deleted);
//! 4. list deactivations, dependants first (an item before the account it
//!    posts to), after every transaction that stops using them.
//!
//! Within a stage, operations are sorted by `local_id` for determinism.
//!
//! Update bodies are sparse: `Id`, the base's `SyncToken`, `"sparse": true`,
//! every changed writable top-level field (a whole `Line` array when any
//! line changed, since QuickBooks replaces arrays whole; existing lines keep
//! their `Id` so QuickBooks updates them in place), and the fields
//! QuickBooks wants even in a sparse body ([`sparse_required_fields`]). A
//! top-level field removed locally is sent as `null`, which clears it
//! (QuickBooks and the emulator both drop a member set to null). Deposits
//! ignore `sparse` (PITFALLS 5), so a deposit update is the full local
//! version.

use local_store::{Intent, OpKind};
use serde_json::{Map, Value, json};

use crate::entities::{
    can_void, display_label, entity_words, is_api_read_only, is_master, is_subtotal_line, push_rank,
};
use crate::merge::{changed_fields, is_server_managed};

/// A record whose local version has not reached QuickBooks.
#[derive(Debug, Clone, Copy)]
pub struct PendingChange<'a> {
    /// The record.
    pub local_id: &'a str,
    /// Its entity type.
    pub entity_type: &'a str,
    /// QuickBooks' id, once created there.
    pub qbo_id: Option<&'a str>,
    /// The base's SyncToken.
    pub sync_token: Option<&'a str>,
    /// The last agreed version (None: never pushed).
    pub base: Option<&'a Value>,
    /// The working copy.
    pub local: &'a Value,
    /// A delete or void waiting.
    pub intent: Intent,
}

/// One write to QuickBooks.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The record.
    pub local_id: String,
    /// Its entity type.
    pub entity: String,
    /// What to do.
    pub kind: OpKind,
    /// The body to send (for delete and void: `Id` and `SyncToken`).
    pub body: Value,
    /// The top-level fields an update changes (for a deactivation: `Active`).
    pub fields: Vec<String>,
}

impl Operation {
    /// The sending stage: operations of different stages never share a
    /// batch, and lower stages go first.
    fn stage(&self) -> (u8, usize) {
        let rank = push_rank(&self.entity);
        let reverse = usize::MAX - rank;
        let deactivates = self.kind == OpKind::Deactivate
            || (self.kind == OpKind::Update
                && is_master(&self.entity)
                && self.body.get("Active") == Some(&Value::Bool(false)));
        match self.kind {
            _ if deactivates => (3, reverse),
            OpKind::Delete | OpKind::Void => (2, reverse),
            _ if is_master(&self.entity) => (0, rank),
            _ => (1, rank),
        }
    }

    /// Whether this operation must be sent in a later batch than `earlier`
    /// (it may need what `earlier` creates, changes or removes).
    pub fn must_follow(&self, earlier: &Operation) -> bool {
        self.stage() > earlier.stage()
    }
}

/// What the next push sends, and what it cannot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The operations, in sending order.
    pub operations: Vec<Operation>,
    /// Changes that cannot be planned: `(local_id, why, naming the record)`.
    pub refused: Vec<(String, String)>,
}

impl Plan {
    /// The operations in batches of at most `max` (at least one), each
    /// batch holding one stage only, so an operation is always in a later
    /// batch than any it depends on.
    pub fn batches(&self, max: usize) -> Vec<&[Operation]> {
        let max = max.max(1);
        let mut batches = Vec::new();
        let mut start = 0;
        for index in 1..=self.operations.len() {
            let boundary = index == self.operations.len()
                || index - start == max
                || self.operations[index].stage() != self.operations[start].stage();
            if boundary {
                batches.push(&self.operations[start..index]);
                start = index;
            }
        }
        batches
    }
}

/// Plans the operations for the pending changes. Records with nothing
/// writable changed produce no operation; changes QuickBooks cannot take
/// are listed in [`Plan::refused`].
pub fn plan(changes: &[PendingChange<'_>]) -> Plan {
    let mut plan = Plan::default();
    for change in changes {
        match plan_one(change) {
            Ok(Some(operation)) => plan.operations.push(operation),
            Ok(None) => {}
            Err(reason) => plan.refused.push((change.local_id.to_owned(), reason)),
        }
    }
    // Each operation's stage is worked out once, not at every comparison.
    plan.operations
        .sort_by_cached_key(|operation| (operation.stage(), operation.local_id.clone()));
    plan
}

fn plan_one(change: &PendingChange<'_>) -> Result<Option<Operation>, String> {
    let entity = change.entity_type;
    // Named only in a refusal: most changes are planned without them.
    let label = || display_label(entity, change.base.unwrap_or(change.local));
    let words = || entity_words(entity).to_lowercase();
    if is_api_read_only(entity) {
        return Err(format!(
            "{label}: QuickBooks does not let apps change {words} records. Make the change in QuickBooks, or undo it here.",
            label = label(),
            words = words()
        ));
    }
    if change.intent == Intent::Void && !can_void(entity) {
        let instead = if is_master(entity) {
            "make it inactive instead"
        } else {
            "delete it instead, or void it in QuickBooks"
        };
        return Err(format!(
            "{label}: QuickBooks cannot void a {words} through its API; {instead}.",
            label = label(),
            words = words()
        ));
    }
    let operation = |kind, body, fields| Operation {
        local_id: change.local_id.to_owned(),
        entity: entity.to_owned(),
        kind,
        body,
        fields,
    };
    let Some(id) = change.qbo_id else {
        return Ok(match change.intent {
            // Never reached QuickBooks: nothing to delete or void there.
            Intent::Delete | Intent::Void => None,
            Intent::None => Some(operation(
                OpKind::Create,
                create_body(entity, change.local),
                Vec::new(),
            )),
        });
    };
    let Some(token) = change.sync_token else {
        return Err(format!(
            "{label} has no SyncToken for QuickBooks id {id}; sync again to fetch QuickBooks' version, then push.",
            label = label()
        ));
    };
    match change.intent {
        Intent::Delete if is_master(entity) => {
            let known = change.base.unwrap_or(change.local);
            let mut body = Map::new();
            body.insert("Id".to_owned(), json!(id));
            body.insert("SyncToken".to_owned(), json!(token));
            body.insert("sparse".to_owned(), json!(true));
            body.extend(required_fields(entity, known));
            body.insert("Active".to_owned(), json!(false));
            Ok(Some(operation(
                OpKind::Deactivate,
                Value::Object(body),
                vec!["Active".to_owned()],
            )))
        }
        Intent::Delete => Ok(Some(operation(
            OpKind::Delete,
            json!({ "Id": id, "SyncToken": token }),
            Vec::new(),
        ))),
        Intent::Void => Ok(Some(operation(
            OpKind::Void,
            json!({ "Id": id, "SyncToken": token }),
            Vec::new(),
        ))),
        Intent::None => {
            let Some(base) = change.base else {
                return Err(format!(
                    "{label} has no agreed version to compare with; sync again to fetch QuickBooks' version, then push.",
                    label = label()
                ));
            };
            let fields = changed_writable_fields(entity, base, change.local);
            if fields.is_empty() {
                return Ok(None);
            }
            let body = update_body(entity, id, token, base, change.local);
            Ok(body.map(|body| operation(OpKind::Update, body, fields)))
        }
    }
}

/// Fields QuickBooks computes or keeps for itself beyond the server-managed
/// ones: they may differ locally (a merge keeps them) but are never sent.
pub const READ_ONLY_FIELDS: &[&str] = &[
    "FullyQualifiedName",
    "Classification",
    "CurrentBalance",
    "CurrentBalanceWithSubAccounts",
    "BalanceWithJobs",
    "RemainingCredit",
];

fn is_sendable(entity: &str, field: &str) -> bool {
    !is_server_managed(entity, field) && !READ_ONLY_FIELDS.contains(&field)
}

/// A new inventory item carries its opening quantity; afterwards QuickBooks
/// moves the quantity itself.
fn is_opening_quantity(entity: &str, field: &str) -> bool {
    entity == "Item" && field == "QtyOnHand"
}

/// A create body: the local version without what QuickBooks assigns or
/// computes, and without line `Id`s (a line copied from another record must
/// become a new line, not point at someone else's).
pub fn create_body(entity: &str, local: &Value) -> Value {
    let Value::Object(map) = local else {
        return local.clone();
    };
    let body: Map<String, Value> = map
        .iter()
        .filter(|(key, _)| is_sendable(entity, key) || is_opening_quantity(entity, key))
        .map(|(key, value)| {
            let value = if key == "Line" {
                without_line_ids(value)
            } else {
                value.clone()
            };
            (key.clone(), value)
        })
        .collect();
    Value::Object(body)
}

fn without_line_ids(lines: &Value) -> Value {
    match lines {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .filter(|line| !is_subtotal_line(line))
                .map(|line| match line {
                    Value::Object(line) => {
                        let mut line = line.clone();
                        line.remove("Id");
                        Value::Object(line)
                    }
                    other => other.clone(),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The writable top-level fields that differ for QuickBooks, in the local
/// object's order, then those removed locally.
fn changed_writable_fields(entity: &str, base: &Value, local: &Value) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    for path in changed_fields(entity, base, local) {
        if let Some(key) = path.top_level()
            && is_sendable(entity, key)
            && !fields.iter().any(|known| known == key)
        {
            fields.push(key.to_owned());
        }
    }
    fields
}

/// A sparse update body for `local` against `base`, with the `Id` and
/// `SyncToken` of `base`; None when nothing writable changed (or the base
/// has no `Id`/`SyncToken`).
pub fn sparse_body(entity: &str, base: &Value, local: &Value) -> Option<Value> {
    let id = id_text(base.get("Id")?)?;
    let token = id_text(base.get("SyncToken")?)?;
    update_body(entity, &id, &token, base, local)
}

fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// An update body: sparse with the changed top-level fields plus the fields
/// QuickBooks requires even in sparse updates; the full local version for a
/// deposit. None when nothing writable changed.
pub fn update_body(
    entity: &str,
    id: &str,
    sync_token: &str,
    base: &Value,
    local: &Value,
) -> Option<Value> {
    let fields = changed_writable_fields(entity, base, local);
    if fields.is_empty() {
        return None;
    }
    let Value::Object(local_map) = local else {
        return None;
    };
    let mut body = Map::new();
    body.insert("Id".to_owned(), json!(id));
    body.insert("SyncToken".to_owned(), json!(sync_token));
    if !honours_sparse(entity) {
        body.insert("sparse".to_owned(), json!(false));
        for (key, value) in local_map {
            if is_sendable(entity, key) {
                body.insert(key.clone(), value.clone());
            }
        }
        return Some(Value::Object(body));
    }
    body.insert("sparse".to_owned(), json!(true));
    body.extend(required_fields(entity, local));
    for field in fields {
        let value = local_map.get(&field).cloned().unwrap_or(Value::Null);
        body.insert(field, value);
    }
    Some(Value::Object(body))
}

/// Whether QuickBooks applies `"sparse": true` to this type; deposits are
/// always updated in full (PITFALLS 5).
pub fn honours_sparse(entity: &str) -> bool {
    entity != "Deposit"
}

/// Fields sent in every sparse update of the type, changed or not.
///
/// - Account: `Name` and `AccountType` (API.md §3.3; `AccountSubType` is
///   sent instead only when the account has no type).
/// - Purchase: `PaymentType` and `AccountRef`; Bill: `VendorRef` (refused
///   without them by QuickBooks, reproduced by the emulator).
/// - Other transactions: their party (`CustomerRef`, `VendorRef`), and a
///   bill payment its `PayType`, which say how QuickBooks reads the rest of
///   the body; sending them unchanged changes nothing.
/// - Customer, Vendor, Employee: `DisplayName`; other lists: `Name` (their
///   identity, which a sparse body may not clear).
pub fn sparse_required_fields(entity: &str) -> &'static [&'static str] {
    match entity {
        "Account" => &["Name", "AccountType"],
        "Customer" | "Vendor" | "Employee" => &["DisplayName"],
        "Item" | "Class" | "Department" | "Term" | "PaymentMethod" => &["Name"],
        "Invoice" | "SalesReceipt" | "Estimate" | "CreditMemo" | "Payment" => &["CustomerRef"],
        "Bill" | "VendorCredit" | "PurchaseOrder" => &["VendorRef"],
        "BillPayment" => &["VendorRef", "PayType"],
        "Purchase" => &["PaymentType", "AccountRef"],
        _ => &[],
    }
}

fn required_fields(entity: &str, object: &Value) -> Map<String, Value> {
    let mut fields = Map::new();
    for key in sparse_required_fields(entity) {
        if let Some(value) = object.get(*key).filter(|value| !value.is_null()) {
            fields.insert((*key).to_owned(), value.clone());
        }
    }
    if entity == "Account"
        && !fields.contains_key("AccountType")
        && let Some(sub_type) = object
            .get("AccountSubType")
            .filter(|value| !value.is_null())
    {
        fields.insert("AccountSubType".to_owned(), sub_type.clone());
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sparse_update_sends_only_what_changed_with_the_base_token() {
        let base = json!({"Id": "9", "SyncToken": "3", "CustomerRef": {"value": "1"}, "PrivateNote": "a", "Line": [{"Id": "1", "Amount": 5}], "TotalAmt": 5});
        let mut local = base.clone();
        local["PrivateNote"] = json!("b");
        local["TotalAmt"] = json!(6);
        assert_eq!(
            sparse_body("Invoice", &base, &local),
            Some(
                json!({"Id": "9", "SyncToken": "3", "sparse": true, "CustomerRef": {"value": "1"}, "PrivateNote": "b"})
            )
        );
        assert_eq!(sparse_body("Invoice", &base, &base), None);
    }

    #[test]
    fn a_field_removed_here_is_sent_as_null() {
        let base =
            json!({"Id": "9", "SyncToken": "3", "VendorRef": {"value": "2"}, "PrivateNote": "a"});
        let local = json!({"Id": "9", "SyncToken": "3", "VendorRef": {"value": "2"}});
        let body = sparse_body("Bill", &base, &local).unwrap();
        assert_eq!(body["PrivateNote"], Value::Null);
        assert_eq!(body["VendorRef"], json!({"value": "2"}));
    }

    #[test]
    fn a_relabelled_reference_is_no_change() {
        let base =
            json!({"Id": "9", "SyncToken": "3", "CustomerRef": {"value": "1", "name": "Acme"}});
        let local =
            json!({"Id": "9", "SyncToken": "3", "CustomerRef": {"value": "1", "name": "Acme Ltd"}});
        assert_eq!(sparse_body("Invoice", &base, &local), None);
    }
}
