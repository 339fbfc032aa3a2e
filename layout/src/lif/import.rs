//! LIF JSON → [`Layout`]: schema checks (strict or lenient) and the
//! semantic checks no schema can express (references, duplicates, geometry).

use std::collections::BTreeMap;

use nalgebra::Point2;
use serde_json::{Map, Value};

use super::reader::{Need, Reader, child, item};
use super::{ACTION_BLOCKING, ORIENTATION_TYPES, REQUIREMENT_TYPES, ROTATION_DIRECTIONS};
use crate::error::{Issue, IssueCode, Location, Severity, excerpt};
use crate::geometry::{ControlPoint, Trajectory, polyline_length, trajectory_between};
use crate::model::*;

/// Positions closer than this (m) count as the same point.
const SAME_POINT: f64 = 1e-6;
/// The largest coordinate accepted, in metres: a thousand kilometres from
/// the origin holds any site, and keeps every distance between two accepted
/// points finite (a coordinate of 1e200 would square to infinity).
const MAX_COORDINATE: f64 = 1e6;

type Obj = Map<String, Value>;

/// Parses LIF text; `Err` holds every diagnostic, errors first.
pub(crate) fn parse(text: &str, strict: bool) -> Result<(Layout, Vec<Issue>), Vec<Issue>> {
    if text.trim().is_empty() {
        return Err(vec![Issue {
            severity: Severity::Error,
            code: IssueCode::EmptyFile,
            location: Location::File,
            found: "an empty file".into(),
            expected: "a LIF JSON document".into(),
        }]);
    }
    let root: Value = serde_json::from_str(text).map_err(|e| {
        let truncated = e.classify() == serde_json::error::Category::Eof;
        vec![Issue {
            severity: Severity::Error,
            code: IssueCode::JsonSyntax,
            location: Location::Line { line: e.line(), column: e.column() },
            found: if truncated {
                "end of file".into()
            } else {
                let message = e.to_string();
                match message.rfind(" at line ") {
                    Some(cut) => message[..cut].to_string(),
                    None => message,
                }
            },
            expected: if truncated {
                "more JSON: the file looks truncated".into()
            } else {
                "well-formed JSON".into()
            },
        }]
    })?;
    let mut reader = Reader::new(strict);
    let layout = Importer { r: &mut reader }.root(&root);
    let mut issues = reader.issues;
    issues.sort_by_key(|i| std::cmp::Reverse(i.severity));
    match layout {
        Some(layout) if !issues.iter().any(|i| i.severity == Severity::Error) => Ok((layout, issues)),
        _ => Err(issues),
    }
}

struct Importer<'r> {
    r: &'r mut Reader,
}

/// A node read in the first pass, with its path for later messages.
struct NodeEntry {
    node: Node,
}

