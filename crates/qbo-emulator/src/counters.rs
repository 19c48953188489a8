//! Request counters: how many requests each endpoint served, how many were
//! throttled, and how many ran at once.
//!
//! Benchmarks and pacing tests read these to report a client's behaviour as a
//! ratio to Intuit's limits (for example "peak 9 in flight of the 10 allowed"),
//! so the counts are kept per company (realm) as well as in total.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

/// The counts of one endpoint, one realm, or everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EndpointCounts {
    /// Requests received.
    pub requests: u64,
    /// Responses sent with HTTP 429.
    pub throttled: u64,
    /// Requests being served right now.
    pub in_flight: u64,
    /// The most requests served at once since the last reset.
    pub peak_in_flight: u64,
    /// Responses by HTTP status code.
    pub statuses: BTreeMap<u16, u64>,
}

/// The counts of one company.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RealmCounts {
    /// Everything sent to this realm.
    pub total: EndpointCounts,
    /// Per endpoint, keyed like "POST invoice" or "GET invoice/{id}".
    pub endpoints: BTreeMap<String, EndpointCounts>,
}

/// A copy of all counters at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CountersSnapshot {
    /// Every counted request.
    pub total: EndpointCounts,
    /// Per endpoint over all realms (OAuth endpoints appear here by path).
    pub endpoints: BTreeMap<String, EndpointCounts>,
    /// Per realm id.
    pub realms: BTreeMap<String, RealmCounts>,
}

/// The live counters, shared by the middleware and the control API.
#[derive(Debug, Default)]
pub struct Counters {
    book: Mutex<CountersSnapshot>,
}

/// Where one request is counted: its realm (if it is an API call) and its endpoint key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestKey {
    /// The realm id from `/v3/company/{realmId}/…`.
    pub realm: Option<String>,
    /// A stable endpoint name, ids replaced by `{id}`.
    pub endpoint: String,
}

impl EndpointCounts {
    fn begin(&mut self) {
        self.requests += 1;
        self.in_flight += 1;
        self.peak_in_flight = self.peak_in_flight.max(self.in_flight);
    }

    fn finish(&mut self, status: Option<StatusCode>) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if let Some(status) = status {
            *self.statuses.entry(status.as_u16()).or_insert(0) += 1;
            if status == StatusCode::TOO_MANY_REQUESTS {
                self.throttled += 1;
            }
        }
    }

    /// Zeroes everything except what is running now.
    fn reset(&mut self) {
        *self = EndpointCounts {
            in_flight: self.in_flight,
            peak_in_flight: self.in_flight,
            ..EndpointCounts::default()
        };
    }
}

impl Counters {
    /// Empty counters.
    pub fn new() -> Arc<Counters> {
        Arc::new(Counters::default())
    }

    fn lock(&self) -> MutexGuard<'_, CountersSnapshot> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of every counter.
    pub fn snapshot(&self) -> CountersSnapshot {
        self.lock().clone()
    }

