//! No input crashes, hangs or exhausts memory (issue #6):
//!
//! - every crasher the fuzzers found (`tests/fuzz-regressions/TARGET/*`), run through the
//!   same checks as the fuzz target that found it (`fuzz/src/checks.rs`, included here);
//! - length bombs are rejected without allocating more than the input justifies, measured
//!   by a counting allocator in this test binary;
//! - files that are not dumps get a message saying what they look like and what is
//!   expected;
//! - graph extremes from real Go programs (a million-deep list, 100,000 goroutines, a lost
//!   ring of a million objects, an object with 100,000 pointers): every analysis completes
//!   with the exact planted answers. Those dumps are too large to commit: `make extremes`
//!   writes them to `tests/out/extremes/`, and this test writes them the same way when
//!   they are missing (Go from `tests/fixtures/toolchain.sh`).

mod common;

#[allow(dead_code)]
#[path = "../fuzz/src/checks.rs"]
mod checks;
#[allow(dead_code)]
#[path = "../fuzz/src/graph.rs"]
mod graph;
#[allow(dead_code)]
#[path = "../fuzz/src/session.rs"]
mod session_driver;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

use dumpscope::analysis::classes::Classes;
use dumpscope::analysis::{goroutines, leaks, lost, retainers, Analysis};
use dumpscope::format::writer::DumpWriter;
use dumpscope::format::{decode_all, DecodeError, ErrorKind, Record};
use dumpscope::heap::{Heap, ObjectId};
use dumpscope::load::{load_bytes, Loader};
use dumpscope::report::{self, Names};

// ---------------------------------------------------------------- counting allocator

/// Counts the bytes the current thread has allocated while tracking is on: other tests run
/// on other threads at the same time and must not count.
struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    let _ = TRACKING.try_with(|t| {
        if t.get() {
            let live = LIVE.with(|l| {
                l.set(l.get() + delta);
                l.get()
            });
            PEAK.with(|p| p.set(p.get().max(live)));
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Both blocks may exist at once while the bytes are copied.
            note(new_size as isize);
            note(-(layout.size() as isize));
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns the most bytes this thread had allocated at once while it ran.
fn peak_allocated<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LIVE.with(|l| l.set(0));
    PEAK.with(|p| p.set(0));
    TRACKING.with(|t| t.set(true));
    let r = f();
    TRACKING.with(|t| t.set(false));
    (r, PEAK.with(|p| p.get()).max(0) as usize)
}

// ---------------------------------------------------------------- fuzz regressions

fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(d) => d.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// Runs `check` on every committed crasher of a target, naming the file that fails.
fn replay(target: &str, check: impl Fn(&[u8])) -> usize {
    let files = regressions(target);
    for (path, bytes) in &files {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(bytes)));
        assert!(r.is_ok(), "{target} regression {} fails", path.display());
    }
    files.len()
}

#[test]
fn fuzz_regressions_stay_fixed() {
    let mut n = 0;
    n += replay("decode", |d| {
        checks::check_decode(d);
    });
    n += replay("chunked", |d| {
        if d.len() >= 8 {
            let (plan, dump) = d.split_at(8);
            checks::check_chunking(dump, plan.try_into().unwrap());
        }
    });
    n += replay("analysis", checks::check_analysis);
    n += replay("graph", |d| checks::check_analysis(&graph::dump_from(d)));
    // Session crashers are checked by the session test and here as analyses.
    n += replay("session", checks::check_analysis);
    assert!(
        n > 0,
        "no committed regressions found under tests/fuzz-regressions"
    );
}

/// The engine's session (the web worker's and `dumpscope serve`'s) on the session crashers.
#[test]
fn session_fuzz_regressions_stay_fixed() {
    replay("session", session_driver::drive);
    replay("analysis", session_driver::drive);
}

/// The checks themselves on dumps whose answers are known: a fixture and written graphs.
#[test]
fn fuzz_checks_hold_on_known_dumps() {
    let data = common::read("garbage-go1.27.dump");
    checks::check_decode(&data);
    checks::check_chunking(&data, [2, 3, 4, 5, 6, 7, 8, 9]);
    checks::check_analysis(&data);
    for seed in 0..64u64 {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let bytes: Vec<u8> = (0..700)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        checks::check_analysis(&graph::dump_from(&bytes));
    }
}

// ---------------------------------------------------------------- length bombs

const HEAP: u64 = 0xc0_0000_0000;

