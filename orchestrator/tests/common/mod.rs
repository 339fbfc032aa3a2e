//! A test harness: the orchestrator core, scripted vehicles and an
//! in-memory exchange, with an independent safety check after every tick.

#![allow(dead_code, reason = "each test file uses part of the harness")]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use layout::Layout;
use orchestrator::fleet::{Event, EventKind, FleetConfig, Orchestrator, VehicleSpec};
use orchestrator::input::{Closure, CommandError, Input, Reply};
use orchestrator::orders::{OrderRequest, OrderStatus};
use orchestrator::records::{StoreRecord, StoredOrder};
use orchestrator::scripted::ScriptedVehicle;
use orchestrator::traffic::reservations::{Place, VehicleIdx, check_invariant};
use protocol::transport::{OrchestratorEvent, VehicleId};

/// The core and its vehicles on one clock.
pub struct Harness {
    /// The core.
    pub core: Orchestrator,
    /// The vehicles, by index.
    pub vehicles: Vec<ScriptedVehicle>,
    /// Now, ms.
    pub now: u64,
    /// Tick length, ms.
    pub dt: u64,
    /// Messages for the core's next step.
    pub pending: Vec<OrchestratorEvent>,
    /// Every event so far.
    pub events: Vec<Event>,
    /// A store the records go to, if any.
    pub store: Option<MemoryStore>,
    /// Vehicles that send nothing (silent) — their states are dropped.
    pub silent: BTreeSet<usize>,
    /// Vehicles whose inbound messages are lost.
    pub deaf: BTreeSet<usize>,
    /// Ticks run.
    pub ticks: u64,
    /// Message loss: a seed and the share lost in both directions, ‰.
    pub loss: (u64, u32),
    /// Vehicles' messages reordered and duplicated: a seed, the share
    /// held back 1–3 ticks (so that newer ones overtake them), ‰, and the
    /// share delivered twice (now and again later), ‰.
    pub reorder: (u64, u32, u32),
    /// Messages held back: (tick they arrive at, message).
    pub held_back: Vec<(u64, OrchestratorEvent)>,
    /// Every output of the core, as text, when `record` is set.
    pub log: Vec<String>,
    /// Record the outputs in `log`.
    pub record: bool,
}

/// Vehicle `i`'s id.
pub fn vid(i: usize) -> VehicleId {
    VehicleId::new("yard", format!("v{i:02}"))
}

impl Harness {
    /// Vehicles of `vehicle_type` at `starts`.
    pub fn new(layout: &Arc<Layout>, vehicle_type: &str, starts: &[&str], config: FleetConfig) -> Harness {
        let specs = (0..starts.len()).map(|i| VehicleSpec::new(vid(i), vehicle_type)).collect();
        let core = Orchestrator::new(layout.clone(), specs, config).unwrap();
        let vehicles = starts
            .iter()
            .enumerate()
            .map(|(i, s)| ScriptedVehicle::new(vid(i), layout, s, 1.0).unwrap())
            .collect();
        Harness {
            core,
            vehicles,
            now: 0,
            dt: 1000,
            pending: Vec::new(),
            events: Vec::new(),
            store: None,
            silent: BTreeSet::new(),
            deaf: BTreeSet::new(),
            ticks: 0,
            loss: (0, 0),
            reorder: (0, 0, 0),
            held_back: Vec::new(),
            log: Vec::new(),
            record: false,
        }
    }

    /// Applies one command at `now` (between ticks, as an API request
    /// would); its records go to the store, its events to `events`.
    pub fn command_at(&mut self, now: u64, input: Input) -> Reply {
        let out = self.core.step(now, vec![input]);
        if let Some(store) = &mut self.store {
            store.apply(&out.records);
        }
        if self.record {
            self.log.extend(out.events.iter().map(|e| format!("{e:?}")));
            self.log.extend(out.records.iter().map(|j| format!("{j:?}")));
        }
        self.events.extend(out.events);
        out.replies.into_iter().next().unwrap_or(Reply::Done)
    }

    /// Submits an order at `now`.
    pub fn submit_at(&mut self, now: u64, request: OrderRequest) -> Result<u64, CommandError> {
        match self.command_at(now, Input::Submit { request }) {
            Reply::Submitted { order } => Ok(order),
            Reply::Refused(e) => Err(e),
            Reply::Done => panic!("a submission answered Done"),
        }
    }

