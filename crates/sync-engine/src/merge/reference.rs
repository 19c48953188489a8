//! The field walk as it was before the merge took QuickBooks' version by
//! value: it copies every value it keeps out of borrowed versions. Kept
//! as the oracle the by-value merge is checked against.

use serde_json::{Map, Value};

use super::{
    FieldConflict, LineKeys, Merge, Trail, aligned, equivalent, equivalent_member, identical,
    is_reference, is_server_managed, lines_match_by_id,
};
use crate::entities::is_subtotal_line;

/// The merge, field by field, from borrowed versions (what
/// [`super::merge`] did when this side changed something).
pub(super) fn merge_walk(entity: &str, base: &Value, local: &Value, remote: &Value) -> Merge {
    let mut conflicts = Vec::new();
    let merged = match (local, remote) {
        (Value::Object(local_map), Value::Object(remote_map)) => {
            let empty = Map::new();
            let base_map = base.as_object().unwrap_or(&empty);
            let mut merged = Map::with_capacity(remote_map.len());
            for_each_member(
                base_map,
                local_map,
                remote_map,
                |key, base, local, remote| {
                    let value = if is_server_managed(entity, key) {
                        remote.cloned()
                    } else {
                        merge_value(
                            &Trail::Key(&Trail::Root, key),
                            base,
                            local,
                            remote,
                            &mut conflicts,
                        )
                    };
                    if let Some(value) = value {
                        merged.insert(key.to_owned(), value);
                    }
                },
            );
            Value::Object(merged)
        }
        _ => merge_value(
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

/// Calls `visit` with every member of `remote` (in its order), then every
/// member only `local` has, each with the base's, local and remote value.
/// The three maps usually list their members in the same order (they are
/// versions of one QuickBooks object), so members are matched by walking
/// them side by side, and looked up by name only where the orders differ.
fn for_each_member<'a>(
    base: &'a Map<String, Value>,
    local: &'a Map<String, Value>,
    remote: &'a Map<String, Value>,
    mut visit: impl FnMut(&'a str, Option<&'a Value>, Option<&'a Value>, Option<&'a Value>),
) {
    let mut base_walk = base.iter();
    let mut local_walk = local.iter();
    let mut local_seen = 0;
    for (key, remote_value) in remote {
        let base_value = aligned(&mut base_walk, base, key);
        let local_value = aligned(&mut local_walk, local, key);
        local_seen += usize::from(local_value.is_some());
        visit(key, base_value, local_value, Some(remote_value));
    }
    if local_seen == local.len() {
        return;
    }
    for (key, local_value) in local {
        if !remote.contains_key(key) {
            visit(
                key,
                aligned(&mut base_walk, base, key),
                Some(local_value),
                None,
            );
        }
    }
}

fn merge_value(
    path: &Trail<'_>,
    base: Option<&Value>,
    local: Option<&Value>,
    remote: Option<&Value>,
    conflicts: &mut Vec<FieldConflict>,
) -> Option<Value> {
    // An untouched side first, compared exactly, so a one-sided change comes
    // through byte for byte.
    if identical(local, base) {
        return remote.cloned();
    }
    if identical(remote, base) || identical(local, remote) {
        return local.cloned();
    }
    // Both sides touched it. Objects and lines merge member by member, so a
    // change one side made inside is kept even where the other side only
    // relabelled a reference; everything else is one value.
    match (base, local, remote) {
        (
            Some(Value::Object(base_map)),
            Some(Value::Object(local_map)),
            Some(Value::Object(remote_map)),
        ) if !is_reference(base_map) && !is_reference(local_map) && !is_reference(remote_map) => {
            let mut merged = Map::with_capacity(remote_map.len());
            for_each_member(
                base_map,
                local_map,
                remote_map,
                |key, base, local, remote| {
                    if let Some(value) =
                        merge_value(&Trail::Key(path, key), base, local, remote, conflicts)
                    {
                        merged.insert(key.to_owned(), value);
                    }
                },
            );
            Some(Value::Object(merged))
        }
        (base, Some(Value::Array(local_items)), Some(Value::Array(remote_items)))
            if base.is_none_or(|base| base.is_array() || base.is_null()) =>
        {
            let base_items = match base {
                Some(Value::Array(items)) => items.as_slice(),
                _ => &[],
            };
            let sides = [
                LineKeys::new(base_items),
                LineKeys::new(local_items),
                LineKeys::new(remote_items),
            ];
            if lines_match_by_id(path.last_key(), [&sides[0], &sides[1], &sides[2]]) {
                let [base, local, remote] = &sides;
                Some(Value::Array(merge_lines(
                    path, base, local, remote, conflicts,
                )))
            } else {
                merge_whole(path, base, local, remote, conflicts)
            }
        }
        _ => merge_whole(path, base, local, remote, conflicts),
    }
}

/// Merges a value that is not split further: the same for QuickBooks on
/// both sides (QuickBooks' spelling kept, its labels being current), or
/// changed on one side only, or a conflict.
fn merge_whole(
    path: &Trail<'_>,
    base: Option<&Value>,
    local: Option<&Value>,
    remote: Option<&Value>,
    conflicts: &mut Vec<FieldConflict>,
) -> Option<Value> {
    if equivalent_member(local, remote) || equivalent_member(local, base) {
        return remote.cloned();
    }
    if equivalent_member(remote, base) {
        return local.cloned();
    }
    conflict(path, base, local, remote, conflicts)
}

/// Records a conflict; the merged object keeps the local value.
fn conflict(
    path: &Trail<'_>,
    base: Option<&Value>,
    local: Option<&Value>,
    remote: Option<&Value>,
    conflicts: &mut Vec<FieldConflict>,
) -> Option<Value> {
    conflicts.push(FieldConflict {
        path: path.to_path(),
        base: base.cloned(),
        local: local.cloned(),
        remote: remote.cloned(),
    });
    local.cloned()
}

fn merge_lines(
    path: &Trail<'_>,
    base: &LineKeys<'_>,
    local: &LineKeys<'_>,
    remote: &LineKeys<'_>,
    conflicts: &mut Vec<FieldConflict>,
) -> Vec<Value> {
    let mut merged = Vec::with_capacity(remote.items.len().max(local.items.len()));
    for (index, remote_line) in remote.items.iter().enumerate() {
        // QuickBooks' subtotal is computed: its version is the only one.
        if remote.subtotal[index] {
            merged.push(remote_line.clone());
            continue;
        }
        let Some(id) = remote.id(index) else {
            merged.push(remote_line.clone());
            continue;
        };
        let line_path = Trail::Line(path, id);
        let base_line = base.find(id, index);
        match (base_line, local.find(id, index)) {
            // New in QuickBooks.
            (None, None) => merged.push(remote_line.clone()),
            // Deleted here: gone unless QuickBooks edited it.
            (Some(base_line), None) => {
                if !equivalent(base_line, remote_line) {
                    conflict(
                        &line_path,
                        Some(base_line),
                        None,
                        Some(remote_line),
                        conflicts,
                    );
                }
            }
            (base_line, Some(local_line)) => {
                if let Some(line) = merge_value(
                    &line_path,
                    base_line,
                    Some(local_line),
                    Some(remote_line),
                    conflicts,
                ) {
                    merged.push(line);
                }
            }
        }
    }
    // Lines only this side has go after QuickBooks' lines but before the
    // subtotal that closes a sales form.
    let mut local_only = Vec::new();
    // New lines QuickBooks also has (the same line added on both sides) are
    // kept once.
    let mut remote_new: Vec<&Value> = remote
        .items
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
                None => local_only.push(local_line.clone()),
            }
            continue;
        };
        if remote.find(id, index).is_some() {
            continue;
        }
        match base.find(id, index) {
            // Deleted in QuickBooks: gone unless edited here.
            Some(base_line) => {
                if !equivalent(base_line, local_line)
                    && let Some(line) = conflict(
                        &Trail::Line(path, id),
                        Some(base_line),
                        Some(local_line),
                        None,
                        conflicts,
                    )
                {
                    local_only.push(line);
                }
            }
            None => local_only.push(local_line.clone()),
        }
    }
    let closing_subtotals = merged
        .iter()
        .rev()
        .take_while(|line| is_subtotal_line(line))
        .count();
    let at = merged.len() - closing_subtotals;
    merged.splice(at..at, local_only);
    merged
}
