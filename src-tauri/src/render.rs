//! How the window's webview paints its pages.

use tauri::{Manager, Runtime};

/// Has the main window's webview paint without GPU compositing on Linux.
///
/// Ledgerlink's pages are tables, forms and a few charts, which need no GPU.
/// WebKitGTK's composited mode gives its web process a GL context of its
/// own. Under the desktop bench (Xvfb, Mesa's software renderer) the WebKit
/// processes held about 235 MB at the first paint without it against about
/// 305 MB with it, and 264 MB against 420 MB after the first sync of a
/// 100k-transaction company. The first paint came sooner and more evenly
/// (0.67–0.73 s against 0.79–1.40 s, medians of five starts). WebKitGTK's
/// GPU paths are also where Linux graphics drivers show blank windows.
/// Other platforms' webviews keep their defaults.
pub fn without_compositing<R: Runtime>(app: &tauri::App<R>) {
    #[cfg(target_os = "linux")]
    if let Some(window) = app.get_webview_window("main") {
        let set = window.with_webview(|webview| {
            use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
            if let Some(settings) = webview.inner().settings() {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        });
        if let Err(error) = set {
            tracing::warn!(%error, "the webview keeps GPU compositing");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}
