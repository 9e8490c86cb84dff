//! Verdicts that need the executable's types and the objects' contents: memory a program
//! holds but cannot use. Each is exact, read from the headers Go keeps (a slice's `len` and
//! `cap`, a map's count and table, a channel's `qcount` and `dataqsiz`):
//!
//! - `slice_capacity`: a backing array reached only through slice headers that start at
//!   its first element and use at most half of their capacity: `(cap − len) × element size`
//!   bytes that no code can read until it appends them back.
//! - `pinned_buffer`: an object reached only through string or slice headers that cover a
//!   small part of it (a 12-byte substring of a 1 MiB body): everything outside the headers'
//!   bytes is wasted, and copying the part kept frees it.
//! - `map_capacity`: a map whose table has at least four slots per entry (maps never
//!   shrink, so an emptied cache keeps its peak table): the empty slots' share of the
//!   table's bytes.
//! - `chan_buffer`: a channel buffer at most a quarter full: the idle slots' bytes.
//!
//! Findings group by what holds the waste (the holder's type and field, or the global),
//! largest first. "Only through headers" is checked against every pointer into the object:
//! one from a stack frame, an untyped object or a word that is not a header's data pointer
//! leaves the object out (nothing is claimed that the dump does not prove).

use std::collections::HashMap;

use super::classes::Classes;
use super::leaks::{Evidence, Finding, Share};
use super::Analysis;
use crate::exe::model::{elem_of, field_path, Key, Node, Nodes, Shape, Special, HOLDS_ELEMENTS};
use crate::format::read_word;
use crate::heap::{Heap, ObjectId, RootKind};
use crate::units::human_bytes;

/// A group of waste smaller than this is not a finding.
pub const MIN_GROUP_BYTES: u64 = 64 * 1024;
/// Arrays smaller than this are not examined (their holders would be read for little).
const MIN_ARRAY_BYTES: u64 = 1024;
/// Maps and channels retaining less than this are not examined.
const MIN_CONTAINER_BYTES: u64 = 4096;
/// Arrays with more pointers into them than this are not examined.
const MAX_HOLDERS: usize = 64;
/// Findings kept per kind.
const MAX_PER_KIND: usize = 5;

/// What a typed object is to this pass.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Category {
    Other,
    /// A slice's backing array or a string's bytes.
    Array,
    MapHeader,
    ChanHeader,
}

/// A word of a typed value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Word {
    /// A string header's data pointer (its length follows).
    Str,
    /// A slice header's data pointer (length and capacity follow), with the element size.
    Slice(u64),
    Other,
}

fn node(nodes: &Nodes, k: Key) -> Option<&Node> {
    nodes.get(&(k & !HOLDS_ELEMENTS)).map(|n| &**n)
}

/// What the word at `off` of a value (or an object) of type `k` is.
fn word_at(nodes: &Nodes, k: Key, off: u64) -> Word {
    let (mut k, mut off) = (k, off);
    if k & HOLDS_ELEMENTS != 0 {
        let Some(e) = elem_of(nodes, k) else {
            return Word::Other;
        };
        let size = node(nodes, e).map_or(0, |n| n.size);
        if size == 0 {
            return Word::Other;
        }
        (k, off) = (e, off % size);
    } else if let Some(size) = node(nodes, k).map(|n| n.size).filter(|&s| s > 0) {
        off %= size;
    }
    for _ in 0..64 {
        let Some(n) = node(nodes, k) else {
            return Word::Other;
        };
        match &n.shape {
            Shape::String if off == 0 => return Word::Str,
            Shape::Slice(e) if off == 0 => {
                return match node(nodes, *e).map(|n| n.size) {
                    Some(s) => Word::Slice(s),
                    None => Word::Other,
                }
            }
            Shape::Struct(fields) => {
                let Some(f) = fields.iter().rev().find(|f| {
                    f.offset <= off
                        && node(nodes, f.typ).is_none_or(|t| off - f.offset < t.size.max(1))
                }) else {
                    return Word::Other;
                };
                (k, off) = (f.typ, off - f.offset);
            }
            Shape::Array { elem, .. } => {
                let size = node(nodes, *elem).map_or(0, |n| n.size);
                if size == 0 {
                    return Word::Other;
                }
                (k, off) = (*elem, off % size);
            }
            _ => return Word::Other,
        }
    }
    Word::Other
}

