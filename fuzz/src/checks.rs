//! The invariants every input must keep, shared by the fuzz targets (`fuzz/`) and
//! `tests/robustness.rs`, which includes this file by path so that every committed crasher
//! is checked exactly as the fuzzer checked it. A broken invariant panics with a message
//! that names it.
//!
//! - Decoding: chunking never changes the records or the error (offset included).
//! - Analysis: reachability, dominators (against a naive oracle on small graphs), retained
//!   sizes, retainer paths, classes, lost objects, goroutine groups, leak findings and the
//!   report rows are consistent with each other and with the graph.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;

use dumpscope::analysis::classes::Classes;
use dumpscope::analysis::dominators::NONE;
use dumpscope::analysis::{diff, goroutines, leaks, lost, retainers, Analysis};
use dumpscope::format::{Arch, DecodeError, Decoder, FieldList, Record, RecordPos, RecordSink};
use dumpscope::heap::{Heap, ObjectId};
use dumpscope::report::{self, Names};

/// Graphs up to this many nodes (the root node included) are checked against the naive
/// dominator oracle.
pub const ORACLE_MAX_NODES: usize = 200;

/// What a decode produced: a digest per record (its position included) and the error.
#[derive(Debug, PartialEq, Eq)]
pub struct Decoded {
    pub records: Vec<u64>,
    pub error: Option<DecodeError>,
}

/// Feeds a record's every field to a hasher. The lazily decoded parts (field lists,
/// memprof frames, memstats) are decoded too: they must not panic either.
pub fn hash_record(h: &mut impl Hasher, r: &Record<'_>) {
    let fields = |h: &mut dyn Hasher, f: &FieldList<'_>| {
        h.write_u8(u8::from(f.is_empty()));
        for (kind, off) in f.iter() {
            h.write_u8(kind as u8);
            h.write_u64(off);
        }
    };
    match r {
        Record::Eof => h.write_u8(0),
        Record::Object(o) => {
            h.write_u8(1);
            h.write_u64(o.addr);
            h.write(o.contents);
            h.write_u64(o.contents_offset);
            fields(h, &o.fields);
        }
        Record::OtherRoot(o) => {
            h.write_u8(2);
            h.write(o.description);
            h.write_u64(o.addr);
        }
        Record::Type(t) => {
            h.write_u8(3);
            for v in [t.addr, t.size, u64::from(t.indirect)] {
                h.write_u64(v);
            }
            h.write(t.name);
        }
        Record::Goroutine(g) => {
            h.write_u8(4);
            for v in [
                g.addr,
                g.sp,
                g.id,
                g.gopc,
                g.status,
                u64::from(g.system),
                u64::from(g.background),
                g.wait_since,
                g.ctxt,
                g.m,
                g.defer_top,
                g.panic_top,
            ] {
                h.write_u64(v);
            }
            h.write(g.wait_reason);
        }
        Record::StackFrame(f) => {
            h.write_u8(5);
            for v in [f.sp, f.depth, f.child_sp, f.entry_pc, f.pc, f.cont_pc] {
                h.write_u64(v);
            }
            h.write(f.contents);
            h.write(f.name);
            fields(h, &f.fields);
        }
        Record::Params(p) => {
            h.write_u8(6);
            for v in [
                u64::from(p.big_endian),
                p.ptr_size,
                p.heap_start,
                p.heap_end,
                p.ncpu,
            ] {
                h.write_u64(v);
            }
            match p.arch {
                Arch::Name(n) => h.write(n),
                Arch::Code(c) => h.write_u64(c),
            }
            h.write(p.version);
        }
        Record::Finalizer(f) | Record::QueuedFinalizer(f) => {
            h.write_u8(if matches!(r, Record::Finalizer(_)) {
                7
            } else {
                11
            });
            for v in [f.object, f.closure, f.code, f.arg_type, f.object_type] {
                h.write_u64(v);
            }
        }
        Record::Itab(i) => {
            h.write_u8(8);
            h.write_u64(i.addr);
            h.write_u64(i.typ);
        }
        Record::OsThread(t) => {
            h.write_u8(9);
            for v in [t.addr, t.id, t.os_id] {
                h.write_u64(v);
            }
        }
        Record::MemStats(m) => {
            h.write_u8(10);
            for v in m.values() {
                h.write_u64(v);
            }
        }
        Record::Data(s) | Record::Bss(s) => {
            h.write_u8(if matches!(r, Record::Data(_)) { 12 } else { 13 });
            h.write_u64(s.addr);
            h.write(s.contents);
            h.write_u64(s.contents_offset);
            fields(h, &s.fields);
        }
        Record::Defer(d) => {
            h.write_u8(14);
            for v in [d.addr, d.gp, d.argp, d.pc, d.closure, d.code, d.link] {
                h.write_u64(v);
            }
        }
        Record::Panic(p) => {
            h.write_u8(15);
            for v in [p.addr, p.gp, p.arg_type, p.arg_data, p.defer, p.link] {
                h.write_u64(v);
            }
        }
        Record::MemProf(m) => {
            h.write_u8(16);
            for v in [m.id, m.size, m.allocs, m.frees] {
                h.write_u64(v);
            }
            let mut count = 0;
            for f in m.frames.iter() {
                h.write(f.func);
                h.write(f.file);
                h.write_u64(f.line);
                count += 1;
            }
            assert_eq!(count, m.frames.len(), "memprof frame count");
        }
        Record::AllocSample(a) => {
            h.write_u8(17);
            h.write_u64(a.addr);
            h.write_u64(a.bucket);
        }
    }
}

