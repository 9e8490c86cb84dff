//! The overview's treemap: the dominator tree's top level, or, when one chain of objects
//! holds nearly everything, the level where that chain splits, named by the chain.

use std::cmp::Reverse;

use super::Session;
use crate::analysis::typing::paths::path_text;
use crate::engine::protocol::*;
use crate::heap::ObjectId;

impl Session {
    /// The node the treemap shows (the root node, or the end of the dominating chain) and
    /// the chain down to it.
    fn treemap_chain(&mut self, drill: bool) -> (ObjectId, Vec<ObjectId>) {
        let mut node = self.heap().root_node();
        let mut bytes = self.a.reachable_bytes();
        let mut chain = Vec::new();
        if !drill {
            return (node, chain);
        }
        let children = self.a.dom_children();
        let retained = &self.a.retained;
        let size = &self.a.heap.objects.size;
        while chain.len() < TREEMAP_DEPTH && bytes > 0 {
            let Some(&top) = children
                .neighbors(node)
                .iter()
                .max_by_key(|&&c| (retained[c as usize], Reverse(c)))
            else {
                break;
            };
            let r = retained[top as usize];
            // Descend only where the level below has something to divide: an object
            // that is mostly its own bytes (one large array) is a cell, not a level.
            let own = size.get(top as usize);
            if (r as f64) < TREEMAP_DOMINATES * bytes as f64
                || children.degree(top) == 0
                || own.saturating_mul(2) > r
            {
                break;
            }
            chain.push(top);
            node = top;
            bytes = r;
        }
        (node, chain)
    }

