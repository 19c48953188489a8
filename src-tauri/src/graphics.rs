//! How the app process keeps away from OpenGL on Linux machines without a
//! GPU.
//!
//! With no GPU (no render node in /dev/dri and no NVIDIA device: a virtual
//! machine without a virtual GPU, a server with a virtual display), Mesa
//! answers OpenGL with its software renderer, which loads LLVM: about 55 MB of the app
//! process's resident memory. The app process draws nothing with OpenGL
//! there, yet two parts of it set OpenGL up when they start:
//!
//! - GTK asks GLX about the screen when it opens the X display. `GDK_GL=disable`
//!   turns that off; GTK reads it once, when it starts.
//! - WebKit opens an EGL display to look for the render device its web
//!   processes should use. The EGL library (libglvnd) reads the list of its
//!   vendors once per process, from the files `__EGL_VENDOR_LIBRARY_FILENAMES`
//!   names when it is set. So the list is read here, first thing, with that
//!   setting naming no vendor, and the setting is removed again: this
//!   process then finds no EGL display, while the web processes WebKit
//!   starts later find Mesa as usual.
//!
//! The window looks and behaves the same (compared on screenshots of the X
//! display). One thing differs: WebKit then answers a WebDriver screenshot
//! only after the page paints again, which the end-to-end tests' screenshot
//! helper allows for.
//!
//! `GDK_GL=disable` stays in the environment, so the processes the app
//! starts inherit it: WebKit's web processes, which do not use GTK's
//! OpenGL, and the browser or file manager it opens, which on a machine
//! without a GPU would only have had the software renderer.
//!
//! WebKit still creates its display object, which is also what hands the
//! desktop's theme, fonts and scaling to the page. An earlier attempt that
//! named a render device instead (so that WebKit skipped the probe) lost the
//! dark theme that way; `the_theme_follows_the_os` covers it.
//!
//! Only X11 sessions are changed: the Wayland backend was not tried.
//! `LEDGERLINK_GRAPHICS=opengl` keeps OpenGL as it is, and a `GDK_GL` or EGL
//! vendor setting the user made is never replaced.

// Changing the environment and calling into the EGL library are unsafe in
// Rust; each block says why it is sound here.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_void};
use std::path::Path;

/// The environment variable that keeps OpenGL as it is (`opengl`).
pub const GRAPHICS_ENV: &str = "LEDGERLINK_GRAPHICS";

/// libglvnd's list of EGL vendor files, read once per process.
const EGL_VENDOR_FILES: &str = "__EGL_VENDOR_LIBRARY_FILENAMES";
/// libglvnd's folders of EGL vendor files.
const EGL_VENDOR_DIRS: &str = "__EGL_VENDOR_LIBRARY_DIRS";
/// GTK 3's OpenGL switch.
const GDK_GL: &str = "GDK_GL";

/// What is done about OpenGL, and why: logged once logging is up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendering {
    /// Whether the app process keeps away from OpenGL (GTK's is turned off).
    pub without_opengl: bool,
    /// Whether EGL's vendor list was read empty too, so that no OpenGL
    /// driver loads into the process (false when nothing was done, or when
    /// the EGL library is not libglvnd).
    pub egl_emptied: bool,
    /// Why, in words for the log.
    pub reason: String,
}

impl Rendering {
    fn new(without_opengl: bool, reason: impl Into<String>) -> Rendering {
        Rendering {
            without_opengl,
            egl_emptied: false,
            reason: reason.into(),
        }
    }
}

/// What the decision depends on, read from the machine and the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Machine<'a> {
    /// `LEDGERLINK_GRAPHICS`, if set.
    choice: Option<&'a str>,
    /// Whether a GPU can be used: a render node in /dev/dri, or NVIDIA's
    /// own device (its driver may serve OpenGL without a render node).
    has_gpu: bool,
    /// Whether GTK will open an X11 display (not Wayland).
    x11: bool,
    /// Whether the user set `GDK_GL` or an EGL vendor setting themselves.
    user_settings: bool,
}

/// Decides whether to keep the app process away from OpenGL.
fn choose(machine: Machine<'_>) -> Rendering {
    let choice = machine.choice.map(str::trim).filter(|c| !c.is_empty());
    if choice.is_some_and(|c| c.eq_ignore_ascii_case("opengl")) {
        return Rendering::new(false, format!("{GRAPHICS_ENV}=opengl"));
    }
    // Any other value changes nothing, and the log says so.
    let unknown = choice
        .map(|c| format!(" ({GRAPHICS_ENV}=\"{c}\" means nothing: only `opengl` does)"))
        .unwrap_or_default();
    let (without_opengl, why) = if machine.has_gpu {
        (false, "a GPU was found")
    } else if !machine.x11 {
        (false, "the session is not X11")
    } else if machine.user_settings {
        (false, "GDK_GL or an EGL vendor setting is set already")
    } else {
        (
            true,
            "no GPU render node was found in /dev/dri, nor an NVIDIA device",
        )
    };
    Rendering::new(without_opengl, format!("{why}{unknown}"))
}