/// Writes a record's tag and fields up to the length-prefixed one under test.
type RecordPrefix = fn(&mut DumpWriter);

fn writer() -> DumpWriter {
    DumpWriter::new(8, HEAP, HEAP + 0x10000)
}

/// Every way a front end reads `data`: decode_all, the loader with the length known, the
/// loader streaming chunks of 1, 7 and 4096 bytes without it, then the analysis of
/// whatever partial heap comes out. Returns the one-shot decode error.
fn read_every_way(data: &[u8]) -> Option<DecodeError> {
    let one_shot = decode_all(data, &mut |_: &Record<'_>, _| {}).err();
    let mut outcomes = Vec::new();
    for chunk in [None, Some(1), Some(7), Some(4096)] {
        let mut loader = Loader::new(if chunk.is_none() {
            Some(data.len() as u64)
        } else {
            None
        });
        for c in data.chunks(chunk.unwrap_or(data.len()).max(1)) {
            loader.feed(c);
        }
        match loader.finish(&mut |_| {}) {
            Ok(heap) => {
                outcomes.push(heap.decode_error.clone());
                let a = Analysis::new(heap);
                let s = report::summary(&a);
                assert!(s.reachable_objects <= s.objects);
                let _ = leaks::analyse(&a);
            }
            Err(e) => outcomes.push(Some(e)),
        }
    }
    for o in &outcomes {
        assert_eq!(o, &one_shot, "every way of reading gives the same error");
    }
    one_shot
}

/// Asserts that reading `data` every way fails with an error `ok` accepts and allocates at
/// most 16 bytes per input byte plus 1 MiB.
fn assert_bomb_defused(what: &str, data: &[u8], ok: impl Fn(&ErrorKind) -> bool) {
    let (err, peak) = peak_allocated(|| read_every_way(data));
    let err = err.unwrap_or_else(|| panic!("{what}: accepted"));
    assert!(ok(&err.kind), "{what}: unexpected error {err}");
    let limit = 16 * data.len() + (1 << 20);
    if std::env::var_os("ROBUSTNESS_VERBOSE").is_some() {
        eprintln!(
            "{what}: {} bytes in, {peak} bytes at peak: {err}",
            data.len()
        );
    }
    assert!(
        peak <= limit,
        "{what}: {peak} bytes allocated at peak for {} bytes of input (limit {limit})",
        data.len()
    );
}

fn beyond(declared: u64) -> impl Fn(&ErrorKind) -> bool {
    move |k| {
        matches!(k, ErrorKind::LengthBeyondInput { declared: d, .. } if *d == declared)
            || matches!(k, ErrorKind::Truncated)
    }
}

#[test]
fn length_bombs_are_rejected_without_allocating() {
    // The allocator counts what this thread holds at once.
    let (_, peak) = peak_allocated(|| {
        let a = vec![1u8; 3 << 20];
        drop(a);
        vec![2u8; 1 << 20].len()
    });
    assert!((3 << 20..4 << 20).contains(&peak), "counted {peak}");
    for len in [1u64 << 40, 1 << 63, u64::MAX] {
        // Object contents.
        let mut w = writer();
        w.uv(1).uv(HEAP).uv(len).bytes(&[0xab; 32]);
        assert_bomb_defused(
            &format!("object contents of {len}"),
            &w.finish(),
            beyond(len),
        );
        // Every other length-prefixed field.
        let strings: [(&str, RecordPrefix); 7] = [
            ("type name", |w: &mut DumpWriter| {
                w.uv(3).uv(0x4a_0000).uv(16);
            }),
            ("goroutine wait reason", |w: &mut DumpWriter| {
                w.uv(4);
                for _ in 0..5 {
                    w.uv(1);
                }
                w.uv(0).uv(0).uv(0);
            }),
            ("stack frame contents", |w: &mut DumpWriter| {
                w.uv(5).uv(0x7000).uv(0).uv(0);
            }),
            ("stack frame name", |w: &mut DumpWriter| {
                w.uv(5)
                    .uv(0x7000)
                    .uv(0)
                    .uv(0)
                    .string(&[0; 8])
                    .uv(1)
                    .uv(2)
                    .uv(3);
            }),
            ("otherroot description", |w: &mut DumpWriter| {
                w.uv(2);
            }),
            ("data segment", |w: &mut DumpWriter| {
                w.uv(12).uv(0x50_0000);
            }),
            ("memprof function name", |w: &mut DumpWriter| {
                w.uv(16).uv(1).uv(16).uv(1);
            }),
        ];
        for (what, prefix) in &strings {
            let mut w = writer();
            prefix(&mut w);
            w.uv(len).bytes(b"a few bytes of it");
            assert_bomb_defused(&format!("{what} of {len}"), &w.finish(), beyond(len));
        }
        // The params record's own strings, before anything else is known.
        let mut w = DumpWriter::raw();
        w.bytes(dumpscope::format::HEADER_GO17)
            .uv(6)
            .uv(0)
            .uv(8)
            .uv(HEAP)
            .uv(HEAP + 0x1000)
            .uv(len)
            .bytes(b"amd64");
        assert_bomb_defused(&format!("params arch of {len}"), &w.finish(), beyond(len));
    }

    // An 11-byte varint, as an address and as a length.
    for tail in [&[0x01u8][..], &[0xff, 0x01]] {
        let mut w = writer();
        w.uv(1).bytes(&[0xff; 10]).bytes(tail).bytes(&[0; 16]);
        assert_bomb_defused("11-byte varint address", &w.finish(), |k| {
            *k == ErrorKind::VarintOverflow
        });
        let mut w = writer();
        w.uv(1)
            .uv(HEAP)
            .bytes(&[0x80; 10])
            .bytes(tail)
            .bytes(&[0; 16]);
        assert_bomb_defused("11-byte varint length", &w.finish(), |k| {
            *k == ErrorKind::VarintOverflow
        });
    }

    // A memprof bucket of a billion frames (and of 2^40, and 2^64 - 1).
    for count in [1_000_000_000u64, 1 << 40, u64::MAX] {
        let mut w = writer();
        w.uv(16).uv(1).uv(64).uv(count);
        for _ in 0..4 {
            w.string(b"main.f").string(b"main.go").uv(12);
        }
        assert_bomb_defused(&format!("memprof of {count} frames"), &w.finish(), |k| {
            matches!(k, ErrorKind::TooManyFrames { .. } | ErrorKind::Truncated)
        });
    }

    // A field list promising a billion entries: a 16-byte object whose list names words up
    // to a billion (8 GB into the object) and never ends.
    let mut w = writer();
    w.uv(1).uv(HEAP).string(&[0; 16]);
    for i in 0..2000u64 {
        w.uv(1).uv(i * 500_000 * 8);
    }
    w.uv(1).uv(8_000_000_000);
    assert_bomb_defused("field list of a billion entries", &w.finish(), |k| {
        *k == ErrorKind::Truncated
    });
    // The same list, ended: the object decodes and the words beyond it are only counted.
    let mut w = writer();
    let offsets: Vec<u64> = (0..2000u64).map(|i| i * 500_000 * 8).collect();
    w.object_raw(HEAP, &[0; 16], &offsets);
    w.uv(42); // then an unknown tag, so the bomb test sees an error
    let data = w.finish();
    let (heap, peak) = peak_allocated(|| load_bytes(&data).unwrap());
    assert!(peak <= 16 * data.len() + (1 << 20), "{peak} bytes at peak");
    assert_eq!(heap.objects.len(), 1);
    assert_eq!(heap.counts.out_of_range_fields, 1999);

    // A real dump that ends in a bomb: what came before is analysed, in bounded memory.
    let basic = common::read("basic-go1.27.dump");
    let mut starts = Vec::new();
    decode_all(
        &basic,
        &mut |_: &Record<'_>, p: dumpscope::format::RecordPos| starts.push(p.offset as usize),
    )
    .unwrap();
    let cut = starts[starts.len() * 2 / 3];
    let mut data = basic[..cut].to_vec();
    data.extend_from_slice(&[
        1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
    ]);
    data.extend_from_slice(&[0xff; 1 << 16]);
    assert_bomb_defused("a real dump ending in a bomb", &data, |k| {
        *k == ErrorKind::VarintOverflow
    });
}

// ---------------------------------------------------------------- not a dump

fn message(data: &[u8]) -> String {
    // The CLI prints this Display after the file name; the web app shows it in its panel.
    load_bytes(data)
        .err()
        .unwrap_or_else(|| panic!("{:?}… was accepted", &data[..data.len().min(16)]))
        .to_string()
}

#[test]
fn files_that_are_not_dumps_are_named() {
    // The first 64 bytes of a heap profile written by Go 1.27's runtime/pprof, gzip'd as
    // pprof writes it and decompressed.
    const PPROF_GZ: &[u8] = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\xff\x04\xc0\xb1\x4e\xf2\x40\
        \x1c\x00\xf0\xaf\xa5\xe5\x3b\x4b\x48\x6e\x70\x68\xba\x60\xe2\xd2\xc5\xb4\xf7\xa7\xa5\xe9\
        \x1b\xf8\x0c\x12\x52\xaf\xc7\x1f\x03\x39";
    const PPROF: &[u8] = b"\x5a\x04\x08\x01\x10\x02\x60\x80\x80\x20\x0a\x04\x08\x03\x10\x04\
        \x0a\x04\x08\x05\x10\x02\x0a\x04\x08\x06\x10\x04\x0a\x04\x08\x07\x10\x02\x48\xe4\x8a\xb6\
        \x9c\x88\xc5\x8e\xf5\x18\x1a\x10\x08\x01\x10\x80\x80\x80\x02\x18\x80\xe0\xb7\x02\x28\x08";
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let mut go14 = b"go1.4 heap dump\n".to_vec();
    go14.extend_from_slice(&[6, 0, 8, 0x80, 0x80, 0x80, 0x80, 0x0c, 0x01, 0, 0]);
    let cases: [(&str, &[u8], &[&str]); 6] = [
        ("PNG", png, &["PNG image"]),
        ("empty", b"", &["empty"]),
        (
            "Go 1.4 dump",
            &go14,
            &["Go 1.3/1.4 heap dump", "not supported"],
        ),
        ("gzip'd pprof", PPROF_GZ, &["gzip", "pprof"]),
        ("pprof", PPROF, &["protobuf", "pprof"]),
        (
            "text",
            b"goroutine 1 [running]:\nmain.main()\n",
            &["text file"],
        ),
    ];
    for (what, data, says) in cases {
        let m = message(data);
        assert!(m.starts_with("not a Go heap dump"), "{what}: {m}");
        assert!(
            m.contains("go1.7 heap dump"),
            "{what}: says not what is expected: {m}"
        );
        for s in says {
            assert!(m.contains(s), "{what}: {m:?} does not say {s:?}");
        }
    }
}

// ---------------------------------------------------------------- graph extremes

fn analyse_extreme(program: &str) -> (Analysis, Vec<u8>) {
    let bytes = common::extreme(program);
    let heap = load_bytes(&bytes).unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        heap.decode_error.is_none(),
        "{program}: {:?}",
        heap.decode_error
    );
    (Analysis::new(heap), bytes)
}

