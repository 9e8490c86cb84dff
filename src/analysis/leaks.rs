//! Leak suspects: a ranked list of findings, largest impact first.
//!
//! - `accumulation`: an object retaining ≥ 10 % of the reachable heap, reported where the
//!   retained size stops flowing into a single child (Eclipse MAT's "big drop"), or a class
//!   whose members together retain that much when no single object does.
//! - `goroutine_leak`: without the executable, a large group of goroutines blocked in the
//!   same place (a guess, worded so); with it, goroutines proved leaked by reachability
//!   ([`super::goroutine_leaks`]).
//! - `unreachable_garbage`: objects in the dump that no root reaches.
//! - `finalizer_backlog`: finalizers queued and not yet run.
//! - `duplicate_strings`: byte-identical strings held many times over; the waste is exact
//!   (every copy but one), not estimated. Without the executable, strings and `[]byte`
//!   buffers of text look alike and are counted together (and the title says so).
//! - `duplicate_bytes` (with the executable): byte-identical `[]byte` buffers.
//! - With the executable, findings that read object contents ([`super::waste`]): slices,
//!   maps and channels with capacity far beyond their use, buffers pinned by small
//!   substrings or subslices, and goroutines proved leaked.

use serde::Serialize;

use super::classes::Classes;
use super::goroutines::{self, Group};
use super::naming;
use super::Analysis;
use crate::heap::ObjectId;

/// Share of the reachable heap that makes an accumulation.
pub const ACCUMULATION_SHARE: f64 = 0.10;
/// Nothing smaller than this is an accumulation, whatever its share of a tiny heap.
pub const ACCUMULATION_MIN_BYTES: u64 = 64 * 1024;
use super::lost::Unreachable;
pub use super::lost::GARBAGE_MIN_BYTES;
use crate::units::human_bytes;
/// Descend into a child while it holds at least this share of its parent.
const DROP: f64 = 0.8;

