//! The per-company pacer: keeps a company's traffic inside Intuit's limits
//! (API.md §8: 500 requests a minute, 10 in flight, 40 batch requests a
//! minute) so that steady work never trips a 429, and makes the whole company
//! wait when a 429 arrives anyway.
//!
//! Intuit's limits as QBO applies them: requests and batches a minute are
//! counted when a request *arrives*, over a sliding window; the in-flight
//! count runs from arrival to answer. The pacer models each:
//!
//! - A request takes a slot when it starts and holds it while it runs. Its
//!   slot is freed one window after it arrived at QBO. The arrival lies
//!   between the moment it left and our finish; the pacer takes it as the
//!   finish, or as the moment it left plus an arrival allowance (a fiftieth
//!   of the window, 1.2 s of Intuit's minute, and at least 0.25 s) when that
//!   is earlier. A request has left when the HTTP stack took its body
//!   ([`PacerPermit::sent`]); one whose leaving was not seen (a request
//!   without a body) is dated from its start. A request therefore only has
//!   to reach QBO within the allowance of leaving for our window to cover
//!   QBO's, however long it waited for a connection before it left, while a
//!   slow answer (a big query, a batch of thirty writes) does not hold its
//!   slot for its whole duration past the window, which made a steady stream
//!   of requests fall behind the limit by one answer time a window. The
//!   floor is for windows scaled down in tests and benchmarks, where the
//!   time QBO (the emulator, on a busy machine) takes to read a request that
//!   reached it does not scale down with the window.
//! - In flight: from our start to our finish, which contains QBO's arrival to
//!   answer, so ours is never below QBO's.
//! - Every attempt is a request: a retry after a 401, a 429 or a transient
//!   failure takes a new slot, and a refused attempt keeps its own (QBO does
//!   not count refused requests, so this errs on the safe side).
//!
//! Waiting requests are served first come, first served within their class:
//! one waiter per class holds that class's gate and sleeps until its slot is
//! free, the others queue behind it in order. Single requests and batches have
//! separate gates so that a batch waiting for the batch budget does not hold
//! up single requests. Time comes from `tokio::time`, so tests run it paused.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// The least time a request is allowed to reach QBO after it starts.
const MIN_ARRIVAL_ALLOWANCE: Duration = Duration::from_millis(250);

/// The limits one company's traffic is kept under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacerConfig {
    /// Requests (batches included) started per window; 500 at Intuit.
    pub requests_per_window: u32,
    /// Batch requests started per window; 40 at Intuit (per realm and app).
    pub batches_per_window: u32,
    /// Requests in flight at once; 10 at Intuit.
    pub max_in_flight: u32,
    /// The window; a minute at Intuit.
    pub window: Duration,
}

impl PacerConfig {
    /// Intuit's published limits.
    pub const INTUIT: PacerConfig = PacerConfig {
        requests_per_window: 500,
        batches_per_window: 40,
        max_in_flight: 10,
        window: Duration::from_secs(60),
    };
}

impl Default for PacerConfig {
    fn default() -> Self {
        PacerConfig::INTUIT
    }
}

/// Which budget a request draws on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestClass {
    /// A single request: counts against the request budget.
    Single,
    /// A batch request: counts against both the request and the batch budget.
    Batch,
}

/// One budget: slots still running and the arrival times of the rest.
#[derive(Debug, Default)]
struct Budget {
    /// Requests started and not yet finished; each holds a slot.
    running: u32,
    /// When each finished request of the window is taken to have arrived at
    /// QBO, earliest first.
    finished: VecDeque<Instant>,
}

impl Budget {
    fn forget_older_than(&mut self, now: Instant, window: Duration) {
        while self
            .finished
            .front()
            .is_some_and(|arrived| now.saturating_duration_since(*arrived) >= window)
        {
            self.finished.pop_front();
        }
    }

    fn used(&self) -> usize {
        self.running as usize + self.finished.len()
    }

    /// When a slot frees up by time alone, if one will.
    fn next_expiry(&self, window: Duration) -> Option<Instant> {
        self.finished.front().map(|finished| *finished + window)
    }

    fn finish(&mut self, arrived: Instant) {
        self.running = self.running.saturating_sub(1);
        // Arrivals are estimated from starts and finishes, which interleave:
        // keep them sorted (the new one almost always goes last).
        let at = self.finished.partition_point(|other| *other <= arrived);
        self.finished.insert(at, arrived);
    }
}

