//! "Connect QuickBooks" through a relay, as a new user does it: one button,
//! consent in the browser, the first sync; then a change made in QuickBooks
//! reaches the app's records by itself. The emulator stands in for Intuit
//! and a relay on loopback holds the Intuit app's keys; the app is given
//! nothing but the relay's address, and no key is typed anywhere.
//!
//! The "system browser" is WebKit's MiniBrowser under its own
//! WebKitWebDriver: the app hands it the consent address through
//! `LEDGERLINK_BROWSER` (a script that writes the address to a file), and
//! the scenario clicks Connect in the emulator's consent page there.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, Locator};
use qbo_emulator::oauth::paths;
use qbo_emulator::{EmulatorConfig, TestServer};
use relay::{RelayConfig, Secret, TestRelay};
use serde_json::json;

use super::emulator::QuickBooks;
use super::{PATIENCE, Session, connect, free_port};

const CLIENT_ID: &str = "ABrelayendtoendclient";
const CLIENT_SECRET: &str = "relay-e2e-client-secret";
const VERIFIER: &str = "relay-e2e-webhook-verifier";
const NUMBER: &str = "LIVE-4711";

/// Where distributions put WebKitGTK's MiniBrowser (Debian and Ubuntu ship
/// it with libwebkit2gtk, which the app needs anyway).
const MINIBROWSER: [&str; 3] = [
    "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
    "/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
    "/usr/libexec/webkit2gtk-4.1/MiniBrowser",
];

/// Intuit, as the emulator plays it: companies, the consent page (no
/// auto-approve), webhooks to the relay; and the relay with the app's keys.
pub(super) struct Intuit {
    pub(super) emulator: TestServer,
    pub(super) relay: TestRelay,
    realm: String,
    company_name: String,
    /// Every company: its realm id and name, in the order of the seeds.
    pub(super) companies: Vec<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Intuit {
    async fn start() -> Intuit {
        Intuit::with_companies(&[(23, 40)]).await
    }

    /// Intuit with one seeded company per `(seed, size)`.
    pub(super) async fn with_companies(seeds: &[(u64, usize)]) -> Intuit {
        let emulator = TestServer::start(EmulatorConfig::default()).await;
        let companies: Vec<(String, String)> = seeds
            .iter()
            .map(|&(seed, size)| {
                let (realm, _) = qbo_emulator::control::create_company(
                    emulator.emulator(),
                    None,
                    Some((seed, size)),
                )
                .expect("a seeded company");
                (realm, qbo_emulator::seed::company_name(seed))
            })
            .collect();
        let (realm, company_name) = companies.first().cloned().expect("at least one company");
        let dir = tempfile::tempdir().expect("a folder for the relay's database");
        let relay = TestRelay::start(RelayConfig {
            client_id: CLIENT_ID.to_owned(),
            client_secret: Secret::new(CLIENT_SECRET),
            webhook_verifier: Secret::new(VERIFIER),
            discovery_url: Some(format!(
                "{}{}",
                emulator.base_url(),
                paths::DISCOVERY_SANDBOX
            )),
            api_base: Some(emulator.base_url()),
            environment: relay::Environment::Sandbox,
            database: dir.path().join("relay.sqlite"),
            ..RelayConfig::default()
        })
        .await;
        let http = reqwest::Client::new();
        let registered = http
            .post(format!("{}/_emulator/clients", emulator.base_url()))
            .json(&json!({
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "app_name": "Ledgerlink",
                "redirect_uris": [relay.callback_url()],
            }))
            .send()
            .await
            .expect("the emulator answers");
        assert_eq!(registered.status(), 201, "the relay's app is registered");
        // Intuit gathers changes for a minute before it sends them; a
        // thousandth of that keeps the scenario short.
        let webhooks = http
            .post(format!("{}/_emulator/webhooks", emulator.base_url()))
            .json(&json!({
                "endpoint_url": format!("{}/webhooks", relay.base_url()),
                "verifier_token": VERIFIER,
                "format": "legacy",
                "time_scale": 0.001,
            }))
            .send()
            .await
            .expect("the emulator answers");
        assert_eq!(webhooks.status(), 200, "webhooks point at the relay");
        Intuit {
            emulator,
            relay,
            realm,
            company_name,
            companies,
            _dir: dir,
        }
    }

    /// What a person does in the browser, over plain HTTP: follows the
    /// relay's start address to the consent page, chooses the company
    /// `realm` and presses Connect, then follows the answer back through the
    /// relay to the app's loopback listener. (MiniBrowser shows the same
    /// pages in the relay scenario; here the pages are not the subject.)
    pub(super) async fn consent_over_http(&self, start: &str, realm: &str) {
        let hop = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        let mut address = reqwest::Url::parse(start).expect("the start address is a URL");
        for _ in 0..5 {
            let answer = hop
                .get(address.clone())
                .send()
                .await
                .expect("the relay answers");
            if !answer.status().is_redirection() {
                break;
            }
            let location = answer
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .expect("a redirect has a location")
                .to_owned();
            address = address.join(&location).expect("a redirect address");
        }
        assert!(
            address.as_str().starts_with(&self.emulator.base_url()),
            "the relay sent the browser to Intuit's consent page: {address}"
        );
        // The consent form carries the authorize request's fields, the
        // chosen company and the decision.
        let mut form = reqwest::Url::parse("http://form.invalid/").expect("a URL");
        form.query_pairs_mut()
            .extend_pairs(address.query_pairs())
            .append_pair("realm_id", realm)
            .append_pair("decision", "connect");
        let decided = hop
            .post(format!("{}/connect/oauth2", self.emulator.base_url()))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.query().unwrap_or_default().to_owned())
            .send()
            .await
            .expect("the consent form is answered");
        let back = decided
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_else(|| panic!("Connect answered {} without a redirect", decided.status()))
            .to_owned();
        let landed = reqwest::Client::new()
            .get(&back)
            .send()
            .await
            .expect("the relay and the app answer")
            .text()
            .await
            .unwrap_or_default();
        assert!(
            landed.contains("You can close this tab"),
            "the browser ends at the app's listener: {landed}"
        );
    }
}