/// Objects whose slot holds `magic` at `offset`, with the u32 after it (the planted id).
fn planted(heap: &Heap, file: &[u8], magic: &[u8], offset: usize) -> Vec<(ObjectId, u32)> {
    common::with_magic(heap, file, magic, offset)
        .into_iter()
        .map(|id| {
            let c = common::contents(heap, file, id);
            let at = offset + 4;
            let v = c
                .get(at..at + 4)
                .map_or(0, |b| u32::from_le_bytes(b.try_into().unwrap()));
            (id, v)
        })
        .collect()
}

/// Every analysis the front ends offer, on a big heap: it must complete.
fn every_analysis(a: &Analysis) -> (Classes, Vec<goroutines::Group>) {
    let (classes, groups, findings) = leaks::analyse(a);
    let _ = report::summary(a);
    let _ = report::classes(a, &classes);
    let _ = report::top(a, Names::Classes(&classes), 20);
    let _ = report::lost(a, Names::Classes(&classes), 20);
    let _ = report::goroutine_groups(&groups);
    let _ = a.dom.children();
    let _ = a.dominated_counts();
    assert!(leaks::top_share(&findings).is_finite());
    (classes, groups)
}

#[test]
fn million_deep_list() {
    let expect = common::expect("deeplist");
    let n = expect["nodes"]["count"].as_u64().unwrap();
    let size = expect["nodes"]["size"].as_u64().unwrap();
    let (a, file) = analyse_extreme("deeplist");
    let h = &a.heap;
    let mut nodes = planted(h, &file, b"DEEP", 8);
    assert_eq!(nodes.len() as u64, n, "list nodes");
    nodes.sort_by_key(|&(_, id)| id);
    let head = nodes[0].0;
    let tail = nodes[n as usize - 1].0;

    // The head retains the whole list.
    assert_eq!(a.retained[head as usize], n * size);
    assert_eq!(u64::from(a.dominated_counts()[head as usize]), n);
    assert_eq!(
        a.idom(head),
        Some(h.root_node()),
        "only a global holds the head"
    );
    // The dominator tree is a million deep: each node's idom is the node before it.
    let mut depth = 1;
    let mut x = tail;
    while let Some(d) = a.idom(x).filter(|&d| d != h.root_node()) {
        x = d;
        depth += 1;
    }
    assert_eq!(x, head);
    assert_eq!(depth, expect["tail"]["dominator_depth"].as_u64().unwrap());
    for w in nodes.windows(2).step_by(99_991) {
        assert_eq!(a.idom(w[1].0), Some(w[0].0));
    }

    // The retainer path of the tail has a million entries, from the global down.
    let paths = retainers::retainer_paths(&a, tail, 5, &[]);
    assert_eq!(paths.len(), 1, "one way in");
    let path = &paths[0].objects;
    assert_eq!(
        path.len() as u64,
        expect["tail"]["retainer_path_objects"].as_u64().unwrap()
    );
    assert_eq!(path[0], head);
    assert!(path.iter().zip(&nodes).all(|(&p, &(id, _))| p == id));
    let roots = report::roots_of(h, head, 3);
    assert_eq!(roots[0].kind, "bss", "{:?}", roots[0]);
    // Ignoring a node in the middle cuts the tail off.
    let middle = nodes[n as usize / 2].0;
    assert!(retainers::retainer_paths(&a, tail, 5, &[middle]).is_empty());
    let r = report::retainers(&a, Names::Evidence, tail, 5, &[]);
    assert_eq!(r.paths[0].objects.len() as u64, n);

    let (classes, _) = every_analysis(&a);
    let class = classes.of[tail as usize];
    assert!(classes.classes[class as usize].count >= n);
    assert!(classes.classes[class as usize]
        .name
        .contains("main.newNode"));
}

