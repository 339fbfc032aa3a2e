//! The run's events as an OCEL 2.0 event log (`yard-sim run --ocel`), the
//! object-centric standard that process-mining tools (pm4py, Celonis,
//! OCEL-capable ProM plug-ins) load.
//!
//! Objects: `transport order`, `vehicle`, `station`, `load` (one per
//! order: the goods it moves). Events, each with its objects and their
//! roles (qualifiers): `order accepted`, `vehicle assigned`, `load picked`,
//! `stop reached` (milk runs), `load dropped`, `order delivered`, `order
//! failed`, `order cancelled`, `vehicle fenced`, `vehicle recovered`,
//! `vehicle charged`. Timestamps are the simulated clock from a start
//! instant (default 1970-01-01T00:00:00Z, the simulation's 0; `--ocel-start`
//! puts the run on a real shift).
//!
//! Attribute values are strings, as the OCEL 2.0 JSON schema requires;
//! their declared types (`integer`, `float`, `string`) tell readers how to
//! parse them. The log is built from the core's events in order, so it is
//! as deterministic as the run.

use std::collections::BTreeMap;

use orchestrator::fleet::{Event, EventKind};
use orchestrator::orders::{OrderRequest, OrderStatus};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::Ms;

/// OCEL's instant for values that hold from the start (static attributes).
const STATIC_TIME: &str = "1970-01-01T00:00:00Z";

/// Event type names.
pub mod activity {
    /// An order was accepted.
    pub const ACCEPTED: &str = "order accepted";
    /// A vehicle was chosen for it.
    pub const ASSIGNED: &str = "vehicle assigned";
    /// The load left its pickup station on the vehicle.
    pub const PICKED: &str = "load picked";
    /// A milk run's intermediate stop was reached.
    pub const STOP: &str = "stop reached";
    /// The load was put down at its drop station.
    pub const DROPPED: &str = "load dropped";
    /// The order was done.
    pub const DELIVERED: &str = "order delivered";
    /// The order was given up.
    pub const FAILED: &str = "order failed";
    /// The order was cancelled.
    pub const CANCELLED: &str = "order cancelled";
    /// A vehicle was taken out of service.
    pub const FENCED: &str = "vehicle fenced";
    /// A fenced vehicle was back.
    pub const RECOVERED: &str = "vehicle recovered";
    /// A charging session ended.
    pub const CHARGED: &str = "vehicle charged";
}

/// Object type names.
pub mod object {
    /// A transport order.
    pub const ORDER: &str = "transport order";
    /// A vehicle.
    pub const VEHICLE: &str = "vehicle";
    /// A station.
    pub const STATION: &str = "station";
    /// A load.
    pub const LOAD: &str = "load";
}

