//! The one state object the shell manages.

use app_core::{AppCore, AppPaths};

/// Everything the commands need, shared across all windows.
#[derive(Debug)]
pub struct AppState {
    pub core: AppCore,
}

impl AppState {
    pub fn new(paths: AppPaths) -> Self {
        Self {
            core: AppCore::new(paths),
        }
    }
}
