//! Per-client rate limits on `/connect` and `/oauth`: a generic cell rate
//! algorithm (a token bucket kept as one instant per client), so a client
//! may burst up to the whole minute's allowance and then gets one request
//! per interval.
//!
//! A client is its IP address (the peer, or the rightmost
//! `X-Forwarded-For` entry behind a trusted proxy) plus the app instance it
//! names in `X-Ledgerlink-Instance`, so accountants behind one office
//! address do not share a budget.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::server::Relay;

/// The header an app instance names itself with.
pub const INSTANCE_HEADER: &str = "x-ledgerlink-instance";

/// Clients remembered before idle ones are forgotten.
const PRUNE_ABOVE: usize = 10_000;

/// The limiter.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    tolerance: Duration,
    clients: Mutex<HashMap<String, Instant>>,
}

impl RateLimiter {
    /// Allows `per_minute` requests a minute per client, all at once if need be.
    pub fn new(per_minute: u32) -> RateLimiter {
        let per_minute = per_minute.max(1);
        let interval = Duration::from_secs(60) / per_minute;
        RateLimiter {
            interval,
            tolerance: interval * (per_minute - 1),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `client` at `now`; `Err` holds how long to wait.
    pub fn check(&self, client: &str, now: Instant) -> Result<(), Duration> {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        let theoretical_arrival = clients.get(client).copied().unwrap_or(now).max(now);
        if let Some(allowed_at) = theoretical_arrival.checked_sub(self.tolerance)
            && now < allowed_at
        {
            return Err(allowed_at - now);
        }
        clients.insert(client.to_owned(), theoretical_arrival + self.interval);
        if clients.len() > PRUNE_ABOVE {
            clients.retain(|_, arrival| *arrival > now);
        }
        Ok(())
    }
}

/// The client key of a request.
pub fn client_key(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trust_forwarded_for: bool,
) -> String {
    let forwarded = trust_forwarded_for
        .then(|| {
            headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .map(str::trim)
                .rfind(|entry| !entry.is_empty())
                .map(str::to_owned)
        })
        .flatten();
    let address = forwarded
        .or_else(|| peer.map(|peer| peer.ip().to_string()))
        .unwrap_or_else(|| "unknown".to_owned());
    let instance = headers
        .get(INSTANCE_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.chars().take(64).collect::<String>())
        .unwrap_or_default();
    format!("{address}|{instance}")
}

/// Middleware: refuses a client over its budget with 429 `slow_down`.
pub async fn limit(State(relay): State<Relay>, request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let key = client_key(request.headers(), peer, relay.config().trust_forwarded_for);
    match relay.limiter().check(&key, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            tracing::info!(path = %request.uri().path(), wait_s = seconds, "rate limited a client");
            let mut response = crate::error::oauth_error(
                StatusCode::TOO_MANY_REQUESTS,
                "slow_down",
                &format!("too many requests from this client; try again in {seconds} s"),
            )
            .into_response();
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_paces() {
        let limiter = RateLimiter::new(3);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("a", start).is_ok());
        }
        let wait = limiter.check("a", start).unwrap_err();
        assert_eq!(wait, Duration::from_secs(20));
        // Another client has its own budget.
        assert!(limiter.check("b", start).is_ok());
        assert!(limiter.check("a", start + Duration::from_secs(20)).is_ok());
        assert!(limiter.check("a", start + Duration::from_secs(20)).is_err());
    }

    #[test]
    fn keys_combine_address_and_instance() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("10.0.0.1, 203.0.113.9"),
        );
        headers.insert(INSTANCE_HEADER, HeaderValue::from_static("app-1"));
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(client_key(&headers, Some(peer), true), "203.0.113.9|app-1");
        assert_eq!(client_key(&headers, Some(peer), false), "127.0.0.1|app-1");
    }
}
