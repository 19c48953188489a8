//! The pure three-way merge of QBO objects, field by field.
//!
//! A field changed on one side takes that side; the same change on both
//! sides is no conflict; different changes to one field are a conflict that
//! keeps all three values, and the merged object holds the local value until
//! the user chooses. Server-managed fields always come from QuickBooks.
//!
//! What "the same" means is what QuickBooks would see:
//! - numbers compare by exact decimal value (`1.0` equals `1.00`);
//! - a reference (`{"value": "7", "name": "Acme"}`) is one value identified
//!   by its `value`; its `name` is QuickBooks' label and follows the id, so
//!   a rename in QuickBooks is no edit and two different customers chosen on
//!   the two sides are one conflict on the whole reference, never a
//!   mixture of one side's id and the other's name (a reference without a
//!   `value` is identified by its name, case-insensitively);
//! - a member set to `null` is the same as an absent member;
//! - the subtotal line QuickBooks generates on sales forms is computed, so
//!   it is taken from QuickBooks and never compared.
//!
//! Arrays of lines are matched by `Id` when every line the base has carries
//! one (and the array is called `Line`, or some element has an `Id`): edits
//! to different lines merge, nested objects of a line merge field by field,
//! lines added on either side are all kept (QuickBooks' first, in its order,
//! then local ones), a line removed on one side and untouched on the other
//! is removed, and a line removed on one side but edited on the other is a
//! conflict on the whole line. Lines without an `Id` in the base (payment
//! lines, which QuickBooks does not number) cannot be told apart, so such an
//! array is one value, like every other array.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

use crate::entities::decimal;

#[cfg(test)]
mod reference;

/// Fields only QuickBooks writes: never merged, never sent.
pub const SERVER_FIELDS: &[&str] = &["Id", "SyncToken", "MetaData", "domain", "sparse"];

/// Totals QuickBooks computes from the lines (API.md §3.5); on Payment,
/// BillPayment and Deposit `TotalAmt` is input and merges like any field.
pub fn computed_fields(entity: &str) -> &'static [&'static str] {
    match entity {
        "Payment" | "BillPayment" | "Deposit" => &["Balance", "HomeBalance", "UnappliedAmt"],
        // Documents move an item's quantity; a count made here travels as a
        // stock change (crate::stock), never as an edit of the field.
        "Item" => &["QtyOnHand"],
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
    is_server_field(field) || computed_fields(entity).contains(&field)
}

/// One of [`SERVER_FIELDS`], matched on the name's length before its text
/// (the merge asks for every top-level member).
fn is_server_field(field: &str) -> bool {
    let found = matches!(field, "Id" | "SyncToken" | "MetaData" | "domain" | "sparse");
    debug_assert_eq!(found, SERVER_FIELDS.contains(&field));
    found
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathSegment {
    /// An object member.
    Key(String),
    /// The line (element of a line array) whose `Id` is this.
    Line(String),
}

/// Where a field is: `CustomerRef`, `Line[Id=3].Amount`, `Line[Id=3]` (the
/// whole line). The empty path is the whole object.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPath(pub Vec<PathSegment>);

impl FieldPath {
    /// The path one step further down.
    pub fn child(&self, segment: PathSegment) -> FieldPath {
        let mut segments = Vec::with_capacity(self.0.len() + 1);
        segments.extend_from_slice(&self.0);
        segments.push(segment);
        FieldPath(segments)
    }

    /// A top-level member.
    pub fn key(key: &str) -> FieldPath {
        FieldPath(vec![PathSegment::Key(key.to_owned())])
    }

    /// The steps.
    pub fn segments(&self) -> &[PathSegment] {
        &self.0
    }

    /// The top-level field this path is in.
    pub fn top_level(&self) -> Option<&str> {
        match self.0.first() {
            Some(PathSegment::Key(key)) => Some(key),
            _ => None,
        }
    }

    /// The member name of the last step (`Amount` for `Line[Id=3].Amount`).
    fn last_key(&self) -> Option<&str> {
        match self.0.last() {
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
                PathSegment::Line(id) => write!(formatter, "[Id={id}]")?,
            }
        }
        Ok(())
    }
}

/// A path that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{0}\" is not a field path; write it as e.g. CustomerRef, PrivateNote or Line[Id=3].Amount"
)]
pub struct BadPath(pub String);

impl FromStr for FieldPath {
    type Err = BadPath;

    fn from_str(text: &str) -> Result<FieldPath, BadPath> {
        let bad = || BadPath(text.to_owned());
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(start) => part.split_at(start),
                None => (part, ""),
            };
            if key.is_empty() || key.contains(']') {
                return Err(bad());
            }
            segments.push(PathSegment::Key(key.to_owned()));
            while !rest.is_empty() {
                let inner = rest.strip_prefix("[Id=").ok_or_else(bad)?;
                let (id, after) = inner.split_once(']').ok_or_else(bad)?;
                if id.is_empty() {
                    return Err(bad());
                }
                segments.push(PathSegment::Line(id.to_owned()));
                rest = after;
            }
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
    /// The local value (None: absent, or the line deleted here).
    #[ts(type = "unknown")]
    pub local: Option<Value>,
    /// QuickBooks' value (None: absent, or the line deleted in QuickBooks).
    #[ts(type = "unknown")]
    pub remote: Option<Value>,
}

/// A merge: the merged object (conflicting fields hold the local value) and
/// the conflicts.
#[derive(Debug, Clone, PartialEq)]
pub struct Merge {
    /// The merged object.
    pub merged: Value,
    /// Fields that need the user, in the order of the object.
    pub conflicts: Vec<FieldConflict>,
}

impl Merge {
    /// No conflicts.
    pub fn is_clean(&self) -> bool {
        self.conflicts.is_empty()
    }
}

/// The user's choice for one conflicting field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub enum Choice {
    /// The local value.
    Local,
    /// QuickBooks' value.
    Remote,
    /// A value the user typed (a whole line for a line path).
    Value(#[ts(type = "unknown")] Value),
}

/// A resolution that does not fit the conflicts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// A conflicting field has no choice.
    #[error("choose a value for {0}: it was changed both here and in QuickBooks")]
    Missing(String),
    /// A choice names a field that is not in conflict.
    #[error("{0} is not one of the fields in conflict; reload the conflict and choose again")]
    Unknown(String),
    /// A value typed for a whole line is not that line.
    #[error("the value chosen for {path} must be a line (an object) with Id {id} or no Id")]
    NotALine {
        /// The line's path.
        path: String,
        /// The line's Id.
        id: String,
    },
}

