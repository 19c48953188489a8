//! The one error of the use-cases. Front ends show its message as is (it says
//! what to do) and branch on its [`kind`](CoreError::kind).

use local_store::StoreError;
use qbo_client::{ConnectError, ErrorKind, QboError};
use secrets::VaultError;
use sync_engine::EngineError;

/// Why a use-case failed.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The company id is not (or no longer) known.
    #[error("No company with id {0} is set up here. Refresh the company list and try again.")]
    UnknownCompany(String),
    /// The company has never been connected, or was disconnected.
    #[error("{company} is not connected to QuickBooks. Connect it first.")]
    NotConnected {
        /// The company's name.
        company: String,
    },
    /// QuickBooks refused the stored grant: the user must connect again.
    #[error(
        "QuickBooks no longer accepts the connection to {company}. Reconnect it from the Companies page."
    )]
    ReconnectNeeded {
        /// The company's name.
        company: String,
    },
    /// Input the user can correct.
    #[error("{0}")]
    Invalid(String),
    /// No relay address is set, so "Connect QuickBooks" has nothing to go
    /// through.
    #[error(
        "Connecting QuickBooks needs a relay address from your firm (set it in Settings, or in the LEDGERLINK_RELAY_URL environment variable), or your firm's own Intuit app keys (Settings, Advanced: use my own Intuit app keys)."
    )]
    RelayNeeded,
    /// A sync is already running for the company.
    #[error("{company} is already syncing. Wait for it to finish or cancel it.")]
    AlreadySyncing {
        /// The company's name.
        company: String,
    },
    /// The user cancelled.
    #[error("Cancelled. Nothing was lost; the next sync continues where this one stopped.")]
    Cancelled,
    /// The local database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The sync engine refused or failed.
    #[error(transparent)]
    Engine(Box<EngineError>),
    /// QuickBooks (or the way to it) failed.
    #[error("{0}")]
    Qbo(Box<QboError>),
    /// Connecting failed.
    #[error(transparent)]
    Connect(Box<ConnectError>),
    /// The OS keyring failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The embedded demo emulator could not start.
    #[error("The demo company could not start: {0}. See the log file for details.")]
    Demo(String),
    /// A file could not be written or read.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, e.g. "Writing the history export to …".
        what: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl CoreError {
    /// A stable, lower-case identifier the UI and scripts can branch on.
    pub fn kind(&self) -> &'static str {
        match self {
            CoreError::UnknownCompany(_) => "unknown_company",
            CoreError::NotConnected { .. } => "not_connected",
            CoreError::ReconnectNeeded { .. } => "reconnect_needed",
            CoreError::Invalid(_) => "invalid",
            CoreError::RelayNeeded => "relay_needed",
            CoreError::AlreadySyncing { .. } => "already_syncing",
            CoreError::Cancelled => "cancelled",
            CoreError::Store(_) => "store",
            CoreError::Engine(error) => match error.as_ref() {
                EngineError::NotFound(_) => "not_found",
                EngineError::Refused(_) => "refused",
                EngineError::Cancelled => "cancelled",
                EngineError::AlreadySyncing => "already_syncing",
                EngineError::Qbo(error) => qbo_kind(error),
                _ => "sync",
            },
            CoreError::Qbo(error) => qbo_kind(error),
            CoreError::Connect(_) => "connect",
            CoreError::Vault(_) => "keyring",
            CoreError::Demo(_) => "demo",
            CoreError::Io { .. } => "io",
        }
    }

    /// The process exit code the CLI uses for this error, so scripts can
    /// tell "fix your input" from "try again later" from "reconnect".
    pub fn exit_code(&self) -> u8 {
        match self.kind() {
            "invalid" | "unknown_company" | "not_found" | "refused" | "relay_needed" => 2,
            "reconnect_needed" | "not_connected" => 3,
            "already_syncing" | "throttled" | "transient" | "cancelled" => 4,
            "conflict" => 5,
            _ => 1,
        }
    }
}

/// The kind of a QuickBooks error, worded for front ends.
fn qbo_kind(error: &QboError) -> &'static str {
    match error.kind() {
        ErrorKind::Stale => "stale",
        ErrorKind::NotFound => "not_found",
        ErrorKind::Validation => "validation",
        ErrorKind::Throttled => "throttled",
        ErrorKind::AuthExpired | ErrorKind::ReconnectNeeded => "reconnect_needed",
        ErrorKind::SubscriptionLapsed => "subscription_lapsed",
        ErrorKind::Transient => "transient",
        ErrorKind::Protocol => "protocol",
    }
}

impl From<EngineError> for CoreError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Cancelled => CoreError::Cancelled,
            EngineError::Store(error) => CoreError::Store(error),
            EngineError::Qbo(error) => CoreError::Qbo(Box::new(error)),
            other => CoreError::Engine(Box::new(other)),
        }
    }
}

impl From<QboError> for CoreError {
    fn from(error: QboError) -> Self {
        CoreError::Qbo(Box::new(error))
    }
}

impl From<ConnectError> for CoreError {
    fn from(error: ConnectError) -> Self {
        CoreError::Connect(Box::new(error))
    }
}
