//! Trapezoidal motion: accelerate at a constant rate to the top speed,
//! cruise, brake at the same rate to a stop. The emulated vehicle moves
//! along edges with this profile.

/// A limit that is not a positive finite number.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MotionError {
    /// Speed or acceleration out of range.
    #[error("{what} = {value} is invalid; expected a positive finite number")]
    BadLimit {
        /// Which limit.
        what: &'static str,
        /// Its value.
        value: f64,
    },
}

/// Speed and acceleration limits of a vehicle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MotionProfile {
    max_speed: f64,
    acceleration: f64,
}

impl MotionProfile {
    /// A profile; both limits must be positive and finite.
    pub fn new(max_speed: f64, acceleration: f64) -> Result<MotionProfile, MotionError> {
        for (what, value) in [("max_speed", max_speed), ("acceleration", acceleration)] {
            if !(value.is_finite() && value > 0.0) {
                return Err(MotionError::BadLimit { what, value });
            }
        }
        Ok(MotionProfile { max_speed, acceleration })
    }

    /// A factory load carrier: 1.5 m/s, 0.5 m/s².
    pub const FACTORY_AGV: MotionProfile = MotionProfile { max_speed: 1.5, acceleration: 0.5 };

    /// Top speed, m/s.
    pub fn max_speed(&self) -> f64 {
        self.max_speed
    }

    /// Acceleration (and deceleration), m/s².
    pub fn acceleration(&self) -> f64 {
        self.acceleration
    }

    /// Seconds to drive `distance` metres from standstill to standstill.
    pub fn travel_time(&self, distance: f64) -> f64 {
        let distance = distance.max(0.0);
        let (v, a) = (self.max_speed, self.acceleration);
        let ramp = v * v / a; // distance spent accelerating and braking together
        if distance >= ramp { distance / v + v / a } else { 2.0 * (distance / a).sqrt() }
    }

    /// Distance covered `t` seconds into a trip of `distance` metres.
    pub fn position_at(&self, distance: f64, t: f64) -> f64 {
        let distance = distance.max(0.0);
        let total = self.travel_time(distance);
        let t = t.clamp(0.0, total);
        let (v, a) = (self.max_speed, self.acceleration);
        let peak = if distance >= v * v / a { v } else { (distance * a).sqrt() };
        let t_ramp = peak / a;
        if t <= t_ramp {
            0.5 * a * t * t
        } else if t <= total - t_ramp {
            0.5 * a * t_ramp * t_ramp + peak * (t - t_ramp)
        } else {
            let left = total - t;
            distance - 0.5 * a * left * left
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_trips_never_reach_top_speed() {
        let p = MotionProfile::new(2.0, 0.5).unwrap();
        // 2 m: accelerate 1 m, brake 1 m: t = 2·√(2/0.5) = 4 s.
        assert!((p.travel_time(2.0) - 4.0).abs() < 1e-9);
        assert!((p.position_at(2.0, 2.0) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn position_is_monotone_and_ends_at_the_distance() {
        let p = MotionProfile::new(1.5, 0.8).unwrap();
        for d in [0.0, 0.3, 2.8125, 5.0, 40.0] {
            let total = p.travel_time(d);
            let mut last = 0.0;
            for k in 0..=100 {
                let x = p.position_at(d, total * f64::from(k) / 100.0);
                assert!(x + 1e-9 >= last, "d={d}");
                last = x;
            }
            assert!((last - d).abs() < 1e-9, "d={d}: {last}");
        }
    }

    #[test]
    fn bad_limits_are_rejected() {
        assert!(MotionProfile::new(0.0, 1.0).is_err());
        assert!(MotionProfile::new(1.0, f64::INFINITY).is_err());
        assert!(MotionProfile::new(f64::NAN, 1.0).is_err());
    }
}
