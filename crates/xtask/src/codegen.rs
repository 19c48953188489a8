//! TypeScript types for the IPC boundary, generated from the Rust types.
//!
//! ts-rs writes one `.ts` file per type marked `#[ts(export)]` when the
//! crate's `export_bindings_*` tests run. They are generated into a scratch
//! folder and then either copied into the UI (`codegen`) or compared with the
//! committed files (`codegen --check`), so a stale type fails the build.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::steps;

/// Where the UI imports the generated types from.
const GENERATED_DIR: &str = "ui/src/lib/ipc/generated";

pub fn run(root: &Path, check: bool) -> Result<(), String> {
    let scratch = root.join("target").join("ipc-types");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)
        .map_err(|error| format!("cannot create {}: {error}", scratch.display()))?;
    generate_into(root, &scratch)?;
    let fresh = read_ts_files(&scratch)?;
    if fresh.is_empty() {
        return Err("ts-rs generated no types: is any type marked #[ts(export)]?".into());
    }
    let committed_dir = root.join(GENERATED_DIR);
    let committed = read_ts_files(&committed_dir).unwrap_or_default();
    if check {
        let stale = differences(&fresh, &committed);
        if stale.is_empty() {
            println!("xtask: {} IPC types are up to date", fresh.len());
            return Ok(());
        }
        return Err(format!(
            "the generated IPC types are stale ({}); run `cargo xtask codegen` and commit the result",
            stale.join(", ")
        ));
    }
    let _ = std::fs::remove_dir_all(&committed_dir);
    std::fs::create_dir_all(&committed_dir)
        .map_err(|error| format!("cannot create {}: {error}", committed_dir.display()))?;
    for (name, text) in &fresh {
        let path = committed_dir.join(name);
        std::fs::write(&path, text)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    }
    println!("xtask: wrote {} IPC types to {GENERATED_DIR}", fresh.len());
    Ok(())
}

fn generate_into(root: &Path, dir: &Path) -> Result<(), String> {
    // `--workspace` keeps the feature set identical to the main test run, so
    // this reuses its build instead of compiling the workspace again.
    let mut command = steps::command(
        &std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()),
        &[
            "test",
            "--workspace",
            "--lib",
            "--quiet",
            "--",
            "export_bindings",
        ],
    );
    command.current_dir(root).env("TS_RS_EXPORT_DIR", dir);
    steps::status(command)
}

fn read_ts_files(dir: &Path) -> Result<BTreeMap<String, String>, String> {
    let mut files = BTreeMap::new();
    let mut pending: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current)
            .map_err(|error| format!("cannot read {}: {error}", current.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "ts") {
                let relative = path
                    .strip_prefix(dir)
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default();
                let text = std::fs::read_to_string(&path)
                    .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
                files.insert(relative, text);
            }
        }
    }
    Ok(files)
}

/// Names of files that are new, changed or gone.
fn differences(
    fresh: &BTreeMap<String, String>,
    committed: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut names: Vec<String> = fresh
        .iter()
        .filter(|(name, text)| committed.get(*name) != Some(*text))
        .map(|(name, _)| name.clone())
        .collect();
    names.extend(
        committed
            .keys()
            .filter(|name| !fresh.contains_key(*name))
            .map(|name| format!("{name} (no longer generated)")),
    );
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
            .collect()
    }

    #[test]
    fn finds_changed_new_and_removed_types() {
        let fresh = files(&[("A.ts", "a"), ("B.ts", "b2"), ("C.ts", "c")]);
        let committed = files(&[("A.ts", "a"), ("B.ts", "b1"), ("D.ts", "d")]);
        assert_eq!(
            differences(&fresh, &committed),
            vec!["B.ts", "C.ts", "D.ts (no longer generated)"]
        );
        assert!(differences(&fresh, &fresh).is_empty());
    }
}
