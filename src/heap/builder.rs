//! Records → [`Heap`]. A [`RecordSink`] that keeps what the analyses need while records
//! stream past, then sorts, drops span-tail phantoms and resolves pointers in [`finish`].
//!
//! While decoding, per object it keeps address, size, file offset, shape hash and flags,
//! plus the values of its pointer words that fall inside the heap range (8 bytes each).
//! Contents are never kept.
//!
//! [`finish`]: HeapBuilder::finish

use super::csr::Csr;
use super::hash::FastMap;
use super::memstats::MemStats;
use super::model::*;
use super::phantom::PhantomRule;
use super::strings::StringTable;
use super::Column64;
use crate::format::{self, read_word, DecodeError, Record, RecordPos, RecordSink};

const NONE: u32 = u32::MAX;

/// Phases a builder reports through its progress callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildPhase {
    Sort,
    Resolve,
    Graph,
}

/// No sample for this object (see `HeapBuilder::sample_of`).
const NO_SAMPLE: u32 = Samples::NONE;
/// Objects past the previous sample's where the next one is looked for.
const SAMPLE_LOOKAHEAD: usize = 64;
/// Alloc samples whose bucket lookups are done together.
const SAMPLE_BATCH: usize = 32;

#[derive(Default)]
pub struct HeapBuilder {
    params: Params,
    have_params: bool,
    minor: u32,
    // Objects in decode order.
    addr: Vec<u64>,
    size: Column64,
    file_offset: Column64,
    shape: Vec<u32>,
    flags: Vec<u8>,
    /// `ptr_end[i]`: end of object i's range in `ptrs` (start is `ptr_end[i - 1]`).
    ptr_end: Vec<u32>,
    /// Heap-range pointer values of all objects, concatenated in decode order, as offsets
    /// from the heap's start: 4 B each while they fit (8 B after, and always in the tab: see
    /// [`new`](Self::new)). Resolved in place into target ids.
    ptrs: Column64,
    /// Root pointer values in heap range, with where they live.
    root_values: Vec<(u64, RootKind)>,
    header_words: Vec<(u32, u64)>,
    /// (decode index, hash of the whole slot) of text-like pointer-free objects.
    text_hashes: Vec<(u32, u64)>,
    /// Interface data words seen so far (the value) with their type (index into
    /// `heap.iface_type_addrs`), as two arrays: 12 B per word instead of a padded 16.
    iface_values: Vec<u64>,
    iface_type_ids: Vec<u32>,
    iface_type_index: FastMap<u64, u32>,
    itab_type: FastMap<u64, u64>,
    type_index: FastMap<u64, u32>,
    bucket_index: FastMap<u64, u32>,
    /// Each distinct memprof frame by its bytes in the dump (function, file, line), to its
    /// index in `heap.bucket_frames`.
    frame_index: FastMap<Box<[u8]>, u32>,
    frame_key: Vec<u8>,
    /// Alloc samples not matched to an object as they came: (address, bucket), found by a
    /// search once the objects are sorted.
    raw_samples: Vec<(u64, u32)>,
    /// Each object's sample bucket by decode index ([`NO_SAMPLE`] for none), once samples
    /// are many: 4 B per object instead of 16 per sample, and no search or sort after.
    sample_of: Vec<u32>,
    /// The decode index the next sample probably names (samples follow the objects' order).
    sample_cursor: usize,
    sample_records: u64,
    /// Alloc samples (address, bucket id, record index) whose bucket lookups wait to be
    /// done [`SAMPLE_BATCH`] at a time (see [`flush_samples`](Self::flush_samples)).
    pending_samples: Vec<(u64, u64, u64)>,
    /// Whether a record other than an object came after the objects.
    objects_ended: bool,
    /// Sum of the objects' sizes so far.
    object_bytes: u64,
    /// Lowest and highest itab or type address seen: a cheap filter before hash lookups.
    iface_range: (u64, u64),
    heap: Heap,
    strings: StringTable,
}

impl HeapBuilder {
    pub fn new() -> HeapBuilder {
        #[allow(unused_mut)]
        let mut b = HeapBuilder::default();
        // In the tab (the `web` build, and its simulation natively) the pointer values stay
        // 8 B each: the dominator pass's 224 MiB work array (on the AST heap) reuses the
        // block they and their ranges leave when freed; at 4 B the block is too small and
        // linear memory, which never shrinks, grows by the whole array (wasm simulation of
        // the sampled AST heap: 109-114 % of the budget with 8 B, 115-118 % with 4 B).
        #[cfg(any(target_arch = "wasm32", feature = "web"))]
        {
            b.ptrs = Column64::Wide(Vec::new());
        }
        b
    }

    /// How many objects the object arrays can hold before they grow (tests of the
    /// loader's reservation).
    #[cfg(test)]
    pub(crate) fn object_capacity(&self) -> usize {
        self.addr.capacity()
    }

