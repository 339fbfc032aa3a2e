//! Plane geometry used by the index and the conflict sets: segments,
//! polygons, and NURBS edge trajectories (LIF `trajectory`).

use nalgebra::{Point2, Vector2};

/// A NURBS curve (LIF `trajectory`): the path a vehicle follows on an edge.
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    /// Degree as written in the file; `None` means derive it from the
    /// knot and control point counts.
    pub degree: Option<u32>,
    /// Non-decreasing knots in `[0, 1]`.
    pub knots: Vec<f64>,
    /// Control points with their weights (`None` = 1).
    pub control_points: Vec<ControlPoint>,
}

/// One NURBS control point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ControlPoint {
    /// Position, m.
    pub position: Point2<f64>,
    /// Rational weight, at least 1 when given.
    pub weight: Option<f64>,
}

/// Why a trajectory cannot be evaluated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrajectoryProblem {
    /// Fewer control points than degree + 1.
    TooFewControlPoints {
        /// Control points given.
        given: usize,
        /// Control points needed.
        needed: usize,
    },
    /// The knot vector does not have control points + degree + 1 entries.
    KnotCount {
        /// Knots given.
        given: usize,
        /// Knots needed.
        needed: usize,
    },
    /// The knots decrease somewhere.
    KnotsNotSorted,
    /// The degree is zero or does not follow from the counts.
    BadDegree,
}

impl std::fmt::Display for TrajectoryProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrajectoryProblem::TooFewControlPoints { given, needed } => {
                write!(f, "{given} control points, at least {needed} needed for this degree")
            }
            TrajectoryProblem::KnotCount { given, needed } => {
                write!(f, "{given} knots, expected {needed} (control points + degree + 1)")
            }
            TrajectoryProblem::KnotsNotSorted => f.write_str("knots must not decrease"),
            TrajectoryProblem::BadDegree => {
                f.write_str("degree must be at least 1 and match knots - control points - 1")
            }
        }
    }
}

impl Trajectory {
    /// Number of straight pieces [`Trajectory::polyline`] uses.
    pub const SAMPLES: usize = 32;

    /// The effective degree: given, or derived from the counts.
    pub fn effective_degree(&self) -> Result<usize, TrajectoryProblem> {
        let degree = match self.degree {
            Some(d) => d as usize,
            None => self
                .knots
                .len()
                .checked_sub(self.control_points.len() + 1)
                .ok_or(TrajectoryProblem::BadDegree)?,
        };
        if degree == 0 {
            return Err(TrajectoryProblem::BadDegree);
        }
        Ok(degree)
    }

    /// Checks the curve can be evaluated.
    pub fn check(&self) -> Result<(), TrajectoryProblem> {
        let degree = self.effective_degree()?;
        if self.control_points.len() < degree + 1 {
            return Err(TrajectoryProblem::TooFewControlPoints {
                given: self.control_points.len(),
                needed: degree + 1,
            });
        }
        let needed = self.control_points.len() + degree + 1;
        if self.knots.len() != needed {
            return Err(TrajectoryProblem::KnotCount { given: self.knots.len(), needed });
        }
        if self.knots.windows(2).any(|w| w[1] < w[0]) {
            return Err(TrajectoryProblem::KnotsNotSorted);
        }
        Ok(())
    }

    /// The point at parameter `u` in `[knots[p], knots[n]]` (rational de Boor).
    /// Returns `None` if the curve does not [`check`](Trajectory::check).
    pub fn point_at(&self, u: f64) -> Option<Point2<f64>> {
        self.check().ok()?;
        let p = self.effective_degree().ok()?;
        let n = self.control_points.len();
        let lo = self.knots[p];
        let hi = self.knots[n];
        let u = u.clamp(lo, hi);
        // Knot span k with knots[k] <= u < knots[k+1], k in p..n.
        let mut k = p;
        while k + 1 < n && self.knots[k + 1] <= u {
            k += 1;
        }
        // Homogeneous coordinates (w x, w y, w).
        let mut d: Vec<[f64; 3]> = (0..=p)
            .map(|j| {
                let cp = &self.control_points[j + k - p];
                let w = cp.weight.unwrap_or(1.0);
                [cp.position.x * w, cp.position.y * w, w]
            })
            .collect();
        for r in 1..=p {
            for j in (r..=p).rev() {
                let left = self.knots[j + k - p];
                let right = self.knots[j + 1 + k - r];
                let alpha = if right > left { (u - left) / (right - left) } else { 0.0 };
                let prev = d[j - 1];
                for (value, before) in d[j].iter_mut().zip(prev) {
                    *value = (1.0 - alpha) * before + alpha * *value;
                }
            }
        }
        let [x, y, w] = d[p];
        (w.abs() > f64::EPSILON).then(|| Point2::new(x / w, y / w))
    }

