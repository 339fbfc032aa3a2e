//! Vehicle motion. [`MotionProfile`]: speed and acceleration limits, and
//! the trapezoidal trip (accelerate, cruise, brake) from stop to stop.
//! [`Kinematics`] adds turning on the spot and curves; [`PathMotion`]
//! follows a path of waypoints with one speed profile: it accelerates,
//! cruises, slows for curves and for slower legs, stops and turns on the
//! spot where a turn is too sharp to drive, and brakes only where it must
//! stop (the path's end). The emulated vehicle moves with it.

use nalgebra::{Point2, Vector2};

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

/// How a vehicle moves: its limits, how it turns on the spot and how it
/// takes curves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Kinematics {
    /// Speed and acceleration limits.
    pub profile: MotionProfile,
    /// Turning rate on the spot, rad/s.
    pub turn_rate: f64,
    /// Heading changes at a node up to this (rad) are driven as a curve;
    /// sharper ones are made standing, on the spot.
    pub max_curve_angle: f64,
    /// Lateral acceleration allowed in a curve, m/s².
    pub lateral_acceleration: f64,
}

/// A curve through a node starts this far before it and ends this far after, m.
pub const CURVE_CUT_M: f64 = 0.5;

impl Kinematics {
    /// A factory load carrier: 1.5 m/s, 0.5 m/s², turns of up to 95° (a
    /// layout's right-angled corners)
    /// driven at 0.5 m/s² lateral acceleration, sharper ones at 90°/s on the spot.
    pub const FACTORY_AGV: Kinematics = Kinematics {
        profile: MotionProfile::FACTORY_AGV,
        turn_rate: std::f64::consts::FRAC_PI_2,
        max_curve_angle: 95.0 * std::f64::consts::PI / 180.0,
        lateral_acceleration: 0.5,
    };

    /// The speed at which a change of heading of `turn` rad can be driven
    /// (0: it is made on the spot). The curve is the arc tangent to both
    /// legs [`CURVE_CUT_M`] from the node: radius `cut / tan(turn / 2)`.
    pub fn corner_speed(&self, turn: f64) -> f64 {
        let turn = turn.abs();
        let top = self.profile.max_speed;
        if turn <= 1e-3 {
            return top;
        }
        if turn > self.max_curve_angle {
            return 0.0;
        }
        let radius = CURVE_CUT_M / (turn / 2.0).tan();
        (self.lateral_acceleration * radius).sqrt().min(top)
    }

    /// Seconds to turn on the spot by `turn` rad.
    pub fn turn_time(&self, turn: f64) -> f64 {
        turn.abs() / self.turn_rate
    }
}

/// The signed difference `to - from` of two headings, in (-π, π].
pub fn heading_change(from: f64, to: f64) -> f64 {
    use std::f64::consts::{PI, TAU};
    let d = (to - from + PI).rem_euclid(TAU) - PI;
    if d <= -PI { d + TAU } else { d }
}

/// A point of a path and the top speed on the leg that ends there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Waypoint {
    /// Where, m.
    pub at: Point2<f64>,
    /// Top speed on the leg to it, m/s (the profile's when larger).
    pub max_speed: f64,
}

#[derive(Clone, Copy, Debug)]
struct Segment {
    from: Point2<f64>,
    length: f64,
    heading: f64,
    /// Metres from the path's start to this segment's end.
    end: f64,
    /// Top speed on it.
    cap: f64,
    /// Speed allowed at its end (0: stop there).
    exit: f64,
    /// The vehicle stops at its end and turns on the spot onto the next.
    turn_after: bool,
}

/// Integration step, s.
const STEP_S: f64 = 0.02;

/// A vehicle following a path: position, heading, speed, and where on the
/// path it is. Deterministic: the same calls give the same motion.
#[derive(Clone, Debug)]
pub struct PathMotion {
    position: Point2<f64>,
    heading: f64,
    speed: f64,
    omega: f64,
    segments: Vec<Segment>,
    along: f64,
    next: usize,
    turning: Option<f64>,
    since_waypoint: f64,
}

impl PathMotion {
    /// A vehicle standing at `position`, facing `heading`.
    pub fn new(position: Point2<f64>, heading: f64) -> PathMotion {
        PathMotion {
            position,
            heading,
            speed: 0.0,
            omega: 0.0,
            segments: Vec::new(),
            along: 0.0,
            next: 0,
            turning: None,
            since_waypoint: 0.0,
        }
    }

    /// Position, m.
    pub fn position(&self) -> Point2<f64> {
        self.position
    }

    /// Heading, rad.
    pub fn heading(&self) -> f64 {
        self.heading
    }

    /// Speed along the path, m/s.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Turning rate now, rad/s (on the spot).
    pub fn omega(&self) -> f64 {
        self.omega
    }

    /// Metres since the last waypoint reached (or since the vehicle stood still before it).
    pub fn since_waypoint(&self) -> f64 {
        self.since_waypoint
    }

    /// Whether waypoints are left to reach.
    pub fn is_following(&self) -> bool {
        self.next < self.segments.len()
    }

    /// Puts the vehicle somewhere else, standing, with no path.
    pub fn place(&mut self, position: Point2<f64>, heading: f64) {
        *self = PathMotion::new(position, heading);
    }

