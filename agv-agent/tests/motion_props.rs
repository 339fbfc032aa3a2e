//! Properties of the path follower, on arbitrary paths, limits and path
//! extensions: it reaches every waypoint once and in order, stops at the
//! last one (never past it), never drives faster than its top speed or a
//! leg's limit, keeps its speed within what its acceleration allows
//! (braking may be a little harder where a shorter path cuts it), passes
//! corners no faster than their curve speed, and moves only along the
//! path.

use agv_agent::motion::{Kinematics, MotionProfile, PathMotion, Waypoint, heading_change};
use nalgebra::Point2;
use proptest::prelude::*;

fn kinematics() -> impl Strategy<Value = Kinematics> {
    (0.3f64..3.0, 0.1f64..2.0, 0.3f64..4.0, 0.0f64..3.2, 0.1f64..2.0).prop_map(|(v, a, turn, curve, lat)| {
        Kinematics {
            profile: MotionProfile::new(v, a).unwrap(),
            turn_rate: turn,
            max_curve_angle: curve,
            lateral_acceleration: lat,
        }
    })
}

/// Waypoints as (heading change, length, leg speed limit).
fn legs() -> impl Strategy<Value = Vec<(f64, f64, f64)>> {
    proptest::collection::vec((-3.1f64..3.1, 0.2f64..8.0, 0.3f64..3.0), 1..6)
}

fn waypoints(start: Point2<f64>, heading: f64, legs: &[(f64, f64, f64)]) -> Vec<Waypoint> {
    let (mut at, mut h) = (start, heading);
    legs.iter()
        .map(|&(turn, length, max_speed)| {
            h += turn;
            at += nalgebra::Vector2::new(h.cos(), h.sin()) * length;
            Waypoint { at, max_speed }
        })
        .collect()
}

/// Distance from `p` to the polyline through `points`.
fn off_path(p: Point2<f64>, points: &[Point2<f64>]) -> f64 {
    points
        .windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            let ab = b - a;
            let t = if ab.norm_squared() > 0.0 {
                ((p - a).dot(&ab) / ab.norm_squared()).clamp(0.0, 1.0)
            } else {
                0.0
            };
            (a + ab * t - p).norm()
        })
        .fold(f64::INFINITY, f64::min)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_follower_reaches_every_waypoint_in_order_within_its_limits(
        k in kinematics(),
        first in legs(),
        more in legs(),
        extend_after in 0usize..400,
        dt_ms in 50u64..400,
    ) {
        let start = Point2::new(0.0, 0.0);
        let mut m = PathMotion::new(start, 0.0);
        let mut path = waypoints(start, 0.0, &first);
        m.set_path(&path, &k);
        let mut reached = 0usize;
        let mut last_speed = 0.0;
        let mut last_at = start;
        let mut extended = false;
        let mut points: Vec<Point2<f64>> = std::iter::once(start).chain(path.iter().map(|w| w.at)).collect();
        for step in 0..40_000 {
            if step == extend_after && !extended && m.is_following() {
                // More of the base: the same path, longer (from where the vehicle is).
                let tail_start = path.last().map_or(start, |w| w.at);
                let heading = points.windows(2).last().map_or(0.0, |w| (w[1] - w[0]).y.atan2((w[1] - w[0]).x));
                let longer: Vec<Waypoint> = path[reached..].iter().copied().chain(waypoints(tail_start, heading, &more)).collect();
                path.truncate(reached);
                path.extend(longer.iter().copied());
                points.extend(waypoints(tail_start, heading, &more).iter().map(|w| w.at));
                m.set_path(&longer, &k);
                extended = true;
            }
            let dt = dt_ms as f64 / 1000.0;
            let before = reached;
            let n = m.advance(dt, &k);
            reached += n;
            prop_assert!(reached <= path.len(), "reached {reached} of {}", path.len());
            let v = m.speed();
            let top = k.profile.max_speed();
            prop_assert!(v <= top + 1e-6, "speed {v} above top {top}");
            // On the leg it drives (or the one it just finished), the leg's limit holds.
            let leg = path.get(reached.min(path.len() - 1)).map_or(top, |w| w.max_speed.min(top));
            let prev_leg = path.get(before.min(path.len() - 1)).map_or(top, |w| w.max_speed.min(top));
            prop_assert!(v <= leg.max(prev_leg).max(1e-3) + 1e-6, "speed {v} above the leg's {leg}");
            prop_assert!(v - last_speed <= k.profile.acceleration() * dt + 1e-6, "accelerated {} in {dt} s", v - last_speed);
            let p = m.position();
            prop_assert!(off_path(p, &points) < 1e-6, "{p:?} is off the path");
            prop_assert!((p - last_at).norm() <= top * dt + 1e-6, "moved {} in {dt} s", (p - last_at).norm());
            last_speed = v;
            last_at = p;
            if !m.is_following() {
                break;
            }
        }
        prop_assert_eq!(reached, path.len(), "every waypoint reached");
        prop_assert!(m.speed() == 0.0, "stopped at the end");
        let end = path.last().unwrap().at;
        prop_assert!((m.position() - end).norm() < 1e-6, "at the last waypoint: {:?} vs {end:?}", m.position());
    }

    #[test]
    fn a_corner_is_passed_no_faster_than_its_curve_speed(
        k in kinematics(),
        turn in -3.1f64..3.1,
        a in 3.0f64..20.0,
        b in 3.0f64..20.0,
    ) {
        let path = waypoints(Point2::origin(), 0.0, &[(0.0, a, 10.0), (turn, b, 10.0)]);
        let mut m = PathMotion::new(Point2::origin(), 0.0);
        m.set_path(&path, &k);
        let corner = k.corner_speed(heading_change(0.0, turn));
        let mut fastest_near = 0.0f64;
        for _ in 0..100_000 {
            m.advance(0.01, &k);
            if (m.position() - path[0].at).norm() < 0.05 {
                fastest_near = fastest_near.max(m.speed());
            }
            if !m.is_following() {
                break;
            }
        }
        prop_assert!(!m.is_following());
        // Within 5 cm of the node the speed is at most the curve speed plus
        // what 5 cm (and one 10 ms step) of acceleration adds.
        let a = k.profile.acceleration();
        let slack = (corner * corner + 2.0 * a * 0.05).sqrt() + a * 0.011;
        prop_assert!(fastest_near <= slack + 1e-6, "{fastest_near} m/s at the corner, curve speed {corner}");
    }
}
