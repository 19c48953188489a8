//! The one state object the shell manages.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use app_core::AppCore;

/// Everything the commands need, shared across all windows.
#[derive(Debug)]
pub struct AppState {
    /// The use-cases; every command delegates to it.
    pub core: AppCore,
    /// The files this app wrote in this session (exports), the only ones
    /// "Show in folder" opens: the webview names a path, and a path it
    /// made up (a compromised page, say) must not open anything else.
    written: Mutex<HashSet<PathBuf>>,
}

impl AppState {
    /// The state over an opened core.
    pub fn new(core: AppCore) -> Self {
        Self {
            core,
            written: Mutex::new(HashSet::new()),
        }
    }

    /// Remembers a file the app has just written.
    pub fn remember_written(&self, path: &Path) {
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        written.insert(comparable(path));
    }

    /// Whether the app wrote `path` in this session.
    pub fn wrote(&self, path: &Path) -> bool {
        let written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        written.contains(&comparable(path))
    }
}

/// The path in the form it is compared in: canonical when the file exists
/// (so `a/../b.csv` or a symlinked folder name the same file), else as given.
fn comparable(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}
