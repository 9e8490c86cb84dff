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
    assert!(after
        .classes
        .iter()
        .any(|c| c.name == "*errors.errorString"));
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
    assert!(bss_root_label(&a)
        .iter()
        .all(|l| l.starts_with("global in bss segment")));
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
