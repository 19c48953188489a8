//! How the app draws on Linux machines without a GPU.
//!
//! With no GPU render node (a virtual machine, a remote desktop, a virtual
//! display), GTK and WebKit still set up OpenGL at start: GTK to choose its
//! window visuals, WebKit to look for the render device its web processes
//! should use. Mesa answers with its software renderer, which loads LLVM:
//! about 55 MB of the app's resident memory, and more in each WebKit
//! process, for pages that WebKit paints just as well on the CPU itself.
//!
//! So on such a machine the app starts itself again at once with OpenGL
//! turned off in GTK and WebKit. Both read these settings from the
//! environment when they start, before any of the app's code runs, so the
//! process is replaced (same process id, same arguments) rather than changed
//! in place. `LEDGERLINK_GRAPHICS=gpu` keeps OpenGL on regardless, and
//! `LEDGERLINK_GRAPHICS=software` turns it off on any machine. A setting the
//! user made themselves is never replaced.

use std::path::Path;

/// The environment variable that chooses how the app draws.
pub const GRAPHICS_ENV: &str = "LEDGERLINK_GRAPHICS";

/// GTK's and WebKit's settings that keep them away from OpenGL.
const WITHOUT_OPENGL: [(&str, &str); 4] = [
    ("GDK_GL", "disable"),
    ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
    // Unless the render device is named, WebKit opens an EGL display to find
    // it, which is what loads Mesa. With the two settings above nothing
    // opens the device, so naming one that does not exist only skips that.
    ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/dri/none"),
];

/// How the app draws, and why; logged once logging is up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendering {
    /// Whether GTK and WebKit were kept away from OpenGL.
    pub software: bool,
    /// Why, in words for the log.
    pub reason: String,
}

impl Rendering {
    fn new(software: bool, reason: impl Into<String>) -> Rendering {
        Rendering {
            software,
            reason: reason.into(),
        }
    }
}

/// Decides how to draw from the user's choice (`LEDGERLINK_GRAPHICS`) and
/// whether the machine has a GPU render node this user can open.
fn choose(choice: Option<&str>, has_render_node: bool) -> Rendering {
    match choice.map(str::trim) {
        Some("gpu") => Rendering::new(false, "LEDGERLINK_GRAPHICS=gpu"),
        Some("software") => Rendering::new(true, "LEDGERLINK_GRAPHICS=software"),
        other => {
            let unknown = match other {
                Some(value) if !value.is_empty() => {
                    format!(" (LEDGERLINK_GRAPHICS=\"{value}\" is neither gpu nor software)")
                }
                _ => String::new(),
            };
            if has_render_node {
                Rendering::new(false, format!("a GPU render node was found{unknown}"))
            } else {
                Rendering::new(
                    true,
                    format!("no GPU render node was found in /dev/dri{unknown}"),
                )
            }
        }
    }
}

/// The settings of [`WITHOUT_OPENGL`] the environment does not have yet.
fn missing_settings(is_set: impl Fn(&str) -> bool) -> Vec<(&'static str, &'static str)> {
    WITHOUT_OPENGL
        .into_iter()
        .filter(|(name, _)| !is_set(name))
        .collect()
}

/// Whether `dir` holds a DRM render node (`renderD*`) this user can open.
fn has_render_node(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        entry.file_name().to_string_lossy().starts_with("renderD")
            && std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(entry.path())
                .is_ok()
    })
}

/// Chooses how to draw and, when OpenGL is to be avoided and the settings
/// are not in the environment yet, replaces this process with the app
/// started again with them. Call it first: it may not return.
pub fn prepare() -> Rendering {
    if !cfg!(target_os = "linux") {
        return Rendering::new(false, "only Linux is drawn without OpenGL");
    }
    let choice = std::env::var(GRAPHICS_ENV).ok();
    let rendering = choose(choice.as_deref(), has_render_node(Path::new("/dev/dri")));
    if !rendering.software {
        return rendering;
    }
    let missing = missing_settings(|name| std::env::var_os(name).is_some());
    if missing.is_empty() {
        return rendering;
    }
    let error = restart_with(&missing, choice.is_none());
    // Still here: the restart failed, and the app runs with OpenGL as it is.
    Rendering::new(
        false,
        format!(
            "{}, but the app could not start itself again without OpenGL: {error}",
            rendering.reason
        ),
    )
}

/// Replaces the process with the app started again with `settings` added to
/// its environment; returns only if that failed.
#[cfg(unix)]
fn restart_with(settings: &[(&str, &str)], mark_choice: bool) -> String {
    use std::os::unix::process::CommandExt;

    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(error) => return error.to_string(),
    };
    let mut command = std::process::Command::new(exe);
    command
        .args(std::env::args_os().skip(1))
        .envs(settings.iter().copied());
    if mark_choice {
        // The app started again then logs why, and a child it starts
        // inherits the choice instead of looking again.
        command.env(GRAPHICS_ENV, "software");
    }
    command.exec().to_string()
}

#[cfg(not(unix))]
fn restart_with(_settings: &[(&str, &str)], _mark_choice: bool) -> String {
    "not supported on this system".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_machine_without_a_render_node_draws_without_opengl_unless_told_otherwise() {
        assert!(choose(None, false).software);
        assert!(!choose(None, true).software);
        assert!(!choose(Some("gpu"), false).software);
        assert!(choose(Some("software"), true).software);
        assert!(choose(Some(" software "), true).software);
        let unknown = choose(Some("fast"), true);
        assert!(!unknown.software);
        assert!(
            unknown.reason.contains("\"fast\" is neither"),
            "{unknown:?}"
        );
        assert!(choose(Some(""), false).software);
    }

    #[test]
    fn only_the_settings_the_user_has_not_made_are_added() {
        let all = missing_settings(|_| false);
        assert_eq!(all.len(), WITHOUT_OPENGL.len());
        let some = missing_settings(|name| name == "WEBKIT_DISABLE_COMPOSITING_MODE");
        assert_eq!(some.len(), WITHOUT_OPENGL.len() - 1);
        assert!(
            some.iter()
                .all(|(name, _)| *name != "WEBKIT_DISABLE_COMPOSITING_MODE")
        );
        // After the restart every setting is there, so there is no second one.
        assert!(missing_settings(|_| true).is_empty());
    }

    #[test]
    fn a_render_node_counts_only_when_it_can_be_opened() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        assert!(!has_render_node(dir.path()));
        std::fs::write(dir.path().join("card0"), b"").expect("a file");
        assert!(!has_render_node(dir.path()));
        std::fs::write(dir.path().join("renderD128"), b"").expect("a file");
        assert!(has_render_node(dir.path()));
        assert!(!has_render_node(&dir.path().join("missing")));
    }
}
