//! The relay's settings: [`RelayConfig`] for the library, read from the
//! environment by the binary (see the README for the variables).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

/// Intuit's discovery document for production apps.
pub const PRODUCTION_DISCOVERY_URL: &str =
    "https://developer.intuit.com/.well-known/openid_configuration/";
/// Intuit's discovery document for sandbox (development keys) apps.
pub const SANDBOX_DISCOVERY_URL: &str =
    "https://developer.intuit.com/.well-known/openid_sandbox_configuration/";
/// The Accounting API for production companies.
pub const PRODUCTION_API_BASE: &str = "https://quickbooks.api.intuit.com";
/// The Accounting API for sandbox companies.
pub const SANDBOX_API_BASE: &str = "https://sandbox-quickbooks.api.intuit.com";

/// The shortest accepted `RELAY_STATE_KEY`, in bytes: HMAC-SHA256 wants a
/// key at least as long as its output.
pub const MIN_STATE_KEY_BYTES: usize = 32;

/// A value that must never be printed: its `Debug` says only that it is
/// there, so a config can be logged whole without leaking the secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether no value was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            formatter.write_str("Secret(empty)")
        } else {
            formatter.write_str("Secret(redacted)")
        }
    }
}

/// Key bytes that must never be printed, like [`Secret`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Wraps key bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> SecretBytes {
        SecretBytes(bytes.into())
    }

    /// The bytes themselves.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "SecretBytes({} bytes, redacted)", self.0.len())
    }
}

/// Which Intuit environment the app's keys belong to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Environment {
    /// Production keys and companies.
    #[default]
    Production,
    /// Development keys and sandbox companies.
    Sandbox,
}

impl Environment {
    /// `production` or `sandbox`, as `INTUIT_ENVIRONMENT` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Sandbox => "sandbox",
        }
    }

    fn discovery_url(self) -> &'static str {
        match self {
            Environment::Production => PRODUCTION_DISCOVERY_URL,
            Environment::Sandbox => SANDBOX_DISCOVERY_URL,
        }
    }

    fn api_base(self) -> &'static str {
        match self {
            Environment::Production => PRODUCTION_API_BASE,
            Environment::Sandbox => SANDBOX_API_BASE,
        }
    }
}

/// Everything the relay needs to run.
#[derive(Clone, Debug)]
pub struct RelayConfig {
    /// The URL Intuit and browsers reach the relay at, without a trailing
    /// slash. `None` lets [`crate::TestRelay`] use `http://localhost:PORT`;
    /// [`crate::serve`] then uses the listener's address.
    pub public_url: Option<String>,
    /// The Intuit app's client id.
    pub client_id: String,
    /// The Intuit app's client secret; it leaves the relay only in the
    /// Basic authorization of requests to Intuit's token endpoints.
    pub client_secret: Secret,
    /// The webhook verifier token from Intuit's developer portal.
    pub webhook_verifier: Secret,
    /// Chooses the default discovery document and API base.
    pub environment: Environment,
    /// Overrides the discovery document (e.g. an emulator's).
    pub discovery_url: Option<String>,
    /// Overrides the Accounting API base used to check tokens.
    pub api_base: Option<String>,
    /// The SQLite file of stored events.
    pub database: PathBuf,
    /// The key that signs `state` and subscription tokens; generated and
    /// kept in the database when absent.
    pub state_key: Option<SecretBytes>,
    /// How long stored events are kept.
    pub event_retention: Duration,
    /// Requests per minute per client on `/connect` and `/oauth`.
    pub rate_limit_per_minute: u32,
    /// Take the client address from `X-Forwarded-For` (set by the reverse
    /// proxy in front) instead of the TCP peer.
    pub trust_forwarded_for: bool,
    /// The interval of keep-alive comments on event streams.
    pub keep_alive: Duration,
    /// How long a successful token check is remembered.
    pub token_check_ttl: Duration,
    /// How often expired events are deleted.
    pub prune_interval: Duration,
    /// Timeout of each request to Intuit.
    pub upstream_timeout: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            public_url: None,
            client_id: String::new(),
            client_secret: Secret::default(),
            webhook_verifier: Secret::default(),
            environment: Environment::Production,
            discovery_url: None,
            api_base: None,
            database: PathBuf::from("relay.sqlite"),
            state_key: None,
            event_retention: Duration::from_secs(7 * 24 * 3600),
            rate_limit_per_minute: 60,
            trust_forwarded_for: false,
            keep_alive: Duration::from_secs(15),
            token_check_ttl: Duration::from_secs(3600),
            prune_interval: Duration::from_secs(3600),
            upstream_timeout: Duration::from_secs(20),
        }
    }
}

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct ConfigError {
    /// The variable or field.
    pub name: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

fn config_error(name: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        name,
        reason: reason.into(),
    }
}

