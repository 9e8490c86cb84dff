//! Dominator tree of the heap graph, and retained sizes.
//!
//! The algorithm is Semi-NCA (Georgiadis 2005; Georgiadis, Tarjan & Werneck 2006):
//! semidominators are computed as in Lengauer & Tarjan (1979), then each immediate dominator
//! is the nearest common ancestor, in the dominator tree built so far, of the node's DFS
//! parent and its semidominator. The link-eval forest behind the semidominators is Lengauer
//! & Tarjan's "sophisticated" one (balanced linking by subtree size, plus path compression),
//! which keeps `eval` paths short even when the DFS tree is a path millions of nodes deep.
//!
//! Everything is iterative: the DFS keeps its stack implicitly in the parent links, and
//! `eval` compresses a path by pointer reversal, so neither needs stack space that grows
//! with the graph. All state lives in flat `Vec<u32>` arrays indexed by node id or by DFS
//! preorder number.

use crate::heap::Csr;

/// "No node": the immediate dominator of a node unreachable from the root.
pub const NONE: u32 = u32::MAX;

/// How many loop steps go by between two calls of the progress hook.
const PROGRESS_EVERY: u64 = 1 << 20; // a power of two

/// Prefetch distances (in vertices) of the semidominator pass.
const PREFETCH_LIST: u32 = 16;
const PREFETCH_NUM: u32 = 8;
const PREFETCH_FOREST: u32 = 2;

/// The dominator tree of the nodes reachable from a root.
///
/// Holds `4 * node_count + 4 * reachable_count` bytes: the immediate dominator of every node
/// and the DFS preorder of the reachable nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DominatorTree {
    root: u32,
    /// `idom[v]` for every node id; `NONE` when unreachable; `idom[root] == root`.
    idom: Vec<u32>,
    /// Reachable nodes in DFS preorder; `preorder[0] == root`.
    preorder: Vec<u32>,
}

impl DominatorTree {
    /// Computes the dominator tree of the nodes reachable from `root`.
    ///
    /// `pred` must be `succ.transpose()`. Uses no recursion. The semidominators take
    /// O(m α(m, n)) time; the NCA step is quadratic in contrived worst cases but near-linear
    /// in practice (Georgiadis, Tarjan & Werneck 2006).
    ///
    /// Memory: the peak is **28 bytes per node** (`node_count`) on top of the two input
    /// graphs, during the semidominator pass: node → preorder number (4), four words of
    /// link-eval forest (16), preorder number → node (4) and DFS parent (4); the last two
    /// are only allocated for the reachable nodes, after the DFS (which itself needs 20).
    /// The NCA pass needs 12. Temporaries are freed before returning, leaving the result's
    /// `4 * node_count + 4 * reachable_count` bytes.
    pub fn compute(succ: &Csr, pred: &Csr, root: u32) -> DominatorTree {
        Self::compute_with_progress(succ, pred, root, &mut |_, _| {})
    }

