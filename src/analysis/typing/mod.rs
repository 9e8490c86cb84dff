//! Typing the heap from the executable: every object reached through a typed word gets
//! that word's type.
//!
//! The walk starts from what is typed without following anything: the globals (their
//! types are in DWARF), objects whose type the dump shows (Go 1.22+ malloc headers,
//! interface words). From each typed value it follows the typed words: a `*T` types the
//! object it points at as `T`, a `[]T` the backing array as `T`s, a `string` its bytes, an
//! interface its data by the dynamic type in its type or itab word, a map its header, the
//! header its groups or buckets (with DWARF's per-map internal types, so keys and values
//! are typed too), a channel its `hchan` and buffer; structs and arrays field by field.
//! The walk is iterative (a queue of objects, a stack of values within one) and each
//! object is typed once, by the first typed word that reaches it on an element boundary.
//!
//! Types are [`model::Key`]s: descriptor addresses where the type has a descriptor, so
//! walked objects share classes with the objects their malloc headers name. A stripped
//! binary has no DWARF: the walk then starts from the dump's own evidence and follows the
//! descriptors, and maps' internals stay untyped.

pub mod paths;

use std::collections::HashMap;

pub use crate::exe::model::{Key, HOLDS_ELEMENTS};
use crate::exe::model::{Model, Shape, Special};
use crate::exe::Executable;
use crate::format::read_word;
use crate::heap::{Heap, ObjectId};

/// What the pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypingStats {
    /// Objects typed by the dump's own evidence (malloc headers, interface words).
    pub seeds: u64,
    /// Globals whose DWARF type the walk started from.
    pub globals: u64,
    /// Objects typed by following typed words.
    pub typed: u64,
    /// Passes over the objects in address order the walk took.
    pub sweeps: u32,
}

/// The dump's bytes, read again: object contents and segments.
pub trait Contents {
    /// `len` bytes at `offset` into `buf` (replacing what it held); false past the end.
    fn read_into(&mut self, offset: u64, len: usize, buf: &mut Vec<u8>) -> bool;
    /// Whether the bytes at `offset` are in memory now (reading them costs no I/O).
    fn cached(&self, _offset: u64) -> bool {
        true
    }
}

/// A function from (offset, len) to the bytes: the whole file in memory, say.
impl<F: FnMut(u64, usize) -> Option<Vec<u8>>> Contents for F {
    fn read_into(&mut self, offset: u64, len: usize, buf: &mut Vec<u8>) -> bool {
        match self(offset, len) {
            Some(b) => {
                *buf = b;
                true
            }
            None => false,
        }
    }
}

/// The file read in chunks, a few kept: reads within them are free.
impl<F: FnMut(u64, usize) -> Option<Vec<u8>>> Contents for crate::load::Chunks<F> {
    fn read_into(&mut self, offset: u64, len: usize, buf: &mut Vec<u8>) -> bool {
        self.read_into(offset, len, buf)
    }
    fn cached(&self, offset: u64) -> bool {
        self.holds(offset)
    }
}