/// Where the merge is, as a chain of borrowed steps: built for free on the
/// stack while walking, turned into a [`FieldPath`] only for a conflict.
#[derive(Clone, Copy)]
enum Trail<'a> {
    Root,
    Key(&'a Trail<'a>, &'a str),
    Line(&'a Trail<'a>, &'a str),
}

impl Trail<'_> {
    fn to_path(self) -> FieldPath {
        let mut segments = Vec::new();
        let mut step = self;
        loop {
            match step {
                Trail::Root => break,
                Trail::Key(parent, key) => {
                    segments.push(PathSegment::Key(key.to_owned()));
                    step = *parent;
                }
                Trail::Line(parent, id) => {
                    segments.push(PathSegment::Line(id.to_owned()));
                    step = *parent;
                }
            }
        }
        segments.reverse();
        FieldPath(segments)
    }

    fn last_key(&self) -> Option<&str> {
        match self {
            Trail::Key(_, key) => Some(key),
            _ => None,
        }
    }
}

/// Merges `local` and `remote` against their common `base`. `entity` says
/// which totals QuickBooks computes (a base that is not an object, as for a
/// record never agreed on, counts as empty).
///
/// This copies QuickBooks' version first; a caller that owns it gives it to
/// [`merge_owned`] instead.
pub fn merge(entity: &str, base: &Value, local: &Value, remote: &Value) -> Merge {
    merge_owned(entity, base, local, remote.clone())
}

/// [`merge`], taking QuickBooks' version by value: the merged object is
/// built in it, so every value it keeps from QuickBooks (most of a record:
/// what this side left alone) stays where it is, and only what this side
/// changed is copied in. The local version stays borrowed because a caller
/// opening a conflict keeps it whole.
pub fn merge_owned(entity: &str, base: &Value, local: &Value, remote: Value) -> Merge {
    // Nothing changed here (the usual case when a pull brings QuickBooks'
    // edits): the field walk would take every member from QuickBooks, in
    // its order, and drop the ones only this side has, so the merge is
    // QuickBooks' version as it is. One exact comparison stands in for the
    // walk.
    if identical_value(local, base) {
        return Merge {
            merged: remote,
            conflicts: Vec::new(),
        };
    }
    walk(entity, base, local, remote)
}

/// The merge, field by field, from borrowed versions, without the shortcut
/// for an unchanged local side.
#[cfg(test)]
fn merge_walk(entity: &str, base: &Value, local: &Value, remote: &Value) -> Merge {
    walk(entity, base, local, remote.clone())
}

/// The merge, field by field (what [`merge_owned`] does when this side
/// changed something).
fn walk(entity: &str, base: &Value, local: &Value, remote: Value) -> Merge {
    let mut conflicts = Vec::new();
    let merged = match (local, remote) {
        (Value::Object(local_map), Value::Object(remote_map)) => {
            let empty = Map::new();
            let base_map = base.as_object().unwrap_or(&empty);
            Value::Object(merge_members(
                &Trail::Root,
                Some(entity),
                base_map,
                local_map,
                remote_map,
                &mut conflicts,
            ))
        }
        (local, remote) => merge_value(
            &Trail::Root,
            Some(base),
            Some(local),
            Some(remote),
            &mut conflicts,
        )
        .unwrap_or(Value::Null),
    };
    Merge { merged, conflicts }
}

/// Merges the members of three objects into `remote`, in place: every
/// member of `remote` (in its order) becomes its merged value or goes, and
/// members only `local` has follow. With `entity` (the top level), members
/// QuickBooks manages keep QuickBooks' value. The three maps usually list
/// their members in the same order (they are versions of one QuickBooks
/// object), so members are matched by walking them side by side, and looked
/// up by name only where the orders differ.
fn merge_members(
    path: &Trail<'_>,
    entity: Option<&str>,
    base: &Map<String, Value>,
    local: &Map<String, Value>,
    mut remote: Map<String, Value>,
    conflicts: &mut Vec<FieldConflict>,
) -> Map<String, Value> {
    let computed = entity.map(computed_fields);
    let managed = |key: &str| {
        computed.is_some_and(|computed| {
            is_server_field(key) || computed.iter().any(|field| same_text(field, key))
        })
    };
    let mut base_walk = base.iter();
    let mut local_walk = local.iter();
    let mut local_seen = 0;
    // Members whose merge is "absent"; removed after the walk, keeping the
    // order of the rest.
    let mut gone: Vec<String> = Vec::new();
    for (key, slot) in remote.iter_mut() {
        let base_value = aligned(&mut base_walk, base, key);
        let local_value = aligned(&mut local_walk, local, key);
        local_seen += usize::from(local_value.is_some());
        if managed(key) {
            continue;
        }
        let remote_value = std::mem::take(slot);
        match merge_value(
            &Trail::Key(path, key),
            base_value,
            local_value,
            Some(remote_value),
            conflicts,
        ) {
            Some(value) => *slot = value,
            None => gone.push(key.clone()),
        }
    }
    if !gone.is_empty() {
        remote.retain(|key, _| !gone.contains(key));
    }
    if local_seen == local.len() {
        return remote;
    }
    // The members only `local` has, found by walking QuickBooks' names
    // beside local's while they agree.
    let mut remote_walk = remote.keys();
    let local_only: Vec<(&String, &Value)> = local
        .iter()
        .filter(|(key, _)| match remote_walk.next() {
            Some(next) if same_text(next, key) => false,
            _ => !remote.contains_key(*key) && !gone.contains(key),
        })
        .collect();
    for (key, local_value) in local_only {
        let base_value = aligned(&mut base_walk, base, key);
        if managed(key) {
            continue;
        }
        if let Some(value) = merge_value(
            &Trail::Key(path, key),
            base_value,
            Some(local_value),
            None,
            conflicts,
        ) {
            remote.insert(key.clone(), value);
        }
    }
    remote
}

/// The member `key` of `map`, taken from the walk when it is next there.
fn aligned<'a>(
    walk: &mut serde_json::map::Iter<'a>,
    map: &'a Map<String, Value>,
    key: &str,
) -> Option<&'a Value> {
    match walk.next() {
        Some((next, value)) if same_text(next, key) => Some(value),
        _ => map.get(key),
    }
}

/// Exactly equal (as `==`), walking members side by side while both list
/// them in the same order.
fn identical(left: Option<&Value>, right: Option<&Value>) -> bool {
    match (left, right) {
        (Some(left), Some(right)) => identical_value(left, right),
        (None, None) => true,
        _ => false,
    }
}

