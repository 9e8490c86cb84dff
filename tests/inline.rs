//! Allocation sites in inlined code, named from the executable's inline tables (src/exe/
//! inline.rs). The runtime names such a frame after the function the code was inlined
//! into, with the inlined function's file:line. Fixture: tests/fixtures/gen/inlined
//! (Go 1.19 and 1.27, executables kept gzipped).

mod common;

use std::borrow::Cow;
use std::collections::HashMap;

use common::*;
use dumpscope::analysis::{classes::Classes, naming, Analysis};
use dumpscope::exe::dwarf::Dwarf;
use dumpscope::exe::Executable;

// What the program plants: (magic at offset 0, count, site without the executable, with it).
const RECORD: (&[u8], usize, &str, &str) = (
    b"INLINED!",
    200,
    "main.main (main.go:56)",
    "main.newRecord (main.go:56), inlined in main.main",
);
// `newLabel` inlined into `newTagged`, itself inlined into main: the innermost names it.
const LABEL: (&[u8], usize, &str, &str) = (
    b"NESTED!!",
    100,
    "main.main (main.go:60)",
    "main.newLabel (main.go:60), inlined in main.main",
);
// `//go:noinline`: its own frame, the same either way.
const KEPT: (&[u8], usize, &str, &str) = (
    b"NOTINLIN",
    50,
    "main.newKept (main.go:69)",
    "main.newKept (main.go:69)",
);