/// Whether `dir` holds a DRM render node (`renderD*`). Its presence is
/// enough: opening it to check the permissions could wake a sleeping GPU,
/// and one this user cannot open only keeps OpenGL as it was.
fn has_render_node(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries
        .flatten()
        .any(|entry| entry.file_name().to_string_lossy().starts_with("renderD"))
}

/// Whether GTK 3 will open an X11 display: it prefers Wayland when a
/// Wayland display is given, unless `GDK_BACKEND` says otherwise (`*` or
/// anything but x11 first counts as not X11).
fn gtk_uses_x11(gdk_backend: Option<&str>, wayland: bool, x11: bool) -> bool {
    match gdk_backend.map(str::trim).filter(|b| !b.is_empty()) {
        Some(backend) => backend.split(',').next() == Some("x11"),
        None => x11 && !wayland,
    }
}

/// Decides from this machine and this process's environment, changing
/// nothing: what [`prepare`] will do (the end-to-end tests ask it what to
/// expect of the app they start).
pub fn decide() -> Rendering {
    let var = |name: &str| std::env::var(name).ok();
    let choice = var(GRAPHICS_ENV);
    choose(Machine {
        choice: choice.as_deref(),
        has_gpu: has_render_node(Path::new("/dev/dri")) || Path::new("/dev/nvidiactl").exists(),
        x11: gtk_uses_x11(
            var("GDK_BACKEND").as_deref(),
            ["WAYLAND_DISPLAY", "WAYLAND_SOCKET"]
                .iter()
                .any(|name| std::env::var_os(name).is_some()),
            std::env::var_os("DISPLAY").is_some(),
        ),
        user_settings: [GDK_GL, EGL_VENDOR_FILES, EGL_VENDOR_DIRS]
            .iter()
            .any(|name| std::env::var_os(name).is_some()),
    })
}

/// Decides and, when OpenGL is to be avoided, sets it up. `run` calls it
/// before GTK, Tauri or anything else that reads the environment starts a
/// thread, and before GTK reads its settings.
pub(crate) fn prepare() -> Rendering {
    let mut rendering = decide();
    if !rendering.without_opengl {
        return rendering;
    }
    // SAFETY: nothing has started a thread that reads the environment yet:
    // GTK, WebKit, Tauri and the async runtime do not exist, and the only
    // other thread, jemalloc's background thread, never reads it.
    unsafe { std::env::set_var(GDK_GL, "disable") };
    match read_egl_vendors_without_any() {
        Ok(()) => rendering.egl_emptied = true,
        Err(why) => {
            rendering.reason = format!(
                "{}; GTK's OpenGL only, EGL's vendors stay: {why}",
                rendering.reason
            );
        }
    }
    rendering
}

/// Makes libglvnd read its EGL vendor list now, with no vendor in it, and
/// removes the setting again so that child processes see the usual list.
fn read_egl_vendors_without_any() -> Result<(), String> {
    // SAFETY: as in `prepare`, no thread that reads the environment exists
    // yet.
    unsafe { std::env::set_var(EGL_VENDOR_FILES, "/dev/null") };
    let extensions = egl_client_extensions();
    // SAFETY: as above.
    unsafe { std::env::remove_var(EGL_VENDOR_FILES) };
    match extensions? {
        // With no vendor, libglvnd has no client extension to list.
        extensions if extensions.is_empty() => Ok(()),
        extensions => Err(format!(
            "the EGL library still lists client extensions ({extensions})"
        )),
    }
}

/// `eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS)`: the first EGL call,
/// which makes libglvnd read its vendor list.
fn egl_client_extensions() -> Result<String, String> {
    const EGL_EXTENSIONS: i32 = 0x3055;
    type QueryString = unsafe extern "C" fn(*mut c_void, i32) -> *const c_char;
    // SAFETY: libEGL's initialisers only set up libglvnd's dispatch tables;
    // WebKit links it, so it is loaded already and this only counts a user.
    let library = unsafe { libloading::Library::new("libEGL.so.1") }
        .map_err(|error| format!("libEGL.so.1 did not load: {error}"))?;
    // SAFETY: the symbol has this signature in every EGL version.
    let query = unsafe { library.get::<QueryString>(b"eglQueryString\0") }
        .map_err(|error| format!("libEGL.so.1 has no eglQueryString: {error}"))?;
    // SAFETY: EGL_NO_DISPLAY (null) with EGL_EXTENSIONS is a valid query
    // since EGL 1.5; the answer is a static string or null.
    let answer = unsafe { query(std::ptr::null_mut(), EGL_EXTENSIONS) };
    let extensions = if answer.is_null() {
        String::new()
    } else {
        // SAFETY: non-null answers are NUL-terminated and live as long as
        // the library.
        unsafe { CStr::from_ptr(answer) }
            .to_string_lossy()
            .into_owned()
    };
    // libglvnd keeps what it read only while the library is loaded: keep it
    // loaded for the life of the process, whoever else links it.
    std::mem::forget(library);
    Ok(extensions)
}

