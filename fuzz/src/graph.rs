//! Structured input for the `graph` target: the fuzzer's bytes pick a small heap (up to
//! 190 objects, so the dominator oracle always runs) and `DumpWriter` writes it as a valid
//! dump. Pointers may be interior, dangling, outside the heap or listed beyond the
//! contents; objects may overlap; roots come from data, bss, stack frames and finalizers.

use dumpscope::format::writer::{DumpWriter, GoroutineSpec};

/// Reads the input a byte at a time; zeros once it runs out.
struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::from(self.u8()) % n
        }
    }
}

/// Versions in the params record: before and after Go 1.22 malloc headers.
const VERSIONS: [&str; 4] = ["go1.19.8", "go1.22.10", "go1.27.3", "devel +abc"];

pub fn dump_from(data: &[u8]) -> Vec<u8> {
    let mut b = Bytes { data, pos: 0 };
    let h = b.u8();
    let ps: u64 = if h & 1 == 1 { 4 } else { 8 };
    let version = VERSIONS[usize::from(h >> 1) & 3];
    let heap_start: u64 = if ps == 8 { 0xc0_0000_0000 } else { 0x1000_0000 };
    let n = 1 + b.below(190);

    // Addresses and sizes (in words), mostly ascending with gaps, now and then overlapping.
    let mut addr = Vec::with_capacity(n);
    let mut words = Vec::with_capacity(n);
    let mut next = heap_start;
    for _ in 0..n {
        let w = match b.u8() {
            x if x < 200 => 1 + u64::from(x) % 4,
            x if x < 250 => 4 + u64::from(x) % 64,
            x => 512 / ps + u64::from(x), // above the small-object malloc-header bound
        };
        let gap = match b.u8() {
            255 => None,
            g => Some(u64::from(g % 4) * ps),
        };
        let a = match gap {
            Some(g) => next + g,
            None => next.saturating_sub(ps).max(heap_start), // overlaps the one before
        };
        addr.push(a);
        words.push(w);
        next = a + w * ps;
    }
    let heap_end = next + 64 * ps;
    let pointer = |b: &mut Bytes<'_>| -> u64 {
        let j = b.below(n);
        match b.u8() % 8 {
            0 => addr[j] + (u64::from(b.u8()) % words[j]) * ps, // interior
            1 => heap_end + 8,                                  // outside the heap
            2 => addr[j].saturating_sub(1).max(heap_start),     // a byte before it
            _ => addr[j],
        }
    };

    let mut w = DumpWriter::with_version(ps as u8, heap_start, heap_end, version);
    let itab = heap_end + 0x1000;
    let typ = heap_end + 0x2000;
    if b.u8() & 1 == 1 {
        w.type_record(typ, 16, "main.T").itab(itab, typ);
    }
    // Objects, in a rotated order (the builder sorts by address).
    let rot = b.below(n);
    let mut sampled = Vec::new();
    for k in 0..n {
        let i = (k + rot) % n;
        let mut contents = Vec::with_capacity(words[i] as usize);
        let mut ptrs = Vec::new();
        for x in 0..words[i] as usize {
            match b.u8() % 8 {
                0..=3 => {
                    contents.push(pointer(&mut b));
                    ptrs.push((x as u64) * ps);
                }
                4 => contents.push(itab),
                5 => {
                    // Listed as a pointer, holding a scalar.
                    contents.push(u64::from(b.u8()));
                    ptrs.push((x as u64) * ps);
                }
                _ => contents.push(u64::from(b.u8()) * 0x0101_0101),
            }
        }
        if b.u8() == 0xff {
            ptrs.push(words[i] * ps + 8 * u64::from(b.u8())); // beyond the contents
        }
        let bytes = w.words(&contents);
        w.object_raw(addr[i], &bytes, &ptrs);
        if b.u8() & 3 == 0 {
            sampled.push(i);
        }
    }

    // Roots.
    let segment = |b: &mut Bytes<'_>| {
        let k = b.below(6);
        let v: Vec<u64> = (0..k).map(|_| pointer(b)).collect();
        let p: Vec<usize> = (0..k).collect();
        (v, p)
    };
    let (v, p) = segment(&mut b);
    w.data(0x50_0000, &v, &p);
    let (v, p) = segment(&mut b);
    w.bss(0x58_0000, &v, &p);
    for g in 0..b.below(4) as u64 {
        let reason = ["chan receive", "select", "sleep", ""][b.below(4)];
        w.goroutine(GoroutineSpec {
            addr: 0x7000_0000 + g * 0x100,
            sp: 0x7100_0000 + g * 0x1000,
            id: g + 1,
            gopc: 0x40_1000 + u64::from(b.u8()),
            status: u64::from(b.u8() % 6),
            system: b.u8() & 1 == 1,
            wait_reason: reason,
        });
        for depth in 0..b.below(4) as u64 {
            let (v, p) = segment(&mut b);
            let name = [
                "main.worker",
                "runtime.gopark",
                "main.main",
                "runtime.goexit",
            ][b.below(4)];
            w.frame(0x7100_0000 + depth * 0x40, depth, 0, name, &v, &p);
        }
        if b.u8() & 7 == 0 {
            let gp = 0x7000_0000 + g * 0x100;
            w.defer(0x7200_0000 + g * 0x40, gp, 0)
                .panic(0x7300_0000 + g * 0x40, gp, 0);
        }
    }
    for _ in 0..b.below(3) {
        let (queued, o, c) = (b.u8() & 1 == 1, pointer(&mut b), pointer(&mut b));
        w.finalizer(queued, o, c);
    }
    if b.u8() & 1 == 1 {
        w.osthread(0x9000, 1, 4242);
    }

    // Allocation profile: buckets, and samples for some objects (and one stray address).
    if !sampled.is_empty() {
        w.memprof(
            1,
            16,
            &[("main.alloc", "main.go", 10), ("main.main", "main.go", 3)],
            5,
            1,
        );
        w.memprof(
            2,
            32,
            &[
                ("runtime.mallocgc", "malloc.go", 1),
                ("main.other", "o.go", 7),
            ],
            1,
            0,
        );
        for &i in &sampled {
            w.alloc_sample(addr[i], 1 + (i as u64 & 1));
        }
        w.alloc_sample(heap_end + 16, 1);
    }
    if b.u8() & 1 == 1 {
        w.memstats(&[(11, n as u64), (6, next - heap_start), (18, 1)]);
    }
    if b.u8() != 0xff {
        w.eof();
    }
    w.finish()
}
