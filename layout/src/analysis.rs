//! Structure figures of a layout, as `yard-sim map info` prints them:
//! size, extent, stations by kind, connectivity, dead ends, one-way edges.

use std::collections::BTreeMap;

use crate::geometry::Aabb;
use crate::model::{EdgeIdx, Layout, NodeIdx, StationKind};

/// What `map info` reports.
#[derive(Clone, Debug, PartialEq)]
pub struct LayoutSummary {
    /// Number of levels.
    pub levels: usize,
    /// Number of nodes.
    pub nodes: usize,
    /// Number of directed edges.
    pub edges: usize,
    /// Sum of edge lengths, m.
    pub total_edge_length: f64,
    /// Bounding box of all node positions, `None` for an empty layout.
    pub bounding_box: Option<Aabb>,
    /// Station count per kind (every kind listed, zeros included).
    pub stations_by_kind: BTreeMap<StationKind, usize>,
    /// Vehicle types named in the layout.
    pub vehicle_types: Vec<String>,
    /// Weakly connected components (edge direction ignored).
    pub weak_components: usize,
    /// Strongly connected components (a vehicle can get from any node of
    /// one to any other and back).
    pub strong_components: usize,
    /// Size of the largest strongly connected component.
    pub largest_strong_component: usize,
    /// Nodes with no outgoing edge: a vehicle that gets there cannot leave.
    pub dead_ends: Vec<NodeIdx>,
    /// Nodes with no incoming edge: no vehicle can get there.
    pub unreachable: Vec<NodeIdx>,
    /// Edges without a reverse edge.
    pub one_way_edges: Vec<EdgeIdx>,
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        parent[x as usize] = parent[parent[x as usize] as usize];
        x = parent[x as usize];
    }
    x
}

/// Computes the summary.
pub fn summarize(layout: &Layout) -> LayoutSummary {
    let n = layout.nodes.len();
    let bounding_box = layout.nodes.first().map(|first| {
        layout.nodes.iter().fold(Aabb { min: first.position, max: first.position }, |b, node| {
            let p = node.position;
            Aabb {
                min: nalgebra::Point2::new(b.min.x.min(p.x), b.min.y.min(p.y)),
                max: nalgebra::Point2::new(b.max.x.max(p.x), b.max.y.max(p.y)),
            }
        })
    });
    let mut stations_by_kind: BTreeMap<StationKind, usize> =
        StationKind::ALL.iter().map(|k| (*k, 0)).collect();
    for s in &layout.stations {
        *stations_by_kind.entry(s.kind).or_default() += 1;
    }

    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut indegree = vec![0usize; n];
    for e in &layout.edges {
        let (a, b) = (find(&mut parent, e.from.0), find(&mut parent, e.to.0));
        if a != b {
            parent[a.max(b) as usize] = a.min(b);
        }
        indegree[e.to.index()] += 1;
    }
    let weak_components = (0..n as u32).filter(|&i| find(&mut parent, i) == i).count();

    let nodes: Vec<NodeIdx> = (0..n as u32).map(NodeIdx).collect();
    let components = strong_components(layout);
    let mut sizes = vec![0usize; components.count];
    for &c in &components.of_node {
        sizes[c as usize] += 1;
    }
    let largest_strong_component = sizes.iter().copied().max().unwrap_or(0);

    LayoutSummary {
        levels: layout.levels.len(),
        nodes: n,
        edges: layout.edges.len(),
        total_edge_length: layout.edges.iter().map(|e| e.length).sum(),
        bounding_box,
        stations_by_kind,
        vehicle_types: layout.vehicle_types(),
        weak_components,
        strong_components: components.count,
        largest_strong_component,
        dead_ends: nodes.iter().copied().filter(|v| layout.out_edges(*v).is_empty()).collect(),
        unreachable: nodes.iter().copied().filter(|v| indegree[v.index()] == 0).collect(),
        one_way_edges: (0..layout.edges.len() as u32)
            .map(EdgeIdx)
            .filter(|e| layout.reverse_edge(*e).is_none())
            .collect(),
    }
}

/// The strongly connected components of a layout's directed graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrongComponents {
    /// How many.
    pub count: usize,
    /// The component of each node (by node index).
    pub of_node: Vec<u32>,
}

/// Tarjan's algorithm without recursion: an explicit stack of (node, next
/// edge to look at), so that the stack the thread runs on stays the same
/// however large the map (the competition's 1,912 × 1,800 grids have 2.2
/// million nodes; the recursive version overflowed).
pub fn strong_components(layout: &Layout) -> StrongComponents {
    const UNSEEN: u32 = u32::MAX;
    let n = layout.nodes.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut of_node = vec![UNSEEN; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut call: Vec<(u32, usize)> = Vec::new();
    let (mut next_index, mut count) = (0u32, 0u32);
    for root in 0..n as u32 {
        if index[root as usize] != UNSEEN {
            continue;
        }
        call.push((root, 0));
        while let Some(&mut (v, ref mut edge)) = call.last_mut() {
            let vi = v as usize;
            if *edge == 0 && index[vi] == UNSEEN {
                index[vi] = next_index;
                low[vi] = next_index;
                next_index += 1;
                stack.push(v);
                on_stack[vi] = true;
            }
            let out = layout.out_edges(NodeIdx(v));
            if let Some(&e) = out.get(*edge) {
                *edge += 1;
                let w = layout.edge(e).to.0;
                let wi = w as usize;
                if index[wi] == UNSEEN {
                    call.push((w, 0));
                } else if on_stack[wi] {
                    low[vi] = low[vi].min(index[wi]);
                }
                continue;
            }
            // Every edge of v seen: close it.
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                let pi = parent as usize;
                low[pi] = low[pi].min(low[vi]);
            }
            if low[vi] == index[vi] {
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    of_node[w as usize] = count;
                    if w == v {
                        break;
                    }
                }
                count += 1;
            }
        }
    }
    StrongComponents { count: count as usize, of_node }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(text: &str) -> Layout {
        crate::load_str(text, "t.map", crate::LoadOptions::default()).unwrap().value
    }

    #[test]
    fn strong_components_of_open_grids_and_islands() {
        let one = grid("type octile\nheight 2\nwidth 3\nmap\n...\n...\n");
        assert_eq!(strong_components(&one).count, 1);
        let two = grid("type octile\nheight 1\nwidth 5\nmap\n..@..\n");
        let c = strong_components(&two);
        assert_eq!(c.count, 2);
        assert_eq!(c.of_node[0], c.of_node[1]);
        assert_ne!(c.of_node[0], c.of_node[2]);
    }

    #[test]
    fn a_long_corridor_needs_no_deep_stack() {
        // A 400 × 500 serpentine: one path of 100,000 cells, so a recursive
        // DFS would go 100,000 calls deep; this runs on a small thread stack.
        let (width, height) = (400, 500);
        let rows: Vec<String> = (0..height)
            .map(|y| match y % 4 {
                1 => format!("{}{}", ".", "@".repeat(width - 1)).chars().rev().collect(),
                3 => format!("{}{}", ".", "@".repeat(width - 1)),
                _ => ".".repeat(width),
            })
            .collect();
        let text = format!("type octile\nheight {height}\nwidth {width}\nmap\n{}\n", rows.join("\n"));
        let corridor = grid(&text);
        let count = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || strong_components(&corridor).count)
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(count, 1);
    }
}
