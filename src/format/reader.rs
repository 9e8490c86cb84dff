//! Parses one record from a byte slice that may hold only part of it.
//!
//! The parser either returns a whole record and its length, says how many bytes (counted
//! from the record's start) it needs at least before it can say more, or names a problem.

use super::error::ErrorKind;
use super::record::*;

pub(crate) enum Fail {
    /// The slice ends inside the record; at least `need` bytes from the record start are needed.
    Incomplete { need: u64 },
    /// The bytes are invalid; `at` is the position in the slice.
    Bad { kind: ErrorKind, at: usize },
}

/// Which params layout the header announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `go1.5 heap dump` / `go1.6 heap dump`: params field 5 is a numeric arch code.
    Go15,
    /// `go1.7 heap dump`, written by Go 1.7 through 1.27.
    Go17,
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    /// Bytes of input from `data[0]` to the end of the whole input, when that is known.
    remaining: Option<u64>,
    /// Absolute offset of `data[0]`.
    base: u64,
}

impl<'a> Cursor<'a> {
    #[inline(always)]
    fn uv(&mut self) -> Result<u64, Fail> {
        let d = &self.data[self.pos..];
        if let Some(&b) = d.first() {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
        }
        // Ten bytes available: decode without a bounds check per byte.
        if let Some(w) = d.get(..10) {
            let mut v = 0u64;
            for (i, &b) in w.iter().enumerate() {
                if i == 9 && b > 1 {
                    break;
                }
                v |= u64::from(b & 0x7f) << (7 * i);
                if b < 0x80 {
                    self.pos += i + 1;
                    return Ok(v);
                }
            }
            return Err(Fail::Bad {
                kind: ErrorKind::VarintOverflow,
                at: self.pos,
            });
        }
        self.uv_slow()
    }

    #[cold]
    fn uv_slow(&mut self) -> Result<u64, Fail> {
        let d = &self.data[self.pos..];
        let mut v = 0u64;
        let mut shift = 0u32;
        for i in 0..10 {
            let Some(&b) = d.get(i) else {
                return Err(Fail::Incomplete {
                    need: (self.pos + i + 1) as u64,
                });
            };
            if i == 9 && b > 1 {
                break;
            }
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                self.pos += i + 1;
                return Ok(v);
            }
            shift += 7;
        }
        Err(Fail::Bad {
            kind: ErrorKind::VarintOverflow,
            at: self.pos,
        })
    }

    fn boolean(&mut self) -> Result<bool, Fail> {
        let at = self.pos;
        match self.uv()? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(Fail::Bad {
                kind: ErrorKind::InvalidBool(v),
                at,
            }),
        }
    }

    /// A length-prefixed byte range.
    #[inline(always)]
    fn bytes(&mut self) -> Result<&'a [u8], Fail> {
        let at = self.pos;
        let len = self.uv()?;
        if let Some(total) = self.remaining {
            let left = total.saturating_sub(self.pos as u64);
            if len > left {
                return Err(Fail::Bad {
                    kind: ErrorKind::LengthBeyondInput {
                        declared: len,
                        remaining: left,
                    },
                    at,
                });
            }
        }
        let avail = (self.data.len() - self.pos) as u64;
        if len > avail {
            return Err(Fail::Incomplete {
                need: (self.pos as u64).saturating_add(len),
            });
        }
        let s = &self.data[self.pos..self.pos + len as usize];
        self.pos += len as usize;
        Ok(s)
    }

    fn field_list(&mut self) -> Result<FieldList<'a>, Fail> {
        let start = self.pos;
        loop {
            // Fast path: a pointer entry with a one-byte offset (most objects are small).
            while let [1, off, ..] = self.data[self.pos..] {
                if off >= 0x80 {
                    break;
                }
                self.pos += 2;
            }
            let at = self.pos;
            match self.uv()? {
                0 => break,
                1..=3 => {
                    self.uv()?;
                }
                k => {
                    return Err(Fail::Bad {
                        kind: ErrorKind::InvalidFieldKind(k),
                        at,
                    })
                }
            }
        }
        Ok(FieldList {
            raw: &self.data[start..self.pos],
        })
    }

    fn finalizer(&mut self) -> Result<Finalizer, Fail> {
        Ok(Finalizer {
            object: self.uv()?,
            closure: self.uv()?,
            code: self.uv()?,
            arg_type: self.uv()?,
            object_type: self.uv()?,
        })
    }

    fn segment(&mut self) -> Result<Segment<'a>, Fail> {
        let addr = self.uv()?;
        let contents = self.bytes()?;
        let contents_offset = self.base + (self.pos - contents.len()) as u64;
        let fields = self.field_list()?;
        Ok(Segment {
            addr,
            contents,
            contents_offset,
            fields,
        })
    }
}

