//! The frame every screen lives in: navigation, page titles, the status bar
//! and the one real command behind Settings.

use super::Session;

const SECTIONS: [(&str, &str); 7] = [
    ("nav-companies", "Companies"),
    ("nav-records", "Records"),
    ("nav-products", "Products"),
    ("nav-conflicts", "Conflicts"),
    ("nav-history", "History"),
    ("nav-inbox", "Inbox"),
    ("nav-settings", "Settings"),
];

#[tokio::test]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver; `cargo xtask test` runs it"]
async fn every_section_opens_from_the_navigation() {
    let app = Session::start("frame").await;
    app.wait_for_text("status-bar", "Not connected").await;
    for (index, (nav, title)) in SECTIONS.iter().enumerate() {
        app.click(nav).await;
        app.wait_for_text("page-title", title).await;
        assert_eq!(
            app.attribute(nav, "aria-current").await.as_deref(),
            Some("page"),
            "{nav} is marked as the current page"
        );
        for (other, _) in SECTIONS.iter().filter(|(other, _)| other != nav) {
            assert_ne!(
                app.attribute(other, "aria-current").await.as_deref(),
                Some("page")
            );
        }
        app.screenshot(&format!("{:02}-{}", index + 1, title.to_lowercase()))
            .await;
    }
    // The smallest window the app is made for.
    app.resize(1024, 700).await;
    for (index, (nav, title)) in SECTIONS.iter().enumerate() {
        app.click(nav).await;
        app.wait_for_text("page-title", title).await;
        app.screenshot(&format!(
            "1024x700-{:02}-{}",
            index + 1,
            title.to_lowercase()
        ))
        .await;
    }
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver; `cargo xtask test` runs it"]
async fn settings_show_the_real_version_and_folders() {
    let app = Session::start("settings").await;
    app.click("nav-settings").await;
    app.wait_for_text("settings-version", env!("CARGO_PKG_VERSION"))
        .await;
    let data_dir = app.text("settings-data-dir").await;
    let expected = app.data_home.join("app.ledgerlink.desktop");
    assert_eq!(
        data_dir,
        expected.display().to_string(),
        "the data folder comes from the OS paths"
    );
    let log_dir = app.text("settings-log-dir").await;
    assert!(
        log_dir.ends_with("logs"),
        "the log folder is the app's: {log_dir}"
    );
    let log_files: Vec<String> = std::fs::read_dir(&log_dir)
        .expect("the app created its log folder")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("ledgerlink") && name.ends_with(".log"))
        .collect();
    assert_eq!(
        log_files.len(),
        1,
        "one rolling log file today: {log_files:?}"
    );
    app.screenshot("settings").await;
    app.close().await;
}

/// The page background's red, green and blue, read from the computed style.
const BACKGROUND: &str = "const rgb = getComputedStyle(document.body).backgroundColor.match(/\\d+/g) || [];\
    return rgb.slice(0, 3).map(Number);";

fn brightness(rgb: &serde_json::Value) -> u64 {
    let channels: Vec<u64> = rgb
        .as_array()
        .map(|values| {
            values
                .iter()
                .filter_map(serde_json::Value::as_u64)
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(channels.len(), 3, "a background colour: {rgb}");
    channels.iter().sum::<u64>() / 3
}

#[tokio::test]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver; `cargo xtask test` runs it"]
async fn the_theme_follows_the_os() {
    let light = Session::start_with_env("theme-light", &[("GTK_THEME", "Adwaita")]).await;
    light.wait_for_text("status-bar", "Not connected").await;
    let light_background = brightness(&light.script(BACKGROUND).await);
    light.screenshot("light").await;
    light.close().await;

    let dark = Session::start_with_env("theme-dark", &[("GTK_THEME", "Adwaita:dark")]).await;
    dark.wait_for_text("status-bar", "Not connected").await;
    let dark_background = brightness(&dark.script(BACKGROUND).await);
    dark.screenshot("dark").await;
    dark.close().await;

    assert!(
        light_background > 200,
        "a light OS theme gives a light page: {light_background}"
    );
    assert!(
        dark_background < 60,
        "a dark OS theme gives a dark page: {dark_background}"
    );
}

/// Without a GPU, the app process loads no OpenGL driver (Mesa's software
/// one brings LLVM, some 55 MB): src-tauri/src/graphics.rs. The page still
/// paints, and its screenshot is taken.
#[cfg(target_os = "linux")]
#[tokio::test]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver; `cargo xtask test` runs it"]
async fn without_a_gpu_the_app_process_loads_no_opengl_driver() {
    // The app inherits this process's environment and sees the same
    // machine, so it decides the same.
    let expected = ledgerlink_desktop::graphics::decide();
    let app = Session::start("no-gpu").await;
    app.wait_for_text("status-bar", "Not connected").await;
    app.screenshot("welcome").await;
    let map = app.app_memory_map();
    app.close().await;
    // The check can fail: the app's own binary and WebKit are in the map.
    assert!(map.contains("webkit2gtk"), "not the app's map: {map}");
    if !expected.without_opengl {
        eprintln!(
            "the app keeps OpenGL here ({}): nothing to check",
            expected.reason
        );
        return;
    }
    let drivers = ledgerlink_desktop::graphics::opengl_drivers(&map);
    assert!(
        drivers.is_empty(),
        "the app process loaded OpenGL drivers: {drivers:?}"
    );
}

#[tokio::test]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver; `cargo xtask test` runs it"]
async fn the_connect_form_says_what_production_keys_need() {
    let app = Session::start("connect").await;
    // One-click Connect goes through a relay; the firm's own keys are the
    // advanced path, with their form.
    app.click("welcome-own-keys").await;
    app.fill("connect-name", "Harbour Bakery").await;
    app.fill("connect-client-id", "ABcdEFgh1234").await;
    app.fill("connect-client-secret", "not-a-real-secret").await;
    app.click("connect-environment-production").await;
    app.screenshot("connect-01-form").await;
    app.click("connect-submit").await;
    // Intuit refuses loopback redirects for production keys, so the form
    // asks for the hosted redirect page instead of failing in the browser.
    app.wait_for_content("body", "Intuit does not allow a local one")
        .await;
    app.screenshot("connect-02-needs-redirect-page").await;
    app.close().await;
}
