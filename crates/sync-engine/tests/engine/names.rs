//! Customer and vendor auto-create (PITFALLS 9): find the name first, reuse
//! or reactivate, and never collide across customers, vendors and employees.

use proptest::prelude::*;
use sync_engine::names::{NameDirectory, NameEntry, NameKind, NameResolution, resolve_party_name};

fn entry(id: &str, kind: NameKind, name: &str, active: bool) -> NameEntry {
    NameEntry {
        id: id.to_owned(),
        kind,
        display_name: name.to_owned(),
        active,
    }
}

fn create(name: &str) -> NameResolution {
    NameResolution::Create {
        display_name: name.to_owned(),
    }
}

#[test]
fn a_vendor_named_like_a_customer_and_an_inactive_vendor_is_reactivated() {
    let directory = NameDirectory::new(vec![
        entry("1", NameKind::Customer, "Acme Ltd", true),
        entry("2", NameKind::Vendor, "ACME LTD ", false),
    ]);
    assert_eq!(
        resolve_party_name("acme ltd", NameKind::Vendor, &directory),
        NameResolution::Reactivate { id: "2".into() }
    );
    assert_eq!(
        resolve_party_name("Acme Ltd", NameKind::Customer, &directory),
        NameResolution::Existing { id: "1".into() }
    );
}

#[test]
fn a_vendor_named_like_a_customer_gets_a_variant_once_and_reuses_it_after() {
    let mut directory = NameDirectory::new(vec![entry("1", NameKind::Customer, "Acme Ltd", true)]);
    let first = resolve_party_name("  Acme Ltd", NameKind::Vendor, &directory);
    assert_eq!(first, create("Acme Ltd (Vendor)"));
    // The next push finds what the first one created: no second vendor, no 6240 loop.
    directory.add(entry("31", NameKind::Vendor, "Acme Ltd (Vendor)", true));
    assert_eq!(
        resolve_party_name("Acme Ltd", NameKind::Vendor, &directory),
        NameResolution::Existing { id: "31".into() }
    );
    // Made inactive since: brought back rather than duplicated.
    let directory = NameDirectory::new(vec![
        entry("1", NameKind::Customer, "Acme Ltd", true),
        entry("31", NameKind::Vendor, "Acme Ltd (Vendor)", false),
    ]);
    assert_eq!(
        resolve_party_name("Acme Ltd", NameKind::Vendor, &directory),
        NameResolution::Reactivate { id: "31".into() }
    );
}

#[test]
fn taken_variants_are_numbered_and_a_numbered_one_of_this_list_is_reused() {
    let crowded = NameDirectory::new(vec![
        entry("1", NameKind::Customer, "Acme", true),
        entry("2", NameKind::Employee, "Acme (Vendor)", true),
    ]);
    assert_eq!(
        resolve_party_name("Acme", NameKind::Vendor, &crowded),
        create("Acme (Vendor 2)")
    );
    let mut reused = crowded.clone();
    reused.add(entry("9", NameKind::Vendor, "acme (vendor 2)", true));
    assert_eq!(
        resolve_party_name("Acme", NameKind::Vendor, &reused),
        NameResolution::Existing { id: "9".into() }
    );
    assert_eq!(
        resolve_party_name("Acme", NameKind::Customer, &reused),
        NameResolution::Existing { id: "1".into() }
    );
    assert_eq!(
        resolve_party_name("Brand New", NameKind::Customer, &reused),
        create("Brand New")
    );
}

/// Directories of a few similar names across the three lists.
fn directory() -> impl Strategy<Value = Vec<NameEntry>> {
    let names = prop::sample::select(vec![
        "Acme",
        "acme ",
        "Acme (Vendor)",
        "Acme (Customer)",
        "Acme (Vendor 2)",
        "ACME (VENDOR 3)",
        "Beta",
    ]);
    let kinds = prop::sample::select(vec![
        NameKind::Customer,
        NameKind::Vendor,
        NameKind::Employee,
    ]);
    prop::collection::vec((names, kinds, any::<bool>()), 0..8).prop_map(|entries| {
        entries
            .into_iter()
            .enumerate()
            .map(|(index, (name, kind, active))| entry(&index.to_string(), kind, name, active))
            .collect()
    })
}

fn same_name(left: &str, right: &str) -> bool {
    left.trim().to_lowercase() == right.trim().to_lowercase()
}

proptest! {
    #[test]
    fn a_resolution_never_collides_and_settles_after_one_create(
        entries in directory(),
        vendor in any::<bool>(),
    ) {
        let kind = if vendor { NameKind::Vendor } else { NameKind::Customer };
        let mut directory = NameDirectory::new(entries.clone());
        let resolution = resolve_party_name("Acme", kind, &directory);
        match &resolution {
            NameResolution::Existing { id } => {
                let found = entries.iter().find(|entry| &entry.id == id).unwrap();
                prop_assert!(found.kind == kind && found.active);
            }
            NameResolution::Reactivate { id } => {
                let found = entries.iter().find(|entry| &entry.id == id).unwrap();
                prop_assert!(found.kind == kind && !found.active);
                // Nothing active of this list already answers to the name.
                prop_assert!(!entries.iter().any(|entry| entry.kind == kind && entry.active && same_name(&entry.display_name, &found.display_name)));
            }
            NameResolution::Create { display_name } => {
                prop_assert!(
                    !entries.iter().any(|entry| same_name(&entry.display_name, display_name)),
                    "{display_name} is taken"
                );
                prop_assert!(display_name.starts_with("Acme"));
                directory.add(entry("new", kind, display_name, true));
                prop_assert_eq!(
                    resolve_party_name("Acme", kind, &directory),
                    NameResolution::Existing { id: "new".into() }
                );
            }
        }
        // The same directory always gives the same answer.
        prop_assert_eq!(resolve_party_name("Acme", kind, &NameDirectory::new(entries)), resolution);
    }
}