#[test]
fn hundred_thousand_goroutines() {
    let expect = common::expect("manygoroutines");
    let n = expect["parked"]["count"].as_u64().unwrap();
    let (a, file) = analyse_extreme("manygoroutines");
    let payloads = common::with_magic(&a.heap, &file, b"PARKED!!", 0);
    assert_eq!(payloads.len() as u64, n);
    let (_, groups) = every_analysis(&a);
    let g = groups
        .iter()
        .find(|g| g.top_function == "main.parked")
        .expect("a main.parked group");
    assert_eq!(
        g.goroutine_ids.len() as u64,
        n,
        "one group of every parked goroutine"
    );
    assert_eq!(g.wait_reason, "chan receive");
    assert_eq!(g.created_by.as_deref(), Some("main.spawn"));
    assert!(g.looks_leaked);
    assert!(
        g.stack_retained >= n * 16,
        "stacks keep {} bytes",
        g.stack_retained
    );
    let in_groups: usize = groups.iter().map(|g| g.goroutine_ids.len()).sum();
    assert_eq!(in_groups, a.heap.goroutines.len());
    // Each payload is held by its own goroutine's frame.
    let p = payloads[payloads.len() / 2];
    let paths = retainers::retainer_paths(&a, p, 5, &[]);
    assert!(!paths.is_empty());
    assert!(report::roots_of(&a.heap, paths[0].objects[0], 1)[0].kind == "stack");
}

