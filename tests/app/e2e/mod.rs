//! End-to-end scenarios in the real app window, over WebDriver.
//!
//! A scenario is an `async fn` that takes a [`Session`]; add one by writing
//! a module beside `frame.rs` with `#[tokio::test]` functions that call
//! [`Session::start`]. Each scenario gets its own app data folders and its
//! own tauri-driver, and scenarios run one at a time (two WebKit processes on
//! a 2-core machine only make each other flaky).

mod charts;
mod cockpit;
mod conflict;
mod demo;
mod edit;
mod emulator;
mod frame;
mod history;
mod inbox;
mod lists;
mod products;
mod relay;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::LazyLock;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::sync::{Mutex, MutexGuard};

/// How long a page may take to show an element before the scenario fails.
const PATIENCE: Duration = Duration::from_secs(20);

/// Starts changing a faint 1-pixel mark in the window's corner every frame,
/// for 10 s at most (see [`Session::screenshot`]).
const KEEP_PAINTING: &str = "document.getElementById('e2e-paint-mark')?.remove();\
    const mark = document.createElement('div');\
    mark.id = 'e2e-paint-mark';\
    mark.setAttribute('aria-hidden', 'true');\
    mark.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none;background:#808080;opacity:0.01;z-index:2147483647';\
    document.body.appendChild(mark);\
    let frame = 0;\
    const until = performance.now() + 10000;\
    const paint = () => {\
      if (!mark.isConnected) return;\
      if (performance.now() > until) { mark.remove(); return; }\
      mark.style.opacity = frame++ % 2 ? '0.01' : '0.02';\
      requestAnimationFrame(paint);\
    };\
    requestAnimationFrame(paint);";

/// Removes the mark of [`KEEP_PAINTING`].
const STOP_PAINTING: &str = "document.getElementById('e2e-paint-mark')?.remove();";

/// How long one scenario may run, from its turn, before its driver and app
/// are stopped: a WebDriver call that never answers then fails the scenario
/// with a message, instead of holding the whole run until CI's limit.
const SCENARIO_LIMIT: Duration = Duration::from_secs(480);

static ONE_AT_A_TIME: LazyLock<Mutex<()>> = LazyLock::new(|| Mutex::new(()));

/// The built app, driven through tauri-driver and WebKitWebDriver.
pub struct Session {
    client: Client,
    driver: Child,
    name: String,
    pub data_home: PathBuf,
    screenshots: PathBuf,
    /// Dropped with the session, which tells the watchdog the scenario ended.
    _watchdog: std::sync::mpsc::Sender<()>,
    _turn: MutexGuard<'static, ()>,
}

impl Session {
    /// Starts the app for the scenario `name` with fresh data folders.
    pub async fn start(name: &str) -> Session {
        Self::start_with_env(name, &[]).await
    }

