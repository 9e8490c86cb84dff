//! Dominator tree of the heap graph (semi-NCA) and retained sizes.
//!
//! The algorithm is Semi-NCA (Georgiadis, 2005): semidominators are computed as in
//! Lengauer & Tarjan (1979) with a path-compressed `eval`, then each immediate dominator is
//! found as the nearest common ancestor, in the partially built dominator tree, of the
//! node's DFS parent and its semidominator.
//!
//! Everything is iterative: the DFS keeps its stack implicitly in the parent array, and the
//! path compression in `eval` walks the path by pointer reversal, so neither needs stack
//! space proportional to the graph. All state lives in flat `Vec<u32>` arrays indexed either
//! by node id or by DFS preorder number.

use crate::heap::Csr;

/// "No node": the immediate dominator of a node unreachable from the root.
pub const NONE: u32 = u32::MAX;

/// How many loop steps go by between two calls of the progress hook.
const PROGRESS_EVERY: u64 = 1 << 20;

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
    /// `pred` must be `succ.transpose()`. Runs in O(m log n) time (Semi-NCA with path
    /// compression; near-linear in practice) and uses no recursion.
    ///
    /// Memory: at its peak (the semidominator pass) this holds five `u32` arrays, four sized
    /// by `node_count` and one by the reachable count: at most **20 bytes per node**, on top
    /// of the two input graphs. Temporaries are freed before returning, leaving the 8 bytes
    /// per node of the result.
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
            if done % PROGRESS_EVERY == 0 {
                progress(done, total);
            }
        };

        // Node id -> preorder number (NONE = not reached). At the very end it is rewritten
        // in place into the node-indexed idom array of the result.
        let mut num = vec![NONE; n];
        // Preorder number -> node id.
        let mut order = vec![0u32; n];
        // Two words per preorder number k, interleaved so one cache line serves both:
        // `f[2k]` ("anc") is the DFS parent, and in the second pass the (compressed)
        // ancestor of a processed node in the link-eval forest; `f[2k + 1]` ("best") is the
        // DFS edge cursor, and in the second pass the smallest semidominator number on the
        // compressed path above a processed node (the "label" of Lengauer & Tarjan).
        let mut f = vec![0u32; 2 * n];

        // ---- Pass 1: iterative DFS from the root, stack kept in the parent links ----
        num[root as usize] = 0;
        order[0] = root;
        let mut reached: u32 = 1;
        let mut cur: u32 = 0;
        loop {
            let out = succ.neighbors(order[cur as usize]);
            let mut i = f[best(cur)] as usize;
            let mut child = NONE;
            while i < out.len() {
                let t = out[i] as usize;
                i += 1;
                if num[t] == NONE {
                    child = reached;
                    num[t] = child;
                    order[child as usize] = t as u32;
                    f[anc(child)] = cur;
                    f[best(child)] = 0;
                    reached += 1;
                    break;
                }
            }
            if child != NONE {
                f[best(cur)] = i as u32;
                cur = child;
                done += 1;
                tick(done, progress);
            } else if cur == 0 {
                break;
            } else {
                cur = f[anc(cur)];
            }
        }
        let r = reached as usize;
        done = n as u64;

        // ---- Pass 2: semidominators, in reverse preorder ----
        // For a processed node w (number > the one being processed): `anc[w]` is its ancestor
        // in the compressed forest, `best[w]` the minimum semidominator on the path it
        // stands for, `parent[w]` its DFS parent, and `order[w]` (no longer needed as a
        // node id; rebuilt from `num` later) its semidominator.
        let mut parent = vec![0u32; r];
        for w in (1..reached).rev() {
            let wi = w as usize;
            let v = order[wi];
            let mut semi = w;
            for &u in pred.neighbors(v) {
                let un = num[u as usize];
                if un == NONE {
                    continue;
                }
                let cand = if un <= w { un } else { eval(&mut f, un, w + 1) };
                if cand < semi {
                    semi = cand;
                }
            }
            // `anc[w]` is still the DFS parent: only processed nodes are ever compressed.
            parent[wi] = f[anc(w)];
            f[best(w)] = semi;
            order[wi] = semi;
            done += 1;
            tick(done, progress);
        }
        drop(f);
        done = 2 * n as u64;

        // ---- Pass 3: NCA, in preorder; `parent` becomes the idom array (by number) ----
        let mut idom = parent;
        if r > 0 {
            idom[0] = 0;
        }
        for w in 1..r {
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
        order.truncate(r);
        order.shrink_to_fit();
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
        let mut retained = vec![0u64; self.idom.len()];
        // Children come after their idom in preorder, so in reverse every node is complete
        // when it is reached and can be added into its idom.
        for &v in self.preorder.iter().skip(1).rev() {
            let v = v as usize;
            let size = retained[v] + shallow[v];
            retained[v] = size;
            retained[self.idom[v] as usize] += size;
        }
        if let Some(&root) = self.preorder.first() {
            retained[root as usize] += shallow[root as usize];
        }
        retained
    }

    /// The dominator tree as a graph: the children of `v` are the nodes whose immediate
    /// dominator is `v` (the root is not its own child), listed in preorder.
    pub fn children(&self) -> Csr {
        let mut degrees = vec![0u32; self.idom.len()];
        for &v in self.preorder.iter().skip(1) {
            degrees[self.idom[v as usize] as usize] += 1;
        }
        Csr::from_degrees(&degrees, |push| {
            for &v in self.preorder.iter().skip(1) {
                push(self.idom[v as usize], v);
            }
        })
        .expect("a tree has fewer edges than nodes")
    }
}

/// `eval` of the link-eval forest: the smallest semidominator number on the forest path
/// from `v` (a processed node) up to, and including, the last processed node before an
/// unprocessed ancestor (numbers `< linked`). Compresses the path so every node on it then
/// points at that unprocessed ancestor.
///
/// Walks up reversing the `anc` pointers (so no stack is needed), then walks back down
/// propagating minima and redirecting each node to the path's exit.
#[inline]
fn eval(f: &mut [u32], v: u32, linked: u32) -> u32 {
    if f[anc(v)] < linked {
        return f[best(v)];
    }
    // Up: v0 = v, v1 = anc[v0], ..., vk with anc[vk] < linked. Reverse anc[v0..vk-1].
    let mut below = NONE;
    let mut x = v;
    loop {
        let up = f[anc(x)];
        f[anc(x)] = below;
        below = x;
        x = up;
        if f[anc(x)] < linked {
            break;
        }
    }
    // x = vk, below = vk-1. Down: redirect to anc[vk] and take running minima.
    let exit = f[anc(x)];
    let mut min = f[best(x)];
    let mut y = below;
    loop {
        let next = f[anc(y)];
        f[anc(y)] = exit;
        let b = &mut f[best(y)];
        if min < *b {
            *b = min;
        } else {
            min = *b;
        }
        if next == NONE {
            return min;
        }
        y = next;
    }
}

/// Index of the "anc" word of preorder number `k` in the interleaved forest array.
#[inline(always)]
fn anc(k: u32) -> usize {
    2 * k as usize
}

/// Index of the "best" word of preorder number `k` in the interleaved forest array.
#[inline(always)]
fn best(k: u32) -> usize {
    2 * k as usize + 1
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

    /// Root -> 1 -> 2 -> ... -> N-1 -> 1: the back edge makes `eval` walk a path of ~N nodes.
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
