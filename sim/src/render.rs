//! SVG picture of a layout: one panel per level, edges with their
//! direction, nodes, and stations labelled and coloured by kind.

use std::fmt::Write as _;

use layout::analysis::summarize;
use layout::model::{EdgeIdx, Layout, LevelIdx, StationKind};
use layout::spatial::{edge_geometry, is_planar};
use nalgebra::Point2;
use svg::Document;
use svg::node::element::{Circle, Definitions, Group, Marker, Path, Rectangle, Text, Title};

/// Picture width in pixels of the widest level.
const TARGET_WIDTH_PX: f64 = 1600.0;
/// White space around each level, m.
const MARGIN_M: f64 = 4.0;
/// Past this many nodes a layout is drawn coarsely: a grid's free cells as
/// row runs, any other layout's roads as one path, no node markers, so that
/// the picture of a 2-million-cell map stays a few megabytes.
const DETAILED_MAX_NODES: usize = 20_000;

/// Fill colour of a station marker.
pub fn kind_colour(kind: StationKind) -> &'static str {
    match kind {
        StationKind::Pickup => "#1f77b4",
        StationKind::Drop => "#2ca02c",
        StationKind::Charging => "#ffbf00",
        StationKind::Parking => "#7f7f7f",
        StationKind::Inspection => "#9467bd",
        StationKind::Other => "#8c564b",
    }
}

struct Frame {
    min: Point2<f64>,
    max: Point2<f64>,
    offset_px: f64,
    scale: f64,
}

impl Frame {
    fn px(&self, p: Point2<f64>) -> (f64, f64) {
        (
            self.offset_px + (p.x - self.min.x + MARGIN_M) * self.scale,
            (self.max.y - p.y + MARGIN_M) * self.scale + 40.0,
        )
    }
    fn width_px(&self) -> f64 {
        (self.max.x - self.min.x + 2.0 * MARGIN_M) * self.scale
    }
    fn height_px(&self) -> f64 {
        (self.max.y - self.min.y + 2.0 * MARGIN_M) * self.scale + 40.0
    }
}

fn level_frames(layout: &Layout) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut widest: f64 = 1.0;
    let mut boxes = Vec::new();
    for level in 0..layout.levels.len().max(1) {
        let pts: Vec<Point2<f64>> =
            layout.nodes.iter().filter(|n| n.level.index() == level).map(|n| n.position).collect();
        let min =
            pts.iter().fold(Point2::new(f64::MAX, f64::MAX), |a, p| Point2::new(a.x.min(p.x), a.y.min(p.y)));
        let max =
            pts.iter().fold(Point2::new(f64::MIN, f64::MIN), |a, p| Point2::new(a.x.max(p.x), a.y.max(p.y)));
        let (min, max) = if pts.is_empty() { (Point2::origin(), Point2::new(1.0, 1.0)) } else { (min, max) };
        widest = widest.max(max.x - min.x + 2.0 * MARGIN_M);
        boxes.push((min, max));
    }
    let scale = (TARGET_WIDTH_PX / widest).clamp(0.5, 40.0);
    let mut offset_px = 0.0;
    for (min, max) in boxes {
        let frame = Frame { min, max, offset_px, scale };
        offset_px += frame.width_px() + 30.0;
        frames.push(frame);
    }
    frames
}

fn path_data(frame: &Frame, points: &[Point2<f64>]) -> String {
    let mut d = String::new();
    for (i, p) in points.iter().enumerate() {
        let (x, y) = frame.px(*p);
        let _ = write!(d, "{}{x:.2},{y:.2} ", if i == 0 { "M" } else { "L" });
    }
    d
}

