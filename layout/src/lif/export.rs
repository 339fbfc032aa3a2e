//! [`Layout`] → LIF JSON. Import of the output gives back the same model.

use serde_json::{Map, Value, json};

use super::{ACTION_BLOCKING, ORIENTATION_TYPES, REQUIREMENT_TYPES, ROTATION_DIRECTIONS};
use crate::geometry::Trajectory;
use crate::model::*;

fn name_of<T: PartialEq + Copy>(table: &[(&'static str, T)], value: T) -> &'static str {
    table.iter().find(|(_, v)| *v == value).map_or("", |(n, _)| n)
}

fn put_opt_str(obj: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        obj.insert(key.into(), Value::String(v.clone()));
    }
}

fn put_opt_num(obj: &mut Map<String, Value>, key: &str, value: Option<f64>) {
    if let Some(v) = value {
        obj.insert(key.into(), json!(v));
    }
}

fn actions(list: &[ActionTemplate]) -> Value {
    Value::Array(
        list.iter()
            .map(|a| {
                let mut o = Map::new();
                o.insert("actionType".into(), json!(a.action_type));
                put_opt_str(&mut o, "actionDescription", &a.description);
                if let Some(r) = a.requirement {
                    o.insert("requirementType".into(), json!(name_of(REQUIREMENT_TYPES, r)));
                }
                o.insert("blockingType".into(), json!(name_of(ACTION_BLOCKING, a.blocking)));
                if !a.parameters.is_empty() {
                    let params = a.parameters.iter().map(|(k, v)| json!({"key": k, "value": v}));
                    o.insert("actionParameters".into(), Value::Array(params.collect()));
                }
                Value::Object(o)
            })
            .collect(),
    )
}

fn trajectory(t: &Trajectory) -> Value {
    let mut o = Map::new();
    if let Some(d) = t.degree {
        o.insert("degree".into(), json!(d));
    }
    o.insert("knotVector".into(), json!(t.knots));
    let points = t.control_points.iter().map(|c| {
        let mut p = Map::new();
        p.insert("x".into(), json!(c.position.x));
        p.insert("y".into(), json!(c.position.y));
        put_opt_num(&mut p, "weight", c.weight);
        Value::Object(p)
    });
    o.insert("controlPoints".into(), Value::Array(points.collect()));
    Value::Object(o)
}

fn node(layout: &Layout, n: &Node) -> Value {
    let _ = layout;
    let mut o = Map::new();
    o.insert("nodeId".into(), json!(n.id));
    put_opt_str(&mut o, "nodeName", &n.name);
    put_opt_str(&mut o, "nodeDescription", &n.description);
    put_opt_str(&mut o, "mapId", &n.map_id);
    o.insert("nodePosition".into(), json!({"x": n.position.x, "y": n.position.y}));
    let props = n.vehicle_types.iter().map(|p| {
        let mut t = Map::new();
        t.insert("vehicleTypeId".into(), json!(p.vehicle_type));
        put_opt_num(&mut t, "theta", p.theta);
        if !p.actions.is_empty() {
            t.insert("actions".into(), actions(&p.actions));
        }
        Value::Object(t)
    });
    o.insert("vehicleTypeNodeProperties".into(), Value::Array(props.collect()));
    Value::Object(o)
}

fn edge(layout: &Layout, e: &Edge) -> Value {
    let mut o = Map::new();
    o.insert("edgeId".into(), json!(e.id));
    put_opt_str(&mut o, "edgeName", &e.name);
    put_opt_str(&mut o, "edgeDescription", &e.description);
    o.insert("startNodeId".into(), json!(layout.node(e.from).id));
    o.insert("endNodeId".into(), json!(layout.node(e.to).id));
    let props = e.vehicle_types.iter().map(|p| {
        let mut t = Map::new();
        t.insert("vehicleTypeId".into(), json!(p.vehicle_type));
        put_opt_num(&mut t, "vehicleOrientation", p.vehicle_orientation);
        if let Some(v) = p.orientation_type {
            t.insert("orientationType".into(), json!(name_of(ORIENTATION_TYPES, v)));
        }
        t.insert("rotationAllowed".into(), json!(p.rotation_allowed));
        if let Some(v) = p.rotation_at_start {
            t.insert("rotationAtStartNodeAllowed".into(), json!(name_of(ROTATION_DIRECTIONS, v)));
        }
        if let Some(v) = p.rotation_at_end {
            t.insert("rotationAtEndNodeAllowed".into(), json!(name_of(ROTATION_DIRECTIONS, v)));
        }
        put_opt_num(&mut t, "maxSpeed", p.max_speed);
        put_opt_num(&mut t, "maxRotationSpeed", p.max_rotation_speed);
        put_opt_num(&mut t, "minHeight", p.min_height);
        put_opt_num(&mut t, "maxHeight", p.max_height);
        if let Some(l) = &p.load_restriction {
            let mut r = Map::new();
            r.insert("unloaded".into(), json!(l.unloaded));
            r.insert("loaded".into(), json!(l.loaded));
            if !l.load_set_names.is_empty() {
                r.insert("loadSetNames".into(), json!(l.load_set_names));
            }
            t.insert("loadRestriction".into(), Value::Object(r));
        }
        if !p.actions.is_empty() {
            t.insert("actions".into(), actions(&p.actions));
        }
        if let Some(tr) = &p.trajectory {
            t.insert("trajectory".into(), trajectory(tr));
        }
        if let Some(v) = p.reentry_allowed {
            t.insert("reentryAllowed".into(), json!(v));
        }
        Value::Object(t)
    });
    o.insert("vehicleTypeEdgeProperties".into(), Value::Array(props.collect()));
    Value::Object(o)
}

fn station(layout: &Layout, s: &Station) -> Value {
    let mut o = Map::new();
    o.insert("stationId".into(), json!(s.id));
    let ids: Vec<&str> = s.interaction_nodes.iter().map(|n| layout.node(*n).id.as_str()).collect();
    o.insert("interactionNodeIds".into(), json!(ids));
    put_opt_str(&mut o, "stationName", &s.name);
    put_opt_str(&mut o, "stationDescription", &s.description);
    put_opt_num(&mut o, "stationHeight", s.height);
    if let Some(p) = &s.position {
        let mut q = Map::new();
        q.insert("x".into(), json!(p.position.x));
        q.insert("y".into(), json!(p.position.y));
        put_opt_num(&mut q, "theta", p.theta);
        o.insert("stationPosition".into(), Value::Object(q));
    }
    Value::Object(o)
}

/// The layout as a LIF JSON value (valid against the LIF schema).
pub fn to_value(layout: &Layout) -> Value {
    let levels = layout.levels.iter().enumerate().map(|(i, level)| {
        let level_idx = LevelIdx(i as u32);
        let mut o = Map::new();
        o.insert("layoutId".into(), json!(level.id));
        put_opt_str(&mut o, "layoutName", &level.name);
        o.insert("layoutVersion".into(), json!(level.version));
        put_opt_str(&mut o, "layoutLevelId", &level.level_id);
        put_opt_str(&mut o, "layoutDescription", &level.description);
        let nodes = layout.nodes.iter().filter(|n| n.level == level_idx).map(|n| node(layout, n));
        o.insert("nodes".into(), Value::Array(nodes.collect()));
        let edges = layout.edges.iter().filter(|e| e.level == level_idx).map(|e| edge(layout, e));
        o.insert("edges".into(), Value::Array(edges.collect()));
        let stations = layout.stations.iter().filter(|s| s.level == level_idx).map(|s| station(layout, s));
        o.insert("stations".into(), Value::Array(stations.collect()));
        Value::Object(o)
    });
    json!({
        "metaInformation": {
            "projectIdentification": layout.meta.project_identification,
            "creator": layout.meta.creator,
            "exportTimestamp": layout.meta.export_timestamp,
            "lifVersion": layout.meta.lif_version,
        },
        "layouts": Value::Array(levels.collect()),
    })
}

/// The layout as pretty-printed LIF JSON text, ending in a newline.
pub fn to_string(layout: &Layout) -> String {
    let mut text = serde_json::to_string_pretty(&to_value(layout)).unwrap_or_default();
    text.push('\n');
    text
}
