//! The pure three-way merge of QBO objects, field by field.
//!
//! A field changed on one side takes that side; the same change on both
//! sides is no conflict; different changes to one field are a conflict that
//! keeps all three values. Arrays of objects that carry `Id` (transaction
//! lines) are matched by `Id`, so edits to different lines merge; new lines
//! from either side are kept. Server-managed fields always come from
//! QuickBooks. Numbers compare by exact decimal value (`1.0` equals `1.00`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

use crate::entities::decimal;

/// Fields only QuickBooks writes: never merged, never sent.
pub const SERVER_FIELDS: &[&str] = &["Id", "SyncToken", "MetaData", "domain", "sparse"];

/// Totals QuickBooks computes from the lines (API.md §3.5); on Payment,
/// BillPayment and Deposit `TotalAmt` is input and merges like any field.
pub fn computed_fields(entity: &str) -> &'static [&'static str] {
    match entity {
        "Payment" | "BillPayment" | "Deposit" => &["Balance", "HomeBalance", "UnappliedAmt"],
        _ => &[
            "TotalAmt",
            "HomeTotalAmt",
            "Balance",
            "HomeBalance",
            "UnappliedAmt",
        ],
    }
}

/// Whether a top-level field is managed by QuickBooks for this type.
pub fn is_server_managed(entity: &str, field: &str) -> bool {
    SERVER_FIELDS.contains(&field) || computed_fields(entity).contains(&field)
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathSegment {
    /// An object member.
    Key(String),
    /// The element of an array whose `Id` is this.
    Item(String),
}

/// Where a field is: `CustomerRef.value`, `Line[Id=3].Amount`, `Line[Id=3]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPath(pub Vec<PathSegment>);

impl FieldPath {
    fn child(&self, segment: PathSegment) -> FieldPath {
        let mut segments = self.0.clone();
        segments.push(segment);
        FieldPath(segments)
    }

    /// The top-level field this path is in.
    pub fn top_level(&self) -> Option<&str> {
        match self.0.first() {
            Some(PathSegment::Key(key)) => Some(key),
            _ => None,
        }
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, segment) in self.0.iter().enumerate() {
            match segment {
                PathSegment::Key(key) if index == 0 => formatter.write_str(key)?,
                PathSegment::Key(key) => write!(formatter, ".{key}")?,
                PathSegment::Item(id) => write!(formatter, "[Id={id}]")?,
            }
        }
        Ok(())
    }
}

/// A path that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a field path (expected e.g. CustomerRef.value or Line[Id=3].Amount)")]
pub struct BadPath(pub String);

impl FromStr for FieldPath {
    type Err = BadPath;

    fn from_str(text: &str) -> Result<FieldPath, BadPath> {
        let bad = || BadPath(text.to_owned());
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (key, rest) = match part.find('[') {
                Some(start) => (&part[..start], &part[start..]),
                None => (part, ""),
            };
            if key.is_empty() {
                return Err(bad());
            }
            segments.push(PathSegment::Key(key.to_owned()));
            let mut rest = rest;
            while !rest.is_empty() {
                let inner = rest.strip_prefix("[Id=").ok_or_else(bad)?;
                let end = inner.find(']').ok_or_else(bad)?;
                segments.push(PathSegment::Item(inner[..end].to_owned()));
                rest = &inner[end + 1..];
            }
        }
        if segments.is_empty() {
            return Err(bad());
        }
        Ok(FieldPath(segments))
    }
}

impl Serialize for FieldPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FieldPath {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<FieldPath, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One field both sides changed differently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct FieldConflict {
    /// Where.
    #[ts(type = "string")]
    pub path: FieldPath,
    /// The last agreed value (None: absent).
    #[ts(type = "unknown")]
    pub base: Option<Value>,
    /// The local value (None: absent or the line deleted).
    #[ts(type = "unknown")]
    pub local: Option<Value>,
    /// QuickBooks' value (None: absent or the line deleted).
    #[ts(type = "unknown")]
    pub remote: Option<Value>,
}

/// A merge: the merged object (conflicting fields hold the local value) and
/// the conflicts.
#[derive(Debug, Clone, PartialEq)]
pub struct Merge {
    /// The merged object.
    pub merged: Value,
    /// Fields that need the user.
    pub conflicts: Vec<FieldConflict>,
}

impl Merge {
    /// No conflicts.
    pub fn is_clean(&self) -> bool {
        self.conflicts.is_empty()
    }
}

/// The user's choice for one conflicting field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Choice {
    /// The local value.
    Local,
    /// QuickBooks' value.
    Remote,
    /// A new value.
    Value(Value),
}

