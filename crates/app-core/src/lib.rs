//! The use-cases the desktop app and the CLI share, in plain Rust.
//!
//! Front ends (the Tauri shell, the CLI) hold one [`AppCore`] and delegate
//! every command to it; nothing here knows about Tauri or the webview.

mod info;

pub use info::{AppInfo, AppPaths};

/// The application's use-cases over one data folder.
#[derive(Debug, Clone)]
pub struct AppCore {
    paths: AppPaths,
}

impl AppCore {
    /// Opens the application over the given folders. The front end decides
    /// where they are (the OS's app-data and log folders for the desktop app,
    /// `--data-dir` for the CLI).
    pub fn new(paths: AppPaths) -> Self {
        Self { paths }
    }

    /// What the app is and where it keeps its files.
    pub fn app_info(&self) -> AppInfo {
        AppInfo::describe(&self.paths)
    }
}
