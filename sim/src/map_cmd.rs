//! `yard-sim map …`: check, describe, render and generate layouts.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use layout::analysis::summarize;
use layout::{Layout, LoadError, LoadOptions, Severity};

/// Outcome of `map check`, for the exit code.
#[derive(Debug, PartialEq, Eq)]
pub enum CheckOutcome {
    /// Loaded (possibly with warnings).
    Valid,
    /// Not loadable.
    Invalid,
}

/// Loads a layout and prints its warnings (or errors) to stderr.
/// Returns `Ok(None)` if it is invalid, after printing why.
pub fn load_reporting(path: &Path, strict: bool) -> Result<Option<Layout>, LoadError> {
    let options = LoadOptions { strict, ..LoadOptions::default() };
    match layout::load(path, options) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                eprintln!("{}: {w}", path.display());
            }
            Ok(Some(loaded.value))
        }
        Err(err @ LoadError::Invalid { .. }) => {
            for issue in err.issues() {
                eprintln!("{}: {issue}", path.display());
            }
            let n = err.issues().iter().filter(|i| i.severity == Severity::Error).count();
            eprintln!("{}: invalid ({n} error(s))", path.display());
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

/// `map check FILE [--strict]`.
pub fn check(path: &Path, strict: bool) -> anyhow::Result<CheckOutcome> {
    match load_reporting(path, strict) {
        Ok(Some(layout)) => {
            eprintln!(
                "{}: valid ({} nodes, {} edges, {} stations)",
                path.display(),
                layout.nodes.len(),
                layout.edges.len(),
                layout.stations.len()
            );
            Ok(CheckOutcome::Valid)
        }
        Ok(None) => Ok(CheckOutcome::Invalid),
        Err(err) => {
            eprintln!("{err}");
            Ok(CheckOutcome::Invalid)
        }
    }
}

fn load_or_fail(path: &Path) -> anyhow::Result<Layout> {
    load_reporting(path, false)
        .with_context(|| format!("loading {}", path.display()))?
        .ok_or_else(|| anyhow::anyhow!("{} is not a valid layout (see the errors above)", path.display()))
}

fn id_list(ids: impl Iterator<Item = String>, total: usize) -> String {
    const SHOW: usize = 8;
    let shown: Vec<String> = ids.take(SHOW).collect();
    if total == 0 {
        "none".to_string()
    } else if total > SHOW {
        format!("{total}: {}, …", shown.join(", "))
    } else {
        format!("{total}: {}", shown.join(", "))
    }
}

/// The text `map info` prints.
pub fn info_text(path: &Path, layout: &Layout) -> String {
    let s = summarize(layout);
    let mut out = String::new();
    let _ = writeln!(out, "layout      {}", path.display());
    let _ = writeln!(out, "project     {}", layout.meta.project_identification);
    let _ = writeln!(out, "levels      {}", s.levels);
    let _ = writeln!(out, "nodes       {}", s.nodes);
    let _ = writeln!(out, "edges       {} directed, {:.1} m in total", s.edges, s.total_edge_length);
    if let Some(b) = s.bounding_box {
        let _ = writeln!(
            out,
            "bounds      x {:.2} .. {:.2}, y {:.2} .. {:.2} ({:.1} m × {:.1} m)",
            b.min.x,
            b.max.x,
            b.min.y,
            b.max.y,
            b.max.x - b.min.x,
            b.max.y - b.min.y
        );
    }
    let _ = writeln!(
        out,
        "vehicle types {}",
        if s.vehicle_types.is_empty() { "none".into() } else { s.vehicle_types.join(", ") }
    );
    let _ = writeln!(out, "stations    {}", layout.stations.len());
    for (kind, count) in &s.stations_by_kind {
        let _ = writeln!(out, "  {:<11} {count}", kind.as_str());
    }
    let _ = writeln!(
        out,
        "components  {} weakly connected, {} strongly connected (largest {} nodes)",
        s.weak_components, s.strong_components, s.largest_strong_component
    );
    let _ = writeln!(
        out,
        "dead ends   {}",
        id_list(s.dead_ends.iter().map(|n| layout.node(*n).id.clone()), s.dead_ends.len())
    );
    let _ = writeln!(
        out,
        "unreachable {}",
        id_list(s.unreachable.iter().map(|n| layout.node(*n).id.clone()), s.unreachable.len())
    );
    let _ = writeln!(
        out,
        "one-way     {}",
        id_list(s.one_way_edges.iter().map(|e| layout.edge(*e).id.clone()), s.one_way_edges.len())
    );
    out
}

/// `map info FILE`.
pub fn info(path: &Path) -> anyhow::Result<String> {
    let layout = load_or_fail(path)?;
    Ok(info_text(path, &layout))
}

/// `map render FILE -o OUT.svg`.
pub fn render(path: &Path, out: &Path) -> anyhow::Result<()> {
    let layout = load_or_fail(path)?;
    let doc = crate::render::render(&layout);
    svg::save(out, &doc).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("{}: wrote {}", path.display(), out.display());
    Ok(())
}

/// The maps `map generate` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Generated {
    /// maps/car-plant.lif.json
    CarPlant,
    /// maps/grid-warehouse.map
    GridWarehouse,
}

impl Generated {
    /// The text of the map.
    pub fn text(self) -> String {
        match self {
            Generated::CarPlant => layout::lif::to_string(&crate::mapgen::car_plant::build()),
            Generated::GridWarehouse => crate::mapgen::grid_warehouse::generate(&Default::default()),
        }
    }

    /// Where the repository keeps it.
    pub fn default_path(self) -> PathBuf {
        PathBuf::from(match self {
            Generated::CarPlant => "maps/car-plant.lif.json",
            Generated::GridWarehouse => "maps/grid-warehouse.map",
        })
    }
}
