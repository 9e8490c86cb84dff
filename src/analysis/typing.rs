//! Typing the heap from the executable's type descriptors.
//!
//! Start from objects whose type the dump already shows (Go 1.22+ malloc headers, interface
//! words) and follow their typed words: a `*T` field types the object it points at as `T`,
//! a `[]T` the backing array as `T`s, a `string` its bytes, an interface its data by the
//! dynamic type in its type or itab word; structs and arrays are walked field by field.
//! The descriptors are the runtime's own, so a stripped binary types the heap as well.
//!
//! An object typed through a slice or a string is labelled by that type with the low bit
//! of the descriptor address set ([`HOLDS_ELEMENTS`]): "[]uint8 backing array", "string
//! data", not the element type alone.
//!
//! Not followed yet: maps' and channels' internal structures (their headers are runtime
//! types the descriptors of the user's types do not lead to), and globals and stack
//! variables, whose types are only in DWARF. Objects reached only that way keep their
//! other names.

use std::collections::HashMap;
use std::rc::Rc;

use crate::exe::types::{kind, TypeDesc};
use crate::exe::Executable;
use crate::format::read_word;
use crate::heap::{Heap, ObjectId};

/// Set in a typed object's descriptor address when the object holds the elements of the
/// slice or the bytes of the string type it names (descriptors are aligned, so bit 0 is
/// free).
pub const HOLDS_ELEMENTS: u64 = 1;

/// What the pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypingStats {
    /// Objects typed by the dump's own evidence (malloc headers, interface words).
    pub seeds: u64,
    /// Objects typed by following typed words from those.
    pub typed: u64,
}

/// Types what it can; records each newly typed object in `heap.exe` (which must be set by
/// `Heap::attach_executable`). `read(offset, len)` gives the dump's bytes (object
/// contents): a slice of the file, or reads from it.
pub fn type_heap(
    heap: &mut Heap,
    exe: &Executable,
    read: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>,
) -> TypingStats {
    let Some(bias) = heap.exe.as_ref().map(|n| n.bias) else {
        return TypingStats::default();
    };
    let n = heap.objects.len();
    let p = u64::from(heap.params.ptr_size.max(4));
    let (ps, be) = (heap.params.ptr_size, heap.params.big_endian);
    let mut descs = Descs {
        exe,
        bias,
        cache: HashMap::new(),
    };
    let rt = |linked: u64| linked.wrapping_add(bias);
    let itab_type: HashMap<u64, u64> = heap.itabs.iter().map(|i| (i.addr, i.typ)).collect();

    let mut ty = vec![0u64; n];
    // The label of an object typed through a slice or string: that type | HOLDS_ELEMENTS.
    let mut label: HashMap<ObjectId, u64> = HashMap::new();
    let mut queue: Vec<ObjectId> = Vec::new();
    let mut stats = TypingStats::default();
    for &(o, t) in &heap.header_types {
        ty[o as usize] = t;
        queue.push(o);
    }
    for &(o, i) in &heap.iface_types {
        let t = heap.iface_type_addrs[i as usize];
        if ty[o as usize] != 0 {
            continue;
        }
        // The dynamic type `*E` points at an `E`; any other type is boxed as itself.
        let t = match descs.get(t) {
            Some(d) if d.kind == kind::POINTER => d.elem.map(rt).unwrap_or(0),
            Some(_) => t,
            None => 0,
        };
        if t != 0 {
            ty[o as usize] = t;
            queue.push(o);
        }
    }
    stats.seeds = queue.len() as u64;

    let mut stack: Vec<(u64, u64)> = Vec::new();
    while let Some(o) = queue.pop() {
        let i = o as usize;
        let Some(t) = descs.get(ty[i]) else { continue };
        if t.size == 0 || t.ptr_bytes == 0 {
            continue;
        }
        let size = heap.objects.size.get(i);
        let Some(contents) = read(heap.objects.file_offset.get(i), size as usize) else {
            continue;
        };
        let contents = &contents[..];
        let base = heap.objects.value_addr(o) - heap.objects.addr[i];
        let count = size.saturating_sub(base) / t.size;
        for k in 0..count {
            stack.push((ty[i], base + k * t.size));
        }
        while let Some((ta, at)) = stack.pop() {
            let Some(d) = descs.get(ta) else { continue };
            if d.ptr_bytes == 0 {
                continue;
            }
            let word = |at: u64| read_word(contents, at, ps, be).unwrap_or(0);
            let mut w = Walk {
                heap,
                descs: &mut descs,
                ty: &mut ty,
                label: &mut label,
                queue: &mut queue,
                typed: &mut stats.typed,
            };
            match d.kind {
                kind::POINTER => {
                    if let Some(e) = d.elem {
                        w.target(word(at), rt(e), None);
                    }
                }
                kind::SLICE => {
                    if let Some(e) = d.elem {
                        w.target(word(at), rt(e), Some(ta | HOLDS_ELEMENTS));
                    }
                }
                kind::STRING => w.target(word(at), ta, Some(ta | HOLDS_ELEMENTS)),
                kind::INTERFACE => {
                    let (w0, data) = (word(at), word(at + p));
                    let dynamic = if d.has_methods {
                        itab_type.get(&w0).copied().unwrap_or(0)
                    } else {
                        w0
                    };
                    match w.descs.get(dynamic) {
                        Some(dt) if dt.kind == kind::POINTER => {
                            if let Some(e) = dt.elem {
                                w.target(data, rt(e), None);
                            }
                        }
                        Some(_) => w.target(data, dynamic, None),
                        None => {}
                    }
                }
                kind::ARRAY => {
                    let Some(e) = d.elem.map(rt) else { continue };
                    let Some(ed) = w.descs.get(e) else { continue };
                    if ed.size == 0 || ed.ptr_bytes == 0 {
                        continue;
                    }
                    let len = d.len.min(d.size / ed.size);
                    for k in (0..len).rev() {
                        stack.push((e, at + k * ed.size));
                    }
                }
                kind::STRUCT => {
                    for f in d.fields.iter().rev() {
                        stack.push((rt(f.typ), at + f.offset));
                    }
                }
                _ => {}
            }
        }
    }

    // Keep what was typed by the walk (the seeds are the dump's own evidence), and name it.
    let names = heap.exe.as_mut().expect("attached");
    let mut new_types: Vec<u64> = Vec::new();
    names.typed = (0..n as ObjectId)
        .filter(|&o| ty[o as usize] != 0)
        .map(|o| (o, label.get(&o).copied().unwrap_or(ty[o as usize])))
        .collect();
    for &(_, t) in &names.typed {
        new_types.push(t);
    }
    new_types.sort_unstable();
    new_types.dedup();
    for t in new_types {
        if names.types.binary_search_by_key(&t, |x| x.0).is_err() {
            let base = exe.type_name((t & !HOLDS_ELEMENTS).wrapping_sub(bias));
            let name = match (base, t & HOLDS_ELEMENTS != 0) {
                (Some(n), true) if n == "string" => Some("string data".to_string()),
                (Some(n), true) => Some(format!("{n} backing array")),
                (n, _) => n,
            };
            if let Some(name) = name {
                names.types.push((t, name));
            }
        }
    }
    names.types.sort_by_key(|x| x.0);
    names.walked = stats.typed;
    stats
}

