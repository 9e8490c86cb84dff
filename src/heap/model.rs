//! The heap model: what the analyses and front ends read.

use super::csr::Csr;
use super::memstats::MemStats;
use super::phantom::SpanTails;
use super::strings::{StrId, StringTable};
use super::Column64;
use crate::format::DecodeError;
use serde::Serialize;

/// Index of an object in address order.
pub type ObjectId = u32;

/// Per-object flags, computed while decoding.
pub mod flags {
    /// The object's field list names at least one pointer word.
    pub const HAS_POINTERS: u8 = 1;
    /// Pointer-free and its first bytes are printable text.
    pub const TEXT: u8 = 2;
    /// Go 1.22+: the first word is a malloc header (a type descriptor address).
    pub const MALLOC_HEADER: u8 = 4;
}

const PAGE: u64 = 8192;

/// Objects in address order, as parallel flat arrays indexed by [`ObjectId`].
#[derive(Clone, Debug, Default)]
pub struct ObjectTable {
    pub addr: Vec<u64>,
    /// Slot size: the length of the dumped contents.
    pub size: Column64,
    /// Absolute file offset of the contents, for reading them again on demand.
    pub file_offset: Column64,
    /// A hash of (slot size, pointer offsets): objects with equal shape share it.
    pub shape: Vec<u32>,
    pub flags: Vec<u8>,
    /// `page_first[p]`: the first object whose address is at or above page `p` (8 KiB pages
    /// from `page_base`). Narrows address lookups to a page's objects. Empty when the
    /// address range is too sparse for it to pay.
    pub(crate) page_first: Vec<u32>,
    pub(crate) page_base: u64,
}

impl ObjectTable {
    pub fn len(&self) -> usize {
        self.addr.len()
    }

    pub fn is_empty(&self) -> bool {
        self.addr.is_empty()
    }

    /// Builds the page index used by [`ObjectTable::find`]. Call after the last push.
    pub fn build_page_index(&mut self) {
        self.page_first = Vec::new();
        let (Some(&lo), Some(&hi)) = (self.addr.first(), self.addr.last()) else {
            return;
        };
        let base = lo & !(PAGE - 1);
        let pages = (hi - base) / PAGE + 2;
        if pages > 4 * self.addr.len() as u64 + (1 << 16) {
            return; // sparse: plain binary search costs less memory
        }
        let mut first = Vec::with_capacity(pages as usize);
        let mut i = 0usize;
        for p in 0..pages {
            // The sentinel page past an object in the address space's last page starts
            // beyond 2^64: every object is below it.
            match base.checked_add(p * PAGE) {
                Some(start) => {
                    while i < self.addr.len() && self.addr[i] < start {
                        i += 1;
                    }
                }
                None => i = self.addr.len(),
            }
            first.push(i as u32);
        }
        self.page_first = first;
        self.page_base = base;
    }

    /// The object whose slot contains `addr` (interior pointers included).
    #[inline]
    pub fn find(&self, addr: u64) -> Option<ObjectId> {
        let i = self.last_at_or_below(addr)?;
        (addr - self.addr[i] < self.size.get(i)).then_some(i as ObjectId)
    }