/// The OpenGL drivers in a process's memory map (`/proc/<pid>/maps`):
/// Mesa's drivers and the LLVM its software renderer brings. The desktop
/// bench and the end-to-end tests read the app's map with it.
pub fn opengl_drivers(memory_map: &str) -> Vec<&str> {
    const DRIVERS: [&str; 5] = [
        "libLLVM",
        "/dri/",
        "libgallium",
        "libEGL_mesa",
        "libGLX_mesa",
    ];
    memory_map
        .lines()
        .filter_map(|line| line.split_whitespace().nth(5))
        .filter(|path| DRIVERS.iter().any(|driver| path.contains(driver)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> Machine<'static> {
        Machine {
            choice: None,
            has_gpu: false,
            x11: true,
            user_settings: false,
        }
    }

    #[test]
    fn only_an_x11_machine_without_a_render_node_goes_without_opengl() {
        assert!(choose(machine()).without_opengl);
        let gpu = Machine {
            has_gpu: true,
            ..machine()
        };
        assert!(!choose(gpu).without_opengl);
        let wayland = Machine {
            x11: false,
            ..machine()
        };
        assert!(!choose(wayland).without_opengl);
    }

    #[test]
    fn the_users_own_settings_and_choice_win() {
        let own = Machine {
            user_settings: true,
            ..machine()
        };
        assert!(!choose(own).without_opengl);
        let opengl = Machine {
            choice: Some(" opengl "),
            ..machine()
        };
        let rendering = choose(opengl);
        assert!(!rendering.without_opengl);
        assert!(rendering.reason.contains("opengl"), "{rendering:?}");
        // A value that means nothing changes nothing, and the log says so.
        let unknown = Machine {
            choice: Some("fast"),
            ..machine()
        };
        let rendering = choose(unknown);
        assert!(rendering.without_opengl);
        assert!(rendering.reason.contains("\"fast\""), "{rendering:?}");
        // Spelled in capitals, the choice still counts.
        let capitals = Machine {
            choice: Some("OpenGL"),
            ..machine()
        };
        assert!(!choose(capitals).without_opengl);
        // A GPU keeps OpenGL whatever else is set.
        let gpu_and_settings = Machine {
            has_gpu: true,
            user_settings: true,
            ..machine()
        };
        assert!(!choose(gpu_and_settings).without_opengl);
    }

    #[test]
    fn gtk_picks_wayland_when_it_can_unless_told_otherwise() {
        assert!(gtk_uses_x11(None, false, true));
        assert!(!gtk_uses_x11(None, true, true));
        assert!(gtk_uses_x11(Some("x11"), true, true));
        assert!(gtk_uses_x11(Some("x11,wayland"), true, true));
        assert!(!gtk_uses_x11(Some("wayland,x11"), false, true));
        assert!(!gtk_uses_x11(None, false, false));
        assert!(!gtk_uses_x11(Some("*"), false, true));
    }

    #[test]
    fn drivers_are_found_by_their_paths_in_a_memory_map() {
        let map = "7f0000000000-7f0000001000 r--p 00000000 fe:01 42 /usr/lib/x86_64-linux-gnu/libwebkit2gtk-4.1.so.0\n\
            7f0000002000-7f0000003000 r-xp 00001000 fe:01 43 /usr/lib/x86_64-linux-gnu/libLLVM-15.so.1\n\
            7f0000004000-7f0000005000 rw-p 00000000 00:00 0 \n\
            7f0000006000-7f0000007000 r--p 00000000 fe:01 44 /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so\n";
        assert_eq!(
            opengl_drivers(map),
            [
                "/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1",
                "/usr/lib/x86_64-linux-gnu/dri/swrast_dri.so"
            ]
        );
        assert!(opengl_drivers(map.lines().next().unwrap()).is_empty());
    }

    #[test]
    fn a_folder_without_render_nodes_has_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_render_node(dir.path()));
        std::fs::write(dir.path().join("card0"), b"").unwrap();
        assert!(!has_render_node(dir.path()));
        std::fs::write(dir.path().join("renderD128"), b"").unwrap();
        assert!(has_render_node(dir.path()));
        assert!(!has_render_node(&dir.path().join("missing")));
    }
}
