//! The vault interface, its errors, and the private format tokens are stored in.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{Sensitive, TokenSet};

/// Where a company's tokens and the user's Intuit client secrets are kept.
///
/// The methods are synchronous on purpose. The OS keyrings are blocking APIs (one D-Bus round
/// trip to the Secret Service on Linux, a system call on macOS and Windows), and the Secret
/// Service backend used here is the synchronous one, which is safe to call from any thread —
/// including inside a tokio runtime, where the asynchronous backend panics ("Cannot start a
/// runtime from within a runtime"). From async code, call the vault through
/// `tokio::task::spawn_blocking` so that a slow keyring (or an unlock prompt) does not stall the
/// runtime's worker threads: on a desktop whose keyring is locked, the Secret Service shows its
/// unlock prompt and the call waits for the user's answer.
///
/// Names (`company_id`, `profile`) are 1 to 128 characters from `A-Z a-z 0-9 - _ . : @`.
/// Deleting something that is not there succeeds, so a disconnect can always be retried.
pub trait TokenVault: Send + Sync + fmt::Debug {
    /// The tokens stored for a company, or `None` when it has none (never connected, or
    /// disconnected).
    fn load(&self, company_id: &str) -> Result<Option<TokenSet>, VaultError>;

    /// Stores (or replaces) a company's tokens.
    fn store(&self, company_id: &str, tokens: &TokenSet) -> Result<(), VaultError>;

    /// Removes a company's tokens.
    fn delete(&self, company_id: &str) -> Result<(), VaultError>;

    /// Stores (or replaces) the Intuit client secret of an app profile (for example the user's
    /// own production app).
    fn store_client_secret(
        &self,
        profile: &str,
        client_secret: &Sensitive<String>,
    ) -> Result<(), VaultError>;

    /// The client secret stored for an app profile, or `None`.
    fn load_client_secret(&self, profile: &str) -> Result<Option<Sensitive<String>>, VaultError>;

    /// Removes the client secret of an app profile.
    fn delete_client_secret(&self, profile: &str) -> Result<(), VaultError>;
}

/// The error of an OS keyring, kept as the source of a [`VaultError`]. It never holds a secret:
/// keyring errors that carry secret bytes are reduced to a description first.
pub type PlatformError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong with the vault, and what the user can do about it. No message contains a
/// secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The keyring exists but is locked, or the user refused access.
    #[error(
        "The system keyring is locked. Unlock your keyring (e.g. log in to your desktop session) \
         and try again."
    )]
    Locked {
        /// The keyring's own error.
        #[source]
        source: Option<PlatformError>,
    },
    /// There is no keyring to talk to (on Linux: no D-Bus session or no Secret Service
    /// provider). Tokens are never written to plain files instead.
    #[error(
        "No keyring service was found: install and start gnome-keyring or KWallet (any Secret \
         Service provider) in your desktop session, with a D-Bus session bus running, then try \
         again. Ledgerlink keeps QuickBooks tokens only in the system keyring, never in plain \
         files."
    )]
    Unavailable {
        /// The keyring's own error.
        #[source]
        source: Option<PlatformError>,
    },
    /// Something is stored but cannot be read back.
    #[error("The {item} saved in the system keyring cannot be read ({detail}). {remedy}", remedy = .item.remedy())]
    Corrupt {
        /// What was being read.
        item: StoredItem,
        /// Why it is unreadable, without any of its content.
        detail: String,
    },
    /// A company id or profile name that cannot name a keyring entry.
    #[error("{name:?} cannot name a keyring entry: {reason}")]
    InvalidName {
        /// The offending name (an identifier, never a secret).
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// Any other keyring failure.
    #[error("The system keyring failed: {message}")]
    Other {
        /// What failed, with the keyring's own description.
        message: String,
    },
}

/// The thing a [`VaultError::Corrupt`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoredItem {
    /// A company's QuickBooks tokens.
    Tokens {
        /// The company.
        company_id: String,
    },
    /// An app profile's Intuit client secret.
    ClientSecret {
        /// The app profile.
        profile: String,
    },
}

impl StoredItem {
    fn remedy(&self) -> &'static str {
        match self {
            Self::Tokens { .. } => "Disconnect the company and connect it again to replace them.",
            Self::ClientSecret { .. } => "Enter the client secret again to replace it.",
        }
    }
}

impl fmt::Display for StoredItem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tokens { company_id } => {
                write!(formatter, "QuickBooks tokens of company {company_id:?}")
            }
            Self::ClientSecret { profile } => {
                write!(formatter, "Intuit client secret of app profile {profile:?}")
            }
        }
    }
}

const LONGEST_NAME: usize = 128;