fn identical_value(left: &Value, right: &Value) -> bool {
    exact(left, right, &mut false)
}

/// Exactly equal (as `==`); `reordered` is set when some object lists its
/// members in another order (equal values whose text differs). Inlined
/// where it is called, so that the members most values hold, text and
/// numbers, are compared without a call; objects and arrays go to
/// [`exact_within`].
#[inline]
fn exact(left: &Value, right: &Value, reordered: &mut bool) -> bool {
    match (left, right) {
        (Value::String(left), Value::String(right)) => same_text(left, right),
        (Value::Number(left), Value::Number(right)) => same_text(left.as_str(), right.as_str()),
        (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_)) => {
            exact_within(left, right, reordered)
        }
        (Value::Bool(left), Value::Bool(right)) => left == right,
        (Value::Null, Value::Null) => true,
        _ => false,
    }
}

/// [`exact`] for two objects or two arrays, member by member.
#[inline(never)]
fn exact_within(left: &Value, right: &Value, reordered: &mut bool) -> bool {
    match (left, right) {
        (Value::Object(left), Value::Object(right)) => {
            left.len() == right.len()
                && left.iter().zip(right).all(
                    |((left_key, left_value), (right_key, right_value))| {
                        if same_text(left_key, right_key) {
                            exact(left_value, right_value, reordered)
                        } else {
                            *reordered = true;
                            right.get(left_key).is_some_and(|right_value| {
                                exact(left_value, right_value, reordered)
                            })
                        }
                    },
                )
        }
        (Value::Array(left), Value::Array(right)) => {
            left.len() == right.len()
                && left
                    .iter()
                    .zip(right)
                    .all(|(left, right)| exact(left, right, reordered))
        }
        _ => false,
    }
}

/// Remote's keys in order, then keys only local has.
fn ordered_keys<'a>(
    local: &'a Map<String, Value>,
    remote: &'a Map<String, Value>,
) -> impl Iterator<Item = &'a str> {
    remote
        .keys()
        .chain(
            local
                .keys()
                .filter(move |key| !remote.contains_key(key.as_str())),
        )
        .map(String::as_str)
}

/// Merges one value; `remote` is QuickBooks' value, given up to the result.
fn merge_value(
    path: &Trail<'_>,
    base: Option<&Value>,
    local: Option<&Value>,
    remote: Option<Value>,
    conflicts: &mut Vec<FieldConflict>,
) -> Option<Value> {
    // An untouched side first, compared exactly, so a one-sided change comes
    // through byte for byte.
    if identical(local, base) {
        return remote;
    }
    // Local differs from the base. If it equals QuickBooks' value, that
    // differs from the base too: the same change on both sides. Asking this
    // first reads such a change once; asking first whether QuickBooks left
    // the value alone read it twice.
    if let (Some(local_value), Some(remote_value)) = (local, &remote) {
        let mut reordered = false;
        if exact(local_value, remote_value, &mut reordered) {
            // The same change on both sides: the local value, which is
            // QuickBooks' one when both list their members alike.
            return if reordered {
                take_local(remote, local)
            } else {
                remote
            };
        }
    }
    if identical(remote.as_ref(), base) {
        return take_local(remote, local);
    }
    // Both sides touched it. Objects and lines merge member by member, so a
    // change one side made inside is kept even where the other side only
    // relabelled a reference; everything else is one value.
    match (base, local, remote) {
        (
            Some(Value::Object(base_map)),
            Some(Value::Object(local_map)),
            Some(Value::Object(remote_map)),
        ) if !is_reference(base_map) && !is_reference(local_map) && !is_reference(&remote_map) => {
            Some(Value::Object(merge_members(
                path, None, base_map, local_map, remote_map, conflicts,
            )))
        }
        (base, Some(Value::Array(local_items)), Some(Value::Array(remote_items)))
            if base.is_none_or(|base| base.is_array() || base.is_null()) =>
        {
            let base_items = match base {
                Some(Value::Array(items)) => items.as_slice(),
                _ => &[],
            };
            let base_keys = LineKeys::new(base_items);
            let local_keys = LineKeys::new(local_items);
            let plan = plan_lines(path, &base_keys, &local_keys, &remote_items);
            match plan {
                Some(plan) => Some(Value::Array(merge_lines(
                    path,
                    &base_keys,
                    &local_keys,
                    remote_items,
                    &plan,
                    conflicts,
                ))),
                None => merge_whole(
                    path,
                    base,
                    local,
                    Some(Value::Array(remote_items)),
                    conflicts,
                ),
            }
        }
        (base, local, remote) => merge_whole(path, base, local, remote, conflicts),
    }
}

/// Merges a value that is not split further: the same for QuickBooks on
/// both sides (QuickBooks' spelling kept, its labels being current), or
/// changed on one side only, or a conflict.
fn merge_whole(
    path: &Trail<'_>,
    base: Option<&Value>,
    local: Option<&Value>,
    remote: Option<Value>,
    conflicts: &mut Vec<FieldConflict>,
) -> Option<Value> {
    if equivalent_member(local, remote.as_ref()) || equivalent_member(local, base) {
        return remote;
    }
    if equivalent_member(remote.as_ref(), base) {
        return take_local(remote, local);
    }
    conflict(path, base, local, remote, conflicts)
}

/// The local value, written over QuickBooks' one: see [`copy_into`].
fn take_local(remote: Option<Value>, local: Option<&Value>) -> Option<Value> {
    let local = local?;
    Some(match remote {
        Some(mut remote) => {
            copy_into(&mut remote, local);
            remote
        }
        None => local.clone(),
    })
}

/// Makes `target` an exact copy of `source` (the same members in the same
/// order, the same spelling), keeping what already holds the same text.
/// Where this side changed a field QuickBooks left alone, QuickBooks'
/// value is the base, so all but the change is already there: a line with
/// one quantity changed costs the copy of that number, not a copy of the
/// whole line and the drop of QuickBooks' one.
fn copy_into(target: &mut Value, source: &Value) {
    match (&mut *target, source) {
        (Value::Null, Value::Null) => {}
        (Value::Bool(target), Value::Bool(source)) => *target = *source,
        (Value::String(target), Value::String(source)) => {
            if !same_text(target, source) {
                source.clone_into(target);
            }
        }
        (Value::Number(target), Value::Number(source)) => {
            if !same_text(target.as_str(), source.as_str()) {
                target.clone_from(source);
            }
        }
        (Value::Array(target), Value::Array(source)) => {
            target.truncate(source.len());
            for (target, source) in target.iter_mut().zip(source) {
                copy_into(target, source);
            }
            let kept = target.len();
            target.extend(source.iter().skip(kept).cloned());
        }
        (Value::Object(target), Value::Object(source))
            if target.len() == source.len()
                && target
                    .keys()
                    .zip(source.keys())
                    .all(|(target, source)| same_text(target, source)) =>
        {
            for ((_, target), (_, source)) in target.iter_mut().zip(source) {
                copy_into(target, source);
            }
        }
        (target, source) => *target = source.clone(),
    }
}

