//! MovingAI grid maps (`.map`) and scenarios (`.scen`), the MAPF benchmark
//! formats (see `docs/layouts.md`).
//!
//! Every passable cell becomes a node with id `"x,y"` (x = column, y = row,
//! row 0 first, as in the files); 4-neighbours are joined by an edge each
//! way. Positions are in metres with the y axis pointing up, so row 0 is at
//! the top of a picture, as in the text.

use std::path::Path;

use nalgebra::Point2;

use crate::error::{Issue, IssueCode, LoadError, Loaded, Location, Severity, excerpt};
use crate::model::*;

/// The vehicle type that grid layouts allow everywhere.
pub const GRID_VEHICLE_TYPE: &str = "default";

/// How to turn cells into metres.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridOptions {
    /// Side of one cell, m.
    pub cell_size: f64,
}

impl Default for GridOptions {
    fn default() -> Self {
        GridOptions { cell_size: 1.0 }
    }
}

/// The node id of grid cell `(x, y)`.
pub fn grid_node_id(x: u32, y: u32) -> String {
    format!("{x},{y}")
}

fn line_issue(
    code: IssueCode,
    line: usize,
    column: usize,
    found: String,
    expected: impl Into<String>,
) -> Issue {
    Issue {
        severity: Severity::Error,
        code,
        location: Location::Line { line, column },
        found,
        expected: expected.into(),
    }
}

fn invalid(file: &Path, issues: Vec<Issue>) -> LoadError {
    LoadError::Invalid { file: file.to_path_buf(), issues }
}

/// Parses the terrain of a `.map` file: `(width, height, passable[y][x])`.
pub fn parse_grid(text: &str, file: &Path) -> Result<(u32, u32, Vec<Vec<bool>>), LoadError> {
    const MAX_SIDE: u32 = 1 << 15;
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
    let mut width = None;
    let mut height = None;
    let mut saw_type = false;
    let mut header_done = false;
    let mut last_line = 0;
    for (n, line) in lines.by_ref() {
        last_line = n;
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("type"), Some(_), None) if !saw_type => saw_type = true,
            (Some("map"), None, None) => {
                header_done = true;
                break;
            }
            (Some(key @ ("height" | "width")), Some(v), None) => {
                let parsed = v.parse::<u32>().ok().filter(|&s| s > 0 && s <= MAX_SIDE).ok_or_else(|| {
                    invalid(
                        file,
                        vec![line_issue(
                            IssueCode::BadHeader,
                            n,
                            0,
                            format!("{key} {:?}", excerpt(v)),
                            format!("a whole number of cells from 1 to {MAX_SIDE}"),
                        )],
                    )
                })?;
                if key == "height" { height = Some(parsed) } else { width = Some(parsed) }
            }
            _ => {
                return Err(invalid(
                    file,
                    vec![line_issue(
                        IssueCode::BadHeader,
                        n,
                        0,
                        format!("{:?}", excerpt(line)),
                        "a header of `type octile`, `height H`, `width W`, then `map`",
                    )],
                ));
            }
        }
    }
    let (Some(width), Some(height), true) = (width, height, header_done && saw_type) else {
        let found = if text.trim().is_empty() {
            "an empty file".to_string()
        } else {
            "an incomplete header".to_string()
        };
        return Err(invalid(
            file,
            vec![line_issue(
                if text.trim().is_empty() { IssueCode::EmptyFile } else { IssueCode::BadHeader },
                last_line.max(1),
                0,
                found,
                "a header of `type octile`, `height H`, `width W`, then `map`",
            )],
        ));
    };
    let mut issues = Vec::new();
    let mut grid = Vec::with_capacity(height as usize);
    for (n, line) in lines.by_ref() {
        last_line = n;
        if grid.len() == height as usize {
            if !line.trim().is_empty() {
                issues.push(line_issue(
                    IssueCode::BadRowLength,
                    n,
                    0,
                    "an extra row".into(),
                    format!("exactly {height} rows"),
                ));
            }
            continue;
        }
        let mut row = Vec::with_capacity(width as usize);
        for (c, ch) in line.chars().enumerate() {
            match ch {
                // `E` (emitter) and `S` (service point) are the League of
                // Robot Runners' passable symbols; `S` is also MovingAI's swamp.
                '.' | 'G' | 'S' | 'E' => row.push(true),
                '@' | 'O' | 'T' | 'W' => row.push(false),
                other => {
                    if issues.len() < 20 {
                        issues.push(line_issue(
                            IssueCode::UnknownCharacter,
                            n,
                            c + 1,
                            format!("{other:?}"),
                            "one of . G S E (passable) or @ O T W (blocked)",
                        ));
                    }
                    row.push(false);
                }
            }
        }
        if row.len() != width as usize {
            issues.push(line_issue(
                IssueCode::BadRowLength,
                n,
                0,
                format!("a row of {} cells", row.len()),
                format!("{width} cells (the header's width)"),
            ));
        }
        row.resize(width as usize, false);
        grid.push(row);
    }
    if grid.len() < height as usize {
        issues.push(line_issue(
            IssueCode::MissingRows,
            last_line + 1,
            0,
            format!("{} row(s)", grid.len()),
            format!("{height} rows (the header's height)"),
        ));
    }
    if issues.is_empty() { Ok((width, height, grid)) } else { Err(invalid(file, issues)) }
}

