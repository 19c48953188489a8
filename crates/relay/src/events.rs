//! Webhooks in, events out: `POST /webhooks` verifies and stores Intuit's
//! deliveries, `POST /subscriptions` hands a realm-bound subscription to an
//! app that proves it can read the company, and `GET /events` streams the
//! realm's stored changes after a cursor, then live ones, over
//! Server-Sent Events.
//!
//! Every stream reads from the store, never from a shared in-memory queue:
//! a realm's query is the only way an event reaches a subscriber, so one
//! realm's events cannot leak into another's stream, and a stream that
//! falls behind simply reads further.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::error::{internal, invalid_request, oauth_error, upstream_failure};
use crate::server::{Relay, unix_millis, unix_seconds};
use crate::signing::{SUBSCRIPTION_LIFETIME_SECS, Subscription};
use crate::store::{PAGE_SIZE, StoredEvent};
use crate::upstream::AccessCheck;
use crate::webhooks::{SIGNATURE_HEADER, parse_delivery, verify_signature};

/// `POST /webhooks`.
pub async fn receive_webhook(
    State(relay): State<Relay>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(signature) = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
    else {
        tracing::warn!("refused a webhook delivery without a signature");
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the intuit-signature header is missing",
        );
    };
    let verifier = relay.config().webhook_verifier.expose().as_bytes();
    if !verify_signature(verifier, &body, signature) {
        tracing::warn!("refused a webhook delivery with a wrong signature");
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the intuit-signature does not match the body",
        );
    }
    let changes = match parse_delivery(&body) {
        Ok(changes) => changes,
        Err(error) => {
            tracing::warn!(%error, "refused a malformed webhook delivery");
            return invalid_request(&format!("the webhook body is malformed: {error}"));
        }
    };
    // Committed before the answer, since Intuit stops retrying once it sees
    // 200; together with whatever other deliveries arrived meanwhile (one
    // flush for them all).
    let received = changes.len();
    let stored = match relay.intake().store(changes, unix_millis()).await {
        Ok(stored) => stored,
        Err(error) => {
            tracing::error!(%error, "storing a webhook delivery failed");
            return oauth_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the delivery could not be stored; send it again",
            );
        }
    };
    // Seqs grow within a delivery, so the last of each realm is its highest.
    let mut announced: Vec<(&str, i64)> = Vec::new();
    for event in stored.iter().rev() {
        if !announced.iter().any(|(realm, _)| *realm == event.realm_id) {
            announced.push((&event.realm_id, event.seq));
        }
    }
    for (realm_id, seq) in announced {
        relay.announce(realm_id, seq);
    }
    let duplicates = received - stored.len();
    tracing::info!(
        received,
        stored = stored.len(),
        duplicates,
        "stored a webhook delivery"
    );
    axum::Json(json!({ "stored": stored.len(), "duplicates": duplicates })).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// A realm id as QBO writes them: digits (letters are tolerated), short.
fn is_valid_realm(realm_id: &str) -> bool {
    (1..=64).contains(&realm_id.len()) && realm_id.bytes().all(|byte| byte.is_ascii_alphanumeric())
}

/// `POST /subscriptions`.
pub async fn subscribe(State(relay): State<Relay>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(access_token) = bearer(&headers) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "send the company's QuickBooks access token as Authorization: Bearer …",
        );
    };
    let realm_id = match serde_json::from_slice::<Value>(&body) {
        Ok(value) => value
            .get("realm_id")
            .and_then(Value::as_str)
            .map(str::to_owned),
        Err(_) => return invalid_request("the body must be JSON {\"realm_id\": \"…\"}"),
    };
    let Some(realm_id) = realm_id.filter(|realm| is_valid_realm(realm)) else {
        return invalid_request("realm_id must be the company's realm id");
    };
    let now = Instant::now();
    if !relay.token_check_cached(access_token, &realm_id, now) {
        match relay.intuit().check_access(access_token, &realm_id).await {
            Ok(AccessCheck::Granted) => relay.remember_token_check(access_token, &realm_id, now),
            Ok(AccessCheck::Denied) => {
                tracing::info!(%realm_id, "refused a subscription: the token does not grant the company");
                return oauth_error(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "the token does not grant access to this company",
                );
            }
            Ok(AccessCheck::Throttled) => {
                return oauth_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "slow_down",
                    "Intuit is throttling this company; try again in a minute",
                );
            }
            Err(error) => return upstream_failure(&error),
        }
    }
    let cursor = match relay.store().latest_seq(&realm_id).await {
        Ok(cursor) => cursor,
        Err(error) => return internal(&error),
    };
    let subscription = relay.key().sign_subscription(&Subscription {
        realm_id: realm_id.clone(),
        exp: unix_seconds() + SUBSCRIPTION_LIFETIME_SECS,
    });
    tracing::info!(%realm_id, "granted a subscription");
    (
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        axum::Json(json!({
            "subscription": subscription,
            "realm_id": realm_id,
            "cursor": cursor,
        })),
    )
        .into_response()
}