/// Records a conflict; the merged object keeps the local value.
fn conflict(
    path: &Trail<'_>,
    base: Option<&Value>,
    local: Option<&Value>,
    remote: Option<Value>,
    conflicts: &mut Vec<FieldConflict>,
) -> Option<Value> {
    conflicts.push(FieldConflict {
        path: path.to_path(),
        base: base.cloned(),
        local: local.cloned(),
        remote,
    });
    local.cloned()
}
/// What the line matching needs of each line of one side, read once: its
/// `Id` and whether it is QuickBooks' subtotal. Each is a member lookup,
/// which hashes the member's name; matching lines by looking their ids up
/// again for every line of the other sides did so quadratically often.
struct LineKeys<'a> {
    items: &'a [Value],
    ids: Vec<Option<Cow<'a, str>>>,
    subtotal: Vec<bool>,
}

impl<'a> LineKeys<'a> {
    fn new(items: &'a [Value]) -> LineKeys<'a> {
        let mut ids = Vec::with_capacity(items.len());
        let mut subtotal = Vec::with_capacity(items.len());
        for item in items {
            // One walk over the line's member names finds both.
            let (mut id, mut kind) = (None, None);
            if let Some(line) = item.as_object() {
                for (name, value) in line {
                    if same_text(name, "Id") {
                        id = Some(value);
                    } else if same_text(name, "DetailType") {
                        kind = Some(value);
                    } else {
                        continue;
                    }
                    // A member name is there once: the rest of the line
                    // need not be read.
                    if id.is_some() && kind.is_some() {
                        break;
                    }
                }
            }
            ids.push(id.and_then(id_text));
            subtotal.push(kind.and_then(Value::as_str) == Some("SubTotalLineDetail"));
        }
        LineKeys {
            items,
            ids,
            subtotal,
        }
    }

    fn id(&self, index: usize) -> Option<&str> {
        self.ids.get(index).and_then(|id| id.as_deref())
    }

    /// The line with this `Id` (ids are unique on a side whose lines are
    /// matched), looked for at `hint` first: versions of one document
    /// usually keep their lines in the same places.
    #[cfg(test)]
    fn find(&self, id: &str, hint: usize) -> Option<&'a Value> {
        self.items.get(self.position(id, hint)?)
    }

    /// The index of [`LineKeys::find`]'s line.
    fn position(&self, id: &str, hint: usize) -> Option<usize> {
        if self.id(hint) == Some(id) {
            Some(hint)
        } else {
            self.ids
                .iter()
                .position(|other| other.as_deref() == Some(id))
        }
    }

    fn ids_are_unique(&self) -> bool {
        // A document has a few dozen lines at most: comparing each id with
        // the ones before it costs less than building a hash set.
        if self.ids.len() <= 32 {
            return self.ids.iter().enumerate().all(|(index, id)| {
                id.as_ref()
                    .is_none_or(|id| !self.ids[..index].iter().flatten().any(|other| other == id))
            });
        }
        let mut seen = HashSet::with_capacity(self.ids.len());
        self.ids.iter().flatten().all(|id| seen.insert(id.as_ref()))
    }
}

/// Whether these arrays are lines to match by `Id`: all objects, every
/// base line (but QuickBooks' subtotal) numbered, no `Id` twice on a side,
/// and either called `Line` or carrying an `Id` somewhere.
fn lines_match_by_id(key: Option<&str>, sides: [&LineKeys<'_>; 3]) -> bool {
    let [base, ..] = sides;
    if !sides
        .iter()
        .all(|side| side.items.iter().all(Value::is_object))
    {
        return false;
    }
    if base
        .ids
        .iter()
        .zip(&base.subtotal)
        .any(|(id, subtotal)| !subtotal && id.is_none())
    {
        return false;
    }
    if !sides.into_iter().all(LineKeys::ids_are_unique) {
        return false;
    }
    key == Some("Line")
        || sides
            .iter()
            .any(|side| side.ids.iter().any(Option::is_some))
}

/// A line's `Id`, as text (borrowed when QuickBooks sent it as text, as it
/// does).
fn line_id(line: &Value) -> Option<Cow<'_, str>> {
    line.as_object()
        .and_then(|line| member(line, "Id"))
        .and_then(id_text)
}

/// An `Id` member's value as text.
fn id_text(id: &Value) -> Option<Cow<'_, str>> {
    match id {
        Value::String(id) if !id.trim().is_empty() => Some(Cow::Borrowed(id.trim())),
        Value::Number(id) => Some(Cow::Owned(id.to_string())),
        _ => None,
    }
}

/// [`crate::entities::is_subtotal_line`], reading the line's few member names in order
/// rather than hashing.
fn is_subtotal(line: &Value) -> bool {
    line.as_object()
        .and_then(|line| member(line, "DetailType"))
        .and_then(Value::as_str)
        == Some("SubTotalLineDetail")
}

/// The member `key` of an object, found in a small one (a line, a
/// reference) by reading its member names in order, which costs less than
/// hashing `key` for a lookup.
#[inline]
fn member<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if map.len() > 16 {
        return map.get(key);
    }
    map.iter()
        .find(|(name, _)| same_text(name, key))
        .map(|(_, value)| value)
}

/// Equal text, compared here eight bytes at a time: member names and most
/// values are a few bytes long, and a call to the C library's `memcmp` for
/// each costs more than the comparison (the merge compares thousands of
/// them per record). The bytes after the last whole word are compared as
/// the last eight bytes (overlapping the words), and text shorter than a
/// word as two overlapping halves, rather than byte by byte.
#[inline]
fn same_text(left: &str, right: &str) -> bool {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    if left.len() != right.len() {
        return false;
    }
    match (left.last_chunk::<8>(), right.last_chunk::<8>()) {
        (Some(left_last), Some(right_last)) => {
            let (left_words, _) = left.as_chunks::<8>();
            let (right_words, _) = right.as_chunks::<8>();
            u64::from_ne_bytes(*left_last) == u64::from_ne_bytes(*right_last)
                && left_words
                    .iter()
                    .zip(right_words)
                    .all(|(left, right)| u64::from_ne_bytes(*left) == u64::from_ne_bytes(*right))
        }
        _ => same_short_text(left, right),
    }
}

