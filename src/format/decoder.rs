//! The push decoder: feed it chunks of any size, it hands complete records to a sink.
//!
//! Records are parsed straight from the caller's chunk when they lie inside it. Only a
//! record cut by a chunk boundary is copied into an internal carry buffer, which grows by
//! at least doubling between parse attempts, so total work stays linear in the input even
//! when it arrives one byte at a time. The carry buffer never holds more than one record
//! plus the bytes that arrived with it, and grows only as bytes arrive: a record that
//! declares a huge length costs nothing until the bytes exist.

use super::error::{sniff, DecodeError, ErrorKind, RecordPos};
use super::reader::{parse_record, peek_tag, Fail, Layout};
use super::record::Record;

/// Length of the file header.
pub const HEADER_LEN: usize = 16;
/// The header written by Go 1.7 through 1.27.
pub const HEADER_GO17: &[u8; HEADER_LEN] = b"go1.7 heap dump\n";

/// Receives records in file order.
pub trait RecordSink {
    fn record(&mut self, record: &Record<'_>, pos: RecordPos);
}

impl<F: FnMut(&Record<'_>, RecordPos)> RecordSink for F {
    fn record(&mut self, record: &Record<'_>, pos: RecordPos) {
        self(record, pos)
    }
}

/// Streaming decoder state. See the module docs.
#[derive(Debug)]
pub struct Decoder {
    header: [u8; HEADER_LEN],
    header_len: usize,
    layout: Option<Layout>,
    /// Bytes of a record that was cut by a chunk boundary.
    carry: Vec<u8>,
    /// Start of the unparsed bytes in `carry` (records before it were handed out).
    carry_pos: usize,
    /// How many bytes `carry` must hold before parsing it again is worth trying: what the
    /// parser said it needs, and at least twice what the last attempt had.
    need: u64,
    /// Absolute offset of the next unparsed byte (`carry[carry_pos]` while bytes are pending).
    offset: u64,
    /// Index of the next record.
    index: u64,
    total_len: Option<u64>,
    saw_params: bool,
    saw_memstats: bool,
    done: bool,
    /// Bytes fed after the EOF record while the total length is unknown.
    trailing: u64,
    failed: Option<DecodeError>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder {
            header: [0; HEADER_LEN],
            header_len: 0,
            layout: None,
            carry: Vec::new(),
            carry_pos: 0,
            need: 0,
            offset: 0,
            index: 0,
            total_len: None,
            saw_params: false,
            saw_memstats: false,
            done: false,
            trailing: 0,
            failed: None,
        }
    }

    /// A decoder that knows the input's total length, so impossible lengths are reported as
    /// soon as they are read instead of at the end.
    pub fn with_total_len(total_len: u64) -> Decoder {
        Decoder {
            total_len: Some(total_len),
            ..Decoder::new()
        }
    }

    /// Bytes consumed so far (complete records plus the header).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Records decoded so far.
    pub fn records(&self) -> u64 {
        self.index
    }

    /// True once the EOF record has been read.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Which header the input carries, once read.
    pub fn layout(&self) -> Option<Layout> {
        self.layout
    }

