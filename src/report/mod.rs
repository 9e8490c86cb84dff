//! Plain serializable rows shared by the CLI (`--json` and text) and the web app.
//!
//! Everything here is computed from an [`Analysis`]; nothing is estimated. Strings that come
//! from the dump are plain data fields: front ends escape them when rendering.
//!
//! - [`share`]: the shareable report of one or more dumps, as JSON or [`html`] (one
//!   self-contained page), redacted by [`redact`] unless asked not to.
//! - [`timeline`]: in-use bytes per dump over time, by class and allocation site.

pub mod chart;
pub mod html;
pub mod pprof;
pub mod redact;
pub mod share;
pub mod text;
pub mod timeline;

use serde::{Deserialize, Serialize};

pub use crate::units::human_bytes;

/// Under every table with a share column (CLI, web app, report).
pub const SHARE_NOTE: &str = "share: retained bytes ÷ reachable heap. Retained sets nest (a map \
retains its entries, which are classes too), so the shares add up to more than 100 %.";

use crate::analysis::classes::Classes;
use crate::analysis::lost::Unreachable;
use crate::analysis::naming::{object_name, NameSource};
use crate::analysis::{lost, retainers, Analysis};
use crate::heap::{Heap, MemStats, ObjectId, RootKind};

/// `0x…` for an address.
pub fn hex(v: u64) -> String {
    format!("0x{v:x}")
}

/// The dump at a glance: the one summary row of the CLI, the web app and the report.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub go_version: String,
    pub arch: String,
    pub pointer_size: u8,
    pub big_endian: bool,
    pub ncpu: u64,
    pub heap_start: String,
    pub heap_end: String,
    pub objects: u64,
    pub object_bytes: u64,
    pub pointer_edges: u64,
    pub gc_roots: u64,
    pub root_pointers: u64,
    pub reachable_objects: u64,
    pub reachable_bytes: u64,
    pub unreachable_objects: u64,
    pub unreachable_bytes: u64,
    /// Unreachable objects that nothing points at (tops of garbage structures).
    pub lost_heads: u64,
    /// Why some objects are unreachable, and what to do (see [`Lost`]).
    pub unreachable_why: Option<Unreachable>,
    pub unreachable_advice: Option<String>,
    pub goroutines: u64,
    pub stack_frames: u64,
    pub finalizers: u64,
    pub queued_finalizers: u64,
    pub memprof_buckets: u64,
    pub alloc_samples: u64,
    pub type_records: u64,
    pub itabs: u64,
    pub osthreads: u64,
    pub defers: u64,
    pub panics: u64,
    pub object_records: u64,
    pub phantom_records: u64,
    /// The span-tail layout that decided which records are phantoms, and its evidence.
    pub span_tails: crate::heap::SpanTails,
    pub dangling_pointers: u64,
    pub memstats: Option<MemStats>,
    pub reconciliation: Option<Reconciliation>,
    /// Set when the dump is cut or broken: what was read before the problem is analysed.
    pub decode_error: Option<String>,
    /// What the executable given with the dump named (`--exe`), when one was.
    pub executable: Option<String>,
    pub diagnostics: Vec<String>,
}

/// MemStats next to what the objects add up to (also in reports and the web protocol).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Reconciliation {
    pub heap_alloc: u64,
    pub object_bytes: u64,
    /// `object_bytes - heap_alloc` (signed).
    pub bytes_difference: i64,
    pub heap_objects: u64,
    pub objects: u64,
    pub objects_difference: i64,
    pub heap_inuse: u64,
    pub stack_inuse: u64,
    pub mspan_inuse: u64,
    pub gc_sys: u64,
    pub num_gc: u64,
    pub pause_total_ns: u64,
    /// Most recent GC pauses, oldest first.
    pub recent_pauses_ns: Vec<u64>,
}