fn exe(v: &str) -> Executable {
    let name = format!("inlined-{v}.exe");
    Executable::parse(&read_exe(&name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The dump, with the executable's names attached when given (no typing: objects keep
/// their allocation sites as class names).
fn heap(v: &str, exe: Option<&Executable>) -> (Analysis, Vec<u8>) {
    let (a, file) = analyse(&format!("inlined-{v}.dump"));
    let Some(e) = exe else { return (a, file) };
    let mut heap = a.heap;
    heap.attach_executable(e).unwrap();
    (Analysis::new(heap), file)
}

/// Each planted object's allocation site → how many.
fn sites(a: &Analysis, file: &[u8], magic: &[u8]) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for id in with_magic(&a.heap, file, magic, 0) {
        let site = naming::alloc_site(&a.heap, id).unwrap_or_default();
        *out.entry(site).or_insert(0) += 1;
    }
    out
}

#[test]
fn inlined_allocation_sites_name_the_inlined_function() {
    for v in VERSIONS {
        let e = exe(v);
        let (plain, file) = heap(v, None);
        let (named, _) = heap(v, Some(&e));
        for (magic, n, without, with) in [RECORD, LABEL, KEPT] {
            let m = String::from_utf8_lossy(magic);
            let expect = |s: &str| HashMap::from([(s.to_string(), n)]);
            assert_eq!(sites(&plain, &file, magic), expect(without), "{v} {m}");
            assert_eq!(sites(&named, &file, magic), expect(with), "{v} {m}");
        }
        // The class table is named by those sites.
        let classes = |a: &Analysis| -> Vec<String> {
            let c = Classes::compute(a);
            c.classes.iter().map(|k| k.name.clone()).collect()
        };
        let (before, after) = (classes(&plain), classes(&named));
        for (_, _, without, with) in [RECORD, LABEL, KEPT] {
            assert!(before.iter().any(|c| c == without), "{v}: {before:?}");
            assert!(after.iter().any(|c| c == with), "{v}: {after:?}");
        }
        for (_, _, without, _) in [RECORD, LABEL] {
            assert!(!after.iter().any(|c| c == without), "{v}: {after:?}");
        }
    }
}

/// Every frame of the nested allocation's stack: the inner inlined call, the call of it
/// in the outer inlined function, the call in main, the runtime's caller.
#[test]
fn each_frame_of_a_nested_inline_is_named() {
    for v in VERSIONS {
        let e = exe(v);
        let (a, file) = heap(v, Some(&e));
        let h = &a.heap;
        let label = with_magic(h, &file, LABEL.0, 0)[0];
        let frames: Vec<String> = h
            .bucket_frames(h.bucket_of(label).unwrap())
            .iter()
            .map(|f| naming::frame_label(h, f))
            .filter(|f| !f.starts_with("runtime."))
            .collect();
        assert_eq!(
            frames,
            [
                "main.newLabel (main.go:60), inlined in main.main",
                "main.newTagged (main.go:64), inlined in main.main",
                "main.main (main.go:84)",
            ],
            "{v}"
        );
    }
}

/// The lookup itself: by base name or path, the innermost callee; the call site's own line
/// and code that is not inlined name nothing.
#[test]
fn inline_lookup() {
    for v in VERSIONS {
        let e = exe(v);
        let inl = &e.dwarf.as_ref().unwrap().inlines;
        let path = "dumpscope/fixtures/inlined/main.go";
        assert_eq!(
            inl.callee("main.main", path, 56),
            Some("main.newRecord"),
            "{v}"
        );
        assert_eq!(
            inl.callee("main.main", "main.go", 56),
            Some("main.newRecord")
        );
        assert_eq!(
            inl.callee("main.main", path, 60),
            Some("main.newLabel"),
            "{v}"
        );
        assert_eq!(
            inl.callee("main.main", path, 64),
            Some("main.newTagged"),
            "{v}"
        );
        assert_eq!(
            inl.callee("main.main", path, 80),
            None,
            "{v}: the call site"
        );
        assert_eq!(inl.callee("main.newKept", path, 69), None, "{v}");
        assert_eq!(inl.callee("main.main", "other.go", 56), None, "{v}");
        assert_eq!(inl.callee("main.nothing", path, 56), None, "{v}");
        assert_eq!(inl.callee("main.main", path, 1 << 40), None, "{v}");
    }
}

/// DWARF sections as the executable has them, uncompressed, by name.
fn debug_sections(bytes: &[u8]) -> HashMap<String, Vec<u8>> {
    use object::{Object, ObjectSection};
    let f = object::File::parse(bytes).unwrap();
    f.sections()
        .filter_map(|s| {
            let name = s.name().ok().filter(|n| n.starts_with(".debug_"))?;
            Some((name.to_string(), s.uncompressed_data().ok()?.into_owned()))
        })
        .collect()
}

fn read_sections(s: &HashMap<String, Vec<u8>>) -> Result<Option<Dwarf>, String> {
    Dwarf::from_sections(
        |name| Cow::Borrowed(s.get(name).map_or(&[][..], |v| &v[..])),
        false,
    )
}

/// Corrupt inline trees, range lists and line programs: the DWARF is read or refused,
/// never a panic, and lookups on what was read stay answerable.
#[test]
fn corrupt_inline_tables_never_panic() {
    let good = debug_sections(&read_exe("inlined-go1.27.exe"));
    let whole = read_sections(&good).unwrap().unwrap();
    assert_eq!(
        whole.inlines.len(),
        exe("go1.27").dwarf.unwrap().inlines.len(),
        "the same tables through from_sections"
    );
    assert!(!whole.inlines.is_empty());
    let targets = [
        ".debug_line",
        ".debug_info",
        ".debug_rnglists",
        ".debug_addr",
        ".debug_abbrev",
    ];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut read = 0;
    for i in 0..48 {
        let mut s = good.clone();
        let name = targets[i % targets.len()];
        let Some(sec) = s.get_mut(name).filter(|b| !b.is_empty()) else {
            continue;
        };
        if i % 8 == 7 {
            let keep = (next() as usize) % sec.len();
            sec.truncate(keep);
        } else {
            for _ in 0..6 {
                let at = (next() as usize) % sec.len();
                let end = (at + 8).min(sec.len());
                for b in &mut sec[at..end] {
                    *b = next() as u8;
                }
            }
        }
        if let Ok(Some(d)) = read_sections(&s) {
            read += 1;
            let _ = d.inlines.callee("main.main", "main.go", 56);
            // A broken range list or line program loses inline names, not types.
            if matches!(name, ".debug_line" | ".debug_rnglists") {
                assert_eq!(d.types.len(), whole.types.len(), "{i} {name}");
            }
        }
    }
    assert!(read > 0);
}
