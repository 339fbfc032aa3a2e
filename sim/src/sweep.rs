//! `yard-sim sweep`: one scenario over a grid of fleet sizes and order
//! rates (and seeds), in parallel on every core, and the smallest fleet
//! that meets every expectation at each rate.
//!
//! Each grid point is an ordinary deterministic run of a variant of the
//! scenario: the same point and seed give the same report bytes whatever
//! the number of workers. The figures of a sweep ([`Sweep`]) hold no wall
//! clock, so `sweep.json` is byte-identical between two sweeps too.
//!
//! ```
//! use sim::sweep::{parse_fleet_range, parse_rate_range};
//! assert_eq!(parse_fleet_range("4..20:8").unwrap(), vec![4, 12, 20]);
//! assert_eq!(parse_rate_range("0.5..1.5:0.5").unwrap(), vec![0.5, 1.0, 1.5]);
//! ```

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::engine::{RunOptions, run};
use crate::report::{Verdict, sha256_hex};
use crate::scenario::{FleetGroup, Loaded, Scenario};

/// The most grid points (fleet sizes × rates × seeds) of one sweep.
pub const MAX_POINTS: usize = 10_000;

/// A range that cannot be read.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{text:?}: {message}")]
pub struct RangeError {
    /// As written.
    pub text: String,
    /// What is wrong.
    pub message: String,
}

/// Fleet sizes: `4..20` (every size), `4..20:2` (every second), or a list `4,8,12`.
pub fn parse_fleet_range(text: &str) -> Result<Vec<usize>, RangeError> {
    let bad = |message: String| RangeError { text: text.into(), message };
    let values = parse_range(text, |s| s.parse::<usize>().ok().map(|v| v as f64))?;
    let sizes: Vec<usize> = values.iter().map(|v| *v as usize).collect();
    if sizes.contains(&0) {
        return Err(bad("a fleet of 0; expected sizes from 1".into()));
    }
    if sizes.iter().any(|s| *s > crate::scenario::MAX_VEHICLES) {
        return Err(bad(format!("expected sizes up to {}", crate::scenario::MAX_VEHICLES)));
    }
    Ok(sizes)
}

/// Rate scales: `0.5..2.0:0.25`, `1.0` or a list `0.8,1,1.2`.
pub fn parse_rate_range(text: &str) -> Result<Vec<f64>, RangeError> {
    let values = parse_range(text, |s| s.parse::<f64>().ok())?;
    if let Some(v) = values.iter().find(|v| !(v.is_finite() && **v > 0.0 && **v <= 100.0)) {
        return Err(RangeError {
            text: text.into(),
            message: format!("found {v}; expected scales above 0, at most 100"),
        });
    }
    Ok(values)
}

/// `A..B[:STEP]` (inclusive, ascending) or `A,B,C`, each number read by `num`.
fn parse_range(text: &str, num: impl Fn(&str) -> Option<f64>) -> Result<Vec<f64>, RangeError> {
    let bad = |message: String| RangeError { text: text.into(), message };
    let number = |s: &str| num(s.trim()).ok_or_else(|| bad(format!("found {s:?}; expected a number")));
    let Some((from, rest)) = text.split_once("..") else {
        return text.split(',').map(number).collect();
    };
    let (to, step) = rest.split_once(':').map_or((rest, None), |(t, s)| (t, Some(s)));
    let (from, to) = (number(from)?, number(to)?);
    let step = step.map_or(Ok(1.0), number)?;
    if step.is_nan() || step <= 0.0 || to < from {
        return Err(bad("expected FROM..TO[:STEP] with FROM ≤ TO and STEP above 0".into()));
    }
    let n = ((to - from) / step + 1e-9).floor() as usize + 1;
    if n > MAX_POINTS {
        return Err(bad(format!("{n} values; expected at most {MAX_POINTS}")));
    }
    // Rounded to 1e-9 so that 0.5 + 3 × 0.25 prints as 1.25.
    Ok((0..n).map(|i| ((from + i as f64 * step) * 1e9).round() / 1e9).collect())
}