/// The browser the app hands the consent page to: MiniBrowser driven by its
/// own WebKitWebDriver, in its own process group.
struct Browser {
    client: Client,
    driver: Child,
    screenshots: PathBuf,
}

impl Browser {
    async fn start(screenshots: &Path) -> Browser {
        let binary = std::env::var("LEDGERLINK_TEST_MINIBROWSER")
            .ok()
            .or_else(|| {
                MINIBROWSER
                    .iter()
                    .find(|path| Path::new(path).is_file())
                    .map(|path| (*path).to_owned())
            })
            .unwrap_or_else(|| {
                panic!(
                    "no WebKitGTK MiniBrowser in {MINIBROWSER:?}; it comes with libwebkit2gtk-4.1, \
                     or name it in LEDGERLINK_TEST_MINIBROWSER"
                )
            });
        let port = free_port();
        let mut command = Command::new("WebKitWebDriver");
        command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let driver = command
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start WebKitWebDriver: {error}"));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("MiniBrowser"));
        capabilities.insert(
            "webkitgtk:browserOptions".into(),
            json!({ "binary": binary, "args": ["--automation"] }),
        );
        let client = connect(
            &format!("http://127.0.0.1:{port}"),
            capabilities,
            "WebKitWebDriver did not start MiniBrowser",
        )
        .await;
        Browser {
            client,
            driver,
            screenshots: screenshots.to_owned(),
        }
    }

    async fn screenshot(&self, name: &str) {
        // As for the app: WebKit may hand back a frame from before the
        // page painted.
        let _ = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 requestAnimationFrame(() => requestAnimationFrame(() => done()));",
                vec![],
            )
            .await;
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|error| panic!("[browser] screenshot failed: {error}"));
        std::fs::write(self.screenshots.join(format!("{name}.png")), png)
            .expect("the screenshot is written");
    }

    async fn wait_for(&self, selector: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|error| panic!("[browser] no element {selector}: {error}"))
    }

    async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A stand-in for the system browser: records each address it is asked to
/// open in `urls` beside it.
pub(super) fn browser_script(dir: &Path) -> PathBuf {
    let urls = dir.join("urls");
    let script = dir.join("browser.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", urls.display()),
    )
    .expect("the browser script is written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .expect("the browser script is executable");
    }
    script
}

/// The first address the app asked the browser to open.
async fn opened_address(dir: &Path) -> String {
    nth_opened_address(dir, 0).await
}

