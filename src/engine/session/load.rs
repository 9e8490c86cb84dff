//! Reading a dump from its file in slices and analysing it, with progress and within a
//! memory limit: a dump too large for the tab is refused with the numbers instead of
//! crashing it.

use crate::analysis::{Analysis, AnalysisPhase};
use crate::engine::protocol::Progress;
use crate::format::DecodeError;
use crate::heap::BuildPhase;
use crate::load::{Chunks, Loader};

/// Random access to the dump's bytes.
#[allow(clippy::len_without_is_empty)]
pub trait ByteSource {
    /// Up to `len` bytes at `offset` (fewer at the end of the input).
    fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, String>;
    fn size(&self) -> u64;
}

/// The dump read again a chunk at a time, a few chunks kept: object contents for typing,
/// field paths, the inspector and exports, which the load did not keep.
pub fn reread(src: &dyn ByteSource) -> Chunks<impl FnMut(u64, usize) -> Option<Vec<u8>> + '_> {
    Chunks::new(move |off, len| src.read(off, len).ok())
}

/// A [`ByteSource`] as the stream `object` reads an executable from, a piece at a time
/// ([`crate::exe::Executable::parse_from`]).
///
/// `object` reads each symbol name on its own, a few hundred bytes at a time: reads are
/// served from one 256 KiB block, so a `File` is not sliced once per name.
pub struct SourceReader<'a> {
    src: &'a dyn ByteSource,
    pos: u64,
    block: (u64, Vec<u8>),
}

const READ_BLOCK: usize = 256 << 10;

impl<'a> SourceReader<'a> {
    pub fn new(src: &'a dyn ByteSource) -> SourceReader<'a> {
        SourceReader {
            src,
            pos: 0,
            block: (0, Vec::new()),
        }
    }
}

impl object::ReadCacheOps for SourceReader<'_> {
    fn len(&mut self) -> Result<u64, ()> {
        Ok(self.src.size())
    }

    fn seek(&mut self, pos: u64) -> Result<u64, ()> {
        self.pos = pos;
        Ok(pos)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ()> {
        if buf.len() >= READ_BLOCK {
            // A section: read it as it is.
            let b = self.src.read(self.pos, buf.len()).map_err(|_| ())?;
            buf[..b.len()].copy_from_slice(&b);
            self.pos += b.len() as u64;
            return Ok(b.len());
        }
        let (start, data) = &self.block;
        let inside = self.pos >= *start && self.pos + buf.len() as u64 <= start + data.len() as u64;
        if !inside {
            self.block = (
                self.pos,
                self.src.read(self.pos, READ_BLOCK).map_err(|_| ())?,
            );
        }
        let (start, data) = &self.block;
        let at = (self.pos - start) as usize;
        let n = buf.len().min(data.len().saturating_sub(at));
        buf[..n].copy_from_slice(&data[at..at + n]);
        self.pos += n as u64;
        Ok(n)
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ()> {
        match self.read(buf)? {
            n if n == buf.len() => Ok(()),
            _ => Err(()),
        }
    }
}

/// A dump in memory (tests).
pub struct SliceSource<'a>(pub &'a [u8]);

impl ByteSource for SliceSource<'_> {
    fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, String> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.0.len());
        let end = start.saturating_add(len).min(self.0.len());
        Ok(self.0[start..end].to_vec())
    }
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
}

/// Bytes read per slice while loading.
pub const CHUNK: usize = 4 << 20;

/// Share of the progress bar each stage takes (decode is I/O bound and the longest).
const DECODE_SHARE: f64 = 0.6;
const BUILD_SHARE: f64 = 0.15;

/// wasm32 linear memory can grow to 4 GiB; the analysis may use what is not in use yet.
pub const WASM32_MAX_MEMORY: u64 = 4 << 30;

/// What a new analysis may use in wasm32: 4 GiB less the `in_use` bytes of linear memory
/// the worker already holds (it never shrinks; freed memory is reused inside it).
pub fn memory_limit(in_use: u64) -> u64 {
    WASM32_MAX_MEMORY.saturating_sub(in_use)
}

/// Progress is posted at most this often (milliseconds), plus at every phase change.
pub const PROGRESS_EVERY_MS: f64 = 60.0;

/// Rate-limits progress: a report passes at a new phase or [`PROGRESS_EVERY_MS`] after the
/// last one that passed.
pub struct Throttle {
    last_post: f64,
    last_phase: String,
}