pub fn summary(a: &Analysis) -> Summary {
    let h = &a.heap;
    let objects = h.objects.len() as u64;
    let object_bytes = h.total_object_bytes();
    let reachable_objects = a.reachable_objects();
    let reachable_bytes = a.reachable_bytes();
    let unreachable_why = Unreachable::of(
        a,
        objects - reachable_objects,
        object_bytes - reachable_bytes,
    );
    let reconciliation = h.memstats.as_ref().map(|m| Reconciliation {
        heap_alloc: m.heap_alloc,
        object_bytes,
        bytes_difference: object_bytes as i64 - m.heap_alloc as i64,
        heap_objects: m.heap_objects,
        objects,
        objects_difference: objects as i64 - m.heap_objects as i64,
        heap_inuse: m.heap_inuse,
        stack_inuse: m.stack_inuse,
        mspan_inuse: m.mspan_inuse,
        gc_sys: m.gc_sys,
        num_gc: m.num_gc,
        pause_total_ns: m.pause_total_ns,
        recent_pauses_ns: m.recent_pauses(),
    });
    Summary {
        go_version: h.params.go_version.clone(),
        arch: h.params.arch.clone(),
        pointer_size: h.params.ptr_size,
        big_endian: h.params.big_endian,
        ncpu: h.params.ncpu,
        heap_start: hex(h.params.heap_start),
        heap_end: hex(h.params.heap_end),
        objects,
        object_bytes,
        pointer_edges: h.pointer_edges,
        gc_roots: h.succ.degree(h.root_node()) as u64,
        root_pointers: h.roots.len() as u64,
        reachable_objects,
        reachable_bytes,
        unreachable_objects: objects - reachable_objects,
        unreachable_bytes: object_bytes - reachable_bytes,
        lost_heads: lost::lost(a, 0).heads,
        unreachable_why,
        unreachable_advice: unreachable_why
            .map(|w| w.advice(h.memstats.as_ref().map(|m| m.num_gc))),
        goroutines: h.goroutines.len() as u64,
        stack_frames: h.counts.stack_frames,
        finalizers: h.finalizers.len() as u64,
        queued_finalizers: h.queued_finalizers.len() as u64,
        memprof_buckets: h.buckets.len() as u64,
        alloc_samples: h.alloc_sample_records,
        type_records: h.types.len() as u64,
        itabs: h.itabs.len() as u64,
        osthreads: h.osthreads.len() as u64,
        defers: h.defers.len() as u64,
        panics: h.panics.len() as u64,
        object_records: h.counts.object_records,
        phantom_records: h.counts.phantom_records,
        span_tails: h.span_tails.clone(),
        dangling_pointers: h.counts.dangling_pointers,
        memstats: h.memstats.clone(),
        reconciliation,
        decode_error: h.decode_error.as_ref().map(|e| e.to_string()),
        executable: h.exe.as_ref().map(|n| {
            format!(
                "{}; matched by {}; {} globals, {} walked from their DWARF types; {} types named, {} type words not; {} objects typed, {} of them by following typed words",
                n.described,
                n.matched,
                n.globals.len(),
                n.typed_globals,
                n.types.len(),
                n.unnamed_types,
                n.typed,
                n.walked
            )
        }),
        diagnostics: h.diagnostics.iter().map(|d| d.message.clone()).collect(),
    }
}

/// One object as listed in tables.
#[derive(Clone, Debug, Serialize)]
pub struct ObjectRow {
    pub id: ObjectId,
    pub address: String,
    pub shallow: u64,
    pub retained: u64,
    pub class: String,
    pub class_source: NameSource,
    pub reachable: bool,
}

/// Names objects: by their row in the class table when one was computed (so object rows and
/// class rows agree), otherwise from the object's own evidence.
#[derive(Clone, Copy)]
pub enum Names<'a> {
    Classes(&'a Classes),
    Evidence,
}

impl Names<'_> {
    pub fn name(&self, a: &Analysis, id: ObjectId) -> (String, NameSource) {
        match self {
            Names::Classes(c) => {
                let k = &c.classes[c.of[id as usize] as usize];
                (k.name.clone(), k.source)
            }
            Names::Evidence => object_name(&a.heap, id),
        }
    }
}

