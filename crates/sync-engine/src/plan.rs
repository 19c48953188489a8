//! The pure plan of a push: pending local changes in, QBO operations out,
//! in an order QuickBooks accepts (lists before the transactions that
//! reference them, documents before the documents linking to them).

use local_store::{Intent, OpKind};
use serde_json::{Map, Value, json};

use crate::entities::{can_void, is_master, is_read_only, push_rank};
use crate::merge::{SERVER_FIELDS, is_server_managed, same};

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
    /// The top-level fields an update changes.
    pub fields: Vec<String>,
}

/// What the next push sends, and what it cannot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The operations, in sending order.
    pub operations: Vec<Operation>,
    /// Changes that cannot be planned, with why.
    pub refused: Vec<(String, String)>,
}

impl Plan {
    /// The operations in batches of at most `max`, never putting an
    /// operation in a batch with one of an earlier push rank, so whatever it
    /// references already exists when its batch runs.
    pub fn batches(&self, max: usize) -> Vec<&[Operation]> {
        let max = max.max(1);
        let mut batches = Vec::new();
        let mut start = 0;
        for index in 1..=self.operations.len() {
            let boundary = index == self.operations.len()
                || index - start == max
                || stage(&self.operations[index]) != stage(&self.operations[start]);
            if boundary {
                batches.push(&self.operations[start..index]);
                start = index;
            }
        }
        batches
    }
}

/// Which group an operation is sent in: list creates and updates, then each
/// transaction type, then transaction deletes, then list deactivations.
fn stage(operation: &Operation) -> (u8, usize) {
    match operation.kind {
        OpKind::Deactivate => (3, push_rank(&operation.entity)),
        OpKind::Delete | OpKind::Void => (2, 0),
        _ if is_master(&operation.entity) => (0, push_rank(&operation.entity)),
        _ => (1, push_rank(&operation.entity)),
    }
}

