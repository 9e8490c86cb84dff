//! Names from the Go executable that wrote a dump (src/exe): globals from its symbols,
//! types from the runtime's type descriptors, stripped or not, and a refusal when the
//! executable did not write the dump. Fixtures: tests/fixtures/dumps/prodlike-go*.exe.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use dumpscope::exe::Executable;
use dumpscope::heap::RootKind;

fn exe(name: &str) -> Executable {
    Executable::parse(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn bss_root_label(a: &dumpscope::analysis::Analysis) -> Vec<String> {
    a.heap
        .roots
        .iter()
        .filter(|r| matches!(r.kind, RootKind::Bss { .. }))
        .map(|r| a.heap.root_label(&r.kind))
        .collect()
}

fn named(dump: &str, exe: &Executable) -> dumpscope::analysis::Analysis {
    let (a, file) = analyse(dump);
    let mut heap = a.heap;
    heap.attach_executable(exe).unwrap();
    dumpscope::analysis::typing::type_heap(&mut heap, exe, &mut |off, len| {
        let start = off as usize;
        file.get(start..start + len).map(<[u8]>::to_vec)
    });
    dumpscope::analysis::Analysis::new(heap)
}

/// Class name → (objects, bytes).
fn class_counts(
    a: &dumpscope::analysis::Analysis,
) -> std::collections::HashMap<String, (u64, u64)> {
    let c = dumpscope::analysis::classes::Classes::compute(a);
    c.classes
        .iter()
        .map(|k| (k.name.clone(), (k.count, k.shallow)))
        .collect()
}

/// From the map's group array (typed by its malloc header) the walk types the 300 cache
/// entries through their `*main.entry` slots, each entry's 192-byte body through its
/// `[]byte` field and its key's bytes through its `string` field: the planted facts.
#[test]
fn typing_follows_typed_words_from_the_seeds() {
    for name in ["prodlike-go1.27.exe", "stripped"] {
        let e = if name == "stripped" {
            stripped_1_27()
        } else {
            exe(name)
        };
        let a = named("prodlike-go1.27.dump", &e);
        let c = class_counts(&a);
        assert_eq!(c.get("main.entry"), Some(&(300, 300 * 64)), "{name}: {c:?}");
        assert_eq!(
            c.get("[]uint8 backing array"),
            Some(&(300, 300 * 192)),
            "{name}: bodies"
        );
        // Keys "tenant-0" … "tenant-299" are 8 to 10 bytes: 16-byte slots.
        let strings = c.get("string data").copied().unwrap_or_default();
        assert!(strings.0 >= 290, "{name}: {strings:?}");
    }
}

fn stripped_1_27() -> Executable {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("exe");
    std::fs::create_dir_all(&dir).unwrap();
    // One copy per call: tests run in parallel.
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let k = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let stripped = dir.join(format!("prodlike-go1.27.stripped.{k}"));
    std::fs::copy(fixture("prodlike-go1.27.exe"), &stripped).unwrap();
    let st = Command::new("strip")
        .arg(&stripped)
        .status()
        .expect("`strip` (binutils, installed with the C toolchain Rust links with)");
    assert!(st.success());
    Executable::parse(&std::fs::read(&stripped).unwrap()).unwrap()
}

#[test]
fn go_1_27_globals_and_swiss_map_groups_are_named() {
    let e = exe("prodlike-go1.27.exe");
    assert_eq!((e.format, e.arch, e.ptr_size), ("ELF", "amd64", 8));
    assert!(e.has_symbols);
    let a = named("prodlike-go1.27.dump", &e);
    let labels = bss_root_label(&a);
    assert!(
        labels
            .iter()
            .any(|l| l.starts_with("global main.cache (bss +0x")),
        "{labels:?}"
    );
    let n = a.heap.exe.as_ref().unwrap();
    assert_eq!(
        n.unnamed_types, 0,
        "every type word the dump holds is named"
    );
    // The cache's Swiss-table group array, a malloc-header object (Go 1.24+ maps).
    let classes = dumpscope::analysis::classes::Classes::compute(&a);
    let names: Vec<&str> = classes.classes.iter().map(|c| c.name.as_str()).collect();
    assert!(names.contains(&"map.group[string]*main.entry"), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("type@")), "{names:?}");
}

#[test]
fn go_1_19_interface_types_get_their_full_names() {
    let e = exe("prodlike-go1.19.exe");
    let (plain, _) = analyse("prodlike-go1.19.dump");
    let before = dumpscope::analysis::classes::Classes::compute(&plain);
    assert!(before
        .classes
        .iter()
        .any(|c| c.name == "errors.(unnamed 8 B type)"));
    let a = named("prodlike-go1.19.dump", &e);
    let after = dumpscope::analysis::classes::Classes::compute(&a);
    assert!(after.classes.iter().any(|c| c.name == "errors.errorString"));
    assert!(bss_root_label(&a)
        .iter()
        .any(|l| l.starts_with("global main.cache ")));
}

/// `strip` removes the symbol table and DWARF but not the type descriptors: types are
/// still named (their base found from the module data), globals are not.
#[test]
fn a_stripped_executable_still_names_types() {
    let e = stripped_1_27();
    assert!(!e.has_symbols && e.globals.is_empty());
    assert!(e.types_base.is_some(), "types base from the module data");
    let a = named("prodlike-go1.27.dump", &e);
    assert_eq!(a.heap.exe.as_ref().unwrap().unnamed_types, 0);
    let classes = dumpscope::analysis::classes::Classes::compute(&a);
    assert!(classes
        .classes
        .iter()
        .any(|c| c.name == "map.group[string]*main.entry"));
    let labels = bss_root_label(&a);
    assert!(
        labels
            .iter()
            .all(|l| l.starts_with("global in bss segment")),
        "{labels:?}"
    );
}

#[test]
fn another_programs_executable_is_refused() {
    let (a, _) = analyse("leaky-go1.27.dump");
    let mut heap = a.heap;
    let err = heap
        .attach_executable(&exe("prodlike-go1.27.exe"))
        .unwrap_err();
    assert!(
        err.contains("this executable did not write the dump"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_dumpscope"))
        .args(["--exe", fixture("prodlike-go1.27.exe").to_str().unwrap()])
        .args(["summary", fixture("leaky-go1.27.dump").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did not write the dump"));
    let out = Command::new(env!("CARGO_BIN_EXE_dumpscope"))
        .args(["--exe", fixture("leaky-go1.27.dump").to_str().unwrap()])
        .args(["summary", fixture("leaky-go1.27.dump").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an executable"));
}

/// The service fixture: a registry of per-tenant caches of items, named from DWARF and
/// the descriptors alike on every Go version, a PIE included.
const SERVICE: [&str; 4] = ["1.19", "1.22", "1.27", "1.27-pie"];

fn service(v: &str) -> (dumpscope::analysis::Analysis, Vec<u8>) {
    let e = Executable::parse(&read_exe(&format!("service-go{v}.exe"))).unwrap();
    let dump = format!("service-go{v}.dump");
    let a = named(&dump, &e);
    (a, read(&dump))
}

fn reader(file: &[u8]) -> impl FnMut(u64, usize) -> Option<Vec<u8>> + '_ {
    |off, len| {
        let start = off as usize;
        file.get(start..start.checked_add(len)?).map(<[u8]>::to_vec)
    }
}

#[test]
fn service_classes_are_go_types_on_every_version() {
    let planted = expect("service");
    let items = planted["items"]["count"].as_u64().unwrap();
    let body = planted["items"]["body_size"].as_u64().unwrap();
    let tenants = planted["tenants"].as_u64().unwrap();
    for v in SERVICE {
        let (a, _) = service(v);
        let c = class_counts(&a);
        assert_eq!(c.get("main.item").map(|x| x.0), Some(items), "{v}: {c:?}");
        assert_eq!(
            c.get("[]uint8 backing array"),
            Some(&(items, items * body)),
            "{v}"
        );
        assert_eq!(c.get("main.tenantCache").map(|x| x.0), Some(tenants), "{v}");
        assert_eq!(c.get("main.echoHandler").map(|x| x.0), Some(8), "{v}");
        assert_eq!(
            c.get("map.hdr[string]*main.tenantCache").map(|x| x.0),
            Some(1),
            "{v}"
        );
        assert_eq!(
            c.get("map.hdr[string]*main.item").map(|x| x.0),
            Some(tenants),
            "{v}"
        );
        let slots = if v.starts_with("1.27") {
            "map.group[string]*main.item"
        } else {
            "map.bucket[string]*main.item"
        };
        assert!(c.contains_key(slots), "{v}: {slots}");
        // Nothing the walk could not type is left with an address for a name.
        assert!(!c.keys().any(|k| k.starts_with("type@")), "{v}");
    }
}

/// The bar: at least 95 % of reachable bytes are in classes named by a Go type.
#[test]
fn service_reachable_bytes_are_in_go_typed_classes() {
    use dumpscope::analysis::naming::NameSource;
    for v in SERVICE {
        let (a, _) = service(v);
        let c = dumpscope::analysis::classes::Classes::compute(&a);
        let (mut typed, mut all) = (0u64, 0u64);
        for o in 0..a.heap.objects.len() as u32 {
            if !a.is_reachable(o) {
                continue;
            }
            let size = a.heap.objects.size.get(o as usize);
            all += size;
            let k = &c.classes[c.of[o as usize] as usize];
            if k.source != NameSource::Shape && !k.name.starts_with("type@") {
                typed += size;
            }
        }
        let share = typed as f64 / all as f64;
        assert!(share >= 0.95, "{v}: {typed} of {all} B typed ({share:.3})");
    }
}

#[test]
fn service_paths_read_as_fields() {
    for v in SERVICE {
        let (a, file) = service(v);
        // An item no LRU slot holds (each tenant's LRU keeps its last 16 of 100): its
        // body's only path runs through the items map.
        let item = (0..a.heap.objects.len() as u32)
            .find(|&o| {
                let key = a.heap.object_type(o);
                key.and_then(|k| a.heap.exe_type_name(k)) == Some("main.item")
                    && a.heap.objects.value_addr(o) != 0
                    && {
                        // created is the item's index within its tenant (offset 40).
                        let i = a.heap.objects.file_offset.get(o as usize) as usize;
                        let created = u64::from_le_bytes(file[i + 40..i + 48].try_into().unwrap());
                        created < 50
                    }
            })
            .expect("an item");
        let p = dumpscope::analysis::retainers::retainer_paths(&a, item, 1, &[])
            .pop()
            .unwrap();
        let root = a.heap.roots_of(p.objects[0]).first().map(|r| r.kind);
        let text = dumpscope::analysis::typing::paths::path_text(
            &a.heap,
            root.as_ref(),
            &p.objects,
            &mut reader(&file),
        );
        assert_eq!(
            text.as_deref(),
            Some("main.registry .tenants [map value] .items [map value]"),
            "{v}"
        );
    }
}

/// `leaks` finding 1 names the global, the element types and the path to what it holds.
#[test]
fn service_leak_finding_names_the_global_and_the_fields() {
    for v in SERVICE {
        let (a, file) = service(v);
        let (_, _, mut f) = dumpscope::analysis::leaks::analyse(&a);
        dumpscope::analysis::leaks::name_paths(&mut f, &a, &mut reader(&file));
        let top = &f.findings[0];
        assert_eq!(top.kind, "accumulation", "{v}");
        let held: Vec<&str> = top
            .evidence
            .classes
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(held[..2], ["[]uint8 backing array", "main.item"], "{v}");
        assert!(
            top.evidence.retainer_path[0].starts_with("global main.registry .tenants ("),
            "{v}: {:?}",
            top.evidence.retainer_path
        );
        let fp = top.evidence.field_path.as_deref().unwrap();
        // The shortest path to a body runs through the items map or the LRU's slots.
        let via_map = fp == "main.registry .tenants [map value] .items [map value] .body";
        let via_lru = fp.starts_with("main.registry .tenants [map value] .lru.slots [")
            && fp.ends_with("] .body");
        assert!(via_map || via_lru, "{v}: {fp}");
    }
}

#[test]
fn the_go_version_and_the_stack_frames_must_match() {
    // The same program, as if built by another Go release: the version in its build info
    // differs and nothing else does.
    let mut bytes = read_exe("service-go1.27.exe");
    let at: Vec<usize> = bytes
        .windows(8)
        .enumerate()
        .filter(|(_, w)| *w == b"go1.27.3")
        .map(|(i, _)| i)
        .collect();
    assert!(!at.is_empty(), "the build info's version");
    for i in at {
        bytes[i + 7] = b'2';
    }
    let e = Executable::parse(&bytes).unwrap();
    assert_eq!(e.go_version.as_deref(), Some("go1.27.2"));
    let (a, _) = analyse("service-go1.27.dump");
    let mut heap = a.heap;
    let err = heap.attach_executable(&e).unwrap_err();
    assert!(
        err.contains("built by go1.27.2, the dump was written by go1.27.3"),
        "{err}"
    );
    // The PIE's data and bss have the same sizes as the plain build's, at other
    // addresses: its functions are not where the dump's frames say.
    let pie = Executable::parse(&read_exe("service-go1.27-pie.exe")).unwrap();
    let err = heap.attach_executable(&pie).unwrap_err();
    assert!(err.contains("the function at 0x"), "{err}");
    // A PIE's own dump: the slide is computed and every check passes.
    let (a, _) = analyse("service-go1.27-pie.dump");
    let mut heap = a.heap;
    heap.attach_executable(&pie).unwrap();
    let n = heap.exe.as_ref().unwrap();
    assert_ne!(n.bias, 0);
    assert!(n.matched.contains("go1.27.3"), "{}", n.matched);
    assert!(n.matched.contains("stack frames"), "{}", n.matched);
}

#[test]
fn dwarf_is_read_with_globals_and_types() {
    for v in SERVICE {
        let t = std::time::Instant::now();
        let e = Executable::parse(&read_exe(&format!("service-go{v}.exe"))).unwrap();
        let d = e.dwarf.as_ref().expect("DWARF");
        let g = d
            .globals
            .iter()
            .find(|g| g.name == "main.registry")
            .unwrap();
        assert_eq!(d.types[g.typ as usize].name, "*main.Registry", "{v}");
        assert!(e.go_version.as_deref().unwrap().starts_with("go1."), "{v}");
        assert!(t.elapsed().as_secs() < 5, "{v}");
    }
}

/// Executables are input too: truncated or corrupted anywhere (DWARF, type descriptors,
/// headers), one is refused or names what it can, and typing ends, without a panic.
#[test]
fn malformed_executables_never_panic() {
    let good = read_exe("service-go1.27.exe");
    let (a, file) = analyse("service-go1.27.dump");
    let mut variants: Vec<Vec<u8>> = (1..10)
        .map(|k| good[..good.len() * k / 10].to_vec())
        .collect();
    // Corrupt runs of bytes at pseudo-random places, denser in the sections names come from.
    let ranges = {
        let f = object::File::parse(&*good).unwrap();
        use object::{Object, ObjectSection};
        f.sections()
            .filter(|s| {
                let n = s.name().unwrap_or("");
                n.starts_with(".debug_info") || n.starts_with(".debug_abbrev") || n == ".rodata"
            })
            .filter_map(|s| s.file_range())
            .collect::<Vec<_>>()
    };
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..60 {
        let mut v = good.clone();
        let (start, len) = ranges[i % ranges.len()];
        for _ in 0..8 {
            let at = (start + next() % len) as usize;
            for b in &mut v[at..(at + 16).min(good.len())] {
                *b = next() as u8;
            }
        }
        variants.push(v);
    }
    let mut typed_with_corrupt_names = 0;
    for v in &variants {
        let Ok(e) = Executable::parse(v) else {
            continue;
        };
        let mut heap = dumpscope::load::load_bytes(&file).unwrap();
        if heap.attach_executable(&e).is_err() {
            continue;
        }
        dumpscope::analysis::typing::type_heap(&mut heap, &e, &mut reader(&file));
        let a = dumpscope::analysis::Analysis::new(heap);
        let (_, _, mut f) = dumpscope::analysis::leaks::analyse(&a);
        dumpscope::analysis::leaks::name_paths(&mut f, &a, &mut reader(&file));
        typed_with_corrupt_names += 1;
    }
    drop(a);
    // Most corruptions leave the segments intact: the walk really ran on bad types.
    assert!(typed_with_corrupt_names >= 30, "{typed_with_corrupt_names}");
}

/// Stack frames: DWARF's location lists say which variable holds each pointer word of a
/// frame at its PC; the root is named by it and what it points at is typed by it.
#[test]
fn frame_roots_are_named_by_their_variables() {
    for v in SERVICE {
        let (a, _) = service(v);
        let labels: Vec<String> = a
            .heap
            .roots
            .iter()
            .filter(|r| matches!(r.kind, RootKind::Frame { .. }))
            .map(|r| a.heap.root_label(&r.kind))
            .collect();
        // Each of the 8 workers parks in `for j := range jobs` holding its handler `h`, an
        // argument: it spills into the frame that called it, the `go` statement's wrapper
        // (Go 1.21+) or `goexit` (before).
        let workers = labels
            .iter()
            .filter(|l| l.ends_with(" main.worker's arg h"))
            .count();
        assert_eq!(workers, 8, "{v}: {labels:#?}");
    }
}
