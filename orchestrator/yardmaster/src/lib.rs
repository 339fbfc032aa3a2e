//! The adapters of the live orchestrator, around the sans-IO core
//! (`orchestrator`): what touches a disk lives here, not in the core.
//!
//! - [`store`]: the durable order store (`redb`): the core's store records
//!   committed before anything is acknowledged, and what a restart needs.
//! - [`journal`]: the `--journal` recording of every input batch, appended
//!   across restarts and rotated by size.
//! - [`api`]: the Zenoh query API's requests parsed into the core's inputs.
//! - [`http`]: the HTTP API (axum) and the web dashboard.
//! - [`secure`]: the secured site network generated from the fleet list
//!   (certificates, the Zenoh router's access control, the broker's ACL).
//!
//! The `yardmaster` binary (`src/main.rs`) wires them to Zenoh and the
//! wall clock.
//!
//! ```
//! use orchestrator::input::{Closure, PlaceId};
//! use orchestrator::records::StoreRecord;
//! let dir = tempfile::tempdir().unwrap();
//! let store = yardmaster::store::OrderStore::open(&dir.path().join("orders.redb")).unwrap();
//! let closure = Closure { place: PlaceId::Node("N1".into()), reason: "spill".into(), since: 0.into() };
//! store.apply(&[StoreRecord::Closed { closure: closure.clone() }]).unwrap();
//! assert_eq!(store.load().unwrap().closed, vec![closure]);
//! ```

pub mod api;
pub mod http;
pub mod journal;
pub mod secure;
pub mod store;
