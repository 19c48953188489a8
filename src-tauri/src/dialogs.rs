//! The OS's own open and save dialogs, and "Show in folder".
//!
//! The dialogs are opened from Rust, not from the webview: the webview is
//! given no dialog or file-system permission, only these commands, which
//! hand back the one path the person chose.
//!
//! Test seam: WebDriver cannot drive a native dialog, so the end-to-end
//! scenarios set `LEDGERLINK_TEST_OPEN_FILE` (the file the open dialog would
//! have returned) and `LEDGERLINK_TEST_SAVE_FILE` (the path the save dialog
//! would have returned). Outside those tests the variables are unset and the
//! real dialogs open.

use std::path::{Path, PathBuf};

use app_core::{IifExportInput, IifExportReport, ListExportInput, ListExportReport};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_dialog::Dialog;
use ts_rs::TS;

use crate::error::CommandError;
use crate::state::AppState;

type Answer<T> = Result<T, CommandError>;

/// The variable that stands in for the open dialog in end-to-end tests.
pub const TEST_OPEN_FILE: &str = "LEDGERLINK_TEST_OPEN_FILE";
/// The variable that stands in for the save dialog in end-to-end tests.
pub const TEST_SAVE_FILE: &str = "LEDGERLINK_TEST_SAVE_FILE";

/// The extensions a statement file may have; the importer reads the content
/// either way, the filter only tidies the dialog.
const STATEMENT_EXTENSIONS: &[&str] = &["ofx", "qfx", "qbo", "csv", "txt", "pdf"];

// Read in Rust, so that the webview never gets to name a path to read.
/// A statement file the person chose in the open dialog.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct ChosenFile {
    /// The file's name, without its folder.
    pub file_name: String,
    /// The file's bytes in base64 (standard alphabet), as import_statement takes them.
    pub content_base64: String,
}

/// The largest statement read: far above any bank's monthly export, and
/// small enough that a wrong pick (a video, a disk image) is refused at once.
const MAX_STATEMENT_BYTES: u64 = 50 * 1024 * 1024;

/// Asks for a bank or card statement to import and reads it. `None` when
/// the person cancelled.
#[tauri::command]
pub async fn choose_statement_file<R: Runtime>(app: AppHandle<R>) -> Answer<Option<ChosenFile>> {
    let path = match seam(TEST_OPEN_FILE) {
        Some(path) => PathBuf::from(path),
        None => {
            let dialog = dialog(&app)?;
            let picked = tauri::async_runtime::spawn_blocking(move || {
                dialog
                    .file()
                    .set_title("Import a statement")
                    .add_filter("Statements (OFX, QFX, CSV, PDF)", STATEMENT_EXTENSIONS)
                    .add_filter("All files", &["*"])
                    .blocking_pick_file()
            })
            .await
            .map_err(|error| CommandError::internal(format!("The open dialog failed: {error}")))?;
            match picked {
                Some(picked) => picked_path(picked)?,
                None => return Ok(None),
            }
        }
    };
    read_statement(&path).map(Some)
}

