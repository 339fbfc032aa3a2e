//! Time as the cores see it: [`Millis`], a point in time in whole
//! milliseconds, injected by the wrapper (Unix-epoch milliseconds in live
//! operation — the live processes' clock adapter reads the wall clock —
//! and the simulator's virtual clock from 0 otherwise). Durations are plain
//! `u64` milliseconds (`*_ms` fields); an instant minus an instant is one.
//!
//! ```
//! use protocol::instant::Millis;
//! let t = Millis(1_000) + 250;
//! assert_eq!(t, Millis(1_250));
//! assert_eq!(t - Millis(1_000), 250);
//! assert_eq!(Millis(5).saturating_sub(Millis(9)), 0);
//! assert_eq!(serde_json::to_string(&t).unwrap(), "1250");
//! assert_eq!(format!("T4-pick-{t}"), "T4-pick-1250");
//! ```

use std::ops::{Add, AddAssign, Sub};

use serde::{Deserialize, Serialize};

/// A point in time, ms (Unix epoch in live operation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = u64))]
#[serde(transparent)]
pub struct Millis(pub u64);

impl Millis {
    /// The epoch (the simulator's start).
    pub const ZERO: Millis = Millis(0);

    /// Milliseconds since the epoch.
    pub fn as_ms(self) -> u64 {
        self.0
    }

    /// How long after `earlier` this is, ms (0 if it is not after it).
    pub fn saturating_sub(self, earlier: Millis) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The later of two instants.
    pub fn max(self, other: Millis) -> Millis {
        Millis(self.0.max(other.0))
    }

    /// Whether `ms` is a whole multiple of `period` ms (a tick boundary).
    pub fn is_multiple_of(self, period: u64) -> bool {
        period != 0 && self.0.is_multiple_of(period)
    }
}

/// Whole milliseconds since the epoch.
impl From<u64> for Millis {
    fn from(ms: u64) -> Millis {
        Millis(ms)
    }
}

impl Add<u64> for Millis {
    type Output = Millis;
    fn add(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }
}

impl AddAssign<u64> for Millis {
    fn add_assign(&mut self, ms: u64) {
        self.0 = self.0.saturating_add(ms);
    }
}

impl Sub<u64> for Millis {
    type Output = Millis;
    fn sub(self, ms: u64) -> Millis {
        Millis(self.0.saturating_sub(ms))
    }
}

/// The time between two instants, ms (0 if `earlier` is later).
impl Sub<Millis> for Millis {
    type Output = u64;
    fn sub(self, earlier: Millis) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// The bare number of milliseconds, as ids made from a time carry it
/// (`T4-pick-12000`).
impl std::fmt::Display for Millis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
