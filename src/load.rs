//! The pipeline from bytes to an analysed heap, for every front end: feed chunks, then
//! finish. Native callers use [`load_reader`]; the web worker drives [`Loader`] with File
//! slices.

use std::io::Read;

use crate::format::{DecodeError, Decoder};
use crate::heap::{BuildPhase, Heap, HeapBuilder};

/// Streams chunks through the decoder into the heap builder.
pub struct Loader {
    decoder: Decoder,
    builder: HeapBuilder,
    error: Option<DecodeError>,
    total_len: Option<u64>,
    reserved: bool,
    /// Bytes fed so far.
    fed: u64,
}

/// After this many bytes the loader projects the object and pointer counts of the whole dump
/// and reserves its arrays once.
const RESERVE_AFTER: u64 = 32 << 20;

impl Loader {
    /// `total_len`, when known, lets impossible lengths fail at once.
    pub fn new(total_len: Option<u64>) -> Loader {
        Loader {
            decoder: total_len.map_or_else(Decoder::new, Decoder::with_total_len),
            builder: HeapBuilder::new(),
            error: None,
            total_len,
            reserved: false,
            fed: 0,
        }
    }

    /// Feeds the next chunk. After a decode error further input is ignored; the error is
    /// reported by [`Loader::finish`].
    ///
    /// The projection is made when exactly [`RESERVE_AFTER`] bytes have been fed, however
    /// the input is cut into chunks: the worker's are a stream's pieces, whose sizes vary
    /// from run to run, and a reservation made at another point has other sizes, which in
    /// wasm's linear memory can leave other holes (120 MB more memory in one run of five).
    pub fn feed(&mut self, chunk: &[u8]) {
        let to_mark = RESERVE_AFTER.saturating_sub(self.fed);
        if !self.reserved && to_mark > 0 && (to_mark as usize) < chunk.len() {
            let (head, tail) = chunk.split_at(to_mark as usize);
            self.feed_part(head);
            self.feed_part(tail);
        } else {
            self.feed_part(chunk);
        }
    }

    fn feed_part(&mut self, chunk: &[u8]) {
        self.fed += chunk.len() as u64;
        if self.error.is_none() {
            if let Err(e) = self.decoder.feed(chunk, &mut self.builder) {
                self.error = Some(e);
            }
            self.reserve_projected();
        }
    }

    /// Projects the counts of the whole dump from the part read so far
    /// ([`projected_scale`](Self::projected_scale)) and reserves 5 % above it.
    fn reserve_projected(&mut self) {
        let (Some(total), false) = (self.total_len, self.reserved) else {
            return;
        };
        if self.fed < RESERVE_AFTER || self.fed >= total {
            return;
        }
        self.reserved = true;
        self.builder.reserve_scaled(self.projected_scale() * 1.05);
    }

    /// How many times the objects read so far the whole dump probably holds: by the file's
    /// size (objects fill the first ~95 % of most dumps), or by the heap's range when that
    /// is smaller (a dump with a sample per object is half memprof records). 1 without a
    /// total length.
    pub fn projected_scale(&self) -> f64 {
        let read = self.decoder.offset().max(1);
        let by_file = self
            .total_len
            .map_or(1.0, |t| (t as f64 / read as f64).max(1.0));
        match self.builder.heap_range_scale() {
            Some(by_range) => by_file.min(by_range.max(1.0)),
            None => by_file,
        }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.decoder.offset()
    }

    /// Object records decoded so far.
    pub fn objects(&self) -> usize {
        self.builder.objects_so_far()
    }

    /// Heap pointer words kept so far.
    pub fn pointers(&self) -> usize {
        self.builder.pointers_so_far()
    }

    /// True once a decode error has stopped the input.
    pub fn failed(&self) -> Option<&DecodeError> {
        self.error.as_ref()
    }