/// [`same_text`] for up to seven bytes of equal length: four bytes at each
/// end (overlapping) from four bytes on, else the first, middle and last
/// byte, which are all of them.
#[inline]
fn same_short_text(left: &[u8], right: &[u8]) -> bool {
    match (
        left.first_chunk::<4>(),
        left.last_chunk::<4>(),
        right.first_chunk::<4>(),
        right.last_chunk::<4>(),
    ) {
        (Some(left_first), Some(left_last), Some(right_first), Some(right_last)) => {
            u32::from_ne_bytes(*left_first) == u32::from_ne_bytes(*right_first)
                && u32::from_ne_bytes(*left_last) == u32::from_ne_bytes(*right_last)
        }
        _ => {
            let middle = left.len() / 2;
            left.first() == right.first()
                && left.get(middle) == right.get(middle)
                && left.last() == right.last()
        }
    }
}

fn find_line<'a>(items: &'a [Value], id: &str) -> Option<&'a Value> {
    items
        .iter()
        .find(|item| line_id(item).as_deref() == Some(id))
}

/// What becomes of one of QuickBooks' lines in a merge of lines.
enum RemoteLine {
    /// Kept as QuickBooks has it (its subtotal, a line without an `Id`, a
    /// line new in QuickBooks).
    Keep,
    /// Deleted here and untouched in QuickBooks: gone.
    Gone,
    /// Deleted here but edited in QuickBooks (the base's line at this
    /// index): a conflict on the whole line, which stays deleted.
    DeletedHere(usize),
    /// On both sides (the base's and the local line at these indices):
    /// merged.
    Merge(Option<usize>, usize),
}

/// What becomes of a line only this side has.
enum LocalLine {
    /// New here (the local line at this index): kept.
    New(usize),
    /// Deleted in QuickBooks but edited here (the base's and the local line
    /// at these indices): a conflict, the line kept until the user chooses.
    DeletedThere(usize, usize),
}

/// How lines match, worked out on borrowed lines before QuickBooks' are
/// given up to the result.
struct LinePlan {
    remote: Vec<RemoteLine>,
    local_only: Vec<LocalLine>,
}

/// The plan for merging lines by `Id`, or None when these arrays are not
/// lines to match (see [`lines_match_by_id`]).
fn plan_lines(
    path: &Trail<'_>,
    base: &LineKeys<'_>,
    local: &LineKeys<'_>,
    remote_items: &[Value],
) -> Option<LinePlan> {
    let remote = LineKeys::new(remote_items);
    if !lines_match_by_id(path.last_key(), [base, local, &remote]) {
        return None;
    }
    let mut plan = LinePlan {
        remote: Vec::with_capacity(remote_items.len()),
        local_only: Vec::new(),
    };
    for (index, remote_line) in remote_items.iter().enumerate() {
        // QuickBooks' subtotal is computed: its version is the only one.
        let id = match remote.id(index) {
            Some(id) if !remote.subtotal[index] => id,
            _ => {
                plan.remote.push(RemoteLine::Keep);
                continue;
            }
        };
        let line = match (base.position(id, index), local.position(id, index)) {
            // New in QuickBooks.
            (None, None) => RemoteLine::Keep,
            // Deleted here: gone unless QuickBooks edited it.
            (Some(base_index), None) => {
                if base
                    .items
                    .get(base_index)
                    .is_some_and(|base_line| equivalent(base_line, remote_line))
                {
                    RemoteLine::Gone
                } else {
                    RemoteLine::DeletedHere(base_index)
                }
            }
            (base_index, Some(local_index)) => RemoteLine::Merge(base_index, local_index),
        };
        plan.remote.push(line);
    }
    // New lines QuickBooks also has (the same line added on both sides) are
    // kept once.
    let mut remote_new: Vec<&Value> = remote_items
        .iter()
        .enumerate()
        .filter(|(index, _)| !remote.subtotal[*index] && remote.ids[*index].is_none())
        .map(|(_, line)| line)
        .collect();
    for (index, local_line) in local.items.iter().enumerate() {
        if local.subtotal[index] {
            continue;
        }
        let Some(id) = local.id(index) else {
            match remote_new
                .iter()
                .position(|remote_line| equivalent(remote_line, local_line))
            {
                Some(twin) => {
                    remote_new.swap_remove(twin);
                }
                // New here.
                None => plan.local_only.push(LocalLine::New(index)),
            }
            continue;
        };
        if remote.position(id, index).is_some() {
            continue;
        }
        match base.position(id, index) {
            // Deleted in QuickBooks: gone unless edited here.
            Some(base_index) => {
                if base
                    .items
                    .get(base_index)
                    .is_some_and(|base_line| !equivalent(base_line, local_line))
                {
                    plan.local_only
                        .push(LocalLine::DeletedThere(base_index, index));
                }
            }
            None => plan.local_only.push(LocalLine::New(index)),
        }
    }
    Some(plan)
}

/// Merges lines by `Id` as `plan` says, in QuickBooks' array: its lines
/// are given up to the result.
fn merge_lines(
    path: &Trail<'_>,
    base: &LineKeys<'_>,
    local: &LineKeys<'_>,
    mut merged: Vec<Value>,
    plan: &LinePlan,
    conflicts: &mut Vec<FieldConflict>,
) -> Vec<Value> {
    let mut actions = plan.remote.iter();
    merged.retain_mut(|line| match actions.next() {
        Some(RemoteLine::Keep) | None => true,
        Some(RemoteLine::Gone) => false,
        Some(RemoteLine::DeletedHere(base_index)) => {
            conflict(
                &Trail::Line(path, base.id(*base_index).unwrap_or_default()),
                base.items.get(*base_index),
                None,
                Some(std::mem::take(line)),
                conflicts,
            );
            false
        }
        Some(RemoteLine::Merge(base_index, local_index)) => {
            match merge_value(
                &Trail::Line(path, local.id(*local_index).unwrap_or_default()),
                base_index.and_then(|index| base.items.get(index)),
                local.items.get(*local_index),
                Some(std::mem::take(line)),
                conflicts,
            ) {
                Some(value) => {
                    *line = value;
                    true
                }
                None => false,
            }
        }
    });
    // Lines only this side has go after QuickBooks' lines but before the
    // subtotal that closes a sales form.
    let mut local_only = Vec::with_capacity(plan.local_only.len());
    for line in &plan.local_only {
        match *line {
            LocalLine::New(index) => local_only.extend(local.items.get(index).cloned()),
            LocalLine::DeletedThere(base_index, index) => local_only.extend(conflict(
                &Trail::Line(path, local.id(index).unwrap_or_default()),
                base.items.get(base_index),
                local.items.get(index),
                None,
                conflicts,
            )),
        }
    }
    if local_only.is_empty() {
        return merged;
    }
    let closing_subtotals = merged
        .iter()
        .rev()
        .take_while(|line| is_subtotal(line))
        .count();
    let at = merged.len() - closing_subtotals;
    merged.splice(at..at, local_only);
    merged
}