    /// Objects decoded so far.
    pub fn objects_so_far(&self) -> usize {
        self.addr.len()
    }

    /// How many times the objects so far the heap's bounds can hold at most: the params'
    /// heap range (the arenas' bounding box) over the bytes of the objects so far. The
    /// loader's projection from the file's size assumes the rest of the file is objects;
    /// a dump with a sample per object ends with a memprof section as big as its objects,
    /// and this bound keeps the projection near the truth there.
    pub fn heap_range_scale(&self) -> Option<f64> {
        let span = self.params.heap_end.checked_sub(self.params.heap_start)?;
        (span > 0 && self.object_bytes > 0).then(|| span as f64 / self.object_bytes as f64)
    }

    /// Grows every per-record array to `scale` times its length, once: the loader projects
    /// the whole dump from its first part. Growing by doubling instead would hold old and
    /// new arrays at once, leave up to half of the new one unused and, in wasm, leave the
    /// old ones as holes in linear memory.
    pub fn reserve_scaled(&mut self, scale: f64) {
        fn grow<T>(v: &mut Vec<T>, scale: f64) {
            let want = (v.len() as f64 * scale) as usize;
            v.reserve_exact(want.saturating_sub(v.len()));
        }
        grow(&mut self.addr, scale);
        let want = (self.size.len() as f64 * scale) as usize;
        self.size
            .reserve_exact(want.saturating_sub(self.size.len()));
        self.file_offset
            .reserve_exact(want.saturating_sub(self.file_offset.len()));
        grow(&mut self.shape, scale);
        grow(&mut self.flags, scale);
        grow(&mut self.ptr_end, scale);
        let want = (self.ptrs.len() as f64 * scale) as usize;
        self.ptrs
            .reserve_exact(want.saturating_sub(self.ptrs.len()));
        grow(&mut self.iface_values, scale);
        grow(&mut self.iface_type_ids, scale);
        grow(&mut self.text_hashes, scale);
        grow(&mut self.header_words, scale);
    }

    /// The index of the frame (function, file, line) in `heap.bucket_frames`, added when
    /// new: one lookup of the frame's bytes instead of two string interns per frame.
    fn frame_id(&mut self, func: &[u8], file: &[u8], line: u64) -> u32 {
        let key = &mut self.frame_key;
        key.clear();
        key.extend_from_slice(&(func.len() as u64).to_le_bytes());
        key.extend_from_slice(func);
        key.extend_from_slice(file);
        key.extend_from_slice(&line.to_le_bytes());
        if let Some(&id) = self.frame_index.get(key.as_slice()) {
            return id;
        }
        let id = self.heap.bucket_frames.len() as u32;
        let frame = BucketFrame {
            func: self.strings.intern(func),
            file: self.strings.intern(file),
            line,
        };
        self.heap.bucket_frames.push(frame);
        self.frame_index
            .insert(self.frame_key.as_slice().into(), id);
        id
    }

    /// Looks up the buckets of the pending alloc samples and notes each. The lookups come
    /// first, in a loop of their own: with one bucket per distinct stack the table is far
    /// larger than the caches, and independent lookups let their cache misses overlap where
    /// one lookup per record waited for each in turn.
    fn flush_samples(&mut self) {
        let pending = std::mem::take(&mut self.pending_samples);
        let mut found = [None; SAMPLE_BATCH];
        for (f, &(_, bucket, _)) in found.iter_mut().zip(&pending) {
            *f = self.bucket_index.get(&bucket).copied();
        }
        for (f, &(addr, bucket, index)) in found.iter().zip(&pending) {
            match *f {
                Some(b) => self.note_sample(addr, b),
                None => {
                    let msg =
                        format!("alloc sample record #{index} names unknown bucket 0x{bucket:x}");
                    self.diag(msg);
                }
            }
        }
        self.pending_samples = pending;
        self.pending_samples.clear();
    }

    /// Records that the object at `addr` was sampled in bucket `b`. The runtime writes the
    /// samples span by span in the order it wrote the objects, so the sampled object is
    /// nearly always just after the previous sample's: looked for there first, and kept
    /// for a search once the objects are sorted only when it is not.
    fn note_sample(&mut self, addr: u64, b: u32) {
        self.sample_records += 1;
        let n = self.addr.len();
        if self.sample_of.is_empty() && n > 0 && self.raw_samples.len() >= n / 8 {
            // Many samples: a column costs less than the list would.
            self.sample_of = vec![NO_SAMPLE; n];
        }
        let from = self.sample_cursor.min(n);
        let found = (from..(from + SAMPLE_LOOKAHEAD).min(n)).find(|&d| {
            let a = self.addr[d];
            addr >= a && addr - a < self.size.get(d)
        });
        if let Some(d) = found {
            self.sample_cursor = d + 1;
            if let Some(slot) = self.sample_of.get_mut(d) {
                if *slot == NO_SAMPLE {
                    *slot = b;
                }
                return;
            }
        }
        self.raw_samples.push((addr, b));
    }

