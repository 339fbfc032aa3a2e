//! Yardmaster's simulator crate and the library behind the `yard-sim`
//! command line.
//!
//! It holds the deterministic simulator: [`scenario`] (scenario files),
//! [`engine`] (the real orchestrator core and real agents over a seeded
//! in-memory network on a virtual clock), [`report`] (metrics, the
//! independent footprint check), [`replay`] (the HTML replay page) and
//! [`run_cmd`] (`yard-sim run`), [`vehicles`] (each fleet group's body
//! and kinematics); [`live`] (`yard-sim live`: the same
//! scenario on real processes over Zenoh); the layout tools [`map_cmd`]
//! (check, info, render, generate), [`render`] (SVG) and [`mapgen`] (the
//! generators of the project's own maps under `maps/`); and the benchmarks
//! [`bench_cmd`] (one-shot MAPF) and [`tick_bench`] (the orchestrator
//! core's tick time with a whole fleet). See `docs/ARCHITECTURE.md`.
//!
//! ```
//! let plant = sim::mapgen::car_plant::build();
//! assert!(plant.nodes.len() > 300);
//! let svg = sim::render::render(&plant).to_string();
//! assert!(svg.contains("QA-VISION-1"));
//! ```

/// The simulator's own clock and durations, plain milliseconds; the cores
/// get instants as `orchestrator::orders::Millis` (`Millis(ms)`).
pub type Ms = u64;

/// Prints a line to standard output, as `println!` does, except that a
/// closed pipe (`yard-sim run … | head`) ends the process quietly instead
/// of panicking.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::say_line(format_args!($($arg)*))
    };
}

/// The function behind [`say!`]: one line to standard output; on a closed
/// pipe the process exits with 0 (the reader has what it wanted).
pub fn say_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{args}")
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

pub mod bench_cmd;
pub mod ci_report;
pub mod compare;
pub mod engine;
pub mod golden;
pub mod lifelong;
pub mod lifelong_check;
pub mod lifelong_delays;
pub mod lifelong_output;
pub mod lifelong_run;
pub mod live;
pub mod map_cmd;
pub mod mapgen;
pub mod ocel;
pub mod render;
pub mod replay;
pub mod report;
pub mod run_cmd;
pub mod scenario;
pub mod soak;
pub mod sweep;
pub mod sweep_report;
pub mod tick_bench;
pub mod variants;
pub mod vehicles;