#[derive(Clone, Debug, Serialize)]
pub struct Share {
    pub name: String,
    pub objects: u64,
    pub bytes: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Evidence {
    /// What the finding holds, by class, largest first.
    pub classes: Vec<Share>,
    /// What the finding holds, by allocation site (function and line), largest first.
    pub alloc_sites: Vec<Share>,
    /// A retainer path: the root label, then one line per object from the root down.
    pub retainer_path: Vec<String>,
    /// A path as Go fields (`main.registry .tenants [map value] .items`), when the
    /// executable typed the heap ([`name_paths`]); for an accumulation, on to an object of
    /// the class it mostly holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_path: Option<String>,
    /// The object the retainer path leads to.
    #[serde(skip)]
    pub path_to: Option<ObjectId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stack: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub kind: &'static str,
    pub title: String,
    pub retained_bytes: u64,
    /// `retained_bytes` over the reachable heap (for unreachable garbage: over all objects).
    pub share: f64,
    pub objects: u64,
    pub goroutines: u64,
    pub evidence: Evidence,
}

#[derive(Clone, Debug, Serialize)]
pub struct Findings {
    pub reachable_bytes: u64,
    pub findings: Vec<Finding>,
}

pub fn findings(a: &Analysis, classes: &Classes, groups: &[Group]) -> Findings {
    let h = &a.heap;
    let reachable = a.reachable_bytes();
    // The findings' retainer paths need the BFS parents (kept) and, once, the BFS queue (4 B
    // per object, freed): built before the dominated counts, that queue's block is free
    // again when the counts are allocated. In wasm, whose linear memory never shrinks, the
    // other order held all three at once (+56 MiB of memory on the AST heap).
    a.bfs_parent();
    let counts = a.dominated_counts();
    let children = a.dom_children();
    let root = h.root_node();
    let threshold = ((reachable as f64 * ACCUMULATION_SHARE) as u64).max(ACCUMULATION_MIN_BYTES);
    let mut out = Vec::new();

    // Accumulation points.
    let mut points: Vec<u32> = Vec::new();
    for &c in children.neighbors(root) {
        if a.retained[c as usize] < threshold.max(1) {
            continue;
        }
        let mut cur = c;
        loop {
            let best = children
                .neighbors(cur)
                .iter()
                .copied()
                .max_by_key(|&w| a.retained[w as usize]);
            match best {
                Some(w)
                    if (a.retained[w as usize] as f64)
                        >= DROP * a.retained[cur as usize] as f64 =>
                {
                    cur = w
                }
                _ => break,
            }
        }
        points.push(cur);
    }
    for &p in &points {
        let (cls, sites, example) = holdings(a, classes, children, p);
        let name = &classes.classes[classes.of[p as usize] as usize].name;
        let held = cls
            .first()
            .map(|s| format!(", mostly {} × {}", s.objects, s.name))
            .unwrap_or_default();
        out.push(Finding {
            kind: "accumulation",
            title: format!(
                "{name} at 0x{:x} retains {}{held}",
                h.objects.value_addr(p),
                human_bytes(a.retained[p as usize])
            ),
            retained_bytes: a.retained[p as usize],
            share: share(a.retained[p as usize], reachable),
            objects: u64::from(counts[p as usize]),
            goroutines: 0,
            evidence: Evidence {
                classes: cls,
                alloc_sites: sites,
                retainer_path: path_lines(a, classes, p),
                // As fields, the path goes on to what it mostly holds.
                path_to: example.or(Some(p)),
                object: Some(format!("0x{:x}", h.objects.value_addr(p))),
                ..Evidence::default()
            },
        });
    }
    // Classes that retain a large share spread over many objects no single point holds.
    for c in classes.by_retained() {
        let class = &classes.classes[c as usize];
        if class.retained < threshold.max(1) || class.count < 2 {
            break;
        }
        let covered = points
            .iter()
            .any(|&p| dominates(a, p, class.example) || dominates(a, class.example, p));
        if covered {
            continue;
        }
        out.push(Finding {
            kind: "accumulation",
            title: format!(
                "{} objects of class {} retain {}",
                class.count,
                class.name,
                human_bytes(class.retained)
            ),
            retained_bytes: class.retained,
            share: share(class.retained, reachable),
            objects: class.count,
            goroutines: 0,
            evidence: Evidence {
                classes: vec![Share {
                    name: class.name.clone(),
                    objects: class.count,
                    bytes: class.shallow,
                }],
                alloc_sites: naming::alloc_site(h, class.example)
                    .map(|s| {
                        vec![Share {
                            name: s,
                            objects: class.count,
                            bytes: class.shallow,
                        }]
                    })
                    .unwrap_or_default(),
                retainer_path: path_lines(a, classes, class.example),
                path_to: Some(class.example),
                object: Some(format!("0x{:x}", h.objects.value_addr(class.example))),
                ..Evidence::default()
            },
        });
    }

    // Goroutine leaks.
    for g in groups.iter().filter(|g| g.looks_leaked) {
        out.push(Finding {
            kind: "goroutine_leak",
            // A guess from the group's size: with the executable, `with_contents` decides
            // by reachability instead.
            title: format!(
                "{} goroutines blocked on {} in {} look leaked (not proved: give the executable to decide by reachability)",
                g.goroutine_ids.len(),
                g.wait_reason,
                g.top_function
            ),
            retained_bytes: g.stack_retained,
            share: share(g.stack_retained, reachable),
            objects: g.stack_retained_objects,
            goroutines: g.goroutine_ids.len() as u64,
            evidence: Evidence {
                wait_reason: Some(g.wait_reason.clone()),
                function: Some(g.top_function.clone()),
                created_by: g.created_by.clone(),
                stack: g.stack.clone(),
                ..Evidence::default()
            },
        });
    }

    // Garbage still in the dump. A handful of small objects is always unreachable from the
    // dumped roots even right after a GC (each P's current tiny-allocation block and other
    // blocks the runtime holds from outside the heap, whose roots are not dumped): those are
    // not a finding.
    let lost = super::lost::lost(a, 1);
    let total = h.total_object_bytes();
    let why = Unreachable::of(a, lost.objects, lost.bytes);
    let mut cut = None;
    if why == Some(Unreachable::CutDump) {
        let e = h
            .decode_error
            .as_ref()
            .map(|e| e.to_string())
            .unwrap_or_default();
        cut = Some(Finding {
            kind: "cut_dump",
            title: format!(
                "the dump is cut short, so {} objects ({}) look unreachable only because the roots after the cut were never read; the findings below see part of the heap ({e})",
                lost.objects,
                human_bytes(lost.bytes)
            ),
            retained_bytes: lost.bytes,
            share: share(lost.bytes, total),
            objects: lost.objects,
            goroutines: 0,
            evidence: Evidence::default(),
        });
    } else if matches!(why, Some(Unreachable::NoGcYet | Unreachable::SinceLastGc))
        && lost.bytes >= GARBAGE_MIN_BYTES.max(total / 100)
    {
        let mut by_class: Vec<Share> = Vec::new();
        let mut idx = std::collections::HashMap::new();
        for id in 0..h.objects.len() as ObjectId {
            if a.is_reachable(id) {
                continue;
            }
            let c = classes.of[id as usize];
            let k = *idx.entry(c).or_insert_with(|| {
                by_class.push(Share {
                    name: classes.classes[c as usize].name.clone(),
                    objects: 0,
                    bytes: 0,
                });
                by_class.len() - 1
            });
            by_class[k].objects += 1;
            by_class[k].bytes += h.objects.size.get(id as usize);
        }
        by_class.sort_by_key(|x| std::cmp::Reverse(x.bytes));
        by_class.truncate(5);
        out.push(Finding {
            kind: "unreachable_garbage",
            title: format!(
                "{} unreachable objects ({}) are still in the dump: {}",
                lost.objects,
                human_bytes(lost.bytes),
                match h.memstats.as_ref().map(|m| m.num_gc) {
                    Some(0) => "no GC has run in this process (GC off, or the dump was taken early)".to_string(),
                    n => format!(
                        "garbage allocated since {}; call runtime.GC() before the dump for a live-only one",
                        n.map_or("the last GC".into(), |n| format!("the last of {n} GCs"))
                    ),
                }
            ),
            retained_bytes: lost.bytes,
            share: share(lost.bytes, total),
            objects: lost.objects,
            goroutines: 0,
            evidence: Evidence { classes: by_class, ..Evidence::default() },
        });
    }

    for what in Duplicates::kinds(h) {
        if let Some(f) = duplicates(a, classes, reachable, *what) {
            out.push(f);
        }
    }

    if !h.queued_finalizers.is_empty() {
        let objs: Vec<ObjectId> = h
            .queued_finalizers
            .iter()
            .filter_map(|f| f.object)
            .collect();
        let bytes: u64 = objs
            .iter()
            .map(|&o| a.retained[o as usize].max(h.objects.size.get(o as usize)))
            .sum();
        out.push(Finding {
            kind: "finalizer_backlog",
            title: format!(
                "{} finalizers are queued and have not run yet",
                h.queued_finalizers.len()
            ),
            retained_bytes: bytes,
            share: share(bytes, reachable),
            objects: objs.len() as u64,
            goroutines: 0,
            evidence: Evidence::default(),
        });
    }

    out.sort_by(|x, y| {
        y.retained_bytes
            .cmp(&x.retained_bytes)
            .then(y.goroutines.cmp(&x.goroutines))
    });
    // A cut dump is the diagnosis: it comes before anything it distorts.
    if let Some(c) = cut {
        out.insert(0, c);
    }
    Findings {
        reachable_bytes: reachable,
        findings: out,
    }
}

/// Which text-like objects a duplicates finding counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Duplicates {
    /// No executable: strings and byte buffers look alike (`duplicate_strings`, worded so).
    Text,
    /// Objects typed `string data` (`duplicate_strings`).
    Strings,
    /// Objects typed `[]uint8 backing array` (`duplicate_bytes`).
    Bytes,
}

