//! Decoded records, borrowing their byte ranges from the decoder's input.
//!
//! Field lists and memprof frames stay in their encoded form (already validated) and are
//! decoded lazily by iterators, so a record costs no allocation.
//!
//! This is the lower layer of the format module: `reader` parses bytes into these types,
//! and nothing here depends on the parser.

/// Number of uvarints in a memstats record (24 scalars + PauseNs[256] + NumGC).
pub const MEMSTATS_LEN: usize = 281;

/// One record of the dump.
#[derive(Clone, Debug)]
pub enum Record<'a> {
    Eof,
    Object(Object<'a>),
    OtherRoot(OtherRoot<'a>),
    Type(TypeRecord<'a>),
    Goroutine(Goroutine<'a>),
    StackFrame(StackFrame<'a>),
    Params(Params<'a>),
    Finalizer(Finalizer),
    QueuedFinalizer(Finalizer),
    Itab(Itab),
    OsThread(OsThread),
    MemStats(MemStats<'a>),
    Data(Segment<'a>),
    Bss(Segment<'a>),
    Defer(Defer),
    Panic(Panic),
    MemProf(MemProf<'a>),
    AllocSample(AllocSample),
}

/// tag 1. `addr` is the heap slot; `contents` is the whole slot.
#[derive(Clone, Debug)]
pub struct Object<'a> {
    pub addr: u64,
    pub contents: &'a [u8],
    /// Absolute file offset of `contents[0]`, for reading the bytes again later.
    pub contents_offset: u64,
    pub fields: FieldList<'a>,
}

/// tag 2 (declared by the format, never written by any Go release).
#[derive(Clone, Debug)]
pub struct OtherRoot<'a> {
    pub description: &'a [u8],
    pub addr: u64,
}

/// tag 3. Only types reachable from itabs get a record; the same type may repeat.
#[derive(Clone, Debug)]
pub struct TypeRecord<'a> {
    pub addr: u64,
    pub size: u64,
    pub name: &'a [u8],
    pub indirect: bool,
}

/// tag 4.
#[derive(Clone, Debug)]
pub struct Goroutine<'a> {
    pub addr: u64,
    pub sp: u64,
    pub id: u64,
    pub gopc: u64,
    pub status: u64,
    pub system: bool,
    pub background: bool,
    pub wait_since: u64,
    pub wait_reason: &'a [u8],
    pub ctxt: u64,
    pub m: u64,
    pub defer_top: u64,
    pub panic_top: u64,
}

/// tag 5. Belongs to the goroutine record before it.
#[derive(Clone, Debug)]
pub struct StackFrame<'a> {
    pub sp: u64,
    pub depth: u64,
    pub child_sp: u64,
    pub contents: &'a [u8],
    pub entry_pc: u64,
    pub pc: u64,
    pub cont_pc: u64,
    pub name: &'a [u8],
    pub fields: FieldList<'a>,
}

/// tag 6.
#[derive(Clone, Debug)]
pub struct Params<'a> {
    pub big_endian: bool,
    pub ptr_size: u64,
    pub heap_start: u64,
    pub heap_end: u64,
    /// GOARCH; go1.5/go1.6 dumps store a numeric architecture code instead.
    pub arch: Arch<'a>,
    /// Go 1.17+: the runtime version (`go1.27.3`); older: GOEXPERIMENT.
    pub version: &'a [u8],
    pub ncpu: u64,
}

#[derive(Clone, Debug)]
pub enum Arch<'a> {
    Name(&'a [u8]),
    Code(u64),
}

/// tags 7 and 11.
#[derive(Clone, Copy, Debug)]
pub struct Finalizer {
    pub object: u64,
    pub closure: u64,
    pub code: u64,
    pub arg_type: u64,
    pub object_type: u64,
}

/// tag 8.
#[derive(Clone, Copy, Debug)]
pub struct Itab {
    pub addr: u64,
    pub typ: u64,
}

/// tag 9.
#[derive(Clone, Copy, Debug)]
pub struct OsThread {
    pub addr: u64,
    pub id: u64,
    pub os_id: u64,
}

/// tag 10: exactly [`MEMSTATS_LEN`] uvarints, validated.
#[derive(Clone, Debug)]
pub struct MemStats<'a> {
    pub(crate) raw: &'a [u8],
}

impl MemStats<'_> {
    pub fn values(&self) -> [u64; MEMSTATS_LEN] {
        let mut out = [0u64; MEMSTATS_LEN];
        let mut pos = 0;
        for slot in out.iter_mut() {
            let (v, n) = read_uvarint_unchecked(&self.raw[pos..]);
            *slot = v;
            pos += n;
        }
        out
    }
}

/// tags 12 and 13.
#[derive(Clone, Debug)]
pub struct Segment<'a> {
    pub addr: u64,
    pub contents: &'a [u8],
    pub contents_offset: u64,
    pub fields: FieldList<'a>,
}