/// Plans the operations for the pending changes.
pub fn plan(changes: &[PendingChange<'_>]) -> Plan {
    let mut plan = Plan::default();
    for change in changes {
        if is_read_only(change.entity_type) {
            plan.refused.push((
                change.local_id.to_owned(),
                format!(
                    "{} is read-only through the QuickBooks API",
                    change.entity_type
                ),
            ));
            continue;
        }
        match plan_one(change) {
            Ok(Some(operation)) => plan.operations.push(operation),
            Ok(None) => {}
            Err(reason) => plan.refused.push((change.local_id.to_owned(), reason)),
        }
    }
    plan.operations.sort_by(|left, right| {
        stage(left)
            .cmp(&stage(right))
            .then_with(|| left.local_id.cmp(&right.local_id))
    });
    plan
}

fn plan_one(change: &PendingChange<'_>) -> Result<Option<Operation>, String> {
    let entity = change.entity_type;
    let existing = change.qbo_id.zip(change.sync_token);
    let operation = |kind, body, fields| Operation {
        local_id: change.local_id.to_owned(),
        entity: entity.to_owned(),
        kind,
        body,
        fields,
    };
    match (change.intent, existing) {
        (Intent::Delete, None) | (Intent::Void, None) => Ok(None),
        (Intent::Delete, Some((id, token))) if is_master(entity) => {
            let mut body = required_fields(entity, change.local);
            body.insert("Id".to_owned(), json!(id));
            body.insert("SyncToken".to_owned(), json!(token));
            body.insert("sparse".to_owned(), json!(true));
            body.insert("Active".to_owned(), json!(false));
            Ok(Some(operation(
                OpKind::Deactivate,
                Value::Object(body),
                vec!["Active".to_owned()],
            )))
        }
        (Intent::Delete, Some((id, token))) => Ok(Some(operation(
            OpKind::Delete,
            json!({ "Id": id, "SyncToken": token }),
            Vec::new(),
        ))),
        (Intent::Void, Some((id, token))) => {
            if !can_void(entity) {
                return Err(format!(
                    "QuickBooks cannot void a {entity} through the API; delete it instead"
                ));
            }
            Ok(Some(operation(
                OpKind::Void,
                json!({ "Id": id, "SyncToken": token }),
                Vec::new(),
            )))
        }
        (Intent::None, None) => Ok(Some(operation(
            OpKind::Create,
            create_body(entity, change.local),
            Vec::new(),
        ))),
        (Intent::None, Some((id, token))) => {
            let base = change.base.unwrap_or(&Value::Null);
            let Some(body) = update_body(entity, id, token, base, change.local) else {
                return Ok(None);
            };
            let fields = changed_top_level(entity, base, change.local);
            Ok(Some(operation(OpKind::Update, body, fields)))
        }
    }
}

/// A create body: the local version without what QuickBooks assigns.
pub fn create_body(entity: &str, local: &Value) -> Value {
    let Value::Object(map) = local else {
        return local.clone();
    };
    let body: Map<String, Value> = map
        .iter()
        .filter(|(key, _)| !is_server_managed(entity, key))
        .map(|(key, value)| (key.clone(), strip_line_ids_if_new(value)))
        .collect();
    Value::Object(body)
}

/// New lines carry no `Id`; keep the value as it is otherwise.
fn strip_line_ids_if_new(value: &Value) -> Value {
    value.clone()
}

/// The top-level fields that differ.
fn changed_top_level(entity: &str, base: &Value, local: &Value) -> Vec<String> {
    let (Value::Object(base), Value::Object(local)) = (base, local) else {
        return Vec::new();
    };
    let mut fields: Vec<String> = local
        .iter()
        .filter(|(key, value)| {
            !is_server_managed(entity, key) && base.get(*key).is_none_or(|old| !same(old, value))
        })
        .map(|(key, _)| key.clone())
        .collect();
    fields.extend(
        base.keys()
            .filter(|key| !is_server_managed(entity, key) && !local.contains_key(*key))
            .cloned(),
    );
    fields
}

/// An update body: sparse with the changed top-level fields (a whole array
/// when any element changed, since QBO replaces arrays), plus the fields
/// QuickBooks requires even in sparse updates; a full body for Deposit,
/// which ignores `sparse` (PITFALLS 5). None when nothing writable changed.
pub fn update_body(
    entity: &str,
    id: &str,
    sync_token: &str,
    base: &Value,
    local: &Value,
) -> Option<Value> {
    let fields = changed_top_level(entity, base, local);
    if fields.is_empty() {
        return None;
    }
    let Value::Object(local_map) = local else {
        return None;
    };
    let mut body = Map::new();
    body.insert("Id".to_owned(), json!(id));
    body.insert("SyncToken".to_owned(), json!(sync_token));
    if entity == "Deposit" {
        for (key, value) in local_map {
            if !is_server_managed(entity, key) {
                body.insert(key.clone(), value.clone());
            }
        }
        body.insert("sparse".to_owned(), json!(false));
        return Some(Value::Object(body));
    }
    body.insert("sparse".to_owned(), json!(true));
    for (key, value) in required_fields(entity, local) {
        body.insert(key, value);
    }
    for field in fields {
        // A field removed here is sent as null, which clears it.
        body.insert(
            field.clone(),
            local_map.get(&field).cloned().unwrap_or(Value::Null),
        );
    }
    Some(Value::Object(body))
}

/// Fields QuickBooks wants in every update of the type, sparse or not
/// (API.md §3.3: Account needs Name and AccountType; the party of a
/// transaction keeps lines and taxes consistent).
fn required_fields(entity: &str, local: &Value) -> Map<String, Value> {
    let keys: &[&str] = match entity {
        "Account" => &["Name", "AccountType"],
        "Customer" | "Vendor" | "Employee" => &["DisplayName"],
        "Item" => &["Name", "Type"],
        "Class" | "Department" | "Term" | "PaymentMethod" => &["Name"],
        "Invoice" | "SalesReceipt" | "Estimate" | "CreditMemo" | "Payment" => &["CustomerRef"],
        "Bill" | "VendorCredit" | "PurchaseOrder" | "BillPayment" => &["VendorRef"],
        "Purchase" => &["AccountRef", "PaymentType"],
        "JournalEntry" => &["Line"],
        _ => &[],
    };
    keys.iter()
        .filter_map(|key| {
            local
                .get(*key)
                .map(|value| ((*key).to_owned(), value.clone()))
        })
        .filter(|(key, _)| !SERVER_FIELDS.contains(&key.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending<'a>(
        id: &'a str,
        entity: &'a str,
        qbo: Option<&'a str>,
        base: Option<&'a Value>,
        local: &'a Value,
        intent: Intent,
    ) -> PendingChange<'a> {
        PendingChange {
            local_id: id,
            entity_type: entity,
            qbo_id: qbo,
            sync_token: qbo.map(|_| "3"),
            base,
            local,
            intent,
        }
    }

    #[test]
    fn a_sparse_update_sends_only_what_changed_with_the_base_token() {
        let base = json!({"Id": "9", "SyncToken": "3", "CustomerRef": {"value": "1"}, "PrivateNote": "a", "Line": [{"Id": "1", "Amount": 5}], "TotalAmt": 5});
        let mut local = base.clone();
        local["PrivateNote"] = json!("b");
        let changes = [pending(
            "x",
            "Invoice",
            Some("9"),
            Some(&base),
            &local,
            Intent::None,
        )];
        let plan = plan(&changes);
        assert_eq!(plan.operations.len(), 1);
        assert_eq!(
            plan.operations[0].body,
            json!({"Id": "9", "SyncToken": "3", "sparse": true, "CustomerRef": {"value": "1"}, "PrivateNote": "b"})
        );
    }

    #[test]
    fn lists_come_first_and_deletes_after_creates() {
        let empty = json!({"DisplayName": "A"});
        let invoice = json!({"CustomerRef": {"value": "1"}});
        let changes = [
            pending("a", "Invoice", None, None, &invoice, Intent::None),
            pending(
                "b",
                "Bill",
                Some("4"),
                Some(&invoice),
                &invoice,
                Intent::Delete,
            ),
            pending("c", "Customer", None, None, &empty, Intent::None),
        ];
        let plan = plan(&changes);
        let order: Vec<_> = plan
            .operations
            .iter()
            .map(|op| (op.local_id.as_str(), op.kind))
            .collect();
        assert_eq!(
            order,
            vec![
                ("c", OpKind::Create),
                ("a", OpKind::Create),
                ("b", OpKind::Delete)
            ]
        );
        assert_eq!(plan.batches(30).len(), 3);
    }

    #[test]
    fn a_list_entry_is_deactivated_and_a_bill_cannot_be_voided() {
        let vendor = json!({"DisplayName": "V", "Active": true});
        let bill = json!({"VendorRef": {"value": "2"}});
        let changes = [
            pending(
                "v",
                "Vendor",
                Some("2"),
                Some(&vendor),
                &vendor,
                Intent::Delete,
            ),
            pending("b", "Bill", Some("5"), Some(&bill), &bill, Intent::Void),
        ];
        let plan = plan(&changes);
        assert_eq!(plan.operations[0].kind, OpKind::Deactivate);
        assert_eq!(plan.operations[0].body["Active"], json!(false));
        assert_eq!(plan.refused.len(), 1);
    }
}