    /// Stops dead (emergency stop, breakdown); the path stays.
    pub fn halt(&mut self) {
        self.speed = 0.0;
        self.omega = 0.0;
    }

    /// Follows `waypoints` from where the vehicle is now, replacing the
    /// path it had; it stops at the last one. A vehicle standing turns on
    /// the spot to face the first leg before it drives.
    pub fn set_path(&mut self, waypoints: &[Waypoint], kinematics: &Kinematics) {
        let top = kinematics.profile.max_speed;
        let mut segments: Vec<Segment> = Vec::with_capacity(waypoints.len());
        let mut from = self.position;
        let mut heading = self.heading;
        let mut end = 0.0;
        for w in waypoints {
            let delta: Vector2<f64> = w.at - from;
            let length = delta.norm();
            if length > 1e-9 {
                heading = delta.y.atan2(delta.x);
            }
            end += length;
            let cap = w.max_speed.min(top).max(1e-3);
            segments.push(Segment { from, length, heading, end, cap, exit: 0.0, turn_after: false });
            from = w.at;
        }
        for i in 0..segments.len().saturating_sub(1) {
            let (a, b) = (segments[i], segments[i + 1]);
            let turn = if b.length > 1e-9 { heading_change(a.heading, b.heading) } else { 0.0 };
            let corner = kinematics.corner_speed(turn);
            segments[i].exit = corner.min(a.cap).min(b.cap);
            segments[i].turn_after = corner <= 0.0;
        }
        self.segments = segments;
        self.along = 0.0;
        self.next = 0;
        self.turning = None;
        if self.speed <= 1e-9
            && let Some(first) = self.segments.first()
            && first.length > 1e-9
            && heading_change(self.heading, first.heading).abs() > 1e-3
        {
            self.turning = Some(first.heading);
        }
    }

    /// Moves on by `dt` seconds; returns how many waypoints were reached.
    pub fn advance(&mut self, dt: f64, kinematics: &Kinematics) -> usize {
        let mut reached = 0;
        let mut left = dt.max(0.0);
        self.omega = 0.0;
        while left > 1e-12 && self.next < self.segments.len() {
            if let Some(target) = self.turning {
                let change = heading_change(self.heading, target);
                let need = kinematics.turn_time(change);
                self.omega = kinematics.turn_rate.copysign(change);
                if need <= left {
                    self.heading = target;
                    self.turning = None;
                    left -= need;
                } else {
                    self.heading += self.omega * left;
                    left = 0.0;
                }
                continue;
            }
            let h = left.min(STEP_S);
            let used = self.drive(h, kinematics, &mut reached);
            left -= used;
        }
        if self.next >= self.segments.len() {
            self.speed = 0.0;
        }
        reached
    }

    /// One integration step of at most `h` s along the path; returns the
    /// time it used (less than `h` when the vehicle came to a stop).
    fn drive(&mut self, h: f64, kinematics: &Kinematics, reached: &mut usize) -> f64 {
        let a = kinematics.profile.acceleration;
        let v = self.speed;
        let seg = self.segments[self.next];
        // The deceleration each coming limit needs, up to the first stop.
        let mut need: f64 = 0.0;
        for s in &self.segments[self.next..] {
            let d = s.end - self.along;
            if d > 1e-9 && v > s.exit {
                need = need.max((v * v - s.exit * s.exit) / (2.0 * d));
            }
            if s.exit <= 0.0 {
                break;
            }
        }
        let acc = if need >= a * 0.999 {
            -need
        } else if v < seg.cap {
            ((seg.cap - v) / h).min(a)
        } else {
            -((v - seg.cap) / h).min(a)
        };
        let (mut v1, ds, used) = if v + acc * h <= 0.0 && acc < 0.0 {
            (0.0, v * v / (-2.0 * acc), v / -acc)
        } else {
            (v + acc * h, (v + (v + acc * h)) / 2.0 * h, h)
        };
        let before = self.along;
        self.along += ds;
        while self.next < self.segments.len() && self.along >= self.segments[self.next].end - 1e-9 {
            let s = self.segments[self.next];
            *reached += 1;
            self.next += 1;
            self.since_waypoint = 0.0;
            if s.exit <= 0.0 || self.next == self.segments.len() {
                self.along = s.end;
                v1 = 0.0;
                if s.turn_after
                    && let Some(n) = self.segments.get(self.next)
                {
                    self.turning = Some(n.heading);
                }
                break;
            }
        }
        // A stop a hair away (rounding): take it now rather than creep.
        if let Some(s) = self.segments.get(self.next)
            && s.exit <= 0.0
            && s.end - self.along < 1e-6
            && v1 < 1e-3
        {
            self.along = s.end;
        }
        self.since_waypoint += self.along - before;
        self.speed = v1;
        let on = self.segments.get(self.next).or(self.segments.last()).copied().unwrap_or(seg);
        let offset = (self.along - (on.end - on.length)).clamp(0.0, on.length);
        let direction = Vector2::new(on.heading.cos(), on.heading.sin());
        self.position = if self.next < self.segments.len() {
            on.from + direction * offset
        } else {
            on.from + direction * on.length
        };
        if self.turning.is_none() && on.length > 1e-9 {
            self.heading = on.heading;
        }
        used.max(1e-9)
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