    /// The curve as `SAMPLES + 1` points, or `None` if it does not check.
    pub fn polyline(&self) -> Option<Vec<Point2<f64>>> {
        self.check().ok()?;
        let p = self.effective_degree().ok()?;
        let lo = self.knots[p];
        let hi = self.knots[self.control_points.len()];
        (0..=Self::SAMPLES).map(|i| self.point_at(lo + (hi - lo) * i as f64 / Self::SAMPLES as f64)).collect()
    }
}

/// A trajectory may begin or end this far (m) from its nodes and still be
/// taken as the edge's geometry.
pub const TRAJECTORY_END_TOLERANCE: f64 = 0.01;

/// The trajectory's polyline if it can be evaluated and runs from `a` to
/// `b` (within [`TRAJECTORY_END_TOLERANCE`]); `None` otherwise, in which
/// case the straight segment is the edge's geometry.
pub fn trajectory_between(t: &Trajectory, a: Point2<f64>, b: Point2<f64>) -> Option<Vec<Point2<f64>>> {
    let line = t.polyline()?;
    let (first, last) = (line.first()?, line.last()?);
    ((first - a).norm() <= TRAJECTORY_END_TOLERANCE && (last - b).norm() <= TRAJECTORY_END_TOLERANCE)
        .then_some(line)
}

/// Length of a polyline.
pub fn polyline_length(points: &[Point2<f64>]) -> f64 {
    points.windows(2).map(|w| (w[1] - w[0]).norm()).sum()
}

/// The point at arc-length fraction `t` in `[0, 1]` along a polyline.
pub fn polyline_point_at(points: &[Point2<f64>], t: f64) -> Point2<f64> {
    let total = polyline_length(points);
    let Some(first) = points.first() else {
        return Point2::origin();
    };
    if total <= 0.0 {
        return *first;
    }
    let mut remaining = t.clamp(0.0, 1.0) * total;
    for w in points.windows(2) {
        let len = (w[1] - w[0]).norm();
        if remaining <= len && len > 0.0 {
            return w[0] + (w[1] - w[0]) * (remaining / len);
        }
        remaining -= len;
    }
    *points.last().unwrap_or(first)
}

/// Squared distance from point `p` to segment `a`–`b`.
pub fn point_segment_distance2(p: Point2<f64>, a: Point2<f64>, b: Point2<f64>) -> f64 {
    let ab: Vector2<f64> = b - a;
    let len2 = ab.norm_squared();
    if len2 == 0.0 {
        return (p - a).norm_squared();
    }
    let t = ((p - a).dot(&ab) / len2).clamp(0.0, 1.0);
    (p - (a + ab * t)).norm_squared()
}

fn orient(a: Point2<f64>, b: Point2<f64>, c: Point2<f64>) -> f64 {
    (b - a).perp(&(c - a))
}

fn on_segment(a: Point2<f64>, b: Point2<f64>, p: Point2<f64>) -> bool {
    p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) && p.y >= a.y.min(b.y) && p.y <= a.y.max(b.y)
}

/// Whether segments `a`–`b` and `c`–`d` touch or cross.
pub fn segments_intersect(a: Point2<f64>, b: Point2<f64>, c: Point2<f64>, d: Point2<f64>) -> bool {
    let (d1, d2) = (orient(c, d, a), orient(c, d, b));
    let (d3, d4) = (orient(a, b, c), orient(a, b, d));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment(c, d, a))
        || (d2 == 0.0 && on_segment(c, d, b))
        || (d3 == 0.0 && on_segment(a, b, c))
        || (d4 == 0.0 && on_segment(a, b, d))
}

/// Squared distance between segments `a`–`b` and `c`–`d` (0 if they cross).
pub fn segment_segment_distance2(a: Point2<f64>, b: Point2<f64>, c: Point2<f64>, d: Point2<f64>) -> f64 {
    if segments_intersect(a, b, c, d) {
        return 0.0;
    }
    point_segment_distance2(a, c, d)
        .min(point_segment_distance2(b, c, d))
        .min(point_segment_distance2(c, a, b))
        .min(point_segment_distance2(d, a, b))
}

/// An axis-aligned box, inclusive of its border.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Aabb {
    /// Lower-left corner.
    pub min: Point2<f64>,
    /// Upper-right corner.
    pub max: Point2<f64>,
}

impl Aabb {
    /// The box spanned by two corners in any order.
    pub fn from_corners(a: Point2<f64>, b: Point2<f64>) -> Aabb {
        Aabb { min: Point2::new(a.x.min(b.x), a.y.min(b.y)), max: Point2::new(a.x.max(b.x), a.y.max(b.y)) }
    }

    /// Whether the point is inside or on the border.
    pub fn contains(&self, p: Point2<f64>) -> bool {
        p.x >= self.min.x && p.x <= self.max.x && p.y >= self.min.y && p.y <= self.max.y
    }