impl Duplicates {
    fn kinds(h: &crate::heap::Heap) -> &'static [Duplicates] {
        if h.exe.is_some() {
            &[Duplicates::Strings, Duplicates::Bytes]
        } else {
            &[Duplicates::Text]
        }
    }
}

/// Reachable text objects with byte-identical slots: every copy but one is waste that
/// interning (or `unique.Make`) would save. Go-specific: strings are immutable and often
/// rebuilt per request (headers, keys, JSON field values). With the executable, strings
/// and `[]byte` buffers are told apart by type and reported separately.
fn duplicates(
    a: &Analysis,
    classes: &Classes,
    reachable: u64,
    what: Duplicates,
) -> Option<Finding> {
    let h = &a.heap;
    // The type keys counted (with an executable): "string data" or "[]uint8 backing array".
    let wanted: Vec<u32> = match (&h.exe, what) {
        (Some(n), Duplicates::Strings | Duplicates::Bytes) => {
            let name = if what == Duplicates::Strings {
                "string data"
            } else {
                "[]uint8 backing array"
            };
            (1..n.keys.len() as u32)
                .filter(|&i| h.exe_type_name(n.keys[i as usize]) == Some(name))
                .collect()
        }
        _ => Vec::new(),
    };
    let counted = |id: ObjectId| match &h.exe {
        Some(n) if what != Duplicates::Text => n
            .object_types
            .get(id as usize)
            .is_some_and(|t| wanted.contains(t)),
        _ => true,
    };
    // Group by sorting indices (4 B per text object) rather than hashing: a map over
    // millions of strings doubles its way up and in wasm leaves the old tables as holes.
    let key = |i: u32| {
        let (id, hash) = h.text_hashes[i as usize];
        (h.objects.size.get(id as usize), hash, id)
    };
    let mut idx: Vec<u32> = Vec::with_capacity(h.text_hashes.len());
    idx.extend((0..h.text_hashes.len() as u32).filter(|&i| {
        let id = h.text_hashes[i as usize].0;
        a.is_reachable(id) && counted(id)
    }));
    idx.sort_unstable_by_key(|&i| key(i));
    let mut dup: Vec<(u64, u64, ObjectId)> = Vec::new();
    for run in idx.chunk_by(|&x, &y| {
        let (kx, ky) = (key(x), key(y));
        (kx.0, kx.1) == (ky.0, ky.1)
    }) {
        if run.len() >= 2 {
            let (size, _, ex) = key(run[0]);
            let n = run.len() as u64;
            dup.push(((n - 1) * size, n, ex));
        }
    }
    drop(idx);
    let wasted: u64 = dup.iter().map(|d| d.0).sum();
    if wasted < (reachable / 100).max(4096) {
        return None;
    }
    let copies: u64 = dup.iter().map(|d| d.1 - 1).sum();
    dup.sort_by(|x, y| y.0.cmp(&x.0).then(x.2.cmp(&y.2)));
    let top = dup[0].2;
    let mut sites: Vec<Share> = Vec::new();
    let noun = match what {
        Duplicates::Text => "text",
        Duplicates::Strings => "string",
        Duplicates::Bytes => "byte buffer",
    };
    let examples: Vec<Share> = dup
        .iter()
        .take(5)
        .map(|&(w, n, ex)| {
            let size = h.objects.size.get(ex as usize);
            if let Some(site) = naming::alloc_site(h, ex) {
                sites.push(Share {
                    name: site,
                    objects: n,
                    bytes: w,
                });
            }
            Share {
                name: format!(
                    "{n} copies of the {size}-byte {noun} at 0x{:x}",
                    h.objects.value_addr(ex)
                ),
                objects: n,
                bytes: w,
            }
        })
        .collect();
    let distinct = dup.len();
    let (kind, title) = match what {
        Duplicates::Text => (
            "duplicate_strings",
            format!(
                "{copies} redundant copies of {distinct} distinct text objects (strings or []byte buffers: without the executable they look alike) waste {}",
                human_bytes(wasted)
            ),
        ),
        Duplicates::Strings => (
            "duplicate_strings",
            format!(
                "{copies} redundant copies of {distinct} distinct strings waste {} (intern them, e.g. with unique.Make)",
                human_bytes(wasted)
            ),
        ),
        Duplicates::Bytes => (
            "duplicate_bytes",
            format!(
                "{copies} redundant copies of {distinct} distinct []byte buffers waste {} (share one read-only buffer, or keep one copy per distinct content)",
                human_bytes(wasted)
            ),
        ),
    };
    Some(Finding {
        kind,
        title,
        retained_bytes: wasted,
        share: share(wasted, reachable),
        objects: copies,
        goroutines: 0,
        evidence: Evidence {
            classes: examples,
            alloc_sites: sites,
            retainer_path: path_lines(a, classes, top),
            path_to: Some(top),
            object: Some(format!("0x{:x}", h.objects.value_addr(top))),
            ..Evidence::default()
        },
    })
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// True when `d` dominates `v` (walks up at most the depth of the dominator tree).
fn dominates(a: &Analysis, d: u32, v: u32) -> bool {
    let root = a.heap.root_node();
    let mut x = v;
    for _ in 0..=a.heap.objects.len() {
        if x == d {
            return true;
        }
        if x == root {
            return false;
        }
        let p = a.dom.idom(x);
        if p == super::dominators::NONE {
            return false;
        }
        x = p;
    }
    false
}

/// What a dominator subtree holds, by class and by allocation site (top 5 each). Visits at
/// most a few million objects.
fn holdings(
    a: &Analysis,
    classes: &Classes,
    children: &crate::heap::Csr,
    top: u32,
) -> (Vec<Share>, Vec<Share>, Option<ObjectId>) {
    use std::collections::HashMap;
    let h = &a.heap;
    // (objects, bytes, an example) per class.
    let mut by_class: HashMap<u32, (u64, u64, ObjectId)> = HashMap::new();
    let mut by_bucket: HashMap<u32, (u64, u64)> = HashMap::new();
    let mut stack = vec![top];
    let mut budget = 4_000_000u32;
    while let Some(v) = stack.pop() {
        let size = h.objects.size.get(v as usize);
        let e = by_class.entry(classes.of[v as usize]).or_insert((0, 0, v));
        e.0 += 1;
        e.1 += size;
        if let Some(b) = h.alloc_samples.get(v) {
            let e = by_bucket.entry(b).or_default();
            e.0 += 1;
            e.1 += size;
        }
        budget -= 1;
        if budget == 0 {
            break;
        }
        stack.extend_from_slice(children.neighbors(v));
    }
    let mut cls: Vec<(Share, ObjectId)> = by_class
        .into_iter()
        .map(|(c, (n, b, ex))| {
            let s = Share {
                name: classes.classes[c as usize].name.clone(),
                objects: n,
                bytes: b,
            };
            (s, ex)
        })
        .collect();
    cls.sort_by(|(x, _), (y, _)| y.bytes.cmp(&x.bytes).then(x.name.cmp(&y.name)));
    cls.truncate(5);
    let example = cls.first().map(|c| c.1);
    let cls: Vec<Share> = cls.into_iter().map(|c| c.0).collect();
    // Sites: merge buckets that share the first non-runtime frame.
    let mut sites: HashMap<String, (u64, u64)> = HashMap::new();
    for (b, (n, bytes)) in by_bucket {
        let bucket = &h.buckets[b as usize];
        let frames = h.bucket_frames(bucket);
        if let Some(f) = frames
            .iter()
            .find(|f| !naming::is_runtime_func(h.str(f.func)))
            .or(frames.first())
        {
            let e = sites.entry(naming::frame_label(h, f)).or_default();
            e.0 += n;
            e.1 += bytes;
        }
    }
    let mut sites: Vec<Share> = sites
        .into_iter()
        .map(|(name, (n, b))| Share {
            name,
            objects: n,
            bytes: b,
        })
        .collect();
    sites.sort_by(|x, y| y.bytes.cmp(&x.bytes).then(x.name.cmp(&y.name)));
    sites.truncate(5);
    (cls, sites, example)
}

/// The shortest retainer path as lines: the root's label, then each object.
pub(crate) fn path_lines(a: &Analysis, classes: &Classes, id: ObjectId) -> Vec<String> {
    let Some(p) = super::retainers::retainer_paths(a, id, 1, &[])
        .into_iter()
        .next()
    else {
        return Vec::new();
    };
    let h = &a.heap;
    let mut lines = Vec::new();
    if let Some(r) = h.roots_of(p.objects[0]).first() {
        lines.push(h.root_label(&r.kind));
    }
    const SHOWN: usize = 12;
    let n = p.objects.len();
    for (i, &o) in p.objects.iter().enumerate() {
        if n > SHOWN && i == SHOWN / 2 {
            lines.push(format!("… {} more objects …", n - SHOWN));
        }
        if n > SHOWN && i >= SHOWN / 2 && i < n - SHOWN / 2 {
            continue;
        }
        lines.push(format!(
            "0x{:x} {} ({} B)",
            h.objects.value_addr(o),
            classes.classes[classes.of[o as usize] as usize].name,
            h.objects.size.get(o as usize)
        ));
    }
    lines
}

/// Fills each finding's [`Evidence::field_path`] from the executable's types, reading
/// objects' contents with `read(file offset, len)` to find which field holds each pointer.
pub fn name_paths(
    f: &mut Findings,
    a: &Analysis,
    read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>,
) {
    if a.heap.exe.is_none() {
        return;
    }
    for x in &mut f.findings {
        let Some(id) = x.evidence.path_to else {
            continue;
        };
        let Some(p) = super::retainers::retainer_paths(a, id, 1, &[])
            .into_iter()
            .next()
        else {
            continue;
        };
        let root = a.heap.roots_of(p.objects[0]).first().map(|r| r.kind);
        x.evidence.field_path =
            super::typing::paths::path_text(&a.heap, root.as_ref(), &p.objects, read);
    }
}

/// Completes the findings from the objects' contents when an executable typed the heap:
/// adds the verdicts that read them ([`super::waste`]), ranks again, and names every
/// finding's path by fields ([`name_paths`]). `read(file offset, len)` gives the dump's
/// bytes again; `exe`, the executable that typed the heap, names what typing did not
/// reach (a leaked channel's element type).
pub fn with_contents(
    f: &mut Findings,
    a: &Analysis,
    classes: &Classes,
    groups: &[Group],
    exe: Option<&crate::exe::Executable>,
    read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>,
) {
    if a.heap.exe.is_none() {
        return;
    }
    f.findings.extend(super::waste::findings(a, classes, read));
    // Goroutine leaks decided by reachability replace the ones guessed by group size.
    if let Some(v) = super::goroutine_leaks::verdicts(a, read) {
        f.findings.retain(|x| x.kind != "goroutine_leak");
        f.findings.extend(super::goroutine_leaks::findings(
            a,
            groups,
            &v,
            exe,
            f.reachable_bytes,
        ));
    }
    // A cut dump stays first; the rest by bytes, as `findings` ranks them.
    f.findings.sort_by(|x, y| {
        (y.kind == "cut_dump")
            .cmp(&(x.kind == "cut_dump"))
            .then(y.retained_bytes.cmp(&x.retained_bytes))
            .then(y.goroutines.cmp(&x.goroutines))
    });
    name_paths(f, a, read);
}

/// Whether a finding kind's bytes are waste (held but unusable: duplicates, idle capacity,
/// pinned buffers) rather than what it retains: front ends say "wastes" for these.
pub fn measures_waste(kind: &str) -> bool {
    matches!(
        kind,
        "duplicate_strings"
            | "duplicate_bytes"
            | "pinned_buffer"
            | "slice_capacity"
            | "map_capacity"
            | "chan_buffer"
    )
}

/// The share of the reachable heap held by the top finding, for `--fail-on`.
pub fn top_share(f: &Findings) -> f64 {
    f.findings.first().map_or(0.0, |x| x.share)
}

/// Convenience: every analysis the findings need, from scratch.
pub fn analyse(a: &Analysis) -> (Classes, Vec<Group>, Findings) {
    let classes = Classes::compute(a);
    let groups = goroutines::groups(a);
    let f = findings(a, &classes, &groups);
    (classes, groups, f)
}