/// Types what it can; records each typed object in `heap.exe` (which must be set by
/// `Heap::attach_executable`). `read` gives the dump's bytes again.
///
/// Objects are walked in sweeps in address order, so the file is read mostly forwards:
/// an object typed behind the sweep is walked at once when its bytes are in memory, else
/// on the next sweep (after [`MAX_SWEEPS`], at once whatever the cost).
pub fn type_heap(heap: &mut Heap, exe: &Executable, read: &mut dyn Contents) -> TypingStats {
    let Some(bias) = heap.exe.as_ref().map(|n| n.bias) else {
        return TypingStats::default();
    };
    let n = heap.objects.len();
    let mut model = Model::new(exe, bias);
    let itab_type: HashMap<u64, u64> = heap.itabs.iter().map(|i| (i.addr, i.typ)).collect();
    let mut w = Walk {
        heap,
        model: &mut model,
        itab_type: &itab_type,
        ty: vec![0; n],
        keys: vec![0],
        key_index: HashMap::new(),
        pending: Pending::new(n),
        read,
        statics: Vec::new(),
        statics_seen: std::collections::HashSet::new(),
        owner: NO_OWNER,
        static_values: Vec::new(),
        stack: Vec::new(),
        typed: 0,
    };
    let mut stats = TypingStats::default();
    for &(o, t) in &w.heap.header_types {
        w.set(o, t);
        w.pending.mark(o);
    }
    for &(o, i) in &w.heap.iface_types {
        if w.ty[o as usize] != 0 {
            continue;
        }
        // The dynamic type `*E` points at an `E`; any other type is boxed as itself.
        let t = w.heap.iface_type_addrs[i as usize];
        let t = match w.model.node(t).map(|n| n.shape.clone()) {
            Some(Shape::Pointer(Some(e))) => e,
            Some(Shape::Pointer(None)) | None => 0,
            Some(_) => t,
        };
        if t != 0 {
            w.set(o, t);
            w.pending.mark(o);
        }
    }
    stats.seeds = w.pending.count;

    // Globals: their values are in the dump's data and bss segments.
    let mut global_types = Vec::new();
    let mut owners: Vec<String> = Vec::new();
    if let Some(d) = exe.dwarf.as_ref() {
        for g in &d.globals {
            owners.push(g.name.clone());
            w.owner = owners.len() as u32 - 1;
            let addr = g.addr.wrapping_add(bias);
            let key = w.model.dwarf_key(g.typ);
            let Some(node) = w.model.node(key) else {
                continue;
            };
            let Some(seg) = [&w.heap.data, &w.heap.bss]
                .into_iter()
                .find(|s| addr >= s.addr && addr - s.addr < s.size)
            else {
                continue;
            };
            global_types.push((addr, key));
            if !node.ptrs || node.size == 0 || node.size > seg.size - (addr - seg.addr) {
                continue;
            }
            let mut bytes = Vec::new();
            let at = seg.file_offset + (addr - seg.addr);
            if !w.read.read_into(at, node.size as usize, &mut bytes) {
                continue;
            }
            stats.globals += 1;
            w.stack.push((key, 0));
            w.values(&bytes);
        }
        w.owner = NO_OWNER;
    }

    let mut contents = Vec::new();
    loop {
        // Values the compiler laid out in data or bss (`&T{…}` in a global's initializer).
        while let Some((addr, key, owner)) = w.statics.pop() {
            let Some(node) = w.model.node(key) else {
                continue;
            };
            w.owner = owner;
            w.static_values.push((addr, node.size, key, owner));
            let Some(seg) = [&w.heap.data, &w.heap.bss]
                .into_iter()
                .find(|s| addr >= s.addr && addr - s.addr < s.size)
            else {
                continue;
            };
            if node.size == 0 || node.size > seg.size - (addr - seg.addr) {
                continue;
            }
            let mut bytes = Vec::new();
            if !w.read.read_into(
                seg.file_offset + (addr - seg.addr),
                node.size as usize,
                &mut bytes,
            ) {
                continue;
            }
            w.stack.push((key, 0));
            w.values(&bytes);
        }
        w.owner = NO_OWNER;
        let Some(o) = w.pending.pop() else { break };
        let i = o as usize;
        let Some(elem) = w.elem_of(w.keys[w.ty[i] as usize]) else {
            continue;
        };
        let Some(t) = w.model.node(elem) else {
            continue;
        };
        if t.size == 0 || !t.ptrs {
            continue;
        }
        let size = w.heap.objects.size.get(i);
        if !w.read.read_into(
            w.heap.objects.file_offset.get(i),
            size as usize,
            &mut contents,
        ) {
            continue;
        }
        let base = w.heap.objects.value_addr(o) - w.heap.objects.addr[i];
        let count = size.saturating_sub(base) / t.size;
        for k in (0..count).rev() {
            w.stack.push((elem, base + k * t.size));
        }
        w.values(&contents);
    }
    stats.sweeps = w.pending.sweeps;
    stats.typed = w.typed;
    let ty = std::mem::take(&mut w.ty);
    let type_keys = std::mem::take(&mut w.keys);
    let w_statics = std::mem::take(&mut w.static_values);

    // Keep every object's type index, and name each key once.
    let names = heap.exe.as_mut().expect("attached");
    names.typed = ty.iter().filter(|&&t| t != 0).count() as u64;
    names.object_types = ty;
    let mut keys: Vec<Key> = type_keys[1..].to_vec();
    names.keys = type_keys;
    keys.extend(global_types.iter().map(|g| g.1));
    keys.sort_unstable();
    keys.dedup();
    for k in keys {
        if names.types.binary_search_by_key(&k, |x| x.0).is_err() {
            if let Some(name) = model.name(k) {
                names.types.push((k, name));
            }
        }
    }
    names.types.sort_by_key(|x| x.0);
    global_types.sort_unstable();
    names.global_types = global_types;
    names.nodes = model
        .cache
        .into_iter()
        .filter_map(|(k, n)| Some((k, n?)))
        .collect();
    names.walked = stats.typed;
    let mut statics: Vec<(u64, u64, Key, String)> = w_statics
        .into_iter()
        .filter_map(|(a, size, k, o)| Some((a, size, k, owners.get(o as usize)?.clone())))
        .collect();
    statics.sort_by_key(|s| s.0);
    names.statics = statics;
    names.typed_globals = stats.globals;
    stats
}

