//! A heap dump writer, for tests, fuzz seeds and benchmarks: builds small dumps whose
//! every fact is known, in the exact encoding the Go runtime uses.

use super::decoder::HEADER_GO17;
use super::record::MEMSTATS_LEN;

/// Appends records to an in-memory dump. Words inside contents are little-endian with the
/// pointer size given to [`DumpWriter::new`].
#[derive(Clone, Debug)]
pub struct DumpWriter {
    out: Vec<u8>,
    ptr_size: u8,
}

impl DumpWriter {
    /// Starts a dump with the header and a params record (little-endian, `go1.27.3`).
    pub fn new(ptr_size: u8, heap_start: u64, heap_end: u64) -> DumpWriter {
        Self::with_version(ptr_size, heap_start, heap_end, "go1.27.3")
    }

    pub fn with_version(ptr_size: u8, heap_start: u64, heap_end: u64, version: &str) -> DumpWriter {
        let mut w = DumpWriter {
            out: HEADER_GO17.to_vec(),
            ptr_size,
        };
        w.uv(6)
            .uv(0)
            .uv(u64::from(ptr_size))
            .uv(heap_start)
            .uv(heap_end);
        w.string(if ptr_size == 8 { b"amd64" } else { b"386" });
        w.string(version.as_bytes()).uv(2);
        w
    }

    /// A writer with no header at all, for building malformed inputs.
    pub fn raw() -> DumpWriter {
        DumpWriter {
            out: Vec::new(),
            ptr_size: 8,
        }
    }