/// A digest of a record and its position.
pub fn record_digest(r: &Record<'_>, p: RecordPos) -> u64 {
    let mut h = DefaultHasher::new();
    h.write_u64(p.offset);
    h.write_u64(p.index);
    h.write_u64(p.tag.unwrap_or(u64::MAX));
    hash_record(&mut h, r);
    h.finish()
}

struct Collect<'a>(&'a mut Vec<u64>);

impl RecordSink for Collect<'_> {
    fn record(&mut self, r: &Record<'_>, p: RecordPos) {
        self.0.push(record_digest(r, p));
    }
}

/// Decodes `data` in one call, knowing its length (as `decode_all` and the front ends do).
pub fn decode_whole(data: &[u8]) -> Decoded {
    let mut records = Vec::new();
    let mut sink = Collect(&mut records);
    let mut d = Decoder::with_total_len(data.len() as u64);
    let error = d
        .feed(data, &mut sink)
        .and_then(|()| d.finish(&mut sink))
        .err();
    Decoded { records, error }
}

/// Decodes `data` in chunks of the given sizes (the last chunk takes the rest), with or
/// without telling the decoder the total length.
pub fn decode_chunked(
    data: &[u8],
    sizes: impl IntoIterator<Item = usize>,
    known_len: bool,
) -> Decoded {
    let mut records = Vec::new();
    let mut sink = Collect(&mut records);
    let mut d = if known_len {
        Decoder::with_total_len(data.len() as u64)
    } else {
        Decoder::new()
    };
    let mut rest = data;
    let mut sizes = sizes.into_iter();
    let mut error = None;
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(rest.len()).clamp(1, rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        if let Err(e) = d.feed(chunk, &mut sink) {
            // Every later call repeats the error.
            assert_eq!(
                d.feed(b"x", &mut sink).err().as_ref(),
                Some(&e),
                "sticky error"
            );
            error = Some(e);
            break;
        }
    }
    let fin = d.finish(&mut sink).err();
    match &error {
        Some(e) => assert_eq!(fin.as_ref(), Some(e), "finish after a failed feed"),
        None => error = fin,
    }
    Decoded { records, error }
}

/// Chunk sizes from an 8-byte plan: a xorshift stream in one of four size ranges.
pub struct ChunkPlan {
    state: u64,
    mode: u8,
}

impl ChunkPlan {
    pub fn new(plan: [u8; 8]) -> ChunkPlan {
        ChunkPlan {
            state: u64::from_le_bytes(plan) | 1,
            mode: plan[0] & 3,
        }
    }
}

impl Iterator for ChunkPlan {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        let x = &mut self.state;
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        let r = (*x >> 8) as usize;
        Some(match self.mode {
            0 => 1 + r % 3,
            1 => 1 + r % 40,
            2 => 1 + r % 4096,
            _ => 1 << (r % 17),
        })
    }
}

