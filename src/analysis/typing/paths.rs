//! Retainer paths as Go reads them: `main.registry .tenants [map value] .items [map value]
//! .body` instead of a list of addresses.
//!
//! Each hop from an object to the next is named by the field of the first object that
//! holds the pointer: its typed key (from [`super::type_heap`]) and the pointer's offset,
//! found by reading the object's contents again. Hops through a map's or a channel's
//! internals (header, directory, table) say nothing; a map's groups and buckets say
//! `[map key]` or `[map value]`.

use crate::exe::model::{field_path, Key};
use crate::format::read_word;
use crate::heap::{ExeNames, Heap, ObjectId, RootKind};

/// Whether hops out of an object of this type are the runtime's plumbing.
fn internal(name: &str) -> bool {
    ["map.hdr[", "map.table[", "map.directory[", "chan.hdr["]
        .iter()
        .any(|p| name.starts_with(p))
}

fn key_name(names: &ExeNames, k: Key) -> Option<&str> {
    let i = names.types.binary_search_by_key(&k, |t| t.0).ok()?;
    Some(&names.types[i].1)
}

/// The offset within `src`'s value of the first pointer into `dst`.
fn pointer_offset(
    heap: &Heap,
    src: ObjectId,
    dst: ObjectId,
    read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>,
) -> Option<u64> {
    let (ps, be) = (heap.params.ptr_size, heap.params.big_endian);
    let p = u64::from(ps.max(4));
    let i = src as usize;
    let size = heap.objects.size.get(i);
    let contents = read(heap.objects.file_offset.get(i), size as usize)?;
    let base = heap.objects.value_addr(src) - heap.objects.addr[i];
    let lo = heap.objects.value_addr(dst);
    let hi = heap.objects.addr[dst as usize] + heap.objects.size.get(dst as usize);
    let mut at = base;
    while at + p <= size {
        let w = read_word(&contents, at, ps, be)?;
        if w >= lo && w < hi {
            return Some(at - base);
        }
        at += p;
    }
    None
}

/// A retainer path (`objects` from the root down) as fields, starting with the global or
/// root that holds it: `main.registry .tenants [map value] .items [map value] .body`.
/// A hop out of an object typing did not reach reads `→`. `None` without an executable.
pub fn path_text(
    heap: &Heap,
    root: Option<&RootKind>,
    objects: &[ObjectId],
    read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>,
) -> Option<String> {
    let names = heap.exe.as_ref()?;
    let mut parts: Vec<String> = Vec::new();
    parts.push(match root {
        Some(RootKind::Data { offset }) | Some(RootKind::Bss { offset }) => {
            let seg = if matches!(root, Some(RootKind::Data { .. })) {
                &heap.data
            } else {
                &heap.bss
            };
            match heap.global_field(seg.addr.wrapping_add(*offset)) {
                Some(g) => g,
                None => heap.root_label(root?),
            }
        }
        Some(r) => heap.root_label(r),
        None => "(root)".to_string(),
    });
    for w in objects.windows(2) {
        let (a, b) = (w[0], w[1]);
        let Some(k) = heap.object_type(a) else {
            parts.push("→".into());
            continue;
        };
        if key_name(names, k).is_some_and(internal) {
            continue;
        }
        match pointer_offset(heap, a, b, read) {
            Some(off) => {
                let f = field_path(&names.nodes, k, off);
                if !f.is_empty() {
                    parts.push(f);
                }
            }
            None => parts.push("→".into()),
        }
    }
    Some(parts.join(" "))
}