/// Equal as JSON, except that numbers compare by exact decimal value and
/// object members in any order: "nothing changed at all".
pub fn same(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(_), Value::Number(_)) => numbers_equal(left, right),
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

/// The same to QuickBooks: [`same`], and also references by their id (the
/// label aside), `null` members as absent ones, and lines without
/// QuickBooks' generated subtotal.
pub fn equivalent(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(_), Value::Number(_)) => numbers_equal(left, right),
        (Value::Object(left), Value::Object(right)) => {
            match (reference_identity(left), reference_identity(right)) {
                (Some(left), Some(right)) => left == right,
                _ => {
                    left.iter()
                        .all(|(key, value)| equivalent_member(Some(value), right.get(key)))
                        && right
                            .iter()
                            .filter(|(key, _)| !left.contains_key(key.as_str()))
                            .all(|(_, value)| value.is_null())
                }
            }
        }
        (Value::Array(left), Value::Array(right)) => {
            let mut left = left.iter().filter(|item| !is_subtotal(item));
            let mut right = right.iter().filter(|item| !is_subtotal(item));
            loop {
                match (left.next(), right.next()) {
                    (None, None) => return true,
                    (Some(left), Some(right)) if equivalent(left, right) => {}
                    _ => return false,
                }
            }
        }
        _ => left == right,
    }
}

/// [`equivalent`] for members that may be absent; `null` counts as absent.
fn equivalent_member(left: Option<&Value>, right: Option<&Value>) -> bool {
    match (
        left.filter(|value| !value.is_null()),
        right.filter(|value| !value.is_null()),
    ) {
        (Some(left), Some(right)) => equivalent(left, right),
        (None, None) => true,
        _ => false,
    }
}

fn numbers_equal(left: &Value, right: &Value) -> bool {
    // The same digits are the same number; only different spellings
    // (`1.0` and `1.00`) need to be read as decimals.
    if left == right {
        return true;
    }
    match (number_decimal(left), number_decimal(right)) {
        (Some(left), Some(right)) => left == right,
        _ => false,
    }
}

/// [`decimal`] of a JSON number, read from its digits as written (numbers
/// keep them: serde_json's `arbitrary_precision`) without copying them.
fn number_decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(number) => {
            let text = number.as_str();
            Decimal::from_str(text)
                .ok()
                .or_else(|| Decimal::from_scientific(text).ok())
        }
        other => decimal(other),
    }
}

/// Who a reference points at.
#[derive(Debug)]
enum ReferenceIdentity<'a> {
    /// By QuickBooks id.
    Id(Cow<'a, str>),
    /// Only by name (a party to create or find by name), case-insensitively.
    Name(&'a str),
}

impl PartialEq for ReferenceIdentity<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ReferenceIdentity::Id(left), ReferenceIdentity::Id(right)) => left == right,
            // Equal lower-case forms; built only for names beyond ASCII.
            (ReferenceIdentity::Name(left), ReferenceIdentity::Name(right)) => {
                if left.is_ascii() && right.is_ascii() {
                    left.eq_ignore_ascii_case(right)
                } else {
                    left.to_lowercase() == right.to_lowercase()
                }
            }
            _ => false,
        }
    }
}

/// A QuickBooks reference: an object of `value`, `name` and `type` only.
fn is_reference(map: &Map<String, Value>) -> bool {
    reference_identity(map).is_some()
}

fn reference_identity(map: &Map<String, Value>) -> Option<ReferenceIdentity<'_>> {
    if map.is_empty()
        || !map
            .keys()
            .all(|key| matches!(key.as_str(), "value" | "name" | "type"))
    {
        return None;
    }
    match member(map, "value") {
        Some(Value::String(id)) if !id.trim().is_empty() => {
            Some(ReferenceIdentity::Id(Cow::Borrowed(id.trim())))
        }
        Some(Value::Number(id)) => Some(ReferenceIdentity::Id(Cow::Owned(id.to_string()))),
        _ => match member(map, "name") {
            Some(Value::String(name)) if !name.trim().is_empty() => {
                Some(ReferenceIdentity::Name(name.trim()))
            }
            _ => None,
        },
    }
}

/// The fields where `other` differs from `base` for QuickBooks, ignoring
/// what QuickBooks manages: members inside objects (a reference as a whole),
/// lines by `Id` (`Line[Id=3].Amount`, `Line[Id=4]` added or removed, and
/// `Line` itself for a new line without an `Id` or a new order). Empty means
/// "no edit".
pub fn changed_fields(entity: &str, base: &Value, other: &Value) -> Vec<FieldPath> {
    let mut changed = Vec::new();
    match (base, other) {
        (Value::Object(base_map), Value::Object(other_map)) => {
            for key in ordered_keys(base_map, other_map) {
                if is_server_managed(entity, key) {
                    continue;
                }
                diff(
                    &FieldPath::key(key),
                    base_map.get(key),
                    other_map.get(key),
                    &mut changed,
                );
            }
        }
        _ => diff(&FieldPath::default(), Some(base), Some(other), &mut changed),
    }
    changed
}