/// A resolution that does not fit the conflicts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// A conflicting field has no choice.
    #[error("choose a value for {0}: it was changed both here and in QuickBooks")]
    Missing(String),
    /// A choice names a field that is not in conflict.
    #[error("{0} is not one of the fields in conflict")]
    Unknown(String),
}

/// Merges `local` and `remote` against their common `base`.
pub fn merge(entity: &str, base: &Value, local: &Value, remote: &Value) -> Merge {
    let mut conflicts = Vec::new();
    let merged = match (base, local, remote) {
        (Value::Object(base), Value::Object(local), Value::Object(remote)) => {
            let mut merged = Map::new();
            for key in ordered_keys(local, remote) {
                if is_server_managed(entity, &key) {
                    if let Some(value) = remote.get(&key) {
                        merged.insert(key, value.clone());
                    }
                    continue;
                }
                let path = FieldPath(vec![PathSegment::Key(key.clone())]);
                if let Some(value) = merge_value(
                    &path,
                    base.get(&key),
                    local.get(&key),
                    remote.get(&key),
                    &mut conflicts,
                ) {
                    merged.insert(key, value);
                }
            }
            Value::Object(merged)
        }
        _ => merge_value(
            &FieldPath::default(),
            Some(base),
            Some(local),
            Some(remote),
            &mut conflicts,
        )
        .unwrap_or(Value::Null),
    };
    Merge { merged, conflicts }
}

/// Remote's keys in order, then keys only local has.
fn ordered_keys(local: &Map<String, Value>, remote: &Map<String, Value>) -> Vec<String> {
    let mut keys: Vec<String> = remote.keys().cloned().collect();
    keys.extend(
        local
            .keys()
            .filter(|key| !remote.contains_key(*key))
            .cloned(),
    );
    keys
}

fn merge_value(
    path: &FieldPath,
    base: Option<&Value>,
    local: Option<&Value>,
    remote: Option<&Value>,
    conflicts: &mut Vec<FieldConflict>,
) -> Option<Value> {
    if same_option(local, remote) {
        return local.cloned();
    }
    if same_option(local, base) {
        return remote.cloned();
    }
    if same_option(remote, base) {
        return local.cloned();
    }
    match (local, remote) {
        (Some(Value::Object(local_map)), Some(Value::Object(remote_map))) => {
            let empty = Map::new();
            let base_map = match base {
                Some(Value::Object(map)) => map,
                _ => &empty,
            };
            let mut merged = Map::new();
            for key in ordered_keys(local_map, remote_map) {
                let child = path.child(PathSegment::Key(key.clone()));
                if let Some(value) = merge_value(
                    &child,
                    base_map.get(&key),
                    local_map.get(&key),
                    remote_map.get(&key),
                    conflicts,
                ) {
                    merged.insert(key, value);
                }
            }
            Some(Value::Object(merged))
        }
        (Some(Value::Array(local_items)), Some(Value::Array(remote_items)))
            if keyed(local_items) && keyed(remote_items) =>
        {
            let base_items = match base {
                Some(Value::Array(items)) if keyed(items) => items.as_slice(),
                _ => &[],
            };
            Some(Value::Array(merge_lines(
                path,
                base_items,
                local_items,
                remote_items,
                conflicts,
            )))
        }
        _ => {
            conflicts.push(FieldConflict {
                path: path.clone(),
                base: base.cloned(),
                local: local.cloned(),
                remote: remote.cloned(),
            });
            local.cloned()
        }
    }
}

/// An array whose elements are objects; those with an `Id` can be matched.
fn keyed(items: &[Value]) -> bool {
    items.iter().all(Value::is_object) && items.iter().any(|item| item_id(item).is_some())
}