    /// Gives back what [`reserve_scaled`](Self::reserve_scaled) projected beyond the
    /// objects there are, once the objects' section has ended (Go writes every object
    /// before anything else but types and itabs). The projection assumes the rest of the
    /// file is like its start, which a memprof section or a sparse heap range can make
    /// too large. In wasm the freed tails are holes the graph build fills instead of
    /// growing. The interface arrays are left as they are: stack frames and finalizers
    /// still add to them, and one push past a shrunk array would double it.
    fn shrink_object_arrays(&mut self) {
        self.addr.shrink_to_fit();
        self.size.shrink_to_fit();
        self.file_offset.shrink_to_fit();
        self.shape.shrink_to_fit();
        self.flags.shrink_to_fit();
        self.ptr_end.shrink_to_fit();
        self.ptrs.shrink_to_fit();
        self.text_hashes.shrink_to_fit();
        self.header_words.shrink_to_fit();
    }

    /// Heap pointer words kept so far (each becomes at most one edge).
    pub fn pointers_so_far(&self) -> usize {
        self.ptrs.len()
    }

    #[inline]
    fn in_heap(&self, v: u64) -> bool {
        v >= self.params.heap_start && v < self.params.heap_end
    }

    /// Pointer words of a byte range: (offset, value) for words inside it. Borrows only the
    /// params, so callers can push into the builder's other arrays while iterating.
    fn words<'a>(
        params: &Params,
        contents: &'a [u8],
        fields: &format::FieldList<'a>,
        out_of_range: &'a mut u64,
    ) -> impl Iterator<Item = (u64, u64)> + 'a {
        let ps = params.ptr_size;
        let be = params.big_endian;
        fields
            .pointer_offsets()
            .filter_map(move |off| match read_word(contents, off, ps, be) {
                Some(v) => Some((off, v)),
                None => {
                    *out_of_range += 1;
                    None
                }
            })
    }

    /// Interface values: the compiler marks only an interface's data word as a pointer, so
    /// the word before each pointer word is checked against the itab and type addresses.
    /// A hit types the object the data word points at. Walks the field list again rather
    /// than keeping a copy of the words: a big map's bucket array has millions.
    fn note_ifaces(&mut self, contents: &[u8], fields: &format::FieldList<'_>) {
        let (lo, hi) = self.iface_range;
        if lo == 0 && hi == 0 {
            return;
        }
        let ps = self.params.ptr_size;
        let be = self.params.big_endian;
        let (heap_start, heap_end) = (self.params.heap_start, self.params.heap_end);
        for off in fields.pointer_offsets() {
            let Some(v) = read_word(contents, off, ps, be) else {
                continue;
            };
            if off < u64::from(ps) || v < heap_start || v >= heap_end {
                continue;
            }
            let Some(w) = read_word(contents, off - u64::from(ps), ps, be) else {
                continue;
            };
            if w < lo || w > hi {
                continue;
            }
            let typ = if let Some(&t) = self.itab_type.get(&w) {
                t
            } else if self.type_index.contains_key(&w) {
                w
            } else {
                continue;
            };
            let next = self.heap.iface_type_addrs.len() as u32;
            let tid = *self.iface_type_index.entry(typ).or_insert(next);
            if tid == next {
                self.heap.iface_type_addrs.push(typ);
            }
            self.iface_values.push(v);
            self.iface_type_ids.push(tid);
        }
    }

    fn widen_iface_range(&mut self, addr: u64) {
        let (lo, hi) = &mut self.iface_range;
        if *lo == 0 && *hi == 0 {
            *lo = addr;
            *hi = addr;
        }
        *lo = (*lo).min(addr);
        *hi = (*hi).max(addr);
    }

    fn object(&mut self, o: &format::Object<'_>) {
        let mut oor = 0u64;
        let mut shape: u32 = 0x811c_9dc5 ^ (o.contents.len() as u32);
        let mut any = false;
        let (heap_start, heap_end) = (self.params.heap_start, self.params.heap_end);
        for (off, v) in Self::words(&self.params, o.contents, &o.fields, &mut oor) {
            any = true;
            shape = (shape ^ off as u32).wrapping_mul(0x0100_0193);
            if v >= heap_start && v < heap_end {
                self.ptrs.push(v - heap_start);
            }
        }
        self.heap.counts.out_of_range_fields += oor;
        self.note_ifaces(o.contents, &o.fields);
        let idx = self.addr.len() as u32;
        let size = o.contents.len() as u64;
        let mut fl = 0u8;
        if any || !o.fields.is_empty() {
            fl |= flags::HAS_POINTERS;
            let small_max = if self.params.ptr_size == 8 { 512 } else { 128 };
            if self.minor >= 22 && size > small_max && size <= 32 * 1024 {
                if let Some(t) =
                    read_word(o.contents, 0, self.params.ptr_size, self.params.big_endian)
                {
                    fl |= flags::MALLOC_HEADER;
                    self.header_words.push((idx, t));
                }
            }
        } else if looks_like_text(o.contents) {
            fl |= flags::TEXT;
            self.text_hashes.push((idx, content_hash(o.contents)));
        }
        self.object_bytes += size;
        self.addr.push(o.addr);
        self.size.push(size);
        self.file_offset.push(o.contents_offset);
        self.shape.push(shape);
        self.flags.push(fl);
        self.ptr_end
            .push(u32::try_from(self.ptrs.len()).unwrap_or(u32::MAX));
    }

    fn segment_roots(&mut self, s: &format::Segment<'_>, bss: bool) -> Segment {
        let mut oor = 0u64;
        let words: Vec<(u64, u64)> =
            Self::words(&self.params, s.contents, &s.fields, &mut oor).collect();
        self.heap.counts.out_of_range_fields += oor;
        for &(offset, v) in &words {
            if self.in_heap(v) {
                let kind = if bss {
                    RootKind::Bss { offset }
                } else {
                    RootKind::Data { offset }
                };
                self.root_values.push((v, kind));
            }
        }
        self.note_ifaces(s.contents, &s.fields);
        Segment {
            addr: s.addr,
            size: s.contents.len() as u64,
            file_offset: s.contents_offset,
            pointer_words: words.len() as u64,
        }
    }

    fn frame(&mut self, f: &format::StackFrame<'_>, pos: RecordPos) {
        self.heap.counts.stack_frames += 1;
        let Some(g) = self.heap.goroutines.len().checked_sub(1) else {
            self.diag(format!(
                "stack frame record #{} at offset {} precedes every goroutine record",
                pos.index, pos.offset
            ));
            return;
        };
        let frame = self.heap.frames.len() as u32;
        let mut oor = 0u64;
        let words: Vec<(u64, u64)> =
            Self::words(&self.params, f.contents, &f.fields, &mut oor).collect();
        self.heap.counts.out_of_range_fields += oor;
        for &(offset, v) in &words {
            if self.in_heap(v) {
                self.root_values
                    .push((v, RootKind::Frame { frame, offset }));
            }
        }
        self.note_ifaces(f.contents, &f.fields);
        let func = self.strings.intern(f.name);
        self.heap.frames.push(Frame {
            goroutine: g as u32,
            depth: f.depth.min(u64::from(u32::MAX)) as u32,
            sp: f.sp,
            child_sp: f.child_sp,
            size: f.contents.len() as u64,
            entry_pc: f.entry_pc,
            pc: f.pc,
            cont_pc: f.cont_pc,
            func,
            pointer_words: words.len() as u32,
        });
        let n = self.heap.frames.len() as u32;
        self.heap.goroutines[g].frames.1 = n;
    }

    fn diag(&mut self, message: String) {
        if self.heap.diagnostics.len() < 1000 {
            self.heap.diagnostics.push(Diagnostic { message });
        }
    }

    fn finalizer(f: &format::Finalizer) -> Finalizer {
        Finalizer {
            object_addr: f.object,
            closure: f.closure,
            code: f.code,
            arg_type: f.arg_type,
            object_type: f.object_type,
            object: None,
        }
    }

    /// Sorts objects, drops phantoms, resolves every pointer and builds the graph.
    /// `decode_error` is kept on the heap when the input broke before its end.
    pub fn finish(
        mut self,
        decode_error: Option<DecodeError>,
        progress: &mut dyn FnMut(BuildPhase),
    ) -> Heap {
        self.flush_samples();
        let mut heap = std::mem::take(&mut self.heap);
        heap.params = std::mem::take(&mut self.params);
        heap.decode_error = decode_error;
        let n_dec = self.addr.len();
        heap.counts.object_records = n_dec as u64;

        progress(BuildPhase::Sort);
        let mut order = super::sort::by_address(&self.addr);

        let (rule, span_tails) = PhantomRule::choose(
            &heap.params,
            heap.memstats.as_ref().map(|m| m.heap_objects),
            &self.addr,
            &self.size,
            &self.flags,
            &order,
        );
        if span_tails.uncertain {
            heap.diagnostics.push(Diagnostic {
                message: format!("span tails: {}", span_tails.basis),
            });
        }
        heap.span_tails = span_tails;
        // Which records become objects, in address order. `order` is filtered in place.
        let phantom = rule.phantoms(&self.addr, &self.size, &self.flags, &order);
        let mut final_id = vec![NONE; n_dec];
        let mut kept = 0usize;
        let mut prev_end = 0u64;
        for k in 0..order.len() {
            let d = order[k] as usize;
            if phantom[k] {
                heap.counts.phantom_records += 1;
                continue;
            }
            if self.addr[d] < prev_end {
                if heap.diagnostics.len() < 1000 {
                    heap.diagnostics.push(Diagnostic {
                        message: format!(
                            "object at 0x{:x} overlaps the object before it; it is ignored",
                            self.addr[d]
                        ),
                    });
                }
                continue;
            }
            prev_end = self.addr[d].saturating_add(self.size.get(d));
            final_id[d] = kept as u32;
            order[kept] = d as u32;
            kept += 1;
        }
        drop(phantom);
        order.truncate(kept);
        // Gather one column at a time, freeing each decode-order column as soon as it is
        // copied, so the peak holds one column twice rather than the whole table. (Permuting
        // in place would hold none twice, but following the permutation's cycles is a chain
        // of dependent cache misses: 15x slower.)
        fn gather<T: Copy>(col: Vec<T>, order: &[u32]) -> Vec<T> {
            order.iter().map(|&d| col[d as usize]).collect()
        }
        // Natively two columns on this thread and three on a second one.
        let (addr, size) = (
            std::mem::take(&mut self.addr),
            std::mem::take(&mut self.size),
        );
        let file_offset = std::mem::take(&mut self.file_offset);
        let (shape, flags) = (
            std::mem::take(&mut self.shape),
            std::mem::take(&mut self.flags),
        );
        let ord = &order;
        let ((addr, size), (file_offset, shape, flags)) = crate::parallel::beside(
            || (gather(addr, ord), size.gather(ord)),
            || {
                let file_offset = file_offset.gather(ord);
                (file_offset, gather(shape, ord), gather(flags, ord))
            },
        );
        let mut objects = ObjectTable {
            addr,
            size,
            file_offset,
            shape,
            flags,
            ..ObjectTable::default()
        };
        drop(order);
        let n = objects.len();
        objects.build_page_index();

        progress(BuildPhase::Resolve);
        // Resolve pointer values in place: each becomes a target id, or NONE.
        heap.counts.dangling_pointers =
            resolve_all(&objects, heap.params.heap_start, &mut self.ptrs);

        // Roots.
        let mut roots: Vec<Root> = Vec::with_capacity(self.root_values.len());
        for &(value, kind) in &self.root_values {
            if let Some(object) = objects.find(value) {
                roots.push(Root {
                    object,
                    value,
                    kind,
                });
            }
        }
        for (index, f) in heap.finalizers.iter_mut().enumerate() {
            f.object = objects.find(f.object_addr);
            push_finalizer_roots(&mut roots, &objects, f, index as u32, false);
        }
        for (index, f) in heap.queued_finalizers.iter_mut().enumerate() {
            f.object = objects.find(f.object_addr);
            push_finalizer_roots(&mut roots, &objects, f, index as u32, true);
        }
        roots.sort_by_key(|r| r.object);
        self.root_values = Vec::new();

        progress(BuildPhase::Graph);
        // The type hints, mapped to final ids. Interface words need a lookup in the object
        // table each (7.3 M on the AST heap): none of this touches the graph, so natively
        // it runs beside the graph's build. (The samples follow it: their two columns of
        // 4 B per object would raise the peak if they were mapped meanwhile.)
        let iface_values = std::mem::take(&mut self.iface_values);
        let iface_type_ids = std::mem::take(&mut self.iface_type_ids);
        let header_words = std::mem::take(&mut self.header_words);
        let text_hashes = std::mem::take(&mut self.text_hashes);
        let final_ids = &final_id;
        let objs = &objects;
        let map_hints = move || {
            let mut iface_types: Vec<(u32, u32)> = Vec::with_capacity(iface_values.len());
            iface_types.extend(
                iface_values
                    .into_iter()
                    .zip(iface_type_ids)
                    .filter_map(|(v, t)| objs.find(v).map(|o| (o, t))),
            );
            iface_types.sort_unstable();
            iface_types.dedup();
            iface_types.shrink_to_fit();
            // Mapped in place: a fresh `collect` through `filter` would grow by doubling,
            // which in wasm leaves holes. (`collect` from `into_iter` reuses the source's
            // buffer: the elements are the same size.)
            let by_final_id = |v: Vec<(u32, u64)>| {
                let mut v: Vec<(u32, u64)> = v
                    .into_iter()
                    .map(|(d, x)| (final_ids[d as usize], x))
                    .filter(|&(id, _)| id != NONE)
                    .collect();
                v.sort_unstable();
                v.shrink_to_fit();
                v
            };
            (
                iface_types,
                by_final_id(header_words),
                by_final_id(text_hashes),
            )
        };
        let build_graph = || {
            // Nodes are the n objects and the root node n; see `Csr::from_degrees`.
            let mut degrees = vec![0u32; n + 2];
            let mut start = 0usize;
            for (&end, &id) in self.ptr_end.iter().zip(&final_id) {
                let end = end as usize;
                if id != NONE {
                    degrees[id as usize + 1] = self
                        .ptrs
                        .range(start, end)
                        .filter(|&t| t != u64::from(NONE))
                        .count() as u32;
                }
                start = end;
            }
            let mut root_targets: Vec<u32> = roots.iter().map(|r| r.object).collect();
            root_targets.dedup();
            degrees[n + 1] = root_targets.len() as u32;
            let succ = Csr::from_degrees(degrees, |push| {
                let mut start = 0usize;
                for (&end, &id) in self.ptr_end.iter().zip(&final_id) {
                    let end = end as usize;
                    if id != NONE {
                        for t in self.ptrs.range(start, end) {
                            if t != u64::from(NONE) {
                                push(id, t as u32);
                            }
                        }
                    }
                    start = end;
                }
                for &t in &root_targets {
                    push(n as u32, t);
                }
            });
            let succ = match succ {
                Ok(s) => s,
                Err(e) => {
                    heap.diagnostics.push(Diagnostic {
                        message: format!("{e}; pointer edges dropped"),
                    });
                    Csr::from_edges(n + 1, &[])
                }
            };
            // Saturating: when the graph could not be built (over 2^32 edges) the fallback
            // holds no edges at all, not even the roots'.
            heap.pointer_edges = succ.edge_count().saturating_sub(root_targets.len()) as u64;
            heap.pred = succ
                .transpose()
                .unwrap_or_else(|_| Csr::from_edges(n + 1, &[]));
            heap.succ = succ;
            heap.roots = roots;
        };
        // The hints first where the two run one after the other (the tab): they free the
        // interface words (12 B each) before the graph's arrays are allocated.
        let ((iface_types, header_types, text_hashes), ()) =
            crate::parallel::beside(map_hints, build_graph);
        heap.iface_types = iface_types;
        heap.header_types = header_types;
        heap.text_hashes = text_hashes;
        heap.alloc_sample_records = self.sample_records;
        // Samples by final id: the column's, then the searched ones; in id order without
        // a sort, the first sample of an object kept.
        let mut by_id = vec![
            NO_SAMPLE;
            if self.sample_of.is_empty() && self.raw_samples.is_empty() {
                0
            } else {
                n
            }
        ];
        for (d, &b) in self.sample_of.iter().enumerate() {
            if b != NO_SAMPLE && final_id[d] != NONE {
                by_id[final_id[d] as usize] = b;
            }
        }
        self.sample_of = Vec::new();
        let mut unresolved = 0u64;
        for &(a, b) in &self.raw_samples {
            match objects.find(a) {
                Some(o) if by_id[o as usize] == NO_SAMPLE => by_id[o as usize] = b,
                Some(_) => {}
                None => unresolved += 1,
            }
        }
        self.raw_samples = Vec::new();
        let sampled = by_id.iter().filter(|&&b| b != NO_SAMPLE).count();
        let samples = if sampled > n / 2 {
            // Most objects sampled: the column itself, 4 B per object.
            Samples::Column(by_id, sampled)
        } else {
            // Sized first: collecting through a filter would grow by doubling (holes in
            // wasm).
            let mut list = Vec::with_capacity(sampled);
            list.extend(
                by_id
                    .iter()
                    .enumerate()
                    .filter(|&(_, &b)| b != NO_SAMPLE)
                    .map(|(o, &b)| (o as ObjectId, b)),
            );
            Samples::List(list)
        };
        heap.alloc_samples = samples;
        if unresolved > 0 {
            heap.diagnostics.push(Diagnostic {
                message: format!("{unresolved} alloc sample records point at no object"),
            });
        }
        heap.types.sort_by_key(|t| t.addr);
        // Freed last: the raw pointer values (8 B each) and their ranges (4 B per object)
        // sit side by side, and freeing them after everything above is allocated leaves one
        // free block that the dominator pass's work arrays can take in wasm instead of
        // growing linear memory.
        self.ptrs = Column64::default();
        self.ptr_end = Vec::new();
        heap.objects = objects;
        heap.strings = std::mem::take(&mut self.strings);
        heap
    }
}

