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
