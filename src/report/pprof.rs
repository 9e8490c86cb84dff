//! The dominator tree as a pprof profile, so `go tool pprof`, its web UI and other pprof
//! viewers show retained memory as a flame graph (the idea of goref's output, but exact:
//! the "stack" of an object is its chain of dominators, not one traversal's path).
//!
//! Every reachable object is one sample with `inuse_objects` 1 and `inuse_space` its size.
//! Its stack, leaf first, is its class, the class of its immediate dominator, and so on up
//! to the root that holds it. Objects with the same stack are merged. So in pprof a frame's
//! flat value is the bytes of that class's own objects on that path, and its cumulative
//! value is what those objects retain: the cumulative bytes of a class equal its retained
//! bytes in `dumpscope classes` (nested objects of the same class are counted once there
//! too).
//!
//! Two rules keep the profile small on any heap shape: a class dominated by an object of
//! the same class adds no frame (a million-node linked list is one frame), and stacks stop
//! at [`MAX_DEPTH`] frames, where a `(deeper)` frame takes everything below.
//!
//! The encoding is protobuf (`profile.proto` of github.com/google/pprof), uncompressed:
//! pprof reads it as it is.

use crate::analysis::classes::Classes;
use crate::analysis::Analysis;
use crate::heap::hash::FastMap;
use crate::heap::RootKind;

/// Frames in a stack at most, the root frame and the `(deeper)` frame included.
pub const MAX_DEPTH: u32 = 64;

/// One merged stack: a node of the trie of class paths.
struct Node {
    parent: u32,
    frame: u32,
    depth: u32,
    objects: u64,
    bytes: u64,
}

/// The profile's comment for a dump file (the CLI and the web app write the same bytes).
pub fn comment(file_name: &str) -> String {
    format!("dumpscope: retained memory by dominator chain of {file_name}")
}