    pub fn uv(&mut self, mut v: u64) -> &mut Self {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
        self
    }

    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.out.extend_from_slice(b);
        self
    }

    pub fn string(&mut self, s: &[u8]) -> &mut Self {
        self.uv(s.len() as u64);
        self.bytes(s)
    }

    fn fields(&mut self, offsets: &[u64]) -> &mut Self {
        for &o in offsets {
            self.uv(1).uv(o);
        }
        self.uv(0)
    }

    /// Encodes `words` as contents, one pointer-sized word each.
    pub fn words(&self, words: &[u64]) -> Vec<u8> {
        let mut c = Vec::with_capacity(words.len() * self.ptr_size as usize);
        for &w in words {
            if self.ptr_size == 8 {
                c.extend_from_slice(&w.to_le_bytes());
            } else {
                c.extend_from_slice(&(w as u32).to_le_bytes());
            }
        }
        c
    }

    /// An object of `words.len()` words; `ptrs` are word indices that hold pointers.
    pub fn object(&mut self, addr: u64, words: &[u64], ptrs: &[usize]) -> &mut Self {
        let contents = self.words(words);
        let offsets: Vec<u64> = ptrs
            .iter()
            .map(|&i| (i * self.ptr_size as usize) as u64)
            .collect();
        self.object_raw(addr, &contents, &offsets)
    }

    pub fn object_raw(&mut self, addr: u64, contents: &[u8], ptr_offsets: &[u64]) -> &mut Self {
        self.uv(1).uv(addr).string(contents).fields(ptr_offsets)
    }

    pub fn type_record(&mut self, addr: u64, size: u64, name: &str) -> &mut Self {
        self.uv(3).uv(addr).uv(size).string(name.as_bytes()).uv(1)
    }

    pub fn itab(&mut self, addr: u64, typ: u64) -> &mut Self {
        self.uv(8).uv(addr).uv(typ)
    }

    /// A goroutine record; follow it with its frames.
    pub fn goroutine(&mut self, g: GoroutineSpec<'_>) -> &mut Self {
        self.uv(4)
            .uv(g.addr)
            .uv(g.sp)
            .uv(g.id)
            .uv(g.gopc)
            .uv(g.status);
        self.uv(u64::from(g.system))
            .uv(0)
            .uv(0)
            .string(g.wait_reason.as_bytes());
        self.uv(0).uv(0).uv(0).uv(0)
    }

    /// A stack frame whose contents are `words`, pointer words at indices `ptrs`.
    pub fn frame(
        &mut self,
        sp: u64,
        depth: u64,
        child_sp: u64,
        name: &str,
        words: &[u64],
        ptrs: &[usize],
    ) -> &mut Self {
        let contents = self.words(words);
        let offsets: Vec<u64> = ptrs
            .iter()
            .map(|&i| (i * self.ptr_size as usize) as u64)
            .collect();
        self.uv(5).uv(sp).uv(depth).uv(child_sp).string(&contents);
        self.uv(0x401000)
            .uv(0x401010)
            .uv(0x401010)
            .string(name.as_bytes())
            .fields(&offsets)
    }

    pub fn data(&mut self, addr: u64, words: &[u64], ptrs: &[usize]) -> &mut Self {
        self.segment(12, addr, words, ptrs)
    }

    pub fn bss(&mut self, addr: u64, words: &[u64], ptrs: &[usize]) -> &mut Self {
        self.segment(13, addr, words, ptrs)
    }

    fn segment(&mut self, tag: u64, addr: u64, words: &[u64], ptrs: &[usize]) -> &mut Self {
        let contents = self.words(words);
        let offsets: Vec<u64> = ptrs
            .iter()
            .map(|&i| (i * self.ptr_size as usize) as u64)
            .collect();
        self.uv(tag).uv(addr).string(&contents).fields(&offsets)
    }

    pub fn finalizer(&mut self, queued: bool, object: u64, closure: u64) -> &mut Self {
        self.uv(if queued { 11 } else { 7 })
            .uv(object)
            .uv(closure)
            .uv(0x401200)
            .uv(0x4a0000)
            .uv(0x4a0100)
    }

    pub fn osthread(&mut self, addr: u64, id: u64, os_id: u64) -> &mut Self {
        self.uv(9).uv(addr).uv(id).uv(os_id)
    }

    /// A memstats record with the given (index, value) pairs set and every other value 0.
    pub fn memstats(&mut self, set: &[(usize, u64)]) -> &mut Self {
        let mut v = [0u64; MEMSTATS_LEN];
        for &(i, x) in set {
            v[i] = x;
        }
        self.uv(10);
        for x in v {
            self.uv(x);
        }
        self
    }

    /// A memprof bucket; frames are (function, file, line), innermost first.
    pub fn memprof(
        &mut self,
        id: u64,
        size: u64,
        frames: &[(&str, &str, u64)],
        allocs: u64,
        frees: u64,
    ) -> &mut Self {
        self.uv(16).uv(id).uv(size).uv(frames.len() as u64);
        for (func, file, line) in frames {
            self.string(func.as_bytes())
                .string(file.as_bytes())
                .uv(*line);
        }
        self.uv(allocs).uv(frees)
    }

    pub fn alloc_sample(&mut self, addr: u64, bucket: u64) -> &mut Self {
        self.uv(17).uv(addr).uv(bucket)
    }

    pub fn defer(&mut self, addr: u64, gp: u64, link: u64) -> &mut Self {
        self.uv(14)
            .uv(addr)
            .uv(gp)
            .uv(0)
            .uv(0x401300)
            .uv(0)
            .uv(0)
            .uv(link)
    }

    pub fn panic(&mut self, addr: u64, gp: u64, link: u64) -> &mut Self {
        self.uv(15)
            .uv(addr)
            .uv(gp)
            .uv(0x4a0200)
            .uv(0)
            .uv(0)
            .uv(link)
    }

    pub fn eof(&mut self) -> &mut Self {
        self.uv(0)
    }

    pub fn len(&self) -> usize {
        self.out.len()
    }

    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    pub fn finish(&self) -> Vec<u8> {
        self.out.clone()
    }
}

/// The fields of a goroutine record a test cares about.
#[derive(Clone, Copy, Debug)]
pub struct GoroutineSpec<'a> {
    pub addr: u64,
    pub sp: u64,
    pub id: u64,
    pub gopc: u64,
    pub status: u64,
    pub system: bool,
    pub wait_reason: &'a str,
}
