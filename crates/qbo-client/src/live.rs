//! Live updates from a Ledgerlink relay: the relay receives Intuit's
//! webhooks and fans them out over Server-Sent Events to the apps that
//! proved they may read a company.
//!
//! 1. [`RelayEvents::subscribe`] trades an access token for the company for
//!    a signed subscription (the relay checks the token once with Intuit).
//! 2. [`RelayEvents::events`] opens `GET /events` from a cursor and yields
//!    each stored change after it, then the live ones, as [`LiveEvent`]s.
//!
//! A change is only a hint that something moved: the app answers it with a
//! CDC pull, which stays the source of truth.

use std::pin::Pin;
use std::time::Duration;

use eventsource_stream::{Event, EventStreamError, Eventsource as _};
use futures::{Stream, TryStreamExt as _};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use secrets::Sensitive;
use serde::Deserialize;
use url::Url;

/// How long connecting to the relay may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a subscribe request may take (the relay asks Intuit once).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The relay sends a keep-alive comment every 15 s; three missed ones mean
/// the connection is dead even if the socket does not say so.
const READ_TIMEOUT: Duration = Duration::from_secs(45);

/// What can go wrong talking to a relay.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The relay refused the access token for this company: refresh it and
    /// try again, or reconnect.
    #[error("the relay refused the access token for this company")]
    Forbidden,
    /// The subscription expired or is not valid: subscribe again.
    #[error("the relay subscription expired")]
    SubscriptionExpired,
    /// The relay answered with something else.
    #[error("the relay answered HTTP {status}: {message}")]
    Refused {
        /// The status.
        status: u16,
        /// Its `error_description`, or the start of the body.
        message: String,
    },
    /// The relay could not be reached, or the stream broke.
    #[error("the relay could not be reached: {0}")]
    Transport(String),
    /// The relay sent something that is not the agreed format.
    #[error("the relay sent an unreadable answer: {0}")]
    Protocol(String),
    /// The relay address is not usable.
    #[error("the relay address {0:?} is not a usable URL")]
    BadUrl(String),
}

/// A subscription to one company's changes.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// The signed subscription token (a bearer credential for `/events`).
    pub token: Sensitive<String>,
    /// The company.
    pub realm_id: String,
    /// The relay's latest event number for the company when subscribing.
    pub cursor: u64,
}

/// One event from the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveEvent {
    /// Something changed in the company.
    Change(ChangeEvent),
    /// Events were pruned before the app caught up: pull everything that
    /// changed (CDC is the truth anyway).
    Resync,
}

/// A change the relay recorded from a webhook.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChangeEvent {
    /// The event's number: the cursor to resume after it.
    #[serde(skip)]
    pub seq: u64,
    /// The company.
    pub realm_id: String,
    /// The entity type, e.g. `Invoice`.
    pub entity: String,
    /// The entity's id.
    pub id: String,
    /// `Create`, `Update`, `Delete`, `Merge`, `Void` or `Emailed`.
    pub operation: String,
    /// When QuickBooks says it changed.
    #[serde(default)]
    pub last_updated: Option<String>,
}

/// A stream of events; ends when the relay closes the connection.
pub type LiveStream = Pin<Box<dyn Stream<Item = Result<LiveEvent, LiveError>> + Send>>;

/// What a relay says about itself (`GET /metadata`): which Intuit
/// environment its keys belong to, and the Accounting API that goes with
/// them, so an app needs nothing but the relay's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayMetadata {
    /// `production` or `sandbox`.
    pub environment: String,
    /// The Accounting API base of companies connected through the relay.
    pub quickbooks_api_base: Url,
}

#[derive(Deserialize)]
struct MetadataAnswer {
    #[serde(default)]
    environment: String,
    quickbooks_api_base: String,
}

#[derive(Deserialize)]
struct SubscriptionAnswer {
    subscription: String,
    realm_id: String,
    #[serde(default)]
    cursor: u64,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

/// A relay's metadata, subscription and event endpoints.
#[derive(Debug, Clone)]
pub struct RelayEvents {
    base: Url,
    http: reqwest::Client,
}

impl RelayEvents {
    /// The endpoints of the relay at `relay_url`.
    pub fn new(relay_url: &str) -> Result<RelayEvents, LiveError> {
        let mut base = Url::parse(relay_url.trim())
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| LiveError::BadUrl(relay_url.to_owned()))?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            // A bearer token must not follow a redirect somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| LiveError::Transport(error.to_string()))?;
        Ok(RelayEvents { base, http })
    }

    fn endpoint(&self, path: &str) -> Result<Url, LiveError> {
        self.base
            .join(path)
            .map_err(|_| LiveError::BadUrl(self.base.to_string()))
    }

