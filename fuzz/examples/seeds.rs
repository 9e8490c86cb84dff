//! Writes the seed corpora of the fuzz targets:
//!
//!     cargo run --release --manifest-path fuzz/Cargo.toml --example seeds -- fuzz/seeds
//!
//! - pieces of the committed fixtures: the header and params record, then a run of
//!   consecutive records (at most `PIECE` bytes) and an EOF record; and plain prefixes
//!   (dumps cut short);
//! - small dumps written with `DumpWriter` (lists, cycles, diamonds, goroutines,
//!   finalizers, profiles, 32-bit, Go 1.22 malloc headers);
//! - files that are not dumps (PNG, gzip, a Go 1.4 dump, pprof, text, empty).
//!
//! `chunked` seeds carry an 8-byte chunk plan first; `graph` seeds are byte strings.

use std::path::{Path, PathBuf};

use dumpscope::format::writer::{DumpWriter, GoroutineSpec};
use dumpscope::format::{decode_all, Record, RecordPos};

/// Largest run of records in a fixture piece.
const PIECE: usize = 12 << 10;

fn fixture_pieces(data: &[u8]) -> Vec<Vec<u8>> {
    let mut starts = Vec::new();
    let mut sink = |_: &Record<'_>, p: RecordPos| starts.push(p.offset as usize);
    if decode_all(data, &mut sink).is_err() || starts.len() < 3 {
        return Vec::new();
    }
    // starts[0] is params, the last one EOF.
    let head = &data[..starts[1]];
    let eof = *starts.last().unwrap();
    let mut out = Vec::new();
    let mut i = 1;
    while i + 1 < starts.len() {
        let mut j = i + 1;
        while j + 1 < starts.len() && starts[j + 1] - starts[i] <= PIECE {
            j += 1;
        }
        if starts[j] - starts[i] <= 4 * PIECE {
            let mut p = head.to_vec();
            p.extend_from_slice(&data[starts[i]..starts[j]]);
            p.push(0);
            out.push(p);
        }
        i = j;
    }
    let _ = eof;
    for cut in [16usize, 100, 4 << 10, 16 << 10, 60 << 10] {
        out.push(data[..cut.min(data.len())].to_vec());
    }
    out
}

fn goroutine(w: &mut DumpWriter, id: u64, reason: &str) {
    w.goroutine(GoroutineSpec {
        addr: 0x7000_0000 + id * 0x100,
        sp: 0x7100_0000 + id * 0x1000,
        id,
        gopc: 0x40_1000,
        status: 4,
        system: false,
        wait_reason: reason,
    });
}

fn written() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let base = 0xc0_0000_0000u64;

    // A list of 40 nodes held by a global, a diamond, a cycle held by a frame.
    let mut w = DumpWriter::new(8, base, base + 0x10000);
    for i in 0..40u64 {
        let next = if i + 1 < 40 { base + (i + 1) * 16 } else { 0 };
        w.object(base + i * 16, &[next, i], &[0]);
    }
    let d = base + 0x1000;
    w.object(d, &[d + 0x10, d + 0x20], &[0, 1])
        .object(d + 0x10, &[d + 0x30, 0], &[0])
        .object(d + 0x20, &[d + 0x30, 0], &[0])
        .object(d + 0x30, &[0, 0], &[]);
    let c = base + 0x2000;
    for i in 0..5u64 {
        w.object(c + i * 16, &[c + ((i + 1) % 5) * 16, 0], &[0]);
    }
    w.data(0x50_0000, &[base, d], &[0, 1]);
    w.bss(0x58_0000, &[0, base + 0x20 * 16], &[1]);
    goroutine(&mut w, 1, "chan receive");
    w.frame(0x7100_1000, 0, 0, "main.worker", &[c + 16], &[0]);
    w.frame(0x7100_1040, 1, 0x7100_1000, "main.main", &[0], &[]);
    w.finalizer(false, d + 0x30, base + 0x3000);
    w.finalizer(true, c, 0);
    w.osthread(0x9000, 1, 42);
    w.type_record(0x4a_0000, 16, "main.T")
        .itab(0x4b_0000, 0x4a_0000);
    w.memprof(
        1,
        16,
        &[("main.newNode", "main.go", 12), ("main.main", "main.go", 3)],
        40,
        0,
    );
    for i in 0..40u64 {
        w.alloc_sample(base + i * 16, 1);
    }
    w.memstats(&[(11, 49), (6, 49 * 16)]);
    w.eof();
    out.push(w.finish());

    // Goroutines blocked in one place (a leak), with defers and panics.
    let mut w = DumpWriter::new(8, base, base + 0x10000);
    for i in 0..12u64 {
        w.object(base + i * 32, &[0, 0, 0, 0], &[]);
    }
    for g in 1..=12u64 {
        goroutine(&mut w, g, "chan receive");
        w.frame(0x7100_0000 + g * 0x1000, 0, 0, "runtime.gopark", &[], &[]);
        w.frame(
            0x7100_0040 + g * 0x1000,
            1,
            0,
            "main.leaky",
            &[base + (g - 1) * 32],
            &[0],
        );
        w.defer(0x7200_0000 + g, 0x7000_0000 + g * 0x100, 0);
    }
    w.panic(0x7300_0000, 0x7000_0100, 0);
    w.eof();
    out.push(w.finish());

    // 32-bit pointers.
    let b32 = 0x1000_0000u64;
    let mut w = DumpWriter::new(4, b32, b32 + 0x1000);
    w.object(b32, &[b32 + 8, 0], &[0])
        .object(b32 + 8, &[b32, 7], &[0])
        .data(0x8000, &[b32], &[0])
        .eof();
    out.push(w.finish());

    // Go 1.22 malloc headers (objects above 512 B start with a type word), text objects.
    let mut w = DumpWriter::with_version(8, base, base + 0x10000, "go1.22.10");
    let mut big = vec![0x4a_0000u64];
    big.extend((0..80).map(|i| base + 0x2000 + (i % 4) * 16));
    let ptrs: Vec<usize> = (1..81).collect();
    w.object(base, &big, &ptrs);
    for i in 0..4u64 {
        w.object_raw(base + 0x2000 + i * 16, b"hello, world!!!!", &[]);
    }
    w.bss(0x58_0000, &[base], &[0]).eof();
    out.push(w.finish());

    // Truncated: no EOF; and a header with nothing else.
    let mut w = DumpWriter::new(8, base, base + 0x100);
    w.object(base, &[0], &[]);
    out.push(w.finish());
    out.push(DumpWriter::new(8, base, base + 0x100).finish());
    out
}