/// Builds the profile of `a`. `comment` goes into the profile's comments (the dump's name,
/// say); `pprof -comments` prints it.
pub fn retained_profile(a: &Analysis, classes: &Classes, comment: &str) -> Vec<u8> {
    let heap = &a.heap;
    let n = heap.objects.len();
    let root = heap.root_node();

    // Frame names: the classes first (frame i = class i), then root labels and markers.
    let mut frames = class_frames(classes);
    let mut frame_ids: FastMap<String, u32> = frames
        .iter()
        .enumerate()
        .map(|(i, f)| (f.clone(), i as u32))
        .collect();
    // A root label or marker; one that equals a class name is told apart.
    let mut frame_of = |name: String, frames: &mut Vec<String>| -> u32 {
        let name = match frame_ids.get(&name) {
            Some(&f) if (f as usize) < classes.classes.len() => format!("{name} [root]"),
            _ => name,
        };
        *frame_ids.entry(name).or_insert_with_key(|k| {
            frames.push(k.clone());
            (frames.len() - 1) as u32
        })
    };
    let several = frame_of("(held by several roots)".into(), &mut frames);
    let deeper = frame_of("(deeper)".into(), &mut frames);

    let mut nodes: Vec<Node> = Vec::new();
    let mut index: FastMap<(u32, u32), u32> = FastMap::default();
    let mut child = |parent: u32, frame: u32, nodes: &mut Vec<Node>| -> u32 {
        let depth = nodes.get(parent as usize).map_or(1, |p| p.depth + 1);
        *index.entry((parent, frame)).or_insert_with(|| {
            nodes.push(Node {
                parent,
                frame,
                depth,
                objects: 0,
                bytes: 0,
            });
            (nodes.len() - 1) as u32
        })
    };

    // The trie node of every object; idoms come first in the preorder.
    let mut node_of = vec![u32::MAX; n];
    for &v in a.dom.preorder().iter().skip(1) {
        let id = v as usize;
        let class = classes.of[id];
        let d = a.dom.idom(v);
        let parent = if d == root {
            // The root that holds it: the first root pointing at it, when it is a root's
            // target; reachable through several roots otherwise.
            let i = heap.roots.partition_point(|r| r.object < v);
            let label = match heap.roots.get(i) {
                Some(r) if r.object == v => frame_of(root_frame(heap, &r.kind), &mut frames),
                _ => several,
            };
            child(u32::MAX, label, &mut nodes)
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
        let size = heap.objects.size.get(id);
        let m = &mut nodes[node as usize];
        m.objects += 1;
        m.bytes += size;
    }
    drop(node_of);
    encode(&nodes, &frames, comment)
}

/// The frame name of each class: its name, made unique (pprof merges frames by name) by
/// adding ` [class N]` to a name an earlier class has.
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
fn root_frame(heap: &crate::heap::Heap, kind: &RootKind) -> String {
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

/// Protobuf writing: just the wire types profile.proto uses.
struct Pb(Vec<u8>);

impl Pb {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn uint(&mut self, field: u32, v: u64) {
        self.varint(u64::from(field) << 3);
        self.varint(v);
    }

    fn bytes(&mut self, field: u32, b: &[u8]) {
        self.varint(u64::from(field) << 3 | 2);
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }

    /// A nested message written by `f`.
    fn message(&mut self, field: u32, f: impl FnOnce(&mut Pb)) {
        let mut m = Pb(Vec::new());
        f(&mut m);
        self.bytes(field, &m.0);
    }

    fn packed(&mut self, field: u32, vs: impl Iterator<Item = u64>) {
        let mut m = Pb(Vec::new());
        for v in vs {
            m.varint(v);
        }
        self.bytes(field, &m.0);
    }
}

/// profile.proto field numbers.
mod field {
    pub const SAMPLE_TYPE: u32 = 1;
    pub const SAMPLE: u32 = 2;
    pub const LOCATION: u32 = 4;
    pub const FUNCTION: u32 = 5;
    pub const STRING_TABLE: u32 = 6;
    pub const COMMENT: u32 = 13;
    pub const DEFAULT_SAMPLE_TYPE: u32 = 14;
}

fn encode(nodes: &[Node], frames: &[String], comment: &str) -> Vec<u8> {
    // String table: "" first (required), then fixed strings, then one per frame.
    let fixed = [
        "",
        "inuse_objects",
        "count",
        "inuse_space",
        "bytes",
        comment,
    ];
    let frame_string = |f: usize| (fixed.len() + f) as u64;
    let mut p = Pb(Vec::new());
    for (ty, unit) in [(1, 2), (3, 4)] {
        p.message(field::SAMPLE_TYPE, |m| {
            m.uint(1, ty);
            m.uint(2, unit);
        });
    }
    let mut stack = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        if node.objects == 0 {
            continue; // a root frame: its objects are in its children
        }
        stack.clear();
        let mut x = i as u32;
        while let Some(n) = nodes.get(x as usize) {
            stack.push(u64::from(n.frame) + 1);
            x = n.parent;
        }
        p.message(field::SAMPLE, |m| {
            m.packed(1, stack.iter().copied());
            m.packed(2, [node.objects, node.bytes].into_iter());
        });
    }
    // One function and one location per frame, both with id frame + 1.
    for f in 0..frames.len() {
        let id = f as u64 + 1;
        p.message(field::LOCATION, |m| {
            m.uint(1, id);
            m.message(4, |l| l.uint(1, id));
        });
        p.message(field::FUNCTION, |m| {
            m.uint(1, id);
            m.uint(2, frame_string(f));
            m.uint(3, frame_string(f));
        });
    }
    for s in fixed {
        p.bytes(field::STRING_TABLE, s.as_bytes());
    }
    for f in frames {
        p.bytes(field::STRING_TABLE, f.as_bytes());
    }
    p.uint(field::COMMENT, 5);
    p.uint(field::DEFAULT_SAMPLE_TYPE, 3);
    p.0
}
