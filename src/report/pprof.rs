//! The dominator tree as a pprof profile, so `go tool pprof`, its web UI and other pprof
//! viewers show retained memory as a flame graph (the idea of goref's output, but exact:
//! the "stack" of an object is its chain of dominators, not one traversal's path).
//!
//! Every reachable object is one sample with `inuse_objects` 1 and `inuse_space` its size;
//! its stack, leaf first, is its path in [`Flame`] (its class, its dominators' classes, the
//! root that holds it), and objects with the same path are merged. So in pprof a frame's
//! flat value is the bytes of that class's own objects on that path, and its cumulative
//! value is what they retain: the cumulative bytes of a class equal its retained bytes in
//! `dumpscope classes`.
//!
//! The encoding is protobuf (`profile.proto` of github.com/google/pprof), uncompressed:
//! pprof reads it as it is.

use crate::analysis::classes::Classes;
use crate::analysis::flame::{Flame, NO_PARENT};
use crate::analysis::Analysis;

/// The profile's comment for a dump file (the CLI and the web app write the same bytes).
pub fn comment(file_name: &str) -> String {
    format!("dumpscope: retained memory by dominator chain of {file_name}")
}

/// Builds the profile of `a`. `comment` goes into the profile's comments (the dump's name,
/// say); `pprof -comments` prints it.
pub fn retained_profile(a: &Analysis, classes: &Classes, comment: &str) -> Vec<u8> {
    encode(&Flame::compute(a, classes), comment)
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

fn encode(flame: &Flame, comment: &str) -> Vec<u8> {
    let (nodes, frames) = (&flame.nodes, &flame.frames);
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
            continue; // a root's node: its objects are in its children
        }
        stack.clear();
        let mut x = i as u32;
        while x != NO_PARENT {
            let n = &nodes[x as usize];
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