/// Renders the layout as an SVG document.
pub fn render(layout: &Layout) -> Document {
    let frames = level_frames(layout);
    let all_types = layout.vehicle_types();
    let width: f64 = frames.iter().map(|f| f.offset_px + f.width_px()).fold(0.0, f64::max);
    let height: f64 = frames.iter().map(Frame::height_px).fold(0.0, f64::max) + 90.0;
    let scale = frames.first().map_or(1.0, |f| f.scale);
    let stroke = (0.35 * scale).clamp(0.4, 3.0);
    let node_r = (0.45 * scale).clamp(0.6, 4.0);

    let arrow = Marker::new()
        .set("id", "arrow")
        .set("viewBox", "0 0 10 10")
        .set("refX", 9)
        .set("refY", 5)
        .set("markerWidth", 5)
        .set("markerHeight", 5)
        .set("orient", "auto")
        .add(Path::new().set("d", "M0,0 L10,5 L0,10 z").set("fill", "#555"));
    let mut doc = Document::new()
        .set("viewBox", (0, 0, width.ceil(), height.ceil()))
        .set("width", width.ceil())
        .set("height", height.ceil())
        .set("font-family", "sans-serif")
        .add(Title::new(format!("Layout {}", layout.meta.project_identification)))
        .add(Definitions::new().add(arrow))
        .add(Rectangle::new().set("width", "100%").set("height", "100%").set("fill", "white"));

    for (level_idx, frame) in frames.iter().enumerate() {
        let level = LevelIdx(level_idx as u32);
        let title = layout.levels.get(level_idx).map_or("level".to_string(), |l| {
            format!(
                "{}{}",
                l.name.clone().unwrap_or_else(|| l.id.clone()),
                l.level_id.as_ref().map_or(String::new(), |f| format!(" (level {f})"))
            )
        });
        let mut group = Group::new().set("id", format!("level-{level_idx}"));
        group = group.add(
            Text::new(title)
                .set("x", frame.offset_px + 8.0)
                .set("y", 24)
                .set("font-size", 18)
                .set("font-weight", "bold"),
        );
        if layout.nodes.len() > DETAILED_MAX_NODES {
            group = group.add(coarse(layout, level, frame));
            doc = doc.add(group);
            continue;
        }
        let mut drawn_pairs = std::collections::BTreeSet::new();
        for i in 0..layout.edges.len() {
            let edge = EdgeIdx(i as u32);
            let e = layout.edge(edge);
            if layout.node(e.from).level != level {
                continue;
            }
            let restricted = e.vehicle_types.len() < all_types.len();
            let colour = if restricted { "#e07b00" } else { "#888" };
            if !is_planar(layout, edge) {
                let (x, y) = frame.px(layout.node(e.from).position);
                group = group.add(
                    Text::new(format!("→ {}", layout.node(e.to).id))
                        .set("x", x + 4.0)
                        .set("y", y - 4.0)
                        .set("font-size", 10)
                        .set("fill", "#c00"),
                );
                continue;
            }
            let reverse = layout.reverse_edge(edge);
            let two_way_straight = reverse.is_some() && e.trajectory().is_none();
            if two_way_straight {
                let key = (e.from.min(e.to), e.from.max(e.to));
                if !drawn_pairs.insert(key) {
                    continue;
                }
            }
            let mut path = Path::new()
                .set("d", path_data(frame, &edge_geometry(layout, edge)))
                .set("fill", "none")
                .set("stroke", colour)
                .set("stroke-width", stroke)
                .add(Title::new(format!("edge {} ({:.1} m)", e.id, e.length)));
            if !two_way_straight {
                path = path.set("marker-end", "url(#arrow)");
            }
            group = group.add(path);
        }
        for node in layout.nodes.iter().filter(|n| n.level == level) {
            let (x, y) = frame.px(node.position);
            group = group.add(
                Circle::new()
                    .set("cx", x)
                    .set("cy", y)
                    .set("r", node_r)
                    .set("fill", "#333")
                    .add(Title::new(format!("node {}", node.id))),
            );
        }
        for station in layout.stations.iter().filter(|s| s.level == level) {
            let Some(first) = station.interaction_nodes.first() else { continue };
            let anchor = station.position.map_or(layout.node(*first).position, |p| p.position);
            let (x, y) = frame.px(anchor);
            let r = (node_r * 2.6).max(4.0);
            group = group
                .add(
                    Rectangle::new()
                        .set("x", x - r)
                        .set("y", y - r)
                        .set("width", 2.0 * r)
                        .set("height", 2.0 * r)
                        .set("fill", kind_colour(station.kind))
                        .set("stroke", "black")
                        .set("stroke-width", 0.6)
                        .add(Title::new(format!("station {} ({})", station.id, station.kind))),
                )
                .add(
                    Text::new(station.id.clone())
                        .set("x", x + r + 2.0)
                        .set("y", y - r)
                        .set("font-size", (r * 1.6).clamp(7.0, 12.0)),
                );
        }
        doc = doc.add(group);
    }
    // Legend.
    let summary = summarize(layout);
    let mut legend = Group::new().set("id", "legend");
    let y0 = height - 60.0;
    let mut x = 10.0;
    for kind in StationKind::ALL {
        let count = summary.stations_by_kind.get(&kind).copied().unwrap_or(0);
        legend = legend
            .add(
                Rectangle::new()
                    .set("x", x)
                    .set("y", y0)
                    .set("width", 12)
                    .set("height", 12)
                    .set("fill", kind_colour(kind))
                    .set("stroke", "black"),
            )
            .add(
                Text::new(format!("{kind} ({count})"))
                    .set("x", x + 16.0)
                    .set("y", y0 + 11.0)
                    .set("font-size", 13),
            );
        x += 130.0;
    }
    let note = if summary.nodes > DETAILED_MAX_NODES {
        format!(
            "{} nodes, {} edges; drawn coarsely (grey: where vehicles can be)",
            summary.nodes, summary.edges
        )
    } else {
        format!(
            "{} nodes, {} edges; grey: all vehicle types, orange: restricted; arrow: one-way",
            summary.nodes, summary.edges
        )
    };
    legend = legend.add(Text::new(note).set("x", 10).set("y", y0 + 36.0).set("font-size", 13));
    doc.add(legend)
}