impl Default for Throttle {
    fn default() -> Throttle {
        Throttle {
            last_post: f64::NEG_INFINITY,
            last_phase: String::new(),
        }
    }
}

impl Throttle {
    /// Whether `p`, reported at `now` (milliseconds), is posted.
    pub fn pass(&mut self, p: &Progress, now: f64) -> bool {
        if p.phase != self.last_phase || now - self.last_post >= PROGRESS_EVERY_MS {
            self.last_post = now;
            self.last_phase.clone_from(&p.phase);
            true
        } else {
            false
        }
    }
}

/// `post` behind a [`Throttle`]: what a load reports, rate-limited.
pub fn throttled<'a>(
    now: &'a dyn Fn() -> f64,
    post: &'a mut dyn FnMut(Progress),
) -> impl FnMut(Progress) + 'a {
    let mut throttle = Throttle::default();
    move |p: Progress| {
        if throttle.pass(&p, now()) {
            post(p);
        }
    }
}

/// Reads a dump from `src` chunk by chunk and analyses it, reporting progress.
/// `now()` returns milliseconds; `report` is called often, it should rate-limit itself.
pub fn load(
    src: &dyn ByteSource,
    now: &dyn Fn() -> f64,
    report: &mut dyn FnMut(Progress),
) -> Result<(Analysis, f64, f64), DecodeError> {
    load_within(src, now, report, None).map_err(|e| match e {
        LoadError::Decode(d) => d,
        LoadError::TooLarge(_) => unreachable!("no memory limit was given"),
    })
}

/// Why a dump was not analysed.
#[derive(Debug)]
pub enum LoadError {
    /// Nothing usable: not a dump, or no params record.
    Decode(DecodeError),
    /// The analysis would need more memory than `limit` allows; the message has the numbers.
    TooLarge(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Decode(e) => write!(f, "{e}"),
            LoadError::TooLarge(m) => f.write_str(m),
        }
    }
}

/// Memory the worker needs beyond the core analyses, per object (class ids, cached row
/// orders, the dominator tree's children).
const SESSION_BYTES_PER_OBJECT: u64 = 24;
/// The decode projects the whole dump's needs once it has read this much.
const PROJECT_AFTER: u64 = 64 << 20;

fn too_large(objects: u64, pointers: u64, limit: u64, projected: bool) -> Option<LoadError> {
    let need = crate::load::estimate_peak_bytes(objects, pointers)
        .saturating_add(objects.saturating_mul(SESSION_BYTES_PER_OBJECT));
    // A projection from the first part of the file gets 10 % of slack before refusing.
    let allowed = if projected { limit + limit / 10 } else { limit };
    (need > allowed).then(|| {
        LoadError::TooLarge(format!(
            "This dump is too large for a browser tab: {}{} objects and {} pointers need about {:.1} MB of memory to analyse, \
             and this tab can give the analysis {:.1} MB. Run `dumpscope serve FILE` instead: the same app, with the \
             analysis in a native dumpscope process on this machine (the dump stays on it).",
            if projected { "by the first part of the file, about " } else { "" },
            objects,
            pointers,
            need as f64 / 1048576.0,
            limit as f64 / 1048576.0
        ))
    })
}

/// [`load`] with a memory limit: `limit` is how many bytes the analysis may use (in the
/// browser: what wasm32 can still grow to). The dump is refused with the numbers, instead of
/// crashing the tab, as soon as its projected needs exceed the limit, and again exactly once
/// decoding has counted every object and pointer.
pub fn load_within(
    src: &dyn ByteSource,
    now: &dyn Fn() -> f64,
    report: &mut dyn FnMut(Progress),
    limit: Option<u64>,
) -> Result<(Analysis, f64, f64), LoadError> {
    let mut job = LoadJob::new(src.size(), limit, now, report);
    while let Some(offset) = job.wants() {
        match src.read(offset, CHUNK) {
            Ok(c) if !c.is_empty() => job.feed(&c, now, report)?,
            // A file that cannot be read further is treated like one cut short here.
            _ => break,
        }
    }
    job.finish(now, report)
}

/// A load driven from outside, a chunk at a time: [`load_within`] reads each chunk and
/// waits for it; the worker reads a stream, so the browser reads the file while the decode
/// runs.
pub struct LoadJob {
    loader: Loader,
    limit: Option<u64>,
    meter: Meter,
}

