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
mod plan;

use std::collections::HashMap;

pub use crate::exe::model::{Key, HOLDS_ELEMENTS};
use crate::exe::model::{Model, Shape, CLOSURE_KEY};
use crate::exe::Executable;
use crate::format::read_word;
use crate::heap::{prefetch, Heap, ObjectId, RootKind, Segment};
use plan::{Act, Plans, NO_PLAN};

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
    match walk(heap, exe, read) {
        Some(t) => t.apply(heap),
        None => TypingStats::default(),
    }
}

/// What the walk found, to record in the heap's names ([`Typed::apply`]): the walk reads
/// the heap only, so it can run beside the analyses that read it too.
pub struct Typed {
    object_types: Vec<u32>,
    keys: Vec<Key>,
    /// Names of the types objects and globals have that the heap's names lack.
    types: Vec<(Key, String)>,
    global_types: Vec<(u64, Key)>,
    nodes: crate::exe::model::Nodes,
    statics: Vec<(u64, u64, Key, String)>,
    frame_vars: Vec<((u32, u64), String)>,
    stats: TypingStats,
}

impl Typed {
    /// Records the types in `heap.exe`.
    pub fn apply(self, heap: &mut Heap) -> TypingStats {
        let Some(names) = heap.exe.as_mut() else {
            return TypingStats::default();
        };
        names.typed = self.object_types.iter().filter(|&&t| t != 0).count() as u64;
        names.object_types = self.object_types;
        names.keys = self.keys;
        names.types.extend(self.types);
        names.types.sort_by_key(|x| x.0);
        names.global_types = self.global_types;
        names.nodes = self.nodes;
        names.walked = self.stats.typed;
        names.statics = self.statics;
        names.typed_globals = self.stats.globals;
        names.frame_vars = self.frame_vars;
        self.stats
    }
}

