//! `serve`'s own figures: tick time and state latency in bounded
//! histograms (`hdrhistogram`), so that a process running for months keeps
//! a fixed amount of memory for them. A window is logged every
//! [`Figures::WINDOW`] ticks; the whole run's figures at exit.

use hdrhistogram::Histogram;

/// Tick times and state latencies, µs.
pub struct Figures {
    tick: Histogram<u64>,
    latency: Histogram<u64>,
    window_tick: Histogram<u64>,
    window_latency: Histogram<u64>,
    ticks: u64,
}

/// One histogram's summary, ms.
pub struct Summary {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 1 h, 3 significant digits: about 100 kB each, whatever the run's length.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("constant bounds: 1 ≤ low, high ≥ 2 low, 3 digits")
}

fn summary(h: &Histogram<u64>) -> Summary {
    let ms = |us: u64| us as f64 / 1000.0;
    Summary {
        count: h.len(),
        p50: ms(h.value_at_quantile(0.5)),
        p99: ms(h.value_at_quantile(0.99)),
        max: ms(h.max()),
    }
}

impl Figures {
    /// Ticks per logged window.
    pub const WINDOW: u64 = 300;

    /// Empty figures.
    pub fn new() -> Figures {
        Figures {
            tick: histogram(),
            latency: histogram(),
            window_tick: histogram(),
            window_latency: histogram(),
            ticks: 0,
        }
    }

    /// One tick took `ms`; returns the window's (tick, latency) summaries when one closes.
    pub fn tick(&mut self, ms: f64) -> Option<(Summary, Summary)> {
        let us = (ms * 1000.0).max(1.0) as u64;
        self.tick.saturating_record(us);
        self.window_tick.saturating_record(us);
        self.ticks += 1;
        if !self.ticks.is_multiple_of(Figures::WINDOW) {
            return None;
        }
        let window = (summary(&self.window_tick), summary(&self.window_latency));
        self.window_tick.reset();
        self.window_latency.reset();
        Some(window)
    }

    /// A state arrived `ms` after its header's timestamp (negative: clocks disagree; counted as 0).
    pub fn latency(&mut self, ms: f64) {
        let us = (ms * 1000.0).max(1.0) as u64;
        self.latency.saturating_record(us);
        self.window_latency.saturating_record(us);
    }

    /// Ticks run.
    pub fn ticks(&self) -> u64 {
        self.ticks
    }

    /// The whole run: (tick, latency).
    pub fn total(&self) -> (Summary, Summary) {
        (summary(&self.tick), summary(&self.latency))
    }
}