/// Replaces each pointer (an offset from `base`) by the id of the object containing it (or
/// NONE) and returns how many resolved to nothing. Natively the work is split across the
/// cores: lookups are independent and dominated by cache misses. The wasm build stays
/// single-threaded.
fn resolve_all(objects: &ObjectTable, base: u64, ptrs: &mut Column64) -> u64 {
    fn resolve<T: Copy + Into<u64> + From<u32>>(
        objects: &ObjectTable,
        base: u64,
        ptrs: &mut [T],
    ) -> u64 {
        let mut dangling = 0;
        for v in ptrs.iter_mut() {
            *v = T::from(match objects.find(base.wrapping_add((*v).into())) {
                Some(t) => t,
                None => {
                    dangling += 1;
                    NONE
                }
            });
        }
        dangling
    }
    fn split<T: Copy + Into<u64> + From<u32> + Send>(
        objects: &ObjectTable,
        base: u64,
        ptrs: &mut [T],
    ) -> u64 {
        // One thread in the tab, and in the `web` build's native simulation of it.
        #[cfg(not(any(target_arch = "wasm32", feature = "web")))]
        {
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(8);
            if threads > 1 && ptrs.len() >= 1 << 20 {
                let chunk = ptrs.len().div_ceil(threads);
                return std::thread::scope(|s| {
                    let handles: Vec<_> = ptrs
                        .chunks_mut(chunk)
                        .map(|c| s.spawn(move || resolve(objects, base, c)))
                        .collect();
                    handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
                });
            }
        }
        resolve(objects, base, ptrs)
    }
    match ptrs {
        Column64::Narrow(v) => split(objects, base, v),
        Column64::Wide(v) => split(objects, base, v),
    }
}

