//! Retainer paths: how an object is kept alive, from a labelled root down to it.
//!
//! A breadth-first search from the root node gives each object a parent on a shortest path.
//! The paths offered for an object go through its distinct direct retainers (each one's own
//! shortest path, then the edge to the object), shortest first, so the first path is a
//! shortest one and the others show the other ways in. Excluding objects ("ignore this
//! retainer") reruns the search without them.

use super::dominators::NONE;
use super::Analysis;
use crate::heap::{Heap, ObjectId};

/// BFS parents from the root node, avoiding `excluded` objects. Root targets get the root
/// node as parent.
pub fn bfs_tree(heap: &Heap, excluded: &[ObjectId]) -> Vec<u32> {
    let n = heap.succ.node_count();
    let root = heap.root_node();
    let mut parent = vec![NONE; n];
    for &e in excluded {
        if (e as usize) < n {
            parent[e as usize] = root; // marks it visited so it is never entered
        }
    }
    // A flat array is the queue: every node enters it at most once.
    let mut queue: Vec<u32> = Vec::with_capacity(n);
    parent[root as usize] = root;
    queue.push(root);
    let mut head = 0;
    while head < queue.len() {
        let v = queue[head];
        head += 1;
        for &w in heap.succ.neighbors(v) {
            if parent[w as usize] == NONE {
                parent[w as usize] = v;
                queue.push(w);
            }
        }
    }
    for &e in excluded {
        if (e as usize) < n {
            parent[e as usize] = NONE;
        }
    }
    parent
}

/// A path from the root node to an object: objects in order, the first one a root target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetainerPath {
    pub objects: Vec<ObjectId>,
}

/// The chain of BFS parents from the root down to `id`, or None when unreachable.
fn chain(parent: &[u32], root: u32, id: ObjectId) -> Option<Vec<ObjectId>> {
    let mut path = vec![id];
    let mut v = id;
    while parent[v as usize] != root {
        v = parent[v as usize];
        if v == NONE || path.len() > parent.len() {
            return None;
        }
        path.push(v);
    }
    path.reverse();
    Some(path)
}

/// Up to `max` paths to `id`, shortest first. With `excluded` non-empty the search avoids
/// those objects (the answer to "ignore this retainer").
pub fn retainer_paths(
    a: &Analysis,
    id: ObjectId,
    max: usize,
    excluded: &[ObjectId],
) -> Vec<RetainerPath> {
    let heap = &a.heap;
    if id as usize >= heap.objects.len() || max == 0 {
        return Vec::new();
    }
    let owned;
    let parent: &[u32] = if excluded.is_empty() {
        a.bfs_parent()
    } else {
        owned = bfs_tree(heap, excluded);
        &owned
    };
    if parent[id as usize] == NONE {
        return Vec::new();
    }
    let root = heap.root_node();
    // The BFS parent gives a shortest path; it comes first.
    let Some(first) = chain(parent, root, id) else {
        return Vec::new();
    };
    let first_retainer = parent[id as usize];
    let mut paths = vec![RetainerPath { objects: first }];
    // Then one path through each other direct retainer. Work is bounded: an object with
    // 100 000 retainers or a million-deep chain must still answer at once.
    let mut retainers: Vec<u32> = heap
        .pred
        .neighbors(id)
        .iter()
        .copied()
        .filter(|&p| p != root && p != id && p != first_retainer && parent[p as usize] != NONE)
        .collect();
    retainers.sort_unstable();
    retainers.dedup();
    let mut budget: usize = 4_000_000;
    let mut found: Vec<Vec<ObjectId>> = Vec::new();
    for p in retainers.into_iter().take(MAX_CANDIDATES) {
        let Some(mut c) = chain(parent, root, p) else {
            continue;
        };
        budget = budget.saturating_sub(c.len());
        // Skip a retainer that is itself only reachable through the object.
        if !c.contains(&id) {
            c.push(id);
            found.push(c);
        }
        if budget == 0 {
            break;
        }
    }
    found.sort_by_key(|c| c.len());
    paths.extend(found.into_iter().map(|objects| RetainerPath { objects }));
    paths.truncate(max);
    paths
}

/// How many direct retainers are considered for alternative paths.
const MAX_CANDIDATES: usize = 256;