#[derive(Debug, Default)]
struct PacerState {
    in_flight: u32,
    requests: Budget,
    batches: Budget,
    /// No request starts before this instant (set by a 429).
    paused_until: Option<Instant>,
}

/// What the first waiter must wait for.
#[derive(Debug, PartialEq, Eq)]
enum Wait {
    /// Nothing: it may start now.
    Nothing,
    /// A request to finish, or `until` to pass, whichever comes first.
    FinishOrUntil(Option<Instant>),
}

#[derive(Debug)]
struct Inner {
    config: PacerConfig,
    state: Mutex<PacerState>,
    /// Held by the one single request next in line; FIFO-fair.
    single_gate: tokio::sync::Mutex<()>,
    /// Held by the one batch request next in line; FIFO-fair.
    batch_gate: tokio::sync::Mutex<()>,
    /// Signalled whenever a request finishes.
    finished: Notify,
}

/// The pacer of one company. Cheap to clone; clones share the budget.
#[derive(Clone, Debug)]
pub struct Pacer {
    inner: Arc<Inner>,
}

impl Pacer {
    /// A pacer with the given limits. A zero limit is treated as one so that
    /// a misconfiguration slows work down instead of stopping it forever.
    pub fn new(config: PacerConfig) -> Pacer {
        let config = PacerConfig {
            requests_per_window: config.requests_per_window.max(1),
            batches_per_window: config.batches_per_window.max(1),
            max_in_flight: config.max_in_flight.max(1),
            window: config.window,
        };
        Pacer {
            inner: Arc::new(Inner {
                config,
                state: Mutex::new(PacerState::default()),
                single_gate: tokio::sync::Mutex::new(()),
                batch_gate: tokio::sync::Mutex::new(()),
                finished: Notify::new(),
            }),
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &PacerConfig {
        &self.inner.config
    }

    fn state(&self) -> MutexGuard<'_, PacerState> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until a request of `class` may start inside every limit, and
    /// takes its slot. The slot is held until the returned permit is dropped,
    /// which should happen when the answer has been read. Dropping this
    /// future while it waits takes nothing.
    pub async fn acquire(&self, class: RequestClass) -> PacerPermit {
        let gate = match class {
            RequestClass::Single => &self.inner.single_gate,
            RequestClass::Batch => &self.inner.batch_gate,
        };
        let _next_in_line = gate.lock().await;
        loop {
            // Registered before the state is read so that a request finishing
            // in between still wakes this waiter.
            let finished = self.inner.finished.notified();
            tokio::pin!(finished);
            finished.as_mut().enable();
            let wait = {
                let mut state = self.state();
                let now = Instant::now();
                let wait = self.wait_needed(&mut state, class, now);
                if wait == Wait::Nothing {
                    state.in_flight += 1;
                    state.requests.running += 1;
                    if class == RequestClass::Batch {
                        state.batches.running += 1;
                    }
                    return PacerPermit {
                        pacer: self.clone(),
                        class,
                        started: now,
                        sent: SentMark::default(),
                    };
                }
                wait
            };
            match wait {
                Wait::Nothing => {}
                Wait::FinishOrUntil(Some(deadline)) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => {}
                        () = &mut finished => {}
                    }
                }
                Wait::FinishOrUntil(None) => finished.await,
            }
        }
    }

    fn wait_needed(&self, state: &mut PacerState, class: RequestClass, now: Instant) -> Wait {
        let config = &self.inner.config;
        if let Some(until) = state.paused_until {
            if until > now {
                return Wait::FinishOrUntil(Some(until));
            }
            state.paused_until = None;
        }
        state.requests.forget_older_than(now, config.window);
        state.batches.forget_older_than(now, config.window);
        let mut blocked = false;
        let mut earliest: Option<Instant> = None;
        let mut consider = |budget: &Budget, limit: u32| {
            if budget.used() >= limit as usize {
                blocked = true;
                if let Some(expiry) = budget.next_expiry(config.window) {
                    earliest = Some(earliest.map_or(expiry, |current| current.min(expiry)));
                }
            }
        };
        consider(&state.requests, config.requests_per_window);
        if class == RequestClass::Batch {
            consider(&state.batches, config.batches_per_window);
        }
        if state.in_flight >= config.max_in_flight {
            blocked = true;
        }
        if blocked {
            // With several limits hit, waking at the earliest expiry (or the
            // next finish) and checking again is simpler than finding the
            // latest, and costs one extra wake-up at most.
            Wait::FinishOrUntil(earliest)
        } else {
            Wait::Nothing
        }
    }