/// A struct field's (offset, size) by name.
fn field(n: &Node, nodes: &Nodes, name: &str) -> Option<(u64, u64)> {
    let Shape::Struct(fields) = &n.shape else {
        return None;
    };
    let f = fields.iter().find(|f| &*f.name == name)?;
    Some((f.offset, node(nodes, f.typ).map_or(0, |t| t.size)))
}

/// An unsigned integer of `size` bytes (1, 2, 4 or 8) at `at`.
fn uint(b: &[u8], at: u64, size: u64, big_endian: bool) -> Option<u64> {
    let s = usize::try_from(at).ok()?;
    let bytes = b.get(s..s.checked_add(size as usize)?)?;
    let mut v = 0u64;
    for i in 0..bytes.len() {
        let x = if big_endian {
            bytes[i]
        } else {
            bytes[bytes.len() - 1 - i]
        };
        v = v << 8 | u64::from(x);
    }
    Some(v)
}

/// One header into an array: where its bytes start (from the array's value start), how
/// many it covers, how far its capacity reaches (slices), and who holds it.
struct Ref {
    start: u64,
    len: u64,
    cap: Option<u64>,
    holder: Holder,
}

#[derive(Clone, Copy)]
enum Holder {
    /// A heap object and the offset of the header within its value.
    Object(ObjectId, u64),
    /// A data or bss address.
    Global(u64),
}

/// A candidate array's headers, or None once something else points into it.
type Refs = Option<Vec<Ref>>;

/// One wasteful object, before grouping.
struct Item {
    kind: &'static str,
    holder: Option<Holder>,
    /// The object the waste is in (the array, the map or channel header).
    object: ObjectId,
    wasted: u64,
    /// Kind-specific numbers summed over the group (used and available).
    used: u64,
    capacity: u64,
    /// For pinned buffers: the copy that frees it.
    fix: &'static str,
}

/// The waste findings (empty without an executable). `read(file offset, len)` gives the
/// dump's bytes again.
pub fn findings(
    a: &Analysis,
    classes: &Classes,
    read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>,
) -> Vec<Finding> {
    let h = &a.heap;
    let Some(names) = h.exe.as_ref() else {
        return Vec::new();
    };
    let nodes = &names.nodes;
    let cats: Vec<Category> = names
        .keys
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            if i == 0 {
                return Category::Other;
            }
            let n = node(nodes, k);
            let holds = k & HOLDS_ELEMENTS != 0;
            match n.map(|n| (&n.shape, &n.special)) {
                Some((Shape::Slice(_) | Shape::String, _)) if holds => Category::Array,
                Some((_, Special::ChanHeader { .. })) if !holds => Category::ChanHeader,
                _ if !holds
                    && h.exe_type_name(k)
                        .is_some_and(|s| s.starts_with("map.hdr[")) =>
                {
                    Category::MapHeader
                }
                _ => Category::Other,
            }
        })
        .collect();
    let mut arrays: HashMap<ObjectId, Refs> = HashMap::new();
    let mut maps = Vec::new();
    let mut chans = Vec::new();
    for (i, &t) in names.object_types.iter().enumerate() {
        let cat = cats.get(t as usize).copied().unwrap_or(Category::Other);
        if cat == Category::Other {
            continue;
        }
        let o = i as ObjectId;
        if !a.is_reachable(o) {
            continue;
        }
        match cat {
            Category::Array if h.objects.size.get(i) >= MIN_ARRAY_BYTES => {
                arrays.insert(o, Some(Vec::new()));
            }
            Category::MapHeader if a.retained[i] >= MIN_CONTAINER_BYTES => maps.push(o),
            Category::ChanHeader if a.retained[i] >= MIN_CONTAINER_BYTES => chans.push(o),
            _ => {}
        }
    }
    let mut items = Vec::new();
    if !arrays.is_empty() {
        headers_into(h, nodes, &mut arrays, read);
        arrays_waste(h, arrays, &mut items);
    }
    for o in maps {
        if let Some(it) = map_waste(h, nodes, o, read) {
            items.push(it);
        }
    }
    for o in chans {
        if let Some(it) = chan_waste(h, nodes, o, read) {
            items.push(it);
        }
    }
    group(a, classes, items, read)
}

