//! Intuit's per-company request limits (API.md §8): 500 requests a minute,
//! 10 requests in flight and 40 batch requests a minute per realm.
//!
//! The limits are off by default so that tests which do not care about pacing
//! run at full speed; the control API switches them on at run time. The
//! window is a setting so that a benchmark can shorten "a minute" and still
//! measure a client's behaviour as a ratio to the limit.
//!
//! A refused request gets HTTP 429 with QBO's XML throttling fault (code 3001)
//! whatever format the client asked for, as QBO does. Refused requests do not
//! use up the budget: only requests that were served count.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use chrono::FixedOffset;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::counters::{api_realm, api_resource};
use crate::fault::Fault;

/// The limit settings, readable and replaceable at run time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Whether any limit is enforced.
    pub enabled: bool,
    /// Requests per window per realm (batches included), 500 at QBO.
    pub requests_per_window: u32,
    /// Batch requests per window per realm, 40 at QBO.
    pub batches_per_window: u32,
    /// Requests served at once per realm, 10 at QBO.
    pub max_in_flight: u32,
    /// The window length in milliseconds, 60 000 at QBO.
    pub window_ms: u64,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            enabled: false,
            requests_per_window: 500,
            batches_per_window: 40,
            max_in_flight: 10,
            window_ms: 60_000,
        }
    }
}

impl LimitSettings {
    /// Checks that the settings make sense.
    pub fn validate(&self) -> Result<(), String> {
        if self.window_ms == 0 {
            return Err("window_ms must be at least 1".to_owned());
        }
        if self.requests_per_window == 0 || self.batches_per_window == 0 || self.max_in_flight == 0
        {
            return Err(
                "requests_per_window, batches_per_window and max_in_flight must be at least 1"
                    .to_owned(),
            );
        }
        Ok(())
    }

    fn window(&self) -> Duration {
        Duration::from_millis(self.window_ms)
    }
}

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Throttle {
    /// Too many requests were running at once.
    Concurrency,
    /// The window's request budget was used up.
    Rate,
    /// The window's batch budget was used up.
    Batch,
}

#[derive(Debug, Default)]
struct RealmUsage {
    /// When each served request of the current window started, oldest first.
    requests: VecDeque<Instant>,
    /// The same for batch requests.
    batches: VecDeque<Instant>,
    in_flight: u32,
}

/// The limiter shared by the middleware and the control API.
#[derive(Debug)]
pub struct Limits {
    settings: Mutex<LimitSettings>,
    realms: Mutex<HashMap<String, RealmUsage>>,
    clock: Clock,
    offset: FixedOffset,
}

impl Limits {
    /// A limiter with the given settings; `clock` and the companies' UTC
    /// `offset` stamp the fault bodies.
    pub fn new(settings: LimitSettings, clock: Clock, offset: FixedOffset) -> Arc<Limits> {
        Arc::new(Limits {
            settings: Mutex::new(settings),
            realms: Mutex::new(HashMap::new()),
            clock,
            offset,
        })
    }