pub fn object_row(a: &Analysis, names: Names<'_>, id: ObjectId) -> ObjectRow {
    let (class, class_source) = names.name(a, id);
    ObjectRow {
        id,
        address: hex(a.heap.objects.value_addr(id)),
        shallow: a.heap.objects.size.get(id as usize),
        retained: a.retained[id as usize],
        class,
        class_source,
        reachable: a.is_reachable(id),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Top {
    pub reachable_bytes: u64,
    pub objects: Vec<ObjectRow>,
}

/// The objects that retain the most, largest first (ties by address).
pub fn top(a: &Analysis, names: Names<'_>, limit: usize) -> Top {
    let n = a.heap.objects.len();
    let mut ids: Vec<ObjectId> = (0..n as ObjectId).filter(|&i| a.is_reachable(i)).collect();
    let key = |&i: &ObjectId| (std::cmp::Reverse(a.retained[i as usize]), i);
    let limit = limit.min(ids.len());
    if limit > 0 && limit < ids.len() {
        ids.select_nth_unstable_by_key(limit - 1, key);
    }
    ids.truncate(limit);
    ids.sort_unstable_by_key(key);
    Top {
        reachable_bytes: a.reachable_bytes(),
        objects: ids.into_iter().map(|i| object_row(a, names, i)).collect(),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Lost {
    pub objects: u64,
    pub bytes: u64,
    pub heads: u64,
    pub reachable_objects: u64,
    /// Why the dump has unreachable objects (none when it has none).
    pub why: Option<Unreachable>,
    /// What that means and what to do, in one sentence.
    pub advice: Option<String>,
    pub largest: Vec<ObjectRow>,
}

pub fn lost(a: &Analysis, names: Names<'_>, limit: usize) -> Lost {
    let l = lost::lost(a, limit);
    let why = Unreachable::of(a, l.objects, l.bytes);
    Lost {
        objects: l.objects,
        bytes: l.bytes,
        heads: l.heads,
        why,
        advice: why.map(|w| w.advice(a.heap.memstats.as_ref().map(|m| m.num_gc))),
        reachable_objects: a.reachable_objects(),
        largest: l.largest.iter().map(|&i| object_row(a, names, i)).collect(),
    }
}

/// A root as shown to people (the CLI, the web app's inspector and retainers).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct RootRow {
    /// data, bss, stack, finalizer, queued_finalizer or other.
    pub kind: String,
    pub label: String,
}

pub fn root_kind_name(k: &RootKind) -> &'static str {
    match k {
        RootKind::Data { .. } => "data",
        RootKind::Bss { .. } => "bss",
        RootKind::Frame { .. } => "stack",
        RootKind::Finalizer { .. } => "finalizer",
        RootKind::QueuedFinalizer { .. } => "queued_finalizer",
        RootKind::Other { .. } => "other",
    }
}

/// The roots that point straight at an object (at most `limit`).
pub fn roots_of(h: &Heap, id: ObjectId, limit: usize) -> Vec<RootRow> {
    h.roots_of(id)
        .iter()
        .take(limit)
        .map(|r| RootRow {
            kind: root_kind_name(&r.kind).into(),
            label: h.root_label(&r.kind),
        })
        .collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct PathRow {
    /// The roots holding the first object of the path.
    pub roots: Vec<RootRow>,
    /// From the root-held object down to the target.
    pub objects: Vec<ObjectRow>,
    /// The path as Go fields (`main.registry .tenants [map value] .items`), when the
    /// executable typed the heap ([`name_paths`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Retainers {
    pub target: ObjectRow,
    pub roots: Vec<RootRow>,
    pub paths: Vec<PathRow>,
}

pub fn retainers(
    a: &Analysis,
    names: Names<'_>,
    id: ObjectId,
    max_paths: usize,
    excluded: &[ObjectId],
) -> Retainers {
    let paths = retainers::retainer_paths(a, id, max_paths, excluded)
        .into_iter()
        .map(|p| PathRow {
            roots: roots_of(&a.heap, p.objects[0], 3),
            objects: p.objects.iter().map(|&o| object_row(a, names, o)).collect(),
            fields: None,
        })
        .collect();
    Retainers {
        target: object_row(a, names, id),
        roots: roots_of(&a.heap, id, 10),
        paths,
    }
}

/// Fills each path's [`PathRow::fields`] from the executable's types, reading objects'
/// contents with `read` to find which field holds each pointer.
pub fn name_paths(
    r: &mut Retainers,
    a: &Analysis,
    read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>,
) {
    for p in &mut r.paths {
        let ids: Vec<ObjectId> = p.objects.iter().map(|o| o.id).collect();
        let Some(&first) = ids.first() else { continue };
        let root = a.heap.roots_of(first).first().map(|r| r.kind);
        p.fields = crate::analysis::typing::paths::path_text(&a.heap, root.as_ref(), &ids, read);
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct FrameRow {
    pub depth: u32,
    pub func: String,
    pub pc: String,
    pub size: u64,
    pub pointer_words: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct GoroutineRow {
    pub id: u64,
    pub status: &'static str,
    pub wait_reason: String,
    pub system: bool,
    pub wait_since: u64,
    pub created_at_pc: String,
    pub frames: Vec<FrameRow>,
    pub defers: u32,
    pub panics: u32,
}

pub fn goroutines(h: &Heap) -> Vec<GoroutineRow> {
    h.goroutines
        .iter()
        .map(|g| GoroutineRow {
            id: g.id,
            status: g.status_name(),
            wait_reason: h.str(g.wait_reason).to_string(),
            system: g.system,
            wait_since: g.wait_since,
            created_at_pc: hex(g.gopc),
            frames: h
                .goroutine_frames(g)
                .iter()
                .map(|f| FrameRow {
                    depth: f.depth,
                    func: h.str(f.func).to_string(),
                    pc: hex(f.pc),
                    size: f.size,
                    pointer_words: f.pointer_words,
                })
                .collect(),
            defers: g.defers.1 - g.defers.0,
            panics: g.panics.1 - g.panics.0,
        })
        .collect()
}

/// A class (`analysis::classes`): objects that share a name. The CLI, the web app and the
/// report show this row.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ClassRow {
    pub class: String,
    pub source: NameSource,
    pub count: u64,
    pub shallow: u64,
    pub retained: u64,
    /// `retained` over the reachable heap.
    pub share: f64,
    /// The member that retains the most.
    pub example: String,
}

/// Every class, most retained first.
pub fn classes(a: &Analysis, c: &Classes) -> Vec<ClassRow> {
    c.by_retained()
        .into_iter()
        .map(|id| class_row(a, c, id))
        .collect()
}

/// One class's row.
pub fn class_row(a: &Analysis, c: &Classes, id: crate::analysis::classes::ClassId) -> ClassRow {
    let k = &c.classes[id as usize];
    ClassRow {
        class: k.name.clone(),
        source: k.source,
        count: k.count,
        shallow: k.shallow,
        retained: k.retained,
        share: k.retained as f64 / a.reachable_bytes().max(1) as f64,
        example: hex(a.heap.objects.value_addr(k.example)),
    }
}

/// Goroutines parked in the same place for the same reason (`analysis::goroutines`), as
/// the CLI, the web app and the report show them.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct GroupRow {
    pub count: u64,
    pub wait_reason: String,
    pub top_function: String,
    pub created_by: Option<String>,
    /// Function names, innermost first.
    pub stack: Vec<String>,
    /// Goroutine ids (the first 100).
    pub goroutine_ids: Vec<u64>,
    pub system: bool,
    pub stack_retained_bytes: u64,
    pub stack_retained_objects: u64,
    pub max_wait_since: u64,
    pub looks_leaked: bool,
}

pub fn goroutine_groups(groups: &[crate::analysis::goroutines::Group]) -> Vec<GroupRow> {
    groups
        .iter()
        .map(|g| GroupRow {
            count: g.goroutine_ids.len() as u64,
            wait_reason: g.wait_reason.clone(),
            top_function: g.top_function.clone(),
            created_by: g.created_by.clone(),
            stack: g.stack.clone(),
            goroutine_ids: g.goroutine_ids.iter().copied().take(100).collect(),
            system: g.system,
            stack_retained_bytes: g.stack_retained,
            stack_retained_objects: g.stack_retained_objects,
            max_wait_since: g.max_wait_since,
            looks_leaked: g.looks_leaked,
        })
        .collect()
}
