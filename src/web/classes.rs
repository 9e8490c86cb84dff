//! Objects grouped by their best name (`analysis::naming::object_name`), for the Classes
//! view and for filtering tables by class.
//!
//! Naming every object through string formatting would cost a `String` per object, so each
//! object gets a cheap key first (the type descriptor, or the allocation bucket and shape,
//! or the shape alone: exactly what `object_name` depends on) and the name is formatted once
//! per distinct key. Keys that format to the same name share a class.
//!
//! When the core grows its own class analysis, this module is the one to replace: the
//! Classes view only reads [`ClassRow`]s.

use std::collections::HashMap;

use crate::analysis::naming::{object_name, type_evidence};
use crate::analysis::Analysis;
use crate::heap::{flags, Heap, ObjectId};
use crate::web::protocol::ClassRow;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum NameKey {
    Type(u64),
    Alloc { bucket: u32, size: u64, flags: u8 },
    Shape { size: u64, flags: u8 },
}

pub struct ClassIndex {
    /// Class of each object.
    pub of: Vec<u32>,
    pub rows: Vec<ClassRow>,
    /// Rank of each class in name order (for sorting objects by class).
    pub name_rank: Vec<u32>,
}

fn bucket_index(heap: &Heap, id: ObjectId) -> Option<u32> {
    let i = heap.alloc_samples.partition_point(|s| s.0 < id);
    let s = heap.alloc_samples.get(i)?;
    (s.0 == id).then_some(s.1)
}

fn name_key(heap: &Heap, id: ObjectId) -> NameKey {
    if let Some((t, _)) = type_evidence(heap, id) {
        return NameKey::Type(t);
    }
    let size = heap.objects.size[id as usize];
    let flags = heap.objects.flags[id as usize] & (flags::HAS_POINTERS | flags::TEXT);
    match bucket_index(heap, id) {
        Some(bucket) => NameKey::Alloc {
            bucket,
            size,
            flags,
        },
        None => NameKey::Shape { size, flags },
    }
}

pub fn source_name<T: serde::Serialize>(source: &T) -> String {
    serde_json::to_value(source)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl ClassIndex {
    pub fn build(a: &Analysis) -> ClassIndex {
        let heap = &a.heap;
        let n = heap.objects.len();
        let mut by_key: HashMap<NameKey, u32> = HashMap::new();
        let mut by_name: HashMap<String, u32> = HashMap::new();
        let mut rows: Vec<ClassRow> = Vec::new();
        let mut of = Vec::with_capacity(n);
        for id in 0..n as ObjectId {
            let key = name_key(heap, id);
            let class = *by_key.entry(key).or_insert_with(|| {
                let (name, source) = object_name(heap, id);
                *by_name.entry(name.clone()).or_insert_with(|| {
                    rows.push(ClassRow {
                        name,
                        source: source_name(&source),
                        ..ClassRow::default()
                    });
                    (rows.len() - 1) as u32
                })
            });
            of.push(class);
            let r = &mut rows[class as usize];
            let i = id as usize;
            r.count += 1;
            r.shallow += heap.objects.size[i];
            if a.is_reachable(id) {
                r.reachable += 1;
                if a.retained[i] > r.max_retained || r.max_retained_addr.is_empty() {
                    r.max_retained = a.retained[i];
                    r.max_retained_addr = crate::report::hex(heap.objects.value_addr(id));
                }
            }
        }
        let mut order: Vec<u32> = (0..rows.len() as u32).collect();
        order.sort_by(|&x, &y| rows[x as usize].name.cmp(&rows[y as usize].name));
        let mut name_rank = vec![0u32; rows.len()];
        for (rank, &c) in order.iter().enumerate() {
            name_rank[c as usize] = rank as u32;
        }
        ClassIndex {
            of,
            rows,
            name_rank,
        }
    }

    /// Classes whose name matches a filter: `=name` exactly, otherwise a case-insensitive
    /// substring.
    pub fn matching(&self, filter: &str) -> Vec<bool> {
        if let Some(exact) = filter.strip_prefix('=') {
            return self.rows.iter().map(|r| r.name == exact).collect();
        }
        let needle = filter.to_lowercase();
        self.rows
            .iter()
            .map(|r| r.name.to_lowercase().contains(&needle))
            .collect()
    }
}
