//! The vehicles a scenario's fleet groups stand for: each group's body
//! (length, width, a tugger train's trailers) and kinematics (top speed,
//! acceleration, turning on the spot, curves), from the group's keys over
//! the defaults of its vehicle type.
//!
//! The defaults are the factsheets of the types the project's maps name
//! (the emulated vehicles send them as their VDA 5050 factsheets):
//!
//! | type | body | trailers | top speed | acceleration | on the spot | curves up to |
//! |---|---|---|---|---|---|---|
//! | `yard.compact-agv` (and any other type) | 1.2 × 0.8 m | – | 1.5 m/s | 0.5 m/s² | 90°/s | 95° |
//! | `yard.tugger` | 2.4 × 1.1 m tractor | 3 × (2.0 × 1.0 m), 0.5 m hitches | 1.5 m/s | 0.3 m/s² | 30°/s | 100° |
//! | any type on a grid map | 0.7 × 0.7 m | – | 1.5 m/s | 0.5 m/s² | 90°/s | 95° |
//!
//! A tugger train is steered, not turned on the spot: it drives the
//! plant's 90° corners as curves (lateral acceleration 0.3 m/s²) and turns
//! on the spot only where a layout leaves no other way (sharper than
//! 100°), a simplification the simulator makes.
//!
//! ```
//! let group: sim::scenario::FleetGroup = toml::from_str(
//!     "count = 2\nvehicle_type = \"yard.tugger\"\nmax_speed = 1.2\n").unwrap();
//! let model = sim::vehicles::model(&group, false);
//! assert_eq!(model.kinematics.profile.max_speed(), 1.2);
//! assert_eq!(model.body.trailers.len(), 3);
//! ```

use agv_agent::emulated::EmulatedConfig;
use agv_agent::motion::{Kinematics, MotionProfile};
use orchestrator::fleet::{Body, HITCH_M, Trailer};

use crate::scenario::FleetGroup;

/// The tugger train type of the project's maps.
pub const TUGGER: &str = "yard.tugger";

/// What a fleet group's vehicles are.
#[derive(Clone, Debug, PartialEq)]
pub struct VehicleModel {
    /// Body and trailers.
    pub body: Body,
    /// How they move.
    pub kinematics: Kinematics,
}

/// The defaults of a vehicle type (on a grid map or a LIF layout).
pub fn preset(vehicle_type: &str, grid: bool) -> VehicleModel {
    let agv = Kinematics::FACTORY_AGV;
    if grid {
        return VehicleModel { body: Body::new(0.7, 0.7), kinematics: agv };
    }
    if vehicle_type == TUGGER {
        let trailer = Trailer { length: 2.0, width: 1.0 };
        return VehicleModel {
            body: Body { length: 2.4, width: 1.1, trailers: vec![trailer; 3] },
            kinematics: Kinematics {
                profile: MotionProfile::new(1.5, 0.3).unwrap_or(agv.profile),
                turn_rate: 30f64.to_radians(),
                max_curve_angle: 100f64.to_radians(),
                lateral_acceleration: 0.3,
            },
        };
    }
    VehicleModel { body: Body::new(1.2, 0.8), kinematics: agv }
}

/// A group's vehicles: its keys over its type's defaults. The keys were
/// checked when the scenario was read (positive, bounded), so every
/// value here is valid.
pub fn model(group: &FleetGroup, grid: bool) -> VehicleModel {
    let base = preset(&group.vehicle_type, grid);
    let k = base.kinematics;
    let profile = MotionProfile::new(
        group.max_speed.unwrap_or(k.profile.max_speed()),
        group.acceleration.unwrap_or(k.profile.acceleration()),
    )
    .unwrap_or(k.profile);
    let kinematics = Kinematics {
        profile,
        turn_rate: group.turn_rate_deg_s.map_or(k.turn_rate, f64::to_radians),
        max_curve_angle: group.max_curve_deg.map_or(k.max_curve_angle, f64::to_radians),
        lateral_acceleration: group.lateral_acceleration.unwrap_or(k.lateral_acceleration),
    };
    let trailers = group.trailers.as_ref().map_or(base.body.trailers, |list| {
        list.iter().map(|t| Trailer { length: t.length, width: t.width }).collect()
    });
    let body = Body {
        length: group.length.unwrap_or(base.body.length),
        width: group.width.unwrap_or(base.body.width),
        trailers,
    };
    VehicleModel { body, kinematics }
}

impl VehicleModel {
    /// Puts this model into an emulated vehicle's configuration.
    pub fn apply(&self, emulated: &mut EmulatedConfig) {
        let k = self.kinematics;
        emulated.profile = k.profile;
        emulated.turn_rate = k.turn_rate;
        emulated.max_curve_angle = k.max_curve_angle;
        emulated.lateral_acceleration = k.lateral_acceleration;
        emulated.body = (self.body.length, self.body.width);
        emulated.trailers = self.body.trailers.iter().map(|t| (t.length, t.width)).collect();
        emulated.hitch_m = HITCH_M;
    }
}