impl Importer<'_> {
    fn root(&mut self, root: &Value) -> Option<Layout> {
        let obj = self.r.object(root, "$")?;
        let meta = self.meta(obj);
        let layouts = self.r.array_field(obj, "$", "layouts", Need::Required)?;
        if layouts.is_empty() {
            self.r.error(IssueCode::EmptyList, "$.layouts", "an empty array", "at least one layout");
            return None;
        }
        let mut levels = Vec::new();
        let mut layout_objs: Vec<(String, &Obj)> = Vec::new();
        let mut level_ids: BTreeMap<String, String> = BTreeMap::new();
        for (i, value) in layouts.iter().enumerate() {
            let path = item("$.layouts", i);
            let Some(lobj) = self.r.object(value, &path) else { continue };
            let level = self.level(lobj, &path);
            if let Some(prev) = level_ids.insert(level.id.clone(), path.clone()) {
                self.r.error(
                    IssueCode::DuplicateId,
                    &child(&path, "layoutId"),
                    format!("{:?}, already used at {prev}", excerpt(&level.id)),
                    "a layoutId unique in the file",
                );
            }
            levels.push(level);
            layout_objs.push((path, lobj));
        }

        // Pass 1: nodes of every level (edges may cross levels).
        let mut nodes: Vec<NodeEntry> = Vec::new();
        let mut node_index: BTreeMap<String, (NodeIdx, String)> = BTreeMap::new();
        for (level_idx, (path, lobj)) in layout_objs.iter().enumerate() {
            let Some(items) = self.r.array_field(lobj, path, "nodes", Need::Required) else { continue };
            for (i, value) in items.iter().enumerate() {
                let npath = item(&child(path, "nodes"), i);
                let Some(node) = self.node(value, &npath, LevelIdx(level_idx as u32)) else { continue };
                let idx = NodeIdx(nodes.len() as u32);
                if let Some((_, prev)) = node_index.get(&node.id) {
                    self.r.error(
                        IssueCode::DuplicateId,
                        &child(&npath, "nodeId"),
                        format!("{:?}, already used at {prev}", excerpt(&node.id)),
                        "a nodeId unique across all layouts of the file",
                    );
                    continue;
                }
                node_index.insert(node.id.clone(), (idx, npath));
                nodes.push(NodeEntry { node });
            }
        }

        // Pass 2: edges and stations.
        let mut edges = Vec::new();
        let mut edge_ids: BTreeMap<String, String> = BTreeMap::new();
        let mut stations = Vec::new();
        let mut station_ids: BTreeMap<String, String> = BTreeMap::new();
        for (level_idx, (path, lobj)) in layout_objs.iter().enumerate() {
            let level = LevelIdx(level_idx as u32);
            if let Some(items) = self.r.array_field(lobj, path, "edges", Need::Required) {
                for (i, value) in items.iter().enumerate() {
                    let epath = item(&child(path, "edges"), i);
                    let Some(edge) = self.edge(value, &epath, level, &nodes, &node_index) else {
                        continue;
                    };
                    if let Some(prev) = edge_ids.insert(edge.id.clone(), epath.clone()) {
                        self.r.error(
                            IssueCode::DuplicateId,
                            &child(&epath, "edgeId"),
                            format!("{:?}, already used at {prev}", excerpt(&edge.id)),
                            "an edgeId unique across all layouts of the file",
                        );
                        continue;
                    }
                    edges.push(edge);
                }
            }
            let station_items = match self.r.array_field(lobj, path, "stations", Need::SchemaRequired) {
                Some(items) => items,
                None => &[],
            };
            for (i, value) in station_items.iter().enumerate() {
                let spath = item(&child(path, "stations"), i);
                let Some(station) = self.station(value, &spath, level, &nodes, &node_index) else {
                    continue;
                };
                if let Some(prev) = station_ids.insert(station.id.clone(), spath.clone()) {
                    self.r.error(
                        IssueCode::DuplicateId,
                        &child(&spath, "stationId"),
                        format!("{:?}, already used at {prev}", excerpt(&station.id)),
                        "a stationId unique across all layouts of the file",
                    );
                    continue;
                }
                stations.push(station);
            }
        }
        if self.r.has_errors() {
            return None;
        }
        Some(Layout::from_parts(LayoutParts {
            meta,
            levels,
            nodes: nodes.into_iter().map(|e| e.node).collect(),
            edges,
            stations,
            grid: None,
        }))
    }

    fn meta(&mut self, obj: &Obj) -> MetaInformation {
        let Some(m) = self.r.object_field(obj, "$", "metaInformation", Need::SchemaRequired) else {
            return MetaInformation::default();
        };
        let path = "$.metaInformation";
        let mut text = |key| self.r.string(m, path, key, Need::SchemaRequired).unwrap_or_default();
        MetaInformation {
            project_identification: text("projectIdentification"),
            creator: text("creator"),
            export_timestamp: text("exportTimestamp"),
            lif_version: text("lifVersion"),
        }
    }

    fn level(&mut self, obj: &Obj, path: &str) -> Level {
        Level {
            id: self.r.string(obj, path, "layoutId", Need::Required).unwrap_or_default(),
            name: self.r.string(obj, path, "layoutName", Need::Optional),
            version: self.r.string(obj, path, "layoutVersion", Need::SchemaRequired).unwrap_or_default(),
            level_id: self.r.string(obj, path, "layoutLevelId", Need::Optional),
            description: self.r.string(obj, path, "layoutDescription", Need::Optional),
        }
    }

    fn point(&mut self, obj: &Obj, path: &str, key: &str, need: Need) -> Option<Point2<f64>> {
        let p = self.r.object_field(obj, path, key, need)?;
        let ppath = child(path, key);
        let x = self.coordinate(p, &ppath, "x");
        let y = self.coordinate(p, &ppath, "y");
        Some(Point2::new(x?, y?))
    }

    /// A required coordinate, within [`MAX_COORDINATE`] of the origin.
    fn coordinate(&mut self, obj: &Obj, path: &str, key: &str) -> Option<f64> {
        self.r.number_in(obj, path, key, Need::Required, -MAX_COORDINATE, MAX_COORDINATE)
    }

    fn node(&mut self, value: &Value, path: &str, level: LevelIdx) -> Option<Node> {
        let obj = self.r.object(value, path)?;
        let id = self.r.string(obj, path, "nodeId", Need::Required);
        let name = self.r.string(obj, path, "nodeName", Need::Optional);
        let description = self.r.string(obj, path, "nodeDescription", Need::Optional);
        let map_id = self.r.string(obj, path, "mapId", Need::Optional);
        let position = self.point(obj, path, "nodePosition", Need::Required);
        let mut vehicle_types = Vec::new();
        let list = self.r.array_field(obj, path, "vehicleTypeNodeProperties", Need::SchemaRequired);
        let list_path = child(path, "vehicleTypeNodeProperties");
        if let Some(items) = list {
            if items.is_empty() {
                self.empty_vehicle_types(&list_path, "node");
            }
            for (i, v) in items.iter().enumerate() {
                let ipath = item(&list_path, i);
                let Some(p) = self.r.object(v, &ipath) else { continue };
                let Some(vehicle_type) = self.r.string(p, &ipath, "vehicleTypeId", Need::Required) else {
                    continue;
                };
                self.check_duplicate_type(
                    vehicle_types.iter().map(|t: &NodeTypeProperties| &t.vehicle_type),
                    &vehicle_type,
                    &ipath,
                );
                let theta = self.r.number(p, &ipath, "theta", Need::Optional);
                let actions = self.actions(p, &ipath);
                vehicle_types.push(NodeTypeProperties { vehicle_type, theta, actions });
            }
        }
        Some(Node { id: id?, name, description, map_id, level, position: position?, vehicle_types })
    }

    fn empty_vehicle_types(&mut self, path: &str, what: &str) {
        self.r.report(
            Severity::Warning,
            IssueCode::EmptyList,
            path,
            "an empty array",
            format!("at least one vehicle type; no vehicle may use this {what}"),
        );
    }

    fn check_duplicate_type<'a>(
        &mut self,
        mut seen: impl Iterator<Item = &'a String>,
        vehicle_type: &str,
        path: &str,
    ) {
        if seen.any(|t| t == vehicle_type) {
            self.r.error(
                IssueCode::DuplicateVehicleType,
                &child(path, "vehicleTypeId"),
                format!("{:?} a second time", excerpt(vehicle_type)),
                "one entry per vehicle type",
            );
        }
    }

    fn actions(&mut self, obj: &Obj, path: &str) -> Vec<ActionTemplate> {
        let Some(items) = self.r.array_field(obj, path, "actions", Need::Optional) else {
            return Vec::new();
        };
        let list_path = child(path, "actions");
        let mut actions = Vec::new();
        for (i, v) in items.iter().enumerate() {
            let apath = item(&list_path, i);
            let Some(a) = self.r.object(v, &apath) else { continue };
            let action_type = self.r.string(a, &apath, "actionType", Need::Required);
            let description = self.r.string(a, &apath, "actionDescription", Need::Optional);
            let requirement =
                self.r.enumeration(a, &apath, "requirementType", Need::Optional, REQUIREMENT_TYPES);
            let blocking = self
                .r
                .enumeration(a, &apath, "blockingType", Need::SchemaRequired, ACTION_BLOCKING)
                .unwrap_or(BlockingType::Hard);
            let mut parameters = Vec::new();
            if let Some(params) = self.r.array_field(a, &apath, "actionParameters", Need::Optional) {
                let ppath = child(&apath, "actionParameters");
                for (j, pv) in params.iter().enumerate() {
                    let kpath = item(&ppath, j);
                    let Some(p) = self.r.object(pv, &kpath) else { continue };
                    let key = self.r.string(p, &kpath, "key", Need::Required);
                    let value = self.r.field(p, &kpath, "value", Need::Required, "a string");
                    let value = value.and_then(|v| self.r.string_value(v, &child(&kpath, "value")));
                    if let (Some(key), Some(value)) = (key, value) {
                        parameters.push((key, value));
                    }
                }
            }
            if let Some(action_type) = action_type {
                actions.push(ActionTemplate { action_type, description, requirement, blocking, parameters });
            }
        }
        actions
    }

    fn node_ref(
        &mut self,
        obj: &Obj,
        path: &str,
        key: &str,
        node_index: &BTreeMap<String, (NodeIdx, String)>,
    ) -> Option<NodeIdx> {
        let id = self.r.string(obj, path, key, Need::Required)?;
        match node_index.get(&id) {
            Some((idx, _)) => Some(*idx),
            None => {
                self.r.error(
                    IssueCode::UnknownNode,
                    &child(path, key),
                    format!("{:?}", excerpt(&id)),
                    "the nodeId of a node defined in this file",
                );
                None
            }
        }
    }

    fn edge(
        &mut self,
        value: &Value,
        path: &str,
        level: LevelIdx,
        nodes: &[NodeEntry],
        node_index: &BTreeMap<String, (NodeIdx, String)>,
    ) -> Option<Edge> {
        let obj = self.r.object(value, path)?;
        let id = self.r.string(obj, path, "edgeId", Need::Required);
        let name = self.r.string(obj, path, "edgeName", Need::Optional);
        let description = self.r.string(obj, path, "edgeDescription", Need::Optional);
        let from = self.node_ref(obj, path, "startNodeId", node_index);
        let to = self.node_ref(obj, path, "endNodeId", node_index);
        let mut vehicle_types = Vec::new();
        let list_path = child(path, "vehicleTypeEdgeProperties");
        if let Some(items) = self.r.array_field(obj, path, "vehicleTypeEdgeProperties", Need::SchemaRequired)
        {
            if items.is_empty() {
                self.empty_vehicle_types(&list_path, "edge");
            }
            for (i, v) in items.iter().enumerate() {
                let ipath = item(&list_path, i);
                if let Some(props) = self.edge_props(v, &ipath) {
                    self.check_duplicate_type(
                        vehicle_types.iter().map(|t: &EdgeTypeProperties| &t.vehicle_type),
                        &props.vehicle_type,
                        &ipath,
                    );
                    vehicle_types.push(props);
                }
            }
        }
        let (id, from, to) = (id?, from?, to?);
        let (a, b) = (&nodes[from.index()].node, &nodes[to.index()].node);
        if a.level != level {
            self.r.error(
                IssueCode::StartNodeOnOtherLevel,
                &child(path, "startNodeId"),
                format!("{:?}, a node of another layout", a.id),
                "a start node that belongs to the layout listing the edge",
            );
        }
        if from == to {
            self.r.error(
                IssueCode::SelfLoop,
                &child(path, "endNodeId"),
                format!("{:?}, the edge's own start node", b.id),
                "an edge between two different nodes",
            );
            return None;
        }
        let straight = (b.position - a.position).norm();
        if a.level == b.level && straight < SAME_POINT {
            let rotates = vehicle_types.iter().any(|p| {
                p.rotation_allowed
                    || [p.rotation_at_start, p.rotation_at_end]
                        .iter()
                        .any(|r| matches!(r, Some(d) if *d != RotationDirections::None))
            });
            if !rotates {
                self.r.error(
                    IssueCode::ZeroLengthEdge,
                    path,
                    format!("nodes {:?} and {:?} both at ({}, {})", a.id, b.id, a.position.x, a.position.y),
                    "an edge between nodes at different positions, or an in-place rotation edge \
                     (rotationAllowed or rotationAt*NodeAllowed other than NONE)",
                );
                return None;
            }
        }
        let mut length = straight;
        let mut first_trajectory = true;
        for (i, props) in vehicle_types.iter().enumerate() {
            let Some(trajectory) = &props.trajectory else { continue };
            match trajectory_between(trajectory, a.position, b.position) {
                Some(line) if first_trajectory => length = polyline_length(&line),
                Some(_) => {}
                None => {
                    let line = trajectory.polyline().unwrap_or_default();
                    let (start, end) = (
                        line.first().copied().unwrap_or(a.position),
                        line.last().copied().unwrap_or(b.position),
                    );
                    self.r.report(
                        Severity::Warning,
                        IssueCode::TrajectoryOffEnds,
                        &child(&item(&list_path, i), "trajectory"),
                        format!("a curve from ({:.3}, {:.3}) to ({:.3}, {:.3})", start.x, start.y, end.x, end.y),
                        format!(
                            "a curve from node {:?} ({}, {}) to node {:?} ({}, {}); the straight segment is used instead",
                            a.id, a.position.x, a.position.y, b.id, b.position.x, b.position.y
                        ),
                    );
                }
            }
            first_trajectory = false;
        }
        Some(Edge { id, name, description, level, from, to, length, vehicle_types })
    }

    fn edge_props(&mut self, value: &Value, path: &str) -> Option<EdgeTypeProperties> {
        let p = self.r.object(value, path)?;
        let vehicle_type = self.r.string(p, path, "vehicleTypeId", Need::Required);
        let vehicle_orientation = self.r.number(p, path, "vehicleOrientation", Need::Optional);
        let orientation_type =
            self.r.enumeration(p, path, "orientationType", Need::Optional, ORIENTATION_TYPES);
        let rotation_allowed =
            self.r.boolean(p, path, "rotationAllowed", Need::SchemaRequired).unwrap_or(false);
        let rotation_at_start =
            self.r.enumeration(p, path, "rotationAtStartNodeAllowed", Need::Optional, ROTATION_DIRECTIONS);
        let rotation_at_end =
            self.r.enumeration(p, path, "rotationAtEndNodeAllowed", Need::Optional, ROTATION_DIRECTIONS);
        let max_speed = self.r.number(p, path, "maxSpeed", Need::Optional);
        if let Some(speed) = max_speed
            && speed <= 0.0
        {
            self.r.error(
                IssueCode::OutOfRange,
                &child(path, "maxSpeed"),
                format!("{speed}"),
                "a positive speed in m/s",
            );
        }
        let max_rotation_speed = self.r.number(p, path, "maxRotationSpeed", Need::Optional);
        let min_height = self.r.number(p, path, "minHeight", Need::Optional);
        let max_height = self.r.number(p, path, "maxHeight", Need::Optional);
        let load_restriction =
            self.r.object_field(p, path, "loadRestriction", Need::Optional).and_then(|l| {
                let lpath = child(path, "loadRestriction");
                let unloaded = self.r.boolean(l, &lpath, "unloaded", Need::Required);
                let loaded = self.r.boolean(l, &lpath, "loaded", Need::Required);
                let mut load_set_names = Vec::new();
                if let Some(names) = self.r.array_field(l, &lpath, "loadSetNames", Need::Optional) {
                    let npath = child(&lpath, "loadSetNames");
                    for (i, v) in names.iter().enumerate() {
                        if let Some(s) = self.r.string_value(v, &item(&npath, i)) {
                            load_set_names.push(s);
                        }
                    }
                }
                Some(LoadRestriction { unloaded: unloaded?, loaded: loaded?, load_set_names })
            });
        let actions = self.actions(p, path);
        let trajectory = self.trajectory(p, path);
        let reentry_allowed = self.r.boolean(p, path, "reentryAllowed", Need::Optional);
        Some(EdgeTypeProperties {
            vehicle_type: vehicle_type?,
            vehicle_orientation,
            orientation_type,
            rotation_allowed,
            rotation_at_start,
            rotation_at_end,
            max_speed,
            max_rotation_speed,
            min_height,
            max_height,
            load_restriction,
            actions,
            trajectory,
            reentry_allowed,
        })
    }

    fn trajectory(&mut self, obj: &Obj, path: &str) -> Option<Trajectory> {
        let t = self.r.object_field(obj, path, "trajectory", Need::Optional)?;
        let tpath = child(path, "trajectory");
        let degree = match self.r.number_in(t, &tpath, "degree", Need::Optional, 1.0, f64::INFINITY) {
            Some(d) if d.fract() != 0.0 || d > 64.0 => {
                self.r.error(
                    IssueCode::OutOfRange,
                    &child(&tpath, "degree"),
                    format!("{d}"),
                    "a whole number from 1 to 64",
                );
                return None;
            }
            Some(d) => Some(d as u32),
            None => None,
        };
        let mut knots = Vec::new();
        let kpath = child(&tpath, "knotVector");
        for (i, v) in self.r.array_field(t, &tpath, "knotVector", Need::Required)?.iter().enumerate() {
            let ipath = item(&kpath, i);
            let k = self.r.number_value(v, &ipath)?;
            if !(0.0..=1.0).contains(&k) {
                self.r.error(IssueCode::OutOfRange, &ipath, format!("{k}"), "a knot from 0 to 1");
                return None;
            }
            knots.push(k);
        }
        let mut control_points = Vec::new();
        let cpath = child(&tpath, "controlPoints");
        for (i, v) in self.r.array_field(t, &tpath, "controlPoints", Need::Required)?.iter().enumerate() {
            let ipath = item(&cpath, i);
            let c = self.r.object(v, &ipath)?;
            let x = self.coordinate(c, &ipath, "x");
            let y = self.coordinate(c, &ipath, "y");
            let weight = self.r.number_in(c, &ipath, "weight", Need::Optional, 1.0, f64::INFINITY);
            control_points.push(ControlPoint { position: Point2::new(x?, y?), weight });
        }
        let trajectory = Trajectory { degree, knots, control_points };
        if let Err(problem) = trajectory.check() {
            self.r.error(
                IssueCode::BadTrajectory,
                &tpath,
                problem.to_string(),
                "a NURBS curve that can be evaluated",
            );
            return None;
        }
        Some(trajectory)
    }

    fn station(
        &mut self,
        value: &Value,
        path: &str,
        level: LevelIdx,
        nodes: &[NodeEntry],
        node_index: &BTreeMap<String, (NodeIdx, String)>,
    ) -> Option<Station> {
        let obj = self.r.object(value, path)?;
        let id = self.r.string(obj, path, "stationId", Need::Required);
        let name = self.r.string(obj, path, "stationName", Need::Optional);
        let description = self.r.string(obj, path, "stationDescription", Need::Optional);
        let height = self.r.number_in(obj, path, "stationHeight", Need::Optional, 0.0, f64::INFINITY);
        let position = self.r.object_field(obj, path, "stationPosition", Need::Optional).and_then(|p| {
            let ppath = child(path, "stationPosition");
            let x = self.coordinate(p, &ppath, "x");
            let y = self.coordinate(p, &ppath, "y");
            let theta = self.r.number(p, &ppath, "theta", Need::Optional);
            Some(StationPosition { position: Point2::new(x?, y?), theta })
        });
        let list_path = child(path, "interactionNodeIds");
        let mut interaction_nodes = Vec::new();
        let items = self.r.array_field(obj, path, "interactionNodeIds", Need::Required)?;
        if items.is_empty() {
            self.r.error(IssueCode::EmptyList, &list_path, "an empty array", "at least one interaction node");
        }
        for (i, v) in items.iter().enumerate() {
            let ipath = item(&list_path, i);
            let Some(node_id) = self.r.string_value(v, &ipath) else { continue };
            match node_index.get(&node_id) {
                Some((idx, _)) => interaction_nodes.push(*idx),
                None => self.r.error(
                    IssueCode::UnknownNode,
                    &ipath,
                    format!("{:?}", excerpt(&node_id)),
                    "the nodeId of a node defined in this file",
                ),
            }
        }
        let id = id?;
        let actions = interaction_nodes.iter().flat_map(|n| {
            nodes[n.index()]
                .node
                .vehicle_types
                .iter()
                .flat_map(|t| t.actions.iter().map(|a| a.action_type.as_str()))
        });
        let texts = [id.as_str(), name.as_deref().unwrap_or(""), description.as_deref().unwrap_or("")];
        let kind = StationKind::infer(&texts, actions);
        Some(Station { id, name, description, level, interaction_nodes, height, position, kind })
    }
}
