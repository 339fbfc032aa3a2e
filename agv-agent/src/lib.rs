//! The on-vehicle agent AGV vendors embed (an API boundary: changes here
//! are changes for vendors).
//!
//! Today it holds the motion model of the emulated vehicle,
//! [`motion::MotionProfile`]: how long a vehicle with speed and
//! acceleration limits takes to drive a distance. The agent core, the
//! `VehicleDriver` trait and the emulated driver build on it.
//!
//! ```
//! use agv_agent::motion::MotionProfile;
//! let agv = MotionProfile::new(2.0, 0.5).unwrap();
//! // 10 m from standstill to standstill: 4 s up, 1 s cruise, 4 s down.
//! assert!((agv.travel_time(10.0) - 9.0).abs() < 1e-9);
//! ```

pub mod motion;