/// What to sweep.
#[derive(Clone, Debug)]
pub struct SweepSpec {
    /// Fleet sizes: the whole fleet's (groups keep their proportions), or
    /// one group's when `group` is set.
    pub fleet: Vec<usize>,
    /// Factors on every flow's `per_hour`.
    pub rates: Vec<f64>,
    /// Seeds per point: the scenario's seed, then seed + 1, ….
    pub seeds: u64,
    /// Vary only this fleet group (index into `[[fleet]]`).
    pub group: Option<usize>,
    /// Run the scenario's `[ci]` variant.
    pub ci: bool,
    /// Worker threads (0: one per core).
    pub jobs: usize,
    /// Show a progress bar.
    pub progress: bool,
}

/// One run of the grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Fleet size (the varied group's, or the whole fleet's).
    pub fleet: usize,
    /// Factor on the flows' rates.
    pub rate_scale: f64,
    /// Seed.
    pub seed: u64,
    /// Orders delivered.
    pub delivered: u64,
    /// Deliveries per hour.
    pub throughput_per_hour: f64,
    /// 95th percentile of order latency, s.
    pub p95_latency_s: Option<f64>,
    /// Mean share of the run the vehicles had a job.
    pub utilisation: f64,
    /// Deadlocks broken.
    pub deadlocks: u64,
    /// Footprint overlaps.
    pub collisions: u64,
    /// Orders lost.
    pub lost: u64,
    /// Whether every expectation held.
    pub passed: bool,
    /// The expectations, as checked at this point.
    pub expectations: Vec<ExpectationResult>,
    /// SHA-256 of the run's report.
    pub sha256: String,
    /// Why the run could not be made, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One expectation at one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExpectationResult {
    /// Which.
    pub name: String,
    /// The limit.
    pub limit: f64,
    /// The figure.
    pub value: f64,
    /// Met.
    pub pass: bool,
}

impl From<&Verdict> for ExpectationResult {
    fn from(v: &Verdict) -> Self {
        ExpectationResult { name: v.name.clone(), limit: v.limit, value: v.value, pass: v.pass }
    }
}

/// The tightest expectation at a recommended point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Margin {
    /// Which expectation.
    pub expectation: String,
    /// Its limit.
    pub limit: f64,
    /// The worst figure over the seeds.
    pub worst: f64,
    /// How far inside the limit, % of the limit.
    pub slack_pct: f64,
}

/// What a planner reads off one rate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The rate scale.
    pub rate_scale: f64,
    /// The smallest swept fleet that meets every expectation for every
    /// seed; `None` if none does.
    pub smallest_fleet: Option<usize>,
    /// The smallest larger fleet that fails again (too many vehicles for
    /// the aisles, or a seed's bad luck): the end of the safe range.
    pub fails_again_at: Option<usize>,
    /// Its tightest expectation.
    pub margin: Option<Margin>,
    /// The smallest fleet whose median throughput is within 5 % of the
    /// best: past it, more vehicles add little.
    pub saturates_at: Option<usize>,
}

/// A whole sweep's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// Scenario name.
    pub scenario: String,
    /// The scenario file.
    pub file: String,
    /// Which group was varied (`None`: the whole fleet, in proportion).
    pub group: Option<usize>,
    /// Fleet sizes.
    pub fleet: Vec<usize>,
    /// Rate scales.
    pub rates: Vec<f64>,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Every run, by rate, then fleet size, then seed.
    pub points: Vec<Point>,
    /// By rate.
    pub recommendations: Vec<Recommendation>,
}

/// Sets the fleet to `size`: one group's count, or the whole fleet's
/// shared out in proportion to the groups' counts (largest remainder;
/// each group keeps at least one vehicle while there are enough).
pub fn scale_fleet(groups: &mut [FleetGroup], size: usize, group: Option<usize>) -> Result<(), String> {
    if let Some(i) = group {
        let n = groups.len();
        let g = groups.get_mut(i).ok_or_else(|| format!("--group {i}: the scenario has {n} fleet groups"))?;
        g.count = size;
        return Ok(());
    }
    let total: usize = groups.iter().map(|g| g.count).sum();
    let live: Vec<usize> = (0..groups.len()).filter(|i| groups[*i].count > 0).collect();
    let floor_each = usize::from(size >= live.len());
    let mut counts: Vec<(usize, usize, f64)> = live
        .iter()
        .map(|&i| {
            let share = groups[i].count as f64 * size as f64 / total.max(1) as f64;
            (i, (share.floor() as usize).max(floor_each), share - share.floor())
        })
        .collect();
    let mut given: usize = counts.iter().map(|c| c.1).sum();
    counts.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    let mut k = 0;
    while given < size && !counts.is_empty() {
        let n = counts.len();
        counts[k % n].1 += 1;
        given += 1;
        k += 1;
    }
    // Too many when each group kept one: take back from the largest.
    while given > size {
        let Some(c) = counts.iter_mut().filter(|c| c.1 > floor_each).max_by_key(|c| c.1) else { break };
        c.1 -= 1;
        given -= 1;
    }
    for (i, n, _) in counts {
        groups[i].count = n;
    }
    Ok(())
}