/// A static value no global's walk reached first (from an object: `runtime.m0` from a `g`).
const NO_OWNER: u32 = u32::MAX;

/// After this many sweeps, objects typed behind the sweep are walked at once.
pub const MAX_SWEEPS: u32 = 8;

/// Typed objects whose contents are still to walk: a bit per object, taken in address
/// order (a sweep), and a stack of those to walk at once.
struct Pending {
    bits: Vec<u64>,
    count: u64,
    now: Vec<ObjectId>,
    /// Where the sweep is; objects at or before it wait for the next one.
    cursor: u32,
    sweeps: u32,
}

impl Pending {
    fn new(n: usize) -> Pending {
        Pending {
            bits: vec![0; n.div_ceil(64)],
            count: 0,
            now: Vec::new(),
            cursor: 0,
            sweeps: 0,
        }
    }

    fn mark(&mut self, o: ObjectId) {
        let (w, b) = ((o / 64) as usize, o % 64);
        if self.bits[w] & 1 << b == 0 {
            self.bits[w] |= 1 << b;
            self.count += 1;
        }
    }

    /// Queues `o`: later in this sweep when it lies ahead, at once when it is behind and
    /// cheap to read (or the sweeps are used up), else in the next sweep.
    fn push(&mut self, o: ObjectId, cheap: impl FnOnce() -> bool) {
        if o > self.cursor || (self.sweeps < MAX_SWEEPS && !cheap()) {
            self.mark(o);
        } else {
            self.now.push(o);
        }
    }

    fn pop(&mut self) -> Option<ObjectId> {
        if let Some(o) = self.now.pop() {
            return Some(o);
        }
        loop {
            if self.count == 0 {
                return None;
            }
            let mut w = (self.cursor / 64) as usize;
            let mut word = self.bits.get(w).copied().unwrap_or(0) & (!0u64 << (self.cursor % 64));
            while word == 0 && w + 1 < self.bits.len() {
                w += 1;
                word = self.bits[w];
            }
            if word == 0 {
                // The sweep is over; the next starts from the lowest address.
                self.sweeps += 1;
                self.cursor = 0;
                continue;
            }
            let o = w as u32 * 64 + word.trailing_zeros();
            self.bits[w] &= !(1 << (o % 64));
            self.count -= 1;
            self.cursor = o;
            return Some(o);
        }
    }
}

/// The walk's state.
struct Walk<'h, 'm, 'e> {
    heap: &'h Heap,
    model: &'m mut Model<'e>,
    itab_type: &'h HashMap<u64, u64>,
    /// Each object's type, an index into `keys` (0: untyped): 4 B per object.
    ty: Vec<u32>,
    keys: Vec<Key>,
    key_index: HashMap<Key, u32>,
    /// Typed objects whose contents are still to walk.
    pending: Pending,
    read: &'h mut dyn Contents,
    /// Values in data or bss that typed pointers reach: (address, type, owner), each once.
    statics: Vec<(u64, Key, u32)>,
    statics_seen: std::collections::HashSet<(u64, Key)>,
    /// The global whose value (or whose pointee in data or bss) is being walked.
    owner: u32,
    /// (address, size, type, owner) of each static value walked.
    static_values: Vec<(u64, u64, Key, u32)>,
    /// (type, offset) of the values within one object's contents still to walk.
    stack: Vec<(Key, u64)>,
    typed: u64,
}