/// A large level in one element: a grid's free cells as horizontal runs
/// (one rectangle per run of free cells in a row), or every road of any
/// other layout as one path.
fn coarse(layout: &Layout, level: LevelIdx, frame: &Frame) -> Path {
    let mut d = String::new();
    if let Some(grid) = &layout.grid {
        let mut rows: Vec<Vec<(u32, usize)>> = vec![Vec::new(); grid.height as usize];
        for (i, &(x, y)) in grid.cells.iter().enumerate() {
            if layout.nodes.get(i).is_some_and(|n| n.level == level)
                && let Some(row) = rows.get_mut(y as usize)
            {
                row.push((x, i));
            }
        }
        // Cell (x, y) is node position (x, y) in metres with 1 m cells, y up.
        let cell = frame.scale;
        for row in &mut rows {
            row.sort_unstable();
            let mut i = 0;
            while i < row.len() {
                let mut j = i;
                while j + 1 < row.len() && row[j + 1].0 == row[j].0 + 1 {
                    j += 1;
                }
                let first = layout.nodes[row[i].1].position;
                let (px, py) = frame.px(first);
                let _ = write!(
                    d,
                    "M{:.1},{:.1}h{:.1}v{:.1}h{:.1}z",
                    px - cell / 2.0,
                    py - cell / 2.0,
                    cell * (j - i + 1) as f64,
                    cell,
                    -cell * (j - i + 1) as f64
                );
                i = j + 1;
            }
        }
        return Path::new().set("d", d).set("fill", "#bbb").set("stroke", "none");
    }
    for e in &layout.edges {
        if layout.node(e.from).level != level {
            continue;
        }
        let (a, b) = (frame.px(layout.node(e.from).position), frame.px(layout.node(e.to).position));
        let _ = write!(d, "M{:.1},{:.1}L{:.1},{:.1}", a.0, a.1, b.0, b.1);
    }
    Path::new().set("d", d).set("fill", "none").set("stroke", "#888").set("stroke-width", 0.5)
}