/// Fills each candidate array's headers from the objects and globals that point into it.
fn headers_into(
    h: &Heap,
    nodes: &Nodes,
    arrays: &mut HashMap<ObjectId, Refs>,
    read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>,
) {
    let Some(names) = h.exe.as_ref() else { return };
    let root = h.root_node();
    let (ps, be) = (h.params.ptr_size, h.params.big_endian);
    let p = u64::from(ps.max(4));
    let mut holders: Vec<ObjectId> = Vec::new();
    let mut globals: Vec<(u64, ObjectId)> = Vec::new();
    for (&o, refs) in arrays.iter_mut() {
        if h.pred.degree(o) > MAX_HOLDERS {
            // Shared by many headers (interned text, a parsed file's source): left out, so
            // the pass reads a bounded number of holders per array.
            *refs = None;
            continue;
        }
        for &pr in h.pred.neighbors(o) {
            if pr != root {
                holders.push(pr);
            }
        }
        for r in h.roots_of(o) {
            match r.kind {
                RootKind::Data { offset } => globals.push((h.data.addr + offset, o)),
                RootKind::Bss { offset } => globals.push((h.bss.addr + offset, o)),
                _ => *refs = None,
            }
        }
    }
    holders.sort_unstable();
    holders.dedup();
    let value_start = |o: ObjectId| h.objects.value_addr(o);
    let end = |o: ObjectId| h.objects.addr[o as usize] + h.objects.size.get(o as usize);
    for pr in holders {
        let i = pr as usize;
        let key = names
            .object_types
            .get(i)
            .filter(|&&t| t != 0)
            .map(|&t| names.keys[t as usize]);
        let size = h.objects.size.get(i);
        let contents = read(h.objects.file_offset.get(i), size as usize);
        let base = h.objects.value_addr(pr) - h.objects.addr[i];
        let (Some(key), Some(contents)) = (key, contents) else {
            // An untyped (or unreadable) holder: what it holds cannot be told.
            for &o in h.succ.neighbors(pr) {
                if let Some(r) = arrays.get_mut(&o) {
                    *r = None;
                }
            }
            continue;
        };
        let mut at = base;
        while at + p <= size {
            let w = read_word(&contents, at, ps, be).unwrap_or(0);
            let here = at;
            at += p;
            if w < h.params.heap_start || w >= h.params.heap_end {
                continue;
            }
            let Some(o) = h.objects.find(w) else { continue };
            let Some(refs) = arrays.get_mut(&o) else {
                continue;
            };
            let Some(list) = refs else { continue };
            let off = here - base;
            let len = read_word(&contents, here + p, ps, be);
            let cap = read_word(&contents, here + 2 * p, ps, be);
            let start = w.saturating_sub(value_start(o));
            let r = match (word_at(nodes, key, off), len, cap) {
                (Word::Str, Some(len), _) => Some((len, None)),
                (Word::Slice(es), Some(len), Some(cap)) => {
                    Some((len.saturating_mul(es), Some(cap.saturating_mul(es))))
                }
                _ => None,
            };
            match r {
                Some((len, cap)) if w < end(o) => list.push(Ref {
                    start,
                    len,
                    cap,
                    holder: Holder::Object(pr, off),
                }),
                _ => *refs = None,
            }
        }
    }
    // Globals: typed by DWARF, their words read from the data and bss segments.
    globals.sort_unstable();
    for (addr, o) in globals {
        let Some(Some(list)) = arrays.get_mut(&o) else {
            continue;
        };
        let typed = h.global_type(addr).map(|(k, off, _)| (k, off));
        let seg = [&h.data, &h.bss]
            .into_iter()
            .find(|s| addr >= s.addr && addr - s.addr < s.size);
        let words = seg.and_then(|s| read(s.file_offset + (addr - s.addr), 3 * p as usize));
        let r = match (typed, words) {
            (Some((k, off)), Some(b)) => {
                let w = read_word(&b, 0, ps, be).unwrap_or(0);
                let len = read_word(&b, p, ps, be);
                let cap = read_word(&b, 2 * p, ps, be);
                let start = w.saturating_sub(value_start(o));
                match (word_at(nodes, k, off), len, cap) {
                    (Word::Str, Some(len), _) => Some(Ref {
                        start,
                        len,
                        cap: None,
                        holder: Holder::Global(addr),
                    }),
                    (Word::Slice(es), Some(len), Some(cap)) => Some(Ref {
                        start,
                        len: len.saturating_mul(es),
                        cap: Some(cap.saturating_mul(es)),
                        holder: Holder::Global(addr),
                    }),
                    _ => None,
                }
            }
            _ => None,
        };
        match r {
            Some(r) => list.push(r),
            None => *arrays.get_mut(&o).expect("present") = None,
        }
    }
}