    /// Ends the input. Errors that leave nothing usable (not a dump, no params) are
    /// returned; any later problem is kept on the heap as `decode_error`, with everything
    /// read before it.
    pub fn finish(mut self, progress: &mut dyn FnMut(BuildPhase)) -> Result<Heap, DecodeError> {
        if self.error.is_none() {
            if let Err(e) = self.decoder.finish(&mut self.builder) {
                self.error = Some(e);
            }
        }
        if let Some(e) = &self.error {
            if !e.is_partial_ok() || self.decoder.records() == 0 {
                return Err(e.clone());
            }
        }
        Ok(self.builder.finish(self.error, progress))
    }
}

/// Reads a whole dump from `r` in 1 MiB chunks (natively, on a second thread, ahead of the
/// decode).
pub fn load_reader(
    r: impl Read + Send,
    total_len: Option<u64>,
) -> std::io::Result<Result<Heap, DecodeError>> {
    let mut loader = Loader::new(total_len);
    read_ahead(r, |chunk| {
        loader.feed(chunk);
        loader.failed().is_none()
    })?;
    Ok(loader.finish(&mut |_| {}))
}

/// Bytes per read of [`read_ahead`].
const READ_CHUNK: usize = 1 << 20;

/// Calls `each` with the successive chunks of `r` until it returns false or `r` ends.
/// Natively a second thread reads the next chunks while `each` works: reading a dump from
/// the page cache costs a third to a half of decoding it, and that time is hidden. Where
/// no thread can be started (and in wasm), it reads between calls.
pub fn read_ahead(
    mut r: impl Read + Send,
    mut each: impl FnMut(&[u8]) -> bool,
) -> std::io::Result<()> {
    /// Fills `buf` as far as `r` goes; 0 at the end.
    fn fill(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            match r.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::sync::mpsc;
        /// Chunks read ahead: enough to ride out a slow read, few enough to stay in cache.
        const READ_BUFFERS: usize = 4;
        let (full_tx, full_rx) =
            mpsc::sync_channel::<std::io::Result<(Vec<u8>, usize)>>(READ_BUFFERS);
        let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
        for _ in 0..READ_BUFFERS {
            let _ = empty_tx.send(vec![0u8; READ_CHUNK]);
        }
        let rr = &mut r;
        let outcome = std::thread::scope(|s| {
            let reader = std::thread::Builder::new().spawn_scoped(s, move || {
                // Ends when the consumer stops taking chunks (its channel closes) or at EOF.
                while let Ok(mut buf) = empty_rx.recv() {
                    let got = fill(rr, &mut buf).map(|n| (buf, n));
                    let last = !matches!(got, Ok((_, n)) if n > 0);
                    if full_tx.send(got).is_err() || last {
                        break;
                    }
                }
            });
            if reader.is_err() {
                return None; // no thread: read in this one, below
            }
            let mut result = Ok(());
            for got in full_rx.iter() {
                match got {
                    Ok((_, 0)) => break,
                    Ok((buf, n)) => {
                        if !each(&buf[..n]) {
                            break;
                        }
                        let _ = empty_tx.send(buf);
                    }
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            drop(empty_tx);
            drop(full_rx);
            Some(result)
        });
        if let Some(result) = outcome {
            return result;
        }
    }
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = fill(&mut r, &mut buf)?;
        if n == 0 || !each(&buf[..n]) {
            return Ok(());
        }
    }
}

/// Decodes an in-memory dump.
pub fn load_bytes(data: &[u8]) -> Result<Heap, DecodeError> {
    let mut loader = Loader::new(Some(data.len() as u64));
    loader.feed(data);
    loader.finish(&mut |_| {})
}

/// Peak bytes the heap build and the core analyses need for a dump with `objects` objects and
/// `pointers` heap pointer words, counted from an empty process. The arithmetic (see
/// ARCHITECTURE.md, "Memory"): decoding keeps 25 B per object and 8 B per pointer word; the
/// graph build adds the sorted object table (21 B + page index), CSR forward and reverse
/// (8 B per object, 8 B per edge) and the address order; the analyses add 36 B per object
/// (dominator work arrays 28, retained sizes 8) at their peak. The bound keeps room for what
/// a wasm allocator cannot reuse: measured peaks (natively 82–99 B per object, in wasm
/// 91–118, at 1.4–2.9 pointers per object) stay below it.
pub fn estimate_peak_bytes(objects: u64, pointers: u64) -> u64 {
    objects
        .saturating_mul(PEAK_BYTES_PER_OBJECT)
        .saturating_add(pointers.saturating_mul(PEAK_BYTES_PER_POINTER))
}

/// See [`estimate_peak_bytes`].
pub const PEAK_BYTES_PER_OBJECT: u64 = 80;
/// See [`estimate_peak_bytes`].
pub const PEAK_BYTES_PER_POINTER: u64 = 10;

/// Reads object contents again, in 1 MiB chunks with the last few kept: what the typing
/// pass needs from a dump that was not kept in memory. Objects reached one after another
/// tend to lie near each other in the file. `read(offset, len)` reads the file itself.
pub struct Chunks<F> {
    read: F,
    cache: Vec<(u64, Vec<u8>)>,
}

impl<F: FnMut(u64, usize) -> Option<Vec<u8>>> Chunks<F> {
    const CHUNK: u64 = 1 << 20;
    const KEEP: usize = 16;

    pub fn new(read: F) -> Chunks<F> {
        Chunks {
            read,
            cache: Vec::new(),
        }
    }

    /// `len` bytes at `offset`, or `None` past the end.
    pub fn get(&mut self, offset: u64, len: usize) -> Option<Vec<u8>> {
        let mut buf = Vec::new();
        self.read_into(offset, len, &mut buf).then_some(buf)
    }

    /// [`get`](Self::get) into a buffer the caller reuses.
    pub fn read_into(&mut self, offset: u64, len: usize, buf: &mut Vec<u8>) -> bool {
        let start = offset - offset % Self::CHUNK;
        let Some(end) = offset.checked_add(len as u64) else {
            return false;
        };
        if end > start + Self::CHUNK {
            // Spans chunks: read it alone.
            return match (self.read)(offset, len).filter(|b| b.len() == len) {
                Some(b) => {
                    *buf = b;
                    true
                }
                None => false,
            };
        }
        let Some(c) = self.chunk(start) else {
            return false;
        };
        let at = (offset - start) as usize;
        match c.get(at..at + len) {
            Some(b) => {
                buf.clear();
                buf.extend_from_slice(b);
                true
            }
            None => false,
        }
    }

    /// The chunk at `start`, read when it is not kept. The least recently used one makes
    /// room: a few chunks (the big arrays' spans, say) are met again and again between
    /// the others.
    fn chunk(&mut self, start: u64) -> Option<&[u8]> {
        match self.cache.iter().position(|c| c.0 == start) {
            Some(i) => {
                let c = self.cache.remove(i);
                self.cache.push(c);
            }
            None => {
                let bytes = (self.read)(start, Self::CHUNK as usize)?;
                if self.cache.len() == Self::KEEP {
                    self.cache.remove(0);
                }
                self.cache.push((start, bytes));
            }
        }
        self.cache.last().map(|c| c.1.as_slice())
    }

    /// Whether the chunk holding `offset` is in memory.
    pub fn holds(&self, offset: u64) -> bool {
        let start = offset - offset % Self::CHUNK;
        self.cache.iter().any(|c| c.0 == start)
    }
}

#[cfg(test)]
mod chunk_tests {
    #[test]
    fn chunks_read_within_and_across_chunk_boundaries() {
        let data: Vec<u8> = (0..3 << 20).map(|i: u32| (i % 251) as u8).collect();
        let mut reads = 0;
        let mut c = super::Chunks::new(|off: u64, len: usize| {
            reads += 1;
            let s = off as usize;
            Some(data[s..(s + len).min(data.len())].to_vec())
        });
        assert_eq!(c.get(10, 4), Some(data[10..14].to_vec()));
        assert_eq!(c.get(1000, 8), Some(data[1000..1008].to_vec()));
        let edge = (1 << 20) - 2;
        assert_eq!(
            c.get(edge, 4),
            Some(data[edge as usize..edge as usize + 4].to_vec())
        );
        assert_eq!(c.get((3 << 20) - 2, 4), None, "past the end");
        drop(c);
        assert_eq!(
            reads, 3,
            "one chunk read, one straddling read, one past the end"
        );
    }

    #[test]
    fn read_ahead_gives_every_byte_in_order_stops_when_asked_and_reports_errors() {
        use super::{read_ahead, READ_CHUNK};
        let data: Vec<u8> = (0..(3 * READ_CHUNK + 12345))
            .map(|i| (i * 7 + i / 251) as u8)
            .collect();
        let mut got = Vec::new();
        read_ahead(std::io::Cursor::new(&data), |c| {
            got.extend_from_slice(c);
            true
        })
        .unwrap();
        assert_eq!(got, data);

        let mut calls = 0;
        read_ahead(std::io::Cursor::new(&data), |_| {
            calls += 1;
            false
        })
        .unwrap();
        assert_eq!(calls, 1, "no chunk after the consumer said stop");

        /// A megabyte, then a read error.
        struct Failing(usize);
        impl std::io::Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Err(std::io::Error::other("disk gone"));
                }
                let n = buf.len().min(self.0);
                self.0 -= n;
                Ok(n)
            }
        }
        let mut before = 0;
        let e = read_ahead(Failing(READ_CHUNK), |c| {
            before += c.len();
            true
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "disk gone");
        assert!(before <= READ_CHUNK);
    }
}