/// Chunked decoding, with and without the total length, gives exactly what one-shot
/// decoding gives: the same records at the same positions and the same error.
pub fn check_chunking(data: &[u8], plan: [u8; 8]) {
    let whole = decode_whole(data);
    for known_len in [true, false] {
        let chunked = decode_chunked(data, ChunkPlan::new(plan), known_len);
        assert_eq!(
            chunked.records.len(),
            whole.records.len(),
            "record count differs (known_len {known_len}): chunked error {:?}, whole error {:?}",
            chunked.error,
            whole.error
        );
        assert!(
            chunked.records == whole.records,
            "records differ (known_len {known_len})"
        );
        assert_eq!(
            chunked.error, whole.error,
            "error differs (known_len {known_len})"
        );
    }
}

/// The decode error, if any, stays inside the input and prints.
pub fn check_decode(data: &[u8]) -> Decoded {
    let d = decode_whole(data);
    if let Some(e) = &d.error {
        assert!(
            e.offset <= data.len() as u64,
            "error offset past the end: {e}"
        );
        if let Some(r) = e.record {
            assert!(r.offset <= e.offset, "record starts after its error: {e}");
        }
        assert!(!e.to_string().is_empty());
    }
    d
}

/// Nodes reachable from the root node, by a plain BFS.
fn reachable(heap: &Heap) -> Vec<bool> {
    let n = heap.succ.node_count();
    let root = heap.root_node();
    let mut seen = vec![false; n];
    let mut queue = vec![root];
    seen[root as usize] = true;
    let mut head = 0;
    while head < queue.len() {
        let v = queue[head];
        head += 1;
        for &w in heap.succ.neighbors(v) {
            if !seen[w as usize] {
                seen[w as usize] = true;
                queue.push(w);
            }
        }
    }
    seen
}

/// The naive oracle: `w` is strictly dominated by `d` when removing `d` cuts `w` off the
/// root. Returns the immediate dominator of every node (`NONE` when unreachable, the root
/// for itself).
pub fn naive_idoms(succ: &dumpscope::heap::Csr, root: u32) -> Vec<u32> {
    let n = succ.node_count();
    let search = |skip: u32| {
        let mut seen = vec![false; n];
        if skip == root {
            return seen;
        }
        let mut stack = vec![root];
        seen[root as usize] = true;
        while let Some(v) = stack.pop() {
            for &w in succ.neighbors(v) {
                if w != skip && !seen[w as usize] {
                    seen[w as usize] = true;
                    stack.push(w);
                }
            }
        }
        seen
    };
    let reach = search(NONE);
    // strict[w]: the strict dominators of w.
    let mut strict: Vec<Vec<u32>> = vec![Vec::new(); n];
    for d in 0..n as u32 {
        if !reach[d as usize] {
            continue;
        }
        let without = search(d);
        for w in 0..n {
            if reach[w] && !without[w] && w != d as usize {
                strict[w].push(d);
            }
        }
    }
    (0..n)
        .map(|w| {
            if !reach[w] {
                NONE
            } else if w == root as usize {
                root
            } else {
                // The strict dominators form a chain; the immediate one is the deepest.
                let depth = strict[w].len();
                *strict[w]
                    .iter()
                    .find(|&&d| strict[d as usize].len() + 1 == depth)
                    .expect("dominators form a chain")
            }
        })
        .collect()
}