    /// [`compute`](Self::compute) with a progress hook, called as `progress(done, total)`
    /// about every million steps and once with `done == total` at the end. `total` is three
    /// steps per node (DFS, semidominators, NCA).
    pub fn compute_with_progress(
        succ: &Csr,
        pred: &Csr,
        root: u32,
        progress: &mut dyn FnMut(u64, u64),
    ) -> DominatorTree {
        let n = succ.node_count();
        assert_eq!(pred.node_count(), n, "pred must be succ reversed");
        debug_assert_eq!(
            pred.edge_count(),
            succ.edge_count(),
            "pred must be succ reversed"
        );
        assert!(
            (root as usize) < n,
            "root {root} out of range for {n} nodes"
        );
        assert!(n < NONE as usize, "too many nodes");

        let total = 3 * n as u64;
        let mut done: u64 = 0;
        let tick = |done: u64, progress: &mut dyn FnMut(u64, u64)| {
            if done & (PROGRESS_EVERY - 1) == 0 {
                progress(done, total);
            }
        };

        // Preorder numbers start at 1; number 0 is the null vertex of Lengauer & Tarjan
        // (size 0, best 0), which ends the child chains of the link-eval forest.
        //
        // Node id -> preorder number (NONE = not reached). At the very end it is rewritten in
        // place into the node-indexed idom array of the result.
        let mut num = vec![NONE; n];
        // The link-eval forest, four words per preorder number (see `anc`, `best`, `size`,
        // `child`), interleaved so that one cache line holds all of a vertex. During the
        // DFS the four words are the DFS parent, unused, the edge cursor (NONE once every
        // out-edge has been looked at) and the node id, so that walking the implicit stack
        // touches one cache line per vertex.
        let mut f = vec![0u32; 4 * (n + 1)];

        // ---- Pass 1: iterative DFS from the root, stack kept in the parent links ----
        num[root as usize] = 1;
        f[child(1)] = root;
        let mut last: u32 = 1;
        let mut cur: u32 = 1;
        loop {
            let cursor = f[size(cur)];
            let mut next = NONE;
            if cursor != NONE {
                let out = succ.neighbors(f[child(cur)]);
                let mut i = cursor as usize;
                while i < out.len() {
                    let t = out[i];
                    i += 1;
                    if num[t as usize] == NONE {
                        last += 1;
                        next = last;
                        num[t as usize] = next;
                        f[anc(next)] = cur;
                        f[child(next)] = t;
                        break;
                    }
                }
                f[size(cur)] = if i == out.len() { NONE } else { i as u32 };
            }
            if next != NONE {
                cur = next;
                done += 1;
                tick(done, progress);
            } else if cur == 1 {
                break;
            } else {
                cur = f[anc(cur)];
            }
        }
        let r = last;
        done = n as u64;

        // Preorder number -> node id; once a number has been processed by pass 2 its slot
        // holds the node's semidominator instead (node ids are rebuilt from `num` later).
        let mut order = vec![0u32; r as usize + 1];
        // Preorder number -> DFS parent's number; pass 3 turns it into the idom array.
        let mut parent = vec![0u32; r as usize + 1];
        for k in 1..=r {
            order[k as usize] = f[child(k)];
            parent[k as usize] = f[anc(k)];
            f[anc(k)] = 0;
            f[best(k)] = k;
            f[size(k)] = 1;
            f[child(k)] = 0;
        }

        // ---- Pass 2: semidominators, in reverse preorder ----
        for w in (2..=r).rev() {
            // The loads below are nearly all cache misses, independent from one vertex to
            // the next: prefetch a few vertices ahead, in three stages (predecessor list,
            // their numbers, their forest words).
            if w > PREFETCH_LIST + 1 {
                prefetch(pred.neighbors(order[(w - PREFETCH_LIST) as usize]).as_ptr());
            }
            if w > PREFETCH_NUM + 1 {
                for &u in pred.neighbors(order[(w - PREFETCH_NUM) as usize]) {
                    prefetch(&num[u as usize]);
                }
            }
            if w > PREFETCH_FOREST + 1 {
                let ahead = w - PREFETCH_FOREST;
                for &u in pred.neighbors(order[ahead as usize]) {
                    let un = num[u as usize];
                    if un != NONE && un > ahead {
                        prefetch(&f[anc(un)]);
                    }
                }
            }
            let mut semi = w;
            for &u in pred.neighbors(order[w as usize]) {
                let un = num[u as usize];
                if un == NONE {
                    continue;
                }
                // An unprocessed predecessor (number <= w) is its own candidate.
                let cand = if un <= w { un } else { eval(&mut f, un) };
                semi = semi.min(cand);
            }
            f[best(w)] = semi;
            order[w as usize] = semi;
            link(&mut f, parent[w as usize], w);
            done += 1;
            tick(done, progress);
        }
        drop(f);
        done = 2 * n as u64;

        // ---- Pass 3: NCA, in preorder; the parent array becomes the idom array ----
        // idom(w) is the nearest common ancestor of parent(w) and semi(w) in the dominator
        // tree of the vertices before w: the deepest dominator-tree ancestor of parent(w)
        // numbered at most semi(w).
        let mut idom = parent;
        idom[1] = 1;
        for w in 2..=r as usize {
            let semi = order[w];
            let mut x = idom[w];
            while x > semi {
                x = idom[x as usize];
            }
            idom[w] = x;
            done += 1;
            tick(done, progress);
        }

        // ---- Back to node ids ----
        for (v, &k) in num.iter().enumerate() {
            if k != NONE {
                order[k as usize] = v as u32;
            }
        }
        for k in num.iter_mut() {
            if *k != NONE {
                *k = order[idom[*k as usize] as usize];
            }
        }
        drop(idom);
        order.copy_within(1..=r as usize, 0);
        order.truncate(r as usize);
        progress(total, total);

        DominatorTree {
            root,
            idom: num,
            preorder: order,
        }
    }

