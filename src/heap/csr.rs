//! Compressed sparse row adjacency: one offsets array and one flat targets array.
//!
//! This is the only graph representation in dumpscope. Node ids are dense `u32`s; edges
//! keep their multiplicity (two pointer words to the same object are two edges).

/// Adjacency lists of `node_count()` nodes stored as two flat arrays.
///
/// `targets[offsets[v]..offsets[v + 1]]` are the neighbours of `v`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Csr {
    offsets: Vec<u32>,
    targets: Vec<u32>,
}

/// Returned when a graph has more edges than a `u32` offset can address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyEdges(pub u64);

impl std::fmt::Display for TooManyEdges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} edges exceed the 2^32-1 edge limit of the graph",
            self.0
        )
    }
}

impl Csr {
    /// Builds from per-node degrees (already counted) and a fill callback that is handed a
    /// `push(source, target)` function. Two passes over the edges, no per-node allocation.
    ///
    /// `degrees` has one slot more than there are nodes: `degrees[v + 1]` must equal the
    /// number of times `fill` pushes an edge out of `v` (`degrees[0]` is ignored). It becomes
    /// the offsets array in place, and while the edges are filled in `degrees[v + 1]` is
    /// where the next edge out of `v` goes, ending at the end of `v`'s list: the build holds
    /// no array besides the two it returns (a separate degrees and cursor array would be
    /// two more of 4 B per node, 112 MiB on the 14.7 M-object AST heap, which in the tab
    /// stay as linear memory).
    pub fn from_degrees(
        mut degrees: Vec<u32>,
        fill: impl FnOnce(&mut dyn FnMut(u32, u32)),
    ) -> Result<Csr, TooManyEdges> {
        let mut total: u64 = 0;
        if let Some(first) = degrees.first_mut() {
            *first = 0;
        }
        // Each slot v + 1 becomes the start of v's list.
        for d in degrees.iter_mut().skip(1) {
            let start = total;
            total += u64::from(*d);
            if total > u64::from(u32::MAX) {
                return Err(TooManyEdges(total));
            }
            *d = start as u32;
        }
        let mut targets = vec![0u32; total as usize];
        let mut offsets = degrees;
        fill(&mut |s, t| {
            let c = &mut offsets[s as usize + 1];
            targets[*c as usize] = t;
            *c += 1;
        });
        debug_assert!(offsets.last().is_none_or(|&end| u64::from(end) == total));
        if offsets.is_empty() {
            offsets.push(0);
        }
        Ok(Csr { offsets, targets })
    }

    /// Builds from an edge list. Convenient for tests and small graphs.
    pub fn from_edges(node_count: usize, edges: &[(u32, u32)]) -> Csr {
        let mut degrees = vec![0u32; node_count + 1];
        for &(s, _) in edges {
            degrees[s as usize + 1] += 1;
        }
        Csr::from_degrees(degrees, |push| {
            for &(s, t) in edges {
                push(s, t);
            }
        })
        .expect("edge list fits in u32")
    }

    /// The same graph with every edge reversed. Edge order within a list follows source order.
    pub fn transpose(&self) -> Result<Csr, TooManyEdges> {
        let n = self.node_count();
        let mut degrees = vec![0u32; n + 1];
        for &t in &self.targets {
            degrees[t as usize + 1] += 1;
        }
        Csr::from_degrees(degrees, |push| {
            for v in 0..n as u32 {
                for &t in self.neighbors(v) {
                    push(t, v);
                }
            }
        })
    }

    pub fn node_count(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn edge_count(&self) -> usize {
        self.targets.len()
    }

    /// Neighbours of `v`, in insertion order, with repeats.
    #[inline]
    pub fn neighbors(&self, v: u32) -> &[u32] {
        let v = v as usize;
        &self.targets[self.offsets[v] as usize..self.offsets[v + 1] as usize]
    }

    #[inline]
    pub fn degree(&self, v: u32) -> usize {
        let v = v as usize;
        (self.offsets[v + 1] - self.offsets[v]) as usize
    }

    /// Bytes held by the two arrays (for memory accounting in benchmarks).
    pub fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * 4 + self.targets.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_and_transpose() {
        let g = Csr::from_edges(4, &[(0, 1), (0, 2), (1, 2), (2, 0), (2, 0), (3, 3)]);
        assert_eq!(g.node_count(), 4);
        assert_eq!(g.edge_count(), 6);
        assert_eq!(g.neighbors(0), &[1, 2]);
        assert_eq!(g.neighbors(2), &[0, 0]);
        let r = g.transpose().unwrap();
        assert_eq!(r.neighbors(0), &[2, 2]);
        assert_eq!(r.neighbors(2), &[0, 1]);
        assert_eq!(r.neighbors(3), &[3]);
        assert_eq!(r.degree(1), 1);
    }
}