    /// Makes the whole company wait `duration` from now before the next
    /// request starts (after a 429). A longer pause already in force stays.
    pub fn pause_for(&self, duration: Duration) {
        let until = Instant::now() + duration;
        let mut state = self.state();
        state.paused_until = Some(
            state
                .paused_until
                .map_or(until, |current| current.max(until)),
        );
        drop(state);
        // Nobody needs waking: a waiter sleeping towards an earlier instant
        // wakes, sees the pause and sleeps again.
    }

    /// When the current pause ends, if one is in force.
    pub fn paused_until(&self) -> Option<Instant> {
        self.state()
            .paused_until
            .filter(|until| *until > Instant::now())
    }

    /// Requests holding a permit now.
    pub fn in_flight(&self) -> u32 {
        self.state().in_flight
    }

    /// How long after it left (or, when that was not seen, after its start)
    /// a request is taken to have reached QBO at the latest, unless it
    /// finished sooner: a fiftieth of the window, but never under a quarter
    /// of a second (nor over the window).
    pub fn arrival_allowance(&self) -> Duration {
        let window = self.inner.config.window;
        (window / 50).max(MIN_ARRIVAL_ALLOWANCE).min(window)
    }

    fn finish(&self, class: RequestClass, started: Instant, sent: Option<Instant>) {
        let now = Instant::now();
        let arrived = now.min(sent.unwrap_or(started) + self.arrival_allowance());
        let mut state = self.state();
        state.in_flight = state.in_flight.saturating_sub(1);
        state.requests.finish(arrived);
        if class == RequestClass::Batch {
            state.batches.finish(arrived);
        }
        drop(state);
        // Both gate holders may be waiting; each rechecks the limits.
        self.inner.finished.notify_waiters();
    }
}

/// A started request's slot; dropping it marks the request finished.
#[derive(Debug)]
pub struct PacerPermit {
    pacer: Pacer,
    class: RequestClass,
    started: Instant,
    sent: SentMark,
}

impl PacerPermit {
    /// The mark to set when the request leaves: the transport hands it to
    /// the request's body, which sets it as the HTTP stack takes the body.
    pub fn sent(&self) -> SentMark {
        self.sent.clone()
    }
}

impl Drop for PacerPermit {
    fn drop(&mut self) {
        self.pacer
            .finish(self.class, self.started, self.sent.0.get().copied());
    }
}

/// When a request left: set once, by whoever sees it go (the transport's
/// request body), and read when its permit is dropped.
#[derive(Clone, Debug, Default)]
pub struct SentMark(Arc<OnceLock<Instant>>);

