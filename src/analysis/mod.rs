//! Graph analyses over the heap model. [`Analysis`] runs the ones every view needs once:
//! reachability (through the dominator tree) and retained sizes; the breadth-first
//! shortest-path tree for retainer paths is built on the first retainer query.

pub mod classes;
pub mod diff;
pub mod dominators;
pub mod flame;
pub mod goroutine_leaks;
pub mod goroutines;
pub mod leaks;
pub mod lost;
pub mod naming;
pub mod retainers;
pub mod typing;
pub mod waste;

use crate::heap::{Csr, Heap, ObjectId};
use dominators::DominatorTree;

/// Phases reported while an [`Analysis`] is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnalysisPhase {
    Dominators,
    RetainedSizes,
}

/// A heap with its core analyses.
pub struct Analysis {
    pub heap: Heap,
    pub dom: DominatorTree,
    /// Retained bytes per node; the last entry (the root node) is the reachable total.
    pub retained: Vec<u64>,
    /// Breadth-first parent of each object on a shortest path from the root node
    /// (`dominators::NONE` when unreachable), computed on the first retainer query: it costs
    /// 4 B per object, and most runs never ask.
    bfs_parent: std::cell::OnceCell<Vec<u32>>,
    /// The dominator tree's children lists (8 B per object), built once for the class
    /// table, the leak findings and the dominator view.
    dom_children: std::cell::OnceCell<Csr>,
}

impl Analysis {
    pub fn new(heap: Heap) -> Analysis {
        Analysis::with_progress(heap, &mut |_, _, _| {})
    }

    /// `progress(phase, done, total)` is called now and then.
    pub fn with_progress(
        heap: Heap,
        progress: &mut dyn FnMut(AnalysisPhase, u64, u64),
    ) -> Analysis {
        let (dom, retained) = Self::core(&heap, progress);
        Self::from_parts(heap, dom, retained)
    }

    /// [`with_progress`](Self::with_progress), with `beside(&heap)` run meanwhile on a
    /// second thread where there is one (natively; in wasm, after the analyses). Typing
    /// from an executable reads the heap only and is about as long as the dominator tree:
    /// side by side they cost the longer of the two.
    pub fn with_progress_beside<T: Send>(
        heap: Heap,
        progress: &mut dyn FnMut(AnalysisPhase, u64, u64),
        beside: impl FnOnce(&Heap) -> T + Send,
    ) -> (Analysis, T) {
        let ((dom, retained), t) =
            crate::parallel::beside(|| Self::core(&heap, progress), || beside(&heap));
        (Self::from_parts(heap, dom, retained), t)
    }

    /// The heap back, the analyses dropped (to analyse it again, with an executable, say).
    pub fn into_heap(self) -> Heap {
        self.heap
    }

    /// The dominator tree and retained sizes.
    fn core(
        heap: &Heap,
        progress: &mut dyn FnMut(AnalysisPhase, u64, u64),
    ) -> (DominatorTree, Vec<u64>) {
        let root = heap.root_node();
        progress(AnalysisPhase::Dominators, 0, 1);
        let dom =
            DominatorTree::compute_with_progress(&heap.succ, &heap.pred, root, &mut |d, t| {
                progress(AnalysisPhase::Dominators, d, t)
            });
        progress(AnalysisPhase::RetainedSizes, 0, 1);
        let size = &heap.objects.size;
        let n = size.len();
        let retained = dom.subtree_sums(|v| {
            if (v as usize) < n {
                size.get(v as usize)
            } else {
                0
            }
        });
        (dom, retained)
    }

    fn from_parts(heap: Heap, dom: DominatorTree, retained: Vec<u64>) -> Analysis {
        Analysis {
            heap,
            dom,
            retained,
            bfs_parent: std::cell::OnceCell::new(),
            dom_children: std::cell::OnceCell::new(),
        }
    }

    /// The breadth-first shortest-path tree from the roots (see the field).
    pub fn bfs_parent(&self) -> &[u32] {
        self.bfs_parent
            .get_or_init(|| retainers::bfs_tree(&self.heap, &[]))
    }

    /// The dominator tree's children (see the field).
    pub fn dom_children(&self) -> &Csr {
        self.dom_children.get_or_init(|| self.dom.children())
    }

    /// Objects dominated by each node (itself included): retained sizes with every object
    /// weighing 1.
    pub fn dominated_counts(&self) -> Vec<u32> {
        let root = self.heap.root_node();
        self.dom.subtree_counts(|v| v != root)
    }

    pub fn is_reachable(&self, id: ObjectId) -> bool {
        self.dom.is_reachable(id)
    }

    /// Reachable objects (the root node excluded).
    pub fn reachable_objects(&self) -> u64 {
        self.dom.reachable_count().saturating_sub(1) as u64
    }

    pub fn reachable_bytes(&self) -> u64 {
        self.retained[self.heap.root_node() as usize]
    }

    /// The immediate dominator of an object, None when it is the root node or unreachable.
    pub fn idom(&self, id: ObjectId) -> Option<u32> {
        let d = self.dom.idom(id);
        (d != dominators::NONE && id != self.heap.root_node()).then_some(d)
    }
}