fn push_finalizer_roots(
    roots: &mut Vec<Root>,
    objects: &ObjectTable,
    f: &Finalizer,
    index: u32,
    queued: bool,
) {
    for (value, field) in [
        (f.object_addr, FinalizerField::Object),
        (f.closure, FinalizerField::Closure),
    ] {
        if let Some(object) = objects.find(value) {
            let kind = if queued {
                RootKind::QueuedFinalizer { index, field }
            } else {
                RootKind::Finalizer { index, field }
            };
            roots.push(Root {
                object,
                value,
                kind,
            });
        }
    }
}

/// A 64-bit FNV-1a hash of a whole slot: equal hashes of equal-sized slots mean
/// byte-identical contents (up to a 2^-64 collision chance).
fn content_hash(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    super::hash::le_words(b, |w| {
        h = (h ^ w).wrapping_mul(0x0000_0100_0000_01b3);
        h ^= h >> 29;
    });
    h
}

/// Printable UTF-8 over the first bytes, ignoring trailing zero padding.
fn looks_like_text(b: &[u8]) -> bool {
    let head = &b[..b.len().min(64)];
    let end = head.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1);
    if end < 4 {
        return false;
    }
    match std::str::from_utf8(&head[..end]) {
        Ok(s) => s
            .chars()
            .all(|c| !c.is_control() || c == '\n' || c == '\t' || c == '\r'),
        // The 64-byte cut may split a multi-byte character.
        Err(e) => e.valid_up_to() + 4 > end && e.valid_up_to() >= 4,
    }
}