/// What a load's progress reports are measured against.
#[derive(Clone, Copy)]
struct Meter {
    total: u64,
    /// Bytes fed so far.
    offset: u64,
    start: f64,
}

impl Meter {
    fn progress(
        &self,
        now: &dyn Fn() -> f64,
        phase: &str,
        fraction: f64,
        objects: u64,
    ) -> Progress {
        Progress {
            phase: phase.to_string(),
            fraction: fraction.clamp(0.0, 1.0),
            bytes_read: self.offset,
            total_bytes: self.total,
            objects,
            elapsed_ms: now() - self.start,
        }
    }
}

impl LoadJob {
    /// A load of `total` bytes, within `limit` bytes of memory when there is one.
    pub fn new(
        total: u64,
        limit: Option<u64>,
        now: &dyn Fn() -> f64,
        report: &mut dyn FnMut(Progress),
    ) -> LoadJob {
        let meter = Meter {
            total,
            offset: 0,
            start: now(),
        };
        report(meter.progress(now, "decode", 0.0, 0));
        LoadJob {
            loader: Loader::new(Some(total)),
            limit,
            meter,
        }
    }

    /// The offset of the next chunk to feed, or `None` once no more is wanted (the end of
    /// the input, or a decode error).
    pub fn wants(&self) -> Option<u64> {
        let Meter { offset, total, .. } = self.meter;
        (self.loader.failed().is_none() && offset < total).then_some(offset)
    }

