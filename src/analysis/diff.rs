//! Diff of two or three dumps of one process.
//!
//! Go's collector does not move objects, so an object at the same address with the same
//! slot size in two dumps is taken to be the same object. This is wrong when the slot was
//! freed and reused by a new object of the same size class between the dumps; a GC before
//! each dump keeps that rare for long-lived objects, but short-lived churn can alias.
//!
//! Leak candidates follow memlab's three-snapshot rule: objects new in B that still exist
//! in C, `(B \ A) ∩ C`; with two dumps, the objects new in B.

use std::collections::HashMap;

use serde::Serialize;

use super::classes::Classes;
use super::Analysis;
use crate::heap::ObjectId;

#[derive(Clone, Debug, Serialize)]
pub struct ClassGrowth {
    pub class: String,
    pub counts: Vec<u64>,
    pub bytes: Vec<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CandidateClass {
    pub class: String,
    pub objects: u64,
    pub bytes: u64,
    pub alloc_site: Option<String>,
    /// An example candidate (address in the last dump) and its shortest retainer path.
    pub example: String,
    pub retainer_path: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LeakCandidates {
    pub objects: u64,
    pub bytes: u64,
    pub classes: Vec<CandidateClass>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    pub dumps: usize,
    /// Ranked by growth in bytes from the first to the last dump.
    pub classes: Vec<ClassGrowth>,
    pub leak_candidates: LeakCandidates,
    /// Reasons to doubt the comparison, e.g. dumps that come from different programs.
    pub warnings: Vec<String>,
}

/// Why dumps `a` and `b` cannot come from one executable, if they cannot: the same binary
/// has the same Go version, architecture and global segments' sizes in every run (their
/// addresses move with PIE; their sizes do not).
pub fn different_programs(a: &Analysis, b: &Analysis) -> Option<String> {
    let (pa, pb) = (&a.heap.params, &b.heap.params);
    let mut why = Vec::new();
    if pa.go_version != pb.go_version {
        why.push(format!("Go {} vs {}", pa.go_version, pb.go_version));
    }
    if pa.arch != pb.arch || pa.ptr_size != pb.ptr_size {
        why.push(format!("{} vs {}", pa.arch, pb.arch));
    }
    for (name, x, y) in [
        ("data", &a.heap.data, &b.heap.data),
        ("bss", &a.heap.bss, &b.heap.bss),
    ] {
        if x.size != y.size {
            why.push(format!("{name} segment {} B vs {} B", x.size, y.size));
        }
    }
    (!why.is_empty()).then(|| why.join(", "))
}

/// Whether `b` holds an object at the same address with the same size as `a`'s `id`.
fn find_same(a: &Analysis, id: ObjectId, b: &Analysis) -> Option<ObjectId> {
    let addr = a.heap.objects.addr[id as usize];
    let o = b.heap.objects.find(addr)?;
    (b.heap.objects.addr[o as usize] == addr
        && b.heap.objects.size.get(o as usize) == a.heap.objects.size.get(id as usize))
    .then_some(o)
}

/// `dumps` in time order (2 or 3), each with its classes.
pub fn diff(dumps: &[(&Analysis, &Classes)]) -> Diff {
    let k = dumps.len();
    let warnings: Vec<String> = (1..k)
        .filter_map(|i| {
            different_programs(dumps[0].0, dumps[i].0).map(|why| {
                format!(
                    "dumps 1 and {} come from different programs ({why}): matching objects by address and growth by class compare unrelated heaps",
                    i + 1
                )
            })
        })
        .collect();
    let mut rows: HashMap<String, ClassGrowth> = HashMap::new();
    for (i, (a, c)) in dumps.iter().enumerate() {
        for (id, &cl) in c.of.iter().enumerate() {
            let name = &c.classes[cl as usize].name;
            let row = rows.entry(name.clone()).or_insert_with(|| ClassGrowth {
                class: name.clone(),
                counts: vec![0; k],
                bytes: vec![0; k],
            });
            row.counts[i] += 1;
            row.bytes[i] += a.heap.objects.size.get(id);
        }
    }
    let mut classes: Vec<ClassGrowth> = rows.into_values().collect();
    let growth = |r: &ClassGrowth| r.bytes[k - 1] as i128 - r.bytes[0] as i128;
    classes.sort_by(|x, y| growth(y).cmp(&growth(x)).then(x.class.cmp(&y.class)));

    // Leak candidates, reported in the last dump's terms.
    let (first, _) = dumps[0];
    let (second, _) = dumps[1];
    let (last, last_classes) = dumps[k - 1];
    let mut cand: HashMap<u32, (u64, u64, ObjectId)> = HashMap::new();
    let (mut objects, mut bytes) = (0u64, 0u64);
    for id in 0..second.heap.objects.len() as ObjectId {
        if find_same(second, id, first).is_some() {
            continue;
        }
        let in_last = if k == 3 {
            find_same(second, id, last)
        } else {
            Some(id)
        };
        let Some(lid) = in_last else { continue };
        let size = last.heap.objects.size.get(lid as usize);
        objects += 1;
        bytes += size;
        let e = cand
            .entry(last_classes.of[lid as usize])
            .or_insert((0, 0, lid));
        e.0 += 1;
        e.1 += size;
        if last.retained[lid as usize] > last.retained[e.2 as usize] {
            e.2 = lid;
        }
    }
    let mut cc: Vec<CandidateClass> = cand
        .into_iter()
        .map(|(c, (n, b, ex))| CandidateClass {
            class: last_classes.classes[c as usize].name.clone(),
            objects: n,
            bytes: b,
            alloc_site: super::naming::alloc_site(&last.heap, ex),
            example: format!("0x{:x}", last.heap.objects.value_addr(ex)),
            retainer_path: path(last, last_classes, ex),
        })
        .collect();
    cc.sort_by(|x, y| y.bytes.cmp(&x.bytes).then(x.class.cmp(&y.class)));
    cc.truncate(20);
    Diff {
        dumps: k,
        classes,
        leak_candidates: LeakCandidates {
            objects,
            bytes,
            classes: cc,
        },
        warnings,
    }
}

fn path(a: &Analysis, classes: &Classes, id: ObjectId) -> Vec<String> {
    let Some(p) = super::retainers::retainer_paths(a, id, 1, &[])
        .into_iter()
        .next()
    else {
        return vec!["unreachable".to_string()];
    };
    let h = &a.heap;
    let mut lines: Vec<String> = h
        .roots_of(p.objects[0])
        .first()
        .map(|r| h.root_label(&r.kind))
        .into_iter()
        .collect();
    for &o in p.objects.iter().take(12) {
        lines.push(format!(
            "0x{:x} {}",
            h.objects.value_addr(o),
            classes.classes[classes.of[o as usize] as usize].name
        ));
    }
    lines
}
