//! The app's IPC commands. Each one is a short delegation to `app_core`;
//! a command that grows logic of its own belongs in app-core instead.
//!
//! Every command here must also be listed in `src-tauri/build.rs` and allowed
//! in a capability file, or the webview cannot call it.

use app_core::AppInfo;
use tauri::State;

use crate::error::CommandError;
use crate::state::AppState;

/// The app's version and the folders it keeps its files in.
#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo, CommandError> {
    Ok(state.core.app_info())
}