    fn realms(&self) -> MutexGuard<'_, HashMap<String, RealmUsage>> {
        self.realms.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current settings.
    pub fn settings(&self) -> LimitSettings {
        self.settings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the settings. Switching limits on starts with empty windows so
    /// that earlier unlimited traffic does not count against the new budget.
    pub fn configure(&self, settings: LimitSettings) -> Result<(), String> {
        settings.validate()?;
        let mut current = self.settings.lock().unwrap_or_else(PoisonError::into_inner);
        if settings.enabled && !current.enabled {
            for usage in self.realms().values_mut() {
                usage.requests.clear();
                usage.batches.clear();
            }
        }
        *current = settings;
        Ok(())
    }

    /// Switches the limits on or off, keeping the other settings.
    pub fn set_enabled(&self, enabled: bool) {
        let settings = LimitSettings {
            enabled,
            ..self.settings()
        };
        // The other settings were valid already, so this cannot fail.
        let _ = self.configure(settings);
    }

    /// Admits a request to `realm_id` or says why not. The permit counts the
    /// request as in flight until it is dropped. Returns `Ok(None)` when the
    /// limits are off.
    pub fn admit(
        self: &Arc<Self>,
        realm_id: &str,
        is_batch: bool,
    ) -> Result<Option<Permit>, Throttle> {
        let settings = self.settings();
        if !settings.enabled {
            return Ok(None);
        }
        let now = Instant::now();
        let window = settings.window();
        let mut realms = self.realms();
        let usage = realms.entry(realm_id.to_owned()).or_default();
        for log in [&mut usage.requests, &mut usage.batches] {
            while log
                .front()
                .is_some_and(|started| now.duration_since(*started) >= window)
            {
                log.pop_front();
            }
        }
        if usage.in_flight >= settings.max_in_flight {
            return Err(Throttle::Concurrency);
        }
        if usage.requests.len() >= settings.requests_per_window as usize {
            return Err(Throttle::Rate);
        }
        if is_batch && usage.batches.len() >= settings.batches_per_window as usize {
            return Err(Throttle::Batch);
        }
        usage.requests.push_back(now);
        if is_batch {
            usage.batches.push_back(now);
        }
        usage.in_flight += 1;
        Ok(Some(Permit {
            limits: Arc::clone(self),
            realm_id: realm_id.to_owned(),
        }))
    }

    /// Forgets all usage (the windows and nothing else).
    pub fn reset_usage(&self) {
        for usage in self.realms().values_mut() {
            usage.requests.clear();
            usage.batches.clear();
        }
    }

    fn release(&self, realm_id: &str) {
        if let Some(usage) = self.realms().get_mut(realm_id) {
            usage.in_flight = usage.in_flight.saturating_sub(1);
        }
    }

    /// The 429 answer, stamped with the emulated time.
    pub fn throttled_response(&self) -> Response {
        let now = self.clock.now().with_timezone(&self.offset);
        crate::faults::fault_response(&Fault::throttled(), false, now)
    }
}

/// A request admitted under the limits; dropping it ends its "in flight" time.
#[derive(Debug)]
pub struct Permit {
    limits: Arc<Limits>,
    realm_id: String,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limits.release(&self.realm_id);
    }
}

/// Whether an API path is a batch request.
pub fn is_batch_path(path: &str) -> bool {
    api_resource(path)
        .is_some_and(|resource| resource.trim_end_matches('/').eq_ignore_ascii_case("batch"))
}

/// The axum middleware: applies the limits to Accounting API calls, keyed by
/// the realm id in the path.
pub async fn enforce(State(limits): State<Arc<Limits>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let Some(realm_id) = api_realm(path) else {
        return next.run(request).await;
    };
    match limits.admit(realm_id, is_batch_path(path)) {
        Ok(permit) => {
            let response = next.run(request).await;
            drop(permit);
            response
        }
        Err(reason) => {
            tracing::debug!(realm_id, ?reason, "request throttled");
            limits.throttled_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(settings: LimitSettings) -> Arc<Limits> {
        Limits::new(settings, Clock::real(), FixedOffset::east_opt(0).unwrap())
    }

    #[test]
    fn off_by_default() {
        let limits = limiter(LimitSettings::default());
        for _ in 0..1000 {
            assert!(matches!(limits.admit("1", true), Ok(None)));
        }
    }

    #[test]
    fn counts_requests_batches_and_concurrency_per_realm() {
        let limits = limiter(LimitSettings {
            enabled: true,
            requests_per_window: 5,
            batches_per_window: 2,
            max_in_flight: 3,
            window_ms: 60_000,
        });
        let held: Vec<_> = (0..3).map(|_| limits.admit("1", false)).collect();
        assert!(held.iter().all(Result::is_ok));
        assert_eq!(limits.admit("1", false).err(), Some(Throttle::Concurrency));
        // Another realm has its own budget.
        assert!(limits.admit("2", false).is_ok());
        drop(held);
        assert!(limits.admit("1", true).is_ok());
        assert!(limits.admit("1", true).is_ok());
        assert_eq!(limits.admit("1", true).err(), Some(Throttle::Rate));
        limits.reset_usage();
        assert!(limits.admit("1", true).is_ok());
        assert!(limits.admit("1", true).is_ok());
        assert_eq!(limits.admit("1", true).err(), Some(Throttle::Batch));
        assert!(limits.admit("1", false).is_ok());
    }

    #[test]
    fn short_windows_expire() {
        let limits = limiter(LimitSettings {
            enabled: true,
            requests_per_window: 1,
            window_ms: 20,
            ..LimitSettings::default()
        });
        assert!(limits.admit("1", false).is_ok());
        assert_eq!(limits.admit("1", false).err(), Some(Throttle::Rate));
        std::thread::sleep(Duration::from_millis(30));
        assert!(limits.admit("1", false).is_ok());
    }

    #[test]
    fn recognises_batch_paths() {
        assert!(is_batch_path("/v3/company/42/batch"));
        assert!(!is_batch_path("/v3/company/42/bill"));
        assert!(!is_batch_path("/oauth2/v1/tokens/bearer"));
    }
}