    /// The box as a counter-clockwise polygon.
    pub fn to_polygon(self) -> Polygon {
        Polygon::new(vec![
            self.min,
            Point2::new(self.max.x, self.min.y),
            self.max,
            Point2::new(self.min.x, self.max.y),
        ])
    }
}

/// A simple polygon zone (vertices in order, implicitly closed).
#[derive(Clone, Debug, PartialEq)]
pub struct Polygon {
    /// Vertices in order.
    pub vertices: Vec<Point2<f64>>,
}

impl Polygon {
    /// A polygon from its vertices.
    pub fn new(vertices: Vec<Point2<f64>>) -> Polygon {
        Polygon { vertices }
    }

    /// The bounding box, or `None` for an empty polygon.
    pub fn bounding_box(&self) -> Option<Aabb> {
        let first = *self.vertices.first()?;
        Some(self.vertices.iter().fold(Aabb { min: first, max: first }, |b, p| Aabb {
            min: Point2::new(b.min.x.min(p.x), b.min.y.min(p.y)),
            max: Point2::new(b.max.x.max(p.x), b.max.y.max(p.y)),
        }))
    }

    fn sides(&self) -> impl Iterator<Item = (Point2<f64>, Point2<f64>)> + '_ {
        let n = self.vertices.len();
        (0..n).map(move |i| (self.vertices[i], self.vertices[(i + 1) % n]))
    }

    /// Whether the point is inside or on the border.
    pub fn contains(&self, p: Point2<f64>) -> bool {
        if self.vertices.len() < 3 {
            return self.sides().any(|(a, b)| point_segment_distance2(p, a, b) == 0.0);
        }
        if self.sides().any(|(a, b)| point_segment_distance2(p, a, b) == 0.0) {
            return true;
        }
        let mut inside = false;
        for (a, b) in self.sides() {
            if (a.y > p.y) != (b.y > p.y) {
                let x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
                if p.x < x {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// Whether the segment has any point inside or on the polygon.
    pub fn intersects_segment(&self, a: Point2<f64>, b: Point2<f64>) -> bool {
        self.contains(a) || self.contains(b) || self.sides().any(|(c, d)| segments_intersect(a, b, c, d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: f64, y: f64) -> Point2<f64> {
        Point2::new(x, y)
    }

    #[test]
    fn quadratic_nurbs_passes_through_its_end_points() {
        let t = Trajectory {
            degree: Some(2),
            knots: vec![0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 1.0],
            control_points: [p(0.0, 0.0), p(0.0, 1.8), p(3.6, 1.8), p(3.6, 0.0)]
                .into_iter()
                .map(|position| ControlPoint { position, weight: None })
                .collect(),
        };
        let line = t.polyline().unwrap();
        assert!((line[0] - p(0.0, 0.0)).norm() < 1e-9);
        assert!((line[Trajectory::SAMPLES] - p(3.6, 0.0)).norm() < 1e-9);
        // At the simple inner knot a quadratic B-spline passes through the
        // middle of its middle control leg: ((0 + 3.6) / 2, 1.8).
        let mid = t.point_at(0.5).unwrap();
        assert!((mid.x - 1.8).abs() < 1e-9 && (mid.y - 1.8).abs() < 1e-9, "{mid}");
        // A quarter of the way: (1 - t)² P0 + ... on the first span, t = 0.5 there.
        let q = t.point_at(0.25).unwrap();
        assert!((q.x - 0.45).abs() < 1e-9 && (q.y - 1.35).abs() < 1e-9, "{q}");
        let len = polyline_length(&line);
        assert!(len > 4.5 && len < 7.2, "{len}");
    }

    #[test]
    fn bad_knot_counts_are_reported() {
        let t = Trajectory {
            degree: Some(2),
            knots: vec![0.0, 0.0, 1.0],
            control_points: vec![ControlPoint { position: p(0.0, 0.0), weight: None }; 4],
        };
        assert_eq!(t.check(), Err(TrajectoryProblem::KnotCount { given: 3, needed: 7 }));
        assert!(t.polyline().is_none());
    }

    #[test]
    fn segment_distance_cases() {
        assert_eq!(segment_segment_distance2(p(0., 0.), p(2., 2.), p(0., 2.), p(2., 0.)), 0.0);
        assert_eq!(segment_segment_distance2(p(0., 0.), p(1., 0.), p(0., 1.), p(1., 1.)), 1.0);
        assert_eq!(point_segment_distance2(p(3., 0.), p(0., 0.), p(1., 0.)), 4.0);
    }

    #[test]
    fn polygon_contains_and_intersects() {
        let tri = Polygon::new(vec![p(0., 0.), p(4., 0.), p(0., 4.)]);
        assert!(tri.contains(p(1., 1.)));
        assert!(tri.contains(p(2., 0.)));
        assert!(!tri.contains(p(3., 3.)));
        assert!(tri.intersects_segment(p(-1., 1.), p(5., 1.)));
        assert!(!tri.intersects_segment(p(3., 3.), p(5., 5.)));
    }
}