impl Walk<'_, '_, '_> {
    fn set(&mut self, o: ObjectId, k: Key) {
        let next = self.keys.len() as u32;
        let i = *self.key_index.entry(k).or_insert(next);
        if i == next {
            self.keys.push(k);
        }
        self.ty[o as usize] = i;
    }

    /// The type of the values an object of key `k` holds: `k` itself, or for an object
    /// that holds elements, the element type.
    fn elem_of(&mut self, k: Key) -> Option<Key> {
        if k & HOLDS_ELEMENTS == 0 {
            return Some(k);
        }
        let n = self.model.node(k)?;
        match (&n.shape, &n.special) {
            (Shape::Slice(e), _) => Some(*e),
            (_, Special::ChanHeader { elem, .. }) => Some(*elem),
            (_, Special::SwissHeader { table_ptr, .. }) => Some(*table_ptr),
            _ => None,
        }
    }

    /// Walks the values on the stack, reading words from `contents`.
    fn values(&mut self, contents: &[u8]) {
        let (ps, be) = (self.heap.params.ptr_size, self.heap.params.big_endian);
        let p = u64::from(ps.max(4));
        let word = |at: u64| read_word(contents, at, ps, be).unwrap_or(0);
        while let Some((k, at)) = self.stack.pop() {
            let Some(d) = self.model.node(k) else {
                continue;
            };
            if !d.ptrs {
                continue;
            }
            match &d.shape {
                Shape::Pointer(Some(e)) => self.target(word(at), *e, None),
                Shape::Slice(e) => self.target(word(at), *e, Some(k | HOLDS_ELEMENTS)),
                Shape::String => self.target(word(at), k, Some(k | HOLDS_ELEMENTS)),
                Shape::Map { header: Some(h) } | Shape::Chan { header: Some(h) } => {
                    self.target(word(at), *h, None)
                }
                Shape::Interface { methods } => {
                    let (w0, data) = (word(at), word(at + p));
                    let dynamic = if *methods {
                        self.itab_type.get(&w0).copied().unwrap_or(0)
                    } else {
                        w0
                    };
                    match self.model.node(dynamic).map(|n| n.shape.clone()) {
                        Some(Shape::Pointer(Some(e))) => self.target(data, e, None),
                        Some(Shape::Pointer(None)) | None => {}
                        Some(_) => self.target(data, dynamic, None),
                    }
                }
                Shape::Array { elem, len } => {
                    let Some(ed) = self.model.node(*elem) else {
                        continue;
                    };
                    if ed.size == 0 || !ed.ptrs {
                        continue;
                    }
                    let len = (*len).min(d.size / ed.size);
                    for i in (0..len).rev() {
                        self.stack.push((*elem, at + i * ed.size));
                    }
                }
                Shape::Struct(fields) => {
                    match d.special {
                        Special::SwissHeader {
                            dir_ptr,
                            dir_len,
                            table_ptr,
                            group,
                        } => {
                            // One group while the map is small, else a directory of tables.
                            if word(at + dir_len) == 0 {
                                self.target(word(at + dir_ptr), group, None);
                            } else {
                                self.target(
                                    word(at + dir_ptr),
                                    table_ptr,
                                    Some(k | HOLDS_ELEMENTS),
                                );
                            }
                        }
                        Special::ChanHeader { buf, elem } => {
                            self.target(word(at + buf), elem, Some(k | HOLDS_ELEMENTS))
                        }
                        _ => {}
                    }
                    let skip = match d.special {
                        Special::SwissHeader { dir_ptr, .. } => Some(dir_ptr),
                        Special::ChanHeader { buf, .. } => Some(buf),
                        _ => None,
                    };
                    for f in fields.iter().rev() {
                        if Some(f.offset) != skip {
                            self.stack.push((f.typ, at + f.offset));
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Types the object `value` points into as holding `elem`s (labelled `label` when it
    /// holds a slice's elements or a string's bytes), if it is untyped and the pointer
    /// lands on an element boundary.
    fn target(&mut self, value: u64, elem: Key, label: Option<Key>) {
        if value == 0 {
            return;
        }
        let Some(obj) = self.heap.objects.find(value) else {
            let in_segment = [&self.heap.data, &self.heap.bss]
                .iter()
                .any(|s| value >= s.addr && value - s.addr < s.size);
            if in_segment && label.is_none() && self.statics_seen.insert((value, elem)) {
                self.statics.push((value, elem, self.owner));
            }
            return;
        };
        if self.ty[obj as usize] != 0 {
            return;
        }
        let start = self.heap.objects.value_addr(obj);
        let Some(e) = self.model.node(elem) else {
            return;
        };
        // String bytes have no element size to align to.
        let stride = match e.shape {
            Shape::String => 1,
            _ => e.size,
        };
        if value < start || stride == 0 || (value - start) % stride != 0 {
            return;
        }
        self.set(obj, label.unwrap_or(elem));
        self.typed += 1;
        let (read, at) = (&*self.read, self.heap.objects.file_offset.get(obj as usize));
        self.pending.push(obj, || read.cached(at));
    }
}
