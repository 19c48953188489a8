//! The `qbo-emulator` binary as a user runs it: one JSON line on stdout when
//! ready, OAuth and the API on the printed URLs, and `--data` keeping the
//! companies and the client across a restart.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use reqwest::StatusCode;
use serde_json::{Value, json};

/// A running emulator process; killed if a test fails before stopping it.
struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
    ready: Value,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qbo-emulator"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let ready: Value = serde_json::from_str(&line)
        .unwrap_or_else(|error| panic!("the ready line {line:?} is not JSON: {error}"));
    Running {
        child,
        stdout,
        ready,
    }
}

impl Running {
    fn text(&self, key: &str) -> String {
        self.ready[key].as_str().unwrap().to_owned()
    }

    /// Stops the process as a service manager would and checks that it
    /// printed nothing more on stdout.
    fn stop(mut self) {
        #[cfg(unix)]
        {
            let status = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
        }
        #[cfg(not(unix))]
        {
            // Without SIGTERM, give the autosave time to run before killing.
            std::thread::sleep(std::time::Duration::from_secs(3));
            self.child.kill().unwrap();
        }
        let exit = self.child.wait().unwrap();
        #[cfg(unix)]
        assert!(exit.success(), "{exit}");
        let _ = exit;
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "", "stdout carries only the ready line");
    }
}

async fn mint_token(http: &reqwest::Client, running: &Running) -> String {
    let response = http
        .post(format!("{}/_emulator/tokens", running.text("base_url")))
        .json(&json!({ "realm_id": running.text("realm_id") }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    tokens["access_token"].as_str().unwrap().to_owned()
}

async fn query(http: &reqwest::Client, running: &Running, token: &str, statement: &str) -> Value {
    let response = http
        .get(format!(
            "{}/v3/company/{}/query",
            running.text("base_url"),
            running.text("realm_id")
        ))
        .query(&[("query", statement), ("minorversion", "75")])
        .bearer_auth(token)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["QueryResponse"].clone()
}

fn args<'a>(data: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--listen",
        "127.0.0.1:0",
        "--seed",
        "demo",
        "--size",
        "150",
        "--auto-approve",
        "--data",
        data.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args
}

#[tokio::test]
async fn the_binary_prints_one_ready_line_serves_and_keeps_its_data() {
    let data = tempfile::tempdir().unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let first = start(&args(data.path(), &[]));
    let mut keys: Vec<&str> = first
        .ready
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "base_url",
            "client_id",
            "client_secret",
            "discovery_url",
            "realm_id",
            "redirect_uris",
            "webhook_verifier"
        ]
    );
    let base_url = first.text("base_url");
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
    assert!(
        !base_url.ends_with(":0"),
        "port 0 is replaced by the real port"
    );
    let redirect_uri = first.ready["redirect_uris"][0].as_str().unwrap().to_owned();

    // Discovery points at this server.
    let discovery: Value = http
        .get(first.text("discovery_url"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token_endpoint = discovery["token_endpoint"].as_str().unwrap().to_owned();
    assert!(token_endpoint.starts_with(&base_url), "{token_endpoint}");
    let authorization_endpoint = discovery["authorization_endpoint"]
        .as_str()
        .unwrap()
        .to_owned();

    // --auto-approve: the consent page redirects at once with a code for the seeded company.
    let consent = http
        .get(&authorization_endpoint)
        .query(&[
            ("client_id", first.text("client_id").as_str()),
            ("response_type", "code"),
            ("scope", "com.intuit.quickbooks.accounting"),
            ("redirect_uri", redirect_uri.as_str()),
            ("state", "ops-state-1"),
        ])
        .send()
        .await
        .unwrap();
    assert!(consent.status().is_redirection(), "{}", consent.status());
    let location = url::Url::parse(consent.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(&redirect_uri), "{location}");
    let parameters: std::collections::HashMap<String, String> =
        location.query_pairs().into_owned().collect();
    assert_eq!(parameters["state"], "ops-state-1");
    assert_eq!(parameters["realmId"], first.text("realm_id"));

    // The printed client exchanges the code.
    let exchanged = http
        .post(&token_endpoint)
        .basic_auth(first.text("client_id"), Some(first.text("client_secret")))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", parameters["code"].as_str()),
            ("redirect_uri", redirect_uri.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(exchanged.status(), StatusCode::OK);
    let tokens: Value = exchanged.json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap().to_owned();

    // The demo company answers queries, and a write goes in.
    let invoices = query(&http, &first, &token, "select count(*) from Invoice").await;
    let invoice_count = invoices["totalCount"].as_u64().unwrap();
    assert!(invoice_count > 0);
    let created = http
        .post(format!(
            "{base_url}/v3/company/{}/customer",
            first.text("realm_id")
        ))
        .bearer_auth(&token)
        .header("Accept", "application/json")
        .json(&json!({ "DisplayName": "Persisted Patio Co" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::OK);
    let limits: Value = http
        .get(format!("{base_url}/_emulator/limits"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(limits["enabled"], false);
    let first_ready = first.ready.clone();
    first.stop();

    // Restarted on the same folder: same company, client and verifier, and the write is there.
    let second = start(&args(data.path(), &["--limits", "on"]));
    for key in ["realm_id", "client_id", "client_secret", "webhook_verifier"] {
        assert_eq!(second.ready[key], first_ready[key], "{key}");
    }
    assert_eq!(second.ready["redirect_uris"], first_ready["redirect_uris"]);
    let token = mint_token(&http, &second).await;
    let found = query(
        &http,
        &second,
        &token,
        "select * from Customer where DisplayName = 'Persisted Patio Co'",
    )
    .await;
    assert_eq!(found["Customer"].as_array().unwrap().len(), 1);
    let invoices = query(&http, &second, &token, "select count(*) from Invoice").await;
    assert_eq!(invoices["totalCount"].as_u64().unwrap(), invoice_count);
    let limits: Value = http
        .get(format!("{}/_emulator/limits", second.text("base_url")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(limits["enabled"], true);
    second.stop();
}

#[tokio::test]
async fn an_empty_company_without_data_has_only_the_starting_accounts() {
    let running = start(&["--listen", "127.0.0.1:0", "--seed", "empty"]);
    let http = reqwest::Client::new();
    let token = mint_token(&http, &running).await;
    let invoices = query(&http, &running, &token, "select count(*) from Invoice").await;
    assert_eq!(invoices["totalCount"], 0);
    let accounts = query(&http, &running, &token, "select * from Account").await;
    assert!(!accounts["Account"].as_array().unwrap().is_empty());
    running.stop();
}