/// Refuses names that would make odd or colliding keyring entries.
pub(crate) fn check_name(name: &str) -> Result<(), VaultError> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > LONGEST_NAME {
        "it is longer than 128 characters"
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@'))
    {
        "only letters, digits and - _ . : @ are allowed"
    } else {
        return Ok(());
    };
    Err(VaultError::InvalidName {
        name: name.to_owned(),
        reason,
    })
}

/// The version of the storage format written by [`encode_tokens`].
const TOKEN_FORMAT: u32 = 1;

/// The storage format, written from borrowed fields so that no extra copy of a token is made.
#[derive(Serialize)]
struct StoredTokensOut<'a> {
    format: u32,
    realm_id: &'a str,
    access_token: &'a str,
    refresh_token: &'a str,
    access_expires_at: DateTime<Utc>,
    refresh_expires_at: DateTime<Utc>,
    refresh_hard_cap_at: Option<DateTime<Utc>>,
    obtained_at: DateTime<Utc>,
}

/// Only the version, read first so that a newer format gets a clear error.
#[derive(Deserialize)]
struct StoredFormat {
    format: u32,
}

#[derive(Deserialize)]
struct StoredTokensIn {
    realm_id: String,
    access_token: String,
    refresh_token: String,
    access_expires_at: DateTime<Utc>,
    refresh_expires_at: DateTime<Utc>,
    refresh_hard_cap_at: Option<DateTime<Utc>>,
    obtained_at: DateTime<Utc>,
}

/// Room for the JSON around the tokens, so that the buffer is allocated once and no
/// reallocation leaves an unzeroed copy of a token behind.
const FORMAT_OVERHEAD: usize = 512;

/// Encodes tokens into the private storage format (JSON), in a buffer zeroed on drop.
pub(crate) fn encode_tokens(tokens: &TokenSet) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let access_token = tokens.access_token.expose();
    let refresh_token = tokens.refresh_token.expose();
    let capacity =
        access_token.len() + refresh_token.len() + tokens.realm_id.len() + FORMAT_OVERHEAD;
    let mut buffer = Zeroizing::new(Vec::with_capacity(capacity));
    let stored = StoredTokensOut {
        format: TOKEN_FORMAT,
        realm_id: &tokens.realm_id,
        access_token,
        refresh_token,
        access_expires_at: tokens.access_expires_at,
        refresh_expires_at: tokens.refresh_expires_at,
        refresh_hard_cap_at: tokens.refresh_hard_cap_at,
        obtained_at: tokens.obtained_at,
    };
    // The error of a writer into a Vec can only be a serialisation error; it carries no content.
    serde_json::to_writer(&mut *buffer, &stored).map_err(|error| VaultError::Other {
        message: format!("the tokens could not be encoded ({})", describe(&error)),
    })?;
    Ok(buffer)
}

/// Decodes the private storage format. Errors say where the data is wrong, never what it holds.
pub(crate) fn decode_tokens(company_id: &str, bytes: &[u8]) -> Result<TokenSet, VaultError> {
    let corrupt = |detail: String| VaultError::Corrupt {
        item: StoredItem::Tokens {
            company_id: company_id.to_owned(),
        },
        detail,
    };
    let format: StoredFormat = serde_json::from_slice(bytes)
        .map_err(|error| corrupt(format!("not in Ledgerlink's format: {}", describe(&error))))?;
    if format.format != TOKEN_FORMAT {
        return Err(corrupt(format!(
            "written in storage format {}, this version of Ledgerlink reads format {TOKEN_FORMAT}",
            format.format
        )));
    }
    let stored: StoredTokensIn = serde_json::from_slice(bytes)
        .map_err(|error| corrupt(format!("a field is missing or wrong: {}", describe(&error))))?;
    Ok(TokenSet {
        access_token: Sensitive::new(stored.access_token),
        refresh_token: Sensitive::new(stored.refresh_token),
        access_expires_at: stored.access_expires_at,
        refresh_expires_at: stored.refresh_expires_at,
        refresh_hard_cap_at: stored.refresh_hard_cap_at,
        realm_id: stored.realm_id,
        obtained_at: stored.obtained_at,
    })
}

/// Describes a serde_json error by its category and position only: its message can quote the
/// offending value, which may be a token.
fn describe(error: &serde_json::Error) -> String {
    let category = match error.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "malformed JSON",
        serde_json::error::Category::Data => "unexpected content",
        serde_json::error::Category::Eof => "truncated",
    };
    format!(
        "{category} at line {} column {}",
        error.line(),
        error.column()
    )
}

/// Decodes a stored client secret (plain UTF-8 text).
pub(crate) fn decode_client_secret(
    profile: &str,
    bytes: &[u8],
) -> Result<Sensitive<String>, VaultError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Sensitive::new(text.to_owned())),
        Err(_) => Err(VaultError::Corrupt {
            item: StoredItem::ClientSecret {
                profile: profile.to_owned(),
            },
            detail: "it is not UTF-8 text".to_owned(),
        }),
    }
}