impl RecordSink for HeapBuilder {
    fn record(&mut self, rec: &Record<'_>, pos: RecordPos) {
        self.heap.counts.records += 1;
        if !self.pending_samples.is_empty() && !matches!(rec, Record::AllocSample(_)) {
            self.flush_samples();
        }
        if !self.objects_ended && !self.addr.is_empty() && !matches!(rec, Record::Object(_)) {
            self.objects_ended = true;
            self.shrink_object_arrays();
        }
        match rec {
            Record::Params(p) => {
                self.have_params = true;
                self.params = Params {
                    big_endian: p.big_endian,
                    ptr_size: p.ptr_size as u8,
                    heap_start: p.heap_start,
                    heap_end: p.heap_end,
                    arch: match p.arch {
                        format::Arch::Name(n) => String::from_utf8_lossy(n).into_owned(),
                        format::Arch::Code(c) => format!("arch code {c}"),
                    },
                    go_version: String::from_utf8_lossy(p.version).into_owned(),
                    ncpu: p.ncpu,
                };
                if self.params.heap_start >= self.params.heap_end {
                    self.params.heap_start = 0;
                    self.params.heap_end = u64::MAX;
                }
                self.minor = self.params.go_minor().map_or(0, |v| v.1);
            }
            Record::Object(o) => self.object(o),
            Record::Type(t) => {
                self.heap.counts.type_records += 1;
                if self.type_index.contains_key(&t.addr) {
                    self.heap.counts.duplicate_type_records += 1;
                } else {
                    let name = self.strings.intern(t.name);
                    self.type_index.insert(t.addr, self.heap.types.len() as u32);
                    self.widen_iface_range(t.addr);
                    self.heap.types.push(TypeInfo {
                        addr: t.addr,
                        size: t.size,
                        name,
                    });
                }
            }
            Record::Itab(i) => {
                self.itab_type.insert(i.addr, i.typ);
                self.widen_iface_range(i.addr);
                self.heap.itabs.push(Itab {
                    addr: i.addr,
                    typ: i.typ,
                });
            }
            Record::Goroutine(g) => {
                let n = self.heap.frames.len() as u32;
                let nd = self.heap.defers.len() as u32;
                let np = self.heap.panics.len() as u32;
                let wait_reason = self.strings.intern(g.wait_reason);
                self.heap.goroutines.push(Goroutine {
                    addr: g.addr,
                    sp: g.sp,
                    id: g.id,
                    gopc: g.gopc,
                    status: g.status,
                    system: g.system,
                    wait_since: g.wait_since,
                    wait_reason,
                    ctxt: g.ctxt,
                    m: g.m,
                    defer_top: g.defer_top,
                    panic_top: g.panic_top,
                    frames: (n, n),
                    defers: (nd, nd),
                    panics: (np, np),
                });
            }
            Record::StackFrame(f) => self.frame(f, pos),
            Record::Defer(d) => {
                self.heap.defers.push(Defer {
                    addr: d.addr,
                    gp: d.gp,
                    argp: d.argp,
                    pc: d.pc,
                    closure: d.closure,
                    code: d.code,
                    link: d.link,
                });
                let n = self.heap.defers.len() as u32;
                if let Some(g) = self.heap.goroutines.last_mut() {
                    g.defers.1 = n;
                }
            }
            Record::Panic(p) => {
                self.heap.panics.push(Panic {
                    addr: p.addr,
                    gp: p.gp,
                    arg_type: p.arg_type,
                    arg_data: p.arg_data,
                    link: p.link,
                });
                let n = self.heap.panics.len() as u32;
                if let Some(g) = self.heap.goroutines.last_mut() {
                    g.panics.1 = n;
                }
            }
            Record::OsThread(t) => self.heap.osthreads.push(OsThread {
                addr: t.addr,
                id: t.id,
                os_id: t.os_id,
            }),
            Record::Finalizer(f) => self.heap.finalizers.push(Self::finalizer(f)),
            Record::QueuedFinalizer(f) => self.heap.queued_finalizers.push(Self::finalizer(f)),
            Record::MemStats(m) => self.heap.memstats = Some(MemStats::from_values(&m.values())),
            Record::Data(s) => self.heap.data = self.segment_roots(s, false),
            Record::Bss(s) => self.heap.bss = self.segment_roots(s, true),
            Record::MemProf(m) => {
                let start = self.heap.bucket_frame_ids.len() as u32;
                for f in m.frames.iter() {
                    let id = self.frame_id(f.func, f.file, f.line);
                    self.heap.bucket_frame_ids.push(id);
                }
                let end = self.heap.bucket_frame_ids.len() as u32;
                self.bucket_index
                    .insert(m.id, self.heap.buckets.len() as u32);
                self.heap.buckets.push(Bucket {
                    id: m.id,
                    size: m.size,
                    frames: (start, end),
                    allocs: m.allocs,
                    frees: m.frees,
                });
            }
            Record::AllocSample(s) => {
                self.pending_samples.push((s.addr, s.bucket, pos.index));
                if self.pending_samples.len() >= SAMPLE_BATCH {
                    self.flush_samples();
                }
            }
            Record::OtherRoot(r) => {
                self.heap.counts.other_roots += 1;
                if self.in_heap(r.addr) {
                    let description = self.strings.intern(r.description);
                    self.root_values
                        .push((r.addr, RootKind::Other { description }));
                }
            }
            Record::Eof => {}
        }
    }
}

