//! Yardmaster's simulator crate and the library behind the `yard-sim`
//! command line.
//!
//! So far it holds the layout tools: [`map_cmd`] (check, info, render,
//! generate), [`render`] (SVG) and [`mapgen`] (the generators of the
//! project's own maps under `maps/`), and the benchmarks: [`bench_cmd`]
//! (one-shot MAPF) and [`tick_bench`] (the orchestrator core's tick time
//! with a whole fleet). The deterministic simulator and scenario files land
//! here next (see `docs/ARCHITECTURE.md`).
//!
//! ```
//! let plant = sim::mapgen::car_plant::build();
//! assert!(plant.nodes.len() > 300);
//! let svg = sim::render::render(&plant).to_string();
//! assert!(svg.contains("QA-VISION-1"));
//! ```

pub mod bench_cmd;
pub mod engine;
pub mod map_cmd;
pub mod mapgen;
pub mod render;
pub mod replay;
pub mod report;
pub mod run_cmd;
pub mod scenario;
pub mod tick_bench;
