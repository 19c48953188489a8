//! Installs what the build and the tests need, or says exactly how to.
//!
//! On Debian and Ubuntu, run as root, missing packages are installed with
//! apt; otherwise the exact install line is printed and the set-up stops,
//! because guessing at another user's package manager with sudo is worse
//! than a clear instruction.

use std::path::Path;

use crate::steps::{self, command, output_of};

/// Debian packages the app needs to build and run (Tauri's Linux prerequisites).
const APP_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "curl",
    "wget",
    "file",
    "libwebkit2gtk-4.1-dev",
    "libxdo-dev",
    "libssl-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libdbus-1-dev",
];

/// Debian packages the test command needs on top: a virtual display, the
/// WebKit WebDriver, and a D-Bus session with a Secret Service keyring.
const TEST_PACKAGES: &[&str] = &[
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "dbus",
    "dbus-x11",
    "gnome-keyring",
    "libsecret-tools",
];

/// The oldest Node.js that the UI tool chain (Vite) accepts.
const MIN_NODE: (u32, u32) = (20, 19);

pub fn ensure(root: &Path, for_tests: bool) -> Result<(), String> {
    system_packages(for_tests)?;
    node()?;
    ui_packages(root)?;
    if for_tests {
        tauri_driver(root)?;
    }
    Ok(())
}

fn system_packages(for_tests: bool) -> Result<(), String> {
    if cfg!(target_os = "linux") {
        let mut wanted: Vec<&str> = APP_PACKAGES.to_vec();
        if for_tests {
            wanted.extend_from_slice(TEST_PACKAGES);
        }
        debian_packages(&wanted)
    } else if cfg!(target_os = "macos") {
        if output_of("xcode-select", &["-p"]).is_none() {
            return Err("the Xcode command line tools are missing: run `xcode-select --install`, then try again".into());
        }
        Ok(())
    } else if cfg!(target_os = "windows") {
        // WebView2 ships with Windows 11; the MSVC tools come with rustup's
        // default host. Say what to install if the build then fails.
        println!(
            "xtask: on Windows the app needs WebView2 and the MSVC build tools; if the build fails, run: \
             winget install Microsoft.EdgeWebView2Runtime Microsoft.VisualStudio.2022.BuildTools"
        );
        Ok(())
    } else {
        Ok(())
    }
}

fn debian_packages(wanted: &[&str]) -> Result<(), String> {
    if output_of("dpkg-query", &["--version"]).is_none() {
        println!(
            "xtask: this is not a Debian-like system; install the equivalents of: {}",
            wanted.join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|package| !debian_package_installed(package))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let line = format!("apt-get install -y {}", missing.join(" "));
    if !running_as_root() {
        return Err(format!(
            "these system packages are missing: {}.\nInstall them with:\n    sudo apt-get update && sudo {line}\nthen run the command again.",
            missing.join(", ")
        ));
    }
    println!("xtask: installing system packages: {}", missing.join(" "));
    steps::status(command("apt-get", &["update", "-qq"]))?;
    let mut install = command(
        "apt-get",
        &["install", "-y", "-qq", "--no-install-recommends"],
    );
    install
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive");
    steps::status(install)
}

fn debian_package_installed(package: &str) -> bool {
    output_of("dpkg-query", &["-W", "-f=${Status}", package])
        .is_some_and(|status| status.contains("install ok installed"))
}

fn running_as_root() -> bool {
    output_of("id", &["-u"]).is_some_and(|uid| uid.trim() == "0")
}

fn node() -> Result<(), String> {
    let install_hint = if cfg!(target_os = "macos") {
        "brew install node@20"
    } else if cfg!(target_os = "windows") {
        "winget install OpenJS.NodeJS.LTS"
    } else {
        "install Node.js 20.19 or newer (for example from your distribution's backports or NodeSource)"
    };
    let Some(version) = output_of("node", &["--version"]) else {
        return Err(format!("Node.js is missing: {install_hint}"));
    };
    let parsed = parse_node_version(&version);
    match parsed {
        Some(found) if found >= MIN_NODE => {}
        _ => {
            return Err(format!(
                "Node.js {} is too old (the UI build needs {}.{} or newer): {install_hint}",
                version.trim(),
                MIN_NODE.0,
                MIN_NODE.1
            ));
        }
    }
    if output_of(steps::NPM, &["--version"]).is_none() {
        return Err(format!("npm is missing: {install_hint}"));
    }
    Ok(())
}

fn parse_node_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim().trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// `npm ci` whenever the lockfile is newer than the installed tree.
///
/// Some registries do not serve the Tauri CLI's binaries for other platforms,
/// so a lockfile written there lacks them and `npm ci` refuses it. Then
/// `npm install --no-save` installs the same tree without touching the
/// lockfile, which stays exactly as committed.
fn ui_packages(root: &Path) -> Result<(), String> {
    let ui = root.join("ui");
    let lock = ui.join("package-lock.json");
    let installed = ui.join("node_modules").join(".package-lock.json");
    if is_newer(&installed, &lock) {
        return Ok(());
    }
    println!("xtask: installing the UI's npm packages");
    steps::npm(root, &["ci", "--no-audit", "--no-fund"]).or_else(|error| {
        println!("xtask: `npm ci` refused the lockfile ({error}); installing without changing it");
        steps::npm(root, &["install", "--no-save", "--no-audit", "--no-fund"])
    })
}

fn is_newer(file: &Path, than: &Path) -> bool {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    match (modified(file), modified(than)) {
        (Some(a), Some(b)) => a >= b,
        _ => false,
    }
}

/// tauri-driver bridges WebDriver clients to the platform's WebView driver.
fn tauri_driver(root: &Path) -> Result<(), String> {
    if output_of("tauri-driver", &["--help"]).is_some()
        || steps::cargo_bin("tauri-driver").is_file()
    {
        return Ok(());
    }
    println!("xtask: installing tauri-driver");
    steps::cargo(root, &["install", "tauri-driver", "--locked"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_node_versions() {
        assert_eq!(parse_node_version("v20.19.1\n"), Some((20, 19)));
        assert_eq!(parse_node_version("v22.1.0"), Some((22, 1)));
        assert_eq!(parse_node_version("garbage"), None);
        assert!(parse_node_version("v20.18.0").is_some_and(|v| v < MIN_NODE));
    }
}