#[test]
fn million_object_ring_unreachable() {
    let expect = common::expect("lostcycle");
    let n = expect["ring"]["count"].as_u64().unwrap();
    let (a, file) = analyse_extreme("lostcycle");
    let ring = planted(&a.heap, &file, b"RING", 8);
    assert_eq!(ring.len() as u64, n);
    assert!(
        ring.iter().all(|&(id, _)| !a.is_reachable(id)),
        "a ring node is reachable"
    );
    let l = lost::lost(&a, 10);
    assert!(l.objects >= expect["min_unreachable_objects"].as_u64().unwrap());
    assert!(l.bytes >= expect["min_unreachable_bytes"].as_u64().unwrap());
    // Every ring node has a pointer in: none is the head of a garbage structure.
    assert!(l.heads < a.heap.objects.len() as u64 - n);
    for &(id, _) in ring.iter().step_by(99_991) {
        assert_eq!(a.retained[id as usize], 0);
        assert!(retainers::retainer_paths(&a, id, 5, &[]).is_empty());
    }
    let (_, groups) = every_analysis(&a);
    assert!(!groups.is_empty());
    let (_, _, f) = leaks::analyse(&a);
    let garbage = f
        .findings
        .iter()
        .find(|f| f.kind == "unreachable_garbage")
        .expect("an unreachable-garbage finding");
    assert!(garbage.objects >= n, "{} objects", garbage.objects);
}

