//! The one state object the shell manages.

use app_core::AppCore;

/// Everything the commands need, shared across all windows.
#[derive(Debug)]
pub struct AppState {
    /// The use-cases; every command delegates to it.
    pub core: AppCore,
}

impl AppState {
    /// The state over an opened core.
    pub fn new(core: AppCore) -> Self {
        Self { core }
    }
}
