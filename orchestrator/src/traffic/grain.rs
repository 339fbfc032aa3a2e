//! The grain of a grid: one-way conventions that routing prefers without
//! forbidding anything ("crisscross" highways, the guidance-graph baseline
//! of Zhang et al., IJCAI 2024).
//!
//! Every row runs east or west, every column south or north, and parallel
//! lanes alternate: a row goes the other way from the runs of free cells
//! nearest above its own (the majority over its cells), a column the
//! other way from those nearest to its left. In open space that is the
//! plain alternation of rows east and west and of columns south and
//! north. Where one-cell aisles lie between shelves,
//! every other row being a wall, it is the aisles that alternate — a
//! parity rule would send them all the same way (on the competition's
//! warehouse map, 89 % of the horizontal moves lie in odd rows).
//!
//! ```
//! use orchestrator::traffic::grain::Lanes;
//! let map = layout::load_str("type octile\nheight 3\nwidth 3\nmap\n...\n@@@\n...\n",
//!     "g.map", layout::LoadOptions::default()).unwrap().value;
//! let lanes = Lanes::new(map.grid.as_ref().unwrap());
//! let id = |s: &str| map.node_by_id(s).unwrap();
//! // The two aisles flow opposite ways: row 0 east, row 2 west.
//! assert!(!lanes.against(id("0,0"), id("1,0")) && lanes.against(id("0,2"), id("1,2")));
//! ```

use layout::NodeIdx;
use layout::model::GridInfo;

/// The grain of a grid: what a move against it costs routing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grain {
    /// What a move against the grain costs, as a multiple of its time (1: no grain).
    pub factor: f64,
}

impl Grain {
    /// No grain: every direction costs the same.
    pub const NONE: Grain = Grain { factor: 1.0 };

    /// The grain of `factor` if one is given, else `default` (a command
    /// line's or a scenario's override of a configuration).
    pub fn factor_or(factor: Option<f64>, default: Grain) -> Grain {
        factor.map_or(default, |factor| Grain { factor })
    }
}

/// Which way every free cell's row run and column run go.
#[derive(Clone, Debug)]
pub struct Lanes {
    /// Grid cell of every node.
    cells: Vec<(u32, u32)>,
    /// By node: its row's run goes east.
    east: Vec<bool>,
    /// By node: its column's run goes south (rows counted from the top).
    south: Vec<bool>,
}

const NONE: u32 = u32::MAX;

impl Lanes {
    /// The directions of every run of `grid`.
    pub fn new(grid: &GridInfo) -> Lanes {
        let (w, h) = (grid.width as usize, grid.height as usize);
        let mut at = vec![NONE; w * h];
        for (i, &(x, y)) in grid.cells.iter().enumerate() {
            if let Some(slot) = at.get_mut(y as usize * w + x as usize) {
                *slot = i as u32;
            }
        }
        let n = grid.cells.len();
        let (mut east, mut south) = (vec![true; n], vec![true; n]);
        sweep(h, w, |row, x| at[row * w + x], &mut east);
        sweep(w, h, |col, y| at[y * w + col], &mut south);
        Lanes { cells: grid.cells.clone(), east, south }
    }

    /// Whether the move from node `a` to its grid neighbour `b` goes
    /// against the grain.
    pub fn against(&self, a: NodeIdx, b: NodeIdx) -> bool {
        let (Some(&ca), Some(&cb)) = (self.cells.get(a.index()), self.cells.get(b.index())) else {
            return false;
        };
        if ca.1 == cb.1 {
            (cb.0 > ca.0) != self.east[a.index()]
        } else if ca.0 == cb.0 {
            (cb.1 > ca.1) != self.south[a.index()]
        } else {
            false
        }
    }
}

/// One sweep over `lines` lines of `len` cells (`node(line, k)`: the
/// node there, or `NONE`), in order. A line's runs of two or more free
/// cells all go one way — a line is one lane, however many walls cut it —
/// the other way from the runs last seen on their positions (forward if
/// most of those went back, back if most went forward; on a tie, forward
/// on even lines); `forward[node]` says which.
fn sweep(lines: usize, len: usize, node: impl Fn(usize, usize) -> u32, forward: &mut [bool]) {
    let mut last: Vec<Option<bool>> = vec![None; len];
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for line in 0..lines {
        runs.clear();
        let mut k = 0;
        while k < len {
            if node(line, k) == NONE {
                k += 1;
                continue;
            }
            let start = k;
            while k < len && node(line, k) != NONE {
                k += 1;
            }
            if k - start >= 2 {
                runs.push((start, k));
            }
        }
        let (mut ahead, mut back) = (0usize, 0usize);
        for &(a, b) in &runs {
            ahead += last[a..b].iter().filter(|d| **d == Some(true)).count();
            back += last[a..b].iter().filter(|d| **d == Some(false)).count();
        }
        let dir = match ahead.cmp(&back) {
            std::cmp::Ordering::Greater => false,
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Equal => line.is_multiple_of(2),
        };
        for &(a, b) in &runs {
            for p in a..b {
                last[p] = Some(dir);
                forward[node(line, p) as usize] = dir;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use layout::{LoadOptions, load_str};

    fn grid(text: &str) -> layout::Layout {
        load_str(text, "g.map", LoadOptions::default()).unwrap().value
    }

    #[test]
    fn open_space_alternates_rows_and_columns() {
        let map = grid("type octile\nheight 2\nwidth 2\nmap\n..\n..\n");
        let lanes = Lanes::new(map.grid.as_ref().unwrap());
        let id = |s: &str| map.node_by_id(s).unwrap();
        // Even rows run east, odd rows west; even columns south, odd north.
        assert!(!lanes.against(id("0,0"), id("1,0")) && lanes.against(id("1,0"), id("0,0")));
        assert!(lanes.against(id("0,1"), id("1,1")) && !lanes.against(id("1,1"), id("0,1")));
        assert!(!lanes.against(id("0,0"), id("0,1")) && lanes.against(id("0,1"), id("0,0")));
        assert!(lanes.against(id("1,0"), id("1,1")) && !lanes.against(id("1,1"), id("1,0")));
    }

    #[test]
    fn aisles_between_shelves_alternate_and_each_row_has_one_direction() {
        // Aisles on odd rows only, between shelves, joined by a column at each end.
        let map = grid(
            "type octile\nheight 7\nwidth 7\nmap\n@@@@@@@\n.......\n.@@@@@.\n.......\n.@@@@@.\n.......\n@@@@@@@\n",
        );
        let lanes = Lanes::new(map.grid.as_ref().unwrap());
        let id = |s: &str| map.node_by_id(s).unwrap();
        let east = |row: u32| {
            let dirs: Vec<bool> = (0..6)
                .map(|x| !lanes.against(id(&format!("{x},{row}")), id(&format!("{},{row}", x + 1))))
                .collect();
            assert!(dirs.iter().all(|d| *d == dirs[0]), "row {row} runs both ways: {dirs:?}");
            dirs[0]
        };
        // Rows 1, 3 and 5 alternate, though all three are odd.
        assert_ne!(east(1), east(3));
        assert_ne!(east(3), east(5));
        // The two end columns run opposite ways too.
        let south = |col: u32| !lanes.against(id(&format!("{col},1")), id(&format!("{col},2")));
        assert_ne!(south(0), south(6));
    }
}
