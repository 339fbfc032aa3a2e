//! The factory layout: the model every other Yardmaster crate stands on.
//!
//! - [`model`]: levels, nodes, directed edges with per-vehicle-type
//!   properties, stations with a [`StationKind`].
//! - [`lif`]: VDMA LIF import (lenient or strict) and export;
//!   [`movingai`]: MovingAI grid maps and scenarios.
//! - [`spatial`]: an `rstar` index to snap poses to nodes and edges and to
//!   query zones; [`conflicts`]: footprint conflict sets.
//! - [`plan_graph`]: the unit-time graph the planners search.
//! - [`analysis`]: connectivity and structure figures for `map info`.
//!
//! The crate knows nothing of bevy, Zenoh, clocks or threads.
//!
//! ```
//! use layout::{LoadOptions, load_str};
//! let text = "type octile\nheight 2\nwidth 3\nmap\n...\n.@.\n";
//! let map = load_str(text, "tiny.map", LoadOptions::default()).unwrap().value;
//! assert_eq!(map.nodes.len(), 5);
//! let graph = layout::plan_graph::PlanGraph::build(&map, &Default::default()).unwrap();
//! assert_eq!(graph.n_nodes(), 5);
//! ```

pub mod analysis;
pub mod conflicts;
pub mod error;
pub mod geometry;
pub mod lif;
pub mod model;
pub mod movingai;
pub mod plan_graph;
pub mod spatial;

use std::path::Path;

pub use error::{Issue, IssueCode, LoadError, Loaded, Location, Severity};
pub use model::{EdgeIdx, Layout, LevelIdx, NodeIdx, StationIdx, StationKind};

/// How to load a layout file of either format.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LoadOptions {
    /// LIF: reject what the schema rejects instead of warning.
    pub strict: bool,
    /// MovingAI: metres per cell.
    pub grid: movingai::GridOptions,
}

/// The file formats a layout can come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// VDMA LIF JSON.
    Lif,
    /// MovingAI `.map` grid.
    MovingAi,
}

impl Format {
    /// Guesses the format from the file name: `.map` is MovingAI, anything
    /// else is LIF JSON.
    pub fn of(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("map") => Format::MovingAi,
            _ => Format::Lif,
        }
    }
}

/// The largest layout file read, bytes (the competition's largest grid is
/// 3.4 MB; a large LIF plant a few tens of MB).
pub const MAX_LAYOUT_BYTES: u64 = 256 << 20;

/// Reads a layout file, at most [`MAX_LAYOUT_BYTES`].
pub(crate) fn read_bounded(path: &Path) -> Result<Vec<u8>, LoadError> {
    use std::io::Read as _;
    let io = |source| LoadError::Io { file: path.to_path_buf(), source };
    let mut bytes = Vec::new();
    std::fs::File::open(path).map_err(io)?.take(MAX_LAYOUT_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_LAYOUT_BYTES {
        return Err(LoadError::TooLarge { file: path.to_path_buf(), limit: MAX_LAYOUT_BYTES });
    }
    Ok(bytes)
}

/// Loads a layout from a file, choosing the format by [`Format::of`].
pub fn load(path: &Path, options: LoadOptions) -> Result<Loaded<Layout>, LoadError> {
    match Format::of(path) {
        Format::Lif => lif::load(path, lif::LifOptions { strict: options.strict }),
        Format::MovingAi => movingai::load_map(path, options.grid),
    }
}

/// Loads a layout from text; `name` picks the format and appears in messages.
pub fn load_str(text: &str, name: &str, options: LoadOptions) -> Result<Loaded<Layout>, LoadError> {
    let path = Path::new(name);
    match Format::of(path) {
        Format::Lif => lif::parse(text, path, lif::LifOptions { strict: options.strict }),
        Format::MovingAi => movingai::parse_map(text, path, options.grid),
    }
}

/// Decodes file bytes as UTF-8 or reports where they are not.
pub(crate) fn decode_utf8(bytes: &[u8], path: &Path) -> Result<String, LoadError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').unwrap_or(text).to_string()),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = valid.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
            Err(LoadError::Invalid {
                file: path.to_path_buf(),
                issues: vec![Issue {
                    severity: Severity::Error,
                    code: IssueCode::JsonSyntax,
                    location: Location::Line { line, column },
                    found: format!("bytes that are not UTF-8 (at byte {})", e.valid_up_to()),
                    expected: "UTF-8 text".into(),
                }],
            })
        }
    }
}