#[cfg(test)]
mod projection_tests {
    use super::Loader;
    use crate::format::writer::DumpWriter;

    /// A dump whose second half is memprof records, as with `MemProfileRate = 1`: halfway
    /// through its objects, the file's size projects four times the objects read, twice
    /// too many; the heap's range bounds the projection near the truth.
    #[test]
    fn the_heap_range_bounds_a_projection_a_memprof_section_inflates() {
        const HEAP: u64 = 0xc0_0000_0000;
        let n = 4096u64;
        let mut w = DumpWriter::new(8, HEAP, HEAP + n * 16 + 4096);
        let mut half = 0;
        for i in 0..n {
            if i == n / 2 {
                half = w.len();
            }
            w.object(HEAP + i * 16, &[i, 0], &[]);
        }
        let objects_end = w.len();
        let func = "main.(*parser).parseSomethingWithAVeryLongGeneratedName".repeat(2);
        let mut id = 1;
        while w.len() < 2 * objects_end {
            w.memprof(id, 16, &[(func.as_str(), "/src/main/parser.go", id)], 1, 0);
            id += 1;
        }
        w.eof();
        let bytes = w.finish();
        let mut loader = Loader::new(Some(bytes.len() as u64));
        loader.feed(&bytes[..half]);
        let by_file = bytes.len() as f64 / half as f64;
        let scale = loader.projected_scale();
        assert!(by_file > 3.5, "the file projects {by_file}x");
        assert!(
            (2.0..2.3).contains(&scale),
            "projected {scale}x, the truth is 2x"
        );
    }

