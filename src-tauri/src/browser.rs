//! Opening the consent page in a browser.
//!
//! The system browser by default. `LEDGERLINK_BROWSER` names a program to
//! run with the address as its one argument instead: a browser other than
//! the desktop's default, or, in the end-to-end tests, a script that hands
//! the address to the test's own WebDriver-driven browser.

use std::process::{Command, Stdio};

/// The environment variable naming the browser program.
pub const BROWSER_ENV: &str = "LEDGERLINK_BROWSER";

/// Opens `url` without waiting for the browser to close.
pub fn open(url: &tauri::Url) {
    let Some(program) = std::env::var_os(BROWSER_ENV).filter(|program| !program.is_empty()) else {
        if let Err(error) = open::that_detached(url.as_str()) {
            tracing::error!(%error, "the system browser could not be opened");
        }
        return;
    };
    let spawned = Command::new(&program)
        .arg(url.as_str())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match spawned {
        Ok(mut child) => {
            // Reaped in the background, so no zombie stays behind.
            std::thread::spawn(move || {
                let _ = child.wait();
            });
        }
        Err(error) => tracing::error!(
            %error,
            program = %program.to_string_lossy(),
            "the browser named in {BROWSER_ENV} could not be started"
        ),
    }
}
