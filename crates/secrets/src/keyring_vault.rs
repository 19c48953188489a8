//! The vault over the OS keyring: Secret Service (gnome-keyring, KWallet) on Linux and the BSDs,
//! the Keychain on macOS, the Credential Manager on Windows.

use keyring::Entry;
use zeroize::Zeroizing;

use crate::vault::{
    PlatformError, StoredItem, check_name, decode_client_secret, decode_tokens, encode_tokens,
};
use crate::{Sensitive, TokenSet, TokenVault, VaultError};

/// The app identifier that namespaces Ledgerlink's keyring entries (the bundle identifier).
pub const DEFAULT_APP_ID: &str = "app.ledgerlink.desktop";

/// The vault over the OS keyring. It holds only names: each call opens the keyring afresh, so
/// it is cheap to clone and safe to share between threads.
///
/// Entries: service `<app id>.qbo-tokens` with one entry per company (the account name is the
/// company id), and service `<app id>.intuit-client-secret` with one entry per app profile.
/// Tokens are stored as bytes (not as a password string), which keeps them within the Windows
/// Credential Manager's 2,560-byte limit rather than its 1,280 UTF-16 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringVault {
    tokens_service: String,
    client_secrets_service: String,
}

impl KeyringVault {
    /// A vault whose entries are namespaced by `app_id` (tests pass their own, unique one).
    ///
    /// Fails with [`VaultError::Unavailable`] on a platform where the keyring crate has no
    /// persistent store, rather than silently keeping tokens in memory. It does not contact the
    /// keyring yet: a missing or locked keyring shows on the first call.
    pub fn new(app_id: &str) -> Result<Self, VaultError> {
        check_name(app_id)?;
        ensure_persistent_backend()?;
        Ok(Self {
            tokens_service: format!("{app_id}.qbo-tokens"),
            client_secrets_service: format!("{app_id}.intuit-client-secret"),
        })
    }

    /// The vault of the installed app, namespaced by [`DEFAULT_APP_ID`].
    pub fn for_ledgerlink() -> Result<Self, VaultError> {
        Self::new(DEFAULT_APP_ID)
    }

    /// The keyring service name under which company tokens are stored.
    pub fn tokens_service(&self) -> &str {
        &self.tokens_service
    }

    /// The keyring service name under which client secrets are stored.
    pub fn client_secrets_service(&self) -> &str {
        &self.client_secrets_service
    }

    fn tokens_entry(&self, company_id: &str) -> Result<(Entry, StoredItem), VaultError> {
        check_name(company_id)?;
        let item = StoredItem::Tokens {
            company_id: company_id.to_owned(),
        };
        let entry = Entry::new(&self.tokens_service, company_id)
            .map_err(|error| keyring_error(error, &item))?;
        Ok((entry, item))
    }

    fn client_secret_entry(&self, profile: &str) -> Result<(Entry, StoredItem), VaultError> {
        check_name(profile)?;
        let item = StoredItem::ClientSecret {
            profile: profile.to_owned(),
        };
        let entry = Entry::new(&self.client_secrets_service, profile)
            .map_err(|error| keyring_error(error, &item))?;
        Ok((entry, item))
    }
}

impl TokenVault for KeyringVault {
    fn load(&self, company_id: &str) -> Result<Option<TokenSet>, VaultError> {
        let (entry, item) = self.tokens_entry(company_id)?;
        read_secret(&entry, &item)?
            .map(|bytes| decode_tokens(company_id, &bytes))
            .transpose()
    }

    fn store(&self, company_id: &str, tokens: &TokenSet) -> Result<(), VaultError> {
        let (entry, item) = self.tokens_entry(company_id)?;
        let encoded = encode_tokens(tokens)?;
        entry
            .set_secret(&encoded)
            .map_err(|error| keyring_error(error, &item))
    }

    fn delete(&self, company_id: &str) -> Result<(), VaultError> {
        let (entry, item) = self.tokens_entry(company_id)?;
        delete_entry(entry, &item)
    }

    fn store_client_secret(
        &self,
        profile: &str,
        client_secret: &Sensitive<String>,
    ) -> Result<(), VaultError> {
        let (entry, item) = self.client_secret_entry(profile)?;
        entry
            .set_secret(client_secret.expose().as_bytes())
            .map_err(|error| keyring_error(error, &item))
    }

    fn load_client_secret(&self, profile: &str) -> Result<Option<Sensitive<String>>, VaultError> {
        let (entry, item) = self.client_secret_entry(profile)?;
        read_secret(&entry, &item)?
            .map(|bytes| decode_client_secret(profile, &bytes))
            .transpose()
    }

