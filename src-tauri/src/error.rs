//! The one error type that crosses the IPC boundary.

use serde::Serialize;
use ts_rs::TS;

/// What every command returns on failure: a machine-readable `kind` the UI
/// can branch on, and a `message` written for the accountant that says what
/// to do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[ts(export)]
#[error("{message}")]
pub struct CommandError {
    /// A stable, lower-case identifier such as `"internal"` or `"reconnect_needed"`.
    pub kind: String,
    /// A sentence for the user.
    pub message: String,
    /// What the failure means and the button that fixes it (Reconnect,
    /// Retry), when the user can act on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub problem: Option<app_core::Problem>,
}

impl CommandError {
    /// An error the user cannot fix; the message points them at the logs.
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            kind: "internal".to_owned(),
            message: message.into(),
            problem: None,
        }
    }
}

impl From<app_core::CoreError> for CommandError {
    fn from(error: app_core::CoreError) -> Self {
        // The full chain goes to the log; the webview gets the sentence.
        tracing::warn!(error = ?error, "a command failed");
        Self {
            kind: error.kind().to_owned(),
            message: error.to_string(),
            problem: app_core::Problem::of_error(&error),
        }
    }
}