    /// Index of the last object starting at or below `addr`.
    #[inline]
    fn last_at_or_below(&self, addr: u64) -> Option<usize> {
        let whole = |lo: usize, hi: usize| {
            let i = lo + self.addr[lo..hi].partition_point(|&a| a <= addr);
            i.checked_sub(1)
        };
        // Addresses outside every object (a pointer into rodata, say) are common: answer
        // them without a search.
        let (&first, &last) = (self.addr.first()?, self.addr.last()?);
        if addr < first {
            return None;
        }
        if addr >= last {
            return Some(self.addr.len() - 1);
        }
        if self.page_first.is_empty() || addr < self.page_base {
            return whole(0, self.addr.len());
        }
        let p = ((addr - self.page_base) / PAGE) as usize;
        if p + 1 >= self.page_first.len() {
            return whole(0, self.addr.len());
        }
        let (lo, hi) = (self.page_first[p] as usize, self.page_first[p + 1] as usize);
        if lo == hi || addr < self.addr[lo] {
            // The containing object, if any, starts before this page.
            return lo.checked_sub(1);
        }
        // A small-object span fills its page with equal slots, so objects are at least one
        // slot apart and the answer is at most `guess`; when no slot before it is free it is
        // exactly `guess`, found with one or two cache misses instead of a binary search.
        let slot = self.size.get(lo).max(1);
        let guess = lo + (((addr - self.addr[lo]) / slot) as usize).min(hi - 1 - lo);
        if self.addr[guess] <= addr {
            if guess + 1 == hi || self.addr[guess + 1] > addr {
                return Some(guess);
            }
            // Unequal sizes (not a Go span): fall back to searching the rest of the page.
            return whole(guess, hi);
        }
        // Free slots before the object put it a little below the guess: gallop down from the
        // guess rather than binary searching the whole page.
        let mut step = 1;
        let mut top = guess;
        loop {
            let probe = top.saturating_sub(step).max(lo);
            if self.addr[probe] <= addr {
                return whole(probe, top);
            }
            if probe == lo {
                return lo.checked_sub(1);
            }
            top = probe;
            step *= 2;
        }
    }

    /// The address a Go pointer to this object holds (slot + 8 for malloc-header objects).
    pub fn value_addr(&self, id: ObjectId) -> u64 {
        let i = id as usize;
        if self.flags[i] & flags::MALLOC_HEADER != 0 {
            // Saturating: the address comes from the file, and a slot in the address
            // space's last 8 bytes is nonsense to show, not a reason to wrap to 0.
            self.addr[i].saturating_add(8)
        } else {
            self.addr[i]
        }
    }
}

/// The params record, owned.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Params {
    pub big_endian: bool,
    pub ptr_size: u8,
    pub heap_start: u64,
    pub heap_end: u64,
    pub arch: String,
    /// Params field 6: the runtime version (`go1.27.3`) since about Go 1.17.
    pub go_version: String,
    pub ncpu: u64,
}

impl Params {
    /// `(major, minor)` from a version string like `go1.22.10`, when it is one.
    pub fn go_minor(&self) -> Option<(u32, u32)> {
        parse_go_version(&self.go_version)
    }
}

/// A segment word's address; the segment's base comes from the file, so the sum may not
/// fit in 64 bits.
fn segment_addr(seg: &Segment, offset: u64) -> String {
    match seg.addr.checked_add(offset) {
        Some(a) => format!("0x{a:x}"),
        None => format!("0x{:x} + 0x{offset:x}, past the address space", seg.addr),
    }
}

