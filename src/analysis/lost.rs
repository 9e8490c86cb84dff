//! Lost objects: dumped but unreachable from every root. `WriteHeapDump` does not collect,
//! so everything allocated since the last GC is in the dump whether or not it is live.

use super::Analysis;
use crate::heap::ObjectId;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LostSummary {
    pub objects: u64,
    pub bytes: u64,
    /// Unreachable objects that no other object points at: the tops of garbage structures.
    pub heads: u64,
    /// The largest unreachable objects, largest first.
    pub largest: Vec<ObjectId>,
}

pub fn lost(a: &Analysis, keep: usize) -> LostSummary {
    let heap = &a.heap;
    let mut s = LostSummary::default();
    let mut largest: Vec<(u64, ObjectId)> = Vec::new();
    for id in 0..heap.objects.len() as ObjectId {
        if a.is_reachable(id) {
            continue;
        }
        let size = heap.objects.size.get(id as usize);
        s.objects += 1;
        s.bytes += size;
        if heap.pred.neighbors(id).iter().all(|&p| p == id) {
            s.heads += 1;
        }
        largest.push((size, id));
    }
    let keep = keep.min(largest.len());
    if keep > 0 {
        largest.select_nth_unstable_by(keep - 1, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        largest.truncate(keep);
        largest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    }
    s.largest = largest.into_iter().map(|(_, id)| id).collect();
    s
}

/// Unreachable bytes below this (or below 1 % of the dump) are not a leak finding.
pub const GARBAGE_MIN_BYTES: u64 = 64 * 1024;
/// At most this many small unreachable objects are what the runtime holds from outside
/// the heap (0 to 11 seen right after a GC), not garbage worth a word.
pub const HANDFUL_OBJECTS: u64 = 32;

/// Why a dump has unreachable objects, for every front end to say the same thing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unreachable {
    /// The dump ends early: the roots written after the cut were never read.
    CutDump,
    /// No GC has run yet: everything allocated so far is in the dump.
    NoGcYet,
    /// Garbage allocated since the last of several GCs.
    SinceLastGc,
    /// A few small blocks held from outside the heap; nothing to act on.
    Handful,
}

impl Unreachable {
    /// `None` when every object is reachable.
    pub fn of(a: &Analysis, lost_objects: u64, lost_bytes: u64) -> Option<Unreachable> {
        let h = &a.heap;
        if lost_objects == 0 {
            return None;
        }
        let cut = h
            .decode_error
            .as_ref()
            .is_some_and(|e| !matches!(e.kind, crate::format::ErrorKind::TrailingData { .. }));
        let num_gc = h.memstats.as_ref().map(|m| m.num_gc);
        Some(if cut {
            Unreachable::CutDump
        } else if num_gc == Some(0) {
            Unreachable::NoGcYet
        } else if lost_objects <= HANDFUL_OBJECTS && lost_bytes < GARBAGE_MIN_BYTES {
            Unreachable::Handful
        } else {
            Unreachable::SinceLastGc
        })
    }

    /// One sentence: what these objects are and what to do about them.
    pub fn advice(self, num_gc: Option<u64>) -> String {
        match self {
            Unreachable::CutDump => "The dump is cut short: the roots written after the cut (goroutine stacks, \
                globals, finalizers) were never read, so these objects look unreachable because their roots \
                are missing, not because they are garbage. Take the dump again to a file with enough disk space."
                .into(),
            Unreachable::NoGcYet => "No GC had run in this process (GC off, or the dump was taken early): every \
                object allocated so far is in the dump, and these are the ones nothing reaches any more."
                .into(),
            Unreachable::SinceLastGc => format!(
                "Garbage allocated since {} and not yet collected, not a leak: WriteHeapDump does \
                 not collect. Call runtime.GC() right before debug.WriteHeapDump for a live-only dump.",
                num_gc.map_or("the last GC".into(), |n| format!("the last of {n} GCs"))
            ),
            Unreachable::Handful => "A few small blocks that the runtime holds from outside the heap (such as \
                each P's tiny-allocation block): the dump does not describe their roots. Normal even right \
                after a GC; nothing to act on."
                .into(),
        }
    }
}
