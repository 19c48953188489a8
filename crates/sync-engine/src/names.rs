//! Customer and vendor auto-create: find the name first, never collide.
//!
//! QuickBooks keeps display names unique across customers, vendors and
//! employees (error 6240, PITFALLS 9). A vendor wanted under a name that a
//! customer holds is created under a deterministic variant instead, so a
//! sync never loops on the same refusal.

/// Which list a name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A customer.
    Customer,
    /// A vendor.
    Vendor,
    /// An employee.
    Employee,
}

impl NameKind {
    /// The QBO entity name.
    pub fn entity(self) -> &'static str {
        match self {
            NameKind::Customer => "Customer",
            NameKind::Vendor => "Vendor",
            NameKind::Employee => "Employee",
        }
    }
}

/// One name in the shared name space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameEntry {
    /// QuickBooks' id.
    pub id: String,
    /// The list.
    pub kind: NameKind,
    /// The display name.
    pub display_name: String,
    /// Whether it is active.
    pub active: bool,
}

/// Every customer, vendor and employee name.
#[derive(Debug, Clone, Default)]
pub struct NameDirectory {
    entries: Vec<NameEntry>,
}

/// What to do for a wanted name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameResolution {
    /// Use this active entry.
    Existing {
        /// Its id.
        id: String,
    },
    /// Make this inactive entry active again, then use it.
    Reactivate {
        /// Its id.
        id: String,
    },
    /// Create a new entry with this display name.
    Create {
        /// The name to create, free across all three lists.
        display_name: String,
    },
}

/// Names compare as QuickBooks compares them: trimmed, case-insensitively.
fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

impl NameDirectory {
    /// A directory of the given names.
    pub fn new(entries: Vec<NameEntry>) -> NameDirectory {
        NameDirectory { entries }
    }

    /// Adds a name (e.g. one just created).
    pub fn add(&mut self, entry: NameEntry) {
        self.entries.push(entry);
    }

    /// Every name.
    pub fn entries(&self) -> &[NameEntry] {
        &self.entries
    }

    /// The entries holding a name, of any list.
    fn holders<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a NameEntry> {
        let wanted = key(name);
        self.entries
            .iter()
            .filter(move |entry| key(&entry.display_name) == wanted)
    }

    /// Resolves a wanted name for a customer or vendor: see
    /// [`resolve_party_name`].
    pub fn resolve(&self, wanted: &str, kind: NameKind) -> NameResolution {
        let base = wanted.trim();
        let label = kind.entity();
        // The wanted name, then the variants that say which list this entry
        // is in: "Acme (Vendor)", "Acme (Vendor 2)", … The first one that is
        // this list's own is used (reactivated if need be); the first one
        // nobody holds is created. Each candidate is either held or free, and
        // only finitely many are held, so the walk ends.
        let mut number = 1usize;
        loop {
            let candidate = match number {
                1 => base.to_owned(),
                2 => format!("{base} ({label})"),
                _ => format!("{base} ({label} {})", number - 1),
            };
            let holders: Vec<&NameEntry> = self.holders(&candidate).collect();
            let own = holders.iter().filter(|entry| entry.kind == kind);
            if let Some(active) = own.clone().find(|entry| entry.active) {
                return NameResolution::Existing {
                    id: active.id.clone(),
                };
            }
            if let Some(inactive) = own.min_by(|left, right| left.id.cmp(&right.id)) {
                return NameResolution::Reactivate {
                    id: inactive.id.clone(),
                };
            }
            if holders.is_empty() {
                return NameResolution::Create {
                    display_name: candidate,
                };
            }
            number += 1;
        }
    }

    /// The entry of `kind` holding `name`, if any.
    pub fn find(&self, name: &str, kind: NameKind) -> Option<&NameEntry> {
        self.holders(name).find(|entry| entry.kind == kind)
    }
}

/// What to do for a customer or vendor wanted by name (PITFALLS 9).
///
/// QuickBooks display names are unique across customers, vendors and
/// employees, compared trimmed and case-insensitively. An active entry of
/// the same list with the name is used; an inactive one is reactivated;
/// otherwise the name is created, unless another list holds it, in which
/// case the first free variant "Acme (Vendor)", "Acme (Vendor 2)", … is
/// created, and a variant this list already holds is reused, so running
/// the same push twice never creates two entries or fails on 6240.
pub fn resolve_party_name(
    wanted: &str,
    kind: NameKind,
    directory: &NameDirectory,
) -> NameResolution {
    directory.resolve(wanted, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, kind: NameKind, name: &str, active: bool) -> NameEntry {
        NameEntry {
            id: id.to_owned(),
            kind,
            display_name: name.to_owned(),
            active,
        }
    }

    #[test]
    fn names_are_found_reactivated_or_created_without_collision() {
        let directory = NameDirectory::new(vec![
            entry("1", NameKind::Customer, "Acme Ltd", true),
            entry("2", NameKind::Vendor, "Old Supplier", false),
            entry("3", NameKind::Vendor, "Paper Co", true),
        ]);
        assert_eq!(
            resolve_party_name(" paper co ", NameKind::Vendor, &directory),
            NameResolution::Existing { id: "3".into() }
        );
        assert_eq!(
            resolve_party_name("Old Supplier", NameKind::Vendor, &directory),
            NameResolution::Reactivate { id: "2".into() }
        );
        assert_eq!(
            resolve_party_name("Acme Ltd", NameKind::Vendor, &directory),
            NameResolution::Create {
                display_name: "Acme Ltd (Vendor)".into()
            }
        );
        assert_eq!(
            resolve_party_name("New One", NameKind::Vendor, &directory),
            NameResolution::Create {
                display_name: "New One".into()
            }
        );
    }

    #[test]
    fn an_earlier_variant_is_reused_and_a_taken_variant_is_numbered() {
        let directory = NameDirectory::new(vec![
            entry("1", NameKind::Customer, "Acme", true),
            entry("5", NameKind::Vendor, "Acme (Vendor)", true),
        ]);
        assert_eq!(
            resolve_party_name("Acme", NameKind::Vendor, &directory),
            NameResolution::Existing { id: "5".into() }
        );
        let crowded = NameDirectory::new(vec![
            entry("1", NameKind::Customer, "Acme", true),
            entry("2", NameKind::Employee, "Acme (Vendor)", true),
        ]);
        assert_eq!(
            resolve_party_name("Acme", NameKind::Vendor, &crowded),
            NameResolution::Create {
                display_name: "Acme (Vendor 2)".into()
            }
        );
    }
}
