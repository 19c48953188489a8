use std::path::PathBuf;

use serde::Serialize;
use ts_rs::TS;

/// The folders the application keeps its files in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPaths {
    /// Company databases and app settings.
    pub data_dir: PathBuf,
    /// Rolling log files.
    pub log_dir: PathBuf,
}

/// What the Settings screen and the status bar show about the app itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct AppInfo {
    /// The version of Ledgerlink, e.g. "0.1.0".
    pub version: String,
    /// Where company databases and settings are kept.
    pub data_dir: String,
    /// Where the log files are written.
    pub log_dir: String,
}

impl AppInfo {
    pub(crate) fn describe(paths: &AppPaths) -> Self {
        Self {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            data_dir: paths.data_dir.display().to_string(),
            log_dir: paths.log_dir.display().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_the_folders_it_was_given() {
        let paths = AppPaths {
            data_dir: PathBuf::from("data here"),
            log_dir: PathBuf::from("logs here"),
        };
        let info = AppInfo::describe(&paths);
        assert_eq!(info.data_dir, "data here");
        assert_eq!(info.log_dir, "logs here");
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn serialises_in_camel_case_for_the_webview() {
        let info = AppInfo {
            version: "1.2.3".into(),
            data_dir: "d".into(),
            log_dir: "l".into(),
        };
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"version": "1.2.3", "dataDir": "d", "logDir": "l"})
        );
    }
}
