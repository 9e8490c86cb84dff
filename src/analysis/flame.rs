//! The dominator tree merged by class path: the flame graph of retained memory, behind the
//! web app's flame view and the pprof export (`report::pprof`).
//!
//! The path of a reachable object is its class, the class of its immediate dominator, and so
//! on up to the root that holds it; objects with the same path are one node. A node's own
//! bytes are its objects' sizes, its cumulative bytes what they retain, so the cumulative
//! bytes of a class summed over its topmost nodes are its retained bytes in the class table
//! (nested objects of a class are not counted twice there either).
//!
//! Two rules keep the tree small on any heap shape: a class dominated by an object of the
//! same class adds no node (a million-node linked list is one node), and paths stop at
//! [`MAX_DEPTH`] nodes, where a `(deeper)` node takes everything below.

use super::classes::Classes;
use super::Analysis;
use crate::heap::hash::FastMap;
use crate::heap::{Heap, RootKind};

/// Nodes on a path at most, the root's node and the `(deeper)` node included.
pub const MAX_DEPTH: u32 = 64;

/// `parent` of a top node (a root's).
pub const NO_PARENT: u32 = u32::MAX;

/// What a frame names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    /// A class (frame `i` is class `i`).
    Class,
    /// Where a root pointer lives, or `(held by several roots)`.
    Root,
    /// `(deeper)`: the objects below [`MAX_DEPTH`].
    Deeper,
}

#[derive(Clone, Debug)]
pub struct FlameNode {
    /// Index of the parent node ([`NO_PARENT`] for a root's node); always below this node's.
    pub parent: u32,
    /// Index into [`Flame::frames`].
    pub frame: u32,
    /// 1 for a root's node.
    pub depth: u32,
    /// Objects whose path ends here, and their bytes.
    pub objects: u64,
    pub bytes: u64,
}

pub struct Flame {
    /// Parents before children.
    pub nodes: Vec<FlameNode>,
    /// Frame names, unique (pprof merges frames by name): the classes' first.
    pub frames: Vec<String>,
    pub kinds: Vec<FrameKind>,
}

/// The frame name of each class: its name, made unique by adding ` [class N]` to a name an
/// earlier class has.
pub fn class_frames(classes: &Classes) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut frames = Vec::with_capacity(classes.classes.len() + 2);
    for (i, c) in classes.classes.iter().enumerate() {
        let name = if seen.insert(c.name.as_str()) {
            c.name.clone()
        } else {
            format!("{} [class {i}]", c.name)
        };
        frames.push(name);
    }
    frames
}

/// A root as a frame: globals by segment offset (a dump names no symbols), stack roots by
/// function, so that many goroutines running one function share a frame.
fn root_frame(heap: &Heap, kind: &RootKind) -> String {
    match *kind {
        RootKind::Data { offset } => format!("global data+0x{offset:x}"),
        RootKind::Bss { offset } => format!("global bss+0x{offset:x}"),
        RootKind::Frame { frame, .. } => {
            let f = &heap.frames[frame as usize];
            format!("stack of {}", heap.str(f.func))
        }
        RootKind::Finalizer { .. } => "registered finalizer".into(),
        RootKind::QueuedFinalizer { .. } => "queued finalizer".into(),
        RootKind::Other { description } => format!("other root: {}", heap.str(description)),
    }
}

impl Flame {
    pub fn compute(a: &Analysis, classes: &Classes) -> Flame {
        let heap = &a.heap;
        let n = heap.objects.len();
        let root = heap.root_node();
        let class_count = classes.classes.len();

        let mut frames = class_frames(classes);
        let mut kinds = vec![FrameKind::Class; class_count];
        let mut frame_ids: FastMap<String, u32> = frames
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), i as u32))
            .collect();
        // A root label or marker; one that equals a class name is told apart.
        let mut frame_of = |name: String, kind: FrameKind, frames: &mut Vec<String>| -> u32 {
            let name = match frame_ids.get(&name) {
                Some(&f) if (f as usize) < class_count => format!("{name} [root]"),
                _ => name,
            };
            *frame_ids.entry(name).or_insert_with_key(|k| {
                frames.push(k.clone());
                kinds.push(kind);
                (frames.len() - 1) as u32
            })
        };
        let several = frame_of(
            "(held by several roots)".into(),
            FrameKind::Root,
            &mut frames,
        );
        let deeper = frame_of("(deeper)".into(), FrameKind::Deeper, &mut frames);

        let mut nodes: Vec<FlameNode> = Vec::new();
        let mut index: FastMap<(u32, u32), u32> = FastMap::default();
        let mut child = |parent: u32, frame: u32, nodes: &mut Vec<FlameNode>| -> u32 {
            let depth = nodes.get(parent as usize).map_or(1, |p| p.depth + 1);
            *index.entry((parent, frame)).or_insert_with(|| {
                nodes.push(FlameNode {
                    parent,
                    frame,
                    depth,
                    objects: 0,
                    bytes: 0,
                });
                (nodes.len() - 1) as u32
            })
        };

        // The node of every object; idoms come first in the preorder.
        let mut node_of = vec![u32::MAX; n];
        for &v in a.dom.preorder().iter().skip(1) {
            let id = v as usize;
            let class = classes.of[id];
            let d = a.dom.idom(v);
            let parent = if d == root {
                // The root that holds it: the first root pointing at it, when it is a
                // root's target; reachable through several roots otherwise.
                let i = heap.roots.partition_point(|r| r.object < v);
                let label = match heap.roots.get(i) {
                    Some(r) if r.object == v => {
                        frame_of(root_frame(heap, &r.kind), FrameKind::Root, &mut frames)
                    }
                    _ => several,
                };
                child(NO_PARENT, label, &mut nodes)
            } else {
                node_of[d as usize]
            };
            let p = &nodes[parent as usize];
            let node = if p.frame == class || p.frame == deeper {
                parent
            } else if p.depth + 1 >= MAX_DEPTH {
                child(parent, deeper, &mut nodes)
            } else {
                child(parent, class, &mut nodes)
            };
            node_of[id] = node;
            let m = &mut nodes[node as usize];
            m.objects += 1;
            m.bytes += heap.objects.size.get(id);
        }
        Flame {
            nodes,
            frames,
            kinds,
        }
    }

    /// Cumulative (bytes, objects) of every node: its own and its descendants'.
    pub fn cumulative(&self) -> Vec<(u64, u64)> {
        let mut cum: Vec<(u64, u64)> = self.nodes.iter().map(|n| (n.bytes, n.objects)).collect();
        // Children come after their parent: in reverse, each is complete when added up.
        for i in (0..self.nodes.len()).rev() {
            let p = self.nodes[i].parent;
            if p != NO_PARENT {
                let (b, o) = cum[i];
                cum[p as usize].0 += b;
                cum[p as usize].1 += o;
            }
        }
        cum
    }
}
