//! Yardmaster's orchestrator core (sans-IO): it reads no clock and does no IO.
//!
//! - [`mapf`]: one-shot multi-agent path finding (distance tables, PIBT,
//!   LaCAM, LNS refinement, an independent validator).
//! - [`traffic`]: the reservation table (safety by reservation).
//! - [`assign`]: minimum-cost matching of transport orders to vehicles.
//! - [`orders`]: transport orders, their validation and lifecycle.
//! - [`vda`]: routes on the layout as VDA 5050 orders (base + horizon) and updates.
//!
//! - [`fleet`]: the core itself — the bevy_ecs fleet model and its
//!   systems, `step(now, inputs) -> outbound`.
//! - [`input`]: the one door into the core, [`input::Input`].
//! - [`records`]: what must be durable (orders, closures): records out of
//!   the core; the `yardmaster` package's store writes them.
//! - [`replay`]: record the core's inputs and replay them on a fresh core.
//! - [`scripted`]: a perfect vehicle for tests and benchmarks.
//!
//! See `docs/ARCHITECTURE.md`.
//!
//! ```
//! use layout::{LoadOptions, load_str};
//! use layout::plan_graph::PlanGraph;
//! use orchestrator::mapf::distance::DistanceCache;
//! let map = load_str("type octile\nheight 1\nwidth 4\nmap\n....\n", "row.map", LoadOptions::default()).unwrap().value;
//! let graph = PlanGraph::build(&map, &Default::default()).unwrap();
//! let mut cache = DistanceCache::new(&graph);
//! let goal = graph.plan_node(map.node_by_id("3,0").unwrap());
//! assert_eq!(cache.get(goal).to_goal(graph.plan_node(map.node_by_id("0,0").unwrap())), Some(3));
//! ```

pub mod assign;
pub mod fleet;
pub mod input;
pub mod mapf;
pub mod orders;
pub mod records;
pub mod replay;
pub mod scripted;
pub mod traffic;
pub mod vda;