/// One event as recorded.
#[derive(Clone, Debug)]
struct Record {
    at: Ms,
    activity: &'static str,
    objects: Vec<(String, &'static str)>,
    attributes: Vec<(&'static str, String)>,
}

#[derive(Clone, Debug)]
struct OrderInfo {
    request: OrderRequest,
    vehicle: Option<String>,
    last: OrderStatus,
    /// Its `order accepted` event is in the log (a restored core says it again).
    logged: bool,
}

/// What the log collects during a run.
#[derive(Clone, Debug, Default)]
pub struct ProcessLog {
    records: Vec<Record>,
    orders: BTreeMap<u64, OrderInfo>,
    /// Serial → (manufacturer, vehicle type).
    vehicles: BTreeMap<String, (String, String)>,
    /// Station id → kind.
    stations: BTreeMap<String, String>,
}

fn order_id(order: u64) -> String {
    format!("order-{order}")
}

fn load_id(order: u64) -> String {
    format!("load-{order}")
}

fn vehicle_id(serial: &str) -> String {
    format!("vehicle-{serial}")
}

fn station_id(station: &str) -> String {
    format!("station-{station}")
}

impl ProcessLog {
    /// A log for this fleet (serial, manufacturer, type) and these stations (id, kind).
    pub fn new(
        vehicles: impl IntoIterator<Item = (String, String, String)>,
        stations: impl IntoIterator<Item = (String, String)>,
    ) -> ProcessLog {
        ProcessLog {
            vehicles: vehicles.into_iter().map(|(s, m, t)| (s, (m, t))).collect(),
            stations: stations.into_iter().collect(),
            ..ProcessLog::default()
        }
    }

    /// An order was accepted with this request (call before its events).
    pub fn accepted(&mut self, order: u64, request: &OrderRequest) {
        self.orders.insert(
            order,
            OrderInfo { request: request.clone(), vehicle: None, last: OrderStatus::Queued, logged: false },
        );
    }

    /// A charging session ended at `station` (if the vehicle stood at one).
    pub fn charged(
        &mut self,
        at: Ms,
        serial: &str,
        station: Option<&str>,
        from_pct: f64,
        to_pct: f64,
        since: Ms,
    ) {
        let mut objects = vec![(vehicle_id(serial), "vehicle")];
        objects.extend(station.map(|s| (station_id(s), "charger")));
        self.records.push(Record {
            at,
            activity: activity::CHARGED,
            objects,
            attributes: vec![
                ("battery_from_pct", format!("{from_pct:.1}")),
                ("battery_to_pct", format!("{to_pct:.1}")),
                ("duration_s", format!("{:.1}", at.saturating_sub(since) as f64 / 1000.0)),
            ],
        });
    }

    /// Takes in one event of the core.
    pub fn on_event(&mut self, e: &Event) {
        let at = e.at.as_ms();
        match &e.kind {
            EventKind::OrderAccepted { order } => {
                let Some(info) = self.orders.get_mut(order).filter(|i| !i.logged) else { return };
                info.logged = true;
                let mut objects = vec![(order_id(*order), "order"), (load_id(*order), "load")];
                objects.push((station_id(&info.request.from), "pickup"));
                objects.extend(info.request.via.iter().map(|s| (station_id(s), "stop")));
                objects.push((station_id(&info.request.to), "drop"));
                let attributes = vec![("priority", info.request.priority.to_string())];
                self.records.push(Record { at, activity: activity::ACCEPTED, objects, attributes });
            }
            EventKind::OrderStatus { order, status } => self.on_status(at, *order, status),
            EventKind::VehicleFenced { vehicle, reason } => {
                let mut objects = vec![(vehicle_id(vehicle), "vehicle")];
                let carried = self
                    .orders
                    .iter()
                    .filter(|(_, o)| o.vehicle.as_deref() == Some(vehicle) && !o.last.is_terminal());
                objects.extend(carried.map(|(id, _)| (order_id(*id), "order")));
                self.records.push(Record {
                    at,
                    activity: activity::FENCED,
                    objects,
                    attributes: vec![("reason", reason.clone())],
                });
            }
            EventKind::VehicleRecovered { vehicle } => self.records.push(Record {
                at,
                activity: activity::RECOVERED,
                objects: vec![(vehicle_id(vehicle), "vehicle")],
                attributes: Vec::new(),
            }),
            _ => {}
        }
    }

    fn on_status(&mut self, at: Ms, order: u64, status: &OrderStatus) {
        let Some(info) = self.orders.get_mut(&order) else { return };
        let previous = std::mem::replace(&mut info.last, status.clone());
        if let OrderStatus::Assigned { vehicle } = status {
            info.vehicle = Some(vehicle.clone());
        }
        let info = info.clone();
        let vehicle = info.vehicle.as_deref().map(|v| (vehicle_id(v), "vehicle"));
        let base = |extra: Vec<(String, &'static str)>| {
            let mut objects = vec![(order_id(order), "order")];
            objects.extend(vehicle.clone());
            objects.extend(extra);
            objects
        };
        let stop_station = |k: u32| info.request.via.get(k as usize - 1).cloned();
        let (activity, objects, attributes) = match (status, &previous) {
            (OrderStatus::Assigned { .. }, _) => {
                (activity::ASSIGNED, base(vec![(load_id(order), "load")]), Vec::new())
            }
            (OrderStatus::ToStop { .. } | OrderStatus::ToDrop, OrderStatus::Loading) => (
                activity::PICKED,
                base(vec![(load_id(order), "load"), (station_id(&info.request.from), "pickup")]),
                Vec::new(),
            ),
            (OrderStatus::ToStop { .. } | OrderStatus::ToDrop, OrderStatus::ToStop { stop }) => {
                let Some(s) = stop_station(*stop) else { return };
                (
                    activity::STOP,
                    base(vec![(load_id(order), "load"), (station_id(&s), "stop")]),
                    vec![("stop", stop.to_string())],
                )
            }
            (OrderStatus::Delivered, _) => {
                let drop = station_id(&info.request.to);
                self.records.push(Record {
                    at,
                    activity: activity::DROPPED,
                    objects: base(vec![(load_id(order), "load"), (drop.clone(), "drop")]),
                    attributes: Vec::new(),
                });
                (activity::DELIVERED, base(vec![(drop, "drop")]), Vec::new())
            }
            (OrderStatus::Failed { reason }, _) => {
                (activity::FAILED, base(Vec::new()), vec![("reason", reason.clone())])
            }
            (OrderStatus::Cancelled, _) => (activity::CANCELLED, base(Vec::new()), Vec::new()),
            _ => return,
        };
        self.records.push(Record { at, activity, objects, attributes });
    }

    /// Events recorded per activity (for checks against the report).
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::new();
        for r in &self.records {
            *out.entry(r.activity).or_insert(0) += 1;
        }
        out
    }

    /// The OCEL 2.0 document; times are `start` + the simulated clock.
    pub fn document(&self, start: OffsetDateTime) -> Result<Ocel, time::error::Format> {
        let stamp =
            |ms: Ms| (start + time::Duration::milliseconds(ms.min(i64::MAX as u64) as i64)).format(&Rfc3339);
        let mut events = Vec::with_capacity(self.records.len());
        for (i, r) in self.records.iter().enumerate() {
            events.push(OcelEvent {
                id: format!("e{}", i + 1),
                kind: r.activity.to_string(),
                time: stamp(r.at)?,
                attributes: r
                    .attributes
                    .iter()
                    .map(|(n, v)| Attribute { name: (*n).into(), value: v.clone(), time: None })
                    .collect(),
                relationships: r
                    .objects
                    .iter()
                    .map(|(id, q)| Relationship { object_id: id.clone(), qualifier: (*q).into() })
                    .collect(),
            });
        }
        Ok(Ocel { event_types: event_types(), object_types: object_types(), objects: self.objects(), events })
    }

    fn objects(&self) -> Vec<OcelObject> {
        let attr = |name: &str, value: String| Attribute {
            name: name.into(),
            value,
            time: Some(STATIC_TIME.into()),
        };
        let rel = |id: String, q: &str| Relationship { object_id: id, qualifier: q.into() };
        let mut out = Vec::new();
        let mut stations: BTreeMap<&str, &str> =
            self.stations.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        for (id, o) in &self.orders {
            let r = &o.request;
            let mut attributes = vec![
                attr("from", r.from.clone()),
                attr("to", r.to.clone()),
                attr("priority", r.priority.to_string()),
            ];
            attributes.extend(r.vehicle_type.as_ref().map(|t| attr("vehicle_type", t.clone())));
            let mut relationships = vec![rel(load_id(*id), "carries"), rel(station_id(&r.from), "pickup")];
            relationships.extend(r.via.iter().map(|s| rel(station_id(s), "stop")));
            relationships.push(rel(station_id(&r.to), "drop"));
            for s in std::iter::once(&r.from).chain(&r.via).chain([&r.to]) {
                stations.entry(s.as_str()).or_insert("other");
            }
            out.push(OcelObject { id: order_id(*id), kind: object::ORDER.into(), attributes, relationships });
            let load_attrs = vec![attr("load_type", r.load_type.clone().unwrap_or_else(|| "any".into()))];
            out.push(OcelObject {
                id: load_id(*id),
                kind: object::LOAD.into(),
                attributes: load_attrs,
                relationships: Vec::new(),
            });
        }
        for (serial, (manufacturer, vehicle_type)) in &self.vehicles {
            out.push(OcelObject {
                id: vehicle_id(serial),
                kind: object::VEHICLE.into(),
                attributes: vec![
                    attr("manufacturer", manufacturer.clone()),
                    attr("vehicle_type", vehicle_type.clone()),
                ],
                relationships: Vec::new(),
            });
        }
        for (id, kind) in stations {
            out.push(OcelObject {
                id: station_id(id),
                kind: object::STATION.into(),
                attributes: vec![attr("kind", kind.to_string())],
                relationships: Vec::new(),
            });
        }
        out
    }
}

fn type_of(name: &str, attributes: &[(&str, &str)]) -> OcelType {
    OcelType {
        name: name.into(),
        attributes: attributes
            .iter()
            .map(|(n, t)| TypeAttribute { name: (*n).into(), kind: (*t).into() })
            .collect(),
    }
}

fn event_types() -> Vec<OcelType> {
    use activity::*;
    vec![
        type_of(ACCEPTED, &[("priority", "integer")]),
        type_of(ASSIGNED, &[]),
        type_of(PICKED, &[]),
        type_of(STOP, &[("stop", "integer")]),
        type_of(DROPPED, &[]),
        type_of(DELIVERED, &[]),
        type_of(FAILED, &[("reason", "string")]),
        type_of(CANCELLED, &[]),
        type_of(FENCED, &[("reason", "string")]),
        type_of(RECOVERED, &[]),
        type_of(
            CHARGED,
            &[("battery_from_pct", "float"), ("battery_to_pct", "float"), ("duration_s", "float")],
        ),
    ]
}

fn object_types() -> Vec<OcelType> {
    vec![
        type_of(
            object::ORDER,
            &[("from", "string"), ("to", "string"), ("priority", "integer"), ("vehicle_type", "string")],
        ),
        type_of(object::VEHICLE, &[("manufacturer", "string"), ("vehicle_type", "string")]),
        type_of(object::STATION, &[("kind", "string")]),
        type_of(object::LOAD, &[("load_type", "string")]),
    ]
}

/// An OCEL 2.0 JSON document.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ocel {
    /// Event types with their attributes.
    pub event_types: Vec<OcelType>,
    /// Object types with their attributes.
    pub object_types: Vec<OcelType>,
    /// Objects.
    pub objects: Vec<OcelObject>,
    /// Events, in time order.
    pub events: Vec<OcelEvent>,
}