    /// The counters of one realm (empty if it saw no request).
    pub fn realm(&self, realm_id: &str) -> RealmCounts {
        self.lock()
            .realms
            .get(realm_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Starts counting afresh. Requests still running keep their in-flight
    /// count so that it cannot go negative when they finish.
    pub fn reset(&self) {
        let mut book = self.lock();
        book.total.reset();
        for counts in book.endpoints.values_mut() {
            counts.reset();
        }
        book.endpoints.retain(|_, counts| counts.in_flight > 0);
        for realm in book.realms.values_mut() {
            realm.total.reset();
            for counts in realm.endpoints.values_mut() {
                counts.reset();
            }
            realm.endpoints.retain(|_, counts| counts.in_flight > 0);
        }
        book.realms.retain(|_, realm| realm.total.in_flight > 0);
    }

    /// Counts the start of a request; the returned guard counts its end.
    pub fn begin(self: &Arc<Self>, key: RequestKey) -> InFlight {
        {
            let mut book = self.lock();
            book.total.begin();
            book.endpoints
                .entry(key.endpoint.clone())
                .or_default()
                .begin();
            if let Some(realm_id) = &key.realm {
                let realm = book.realms.entry(realm_id.clone()).or_default();
                realm.total.begin();
                realm
                    .endpoints
                    .entry(key.endpoint.clone())
                    .or_default()
                    .begin();
            }
        }
        InFlight {
            counters: Arc::clone(self),
            key,
            status: None,
        }
    }

    fn finish(&self, key: &RequestKey, status: Option<StatusCode>) {
        let mut book = self.lock();
        book.total.finish(status);
        if let Some(counts) = book.endpoints.get_mut(&key.endpoint) {
            counts.finish(status);
        }
        if let Some(realm) = key.realm.as_ref().and_then(|id| book.realms.get_mut(id)) {
            realm.total.finish(status);
            if let Some(counts) = realm.endpoints.get_mut(&key.endpoint) {
                counts.finish(status);
            }
        }
    }
}

/// One request being served; dropping it ends the count (with no status if
/// the client went away before the answer was ready).
#[derive(Debug)]
pub struct InFlight {
    counters: Arc<Counters>,
    key: RequestKey,
    status: Option<StatusCode>,
}

impl InFlight {
    /// Records the status the request was answered with.
    pub fn answered(mut self, status: StatusCode) {
        self.status = Some(status);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.counters.finish(&self.key, self.status);
    }
}

/// The realm id of an Accounting API path (`/v3/company/{realmId}/…`).
pub fn api_realm(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v3/company/")?;
    let realm = rest.split('/').next()?;
    (!realm.is_empty()).then_some(realm)
}

/// The path of an Accounting API call below its realm, e.g. `invoice/12`.
pub fn api_resource(path: &str) -> Option<&str> {
    let realm = api_realm(path)?;
    let rest = path.strip_prefix("/v3/company/")?.strip_prefix(realm)?;
    Some(rest.trim_start_matches('/'))
}

/// Names the endpoint of a request: `"GET invoice/{id}"`, `"POST invoice?operation=delete"`,
/// `"POST /oauth2/v1/tokens/bearer"`. Numeric path segments become `{id}` so
/// that all reads of one type share a counter.
pub fn request_key(method: &Method, uri: &Uri) -> RequestKey {
    let path = uri.path();
    let realm = api_realm(path).map(str::to_owned);
    let resource = match api_resource(path) {
        Some(resource) => resource
            .split('/')
            .enumerate()
            .map(|(index, segment)| {
                if !segment.is_empty() && segment.bytes().all(|byte| byte.is_ascii_digit()) {
                    "{id}".to_owned()
                } else if index == 0 {
                    segment.to_ascii_lowercase()
                } else {
                    segment.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("/"),
        None => path.to_owned(),
    };
    let mut endpoint = format!("{method} {resource}");
    if realm.is_some() {
        let mut separator = '?';
        for (name, value) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
            if name == "operation" || name == "include" {
                endpoint.push(separator);
                endpoint.push_str(&format!("{name}={value}"));
                separator = '&';
            }
        }
    }
    RequestKey { realm, endpoint }
}

/// The axum middleware: counts every request except the emulator's own
/// control and web pages.
pub async fn count(
    State(counters): State<Arc<Counters>>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path().starts_with("/_emulator") {
        return next.run(request).await;
    }
    let in_flight = counters.begin(request_key(request.method(), request.uri()));
    let response = next.run(request).await;
    in_flight.answered(response.status());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(method: Method, uri: &str) -> RequestKey {
        request_key(&method, &uri.parse::<Uri>().unwrap())
    }

    #[test]
    fn endpoint_keys_hide_ids_and_keep_operations() {
        let read = key(Method::GET, "/v3/company/9130/invoice/145?minorversion=75");
        assert_eq!(read.realm.as_deref(), Some("9130"));
        assert_eq!(read.endpoint, "GET invoice/{id}");
        let delete = key(
            Method::POST,
            "/v3/company/9130/Invoice?operation=delete&requestid=abc",
        );
        assert_eq!(delete.endpoint, "POST invoice?operation=delete");
        let token = key(Method::POST, "/oauth2/v1/tokens/bearer");
        assert_eq!(token.realm, None);
        assert_eq!(token.endpoint, "POST /oauth2/v1/tokens/bearer");
    }

    #[test]
    fn peaks_and_resets() {
        let counters = Counters::new();
        let first = counters.begin(key(Method::GET, "/v3/company/1/query"));
        let second = counters.begin(key(Method::GET, "/v3/company/1/query"));
        first.answered(StatusCode::OK);
        second.answered(StatusCode::TOO_MANY_REQUESTS);
        let realm = counters.realm("1");
        assert_eq!(realm.total.requests, 2);
        assert_eq!(realm.total.peak_in_flight, 2);
        assert_eq!(realm.total.throttled, 1);
        assert_eq!(realm.endpoints["GET query"].statuses[&200], 1);

        let running = counters.begin(key(Method::GET, "/v3/company/1/query"));
        counters.reset();
        assert_eq!(counters.snapshot().total.requests, 0);
        assert_eq!(counters.snapshot().total.in_flight, 1);
        drop(running);
        let after = counters.snapshot();
        assert_eq!(after.total.in_flight, 0);
        assert_eq!(after.total.peak_in_flight, 1);
    }
}