    pub fn root(&self) -> u32 {
        self.root
    }

    /// The immediate dominator of `v`: the root for the root itself, `NONE` if unreachable.
    #[inline]
    pub fn idom(&self, v: u32) -> u32 {
        self.idom[v as usize]
    }

    #[inline]
    pub fn is_reachable(&self, v: u32) -> bool {
        self.idom[v as usize] != NONE
    }

    pub fn reachable_count(&self) -> usize {
        self.preorder.len()
    }

    pub fn node_count(&self) -> usize {
        self.idom.len()
    }

    /// Reachable nodes in DFS preorder from the root (the root first). Every node comes
    /// after its immediate dominator, which is a DFS-tree ancestor.
    pub fn preorder(&self) -> &[u32] {
        &self.preorder
    }

    /// `retained[v]` = sum of `shallow[u]` over every `u` dominated by `v` (including `v`
    /// itself); 0 for unreachable nodes. One pass over the preorder in reverse.
    pub fn retained_sizes(&self, shallow: &[u64]) -> Vec<u64> {
        assert_eq!(shallow.len(), self.idom.len(), "one shallow size per node");
        self.subtree_sums(|v| shallow[v as usize])
    }

    /// `sums[v]` = sum of `weight(u)` over every `u` dominated by `v` (including `v`); 0 for
    /// unreachable nodes. Takes the weight as a function so callers need no per-node copy.
    pub fn subtree_sums(&self, weight: impl Fn(u32) -> u64) -> Vec<u64> {
        let mut sums = vec![0u64; self.idom.len()];
        // Children come after their idom in preorder, so in reverse every node is complete
        // when it is reached and can be added into its idom.
        for &v in self.preorder.iter().skip(1).rev() {
            let size = sums[v as usize] + weight(v);
            sums[v as usize] = size;
            sums[self.idom[v as usize] as usize] += size;
        }
        if let Some(&root) = self.preorder.first() {
            sums[root as usize] += weight(root);
        }
        sums
    }

    /// `counts[v]`: how many nodes `v` dominates, itself included, where `counts(u)` says
    /// whether `u` is counted (4 B per node, where [`Self::subtree_sums`] needs 8).
    pub fn subtree_counts(&self, counts: impl Fn(u32) -> bool) -> Vec<u32> {
        let mut sums = vec![0u32; self.idom.len()];
        for &v in self.preorder.iter().skip(1).rev() {
            let size = sums[v as usize] + u32::from(counts(v));
            sums[v as usize] = size;
            sums[self.idom[v as usize] as usize] += size;
        }
        if let Some(&root) = self.preorder.first() {
            sums[root as usize] += u32::from(counts(root));
        }
        sums
    }