fn item_id(item: &Value) -> Option<String> {
    match item.get("Id") {
        Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
        Some(Value::Number(id)) => Some(id.to_string()),
        _ => None,
    }
}

fn merge_lines(
    path: &FieldPath,
    base: &[Value],
    local: &[Value],
    remote: &[Value],
    conflicts: &mut Vec<FieldConflict>,
) -> Vec<Value> {
    let find = |items: &[Value], id: &str| -> Option<Value> {
        items
            .iter()
            .find(|item| item_id(item).as_deref() == Some(id))
            .cloned()
    };
    let mut merged = Vec::new();
    for remote_line in remote {
        let Some(id) = item_id(remote_line) else {
            merged.push(remote_line.clone());
            continue;
        };
        let line_path = path.child(PathSegment::Item(id.clone()));
        let base_line = find(base, &id);
        let local_line = find(local, &id);
        match (&base_line, &local_line) {
            // New in QuickBooks.
            (None, None) => merged.push(remote_line.clone()),
            // Deleted here.
            (Some(base_line), None) => {
                if !same(base_line, remote_line) {
                    conflicts.push(FieldConflict {
                        path: line_path,
                        base: Some(base_line.clone()),
                        local: None,
                        remote: Some(remote_line.clone()),
                    });
                }
            }
            (_, Some(local_line)) => {
                if let Some(line) = merge_value(
                    &line_path,
                    base_line.as_ref(),
                    Some(local_line),
                    Some(remote_line),
                    conflicts,
                ) {
                    merged.push(line);
                }
            }
        }
    }
    for local_line in local {
        match item_id(local_line) {
            None => merged.push(local_line.clone()),
            Some(id) if find(remote, &id).is_none() => match find(base, &id) {
                // Deleted in QuickBooks: gone unless edited here.
                Some(base_line) => {
                    if !same(&base_line, local_line) {
                        conflicts.push(FieldConflict {
                            path: path.child(PathSegment::Item(id)),
                            base: Some(base_line),
                            local: Some(local_line.clone()),
                            remote: None,
                        });
                        merged.push(local_line.clone());
                    }
                }
                None => merged.push(local_line.clone()),
            },
            Some(_) => {}
        }
    }
    merged
}

/// Equal as QuickBooks would see it: numbers by exact value, objects by
/// members regardless of order.
pub fn same(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(_), Value::Number(_)) => match (decimal(left), decimal(right)) {
            (Some(left), Some(right)) => left == right,
            _ => left == right,
        },
        (Value::Object(left), Value::Object(right)) => {
            left.len() == right.len()
                && left
                    .iter()
                    .all(|(key, value)| right.get(key).is_some_and(|other| same(value, other)))
        }
        (Value::Array(left), Value::Array(right)) => {
            left.len() == right.len()
                && left
                    .iter()
                    .zip(right)
                    .all(|(left, right)| same(left, right))
        }
        _ => left == right,
    }
}

fn same_option(left: Option<&Value>, right: Option<&Value>) -> bool {
    match (left, right) {
        (Some(left), Some(right)) => same(left, right),
        (None, None) => true,
        _ => false,
    }
}

/// The fields (top level, and inside objects) where `other` differs from
/// `base`, ignoring what QuickBooks manages. Empty means "no edit".
pub fn changed_fields(entity: &str, base: &Value, other: &Value) -> Vec<FieldPath> {
    let mut changed = Vec::new();
    if let (Value::Object(base), Value::Object(other)) = (base, other) {
        for key in ordered_keys(other, base) {
            if is_server_managed(entity, &key) {
                continue;
            }
            diff(
                &FieldPath(vec![PathSegment::Key(key.clone())]),
                base.get(&key),
                other.get(&key),
                &mut changed,
            );
        }
    } else if !same(base, other) {
        changed.push(FieldPath::default());
    }
    changed
}