    /// Decodes the next chunk of the input (the bytes at [`wants`](Self::wants)).
    pub fn feed(
        &mut self,
        chunk: &[u8],
        now: &dyn Fn() -> f64,
        report: &mut dyn FnMut(Progress),
    ) -> Result<(), LoadError> {
        self.meter.offset += chunk.len() as u64;
        self.loader.feed(chunk);
        let Meter { offset, total, .. } = self.meter;
        let fraction = DECODE_SHARE * offset as f64 / total.max(1) as f64;
        report(
            self.meter
                .progress(now, "decode", fraction, self.loader.objects() as u64),
        );
        if self.loader.failed().is_some() {
            return Ok(());
        }
        if let Some(limit) = self.limit {
            if offset >= PROJECT_AFTER && offset < total {
                let scale = self.loader.projected_scale();
                let objects = (self.loader.objects() as f64 * scale) as u64;
                let pointers = (self.loader.pointers() as f64 * scale) as u64;
                if let Some(e) = too_large(objects, pointers, limit, true) {
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Builds the heap from what was fed and analyses it: the analysis and the decode and
    /// analysis times in milliseconds.
    pub fn finish(
        self,
        now: &dyn Fn() -> f64,
        report: &mut dyn FnMut(Progress),
    ) -> Result<(Analysis, f64, f64), LoadError> {
        let LoadJob {
            loader,
            limit,
            meter,
        } = self;
        let objects = loader.objects() as u64;
        if let Some(limit) = limit {
            if let Some(e) = too_large(objects, loader.pointers() as u64, limit, false) {
                return Err(e);
            }
        }
        let heap = loader
            .finish(&mut |phase| {
                let (name, f) = match phase {
                    BuildPhase::Sort => ("sort objects", 0.0),
                    BuildPhase::Resolve => ("resolve pointers", 0.33),
                    BuildPhase::Graph => ("build graph", 0.66),
                };
                report(meter.progress(now, name, DECODE_SHARE + BUILD_SHARE * f, objects));
            })
            .map_err(LoadError::Decode)?;
        let decoded = now();
        let base = DECODE_SHARE + BUILD_SHARE;
        let a = Analysis::with_progress(heap, &mut |phase, done, t| {
            let (name, lo, hi) = match phase {
                AnalysisPhase::Dominators => ("dominators", 0.0, 0.85),
                AnalysisPhase::RetainedSizes => ("retained sizes", 0.85, 1.0),
            };
            let f = lo + (hi - lo) * (done as f64 / t.max(1) as f64);
            report(meter.progress(now, name, base + (1.0 - base) * f, objects));
        });
        let end = now();
        Ok((a, decoded - meter.start, end - decoded))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn truncated_dumps_load_with_a_warning_and_bad_files_fail() {
        let bytes = fixture("basic-go1.27.dump");
        let cut = &bytes[..bytes.len() * 6 / 10];
        let s = open(cut);
        let summary = s.summary();
        assert!(summary.objects > 0);
        assert!(summary.decode_error.is_some());
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
        let e = load(&SliceSource(png), &|| 0.0, &mut |_| {})
            .err()
            .expect("fails");
        assert!(e.to_string().contains("PNG"), "{e}");
    }

    #[test]
    fn a_dump_over_the_memory_limit_is_refused_with_numbers() {
        let bytes = fixture("basic-go1.27.dump");
        let full = open(&bytes);
        let objects = full.a.heap.counts.object_records;
        // Needs: every object at the per-object cost, plus its pointers.
        let need_at_least =
            objects * (crate::load::PEAK_BYTES_PER_OBJECT + SESSION_BYTES_PER_OBJECT);
        let limit = need_at_least / 2;
        let e = load_within(&SliceSource(&bytes), &|| 0.0, &mut |_| {}, Some(limit))
            .err()
            .expect("refused");
        let LoadError::TooLarge(m) = &e else {
            panic!("{e}")
        };
        // Counted while decoding, so span-tail records are still included.
        assert!(
            m.contains(&format!("{} objects", full.a.heap.counts.object_records)),
            "{m}"
        );
        assert!(
            m.contains(&format!("{:.1} MB", limit as f64 / 1048576.0)),
            "{m}"
        );
        // It says what to do instead.
        assert!(m.contains("`dumpscope serve FILE`"), "{m}");
        // With room to spare the same dump loads.
        assert!(load_within(&SliceSource(&bytes), &|| 0.0, &mut |_| {}, Some(1 << 30)).is_ok());
    }

    #[test]
    fn a_load_job_fed_in_odd_pieces_matches_a_load_read_in_chunks() {
        // The worker feeds whatever pieces a stream gives; records straddle every cut.
        let bytes = fixture("basic-go1.27.dump");
        let (whole, _, _) =
            load_within(&SliceSource(&bytes), &|| 0.0, &mut |_| {}, None).expect("loads");
        let mut phases = Vec::new();
        let mut report = |p: Progress| phases.push(p.phase);
        let mut job = LoadJob::new(bytes.len() as u64, None, &|| 0.0, &mut report);
        let mut at = 0;
        for len in [1usize, 7, 4096, 13].into_iter().cycle() {
            let Some(offset) = job.wants() else { break };
            assert_eq!(offset, at as u64);
            let end = (at + len).min(bytes.len());
            job.feed(&bytes[at..end], &|| 0.0, &mut report)
                .expect("fits");
            at = end;
        }
        assert_eq!(at, bytes.len());
        let (pieces, _, _) = job.finish(&|| 0.0, &mut report).expect("loads");
        assert_eq!(pieces.heap.objects.addr, whole.heap.objects.addr);
        assert_eq!(pieces.heap.pointer_edges, whole.heap.pointer_edges);
        assert_eq!(pieces.retained, whole.retained);
        assert_eq!(phases.first().map(String::as_str), Some("decode"));
        assert_eq!(phases.last().map(String::as_str), Some("retained sizes"));
        // A job whose input breaks wants nothing more.
        let mut job = LoadJob::new(100, None, &|| 0.0, &mut |_| {});
        job.feed(b"not a heap dump at all", &|| 0.0, &mut |_| {})
            .expect("a decode error is not a refusal");
        assert_eq!(job.wants(), None);
        assert!(job.finish(&|| 0.0, &mut |_| {}).is_err());
    }

    #[test]
    fn progress_passes_at_each_phase_and_every_60_ms() {
        let p = |phase: &str| Progress {
            phase: phase.into(),
            fraction: 0.0,
            bytes_read: 0,
            total_bytes: 0,
            objects: 0,
            elapsed_ms: 0.0,
        };
        let mut t = Throttle::default();
        assert!(t.pass(&p("decode"), 1000.0));
        assert!(!t.pass(&p("decode"), 1059.0));
        assert!(t.pass(&p("decode"), 1060.0));
        assert!(t.pass(&p("sort objects"), 1061.0));
        assert!(!t.pass(&p("sort objects"), 1062.0));
    }

    #[test]
    fn the_memory_limit_is_what_wasm32_can_still_give() {
        assert_eq!(memory_limit(0), 4 << 30);
        assert_eq!(memory_limit(1 << 30), 3 << 30);
        assert_eq!(memory_limit(u64::MAX), 0);
    }
}