fn read_statement(path: &Path) -> Answer<ChosenFile> {
    let unreadable = |error: std::io::Error| CommandError {
        kind: "invalid".to_owned(),
        problem: None,
        message: format!("{} could not be read ({error}).", path.display()),
    };
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > MAX_STATEMENT_BYTES {
        return Err(CommandError {
            kind: "invalid".to_owned(),
            problem: None,
            message: format!(
                "{} is {} MB, too large for a bank statement; choose the statement file itself.",
                path.display(),
                size / (1024 * 1024)
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    Ok(ChosenFile {
        file_name: path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
        content_base64: STANDARD.encode(bytes),
    })
}

/// Asks where to save with the OS's save dialog, then writes the company's
/// IIF export there. `None` when the person cancelled the dialog. The path
/// never comes from the webview: only the dialog (or the test seam) names it.
#[tauri::command]
pub async fn export_iif_as<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    company_id: String,
    input: IifExportInput,
) -> Answer<Option<IifExportReport>> {
    let suggested = format!(
        "ledgerlink-{}-to-{}.iif",
        input.from.trim(),
        input.to.trim()
    );
    let Some(path) = choose_export_path(&app, SaveKind::Iif, suggested).await? else {
        return Ok(None);
    };
    let report = state
        .core
        .export_iif(&company_id, input, Some(path))
        .await?;
    state.remember_written(Path::new(&report.path));
    Ok(Some(report))
}

/// Asks where to save with the OS's save dialog, then writes the list
/// (records with their filters, history, products, conflicts or the
/// companies overview) there as CSV. `None` when the person cancelled.
#[tauri::command]
pub async fn export_list_as<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    input: ListExportInput,
) -> Answer<Option<ListExportReport>> {
    let suggested = state.core.export_file_name(&input).await?;
    let Some(path) = choose_export_path(&app, SaveKind::Csv, suggested).await? else {
        return Ok(None);
    };
    let report = state.core.export_list_csv(&input, &path).await?;
    state.remember_written(&path);
    Ok(Some(report))
}

/// What a save dialog saves, for its title and filter.
#[derive(Debug, Clone, Copy)]
enum SaveKind {
    Iif,
    Csv,
}

async fn choose_export_path<R: Runtime>(
    app: &AppHandle<R>,
    kind: SaveKind,
    suggested_name: String,
) -> Answer<Option<PathBuf>> {
    if let Some(path) = seam(TEST_SAVE_FILE) {
        return Ok(Some(PathBuf::from(path)));
    }
    let dialog = dialog(app)?;
    let picked = tauri::async_runtime::spawn_blocking(move || {
        let (title, filter, extension) = match kind {
            SaveKind::Iif => (
                "Export to QuickBooks Desktop (IIF)",
                "QuickBooks Desktop IIF",
                "iif",
            ),
            SaveKind::Csv => ("Export as CSV", "CSV (spreadsheets)", "csv"),
        };
        dialog
            .file()
            .set_title(title)
            .set_file_name(suggested_name)
            .add_filter(filter, &[extension])
            .blocking_save_file()
    })
    .await
    .map_err(|error| CommandError::internal(format!("The save dialog failed: {error}")))?;
    picked.map(picked_path).transpose()
}

/// Opens the folder that holds `path` in the OS's file manager. Only for
/// a file this app wrote in this session (an export): any other path the
/// webview names is refused, so a page cannot make the app open folders
/// (or, through the file manager's handlers, files) of its choosing.
#[tauri::command]
pub fn show_in_folder(state: State<'_, AppState>, path: String) -> Answer<()> {
    let folder = folder_to_show(&state, Path::new(&path))?;
    open::that_detached(&folder).map_err(|error| CommandError {
        kind: "io".to_owned(),
        problem: None,
        message: format!(
            "The folder {} could not be opened ({error}); open it by hand.",
            folder.display()
        ),
    })
}

/// The folder to open for `path`, or the refusal when the app did not
/// write that file in this session.
fn folder_to_show(state: &AppState, path: &Path) -> Answer<PathBuf> {
    if !state.wrote(path) {
        return Err(CommandError {
            kind: "invalid".to_owned(),
            problem: None,
            message: format!(
                "Ledgerlink shows only the folders of files it exported in this session, and it did not write {}.",
                path.display()
            ),
        });
    }
    Ok(folder_of(path))
}

/// The folder to show for a file: its parent, or the path itself when it
/// has none (a bare name).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => path.to_path_buf(),
    }
}

fn seam(variable: &str) -> Option<String> {
    std::env::var(variable).ok().filter(|path| !path.is_empty())
}

fn dialog<R: Runtime>(app: &AppHandle<R>) -> Answer<Dialog<R>> {
    app.try_state::<Dialog<R>>()
        .map(|state| state.inner().clone())
        .ok_or_else(|| CommandError::internal("The file dialogs are not available in this window."))
}

fn picked_path(picked: tauri_plugin_dialog::FilePath) -> Answer<PathBuf> {
    picked
        .into_path()
        .map_err(|error| CommandError::internal(format!("The dialog gave no file path: {error}")))
}

#[cfg(test)]
mod tests {
    use super::{STANDARD, folder_of, read_statement};
    use base64::Engine as _;
    use std::path::{Path, PathBuf};

    #[test]
    fn a_chosen_statement_comes_back_as_its_name_and_exact_bytes() {
        let folder = tempfile::tempdir().expect("a folder");
        let path = folder.path().join("march.ofx");
        // A cp1252 byte that is not UTF-8: the bytes pass untouched.
        let bytes = b"OFXHEADER:100\r\n<NAME>CAF\xc9\r\n";
        std::fs::write(&path, bytes).expect("the file is written");
        let chosen = read_statement(&path).expect("the file is read");
        assert_eq!(chosen.file_name, "march.ofx");
        assert_eq!(
            STANDARD
                .decode(chosen.content_base64)
                .expect("standard base64"),
            bytes
        );
    }

    #[test]
    fn a_missing_statement_is_an_error_naming_it() {
        let folder = tempfile::tempdir().expect("a folder");
        let path = folder.path().join("gone.csv");
        let error = read_statement(&path).expect_err("nothing to read");
        assert_eq!(error.kind, "invalid");
        assert!(error.message.contains("gone.csv"), "{}", error.message);
    }

    #[test]
    fn the_folder_of_a_file_is_its_parent() {
        assert_eq!(
            folder_of(Path::new("/books/export.iif")),
            PathBuf::from("/books")
        );
        assert_eq!(
            folder_of(Path::new("export.iif")),
            PathBuf::from("export.iif")
        );
    }
}