fn diff(
    path: &FieldPath,
    base: Option<&Value>,
    other: Option<&Value>,
    changed: &mut Vec<FieldPath>,
) {
    if same_option(base, other) {
        return;
    }
    match (base, other) {
        (Some(Value::Object(base)), Some(Value::Object(other))) => {
            for key in ordered_keys(other, base) {
                diff(
                    &path.child(PathSegment::Key(key.clone())),
                    base.get(&key),
                    other.get(&key),
                    changed,
                );
            }
        }
        _ => changed.push(path.clone()),
    }
}

/// Applies the user's choices to a merge; the result is the next local version.
pub fn resolve(
    merge: &Merge,
    choices: &BTreeMap<FieldPath, Choice>,
) -> Result<Value, ResolveError> {
    for path in choices.keys() {
        if !merge
            .conflicts
            .iter()
            .any(|conflict| &conflict.path == path)
        {
            return Err(ResolveError::Unknown(path.to_string()));
        }
    }
    let mut resolved = merge.merged.clone();
    for conflict in &merge.conflicts {
        let choice = choices
            .get(&conflict.path)
            .ok_or_else(|| ResolveError::Missing(conflict.path.to_string()))?;
        let value = match choice {
            Choice::Local => conflict.local.clone(),
            Choice::Remote => conflict.remote.clone(),
            Choice::Value(value) => Some(value.clone()),
        };
        set_at(&mut resolved, &conflict.path.0, value);
    }
    Ok(resolved)
}

/// Takes one side for every conflict.
pub fn resolve_all(merge: &Merge, choice: &Choice) -> Value {
    let choices = merge
        .conflicts
        .iter()
        .map(|conflict| (conflict.path.clone(), choice.clone()))
        .collect();
    resolve(merge, &choices).unwrap_or_else(|_| merge.merged.clone())
}

/// Sets (or removes, for None) the value at `path`.
fn set_at(target: &mut Value, path: &[PathSegment], value: Option<Value>) {
    let Some((first, rest)) = path.split_first() else {
        if let Some(value) = value {
            *target = value;
        }
        return;
    };
    match first {
        PathSegment::Key(key) => {
            let Value::Object(map) = target else {
                return;
            };
            if rest.is_empty() {
                match value {
                    Some(value) => {
                        map.insert(key.clone(), value);
                    }
                    None => {
                        map.remove(key);
                    }
                }
                return;
            }
            if !map.contains_key(key) {
                if value.is_none() {
                    return;
                }
                let empty = match rest.first() {
                    Some(PathSegment::Item(_)) => Value::Array(Vec::new()),
                    _ => Value::Object(Map::new()),
                };
                map.insert(key.clone(), empty);
            }
            if let Some(child) = map.get_mut(key) {
                set_at(child, rest, value);
            }
        }
        PathSegment::Item(id) => {
            let Value::Array(items) = target else {
                return;
            };
            let position = items
                .iter()
                .position(|item| item_id(item).as_deref() == Some(id.as_str()));
            match (position, rest.is_empty(), value) {
                (Some(index), true, Some(value)) => items[index] = value,
                (Some(index), true, None) => {
                    items.remove(index);
                }
                (None, true, Some(value)) => items.push(value),
                (Some(index), false, value) => set_at(&mut items[index], rest, value),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_read_back_as_written() {
        for text in [
            "CustomerRef.value",
            "Line[Id=3].Amount",
            "Line[Id=3]",
            "PrivateNote",
        ] {
            let path: FieldPath = text.parse().unwrap();
            assert_eq!(path.to_string(), text);
        }
        assert!("Line[3]".parse::<FieldPath>().is_err());
        assert!("".parse::<FieldPath>().is_err());
    }

    #[test]
    fn set_at_reaches_into_lines() {
        let mut object = json!({"Line": [{"Id": "1", "Amount": 5}]});
        set_at(
            &mut object,
            &"Line[Id=1].Amount".parse::<FieldPath>().unwrap().0,
            Some(json!(7)),
        );
        assert_eq!(object, json!({"Line": [{"Id": "1", "Amount": 7}]}));
        set_at(
            &mut object,
            &"Line[Id=1]".parse::<FieldPath>().unwrap().0,
            None,
        );
        assert_eq!(object, json!({"Line": []}));
    }
}
