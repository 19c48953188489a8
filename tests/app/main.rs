//! The one test binary of the desktop app.
//!
//! - `ipc`: commands and capabilities through `tauri::test` on the mock runtime.
//! - `e2e`: the built app in a real webview, driven over WebDriver. These
//!   tests are ignored by a plain `cargo test` because they need a display,
//!   WebKitWebDriver and tauri-driver; `cargo xtask test` provides all three
//!   and runs them with `--include-ignored`.

mod e2e;
mod ipc;