/// Slices with idle capacity and buffers pinned by small headers.
fn arrays_waste(h: &Heap, arrays: HashMap<ObjectId, Refs>, items: &mut Vec<Item>) {
    let mut arrays: Vec<(ObjectId, Vec<Ref>)> = arrays
        .into_iter()
        .filter_map(|(o, r)| Some((o, r?)))
        .filter(|(_, r)| !r.is_empty())
        .collect();
    arrays.sort_unstable_by_key(|x| x.0);
    for (o, mut refs) in arrays {
        let i = o as usize;
        let value = h.objects.addr[i] + h.objects.size.get(i) - h.objects.value_addr(o);
        // The bytes the headers cover (their union).
        refs.sort_by_key(|r| r.start);
        let mut used = 0u64;
        let mut reach = 0u64;
        for r in &refs {
            let (s, e) = (r.start.min(value), r.start.saturating_add(r.len).min(value));
            if e > reach {
                used += e - s.max(reach);
                reach = e;
            }
        }
        let example = refs[0].holder;
        let string = refs.iter().any(|r| r.cap.is_none());
        if !string && refs.iter().all(|r| r.start == 0) {
            // Slices of the array from its start: their capacity is what they waste.
            let cap = refs
                .iter()
                .filter_map(|r| r.cap)
                .max()
                .unwrap_or(0)
                .min(value);
            if cap >= 2 * used && cap > used {
                items.push(Item {
                    kind: "slice_capacity",
                    holder: Some(example),
                    object: o,
                    wasted: cap - used,
                    used,
                    capacity: cap,
                    fix: "",
                });
            }
        } else if used * 2 <= value {
            let bytes = h.exe_type_name(h.object_type(o).unwrap_or(0));
            let fix = match bytes {
                Some("string data") => "strings.Clone",
                Some("[]uint8 backing array") => "bytes.Clone",
                _ => "slices.Clone",
            };
            items.push(Item {
                kind: "pinned_buffer",
                holder: Some(example),
                object: o,
                wasted: value - used,
                used,
                capacity: value,
                fix,
            });
        }
    }
}

/// Reads an object's contents from its value start.
fn value_bytes(
    h: &Heap,
    o: ObjectId,
    read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    let i = o as usize;
    let b = read(h.objects.file_offset.get(i), h.objects.size.get(i) as usize)?;
    let base = (h.objects.value_addr(o) - h.objects.addr[i]) as usize;
    Some(b.get(base..)?.to_vec())
}

/// A map whose table has four or more slots per entry.
fn map_waste(
    h: &Heap,
    nodes: &Nodes,
    o: ObjectId,
    read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>,
) -> Option<Item> {
    let (ps, be) = (h.params.ptr_size, h.params.big_endian);
    let n = node(nodes, h.object_type(o)?)?;
    let b = value_bytes(h, o, read)?;
    let get = |name: &str| field(n, nodes, name).and_then(|(off, size)| uint(&b, off, size, be));
    let size_of = |addr: u64| {
        h.objects
            .find(addr)
            .map_or(0, |x| h.objects.size.get(x as usize))
    };
    let (count, slots, table) = if let Some(bb) = get("B") {
        // Go ≤ 1.23: 2^B buckets of 8 slots (and the old array while growing).
        let count = get("count")?;
        let buckets = get("buckets").unwrap_or(0);
        let old = get("oldbuckets").unwrap_or(0);
        let table = [buckets, old]
            .iter()
            .filter(|&&x| x != 0)
            .map(|&x| size_of(x))
            .sum::<u64>();
        (count, 8u64 << bb.min(40), table)
    } else {
        // Go 1.24+ (Swiss tables): one group while small, else a directory of tables.
        let count = get("used")?;
        let Special::SwissHeader { table_ptr, .. } = n.special else {
            return None;
        };
        let dir_len = get("dirLen")?;
        let dir_ptr = get("dirPtr")?;
        if dir_len == 0 {
            return None; // one group of 8 slots: nothing to speak of
        }
        let table = match node(nodes, table_ptr).map(|t| &t.shape) {
            Some(Shape::Pointer(Some(t))) => node(nodes, *t)?,
            _ => return None,
        };
        let (groups_off, _) = field(table, nodes, "groups")?;
        let (cap_off, cap_size) = field(table, nodes, "capacity")?;
        let dir = h.objects.find(dir_ptr)?;
        let dir_bytes = value_bytes(h, dir, read)?;
        let p = u64::from(ps.max(4));
        let mut tables: Vec<u64> = (0..dir_len.min(1 << 20))
            .filter_map(|i| read_word(&dir_bytes, i * p, ps, be))
            .filter(|&t| t != 0)
            .collect();
        tables.sort_unstable();
        tables.dedup();
        let mut slots = 0u64;
        let mut bytes = h.objects.size.get(dir as usize);
        for t in tables {
            let Some(to) = h.objects.find(t) else {
                continue;
            };
            let tb = value_bytes(h, to, read)?;
            slots += uint(&tb, cap_off, cap_size, be)?;
            bytes += h.objects.size.get(to as usize);
            // groups.data is the groupsReference's first word.
            let data = read_word(&tb, groups_off, ps, be).unwrap_or(0);
            if data != 0 {
                bytes += size_of(data);
            }
        }
        (count, slots, bytes)
    };
    if slots == 0 || count.saturating_mul(4) > slots {
        return None;
    }
    let wasted = (u128::from(table) * u128::from(slots - count) / u128::from(slots)) as u64;
    (wasted > 0).then_some(Item {
        kind: "map_capacity",
        holder: None,
        object: o,
        wasted,
        used: count,
        capacity: slots,
        fix: "",
    })
}