/// The `n`th address (from 0) the app asked the browser to open.
pub(super) async fn nth_opened_address(dir: &Path, n: usize) -> String {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Ok(text) = std::fs::read_to_string(dir.join("urls"))
            && let Some(line) = text.lines().filter(|line| !line.trim().is_empty()).nth(n)
        {
            return line.trim().to_owned();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the app never opened the browser"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Looks for `number` in Records the way a person would: opens Records and
/// searches, again until it shows, without pressing Sync.
async fn wait_for_number_in_records(app: &Session, number: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        app.click("nav-companies").await;
        app.click("nav-records").await;
        app.fill("records-search", number).await;
        // The search runs once typing pauses.
        tokio::time::sleep(Duration::from_millis(800)).await;
        let total = app.text("records-total").await;
        if total.starts_with("1 ") {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            app.screenshot("failure-edit-never-arrived").await;
            panic!("[relay] {number} never showed in Records; it shows {total:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, WebKitWebDriver, MiniBrowser and tauri-driver; `cargo xtask test` runs it"]
async fn connect_quickbooks_through_the_relay_then_a_change_in_quickbooks_arrives_by_itself() {
    let intuit = Intuit::start().await;
    let browser_dir = tempfile::tempdir().expect("a folder for the browser script");
    let script = browser_script(browser_dir.path());
    let relay_url = intuit.relay.base_url();
    let script_path = script.to_string_lossy().into_owned();
    let app = Session::start_with_env(
        "relay",
        &[
            ("LEDGERLINK_RELAY_URL", relay_url.as_str()),
            ("LEDGERLINK_BROWSER", script_path.as_str()),
        ],
    )
    .await;

    // One button, no keys.
    app.wait_for_text("welcome-connect", "Connect QuickBooks")
        .await;
    app.screenshot("relay-01-welcome").await;
    app.click("welcome-connect").await;
    let consent = opened_address(browser_dir.path()).await;
    assert!(
        consent.starts_with(&format!("{relay_url}/connect/start?")),
        "the browser opens the relay's start page: {consent}"
    );
    assert!(
        !consent.contains(CLIENT_SECRET) && !consent.contains("client_secret"),
        "no secret in the address: {consent}"
    );
    app.screenshot("relay-02-waiting-for-the-browser").await;

    // In the browser: the relay sends it on to Intuit's consent page.
    let browser = Browser::start(&app.screenshots).await;
    browser
        .client
        .goto(&consent)
        .await
        .unwrap_or_else(|error| panic!("[browser] cannot open {consent}: {error}"));
    browser.wait_for("button[value=connect]").await;
    let page = browser.client.source().await.expect("the consent page");
    assert!(
        page.contains(&intuit.company_name),
        "the consent page offers the company"
    );
    browser.screenshot("relay-03-consent-page").await;
    browser
        .wait_for("button[value=connect]")
        .await
        .click()
        .await
        .unwrap_or_else(|error| panic!("[browser] cannot click Connect: {error}"));
    // Back through the relay to the app's loopback listener.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let text = browser
            .client
            .find(Locator::Css("body"))
            .await
            .expect("a page")
            .text()
            .await
            .unwrap_or_default();
        if text.contains("You can close this tab") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the browser never came back to the app: {text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let landed = browser.client.current_url().await.expect("an address");
    assert!(
        matches!(landed.host_str(), Some("localhost" | "127.0.0.1"))
            && landed.path() == "/callback"
            && landed.query_pairs().any(|(name, _)| name == "code"),
        "the browser ends at the app's loopback listener with a code: {landed}"
    );
    browser.screenshot("relay-04-browser-back-at-the-app").await;
    browser.close().await;

    // The first sync runs by itself; QuickBooks named the company.
    let report = app.wait_for_text("sync-report", "Done:").await;
    assert!(report.contains("from QuickBooks"), "{report}");
    app.wait_for_content("body", &intuit.company_name).await;
    assert_eq!(app.text("status-state").await, "Connected");
    app.wait_for_text("company-relay", "Live").await;
    app.screenshot("relay-05-first-sync-done").await;

    // The client edits an invoice in QuickBooks; nobody presses Sync.
    let quickbooks = QuickBooks::at(&intuit.emulator.base_url(), &intuit.realm).await;
    let invoice = quickbooks
        .query("SELECT * FROM Invoice ORDERBY Id MAXRESULTS 1", "Invoice")
        .await
        .remove(0);
    let id = invoice["Id"].as_str().expect("an id").to_owned();
    quickbooks
        .edit(
            "Invoice",
            &id,
            json!({ "DocNumber": NUMBER, "PrivateNote": "Changed by the client in QuickBooks" }),
        )
        .await;
    wait_for_number_in_records(&app, NUMBER).await;
    app.script("document.querySelector('[data-testid=records-row]').click(); return true;")
        .await;
    app.wait_for_text("record-state", "Synced").await;
    let memo = app.attribute("field-PrivateNote", "value").await;
    assert_eq!(
        memo.as_deref(),
        Some("Changed by the client in QuickBooks"),
        "the record shows QuickBooks' memo"
    );
    app.screenshot("relay-06-edit-arrived").await;
    app.click("nav-companies").await;
    app.wait_for_text("company-relay", "Live").await;
    app.screenshot("relay-07-companies-after-the-live-pull")
        .await;
    app.close().await;
    intuit.relay.stop().await;
}