/// The heap model's own consistency: ids in address order, graph and transposed graph.
pub fn check_heap(heap: &Heap) {
    let n = heap.objects.len();
    let o = &heap.objects;
    assert_eq!(o.size.len(), n);
    assert_eq!(o.file_offset.len(), n);
    assert_eq!(o.flags.len(), n);
    assert_eq!(o.shape.len(), n);
    assert_eq!(heap.root_node() as usize, n, "root node id");
    assert_eq!(heap.succ.node_count(), n + 1);
    assert_eq!(heap.pred.node_count(), n + 1);
    assert_eq!(heap.succ.edge_count(), heap.pred.edge_count());
    for i in 1..n {
        assert!(
            o.addr[i - 1].saturating_add(o.size.get(i - 1)) <= o.addr[i],
            "objects {} and {i} overlap or are out of order",
            i - 1
        );
    }
    // Address lookups find every byte of a slot (a zero-size slot holds no byte).
    for i in (0..n).filter(|&i| o.size.get(i) > 0) {
        assert_eq!(o.find(o.addr[i]), Some(i as ObjectId), "find(addr of {i})");
        let last = o.addr[i] + o.size.get(i) - 1;
        assert_eq!(o.find(last), Some(i as ObjectId), "find(last byte of {i})");
    }
    let mut fwd = Vec::with_capacity(heap.succ.edge_count());
    let mut back = Vec::with_capacity(heap.pred.edge_count());
    for v in 0..=n as u32 {
        let edge = |from: u32, to: u32| u64::from(from) << 32 | u64::from(to);
        fwd.extend(heap.succ.neighbors(v).iter().map(|&w| edge(v, w)));
        back.extend(heap.pred.neighbors(v).iter().map(|&w| edge(w, v)));
    }
    fwd.sort_unstable();
    back.sort_unstable();
    assert!(fwd == back, "pred is not succ transposed");
    assert!(
        heap.pred.neighbors(heap.root_node()).is_empty(),
        "an edge into the root node"
    );
    let root_targets = heap.succ.neighbors(heap.root_node());
    for r in &heap.roots {
        assert!((r.object as usize) < n);
        assert!(root_targets.contains(&r.object), "root target missing");
    }
    assert!(heap.roots.windows(2).all(|w| w[0].object <= w[1].object));
    let mut last = None;
    for (id, b) in heap.alloc_samples.iter() {
        assert!((id as usize) < n);
        assert!((b as usize) < heap.buckets.len(), "sample of no bucket");
        assert!(last < Some(id), "samples out of order");
        last = Some(id);
    }
}

/// Dominators, retained sizes, reachability and BFS tree of an analysis.
pub fn check_core(a: &Analysis) {
    let heap = &a.heap;
    let n = heap.objects.len();
    let root = heap.root_node();
    let reach = reachable(heap);
    let mut reachable_objects = 0u64;
    let mut reachable_bytes = 0u64;
    for (v, &reached) in reach.iter().enumerate().take(n) {
        let id = v as ObjectId;
        assert_eq!(a.is_reachable(id), reached, "reachability of {v}");
        assert_eq!(
            a.bfs_parent()[v] != NONE,
            reached,
            "BFS parent of {v} disagrees with reachability"
        );
        if reached {
            reachable_objects += 1;
            reachable_bytes += heap.objects.size.get(v);
            assert!(
                a.retained[v] >= heap.objects.size.get(v),
                "object {v} retains {} < its own {} bytes",
                a.retained[v],
                heap.objects.size.get(v)
            );
            let p = a.bfs_parent()[v];
            assert!(
                heap.succ.neighbors(p).contains(&id),
                "BFS parent {p} of {v} has no edge to it"
            );
            let d = a.dom.idom(id);
            assert!(d != id && a.dom.is_reachable(d), "idom of {v}");
            // The idom chain ends at the root without a cycle.
            let mut x = id;
            let mut steps = 0usize;
            while x != root {
                x = a.dom.idom(x);
                steps += 1;
                assert!(steps <= n + 1, "idom chain of {v} cycles");
            }
        } else {
            assert_eq!(a.retained[v], 0, "unreachable {v} retains bytes");
            assert_eq!(a.idom(id), None);
        }
    }
    assert!(a.dom.is_reachable(root));
    assert_eq!(
        a.reachable_objects(),
        reachable_objects,
        "reachable objects"
    );
    assert_eq!(a.reachable_bytes(), reachable_bytes, "reachable bytes");
    assert_eq!(a.retained[root as usize], reachable_bytes, "root retained");
    let counts = a.dominated_counts();
    assert_eq!(
        u64::from(counts[root as usize]),
        reachable_objects,
        "root dominates"
    );

    if n < ORACLE_MAX_NODES {
        let want = naive_idoms(&heap.succ, root);
        for v in 0..=n as u32 {
            assert_eq!(a.dom.idom(v), want[v as usize], "idom of node {v}");
        }
        // Retained sizes from the oracle's tree.
        let mut retained = vec![0u64; n + 1];
        for v in 0..n {
            if want[v] == NONE {
                continue;
            }
            let mut x = v as u32;
            loop {
                retained[x as usize] += heap.objects.size.get(v);
                if x == root {
                    break;
                }
                x = want[x as usize];
            }
        }
        assert!(
            retained == a.retained,
            "retained sizes differ from the oracle"
        );
    }
}

