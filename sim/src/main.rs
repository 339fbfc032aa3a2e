//! `yard-sim`: Yardmaster's simulator and tool box on the command line.
//!
//! Today: `yard-sim map check|info|render|generate`. Exit codes: 0 success,
//! 1 the input is invalid, 2 usage errors (from clap).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use sim::bench_cmd::MapfRun;
use sim::map_cmd::{self, CheckOutcome, Generated};

/// The simulator allocates many small messages; mimalloc serves them faster
/// than the system allocator (measured: see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Fleet sizes of a sweep (one argument, a range or a list).
type FleetSizes = Vec<usize>;
/// Rate scales of a sweep (one argument, a range or a list).
type RateScales = Vec<f64>;

#[derive(Parser)]
#[command(name = "yard-sim", version, about = "Yardmaster simulator and layout tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with layout files (LIF JSON or MovingAI .map).
    Map {
        #[command(subcommand)]
        command: MapCommand,
    },
    /// Run scenario files: exit 1 if an expectation fails.
    Run {
        /// Scenario files (TOML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write report.json, events.jsonl and replay.html here (one folder per scenario when several).
        #[arg(long)]
        report: Option<PathBuf>,
        /// Write the trace (JSON lines of positions) here.
        #[arg(long)]
        trace: Option<PathBuf>,
        /// Run each scenario twice and fail if the reports differ.
        #[arg(long)]
        check_determinism: bool,
        /// Scale every scenario's duration.
        #[arg(long, default_value_t = 1.0)]
        duration_scale: f64,
        /// Run each scenario's `[ci]` variant (a short run with its own expectations).
        #[arg(long)]
        ci: bool,
        /// Record each run's report SHA-256 as the scenario's golden hash
        /// (`golden.toml` beside it): a deliberate update after an intended change.
        #[arg(long)]
        bless: bool,
        /// Override a scenario key for this run: `fleet[0].count=12`,
        /// `flows[1].per_hour=30`, `expect.min_delivered=20` (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<sim::variants::Override>,
        /// Write a JUnit XML report here: one test suite per scenario, one
        /// test case per expectation.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Append a Markdown summary here (for CI job summaries).
        #[arg(long, value_name = "FILE")]
        summary_md: Option<PathBuf>,
        /// Write the run's events as an OCEL 2.0 event log (JSON) here (one
        /// file per scenario, suffixed with its name, when several).
        #[arg(long, value_name = "FILE")]
        ocel: Option<PathBuf>,
        /// The wall-clock instant of the simulation's 0 in the OCEL log
        /// (RFC 3339, e.g. 2026-03-02T06:00:00Z).
        #[arg(long, default_value = "1970-01-01T00:00:00Z", value_parser = parse_instant)]
        ocel_start: time::OffsetDateTime,
    },
    /// Run a scenario over a grid of fleet sizes and order rates, in
    /// parallel: a table, plots, and the smallest fleet that meets every
    /// expectation at each rate. Exit 1 if no fleet size does at some rate.
    Sweep {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Fleet sizes: `4..20`, `4..20:2` (step) or `4,8,12`; the whole
        /// fleet in proportion, or one group's with `--group`.
        #[arg(long, value_parser = sim::sweep::parse_fleet_range)]
        fleet: FleetSizes,
        /// Factors on every flow's rate: `0.5..2.0:0.25` or `0.8,1,1.2`.
        #[arg(long, default_value = "1", value_parser = sim::sweep::parse_rate_range)]
        rate_scale: RateScales,
        /// Seeds per grid point (the scenario's seed, then the next ones).
        #[arg(long, default_value_t = 1)]
        seeds: u64,
        /// Vary only this fleet group (0-based index into `[[fleet]]`).
        #[arg(long)]
        group: Option<usize>,
        /// Write sweep.json, sweep.csv, sweep.md and sweep.html here.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Worker threads (default: one per core).
        #[arg(long, default_value_t = 0)]
        jobs: usize,
        /// Sweep the scenario's `[ci]` variant.
        #[arg(long)]
        ci: bool,
        /// Override a scenario key before sweeping (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<sim::variants::Override>,
    },
    /// Compare two report folders (`run --report`) or sweep folders
    /// (`sweep --report`): every figure with its ratio, the expectations
    /// that flipped. Exit 1 on a regression beyond the threshold.
    Compare {
        /// The baseline folder (or report.json / sweep.json).
        base: PathBuf,
        /// The new folder (or file).
        new: PathBuf,
        /// A figure that got worse by more than this share is a regression.
        #[arg(long, default_value_t = 0.05)]
        threshold: f64,
    },
    /// Run a scenario on real processes: `yardmaster serve` and `agv-agent`
    /// over Zenoh on loopback, orders fed in real time (sped up). Same
    /// report as `run`, not byte-deterministic. Exit 1 if an expectation fails.
    Live {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Speed-up over real time.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Also listen here (e.g. tcp/127.0.0.1:7447), so that any Zenoh
        /// client can connect and observe `vda5050/**` during the run.
        #[arg(long)]
        listen: Vec<String>,
        /// Write report.json, events.jsonl, replay.html and the processes' logs here.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Write the trace (JSON lines of reported positions) here.
        #[arg(long)]
        trace: Option<PathBuf>,
        /// Scale the scenario's duration.
        #[arg(long, default_value_t = 1.0)]
        duration_scale: f64,
    },
    /// Replay a `yardmaster serve --journal` recording on a fresh core and
    /// check that every output is the same: exit 1 if one differs.
    Replay {
        /// The recording; rotated files in order, oldest first
        /// (`journal.2 journal.1 journal`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The layout, if not where the recording says.
        #[arg(long)]
        layout: Option<PathBuf>,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// One-shot MAPF on a MovingAI map and scenario: prints one JSON line.
    Mapf {
        /// The .map file.
        #[arg(long)]
        map: PathBuf,
        /// The .scen file.
        #[arg(long)]
        scen: PathBuf,
        /// Number of agents (the scenario's first N).
        #[arg(long, default_value_t = 100)]
        agents: usize,
        /// Wall-clock limit in seconds (first solution plus refinement).
        #[arg(long, default_value_t = 10.0)]
        time_limit: f64,
        /// Seed of the planner's random choices.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Cap on refinement iterations (makes a run reproducible).
        #[arg(long, default_value_t = u64::MAX)]
        max_refine_iterations: u64,
        /// Guide paths (space utilisation) up to this many steps longer than shortest; 0: none.
        #[arg(long, default_value_t = 10)]
        guide_margin: u32,
        /// Also write the JSON (with paths) here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run several agent counts (comma-separated) and print a table.
        #[arg(long, value_delimiter = ',')]
        sweep: Vec<usize>,
    },
    /// The orchestrator core's tick time with N scripted vehicles under a
    /// steady order stream: prints one JSON line.
    Tick {
        /// The .map file.
        #[arg(long)]
        map: PathBuf,
        /// Fleet size.
        #[arg(long, default_value_t = 100)]
        vehicles: usize,
        /// Ticks to run (1 s of simulated time each).
        #[arg(long, default_value_t = 2_000)]
        ticks: u64,
        /// Seed of the starts and the order stream.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Nodes released ahead of each vehicle.
        #[arg(long, default_value_t = 2)]
        release_ahead: usize,
        /// How long a wait-for cycle lasts before it is broken, ms.
        #[arg(long, default_value_t = 20_000)]
        deadlock_after_ms: u64,
        /// How long the vehicle that breaks a cycle gives way, ms.
        #[arg(long, default_value_t = 20_000)]
        yield_ms: u64,
        /// What a move against the grid's one-way grain costs, as a
        /// multiple of its time (1: no grain; default: the grid configuration's).
        #[arg(long)]
        grain: Option<f64>,
    },
    /// The orchestrator core on a League of Robot Runners lifelong problem
    /// (MAPF_T vehicles, seeded delays, tasks as orders): prints one JSON
    /// line; exit 1 if our validator rejects the run.
    Lifelong {
        /// The problem JSON.
        problem: PathBuf,
        /// Execution ticks.
        #[arg(long, default_value_t = 1_000)]
        ticks: u64,
        /// Seed of the delays (default: the problem's delayConfig.seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Write the run in the competition's output format here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// What a move against the grid's one-way grain costs, as a
        /// multiple of its time (1: no grain; default: the grid configuration's).
        #[arg(long)]
        grain: Option<f64>,
    },
    /// Checks a lifelong output file (ours or the reference's) against its
    /// problem with our own validator: prints one JSON line; exit 1 if invalid.
    ValidateLifelong {
        /// The problem JSON.
        problem: PathBuf,
        /// The output JSON.
        output: PathBuf,
    },
    /// The core under a steady order stream for simulated days: one JSON
    /// line per day (tick p50/p99/max, RSS, orders), then a summary; exit 1
    /// if the last day's p99 tick or RSS is over 1.10× the first day's.
    Soak {
        /// The .map file.
        #[arg(long)]
        map: PathBuf,
        /// Fleet size.
        #[arg(long, default_value_t = 200)]
        vehicles: usize,
        /// Simulated days.
        #[arg(long, default_value_t = 7)]
        days: u64,
        /// Seed of the starts and the order stream.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum MapCommand {
    /// Validate a layout: exit 0 if valid, 1 if not; diagnostics on stderr.
    Check {
        /// The layout file.
        file: PathBuf,
        /// Reject everything the LIF schema rejects (no leniencies).
        #[arg(long)]
        strict: bool,
    },
    /// Describe a layout: size, extent, stations, connectivity.
    Info {
        /// The layout file.
        file: PathBuf,
    },
    /// Draw a layout as SVG.
    Render {
        /// The layout file.
        file: PathBuf,
        /// Where to write the picture.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Regenerate one of the project's own maps.
    Generate {
        /// Which map.
        #[arg(value_enum)]
        which: Generated,
        /// Where to write it (default: its place under maps/).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

fn bench(command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Mapf {
            map,
            scen,
            agents,
            time_limit,
            seed,
            max_refine_iterations,
            guide_margin,
            out,
            sweep,
        } => {
            let counts = if sweep.is_empty() { vec![agents] } else { sweep.clone() };
            let mut rows = Vec::new();
            for n in counts {
                let run = MapfRun {
                    map: map.clone(),
                    scen: scen.clone(),
                    agents: n,
                    time_limit,
                    seed,
                    max_refine_iterations,
                    guide_margin,
                };
                let result = sim::bench_cmd::run_mapf(&run)?;
                let mut line = serde_json::to_value(&result)?;
                if !sweep.is_empty() {
                    line.as_object_mut().map(|o| o.remove("paths"));
                }
                sim::say!("{}", serde_json::to_string(&line)?);
                if let Some(out) = &out {
                    std::fs::write(out, serde_json::to_string(&result)?)
                        .with_context(|| format!("writing {}", out.display()))?;
                }
                rows.push(result);
            }
            if !sweep.is_empty() {
                sim::say!(
                    "| agents | solved | first ms | sum_of_loss | lower bound | SoL/LB | peak RSS MB |"
                );
                sim::say!("|---|---|---|---|---|---|---|");
                for r in &rows {
                    let ratio = r.sum_of_loss.map_or(f64::NAN, |s| s as f64 / r.lower_bound.max(1) as f64);
                    sim::say!(
                        "| {} | {} | {:.0} | {} | {} | {:.3} | {:.0} |",
                        r.agents,
                        r.solved,
                        r.first_solution_ms.unwrap_or(f64::NAN),
                        r.sum_of_loss.map_or("-".into(), |s| s.to_string()),
                        r.lower_bound,
                        ratio,
                        r.peak_rss_mb.unwrap_or(f64::NAN)
                    );
                }
            }
            Ok(if rows.iter().all(|r| r.solved) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        BenchCommand::Tick {
            map,
            vehicles,
            ticks,
            seed,
            release_ahead,
            deadlock_after_ms,
            yield_ms,
            grain,
        } => {
            let grid = orchestrator::fleet::FleetConfig::grid();
            let config = orchestrator::fleet::FleetConfig {
                park_after_ms: None,
                release_ahead,
                deadlock_after_ms,
                yield_ms,
                grain: orchestrator::traffic::grain::Grain::factor_or(grain, grid.grain),
                ..grid
            };
            let run = sim::tick_bench::TickRun { map, vehicles, ticks, seed, progress: true, config };
            let result = sim::tick_bench::run_tick(&run)?;
            sim::say!("{}", serde_json::to_string(&result)?);
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Lifelong { problem, ticks, seed, out, grain } => {
            let run = sim::lifelong_run::LifelongRun { problem, ticks, seed, progress: true, grain };
            let (result, output) = sim::lifelong_run::run_lifelong(&run)?;
            if let Some(out) = out {
                let file =
                    std::fs::File::create(&out).with_context(|| format!("creating {}", out.display()))?;
                serde_json::to_writer(std::io::BufWriter::new(file), &output)
                    .with_context(|| format!("writing {}", out.display()))?;
            }
            sim::say!("{}", serde_json::to_string(&result)?);
            Ok(if result.valid { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        BenchCommand::ValidateLifelong { problem, output } => {
            let loaded = sim::lifelong::load(&problem)?;
            let text = std::fs::read(&output).with_context(|| format!("reading {}", output.display()))?;
            let parsed: sim::lifelong_output::Output = serde_json::from_slice(&text)
                .with_context(|| format!("{}: not a lifelong output", output.display()))?;
            let verdict = sim::lifelong_check::check(&loaded, &parsed);
            let line = serde_json::json!({
                "valid": verdict.valid(),
                "ticks": verdict.ticks,
                "tasks_finished_claimed": parsed.num_task_finished,
                "tasks_finished_checked": verdict.tasks_finished,
                "error_count": verdict.error_count,
                "errors": verdict.errors.iter().take(10).collect::<Vec<_>>(),
            });
            sim::say!("{line}");
            Ok(if verdict.valid() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        BenchCommand::Soak { map, vehicles, days, seed } => {
            let run = sim::soak::SoakRun {
                map,
                vehicles,
                days,
                seed,
                progress: true,
                day_ticks: sim::soak::TICKS_PER_DAY,
            };
            let (_, summary) = sim::soak::run_soak(&run, |day| {
                sim::say!("{}", serde_json::to_string(day).unwrap_or_default());
            })?;
            sim::say!("{}", serde_json::to_string(&summary)?);
            Ok(if summary.pass { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}

/// `yard-sim run`'s switches.
struct RunFlags {
    check_determinism: bool,
    duration_scale: f64,
    ci: bool,
    bless: bool,
    sets: Vec<sim::variants::Override>,
    junit: Option<PathBuf>,
    summary_md: Option<PathBuf>,
    ocel: Option<PathBuf>,
    ocel_start: time::OffsetDateTime,
}

fn parse_instant(s: &str) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("found {s:?}: {e}; expected an RFC 3339 instant such as 2026-03-02T06:00:00Z"))
}

/// Where one scenario's OCEL log goes: the file itself, or with the
/// scenario's name before the extension when several run.
fn ocel_path(base: &std::path::Path, file: &std::path::Path, several: bool) -> PathBuf {
    if !several {
        return base.to_path_buf();
    }
    let stem = base.file_stem().unwrap_or_default().to_string_lossy();
    let name = file.file_stem().unwrap_or_default().to_string_lossy();
    base.with_file_name(format!("{stem}.{name}.json"))
}

fn run_scenarios(
    files: &[PathBuf],
    report: Option<&std::path::Path>,
    trace: Option<&std::path::Path>,
    flags: &RunFlags,
) -> anyhow::Result<ExitCode> {
    use sim::golden::{Golden, Variant};
    anyhow::ensure!(
        !flags.bless || flags.duration_scale == 1.0,
        "--bless records full runs (or --ci variants); it cannot be combined with --duration-scale"
    );
    let keep_trace = report.is_some() || trace.is_some();
    let options = sim::engine::RunOptions {
        duration_scale: flags.duration_scale,
        keep_trace,
        ci: flags.ci,
        ..Default::default()
    };
    let variant = if flags.ci { Variant::Ci } else { Variant::Full };
    let mut all_pass = true;
    let mut cases = Vec::new();
    print_header();
    for file in files {
        let started = sim::run_cmd::Wall::now();
        let result = sim::run_cmd::run_file_with(file, &options, &flags.sets, true)?;
        let wall_s = started.seconds();
        if flags.bless {
            anyhow::ensure!(
                flags.sets.is_empty(),
                "--bless records the scenario as written; it cannot be combined with --set"
            );
            let path = Golden::path_for(file);
            let mut golden = Golden::load(&path)?;
            golden.set(file, variant, &result.sha256);
            golden.save(&path)?;
            eprintln!("blessed {} in {}", file.display(), path.display());
        }
        let mut verdict = "pass".to_string();
        let mut determinism = None;
        if flags.check_determinism {
            let again = sim::run_cmd::run_file_with(file, &options, &flags.sets, false)?;
            if again.sha256 == result.sha256 {
                determinism = Some(None);
            } else {
                verdict = format!("NOT DETERMINISTIC ({} vs {})", &result.sha256[..12], &again.sha256[..12]);
                determinism = Some(Some(verdict.clone()));
                all_pass = false;
            }
        }
        all_pass &= print_result(&result, &verdict);
        let dir = report.map(|dir| {
            if files.len() > 1 { dir.join(file.file_stem().unwrap_or_default()) } else { dir.to_path_buf() }
        });
        finish_outputs(file, &result, dir.as_deref(), trace)?;
        if let Some(base) = &flags.ocel {
            let path = ocel_path(base, file, files.len() > 1);
            let doc = result.outcome.process.document(flags.ocel_start)?;
            std::fs::write(&path, serde_json::to_vec(&doc)?)
                .with_context(|| format!("writing {}", path.display()))?;
            sim::say!(
                "  OCEL 2.0 log: {} ({} events, {} objects)",
                path.display(),
                doc.events.len(),
                doc.objects.len()
            );
        }
        cases.push(sim::ci_report::CaseRun {
            file: file.display().to_string(),
            metrics: result.outcome.metrics.clone(),
            sha256: result.sha256.clone(),
            wall_s,
            determinism,
        });
    }
    if let Some(path) = &flags.junit {
        std::fs::write(path, sim::ci_report::junit(&cases)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &flags.summary_md {
        sim::ci_report::append(path, &sim::ci_report::summary_md(&cases))?;
    }
    Ok(if all_pass { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn sweep(
    file: &std::path::Path,
    spec: &sim::sweep::SweepSpec,
    sets: &[sim::variants::Override],
    report: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let loaded = sim::scenario::load_with(file, sets)?;
    let started = sim::run_cmd::Wall::now();
    let result = sim::sweep::run_sweep(&loaded, spec)?;
    let wall = started.seconds();
    sim::say!("{}", sim::sweep_report::markdown(&result).trim_end());
    sim::say!("\n{} runs in {wall:.1} s wall clock", result.points.len());
    if let Some(dir) = report {
        sim::sweep_report::write(dir, &result)?;
        sim::say!(
            "  report: {}  (open {} in a browser)",
            dir.join("sweep.csv").display(),
            dir.join("sweep.html").display()
        );
    }
    let every_rate_met = result.recommendations.iter().all(|r| r.smallest_fleet.is_some());
    Ok(if every_rate_met { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print_header() {
    sim::say!(
        "| scenario | delivered | per hour | p95 latency s | moving m/s | collisions | deadlocks | lost | expectations | sha256 |"
    );
    sim::say!("|---|---|---|---|---|---|---|---|---|---|");
}

/// Prints a scenario's row and its failed expectations; whether it passed.
fn print_result(result: &sim::run_cmd::RunResult, verdict: &str) -> bool {
    let m = &result.outcome.metrics;
    let verdict = if !m.passed() { "FAIL" } else { verdict };
    sim::say!(
        "| {} | {} | {:.1} | {} | {} | {} | {} | {} | {} | {} |",
        m.scenario,
        m.delivered,
        m.throughput_per_hour,
        m.latency_s.p95.map_or("-".into(), |v| format!("{v:.0}")),
        m.moving_speed_mps.map_or("-".into(), |v| format!("{v:.2}")),
        m.collisions,
        m.deadlocks,
        m.lost,
        verdict,
        &result.sha256[..16]
    );
    for v in m.expectations.iter().filter(|v| !v.pass) {
        sim::say!(
            "  {}: expected {} {}, got {} (off by {:.2})",
            m.scenario,
            v.name,
            v.limit,
            v.value,
            (v.value - v.limit).abs()
        );
    }
    m.passed() && verdict == "pass"
}

/// Writes the report folder and the trace, when asked for.
fn finish_outputs(
    file: &std::path::Path,
    result: &sim::run_cmd::RunResult,
    report: Option<&std::path::Path>,
    trace: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    if let Some(dir) = report {
        let loaded = sim::scenario::load(file)?;
        sim::run_cmd::write_report(dir, result, &loaded.layout_path)?;
        sim::say!(
            "  report: {}  (open {} in a browser)",
            dir.join("report.json").display(),
            dir.join("replay.html").display()
        );
    }
    if let Some(path) = trace {
        sim::run_cmd::write_trace(path, result)?;
    }
    Ok(())
}

fn replay(files: &[PathBuf], layout: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    use std::io::BufRead as _;
    let mut lines: Vec<String> = Vec::new();
    for file in files {
        let reader = std::io::BufReader::new(
            std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?,
        );
        for line in reader.lines() {
            lines.push(line.with_context(|| format!("reading {}", file.display()))?);
        }
    }
    let shown = files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(" + ");
    let mut load = |header: &orchestrator::replay::Header| {
        let path = layout.map_or_else(|| PathBuf::from(&header.layout), std::path::Path::to_path_buf);
        let bytes = std::fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let site = layout::load(&path, layout::LoadOptions::default())
            .map_err(|e| format!("loading {}: {e}", path.display()))?
            .value;
        Ok((bytes, std::sync::Arc::new(site)))
    };
    let report = orchestrator::replay::replay(lines.into_iter(), &mut load)
        .with_context(|| format!("replaying {shown}"))?;
    sim::say!(
        "{shown}: {} runs, {} steps, {} inputs replayed; {} differ{}",
        report.runs,
        report.steps,
        report.inputs,
        report.mismatches.len(),
        if report.truncated { " (the last line was cut short and skipped)" } else { "" }
    );
    for m in report.mismatches.iter().take(10) {
        sim::say!("  line {} (t = {} ms): {} differ from the recording", m.line, m.now, m.parts.join(", "));
        for e in m.replayed_events.iter().take(5) {
            sim::say!("    replayed event: {e}");
        }
    }
    Ok(if report.mismatches.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Bench { command } => bench(command),
        Command::Replay { files, layout } => replay(&files, layout.as_deref()),
        Command::Live { file, speed, listen, report, trace, duration_scale } => {
            let bin_dir = std::env::current_exe()
                .context("locating yard-sim")?
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default();
            let options = sim::live::LiveOptions {
                speed,
                listen,
                duration_scale,
                bin_dir,
                log_dir: report.clone(),
                progress: true,
            };
            let result = sim::live::run_live(&file, &options)?;
            print_header();
            let pass = print_result(&result, "pass");
            finish_outputs(&file, &result, report.as_deref(), trace.as_deref())?;
            Ok(if pass { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Run {
            files,
            report,
            trace,
            check_determinism,
            duration_scale,
            ci,
            bless,
            sets,
            junit,
            summary_md,
            ocel,
            ocel_start,
        } => {
            let options = RunFlags {
                check_determinism,
                duration_scale,
                ci,
                bless,
                sets,
                junit,
                summary_md,
                ocel,
                ocel_start,
            };
            run_scenarios(&files, report.as_deref(), trace.as_deref(), &options)
        }
        Command::Sweep { file, fleet, rate_scale, seeds, group, report, jobs, ci, sets } => {
            let spec =
                sim::sweep::SweepSpec { fleet, rates: rate_scale, seeds, group, ci, jobs, progress: true };
            sweep(&file, &spec, &sets, report.as_deref())
        }
        Command::Compare { base, new, threshold } => {
            anyhow::ensure!(
                threshold >= 0.0 && threshold.is_finite(),
                "--threshold {threshold}: expected a share from 0"
            );
            let comparison = sim::compare::compare(&base, &new, threshold)?;
            sim::say!("{}", comparison.markdown(threshold).trim_end());
            Ok(if comparison.regressed() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
        Command::Map { command } => match command {
            MapCommand::Check { file, strict } => Ok(match map_cmd::check(&file, strict)? {
                CheckOutcome::Valid => ExitCode::SUCCESS,
                CheckOutcome::Invalid => ExitCode::FAILURE,
            }),
            MapCommand::Info { file } => {
                sim::say!("{}", map_cmd::info(&file)?.trim_end_matches('\n'));
                Ok(ExitCode::SUCCESS)
            }
            MapCommand::Render { file, output } => {
                map_cmd::render(&file, &output)?;
                Ok(ExitCode::SUCCESS)
            }
            MapCommand::Generate { which, output } => {
                let path = output.unwrap_or_else(|| which.default_path());
                std::fs::write(&path, which.text())
                    .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
                eprintln!("wrote {}", path.display());
                Ok(ExitCode::SUCCESS)
            }
        },
    }
}