    /// One tick: the core steps, the records are stored, safety is
    /// checked, messages go out, vehicles move and report.
    pub fn tick(&mut self) {
        self.release_held_back();
        let out = self.core.step(self.now, Input::tick_with(std::mem::take(&mut self.pending)));
        if let Some(store) = &mut self.store {
            store.apply(&out.records);
        }
        if self.record {
            self.log.extend(out.messages.iter().map(|m| format!("{m:?}")));
            self.log.extend(out.events.iter().map(|e| format!("{e:?}")));
            self.log.extend(out.records.iter().map(|j| format!("{j:?}")));
        }
        self.events.extend(out.events);
        if let Ok(i) = std::env::var("YM_TRACE").unwrap_or_default().parse::<usize>() {
            let v = &self.vehicles[i];
            eprintln!(
                "t={} v{i} at {} -> {:?}; core {:?}",
                self.now,
                self.core.layout().node(v.node()).id,
                v.heading_to().map(|n| self.core.layout().node(n).id.clone()),
                self.core.vehicles()[i]
            );
        }
        check_safety(&self.core, &self.vehicles);
        let trace: Option<usize> = std::env::var("YM_TRACE").ok().and_then(|v| v.parse().ok());
        for (id, message) in out.messages {
            let i =
                self.vehicles.iter().position(|v| *v.id() == id).expect("message for a vehicle of the fleet");
            if trace == Some(i) {
                let text = match &message {
                    protocol::transport::ToVehicle::Order(o) => {
                        let nodes: Vec<String> = o
                            .nodes
                            .iter()
                            .map(|n| {
                                format!(
                                    "{}#{}{}",
                                    n.node_id,
                                    n.sequence_id,
                                    if n.released { "" } else { "?" }
                                )
                            })
                            .collect();
                        format!("order {} u{} {}", o.order_id, o.order_update_id, nodes.join(" "))
                    }
                    protocol::transport::ToVehicle::InstantActions(a) => {
                        format!("instant {:?}", a.actions.iter().map(|a| &a.action_type).collect::<Vec<_>>())
                    }
                };
                eprintln!("t={} -> v{i}: {text}", self.now);
            }
            if !self.deaf.contains(&i) && !self.lose() {
                self.vehicles[i].receive(message);
            }
        }
        self.now += self.dt;
        self.ticks += 1;
        for i in 0..self.vehicles.len() {
            let states = self.vehicles[i].step(self.now);
            if !self.silent.contains(&i) && !self.lose() {
                for state in states {
                    self.deliver(state);
                }
            }
        }
    }

    /// Delivers a vehicle's message now, late, or both (see `reorder`).
    fn deliver(&mut self, message: OrchestratorEvent) {
        let (_, late, twice) = self.reorder;
        if late == 0 && twice == 0 {
            self.pending.push(message);
            return;
        }
        let roll = |s: &mut u64| {
            *s ^= *s << 13;
            *s ^= *s >> 7;
            *s ^= *s << 17;
            *s
        };
        let r = roll(&mut self.reorder.0);
        let delay = 1 + (r >> 20) % 3;
        if r % 1000 < u64::from(late) {
            self.held_back.push((self.ticks + delay, message));
        } else if (r >> 10) % 1000 < u64::from(twice) {
            self.held_back.push((self.ticks + delay, message.clone()));
            self.pending.push(message);
        } else {
            self.pending.push(message);
        }
    }

    /// Messages held back whose time has come join `pending` (after the
    /// newer ones already there: they arrive out of order).
    fn release_held_back(&mut self) {
        let ticks = self.ticks;
        let (due, later): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.held_back).into_iter().partition(|m| m.0 <= ticks);
        self.held_back = later;
        self.pending.extend(due.into_iter().map(|m| m.1));
    }

    /// Whether the next message is lost (xorshift on the loss seed).
    fn lose(&mut self) -> bool {
        if self.loss.1 == 0 {
            return false;
        }
        let s = &mut self.loss.0;
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        (*s % 1000) < u64::from(self.loss.1)
    }

    /// Ticks until `done` or `max` ticks; whether `done` held.
    pub fn run_until(&mut self, max: u64, mut done: impl FnMut(&Harness) -> bool) -> bool {
        for _ in 0..max {
            if done(self) {
                return true;
            }
            self.tick();
        }
        done(self)
    }

    /// Whether every order has ended.
    pub fn all_ended(&self) -> bool {
        self.core.orders().all(|o| o.status().is_terminal())
    }

    /// Whether every order is delivered.
    pub fn all_delivered(&self) -> bool {
        self.core.orders().all(|o| *o.status() == OrderStatus::Delivered)
    }

    /// The index of the vehicle an order was first assigned to.
    pub fn first_carrier(&self, order: u64) -> usize {
        let history = &self.core.order(order).expect("a known order").history;
        let serial = history
            .iter()
            .find_map(|(_, s)| match s {
                OrderStatus::Assigned { vehicle } => Some(vehicle.as_str()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("order {order} was never assigned: {history:?}"));
        self.vehicles.iter().position(|v| v.id().serial_number == serial).expect("a vehicle of the fleet")
    }

    /// Events of a kind.
    pub fn count(&self, pred: impl Fn(&EventKind) -> bool) -> usize {
        self.events.iter().filter(|e| pred(&e.kind)).count()
    }
}

/// The store's semantics in memory (the redb store of the `yardmaster`
/// package has its own tests): live orders, closures, the next id.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    /// Live orders.
    pub orders: BTreeMap<u64, StoredOrder>,
    /// Finished orders.
    pub finished: BTreeMap<u64, StoredOrder>,
    /// Closed places.
    pub closed: BTreeMap<String, Closure>,
    /// The next id.
    pub next_order: u64,
}