/// Parses the record at the start of `data`. `remaining` is the number of input bytes from
/// `data[0]` to the end of the input when known (it turns "wait for more" into an error for
/// lengths that cannot fit). `base` is the absolute offset of `data[0]`.
pub(crate) fn parse_record(
    data: &[u8],
    remaining: Option<u64>,
    base: u64,
    layout: Layout,
) -> Result<(Record<'_>, usize), Fail> {
    let mut c = Cursor {
        data,
        pos: 0,
        remaining,
        base,
    };
    let tag = c.uv()?;
    let rec = match tag {
        0 => Record::Eof,
        1 => {
            let addr = c.uv()?;
            let contents = c.bytes()?;
            let contents_offset = base + (c.pos - contents.len()) as u64;
            let fields = c.field_list()?;
            Record::Object(Object {
                addr,
                contents,
                contents_offset,
                fields,
            })
        }
        2 => Record::OtherRoot(OtherRoot {
            description: c.bytes()?,
            addr: c.uv()?,
        }),
        3 => Record::Type(TypeRecord {
            addr: c.uv()?,
            size: c.uv()?,
            name: c.bytes()?,
            indirect: c.boolean()?,
        }),
        4 => Record::Goroutine(Goroutine {
            addr: c.uv()?,
            sp: c.uv()?,
            id: c.uv()?,
            gopc: c.uv()?,
            status: c.uv()?,
            system: c.boolean()?,
            background: c.boolean()?,
            wait_since: c.uv()?,
            wait_reason: c.bytes()?,
            ctxt: c.uv()?,
            m: c.uv()?,
            defer_top: c.uv()?,
            panic_top: c.uv()?,
        }),
        5 => {
            let sp = c.uv()?;
            let depth = c.uv()?;
            let child_sp = c.uv()?;
            let contents = c.bytes()?;
            Record::StackFrame(StackFrame {
                sp,
                depth,
                child_sp,
                contents,
                entry_pc: c.uv()?,
                pc: c.uv()?,
                cont_pc: c.uv()?,
                name: c.bytes()?,
                fields: c.field_list()?,
            })
        }
        6 => {
            let big_endian = c.boolean()?;
            let at = c.pos;
            let ptr_size = c.uv()?;
            if ptr_size != 4 && ptr_size != 8 {
                return Err(Fail::Bad {
                    kind: ErrorKind::BadPointerSize(ptr_size),
                    at,
                });
            }
            let heap_start = c.uv()?;
            let heap_end = c.uv()?;
            let arch = match layout {
                Layout::Go15 => Arch::Code(c.uv()?),
                Layout::Go17 => Arch::Name(c.bytes()?),
            };
            Record::Params(Params {
                big_endian,
                ptr_size,
                heap_start,
                heap_end,
                arch,
                version: c.bytes()?,
                ncpu: c.uv()?,
            })
        }
        7 => Record::Finalizer(c.finalizer()?),
        8 => Record::Itab(Itab {
            addr: c.uv()?,
            typ: c.uv()?,
        }),
        9 => Record::OsThread(OsThread {
            addr: c.uv()?,
            id: c.uv()?,
            os_id: c.uv()?,
        }),
        10 => {
            let start = c.pos;
            for _ in 0..MEMSTATS_LEN {
                c.uv()?;
            }
            Record::MemStats(MemStats {
                raw: &data[start..c.pos],
            })
        }
        11 => Record::QueuedFinalizer(c.finalizer()?),
        12 => Record::Data(c.segment()?),
        13 => Record::Bss(c.segment()?),
        14 => Record::Defer(Defer {
            addr: c.uv()?,
            gp: c.uv()?,
            argp: c.uv()?,
            pc: c.uv()?,
            closure: c.uv()?,
            code: c.uv()?,
            link: c.uv()?,
        }),
        15 => Record::Panic(Panic {
            addr: c.uv()?,
            gp: c.uv()?,
            arg_type: c.uv()?,
            arg_data: c.uv()?,
            defer: c.uv()?,
            link: c.uv()?,
        }),
        16 => {
            let id = c.uv()?;
            let size = c.uv()?;
            let at = c.pos;
            let count = c.uv()?;
            let too_many = || Fail::Bad {
                kind: ErrorKind::TooManyFrames { declared: count },
                at,
            };
            if count > u64::from(u32::MAX) {
                return Err(too_many());
            }
            // Each frame takes at least 3 bytes (two empty strings and a line). A count the
            // rest of the input cannot hold is reported where the input runs out, after the
            // frames that are there: a problem inside them comes first, as it must when the
            // input's length is unknown and the frames arrive a chunk at a time.
            let cap = remaining.map(|r| r.saturating_sub(c.pos as u64) / 3);
            let whole = remaining.is_some_and(|r| data.len() as u64 >= r);
            let start = c.pos;
            for _ in 0..count {
                let frame = (|| {
                    c.bytes()?;
                    c.bytes()?;
                    c.uv()
                })();
                match frame {
                    Ok(_) => {}
                    Err(Fail::Incomplete { .. }) if whole && cap.is_some_and(|cap| count > cap) => {
                        return Err(too_many())
                    }
                    Err(e) => return Err(e),
                }
            }
            let frames = MemProfFrames {
                raw: &data[start..c.pos],
                count: count as usize,
            };
            Record::MemProf(MemProf {
                id,
                size,
                frames,
                allocs: c.uv()?,
                frees: c.uv()?,
            })
        }
        17 => Record::AllocSample(AllocSample {
            addr: c.uv()?,
            bucket: c.uv()?,
        }),
        t => {
            return Err(Fail::Bad {
                kind: ErrorKind::UnknownTag(t),
                at: 0,
            })
        }
    };
    Ok((rec, c.pos))
}

/// The tag at the start of a partial record, when its varint is complete.
pub(crate) fn peek_tag(data: &[u8]) -> Option<u64> {
    let mut c = Cursor {
        data,
        pos: 0,
        remaining: None,
        base: 0,
    };
    c.uv().ok()
}