/// The `data` of a `change` event.
pub fn event_data(event: &StoredEvent) -> Value {
    let mut data = json!({
        "realm_id": event.realm_id,
        "entity": event.entity,
        "id": event.entity_id,
        "operation": event.operation,
        "last_updated": event.last_updated,
    });
    if let (Some(deleted_id), Some(object)) = (&event.deleted_id, data.as_object_mut()) {
        object.insert("deleted_id".to_owned(), json!(deleted_id));
    }
    data
}

/// `GET /events`.
pub async fn stream(
    State(relay): State<Relay>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let query_value = |name: &str| {
        pairs
            .iter()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.clone())
    };
    let token = bearer(&headers)
        .map(str::to_owned)
        .or_else(|| query_value("subscription"));
    let Some(token) = token else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "a subscription token is required (Authorization: Bearer … or ?subscription=)",
        );
    };
    let subscription = match relay.key().open_subscription(&token, unix_seconds()) {
        Ok(subscription) => subscription,
        Err(error) => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                &format!("the subscription is not usable: {error}; subscribe again"),
            );
        }
    };
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned);
    let cursor = match last_event_id.or_else(|| query_value("cursor")) {
        None => 0,
        Some(text) => match text.parse::<i64>() {
            Ok(cursor) if cursor >= 0 => cursor,
            _ => return invalid_request("cursor must be a whole number of at least 0"),
        },
    };
    let pruned_through = match relay.store().pruned_through(&subscription.realm_id).await {
        Ok(seq) => seq,
        Err(error) => return internal(&error),
    };
    tracing::info!(realm_id = %subscription.realm_id, cursor, "an app opened an event stream");
    let keep_alive = relay.config().keep_alive;
    let state = StreamState {
        latest: relay.watch_realm(&subscription.realm_id),
        closing: relay.watch_closing(),
        relay,
        expires_in: std::time::Duration::from_secs(
            u64::try_from(subscription.exp.saturating_sub(unix_seconds())).unwrap_or(0),
        ),
        realm_id: subscription.realm_id,
        cursor,
        resync: cursor < pruned_through,
        pending: VecDeque::new(),
        started: Instant::now(),
    };
    let sse = Sse::new(change_stream(state)).keep_alive(KeepAlive::new().interval(keep_alive));
    // Proxies such as nginx must pass each event on at once.
    ([("x-accel-buffering", "no")], sse).into_response()
}

struct StreamState {
    relay: Relay,
    latest: watch::Receiver<i64>,
    closing: watch::Receiver<bool>,
    realm_id: String,
    cursor: i64,
    resync: bool,
    pending: VecDeque<StoredEvent>,
    started: Instant,
    expires_in: std::time::Duration,
}

fn change_stream(state: StreamState) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(state, |mut state| async move {
        if state.resync {
            state.resync = false;
            return Some((Ok(Event::default().event("resync").data("{}")), state));
        }
        loop {
            if *state.closing.borrow() {
                return None;
            }
            if let Some(event) = state.pending.pop_front() {
                let sse = Event::default()
                    .id(event.seq.to_string())
                    .event("change")
                    .data(event_data(&event).to_string());
                return Some((Ok(sse), state));
            }
            // Marked as seen before reading, so a store after the read
            // wakes the wait below.
            state.latest.mark_unchanged();
            match state
                .relay
                .store()
                .events_after(&state.realm_id, state.cursor, PAGE_SIZE)
                .await
            {
                Ok(events) if !events.is_empty() => {
                    if let Some(last) = events.last() {
                        state.cursor = last.seq;
                    }
                    state.pending.extend(events);
                    continue;
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(%error, "reading events for a stream failed; closing it");
                    return None;
                }
            }
            let remaining = state.expires_in.saturating_sub(state.started.elapsed());
            tokio::select! {
                changed = state.latest.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                }
                _ = state.closing.changed() => return None,
                () = tokio::time::sleep(remaining) => {
                    // The subscription expired: the app subscribes again.
                    return None;
                }
            }
        }
    })
}