impl MemoryStore {
    /// Applies records.
    pub fn apply(&mut self, records: &[StoreRecord]) {
        for r in records {
            match r {
                StoreRecord::Accepted { id, at, request } => {
                    self.next_order = self.next_order.max(id + 1);
                    let history = vec![(*at, OrderStatus::Queued)];
                    self.orders.insert(*id, StoredOrder { id: *id, request: request.clone(), history });
                }
                StoreRecord::Status { id, at, status } => {
                    let mut order = self.orders.remove(id).expect("a status for a stored order");
                    order.history.push((*at, status.clone()));
                    if status.is_terminal() {
                        self.finished.insert(*id, order);
                    } else {
                        self.orders.insert(*id, order);
                    }
                }
                StoreRecord::Closed { closure } => {
                    self.closed.insert(closure.place.to_string(), closure.clone());
                }
                StoreRecord::Opened { place, .. } => {
                    self.closed.remove(&place.to_string());
                }
            }
        }
    }

    /// The restore input a restart gets.
    pub fn restore(&self) -> Input {
        Input::Restore {
            orders: self.orders.values().cloned().collect(),
            closed: self.closed.values().cloned().collect(),
            next_order: self.next_order,
        }
    }
}

/// The independent checks: no two vehicles hold conflicting places (brute
/// force over the table), and every placed vehicle physically stands on a
/// node (and drives on an edge toward a node) that it holds.
pub fn check_safety(core: &Orchestrator, vehicles: &[ScriptedVehicle]) {
    let layout = core.layout();
    let table = core.reservations();
    if let Err((p, a, q, b)) = check_invariant(table, core.bodies(), layout.nodes.len(), layout.edges.len()) {
        panic!("vehicles #{} and #{} hold conflicting places {p:?} and {q:?}", a.0, b.0);
    }
    let status = core.vehicles();
    for (i, v) in vehicles.iter().enumerate() {
        if status[i].node.is_none() {
            continue;
        }
        let me = Some(VehicleIdx(i as u32));
        assert_eq!(
            table.holder(Place::Node(v.node())),
            me,
            "vehicle {i} stands on {} which it does not hold",
            layout.node(v.node()).id
        );
        if let Some(to) = v.heading_to() {
            assert_eq!(
                table.holder(Place::Node(to)),
                me,
                "vehicle {i} drives to {} unreserved",
                layout.node(to).id
            );
        }
    }
    // Physically apart: no two vehicles on one node or on conflicting nodes.
    for (i, a) in vehicles.iter().enumerate() {
        for (j, b) in vehicles.iter().enumerate().skip(i + 1) {
            assert_ne!(a.node(), b.node(), "two vehicles on {}", layout.node(a.node()).id);
            let pair = core.bodies().between(VehicleIdx(i as u32), VehicleIdx(j as u32));
            assert!(
                !pair.of_node(a.node()).nodes.contains(&b.node()),
                "vehicles on conflicting nodes {} and {}",
                layout.node(a.node()).id,
                layout.node(b.node()).id
            );
        }
    }
}

/// The car plant.
pub fn plant() -> Arc<Layout> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../maps/car-plant.lif.json");
    Arc::new(layout::load(&path, layout::LoadOptions::default()).unwrap().value)
}

/// A grid map from text.
pub fn grid(rows: &[&str]) -> Arc<Layout> {
    let text =
        format!("type octile\nheight {}\nwidth {}\nmap\n{}\n", rows.len(), rows[0].len(), rows.join("\n"));
    Arc::new(layout::load_str(&text, "t.map", layout::LoadOptions::default()).unwrap().value)
}