/// The scenario at one grid point: its fleet, its flows' rates, its seed;
/// count expectations (`min_delivered`, `min_throughput_per_hour`) scale
/// with the rate, since fewer orders cannot all be more deliveries.
pub fn variant(
    sc: &Scenario,
    fleet: usize,
    rate: f64,
    seed: u64,
    group: Option<usize>,
) -> Result<Scenario, String> {
    let mut v = sc.clone();
    scale_fleet(&mut v.fleet, fleet, group)?;
    for f in &mut v.flows {
        f.per_hour *= rate;
    }
    v.seed = seed;
    for expect in std::iter::once(&mut v.expect).chain(v.ci.as_mut().map(|c| &mut c.expect)) {
        expect.min_delivered = expect.min_delivered.map(|d| (d as f64 * rate).floor() as u64);
        expect.min_throughput_per_hour = expect.min_throughput_per_hour.map(|t| t * rate);
    }
    v.name = format!("{} [fleet {fleet}, rate ×{rate}, seed {seed}]", sc.name);
    Ok(v)
}

/// One grid point's run.
fn run_point(loaded: &Loaded, spec: &SweepSpec, fleet: usize, rate: f64, seed: u64) -> Point {
    let failed = |error: String| Point {
        fleet,
        rate_scale: rate,
        seed,
        delivered: 0,
        throughput_per_hour: 0.0,
        p95_latency_s: None,
        utilisation: 0.0,
        deadlocks: 0,
        collisions: 0,
        lost: 0,
        passed: false,
        expectations: Vec::new(),
        sha256: String::new(),
        error: Some(error),
    };
    let scenario = match variant(&loaded.scenario, fleet, rate, seed, spec.group) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let point = Loaded { scenario, ..loaded.clone() };
    let options = RunOptions { keep_trace: false, ci: spec.ci, ..RunOptions::default() };
    let outcome = match run(&point, &options, |_, _| {}) {
        Ok(o) => o,
        Err(e) => return failed(format!("{e:#}")),
    };
    let m = &outcome.metrics;
    let report = serde_json::to_string_pretty(m).unwrap_or_default();
    let n = m.per_vehicle.len().max(1) as f64;
    Point {
        fleet,
        rate_scale: rate,
        seed,
        delivered: m.delivered,
        throughput_per_hour: round3(m.throughput_per_hour),
        p95_latency_s: m.latency_s.p95,
        utilisation: round3(m.per_vehicle.iter().map(|v| v.utilisation).sum::<f64>() / n),
        deadlocks: m.deadlocks,
        collisions: m.collisions,
        lost: m.lost,
        passed: m.passed(),
        expectations: m.expectations.iter().map(ExpectationResult::from).collect(),
        sha256: sha256_hex(report.as_bytes()),
        error: None,
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Runs the sweep: every (rate, fleet, seed) in parallel.
pub fn run_sweep(loaded: &Loaded, spec: &SweepSpec) -> anyhow::Result<Sweep> {
    let seeds: Vec<u64> = (0..spec.seeds.max(1)).map(|k| loaded.scenario.seed.wrapping_add(k)).collect();
    let mut grid: Vec<(f64, usize, u64)> = Vec::new();
    for &r in &spec.rates {
        for &f in &spec.fleet {
            grid.extend(seeds.iter().map(|&s| (r, f, s)));
        }
    }
    anyhow::ensure!(!grid.is_empty(), "an empty grid: expected at least one fleet size and one rate");
    anyhow::ensure!(grid.len() <= MAX_POINTS, "{} runs; expected at most {MAX_POINTS}", grid.len());
    if let Some(g) = spec.group {
        anyhow::ensure!(
            g < loaded.scenario.fleet.len(),
            "--group {g}: the scenario has {} fleet groups",
            loaded.scenario.fleet.len()
        );
    }
    let bar = if spec.progress { ProgressBar::new(grid.len() as u64) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("{prefix} {bar:30} {pos}/{len} runs, ETA {eta} {msg}")?);
    bar.set_prefix(loaded.scenario.name.clone());
    let jobs =
        if spec.jobs == 0 { std::thread::available_parallelism().map_or(1, usize::from) } else { spec.jobs };
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Point>>> = Mutex::new(vec![None; grid.len()]);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(grid.len()) {
            scope.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(rate, fleet, seed)) = grid.get(k) else { break };
                    let point = run_point(loaded, spec, fleet, rate, seed);
                    bar.set_message(format!("last: fleet {fleet}, ×{rate}: {} delivered", point.delivered));
                    bar.inc(1);
                    if let Ok(mut r) = results.lock() {
                        r[k] = Some(point);
                    }
                }
            });
        }
    });
    bar.finish_and_clear();
    let points: Vec<Point> = results
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a sweep worker panicked"))?
        .into_iter()
        .collect::<Option<_>>()
        .ok_or_else(|| anyhow::anyhow!("a sweep worker stopped before its run ended"))?;
    let recommendations = spec.rates.iter().map(|&r| recommend(&points, r, &spec.fleet)).collect();
    Ok(Sweep {
        scenario: loaded.scenario.name.clone(),
        file: loaded.path.display().to_string(),
        group: spec.group,
        fleet: spec.fleet.clone(),
        rates: spec.rates.clone(),
        seeds,
        points,
        recommendations,
    })
}