/// The walk of [`type_heap`], without recording its result; `None` when no executable is
/// attached.
pub fn walk(heap: &Heap, exe: &Executable, read: &mut dyn Contents) -> Option<Typed> {
    let bias = heap.exe.as_ref()?.bias;
    let n = heap.objects.len();
    let mut model = Model::new(exe, bias);
    let itab_type: HashMap<u64, u64> = heap.itabs.iter().map(|i| (i.addr, i.typ)).collect();
    let mut w = Walk {
        heap,
        model: &mut model,
        itab_type: &itab_type,
        ty: vec![0; n],
        plans: Plans::new(),
        pending: Pending::new(n),
        read,
        statics: Vec::new(),
        statics_seen: std::collections::HashSet::new(),
        owner: NO_OWNER,
        static_values: Vec::new(),
        typed: 0,
        edges: &[],
        edge_at: 0,
    };
    let mut stats = TypingStats::default();
    for &(o, t) in &w.heap.header_types {
        w.ty[o as usize] = w.plans.intern(t);
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
            w.ty[o as usize] = w.plans.intern(t);
            w.pending.mark(o);
        }
    }
    stats.seeds = w.pending.count;

    // Stack variables: a frame root is a pointer word in a frame; DWARF says which of the
    // function's variables holds that word at the frame's PC (its offset from the CFA,
    // which is the frame's top), and the variable's type types what it points at.
    // (frame, offset, "arg h" or "local buf", the variable's type, the byte in it).
    let mut frame_vars: Vec<(u32, u64, String, Key, u64)> = Vec::new();
    if let Some(d) = exe.dwarf.as_ref() {
        // A frame's child (the frame it called) by (goroutine, depth): the child's arguments
        // spill into the caller's frame, at the child's CFA, which is the caller's SP.
        let child: HashMap<(u32, u32), u32> = w
            .heap
            .frames
            .iter()
            .enumerate()
            .map(|(i, f)| ((f.goroutine, f.depth), i as u32))
            .collect();
        // The variable of frame `fi` at `cfa_off` from its CFA: (name, type, byte in it).
        let var_at = |fi: u32, cfa_off: i64| {
            let f = w.heap.frames.get(fi as usize)?;
            // The PC is a return address (but at a function's entry): look up the call.
            let pc = if f.pc > f.entry_pc { f.pc - 1 } else { f.pc };
            let linked = pc.wrapping_sub(bias);
            let func = d.func_at(linked)?;
            func.vars.iter().find_map(|v| {
                let (_, _, pieces) = v.locs.iter().find(|l| l.0 <= linked && linked < l.1)?;
                pieces.iter().find_map(|&(var_off, size, c)| {
                    let c = i64::from(c);
                    let inside = cfa_off >= c && cfa_off < c + i64::from(size);
                    inside.then(|| (func, v, u64::from(var_off) + (cfa_off - c) as u64))
                })
            })
        };
        for r in &w.heap.roots {
            let RootKind::Frame { frame, offset } = r.kind else {
                continue;
            };
            let Some(f) = w.heap.frames.get(frame as usize) else {
                continue;
            };
            let (Ok(x), Ok(size)) = (i64::try_from(offset), i64::try_from(f.size)) else {
                continue;
            };
            let own = var_at(frame, x - size).map(|(_, v, b)| {
                let what = if v.param { "arg" } else { "local" };
                (format!("{what} {}", v.name), v.typ, b)
            });
            let found = own.or_else(|| {
                let c = *child.get(&(f.goroutine, f.depth.checked_sub(1)?))?;
                var_at(c, x).map(|(func, v, b)| {
                    let what = if v.param { "arg" } else { "result" };
                    (format!("{}'s {what} {}", func.name, v.name), v.typ, b)
                })
            });
            let Some((label, typ, byte)) = found else {
                continue;
            };
            let key = w.model.dwarf_key(typ);
            frame_vars.push((frame, offset, label, key, byte));
            let plan = w.plans.value_plan(w.model, key);
            if plan == NO_PLAN {
                continue;
            }
            let act = w.plans.plans[plan as usize]
                .slots
                .iter()
                .find(|s| s.off == byte)
                .map(|s| s.act);
            if let Some(Act::To { key, stride }) = act {
                w.target(r.value, key, stride);
            }
        }
    }

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
            if w.segment(addr).is_none() {
                continue;
            }
            global_types.push((addr, key));
            if node.ptrs && w.walk_static(addr, key, node.size) {
                stats.globals += 1;
            }
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
            w.walk_static(addr, key, node.size);
        }
        w.owner = NO_OWNER;
        let Some(o) = w.pending.pop() else { break };
        let i = o as usize;
        if w.plans.keys[w.ty[i] as usize] == CLOSURE_KEY {
            // A closure: its first word is its function's entry, which names it.
            let (ps, be) = (w.heap.params.ptr_size, w.heap.params.big_endian);
            let at = w.heap.objects.file_offset.get(i);
            if w.read.read_into(at, usize::from(ps), &mut contents) {
                let pc = read_word(&contents, 0, ps, be).unwrap_or(0);
                if let Some(k) = w.model.closure(pc) {
                    w.ty[i] = w.plans.intern(k);
                }
            }
            continue;
        }
        let (plan, stride) = w.plans.walk_plan(w.model, w.ty[i]);
        if plan == NO_PLAN {
            continue;
        }
        // The graph's edges out of the object are its heap pointers in offset order: the
        // walk meets them in the same order and checks each instead of searching for it.
        // Their table rows are scattered: ask for them all now, while the contents are read.
        let edges = w.heap.succ.neighbors(o);
        for &c in edges.iter().take(64) {
            let c = c as usize;
            prefetch(&w.heap.objects.addr, c);
            w.heap.objects.size.prefetch(c);
            prefetch(&w.ty, c);
        }
        let size = w.heap.objects.size.get(i);
        let at = w.heap.objects.file_offset.get(i);
        let base = w.heap.objects.value_addr(o) - w.heap.objects.addr[i];
        let count = size.saturating_sub(base) / stride;
        w.edges = edges;
        w.edge_at = 0;
        // Elements a window at a time: a 100 MB array is never read whole (in wasm that
        // would grow linear memory by its size for good).
        let per = (WINDOW / stride).max(1);
        let mut k = 0;
        while k < count {
            let n = per.min(count - k);
            let from = base + k * stride;
            let len = if k + n == count {
                size - from
            } else {
                n * stride
            };
            if !w.read.read_into(at + from, len as usize, &mut contents) {
                break;
            }
            for j in 0..n {
                w.run(plan, &contents, j * stride);
            }
            k += n;
        }
        w.edges = &[];
    }
    stats.sweeps = w.pending.sweeps;
    stats.typed = w.typed;
    let ty = std::mem::take(&mut w.ty);
    let type_keys = std::mem::take(&mut w.plans.keys);
    let w_statics = std::mem::take(&mut w.static_values);
    let names = heap.exe.as_ref()?;

    // Name the types objects have (not every type a pointer could have given them), each
    // once.
    let mut used = vec![false; type_keys.len()];
    for &t in &ty {
        used[t as usize] = true;
    }
    let mut keys: Vec<Key> = (1..type_keys.len())
        .filter(|&i| used[i])
        .map(|i| type_keys[i])
        .collect();
    keys.extend(global_types.iter().map(|g| g.1));
    keys.sort_unstable();
    keys.dedup();
    let types = keys
        .into_iter()
        .filter(|&k| names.types.binary_search_by_key(&k, |x| x.0).is_err())
        .filter_map(|k| Some((k, model.name(k)?)))
        .collect();
    global_types.sort_unstable();
    let nodes: crate::exe::model::Nodes = model
        .cache
        .into_iter()
        .filter_map(|(k, n)| Some((k, n?)))
        .collect();
    let mut statics: Vec<(u64, u64, Key, String)> = w_statics
        .into_iter()
        .filter_map(|(a, size, k, o)| Some((a, size, k, owners.get(o as usize)?.clone())))
        .collect();
    statics.sort_by_key(|s| s.0);
    // Each frame root's variable, named: `arg h`, `local cfg.handlers[2]`.
    let mut frame_labels: Vec<((u32, u64), String)> = frame_vars
        .into_iter()
        .map(|(frame, offset, var, key, byte)| {
            let path = crate::exe::model::field_path(&nodes, key, byte);
            ((frame, offset), format!("{var}{path}"))
        })
        .collect();
    frame_labels.sort();
    Some(Typed {
        object_types: ty,
        keys: type_keys,
        types,
        global_types,
        nodes,
        statics,
        frame_vars: frame_labels,
        stats,
    })
}