/// A channel buffer at most a quarter full.
fn chan_waste(
    h: &Heap,
    nodes: &Nodes,
    o: ObjectId,
    read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>,
) -> Option<Item> {
    let be = h.params.big_endian;
    let n = node(nodes, h.object_type(o)?)?;
    let b = value_bytes(h, o, read)?;
    let get = |name: &str| field(n, nodes, name).and_then(|(off, size)| uint(&b, off, size, be));
    let (q, size, elem) = (get("qcount")?, get("dataqsiz")?, get("elemsize")?);
    if size == 0 || q.saturating_mul(4) > size {
        return None;
    }
    let wasted = (size - q).saturating_mul(elem);
    (wasted >= MIN_CONTAINER_BYTES).then_some(Item {
        kind: "chan_buffer",
        holder: None,
        object: o,
        wasted,
        used: q,
        capacity: size,
        fix: "",
    })
}

/// How a holder reads: `main.scratchSpace.ids`, `main.token`; indices as `[i]`.
fn holder_name(h: &Heap, holder: Holder) -> String {
    let Some(names) = h.exe.as_ref() else {
        return String::new();
    };
    let s = match holder {
        Holder::Global(addr) => h
            .global_field(addr)
            .unwrap_or_else(|| format!("global 0x{addr:x}")),
        Holder::Object(p, off) => match h.object_type(p) {
            Some(k) => format!(
                "{}{}",
                h.exe_type_name(k).unwrap_or("?"),
                field_path(&names.nodes, k, off)
            ),
            None => "(untyped object)".into(),
        },
    };
    generic_indices(&s)
}