/// The points of one (rate, fleet).
pub fn at(points: &[Point], rate: f64, fleet: usize) -> impl Iterator<Item = &Point> {
    points.iter().filter(move |p| p.rate_scale == rate && p.fleet == fleet)
}

/// Minimum, median and maximum of a figure over the seeds of one (rate, fleet).
pub fn spread(
    points: &[Point],
    rate: f64,
    fleet: usize,
    figure: impl Fn(&Point) -> Option<f64>,
) -> Option<(f64, f64, f64)> {
    let mut v: Vec<f64> = at(points, rate, fleet).filter_map(figure).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let median = if v.len() % 2 == 1 { v[v.len() / 2] } else { (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0 };
    Some((v[0], median, v[v.len() - 1]))
}

fn recommend(points: &[Point], rate: f64, fleet: &[usize]) -> Recommendation {
    let mut sizes = fleet.to_vec();
    sizes.sort_unstable();
    sizes.dedup();
    let passes = |f: usize| at(points, rate, f).all(|p| p.passed);
    let smallest_fleet = sizes.iter().copied().find(|&f| passes(f));
    let fails_again_at = smallest_fleet.and_then(|s| sizes.iter().copied().find(|&f| f > s && !passes(f)));
    let margin = smallest_fleet.and_then(|f| tightest(at(points, rate, f)));
    let medians: Vec<(usize, f64)> = sizes
        .iter()
        .filter_map(|&f| spread(points, rate, f, |p| Some(p.throughput_per_hour)).map(|s| (f, s.1)))
        .collect();
    let best = medians.iter().map(|m| m.1).fold(0.0, f64::max);
    let saturates_at =
        (best > 0.0).then(|| medians.iter().find(|m| m.1 >= 0.95 * best).map(|m| m.0)).flatten();
    Recommendation { rate_scale: rate, smallest_fleet, fails_again_at, margin, saturates_at }
}

/// The expectation with the least slack over these points (limits of 0
/// have no relative slack and are left out).
fn tightest<'a>(points: impl Iterator<Item = &'a Point>) -> Option<Margin> {
    let mut worst: std::collections::BTreeMap<&str, (f64, f64, bool)> = Default::default();
    for p in points {
        for e in &p.expectations {
            let at_most = e.name.starts_with("max_") || e.name == "drain_s";
            let entry = worst.entry(e.name.as_str()).or_insert((e.limit, e.value, at_most));
            entry.1 = if at_most { entry.1.max(e.value) } else { entry.1.min(e.value) };
        }
    }
    worst
        .into_iter()
        .filter(|(_, (limit, _, _))| *limit != 0.0)
        .map(|(name, (limit, value, at_most))| {
            let slack = if at_most { limit - value } else { value - limit } / limit.abs() * 100.0;
            Margin {
                expectation: name.to_string(),
                limit,
                worst: value,
                slack_pct: (slack * 10.0).round() / 10.0,
            }
        })
        .min_by(|a, b| a.slack_pct.total_cmp(&b.slack_pct))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(count: usize) -> FleetGroup {
        let text = format!("count = {count}\nvehicle_type = \"t\"\n");
        toml::from_str(&text).unwrap()
    }

    #[test]
    fn ranges_read_as_planners_write_them() {
        assert_eq!(parse_fleet_range("4..20:2").unwrap().len(), 9);
        assert_eq!(parse_fleet_range("4..6").unwrap(), vec![4, 5, 6]);
        assert_eq!(parse_fleet_range("4,8, 12").unwrap(), vec![4, 8, 12]);
        assert_eq!(parse_rate_range("0.5..2.0:0.25").unwrap(), vec![0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]);
        for bad in ["0..4", "20..4", "4..20:0", "a..b", "4..20:x", "", "1..100000000"] {
            assert!(parse_fleet_range(bad).is_err(), "{bad:?} accepted");
        }
        for bad in ["0", "-1..1", "nan", "1..2:-0.5", "1e9"] {
            assert!(parse_rate_range(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_fleet_scales_in_proportion() {
        let mut g = vec![group(6), group(2)];
        scale_fleet(&mut g, 12, None).unwrap();
        assert_eq!((g[0].count, g[1].count), (9, 3));
        scale_fleet(&mut g, 2, None).unwrap();
        assert_eq!((g[0].count, g[1].count), (1, 1));
        scale_fleet(&mut g, 1, None).unwrap();
        assert_eq!(g[0].count + g[1].count, 1);
        let mut g = vec![group(6), group(2)];
        scale_fleet(&mut g, 4, Some(1)).unwrap();
        assert_eq!((g[0].count, g[1].count), (6, 4));
        assert!(scale_fleet(&mut g, 4, Some(5)).unwrap_err().contains("2 fleet groups"));
        for size in 1..40 {
            let mut g = vec![group(5), group(3), group(1)];
            scale_fleet(&mut g, size, None).unwrap();
            assert_eq!(g.iter().map(|g| g.count).sum::<usize>(), size, "size {size}");
        }
    }

    fn point(fleet: usize, passed: bool, tput: f64) -> Point {
        Point {
            fleet,
            rate_scale: 1.0,
            seed: 0,
            delivered: 0,
            throughput_per_hour: tput,
            p95_latency_s: None,
            utilisation: 0.0,
            deadlocks: 0,
            collisions: 0,
            lost: 0,
            passed,
            expectations: vec![ExpectationResult {
                name: "max_p95_latency_s".into(),
                limit: 400.0,
                value: if passed { 300.0 } else { 500.0 },
                pass: passed,
            }],
            sha256: String::new(),
            error: None,
        }
    }

    #[test]
    fn the_smallest_passing_fleet_and_where_larger_ones_fail_again() {
        let points = vec![
            point(2, false, 10.0),
            point(4, true, 20.0),
            point(6, false, 30.0),
            point(8, true, 31.0),
            point(10, true, 31.5),
        ];
        let r = recommend(&points, 1.0, &[2, 4, 6, 8, 10]);
        assert_eq!((r.smallest_fleet, r.fails_again_at), (Some(4), Some(6)));
        let m = r.margin.unwrap();
        assert_eq!((m.expectation.as_str(), m.worst, m.slack_pct), ("max_p95_latency_s", 300.0, 25.0));
        assert_eq!(r.saturates_at, Some(6));
        let none = recommend(&[point(2, false, 1.0)], 1.0, &[2]);
        assert_eq!((none.smallest_fleet, none.fails_again_at, none.margin), (None, None, None));
    }
}
