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

/// Debian packages the test command needs on top: a virtual display (and
/// `xwininfo`, with which a scenario sees whether the window is shown), the
/// WebKit WebDriver, and a D-Bus session with a Secret Service keyring.
const TEST_PACKAGES: &[&str] = &[
    "xvfb",
    "xauth",
    "x11-utils",
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
        compat_libraries(root)?;
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
/// The lockfile lists the Tauri CLI's binaries for every platform, so `npm ci`
/// installs exactly what was committed on Linux, macOS and Windows alike. It
/// is the only install path: if it refuses the lockfile, the set-up stops and
/// says how to write a complete one, rather than installing another tree.
fn ui_packages(root: &Path) -> Result<(), String> {
    let ui = root.join("ui");
    let lock = ui.join("package-lock.json");
    let installed = ui.join("node_modules").join(".package-lock.json");
    if is_newer(&installed, &lock) {
        return Ok(());
    }
    println!("xtask: installing the UI's npm packages");
    steps::npm(root, &["ci", "--no-audit", "--no-fund"]).map_err(|error| {
        format!(
            "`npm ci` refused ui/package-lock.json ({error}). The lockfile must list every \
             platform's packages: run `npm install --package-lock-only` in ui/ and commit the \
             lockfile it writes."
        )
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

/// The public QBO client libraries the emulator's compatibility tests run
/// unmodified (crates/qbo-emulator/tests/emulator/compat.rs). Their pinned
/// versions live in crates/qbo-emulator/compat/; they install into
/// target/compat, never into the system or ui/, and again only when the
/// pinned list changes.
fn compat_libraries(root: &Path) -> Result<(), String> {
    let pins = root.join("crates").join("qbo-emulator").join("compat");
    let installed = root.join("target").join("compat");
    compat_python(&pins.join("requirements.txt"), &installed.join("python"))?;
    compat_node(
        root,
        &pins.join("node-packages.txt"),
        &installed.join("node"),
    )
}

fn compat_python(requirements: &Path, target: &Path) -> Result<(), String> {
    let pinned = read_pins(requirements)?;
    let marker = target.join(".installed-requirements.txt");
    if std::fs::read_to_string(&marker).is_ok_and(|installed| installed == pinned) {
        return Ok(());
    }
    let python = python_with_pip()?;
    println!(
        "xtask: installing the Python QBO libraries into {}",
        target.display()
    );
    // A fresh folder, so no version from an older list lingers.
    let _ = std::fs::remove_dir_all(target);
    let mut install = command(
        python,
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-warn-conflicts",
            "--target",
        ],
    );
    install
        .arg(target)
        .arg("-r")
        .arg(requirements)
        // Installing into a private folder as root is what is wanted here.
        .env("PIP_ROOT_USER_ACTION", "ignore");
    steps::status(install)?;
    write_marker(&marker, &pinned)
}

/// `python3` (or `python` where that is Python 3, as on Windows) with pip.
fn python_with_pip() -> Result<&'static str, String> {
    let candidates = ["python3", "python"];
    let is_python3 = |program: &str| {
        output_of(program, &["-c", "import sys; print(sys.version_info[0])"])
            .is_some_and(|major| major.trim() == "3")
    };
    let Some(python) = candidates.into_iter().find(|program| is_python3(program)) else {
        return Err(
            "Python 3 is missing (the emulator's compatibility tests run a Python QBO library): \
             install python3 and python3-pip, then try again"
                .into(),
        );
    };
    if output_of(python, &["-m", "pip", "--version"]).is_none() {
        return Err(format!(
            "pip is missing for {python} (the emulator's compatibility tests install a Python QBO library with it): \
             install it (Debian and Ubuntu: `apt-get install python3-pip`; elsewhere `{python} -m ensurepip --upgrade`), then try again"
        ));
    }
    Ok(python)
}

fn compat_node(root: &Path, list: &Path, prefix: &Path) -> Result<(), String> {
    let pinned = read_pins(list)?;
    let marker = prefix.join(".installed-packages.txt");
    if std::fs::read_to_string(&marker).is_ok_and(|installed| installed == pinned) {
        return Ok(());
    }
    let packages: Vec<&str> = pinned
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    println!(
        "xtask: installing the Node QBO libraries into {}",
        prefix.display()
    );
    let _ = std::fs::remove_dir_all(prefix);
    std::fs::create_dir_all(prefix)
        .map_err(|error| format!("cannot create {}: {error}", prefix.display()))?;
    let mut install = command(steps::NPM, &["install", "--prefix"]);
    install
        .arg(prefix)
        .args(["--no-save", "--no-audit", "--no-fund"])
        .args(&packages)
        .current_dir(root);
    steps::status(install)?;
    write_marker(&marker, &pinned)
}

fn read_pins(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))
}

fn write_marker(marker: &Path, pinned: &str) -> Result<(), String> {
    std::fs::write(marker, pinned)
        .map_err(|error| format!("cannot write {}: {error}", marker.display()))
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