    /// The arrays are reserved once, projected from exactly the first 32 MiB, however the
    /// input is cut: the worker feeds a stream's pieces, whose sizes vary from run to run.
    /// Objects grow in size along the dump, so a projection from any other point would
    /// reserve another capacity.
    #[test]
    fn the_reservation_is_the_same_however_the_input_is_cut() {
        const HEAP: u64 = 0xc0_0000_0000;
        let n = 1_200_000u64;
        let mut w = DumpWriter::new(8, HEAP, HEAP + n * 64);
        for i in 0..n {
            let words = 1 + (i * 6 / n) as usize; // 8 to 48 bytes
            w.object(HEAP + i * 64, &vec![i; words], &[]);
        }
        w.eof();
        let bytes = w.finish();
        let cut = 40 << 20;
        assert!(bytes.len() > cut, "{} bytes", bytes.len());
        let capacity = |piece: usize| {
            let mut loader = Loader::new(Some(bytes.len() as u64));
            for chunk in bytes[..cut].chunks(piece) {
                loader.feed(chunk);
            }
            loader.builder.object_capacity()
        };
        let whole = capacity(cut);
        assert!(whole > 0);
        for piece in [1 << 20, 7919, 3 << 20, 33 << 20] {
            assert_eq!(capacity(piece), whole, "pieces of {piece} bytes");
        }
    }
}
