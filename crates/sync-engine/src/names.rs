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

    fn taken(&self, name: &str) -> bool {
        let wanted = key(name);
        self.entries
            .iter()
            .any(|entry| key(&entry.display_name) == wanted)
    }

    /// Resolves a wanted name for a customer or vendor.
    pub fn resolve(&self, wanted: &str, kind: NameKind) -> NameResolution {
        let wanted_key = key(wanted);
        let same_kind =
            |entry: &&NameEntry| entry.kind == kind && key(&entry.display_name) == wanted_key;
        if let Some(entry) = self
            .entries
            .iter()
            .filter(same_kind)
            .find(|entry| entry.active)
        {
            return NameResolution::Existing {
                id: entry.id.clone(),
            };
        }
        if let Some(entry) = self.entries.iter().find(same_kind) {
            return NameResolution::Reactivate {
                id: entry.id.clone(),
            };
        }
        let base = wanted.trim();
        if !self.taken(base) {
            return NameResolution::Create {
                display_name: base.to_owned(),
            };
        }
        // The name belongs to another list: a variant saying which list this
        // one is, numbered if that is taken too.
        let label = match kind {
            NameKind::Customer => "Customer",
            NameKind::Vendor => "Vendor",
            NameKind::Employee => "Employee",
        };
        let mut candidate = format!("{base} ({label})");
        let mut number = 2;
        while self.taken(&candidate) {
            let with_number = format!("{base} ({label} {number})");
            candidate = with_number;
            number += 1;
        }
        // A variant already made for this list earlier is reused, not doubled.
        NameResolution::Create {
            display_name: candidate,
        }
    }

    /// The entry a variant name refers to, if this list already has it.
    pub fn find(&self, name: &str, kind: NameKind) -> Option<&NameEntry> {
        let wanted = key(name);
        self.entries
            .iter()
            .find(|entry| entry.kind == kind && key(&entry.display_name) == wanted)
    }
}

/// Resolves a wanted name, reusing an earlier variant for the same list
/// ("Acme (Vendor)") before creating another.
pub fn resolve_party_name(
    wanted: &str,
    kind: NameKind,
    directory: &NameDirectory,
) -> NameResolution {
    let resolution = directory.resolve(wanted, kind);
    if let NameResolution::Create { display_name } = &resolution
        && display_name != wanted.trim()
    {
        let label = kind.entity();
        let variant = format!("{} ({label})", wanted.trim());
        if let Some(entry) = directory.find(&variant, kind) {
            return if entry.active {
                NameResolution::Existing {
                    id: entry.id.clone(),
                }
            } else {
                NameResolution::Reactivate {
                    id: entry.id.clone(),
                }
            };
        }
    }
    resolution
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
