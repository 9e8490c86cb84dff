//! The flame view: `analysis::flame`'s tree of retained memory by class path, without the
//! nodes too narrow to see.

use super::Session;
use crate::engine::protocol::*;

impl Session {
    /// The flame graph of retained memory, without the nodes too narrow to see (built once).
    pub fn flame(&mut self) -> FlameView {
        if self.flame.is_none() {
            self.flame = Some(self.build_flame());
        }
        self.flame.clone().expect("just built")
    }

    fn build_flame(&self) -> FlameView {
        use crate::analysis::flame::{Flame, FrameKind, NO_PARENT};
        let flame = Flame::compute(&self.a, &self.classes.classes);
        let cum = flame.cumulative();
        let total_bytes = self.a.reachable_bytes();
        let min = (total_bytes as f64 * FLAME_MIN_SHARE).ceil() as u64;
        // The widest nodes; a parent is as wide as its child at least and comes first
        // among equals, so every node kept has its parent kept.
        let mut keep: Vec<u32> = (0..flame.nodes.len() as u32)
            .filter(|&i| cum[i as usize].0 >= min.max(1))
            .collect();
        keep.sort_unstable_by_key(|&i| (std::cmp::Reverse(cum[i as usize].0), i));
        keep.truncate(FLAME_NODES);
        keep.sort_unstable();
        let mut row_of = vec![u32::MAX; flame.nodes.len()];
        let mut nodes = Vec::with_capacity(keep.len());
        for &i in &keep {
            let node = &flame.nodes[i as usize];
            let parent = if node.parent == NO_PARENT {
                u32::MAX
            } else {
                row_of[node.parent as usize]
            };
            debug_assert!(
                node.parent == NO_PARENT || parent != u32::MAX,
                "parent kept"
            );
            row_of[i as usize] = nodes.len() as u32;
            let f = node.frame as usize;
            nodes.push(FlameRow {
                parent,
                name: flame.frames[f].clone(),
                kind: match flame.kinds[f] {
                    FrameKind::Class => "class",
                    FrameKind::Root => "root",
                    FrameKind::Deeper => "deeper",
                }
                .to_string(),
                self_bytes: node.bytes,
                self_objects: node.objects,
                cum_bytes: cum[i as usize].0,
                cum_objects: cum[i as usize].1,
            });
        }
        FlameView {
            total_bytes,
            omitted_nodes: (flame.nodes.len() - nodes.len()) as u64,
            nodes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    /// The flame view: a tree (parents first, children no wider than their parent and
    /// together with the parent's own bytes not wider either), the planted cache at the
    /// retained size `dumpscope classes` gives, and a round trip through JSON.
    #[test]
    fn flame_is_the_class_path_tree() {
        let bytes = fixture("leaky-go1.27.dump");
        let mut s = open(&bytes);
        let Response::Flame(v) = s.handle(&Request::Flame, &SliceSource(&bytes)) else {
            panic!("no flame")
        };
        assert_eq!(v.total_bytes, s.a.reachable_bytes());
        let mut children = vec![0u64; v.nodes.len()];
        let mut top = 0u64;
        for (i, n) in v.nodes.iter().enumerate() {
            assert!(n.cum_bytes >= n.self_bytes && n.cum_objects >= n.self_objects);
            if n.parent == u32::MAX {
                assert_eq!(n.kind, "root", "{}", n.name);
                top += n.cum_bytes;
            } else {
                assert!((n.parent as usize) < i, "a child before its parent");
                children[n.parent as usize] += n.cum_bytes;
            }
        }
        for (n, c) in v.nodes.iter().zip(&children) {
            assert!(
                n.self_bytes + c <= n.cum_bytes,
                "{}: children too wide",
                n.name
            );
        }
        assert!(top <= v.total_bytes);
        assert!(v.total_bytes - top <= v.omitted_nodes * v.total_bytes / 10_000);
        let cache = v
            .nodes
            .iter()
            .find(|n| n.name == "main.newSession (main.go:68)")
            .expect("the cache's sessions");
        assert_eq!(cache.cum_bytes, 384_000);
        assert_eq!(cache.self_objects, 1000);
        let back: FlameView = serde_json::from_str(&serde_json::to_string(&*v).unwrap()).unwrap();
        assert_eq!(back, *v);
    }
}
