//! `yard-sim bench soak`: the core that `yardmaster serve` runs, under a
//! steady order stream for simulated days, to show that it can run for
//! months: the tick time and the memory of the last day are those of the
//! first. One JSON line per simulated day, then a summary line.
//!
//! Each day's tick times go into a bounded histogram (`hdrhistogram`);
//! memory is the resident set (`VmRSS`) at the end of each day. The pass
//! rule: the last day's p99 tick time and RSS within 10 % of the first
//! day's (RSS of the first day taken at its end, once the fleet and its
//! distance tables are warm).

use std::path::PathBuf;

use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use orchestrator::fleet::FleetConfig;
use serde::Serialize;

use crate::bench_cmd::file_name;
use crate::tick_bench::ScriptedFleet;

/// Simulated ticks (of 1 s) per day.
pub const TICKS_PER_DAY: u64 = 86_400;

/// Options of a soak run.
#[derive(Clone, Debug)]
pub struct SoakRun {
    /// The `.map` file.
    pub map: PathBuf,
    /// Fleet size.
    pub vehicles: usize,
    /// Simulated days.
    pub days: u64,
    /// Seed of the starts and the order stream.
    pub seed: u64,
    /// Show a progress bar.
    pub progress: bool,
    /// Ticks per "day" ([`TICKS_PER_DAY`]; tests use short days).
    pub day_ticks: u64,
}

/// One simulated day.
#[derive(Clone, Debug, Serialize)]
pub struct SoakDay {
    /// Day number, from 1.
    pub day: u64,
    /// Orders submitted that day.
    pub submitted: u64,
    /// Orders delivered that day.
    pub delivered: u64,
    /// Orders delivered since the start.
    pub delivered_total: u64,
    /// Tick time, ms: median, 99th percentile, largest.
    pub tick_p50_ms: f64,
    /// 99th percentile.
    pub tick_p99_ms: f64,
    /// Largest.
    pub tick_max_ms: f64,
    /// Resident memory at the day's end, MB.
    pub rss_mb: Option<f64>,
    /// Orders in the core's live book at the day's end.
    pub live_orders: usize,
    /// Deadlocks found that day.
    pub deadlocks: u64,
}

/// The summary.
#[derive(Clone, Debug, Serialize)]
pub struct SoakSummary {
    /// Map file name.
    pub map: String,
    /// Fleet size.
    pub vehicles: usize,
    /// Days run.
    pub days: u64,
    /// Orders delivered in all.
    pub delivered: u64,
    /// Last day's p99 tick time over the first day's.
    pub tick_p99_ratio: f64,
    /// Last day's RSS over the first day's.
    pub rss_ratio: Option<f64>,
    /// Both ratios at most 1.10.
    pub pass: bool,
}

fn current_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Runs the soak; `on_day` gets each day as it ends.
pub fn run_soak(
    run: &SoakRun,
    mut on_day: impl FnMut(&SoakDay),
) -> anyhow::Result<(Vec<SoakDay>, SoakSummary)> {
    anyhow::ensure!(run.days >= 1, "--days must be at least 1");
    let config = FleetConfig { park_after_ms: None, ..FleetConfig::grid() };
    let mut fleet = ScriptedFleet::new(&run.map, run.vehicles, run.seed, config)?;
    let total = run.days * run.day_ticks;
    let bar = if run.progress { ProgressBar::new(total) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("{bar:40} day {msg} {pos}/{len} ticks")?);
    let mut days = Vec::new();
    let mut delivered_total = 0;
    for day in 1..=run.days {
        let mut ticks = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
        let (mut submitted, mut delivered, mut deadlocks) = (0, 0, 0);
        for i in 0..run.day_ticks {
            let now = ((day - 1) * run.day_ticks + i) * 1000;
            let t = fleet.tick(now)?;
            ticks.saturating_record((t.step_ms * 1000.0).max(1.0) as u64);
            submitted += t.submitted;
            delivered += t.delivered;
            deadlocks += t.deadlocks;
            if i % 1000 == 0 {
                bar.set_position((day - 1) * run.day_ticks + i);
                bar.set_message(format!("{day}, {} delivered", delivered_total + delivered));
            }
        }
        delivered_total += delivered;
        let ms = |us: u64| us as f64 / 1000.0;
        let figures = SoakDay {
            day,
            submitted,
            delivered,
            delivered_total,
            tick_p50_ms: ms(ticks.value_at_quantile(0.5)),
            tick_p99_ms: ms(ticks.value_at_quantile(0.99)),
            tick_max_ms: ms(ticks.max()),
            rss_mb: current_rss_mb(),
            live_orders: fleet.core.live_orders(),
            deadlocks,
        };
        on_day(&figures);
        days.push(figures);
    }
    bar.finish_and_clear();
    let (first, last) = (&days[0], &days[days.len() - 1]);
    let tick_p99_ratio = last.tick_p99_ms / first.tick_p99_ms.max(1e-9);
    let rss_ratio = first.rss_mb.zip(last.rss_mb).map(|(a, b)| b / a.max(1e-9));
    let summary = SoakSummary {
        map: file_name(&run.map),
        vehicles: run.vehicles,
        days: run.days,
        delivered: delivered_total,
        tick_p99_ratio,
        rss_ratio,
        pass: tick_p99_ratio <= 1.10 && rss_ratio.is_none_or(|r| r <= 1.10),
    };
    Ok((days, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_days_report_each_day_and_the_live_book_stays_small() {
        let map = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../maps/grid-warehouse.map");
        let run = SoakRun { map, vehicles: 12, days: 3, seed: 2, progress: false, day_ticks: 600 };
        let mut seen = 0;
        let (days, summary) = run_soak(&run, |_| seen += 1).unwrap();
        assert_eq!((seen, days.len()), (3, 3));
        assert!(days.iter().all(|d| d.delivered > 0), "{days:?}");
        assert!(days.iter().all(|d| d.live_orders <= 12), "about one order per vehicle is live: {days:?}");
        assert_eq!(summary.delivered, days.iter().map(|d| d.delivered).sum::<u64>());
        assert!(summary.tick_p99_ratio > 0.0);
    }
}