impl RelayConfig {
    /// The discovery document to read Intuit's endpoints from.
    pub fn discovery_url(&self) -> String {
        self.discovery_url
            .clone()
            .unwrap_or_else(|| self.environment.discovery_url().to_owned())
    }

    /// The Accounting API base, without a trailing slash.
    pub fn api_base(&self) -> String {
        self.api_base
            .clone()
            .unwrap_or_else(|| self.environment.api_base().to_owned())
            .trim_end_matches('/')
            .to_owned()
    }

    /// Checks what every relay needs: keys, a verifier and a sane public URL.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.client_id.trim().is_empty() {
            return Err(config_error("INTUIT_CLIENT_ID", "is required"));
        }
        if self.client_secret.is_empty() {
            return Err(config_error("INTUIT_CLIENT_SECRET", "is required"));
        }
        if self.webhook_verifier.is_empty() {
            return Err(config_error("INTUIT_WEBHOOK_VERIFIER", "is required"));
        }
        if let Some(public_url) = &self.public_url {
            let parsed = url::Url::parse(public_url)
                .map_err(|error| config_error("RELAY_PUBLIC_URL", error.to_string()))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                return Err(config_error(
                    "RELAY_PUBLIC_URL",
                    "must be an http(s) URL with a host",
                ));
            }
        }
        if let Some(key) = &self.state_key
            && key.expose().len() < MIN_STATE_KEY_BYTES
        {
            return Err(config_error(
                "RELAY_STATE_KEY",
                format!("must be at least {MIN_STATE_KEY_BYTES} bytes"),
            ));
        }
        if self.rate_limit_per_minute == 0 {
            return Err(config_error(
                "RELAY_RATE_LIMIT_PER_MINUTE",
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// Reads the settings from environment variables through `lookup`
    /// (`std::env::var` in the binary), returning them and the listen
    /// address.
    pub fn from_env(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(RelayConfig, std::net::SocketAddr), ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let listen = get("RELAY_LISTEN")
            .unwrap_or_else(|| "127.0.0.1:8787".to_owned())
            .parse::<std::net::SocketAddr>()
            .map_err(|error| config_error("RELAY_LISTEN", format!("{error}")))?;
        let environment = match get("INTUIT_ENVIRONMENT")
            .unwrap_or_else(|| "production".to_owned())
            .to_ascii_lowercase()
            .as_str()
        {
            "production" => Environment::Production,
            "sandbox" => Environment::Sandbox,
            other => {
                return Err(config_error(
                    "INTUIT_ENVIRONMENT",
                    format!("{other:?} is neither production nor sandbox"),
                ));
            }
        };
        let state_key = match get("RELAY_STATE_KEY") {
            Some(text) => Some(SecretBytes::new(
                decode_key(text.trim())
                    .ok_or_else(|| config_error("RELAY_STATE_KEY", "is not base64"))?,
            )),
            None => None,
        };
        let retention_days: u64 = parse_number(
            get("RELAY_EVENT_RETENTION_DAYS"),
            7,
            "RELAY_EVENT_RETENTION_DAYS",
        )?;
        if retention_days == 0 {
            return Err(config_error(
                "RELAY_EVENT_RETENTION_DAYS",
                "must be at least 1",
            ));
        }
        let rate_limit_per_minute: u32 = parse_number(
            get("RELAY_RATE_LIMIT_PER_MINUTE"),
            60,
            "RELAY_RATE_LIMIT_PER_MINUTE",
        )?;
        let trust_forwarded_for = match get("RELAY_TRUST_FORWARDED_FOR").as_deref() {
            None | Some("0" | "false" | "no") => false,
            Some("1" | "true" | "yes") => true,
            Some(other) => {
                return Err(config_error(
                    "RELAY_TRUST_FORWARDED_FOR",
                    format!("{other:?} is not true or false"),
                ));
            }
        };
        let public_url = get("RELAY_PUBLIC_URL")
            .map(|url| url.trim().trim_end_matches('/').to_owned())
            .ok_or_else(|| config_error("RELAY_PUBLIC_URL", "is required"))?;
        let config = RelayConfig {
            public_url: Some(public_url),
            client_id: get("INTUIT_CLIENT_ID").unwrap_or_default(),
            client_secret: Secret::new(get("INTUIT_CLIENT_SECRET").unwrap_or_default()),
            webhook_verifier: Secret::new(get("INTUIT_WEBHOOK_VERIFIER").unwrap_or_default()),
            environment,
            discovery_url: get("INTUIT_DISCOVERY_URL"),
            api_base: get("INTUIT_API_BASE"),
            database: PathBuf::from(get("RELAY_DB").unwrap_or_else(|| "relay.sqlite".to_owned())),
            state_key,
            event_retention: Duration::from_secs(retention_days.saturating_mul(24 * 3600)),
            rate_limit_per_minute,
            trust_forwarded_for,
            ..RelayConfig::default()
        };
        config.validate()?;
        Ok((config, listen))
    }
}

/// Standard or URL-safe base64, padded or not (`openssl rand -base64 32`
/// gives the first).
fn decode_key(text: &str) -> Option<Vec<u8>> {
    [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .into_iter()
        .find_map(|engine| engine.decode(text).ok())
}

fn parse_number<T: std::str::FromStr>(
    value: Option<String>,
    default: T,
    name: &'static str,
) -> Result<T, ConfigError> {
    match value {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| config_error(name, format!("{text:?} is not a whole number"))),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const REQUIRED: [(&str, &str); 4] = [
        ("RELAY_PUBLIC_URL", "https://relay.example.com/"),
        ("INTUIT_CLIENT_ID", "id"),
        ("INTUIT_CLIENT_SECRET", "shh"),
        ("INTUIT_WEBHOOK_VERIFIER", "verifier"),
    ];

    #[test]
    fn defaults_follow_the_contract() {
        let (config, listen) = RelayConfig::from_env(env(&REQUIRED)).unwrap();
        assert_eq!(listen.to_string(), "127.0.0.1:8787");
        assert_eq!(
            config.public_url.as_deref(),
            Some("https://relay.example.com")
        );
        assert_eq!(config.environment, Environment::Production);
        assert_eq!(config.discovery_url(), PRODUCTION_DISCOVERY_URL);
        assert_eq!(config.api_base(), PRODUCTION_API_BASE);
        assert_eq!(config.event_retention, Duration::from_secs(7 * 86_400));
        assert_eq!(config.rate_limit_per_minute, 60);
        assert_eq!(config.database, PathBuf::from("relay.sqlite"));
        assert!(!format!("{config:?}").contains("shh"));
    }

    #[test]
    fn sandbox_overrides_and_bad_values() {
        let mut pairs = REQUIRED.to_vec();
        pairs.push(("INTUIT_ENVIRONMENT", "Sandbox"));
        pairs.push(("RELAY_EVENT_RETENTION_DAYS", "3"));
        let (config, _) = RelayConfig::from_env(env(&pairs)).unwrap();
        assert_eq!(config.api_base(), SANDBOX_API_BASE);
        assert_eq!(config.event_retention, Duration::from_secs(3 * 86_400));

        let mut short_key = REQUIRED.to_vec();
        short_key.push(("RELAY_STATE_KEY", "c2hvcnQ="));
        let error = RelayConfig::from_env(env(&short_key)).unwrap_err();
        assert_eq!(error.name, "RELAY_STATE_KEY");

        let mut url_safe_key = REQUIRED.to_vec();
        let key = URL_SAFE_NO_PAD.encode([0xfb; 32]);
        url_safe_key.push(("RELAY_STATE_KEY", key.as_str()));
        let (config, _) = RelayConfig::from_env(env(&url_safe_key)).unwrap();
        assert_eq!(config.state_key.as_ref().unwrap().expose(), [0xfb; 32]);
        assert!(!format!("{config:?}").contains("251"));

        let missing = RelayConfig::from_env(env(&REQUIRED[..3])).unwrap_err();
        assert_eq!(missing.name, "INTUIT_WEBHOOK_VERIFIER");

        let mut bad_rate = REQUIRED.to_vec();
        bad_rate.push(("RELAY_RATE_LIMIT_PER_MINUTE", "many"));
        let error = RelayConfig::from_env(env(&bad_rate)).unwrap_err();
        assert_eq!(error.name, "RELAY_RATE_LIMIT_PER_MINUTE");
    }
}
