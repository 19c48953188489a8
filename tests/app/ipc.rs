//! The IPC boundary on the mock runtime, with the app's real capability files.

use std::sync::Arc;

use app_core::{AppCore, AppPaths, CoreOptions};
use ledgerlink_desktop::{AppState, CommandError};
use serde_json::Value;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindowBuilder};

fn app(paths: AppPaths) -> App<MockRuntime> {
    let app = ledgerlink_desktop::builder(mock_builder())
        .build(tauri::generate_context!(test = true))
        .expect("the app builds on the mock runtime");
    let options = CoreOptions::with_vault(Arc::new(secrets::MemoryVault::new()));
    let core = tauri::async_runtime::block_on(AppCore::open(paths, options))
        .expect("the core opens over a fresh folder");
    app.manage(AppState::new(core));
    app
}

/// Folders in a temporary directory that lives as long as the test binary;
/// each call gets its own.
fn paths() -> AppPaths {
    let dir = tempfile::tempdir().expect("a temporary folder").keep();
    AppPaths {
        data_dir: dir.join("data for the test"),
        log_dir: dir.join("logs for the test"),
    }
}

/// The origin the app's own pages are served from, which is what the
/// capability's "local" URL scope means.
fn local_origin() -> &'static str {
    if cfg!(windows) {
        "http://tauri.localhost"
    } else {
        "tauri://localhost"
    }
}

/// Invokes `command` from a webview window with the given label, the way the
/// UI's `invoke` does.
fn invoke(app: &App<MockRuntime>, window_label: &str, command: &str) -> Result<Value, Value> {
    invoke_from(app, window_label, local_origin(), command)
}

/// Invokes `command` from a page at `url` in the window `window_label`.
fn invoke_from(
    app: &App<MockRuntime>,
    window_label: &str,
    url: &str,
    command: &str,
) -> Result<Value, Value> {
    invoke_with(app, window_label, url, command, InvokeBody::default())
}

/// Invokes `command` with arguments.
fn invoke_with(
    app: &App<MockRuntime>,
    window_label: &str,
    url: &str,
    command: &str,
    body: InvokeBody,
) -> Result<Value, Value> {
    // One window per label: a second call from the same window reuses it.
    let window = app.get_webview_window(window_label).unwrap_or_else(|| {
        WebviewWindowBuilder::new(app, window_label, Default::default())
            .build()
            .expect("a mock window")
    });
    get_ipc_response(
        &window,
        InvokeRequest {
            cmd: command.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: url.parse().expect("a valid URL"),
            body,
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("a JSON answer"))
}

#[test]
fn app_info_reports_the_version_and_the_folders() {
    let paths = paths();
    let app = app(paths.clone());
    let info = invoke(&app, "main", "app_info").expect("the main window may call app_info");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["dataDir"], paths.data_dir.display().to_string());
    assert_eq!(info["logDir"], paths.log_dir.display().to_string());
}

#[test]
fn the_company_commands_answer_through_the_capability() {
    let app = app(paths());
    let companies =
        invoke(&app, "main", "list_companies").expect("the main window may list companies");
    assert_eq!(companies, serde_json::json!([]));
    let refused = invoke_with(
        &app,
        "main",
        local_origin(),
        "list_conflicts",
        InvokeBody::Json(serde_json::json!({ "companyId": "no-such-company" })),
    )
    .expect_err("an unknown company is an error");
    assert_eq!(refused["kind"], "unknown_company");
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Refresh the company list")
    );
}

#[test]
fn the_charts_command_answers_through_the_capability_and_checks_the_time_zone() {
    let app = app(paths());
    let charts = |offset: i64| {
        invoke_with(
            &app,
            "main",
            local_origin(),
            "company_charts",
            InvokeBody::Json(
                serde_json::json!({ "companyId": "no-such-company", "utcOffsetMinutes": offset }),
            ),
        )
        .expect_err("an unknown company, or no time zone, is an error")
    };
    assert_eq!(charts(120)["kind"], "unknown_company");
    assert_eq!(charts(24 * 60)["kind"], "invalid");
}

#[test]
fn a_window_without_a_capability_cannot_call_commands() {
    let app = app(paths());
    let refused = invoke(&app, "intruder", "app_info")
        .expect_err("a window no capability names must be refused");
    let text = refused.to_string();
    assert!(
        text.contains("not allowed"),
        "the refusal should say the command is not allowed, got {text}"
    );
}

#[test]
fn a_remote_page_in_the_main_window_cannot_call_commands() {
    let app = app(paths());
    let refused = invoke_from(&app, "main", "https://attacker.example", "app_info");
    assert!(
        refused.is_err(),
        "only the app's own pages may call commands"
    );
}

#[test]
fn unknown_commands_are_refused() {
    let app = app(paths());
    assert!(invoke(&app, "main", "delete_everything").is_err());
}

#[test]
fn command_errors_cross_the_boundary_as_kind_and_message() {
    let error = CommandError::internal("The database is locked. Close other copies of Ledgerlink.");
    let wire = serde_json::to_value(&error).unwrap();
    assert_eq!(
        wire,
        serde_json::json!({
            "kind": "internal",
            "message": "The database is locked. Close other copies of Ledgerlink."
        })
    );
}

#[test]
fn the_content_security_policy_is_strict() {
    let config: Value = serde_json::from_str(include_str!("../../tauri.conf.json"))
        .expect("tauri.conf.json parses");
    let csp = &config["app"]["security"]["csp"];
    let sources: Vec<String> = csp
        .as_object()
        .expect("the CSP is written per directive")
        .values()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect();
    for source in &sources {
        assert!(!source.contains("unsafe-eval"), "no unsafe-eval: {source}");
        assert!(!source.contains("https:"), "no remote origins: {source}");
        assert!(!source.contains('*'), "no wildcards: {source}");
    }
    assert_eq!(csp["default-src"], "'self'");
    assert_eq!(csp["script-src"], "'self'");
}

#[test]
fn show_in_folder_refuses_a_file_the_app_did_not_write() {
    let app = app(paths());
    let folder = tempfile::tempdir().expect("a folder");
    // The file exists: the refusal is about who wrote it, not whether it is there.
    let stranger = folder.path().join("not-ours.csv");
    std::fs::write(&stranger, "a,b\n").expect("the file is written");
    let refused = invoke_with(
        &app,
        "main",
        local_origin(),
        "show_in_folder",
        InvokeBody::Json(serde_json::json!({ "path": stranger.display().to_string() })),
    )
    .expect_err("a path the app did not write is refused");
    assert_eq!(refused["kind"], "invalid");
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(message.contains("did not write"), "{message}");
    assert!(message.contains("not-ours.csv"), "{message}");
}

#[test]
fn the_app_remembers_the_files_it_wrote_and_only_those() {
    let app = app(paths());
    let state = app.state::<AppState>();
    let folder = tempfile::tempdir().expect("a folder");
    let export = folder.path().join("records.csv");
    std::fs::write(&export, "type\n").expect("the file is written");
    let beside = folder.path().join("other.csv");
    std::fs::write(&beside, "type\n").expect("the file is written");
    assert!(!state.wrote(&export));
    state.remember_written(&export);
    assert!(state.wrote(&export));
    // The same file named another way is still the same file…
    let roundabout = folder.path().join("sub").join("..").join("records.csv");
    std::fs::create_dir(folder.path().join("sub")).expect("a sub-folder");
    assert!(state.wrote(&roundabout));
    // …but its neighbour, and the folder itself, are not.
    assert!(!state.wrote(&beside));
    assert!(!state.wrote(folder.path()));
}