/// tag 14.
#[derive(Clone, Copy, Debug)]
pub struct Defer {
    pub addr: u64,
    pub gp: u64,
    pub argp: u64,
    pub pc: u64,
    pub closure: u64,
    pub code: u64,
    pub link: u64,
}

/// tag 15.
#[derive(Clone, Copy, Debug)]
pub struct Panic {
    pub addr: u64,
    pub gp: u64,
    pub arg_type: u64,
    pub arg_data: u64,
    pub defer: u64,
    pub link: u64,
}

/// tag 16.
#[derive(Clone, Debug)]
pub struct MemProf<'a> {
    pub id: u64,
    pub size: u64,
    pub frames: MemProfFrames<'a>,
    pub allocs: u64,
    pub frees: u64,
}

/// tag 17.
#[derive(Clone, Copy, Debug)]
pub struct AllocSample {
    pub addr: u64,
    pub bucket: u64,
}

/// Kind of a field-list entry (the `fieldKind*` constants of the runtime).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Ptr,
    Iface,
    Eface,
}

/// A validated, still-encoded field list: `(kind, offset)` pairs up to the end marker.
#[derive(Clone, Copy, Debug)]
pub struct FieldList<'a> {
    pub(crate) raw: &'a [u8],
}

impl<'a> FieldList<'a> {
    pub fn iter(&self) -> FieldIter<'a> {
        FieldIter {
            raw: self.raw,
            pos: 0,
        }
    }

    /// Byte offsets of the words that may hold pointers. Iface and eface entries were
    /// last written by go1.4; should one appear, its first word is reported like a pointer.
    pub fn pointer_offsets(&self) -> impl Iterator<Item = u64> + 'a {
        self.iter().map(|(_, off)| off)
    }

    /// True when the list is empty (a pointer-free object).
    pub fn is_empty(&self) -> bool {
        self.raw.first().is_none_or(|&b| b == 0)
    }
}

/// Iterator over `(kind, offset)`; the list was validated when the record was parsed.
#[derive(Clone, Debug)]
pub struct FieldIter<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl Iterator for FieldIter<'_> {
    type Item = (FieldKind, u64);
    #[inline]
    fn next(&mut self) -> Option<(FieldKind, u64)> {
        let (kind, n) = read_uvarint_unchecked(&self.raw[self.pos..]);
        self.pos += n;
        let kind = match kind {
            1 => FieldKind::Ptr,
            2 => FieldKind::Iface,
            3 => FieldKind::Eface,
            _ => return None,
        };
        let (off, n) = read_uvarint_unchecked(&self.raw[self.pos..]);
        self.pos += n;
        Some((kind, off))
    }
}

/// Reads the pointer-sized word at `offset` of `contents`, or None when it does not fit.
#[inline]
pub fn read_word(contents: &[u8], offset: u64, ptr_size: u8, big_endian: bool) -> Option<u64> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(ptr_size as usize)?;
    let bytes = contents.get(start..end)?;
    Some(if ptr_size == 8 {
        let a: [u8; 8] = bytes.try_into().ok()?;
        if big_endian {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        }
    } else {
        let a: [u8; 4] = bytes.try_into().ok()?;
        u64::from(if big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    })
}

/// One frame of a memprof bucket's allocation stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemProfFrame<'a> {
    pub func: &'a [u8],
    pub file: &'a [u8],
    pub line: u64,
}

/// The validated, still-encoded frames of a memprof bucket.
#[derive(Clone, Copy, Debug)]
pub struct MemProfFrames<'a> {
    pub(crate) raw: &'a [u8],
    pub(crate) count: usize,
}

impl<'a> MemProfFrames<'a> {
    pub fn len(&self) -> usize {
        self.count
    }
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
    pub fn iter(&self) -> impl Iterator<Item = MemProfFrame<'a>> + 'a {
        let raw = self.raw;
        let mut pos = 0usize;
        (0..self.count).map(move |_| {
            let mut string = || {
                let (len, n) = read_uvarint_unchecked(&raw[pos..]);
                pos += n;
                let s = &raw[pos..pos + len as usize];
                pos += len as usize;
                s
            };
            let func = string();
            let file = string();
            let (line, n) = read_uvarint_unchecked(&raw[pos..]);
            pos += n;
            MemProfFrame { func, file, line }
        })
    }
}

/// Reads a varint that the parser validated when it built the record.
#[inline]
fn read_uvarint_unchecked(data: &[u8]) -> (u64, usize) {
    let mut v = 0u64;
    let mut shift = 0u32;
    for (i, &b) in data.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return (v, i + 1);
        }
        shift += 7;
    }
    (v, data.len().min(10))
}
