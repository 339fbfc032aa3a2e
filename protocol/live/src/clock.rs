//! The wall clock of the live processes, optionally sped up.
//!
//! The cores take time as an argument (milliseconds since the Unix epoch in
//! live operation); this is where the processes get it. With a speed-up
//! factor `s` and a common origin `O` (Unix ms), every process that shares
//! `O` and `s` reads the same time, `O + (unix_now − O) × s`, so that a
//! scenario can run ten times faster than real time across processes
//! (`yard-sim live --speed 10`). With `s = 1` it is the plain Unix time,
//! so message timestamps compare across machines.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A clock reading Unix milliseconds, sped up by `scale` from `origin`.
#[derive(Clone, Copy, Debug)]
pub struct WallClock {
    origin_ms: u64,
    created_unix_ms: u64,
    created: Instant,
    scale: f64,
}

impl WallClock {
    /// A clock running `scale` times faster than real time from `origin_ms`
    /// (Unix ms; default: now). A scale that is not a positive number is 1.
    #[expect(clippy::disallowed_methods, reason = "this is the live processes' clock adapter")]
    pub fn new(scale: f64, origin_ms: Option<u64>) -> WallClock {
        let created_unix_ms =
            SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        WallClock {
            origin_ms: origin_ms.unwrap_or(created_unix_ms),
            created_unix_ms,
            created: Instant::now(),
            scale: if scale.is_finite() && scale > 0.0 { scale } else { 1.0 },
        }
    }

    /// Real time, not sped up.
    pub fn real_time() -> WallClock {
        WallClock::new(1.0, None)
    }

    /// The speed-up factor.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The origin (Unix ms).
    pub fn origin_ms(&self) -> u64 {
        self.origin_ms
    }

    /// Now, in (sped-up) Unix milliseconds.
    pub fn now_ms(&self) -> u64 {
        let real = self.created_unix_ms as f64 + self.created.elapsed().as_secs_f64() * 1000.0;
        let since = real - self.origin_ms as f64;
        (self.origin_ms as f64 + since * self.scale).max(0.0) as u64
    }

    /// Milliseconds since the origin, on this clock.
    pub fn since_origin_ms(&self) -> u64 {
        self.now_ms().saturating_sub(self.origin_ms)
    }

    /// The real duration of `ms` on this clock.
    pub fn real(&self, ms: u64) -> Duration {
        Duration::from_secs_f64(ms as f64 / 1000.0 / self.scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sped_up_clock_runs_faster_from_its_origin() {
        let real = WallClock::real_time();
        let fast = WallClock::new(50.0, Some(real.now_ms()));
        std::thread::sleep(Duration::from_millis(40));
        let r = real.since_origin_ms();
        let f = fast.since_origin_ms();
        assert!(r >= 40, "real {r}");
        assert!(f >= 40 * 50 && f < (r + 40) * 50, "fast {f} real {r}");
        assert_eq!(fast.real(1000), Duration::from_millis(20));
        assert_eq!(WallClock::new(-1.0, None).scale(), 1.0);
    }
}