fn diff(
    path: &FieldPath,
    base: Option<&Value>,
    other: Option<&Value>,
    changed: &mut Vec<FieldPath>,
) {
    if equivalent_member(base, other) {
        return;
    }
    match (base, other) {
        (Some(Value::Object(base_map)), Some(Value::Object(other_map)))
            if !is_reference(base_map) && !is_reference(other_map) =>
        {
            for key in ordered_keys(base_map, other_map) {
                diff(
                    &path.child(PathSegment::Key(key.to_owned())),
                    base_map.get(key),
                    other_map.get(key),
                    changed,
                );
            }
        }
        (Some(Value::Array(base_items)), Some(Value::Array(other_items)))
            if lines_match_by_id(
                path.last_key(),
                [
                    &LineKeys::new(base_items),
                    &LineKeys::new(other_items),
                    &LineKeys::new(&[]),
                ],
            ) =>
        {
            let before = changed.len();
            let mut new_line = false;
            for line in other_items.iter().filter(|line| !is_subtotal(line)) {
                match line_id(line) {
                    None => new_line = true,
                    Some(id) => diff(
                        &path.child(PathSegment::Line(id.to_string())),
                        find_line(base_items, &id),
                        Some(line),
                        changed,
                    ),
                }
            }
            for line in base_items {
                if let Some(id) = line_id(line)
                    && find_line(other_items, &id).is_none()
                {
                    changed.push(path.child(PathSegment::Line(id.into_owned())));
                }
            }
            if new_line || changed.len() == before {
                changed.push(path.clone());
            }
        }
        _ => changed.push(path.clone()),
    }
}

/// The value at `path`, if there is one.
pub fn value_at<'a>(object: &'a Value, path: &FieldPath) -> Option<&'a Value> {
    let mut current = object;
    for segment in &path.0 {
        current = match segment {
            PathSegment::Key(key) => current.get(key)?,
            PathSegment::Line(id) => find_line(current.as_array()?, id)?,
        };
    }
    Some(current)
}

/// Applies the user's choices to a merge; the result is the next local
/// version. Every conflict needs a choice, and every choice a conflict.
pub fn resolve(
    merge: &Merge,
    choices: &BTreeMap<FieldPath, Choice>,
) -> Result<Value, ResolveError> {
    if let Some(path) = choices.keys().find(|path| {
        !merge
            .conflicts
            .iter()
            .any(|conflict| &conflict.path == *path)
    }) {
        return Err(ResolveError::Unknown(path.to_string()));
    }
    let mut resolved = merge.merged.clone();
    for conflict in &merge.conflicts {
        let choice = choices
            .get(&conflict.path)
            .ok_or_else(|| ResolveError::Missing(conflict.path.to_string()))?;
        let value = match choice {
            Choice::Local => conflict.local.clone(),
            Choice::Remote => conflict.remote.clone(),
            Choice::Value(value) => {
                if let Some(PathSegment::Line(id)) = conflict.path.0.last() {
                    let fits = value.is_object() && line_id(value).is_none_or(|given| &given == id);
                    if !fits {
                        return Err(ResolveError::NotALine {
                            path: conflict.path.to_string(),
                            id: id.clone(),
                        });
                    }
                }
                Some(value.clone())
            }
        };
        set_at(&mut resolved, &conflict.path.0, value);
    }
    Ok(resolved)
}

