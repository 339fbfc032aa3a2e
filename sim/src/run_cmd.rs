//! `yard-sim run`: run scenario files, check their expectations, write
//! the report, the replay page and the trace.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::{Outcome, RunOptions, run};
use crate::report::sha256_hex;
use crate::scenario;
use crate::variants::Override;

/// One scenario's result.
pub struct RunResult {
    /// The outcome.
    pub outcome: Outcome,
    /// The report, as written (`report.json`).
    pub report: String,
    /// Its SHA-256.
    pub sha256: String,
}

/// Runs one scenario file.
pub fn run_file(path: &Path, options: &RunOptions, progress: bool) -> anyhow::Result<RunResult> {
    run_file_with(path, options, &[], progress)
}

/// Runs one scenario file with overrides (`--set`).
pub fn run_file_with(
    path: &Path,
    options: &RunOptions,
    overrides: &[Override],
    progress: bool,
) -> anyhow::Result<RunResult> {
    let loaded = scenario::load_with(path, overrides)?;
    let duration_s =
        if options.ci { loaded.scenario.ci_variant().duration_s } else { loaded.scenario.duration_s };
    let total = (duration_s * options.duration_scale * 1000.0) as u64;
    let bar = if progress { ProgressBar::new(total.max(1)) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("{prefix} {bar:30} {msg}")?);
    bar.set_prefix(loaded.scenario.name.clone());
    let started = Wall::now();
    let outcome = run(&loaded, options, |now, delivered| {
        bar.set_position(now);
        let speed = now as f64 / 1000.0 / started.seconds().max(1e-6);
        bar.set_message(format!(
            "{:.0} s simulated, {delivered} delivered, {speed:.0}× real time",
            now as f64 / 1000.0
        ));
    })
    .with_context(|| format!("running {}", path.display()))?;
    bar.finish_and_clear();
    let report = serde_json::to_string_pretty(&outcome.metrics)?;
    let sha256 = sha256_hex(report.as_bytes());
    Ok(RunResult { outcome, report, sha256 })
}

/// Wall-clock stopwatch for what is shown to the user (speed-ups, run
/// times in JUnit); it never reaches the core.
pub struct Wall(std::time::Instant);

impl Wall {
    /// Starts it.
    #[expect(clippy::disallowed_methods, reason = "times shown to the user, not used by the simulation")]
    pub fn now() -> Wall {
        Wall(std::time::Instant::now())
    }

    /// Seconds since it started.
    pub fn seconds(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

/// Writes `report.json`, `events.jsonl` and `replay.html` into `dir`.
pub fn write_report(dir: &Path, result: &RunResult, layout_path: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("report.json"), &result.report)?;
    std::fs::write(dir.join("events.jsonl"), result.outcome.events.join("\n") + "\n")?;
    let layout = layout::load(layout_path, layout::LoadOptions::default())?.value;
    let page =
        crate::replay::html(&layout, &result.outcome.trace, &result.outcome.metrics, &result.outcome.events);
    std::fs::write(dir.join("replay.html"), page)?;
    Ok(())
}

/// Writes the trace: one JSON object per line per orchestrator tick.
pub fn write_trace(path: &Path, result: &RunResult) -> anyhow::Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    for frame in &result.outcome.trace {
        serde_json::to_writer(&mut out, frame)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
