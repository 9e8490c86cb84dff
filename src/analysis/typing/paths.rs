//! Retainer paths as Go reads them: `main.registry .tenants [map value] .items [map value]
//! .body` instead of a list of addresses.
//!
//! Each hop from an object to the next is named by the field of the first object that
//! holds the pointer: its typed key (from [`super::type_heap`]) and the pointer's offset,
//! found by reading the object's contents again. Hops through a map's or a channel's
//! internals (header, directory, table) say nothing; a map's groups and buckets say
//! `[map key]` or `[map value]`.

use std::rc::Rc;

use super::model::{Key, Node, Shape, Special, HOLDS_ELEMENTS};
use crate::format::read_word;
use crate::heap::{ExeNames, Heap, ObjectId, RootKind};

fn node(names: &ExeNames, k: Key) -> Option<&Rc<Node>> {
    names.nodes.get(&(k & !HOLDS_ELEMENTS))
}

/// The element type of an object that holds elements (see [`HOLDS_ELEMENTS`]).
fn elem_of(names: &ExeNames, k: Key) -> Option<Key> {
    let n = node(names, k)?;
    match (&n.shape, &n.special) {
        (Shape::Slice(e), _) => Some(*e),
        (_, Special::ChanHeader { elem, .. }) => Some(*elem),
        (_, Special::SwissHeader { table_ptr, .. }) => Some(*table_ptr),
        _ => None,
    }
}

/// The path of the byte at `off` within a value (or an object) of type `k`: `.lru.slots`,
/// `[3]`, `[map value]`, or "" for a pointer at offset 0.
pub fn field_path(names: &ExeNames, k: Key, off: u64) -> String {
    let mut out = String::new();
    let (mut k, mut off) = (k, off);
    if k & HOLDS_ELEMENTS != 0 {
        let Some(e) = elem_of(names, k) else {
            return out;
        };
        let size = node(names, e).map_or(0, |n| n.size);
        if size == 0 {
            return out;
        }
        out.push_str(&format!("[{}]", off / size));
        (k, off) = (e, off % size);
    } else if let Some(size) = node(names, k).map(|n| n.size).filter(|&s| s > 0) {
        // An object of a type may hold several (a map's groups or buckets).
        off %= size;
    }
    let mut in_map = false;
    for _ in 0..64 {
        let Some(n) = node(names, k) else { break };
        match &n.shape {
            Shape::Struct(fields) => {
                in_map |= n.special == Special::MapSlots;
                let Some(f) = fields.iter().rev().find(|f| {
                    f.offset <= off
                        && node(names, f.typ).map_or(true, |t| off - f.offset < t.size.max(1))
                }) else {
                    break;
                };
                if in_map {
                    match &*f.name {
                        "keys" | "key" => out.push_str(" [map key]"),
                        "values" | "elems" | "elem" => out.push_str(" [map value]"),
                        _ => {}
                    }
                } else {
                    out.push('.');
                    out.push_str(&f.name);
                }
                (k, off) = (f.typ, off - f.offset);
            }
            Shape::Array { elem, .. } => {
                let size = node(names, *elem).map_or(0, |n| n.size);
                if size == 0 {
                    break;
                }
                if !in_map {
                    out.push_str(&format!("[{}]", off / size));
                }
                (k, off) = (*elem, off % size);
            }
            _ => break,
        }
    }
    out.trim_start().to_string()
}

/// Whether hops out of an object of this type are the runtime's plumbing.
fn internal(name: &str) -> bool {
    ["map.hdr[", "map.table[", "map.directory[", "chan.hdr["]
        .iter()
        .any(|p| name.starts_with(p))
}

/// The typed key of an object, if typing reached it.
pub fn key_of(names: &ExeNames, o: ObjectId) -> Option<Key> {
    let i = names.typed.binary_search_by_key(&o, |t| t.0).ok()?;
    Some(names.typed[i].1)
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
    match root {
        Some(RootKind::Data { offset }) | Some(RootKind::Bss { offset }) => {
            let seg = if matches!(root, Some(RootKind::Data { .. })) {
                &heap.data
            } else {
                &heap.bss
            };
            let addr = seg.addr.wrapping_add(*offset);
            let st = names
                .statics
                .partition_point(|s| s.0 <= addr)
                .checked_sub(1)
                .map(|i| &names.statics[i])
                .filter(|s| addr - s.0 < s.1);
            if let Some((sa, _, k, owner)) = st {
                // The value a global points at, laid out in data or bss by the compiler.
                let f = field_path(names, *k, addr - sa);
                parts.push(format!("{owner} {f}").trim_end().to_string());
            } else {
                parts.push(match heap.global_at(addr) {
                    Some((name, off)) => {
                        let g = names
                            .global_types
                            .partition_point(|g| g.0 <= addr)
                            .checked_sub(1)
                            .map(|i| names.global_types[i]);
                        let inner = match g {
                            Some((gaddr, k)) if addr - gaddr == off => field_path(names, k, off),
                            _ if off > 0 => format!("+0x{off:x}"),
                            _ => String::new(),
                        };
                        format!("{name}{inner}")
                    }
                    None => heap.root_label(root?),
                })
            }
        }
        Some(r) => parts.push(heap.root_label(r)),
        None => parts.push("(root)".to_string()),
    }
    for w in objects.windows(2) {
        let (a, b) = (w[0], w[1]);
        let Some(k) = key_of(names, a) else {
            parts.push("→".into());
            continue;
        };
        if key_name(names, k).is_some_and(internal) {
            continue;
        }
        match pointer_offset(heap, a, b, read) {
            Some(off) => {
                let f = field_path(names, k, off);
                if !f.is_empty() {
                    parts.push(f);
                }
            }
            None => parts.push("→".into()),
        }
    }
    Some(parts.join(" "))
}