    /// The dominator tree as a graph: the children of `v` are the nodes whose immediate
    /// dominator is `v` (the root is not its own child), listed in preorder.
    pub fn children(&self) -> Csr {
        let mut degrees = vec![0u32; self.idom.len() + 1];
        for &v in self.preorder.iter().skip(1) {
            degrees[self.idom[v as usize] as usize + 1] += 1;
        }
        Csr::from_degrees(degrees, |push| {
            for &v in self.preorder.iter().skip(1) {
                push(self.idom[v as usize], v);
            }
        })
        .expect("a tree has fewer edges than nodes")
    }
}

/// A cache prefetch hint; a no-op on targets without a stable intrinsic for it (wasm32).
#[inline(always)]
fn prefetch<T>(x: *const T) {
    #[cfg(target_arch = "x86_64")]
    #[allow(unused_unsafe)]
    // SAFETY: a prefetch is only a hint: it never faults, whatever the address, and has no
    // architectural effect. SSE is part of the x86_64 baseline (newer compilers consider
    // the call safe).
    unsafe {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(x.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

// The link-eval forest of Lengauer & Tarjan's sophisticated version, with one change: where
// they keep `label(v)` (a vertex) and compare `semi(label(v))`, `best(v)` stores that
// semidominator number directly, which is all Semi-NCA needs.

/// Parent in the (virtual) link-eval forest; 0 for a root (every unprocessed vertex is one).
#[inline(always)]
fn anc(k: u32) -> usize {
    4 * k as usize
}

/// `semi(label(k))`: the smallest semidominator number on the forest path `k` stands for.
#[inline(always)]
fn best(k: u32) -> usize {
    4 * k as usize + 1
}

/// Subtree size used to balance links. During the DFS: the edge cursor.
#[inline(always)]
fn size(k: u32) -> usize {
    4 * k as usize + 2
}

/// Next subtree root in the child chain used to balance links; 0 ends the chain.
#[inline(always)]
fn child(k: u32) -> usize {
    4 * k as usize + 3
}

/// EVAL(v) of Lengauer & Tarjan (as a semidominator number) for a processed vertex `v`.
/// COMPRESS is done without recursion: the path is walked up with its `anc` pointers
/// reversed, then walked back down, taking running minima and pointing every vertex at the
/// root.
#[inline]
fn eval(f: &mut [u32], v: u32) -> u32 {
    let a = f[anc(v)];
    if a == 0 {
        return f[best(v)];
    }
    if f[anc(a)] == 0 {
        return f[best(v)].min(f[best(a)]);
    }
    // Up: v = x0, x1 = anc(x0), ..., xk, where anc(xk) is the root; reverse anc(x0..xk-1).
    let mut below = NONE;
    let mut x = v;
    loop {
        let up = f[anc(x)];
        f[anc(x)] = below;
        below = x;
        x = up;
        if f[anc(f[anc(x)])] == 0 {
            break;
        }
    }
    let root = f[anc(x)];
    let mut min = f[best(x)];
    // Down from xk-1 to x0.
    let mut y = below;
    loop {
        let next = f[anc(y)];
        f[anc(y)] = root;
        let b = &mut f[best(y)];
        if min < *b {
            *b = min;
        } else {
            min = *b;
        }
        if next == NONE {
            break;
        }
        y = next;
    }
    min.min(f[best(root)])
}

/// LINK(v, w) of Lengauer & Tarjan: adds the processed vertex `w` (with `best(w)` set to its
/// semidominator) under its DFS parent `v`, rebalancing by subtree sizes.
#[inline]
fn link(f: &mut [u32], v: u32, w: u32) {
    let bw = f[best(w)];
    let mut s = w;
    loop {
        let cs = f[child(s)];
        // best(0) == 0 stops the loop at the end of the chain.
        if bw >= f[best(cs)] {
            break;
        }
        let ccs = f[child(cs)];
        if u64::from(f[size(s)]) + u64::from(f[size(ccs)]) >= 2 * u64::from(f[size(cs)]) {
            f[anc(cs)] = s;
            f[child(s)] = ccs;
        } else {
            f[size(cs)] = f[size(s)];
            f[anc(s)] = cs;
            s = cs;
        }
    }
    f[best(s)] = bw;
    let size_w = f[size(w)];
    f[size(v)] += size_w;
    if u64::from(f[size(v)]) < 2 * u64::from(size_w) {
        std::mem::swap(&mut s, &mut f[child(v)]);
    }
    while s != 0 {
        f[anc(s)] = v;
        s = f[child(s)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(n: usize, edges: &[(u32, u32)], root: u32) -> DominatorTree {
        let succ = Csr::from_edges(n, edges);
        let pred = succ.transpose().unwrap();
        DominatorTree::compute(&succ, &pred, root)
    }

    fn check_preorder(t: &DominatorTree) {
        let n = t.node_count();
        let mut pos = vec![usize::MAX; n];
        for (i, &v) in t.preorder().iter().enumerate() {
            assert_eq!(pos[v as usize], usize::MAX, "node {v} twice in preorder");
            pos[v as usize] = i;
        }
        assert_eq!(t.preorder()[0], t.root());
        for v in 0..n as u32 {
            assert_eq!(t.is_reachable(v), pos[v as usize] != usize::MAX);
            if t.is_reachable(v) && v != t.root() {
                assert!(
                    pos[t.idom(v) as usize] < pos[v as usize],
                    "{v} before its idom"
                );
            }
        }
    }

    /// The flow graph of Lengauer & Tarjan 1979, Fig. 1, and its immediate dominators.
    #[test]
    fn lengauer_tarjan_paper_example() {
        const NAMES: &str = "RABCDEFGHIJKL";
        let id = |c: char| NAMES.find(c).unwrap() as u32;
        let edges_by_name = [
            ('R', "ABC"),
            ('A', "D"),
            ('B', "ADE"),
            ('C', "FG"),
            ('D', "L"),
            ('E', "H"),
            ('F', "I"),
            ('G', "IJ"),
            ('H', "EK"),
            ('I', "K"),
            ('J', "I"),
            ('K', "IR"),
            ('L', "H"),
        ];
        let mut edges = Vec::new();
        for (s, ts) in edges_by_name {
            for t in ts.chars() {
                edges.push((id(s), id(t)));
            }
        }
        let t = tree(13, &edges, id('R'));
        let expected = [
            ('R', 'R'),
            ('A', 'R'),
            ('B', 'R'),
            ('C', 'R'),
            ('D', 'R'),
            ('E', 'R'),
            ('F', 'C'),
            ('G', 'C'),
            ('H', 'R'),
            ('I', 'R'),
            ('J', 'G'),
            ('K', 'R'),
            ('L', 'D'),
        ];
        for (v, d) in expected {
            assert_eq!(t.idom(id(v)), id(d), "idom({v})");
        }
        assert_eq!(t.reachable_count(), 13);
        check_preorder(&t);
        let kids = t.children();
        let mut c_kids = kids.neighbors(id('C')).to_vec();
        c_kids.sort_unstable();
        assert_eq!(c_kids, vec![id('F'), id('G')]);
        assert_eq!(kids.neighbors(id('R')).len(), 8);
        assert_eq!(kids.edge_count(), 12);
    }

    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Immediate dominators by the dataflow definition, with u64 bitsets (n <= 64).
    fn naive_idoms(n: usize, edges: &[(u32, u32)], root: u32) -> Vec<u32> {
        assert!(n <= 64);
        let mut reach = 1u64 << root;
        loop {
            let before = reach;
            for &(s, t) in edges {
                if reach >> s & 1 == 1 {
                    reach |= 1 << t;
                }
            }
            if reach == before {
                break;
            }
        }
        let mut dom = vec![reach; n];
        dom[root as usize] = 1 << root;
        loop {
            let mut changed = false;
            for v in 0..n as u32 {
                if v == root || reach >> v & 1 == 0 {
                    continue;
                }
                let mut d = reach;
                for &(s, t) in edges {
                    if t == v && reach >> s & 1 == 1 {
                        d &= dom[s as usize];
                    }
                }
                d |= 1 << v;
                if d != dom[v as usize] {
                    dom[v as usize] = d;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        (0..n as u32)
            .map(|v| {
                if reach >> v & 1 == 0 {
                    NONE
                } else if v == root {
                    root
                } else {
                    let strict = dom[v as usize] & !(1u64 << v);
                    let want = strict.count_ones();
                    (0..n as u32)
                        .find(|&d| strict >> d & 1 == 1 && dom[d as usize].count_ones() == want)
                        .unwrap()
                }
            })
            .collect()
    }

    #[test]
    fn random_graphs_match_dataflow_oracle() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for case in 0..400 {
            let n = 1 + rng.below(60) as usize;
            let m = rng.below(3 * n as u64 + 1) as usize;
            let mut edges: Vec<(u32, u32)> = (0..m)
                .map(|_| (rng.below(n as u64) as u32, rng.below(n as u64) as u32))
                .collect();
            // Sometimes add a sparse chain so more of the graph is reachable.
            if case % 3 == 0 {
                for v in 1..n as u32 {
                    if rng.below(4) != 0 {
                        edges.push((v - 1, v));
                    }
                }
            }
            // Duplicates and self loops on purpose.
            if m > 0 {
                let e = edges[rng.below(edges.len() as u64) as usize];
                edges.push(e);
            }
            let s = rng.below(n as u64) as u32;
            edges.push((s, s));
            let root = rng.below(n as u64) as u32;

            let t = tree(n, &edges, root);
            let want = naive_idoms(n, &edges, root);
            for v in 0..n as u32 {
                assert_eq!(
                    t.idom(v),
                    want[v as usize],
                    "case {case}: idom({v}), edges {edges:?}, root {root}"
                );
            }
            assert_eq!(t.root(), root);
            assert_eq!(
                t.reachable_count(),
                want.iter().filter(|&&d| d != NONE).count()
            );
            check_preorder(&t);

            // Retained sizes against the oracle's dominator sets.
            let shallow: Vec<u64> = (0..n as u64).map(|v| v * 7 + 1).collect();
            let retained = t.retained_sizes(&shallow);
            for v in 0..n as u32 {
                let mut sum = 0;
                if want[v as usize] != NONE {
                    for u in 0..n as u32 {
                        let mut x = u;
                        if want[x as usize] == NONE {
                            continue;
                        }
                        loop {
                            if x == v {
                                sum += shallow[u as usize];
                                break;
                            }
                            if x == root {
                                break;
                            }
                            x = want[x as usize];
                        }
                    }
                }
                assert_eq!(retained[v as usize], sum, "case {case}: retained({v})");
            }
        }
    }

    const BIG: u32 = 1_000_000;

    fn check_chain_like(t: &DominatorTree, shallow: &[u64]) {
        assert_eq!(t.reachable_count(), BIG as usize);
        assert_eq!(t.idom(0), 0);
        for v in 1..BIG {
            assert_eq!(t.idom(v), v - 1);
        }
        let retained = t.retained_sizes(shallow);
        let total: u64 = shallow.iter().sum();
        assert_eq!(retained[0], total);
        let mut suffix = 0;
        for v in (0..BIG as usize).rev() {
            suffix += shallow[v];
            assert_eq!(retained[v], suffix);
        }
        check_preorder(t);
    }

    #[test]
    fn million_node_chain() {
        let edges: Vec<(u32, u32)> = (1..BIG).map(|v| (v - 1, v)).collect();
        let t = tree(BIG as usize, &edges, 0);
        let shallow: Vec<u64> = (0..u64::from(BIG)).map(|v| v % 13 + 8).collect();
        check_chain_like(&t, &shallow);
        let kids = t.children();
        assert_eq!(kids.neighbors(0), &[1]);
        assert!(kids.neighbors(BIG - 1).is_empty());
    }

    /// Root -> 1 -> 2 -> ... -> N-1 -> 1: a DFS path N deep whose back edge reaches its top.
    #[test]
    fn million_node_cycle_off_root() {
        let mut edges: Vec<(u32, u32)> = (1..BIG).map(|v| (v - 1, v)).collect();
        edges.push((BIG - 1, 1));
        let t = tree(BIG as usize, &edges, 0);
        let shallow: Vec<u64> = (0..u64::from(BIG)).map(|v| v % 5 + 16).collect();
        check_chain_like(&t, &shallow);
    }

    /// Same graphs on a 128 KiB stack, like a wasm32 worker would have.
    #[test]
    fn million_nodes_on_small_stack() {
        std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(|| {
                // Cycle plus back edges from the tail to every node: deep DFS and long evals.
                let mut edges: Vec<(u32, u32)> = (1..BIG).map(|v| (v - 1, v)).collect();
                edges.extend((1..BIG).step_by(1000).map(|v| (BIG - 1, v)));
                let t = tree(BIG as usize, &edges, 0);
                assert_eq!(t.idom(1), 0);
                assert_eq!(t.idom(BIG - 1), BIG - 2);
                assert_eq!(t.idom(1001), 1000);
                let r = t.retained_sizes(&vec![1; BIG as usize]);
                assert_eq!(r[0], u64::from(BIG));
                assert_eq!(r[1], u64::from(BIG) - 1);
            })
            .unwrap()
            .join()
            .unwrap();
    }

    /// ```text
    ///        0
    ///       / \
    ///      1   2      shallow: 0:1 1:10 2:100 3:1000 4:10000 5:100000
    ///       \ / \
    ///        3   4    4 -> 5, 3 -> 5; 6 unreachable (6 -> 3)
    ///         \ /
    ///          5
    /// ```
    #[test]
    fn retained_sizes_diamond_with_shared_child() {
        let edges = [
            (0, 1),
            (0, 2),
            (1, 3),
            (2, 3),
            (2, 4),
            (3, 5),
            (4, 5),
            (6, 3),
        ];
        let t = tree(7, &edges, 0);
        assert_eq!(
            (0..7).map(|v| t.idom(v)).collect::<Vec<_>>(),
            vec![0, 0, 0, 0, 2, 0, NONE]
        );
        assert!(!t.is_reachable(6));
        assert_eq!(t.reachable_count(), 6);
        let shallow = [1, 10, 100, 1000, 10000, 100000, 7];
        let r = t.retained_sizes(&shallow);
        assert_eq!(r, vec![111111, 10, 10100, 1000, 10000, 100000, 0]);
        check_preorder(&t);

        let kids = t.children();
        let mut root_kids = kids.neighbors(0).to_vec();
        root_kids.sort_unstable();
        assert_eq!(root_kids, vec![1, 2, 3, 5]);
        assert_eq!(kids.neighbors(2), &[4]);
        assert!(kids.neighbors(6).is_empty());
    }

    #[test]
    fn single_node_and_progress() {
        let t = tree(1, &[], 0);
        assert_eq!(t.idom(0), 0);
        assert_eq!(t.preorder(), &[0]);
        assert_eq!(t.retained_sizes(&[5]), vec![5]);
        assert_eq!(t.children().edge_count(), 0);

        let succ = Csr::from_edges(3, &[(1, 2), (2, 1)]);
        let pred = succ.transpose().unwrap();
        let mut calls = Vec::new();
        let t = DominatorTree::compute_with_progress(&succ, &pred, 1, &mut |d, total| {
            calls.push((d, total))
        });
        assert_eq!(t.idom(2), 1);
        assert_eq!(t.idom(0), NONE);
        assert_eq!(calls.last(), Some(&(9, 9)));
        assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0));
    }
}