#[test]
fn object_with_hundred_thousand_pointers() {
    let expect = common::expect("widefan");
    let fanout = expect["fan"]["pointers"].as_u64().unwrap();
    let (a, file) = analyse_extreme("widefan");
    let h = &a.heap;
    let leaves = common::with_magic(h, &file, b"WFANLEAF", 0);
    assert_eq!(leaves.len() as u64, fanout);
    // The fan: the one object pointing at the leaves.
    let fan = h.pred.neighbors(leaves[0])[0];
    assert_eq!(
        h.objects.size.get(fan as usize),
        expect["fan"]["size"].as_u64().unwrap()
    );
    assert_eq!(
        h.succ.degree(fan) as u64,
        fanout,
        "pointer edges out of the fan"
    );
    assert_eq!(
        a.retained[fan as usize],
        expect["fan"]["retained_bytes"].as_u64().unwrap()
    );
    assert_eq!(
        u64::from(a.dominated_counts()[fan as usize]),
        expect["fan"]["retained_objects"].as_u64().unwrap()
    );
    for &leaf in leaves.iter().step_by(9_973) {
        assert_eq!(a.idom(leaf), Some(fan));
        let paths = retainers::retainer_paths(&a, leaf, 5, &[]);
        assert_eq!(paths.len(), 1);
        assert_eq!(paths[0].objects[paths[0].objects.len() - 2], fan);
    }
    // The hub: 100,000 distinct retainers; paths are offered through a bounded few.
    let hub = common::with_magic(h, &file, b"HWUBHUB!", 0)[0];
    let mut spokes: Vec<u32> = h.pred.neighbors(hub).to_vec();
    spokes.sort_unstable();
    spokes.dedup();
    assert_eq!(
        spokes.len() as u64,
        expect["hub"]["retainers"].as_u64().unwrap()
    );
    let paths = retainers::retainer_paths(&a, hub, 100, &[]);
    assert_eq!(paths.len(), 100);
    let paths = retainers::retainer_paths(&a, hub, 5, &spokes[..50_000]);
    assert!(!paths.is_empty());
    every_analysis(&a);
    let r = report::retainers(&a, Names::Evidence, hub, 10, &[]);
    assert_eq!(r.paths.len(), 10);
}

/// Addresses from the file near 2^64: a malloc-header object in the last page, a bss
/// segment whose words run past the address space. Sums that would wrap are refused or
/// saturate (the tests run in release, where a wrap would be silent).
#[test]
fn addresses_near_the_top_of_the_address_space() {
    let top = u64::MAX - 0xfff; // the last page
    let mut w = DumpWriter::with_version(8, top - 0x10000, u64::MAX, "go1.22.10");
    // 640 bytes with pointers: a Go 1.22+ malloc-header object (header word at 0).
    let mut words = vec![0u64; 80];
    words[0] = 0x1000;
    words[1] = top - 0x10000;
    w.object(top - 0x10000, &[0; 4], &[])
        .object(top, &words, &[1])
        .bss(u64::MAX - 7, &[top, top], &[0, 1])
        .eof();
    let heap = load_bytes(&w.finish()).expect("a heap");
    assert!(heap.decode_error.is_none(), "{:?}", heap.decode_error);
    let id = heap.objects.find(top).expect("the top object");
    assert!(heap.objects.value_addr(id) >= top, "no wrap past 2^64");
    let labels: Vec<String> = heap
        .roots
        .iter()
        .map(|r| heap.root_label(&r.kind))
        .collect();
    assert!(
        labels.iter().any(|l| l.contains("past the address space")),
        "{labels:?}"
    );
    assert!(heap
        .not_an_object(u64::MAX)
        .contains("not a heap object but a global"));
    let a = dumpscope::analysis::Analysis::new(heap);
    let _ = dumpscope::report::summary(&a);

    // A 640-byte header object 4 bytes below 2^64: its Go pointer would be past the end.
    let mut w = DumpWriter::with_version(8, top, u64::MAX, "go1.22.10");
    w.object(u64::MAX - 3, &words, &[1]).eof();
    let heap = load_bytes(&w.finish()).expect("a heap");
    let id = heap.objects.find(u64::MAX - 3).expect("the last object");
    assert!(
        heap.objects.value_addr(id) >= u64::MAX - 3,
        "no wrap past 2^64"
    );
    let a = dumpscope::analysis::Analysis::new(heap);
    let _ = dumpscope::report::summary(&a);
}