/// Bytes of a big object's elements read at once.
const WINDOW: u64 = 1 << 20;

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
    /// Each object's type, an index into `plans.keys` (0: untyped): 4 B per object.
    ty: Vec<u32>,
    plans: Plans,
    /// Typed objects whose contents are still to walk.
    pending: Pending,
    /// The walked object's out-edges and the next one the walk expects.
    edges: &'h [u32],
    edge_at: usize,
    read: &'h mut dyn Contents,
    /// Values in data or bss that typed pointers reach: (address, type, owner), each once.
    statics: Vec<(u64, Key, u32)>,
    statics_seen: std::collections::HashSet<(u64, Key)>,
    /// The global whose value (or whose pointee in data or bss) is being walked.
    owner: u32,
    /// (address, size, type, owner) of each static value walked.
    static_values: Vec<(u64, u64, Key, u32)>,
    typed: u64,
}

impl Walk<'_, '_, '_> {
    /// The data or bss segment holding `addr`.
    fn segment(&self, addr: u64) -> Option<&Segment> {
        [&self.heap.data, &self.heap.bss]
            .into_iter()
            .find(|s| addr >= s.addr && addr - s.addr < s.size)
    }

    /// Walks the value of type `key` (`size` bytes) at `addr` in data or bss, read from the
    /// dump; false when it is not all there.
    fn walk_static(&mut self, addr: u64, key: Key, size: u64) -> bool {
        let Some(seg) = self.segment(addr) else {
            return false;
        };
        if size == 0 || size > seg.size - (addr - seg.addr) {
            return false;
        }
        let at = seg.file_offset + (addr - seg.addr);
        let mut bytes = Vec::new();
        if !self.read.read_into(at, size as usize, &mut bytes) {
            return false;
        }
        let plan = self.plans.value_plan(self.model, key);
        self.run(plan, &bytes, 0);
        true
    }

    /// Walks one value of plan `plan` at `at` in `contents`.
    fn run(&mut self, plan: u32, contents: &[u8], at: u64) {
        if plan == NO_PLAN {
            return;
        }
        let (ps, be) = (self.heap.params.ptr_size, self.heap.params.big_endian);
        let p = u64::from(ps.max(4));
        let word = |at: u64| read_word(contents, at, ps, be).unwrap_or(0);
        // Plans are immutable once built; walking one may build none.
        for k in 0..self.plans.plans[plan as usize].slots.len() {
            let s = self.plans.plans[plan as usize].slots[k];
            let off = at + s.off;
            match s.act {
                Act::To { key, stride } => self.target(word(off), key, stride),
                Act::Iface { methods } => {
                    let (w0, data) = (word(off), word(off + p));
                    if data == 0 {
                        continue;
                    }
                    let dynamic = if methods {
                        self.itab_type.get(&w0).copied().unwrap_or(0)
                    } else {
                        w0
                    };
                    if dynamic == 0 {
                        continue;
                    }
                    if let Some((key, stride)) = self.plans.dynamic(self.model, dynamic) {
                        self.target(data, key, stride);
                    }
                }
                Act::Swiss {
                    dir_len,
                    group,
                    group_stride,
                    dir,
                    dir_stride,
                } => {
                    // One group while the map is small, else a directory of tables.
                    if word(off.wrapping_add(dir_len)) == 0 {
                        self.target(word(off), group, group_stride);
                    } else {
                        self.target(word(off), dir, dir_stride);
                    }
                }
                Act::Array {
                    plan: inner,
                    count,
                    stride,
                } => {
                    // Never past the bytes there are (a malformed file's count).
                    let fits = (contents.len() as u64).saturating_sub(off) / stride.max(1);
                    for i in 0..count.min(fits) {
                        self.run(inner, contents, off + i * stride);
                    }
                }
            }
        }
    }

    /// Types the object `value` points into as `key` (interned), if it is untyped and the
    /// pointer lands on a `stride` boundary; a pointer into data or bss is walked as a
    /// static value.
    fn target(&mut self, value: u64, key: u32, stride: u64) {
        if value == 0 {
            return;
        }
        let objects = &self.heap.objects;
        let contains = |c: u32| {
            let a = objects.addr[c as usize];
            value >= a && value - a < objects.size.get(c as usize)
        };
        // The next few edges (words the plan does not visit may come first), else a search.
        let hinted = self.edges[self.edge_at.min(self.edges.len())..]
            .iter()
            .take(4)
            .position(|&c| contains(c));
        let found = match hinted {
            Some(k) => {
                self.edge_at += k + 1;
                Some(self.edges[self.edge_at - 1])
            }
            None => objects.find(value),
        };
        let Some(obj) = found else {
            let in_segment = self.segment(value).is_some();
            let k = self.plans.keys[key as usize];
            if in_segment && k & HOLDS_ELEMENTS == 0 && self.statics_seen.insert((value, k)) {
                self.statics.push((value, k, self.owner));
            }
            return;
        };
        if self.ty[obj as usize] != 0 {
            return;
        }
        let start = self.heap.objects.value_addr(obj);
        if value < start || (value - start) % stride != 0 {
            return;
        }
        self.ty[obj as usize] = key;
        self.typed += 1;
        let (read, offsets) = (&*self.read, &self.heap.objects.file_offset);
        self.pending
            .push(obj, || read.cached(offsets.get(obj as usize)));
    }
}