    /// Starts the app with extra environment variables, e.g. a GTK theme.
    pub async fn start_with_env(name: &str, env: &[(&str, &str)]) -> Session {
        let turn = ONE_AT_A_TIME.lock().await;
        let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        let scratch = target.join("e2e-session").join(name);
        let _ = std::fs::remove_dir_all(&scratch);
        let data_home = scratch.join("data");
        for dir in ["data", "config", "cache"] {
            std::fs::create_dir_all(scratch.join(dir)).expect("scratch folders");
        }
        let screenshots = std::env::var_os("LEDGERLINK_SCREENSHOTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| target.join("e2e-screenshots"))
            .join(name);
        let _ = std::fs::remove_dir_all(&screenshots);
        std::fs::create_dir_all(&screenshots).expect("the screenshots folder");

        let port = free_port();
        let native_port = free_port();
        let driver_path = std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into());
        let mut command = Command::new(&driver_path);
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("XDG_DATA_HOME", &data_home)
            .env("XDG_CONFIG_HOME", scratch.join("config"))
            .env("XDG_CACHE_HOME", scratch.join("cache"))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        // Its own process group, so that a failed scenario can take down the
        // driver, WebKitWebDriver and the app together (a surviving app would
        // make the next scenario's launch a second instance, which exits).
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let driver = command.spawn().unwrap_or_else(|error| {
            panic!(
                "cannot start {driver_path}: {error}. The end-to-end tests need tauri-driver, \
                     WebKitWebDriver and a display: run them through `cargo xtask test`."
            )
        });

        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("wry"));
        capabilities.insert(
            "tauri:options".into(),
            json!({ "application": env!("CARGO_BIN_EXE_ledgerlink-desktop") }),
        );
        let watchdog = watchdog(name, driver.id());
        let url = format!("http://127.0.0.1:{port}");
        let client = connect(&url, capabilities, "tauri-driver did not start the app").await;
        Session {
            client,
            driver,
            name: name.to_owned(),
            data_home,
            screenshots,
            _watchdog: watchdog,
            _turn: turn,
        }
    }

    /// The memory map of the app's process (`/proc/<pid>/maps`): the app is
    /// the process of the driver's process group that runs the app binary.
    #[cfg(target_os = "linux")]
    pub fn app_memory_map(&self) -> String {
        let app = std::fs::canonicalize(env!("CARGO_BIN_EXE_ledgerlink-desktop"))
            .expect("the app binary");
        let group = self.driver.id().to_string();
        let pid = std::fs::read_dir("/proc")
            .expect("/proc")
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| std::fs::read_link(path.join("exe")).is_ok_and(|exe| exe == app))
            .find(|path| {
                // The process group is the fifth field of `stat`, after the
                // command name in parentheses.
                std::fs::read_to_string(path.join("stat")).is_ok_and(|stat| {
                    stat.rsplit_once(')')
                        .and_then(|(_, rest)| rest.split_whitespace().nth(2).map(str::to_owned))
                        == Some(group.clone())
                })
            })
            .unwrap_or_else(|| panic!("[{}] the app's process was not found", self.name));
        std::fs::read_to_string(pid.join("maps")).expect("the app's memory map")
    }

    fn by_test_id(test_id: &str) -> String {
        format!("[data-testid=\"{test_id}\"]")
    }

    /// Waits for the element with `data-testid` and returns it.
    pub async fn element(&self, test_id: &str) -> fantoccini::elements::Element {
        let selector = Self::by_test_id(test_id);
        match self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(&selector))
            .await
        {
            Ok(element) => element,
            Err(error) => {
                // What the window showed instead is the first thing to look at.
                let shot = tokio::time::timeout(
                    Duration::from_secs(10),
                    self.screenshot(&format!("failed-waiting-for-{test_id}")),
                )
                .await;
                panic!(
                    "[{}] no element {selector}: {error} (screenshot: {:?})",
                    self.name,
                    shot.ok()
                )
            }
        }
    }

    pub async fn click(&self, test_id: &str) {
        let element = self.element(test_id).await;
        // WebKitWebDriver does not scroll a control below the fold into
        // view before clicking it, as a person would.
        self.script(&format!(
            "document.querySelector('{}').scrollIntoView({{ block: 'center' }}); return true;",
            Self::by_test_id(test_id)
        ))
        .await;
        // A control whose row is being redrawn (a sync just ended) is
        // briefly not interactable; a person's click would land a moment
        // later.
        let mut attempt = 0;
        let error = loop {
            match self.element(test_id).await.click().await {
                Ok(_) => return,
                Err(error) if attempt >= 5 => break error,
                Err(_) => attempt += 1,
            }
            tokio::time::sleep(Duration::from_millis(400)).await;
        };
        // WebKitWebDriver's element click answers an empty error for some
        // controls inside tables; the same click as pointer input (move to
        // the element's centre, press, release) is still WebDriver's own
        // input, not a script.
        eprintln!(
            "[{}] element click on {test_id} failed ({error:?}); clicking with the pointer",
            self.name
        );
        if let Err(error) = self.pointer_click(element).await {
            let shot = self.screenshot(&format!("failed-clicking-{test_id}")).await;
            panic!(
                "[{}] cannot click {test_id}: {error} (screenshot: {})",
                self.name,
                shot.display()
            );
        }
    }

    /// Clicks an element with WebDriver pointer actions at its centre.
    pub async fn pointer_click(
        &self,
        element: fantoccini::elements::Element,
    ) -> Result<(), fantoccini::error::CmdError> {
        use fantoccini::actions::{
            InputSource as _, MOUSE_BUTTON_LEFT, MouseActions, PointerAction,
        };
        let actions = MouseActions::new("mouse".into())
            .then(PointerAction::MoveToElement {
                element,
                duration: None,
                x: 0.0,
                y: 0.0,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            });
        self.client.perform_actions(actions).await
    }

    pub async fn text(&self, test_id: &str) -> String {
        self.element(test_id)
            .await
            .text()
            .await
            .unwrap_or_else(|error| panic!("[{}] cannot read {test_id}: {error}", self.name))
    }

    /// Runs a script in the page and returns its JSON result.
    pub async fn script(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|error| panic!("[{}] script failed: {error}", self.name))
    }

    pub async fn attribute(&self, test_id: &str, attribute: &str) -> Option<String> {
        self.element(test_id)
            .await
            .attr(attribute)
            .await
            .unwrap_or_else(|error| {
                panic!("[{}] cannot read {test_id}@{attribute}: {error}", self.name)
            })
    }

    /// Resizes the app's window.
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .unwrap_or_else(|error| panic!("[{}] cannot resize the window: {error}", self.name));
    }

    /// Types into an input after clearing it.
    pub async fn fill(&self, test_id: &str, text: &str) {
        let input = self.element(test_id).await;
        // As for clicks: a field below the fold must be scrolled to, as a
        // person would, before WebKitWebDriver lets it be cleared.
        self.script(&format!(
            "document.querySelector('{}').scrollIntoView({{ block: 'center' }}); return true;",
            Self::by_test_id(test_id)
        ))
        .await;
        input
            .clear()
            .await
            .unwrap_or_else(|error| panic!("[{}] cannot clear {test_id}: {error}", self.name));
        input
            .send_keys(text)
            .await
            .unwrap_or_else(|error| panic!("[{}] cannot type into {test_id}: {error}", self.name));
    }

    /// Chooses an option of a `<select>` by its value, as a person would,
    /// and lets the page hear the change.
    pub async fn select(&self, test_id: &str, value: &str) {
        self.element(test_id).await;
        let script = format!(
            "const select = document.querySelector('{}'); select.value = {}; \
             select.dispatchEvent(new Event('change', {{ bubbles: true }})); return select.value;",
            Self::by_test_id(test_id),
            serde_json::Value::String(value.to_owned())
        );
        let chosen = self.script(&script).await;
        assert_eq!(
            chosen, value,
            "[{}] {test_id} has no option {value}",
            self.name
        );
    }

    /// Waits for an element matching a CSS selector.
    pub async fn wait_for_selector(&self, selector: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|error| panic!("[{}] no element {selector}: {error}", self.name))
    }

    /// Waits until the element matching `selector` has `attribute` = `expected`.
    pub async fn wait_for_attribute(&self, selector: &str, attribute: &str, expected: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let value = self
                .wait_for_selector(selector)
                .await
                .attr(attribute)
                .await
                .ok()
                .flatten();
            if value.as_deref() == Some(expected) {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                self.screenshot("failure").await;
                panic!(
                    "[{}] {selector} never had {attribute}={expected:?}; it has {value:?}",
                    self.name
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the text content of the element matching `selector`
    /// contains `expected`. Unlike WebDriver's visible text, it includes
    /// text clipped with an ellipsis.
    pub async fn wait_for_content(&self, selector: &str, expected: &str) -> String {
        let script = format!(
            "return document.querySelector({}).textContent;",
            serde_json::Value::String(selector.to_owned())
        );
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let text = self
                .script(&script)
                .await
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if text.contains(expected) {
                return text;
            }
            if tokio::time::Instant::now() > deadline {
                self.screenshot("failure").await;
                panic!(
                    "[{}] {selector} never said {expected:?}; it says {text:?}",
                    self.name
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the element's text contains `expected`, and returns the text.
    pub async fn wait_for_text(&self, test_id: &str, expected: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let text = self.text(test_id).await;
            if text.contains(expected) {
                return text;
            }
            if tokio::time::Instant::now() > deadline {
                self.screenshot("failure").await;
                panic!(
                    "[{}] {test_id} never showed {expected:?}; it shows {text:?}",
                    self.name
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a PNG of the window as `<scenario>/<name>.png` after the page
    /// has painted (WebKit can otherwise hand back an earlier frame).
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let _ = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 requestAnimationFrame(() => requestAnimationFrame(() => done()));",
                vec![],
            )
            .await;
        // WebKit answers a screenshot after the page's next paint. Where the
        // app process draws without OpenGL (no GPU render node, as under
        // Xvfb: src-tauri/src/graphics.rs), an idle page never paints again,
        // so a faint pixel in the corner changes every frame until the
        // screenshot is taken.
        if let Err(error) = self.client.execute(KEEP_PAINTING, vec![]).await {
            panic!(
                "[{}] the page could not be kept painting for a screenshot: {error}",
                self.name
            );
        }
        let png = self.client.screenshot().await;
        let _ = self.client.execute(STOP_PAINTING, vec![]).await;
        let png = png.unwrap_or_else(|error| panic!("[{}] screenshot failed: {error}", self.name));
        let path = self.screenshots.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("the screenshot is written");
        path
    }

    /// Presses keys together, as a shortcut is pressed: each goes down in
    /// order, then they come up in reverse (e.g. `[Key::Control.into(), 'k']`).
    /// The keys go to the window through WebDriver's input actions, the way
    /// a keyboard's would.
    pub async fn chord(&self, keys: &[char]) {
        use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
        let mut actions = KeyActions::new("keyboard".into());
        for key in keys {
            actions = actions.then(KeyAction::Down { value: *key });
        }
        for key in keys.iter().rev() {
            actions = actions.then(KeyAction::Up { value: *key });
        }
        self.client
            .perform_actions(actions)
            .await
            .unwrap_or_else(|error| panic!("[{}] cannot press {keys:?}: {error}", self.name));
    }

    /// Closes the app and the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // A failed scenario panics before `close`; never leave the driver or
        // the app behind.
        kill_group(self.driver.id());
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Kills the driver's process group: the driver, WebKitWebDriver and the app.
fn kill_group(driver: u32) {
    #[cfg(unix)]
    // `kill -KILL -PGID` is read by procps' kill as a signal list, so
    // the group is named after `--`.
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{driver}")])
        .status();
    #[cfg(not(unix))]
    let _ = driver;
}

/// Stops the scenario's driver and app once it has run [`SCENARIO_LIMIT`],
/// unless the returned sender is dropped first (the session ended).
fn watchdog(name: &str, driver: u32) -> std::sync::mpsc::Sender<()> {
    let (ended, watched) = std::sync::mpsc::channel::<()>();
    let name = name.to_owned();
    std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
            watched.recv_timeout(SCENARIO_LIMIT)
        {
            eprintln!(
                "[{name}] the scenario ran past {} s: its driver and app are stopped, so the call it waits on fails",
                SCENARIO_LIMIT.as_secs()
            );
            kill_group(driver);
        }
    });
    ended
}

/// A WebDriver session at `url`; `failure` says what it means when none
/// comes up.
async fn connect(
    url: &str,
    capabilities: serde_json::Map<String, serde_json::Value>,
    failure: &str,
) -> Client {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        // tauri-driver listens on loopback: plain HTTP, no TLS stack.
        let attempt = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(url)
            .await;
        match attempt {
            Ok(client) => return client,
            Err(error) if tokio::time::Instant::now() > deadline => {
                panic!("{failure} (WebDriver at {url}): {error}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}