    fn delete_client_secret(&self, profile: &str) -> Result<(), VaultError> {
        let (entry, item) = self.client_secret_entry(profile)?;
        delete_entry(entry, &item)
    }
}

/// Reads an entry's bytes into a buffer zeroed on drop; a missing entry is `None`.
fn read_secret(entry: &Entry, item: &StoredItem) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
    match entry.get_secret() {
        Ok(bytes) => Ok(Some(Zeroizing::new(bytes))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(error) => Err(keyring_error(error, item)),
    }
}

/// Deletes an entry; a missing one is already deleted. Duplicates (left by another tool, or an
/// older keyring crate) are all deleted, so that a disconnect always leaves nothing behind.
fn delete_entry(entry: Entry, item: &StoredItem) -> Result<(), VaultError> {
    match entry.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(keyring::Error::Ambiguous(duplicates)) => {
            for duplicate in duplicates {
                match Entry::new_with_credential(duplicate).delete_credential() {
                    Ok(()) | Err(keyring::Error::NoEntry) => {}
                    Err(error) => return Err(keyring_error(error, item)),
                }
            }
            Ok(())
        }
        Err(error) => Err(keyring_error(error, item)),
    }
}

/// Fails on a platform where the keyring crate would fall back to its in-memory mock store:
/// tokens would then vanish on exit without a word.
fn ensure_persistent_backend() -> Result<(), VaultError> {
    use keyring::credential::CredentialPersistence;
    match keyring::default::default_credential_builder().persistence() {
        CredentialPersistence::UntilDelete => Ok(()),
        _ => Err(VaultError::Unavailable { source: None }),
    }
}

/// Translates a keyring error into one that says what to do. Errors that carry secret bytes
/// (`BadEncoding`) are reduced to a description, so no secret reaches a message or a source.
fn keyring_error(error: keyring::Error, item: &StoredItem) -> VaultError {
    match error {
        keyring::Error::NoStorageAccess(source) => VaultError::Locked {
            source: Some(source),
        },
        keyring::Error::PlatformFailure(source) if is_unavailable(&source) => {
            VaultError::Unavailable {
                source: Some(source),
            }
        }
        keyring::Error::PlatformFailure(source) => VaultError::Other {
            message: format!("{item}: {source}"),
        },
        keyring::Error::NoEntry => VaultError::Other {
            message: format!("{item}: the entry disappeared while it was being written"),
        },
        keyring::Error::BadEncoding(_) => VaultError::Corrupt {
            item: item.clone(),
            detail: "it is not UTF-8 text".to_owned(),
        },
        keyring::Error::Ambiguous(duplicates) => VaultError::Corrupt {
            item: item.clone(),
            detail: format!("{} keyring entries match it", duplicates.len()),
        },
        keyring::Error::TooLong(attribute, limit) => VaultError::Other {
            message: format!(
                "{item}: the {attribute} is larger than this keyring's limit of {limit}"
            ),
        },
        keyring::Error::Invalid(attribute, reason) => VaultError::Other {
            message: format!("{item}: the keyring refused the {attribute}: {reason}"),
        },
        // A variant added by a later keyring release: its content is unknown, so it is not
        // printed (it could hold secret bytes).
        _ => VaultError::Other {
            message: format!("{item}: an unexpected keyring error"),
        },
    }
}

/// D-Bus errors that mean "there is no session bus" or "nothing on it provides the Secret
/// Service", as opposed to a failure of a running keyring.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
const UNAVAILABLE_DBUS_ERRORS: &[&str] = &[
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
    "org.freedesktop.DBus.Error.NoServer",
    "org.freedesktop.DBus.Error.NoNetwork",
    "org.freedesktop.DBus.Error.FileNotFound",
    "org.freedesktop.DBus.Error.BadAddress",
    "org.freedesktop.DBus.Error.NotSupported",
    "org.freedesktop.DBus.Error.Disconnected",
];

/// Whether a Secret Service failure means there is no keyring to talk to. The sync backend
/// reports a missing session bus or provider as a D-Bus error, recognised here by its name.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn is_unavailable(error: &PlatformError) -> bool {
    match error.downcast_ref::<dbus_secret_service::Error>() {
        Some(dbus_secret_service::Error::Unavailable) => true,
        Some(dbus_secret_service::Error::Dbus(dbus_error)) => {
            dbus_error.name().is_some_and(|name| {
                UNAVAILABLE_DBUS_ERRORS.contains(&name)
                    || name.starts_with("org.freedesktop.DBus.Error.Spawn.")
            })
        }
        _ => false,
    }
}

/// The Keychain and the Credential Manager are part of the OS: a failure there is not a
/// missing service.
#[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
fn is_unavailable(_error: &PlatformError) -> bool {
    false
}