/// Type descriptors by runtime address, decoded once.
struct Descs<'a> {
    exe: &'a Executable,
    bias: u64,
    cache: HashMap<u64, Option<Rc<TypeDesc>>>,
}

impl Descs<'_> {
    fn get(&mut self, rt: u64) -> Option<Rc<TypeDesc>> {
        let (exe, bias) = (self.exe, self.bias);
        self.cache
            .entry(rt)
            .or_insert_with(|| exe.type_desc(rt.wrapping_sub(bias)).map(Rc::new))
            .clone()
    }
}

/// The state one object's walk updates.
struct Walk<'h, 'd, 'e> {
    heap: &'h Heap,
    descs: &'d mut Descs<'e>,
    ty: &'d mut Vec<u64>,
    label: &'d mut HashMap<ObjectId, u64>,
    queue: &'d mut Vec<ObjectId>,
    typed: &'d mut u64,
}

impl Walk<'_, '_, '_> {
    /// Types the object `value` points into as holding `elem`s, if it is untyped and the
    /// pointer lands on an element boundary.
    fn target(&mut self, value: u64, elem: u64, label: Option<u64>) {
        if value == 0 {
            return;
        }
        let Some(obj) = self.heap.objects.find(value) else {
            return;
        };
        let start = self.heap.objects.value_addr(obj);
        let Some(e) = self.descs.get(elem) else {
            return;
        };
        let aligned = value >= start && e.size > 0 && (value - start) % e.size == 0;
        if aligned && self.ty[obj as usize] == 0 {
            self.ty[obj as usize] = elem;
            if let Some(l) = label {
                self.label.insert(obj, l);
            }
            *self.typed += 1;
            self.queue.push(obj);
        }
    }
}