    /// The relay's metadata; None from a relay too old to offer it (404),
    /// which leaves the choice of API to the app's settings.
    pub async fn metadata(&self) -> Result<Option<RelayMetadata>, LiveError> {
        let response = self
            .http
            .get(self.endpoint("metadata")?)
            .timeout(REQUEST_TIMEOUT)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|error| LiveError::Transport(error.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|error| LiveError::Transport(error.without_url().to_string()))?;
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(refused(status, &body));
        }
        read_metadata(&body).map(Some)
    }

    /// Subscribes to `realm_id`'s changes, proving access with the
    /// company's current access token (which the relay never stores).
    pub async fn subscribe(
        &self,
        realm_id: &str,
        access_token: &str,
    ) -> Result<Subscription, LiveError> {
        let response = self
            .http
            .post(self.endpoint("subscriptions")?)
            .timeout(REQUEST_TIMEOUT)
            .header(AUTHORIZATION, format!("Bearer {access_token}"))
            .header(ACCEPT, "application/json")
            .json(&serde_json::json!({ "realm_id": realm_id }))
            .send()
            .await
            .map_err(|error| LiveError::Transport(error.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|error| LiveError::Transport(error.without_url().to_string()))?;
        if status == StatusCode::FORBIDDEN || status == StatusCode::UNAUTHORIZED {
            return Err(LiveError::Forbidden);
        }
        if !status.is_success() {
            return Err(refused(status, &body));
        }
        let answer: SubscriptionAnswer = serde_json::from_slice(&body)
            .map_err(|error| LiveError::Protocol(format!("subscription answer: {error}")))?;
        if answer.realm_id != realm_id {
            return Err(LiveError::Protocol(format!(
                "asked for company {realm_id}, got a subscription for {}",
                answer.realm_id
            )));
        }
        Ok(Subscription {
            token: Sensitive::new(answer.subscription),
            realm_id: answer.realm_id,
            cursor: answer.cursor,
        })
    }

    /// Opens the event stream after `cursor`: first every stored change
    /// after it, then live ones.
    pub async fn events(
        &self,
        subscription: &Subscription,
        cursor: u64,
    ) -> Result<LiveStream, LiveError> {
        let mut url = self.endpoint("events")?;
        url.query_pairs_mut()
            .append_pair("cursor", &cursor.to_string());
        let response = self
            .http
            .get(url)
            .header(
                AUTHORIZATION,
                format!("Bearer {}", subscription.token.expose()),
            )
            .header(ACCEPT, "text/event-stream")
            .send()
            .await
            .map_err(|error| LiveError::Transport(error.without_url().to_string()))?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(LiveError::SubscriptionExpired);
        }
        if !status.is_success() {
            let body = response.bytes().await.unwrap_or_default();
            return Err(refused(status, &body));
        }
        let chunks = futures::stream::try_unfold(response, |mut response| async move {
            match response.chunk().await {
                Ok(Some(chunk)) => Ok(Some((chunk, response))),
                Ok(None) => Ok(None),
                Err(error) => Err(LiveError::Transport(error.without_url().to_string())),
            }
        });
        let events = chunks
            .eventsource()
            .map_err(|error| match error {
                EventStreamError::Transport(error) => error,
                other => LiveError::Protocol(other.to_string()),
            })
            .try_filter_map(|event| async move { read_event(&event) });
        Ok(Box::pin(events))
    }
}

fn read_metadata(body: &[u8]) -> Result<RelayMetadata, LiveError> {
    let answer: MetadataAnswer = serde_json::from_slice(body)
        .map_err(|error| LiveError::Protocol(format!("metadata: {error}")))?;
    let quickbooks_api_base = Url::parse(answer.quickbooks_api_base.trim())
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
        .ok_or_else(|| {
            LiveError::Protocol(format!(
                "metadata: quickbooks_api_base {:?} is not an http(s) URL",
                answer.quickbooks_api_base
            ))
        })?;
    Ok(RelayMetadata {
        environment: answer.environment,
        quickbooks_api_base,
    })
}

/// One SSE event as a [`LiveEvent`]; None for event types this app does not
/// know (a newer relay may send more).
fn read_event(event: &Event) -> Result<Option<LiveEvent>, LiveError> {
    match event.event.as_str() {
        "change" => {
            let mut change: ChangeEvent = serde_json::from_str(&event.data)
                .map_err(|error| LiveError::Protocol(format!("change event: {error}")))?;
            change.seq = event.id.trim().parse().map_err(|_| {
                LiveError::Protocol(format!("change event id {:?} is not a number", event.id))
            })?;
            Ok(Some(LiveEvent::Change(change)))
        }
        "resync" => Ok(Some(LiveEvent::Resync)),
        _ => Ok(None),
    }
}

fn refused(status: StatusCode, body: &[u8]) -> LiveError {
    let message = match serde_json::from_slice::<ErrorAnswer>(body) {
        Ok(answer) if !answer.error_description.is_empty() => answer.error_description,
        Ok(answer) if !answer.error.is_empty() => answer.error,
        _ => String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
    };
    LiveError::Refused {
        status: status.as_u16(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, id: &str, data: &str) -> Event {
        Event {
            event: kind.to_owned(),
            data: data.to_owned(),
            id: id.to_owned(),
            retry: None,
        }
    }

    #[test]
    fn reads_changes_and_resyncs() {
        let change = read_event(&event(
            "change",
            "17",
            r#"{"realm_id":"42","entity":"Invoice","id":"7","operation":"Update","last_updated":"2026-01-01T00:00:00Z"}"#,
        ))
        .unwrap();
        let Some(LiveEvent::Change(change)) = change else {
            panic!("not a change: {change:?}");
        };
        assert_eq!(change.seq, 17);
        assert_eq!(change.entity, "Invoice");
        assert_eq!(
            read_event(&event("resync", "", "{}")).unwrap(),
            Some(LiveEvent::Resync)
        );
        assert_eq!(read_event(&event("hello", "", "{}")).unwrap(), None);
        assert!(read_event(&event("change", "x", "{}")).is_err());
    }

    #[test]
    fn reads_metadata_and_refuses_a_bad_api_address() {
        let metadata = read_metadata(
            br#"{"service":"ledgerlink-relay","environment":"sandbox","quickbooks_api_base":"https://sandbox-quickbooks.api.intuit.com"}"#,
        )
        .unwrap();
        assert_eq!(metadata.environment, "sandbox");
        assert_eq!(
            metadata.quickbooks_api_base.as_str(),
            "https://sandbox-quickbooks.api.intuit.com/"
        );
        assert!(read_metadata(br#"{"quickbooks_api_base":"file:///etc"}"#).is_err());
        assert!(read_metadata(br#"{"environment":"production"}"#).is_err());
        assert!(read_metadata(b"<html>").is_err());
    }
}