    /// The treemap's node and its `cells` largest children (see [`TreemapView`]).
    pub fn treemap(&mut self, cells: u32, drill: bool) -> TreemapView {
        let (node, chain) = self.treemap_chain(drill);
        let mut kids = self.children().neighbors(node).to_vec();
        let retained = &self.a.retained;
        kids.sort_unstable_by_key(|&c| (Reverse(retained[c as usize]), c));
        let children = kids.len() as u64;
        kids.truncate(cells.min(super::PAGE_MAX) as usize);
        let (bytes, self_bytes) = match chain.last() {
            Some(&n) => (
                self.a.retained[n as usize],
                self.heap().objects.size.get(n as usize),
            ),
            None => (self.a.reachable_bytes(), 0),
        };
        let root_label = chain.first().and_then(|&first| {
            let h = self.heap();
            let root = h.roots_of(first).first().map(|r| r.kind)?;
            // One object: only the root is named, no contents are read.
            path_text(h, Some(&root), &[first], &mut |_, _| None)
                .or_else(|| Some(h.root_label(&root)))
        });
        TreemapView {
            chain: chain.iter().map(|&o| self.obj_row(o)).collect(),
            root_label,
            bytes,
            self_bytes,
            cells: kids.iter().map(|&o| self.obj_row(o)).collect(),
            children,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::exe::Executable;

    fn treemap(s: &mut Session, drill: bool) -> TreemapView {
        match s.handle(&Request::Treemap { cells: 40, drill }, &SliceSource(&[])) {
            Response::Treemap(v) => *v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_dominating_chain_is_descended_to_where_it_splits() {
        let dump = fixture("service-go1.27.dump");
        let mut s = open(&dump);
        let exe = Executable::parse(&fixture_gz("service-go1.27.exe.gz")).unwrap();
        s.attach_exe("service.exe", &exe, &SliceSource(&dump))
            .unwrap();
        let reachable = s.a.reachable_bytes();
        let v = treemap(&mut s, true);
        // main.registry's map holds 86.8% of the heap through one group of its buckets,
        // which splits among the 4 tenants' caches.
        let chain: Vec<&str> = v.chain.iter().map(|o| o.class.as_str()).collect();
        assert_eq!(
            chain,
            [
                "map.hdr[string]*main.tenantCache",
                "map.group[string]*main.tenantCache"
            ]
        );
        assert!(v.chain[0].retained as f64 >= TREEMAP_DOMINATES * reachable as f64);
        assert_eq!(v.root_label.as_deref(), Some("main.registry .tenants"));
        let group = &v.chain[1];
        assert_eq!((v.bytes, v.self_bytes), (group.retained, group.shallow));
        // The 4 tenants' caches, then their names (string data).
        let cells: Vec<&str> = v.cells.iter().map(|o| o.class.as_str()).collect();
        assert_eq!(cells[..4], ["main.tenantCache"; 4], "{cells:?}");
        assert_eq!(v.children, v.cells.len() as u64);
        // The cells and the group's own bytes make up what it retains.
        let cells: u64 = v.cells.iter().map(|c| c.retained).sum();
        assert_eq!(cells + v.self_bytes, v.bytes);
        // No cell holds the share that would have made the treemap descend further.
        assert!(v
            .cells
            .iter()
            .all(|c| (c.retained as f64) < TREEMAP_DOMINATES * v.bytes as f64));

        // Without drilling: the top level, every root's subtree.
        let top = treemap(&mut s, false);
        assert!(top.chain.is_empty() && top.root_label.is_none());
        assert_eq!((top.bytes, top.self_bytes), (reachable, 0));
        assert_eq!(top.cells[0].addr, v.chain[0].addr);
        assert!(top.children > 1);
    }

    #[test]
    fn without_an_executable_the_chain_names_its_root() {
        let dump = fixture("service-go1.27.dump");
        let mut s = open(&dump);
        let v = treemap(&mut s, true);
        assert_eq!(v.chain.len(), 2);
        let label = v.root_label.expect("a root label");
        assert!(label.contains("bss"), "{label}");
    }

    #[test]
    fn a_heap_that_splits_at_the_top_stays_there() {
        // basic's largest root subtree (a slice of 1000 items) holds under 85%.
        let dump = fixture("basic-go1.27.dump");
        let mut s = open(&dump);
        let v = treemap(&mut s, true);
        assert!(v.chain.is_empty() && v.root_label.is_none());
        assert_eq!(v, treemap(&mut s, false));
        assert_eq!(v.bytes, s.a.reachable_bytes());
        assert!(v.cells.len() <= 40 && v.children > 40);
        assert!(v.cells.windows(2).all(|w| w[0].retained >= w[1].retained));
        // The cells are the dominator view's first page of the root's children.
        let first = objects(page(
            &mut s,
            TableKind::DomChildren { parent: None },
            0,
            40,
            SortSpec::new("retained", true),
            "",
        ));
        assert_eq!(v.cells, first);
    }

    /// A session over a dump the writer builds: a global holding `objects[0]`, each object
    /// `(words, pointer to the next)`.
    fn written(objects: &[u64]) -> Vec<u8> {
        use crate::format::writer::DumpWriter;
        let start = 0xc0_0000_0000u64;
        let mut addrs = Vec::new();
        let mut next = start;
        for &words in objects {
            addrs.push(next);
            next += words * 8;
        }
        let mut w = DumpWriter::new(8, start, next);
        for (i, &words) in objects.iter().enumerate() {
            let mut contents = vec![0u64; words as usize];
            let mut ptrs = vec![];
            if let Some(&to) = addrs.get(i + 1) {
                contents[0] = to;
                ptrs.push(0);
            }
            w.object(addrs[i], &contents, &ptrs);
        }
        w.bss(0x58_0000, &[start], &[0]).eof();
        w.finish()
    }

    #[test]
    fn a_long_list_is_descended_a_bounded_depth() {
        // Each node of a list dominates the rest of it: the chain stops at its bound.
        let dump = written(&[4; 200]);
        let mut s = open(&dump);
        let v = treemap(&mut s, true);
        assert_eq!(v.chain.len(), TREEMAP_DEPTH);
        // Objects are numbered in address order: the list's nodes in list order.
        let held: Vec<u32> = v.chain.iter().map(|o| o.id).collect();
        assert_eq!(held, (0..TREEMAP_DEPTH as u32).collect::<Vec<_>>());
        assert_eq!(v.cells.len(), 1);
        assert_eq!(v.cells[0].id, TREEMAP_DEPTH as u32);
        assert_eq!(v.bytes, (200 - TREEMAP_DEPTH as u64 + 1) * 32);
        assert!(v.root_label.is_some_and(|l| l.contains("bss")));
    }

    #[test]
    fn an_object_mostly_its_own_bytes_is_a_cell_not_a_level() {
        // A global holds a 1000-word object, which holds a 2-word one.
        let dump = written(&[1000, 2]);
        let mut s = open(&dump);
        let v = treemap(&mut s, true);
        assert!(v.chain.is_empty(), "{:?}", v.chain);
        assert_eq!(v.cells.len(), 1);
        assert_eq!(v.cells[0].id, 0);
        assert_eq!(v.bytes, 8016);
    }
}