/// Takes one side for every conflict (a typed value applies to every
/// conflicting field, so it is only sensible with one conflict).
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
                    Some(PathSegment::Line(_)) => Value::Array(Vec::new()),
                    _ => Value::Object(Map::new()),
                };
                map.insert(key.clone(), empty);
            }
            if let Some(child) = map.get_mut(key) {
                set_at(child, rest, value);
            }
        }
        PathSegment::Line(id) => {
            let Value::Array(items) = target else {
                return;
            };
            let position = items
                .iter()
                .position(|item| line_id(item).as_deref() == Some(id.as_str()));
            match (position, rest.is_empty(), value) {
                (Some(index), true, Some(value)) => items[index] = value,
                (Some(index), true, None) => {
                    items.remove(index);
                }
                (None, true, Some(value)) => {
                    // A restored line goes before QuickBooks' subtotal,
                    // which closes the lines of a sales form.
                    let end = items
                        .iter()
                        .rposition(|item| !is_subtotal(item))
                        .map_or(0, |last| last + 1);
                    items.insert(end, value);
                }
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
            "Line[Id=3].GroupLineDetail.Line[Id=1].Amount",
            "PrivateNote",
        ] {
            let path: FieldPath = text.parse().unwrap();
            assert_eq!(path.to_string(), text);
        }
        for bad in ["Line[3]", "", "Line[Id=]", "a..b", "Line[Id=3", "x]"] {
            assert!(bad.parse::<FieldPath>().is_err(), "{bad} parsed");
        }
        let json = serde_json::to_string(&"Line[Id=3]".parse::<FieldPath>().unwrap()).unwrap();
        assert_eq!(json, "\"Line[Id=3]\"");
    }

    #[test]
    fn set_at_reaches_into_lines_and_restores_before_the_subtotal() {
        let mut object = json!({"Line": [{"Id": "1", "Amount": 5}, {"DetailType": "SubTotalLineDetail", "Amount": 5}]});
        set_at(
            &mut object,
            &"Line[Id=1].Amount".parse::<FieldPath>().unwrap().0,
            Some(json!(7)),
        );
        assert_eq!(object["Line"][0]["Amount"], json!(7));
        set_at(
            &mut object,
            &"Line[Id=1]".parse::<FieldPath>().unwrap().0,
            None,
        );
        assert_eq!(object["Line"].as_array().unwrap().len(), 1);
        set_at(
            &mut object,
            &"Line[Id=2]".parse::<FieldPath>().unwrap().0,
            Some(json!({"Id": "2"})),
        );
        assert_eq!(object["Line"][0], json!({"Id": "2"}));
    }

    #[test]
    fn references_are_identified_by_their_id() {
        assert!(equivalent(
            &json!({"value": "1", "name": "Acme"}),
            &json!({"value": "1", "name": "Acme Ltd"})
        ));
        assert!(!equivalent(
            &json!({"value": "1", "name": "Acme"}),
            &json!({"value": "2", "name": "Acme"})
        ));
        assert!(equivalent(
            &json!({"name": "New Supplier"}),
            &json!({"name": " new supplier "})
        ));
        assert!(equivalent(
            &json!({"A": 1.0, "B": null}),
            &json!({"A": 1.00})
        ));
        assert!(!same(&json!({"A": 1.0, "B": null}), &json!({"A": 1.00})));
    }

    /// Generated JSON with the member names the merge treats specially
    /// (lines, references, server fields, totals) among plain ones, and
    /// amounts written as exact decimals.
    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let scalar = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (0i64..500, 0u32..3).prop_map(|(units, scale)| {
                serde_json::from_str(&Decimal::new(units, scale).to_string()).unwrap()
            }),
            "[1-3ab]{0,2}".prop_map(Value::String),
        ];
        scalar.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec(
                    (
                        "Id|Line|Amount|value|name|DetailType|SyncToken|TotalAmt|[A-C]",
                        inner
                    ),
                    0..6
                )
                .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    /// The same value with every object's members in reverse order.
    fn reversed(value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .rev()
                    .map(|(key, value)| (key.clone(), reversed(value)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(reversed).collect()),
            other => other.clone(),
        }
    }

    proptest::proptest! {
        /// The shortcut for an unchanged local side gives what the field
        /// walk gives, to the order of the members, whether QuickBooks'
        /// version is unrelated or the base with one member changed.
        #[test]
        fn an_unchanged_side_merges_as_the_field_walk_does(
            base in json_value(),
            other in json_value(),
            key in "Id|Line|TotalAmt|[A-C]",
            unrelated in proptest::prelude::any::<bool>(),
            reorder in proptest::prelude::any::<bool>(),
            entity in "Invoice|Payment|Item",
        ) {
            let local = if reorder { reversed(&base) } else { base.clone() };
            let remote = match (&base, unrelated) {
                (Value::Object(map), false) => {
                    let mut map = map.clone();
                    map.insert(key, other);
                    Value::Object(map)
                }
                _ => other,
            };
            for (local, remote) in [(&local, &remote), (&remote, &local)] {
                let fast = merge(&entity, &base, local, remote);
                let walked = merge_walk(&entity, &base, local, remote);
                proptest::prop_assert_eq!(&fast, &walked);
                proptest::prop_assert_eq!(
                    serde_json::to_string(&fast.merged).unwrap(),
                    serde_json::to_string(&walked.merged).unwrap()
                );
            }
        }
    }

    /// `value` with one edit somewhere inside: following `steps` down
    /// through members and elements, then setting or removing a member,
    /// adding or removing an element, or replacing a scalar.
    fn edited(value: &Value, steps: &[usize], key: &str, new: Option<Value>) -> Value {
        let mut value = value.clone();
        edit_at(&mut value, steps, key, new);
        value
    }

    fn edit_at(value: &mut Value, steps: &[usize], key: &str, new: Option<Value>) {
        if let Some((step, rest)) = steps.split_first() {
            let next = match &mut *value {
                Value::Object(map) if !map.is_empty() => {
                    let index = step % map.len();
                    map.values_mut().nth(index)
                }
                Value::Array(items) if !items.is_empty() => {
                    let index = step % items.len();
                    items.get_mut(index)
                }
                _ => None,
            };
            if let Some(next) = next.filter(|next| next.is_object() || next.is_array()) {
                return edit_at(next, rest, key, new);
            }
        }
        match (value, new) {
            (Value::Object(map), Some(new)) => {
                map.insert(key.to_owned(), new);
            }
            (Value::Object(map), None) => {
                map.shift_remove(key);
            }
            (Value::Array(items), Some(new)) => items.push(new),
            (Value::Array(items), None) => {
                items.pop();
            }
            (scalar, new) => *scalar = new.unwrap_or(Value::Null),
        }
    }

    /// One side of a generated triple: the base with an edit inside, or
    /// (`unrelated`) another value altogether.
    fn side() -> impl proptest::strategy::Strategy<Value = (bool, Vec<usize>, String, Option<Value>)>
    {
        use proptest::prelude::*;
        (
            prop::bool::weighted(0.2),
            prop::collection::vec(0usize..8, 0..4),
            "Id|Line|Amount|value|name|TotalAmt|[A-C]",
            prop::option::weighted(0.8, json_value()),
        )
    }

    fn made(base: &Value, side: &(bool, Vec<usize>, String, Option<Value>)) -> Value {
        let (unrelated, steps, key, new) = side;
        match (unrelated, new) {
            (true, Some(other)) => other.clone(),
            _ => edited(base, steps, key, new.clone()),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        /// The merge built in QuickBooks' version, given by value, is the
        /// copying walk's merge (conflicts and their order, the merged
        /// object to the order of its members) on random triples: versions
        /// of one value, each edited somewhere, the same edit listed in
        /// another order, or unrelated values.
        #[test]
        fn the_merge_by_value_is_the_copying_walk(
            base in json_value(),
            local_side in side(),
            remote_side in side(),
            local_edits in proptest::collection::vec(side(), 0..3),
            entity in "Invoice|Payment|Item",
        ) {
            let mut local = made(&base, &local_side);
            for extra in &local_edits {
                local = made(&local, &(false, extra.1.clone(), extra.2.clone(), extra.3.clone()));
            }
            let remote = made(&base, &remote_side);
            // The same edit on both sides, QuickBooks listing members in
            // another order.
            let mirrored = reversed(&local);
            for (local, remote) in [
                (&local, &remote),
                (&remote, &local),
                (&base, &remote),
                (&local, &mirrored),
            ] {
                let expected = reference::merge_walk(&entity, &base, local, remote);
                for merged in [
                    merge_owned(&entity, &base, local, remote.clone()),
                    merge_walk(&entity, &base, local, remote),
                ] {
                    proptest::prop_assert_eq!(&merged, &expected);
                    proptest::prop_assert_eq!(
                        serde_json::to_string(&merged.merged).unwrap(),
                        serde_json::to_string(&expected.merged).unwrap()
                    );
                    proptest::prop_assert_eq!(
                        serde_json::to_string(&merged.conflicts).unwrap(),
                        serde_json::to_string(&expected.conflicts).unwrap()
                    );
                }
            }
        }
    }

    /// The word-wise comparison agrees with `==` at every length a member
    /// name or value has, wherever the one differing byte is.
    #[test]
    fn same_text_tells_every_differing_byte() {
        for length in 0..=40 {
            let text: String = (0..length)
                .map(|index| char::from(b'a' + (index % 26) as u8))
                .collect();
            assert!(same_text(&text, &text.clone()), "{text:?}");
            for at in 0..length {
                let mut other = text.clone().into_bytes();
                if let Some(byte) = other.get_mut(at) {
                    *byte = b'Z';
                }
                let other = String::from_utf8(other).unwrap();
                assert!(!same_text(&text, &other), "{text:?} against {other:?}");
                assert!(!same_text(&other, &text), "{other:?} against {text:?}");
            }
            assert!(!same_text(&text, &format!("{text}a")));
        }
    }

    #[test]
    fn value_at_follows_keys_and_line_ids() {
        let invoice = json!({"Line": [{"Id": "4", "SalesItemLineDetail": {"Qty": 2}}]});
        let path: FieldPath = "Line[Id=4].SalesItemLineDetail.Qty".parse().unwrap();
        assert_eq!(value_at(&invoice, &path), Some(&json!(2)));
        assert_eq!(value_at(&invoice, &"Line[Id=5]".parse().unwrap()), None);
    }
}