fn not_dumps() -> Vec<Vec<u8>> {
    vec![
        Vec::new(),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0".to_vec(),
        b"\x1f\x8b\x08\0\0\0\0\0\0\xff\xe2\x62\x60\x60\x00\x00".to_vec(),
        b"go1.4 heap dump\n\x06\x00\x08".to_vec(),
        b"\x0a\x04\x08\x01\x10\x02\x12\x07samples".to_vec(),
        b"goroutine 1 [running]:\nmain.main()\n".to_vec(),
        b"go1.7 heap dum".to_vec(),
    ]
}

/// A deterministic byte string for the `graph` target.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn write_all(dir: &Path, name: &str, files: &[Vec<u8>]) {
    std::fs::create_dir_all(dir).unwrap();
    for (i, f) in files.iter().enumerate() {
        std::fs::write(dir.join(format!("{name}-{i:04}")), f).unwrap();
    }
}

fn main() {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/seeds".into()),
    );
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/dumps");
    let mut dumps = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&fixtures)
        .expect("tests/fixtures/dumps")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "dump"))
        .collect();
    names.sort();
    for p in &names {
        dumps.extend(fixture_pieces(&std::fs::read(p).unwrap()));
    }
    let written = written();
    let not = not_dumps();

    let mut all: Vec<Vec<u8>> = Vec::new();
    all.extend(written.iter().cloned());
    all.extend(not.iter().cloned());
    all.extend(dumps.iter().cloned());
    write_all(&out.join("decode"), "seed", &all);
    write_all(&out.join("analysis"), "seed", &all);
    // The session is slower per run: the written dumps and every fourth fixture piece.
    let some: Vec<Vec<u8>> = written
        .iter()
        .cloned()
        .chain(dumps.iter().step_by(4).cloned())
        .collect();
    write_all(&out.join("session"), "seed", &some);
    let plans: [[u8; 8]; 4] = [
        [0, 1, 2, 3, 4, 5, 6, 7],
        [1, 9, 9, 9, 9, 9, 9, 9],
        [2, 0x55, 0xaa, 1, 2, 3, 4, 5],
        [3, 7, 7, 7, 7, 7, 7, 7],
    ];
    let chunked: Vec<Vec<u8>> = all
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut v = plans[i % 4].to_vec();
            v.extend_from_slice(f);
            v
        })
        .collect();
    write_all(&out.join("chunked"), "seed", &chunked);
    let graphs: Vec<Vec<u8>> = (0..64u64)
        .map(|i| noise(i + 1, 16 + (i as usize * 37) % 1500))
        .collect();
    write_all(&out.join("graph"), "seed", &graphs);
    println!(
        "seeds in {}: {} fixture pieces, {} written dumps, {} non-dumps, {} graph inputs",
        out.display(),
        dumps.len(),
        written.len(),
        not.len(),
        graphs.len()
    );
}
