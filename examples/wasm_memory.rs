//! Measures, natively and in seconds, the wasm linear memory the web worker needs for a dump.
//!
//!     cargo run --release --no-default-features --features web --example wasm_memory -- DUMP
//!
//! wasm32 linear memory only grows, so the browser's cost of an analysis is the allocator's
//! high-water mark, holes included, not the bytes live at any moment. This program runs the
//! worker's own pipeline (`session::LoadJob`, then the session with its class table) on
//! the allocator Rust's wasm32 std uses (dlmalloc), fed by a region that grows in 64 KiB
//! pages at one end as `memory.grow` does, and prints the region's size after every phase.
//! The file itself is read through one 1 MiB buffer, as the worker reads a `File`'s stream.
//!
//! With the executable that wrote the dump (a second argument, or `DUMP.exe` beside it, as
//! `make bench` keeps it), the worker's next step follows: the executable read in slices,
//! the heap typed from it, the views named again.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::io::{Read, Seek, SeekFrom};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use dumpscope::engine::session::{self, ByteSource, Session};

/// wasm32 cannot grow past 4 GiB; the simulation reserves a little more to show overshoot.
const REGION: usize = 6 << 30;
const PAGE: usize = 64 << 10;

/// The simulated linear memory: one reserved block handed out from its start, never returned.
struct Linear {
    base: AtomicUsize,
    used: AtomicUsize,
}

static LINEAR: Linear = Linear {
    base: AtomicUsize::new(0),
    used: AtomicUsize::new(0),
};

// SAFETY: hands out disjoint, page-aligned, zeroed pieces of one reservation and never frees.
unsafe impl dlmalloc::Allocator for &'static Linear {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        let mut base = self.base.load(Ordering::Relaxed);
        if base == 0 {
            // Untouched pages of an anonymous mapping cost nothing, as in a browser.
            let p = unsafe { System.alloc_zeroed(Layout::from_size_align(REGION, PAGE).unwrap()) };
            if p.is_null() {
                return (ptr::null_mut(), 0, 0);
            }
            base = p as usize;
            self.base.store(base, Ordering::Relaxed);
        }
        let len = size.div_ceil(PAGE) * PAGE;
        let used = self.used.load(Ordering::Relaxed);
        if used + len > REGION {
            return (ptr::null_mut(), 0, 0);
        }
        self.used.store(used + len, Ordering::Relaxed);
        ((base + used) as *mut u8, len, 0)
    }
    fn remap(&self, _: *mut u8, _: usize, _: usize, _: bool) -> *mut u8 {
        ptr::null_mut()
    }
    fn free_part(&self, _: *mut u8, _: usize, _: usize) -> bool {
        false
    }
    fn free(&self, _: *mut u8, _: usize) -> bool {
        false
    }
    fn can_release_part(&self, _: u32) -> bool {
        false
    }
    fn allocates_zeros(&self) -> bool {
        true
    }
    fn page_size(&self) -> usize {
        PAGE
    }
}