#[cfg(test)]
mod sample_tests {
    use crate::format::writer::DumpWriter;

    /// Samples in the objects' order take the lookahead; out of order, duplicated or
    /// pointing at nothing they take the search: every way gives the same answer.
    #[test]
    fn samples_match_their_objects_in_any_order() {
        const HEAP: u64 = 0xc0_0000_0000;
        let n = 200u64;
        let addr = |i: u64| HEAP + i * 16;
        let mut w = DumpWriter::new(8, HEAP, HEAP + 0x10000);
        for i in 0..n {
            w.object(addr(i), &[i, 0], &[]);
        }
        w.memprof(1, 16, &[("main.a", "a.go", 1)], 1, 0);
        w.memprof(2, 16, &[("main.b", "b.go", 2)], 1, 0);
        // In order (with a gap), then backwards, then a duplicate, then into no object.
        for i in (0..100).filter(|i| i % 7 != 3) {
            w.alloc_sample(addr(i) + 8, 1);
        }
        for i in (100..n).rev() {
            w.alloc_sample(addr(i), 2);
        }
        w.alloc_sample(addr(5), 2);
        w.alloc_sample(HEAP + 0x8000, 1);
        let heap = crate::load::load_bytes(&w.eof().finish()).unwrap();
        let want: Vec<(u32, u32)> = (0..n as u32)
            .filter(|&i| i >= 100 || i % 7 != 3)
            .map(|i| (i, if i < 100 { 0 } else { 1 }))
            .collect();
        assert_eq!(heap.alloc_samples.iter().collect::<Vec<_>>(), want);
        assert_eq!(heap.alloc_sample_records, 86 + 100 + 2);
        assert!(heap
            .diagnostics
            .iter()
            .any(|d| d.message == "1 alloc sample records point at no object"));
    }
}