/// An event or object type.
#[derive(Clone, Debug, Serialize)]
pub struct OcelType {
    /// Its name.
    pub name: String,
    /// Its attributes.
    pub attributes: Vec<TypeAttribute>,
}

/// An attribute of a type.
#[derive(Clone, Debug, Serialize)]
pub struct TypeAttribute {
    /// Name.
    pub name: String,
    /// `string`, `integer`, `float`, `boolean` or `time`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// An attribute value (objects' carry the time from which they hold).
#[derive(Clone, Debug, Serialize)]
pub struct Attribute {
    /// Name.
    pub name: String,
    /// Value, as text.
    pub value: String,
    /// Since when (objects only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// A link to an object, with its role.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Relationship {
    /// The object.
    pub object_id: String,
    /// Its role.
    pub qualifier: String,
}

/// An object.
#[derive(Clone, Debug, Serialize)]
pub struct OcelObject {
    /// Id.
    pub id: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Attributes.
    pub attributes: Vec<Attribute>,
    /// Links to other objects.
    pub relationships: Vec<Relationship>,
}

/// An event.
#[derive(Clone, Debug, Serialize)]
pub struct OcelEvent {
    /// Id.
    pub id: String,
    /// Type (activity).
    #[serde(rename = "type")]
    pub kind: String,
    /// When (RFC 3339).
    pub time: String,
    /// Attributes.
    pub attributes: Vec<Attribute>,
    /// The objects it involves.
    pub relationships: Vec<Relationship>,
}