struct Sim(Mutex<()>, UnsafeCell<dlmalloc::Dlmalloc<&'static Linear>>);

// SAFETY: every use of the inner allocator holds the mutex.
unsafe impl Sync for Sim {}

/// Large allocations (size, linear memory after), kept without allocating; with
/// `DS_DEBUG_CAP` set they are printed, and the decode's progress every tenth.
static BIG: [AtomicUsize; 1024] = [const { AtomicUsize::new(0) }; 1024];
static BIG_N: AtomicUsize = AtomicUsize::new(0);
static BIG_SHOWN: AtomicUsize = AtomicUsize::new(0);

fn note_big(size: usize, kind: usize) {
    if size >= 8 << 20 {
        let i = BIG_N.fetch_add(1, Ordering::Relaxed);
        if 2 * i + 1 < BIG.len() {
            BIG[2 * i].store(size | kind << 60, Ordering::Relaxed);
            BIG[2 * i + 1].store(LINEAR.used.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }
}

fn show_big() {
    if std::env::var_os("DS_DEBUG_CAP").is_none() {
        return;
    }
    let n = BIG_N.load(Ordering::Relaxed).min(BIG.len() / 2);
    for i in BIG_SHOWN.swap(n, Ordering::Relaxed)..n {
        let v = BIG[2 * i].load(Ordering::Relaxed);
        let kind = ["alloc", "realloc", "free"][v >> 60];
        let mb = |b: usize| b as f64 / 1048576.0;
        println!(
            "      {kind} {:.1} MiB -> linear {:.1} MiB",
            mb(v & ((1 << 60) - 1)),
            mb(BIG[2 * i + 1].load(Ordering::Relaxed))
        );
    }
}

unsafe impl GlobalAlloc for Sim {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let _n = Noted(l.size(), 0);
        unsafe { (*self.1.get()).malloc(l.size(), l.align()) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let _g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let _n = Noted(l.size(), 0);
        unsafe { (*self.1.get()).calloc(l.size(), l.align()) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        let _g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let _n = Noted(l.size(), 2);
        unsafe { (*self.1.get()).free(p, l.size(), l.align()) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let _g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let _n = Noted(new, 1);
        unsafe { (*self.1.get()).realloc(p, l.size(), l.align(), new) }
    }
}

/// Notes a large allocation once it is done (on drop, inside the lock).
struct Noted(usize, usize);

impl Drop for Noted {
    fn drop(&mut self) {
        note_big(self.0, self.1);
    }
}

#[global_allocator]
static GLOBAL: Sim = Sim(
    Mutex::new(()),
    UnsafeCell::new(dlmalloc::Dlmalloc::new_with_allocator(&LINEAR)),
);

fn linear_mb() -> f64 {
    LINEAR.used.load(Ordering::Relaxed) as f64 / 1048576.0
}

/// A file read in slices, like the worker's `Blob`.
struct FileSource(std::cell::RefCell<std::fs::File>, u64);

impl ByteSource for FileSource {
    fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, String> {
        let mut f = self.0.borrow_mut();
        f.seek(SeekFrom::Start(offset)).map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; len.min((self.1 - offset.min(self.1)) as usize)];
        f.read_exact(&mut buf).map_err(|e| e.to_string())?;
        Ok(buf)
    }
    fn size(&self) -> u64 {
        self.1
    }
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: wasm_memory DUMP [EXECUTABLE]");
    let exe_path = std::env::args()
        .nth(2)
        .or_else(|| Some(format!("{path}.exe")).filter(|p| std::path::Path::new(p).exists()));
    let file = std::fs::File::open(&path).expect("open the dump");
    let size = file.metadata().expect("stat").len();
    let src = FileSource(std::cell::RefCell::new(file), size);
    let start = std::time::Instant::now();
    let now = || start.elapsed().as_secs_f64() * 1000.0;
    let mut last = String::new();
    let mut tenth = 0;
    let mut report = |p: dumpscope::engine::protocol::Progress| {
        let t = (p.bytes_read * 10 / p.total_bytes.max(1)) as i32;
        if std::env::var("DS_DEBUG_CAP").is_ok() && p.phase == "decode" && t > tenth {
            tenth = t;
            println!(
                "  decoded {}0 %: {} objects, linear memory {:.1} MiB",
                t,
                p.objects,
                linear_mb()
            );
        }
        show_big();
        if p.phase != last {
            println!(
                "{:>8.2}s  start {:<18} linear memory {:>8.1} MiB",
                now() / 1000.0,
                p.phase,
                linear_mb()
            );
            last = p.phase;
        }
    };
    // As the worker reads a `File`: as a stream, through one 1 MiB buffer.
    let mut job = session::LoadJob::new(src.1, None, &now, &mut report);
    let mut piece = vec![0u8; 1 << 20];
    while job.wants().is_some() {
        let n = src.0.borrow_mut().read(&mut piece).expect("read the dump");
        if n == 0 {
            break;
        }
        job.feed(&piece[..n], &now, &mut report).expect("load");
    }
    drop(piece);
    let (a, _, _) = job.finish(&now, &mut report).expect("load");
    let (objects, edges) = (a.heap.objects.len(), a.heap.pointer_edges as usize);
    println!(
        "{:>8.2}s  analysed{:<21} linear memory {:>8.1} MiB",
        now() / 1000.0,
        "",
        linear_mb()
    );
    show_big();
    let mut s = Session::new(path.clone(), a);
    std::hint::black_box(s.summary());
    show_big();
    println!(
        "{:>8.2}s  classes, summary{:<13} linear memory {:>8.1} MiB",
        now() / 1000.0,
        "",
        linear_mb()
    );
    // The first view the app shows after the overview.
    std::hint::black_box(s.leaks());
    show_big();
    let mb = linear_mb();
    println!(
        "{:>8.2}s  leak suspects{:<16} linear memory {:>8.1} MiB",
        now() / 1000.0,
        "",
        mb
    );
    std::hint::black_box(s.flame());
    println!(
        "{:>8.2}s  flame graph{:<18} linear memory {:>8.1} MiB",
        now() / 1000.0,
        "",
        linear_mb()
    );
    let budget = (80 * objects + 8 * edges) as f64 / 1048576.0;
    if let Some(exe_path) = exe_path {
        let before = linear_mb();
        let file = std::fs::File::open(&exe_path).expect("open the executable");
        let len = file.metadata().expect("stat").len();
        let exe_src = FileSource(std::cell::RefCell::new(file), len);
        let exe = dumpscope::exe::Executable::parse_from(session::SourceReader::new(&exe_src))
            .expect("read the executable");
        let parsed = linear_mb();
        println!(
            "{:>8.2}s  executable read{:<14} linear memory {:>8.1} MiB",
            now() / 1000.0,
            "",
            parsed
        );
        show_big();
        s.attach_exe(&exe_path, &exe, &src).expect("attach");
        show_big();
        println!(
            "{:>8.2}s  typed, class table{:<11} linear memory {:>8.1} MiB",
            now() / 1000.0,
            "",
            linear_mb()
        );
        std::hint::black_box(s.summary());
        std::hint::black_box(s.leaks());
        std::hint::black_box(s.flame());
        show_big();
        let typed = linear_mb();
        println!(
            "{:>8.2}s  typed, views named{:<11} linear memory {:>8.1} MiB",
            now() / 1000.0,
            "",
            typed
        );
        println!(
            "the executable added {:.1} MiB: {:.1} to read it, {:.1} to type the heap and name the views ({:.1} B/object)",
            typed - before,
            parsed - before,
            typed - parsed,
            (typed - parsed) * 1048576.0 / objects as f64
        );
    }
    println!(
        "{objects} objects, {edges} edges: {:.1} B/object; budget 80 B/object + 8 B/edge = {budget:.1} MiB ({:.0} %)",
        mb * 1048576.0 / objects as f64,
        100.0 * mb / budget
    );
}