/// `x[3].y` → `x[i].y`: one group for every element.
fn generic_indices(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('[') {
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && rest[digits..].starts_with(']') {
            out.push('i');
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// The first holder of an object: a global or the field of a typed object.
fn first_holder(
    h: &Heap,
    o: ObjectId,
    read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>,
) -> Option<Holder> {
    for r in h.roots_of(o) {
        match r.kind {
            RootKind::Data { offset } => return Some(Holder::Global(h.data.addr + offset)),
            RootKind::Bss { offset } => return Some(Holder::Global(h.bss.addr + offset)),
            _ => {}
        }
    }
    let root = h.root_node();
    let pr = h.pred.neighbors(o).iter().copied().find(|&x| x != root)?;
    let (ps, be) = (h.params.ptr_size, h.params.big_endian);
    let p = u64::from(ps.max(4));
    let b = value_bytes(h, pr, read)?;
    let (lo, hi) = (
        h.objects.addr[o as usize],
        h.objects.addr[o as usize] + h.objects.size.get(o as usize),
    );
    let mut at = 0;
    while at + p <= b.len() as u64 {
        let w = read_word(&b, at, ps, be)?;
        if w >= lo && w < hi {
            return Some(Holder::Object(pr, at));
        }
        at += p;
    }
    None
}

/// Items grouped by kind and holder, largest first, as findings.
fn group(
    a: &Analysis,
    classes: &Classes,
    items: Vec<Item>,
    read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>,
) -> Vec<Finding> {
    let h = &a.heap;
    let reachable = a.reachable_bytes();
    struct Group {
        kind: &'static str,
        holder: String,
        wasted: u64,
        objects: u64,
        used: u64,
        capacity: u64,
        example: ObjectId,
        fix: &'static str,
        types: Vec<Share>,
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(&'static str, String), usize> = HashMap::new();
    for it in items {
        let holder = it
            .holder
            .or_else(|| first_holder(h, it.object, read))
            .map(|x| holder_name(h, x))
            .unwrap_or_else(|| "(held by a stack or the runtime)".into());
        let k = *index.entry((it.kind, holder.clone())).or_insert_with(|| {
            groups.push(Group {
                kind: it.kind,
                holder,
                wasted: 0,
                objects: 0,
                used: 0,
                capacity: 0,
                example: it.object,
                fix: it.fix,
                types: Vec::new(),
            });
            groups.len() - 1
        });
        let g = &mut groups[k];
        g.wasted += it.wasted;
        g.objects += 1;
        g.used += it.used;
        g.capacity += it.capacity;
        let name = h
            .object_type(it.object)
            .and_then(|k| h.exe_type_name(k))
            .unwrap_or("?");
        match g.types.iter_mut().find(|s| s.name == name) {
            Some(s) => {
                s.objects += 1;
                s.bytes += it.wasted;
            }
            None => g.types.push(Share {
                name: name.to_string(),
                objects: 1,
                bytes: it.wasted,
            }),
        }
    }
    let min = MIN_GROUP_BYTES.max(reachable / 1000);
    groups.retain(|g| g.wasted >= min);
    groups.sort_by(|x, y| y.wasted.cmp(&x.wasted).then(x.holder.cmp(&y.holder)));
    let mut per_kind: HashMap<&'static str, usize> = HashMap::new();
    groups.retain(|g| {
        let n = per_kind.entry(g.kind).or_default();
        *n += 1;
        *n <= MAX_PER_KIND
    });
    groups
        .into_iter()
        .map(|mut g| {
            g.types.sort_by(|x, y| y.bytes.cmp(&x.bytes).then(x.name.cmp(&y.name)));
            g.types.truncate(5);
            let w = format!("{} ({} B)", human_bytes(g.wasted), g.wasted);
            let (n, holder) = (g.objects, &g.holder);
            let s = |one: &'static str, many: &'static str| if n == 1 { one } else { many };
            let title = match g.kind {
                "slice_capacity" => format!(
                    "{holder}: {n} {} {} B of {} B of capacity: {w} unused (copy to a right-sized slice with slices.Clone once it stops growing; slices.Clip alone keeps the array)",
                    s("slice uses", "slices use"),
                    g.used,
                    g.capacity
                ),
                "pinned_buffer" => format!(
                    "{holder}: {} B in use pin all of {n} {} ({} B): {w} wasted (keep a copy of the part you need: {})",
                    g.used,
                    s("buffer", "buffers"),
                    g.capacity,
                    g.fix
                ),
                "map_capacity" => format!(
                    "{holder}: {n} {} {} entries in {} slots: {w} of empty table (maps never shrink: copy the live entries into a new map, or replace it, after deleting most)",
                    s("map holds", "maps hold"),
                    g.used,
                    g.capacity
                ),
                _ => format!(
                    "{holder}: {n} channel {} {} of {} elements: {w} idle (a smaller buffer would do)",
                    s("buffer holds", "buffers hold"),
                    g.used,
                    g.capacity
                ),
            };
            Finding {
                kind: g.kind,
                title,
                retained_bytes: g.wasted,
                share: if reachable == 0 {
                    0.0
                } else {
                    g.wasted as f64 / reachable as f64
                },
                objects: g.objects,
                goroutines: 0,
                evidence: Evidence {
                    classes: g.types,
                    retainer_path: super::leaks::path_lines(a, classes, g.example),
                    path_to: Some(g.example),
                    object: Some(format!("0x{:x}", h.objects.value_addr(g.example))),
                    ..Evidence::default()
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_indices_group_together() {
        assert_eq!(
            generic_indices("[]string backing array[12]"),
            "[]string backing array[i]"
        );
        assert_eq!(generic_indices("main.t.a[3].b[]x"), "main.t.a[i].b[]x");
        assert_eq!(generic_indices("map.hdr[int]int"), "map.hdr[int]int");
    }

    #[test]
    fn uints_of_any_width() {
        assert_eq!(uint(&[1, 2, 0, 0], 0, 2, false), Some(0x201));
        assert_eq!(uint(&[1, 2, 0, 0], 0, 2, true), Some(0x102));
        assert_eq!(uint(&[7], 0, 1, false), Some(7));
        assert_eq!(uint(&[7], 1, 1, false), None);
    }
}