    /// Feeds the next chunk. Complete records go to `sink` before this returns. After an
    /// error every later call returns the same error.
    pub fn feed(&mut self, chunk: &[u8], sink: &mut impl RecordSink) -> Result<(), DecodeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let r = self.feed_inner(chunk, sink);
        if let Err(e) = &r {
            self.failed = Some(e.clone());
        }
        r
    }

    /// Declares the end of input: an error unless the EOF record was read.
    pub fn finish(&mut self, sink: &mut impl RecordSink) -> Result<(), DecodeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let r = self.finish_inner(sink);
        if let Err(e) = &r {
            self.failed = Some(e.clone());
        }
        r
    }

    fn feed_inner(
        &mut self,
        mut chunk: &[u8],
        sink: &mut impl RecordSink,
    ) -> Result<(), DecodeError> {
        if self.layout.is_none() {
            let take = (HEADER_LEN - self.header_len).min(chunk.len());
            self.header[self.header_len..self.header_len + take].copy_from_slice(&chunk[..take]);
            self.header_len += take;
            chunk = &chunk[take..];
            if self.header_len < HEADER_LEN {
                return Ok(());
            }
            self.layout = Some(self.check_header()?);
            self.offset = HEADER_LEN as u64;
        }
        // `borrowed`: how many bytes at the end of `carry` were copied from this chunk. When
        // the carried record is done they are handed back, so parsing returns to the chunk
        // itself instead of copying everything through the carry buffer.
        let orig = chunk;
        let mut at = 0usize;
        let mut borrowed = 0usize;
        loop {
            let pending = (self.carry.len() - self.carry_pos) as u64;
            if self.done {
                if pending == 0 && at == orig.len() {
                    return Ok(());
                }
                let Some(t) = self.total_len else {
                    // How much follows is only known at the end: count it, report it then.
                    self.trailing += pending + (orig.len() - at) as u64;
                    self.carry.clear();
                    self.carry_pos = 0;
                    return Ok(());
                };
                return Err(DecodeError {
                    offset: self.offset,
                    record: None,
                    kind: ErrorKind::TrailingData {
                        bytes: t.saturating_sub(self.offset),
                    },
                });
            }
            if pending > 0 {
                // A record cut by a chunk boundary: gather at least `need` bytes first.
                if pending < self.need {
                    if at == orig.len() {
                        return Ok(());
                    }
                    self.reserve_carry(pending);
                    let take = (self.need - pending).min((orig.len() - at) as u64) as usize;
                    self.carry.extend_from_slice(&orig[at..at + take]);
                    at += take;
                    borrowed += take;
                    continue;
                }
                let carry = std::mem::take(&mut self.carry);
                let parsed = self.parse_one(&carry[self.carry_pos..], sink);
                self.carry = carry;
                match parsed? {
                    Some(used) => {
                        self.carry_pos += used;
                        self.need = 0;
                        let left = self.carry.len() - self.carry_pos;
                        if left <= borrowed {
                            // Everything left came from this chunk: give it back.
                            at -= left;
                            borrowed = 0;
                            self.carry.clear();
                            self.carry_pos = 0;
                            if self.carry.capacity() > (1 << 20) {
                                self.carry.shrink_to(1 << 20);
                            }
                        }
                    }
                    // Retry only once the pending bytes have doubled: a record whose end is
                    // unknown (a long field list) is then reparsed O(log n) times.
                    None => self.need = self.need.max(2 * pending),
                }
                continue;
            }
            if at == orig.len() {
                return Ok(());
            }
            match self.parse_one(&orig[at..], sink)? {
                Some(len) => at += len,
                None => {
                    self.carry.clear();
                    self.carry_pos = 0;
                    self.carry.extend_from_slice(&orig[at..]);
                    self.need = self.need.max(2 * (orig.len() - at) as u64);
                    at = orig.len();
                    borrowed = 0;
                }
            }
        }
    }

    /// Sizes the carry buffer once for a long record (a big map's bucket array, a large
    /// slice) instead of doubling through it: in wasm every doubling leaves the old buffer
    /// as a hole in linear memory. The room covers `need` plus half again for the field
    /// list that follows the contents. Only with a known total length, which has already
    /// bounded `need` by the bytes the input really has, so a declared length costs nothing
    /// until its bytes exist.
    fn reserve_carry(&mut self, pending: u64) {
        const LONG: u64 = 1 << 20;
        let Some(total) = self.total_len else {
            return;
        };
        let want = self.need - pending;
        if self.need < LONG || (self.carry.capacity() - self.carry.len()) as u64 >= want {
            return;
        }
        let left = total.saturating_sub(self.offset + pending);
        let room = want.saturating_add(self.need / 2).min(left);
        self.carry.reserve_exact(room as usize);
    }

    /// Parses one record at the start of `data`. Returns its length, or None (and sets
    /// `need`) when `data` holds only part of it.
    fn parse_one(
        &mut self,
        data: &[u8],
        sink: &mut impl RecordSink,
    ) -> Result<Option<usize>, DecodeError> {
        let layout = self.layout.unwrap_or(Layout::Go17);
        let remaining = self.total_len.map(|t| t.saturating_sub(self.offset));
        match parse_record(data, remaining, self.offset, layout) {
            Ok((rec, len)) => {
                let pos = RecordPos {
                    offset: self.offset,
                    index: self.index,
                    tag: Some(tag_of(&rec)),
                };
                self.check_record(&rec, pos)?;
                sink.record(&rec, pos);
                self.offset += len as u64;
                self.index += 1;
                Ok(Some(len))
            }
            Err(Fail::Incomplete { need }) => {
                self.need = need;
                Ok(None)
            }
            Err(Fail::Bad { kind, at }) => Err(DecodeError {
                offset: self.offset + at as u64,
                record: Some(RecordPos {
                    offset: self.offset,
                    index: self.index,
                    tag: peek_tag(data),
                }),
                kind,
            }),
        }
    }

    fn check_header(&self) -> Result<Layout, DecodeError> {
        match &self.header {
            h if h == HEADER_GO17 => Ok(Layout::Go17),
            b"go1.5 heap dump\n" | b"go1.6 heap dump\n" => Ok(Layout::Go15),
            h => Err(DecodeError {
                offset: 0,
                record: None,
                kind: ErrorKind::BadHeader {
                    found: h.to_vec(),
                    looks_like: sniff(h),
                },
            }),
        }
    }

    /// Order rules the record parser cannot see on its own.
    fn check_record(&mut self, rec: &Record<'_>, pos: RecordPos) -> Result<(), DecodeError> {
        let err = |kind| {
            Err(DecodeError {
                offset: pos.offset,
                record: Some(pos),
                kind,
            })
        };
        match rec {
            Record::Params(_) if self.saw_params => return err(ErrorKind::Duplicate("params")),
            Record::Params(_) => self.saw_params = true,
            _ if !self.saw_params => return err(ErrorKind::ParamsNotFirst),
            Record::MemStats(_) if self.saw_memstats => {
                return err(ErrorKind::Duplicate("memstats"))
            }
            Record::MemStats(_) => self.saw_memstats = true,
            Record::Eof => self.done = true,
            _ => {}
        }
        Ok(())
    }

    fn finish_inner(&mut self, sink: &mut impl RecordSink) -> Result<(), DecodeError> {
        if self.layout.is_none() {
            let head = &self.header[..self.header_len];
            // A short input that is not even the start of a header is better described as such.
            if !HEADER_GO17.starts_with(head) {
                return Err(DecodeError {
                    offset: 0,
                    record: None,
                    kind: ErrorKind::BadHeader {
                        found: head.to_vec(),
                        looks_like: sniff(head),
                    },
                });
            }
            return Err(DecodeError {
                offset: 0,
                record: None,
                kind: ErrorKind::ShortHeader {
                    len: self.header_len as u64,
                },
            });
        }
        // Whatever is pending is parsed once more knowing where the input ends: complete
        // records (deferred by the doubling rule) go out, and an over-long length becomes a
        // precise error instead of a generic truncation.
        let end = self.offset + (self.carry.len() - self.carry_pos) as u64;
        self.total_len = Some(end);
        while self.carry_pos < self.carry.len() && !self.done {
            let carry = std::mem::take(&mut self.carry);
            let r = self.parse_one(&carry[self.carry_pos..], sink);
            self.carry = carry;
            match r? {
                Some(used) => self.carry_pos += used,
                None => break,
            }
        }
        if self.done {
            let bytes = self.trailing + (self.carry.len() - self.carry_pos) as u64;
            if bytes > 0 {
                return Err(DecodeError {
                    offset: self.offset,
                    record: None,
                    kind: ErrorKind::TrailingData { bytes },
                });
            }
            return Ok(());
        }
        Err(DecodeError {
            offset: end,
            record: Some(RecordPos {
                offset: self.offset,
                index: self.index,
                tag: peek_tag(&self.carry[self.carry_pos..]),
            }),
            kind: ErrorKind::Truncated,
        })
    }
}

fn tag_of(rec: &Record<'_>) -> u64 {
    match rec {
        Record::Eof => 0,
        Record::Object(_) => 1,
        Record::OtherRoot(_) => 2,
        Record::Type(_) => 3,
        Record::Goroutine(_) => 4,
        Record::StackFrame(_) => 5,
        Record::Params(_) => 6,
        Record::Finalizer(_) => 7,
        Record::Itab(_) => 8,
        Record::OsThread(_) => 9,
        Record::MemStats(_) => 10,
        Record::QueuedFinalizer(_) => 11,
        Record::Data(_) => 12,
        Record::Bss(_) => 13,
        Record::Defer(_) => 14,
        Record::Panic(_) => 15,
        Record::MemProf(_) => 16,
        Record::AllocSample(_) => 17,
    }
}

/// Decodes a whole in-memory input. Convenience for tests and small inputs.
pub fn decode_all(data: &[u8], sink: &mut impl RecordSink) -> Result<(), DecodeError> {
    let mut d = Decoder::with_total_len(data.len() as u64);
    d.feed(data, sink)?;
    d.finish(sink)
}