/// One retainer path is a real path: a root target first, an edge between neighbours, the
/// object last, no object twice.
fn check_path(a: &Analysis, id: ObjectId, path: &[ObjectId]) {
    let heap = &a.heap;
    let root = heap.root_node();
    assert_eq!(path.last(), Some(&id), "a path ends at its object");
    assert!(
        heap.succ.neighbors(root).contains(&path[0]),
        "a path starts at a root target"
    );
    for w in path.windows(2) {
        assert!(
            heap.succ.neighbors(w[0]).contains(&w[1]),
            "no edge {} -> {} on a path",
            w[0],
            w[1]
        );
    }
    let mut sorted = path.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), path.len(), "an object twice on a path");
}

/// A handful of interesting objects: the ends, the middle, the largest retainer, the most
/// pointed-at.
pub fn sample_objects(a: &Analysis) -> Vec<ObjectId> {
    let n = a.heap.objects.len() as ObjectId;
    if n == 0 {
        return Vec::new();
    }
    let mut ids = vec![0, n - 1, n / 2];
    if let Some(top) = (0..n).max_by_key(|&i| (a.retained[i as usize], i)) {
        ids.push(top);
    }
    if let Some(hub) = (0..n).max_by_key(|&i| (a.heap.pred.degree(i), i)) {
        ids.push(hub);
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Retainer paths of `id`, with and without excluding its first retainer.
pub fn check_retainers(a: &Analysis, id: ObjectId) {
    let heap = &a.heap;
    let root = heap.root_node();
    let paths = retainers::retainer_paths(a, id, 8, &[]);
    if !a.is_reachable(id) {
        assert!(paths.is_empty(), "paths to an unreachable object");
    } else {
        assert!(!paths.is_empty(), "no path to reachable object {id}");
        // The first path is a shortest one: as long as the BFS depth.
        let mut depth = 1usize;
        let mut x = id;
        while a.bfs_parent()[x as usize] != root {
            x = a.bfs_parent()[x as usize];
            depth += 1;
        }
        assert_eq!(paths[0].objects.len(), depth, "first path is not shortest");
        for p in &paths {
            check_path(a, id, &p.objects);
        }
        assert!(
            paths
                .windows(2)
                .all(|w| w[0].objects.len() <= w[1].objects.len()),
            "paths not shortest first"
        );
        let first_retainer = a.bfs_parent()[id as usize];
        if first_retainer != root {
            let excluded = [first_retainer];
            for p in retainers::retainer_paths(a, id, 8, &excluded) {
                check_path(a, id, &p.objects);
                assert!(
                    !p.objects.contains(&first_retainer),
                    "a path through an ignored retainer"
                );
            }
        }
    }
    let r = report::retainers(a, Names::Evidence, id, 5, &[]);
    assert!(r.paths.len() <= 5);
}

/// Everything the front ends compute from an analysis.
pub fn check_reports(a: &Analysis) {
    let heap = &a.heap;
    let n = heap.objects.len();
    let total_bytes: u64 = heap.objects.size.iter().sum();

    let s = report::summary(a);
    assert_eq!(s.objects, n as u64);
    assert_eq!(s.object_bytes, total_bytes);
    assert_eq!(s.reachable_objects + s.unreachable_objects, s.objects);
    assert_eq!(s.reachable_bytes + s.unreachable_bytes, s.object_bytes);

    let l = lost::lost(a, 10);
    assert_eq!(l.objects, s.unreachable_objects, "lost objects");
    assert_eq!(l.bytes, s.unreachable_bytes, "lost bytes");
    assert!(l.largest.len() <= 10);
    let _ = report::lost(a, Names::Evidence, 10);

    let (classes, groups, findings) = leaks::analyse(a);
    assert_eq!(classes.of.len(), n);
    let mut count = 0u64;
    let mut shallow = 0u64;
    for c in &classes.classes {
        count += c.count;
        shallow += c.shallow;
        assert!(
            c.retained <= s.reachable_bytes,
            "class {} retains more than the reachable heap",
            c.name
        );
    }
    for &c in &classes.of {
        assert!((c as usize) < classes.classes.len());
    }
    assert_eq!(count, n as u64, "class counts");
    assert_eq!(shallow, total_bytes, "class bytes");
    let rows = report::classes(a, &classes);
    assert_eq!(rows.len(), classes.classes.len());

    let in_groups: usize = groups.iter().map(|g| g.goroutine_ids.len()).sum();
    assert_eq!(in_groups, heap.goroutines.len(), "goroutines in groups");
    let _ = report::goroutine_groups(&groups);
    let _ = report::goroutines(heap);
    assert_eq!(groups.len(), goroutines::groups(a).len());

    for f in &findings.findings {
        assert!(
            f.share.is_finite() && f.share >= 0.0,
            "finding share {}",
            f.share
        );
    }
    assert!(leaks::top_share(&findings).is_finite());

    let top = report::top(a, Names::Classes(&classes), 20);
    assert!(top
        .objects
        .windows(2)
        .all(|w| w[0].retained >= w[1].retained));

    for id in sample_objects(a) {
        check_retainers(a, id);
        let _ = report::object_row(a, Names::Classes(&classes), id);
    }

    // A dump compared with itself: nothing is new, except that a zero-size slot (which Go
    // never writes) cannot be found by address and so never matches itself.
    let d = diff::diff(&[(a, &classes), (a, &classes)]);
    let empty = heap.objects.size.iter().filter(|&s| s == 0).count() as u64;
    assert!(
        d.leak_candidates.objects <= empty,
        "{} new objects in a self-diff",
        d.leak_candidates.objects
    );
    let _ = Classes::compute(a);

    let profile = report::pprof::retained_profile(a, &classes, "fuzz");
    assert!(!profile.is_empty(), "an empty pprof profile");
    check_flame(a, &classes);
}

/// The flame tree (`analysis::flame`): every reachable object in one node, the roots'
/// nodes as wide as the reachable heap, and, when no path was cut at `MAX_DEPTH`, the
/// topmost nodes of each class as wide as the class's retained bytes.
pub fn check_flame(a: &Analysis, classes: &Classes) {
    use dumpscope::analysis::flame::{Flame, FrameKind, NO_PARENT};
    let f = Flame::compute(a, classes);
    let cum = f.cumulative();
    let objects: u64 = f.nodes.iter().map(|n| n.objects).sum();
    assert_eq!(objects, a.reachable_objects(), "objects in the flame tree");
    let top: u64 = (0..f.nodes.len())
        .filter(|&i| f.nodes[i].parent == NO_PARENT)
        .map(|i| cum[i].0)
        .sum();
    assert_eq!(top, a.reachable_bytes(), "the flame roots' width");
    let cut = f
        .nodes
        .iter()
        .any(|n| f.kinds[n.frame as usize] == FrameKind::Deeper);
    let mut by_class = vec![0u64; classes.classes.len()];
    for (i, n) in f.nodes.iter().enumerate() {
        assert!(
            n.parent == NO_PARENT || (n.parent as usize) < i,
            "flame order"
        );
        if f.kinds[n.frame as usize] != FrameKind::Class {
            continue;
        }
        let mut p = n.parent;
        let mut nested = false;
        while p != NO_PARENT {
            nested |= f.nodes[p as usize].frame == n.frame;
            p = f.nodes[p as usize].parent;
        }
        if !nested {
            by_class[n.frame as usize] += cum[i].0;
        }
    }
    if !cut {
        for (c, class) in classes.classes.iter().enumerate() {
            assert_eq!(by_class[c], class.retained, "flame width of class {c}");
        }
    }
}

/// Decodes, analyses and checks everything that decodes.
pub fn check_analysis(data: &[u8]) {
    let Ok(heap) = dumpscope::load::load_bytes(data) else {
        return;
    };
    check_heap(&heap);
    let a = Analysis::new(heap);
    check_core(&a);
    check_reports(&a);
}