/// Parses a `.map` file into a layout.
pub fn parse_map(text: &str, file: &Path, options: GridOptions) -> Result<Loaded<Layout>, LoadError> {
    let (width, height, grid) = parse_grid(text, file)?;
    let cell = options.cell_size;
    let level = LevelIdx(0);
    let mut nodes = Vec::new();
    let mut cells = Vec::new();
    let mut index = vec![u32::MAX; (width * height) as usize];
    let node_props =
        vec![NodeTypeProperties { vehicle_type: GRID_VEHICLE_TYPE.into(), theta: None, actions: vec![] }];
    for (y, row) in grid.iter().enumerate() {
        for (x, &free) in row.iter().enumerate() {
            if !free {
                continue;
            }
            let (x, y) = (x as u32, y as u32);
            index[(y * width + x) as usize] = nodes.len() as u32;
            nodes.push(Node {
                id: grid_node_id(x, y),
                name: None,
                description: None,
                map_id: None,
                level,
                position: Point2::new(f64::from(x) * cell, f64::from(height - 1 - y) * cell),
                vehicle_types: node_props.clone(),
            });
            cells.push((x, y));
        }
    }
    let edge_props = vec![EdgeTypeProperties::unrestricted(GRID_VEHICLE_TYPE)];
    let mut edges = Vec::new();
    for (i, &(x, y)) in cells.iter().enumerate() {
        let here = NodeIdx(i as u32);
        // Neighbours in a fixed order: up, left, right, down.
        let neighbours = [
            (y > 0).then(|| (x, y - 1)),
            (x > 0).then(|| (x - 1, y)),
            (x + 1 < width).then_some((x + 1, y)),
            (y + 1 < height).then_some((x, y + 1)),
        ];
        for (nx, ny) in neighbours.into_iter().flatten() {
            let j = index[(ny * width + nx) as usize];
            if j == u32::MAX {
                continue;
            }
            edges.push(Edge {
                id: format!("{}-{}", nodes[i].id, nodes[j as usize].id),
                name: None,
                description: None,
                level,
                from: here,
                to: NodeIdx(j),
                length: cell,
                vehicle_types: edge_props.clone(),
            });
        }
    }
    let stem = file.file_stem().map_or_else(|| "grid".to_string(), |s| s.to_string_lossy().into_owned());
    let layout = Layout::from_parts(LayoutParts {
        meta: MetaInformation {
            project_identification: stem.clone(),
            creator: "yardmaster (MovingAI import)".into(),
            export_timestamp: "1970-01-01T00:00:00.00Z".into(),
            lif_version: "0.11.0".into(),
        },
        levels: vec![Level { id: stem, name: None, version: "1".into(), level_id: None, description: None }],
        nodes,
        edges,
        stations: Vec::new(),
        grid: Some(GridInfo { width, height, cells }),
    });
    Ok(Loaded { value: layout, warnings: Vec::new() })
}

/// Reads and parses a `.map` file.
pub fn load_map(path: &Path, options: GridOptions) -> Result<Loaded<Layout>, LoadError> {
    let bytes = crate::read_bounded(path)?;
    let text = crate::decode_utf8(&bytes, path)?;
    parse_map(&text, path, options)
}

/// One agent of a `.scen` file.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioAgent {
    /// Difficulty bucket.
    pub bucket: u32,
    /// Map file name as written.
    pub map: String,
    /// Map width.
    pub width: u32,
    /// Map height.
    pub height: u32,
    /// Start cell `(x, y)`.
    pub start: (u32, u32),
    /// Goal cell `(x, y)`.
    pub goal: (u32, u32),
    /// The file's shortest path length (4-connected in this project's files).
    pub optimal_length: f64,
}

/// Parses a `.scen` file.
pub fn parse_scen(text: &str, file: &Path) -> Result<Vec<ScenarioAgent>, LoadError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
    match lines.next() {
        Some((_, l)) if l.split_whitespace().next() == Some("version") => {}
        other => {
            let found =
                other.map_or_else(|| "an empty file".to_string(), |(_, l)| format!("{:?}", excerpt(l)));
            return Err(invalid(file, vec![line_issue(IssueCode::BadHeader, 1, 0, found, "`version 1`")]));
        }
    }
    let mut agents = Vec::new();
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let bad = |what: &str| {
            invalid(
                file,
                vec![line_issue(
                    IssueCode::BadScenarioLine,
                    n,
                    0,
                    format!("{:?} ({what})", excerpt(line)),
                    "bucket, map, width, height, start x, start y, goal x, goal y, length",
                )],
            )
        };
        if fields.len() != 9 {
            return Err(bad(&format!("{} fields", fields.len())));
        }
        let num = |i: usize| {
            fields[i].parse::<u32>().map_err(|_| bad(&format!("field {} is not a whole number", i + 1)))
        };
        let agent = ScenarioAgent {
            bucket: num(0)?,
            map: fields[1].to_string(),
            width: num(2)?,
            height: num(3)?,
            start: (num(4)?, num(5)?),
            goal: (num(6)?, num(7)?),
            optimal_length: fields[8]
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| bad("length is not a number"))?,
        };
        agents.push(agent);
    }
    Ok(agents)
}

/// Reads and parses a `.scen` file.
pub fn load_scen(path: &Path) -> Result<Vec<ScenarioAgent>, LoadError> {
    let bytes = crate::read_bounded(path)?;
    let text = crate::decode_utf8(&bytes, path)?;
    parse_scen(&text, path)
}
