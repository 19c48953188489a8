//! The emulator's notion of "now".
//!
//! Token expiry, MetaData times, the CDC look-back window and the webhook retry
//! ladder all read this clock, so a test can jump ahead 31 days or 101 days by
//! calling [`Clock::advance`] instead of waiting.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// A clock that is either the real clock shifted by an offset, or a fixed
/// instant that only moves when told to. Clones share the same time.
#[derive(Clone, Debug)]
pub struct Clock {
    state: Arc<Mutex<ClockState>>,
}

#[derive(Debug)]
enum ClockState {
    Real { offset: Duration },
    Fixed { now: DateTime<Utc> },
}

impl Default for Clock {
    fn default() -> Self {
        Self::real()
    }
}

impl Clock {
    /// The wall clock, with no offset yet.
    pub fn real() -> Self {
        Self::with_state(ClockState::Real {
            offset: Duration::zero(),
        })
    }

    /// A clock frozen at `now`; it moves only through [`Clock::advance`].
    pub fn fixed(now: DateTime<Utc>) -> Self {
        Self::with_state(ClockState::Fixed { now })
    }

    fn with_state(state: ClockState) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// The current emulated time.
    pub fn now(&self) -> DateTime<Utc> {
        match &*self.state.lock().unwrap_or_else(PoisonError::into_inner) {
            ClockState::Real { offset } => Utc::now() + *offset,
            ClockState::Fixed { now } => *now,
        }
    }

    /// Moves the emulated time forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        match &mut *self.state.lock().unwrap_or_else(PoisonError::into_inner) {
            ClockState::Real { offset } => *offset += by,
            ClockState::Fixed { now } => *now += by,
        }
    }
}