pub(crate) fn parse_go_version(s: &str) -> Option<(u32, u32)> {
    let at = s.find("go1.")?;
    let rest = &s[at + 2..];
    let mut parts = rest.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[derive(Clone, Debug, Serialize)]
pub struct Goroutine {
    pub addr: u64,
    pub sp: u64,
    pub id: u64,
    pub gopc: u64,
    pub status: u64,
    pub system: bool,
    pub wait_since: u64,
    pub wait_reason: StrId,
    pub ctxt: u64,
    pub m: u64,
    pub defer_top: u64,
    pub panic_top: u64,
    /// Range into [`Heap::frames`], innermost first.
    pub frames: (u32, u32),
    /// Range into [`Heap::defers`].
    pub defers: (u32, u32),
    /// Range into [`Heap::panics`].
    pub panics: (u32, u32),
}

impl Goroutine {
    pub fn status_name(&self) -> &'static str {
        match self.status {
            0 => "idle",
            1 => "runnable",
            2 => "running",
            3 => "syscall",
            4 => "waiting",
            _ => "unknown",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Frame {
    /// Index into [`Heap::goroutines`].
    pub goroutine: u32,
    pub depth: u32,
    pub sp: u64,
    pub child_sp: u64,
    pub size: u64,
    pub entry_pc: u64,
    pub pc: u64,
    pub cont_pc: u64,
    pub func: StrId,
    pub pointer_words: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Defer {
    pub addr: u64,
    pub gp: u64,
    pub argp: u64,
    pub pc: u64,
    pub closure: u64,
    pub code: u64,
    pub link: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Panic {
    pub addr: u64,
    pub gp: u64,
    pub arg_type: u64,
    pub arg_data: u64,
    pub link: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct OsThread {
    pub addr: u64,
    pub id: u64,
    pub os_id: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Finalizer {
    pub object_addr: u64,
    pub closure: u64,
    pub code: u64,
    pub arg_type: u64,
    pub object_type: u64,
    /// The object the finalizer is set on, when it resolves.
    pub object: Option<ObjectId>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TypeInfo {
    pub addr: u64,
    pub size: u64,
    pub name: StrId,
}

#[derive(Clone, Debug, Serialize)]
pub struct Itab {
    pub addr: u64,
    pub typ: u64,
}

/// A memprof bucket: an allocation stack and its counts.
#[derive(Clone, Debug, Serialize)]
pub struct Bucket {
    pub id: u64,
    pub size: u64,
    /// Range into [`Heap::bucket_frame_ids`], innermost first.
    pub frames: (u32, u32),
    pub allocs: u64,
    pub frees: u64,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct BucketFrame {
    pub func: StrId,
    pub file: StrId,
    pub line: u64,
}

/// Alloc samples resolved to objects: each sampled object's bucket (an index into
/// `Heap::buckets`). A list of (object, bucket) sorted by object while samples are few (the
/// default `MemProfileRate`), a column of 4 B per object when most objects are sampled
/// (`MemProfileRate = 1`), where the list would take 8 B per object.
#[derive(Clone, Debug)]
pub enum Samples {
    List(Vec<(ObjectId, u32)>),
    /// The bucket of each object, [`Samples::NONE`] when not sampled; and how many are.
    Column(Vec<u32>, usize),
}

impl Default for Samples {
    fn default() -> Samples {
        Samples::List(Vec::new())
    }
}

impl Samples {
    /// No sample, in a column.
    pub const NONE: u32 = u32::MAX;

    /// The bucket of object `id`, when it was sampled.
    pub fn get(&self, id: ObjectId) -> Option<u32> {
        match self {
            Samples::List(v) => {
                let i = v.partition_point(|s| s.0 < id);
                v.get(i).filter(|s| s.0 == id).map(|s| s.1)
            }
            Samples::Column(c, _) => c.get(id as usize).copied().filter(|&b| b != Self::NONE),
        }
    }

    /// (object, bucket) of every sampled object, by object.
    pub fn iter(&self) -> impl Iterator<Item = (ObjectId, u32)> + '_ {
        let (list, column) = match self {
            Samples::List(v) => (v.as_slice(), &[][..]),
            Samples::Column(c, _) => (&[][..], c.as_slice()),
        };
        list.iter().copied().chain(
            column
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b != Self::NONE)
                .map(|(o, &b)| (o as ObjectId, b)),
        )
    }

    /// Sampled objects.
    pub fn len(&self) -> usize {
        match self {
            Samples::List(v) => v.len(),
            Samples::Column(_, n) => *n,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A bucket's stack, innermost first ([`Heap::bucket_frames`]).
#[derive(Clone, Copy)]
pub struct FrameList<'h> {
    table: &'h [BucketFrame],
    ids: &'h [u32],
}

impl<'h> FrameList<'h> {
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &'h BucketFrame> + 'h {
        let table = self.table;
        self.ids.iter().filter_map(move |&i| table.get(i as usize))
    }

    pub fn first(&self) -> Option<&'h BucketFrame> {
        self.iter().next()
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// The data or bss segment (only its extent; the pointer words became roots).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Segment {
    pub addr: u64,
    pub size: u64,
    pub file_offset: u64,
    pub pointer_words: u64,
}

/// Which field of a finalizer record a root comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum FinalizerField {
    Object,
    Closure,
}

/// Where a root pointer lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RootKind {
    /// A pointer word in the data segment, `offset` bytes from its start.
    Data { offset: u64 },
    /// A pointer word in the bss segment.
    Bss { offset: u64 },
    /// A pointer word in a stack frame (`frame` indexes [`Heap::frames`]).
    Frame { frame: u32, offset: u64 },
    /// A registered finalizer (`index` into [`Heap::finalizers`]).
    Finalizer { index: u32, field: FinalizerField },
    /// A queued finalizer (`index` into [`Heap::queued_finalizers`]).
    QueuedFinalizer { index: u32, field: FinalizerField },
    /// An otherroot record (never written by Go releases, kept for completeness).
    Other { description: StrId },
}

/// One root pointer: where it lives and the object it points into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Root {
    pub object: ObjectId,
    /// The pointer value as stored.
    pub value: u64,
    pub kind: RootKind,
}

/// A problem that does not stop the analysis.
#[derive(Clone, Debug, Serialize)]
pub struct Diagnostic {
    pub message: String,
}

/// Counts of records as decoded.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RecordCounts {
    pub records: u64,
    pub object_records: u64,
    /// Object records that are span-tail metadata, not objects (Go 1.22+).
    pub phantom_records: u64,
    pub type_records: u64,
    pub duplicate_type_records: u64,
    pub stack_frames: u64,
    pub other_roots: u64,
    /// Pointer words in objects that point into the heap range but into no object.
    pub dangling_pointers: u64,
    /// Pointer-list entries whose word lies outside the object's contents.
    pub out_of_range_fields: u64,
}

/// The whole heap, ready for analysis.
#[derive(Debug, Default)]
pub struct Heap {
    pub params: Params,
    pub objects: ObjectTable,
    /// Pointer edges over `objects.len() + 1` nodes: node `objects.len()` is the synthetic
    /// root, whose successors are the distinct objects that roots point at.
    pub succ: Csr,
    pub pred: Csr,
    /// Edges between objects (the root node's edges excluded), with multiplicity.
    pub pointer_edges: u64,
    /// Every root pointer that resolves to an object, sorted by object.
    pub roots: Vec<Root>,
    pub goroutines: Vec<Goroutine>,
    pub frames: Vec<Frame>,
    pub defers: Vec<Defer>,
    pub panics: Vec<Panic>,
    pub osthreads: Vec<OsThread>,
    pub finalizers: Vec<Finalizer>,
    pub queued_finalizers: Vec<Finalizer>,
    pub types: Vec<TypeInfo>,
    pub itabs: Vec<Itab>,
    pub buckets: Vec<Bucket>,
    /// Every distinct frame of the buckets' stacks, once: a dump sampled at every
    /// allocation has hundreds of thousands of stacks made of far fewer frames.
    pub bucket_frames: Vec<BucketFrame>,
    /// The buckets' stacks: indices into `bucket_frames` (see [`Heap::bucket_frames`]).
    pub bucket_frame_ids: Vec<u32>,
    /// Alloc sample records resolved to (object, index into `buckets`), sorted by object.
    pub alloc_samples: Samples,
    /// Alloc sample records as decoded (including ones that did not resolve).
    pub alloc_sample_records: u64,
    /// Go 1.22+: (object, type descriptor address) read from malloc headers.
    pub header_types: Vec<(ObjectId, u64)>,
    /// (object, index into `iface_type_addrs`) from interface words that point at the
    /// object, sorted. Indices rather than addresses: millions of entries in an AST heap.
    pub iface_types: Vec<(ObjectId, u32)>,
    /// The distinct type descriptor addresses `iface_types` refers to.
    pub iface_type_addrs: Vec<u64>,
    /// (object, hash of its slot) for text-like pointer-free objects, sorted by object.
    pub text_hashes: Vec<(ObjectId, u64)>,
    pub memstats: Option<MemStats>,
    pub data: Segment,
    pub bss: Segment,
    pub strings: StringTable,
    pub counts: RecordCounts,
    /// Which Go 1.22+ span-tail layout removed the phantom records, and why.
    pub span_tails: SpanTails,
    pub diagnostics: Vec<Diagnostic>,
    /// Names from the executable, when one was given (`Heap::attach_executable`).
    pub exe: Option<super::ExeNames>,
    /// Set when the input ended early or broke mid-way: what was read before it is here.
    pub decode_error: Option<DecodeError>,
}

impl Heap {
    /// The synthetic root node of `succ`/`pred`.
    pub fn root_node(&self) -> u32 {
        self.objects.len() as u32
    }

    pub fn object_count(&self) -> usize {
        self.objects.len()
    }

    pub fn total_object_bytes(&self) -> u64 {
        self.objects.size.iter().sum()
    }

    /// Roots pointing at `id` (a slice of `roots`).
    pub fn roots_of(&self, id: ObjectId) -> &[Root] {
        let lo = self.roots.partition_point(|r| r.object < id);
        let hi = self.roots.partition_point(|r| r.object <= id);
        &self.roots[lo..hi]
    }

    /// The allocation bucket of a sampled object.
    pub fn bucket_of(&self, id: ObjectId) -> Option<&Bucket> {
        self.buckets.get(self.alloc_samples.get(id)? as usize)
    }

    pub fn bucket_frames(&self, b: &Bucket) -> FrameList<'_> {
        FrameList {
            table: &self.bucket_frames,
            ids: self
                .bucket_frame_ids
                .get(b.frames.0 as usize..b.frames.1 as usize)
                .unwrap_or(&[]),
        }
    }

    pub fn goroutine_frames(&self, g: &Goroutine) -> &[Frame] {
        &self.frames[g.frames.0 as usize..g.frames.1 as usize]
    }

    pub fn str(&self, id: StrId) -> &str {
        self.strings.get(id)
    }

    pub fn type_name(&self, addr: u64) -> Option<&str> {
        Some(self.str(self.type_info(addr)?.name))
    }

    pub fn type_info(&self, addr: u64) -> Option<&TypeInfo> {
        let i = self.types.binary_search_by_key(&addr, |t| t.addr).ok()?;
        Some(&self.types[i])
    }

    /// Why no object contains `addr`, for the error that says so: a global's address
    /// (copied from a root label) is a root, not an object, and says which one.
    pub fn not_an_object(&self, addr: u64) -> String {
        let ptr = u64::from(self.params.ptr_size.max(1));
        for (name, seg) in [("data", &self.data), ("bss", &self.bss)] {
            let Some(off) = addr.checked_sub(seg.addr).filter(|&o| o < seg.size) else {
                continue;
            };
            let word = off / ptr * ptr;
            let root = self.roots.iter().find(|r| match r.kind {
                RootKind::Data { offset } => name == "data" && offset == word,
                RootKind::Bss { offset } => name == "bss" && offset == word,
                _ => false,
            });
            let what = match root {
                Some(r) => {
                    let start = self.objects.value_addr(r.object);
                    let inside = if start == r.value {
                        String::new()
                    } else {
                        format!(", inside the object at 0x{start:x}")
                    };
                    format!(
                        ", a GC root that points at 0x{:x}{inside}: ask for that address to see what it and other roots hold",
                        r.value
                    )
                }
                None => ", holding no pointer into the heap".into(),
            };
            return format!(
                "0x{addr:x} is not a heap object but a global: {name} segment +0x{off:x}{what}"
            );
        }
        if addr >= self.params.heap_start && addr < self.params.heap_end {
            format!("no object contains address 0x{addr:x}: it lies in the heap's range but in no dumped object (a free slot, or runtime memory that dumps leave out)")
        } else {
            format!("no object contains address 0x{addr:x}: it is outside the heap and the data and bss segments")
        }
    }

    /// `global main.cache+0x8 (bss +0x18, 0x…)` with the executable's symbols (with its
    /// DWARF, `global main.cfg.handlers[2] (…)`), else
    /// `global in bss segment +0x18 (0x…)`.
    fn global_label(&self, segment: &str, seg: &Segment, offset: u64) -> String {
        let at = segment_addr(seg, offset);
        match seg
            .addr
            .checked_add(offset)
            .and_then(|a| self.global_field(a))
        {
            Some(name) => format!("global {name} ({segment} +0x{offset:x}, {at})"),
            None => format!("global in {segment} segment +0x{offset:x} ({at})"),
        }
    }

    /// A label a person understands, e.g. `goroutine 18 · main.worker (frame 1) +0x10`.
    pub fn root_label(&self, kind: &RootKind) -> String {
        match *kind {
            RootKind::Data { offset } => self.global_label("data", &self.data, offset),
            RootKind::Bss { offset } => self.global_label("bss", &self.bss, offset),
            RootKind::Frame { frame, offset } => {
                let f = &self.frames[frame as usize];
                let g = &self.goroutines[f.goroutine as usize];
                match self.frame_var(frame, offset) {
                    Some(var) => format!(
                        "goroutine {} · {} (frame {}) {var}",
                        g.id,
                        self.str(f.func),
                        f.depth
                    ),
                    None => format!(
                        "goroutine {} · {} (frame {}) local +0x{offset:x}",
                        g.id,
                        self.str(f.func),
                        f.depth
                    ),
                }
            }
            RootKind::Finalizer { index, field } => format!(
                "registered finalizer #{index} ({})",
                match field {
                    FinalizerField::Object => "object",
                    FinalizerField::Closure => "closure",
                }
            ),
            RootKind::QueuedFinalizer { index, field } => format!(
                "queued finalizer #{index} ({})",
                match field {
                    FinalizerField::Object => "object",
                    FinalizerField::Closure => "closure",
                }
            ),
            RootKind::Other { description } => format!("other root: {}", self.str(description)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `find` with the page index agrees with a linear scan, on Go-like spans (equal slots
    /// with free gaps) and on layouts no Go span has (mixed sizes in a page, large objects).
    #[test]
    fn find_agrees_with_a_scan() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for case in 0..60 {
            let mut t = ObjectTable::default();
            let mut a = 0x00c0_0000_0000_u64 + rnd(4) * PAGE;
            for _ in 0..400 {
                let size = match case % 3 {
                    0 => [16, 48, 64][rnd(3) as usize],
                    1 => 1 + rnd(300),
                    _ => [8, 16, 20_000, 40_960][rnd(4) as usize],
                };
                if rnd(3) == 0 {
                    a += size * (1 + rnd(4)); // free slots
                }
                t.addr.push(a);
                t.size.push(size);
                a += size;
            }
            t.build_page_index();
            let lo = t.addr[0].saturating_sub(100);
            let hi = a + 100;
            for _ in 0..3000 {
                let q = lo + rnd(hi - lo);
                let expect = (0..t.len())
                    .find(|&i| q >= t.addr[i] && q - t.addr[i] < t.size.get(i))
                    .map(|i| i as ObjectId);
                assert_eq!(t.find(q), expect, "case {case} addr 0x{q:x}");
            }
        }
    }

    /// Objects in the address space's last page (a fuzzed dump's, never Go's): the page
    /// index's sentinel lies past 2^64, and every lookup still finds them.
    #[test]
    fn find_at_the_top_of_the_address_space() {
        let mut t = ObjectTable::default();
        let top = u64::MAX - 63;
        for (a, size) in [(top - PAGE, 32), (top, 16), (top + 32, 31)] {
            t.addr.push(a);
            t.size.push(size);
        }
        t.build_page_index();
        assert!(!t.page_first.is_empty(), "dense enough for the page index");
        assert_eq!(t.find(top - PAGE + 31), Some(0));
        assert_eq!(t.find(top), Some(1));
        assert_eq!(t.find(top + 16), None);
        assert_eq!(t.find(u64::MAX - 1), Some(2));
        assert_eq!(
            t.find(u64::MAX),
            None,
            "the last object ends one byte short"
        );
    }
}