impl SentMark {
    /// Records now as the moment the request left; later calls keep the
    /// first.
    pub fn mark(&self) {
        let _ = self.0.set(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};

    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[derive(Debug, Clone, Copy)]
    struct Span {
        class: RequestClass,
        started: Instant,
    }

    /// The most starts within any half-open window `(t - window, t]`.
    fn busiest_window(mut starts: Vec<Instant>, window: Duration) -> usize {
        starts.sort();
        let mut best = 0;
        let mut first = 0;
        for (last, started) in starts.iter().enumerate() {
            while started.saturating_duration_since(starts[first]) >= window {
                first += 1;
            }
            best = best.max(last + 1 - first);
        }
        best
    }

    #[tokio::test(start_paused = true)]
    async fn two_thousand_concurrent_requests_stay_inside_every_limit() {
        let config = PacerConfig::INTUIT;
        let pacer = Pacer::new(config.clone());
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let spans = Arc::new(Mutex::new(Vec::new()));
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let began = Instant::now();
        let mut tasks = Vec::new();
        for index in 0..2_000 {
            let class = if index % 20 == 0 {
                RequestClass::Batch
            } else {
                RequestClass::Single
            };
            let work = Duration::from_millis(rng.random_range(10..1_000));
            let (pacer, running, peak, spans) = (
                pacer.clone(),
                Arc::clone(&running),
                Arc::clone(&peak),
                Arc::clone(&spans),
            );
            tasks.push(tokio::spawn(async move {
                let permit = pacer.acquire(class).await;
                let now_running = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now_running, Ordering::SeqCst);
                spans.lock().unwrap().push(Span {
                    class,
                    started: Instant::now(),
                });
                tokio::time::sleep(work).await;
                running.fetch_sub(1, Ordering::SeqCst);
                drop(permit);
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let elapsed = began.elapsed();
        let spans = spans.lock().unwrap().clone();
        assert_eq!(spans.len(), 2_000);
        assert!(peak.load(Ordering::SeqCst) <= config.max_in_flight as usize);
        assert_eq!(
            peak.load(Ordering::SeqCst),
            config.max_in_flight as usize,
            "the pacer should use the concurrency it is given"
        );
        let all: Vec<Instant> = spans.iter().map(|span| span.started).collect();
        let batches: Vec<Instant> = spans
            .iter()
            .filter(|span| span.class == RequestClass::Batch)
            .map(|span| span.started)
            .collect();
        // At 10 in flight and about half a second each, requests could start
        // at about 1,200 a minute: the request budget is what holds them back.
        assert_eq!(
            busiest_window(all, config.window),
            config.requests_per_window as usize
        );
        assert!(busiest_window(batches, config.window) <= config.batches_per_window as usize);
        // 2,000 requests at 500 a minute need a little over three windows
        // after the first; the pacer must not stall beyond that.
        assert!(
            elapsed >= Duration::from_secs(3 * 60) && elapsed < Duration::from_secs(5 * 60),
            "took {elapsed:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_request_budget_bites_and_frees_a_window_after_the_finish() {
        let pacer = Pacer::new(PacerConfig {
            requests_per_window: 5,
            batches_per_window: 2,
            max_in_flight: 100,
            window: Duration::from_secs(60),
        });
        let began = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..12 {
            let permit = pacer.acquire(RequestClass::Single).await;
            starts.push(began.elapsed());
            tokio::time::sleep(Duration::from_secs(1)).await;
            drop(permit);
        }
        // Five in the first window (0..4 s); the first slot frees at its
        // finish (1 s) plus a minute.
        assert_eq!(starts[4], Duration::from_secs(4));
        assert_eq!(starts[5], Duration::from_secs(61));
        assert_eq!(starts[10], Duration::from_secs(122));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_answer_frees_its_slot_a_window_after_its_arrival_allowance() {
        let pacer = Pacer::new(PacerConfig {
            requests_per_window: 1,
            batches_per_window: 1,
            max_in_flight: 10,
            window: Duration::from_secs(60),
        });
        let began = Instant::now();
        // Ten seconds of answer: QBO counted it when it arrived, within the
        // allowance (1.2 s) of its start, not when the answer was read.
        let slow = pacer.acquire(RequestClass::Single).await;
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(slow);
        drop(pacer.acquire(RequestClass::Single).await);
        assert_eq!(pacer.arrival_allowance(), Duration::from_millis(1_200));
        assert_eq!(began.elapsed(), Duration::from_millis(61_200));
        // A quick answer is counted from its finish, which comes sooner.
        let quick_start = Instant::now();
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(pacer.acquire(RequestClass::Single).await);
        assert_eq!(
            quick_start.elapsed(),
            Duration::from_secs(60),
            "the previous request finished at once"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_seen_leaving_is_dated_from_its_leaving() {
        let pacer = Pacer::new(PacerConfig {
            requests_per_window: 1,
            batches_per_window: 1,
            max_in_flight: 10,
            window: Duration::from_secs(60),
        });
        let began = Instant::now();
        // Written out 3 s after the pacer let it start (a new connection, a
        // busy runtime), answered 10 s later: it reached QBO within the
        // allowance (1.2 s) of leaving, so its slot frees at 64.2 s.
        let slow = pacer.acquire(RequestClass::Single).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        slow.sent().mark();
        // A second mark (the body polled again) keeps the first.
        tokio::time::sleep(Duration::from_secs(1)).await;
        slow.sent().mark();
        tokio::time::sleep(Duration::from_secs(9)).await;
        drop(slow);
        drop(pacer.acquire(RequestClass::Single).await);
        assert_eq!(began.elapsed(), Duration::from_millis(64_200));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_still_running_keeps_its_slot_past_the_window() {
        let pacer = Pacer::new(PacerConfig {
            requests_per_window: 1,
            batches_per_window: 1,
            max_in_flight: 10,
            window: Duration::from_secs(60),
        });
        let began = Instant::now();
        let held = pacer.acquire(RequestClass::Single).await;
        let next = {
            let pacer = pacer.clone();
            tokio::spawn(async move {
                drop(pacer.acquire(RequestClass::Single).await);
                Instant::now()
            })
        };
        tokio::time::sleep(Duration::from_secs(90)).await;
        assert!(!next.is_finished(), "a running request holds its slot");
        drop(held);
        // Its arrival (start + 1.2 s) is more than a window ago: free now.
        assert_eq!(next.await.unwrap(), began + Duration::from_secs(90));
    }

    #[tokio::test(start_paused = true)]
    async fn batches_have_their_own_budget() {
        let pacer = Pacer::new(PacerConfig {
            requests_per_window: 100,
            batches_per_window: 2,
            max_in_flight: 100,
            window: Duration::from_secs(60),
        });
        let began = Instant::now();
        drop(pacer.acquire(RequestClass::Batch).await);
        drop(pacer.acquire(RequestClass::Batch).await);
        // Single requests are not held up by the batch budget.
        drop(pacer.acquire(RequestClass::Single).await);
        assert_eq!(began.elapsed(), Duration::ZERO);
        drop(pacer.acquire(RequestClass::Batch).await);
        assert_eq!(began.elapsed(), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_waiting_for_its_budget_does_not_hold_up_single_requests() {
        let pacer = Pacer::new(PacerConfig {
            requests_per_window: 100,
            batches_per_window: 1,
            max_in_flight: 10,
            window: Duration::from_secs(60),
        });
        let began = Instant::now();
        drop(pacer.acquire(RequestClass::Batch).await);
        let waiting_batch = {
            let pacer = pacer.clone();
            tokio::spawn(async move {
                drop(pacer.acquire(RequestClass::Batch).await);
                Instant::now()
            })
        };
        tokio::task::yield_now().await;
        drop(pacer.acquire(RequestClass::Single).await);
        assert_eq!(began.elapsed(), Duration::ZERO);
        assert_eq!(
            waiting_batch.await.unwrap(),
            began + Duration::from_secs(60)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_of_both_classes_wake_when_a_request_finishes() {
        let pacer = Pacer::new(PacerConfig {
            max_in_flight: 1,
            ..PacerConfig::INTUIT
        });
        let held = pacer.acquire(RequestClass::Single).await;
        let waiters: Vec<_> = [RequestClass::Single, RequestClass::Batch]
            .into_iter()
            .map(|class| {
                let pacer = pacer.clone();
                tokio::spawn(async move {
                    let permit = pacer.acquire(class).await;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    drop(permit);
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_secs(3)).await;
        drop(held);
        for waiter in waiters {
            tokio::time::timeout(Duration::from_secs(10), waiter)
                .await
                .expect("both waiters get their turn")
                .unwrap();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn in_flight_limit_waits_for_a_finish() {
        let pacer = Pacer::new(PacerConfig {
            max_in_flight: 2,
            ..PacerConfig::INTUIT
        });
        let first = pacer.acquire(RequestClass::Single).await;
        let _second = pacer.acquire(RequestClass::Single).await;
        assert_eq!(pacer.in_flight(), 2);
        let third = {
            let pacer = pacer.clone();
            tokio::spawn(async move {
                let began = Instant::now();
                let permit = pacer.acquire(RequestClass::Single).await;
                (began.elapsed(), permit)
            })
        };
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!third.is_finished());
        drop(first);
        let (waited, _permit) = third.await.unwrap();
        assert_eq!(waited, Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_pauses_the_whole_company() {
        let pacer = Pacer::new(PacerConfig::INTUIT);
        let began = Instant::now();
        pacer.pause_for(Duration::from_secs(60));
        // A shorter pause does not shorten the one in force.
        pacer.pause_for(Duration::from_secs(5));
        assert_eq!(pacer.paused_until(), Some(began + Duration::from_secs(60)));
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move {
                    drop(pacer.acquire(RequestClass::Single).await);
                    Instant::now()
                })
            })
            .collect();
        for waiter in waiters {
            assert_eq!(waiter.await.unwrap(), began + Duration::from_secs(60));
        }
        assert_eq!(pacer.paused_until(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn an_abandoned_wait_takes_no_slot() {
        let pacer = Pacer::new(PacerConfig {
            max_in_flight: 1,
            ..PacerConfig::INTUIT
        });
        let held = pacer.acquire(RequestClass::Single).await;
        let gave_up =
            tokio::time::timeout(Duration::from_secs(1), pacer.acquire(RequestClass::Single)).await;
        assert!(gave_up.is_err());
        assert_eq!(pacer.in_flight(), 1);
        drop(held);
        assert_eq!(pacer.in_flight(), 0);
        drop(pacer.acquire(RequestClass::Single).await);
    }
}
